//! ClusterRole aggregation: what upstream's clusterrole-aggregation
//! controller converges to, computed in one call.
//!
//! For a ClusterRole with an `aggregationRule`, upstream takes each selector
//! in order, lists the matching ClusterRoles sorted by name (skipping the role
//! itself) and appends every rule not already present (compared field by
//! field, with an absent list equal to an empty one). The controller re-runs
//! whenever any ClusterRole changes, so chains (view -> edit -> admin) settle;
//! here passes are repeated until nothing changes.

use std::collections::BTreeMap;

use k8s_openapi::api::rbac::v1::{ClusterRole, PolicyRule};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::forbidden::go_quote;

/// Fills in the rules of every ClusterRole that has an `aggregationRule`.
///
/// Returns one message per role left untouched because a selector is
/// invalid (upstream's controller fails that role's sync and retries). Label
/// keys and values are not syntax-checked, only operators and value counts.
pub fn aggregate_cluster_roles(roles: &mut [ClusterRole]) -> Vec<String> {
    let targets: Vec<usize> = (0..roles.len())
        .filter(|&i| roles[i].aggregation_rule.is_some())
        .collect();
    // Listing order upstream is by name; ties (duplicate names) keep input order.
    let mut by_name: Vec<usize> = (0..roles.len()).collect();
    by_name.sort_by(|&a, &b| roles[a].metadata.name.cmp(&roles[b].metadata.name));

    let mut errors = Vec::new();
    // Each pass settles at least one more link of any chain, so this bound
    // is only reached by cycles, which are harmless to cut short.
    for pass in 0..=targets.len() {
        let mut changed = false;
        for &target in &targets {
            match aggregated_rules(roles, &by_name, target) {
                Ok(rules) => {
                    let current = roles[target].rules.as_deref().unwrap_or(&[]);
                    if !rule_lists_equal(&rules, current) {
                        roles[target].rules = Some(rules);
                        changed = true;
                    }
                }
                Err(err) if pass == 0 => {
                    let name = roles[target].metadata.name.as_deref().unwrap_or_default();
                    errors.push(format!("clusterrole {}: {err}", go_quote(name)));
                }
                Err(_) => {}
            }
        }
        if !changed {
            break;
        }
    }
    errors
}

fn aggregated_rules(
    roles: &[ClusterRole],
    by_name: &[usize],
    target: usize,
) -> Result<Vec<PolicyRule>, String> {
    let own_name = &roles[target].metadata.name;
    let selectors = roles[target]
        .aggregation_rule
        .as_ref()
        .and_then(|rule| rule.cluster_role_selectors.as_deref())
        .unwrap_or(&[]);
    let mut out: Vec<PolicyRule> = Vec::new();
    for selector in selectors {
        let matcher = Matcher::new(selector)?;
        for &idx in by_name {
            let role = &roles[idx];
            if role.metadata.name == *own_name || !matcher.matches(role.metadata.labels.as_ref()) {
                continue;
            }
            for rule in role.rules.as_deref().unwrap_or(&[]) {
                if !out.iter().any(|seen| rules_equal(seen, rule)) {
                    out.push(rule.clone());
                }
            }
        }
    }
    Ok(out)
}

/// Whether `labels` satisfy `selector`, with upstream's
/// `LabelSelectorAsSelector` semantics: an empty selector matches everything,
/// `NotIn` and `DoesNotExist` match when the key is absent, and an unknown
/// operator or a wrong number of values is an error.
pub fn label_selector_matches(
    selector: &LabelSelector,
    labels: Option<&BTreeMap<String, String>>,
) -> Result<bool, String> {
    Ok(Matcher::new(selector)?.matches(labels))
}

enum Op {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

/// A validated selector: every requirement must hold.
struct Matcher<'a> {
    requirements: Vec<(&'a str, Op, &'a [String])>,
    equals: Vec<(&'a str, &'a str)>,
}

impl<'a> Matcher<'a> {
    fn new(selector: &'a LabelSelector) -> Result<Self, String> {
        let equals = selector
            .match_labels
            .iter()
            .flatten()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let mut requirements = Vec::new();
        for expr in selector.match_expressions.iter().flatten() {
            let values = expr.values.as_deref().unwrap_or(&[]);
            let op = match expr.operator.as_str() {
                "In" => Op::In,
                "NotIn" => Op::NotIn,
                "Exists" => Op::Exists,
                "DoesNotExist" => Op::DoesNotExist,
                other => {
                    return Err(format!(
                        "{} is not a valid label selector operator",
                        go_quote(other)
                    ));
                }
            };
            // The same checks (and wording) as upstream's labels.NewRequirement.
            match op {
                Op::In | Op::NotIn if values.is_empty() => {
                    return Err(format!(
                        "key {}: for 'in', 'notin' operators, values set can't be empty",
                        go_quote(&expr.key)
                    ));
                }
                Op::Exists | Op::DoesNotExist if !values.is_empty() => {
                    return Err(format!(
                        "key {}: values set must be empty for exists and does not exist",
                        go_quote(&expr.key)
                    ));
                }
                _ => {}
            }
            requirements.push((expr.key.as_str(), op, values));
        }
        Ok(Matcher {
            requirements,
            equals,
        })
    }

    fn matches(&self, labels: Option<&BTreeMap<String, String>>) -> bool {
        let get = |key: &str| labels.and_then(|l| l.get(key));
        self.equals
            .iter()
            .all(|(k, v)| get(k).is_some_and(|have| have == v))
            && self.requirements.iter().all(|(key, op, values)| {
                let have = get(key);
                match op {
                    Op::In => have.is_some_and(|h| values.contains(h)),
                    Op::NotIn => have.is_none_or(|h| !values.contains(h)),
                    Op::Exists => have.is_some(),
                    Op::DoesNotExist => have.is_none(),
                }
            })
    }
}

/// `equality.Semantic.DeepEqual` on two rules: same order, and an absent
/// list equals an empty one.
fn rules_equal(a: &PolicyRule, b: &PolicyRule) -> bool {
    fn same(x: &Option<Vec<String>>, y: &Option<Vec<String>>) -> bool {
        x.as_deref().unwrap_or(&[]) == y.as_deref().unwrap_or(&[])
    }
    a.verbs == b.verbs
        && same(&a.api_groups, &b.api_groups)
        && same(&a.resources, &b.resources)
        && same(&a.resource_names, &b.resource_names)
        && same(&a.non_resource_urls, &b.non_resource_urls)
}

fn rule_lists_equal(a: &[PolicyRule], b: &[PolicyRule]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| rules_equal(x, y))
}
