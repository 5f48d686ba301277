//! Small helpers over raw JSON objects (`serde_json::Value`): metadata access, the
//! storage encoding, timestamps and generated names. Objects stay raw JSON end to end
//! so that no field a client sent is silently dropped by a typed round trip.

use bosun_store::KeyValue;
use bytes::Bytes;
use rand::Rng;
use serde_json::{Map, Value, json};

use crate::error::{ApiError, ApiResult};

pub fn meta(obj: &Value) -> Option<&Map<String, Value>> {
    obj.get("metadata")?.as_object()
}

/// The object's `metadata`, created if missing or not an object.
pub fn meta_mut(obj: &mut Value) -> &mut Map<String, Value> {
    if !obj.get("metadata").is_some_and(Value::is_object) {
        obj["metadata"] = json!({});
    }
    match obj.get_mut("metadata").and_then(Value::as_object_mut) {
        Some(m) => m,
        None => unreachable!("metadata was just made an object"),
    }
}

pub fn meta_str<'a>(obj: &'a Value, field: &str) -> Option<&'a str> {
    meta(obj)?.get(field)?.as_str()
}

pub fn name(obj: &Value) -> &str {
    meta_str(obj, "name").unwrap_or("")
}

pub fn labels(obj: &Value) -> Map<String, Value> {
    meta(obj)
        .and_then(|m| m.get("labels"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

pub fn finalizers(obj: &Value) -> Vec<String> {
    meta(obj)
        .and_then(|m| m.get("finalizers"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

pub fn is_deleting(obj: &Value) -> bool {
    meta(obj).is_some_and(|m| m.get("deletionTimestamp").is_some_and(|v| !v.is_null()))
}

/// Drops empty `labels`, `annotations`, `ownerReferences` and `finalizers`, which
/// upstream never stores (they are `omitempty` in its typed ObjectMeta), so a patch that
/// removes the last element leaves no empty field behind.
pub fn normalize_meta(obj: &mut Value) {
    let m = meta_mut(obj);
    for field in ["labels", "annotations", "ownerReferences", "finalizers"] {
        let empty = match m.get(field) {
            Some(Value::Object(o)) => o.is_empty(),
            Some(Value::Array(a)) => a.is_empty(),
            Some(Value::Null) => true,
            _ => false,
        };
        if empty {
            m.remove(field);
        }
    }
}

/// Decodes a stored value, setting `resourceVersion` from the store's revision.
pub fn decode(kv: &KeyValue) -> ApiResult<Value> {
    decode_at(&kv.value, kv.mod_revision)
}

pub fn decode_at(bytes: &[u8], revision: i64) -> ApiResult<Value> {
    let mut obj: Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::internal(format!("stored object is corrupt: {e}")))?;
    meta_mut(&mut obj).insert("resourceVersion".into(), json!(revision.to_string()));
    Ok(obj)
}

/// Only the labels of a stored object, without building the rest of it: the rest is
/// skipped by the parser, so a label-selected LIST decodes in full only what it returns.
pub fn stored_labels(bytes: &[u8]) -> ApiResult<Map<String, Value>> {
    #[derive(serde::Deserialize, Default)]
    struct Meta {
        #[serde(default)]
        labels: Option<Map<String, Value>>,
    }
    #[derive(serde::Deserialize)]
    struct LabelsOnly {
        #[serde(default)]
        metadata: Option<Meta>,
    }
    let only: LabelsOnly = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::internal(format!("stored object is corrupt: {e}")))?;
    Ok(only.metadata.and_then(|m| m.labels).unwrap_or_default())
}

/// Encodes an object for storage; `resourceVersion` is not stored (it is the revision).
pub fn encode(obj: &Value) -> Bytes {
    let mut obj = obj.clone();
    meta_mut(&mut obj).remove("resourceVersion");
    normalize_meta(&mut obj);
    Bytes::from(serde_json::to_vec(&obj).unwrap_or_default())
}

/// RFC 3339 timestamp with second precision, as upstream's `metav1.Time`.
pub fn now_rfc3339() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

pub fn rfc3339_after(seconds: i64) -> String {
    let ts = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_secs(seconds))
        .unwrap_or_else(|_| jiff::Timestamp::now());
    ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Upstream's suffix alphabet for generated names (no vowels, no look-alikes).
const ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

pub fn random_suffix(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHANUMS[rng.random_range(0..ALPHANUMS.len())] as char)
        .collect()
}

/// `generateName` + 5 random characters, the base cut so the name fits 63 characters.
pub fn generate_name(base: &str) -> String {
    let base: String = base.chars().take(58).collect();
    format!("{base}{}", random_suffix(5))
}

pub fn new_uid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Parses a JSON body, with upstream-like wording for malformed input.
pub fn parse_json(body: &[u8]) -> ApiResult<Value> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request("the body of the request was empty"));
    }
    serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(format!(
            "the object provided is unrecognized (must be of type object): couldn't get version/kind; json parse error: {e}"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_labels_agree_with_the_decoded_object() {
        let cases = [
            json!({"metadata": {"name": "a", "labels": {"app": "x", "tier": "web"}},
                   "spec": {"containers": [{"name": "c", "env": [{"name": "labels"}]}]}}),
            json!({"metadata": {"name": "b"}, "status": {"labels": {"not": "these"}}}),
            json!({"kind": "Pod"}),
        ];
        for obj in cases {
            let bytes = serde_json::to_vec(&obj).expect("encode");
            let decoded = decode_at(&bytes, 7).expect("decode");
            assert_eq!(
                stored_labels(&bytes).expect("labels"),
                labels(&decoded),
                "{obj}"
            );
        }
        assert!(stored_labels(b"{not json").is_err());
    }
}
