//! Per-kind validation entry points: upstream's registry strategies' `Validate` and
//! `ValidateUpdate`, dispatching to the modules of each kind.

use serde_json::Value;

use super::FieldError;
use super::cluster::{
    validate_namespace, validate_node, validate_node_resources, validate_node_update_spec,
    validate_quota_spec, validate_resource_quota,
};
use super::config::{validate_config_map, validate_secret};
use super::events::{
    CORE_EVENT_FIELDS, EVENTS_V1_FIELDS, validate_events_v1_update, validate_lease_spec,
    validate_legacy_event, validate_strict_event,
};
use super::meta::{self, meta_create, meta_update, name_rule};
use super::pod;
use super::render;
use super::service::{validate_cluster_ips_update, validate_service};
use super::util::{Path, at, get, list_of, str_of};
use super::workloads;
use crate::resources::ResourceInfo;

pub(crate) fn kind_meta(info: &ResourceInfo, obj: &Value) -> Vec<FieldError> {
    meta_create(
        get(obj, "metadata"),
        info.namespaced,
        name_rule(info),
        meta::checks_kube_finalizers(info),
        &Path::root("metadata"),
    )
}

fn kind_meta_update(info: &ResourceInfo, obj: &Value, old: &Value) -> Vec<FieldError> {
    meta_update(
        obj,
        old,
        &Path::root("metadata"),
        meta::checks_kube_finalizers(info),
    )
}

pub(crate) fn validate_kind_create(info: &ResourceInfo, obj: &Value) -> Vec<FieldError> {
    match (info.group, info.kind) {
        ("", "Pod") => pod::validate_pod_create(obj),
        ("apps", "Deployment") => {
            let mut errs = kind_meta(info, obj);
            errs.extend(workloads::validate_deployment_spec(obj));
            errs
        }
        ("apps", "ReplicaSet") => {
            let mut errs = kind_meta(info, obj);
            errs.extend(workloads::validate_replica_set_spec(obj));
            errs
        }
        ("", "ReplicationController") => {
            let mut errs = kind_meta(info, obj);
            errs.extend(workloads::validate_replication_controller_spec(obj));
            errs
        }
        ("", "Service") => validate_service(info, obj),
        ("", "ConfigMap") => validate_config_map(info, obj),
        ("", "Secret") => validate_secret(info, obj),
        ("", "Namespace") => validate_namespace(info, obj),
        ("", "Node") => validate_node(info, obj),
        ("", "ResourceQuota") => validate_resource_quota(info, obj),
        ("", "Event") => validate_legacy_event(obj, &CORE_EVENT_FIELDS),
        ("events.k8s.io", "Event") => {
            let mut errs = validate_legacy_event(obj, &EVENTS_V1_FIELDS);
            errs.extend(validate_strict_event(info, obj));
            errs
        }
        ("coordination.k8s.io", "Lease") => {
            let mut errs = kind_meta(info, obj);
            errs.extend(validate_lease_spec(obj));
            errs
        }
        ("rbac.authorization.k8s.io", "Role" | "ClusterRole") => {
            let mut errs = kind_meta(info, obj);
            errs.extend(super::rbac::validate_role(obj, info.namespaced));
            errs
        }
        ("rbac.authorization.k8s.io", "RoleBinding" | "ClusterRoleBinding") => {
            let mut errs = kind_meta(info, obj);
            errs.extend(super::rbac::validate_binding(obj, info.namespaced));
            errs
        }
        // ServiceAccount and kinds without rules of their own: metadata only.
        _ => kind_meta(info, obj),
    }
}

pub(crate) fn validate_kind_update(
    info: &ResourceInfo,
    obj: &Value,
    old: &Value,
) -> Vec<FieldError> {
    match (info.group, info.kind) {
        ("", "Pod") => pod::validate_pod_update(obj, old),
        ("apps", "Deployment") => {
            let mut errs = kind_meta_update(info, obj, old);
            errs.extend(workloads::validate_deployment_spec(obj));
            errs.extend(workloads::validate_selector_immutable(obj, old));
            errs
        }
        ("apps", "ReplicaSet") => {
            let mut errs = kind_meta_update(info, obj, old);
            errs.extend(workloads::validate_replica_set_spec(obj));
            errs.extend(workloads::validate_selector_immutable(obj, old));
            errs
        }
        ("", "ReplicationController") => {
            let mut errs = kind_meta_update(info, obj, old);
            errs.extend(workloads::validate_replication_controller_spec(obj));
            errs
        }
        ("", "Service") => {
            let mut errs = kind_meta_update(info, obj, old);
            errs.extend(validate_cluster_ips_update(obj, old));
            errs.extend(validate_service(info, obj));
            errs
        }
        ("", "ConfigMap") => {
            let mut errs = kind_meta_update(info, obj, old);
            errs.extend(validate_immutable_data(obj, old, &["data", "binaryData"]));
            errs.extend(validate_config_map(info, obj));
            errs
        }
        ("", "Secret") => {
            let mut errs = kind_meta_update(info, obj, old);
            let (new_type, old_type) = (str_of(obj, "type"), str_of(old, "type"));
            if new_type != old_type {
                errs.push(FieldError::invalid(
                    &Path::root("type"),
                    new_type,
                    "field is immutable",
                ));
            }
            errs.extend(validate_immutable_data(obj, old, &["data"]));
            errs.extend(validate_secret(info, obj));
            errs
        }
        ("", "Node") => {
            let mut errs = kind_meta_update(info, obj, old);
            errs.extend(validate_node_resources(obj));
            errs.extend(validate_node_update_spec(obj, old));
            errs
        }
        ("", "ResourceQuota") => {
            let mut errs = kind_meta_update(info, obj, old);
            errs.extend(validate_quota_spec(obj));
            let scopes = |o: &Value| {
                let mut s: Vec<String> =
                    list_of(at(o, &["spec"]).unwrap_or(&Value::Null), "scopes")
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect();
                s.sort();
                s.dedup();
                s
            };
            if scopes(obj) != scopes(old) {
                let v = at(obj, &["spec", "scopes"]).cloned().unwrap_or(Value::Null);
                let repr = scope_list_repr(&v);
                errs.push(
                    FieldError::invalid(
                        &Path::root("spec").child("scopes"),
                        v,
                        "field is immutable",
                    )
                    .with_repr(repr),
                );
            }
            errs
        }
        ("", "Event") => validate_legacy_event(obj, &CORE_EVENT_FIELDS),
        ("events.k8s.io", "Event") => {
            let mut errs = validate_legacy_event(obj, &EVENTS_V1_FIELDS);
            errs.extend(kind_meta_update(info, obj, old));
            errs.extend(validate_events_v1_update(obj, old));
            errs
        }
        ("coordination.k8s.io", "Lease") => {
            let mut errs = kind_meta_update(info, obj, old);
            errs.extend(validate_lease_spec(obj));
            errs
        }
        // Namespaces, ServiceAccounts and other kinds: metadata rules only (a ServiceAccount
        // is also re-validated as on create).
        ("", "ServiceAccount") => {
            let mut errs = kind_meta_update(info, obj, old);
            errs.extend(kind_meta(info, obj));
            errs
        }
        ("rbac.authorization.k8s.io", "Role" | "ClusterRole") => {
            let mut errs = kind_meta_update(info, obj, old);
            errs.extend(super::rbac::validate_role(obj, info.namespaced));
            errs
        }
        ("rbac.authorization.k8s.io", "RoleBinding" | "ClusterRoleBinding") => {
            let mut errs = kind_meta_update(info, obj, old);
            errs.extend(super::rbac::validate_binding(obj, info.namespaced));
            errs.extend(super::rbac::validate_binding_update(obj, old));
            errs
        }
        _ => kind_meta_update(info, obj, old),
    }
}

fn scope_list_repr(v: &Value) -> String {
    match v.as_array() {
        None => "[]core.ResourceQuotaScope(nil)".to_string(),
        Some(a) => {
            let items: Vec<String> = a
                .iter()
                .map(|s| render::go_quote(s.as_str().unwrap_or("")))
                .collect();
            format!("[]core.ResourceQuotaScope{{{}}}", items.join(", "))
        }
    }
}

/// `immutable: true` freezes the data of ConfigMaps and Secrets.
fn validate_immutable_data(obj: &Value, old: &Value, keys: &[&str]) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if get(old, "immutable").and_then(Value::as_bool) != Some(true) {
        return errs;
    }
    if get(obj, "immutable").and_then(Value::as_bool) != Some(true) {
        errs.push(FieldError::forbidden(
            &Path::root("immutable"),
            "field is immutable when `immutable` is set",
        ));
    }
    for key in keys {
        let norm = |o: &Value| {
            get(o, key)
                .filter(|v| super::util::len_of(Some(v)) > 0)
                .cloned()
        };
        if norm(obj) != norm(old) {
            errs.push(FieldError::forbidden(
                &Path::root(key),
                "field is immutable when `immutable` is set",
            ));
        }
    }
    errs
}
