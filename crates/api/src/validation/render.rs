//! Renders bad values the way upstream's `field.Error` prints Go values (v1.33): strings with
//! `strconv.Quote`, numbers plainly, maps and structs with `%#v` (map keys sorted, as Go's
//! `fmt` sorts them). Only the Go types that appear in bosun's validation messages are known.

use serde_json::Value;

use super::util::{IntOrString, get};

/// Go's `strconv.Quote`. Go keeps printable Unicode as is and escapes the rest; Rust has
/// no `unicode.IsPrint`, so "not printable" is approximated as control characters plus
/// whitespace other than the ASCII space.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() || (c.is_whitespace() && c != ' ') => {
                let n = c as u32;
                if n < 0x10000 {
                    out.push_str(&format!("\\u{n:04x}"));
                } else {
                    out.push_str(&format!("\\U{n:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A value whose Go type is not known: strings quoted, numbers and booleans plain, string maps
/// as `map[string]string{...}`, string lists as `[]string{...}`, anything else as JSON.
pub(crate) fn infer(v: &Value) -> String {
    match v {
        Value::String(s) => go_quote(s),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        // A nil Go pointer is printed as the quoted string "null".
        Value::Null => go_quote("null"),
        Value::Object(m) if m.values().all(Value::is_string) => string_map(Some(v)),
        Value::Array(a) if a.iter().all(Value::is_string) => string_slice(Some(v)),
        other => other.to_string(),
    }
}

/// `%#v` of a `map[string]string`: `map[string]string{"a":"b", "c":"d"}`, or
/// `map[string]string(nil)` for an absent map.
pub(crate) fn string_map(v: Option<&Value>) -> String {
    let Some(m) = v.and_then(Value::as_object) else {
        return "map[string]string(nil)".to_string();
    };
    let mut entries: Vec<(&String, String)> = m
        .iter()
        .map(|(k, v)| (k, v.as_str().unwrap_or("").to_string()))
        .collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    let body: Vec<String> = entries
        .iter()
        .map(|(k, v)| format!("{}:{}", go_quote(k), go_quote(v)))
        .collect();
    format!("map[string]string{{{}}}", body.join(", "))
}

/// `%#v` of a `[]string`: `[]string{"a", "b"}`, or `[]string(nil)` for an absent list.
pub(crate) fn string_slice(v: Option<&Value>) -> String {
    let Some(a) = v.and_then(Value::as_array) else {
        return "[]string(nil)".to_string();
    };
    let body: Vec<String> = a
        .iter()
        .map(|x| go_quote(x.as_str().unwrap_or("")))
        .collect();
    format!("[]string{{{}}}", body.join(", "))
}

/// `%#v` of a `metav1.LabelSelector`.
pub(crate) fn label_selector(sel: &Value) -> String {
    let exprs = match get(sel, "matchExpressions").and_then(Value::as_array) {
        None => "[]v1.LabelSelectorRequirement(nil)".to_string(),
        Some(list) => {
            let items: Vec<String> = list
                .iter()
                .map(|r| {
                    format!(
                        "v1.LabelSelectorRequirement{{Key:{}, Operator:{}, Values:{}}}",
                        go_quote(r.get("key").and_then(Value::as_str).unwrap_or("")),
                        go_quote(r.get("operator").and_then(Value::as_str).unwrap_or("")),
                        string_slice(get(r, "values"))
                    )
                })
                .collect();
            format!("[]v1.LabelSelectorRequirement{{{}}}", items.join(", "))
        }
    };
    format!(
        "v1.LabelSelector{{MatchLabels:{}, MatchExpressions:{}}}",
        string_map(get(sel, "matchLabels")),
        exprs
    )
}

/// `%#v` of an `intstr.IntOrString`.
pub(crate) fn int_or_string(v: &IntOrString) -> String {
    match v {
        IntOrString::Int(i) => format!("intstr.IntOrString{{Type:0, IntVal:{i}, StrVal:\"\"}}"),
        IntOrString::Str(s) => {
            format!(
                "intstr.IntOrString{{Type:1, IntVal:0, StrVal:{}}}",
                go_quote(s)
            )
        }
    }
}

/// `%#v` of the internal `apps.DeploymentStrategy`. A set `rollingUpdate` is a Go pointer whose
/// address upstream prints; bosun prints a fixed placeholder address instead.
pub(crate) fn deployment_strategy(strategy: Option<&Value>) -> String {
    let ty = strategy
        .and_then(|s| s.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let ru = if strategy.and_then(|s| get(s, "rollingUpdate")).is_some() {
        "(*apps.RollingUpdateDeployment)(0xc000000000)"
    } else {
        "(*apps.RollingUpdateDeployment)(nil)"
    };
    format!(
        "apps.DeploymentStrategy{{Type:{}, RollingUpdate:{}}}",
        go_quote(ty),
        ru
    )
}

/// `%#v` of the internal `core.ServicePort` used as a duplicate key (protocol and port only).
pub(crate) fn service_port_key(protocol: &str, port: i64) -> String {
    format!(
        "core.ServicePort{{Name:\"\", Protocol:{}, AppProtocol:(*string)(nil), Port:{}, \
         TargetPort:intstr.IntOrString{{Type:0, IntVal:0, StrVal:\"\"}}, NodePort:0}}",
        go_quote(protocol),
        port
    )
}

/// A `metav1.Time` as upstream prints it (through `time.Time.String()`).
pub(crate) fn go_time(v: Option<&Value>) -> String {
    match v.and_then(Value::as_str) {
        Some(s) => {
            let trimmed = s.trim_end_matches('Z');
            match trimmed.split_once('T') {
                Some((d, t)) => format!("{d} {t} +0000 UTC"),
                None => s.to_string(),
            }
        }
        None => "0001-01-01 00:00:00 +0000 UTC".to_string(),
    }
}
