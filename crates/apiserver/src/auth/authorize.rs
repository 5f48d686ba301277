//! Deciding: request attributes (upstream's RequestInfo), impersonation, the order of
//! authorizers, token-to-user lookups against stored objects, and keeping the RBAC
//! snapshot in step with the stored roles and bindings (including aggregation and the
//! default policy).

use std::sync::Arc;

use axum::http::{HeaderMap, Method, Uri};
use base64::Engine;
use bosun_api::rbac::{
    Attributes, Decision, RbacSnapshot, UserInfo, aggregate_cluster_roles,
    bootstrap_cluster_role_bindings, bootstrap_cluster_roles, forbidden_message,
};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use serde_json::{Value, json};

use super::{AUTHENTICATED, BOOTSTRAPPERS, UNAUTHENTICATED, is_master, node, tokens};
use crate::ServerState;
use crate::error::{ApiError, ApiResult};
use crate::http::{Target, parse_path};
use crate::registry::{ListParams, WriteOptions};
use crate::rest;

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// What a request asks to do, in the terms authorizers use.
pub fn request_attributes(method: &Method, uri: &Uri) -> Attributes {
    let path = uri.path().to_string();
    let lower = method.as_str().to_ascii_lowercase();
    match parse_path(&path) {
        Some(Target::Resource(t)) => {
            let named = t.name.is_some();
            let verb = match *method {
                Method::GET | Method::HEAD if named => "get",
                Method::GET | Method::HEAD if is_watch(uri) => "watch",
                Method::GET | Method::HEAD => "list",
                Method::POST => "create",
                Method::PUT => "update",
                Method::PATCH => "patch",
                Method::DELETE if named => "delete",
                Method::DELETE => "deletecollection",
                _ => lower.as_str(),
            };
            // A namespace object is "in" itself, so a RoleBinding can grant reading it.
            let namespace = match (&t.namespace, t.info.group, t.info.plural) {
                (Some(ns), _, _) => ns.clone(),
                (None, "", "namespaces") => t.name.clone().unwrap_or_default(),
                _ => String::new(),
            };
            Attributes {
                verb: verb.to_string(),
                namespace,
                api_group: t.info.group.to_string(),
                resource: t.info.plural.to_string(),
                subresource: t.subresource.unwrap_or_default(),
                name: t.name.unwrap_or_default(),
                resource_request: true,
                path,
            }
        }
        _ => Attributes {
            verb: lower,
            namespace: String::new(),
            api_group: String::new(),
            resource: String::new(),
            subresource: String::new(),
            name: String::new(),
            resource_request: false,
            path,
        },
    }
}

fn is_watch(uri: &Uri) -> bool {
    uri.query().is_some_and(|q| {
        q.split('&')
            .any(|kv| matches!(kv, "watch=true" | "watch=1" | "watch=True"))
    })
}

/// A 403 with upstream's message for `attrs`.
pub fn forbidden(user: &UserInfo, attrs: &Attributes, reason: &str) -> ApiError {
    let message = forbidden_message(user, attrs, reason);
    // Upstream leaves empty detail fields out (and sends `{}` for non-resource paths).
    let mut details = serde_json::Map::new();
    for (key, value) in [
        ("name", &attrs.name),
        ("group", &attrs.api_group),
        ("kind", &attrs.resource),
    ] {
        if !value.is_empty() {
            details.insert(key.to_string(), json!(value));
        }
    }
    ApiError::forbidden_message(message, Some(Value::Object(details)))
}

/// Whether `user` may do `attrs`: masters always; nodes through the node authorizer and
/// node restriction; then RBAC.
pub async fn authorize(
    state: &ServerState,
    user: &UserInfo,
    attrs: &Attributes,
    name_in_body: Option<&str>,
) -> ApiResult<()> {
    decide(state, user, attrs, name_in_body)
        .await?
        .map_err(|reason| forbidden(user, attrs, &reason))
}

/// `Ok(Ok(()))` allowed, `Ok(Err(reason))` denied; `Err` for failures (and node
/// restriction's own 403s, which carry their own wording).
pub async fn decide(
    state: &ServerState,
    user: &UserInfo,
    attrs: &Attributes,
    name_in_body: Option<&str>,
) -> ApiResult<Result<(), String>> {
    if is_master(user) {
        return Ok(Ok(()));
    }
    if let Some(node_name) = node::node_name(user) {
        node::admit(state, node_name, attrs, name_in_body).await?;
        match node::authorize(state, node_name, user, attrs).await? {
            node::NodeDecision::Allow => return Ok(Ok(())),
            node::NodeDecision::Deny(reason) => return Ok(Err(reason)),
            node::NodeDecision::NoOpinion => {}
        }
    }
    Ok(match state.auth.rbac().authorize(user, attrs) {
        Decision::Allow => Ok(()),
        Decision::Deny { reason } => Err(reason),
    })
}

/// Applies `Impersonate-*` headers: each impersonated name, group, UID and extra must be
/// allowed to the requester by the `impersonate` verb.
pub async fn impersonate(
    state: &ServerState,
    user: Arc<UserInfo>,
    headers: &HeaderMap,
) -> ApiResult<Arc<UserInfo>> {
    let values = |name: &str| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_string))
            .collect()
    };
    let users = values("impersonate-user");
    let groups = values("impersonate-group");
    let uids = values("impersonate-uid");
    let extras: Vec<(String, String)> = headers
        .iter()
        .filter_map(|(k, v)| {
            let key = k.as_str().strip_prefix("impersonate-extra-")?;
            let key = percent_encoding::percent_decode_str(key)
                .decode_utf8_lossy()
                .into_owned();
            Some((key, v.to_str().ok()?.to_string()))
        })
        .collect();
    if users.is_empty() && groups.is_empty() && uids.is_empty() && extras.is_empty() {
        return Ok(user);
    }
    let Some(name) = users.first().cloned() else {
        return Err(ApiError::bad_request(
            "requested impersonation of groups, a UID or extras without impersonating a user",
        ));
    };
    let check = |resource: &str, group: &str, namespace: &str, name: &str, sub: &str| Attributes {
        verb: "impersonate".into(),
        namespace: namespace.into(),
        api_group: group.into(),
        resource: resource.into(),
        subresource: sub.into(),
        name: name.into(),
        resource_request: true,
        path: String::new(),
    };
    let mut asked = Vec::new();
    let service_account = name
        .strip_prefix("system:serviceaccount:")
        .and_then(|rest| rest.split_once(':'))
        .map(|(ns, n)| (ns.to_string(), n.to_string()));
    match &service_account {
        Some((ns, n)) => asked.push(check("serviceaccounts", "", ns, n, "")),
        None => asked.push(check("users", "", "", &name, "")),
    }
    for g in &groups {
        asked.push(check("groups", "", "", g, ""));
    }
    for uid in &uids {
        asked.push(check("uids", "authentication.k8s.io", "", uid, ""));
    }
    for (key, value) in &extras {
        asked.push(check("userextras", "authentication.k8s.io", "", value, key));
    }
    for attrs in &asked {
        authorize(state, &user, attrs, None).await?;
    }
    let mut new_groups = groups;
    if let Some((ns, _)) = &service_account {
        for g in [
            "system:serviceaccounts".to_string(),
            format!("system:serviceaccounts:{ns}"),
        ] {
            if !new_groups.contains(&g) {
                new_groups.push(g);
            }
        }
    }
    let implicit = if name == super::ANONYMOUS {
        UNAUTHENTICATED
    } else {
        AUTHENTICATED
    };
    if !new_groups.iter().any(|g| g == implicit) {
        new_groups.push(implicit.to_string());
    }
    let mut extra = std::collections::BTreeMap::<String, Vec<String>>::new();
    for (key, value) in extras {
        extra.entry(key).or_default().push(value);
    }
    Ok(Arc::new(UserInfo {
        name,
        uid: uids.into_iter().next().unwrap_or_default(),
        groups: new_groups,
        extra,
    }))
}

/// The user of a valid bootstrap token: `system:bootstrap:<id>` in
/// `system:bootstrappers` (plus the Secret's `auth-extra-groups`).
pub async fn bootstrap_token_user(state: &ServerState, id: &str, secret: &str) -> Option<UserInfo> {
    let info = rest::info("", "secrets");
    let obj = state
        .registry
        .get(info, Some("kube-system"), &format!("bootstrap-token-{id}"))
        .await
        .ok()?;
    if obj["type"] != "bootstrap.kubernetes.io/token"
        || !obj["metadata"]["deletionTimestamp"].is_null()
    {
        return None;
    }
    let field = |k: &str| -> Option<String> {
        let encoded = obj["data"][k].as_str()?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .ok()?;
        String::from_utf8(bytes).ok()
    };
    let stored = field("token-secret")?;
    if !constant_time_eq(stored.as_bytes(), secret.as_bytes())
        || field("token-id").as_deref() != Some(id)
        || field("usage-bootstrap-authentication").as_deref() != Some("true")
    {
        return None;
    }
    if let Some(expiration) = field("expiration") {
        let expires: jiff::Timestamp = expiration.parse().ok()?;
        if expires <= jiff::Timestamp::now() {
            return None;
        }
    }
    let mut groups = vec![BOOTSTRAPPERS.to_string()];
    for g in field("auth-extra-groups").unwrap_or_default().split(',') {
        let g = g.trim();
        if g.starts_with("system:bootstrappers:") && !groups.iter().any(|x| x == g) {
            groups.push(g.to_string());
        }
    }
    groups.push(AUTHENTICATED.to_string());
    Some(UserInfo {
        name: format!("system:bootstrap:{id}"),
        uid: String::new(),
        groups,
        extra: Default::default(),
    })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The ServiceAccount a token was issued to, if the token verifies and the account
/// still exists with the same UID (deleting the account revokes its tokens).
pub async fn service_account_token_user(
    state: &ServerState,
    token: &str,
    audiences: &[&str],
) -> Option<UserInfo> {
    let keys = state.auth.service_accounts.as_ref()?;
    let claims = keys.verify(token, audiences)?;
    let ns = &claims.kubernetes.namespace;
    let name = &claims.kubernetes.serviceaccount.name;
    let account = state
        .registry
        .get(rest::info("", "serviceaccounts"), Some(ns), name)
        .await
        .ok()?;
    let uid = account["metadata"]["uid"].as_str()?;
    if uid != claims.kubernetes.serviceaccount.uid
        || !account["metadata"]["deletionTimestamp"].is_null()
    {
        return None;
    }
    Some(tokens::service_account_user(ns, name, uid))
}

/// Creates upstream's default ClusterRoles and ClusterRoleBindings that are missing.
pub async fn bootstrap_policy(state: &ServerState) -> ApiResult<()> {
    let roles = rest::info(RBAC_GROUP, "clusterroles");
    for role in bootstrap_cluster_roles() {
        create_missing(state, roles, serde_json::to_value(role)).await?;
    }
    let bindings = rest::info(RBAC_GROUP, "clusterrolebindings");
    for binding in bootstrap_cluster_role_bindings() {
        create_missing(state, bindings, serde_json::to_value(binding)).await?;
    }
    // bosun's scheduler elects its leader through `kube-system/bosun-scheduler` (upstream's
    // through `kube-scheduler`, which the default role covers): allow it that Lease.
    let labels = json!({"kubernetes.io/bootstrapping": "rbac-defaults"});
    create_missing(
        state,
        roles,
        Ok(json!({
            "metadata": {"name": "system:bosun:scheduler-leader-election", "labels": labels},
            "rules": [
                {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["create"]},
                {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "resourceNames": ["bosun-scheduler"], "verbs": ["get", "update"]},
            ],
        })),
    )
    .await?;
    create_missing(
        state,
        bindings,
        Ok(json!({
            "metadata": {"name": "system:bosun:scheduler-leader-election", "labels": labels},
            "roleRef": {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": "system:bosun:scheduler-leader-election"},
            "subjects": [{"apiGroup": RBAC_GROUP, "kind": "User", "name": "system:kube-scheduler"}],
        })),
    )
    .await?;
    Ok(())
}

/// Stores the join token as upstream's bootstrap token Secret (no expiry: it lives as
/// long as `DATA_DIR/node-token`; delete the Secret to revoke it).
pub async fn store_join_token(state: &ServerState, token: &str) -> ApiResult<()> {
    let Some((id, secret)) = tokens::parse_bootstrap_token(token) else {
        return Err(ApiError::internal(
            "the join token is not <6 chars>.<16 chars>",
        ));
    };
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let obj = json!({
        "metadata": {"name": format!("bootstrap-token-{id}"), "namespace": "kube-system"},
        "type": "bootstrap.kubernetes.io/token",
        "data": {
            "token-id": b64(id),
            "token-secret": b64(secret),
            "description": b64("bosun node join token (DATA_DIR/node-token)"),
            "usage-bootstrap-authentication": b64("true"),
            "usage-bootstrap-signing": b64("true"),
        },
    });
    match state
        .registry
        .create(
            rest::info("", "secrets"),
            Some("kube-system"),
            obj,
            &WriteOptions::default(),
        )
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if e.code == 409 => Ok(()),
        Err(e) => Err(e),
    }
}

async fn create_missing(
    state: &ServerState,
    info: &'static bosun_api::resources::ResourceInfo,
    obj: Result<Value, serde_json::Error>,
) -> ApiResult<()> {
    let obj = obj.map_err(|e| ApiError::internal(format!("default policy: {e}")))?;
    match state
        .registry
        .create(info, None, obj, &WriteOptions::default())
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if e.code == 409 => Ok(()),
        Err(e) => Err(e),
    }
}

async fn list_typed<T: serde::de::DeserializeOwned>(
    state: &ServerState,
    plural: &str,
) -> ApiResult<Vec<T>> {
    let page = state
        .registry
        .list(rest::info(RBAC_GROUP, plural), None, &ListParams::default())
        .await?;
    Ok(page
        .items
        .into_iter()
        .filter_map(|item| serde_json::from_value(item).ok())
        .collect())
}

/// Re-reads roles and bindings, writes back aggregated ClusterRoles whose rules
/// changed (upstream's aggregation controller), and swaps in a new snapshot.
pub async fn refresh_rbac(state: &ServerState) -> ApiResult<()> {
    let roles: Vec<Role> = list_typed(state, "roles").await?;
    let stored: Vec<ClusterRole> = list_typed(state, "clusterroles").await?;
    let role_bindings: Vec<RoleBinding> = list_typed(state, "rolebindings").await?;
    let cluster_bindings: Vec<ClusterRoleBinding> =
        list_typed(state, "clusterrolebindings").await?;
    let mut cluster_roles = stored.clone();
    aggregate_cluster_roles(&mut cluster_roles);
    for (before, after) in stored.iter().zip(&cluster_roles) {
        if after.aggregation_rule.is_some() && before.rules != after.rules {
            let rules = serde_json::to_value(&after.rules).unwrap_or(Value::Null);
            let name = after.metadata.name.clone().unwrap_or_default();
            let result = state
                .registry
                .mutate(
                    rest::info(RBAC_GROUP, "clusterroles"),
                    None,
                    &name,
                    |current| {
                        let mut next = current.clone();
                        next["rules"] = rules.clone();
                        Ok((next != *current).then_some(next))
                    },
                )
                .await;
            if let Err(err) = result {
                tracing::warn!(%err, role = %name, "aggregating cluster role");
            }
        }
    }
    state.auth.set_rbac(RbacSnapshot::new(
        roles,
        cluster_roles,
        role_bindings,
        cluster_bindings,
    ));
    Ok(())
}

/// Keeps the RBAC snapshot current: any change under the RBAC prefix re-reads it.
pub fn spawn_rbac_loop(state: Arc<ServerState>) {
    // Subscribed before the task first runs: a change written in between (the caller
    // loads the policy right after this) would otherwise be missed until the next one.
    let mut events = state.watch_cache.subscribe();
    tokio::spawn(async move {
        loop {
            let changed = match events.recv().await {
                Ok(event) => event
                    .key
                    .starts_with("/registry/rbac.authorization.k8s.io/"),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => true,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            };
            if !changed {
                continue;
            }
            // Coalesce a burst of changes into one re-read.
            while let Ok(_event) = events.try_recv() {}
            if let Err(err) = refresh_rbac(&state).await {
                tracing::warn!(%err, "refreshing RBAC policy");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(method: Method, uri: &str) -> Attributes {
        request_attributes(&method, &uri.parse().expect("uri"))
    }

    #[test]
    fn verbs_follow_upstreams_request_info() {
        let a = attrs(Method::GET, "/apis/apps/v1/namespaces/default/deployments");
        assert_eq!(
            (a.verb.as_str(), a.namespace.as_str(), a.api_group.as_str()),
            ("list", "default", "apps")
        );
        let a = attrs(Method::GET, "/api/v1/pods?watch=true&resourceVersion=5");
        assert_eq!((a.verb.as_str(), a.namespace.as_str()), ("watch", ""));
        let a = attrs(
            Method::PUT,
            "/apis/apps/v1/namespaces/x/deployments/web/scale",
        );
        assert_eq!(
            (a.verb.as_str(), a.subresource.as_str(), a.name.as_str()),
            ("update", "scale", "web")
        );
        let a = attrs(Method::DELETE, "/api/v1/namespaces/x/pods");
        assert_eq!(a.verb, "deletecollection");
        let a = attrs(Method::GET, "/api/v1/namespaces/team");
        assert_eq!(
            (a.resource.as_str(), a.namespace.as_str(), a.name.as_str()),
            ("namespaces", "team", "team")
        );
        let a = attrs(Method::GET, "/metrics");
        assert!(!a.resource_request);
        assert_eq!((a.verb.as_str(), a.path.as_str()), ("get", "/metrics"));
        let a = attrs(
            Method::POST,
            "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        );
        assert_eq!(
            (a.verb.as_str(), a.resource.as_str()),
            ("create", "selfsubjectaccessreviews")
        );
    }
}
