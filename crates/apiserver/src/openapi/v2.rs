//! Renders the operation model and the schema definitions as one Swagger 2.0 document
//! (`/openapi/v2`). kubectl 1.27/1.28 load it (as protobuf, see `gnostic`) for every
//! `apply`/`create`/`explain`; later releases fall back to it when OpenAPI v3 fails.

use serde_json::{Map, Value, json};

use super::params::{In, Param};
use super::routes::{Body, Operation, PATCH_MEDIA_TYPES, PathItem, Produces};
use super::{KUBERNETES_VERSION, media_types};

pub(crate) fn document(paths: &[&PathItem], definitions: &Map<String, Value>) -> Value {
    let mut sorted: Vec<&PathItem> = paths.to_vec();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    let mut rendered = Map::new();
    for item in sorted {
        rendered.insert(item.path.clone(), path_item(item));
    }
    let mut defs: Vec<(&String, &Value)> = definitions.iter().collect();
    defs.sort_by(|a, b| a.0.cmp(b.0));
    let defs: Map<String, Value> = defs
        .into_iter()
        .map(|(name, schema)| (name.clone(), normalize(schema)))
        .collect();
    json!({
        "swagger": "2.0",
        "info": {"title": "Kubernetes", "version": KUBERNETES_VERSION},
        "paths": rendered,
        "definitions": defs,
    })
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

fn operation(op: &Operation) -> Value {
    let consumes: Vec<&str> = match &op.body {
        Some(Body { patch: true, .. }) => PATCH_MEDIA_TYPES.to_vec(),
        _ => vec!["*/*"],
    };
    let mut params: Vec<Value> = Vec::new();
    if let Some(body) = &op.body {
        let mut p = json!({
            "in": "body",
            "name": "body",
            "schema": {"$ref": format!("#/definitions/{}", body.schema)},
        });
        if body.required {
            p["required"] = Value::Bool(true);
        }
        params.push(p);
    }
    params.extend(op.params.iter().map(parameter));
    let mut responses = Map::new();
    let schema = match op.produces {
        Produces::Text => json!({"type": "string"}),
        _ => json!({"$ref": format!("#/definitions/{}", op.schema)}),
    };
    for code in op.codes {
        responses.insert(
            code.to_string(),
            json!({"description": super::status_text(*code), "schema": schema}),
        );
    }
    responses.insert("401".into(), json!({"description": "Unauthorized"}));
    let mut out = json!({
        "consumes": consumes,
        "description": op.description,
        "operationId": op.id,
        "produces": media_types(op.produces),
        "responses": responses,
        "schemes": ["https"],
        "tags": [op.tag],
        "x-kubernetes-action": op.action,
        "x-kubernetes-group-version-kind": {
            "group": op.gvk.group, "kind": op.gvk.kind, "version": op.gvk.version,
        },
    });
    if !params.is_empty() {
        out["parameters"] = Value::Array(params);
    }
    out
}

fn parameter(p: &Param) -> Value {
    let mut out = json!({
        "description": p.description,
        "in": match p.location { In::Path => "path", In::Query => "query" },
        "name": p.name,
        "type": p.ty,
        "uniqueItems": true,
    });
    if p.location == In::Path {
        out["required"] = Value::Bool(true);
    }
    out
}

/// Rewrites a schema into the Swagger 2.0 subset kubectl's v2 parser (kube-openapi
/// `proto.NewOpenAPIData`) accepts: a `$ref` must stand without `type`/`properties`
/// (a single-element `allOf` wrapper becomes the plain reference) and `type` must be one
/// name (a `["x", "null"]` union keeps `x`).
pub(crate) fn normalize(schema: &Value) -> Value {
    let Value::Object(map) = schema else {
        return schema.clone();
    };
    let mut out = Map::new();
    for (key, value) in map {
        match key.as_str() {
            "properties" => {
                let props = value
                    .as_object()
                    .map(|ps| ps.iter().map(|(k, v)| (k.clone(), normalize(v))).collect())
                    .unwrap_or_default();
                out.insert(key.clone(), Value::Object(props));
            }
            "items" | "additionalProperties" | "not" => {
                out.insert(key.clone(), normalize(value));
            }
            "allOf" | "anyOf" | "oneOf" => {
                let list = value
                    .as_array()
                    .map(|xs| xs.iter().map(normalize).collect())
                    .unwrap_or_default();
                out.insert(key.clone(), Value::Array(list));
            }
            "type" => {
                let single = match value {
                    Value::Array(names) => names
                        .iter()
                        .find(|n| n.as_str() != Some("null"))
                        .cloned()
                        .unwrap_or(Value::Null),
                    other => other.clone(),
                };
                if !single.is_null() {
                    out.insert(key.clone(), single);
                }
            }
            // OpenAPI 3 only; Swagger 2.0 has no way to say it.
            "nullable" => {}
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    if let Some(Value::Array(all_of)) = out.get("allOf")
        && all_of.len() == 1
        && !out.contains_key("properties")
        && !out.contains_key("type")
        && let Some(reference) = all_of[0].get("$ref").cloned()
    {
        out.remove("allOf");
        out.insert("$ref".into(), reference);
    }
    if out.contains_key("$ref") {
        out.remove("type");
        out.remove("properties");
    }
    Value::Object(out)
}
