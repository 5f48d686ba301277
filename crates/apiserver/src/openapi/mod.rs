//! The OpenAPI documents the API server publishes, built once from the resource registry
//! and `bosun_api::schema::definitions()`:
//!
//! - `/openapi/v2`: one Swagger 2.0 document, as JSON or as gnostic protobuf. kubectl asks
//!   for protobuf only (see `gnostic`); 1.27/1.28 load it for every `apply` and `explain`.
//! - `/openapi/v3`: an index of per-group-version documents, each linked with a content
//!   hash, and `/openapi/v3/<api|apis/group>/<version>` serving OpenAPI 3.0 documents.
//!   kubectl reads them for `explain`, for the `fieldValidation` support probe of
//!   `apply --validate=strict` (a PATCH operation carrying the kind's
//!   `x-kubernetes-group-version-kind` and a `fieldValidation` parameter) and for
//!   client-side strategic-merge-patch metadata.
//!
//! Everything here is pure: the HTTP layer asks [`v2_response`] / [`v3_response`] what to
//! answer and only maps the result onto status codes and headers.

mod gnostic;
mod params;
mod routes;
mod v2;
mod v3;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::Value;

use bosun_api::resources::{GROUPS, KUBERNETES_VERSION};

/// Content type of the v2 protobuf encoding. Upstream answers this (dotted) form whichever
/// of the two spellings the client asked for.
pub const V2_PROTOBUF_CONTENT_TYPE: &str =
    "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";
/// The spelling client-go sends in `Accept` (deprecated upstream, still what kubectl uses).
const V2_PROTOBUF_ACCEPT_LEGACY: &str = "com.github.proto-openapi.spec.v2@v1.0+protobuf";
const V2_PROTOBUF_ACCEPT: &str = "com.github.proto-openapi.spec.v2.v1.0+protobuf";
pub const JSON_CONTENT_TYPE: &str = "application/json";

/// `Cache-Control` of a hash-addressed v3 document: its URL changes with its content.
pub const CACHE_IMMUTABLE: &str = "public, immutable";
/// `Cache-Control` of everything else here (upstream's default for API responses).
pub const CACHE_NO_CACHE: &str = "no-cache, private";

/// Media types bosun answers with. Upstream also lists YAML and protobuf, which bosun
/// does not serve, so they are not advertised.
fn media_types(produces: routes::Produces) -> Vec<&'static str> {
    match produces {
        routes::Produces::Object => vec!["application/json"],
        routes::Produces::Stream => vec!["application/json", "application/json;stream=watch"],
        routes::Produces::Text => vec!["text/plain", "application/json"],
    }
}

fn status_text(code: u16) -> &'static str {
    match code {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        _ => "Unauthorized",
    }
}

struct Built {
    v2_json: Vec<u8>,
    v2_protobuf: Vec<u8>,
    v2_etag: String,
    v3_index: Vec<u8>,
    v3_index_etag: String,
    /// `apis/apps/v1` → (document, content hash).
    v3: BTreeMap<String, (Vec<u8>, String)>,
}

fn built() -> &'static Built {
    static BUILT: OnceLock<Built> = OnceLock::new();
    BUILT.get_or_init(build)
}

/// The schema definitions plus the operation-only types the paths reference that the
/// schema module may not define (the PATCH body type has no Rust counterpart to derive
/// from).
fn definitions() -> serde_json::Map<String, Value> {
    let mut defs = bosun_api::schema::definitions().clone();
    defs.entry(routes::PATCH).or_insert_with(|| {
        serde_json::json!({
            "description": "Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.",
            "type": "object",
        })
    });
    defs
}

fn build() -> Built {
    let definitions = &definitions();
    let paths = routes::all_paths();
    let items: Vec<&routes::PathItem> = paths.iter().map(|(_, p)| p).collect();

    let v2_doc = v2::document(&items, definitions);
    let v2_json = to_bytes(&v2_doc);
    let (v2_protobuf, _) = gnostic::encode(&v2_doc);
    let v2_etag = content_hash(&v2_json);

    let mut v3 = BTreeMap::new();
    for (group, version) in std::iter::once(&("", "v1")).chain(GROUPS.iter()) {
        let gv_paths: Vec<&routes::PathItem> = paths
            .iter()
            .filter(|(r, _)| r.group == *group && r.version == *version)
            .map(|(_, p)| p)
            .collect();
        let doc = to_bytes(&v3::document(&gv_paths, definitions));
        let hash = content_hash(&doc);
        v3.insert(gv_key(group, version), (doc, hash));
    }
    let index: serde_json::Map<String, Value> = v3
        .iter()
        .map(|(key, (_, hash))| {
            let url = format!("/openapi/v3/{key}?hash={hash}");
            (key.clone(), serde_json::json!({"serverRelativeURL": url}))
        })
        .collect();
    let v3_index = to_bytes(&serde_json::json!({"paths": index}));
    let v3_index_etag = content_hash(&v3_index);
    Built {
        v2_json,
        v2_protobuf,
        v2_etag,
        v3_index,
        v3_index_etag,
        v3,
    }
}

fn to_bytes(doc: &Value) -> Vec<u8> {
    // Serializing a `Value` cannot fail: its keys are strings and it holds no non-finite
    // floats that serde_json would reject.
    serde_json::to_vec(doc).unwrap_or_default()
}

/// `api/v1` or `apis/apps/v1`: the key of a group version in the v3 index.
fn gv_key(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// A stable content hash (FNV-1a, 64 bit, upper-case hex). It only keys client caches
/// (`?hash=` and `ETag`), so it needs to change with the content, not to resist attack.
fn content_hash(data: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in data {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016X}")
}

/// The Swagger 2.0 document as JSON.
pub fn v2_document() -> &'static [u8] {
    &built().v2_json
}

/// The same document as gnostic `openapi.v2.Document` protobuf.
pub fn v2_protobuf() -> &'static [u8] {
    &built().v2_protobuf
}

/// The `/openapi/v3` index: `{"paths": {"apis/apps/v1": {"serverRelativeURL":
/// "/openapi/v3/apis/apps/v1?hash=<HASH>"}, ...}}`.
pub fn v3_index() -> &'static [u8] {
    &built().v3_index
}

/// The OpenAPI 3.0 document of one group version, by its index key (`api/v1`,
/// `apis/apps/v1`; a leading `/` is ignored).
pub fn v3_group_version(path: &str) -> Option<&'static [u8]> {
    let path = path.trim_start_matches('/');
    built().v3.get(path).map(|(doc, _)| doc.as_slice())
}

/// The content hash that the index puts in the URL of `path`'s document.
pub fn v3_hash(path: &str) -> Option<&'static str> {
    let path = path.trim_start_matches('/');
    built().v3.get(path).map(|(_, hash)| hash.as_str())
}

/// What to answer to `GET /openapi/v2` or `GET /openapi/v3` (the index).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenApiResponse {
    /// 200 with this body; `etag` is already quoted. `If-None-Match` equal to it → 304.
    Ok {
        body: &'static [u8],
        content_type: &'static str,
        etag: String,
        cache_control: &'static str,
        /// `Expires`: one year ahead when true (hash-addressed documents only).
        expires_in_a_year: bool,
    },
    /// 301 to this URL: the `?hash=` is stale, the current document lives there.
    Redirect(String),
    /// 406: none of the `Accept`ed media types is served.
    NotAcceptable,
    /// 404: no such group version.
    NotFound,
}

/// Decides the answer to `GET /openapi/v2` from its `Accept` header. Like upstream, the
/// first acceptable clause (by quality) picks JSON or protobuf; `*/*` or no header means
/// JSON. All answers also carry `Vary: Accept`.
pub fn v2_response(accept: Option<&str>) -> OpenApiResponse {
    let b = built();
    let offers = [
        ("application", "json"),
        ("application", V2_PROTOBUF_ACCEPT_LEGACY),
        ("application", V2_PROTOBUF_ACCEPT),
    ];
    let Some(choice) = negotiate(accept, &offers) else {
        return OpenApiResponse::NotAcceptable;
    };
    let (body, content_type) = if choice == 0 {
        (b.v2_json.as_slice(), JSON_CONTENT_TYPE)
    } else {
        (b.v2_protobuf.as_slice(), V2_PROTOBUF_CONTENT_TYPE)
    };
    OpenApiResponse::Ok {
        body,
        content_type,
        etag: format!("\"{}\"", b.v2_etag),
        cache_control: CACHE_NO_CACHE,
        expires_in_a_year: false,
    }
}

/// Decides the answer to `GET /openapi/v3` (the index; any `Accept` gets JSON, as
/// upstream).
pub fn v3_index_response() -> OpenApiResponse {
    let b = built();
    OpenApiResponse::Ok {
        body: &b.v3_index,
        content_type: JSON_CONTENT_TYPE,
        etag: format!("\"{}\"", b.v3_index_etag),
        cache_control: CACHE_NO_CACHE,
        expires_in_a_year: false,
    }
}

/// Decides the answer to `GET /openapi/v3/<path>?hash=<hash>`. Only JSON is served (the
/// v3 protobuf encoding is never requested by kubectl). With the current hash the
/// document is immutable for caches; with a stale one the client is redirected to the
/// current URL; without one it must revalidate.
pub fn v3_response(path: &str, hash: Option<&str>, accept: Option<&str>) -> OpenApiResponse {
    let path = path.trim_start_matches('/');
    let Some((doc, current)) = built().v3.get(path) else {
        return OpenApiResponse::NotFound;
    };
    if negotiate(accept, &[("application", "json")]).is_none() {
        return OpenApiResponse::NotAcceptable;
    }
    let immutable = match hash {
        Some(h) if !h.is_empty() && h != current.as_str() => {
            return OpenApiResponse::Redirect(format!("/openapi/v3/{path}?hash={current}"));
        }
        Some(h) => !h.is_empty(),
        None => false,
    };
    OpenApiResponse::Ok {
        body: doc,
        content_type: JSON_CONTENT_TYPE,
        etag: format!("\"{current}\""),
        cache_control: if immutable {
            CACHE_IMMUTABLE
        } else {
            CACHE_NO_CACHE
        },
        expires_in_a_year: immutable,
    }
}

/// Picks the index of the first offer matched by the highest-quality `Accept` clause.
/// Clauses are tried in quality order (stable for equal quality); `q=0` excludes a
/// clause; wildcards match any type or subtype. A missing or empty header is `*/*`.
fn negotiate(accept: Option<&str>, offers: &[(&str, &str)]) -> Option<usize> {
    let header = accept
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .unwrap_or("*/*");
    let mut clauses: Vec<(f32, &str, &str)> = Vec::new();
    for clause in header.split(',') {
        let mut parts = clause.split(';');
        let range = parts.next().unwrap_or_default().trim();
        let mut q = 1.0f32;
        for param in parts {
            if let Some((k, v)) = param.split_once('=')
                && k.trim().eq_ignore_ascii_case("q")
            {
                q = v.trim().parse().unwrap_or(0.0);
            }
        }
        let (ty, sub) = match range.split_once('/') {
            Some((t, s)) => (t.trim(), s.trim()),
            None if range == "*" => ("*", "*"),
            None => continue,
        };
        if q > 0.0 {
            clauses.push((q, ty, sub));
        }
    }
    clauses.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (_, ty, sub) in clauses {
        for (i, (offer_ty, offer_sub)) in offers.iter().enumerate() {
            let type_ok = ty == "*" || ty.eq_ignore_ascii_case(offer_ty);
            let sub_ok = sub == "*" || sub.eq_ignore_ascii_case(offer_sub);
            if type_ok && sub_ok {
                return Some(i);
            }
        }
    }
    None
}
