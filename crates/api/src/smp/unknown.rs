//! Fields a schema does not know, reported the way upstream's strict decoding does
//! (`unknown field "spec.template.spec.containers[0].foo"`), and dropped as its decoding
//! into typed objects drops them.

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
        walk(root, obj, &mut Vec::new(), &mut found);
    }
    found
}

/// Removes from `obj` every field [`unknown_fields`] reports: upstream decodes a body
/// into its typed objects, which have nowhere to keep them, so they are never stored
/// (and so never reported again by a later write).
pub fn drop_unknown_fields(definition: &str, obj: &mut Value) {
    if let Some(root) = schema::definition(definition) {
        drop_walk(root, obj);
    }
}

fn drop_walk(node: Node, value: &mut Value) {
    if !value.is_object() && !value.is_array() {
        return;
    }
    match (node.ty(), value) {
        (Type::Struct(_), Value::Object(map)) => {
            let properties = node.properties();
            // `retain` keeps the order of what stays, which clients see.
            map.retain(|key, child| match properties.and_then(|p| p.get(key)) {
                Some(property) => {
                    drop_walk(Node::inline(property), child);
                    true
                }
                None => false,
            });
        }
        (Type::Map(values), Value::Object(map)) => {
            for child in map.values_mut() {
                drop_walk(values, child);
            }
        }
        (Type::List(element), Value::Array(items)) => {
            for child in items {
                drop_walk(element, child);
            }
        }
        _ => {}
    }
}

/// One step of the path to a field. The path is kept as borrowed steps and rendered
/// only for a field that is reported: nearly every write has none, and rendering every
/// field's path was an allocation per field of every object written.
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

fn walk<'a>(node: Node, value: &'a Value, path: &mut Vec<Step<'a>>, found: &mut Vec<String>) {
    // Only objects and arrays hold fields; most values are neither, and resolving their
    // schema costs several lookups.
    if !value.is_object() && !value.is_array() {
        return;
    }
    match (node.ty(), value) {
        (Type::Struct(_), Value::Object(map)) => {
            let properties = node.properties();
            for (key, child) in map {
                path.push(Step::Key(key));
                match properties.and_then(|p| p.get(key)) {
                    Some(property) => walk(Node::inline(property), child, path, found),
                    None => found.push(render(path)),
                }
                path.pop();
            }
        }
        (Type::Map(values), Value::Object(map)) => {
            for (key, child) in map {
                path.push(Step::Key(key));
                walk(values, child, path, found);
                path.pop();
            }
        }
        (Type::List(element), Value::Array(items)) => {
            for (i, child) in items.iter().enumerate() {
                path.push(Step::Index(i));
                walk(element, child, path, found);
                path.pop();
            }
        }
        _ => {}
    }
}

/// `spec.containers[0].bar`.
fn render(path: &[Step<'_>]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}
