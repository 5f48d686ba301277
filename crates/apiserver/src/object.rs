//! Small helpers over raw JSON objects (`serde_json::Value`): metadata access, the
//! storage encoding, timestamps and generated names. Objects stay raw JSON end to end
//! so that no field a client sent is silently dropped by a typed round trip.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::RwLock;

use bosun_api::selector::LabelSelector;
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
    set_revision(&mut obj, revision);
    Ok(obj)
}

/// A stored object as a client sees it (what encoding [`decode_at`]'s answer gives),
/// made from the stored bytes without building the object: `resourceVersion` is
/// appended to the top-level `metadata`, where [`set_revision`] puts it. A GET or a
/// LIST that only hands objects back spent most of its time building and freeing
/// those trees. `None` if the bytes have no `metadata` object (never so for what
/// this server stores); the caller then decodes.
pub fn encode_at(stored: &[u8], revision: i64) -> Option<Vec<u8>> {
    let (start, close) = top_level_metadata(stored)?;
    let empty = stored[start + 1..close].iter().all(u8::is_ascii_whitespace);
    Some(splice_revision(stored, close, empty, revision))
}

/// The top-level `metadata` of stored JSON, decoded alone (the rest is not parsed):
/// for checks that read only metadata, such as whether a namespace is terminating.
/// `None` if there is no such object or it does not decode.
pub fn stored_meta(stored: &[u8]) -> Option<Map<String, Value>> {
    let (start, close) = top_level_metadata(stored)?;
    serde_json::from_slice(&stored[start..=close]).ok()
}

/// Where the top-level `metadata` object of stored JSON opens and closes (its `{` and
/// `}`), found by scanning only as far as its end: `apiVersion` and `kind` come before
/// it and the spec and status, most of the bytes, after it. Parsing the whole object to
/// find it (serde skipping the rest) was a tenth of the server's time under LISTs.
/// Hand-written because a parser cannot stop once it has what it needs; the bytes are
/// the server's own encoding, so this only has to read valid JSON. `None` if there is
/// no such object.
fn top_level_metadata(json: &[u8]) -> Option<(usize, usize)> {
    let mut at = skip_whitespace(json, 0);
    if json.get(at) != Some(&b'{') {
        return None;
    }
    at += 1;
    loop {
        at = skip_whitespace(json, at);
        if json.get(at) != Some(&b'"') {
            return None;
        }
        let key_end = skip_value(json, at)?;
        let key = &json[at + 1..key_end - 1];
        at = skip_whitespace(json, key_end);
        if json.get(at) != Some(&b':') {
            return None;
        }
        at = skip_whitespace(json, at + 1);
        let value_end = skip_value(json, at)?;
        if key == b"metadata" {
            let object = json[at] == b'{' && json[value_end - 1] == b'}';
            return object.then_some((at, value_end - 1));
        }
        at = skip_whitespace(json, value_end);
        match json.get(at) {
            Some(b',') => at += 1,
            _ => return None,
        }
    }
}

fn skip_whitespace(json: &[u8], mut at: usize) -> usize {
    while json.get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    at
}

/// The index just past the JSON value that starts at `at`.
fn skip_value(json: &[u8], mut at: usize) -> Option<usize> {
    let mut depth = 0usize;
    loop {
        match *json.get(at)? {
            b'"' => {
                at += 1;
                loop {
                    match *json.get(at)? {
                        b'\\' => at += 2,
                        b'"' => break,
                        _ => at += 1,
                    }
                }
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.checked_sub(1)?,
            b',' | b':' if depth == 0 => return None,
            byte if depth == 0 && !byte.is_ascii_whitespace() => {
                // A number, `true`, `false` or `null`: up to the next delimiter.
                while json
                    .get(at + 1)
                    .is_some_and(|b| !matches!(b, b',' | b'}' | b']') && !b.is_ascii_whitespace())
                {
                    at += 1;
                }
            }
            _ => {}
        }
        at += 1;
        if depth == 0 {
            return Some(at);
        }
    }
}

/// `stored` with `"resourceVersion":"<revision>"` added as the last member of the
/// `metadata` object that closes at `close` (its `}`).
fn splice_revision(stored: &[u8], close: usize, empty: bool, revision: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(stored.len() + 40);
    out.extend_from_slice(&stored[..close]);
    if !empty {
        out.push(b',');
    }
    out.extend_from_slice(b"\"resourceVersion\":\"");
    out.extend_from_slice(revision.to_string().as_bytes());
    out.extend_from_slice(b"\"");
    out.extend_from_slice(&stored[close..]);
    out
}

/// [`encode_at`], or for bytes it cannot splice, the object decoded and encoded.
pub fn client_json(stored: &[u8], revision: i64) -> ApiResult<Vec<u8>> {
    match encode_at(stored, revision) {
        Some(json) => Ok(json),
        None => Ok(serde_json::to_vec(&decode_at(stored, revision)?).unwrap_or_default()),
    }
}

/// What label and field selectors read of a stored object, without building the rest:
/// every scalar of the object and of its top-level members (`metadata.name`,
/// `spec.nodeName`, `status.phase`, an Event's `involvedObject.kind`, …), and whole
/// `labels` and `podIPs` (`status.podIP` falls back to the first of them). Containers,
/// volumes, conditions and everything deeper are skipped by the parser. A watch with a
/// selector (every node agent's) reads this for each event; decoding the whole pod for
/// it was a twentieth of the server's time at 150,000 pods. `None` if the bytes are not
/// a JSON object.
pub fn selectable_skeleton(stored: &[u8]) -> Option<Value> {
    use serde::de::DeserializeSeed;
    let mut de = serde_json::Deserializer::from_slice(stored);
    let skeleton = Skeleton {
        depth: 0,
        whole: false,
    }
    .deserialize(&mut de)
    .ok()??;
    de.end().ok()?;
    skeleton.is_object().then_some(skeleton)
}

/// One level of [`selectable_skeleton`]: `None` for what it leaves out.
struct Skeleton {
    depth: u8,
    /// Kept whole (`labels`, `podIPs`).
    whole: bool,
}

impl<'de> serde::de::DeserializeSeed<'de> for Skeleton {
    type Value = Option<Value>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Option<Value>, D::Error> {
        if self.whole {
            return serde::Deserialize::deserialize(d).map(Some);
        }
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Skeleton {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Option<Value>, E> {
        Ok(Some(Value::Bool(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Option<Value>, E> {
        Ok(Some(Value::from(v)))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Option<Value>, E> {
        Ok(Some(Value::from(v)))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Option<Value>, E> {
        Ok(Some(Value::from(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Option<Value>, E> {
        Ok(Some(Value::String(v.to_string())))
    }

    fn visit_unit<E>(self) -> Result<Option<Value>, E> {
        Ok(Some(Value::Null))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> Result<Option<Value>, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> Result<Option<Value>, A::Error> {
        if self.depth >= 2 {
            while map
                .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                .is_some()
            {}
            return Ok(None);
        }
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let whole = self.depth == 1 && (key == "labels" || key == "podIPs");
            let seed = Skeleton {
                depth: self.depth + 1,
                whole,
            };
            if let Some(value) = map.next_value_seed(seed)? {
                out.insert(key, value);
            }
        }
        Ok(Some(Value::Object(out)))
    }
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

/// Each stored object's labels by the revision of the version they were read from, so
/// that a label-selected LIST matches a pod from memory instead of walking its JSON
/// again. Upstream keeps the same per-object attributes ready in its watch cache;
/// without them the mixed `bench api` phase spent half the server's time in
/// [`stored_labels`].
///
/// Entries are keyed by `mod_revision`, which names one version of one key (every
/// write of ours is a single-key transaction), and carry a hash of the key as a
/// check, so a stale or leftover entry is never used for another version. A LIST
/// visits every object of its prefix, so the lookup is kept to one integer hash and
/// no string comparison. The map is bounded by clearing it when it passes
/// [`LABEL_CACHE_LIMIT`]: a miss only costs the parse it saves.
#[derive(Default)]
pub struct LabelCache {
    entries: RwLock<HashMap<i64, LabelEntry>>,
    key_hasher: std::hash::RandomState,
}

/// A cached version's key hash (the check) and labels.
type LabelEntry = (u64, Map<String, Value>);

/// Entries the label cache keeps at most: 150,000 pods with room to spare.
pub const LABEL_CACHE_LIMIT: usize = 1 << 18;

impl LabelCache {
    /// Which of `kvs` `selector` selects, in order.
    pub fn select(&self, kvs: &[KeyValue], selector: &LabelSelector) -> ApiResult<Vec<bool>> {
        let mut selected = Vec::with_capacity(kvs.len());
        let mut missing = Vec::new();
        {
            let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
            for (i, kv) in kvs.iter().enumerate() {
                let key_hash = self.key_hasher.hash_one(&kv.key);
                match entries.get(&kv.mod_revision) {
                    Some((hash, labels)) if *hash == key_hash => {
                        selected.push(selector.matches(labels))
                    }
                    _ => {
                        selected.push(false);
                        missing.push((i, key_hash));
                    }
                }
            }
        }
        if !missing.is_empty() {
            // Parsed outside the lock: readers of other pages need not wait for it.
            let mut parsed = Vec::with_capacity(missing.len());
            for (i, key_hash) in missing {
                let labels = stored_labels(&kvs[i].value)?;
                selected[i] = selector.matches(&labels);
                parsed.push((kvs[i].mod_revision, key_hash, labels));
            }
            let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
            if entries.len() + parsed.len() > LABEL_CACHE_LIMIT {
                entries.clear();
            }
            for (revision, key_hash, labels) in parsed {
                entries.insert(revision, (key_hash, labels));
            }
        }
        Ok(selected)
    }

    /// Forgets the entry of a version that was deleted (only to keep the map small).
    pub fn forget(&self, revision: i64) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        entries.remove(&revision);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.read().unwrap_or_else(|e| e.into_inner()).len()
    }
}

/// Encodes an object for storage; `resourceVersion` is not stored (it is the revision).
pub fn encode(obj: &Value) -> Bytes {
    let mut obj = obj.clone();
    encode_in_place(&mut obj)
}

/// [`encode`] without the copy, for a write that answers with the object it stores:
/// leaves `obj` as stored (no `resourceVersion`, empty metadata lists dropped), so the
/// caller adds the new revision with [`set_revision`] instead of decoding the bytes
/// it just encoded.
pub fn encode_in_place(obj: &mut Value) -> Bytes {
    encode_for_store(obj).bytes
}

/// An object as the store keeps it, and where its `metadata` closes in those bytes.
pub struct StoredEncoding {
    pub bytes: Bytes,
    metadata_close: Option<usize>,
}

impl StoredEncoding {
    /// The JSON a client gets for this version at `revision`, the same bytes
    /// [`encode_at`] makes: spliced, where encoding the object again would cost as
    /// much as encoding it for the store did (every write answers with its object).
    pub fn client_json(&self, revision: i64) -> Option<Vec<u8>> {
        let close = self.metadata_close?;
        let empty = close.checked_sub(1).and_then(|i| self.bytes.get(i)) == Some(&b'{');
        Some(splice_revision(&self.bytes, close, empty, revision))
    }
}

/// [`encode_in_place`], noting where `metadata` closes. The top-level object is written
/// member by member exactly as `serde_json` writes a map (`{"k":v,…}`, no spaces).
pub fn encode_for_store(obj: &mut Value) -> StoredEncoding {
    // `shift_remove` keeps the order of the other fields, which clients see.
    meta_mut(obj).shift_remove("resourceVersion");
    normalize_meta(obj);
    let whole = |obj: &Value| StoredEncoding {
        bytes: Bytes::from(serde_json::to_vec(obj).unwrap_or_default()),
        metadata_close: None,
    };
    let Value::Object(map) = &*obj else {
        return whole(obj);
    };
    let mut out = Vec::with_capacity(1024);
    let mut metadata_close = None;
    out.push(b'{');
    for (i, (key, value)) in map.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let written = serde_json::to_writer(&mut out, key).and_then(|()| {
            out.push(b':');
            serde_json::to_writer(&mut out, value)
        });
        if written.is_err() {
            return whole(obj);
        }
        if key == "metadata" && value.is_object() {
            metadata_close = out.len().checked_sub(1);
        }
    }
    out.push(b'}');
    StoredEncoding {
        bytes: Bytes::from(out),
        metadata_close,
    }
}

/// Sets `resourceVersion` to a store revision, as [`decode_at`] does.
pub fn set_revision(obj: &mut Value, revision: i64) {
    meta_mut(obj).insert("resourceVersion".into(), json!(revision.to_string()));
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

/// Whether `stored` ends with its `status` and, that aside, holds exactly `rest`, key
/// for key in the same order: then `rest` plus a status appended is `stored` with that
/// status, field order included.
pub fn status_last_and_rest_equal(stored: &Map<String, Value>, rest: &Map<String, Value>) -> bool {
    let Some((last, _)) = stored.iter().next_back() else {
        return false;
    };
    last == "status"
        && stored.len() == rest.len() + 1
        && stored
            .iter()
            .zip(rest.iter())
            .all(|((ka, va), (kb, vb))| ka == kb && same_in_order(va, vb))
}

/// Equal, and every object's keys in the same order (`Value`'s `==` ignores key order,
/// but the stored bytes keep it).
fn same_in_order(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b.iter())
                    .all(|((ka, va), (kb, vb))| ka == kb && same_in_order(va, vb))
        }
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| same_in_order(x, y))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests;
