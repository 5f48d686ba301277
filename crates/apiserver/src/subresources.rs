//! Subresources with their own shapes: `scale` (autoscaling/v1 Scale over a workload's
//! `spec.replicas`), pod `binding` and `eviction`, namespace `finalize`.

use std::sync::Arc;

use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use bosun_api::resources::ResourceInfo;
use bosun_api::selector::LabelSelector;
use serde_json::{Value, json};

use crate::ServerState;
use crate::error::{ApiError, ApiResult};
use crate::http::{Query, json_response};
use crate::object;
use crate::patch::Patch;
use crate::registry::{Deleted, Part};
use crate::rest::{self, decode_body, write_options};

/// The Scale view of a workload.
fn scale_of(obj: &Value) -> Value {
    let meta = object::meta(obj).cloned().unwrap_or_default();
    let selector = obj
        .pointer("/spec/selector")
        .map(|s| {
            if s.get("matchLabels").is_some() || s.get("matchExpressions").is_some() {
                LabelSelector::from_label_selector(s)
                    .map(|s| s.to_string())
                    .unwrap_or_default()
            } else {
                // ReplicationControllers have a plain label map as selector.
                s.as_object()
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                            .collect::<Vec<_>>()
                            .join(",")
                    })
                    .unwrap_or_default()
            }
        })
        .unwrap_or_default();
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": meta.get("name"),
            "namespace": meta.get("namespace"),
            "uid": meta.get("uid"),
            "resourceVersion": meta.get("resourceVersion"),
            "creationTimestamp": meta.get("creationTimestamp"),
        },
        "spec": {"replicas": obj.pointer("/spec/replicas").cloned().unwrap_or(json!(1))},
        "status": {
            "replicas": obj.pointer("/status/replicas").cloned().unwrap_or(json!(0)),
            "selector": selector,
        },
    })
}

#[allow(clippy::too_many_arguments)]
pub async fn scale(
    state: &Arc<ServerState>,
    method: &Method,
    headers: &HeaderMap,
    query: &Query,
    info: &'static ResourceInfo,
    ns: Option<&str>,
    name: &str,
    body: &[u8],
) -> ApiResult<Response> {
    let registry = &state.registry;
    let current = registry.get(info, ns, name).await?;
    let current_scale = scale_of(&current);
    let wanted = match *method {
        Method::GET => return Ok(json_response(StatusCode::OK, &current_scale)),
        Method::PUT => decode_body(headers, body)?,
        Method::PATCH => {
            let patch = Patch::parse(rest::content_type(headers), body)?;
            patch.apply("io.k8s.api.autoscaling.v1.Scale", &current_scale)?
        }
        _ => {
            return Err(ApiError::method_not_allowed(
                "the server does not allow this method on the requested resource",
            ));
        }
    };
    let replicas = wanted
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    if replicas < 0 {
        return Err(ApiError::new(
            422,
            "Invalid",
            format!(
                "Scale.autoscaling \"{name}\" is invalid: spec.replicas: Invalid value: {replicas}: must be greater than or equal to 0"
            ),
        ));
    }
    let mut next = current.clone();
    next["spec"]["replicas"] = json!(replicas);
    match object::meta_str(&wanted, "resourceVersion").filter(|rv| !rv.is_empty()) {
        Some(rv) => object::meta_mut(&mut next).insert("resourceVersion".into(), json!(rv)),
        None => object::meta_mut(&mut next).remove("resourceVersion"),
    };
    let written = registry
        .update(info, ns, name, next, Part::Main, &write_options(query)?)
        .await?;
    Ok(json_response(StatusCode::OK, &scale_of(&written.object)))
}

fn pods() -> &'static ResourceInfo {
    rest::info("", "pods")
}

/// `POST pods/<name>/binding`: assigns a pending pod to a node, once.
pub async fn bind(
    state: &Arc<ServerState>,
    ns: Option<&str>,
    name: &str,
    binding: &Value,
    opts: &crate::registry::WriteOptions,
) -> ApiResult<Response> {
    let node = binding
        .pointer("/target/name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| {
            ApiError::new(
                422,
                "Invalid",
                format!("Binding \"{name}\" is invalid: target.name: Required value"),
            )
        })?
        .to_string();
    let info = pods();
    if opts.dry_run {
        state.registry.get(info, ns, name).await?;
    } else {
        state
            .registry
            .mutate(info, ns, name, |pod| {
                if object::is_deleting(pod) {
                    return Err(ApiError::conflict_message(
                        info,
                        name,
                        "pod is being deleted, cannot be assigned to a host",
                    ));
                }
                if let Some(existing) = pod
                    .pointer("/spec/nodeName")
                    .and_then(Value::as_str)
                    .filter(|n| !n.is_empty())
                {
                    return Err(ApiError::conflict_message(
                        info,
                        name,
                        &format!("pod {name} is already assigned to node \"{existing}\""),
                    ));
                }
                let mut next = pod.clone();
                next["spec"]["nodeName"] = json!(node);
                let mut conditions: Vec<Value> = next
                    .pointer("/status/conditions")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                conditions.retain(|c| c["type"] != "PodScheduled");
                conditions.push(json!({
                    "type": "PodScheduled",
                    "status": "True",
                    "lastProbeTime": null,
                    "lastTransitionTime": object::now_rfc3339(),
                }));
                next["status"]["conditions"] = json!(conditions);
                Ok(Some(next))
            })
            .await?;
    }
    Ok(json_response(
        StatusCode::CREATED,
        &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}),
    ))
}

/// `POST pods/<name>/eviction`: a delete through the eviction API (no disruption
/// budgets are served, so every eviction is allowed).
pub async fn evict(
    state: &Arc<ServerState>,
    ns: Option<&str>,
    name: &str,
    eviction: &Value,
) -> ApiResult<Response> {
    let delete_body = eviction
        .get("deleteOptions")
        .map(|o| serde_json::to_vec(o).unwrap_or_default())
        .unwrap_or_default();
    let opts = rest::delete_options(&Query::new(), &delete_body)?;
    match state.registry.delete(pods(), ns, name, &opts).await? {
        Deleted::Gone(_) | Deleted::Pending(_) => Ok(json_response(
            StatusCode::CREATED,
            &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}),
        )),
    }
}

/// `PUT namespaces/<name>/finalize`: replaces `spec.finalizers`; a terminating namespace
/// with none left is deleted.
pub async fn finalize_namespace(
    state: &Arc<ServerState>,
    name: &str,
    obj: Value,
) -> ApiResult<Response> {
    let info = rest::info("", "namespaces");
    let finalizers = obj
        .pointer("/spec/finalizers")
        .cloned()
        .unwrap_or(json!([]));
    let result = state
        .registry
        .mutate(info, None, name, |ns| {
            let mut next = ns.clone();
            next["spec"]["finalizers"] = finalizers.clone();
            Ok(Some(next))
        })
        .await?;
    Ok(json_response(StatusCode::OK, &result))
}
