//! Server-side `meta.k8s.io/v1` Table output: what `kubectl get` asks for
//! (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`) and prints column by column.
//!
//! Columns and cells follow upstream's printers (`pkg/printers/internalversion/printers.go`).
//! Like the upstream apiserver, rows always carry the wide (`-o wide`, priority 1) cells too;
//! kubectl drops the columns it does not show. Cells are strings or integers exactly where
//! upstream puts them, since kubectl renders integers and strings the same but `-o json` of a
//! table, and clients such as the dashboard, see the JSON types.

mod cells;
mod columns;
mod pod;
#[cfg(test)]
mod tests;

use jiff::{SignedDuration, Timestamp};
use serde_json::{Map, Value, json};

use crate::resources::ResourceInfo;

/// One column definition (`metav1.TableColumnDefinition`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    /// OpenAPI type of the cells: `string`, `integer`, `date`...
    pub type_: &'static str,
    /// `name` marks the column holding the object's name; otherwise empty.
    pub format: &'static str,
    pub description: &'static str,
    /// 0 = always shown, 1 = only with `kubectl get -o wide`.
    pub priority: i32,
}

impl Column {
    fn to_json(self) -> Value {
        json!({
            "name": self.name,
            "type": self.type_,
            "format": self.format,
            "description": self.description,
            "priority": self.priority,
        })
    }
}

/// The columns upstream prints for this resource (the default `Name`, `Created At` pair for
/// resources without a printer).
pub fn columns(info: &ResourceInfo) -> Vec<Column> {
    columns::for_resource(info)
}

/// One row's cells for `obj`, wide cells included, in [`columns`] order. `now` is the
/// reference time of the AGE-like cells.
pub fn cells(info: &ResourceInfo, obj: &Value, now: Timestamp) -> Vec<Value> {
    match (info.group, info.plural) {
        ("", "pods") => pod::cells(obj, now),
        ("apps", "deployments") => cells::deployment(obj, now),
        ("apps", "replicasets") => cells::replica_set(obj, now),
        ("", "replicationcontrollers") => cells::replication_controller(obj, now),
        ("", "nodes") => cells::node(obj, now),
        ("", "namespaces") => cells::namespace(obj, now),
        ("", "events") => cells::event(obj, now, &cells::CORE_EVENT),
        ("events.k8s.io", "events") => cells::event(obj, now, &cells::EVENTS_V1_EVENT),
        ("", "configmaps") => cells::config_map(obj, now),
        ("", "secrets") => cells::secret(obj, now),
        ("", "serviceaccounts") => cells::service_account(obj, now),
        ("", "services") => cells::service(obj, now),
        ("coordination.k8s.io", "leases") => cells::lease(obj, now),
        ("", "resourcequotas") => cells::resource_quota(obj, now),
        ("rbac.authorization.k8s.io", "rolebindings" | "clusterrolebindings") => {
            cells::role_binding(obj, now)
        }
        ("certificates.k8s.io", "certificatesigningrequests") => cells::csr(obj, now),
        _ => cells::default_cells(obj),
    }
}

/// Upstream's `duration.HumanDuration`: about two significant units ("90s", "5m3s", "2h5m",
/// "4d2h", "3y15d"); "0s" for up to a second in the future (clock skew), "<invalid>" beyond.
pub fn human_duration(d: SignedDuration) -> String {
    const SEC: i128 = 1_000_000_000;
    let nanos = d.as_nanos();
    let seconds = nanos / SEC;
    if seconds < -1 {
        return "<invalid>".to_string();
    }
    if seconds < 0 {
        return "0s".to_string();
    }
    if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = nanos / (60 * SEC);
    if minutes < 10 {
        let s = seconds % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    }
    if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = nanos / (3600 * SEC);
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 {
            format!("{}d", hours / 24)
        } else {
            format!("{}d{h}h", hours / 24)
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        return if dy == 0 {
            format!("{}y", hours / 24 / 365)
        } else {
            format!("{}y{dy}d", hours / 24 / 365)
        };
    }
    format!("{}y", hours / 24 / 365)
}

/// Upstream's `translateTimestampSince`: the human age of an RFC 3339 timestamp, or
/// `<unknown>` when it is missing (or unreadable).
pub fn human_age(created: Option<&str>, now: Timestamp) -> String {
    match created.and_then(|s| s.parse::<Timestamp>().ok()) {
        Some(t) => human_duration(now.duration_since(t)),
        None => "<unknown>".to_string(),
    }
}

/// Checks an `includeObject` query value; the error is upstream's 400 message.
pub fn check_include_object(include_object: &str) -> Result<(), String> {
    match include_object {
        "" | "None" | "Metadata" | "Object" => Ok(()),
        // Debug quoting matches Go's %q for anything a client plausibly sends.
        other => Err(format!("unrecognized includeObject value: {other:?}")),
    }
}

/// A whole `meta.k8s.io/v1` Table of `objects`. `include_object` is the `includeObject`
/// parameter: `Object` embeds each object, `None` nothing, anything else (`Metadata`, the
/// default) a `PartialObjectMetadata` — validate it first with [`check_include_object`].
pub fn table(
    info: &ResourceInfo,
    objects: &[Value],
    now: Timestamp,
    include_object: &str,
    resource_version: &str,
    continue_token: Option<&str>,
) -> Value {
    let mut metadata = Map::new();
    if !resource_version.is_empty() {
        metadata.insert("resourceVersion".into(), resource_version.into());
    }
    if let Some(token) = continue_token.filter(|t| !t.is_empty()) {
        metadata.insert("continue".into(), token.into());
    }
    let rows: Vec<Value> = objects
        .iter()
        .map(|obj| {
            let mut row = Map::new();
            row.insert("cells".into(), Value::Array(cells(info, obj, now)));
            if let Some(conditions) = row_conditions(info, obj) {
                row.insert("conditions".into(), conditions);
            }
            match include_object {
                "None" => {}
                "Object" => {
                    row.insert("object".into(), obj.clone());
                }
                _ => {
                    let meta = obj.get("metadata").cloned().unwrap_or_else(|| json!({}));
                    row.insert(
                        "object".into(),
                        json!({
                            "kind": "PartialObjectMetadata",
                            "apiVersion": "meta.k8s.io/v1",
                            "metadata": meta,
                        }),
                    );
                }
            }
            Value::Object(row)
        })
        .collect();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
        "columnDefinitions": columns(info).into_iter().map(Column::to_json).collect::<Vec<_>>(),
        "rows": rows,
    })
}

/// Row conditions: upstream marks finished pods `Completed` (kubectl used to hide them).
fn row_conditions(info: &ResourceInfo, obj: &Value) -> Option<Value> {
    if (info.group, info.plural) != ("", "pods") {
        return None;
    }
    let (reason, message) = match str_at(obj, &["status", "phase"]) {
        "Succeeded" => ("Succeeded", "The pod has completed successfully."),
        "Failed" => ("Failed", "The pod failed."),
        _ => return None,
    };
    Some(json!([{
        "type": "Completed",
        "status": "True",
        "reason": reason,
        "message": message,
    }]))
}

/// The string at `path`, or "" when absent or not a string (Go's zero value).
fn str_at<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    at(v, path).and_then(Value::as_str).unwrap_or_default()
}

fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    (!cur.is_null()).then_some(cur)
}

fn int_at(v: &Value, path: &[&str]) -> i64 {
    at(v, path).and_then(Value::as_i64).unwrap_or(0)
}

fn array_at<'a>(v: &'a Value, path: &[&str]) -> &'a [Value] {
    at(v, path)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

fn object_len(v: &Value, path: &[&str]) -> usize {
    at(v, path).and_then(Value::as_object).map_or(0, Map::len)
}

fn timestamp_at(v: &Value, path: &[&str]) -> Option<Timestamp> {
    at(v, path)
        .and_then(Value::as_str)
        .and_then(|s| s.parse::<Timestamp>().ok())
}

fn age_of(obj: &Value, now: Timestamp) -> Value {
    Value::String(human_age(
        at(obj, &["metadata", "creationTimestamp"]).and_then(Value::as_str),
        now,
    ))
}

fn name_of(obj: &Value) -> Value {
    Value::String(str_at(obj, &["metadata", "name"]).to_string())
}
