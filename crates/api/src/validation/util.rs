//! Field paths rendered as upstream's `field.Path` does, and tolerant JSON accessors that
//! read a missing or mistyped field as Go's zero value (decoding errors are not this module's
//! concern: upstream rejects those with 400 before validation runs).

use serde_json::{Map, Value};

/// A field path: `spec.containers[0].ports[1].name`, map keys as `labels[app]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Path(String);

impl Path {
    /// A root path; an empty name renders as `[]`, exactly as upstream's `NewPath("")`.
    pub(crate) fn root(name: &str) -> Path {
        if name.is_empty() {
            Path("[]".to_string())
        } else {
            Path(name.to_string())
        }
    }

    pub(crate) fn child(&self, name: &str) -> Path {
        Path(format!("{}.{}", self.0, name))
    }

    /// Several nested children at once: `p.children(&["spec", "replicas"])`.
    pub(crate) fn children(&self, names: &[&str]) -> Path {
        names.iter().fold(self.clone(), |p, n| p.child(n))
    }

    pub(crate) fn index(&self, i: usize) -> Path {
        Path(format!("{}[{}]", self.0, i))
    }

    pub(crate) fn key(&self, k: &str) -> Path {
        Path(format!("{}[{}]", self.0, k))
    }
}

impl std::fmt::Display for Path {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The field `key` of an object, treating JSON `null` as absent.
pub(crate) fn get<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    match v.get(key) {
        Some(Value::Null) | None => None,
        Some(x) => Some(x),
    }
}

/// A nested field: `at(obj, &["spec", "template", "spec"])`.
pub(crate) fn at<'a>(v: &'a Value, keys: &[&str]) -> Option<&'a Value> {
    keys.iter().try_fold(v, |cur, k| get(cur, k))
}

/// A string field, `""` when absent or not a string (Go's zero value).
pub(crate) fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    get(v, key).and_then(Value::as_str).unwrap_or("")
}

/// An integer field, `None` when absent (Go's nil pointer) or not an integer.
pub(crate) fn int_of(v: &Value, key: &str) -> Option<i64> {
    get(v, key).and_then(as_int)
}

/// An integer, accepting integral floats as Go's JSON decoder does for int fields.
pub(crate) fn as_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e18)
                .map(|f| f as i64)
        }),
        _ => None,
    }
}

pub(crate) fn bool_of(v: &Value, key: &str) -> bool {
    get(v, key).and_then(Value::as_bool).unwrap_or(false)
}

/// A list field; empty when absent.
pub(crate) fn list_of<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    get(v, key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// An object field; `None` when absent.
pub(crate) fn map_of<'a>(v: &'a Value, key: &str) -> Option<&'a Map<String, Value>> {
    get(v, key).and_then(Value::as_object)
}

/// The string entries of a `map[string]string` field, in the order the client sent them.
pub(crate) fn string_map(v: Option<&Value>) -> Vec<(&str, &str)> {
    match v.and_then(Value::as_object) {
        Some(m) => m
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str().unwrap_or("")))
            .collect(),
        None => Vec::new(),
    }
}

/// The number of entries of an object or array field (0 when absent).
pub(crate) fn len_of(v: Option<&Value>) -> usize {
    match v {
        Some(Value::Object(m)) => m.len(),
        Some(Value::Array(a)) => a.len(),
        _ => 0,
    }
}

/// An int-or-string value (`intstr.IntOrString`) as read from JSON.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum IntOrString {
    Int(i64),
    Str(String),
}

impl IntOrString {
    pub(crate) fn from_json(v: &Value) -> IntOrString {
        match v {
            Value::String(s) => IntOrString::Str(s.clone()),
            other => IntOrString::Int(as_int(other).unwrap_or(0)),
        }
    }

    /// Go's `IntValue()`: the int, or the string parsed as an int (0 when it does not parse).
    pub(crate) fn int_value(&self) -> i64 {
        match self {
            IntOrString::Int(i) => *i,
            IntOrString::Str(s) => s.parse::<i64>().unwrap_or(0),
        }
    }

    pub(crate) fn to_json(&self) -> Value {
        match self {
            IntOrString::Int(i) => Value::from(*i),
            IntOrString::Str(s) => Value::from(s.clone()),
        }
    }
}
