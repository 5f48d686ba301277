//! The three patch formats of `PATCH` requests: JSON patch (RFC 6902), JSON merge patch
//! (RFC 7396) and Kubernetes strategic merge patch.

use serde_json::Value;

use crate::error::{ApiError, ApiResult};

pub const JSON_PATCH: &str = "application/json-patch+json";
pub const MERGE_PATCH: &str = "application/merge-patch+json";
pub const STRATEGIC_MERGE_PATCH: &str = "application/strategic-merge-patch+json";
pub const APPLY_PATCH: &str = "application/apply-patch+yaml";

/// A parsed patch body.
#[derive(Debug, Clone)]
pub enum Patch {
    Json(json_patch::Patch),
    Merge(Value),
    Strategic(Value),
}

impl Patch {
    /// Parses a body by its media type (parameters such as `charset` ignored).
    pub fn parse(content_type: &str, body: &[u8]) -> ApiResult<Patch> {
        let media = content_type.split(';').next().unwrap_or("").trim();
        match media {
            JSON_PATCH => serde_json::from_slice(body)
                .map(Patch::Json)
                .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}"))),
            MERGE_PATCH | STRATEGIC_MERGE_PATCH => {
                let value: Value = serde_json::from_slice(body)
                    .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?;
                if !value.is_object() {
                    return Err(ApiError::bad_request(
                        "error decoding patch: the patch must be a JSON object",
                    ));
                }
                Ok(if media == MERGE_PATCH {
                    Patch::Merge(value)
                } else {
                    Patch::Strategic(value)
                })
            }
            APPLY_PATCH => Err(ApiError::unsupported_media_type(
                "application/apply-patch+yaml (server-side apply is not supported yet; use client-side kubectl apply)",
            )),
            other => Err(ApiError::unsupported_media_type(other)),
        }
    }

    /// Whether the patch itself carries `metadata.resourceVersion` (a precondition, so
    /// a conflicting write must not be retried).
    pub fn pins_version(&self) -> bool {
        match self {
            Patch::Merge(v) | Patch::Strategic(v) => v
                .pointer("/metadata/resourceVersion")
                .is_some_and(|rv| !rv.is_null()),
            Patch::Json(p) => p.0.iter().any(|op| {
                matches!(op, json_patch::PatchOperation::Test(t) if t.path.as_str() == "/metadata/resourceVersion")
            }),
        }
    }

    /// Whether applying the patch can add no field the schema of `definition` does not
    /// know: a merge or strategic patch whose own fields are all known (what it merges
    /// lands at the same paths). Directive keys (`$patch`, `$setElementOrder/…`) count
    /// as unknown here, and a JSON patch's paths are not looked at: both are answered
    /// `false`, and the patched object is checked whole.
    pub fn adds_no_unknown_fields(&self, definition: &str) -> bool {
        match self {
            Patch::Merge(body) | Patch::Strategic(body) => {
                bosun_api::smp::unknown_fields(definition, body).is_empty()
            }
            Patch::Json(_) => false,
        }
    }

    /// Applies the patch to `current`, returning the patched object.
    pub fn apply(&self, definition: &str, current: &Value) -> ApiResult<Value> {
        let mut patched = self.apply_raw(definition, current)?;
        prune(&mut patched);
        Ok(patched)
    }

    fn apply_raw(&self, definition: &str, current: &Value) -> ApiResult<Value> {
        match self {
            Patch::Json(patch) => {
                let mut doc = current.clone();
                json_patch::patch(&mut doc, patch).map_err(|e| {
                    ApiError::new(
                        422,
                        "Invalid",
                        format!(
                            "the server rejected our request due to an error in our request: {e}"
                        ),
                    )
                })?;
                Ok(doc)
            }
            Patch::Merge(patch) => {
                let mut doc = current.clone();
                json_patch::merge(&mut doc, patch);
                Ok(doc)
            }
            Patch::Strategic(patch) => {
                bosun_api::smp::apply_strategic_merge_patch(current, patch, definition).map_err(
                    |e| match e.status_code() {
                        422 => ApiError::new(422, "Invalid", e.to_string()),
                        400 => ApiError::bad_request(e.to_string()),
                        // Upstream answers 500 here; a bad patch is the client's error.
                        _ => ApiError::bad_request(e.to_string()),
                    },
                )
            }
        }
    }
}

/// Drops what a typed decode would drop after patching: `null` members and leftover
/// `$`-directives inside newly added list elements (upstream decodes the patched JSON
/// into Go structs, which forgets both).
fn prune(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|k, v| !v.is_null() && !k.starts_with('$'));
            map.values_mut().for_each(prune);
        }
        Value::Array(items) => items.iter_mut().for_each(prune),
        _ => {}
    }
}
