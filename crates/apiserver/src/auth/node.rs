//! Nodes may touch only what is theirs (upstream's Node authorizer plus the
//! NodeRestriction admission plugin): their own Node and Lease, the status of pods
//! bound to them, and only the Secrets and ConfigMaps those pods use. Everything else
//! a node does is judged by the `system:node` role's rules.

use axum::body::Body;
use axum::extract::Request;
use bosun_api::rbac::{Attributes, Decision, RbacSnapshot, UserInfo, bootstrap_cluster_roles};
use k8s_openapi::api::rbac::v1::{ClusterRoleBinding, RoleRef, Subject};
use serde_json::Value;

use super::NODES;
use crate::error::{ApiError, ApiResult};
use crate::http::MAX_BODY;
use crate::registry::ListParams;
use crate::{ServerState, rest};

pub enum NodeDecision {
    Allow,
    Deny(String),
    NoOpinion,
}

/// The node a `system:node:<name>` user in `system:nodes` speaks for.
pub fn node_name(user: &UserInfo) -> Option<&str> {
    if !user.groups.iter().any(|g| g == NODES) {
        return None;
    }
    user.name
        .strip_prefix("system:node:")
        .filter(|n| !n.is_empty())
}

/// The `system:node` ClusterRole bound to every node.
pub fn node_rules() -> RbacSnapshot {
    let role = bootstrap_cluster_roles()
        .into_iter()
        .filter(|r| r.metadata.name.as_deref() == Some("system:node"))
        .collect();
    let binding = ClusterRoleBinding {
        metadata: Default::default(),
        role_ref: RoleRef {
            api_group: Some("rbac.authorization.k8s.io".into()),
            kind: "ClusterRole".into(),
            name: "system:node".into(),
        },
        subjects: Some(vec![Subject {
            kind: "Group".into(),
            name: NODES.into(),
            api_group: Some("rbac.authorization.k8s.io".into()),
            namespace: None,
        }]),
    };
    RbacSnapshot::new(Vec::new(), role, Vec::new(), vec![binding])
}

/// For a node creating its Node or Lease, reads the name from the body (and puts the
/// body back) so node restriction can check it.
pub async fn peek_created_name(
    user: &UserInfo,
    request: Request,
) -> ApiResult<(Request, Option<String>)> {
    if node_name(user).is_none() || request.method() != axum::http::Method::POST {
        return Ok((request, None));
    }
    let path = request.uri().path();
    let watched = matches!(
        crate::http::parse_path(path),
        Some(crate::http::Target::Resource(ref t))
            if t.name.is_none() && matches!(t.info.plural, "nodes" | "leases")
    );
    if !watched {
        return Ok((request, None));
    }
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| ApiError::too_large())?;
    let name = serde_json::from_slice::<Value>(&bytes)
        .ok()
        .and_then(|v| v["metadata"]["name"].as_str().map(str::to_string));
    Ok((Request::from_parts(parts, Body::from(bytes)), name))
}

/// Node restriction on writes: 403 with upstream's wording when a node reaches past
/// what is its own.
pub async fn admit(
    state: &ServerState,
    node: &str,
    attrs: &Attributes,
    name_in_body: Option<&str>,
) -> ApiResult<()> {
    let writes = matches!(
        attrs.verb.as_str(),
        "create" | "update" | "patch" | "delete" | "deletecollection"
    );
    if !attrs.resource_request || !writes {
        return Ok(());
    }
    let target = if attrs.verb == "create" {
        name_in_body.unwrap_or_default()
    } else {
        attrs.name.as_str()
    };
    match (attrs.api_group.as_str(), attrs.resource.as_str()) {
        ("", "nodes") if target != node => Err(ApiError::forbidden(
            rest::info("", "nodes"),
            target,
            &format!("node \"{node}\" is not allowed to modify node \"{target}\""),
        )),
        ("coordination.k8s.io", "leases")
            if attrs.namespace == "kube-node-lease" && target != node =>
        {
            Err(ApiError::forbidden(
                rest::info("coordination.k8s.io", "leases"),
                target,
                "can only access node lease with the same name as the requesting node",
            ))
        }
        ("", "pods") => admit_pod(state, node, attrs).await,
        _ => Ok(()),
    }
}

async fn admit_pod(state: &ServerState, node: &str, attrs: &Attributes) -> ApiResult<()> {
    let pods = rest::info("", "pods");
    let why = match (attrs.verb.as_str(), attrs.subresource.as_str()) {
        ("create", "") => {
            return Err(ApiError::forbidden(
                pods,
                "",
                &format!(
                    "pod does not have \"kubernetes.io/config.mirror\" annotation, node \"{node}\" can only create mirror pods"
                ),
            ));
        }
        ("update" | "patch", "status") => {
            format!(
                "node \"{node}\" can only update pod status for pods with spec.nodeName set to itself"
            )
        }
        ("delete", "") => {
            format!("node \"{node}\" can only delete pods with spec.nodeName set to itself")
        }
        ("deletecollection", _) => {
            return Err(ApiError::forbidden(
                pods,
                "",
                &format!("node \"{node}\" can only delete pods one at a time"),
            ));
        }
        _ => format!("node \"{node}\" can only modify the status of pods bound to it"),
    };
    let ns = Some(attrs.namespace.as_str()).filter(|n| !n.is_empty());
    match state.registry.get(pods, ns, &attrs.name).await {
        Ok(pod) if pod["spec"]["nodeName"].as_str() == Some(node) => Ok(()),
        // A pod that is gone is the handler's 404 to give.
        Err(e) if e.code == 404 => Ok(()),
        Err(e) => Err(e),
        Ok(_) => Err(ApiError::forbidden(pods, &attrs.name, &why)),
    }
}

/// The node authorizer: Secrets and ConfigMaps only through a pod bound to the node;
/// everything else by the `system:node` rules (no opinion when they do not allow).
pub async fn authorize(
    state: &ServerState,
    node: &str,
    user: &UserInfo,
    attrs: &Attributes,
) -> ApiResult<NodeDecision> {
    let graph_kind = attrs.resource_request
        && attrs.api_group.is_empty()
        && matches!(attrs.resource.as_str(), "secrets" | "configmaps");
    if !graph_kind {
        return Ok(match state.auth.node_rules.authorize(user, attrs) {
            Decision::Allow => NodeDecision::Allow,
            Decision::Deny { .. } => NodeDecision::NoOpinion,
        });
    }
    if attrs.verb != "get" || attrs.name.is_empty() {
        return Ok(NodeDecision::Deny(
            "can only get individual resources of this type".to_string(),
        ));
    }
    let selector = bosun_api::selector::FieldSelector::parse(&format!("spec.nodeName={node}"))
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let params = ListParams {
        field_selector: Some(selector),
        ..Default::default()
    };
    let ns = Some(attrs.namespace.as_str()).filter(|n| !n.is_empty());
    let pods = state
        .registry
        .list(rest::info("", "pods"), ns, &params)
        .await?;
    let used = pods
        .items
        .iter()
        .any(|pod| pod_references(pod, &attrs.resource, &attrs.name));
    Ok(if used {
        NodeDecision::Allow
    } else {
        NodeDecision::Deny(format!(
            "no relationship found between node '{node}' and this object"
        ))
    })
}

/// Whether a pod uses the Secret or ConfigMap `name` (volumes, projected sources,
/// env and envFrom of every container, image pull secrets).
fn pod_references(pod: &Value, resource: &str, name: &str) -> bool {
    let spec = &pod["spec"];
    let is = |v: &Value| v.as_str() == Some(name);
    let (volume_key, volume_name, env_key) = match resource {
        "secrets" => ("secret", "secretName", "secretKeyRef"),
        _ => ("configMap", "name", "configMapKeyRef"),
    };
    let env_from_key = if resource == "secrets" {
        "secretRef"
    } else {
        "configMapRef"
    };
    let empty = Vec::new();
    let list = |v: &Value| v.as_array().unwrap_or(&empty).clone();
    for volume in list(&spec["volumes"]) {
        if is(&volume[volume_key][volume_name]) {
            return true;
        }
        for source in list(&volume["projected"]["sources"]) {
            if is(&source[volume_key]["name"]) {
                return true;
            }
        }
    }
    if resource == "secrets"
        && list(&spec["imagePullSecrets"])
            .iter()
            .any(|s| is(&s["name"]))
    {
        return true;
    }
    ["containers", "initContainers", "ephemeralContainers"]
        .iter()
        .flat_map(|k| list(&spec[*k]))
        .any(|c| {
            list(&c["env"])
                .iter()
                .any(|e| is(&e["valueFrom"][env_key]["name"]))
                || list(&c["envFrom"])
                    .iter()
                    .any(|e| is(&e[env_from_key]["name"]))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pods_reference_secrets_and_configmaps_in_every_place() {
        let pod = json!({"spec": {
            "volumes": [{"name": "a", "secret": {"secretName": "vol-secret"}},
                        {"name": "b", "configMap": {"name": "vol-cm"}},
                        {"name": "c", "projected": {"sources": [{"secret": {"name": "proj-secret"}}]}}],
            "imagePullSecrets": [{"name": "pull"}],
            "containers": [{"name": "c", "env": [{"name": "X", "valueFrom": {"configMapKeyRef": {"name": "env-cm", "key": "k"}}}],
                            "envFrom": [{"secretRef": {"name": "envfrom-secret"}}]}]
        }});
        for s in ["vol-secret", "proj-secret", "pull", "envfrom-secret"] {
            assert!(pod_references(&pod, "secrets", s), "{s}");
        }
        for c in ["vol-cm", "env-cm"] {
            assert!(pod_references(&pod, "configmaps", c), "{c}");
        }
        assert!(!pod_references(&pod, "secrets", "vol-cm"));
        assert!(!pod_references(&pod, "configmaps", "other"));
    }

    #[test]
    fn only_node_group_members_are_nodes() {
        let mut user = super::super::user("system:node:n1", &[NODES]);
        assert_eq!(node_name(&user), Some("n1"));
        user.groups.retain(|g| g != NODES);
        assert_eq!(node_name(&user), None);
    }
}
