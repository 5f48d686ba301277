//! Field selectors (`fieldSelector=metadata.name=x,status.phase!=Running`): upstream's parser
//! with `\,` `\=` `\\` escaping, the per-kind list of selectable fields with the exact
//! rejection message each kind gives, and the field values an object is matched on.

use std::fmt;

use serde_json::Value;

use super::SelectorError;
use crate::resources::ResourceInfo;

/// `=`, `==` (the same test) or `!=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldOp {
    Equals,
    DoubleEquals,
    NotEquals,
}

/// One `field op value` term; `value` is unescaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldTerm {
    pub field: String,
    pub op: FieldOp,
    pub value: String,
}

/// A conjunction of field terms; empty selects everything.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldSelector {
    terms: Vec<FieldTerm>,
}

impl FieldSelector {
    /// Parses the `fieldSelector` query parameter. Terms are kept in upstream's order (sorted
    /// as written), which decides which bad term an error names first.
    pub fn parse(s: &str) -> Result<FieldSelector, SelectorError> {
        let mut parts = split_terms(s);
        parts.sort();
        let mut terms = Vec::new();
        for part in parts {
            if part.is_empty() {
                continue;
            }
            let Some((field, op, raw)) = split_term(part) else {
                return Err(SelectorError::new(format!(
                    "invalid selector: '{s}'; can't understand '{part}'"
                )));
            };
            let value = unescape_value(raw)?;
            terms.push(FieldTerm {
                field: field.to_string(),
                op,
                value,
            });
        }
        Ok(FieldSelector { terms })
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    pub fn terms(&self) -> &[FieldTerm] {
        &self.terms
    }

    /// Checks every term's field is selectable on this resource, failing on the first one
    /// that is not, with the message upstream's field label conversion gives for the kind:
    /// `field label not supported: <field>` for kinds with their own list, and
    /// `"<field>" is not a known field selector: only "metadata.name", "metadata.namespace"`
    /// for the rest.
    pub fn check_supported(&self, info: &ResourceInfo) -> Result<(), SelectorError> {
        let labels = selectable_fields(info);
        for term in &self.terms {
            let supported = match labels {
                Some(list) => {
                    list.contains(&term.field.as_str()) || alias(info, &term.field).is_some()
                }
                None => matches!(term.field.as_str(), "metadata.name" | "metadata.namespace"),
            };
            if !supported {
                return Err(SelectorError::new(match labels {
                    Some(_) => format!("field label not supported: {}", term.field),
                    None => format!(
                        "\"{}\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"",
                        term.field
                    ),
                }));
            }
        }
        Ok(())
    }

    /// Whether the object satisfies every term. A field the object lacks (or the kind does
    /// not expose) reads as "", as in upstream's field sets.
    pub fn matches(&self, info: &ResourceInfo, obj: &Value) -> bool {
        self.matches_with(info, |field| field_value(info, obj, field).into())
    }

    /// [`Self::matches`] on an object's [`FieldSet`] instead of the object.
    pub fn matches_set(&self, info: &ResourceInfo, set: &FieldSet) -> bool {
        self.matches_with(info, |field| set.get(field).into())
    }

    fn matches_with<'a>(
        &self,
        info: &ResourceInfo,
        value_of: impl Fn(&str) -> std::borrow::Cow<'a, str>,
    ) -> bool {
        self.terms.iter().all(|term| {
            let field = alias(info, &term.field).unwrap_or(&term.field);
            let actual = value_of(field);
            match term.op {
                FieldOp::Equals | FieldOp::DoubleEquals => actual == term.value.as_str(),
                FieldOp::NotEquals => actual != term.value.as_str(),
            }
        })
    }

    /// The name a `metadata.name=<x>` (or `==`) term pins, which lets a list be narrowed to
    /// one key (`kubectl rollout status`, `kubectl get x --watch` use it).
    pub fn exact_name(&self) -> Option<&str> {
        self.terms
            .iter()
            .find(|t| t.field == "metadata.name" && t.op != FieldOp::NotEquals)
            .map(|t| t.value.as_str())
    }
}

/// The values of every field a kind's selectors can name, read from one object once
/// (upstream's field set from `GetAttrs`): the watch cache keeps these rather than the
/// decoded object, which costs several times the object's JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSet {
    values: Vec<(&'static str, String)>,
}

impl FieldSet {
    pub fn of(info: &ResourceInfo, obj: &Value) -> FieldSet {
        let fields = selectable_fields(info).unwrap_or(&["metadata.name", "metadata.namespace"]);
        let mut values: Vec<(&'static str, String)> = fields
            .iter()
            .map(|field| (*field, field_value(info, obj, field)))
            .collect();
        for always in ["metadata.name", "metadata.namespace"] {
            if !fields.contains(&always) {
                values.push((always, field_value(info, obj, always)));
            }
        }
        FieldSet { values }
    }

    /// A field's value; one the kind does not expose reads as "", as in [`FieldSelector::matches`].
    pub fn get(&self, field: &str) -> &str {
        self.values
            .iter()
            .find(|(name, _)| *name == field)
            .map_or("", |(_, value)| value.as_str())
    }
}

impl fmt::Display for FieldSelector {
    /// Upstream's `String()`: `field=value` (`==` prints as `=`) with the value re-escaped.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, t) in self.terms.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            let op = if t.op == FieldOp::NotEquals {
                "!="
            } else {
                "="
            };
            write!(f, "{}{op}{}", t.field, escape_value(&t.value))?;
        }
        Ok(())
    }
}

/// Splits on commas that are not backslash-escaped; the escapes stay in the terms.
fn split_terms(s: &str) -> Vec<&str> {
    if s.is_empty() {
        return Vec::new();
    }
    let mut terms = Vec::new();
    let mut start = 0;
    let mut in_slash = false;
    for (i, c) in s.char_indices() {
        if in_slash {
            in_slash = false;
        } else if c == '\\' {
            in_slash = true;
        } else if c == ',' {
            terms.push(&s[start..i]);
            start = i + 1;
        }
    }
    terms.push(&s[start..]);
    terms
}

/// Splits at the first operator; `!=` and `==` win over `=` at the same position, and the
/// field part has no escaping.
fn split_term(term: &str) -> Option<(&str, FieldOp, &str)> {
    for (i, _) in term.char_indices() {
        let rest = &term[i..];
        for (text, op) in [
            ("!=", FieldOp::NotEquals),
            ("==", FieldOp::DoubleEquals),
            ("=", FieldOp::Equals),
        ] {
            if let Some(value) = rest.strip_prefix(text) {
                return Some((&term[..i], op, value));
            }
        }
    }
    None
}

fn unescape_value(s: &str) -> Result<String, SelectorError> {
    if !s.contains(['\\', ',', '=']) {
        return Ok(s.to_string());
    }
    let mut out = String::with_capacity(s.len());
    let mut in_slash = false;
    for c in s.chars() {
        if in_slash {
            match c {
                '\\' | ',' | '=' => out.push(c),
                _ => {
                    return Err(SelectorError::new(format!(
                        "invalid field selector: invalid escape sequence: \\{c}"
                    )));
                }
            }
            in_slash = false;
            continue;
        }
        match c {
            '\\' => in_slash = true,
            // Upstream formats the rune with %v, so users see its code point ("61" for '=').
            ',' | '=' => {
                return Err(SelectorError::new(format!(
                    "invalid field selector: unescaped character in value: {}",
                    c as u32
                )));
            }
            _ => out.push(c),
        }
    }
    if in_slash {
        return Err(SelectorError::new(
            "invalid field selector: invalid escape sequence: \\",
        ));
    }
    Ok(out)
}

fn escape_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | ',' | '=') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

const POD_FIELDS: &[&str] = &[
    "metadata.name",
    "metadata.namespace",
    "spec.nodeName",
    "spec.restartPolicy",
    "spec.schedulerName",
    "spec.serviceAccountName",
    "spec.hostNetwork",
    "status.phase",
    "status.podIP",
    "status.nominatedNodeName",
];
const NODE_FIELDS: &[&str] = &["metadata.name", "spec.unschedulable"];
const RC_FIELDS: &[&str] = &["metadata.name", "metadata.namespace", "status.replicas"];
const CORE_EVENT_FIELDS: &[&str] = &[
    "involvedObject.kind",
    "involvedObject.namespace",
    "involvedObject.name",
    "involvedObject.uid",
    "involvedObject.apiVersion",
    "involvedObject.resourceVersion",
    "involvedObject.fieldPath",
    "reason",
    "reportingComponent",
    "source",
    "type",
    "metadata.namespace",
    "metadata.name",
];
const EVENTS_V1_FIELDS: &[&str] = &[
    "reason",
    "regarding.kind",
    "regarding.namespace",
    "regarding.name",
    "regarding.uid",
    "regarding.apiVersion",
    "regarding.resourceVersion",
    "regarding.fieldPath",
    "reportingController",
    "source",
    "type",
    "metadata.namespace",
    "metadata.name",
];
const NAMESPACE_FIELDS: &[&str] = &["status.phase", "metadata.name"];
const SECRET_FIELDS: &[&str] = &["type", "metadata.namespace", "metadata.name"];
const SERVICE_FIELDS: &[&str] = &[
    "metadata.namespace",
    "metadata.name",
    "spec.clusterIP",
    "spec.type",
];

/// The kinds upstream registers a field label conversion for, and what each accepts;
/// `None` means the default (name and namespace only, with the default's message).
/// apps/v1 ReplicaSet has no conversion upstream, so its registry's `status.replicas` field is
/// unreachable there too.
fn selectable_fields(info: &ResourceInfo) -> Option<&'static [&'static str]> {
    Some(match (info.group, info.plural) {
        ("", "pods") => POD_FIELDS,
        ("", "nodes") => NODE_FIELDS,
        ("", "replicationcontrollers") => RC_FIELDS,
        ("", "events") => CORE_EVENT_FIELDS,
        ("events.k8s.io", "events") => EVENTS_V1_FIELDS,
        ("", "namespaces") => NAMESPACE_FIELDS,
        ("", "secrets") => SECRET_FIELDS,
        ("", "services") => SERVICE_FIELDS,
        _ => return None,
    })
}

/// Old names upstream still accepts and rewrites: pods' `spec.host` (pre-v1 clients).
fn alias(info: &ResourceInfo, field: &str) -> Option<&'static str> {
    match (info.group, info.plural, field) {
        ("", "pods", "spec.host") => Some("spec.nodeName"),
        _ => None,
    }
}

fn str_at<'a>(obj: &'a Value, path: &[&str]) -> &'a str {
    let mut cur = obj;
    for p in path {
        match cur.get(p) {
            Some(v) => cur = v,
            None => return "",
        }
    }
    cur.as_str().unwrap_or_default()
}

fn bool_at(obj: &Value, path: &[&str]) -> String {
    let mut cur = obj;
    for p in path {
        match cur.get(p) {
            Some(v) => cur = v,
            None => return "false".to_string(),
        }
    }
    cur.as_bool().unwrap_or(false).to_string()
}

fn first_non_empty<'a>(a: &'a str, b: &'a str) -> &'a str {
    if a.is_empty() { b } else { a }
}

/// The value upstream's `GetAttrs` field set holds for `field` on this object.
fn field_value(info: &ResourceInfo, obj: &Value, field: &str) -> String {
    let meta = |name: &str| str_at(obj, &["metadata", name]).to_string();
    match field {
        "metadata.name" => return meta("name"),
        // Cluster-scoped kinds have no namespace in their field set; their objects have
        // none either, so reading it gives the same "".
        "metadata.namespace" => return meta("namespace"),
        _ => {}
    }
    let s = |path: &[&str]| str_at(obj, path).to_string();
    match (info.group, info.plural) {
        ("", "pods") => match field {
            "spec.nodeName" => s(&["spec", "nodeName"]),
            "spec.restartPolicy" => s(&["spec", "restartPolicy"]),
            "spec.schedulerName" => s(&["spec", "schedulerName"]),
            "spec.serviceAccountName" => s(&["spec", "serviceAccountName"]),
            "spec.hostNetwork" => bool_at(obj, &["spec", "hostNetwork"]),
            "status.phase" => s(&["status", "phase"]),
            // Upstream reads the first of podIPs, which its v1 conversion sets from podIP
            // whenever podIP is set.
            "status.podIP" => {
                let first = obj
                    .pointer("/status/podIPs/0/ip")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                first_non_empty(str_at(obj, &["status", "podIP"]), first).to_string()
            }
            "status.nominatedNodeName" => s(&["status", "nominatedNodeName"]),
            _ => String::new(),
        },
        ("", "nodes") => match field {
            "spec.unschedulable" => bool_at(obj, &["spec", "unschedulable"]),
            _ => String::new(),
        },
        ("", "replicationcontrollers") | ("apps", "replicasets") => match field {
            "status.replicas" => obj
                .pointer("/status/replicas")
                .and_then(Value::as_i64)
                .unwrap_or(0)
                .to_string(),
            _ => String::new(),
        },
        ("", "events") => match field {
            "source" => first_non_empty(
                str_at(obj, &["source", "component"]),
                str_at(obj, &["reportingComponent"]),
            )
            .to_string(),
            "reason" | "type" | "reportingComponent" => s(&[field]),
            _ => match field.strip_prefix("involvedObject.") {
                Some(sub) => s(&["involvedObject", sub]),
                None => String::new(),
            },
        },
        ("events.k8s.io", "events") => match field {
            "source" => first_non_empty(
                str_at(obj, &["deprecatedSource", "component"]),
                str_at(obj, &["reportingController"]),
            )
            .to_string(),
            "reason" | "type" | "reportingController" => s(&[field]),
            _ => match field.strip_prefix("regarding.") {
                Some(sub) => s(&["regarding", sub]),
                None => String::new(),
            },
        },
        ("", "namespaces") => match field {
            "status.phase" => s(&["status", "phase"]),
            _ => String::new(),
        },
        ("", "secrets") => match field {
            "type" => s(&["type"]),
            _ => String::new(),
        },
        ("", "services") => match field {
            "spec.clusterIP" => s(&["spec", "clusterIP"]),
            "spec.type" => s(&["spec", "type"]),
            _ => String::new(),
        },
        _ => String::new(),
    }
}
