//! Fields a schema does not know, reported the way upstream's strict decoding does
//! (`unknown field "spec.template.spec.containers[0].foo"`).

use serde_json::Value;

use crate::schema::{self, Node, Type};

/// Paths of the fields of `obj` (an object of OpenAPI definition `definition`) that the
/// schema does not declare, in document order: `spec.foo`, `spec.containers[0].bar`. Map
/// values (`additionalProperties`) are checked against the map's value schema; nothing
/// under an opaque value (`RawExtension`, `FieldsV1`, preserve-unknown-fields) or a scalar
/// (`IntOrString`, `Quantity`) is reported. An unknown definition reports nothing.
pub fn unknown_fields(definition: &str, obj: &Value) -> Vec<String> {
    let mut found = Vec::new();
    if let Some(root) = schema::definition(definition) {
        walk(root, obj, "", &mut found);
    }
    found
}

fn walk(node: Node, value: &Value, path: &str, found: &mut Vec<String>) {
    match (node.ty(), value) {
        (Type::Struct(_), Value::Object(map)) => {
            for (key, child) in map {
                let child_path = join(path, key);
                match node.field(key) {
                    Some(field) => walk(field.node, child, &child_path, found),
                    None => found.push(child_path),
                }
            }
        }
        (Type::Map(values), Value::Object(map)) => {
            for (key, child) in map {
                walk(values, child, &join(path, key), found);
            }
        }
        (Type::List(element), Value::Array(items)) => {
            for (i, child) in items.iter().enumerate() {
                walk(element, child, &format!("{path}[{i}]"), found);
            }
        }
        _ => {}
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}
