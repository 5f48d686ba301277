//! Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`), decoded into
//! the JSON form of the same object so that the rest of the API server only ever sees JSON.
//!
//! kubectl 1.32 and later send the writes of their typed clients as protobuf and do not retry
//! as JSON on `415 Unsupported Media Type`: `kubectl create namespace|deployment|configmap|
//! secret|serviceaccount|service|quota|job|...`, `kubectl create token`, `kubectl debug`
//! (pod copies and node debugging pods) and `kubectl auth can-i|whoami`. (`apply`, `run`,
//! `expose`, `scale`, `delete`, `drain` and the patching commands send JSON.)
//!
//! A body is the four bytes `k8s\0` followed by a `runtime.Unknown` envelope:
//! 1 = `typeMeta` {1 = apiVersion, 2 = kind}, 2 = `raw` (the object's own message),
//! 3 = `contentEncoding`, 4 = `contentType`. The object is decoded with the field table in
//! `table`, and rendered exactly as Go's `encoding/json` renders the same struct: the same
//! field order and omissions, so the result equals what the same client sends as JSON.

mod json;
mod table;
mod wire;

use serde_json::Value;

use wire::Wire;

/// Media type kubectl's typed clients send.
pub const PROTOBUF: &str = "application/vnd.kubernetes.protobuf";

/// The prefix that marks a Kubernetes protobuf body.
const MAGIC: &[u8] = b"k8s\x00";

/// Why a protobuf body could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtobufError {
    #[error("the body is not a Kubernetes protobuf object: it does not start with \"k8s\\x00\"")]
    MissingMagic,
    #[error("the protobuf envelope names no kind")]
    MissingKind,
    #[error("content encoding {0:?} of the protobuf envelope is not supported")]
    UnsupportedEncoding(String),
    #[error("{kind} in {api_version} cannot be decoded from protobuf; send it as application/json")]
    UnsupportedKind { api_version: String, kind: String },
    #[error("malformed protobuf body: {0}")]
    Malformed(String),
}

impl ProtobufError {
    /// True when the body may be fine but this server cannot read it in protobuf form
    /// (answer 415 Unsupported Media Type); false when the body itself is broken (400).
    pub fn is_unsupported(&self) -> bool {
        matches!(
            self,
            ProtobufError::UnsupportedEncoding(_) | ProtobufError::UnsupportedKind { .. }
        )
    }
}

/// Decodes a Kubernetes protobuf body (magic + runtime.Unknown envelope) into the JSON form of the object.
pub fn decode(body: &[u8]) -> Result<Value, ProtobufError> {
    let envelope = body
        .strip_prefix(MAGIC)
        .ok_or(ProtobufError::MissingMagic)?;
    let mut api_version = String::new();
    let mut kind = String::new();
    let mut raw: &[u8] = &[];
    let mut encoding = String::new();
    for (number, value) in wire::fields(envelope)? {
        match number {
            1 => {
                for (number, value) in wire::fields(envelope_bytes(&value, "typeMeta")?)? {
                    match number {
                        1 => api_version = envelope_string(&value, "typeMeta.apiVersion")?,
                        2 => kind = envelope_string(&value, "typeMeta.kind")?,
                        _ => {}
                    }
                }
            }
            2 => raw = envelope_bytes(&value, "raw")?,
            3 => encoding = envelope_string(&value, "contentEncoding")?,
            _ => {}
        }
    }
    if kind.is_empty() {
        return Err(ProtobufError::MissingKind);
    }
    if !encoding.is_empty() {
        return Err(ProtobufError::UnsupportedEncoding(encoding));
    }
    let message =
        table::root(&api_version, &kind).ok_or_else(|| ProtobufError::UnsupportedKind {
            api_version: api_version.clone(),
            kind: kind.clone(),
        })?;
    let type_meta = json::TypeMeta {
        kind: &kind,
        api_version: &api_version,
    };
    Ok(Value::Object(json::object(
        message,
        raw,
        Some(&type_meta),
        0,
    )?))
}

fn envelope_bytes<'a>(value: &Wire<'a>, field: &str) -> Result<&'a [u8], ProtobufError> {
    match value {
        Wire::Bytes(bytes) => Ok(bytes),
        other => Err(ProtobufError::Malformed(format!(
            "envelope field {field}: expected a length-delimited value, got {}",
            other.describe()
        ))),
    }
}

fn envelope_string(value: &Wire<'_>, field: &str) -> Result<String, ProtobufError> {
    Ok(String::from_utf8_lossy(envelope_bytes(value, field)?).into_owned())
}

#[cfg(test)]
mod tests;
