//! ConfigMaps and Secrets: data keys, the 1 MiB size limit and the rules of Secret types.

use serde_json::Value;

use super::FieldError;
use super::kinds::kind_meta;
use super::names;
use super::util::{Path, at, map_of, str_of};
use crate::resources::ResourceInfo;

/// Upstream's `MaxSecretSize` (also the ConfigMap limit): 1 MiB.
const MAX_SECRET_SIZE: usize = 1024 * 1024;

/// The decoded size of a base64 value (what upstream counts for `[]byte` data).
fn decoded_len(v: &Value) -> usize {
    let s = v.as_str().unwrap_or("");
    let trimmed = s.trim_end_matches('=');
    trimmed.len() * 3 / 4
}

pub(crate) fn validate_config_map(info: &ResourceInfo, obj: &Value) -> Vec<FieldError> {
    let mut errs = kind_meta(info, obj);
    let mut total = 0usize;
    let binary = map_of(obj, "binaryData");
    for (key, value) in map_of(obj, "data").into_iter().flatten() {
        let p = Path::root("data").key(key);
        for msg in names::is_config_map_key(key) {
            errs.push(FieldError::invalid(&p, key.as_str(), &msg));
        }
        if binary.is_some_and(|b| b.contains_key(key)) {
            errs.push(FieldError::invalid(
                &p,
                key.as_str(),
                "duplicate of key present in binaryData",
            ));
        }
        total += value.as_str().map(str::len).unwrap_or(0);
    }
    for (key, value) in binary.into_iter().flatten() {
        for msg in names::is_config_map_key(key) {
            errs.push(FieldError::invalid(
                &Path::root("binaryData").key(key),
                key.as_str(),
                &msg,
            ));
        }
        total += decoded_len(value);
    }
    if total > MAX_SECRET_SIZE {
        errs.push(FieldError::too_long(&Path::root(""), MAX_SECRET_SIZE));
    }
    errs
}

pub(crate) fn validate_secret(info: &ResourceInfo, obj: &Value) -> Vec<FieldError> {
    let mut errs = kind_meta(info, obj);
    let data_path = Path::root("data");
    let data = map_of(obj, "data");
    let mut total = 0usize;
    for (key, value) in data.into_iter().flatten() {
        for msg in names::is_config_map_key(key) {
            errs.push(FieldError::invalid(&data_path.key(key), key.as_str(), &msg));
        }
        total += decoded_len(value);
    }
    if total > MAX_SECRET_SIZE {
        errs.push(FieldError::too_long(&data_path, MAX_SECRET_SIZE));
    }
    let has = |k: &str| data.is_some_and(|d| d.contains_key(k));
    match str_of(obj, "type") {
        "kubernetes.io/service-account-token" => {
            let name = at(
                obj,
                &[
                    "metadata",
                    "annotations",
                    "kubernetes.io/service-account.name",
                ],
            )
            .and_then(Value::as_str)
            .unwrap_or("");
            if name.is_empty() {
                errs.push(FieldError::required(
                    &Path::root("metadata")
                        .child("annotations")
                        .key("kubernetes.io/service-account.name"),
                    "",
                ));
            }
        }
        "kubernetes.io/dockercfg" => errs.extend(require_json_key(data, ".dockercfg", &data_path)),
        "kubernetes.io/dockerconfigjson" => {
            errs.extend(require_json_key(data, ".dockerconfigjson", &data_path))
        }
        "kubernetes.io/basic-auth" if !has("username") && !has("password") => {
            errs.push(FieldError::required(&data_path.key("username"), ""));
            errs.push(FieldError::required(&data_path.key("password"), ""));
        }
        "kubernetes.io/ssh-auth" => {
            let empty = data
                .and_then(|d| d.get("ssh-privatekey"))
                .and_then(Value::as_str)
                .is_none_or(str::is_empty);
            if empty {
                errs.push(FieldError::required(&data_path.key("ssh-privatekey"), ""));
            }
        }
        "kubernetes.io/tls" => {
            for k in ["tls.crt", "tls.key"] {
                if !has(k) {
                    errs.push(FieldError::required(&data_path.key(k), ""));
                }
            }
        }
        _ => {}
    }
    errs
}

fn require_json_key(
    data: Option<&serde_json::Map<String, Value>>,
    key: &str,
    path: &Path,
) -> Vec<FieldError> {
    let Some(raw) = data.and_then(|d| d.get(key)) else {
        return vec![FieldError::required(&path.key(key), "")];
    };
    let decoded = crate::defaults::base64_decode(raw.as_str().unwrap_or(""));
    let ok = decoded
        .as_deref()
        .and_then(|b| serde_json::from_slice::<serde_json::Map<String, Value>>(b).ok())
        .is_some();
    if ok {
        Vec::new()
    } else {
        vec![FieldError::invalid(
            &path.key(key),
            "<secret contents redacted>",
            "invalid JSON object",
        )]
    }
}
