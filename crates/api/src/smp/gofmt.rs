//! Renders JSON values the way Go's `fmt` prints decoded JSON (`map[a:1 b:[x y]]`), because
//! upstream's strategic-merge-patch error messages embed values printed with `%v`, and
//! clients and users match on those messages.

use serde_json::Value;

/// Go's `%v` of a value decoded from JSON: maps with sorted keys, lists space-separated,
/// strings unquoted, `<nil>` for null.
pub(super) fn go_v(value: &Value) -> String {
    let mut out = String::new();
    write_v(value, &mut out);
    out
}

fn write_v(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("<nil>"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&go_number(n)),
        Value::String(s) => out.push_str(s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_v(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push_str("map[");
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(key);
                out.push(':');
                if let Some(v) = map.get(key) {
                    write_v(v, out);
                }
            }
            out.push(']');
        }
    }
}

/// Go's `%s`: strings as they are, anything else flagged the way `fmt` flags a wrong verb.
pub(super) fn go_s(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "%!s(<nil>)".to_string(),
        Value::Bool(_) | Value::Number(_) => format!("%!s({}={})", go_type(value), go_v(value)),
        Value::Array(_) | Value::Object(_) => go_v(value),
    }
}

/// The Go type a JSON value decodes to in apimachinery (integers stay `int64`).
pub(super) fn go_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_i64() || n.is_u64() => "int64",
        Value::Number(_) => "float64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

/// Go's `%v` of an `int64` or `float64`: the shortest digits, in `%e` form when the decimal
/// exponent is below -4 or at least 6 (what `strconv` does for `'g'` with precision -1, so
/// Go prints `1e+06`).
fn go_number(n: &serde_json::Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    let Some(f) = n.as_f64() else {
        return n.to_string();
    };
    if f == 0.0 {
        return "0".to_string();
    }
    // Rust's `{:e}` gives the shortest round-tripping digits: `d.ddde±x`.
    let sci = format!("{f:e}");
    let Some((mantissa, exponent)) = sci.split_once('e') else {
        return sci;
    };
    let Ok(exp) = exponent.parse::<i32>() else {
        return sci;
    };
    if (-4..6).contains(&exp) {
        return format!("{f}");
    }
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exp.abs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn prints_like_go_fmt() {
        let cases = [
            (json!({"name": "a", "image": "x"}), "map[image:x name:a]"),
            (
                json!({"a": [1, "b", null], "c": {"d": true}}),
                "map[a:[1 b <nil>] c:map[d:true]]",
            ),
            (json!([]), "[]"),
            (json!({}), "map[]"),
            (json!(1.5), "1.5"),
            (json!(1e21), "1e+21"),
            (json!(1e6), "1e+06"),
            (json!(123456.5), "123456.5"),
            (json!(0.00001), "1e-05"),
            (json!(-42), "-42"),
        ];
        for (value, want) in cases {
            assert_eq!(go_v(&value), want, "{value}");
        }
        assert_eq!(go_s(&json!("merge")), "merge");
        assert_eq!(go_s(&json!(1)), "%!s(int64=1)");
        assert_eq!(go_type(&json!([1])), "[]interface {}");
    }
}
