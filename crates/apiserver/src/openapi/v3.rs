//! Renders one OpenAPI 3.0 document per group version (`/openapi/v3/apis/apps/v1`) from the
//! operation model, with `components.schemas` cut down to what the paths reach. kubectl
//! 1.27+ reads these for `explain`, for its field-validation probe and for client-side
//! strategic merge patch metadata.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::params::{In, Param};
use super::routes::{Operation, PATCH_MEDIA_TYPES, PathItem, Produces};
use super::{KUBERNETES_VERSION, media_types};

const V2_PREFIX: &str = "#/definitions/";
const V3_PREFIX: &str = "#/components/schemas/";

pub(crate) fn document(paths: &[&PathItem], definitions: &Map<String, Value>) -> Value {
    let mut sorted: Vec<&PathItem> = paths.to_vec();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    let mut rendered = Map::new();
    let mut roots = BTreeSet::new();
    for item in sorted {
        for op in &item.ops {
            if !op.schema.is_empty() {
                roots.insert(op.schema.clone());
            }
            if let Some(body) = &op.body {
                roots.insert(body.schema.to_string());
            }
        }
        rendered.insert(item.path.clone(), path_item(item));
    }
    let mut schemas = Map::new();
    for name in reachable(roots, definitions) {
        if let Some(schema) = definitions.get(&name) {
            schemas.insert(name, convert(schema));
        }
    }
    json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": KUBERNETES_VERSION},
        "paths": rendered,
        "components": {"schemas": schemas},
    })
}

/// Names of every definition reachable from `roots` through `$ref`s, sorted. Unknown names
/// are kept so that a dangling reference shows up in the tests instead of vanishing.
pub(crate) fn reachable(
    roots: BTreeSet<String>,
    definitions: &Map<String, Value>,
) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut stack: Vec<String> = roots.into_iter().collect();
    while let Some(name) = stack.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        if let Some(schema) = definitions.get(&name) {
            collect_refs(schema, &mut stack);
        }
    }
    seen
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                if key == "$ref"
                    && let Some(name) = v.as_str().and_then(|r| r.strip_prefix(V2_PREFIX))
                {
                    out.push(name.to_string());
                } else {
                    collect_refs(v, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// Converts a v2 schema to OpenAPI 3.0: references point into `components/schemas`, and a
/// reference with sibling keywords (a field's description) becomes `allOf: [{$ref}]`
/// beside them, because OpenAPI 3.0 ignores siblings of `$ref`. This is also the shape
/// upstream serves, which kubectl's explain templates and patch-metadata lookup follow.
pub(crate) fn convert(schema: &Value) -> Value {
    let Value::Object(map) = schema else {
        return schema.clone();
    };
    let mut out = Map::new();
    let mut reference = None;
    for (key, value) in map {
        match key.as_str() {
            "$ref" => {
                let target = value.as_str().unwrap_or_default();
                let name = target.strip_prefix(V2_PREFIX).unwrap_or(target);
                reference = Some(Value::String(format!("{V3_PREFIX}{name}")));
            }
            "properties" => {
                let props = value
                    .as_object()
                    .map(|ps| ps.iter().map(|(k, v)| (k.clone(), convert(v))).collect())
                    .unwrap_or_default();
                out.insert(key.clone(), Value::Object(props));
            }
            "items" | "additionalProperties" | "not" => {
                out.insert(key.clone(), convert(value));
            }
            "allOf" | "anyOf" | "oneOf" => {
                let list = value
                    .as_array()
                    .map(|xs| xs.iter().map(convert).collect())
                    .unwrap_or_default();
                out.insert(key.clone(), Value::Array(list));
            }
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    match reference {
        Some(r) if out.is_empty() => json!({"$ref": r}),
        Some(r) => {
            out.insert("allOf".into(), json!([{"$ref": r}]));
            Value::Object(out)
        }
        None => Value::Object(out),
    }
}

fn path_item(item: &PathItem) -> Value {
    let mut out = Map::new();
    let mut ops: Vec<&Operation> = item.ops.iter().collect();
    ops.sort_by_key(|op| op.method);
    for op in ops {
        out.insert(op.method.as_str().to_string(), operation(op));
    }
    if !item.params.is_empty() {
        out.insert(
            "parameters".into(),
            item.params.iter().map(parameter).collect(),
        );
    }
    Value::Object(out)
}

fn schema_ref(name: &str) -> Value {
    json!({"schema": {"$ref": format!("{V3_PREFIX}{name}")}})
}

fn operation(op: &Operation) -> Value {
    let mut responses = Map::new();
    let schema = match op.produces {
        Produces::Text => json!({"schema": {"type": "string"}}),
        _ => schema_ref(&op.schema),
    };
    for code in op.codes {
        let content: Map<String, Value> = media_types(op.produces)
            .into_iter()
            .map(|mt| (mt.to_string(), schema.clone()))
            .collect();
        responses.insert(
            code.to_string(),
            json!({"content": content, "description": super::status_text(*code)}),
        );
    }
    responses.insert("401".into(), json!({"description": "Unauthorized"}));
    let mut out = Map::new();
    out.insert("description".into(), op.description.clone().into());
    out.insert("operationId".into(), op.id.clone().into());
    if !op.params.is_empty() {
        out.insert(
            "parameters".into(),
            op.params.iter().map(parameter).collect(),
        );
    }
    if let Some(body) = &op.body {
        let media: Vec<&str> = if body.patch {
            // Upstream lists the patch types alphabetically.
            let mut m = PATCH_MEDIA_TYPES.to_vec();
            m.sort_unstable();
            m
        } else {
            vec!["*/*"]
        };
        let content: Map<String, Value> = media
            .into_iter()
            .map(|mt| (mt.to_string(), schema_ref(body.schema)))
            .collect();
        let mut request = json!({"content": content});
        if body.required {
            request["required"] = Value::Bool(true);
        }
        out.insert("requestBody".into(), request);
    }
    out.insert("responses".into(), Value::Object(responses));
    out.insert("tags".into(), json!([op.tag]));
    out.insert("x-kubernetes-action".into(), op.action.into());
    out.insert(
        "x-kubernetes-group-version-kind".into(),
        json!({"group": op.gvk.group, "kind": op.gvk.kind, "version": op.gvk.version}),
    );
    Value::Object(out)
}

fn parameter(p: &Param) -> Value {
    let mut out = json!({
        "description": p.description,
        "in": match p.location { In::Path => "path", In::Query => "query" },
        "name": p.name,
        "schema": {"type": p.ty, "uniqueItems": true},
    });
    if p.location == In::Path {
        out["required"] = Value::Bool(true);
    }
    out
}
