//! RBAC escalation prevention, as upstream: a user may create or change a Role or
//! ClusterRole only with permissions they already hold (or the `escalate` verb on it),
//! and bind a role only if they hold its permissions (or the `bind` verb on it) —
//! otherwise anyone allowed to write RBAC objects could grant themselves anything.

use axum::http::{HeaderMap, Method};
use bosun_api::rbac::{Attributes, UserInfo, rule_allows};
use bytes::Bytes;
use k8s_openapi::api::rbac::v1::PolicyRule;
use serde_json::Value;

use super::is_master;
use crate::ServerState;
use crate::error::{ApiError, ApiResult};
use crate::http::ResourceTarget;
use crate::rest;

const RBAC: &str = "rbac.authorization.k8s.io";

/// Refuses a write of an RBAC object that would grant `user` more than they hold.
pub async fn check(
    state: &ServerState,
    method: &Method,
    headers: &HeaderMap,
    user: &UserInfo,
    target: &ResourceTarget,
    body: &Bytes,
) -> ApiResult<()> {
    let info = target.info;
    if info.group != RBAC || is_master(user) || target.subresource.is_some() {
        return Ok(());
    }
    let ns = target.namespace.as_deref();
    let written = match *method {
        Method::POST | Method::PUT => rest::decode_body(headers, body)?,
        Method::PATCH => {
            let Some(name) = target.name.as_deref() else {
                return Ok(());
            };
            let current = state.registry.get(info, ns, name).await?;
            let patch = crate::patch::Patch::parse(rest::content_type(headers), body)?;
            patch.apply(info.definition, &current)?
        }
        _ => return Ok(()),
    };
    let name = written["metadata"]["name"]
        .as_str()
        .or(target.name.as_deref())
        .unwrap_or_default()
        .to_string();
    let namespace = ns.unwrap_or_default();
    let (rules, verb, role_resource, role_name) = match info.plural {
        "roles" | "clusterroles" => {
            if info.plural == "clusterroles" && !written["aggregationRule"].is_null() {
                // An aggregated role can come to hold anything: only for those who may
                // escalate.
                if !allowed(state, user, "escalate", namespace, info.plural, &name).await? {
                    return Err(refused(
                        info,
                        &name,
                        "must have escalate permission to create or update a ClusterRole with an aggregationRule",
                    ));
                }
                return Ok(());
            }
            (rules_of(&written), "escalate", info.plural, name.clone())
        }
        "rolebindings" | "clusterrolebindings" => {
            let kind = written["roleRef"]["kind"].as_str().unwrap_or_default();
            let role = written["roleRef"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let (role_info, role_ns) = match kind {
                "Role" => (rest::info(RBAC, "roles"), ns),
                _ => (rest::info(RBAC, "clusterroles"), None),
            };
            let rules = match state.registry.get(role_info, role_ns, &role).await {
                Ok(obj) => rules_of(&obj),
                // Binding a role that does not exist grants nothing yet; upstream
                // refuses it unless the user may bind it.
                Err(e) if e.code == 404 => vec![PolicyRule {
                    verbs: vec!["*".into()],
                    api_groups: Some(vec!["*".into()]),
                    resources: Some(vec!["*".into()]),
                    ..Default::default()
                }],
                Err(e) => return Err(e),
            };
            (rules, "bind", role_info.plural, role)
        }
        _ => return Ok(()),
    };
    if allowed(state, user, verb, namespace, role_resource, &role_name).await? {
        return Ok(());
    }
    let held = held_rules(state, user, namespace);
    let missing: Vec<String> = rules
        .iter()
        .flat_map(|rule| uncovered(&held, namespace, rule))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let groups: Vec<String> = user.groups.iter().map(|g| format!("{g:?}")).collect();
    let message = format!(
        "user {:?} (groups=[{}]) is attempting to grant RBAC permissions not currently held:\n{}",
        user.name,
        groups.join(" "),
        missing.join("\n")
    );
    Err(refused(info, &name, &message))
}

fn refused(info: &'static bosun_api::resources::ResourceInfo, name: &str, why: &str) -> ApiError {
    ApiError::forbidden(info, name, why)
}

fn rules_of(obj: &Value) -> Vec<PolicyRule> {
    serde_json::from_value(obj["rules"].clone()).unwrap_or_default()
}

async fn allowed(
    state: &ServerState,
    user: &UserInfo,
    verb: &str,
    namespace: &str,
    resource: &str,
    name: &str,
) -> ApiResult<bool> {
    let attrs = Attributes::resource(verb, namespace, RBAC, resource).with_name(name);
    Ok(matches!(
        super::authorize::decide(state, user, &attrs, None).await?,
        Ok(())
    ))
}

/// What `user` holds in `namespace`, as policy rules.
fn held_rules(state: &ServerState, user: &UserInfo, namespace: &str) -> Vec<PolicyRule> {
    let held = state.auth.rbac().rules_for(user, namespace);
    held.resource_rules
        .iter()
        .map(|r| PolicyRule {
            verbs: r.verbs.clone(),
            api_groups: r.api_groups.clone(),
            resources: r.resources.clone(),
            resource_names: r.resource_names.clone(),
            ..Default::default()
        })
        .chain(held.non_resource_rules.iter().map(|r| PolicyRule {
            verbs: r.verbs.clone(),
            non_resource_urls: r.non_resource_urls.clone(),
            ..Default::default()
        }))
        .collect()
}

/// The parts of `rule` not covered by `owner`, in upstream's compact rule notation.
fn uncovered(owner: &[PolicyRule], namespace: &str, rule: &PolicyRule) -> Vec<String> {
    let covered = |attrs: &Attributes| owner.iter().any(|o| rule_allows(attrs, o));
    let list = |v: &Option<Vec<String>>| v.clone().unwrap_or_default();
    let mut missing = Vec::new();
    for verb in &rule.verbs {
        for url in list(&rule.non_resource_urls) {
            if !covered(&Attributes::non_resource(verb, &url)) {
                missing.push(format!("{{NonResourceURLs:[{url:?}], Verbs:[{verb:?}]}}"));
            }
        }
        for group in list(&rule.api_groups) {
            for resource in list(&rule.resources) {
                let (res, sub) = resource.split_once('/').unwrap_or((&resource, ""));
                let base = Attributes::resource(verb, namespace, &group, res).with_subresource(sub);
                let names = list(&rule.resource_names);
                let notation = |name: Option<&str>| match name {
                    Some(n) => format!(
                        "{{APIGroups:[{group:?}], Resources:[{resource:?}], ResourceNames:[{n:?}], Verbs:[{verb:?}]}}"
                    ),
                    None => format!(
                        "{{APIGroups:[{group:?}], Resources:[{resource:?}], Verbs:[{verb:?}]}}"
                    ),
                };
                if names.is_empty() {
                    if !covered(&base) {
                        missing.push(notation(None));
                    }
                } else {
                    for n in &names {
                        if !covered(&base.clone().with_name(n)) {
                            missing.push(notation(Some(n)));
                        }
                    }
                }
            }
        }
    }
    missing
}
