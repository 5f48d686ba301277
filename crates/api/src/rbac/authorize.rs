//! The RBAC authorizer over an immutable snapshot of roles and bindings.
//!
//! Semantics are upstream's `DefaultRuleResolver.VisitRulesFor` plus
//! `RuleAllows`: ClusterRoleBindings apply everywhere, RoleBindings only in
//! their own namespace, and a binding whose role cannot be resolved yields an
//! error that is reported but never stops other bindings from granting.
//!
//! Unlike upstream, which scans every binding per request, bindings are
//! indexed by the user name and group they name, so a request only touches
//! the bindings that can apply to its user.

use std::collections::HashMap;

use k8s_openapi::api::authorization::v1::{NonResourceRule, ResourceRule};
use k8s_openapi::api::rbac::v1::{
    ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, Subject,
};

use super::forbidden::go_quote;
use super::{Attributes, Decision, RulesReview, UserInfo};

/// Prefix of a service account's user name: `system:serviceaccount:<ns>:<name>`.
const SERVICE_ACCOUNT_PREFIX: &str = "system:serviceaccount:";

/// A binding reduced to what authorization needs; shared by both binding kinds.
#[derive(Debug, Clone)]
struct Binding {
    /// `""` for a ClusterRoleBinding.
    namespace: String,
    name: String,
    role_kind: String,
    role_name: String,
    subjects: Vec<Subject>,
}

/// Bindings of one scope (cluster, or one namespace) and their subject index.
#[derive(Debug, Clone, Default)]
struct BindingSet {
    bindings: Vec<Binding>,
    /// User names, including the user names service-account subjects stand for.
    by_user: HashMap<String, Vec<usize>>,
    by_group: HashMap<String, Vec<usize>>,
}

impl BindingSet {
    fn push(&mut self, binding: Binding) {
        let idx = self.bindings.len();
        for subject in &binding.subjects {
            let slot = match subject.kind.as_str() {
                "User" => self.by_user.entry(subject.name.clone()),
                "Group" => self.by_group.entry(subject.name.clone()),
                "ServiceAccount" => match service_account_user(subject, &binding.namespace) {
                    Some(user) => self.by_user.entry(user),
                    None => continue,
                },
                // Upstream ignores subjects of any other kind.
                _ => continue,
            };
            let list = slot.or_default();
            // Several subjects of one binding may share a key; list it once.
            if list.last() != Some(&idx) {
                list.push(idx);
            }
        }
        self.bindings.push(binding);
    }

    /// Indices of the bindings that apply to `user`, in input order (which
    /// fixes the order of rules and errors that callers see).
    fn applying_to(&self, user: &UserInfo) -> Vec<usize> {
        let mut out: Vec<usize> = Vec::new();
        if let Some(list) = self.by_user.get(&user.name) {
            out.extend_from_slice(list);
        }
        for group in &user.groups {
            if let Some(list) = self.by_group.get(group) {
                out.extend_from_slice(list);
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// Roles, ClusterRoles and bindings at one point in time, ready to answer
/// authorization questions. Build a new snapshot when any of them change.
#[derive(Debug, Clone, Default)]
pub struct RbacSnapshot {
    /// namespace -> role name -> rules
    roles: HashMap<String, HashMap<String, Vec<PolicyRule>>>,
    cluster_roles: HashMap<String, Vec<PolicyRule>>,
    cluster_bindings: BindingSet,
    /// namespace -> that namespace's RoleBindings
    role_bindings: HashMap<String, BindingSet>,
}

impl RbacSnapshot {
    /// Indexes the given objects. ClusterRoles are taken as they are: run
    /// [`super::aggregate_cluster_roles`] first if they may need aggregating.
    /// When two objects share a name, the later one wins for roles; every
    /// binding is kept.
    pub fn new(
        roles: Vec<Role>,
        cluster_roles: Vec<ClusterRole>,
        role_bindings: Vec<RoleBinding>,
        cluster_role_bindings: Vec<ClusterRoleBinding>,
    ) -> Self {
        let mut snapshot = RbacSnapshot::default();
        for role in roles {
            let namespace = role.metadata.namespace.unwrap_or_default();
            let name = role.metadata.name.unwrap_or_default();
            snapshot
                .roles
                .entry(namespace)
                .or_default()
                .insert(name, role.rules.unwrap_or_default());
        }
        for role in cluster_roles {
            let name = role.metadata.name.unwrap_or_default();
            snapshot
                .cluster_roles
                .insert(name, role.rules.unwrap_or_default());
        }
        for binding in cluster_role_bindings {
            snapshot.cluster_bindings.push(Binding {
                namespace: String::new(),
                name: binding.metadata.name.unwrap_or_default(),
                role_kind: binding.role_ref.kind,
                role_name: binding.role_ref.name,
                subjects: binding.subjects.unwrap_or_default(),
            });
        }
        for binding in role_bindings {
            let namespace = binding.metadata.namespace.unwrap_or_default();
            // A RoleBinding outside any namespace could never be consulted.
            if namespace.is_empty() {
                continue;
            }
            snapshot
                .role_bindings
                .entry(namespace.clone())
                .or_default()
                .push(Binding {
                    namespace,
                    name: binding.metadata.name.unwrap_or_default(),
                    role_kind: binding.role_ref.kind,
                    role_name: binding.role_ref.name,
                    subjects: binding.subjects.unwrap_or_default(),
                });
        }
        snapshot
    }

    /// The RBAC decision for `user` doing `attrs`.
    pub fn authorize(&self, user: &UserInfo, attrs: &Attributes) -> Decision {
        // The allow reason is only for audit: not formatted for every request.
        match self.first_allowing(user, attrs) {
            Ok(_) => Decision::Allow,
            Err(errors) => Decision::Deny {
                reason: deny_reason(&errors),
            },
        }
    }

    /// The binding whose rule allows `attrs`, or the errors met looking for one.
    fn first_allowing(&self, user: &UserInfo, attrs: &Attributes) -> Result<&Binding, Vec<String>> {
        let mut allowed_by: Option<&Binding> = None;
        let errors = self.visit_rules(user, &attrs.namespace, |binding, rule| {
            if rule_allows(attrs, rule) {
                allowed_by = Some(binding);
                return false;
            }
            true
        });
        allowed_by.ok_or(errors)
    }

    /// [`Self::authorize`] plus upstream's authorizer reason, which is also
    /// given on Allow (e.g. `RBAC: allowed by ClusterRoleBinding "x" of
    /// ClusterRole "y" to Group "z"`) and is what kube-apiserver records in
    /// the `authorization.k8s.io/reason` audit annotation.
    pub fn authorize_with_reason(&self, user: &UserInfo, attrs: &Attributes) -> (Decision, String) {
        match self.first_allowing(user, attrs) {
            Ok(binding) => {
                let reason = format!("RBAC: allowed by {}", describe_binding(binding, user));
                (Decision::Allow, reason)
            }
            Err(errors) => {
                let reason = deny_reason(&errors);
                (
                    Decision::Deny {
                        reason: reason.clone(),
                    },
                    reason,
                )
            }
        }
    }

    /// Every rule that applies to `user` in `namespace` (cluster-wide rules
    /// only when `namespace` is empty), shaped for a SelfSubjectRulesReview.
    ///
    /// Upstream's SelfSubjectRulesReview endpoint rejects an empty
    /// `spec.namespace` before it gets here; that check is the caller's.
    pub fn rules_for(&self, user: &UserInfo, namespace: &str) -> RulesReview {
        let mut resource_rules = Vec::new();
        let mut non_resource_rules = Vec::new();
        let errors = self.visit_rules(user, namespace, |_, rule| {
            // A rule carrying both (invalid, but storable) feeds both lists,
            // as upstream's RulesFor does.
            if !list(&rule.resources).is_empty() {
                resource_rules.push(ResourceRule {
                    verbs: rule.verbs.clone(),
                    api_groups: non_empty_list(&rule.api_groups),
                    resources: non_empty_list(&rule.resources),
                    resource_names: non_empty_list(&rule.resource_names),
                });
            }
            if !list(&rule.non_resource_urls).is_empty() {
                non_resource_rules.push(NonResourceRule {
                    verbs: rule.verbs.clone(),
                    non_resource_urls: non_empty_list(&rule.non_resource_urls),
                });
            }
            true
        });
        RulesReview {
            resource_rules,
            non_resource_rules,
            incomplete: false,
            evaluation_error: aggregate_message(&errors),
        }
    }

    /// Calls `visitor` with every rule granted to `user` in `namespace` until
    /// it returns false; returns the resolution errors met along the way.
    fn visit_rules<'s>(
        &'s self,
        user: &UserInfo,
        namespace: &str,
        mut visitor: impl FnMut(&'s Binding, &'s PolicyRule) -> bool,
    ) -> Vec<String> {
        let mut errors = Vec::new();
        let mut sets = vec![&self.cluster_bindings];
        if !namespace.is_empty()
            && let Some(set) = self.role_bindings.get(namespace)
        {
            sets.push(set);
        }
        for set in sets {
            for idx in set.applying_to(user) {
                let binding = &set.bindings[idx];
                match self.role_rules(binding) {
                    Ok(rules) => {
                        for rule in rules {
                            if !visitor(binding, rule) {
                                return errors;
                            }
                        }
                    }
                    Err(err) => errors.push(err),
                }
            }
        }
        errors
    }

    /// The rules a binding's roleRef points at, or upstream's error text.
    fn role_rules(&self, binding: &Binding) -> Result<&[PolicyRule], String> {
        let found = match binding.role_kind.as_str() {
            "Role" => self
                .roles
                .get(&binding.namespace)
                .and_then(|roles| roles.get(&binding.role_name)),
            "ClusterRole" => self.cluster_roles.get(&binding.role_name),
            other => {
                return Err(format!(
                    "unsupported role reference kind: {}",
                    go_quote(other)
                ));
            }
        };
        // The wording is the NotFound error of upstream's informer listers.
        found.map(Vec::as_slice).ok_or_else(|| {
            let resource = if binding.role_kind == "Role" {
                "role"
            } else {
                "clusterrole"
            };
            format!(
                "{resource}.rbac.authorization.k8s.io {} not found",
                go_quote(&binding.role_name)
            )
        })
    }
}

/// Upstream `RuleAllows`: does this one rule grant the request?
pub fn rule_allows(attrs: &Attributes, rule: &PolicyRule) -> bool {
    if !verb_matches(rule, &attrs.verb) {
        return false;
    }
    if attrs.resource_request {
        api_group_matches(rule, &attrs.api_group)
            && resource_matches(rule, &attrs.resource, &attrs.subresource)
            && resource_name_matches(rule, &attrs.name)
    } else {
        non_resource_url_matches(rule, &attrs.path)
    }
}

fn verb_matches(rule: &PolicyRule, verb: &str) -> bool {
    rule.verbs.iter().any(|v| v == "*" || v == verb)
}

fn api_group_matches(rule: &PolicyRule, group: &str) -> bool {
    list(&rule.api_groups)
        .iter()
        .any(|g| g == "*" || g == group)
}

/// `*`, the exact `resource` or `resource/subresource`, or `*/subresource`.
/// `resource/*` is intentionally not a wildcard upstream (it would silently
/// grant subresources added in the future), so it only matches literally.
fn resource_matches(rule: &PolicyRule, resource: &str, subresource: &str) -> bool {
    list(&rule.resources).iter().any(|rr| {
        if rr == "*" {
            return true;
        }
        if subresource.is_empty() {
            return rr == resource;
        }
        // rr == "<resource>/<subresource>", compared without allocating.
        let combined = rr.len() == resource.len() + 1 + subresource.len()
            && rr.starts_with(resource)
            && rr[resource.len()..].starts_with('/')
            && rr.ends_with(subresource);
        combined
            || (rr.len() == subresource.len() + 2
                && rr.starts_with("*/")
                && rr.ends_with(subresource))
    })
}

/// An empty list means any name. A non-empty one only matches requests that
/// carry one of those names, so create/list/watch/deletecollection (which
/// carry none) never match it.
fn resource_name_matches(rule: &PolicyRule, name: &str) -> bool {
    let names = list(&rule.resource_names);
    names.is_empty() || names.iter().any(|n| n == name)
}

/// `*`, an exact path, or a prefix ending in `*` (all trailing stars dropped).
fn non_resource_url_matches(rule: &PolicyRule, path: &str) -> bool {
    list(&rule.non_resource_urls).iter().any(|url| {
        url == "*"
            || url == path
            || (url.ends_with('*') && path.starts_with(url.trim_end_matches('*')))
    })
}

/// The user name a ServiceAccount subject stands for; its namespace defaults
/// to the binding's, and without either it can match nobody.
fn service_account_user(subject: &Subject, binding_namespace: &str) -> Option<String> {
    let namespace = match subject.namespace.as_deref() {
        Some(ns) if !ns.is_empty() => ns,
        _ => binding_namespace,
    };
    if namespace.is_empty() {
        return None;
    }
    Some(format!(
        "{SERVICE_ACCOUNT_PREFIX}{namespace}:{}",
        subject.name
    ))
}

fn subject_applies(user: &UserInfo, subject: &Subject, binding_namespace: &str) -> bool {
    match subject.kind.as_str() {
        "User" => user.name == subject.name,
        "Group" => user.groups.contains(&subject.name),
        "ServiceAccount" => {
            service_account_user(subject, binding_namespace).is_some_and(|name| name == user.name)
        }
        _ => false,
    }
}

/// Upstream's `clusterRoleBindingDescriber` / `roleBindingDescriber`, naming
/// the first subject of the binding that applies to the user.
fn describe_binding(binding: &Binding, user: &UserInfo) -> String {
    let subject = binding
        .subjects
        .iter()
        .find(|s| subject_applies(user, s, &binding.namespace))
        .map(|s| describe_subject(s, &binding.namespace))
        .unwrap_or_default();
    if binding.namespace.is_empty() {
        format!(
            "ClusterRoleBinding {} of {} {} to {subject}",
            go_quote(&binding.name),
            binding.role_kind,
            go_quote(&binding.role_name)
        )
    } else {
        format!(
            "RoleBinding {} of {} {} to {subject}",
            go_quote(&format!("{}/{}", binding.name, binding.namespace)),
            binding.role_kind,
            go_quote(&binding.role_name)
        )
    }
}

fn describe_subject(subject: &Subject, binding_namespace: &str) -> String {
    if subject.kind == "ServiceAccount" {
        let namespace = match subject.namespace.as_deref() {
            Some(ns) if !ns.is_empty() => ns,
            _ => binding_namespace,
        };
        let who = format!("{}/{namespace}", subject.name);
        return format!("{} {}", subject.kind, go_quote(&who));
    }
    format!("{} {}", subject.kind, go_quote(&subject.name))
}

/// `utilerrors.NewAggregate(errs).Error()`: one message as is, several
/// de-duplicated and written as `[a, b]`.
pub(crate) fn aggregate_message(errors: &[String]) -> String {
    let mut unique: Vec<&str> = Vec::with_capacity(errors.len());
    for err in errors {
        if !unique.contains(&err.as_str()) {
            unique.push(err);
        }
    }
    match unique.as_slice() {
        [] => String::new(),
        [one] => (*one).to_owned(),
        many => format!("[{}]", many.join(", ")),
    }
}

fn list(field: &Option<Vec<String>>) -> &[String] {
    field.as_deref().unwrap_or(&[])
}

/// The review types drop empty lists, as Go's `omitempty` does on the wire.
fn non_empty_list(field: &Option<Vec<String>>) -> Option<Vec<String>> {
    field.as_ref().filter(|v| !v.is_empty()).cloned()
}

/// Upstream's reason for a denial: empty unless some binding could not be resolved.
fn deny_reason(errors: &[String]) -> String {
    if errors.is_empty() {
        String::new()
    } else {
        format!("RBAC: {}", aggregate_message(errors))
    }
}
