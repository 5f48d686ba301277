//! Row cells of every kind except pods (see `pod.rs`), following upstream's `printX`
//! functions field by field, including their placeholders (`<none>`, `<unknown>`,
//! `<pending>`) and which cells are integers.

use std::collections::BTreeSet;

use jiff::Timestamp;
use serde_json::{Map, Value};

use super::{
    age_of, array_at, at, human_duration, int_at, name_of, object_len, str_at, timestamp_at,
};
use crate::selector::LabelSelector;

fn string(s: impl Into<String>) -> Value {
    Value::String(s.into())
}

fn or_placeholder(s: &str, placeholder: &str) -> Value {
    string(if s.is_empty() { placeholder } else { s })
}

/// `spec.replicas`, which defaulting sets to 1 when omitted.
fn desired_replicas(obj: &Value) -> i64 {
    at(obj, &["spec", "replicas"])
        .and_then(Value::as_i64)
        .unwrap_or(1)
}

/// Upstream's `layoutContainerCells`: names and images, comma-joined.
fn containers_and_images(containers: &[Value]) -> (Value, Value) {
    let names: Vec<&str> = containers.iter().map(|c| str_at(c, &["name"])).collect();
    let images: Vec<&str> = containers.iter().map(|c| str_at(c, &["image"])).collect();
    (string(names.join(",")), string(images.join(",")))
}

/// Upstream's `labels.FormatLabels`: `k=v` sorted by key, or `<none>`.
fn format_labels(obj: &Value, path: &[&str]) -> Value {
    let empty = Map::new();
    let map = at(obj, path).and_then(Value::as_object).unwrap_or(&empty);
    or_placeholder(&LabelSelector::from_set(map).to_string(), "<none>")
}

pub(super) fn deployment(obj: &Value, now: Timestamp) -> Vec<Value> {
    let selector = at(obj, &["spec", "selector"]).unwrap_or(&Value::Null);
    let selector = match LabelSelector::from_label_selector(selector) {
        Ok(s) => s.to_string(),
        Err(_) => "<invalid>".to_string(),
    };
    let (names, images) =
        containers_and_images(array_at(obj, &["spec", "template", "spec", "containers"]));
    vec![
        name_of(obj),
        string(format!(
            "{}/{}",
            int_at(obj, &["status", "readyReplicas"]),
            desired_replicas(obj)
        )),
        Value::from(int_at(obj, &["status", "updatedReplicas"])),
        Value::from(int_at(obj, &["status", "availableReplicas"])),
        age_of(obj, now),
        names,
        images,
        string(selector),
    ]
}

pub(super) fn replica_set(obj: &Value, now: Timestamp) -> Vec<Value> {
    // Upstream's `FormatLabelSelector`: `<error>` when invalid, `<none>` when empty.
    let selector = at(obj, &["spec", "selector"]).unwrap_or(&Value::Null);
    let selector = match LabelSelector::from_label_selector(selector) {
        Ok(s) => or_placeholder(&s.to_string(), "<none>"),
        Err(_) => string("<error>"),
    };
    let (names, images) =
        containers_and_images(array_at(obj, &["spec", "template", "spec", "containers"]));
    vec![
        name_of(obj),
        Value::from(desired_replicas(obj)),
        Value::from(int_at(obj, &["status", "replicas"])),
        Value::from(int_at(obj, &["status", "readyReplicas"])),
        age_of(obj, now),
        names,
        images,
        selector,
    ]
}

pub(super) fn replication_controller(obj: &Value, now: Timestamp) -> Vec<Value> {
    let (names, images) =
        containers_and_images(array_at(obj, &["spec", "template", "spec", "containers"]));
    vec![
        name_of(obj),
        Value::from(desired_replicas(obj)),
        Value::from(int_at(obj, &["status", "replicas"])),
        Value::from(int_at(obj, &["status", "readyReplicas"])),
        age_of(obj, now),
        names,
        images,
        format_labels(obj, &["spec", "selector"]),
    ]
}

const NODE_ROLE_PREFIX: &str = "node-role.kubernetes.io/";
const NODE_ROLE_LABEL: &str = "kubernetes.io/role";

pub(super) fn node(obj: &Value, now: Timestamp) -> Vec<Value> {
    // Only the Ready condition counts; a node that never reported one is "Unknown".
    let ready = array_at(obj, &["status", "conditions"])
        .iter()
        .rev()
        .find(|c| str_at(c, &["type"]) == "Ready");
    let mut status = vec![match ready {
        Some(c) if str_at(c, &["status"]) == "True" => "Ready",
        Some(_) => "NotReady",
        None => "Unknown",
    }];
    if at(obj, &["spec", "unschedulable"]).and_then(Value::as_bool) == Some(true) {
        status.push("SchedulingDisabled");
    }

    let mut roles = BTreeSet::new();
    if let Some(labels) = at(obj, &["metadata", "labels"]).and_then(Value::as_object) {
        for (k, v) in labels {
            let v = v.as_str().unwrap_or_default();
            if let Some(role) = k.strip_prefix(NODE_ROLE_PREFIX) {
                if !role.is_empty() {
                    roles.insert(role.to_string());
                }
            } else if k == NODE_ROLE_LABEL && !v.is_empty() {
                roles.insert(v.to_string());
            }
        }
    }
    let roles: Vec<String> = roles.into_iter().collect();

    let address = |type_: &str| {
        array_at(obj, &["status", "addresses"])
            .iter()
            .find(|a| str_at(a, &["type"]) == type_)
            .map_or("<none>", |a| str_at(a, &["address"]))
            .to_string()
    };
    let info =
        |field: &str| or_placeholder(str_at(obj, &["status", "nodeInfo", field]), "<unknown>");
    vec![
        name_of(obj),
        string(status.join(",")),
        or_placeholder(&roles.join(","), "<none>"),
        age_of(obj, now),
        string(str_at(obj, &["status", "nodeInfo", "kubeletVersion"])),
        string(address("InternalIP")),
        string(address("ExternalIP")),
        info("osImage"),
        info("kernelVersion"),
        info("containerRuntimeVersion"),
    ]
}

pub(super) fn namespace(obj: &Value, now: Timestamp) -> Vec<Value> {
    vec![
        name_of(obj),
        string(str_at(obj, &["status", "phase"])),
        age_of(obj, now),
    ]
}

/// Where an Event API keeps the fields the (core) event printer reads: events.k8s.io/v1
/// renamed most of them, and upstream converts to the core shape before printing.
pub(super) struct EventFields {
    involved: &'static str,
    message: &'static str,
    source: &'static str,
    first: &'static str,
    last: &'static str,
    count: &'static str,
    reporting_controller: &'static str,
}

pub(super) const CORE_EVENT: EventFields = EventFields {
    involved: "involvedObject",
    message: "message",
    source: "source",
    first: "firstTimestamp",
    last: "lastTimestamp",
    count: "count",
    reporting_controller: "reportingComponent",
};

pub(super) const EVENTS_V1_EVENT: EventFields = EventFields {
    involved: "regarding",
    message: "note",
    source: "deprecatedSource",
    first: "deprecatedFirstTimestamp",
    last: "deprecatedLastTimestamp",
    count: "deprecatedCount",
    reporting_controller: "reportingController",
};

pub(super) fn event(obj: &Value, now: Timestamp, f: &EventFields) -> Vec<Value> {
    let since =
        |path: &[&str]| timestamp_at(obj, path).map(|t| human_duration(now.duration_since(t)));
    let unknown = || "<unknown>".to_string();
    // New-style events carry only eventTime (and a series); old ones only the timestamps.
    let first = since(&[f.first])
        .or_else(|| since(&["eventTime"]))
        .unwrap_or_else(unknown);
    let mut last = since(&[f.last]).unwrap_or_else(|| first.clone());
    let mut count = int_at(obj, &[f.count]);
    if let Some(series) = at(obj, &["series"]) {
        last = since(&["series", "lastObservedTime"]).unwrap_or_else(unknown);
        count = int_at(series, &["count"]);
    } else if count == 0 {
        // Singleton events of the new API have no count.
        count = 1;
    }

    let kind = str_at(obj, &[f.involved, "kind"]).to_lowercase();
    let target = match str_at(obj, &[f.involved, "name"]) {
        "" => kind,
        name => format!("{kind}/{name}"),
    };
    let component = first_non_empty(
        str_at(obj, &[f.source, "component"]),
        str_at(obj, &[f.reporting_controller]),
    );
    let host = first_non_empty(
        str_at(obj, &[f.source, "host"]),
        str_at(obj, &["reportingInstance"]),
    );
    let source = if host.is_empty() {
        component.to_string()
    } else {
        format!("{component}, {host}")
    };
    vec![
        string(last),
        string(str_at(obj, &["type"])),
        string(str_at(obj, &["reason"])),
        string(target),
        string(str_at(obj, &[f.involved, "fieldPath"])),
        string(source),
        string(str_at(obj, &[f.message]).trim()),
        string(first),
        Value::from(count),
        name_of(obj),
    ]
}

fn first_non_empty<'a>(a: &'a str, b: &'a str) -> &'a str {
    if a.is_empty() { b } else { a }
}

pub(super) fn config_map(obj: &Value, now: Timestamp) -> Vec<Value> {
    let count = object_len(obj, &["data"]) + object_len(obj, &["binaryData"]);
    vec![name_of(obj), Value::from(count), age_of(obj, now)]
}

pub(super) fn secret(obj: &Value, now: Timestamp) -> Vec<Value> {
    // `stringData` is merged into `data` on write; count its keys for objects not yet stored.
    let mut keys: BTreeSet<&str> = BTreeSet::new();
    for field in ["data", "stringData"] {
        if let Some(m) = at(obj, &[field]).and_then(Value::as_object) {
            keys.extend(m.keys().map(String::as_str));
        }
    }
    vec![
        name_of(obj),
        string(str_at(obj, &["type"])),
        Value::from(keys.len()),
        age_of(obj, now),
    ]
}

pub(super) fn service_account(obj: &Value, now: Timestamp) -> Vec<Value> {
    vec![
        name_of(obj),
        Value::from(array_at(obj, &["secrets"]).len()),
        age_of(obj, now),
    ]
}

/// Upstream's `getServiceExternalIP` with wide output (no clipping), as the server prints.
fn service_external_ip(obj: &Value) -> String {
    let external: Vec<&str> = array_at(obj, &["spec", "externalIPs"])
        .iter()
        .filter_map(Value::as_str)
        .collect();
    match str_at(obj, &["spec", "type"]) {
        "ClusterIP" | "NodePort" => {
            if external.is_empty() {
                "<none>".to_string()
            } else {
                external.join(",")
            }
        }
        "LoadBalancer" => {
            let ingress: BTreeSet<&str> = array_at(obj, &["status", "loadBalancer", "ingress"])
                .iter()
                .map(|i| first_non_empty(str_at(i, &["ip"]), str_at(i, &["hostname"])))
                .filter(|s| !s.is_empty())
                .collect();
            let mut all: Vec<&str> = ingress.into_iter().collect();
            all.extend(external);
            if all.is_empty() {
                "<pending>".to_string()
            } else {
                all.join(",")
            }
        }
        "ExternalName" => str_at(obj, &["spec", "externalName"]).to_string(),
        _ => "<unknown>".to_string(),
    }
}

pub(super) fn service(obj: &Value, now: Timestamp) -> Vec<Value> {
    // Upstream's v1 conversion fills `clusterIPs` from `clusterIP` when only that is set.
    let cluster_ip = at(obj, &["spec", "clusterIPs"])
        .and_then(|ips| ips.get(0))
        .and_then(Value::as_str)
        .unwrap_or_else(|| str_at(obj, &["spec", "clusterIP"]));
    let ports: Vec<String> = array_at(obj, &["spec", "ports"])
        .iter()
        .map(|p| {
            let port = int_at(p, &["port"]);
            let protocol = str_at(p, &["protocol"]);
            match int_at(p, &["nodePort"]) {
                node_port if node_port > 0 => format!("{port}:{node_port}/{protocol}"),
                _ => format!("{port}/{protocol}"),
            }
        })
        .collect();
    vec![
        name_of(obj),
        string(str_at(obj, &["spec", "type"])),
        or_placeholder(cluster_ip, "<none>"),
        string(service_external_ip(obj)),
        or_placeholder(&ports.join(","), "<none>"),
        age_of(obj, now),
        format_labels(obj, &["spec", "selector"]),
    ]
}

pub(super) fn lease(obj: &Value, now: Timestamp) -> Vec<Value> {
    vec![
        name_of(obj),
        string(str_at(obj, &["spec", "holderIdentity"])),
        age_of(obj, now),
    ]
}

/// Upstream's RoleBinding/ClusterRoleBinding row: `ClusterRole/view`, then subjects by kind.
pub(super) fn role_binding(obj: &Value, now: Timestamp) -> Vec<Value> {
    let role = format!(
        "{}/{}",
        str_at(obj, &["roleRef", "kind"]),
        str_at(obj, &["roleRef", "name"])
    );
    let subjects = obj["subjects"].as_array().cloned().unwrap_or_default();
    let of_kind = |kind: &str| -> Value {
        let names: Vec<String> = subjects
            .iter()
            .filter(|s| s["kind"] == kind)
            .map(|s| match (kind, s["namespace"].as_str()) {
                ("ServiceAccount", Some(ns)) => {
                    format!("{ns}/{}", s["name"].as_str().unwrap_or(""))
                }
                _ => s["name"].as_str().unwrap_or("").to_string(),
            })
            .collect();
        string(names.join(", "))
    };
    vec![
        name_of(obj),
        string(role),
        age_of(obj, now),
        of_kind("User"),
        of_kind("Group"),
        of_kind("ServiceAccount"),
    ]
}

/// Upstream's CertificateSigningRequest row: conditions joined, `Issued` once signed.
pub(super) fn csr(obj: &Value, now: Timestamp) -> Vec<Value> {
    let mut conditions: Vec<String> = obj["status"]["conditions"]
        .as_array()
        .map(|c| {
            c.iter()
                .filter_map(|c| c["type"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if obj["status"]["certificate"].is_string() {
        conditions.push("Issued".to_string());
    }
    let condition = if conditions.is_empty() {
        "Pending".to_string()
    } else {
        conditions.join(",")
    };
    let duration = obj["spec"]["expirationSeconds"]
        .as_i64()
        .map(human_age_of_seconds)
        .unwrap_or_else(|| "<none>".to_string());
    vec![
        name_of(obj),
        age_of(obj, now),
        string(str_at(obj, &["spec", "signerName"])),
        string(str_at(obj, &["spec", "username"])),
        string(duration),
        string(condition),
    ]
}

fn human_age_of_seconds(seconds: i64) -> String {
    let now = Timestamp::UNIX_EPOCH;
    let created = now
        .checked_sub(jiff::SignedDuration::from_secs(seconds))
        .map(|t| t.to_string())
        .ok();
    super::human_age(created.as_deref(), now)
}

/// A quantity as stored (a canonical string); a bare JSON number prints as itself.
fn quantity(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => "0".to_string(),
    }
}

pub(super) fn resource_quota(obj: &Value, now: Timestamp) -> Vec<Value> {
    let empty = Map::new();
    let hard = at(obj, &["status", "hard"])
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let used = at(obj, &["status", "used"])
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mut names: Vec<&String> = hard.keys().collect();
    names.sort();
    let mut requests = Vec::new();
    let mut limits = Vec::new();
    for name in names {
        let entry = format!(
            "{name}: {}/{}",
            quantity(used.get(name.as_str())),
            quantity(hard.get(name.as_str()))
        );
        // `limits.cpu` and the like go to LIMIT, everything else to REQUEST.
        match name.split_once('.') {
            Some(("limits", _)) => limits.push(entry),
            _ => requests.push(entry),
        }
    }
    vec![
        name_of(obj),
        string(requests.join(", ")),
        string(limits.join(", ")),
        age_of(obj, now),
    ]
}

/// Upstream's default table convertor: the name and the creation time in RFC 3339.
pub(super) fn default_cells(obj: &Value) -> Vec<Value> {
    let created = timestamp_at(obj, &["metadata", "creationTimestamp"])
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| "0001-01-01T00:00:00Z".to_string());
    vec![name_of(obj), string(created)]
}
