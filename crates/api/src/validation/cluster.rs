//! Cluster-level kinds: Namespaces, Nodes and ResourceQuotas.

use serde_json::Value;

use super::FieldError;
use super::kinds::kind_meta;
use super::meta;
use super::names;
use super::quantity;
use super::render;
use super::util::{Path, at, get, list_of, str_of};
use crate::resources::ResourceInfo;

pub(crate) fn validate_namespace(info: &ResourceInfo, obj: &Value) -> Vec<FieldError> {
    let mut errs = kind_meta(info, obj);
    let path = Path::root("spec").child("finalizers");
    let empty = Value::Null;
    for f in list_of(get(obj, "spec").unwrap_or(&empty), "finalizers") {
        let f = f.as_str().unwrap_or("");
        for msg in names::is_qualified_name(f) {
            errs.push(FieldError::invalid(&path, f, &msg));
        }
        if !f.contains('/') && !["kubernetes", "orphan", "foregroundDeletion"].contains(&f) {
            errs.push(FieldError::invalid(
                &path,
                f,
                "name is neither a standard finalizer name nor is it fully qualified",
            ));
        }
    }
    errs
}

pub(crate) fn validate_node(info: &ResourceInfo, obj: &Value) -> Vec<FieldError> {
    let mut errs = kind_meta(info, obj);
    errs.extend(validate_taints(obj));
    errs.extend(validate_node_resources(obj));
    let cidrs = at(obj, &["spec", "podCIDRs"])
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let cpath = Path::root("spec").child("podCIDRs");
    for (i, c) in cidrs.iter().enumerate() {
        let c = c.as_str().unwrap_or("");
        if !names::is_cidr(c) {
            errs.push(FieldError::invalid(
                &cpath.index(i),
                c,
                "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)",
            ));
        }
    }
    errs
}

/// Node taints, reported under `metadata.taints` as upstream does.
fn validate_taints(obj: &Value) -> Vec<FieldError> {
    let path = Path::root("metadata").child("taints");
    let mut errs = Vec::new();
    let mut unique: Vec<(&str, &str)> = Vec::new();
    let empty = Value::Null;
    for (i, t) in list_of(get(obj, "spec").unwrap_or(&empty), "taints")
        .iter()
        .enumerate()
    {
        let p = path.index(i);
        let (key, value, effect) = (str_of(t, "key"), str_of(t, "value"), str_of(t, "effect"));
        errs.extend(meta::validate_label_name(key, &p.child("key")));
        let msgs = names::is_valid_label_value(value);
        if !msgs.is_empty() {
            errs.push(FieldError::invalid(
                &p.child("value"),
                value,
                &msgs.join(";"),
            ));
        }
        match effect {
            "" => errs.push(FieldError::required(&p.child("effect"), "")),
            "NoSchedule" | "PreferNoSchedule" | "NoExecute" => {}
            other => errs.push(FieldError::not_supported(
                &p.child("effect"),
                other,
                &["NoSchedule", "PreferNoSchedule", "NoExecute"],
            )),
        }
        if unique.contains(&(effect, key)) {
            let mut e = FieldError::duplicate(&p, t.clone()).with_repr(format!(
                "core.Taint{{Key:{}, Value:{}, Effect:{}, TimeAdded:(*v1.Time)(nil)}}",
                render::go_quote(key),
                render::go_quote(value),
                render::go_quote(effect)
            ));
            e.detail = "taints must be unique by key and effect pair".to_string();
            errs.push(e);
            continue;
        }
        unique.push((effect, key));
    }
    errs
}

fn is_integer_resource(name: &str) -> bool {
    matches!(
        name,
        "pods"
            | "services"
            | "replicationcontrollers"
            | "resourcequotas"
            | "secrets"
            | "configmaps"
            | "persistentvolumeclaims"
            | "services.nodeports"
            | "services.loadbalancers"
    ) || (name.contains('/') && !name.contains("kubernetes.io/") && !name.starts_with("requests."))
}

/// `ValidateResourceQuantityValue` over one resource list.
fn validate_quantities(list: Option<&Value>, path: &Path, keyed: bool) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (name, raw) in list.and_then(Value::as_object).into_iter().flatten() {
        let p = if keyed {
            path.key(name)
        } else {
            path.child(name)
        };
        let Some(q) = quantity::from_json(raw) else {
            errs.push(FieldError::invalid(&p, raw.clone(), quantity::PARSE_ERROR));
            continue;
        };
        if q.is_negative() {
            errs.push(FieldError::invalid(
                &p,
                q.canonical(),
                "must be greater than or equal to 0",
            ));
        }
        if is_integer_resource(name) && !q.is_integer() {
            let original = raw
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| raw.to_string());
            errs.push(
                FieldError::invalid(&p, raw.clone(), "must be an integer")
                    .with_repr(q.go_repr(&original)),
            );
        }
    }
    errs
}

pub(crate) fn validate_node_resources(obj: &Value) -> Vec<FieldError> {
    let mut errs = validate_quantities(
        at(obj, &["status", "capacity"]),
        &Path::root("status").child("capacity"),
        false,
    );
    errs.extend(validate_quantities(
        at(obj, &["status", "allocatable"]),
        &Path::root("status").child("allocatable"),
        false,
    ));
    errs
}

pub(crate) fn validate_node_update_spec(obj: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let list = |o: &Value| -> Vec<Value> {
        at(o, &["spec", "podCIDRs"])
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let (new_cidrs, old_cidrs) = (list(obj), list(old));
    let cidr_msg = "node updates may not change podCIDR except from \"\" to valid";
    if !old_cidrs.is_empty() {
        if new_cidrs.len() != old_cidrs.len() {
            errs.push(FieldError::forbidden(
                &Path::root("spec").child("podCIDRs"),
                cidr_msg,
            ));
        } else {
            for (o, n) in old_cidrs.iter().zip(&new_cidrs) {
                if o != n {
                    errs.push(FieldError::forbidden(
                        &Path::root("spec").child("podCIDRs"),
                        cidr_msg,
                    ));
                }
            }
        }
    }
    let pid = |o: &Value| {
        at(o, &["spec", "providerID"])
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    if !pid(old).is_empty() && pid(old) != pid(obj) {
        errs.push(FieldError::forbidden(
            &Path::root("spec").child("providerID"),
            "node updates may not change providerID except from \"\" to valid",
        ));
    }
    errs.extend(validate_taints(obj));
    let ext = |o: &Value| at(o, &["spec", "externalID"]).cloned();
    if ext(obj) != ext(old) {
        errs.push(FieldError::forbidden(
            &Path::root("spec").child("externalID"),
            "may not be updated",
        ));
    }
    errs
}

const QUOTA_RESOURCES: &[&str] = &[
    "cpu",
    "memory",
    "ephemeral-storage",
    "requests.cpu",
    "requests.memory",
    "requests.storage",
    "requests.ephemeral-storage",
    "limits.cpu",
    "limits.memory",
    "limits.ephemeral-storage",
    "pods",
    "services",
    "replicationcontrollers",
    "resourcequotas",
    "secrets",
    "persistentvolumeclaims",
    "configmaps",
    "services.nodeports",
    "services.loadbalancers",
];

fn validate_quota_names(list: Option<&Value>, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (name, _) in list.and_then(Value::as_object).into_iter().flatten() {
        let p = path.key(name);
        let msgs = names::is_qualified_name(name);
        if !msgs.is_empty() {
            errs.extend(
                msgs.into_iter()
                    .map(|m| FieldError::invalid(&p, name.as_str(), &m)),
            );
            continue;
        }
        let standard = QUOTA_RESOURCES.contains(&name.as_str())
            || name.starts_with("requests.hugepages-")
            || name.starts_with("hugepages-");
        if !name.contains('/') && !standard {
            errs.push(FieldError::invalid(
                &p,
                name.as_str(),
                "must be a standard resource type or fully qualified",
            ));
            errs.push(FieldError::invalid(
                &p,
                name.as_str(),
                "must be a standard resource for quota",
            ));
        }
    }
    errs
}

pub(crate) fn validate_quota_spec(obj: &Value) -> Vec<FieldError> {
    let hard_path = Path::root("spec").child("hard");
    let hard = at(obj, &["spec", "hard"]);
    let mut errs = validate_quota_names(hard, &hard_path);
    errs.extend(validate_quantities(hard, &hard_path, true));
    errs
}

pub(crate) fn validate_resource_quota(info: &ResourceInfo, obj: &Value) -> Vec<FieldError> {
    let mut errs = kind_meta(info, obj);
    errs.extend(validate_quota_spec(obj));
    for key in ["hard", "used"] {
        let p = Path::root("status").child(key);
        let list = at(obj, &["status", key]);
        errs.extend(validate_quota_names(list, &p));
        errs.extend(validate_quantities(list, &p, true));
    }
    errs
}
