//! `pod-template-hash` computation and template equality.
//!
//! Upstream hashes a Go `spew` dump of the `PodTemplateSpec`, which cannot be
//! reproduced outside Go, so our hash values (and therefore RS names) differ
//! from upstream's. That is harmless: a Deployment finds its new ReplicaSet by
//! template *equality* ([`equal_ignore_hash`]), never by recomputing the hash.
//!
//! Our stable encoding is canonical JSON: the template serialized through
//! k8s-openapi, normalized (see [`normalize`]), object keys sorted, no
//! whitespace. Then, as upstream: FNV-32a over it, plus the collision count as
//! 8 little-endian bytes (a u32 then four zero bytes) when set, the decimal
//! string of the 32-bit sum, each digit mapped through the vowel-free alphabet
//! of `rand.SafeEncodeString`.

use k8s_openapi::api::core::v1::PodTemplateSpec;
use serde_json::Value;

use super::DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY;

/// `k8s.io/apimachinery/pkg/util/rand` alphabet (no vowels, no ambiguous digits).
const SAFE_ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// Keys whose value is a Go map or a non-pointer Go struct: an empty JSON
/// object there means the same as an absent field (Go's semantic equality
/// treats nil and empty maps alike, and never distinguishes a zero struct).
/// Everywhere else `{}` is kept, because `emptyDir: {}` differs from no emptyDir.
const EMPTY_MEANS_ABSENT: &[&str] = &[
    "labels",
    "annotations",
    "nodeSelector",
    "limits",
    "requests",
    "overhead",
    "matchLabels",
    "volumeAttributes",
    "options",
    "resources",
    "metadata",
];

/// Normalizes a JSON value the way `apiequality.Semantic.DeepEqual` sees it:
/// nulls dropped, empty arrays dropped (nil slice == empty slice), empty
/// objects dropped under keys that are Go maps or non-pointer structs.
pub fn normalize(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = serde_json::Map::new();
            for (k, v) in map {
                let v = normalize(v);
                let drop = match &v {
                    Value::Null => true,
                    Value::Array(a) => a.is_empty(),
                    Value::Object(o) => o.is_empty() && EMPTY_MEANS_ABSENT.contains(&k.as_str()),
                    _ => false,
                };
                if !drop {
                    out.insert(k.clone(), v);
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(normalize).collect()),
        other => other.clone(),
    }
}

/// Compact JSON with object keys sorted, independent of serde_json's
/// `preserve_order` feature.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*k).clone()).to_string());
                out.push(':');
                if let Some(v) = map.get(*k) {
                    write_canonical(v, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(v, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The normalized canonical encoding of a template, optionally without the
/// `pod-template-hash` label.
fn template_encoding(template: &PodTemplateSpec, strip_hash_label: bool) -> String {
    let mut value = serde_json::to_value(template).unwrap_or(Value::Null);
    if strip_hash_label
        && let Some(labels) = value
            .get_mut("metadata")
            .and_then(|m| m.get_mut("labels"))
            .and_then(Value::as_object_mut)
    {
        labels.remove(DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY);
    }
    canonical_json(&normalize(&value))
}

/// 32-bit FNV-1a.
pub fn fnv32a(data: &[u8]) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for b in data {
        hash ^= u32::from(*b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

/// `rand.SafeEncodeString`: each character mapped to `alphabet[c % 27]`.
pub fn safe_encode_string(s: &str) -> String {
    s.chars()
        .map(|c| char::from(SAFE_ALPHANUMS[(c as usize) % SAFE_ALPHANUMS.len()]))
        .collect()
}

/// The `pod-template-hash` value for a template (`controller.ComputeHash`).
pub fn compute_hash(template: &PodTemplateSpec, collision_count: Option<i32>) -> String {
    let mut data = template_encoding(template, false).into_bytes();
    if let Some(count) = collision_count {
        // Upstream writes the u32 into an 8-byte buffer, leaving 4 zero bytes.
        data.extend_from_slice(&(count as u32).to_le_bytes());
        data.extend_from_slice(&[0, 0, 0, 0]);
    }
    safe_encode_string(&fnv32a(&data).to_string())
}

/// `EqualIgnoreHash`: templates equal once the `pod-template-hash` label is
/// removed from both, under semantic (nil == empty) equality.
pub fn equal_ignore_hash(a: &PodTemplateSpec, b: &PodTemplateSpec) -> bool {
    template_encoding(a, true) == template_encoding(b, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{Container, EmptyDirVolumeSource, PodSpec, Volume};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
    use std::collections::BTreeMap;

    fn template(image: &str, labels: &[(&str, &str)]) -> PodTemplateSpec {
        PodTemplateSpec {
            metadata: Some(ObjectMeta {
                labels: Some(
                    labels
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                ),
                ..Default::default()
            }),
            spec: Some(PodSpec {
                containers: vec![Container {
                    name: "nginx".into(),
                    image: Some(image.into()),
                    ..Default::default()
                }],
                ..Default::default()
            }),
        }
    }

    #[test]
    fn fnv_and_alphabet_match_known_values() {
        // FNV-1a reference vectors.
        assert_eq!(fnv32a(b""), 0x811c_9dc5);
        assert_eq!(fnv32a(b"a"), 0xe40c_292c);
        assert_eq!(fnv32a(b"foobar"), 0xbf9c_f968);
        // Digits map to 4..9 then b c d f, so upstream's "6c5f67b5f7" decodes to 2719236193.
        assert_eq!(safe_encode_string("0123456789"), "456789bcdf");
        assert_eq!(safe_encode_string("2719236193"), "6c5f67b5f7");
    }

    #[test]
    fn hash_is_stable_and_sensitive() {
        let t = template("nginx:1.14.2", &[("app", "nginx")]);
        let h = compute_hash(&t, None);
        assert_eq!(h, compute_hash(&t.clone(), None));
        assert!(!h.is_empty() && h.len() <= 10);
        assert!(h.bytes().all(|b| SAFE_ALPHANUMS.contains(&b)));
        assert_ne!(
            h,
            compute_hash(&template("nginx:1.16.1", &[("app", "nginx")]), None)
        );
        // Collision count changes the hash, and Some(0) differs from None.
        assert_ne!(compute_hash(&t, Some(0)), h);
        assert_ne!(compute_hash(&t, Some(1)), compute_hash(&t, Some(0)));
    }

    #[test]
    fn equality_ignores_hash_label_and_nil_vs_empty() {
        let a = template("nginx:1", &[("app", "nginx")]);
        let b = template(
            "nginx:1",
            &[
                ("app", "nginx"),
                (DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY, "abc"),
            ],
        );
        assert!(equal_ignore_hash(&a, &b));
        let mut c = a.clone();
        if let Some(m) = c.metadata.as_mut() {
            m.annotations = Some(BTreeMap::new());
        }
        if let Some(s) = c.spec.as_mut() {
            s.volumes = Some(vec![]);
        }
        assert!(equal_ignore_hash(&a, &c), "empty map/slice == absent");
        assert!(!equal_ignore_hash(
            &a,
            &template("nginx:2", &[("app", "nginx")])
        ));
        assert!(!equal_ignore_hash(
            &a,
            &template("nginx:1", &[("app", "other")])
        ));
        // A pointer-to-struct set to {} is not the same as absent.
        let mut d = a.clone();
        if let Some(s) = d.spec.as_mut() {
            s.volumes = Some(vec![Volume {
                name: "v".into(),
                empty_dir: Some(EmptyDirVolumeSource::default()),
                ..Default::default()
            }]);
        }
        let mut e = d.clone();
        if let Some(v) = e.spec.as_mut().and_then(|s| s.volumes.as_mut()) {
            v[0].empty_dir = None;
        }
        assert!(!equal_ignore_hash(&d, &e));
    }

    #[test]
    fn canonical_json_sorts_keys() {
        let v: Value =
            serde_json::from_str(r#"{"b":1,"a":{"d":[1,{"z":1,"y":2}],"c":"x"}}"#).expect("json");
        assert_eq!(
            canonical_json(&v),
            r#"{"a":{"c":"x","d":[1,{"y":2,"z":1}]},"b":1}"#
        );
    }
}
