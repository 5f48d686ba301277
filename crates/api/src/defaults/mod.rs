//! Upstream's defaulting of create and update bodies (`pkg/apis/*/v1/defaults.go`, the
//! generated declarative defaults, and the few registry and conversion steps whose effect a
//! client sees the same way: namespace finalizers, Secret `stringData`, canonical quantities),
//! plus the admission defaults a Pod gets on create. Works on raw JSON; a field is "unset"
//! when absent or `null`, and where upstream's Go code tests for a zero value, also when it
//! holds that zero value (`""`, `0`).

mod pod;

#[cfg(test)]
mod tests;

use serde_json::{Map, Value, json};

use crate::resources::ResourceInfo;

pub use pod::{TolerationSeconds, apply_pod_admission_defaults};

/// Fills upstream's defaults into a create/update body (after metadata handling, before
/// validation).
pub fn apply_defaults(info: &ResourceInfo, obj: &mut Value) {
    match (info.group, info.kind) {
        ("apps", "Deployment") => default_deployment(obj),
        ("apps", "ReplicaSet") => {
            let spec = child_obj(obj, "spec");
            set_if_absent(spec, "replicas", json!(1));
            default_template(spec, true);
        }
        ("", "ReplicationController") => default_replication_controller(obj),
        ("", "Pod") => pod::default_pod(obj),
        ("", "Service") => default_service(obj),
        ("", "Secret") => default_secret(obj),
        ("", "Namespace") => default_namespace(obj),
        ("", "Node") => default_node(obj),
        ("", "ResourceQuota") => {
            for path in [["spec", "hard"], ["status", "hard"], ["status", "used"]] {
                if let Some(list) = get_mut_path(obj, &path) {
                    canonicalize_quantities(list);
                }
            }
        }
        _ => {}
    }
}

/// The object at `key`, created (or replaced when not an object) as needed.
pub(crate) fn child_obj<'a>(v: &'a mut Value, key: &str) -> &'a mut Value {
    if !v.is_object() {
        *v = Value::Object(Map::new());
    }
    match v {
        Value::Object(m) => {
            let entry = m
                .entry(key.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            entry
        }
        // Not reachable: `v` was made an object above.
        other => other,
    }
}

/// The number of entries of an object (0 when absent or not an object).
fn map_len(v: Option<&Value>) -> usize {
    v.and_then(Value::as_object).map_or(0, Map::len)
}

/// Whether `key` is unset: absent or `null`.
pub(crate) fn is_unset(v: &Value, key: &str) -> bool {
    matches!(v.get(key), None | Some(Value::Null))
}

/// Whether `key` is unset or holds Go's zero value for its type.
pub(crate) fn is_zero(v: &Value, key: &str) -> bool {
    match v.get(key) {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        Some(Value::Number(n)) => n.as_f64() == Some(0.0),
        Some(Value::Bool(b)) => !b,
        Some(_) => false,
    }
}

pub(crate) fn set_if_absent(v: &mut Value, key: &str, default: Value) {
    if is_unset(v, key)
        && let Value::Object(m) = v
    {
        m.insert(key.to_string(), default);
    }
}

pub(crate) fn set_if_zero(v: &mut Value, key: &str, default: Value) {
    if is_zero(v, key)
        && let Value::Object(m) = v
    {
        m.insert(key.to_string(), default);
    }
}

pub(crate) fn get_mut_path<'a>(v: &'a mut Value, path: &[&str]) -> Option<&'a mut Value> {
    let mut cur = v;
    for key in path {
        cur = cur.get_mut(*key)?;
        if cur.is_null() {
            return None;
        }
    }
    Some(cur)
}

/// Rounds every quantity of a resource list up to milli-units and writes it in upstream's
/// canonical form; values that do not parse are left for validation to report.
pub(crate) fn canonicalize_quantities(list: &mut Value) {
    let Value::Object(m) = list else { return };
    for value in m.values_mut() {
        if let Some(mut q) = crate::validation::quantity::from_json(value) {
            q.round_up(-3);
            *value = Value::String(q.canonical());
        }
    }
}

fn default_deployment(obj: &mut Value) {
    let spec = child_obj(obj, "spec");
    set_if_absent(spec, "replicas", json!(1));
    let strategy = child_obj(spec, "strategy");
    set_if_zero(strategy, "type", json!("RollingUpdate"));
    if strategy.get("type").and_then(Value::as_str) == Some("RollingUpdate") {
        let rolling = child_obj(strategy, "rollingUpdate");
        set_if_absent(rolling, "maxUnavailable", json!("25%"));
        set_if_absent(rolling, "maxSurge", json!("25%"));
    }
    set_if_absent(spec, "revisionHistoryLimit", json!(10));
    set_if_absent(spec, "progressDeadlineSeconds", json!(600));
    default_template(spec, true);
}

/// The defaults of a workload's `spec.template` (pod-spec level only, no Pod-level ones).
/// Deployments and ReplicaSets hold their template by value, so upstream defaults an absent
/// one too; a ReplicationController's template is optional and only defaulted when present.
fn default_template(spec: &mut Value, by_value: bool) {
    if by_value {
        let template = child_obj(spec, "template");
        pod::default_pod_spec(child_obj(template, "spec"));
    } else if let Some(template) = spec.get_mut("template").filter(|t| t.is_object()) {
        pod::default_pod_spec(child_obj(template, "spec"));
    }
}

fn default_replication_controller(obj: &mut Value) {
    let template_labels = obj
        .get("spec")
        .and_then(|s| s.get("template"))
        .and_then(|t| t.get("metadata"))
        .and_then(|m| m.get("labels"))
        .filter(|l| l.is_object())
        .cloned();
    if let Some(labels) = template_labels {
        let spec = child_obj(obj, "spec");
        if map_len(spec.get("selector")) == 0 {
            spec["selector"] = labels.clone();
        }
        let meta = child_obj(obj, "metadata");
        if map_len(meta.get("labels")) == 0 {
            meta["labels"] = labels;
        }
    }
    let spec = child_obj(obj, "spec");
    set_if_absent(spec, "replicas", json!(1));
    default_template(spec, false);
}

fn default_service(obj: &mut Value) {
    let spec = child_obj(obj, "spec");
    set_if_zero(spec, "sessionAffinity", json!("None"));
    let affinity = spec
        .get("sessionAffinity")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if affinity == "None" {
        if let Value::Object(m) = spec {
            m.remove("sessionAffinityConfig");
        }
    } else if affinity == "ClientIP" {
        let has_timeout = spec
            .get("sessionAffinityConfig")
            .and_then(|c| c.get("clientIP"))
            .and_then(|c| c.get("timeoutSeconds"))
            .is_some_and(|t| !t.is_null());
        if !has_timeout {
            spec["sessionAffinityConfig"] = json!({ "clientIP": { "timeoutSeconds": 10800 } });
        }
    }
    set_if_zero(spec, "type", json!("ClusterIP"));
    if let Some(Value::Array(ports)) = spec.get_mut("ports") {
        for port in ports.iter_mut().filter(|p| p.is_object()) {
            set_if_zero(port, "protocol", json!("TCP"));
            let target_unset = match port.get("targetPort") {
                None | Some(Value::Null) => true,
                Some(Value::String(s)) => s.is_empty(),
                Some(v) => v.as_i64() == Some(0),
            };
            if target_unset {
                let p = port.get("port").cloned().unwrap_or(json!(0));
                port["targetPort"] = p;
            }
        }
    }
    let ty = spec
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let has_external_ips = spec
        .get("externalIPs")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty());
    let externally_accessible =
        ty == "LoadBalancer" || ty == "NodePort" || (ty == "ClusterIP" && has_external_ips);
    if externally_accessible {
        set_if_zero(spec, "externalTrafficPolicy", json!("Cluster"));
    }
    if matches!(ty.as_str(), "NodePort" | "LoadBalancer" | "ClusterIP") {
        set_if_absent(spec, "internalTrafficPolicy", json!("Cluster"));
    }
    if ty == "LoadBalancer" {
        set_if_absent(spec, "allocateLoadBalancerNodePorts", json!(true));
        if let Some(Value::Array(ingress)) =
            get_mut_path(obj, &["status", "loadBalancer", "ingress"])
        {
            for ing in ingress.iter_mut().filter(|i| i.is_object()) {
                if !is_zero(ing, "ip") {
                    set_if_absent(ing, "ipMode", json!("VIP"));
                }
            }
        }
    }
}

/// Secrets: type `Opaque`, and `stringData` merged into `data` (as upstream's conversion
/// does; the stored object never has `stringData`).
fn default_secret(obj: &mut Value) {
    if !obj.is_object() {
        return;
    }
    set_if_zero(obj, "type", json!("Opaque"));
    let string_data = match obj.as_object_mut().and_then(|m| m.remove("stringData")) {
        Some(Value::Object(sd)) => sd,
        _ => return,
    };
    if string_data.is_empty() {
        return;
    }
    let data = child_obj(obj, "data");
    if let Value::Object(d) = data {
        for (k, v) in string_data {
            let text = v.as_str().unwrap_or("").to_string();
            d.insert(k, Value::String(base64_encode(text.as_bytes())));
        }
    }
}

/// Namespaces: the `kubernetes.io/metadata.name` label, the `kubernetes` finalizer (set by
/// upstream's strategy on create; callers keep the stored one on update) and phase `Active`.
fn default_namespace(obj: &mut Value) {
    let name = obj
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if !name.is_empty() {
        let meta = child_obj(obj, "metadata");
        let labels = child_obj(meta, "labels");
        labels["kubernetes.io/metadata.name"] = Value::String(name);
    }
    let spec = child_obj(obj, "spec");
    set_if_absent(spec, "finalizers", json!(["kubernetes"]));
    let status = child_obj(obj, "status");
    set_if_zero(status, "phase", json!("Active"));
}

fn default_node(obj: &mut Value) {
    let Some(status) = obj.get_mut("status").filter(|s| s.is_object()) else {
        return;
    };
    if is_unset(status, "allocatable") && !is_unset(status, "capacity") {
        let capacity = status["capacity"].clone();
        status["allocatable"] = capacity;
    }
    for key in ["capacity", "allocatable"] {
        if let Some(list) = status.get_mut(key) {
            canonicalize_quantities(list);
        }
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (how `[]byte` fields travel in JSON).
pub(crate) fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(B64[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes standard base64; `None` when the text is not base64.
pub(crate) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let trimmed = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(trimmed.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in trimmed.bytes() {
        let v = B64.iter().position(|&b| b == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}
