//! The HTTP surface: routes, URL parsing, content negotiation (JSON, YAML bodies,
//! `as=Table`, aggregated discovery) and query parameters. Handlers here only translate
//! between HTTP and [`crate::rest`]; object semantics live in the registry.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bosun_api::resources::{self, ResourceInfo};
use serde_json::{Value, json};

use crate::ServerState;
use crate::discovery;
use crate::error::{ApiError, ApiResult};

/// Upstream's request body limit (3 MiB).
pub const MAX_BODY: usize = 3 * 1024 * 1024;

pub fn json_response(code: StatusCode, value: &Value) -> Response {
    json_bytes_response(code, serde_json::to_vec(value).unwrap_or_default())
}

/// A response of JSON that is already encoded.
pub fn json_bytes_response(code: StatusCode, json: Vec<u8>) -> Response {
    (code, [(header::CONTENT_TYPE, "application/json")], json).into_response()
}

pub fn router(state: Arc<ServerState>) -> Router {
    Router::new()
        .route("/healthz", get(health))
        .route("/livez", get(health))
        .route("/readyz", get(ready))
        .route("/version", get(version))
        .route("/openapi/v2", get(openapi_v2))
        .route("/openapi/v3", get(openapi_v3_index))
        .route("/openapi/v3/{*path}", get(openapi_v3_doc))
        .route("/metrics", get(crate::metrics::serve))
        .fallback(api)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::auth::middleware,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::metrics::record,
        ))
        .with_state(state)
}

async fn health() -> &'static str {
    "ok"
}

async fn ready(State(state): State<Arc<ServerState>>) -> Response {
    match state.registry.current_revision().await {
        Ok(_) => (StatusCode::OK, "ok").into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("datastore: {e}")).into_response(),
    }
}

async fn version() -> Response {
    let v = resources::KUBERNETES_VERSION.trim_start_matches('v');
    let mut parts = v.split('.');
    let major = parts.next().unwrap_or("1");
    let minor = parts.next().unwrap_or("0");
    json_response(
        StatusCode::OK,
        &json!({
            "major": major,
            "minor": minor,
            "gitVersion": format!("{}+bosun-{}", resources::KUBERNETES_VERSION, env!("CARGO_PKG_VERSION")),
            "gitCommit": "",
            "gitTreeState": "clean",
            "buildDate": "",
            "goVersion": "",
            "compiler": "rustc",
            "platform": format!("{}/{}", std::env::consts::OS, go_arch()),
        }),
    )
}

fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

async fn openapi_v2(headers: HeaderMap) -> Response {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    openapi_answer(crate::openapi::v2_response(accept), &headers)
}

async fn openapi_v3_index(headers: HeaderMap) -> Response {
    openapi_answer(crate::openapi::v3_index_response(), &headers)
}

async fn openapi_v3_doc(
    axum::extract::Path(path): axum::extract::Path<String>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
    headers: HeaderMap,
) -> Response {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    // `hash` is a hex string, so no percent-decoding is needed to compare it.
    let hash = query
        .as_deref()
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("hash=")));
    openapi_answer(crate::openapi::v3_response(&path, hash, accept), &headers)
}

/// Maps the pure decision onto HTTP: `ETag`/`If-None-Match` (304), `Vary: Accept`,
/// `Cache-Control`, `Expires` a year ahead for hash-addressed documents, 301/406/404.
fn openapi_answer(answer: crate::openapi::OpenApiResponse, headers: &HeaderMap) -> Response {
    use crate::openapi::OpenApiResponse;
    match answer {
        OpenApiResponse::Ok {
            body,
            content_type,
            etag,
            cache_control,
            expires_in_a_year,
        } => {
            let not_modified = headers
                .get(header::IF_NONE_MATCH)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
            let mut resp = if not_modified {
                StatusCode::NOT_MODIFIED.into_response()
            } else {
                ([(header::CONTENT_TYPE, content_type)], body).into_response()
            };
            let h = resp.headers_mut();
            h.insert(header::VARY, HeaderValue::from_static("Accept"));
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static(cache_control),
            );
            if let Ok(v) = HeaderValue::from_str(&etag) {
                h.insert(header::ETAG, v);
            }
            if expires_in_a_year {
                let year = jiff::SignedDuration::from_hours(24 * 365);
                if let Some(v) = jiff::Timestamp::now()
                    .checked_add(year)
                    .ok()
                    .and_then(|t| {
                        jiff::fmt::rfc2822::DateTimePrinter::new()
                            .timestamp_to_rfc9110_string(&t)
                            .ok()
                    })
                    .and_then(|s| HeaderValue::from_str(&s).ok())
                {
                    h.insert(header::EXPIRES, v);
                }
            }
            resp
        }
        OpenApiResponse::Redirect(url) => match HeaderValue::from_str(&url) {
            Ok(location) => (
                StatusCode::MOVED_PERMANENTLY,
                [(header::LOCATION, location)],
            )
                .into_response(),
            Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        },
        OpenApiResponse::NotAcceptable => StatusCode::NOT_ACCEPTABLE.into_response(),
        OpenApiResponse::NotFound => ApiError::no_route().into_response(),
    }
}

/// What a URL addresses.
#[derive(Debug)]
pub enum Target {
    /// `/api` or `/apis`.
    Root {
        core: bool,
    },
    /// `/apis/<group>`.
    Group(String),
    /// `/api/v1` or `/apis/<group>/<version>`.
    GroupVersion(String, String),
    Resource(ResourceTarget),
}

#[derive(Debug, Clone)]
pub struct ResourceTarget {
    pub info: &'static ResourceInfo,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub subresource: Option<String>,
}

pub fn parse_path(path: &str) -> Option<Target> {
    let segments: Vec<String> = path
        .trim_matches('/')
        .split('/')
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
    let (group, version, rest) = match seg.as_slice() {
        ["api"] => return Some(Target::Root { core: true }),
        ["apis"] => return Some(Target::Root { core: false }),
        ["apis", g] => return Some(Target::Group(g.to_string())),
        ["api", v, rest @ ..] => ("", *v, rest),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => return None,
    };
    if rest.is_empty() {
        return Some(Target::GroupVersion(group.into(), version.into()));
    }
    let resource = |plural: &str, ns: Option<&str>, name: Option<&str>, sub: Option<&str>| {
        let info = resources::find(group, version, plural)?;
        if ns.is_some() && !info.namespaced {
            return None;
        }
        if let Some(sub) = sub
            && !info.has_subresource(sub)
        {
            return None;
        }
        Some(Target::Resource(ResourceTarget {
            info,
            namespace: ns.map(str::to_string),
            name: name.map(str::to_string),
            subresource: sub.map(str::to_string),
        }))
    };
    match rest {
        ["namespaces", ns, plural, tail @ ..]
            if !group.is_empty() || !matches!(*plural, "status" | "finalize") =>
        {
            match tail {
                [] => resource(plural, Some(ns), None, None),
                [name] => resource(plural, Some(ns), Some(name), None),
                [name, sub] => resource(plural, Some(ns), Some(name), Some(sub)),
                _ => None,
            }
        }
        [plural] => resource(plural, None, None, None),
        [plural, name] => resource(plural, None, Some(name), None),
        [plural, name, sub] => resource(plural, None, Some(name), Some(sub)),
        _ => None,
    }
}

/// How the client wants the response rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accept {
    Json,
    Table,
    AggregatedDiscovery(&'static str),
}

pub fn negotiate(headers: &HeaderMap) -> ApiResult<Accept> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Ok(Accept::Json);
    };
    let mut json_ok = accept.trim().is_empty();
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or("");
        let params: HashMap<&str, &str> = parts.filter_map(|p| p.split_once('=')).collect();
        let json_like = matches!(
            media,
            "application/json" | "*/*" | "application/*" | "application/yaml"
        );
        if !json_like {
            continue;
        }
        match (params.get("as"), params.get("g"), params.get("v")) {
            (Some(&"Table"), Some(&"meta.k8s.io"), Some(&("v1" | "v1beta1"))) => {
                return Ok(Accept::Table);
            }
            (Some(&"APIGroupDiscoveryList"), Some(&"apidiscovery.k8s.io"), Some(&"v2")) => {
                return Ok(Accept::AggregatedDiscovery("v2"));
            }
            (Some(&"APIGroupDiscoveryList"), Some(&"apidiscovery.k8s.io"), Some(&"v2beta1")) => {
                return Ok(Accept::AggregatedDiscovery("v2beta1"));
            }
            (None, _, _) => json_ok = true,
            _ => {}
        }
    }
    if json_ok {
        Ok(Accept::Json)
    } else {
        Err(ApiError::not_acceptable(accept))
    }
}

pub type Query = HashMap<String, String>;

fn parse_query(uri: &axum::http::Uri) -> ApiResult<Query> {
    match uri.query() {
        None => Ok(HashMap::new()),
        Some(_) => axum::extract::Query::<Query>::try_from_uri(uri)
            .map(|q| q.0)
            .map_err(|e| ApiError::bad_request(format!("invalid query: {e}"))),
    }
}

async fn api(State(state): State<Arc<ServerState>>, request: Request) -> Response {
    let (mut parts, body) = request.into_parts();
    let result = async {
        let target = parse_path(parts.uri.path()).ok_or_else(ApiError::no_route)?;
        let accept = match negotiate(&parts.headers) {
            Ok(accept) => accept,
            // Logs are `text/plain` (upstream's LogREST), whatever JSON the client takes.
            Err(_) if is_log(&target) || is_exec(&target) => Accept::Json,
            Err(e) => return Err(e),
        };
        let query = parse_query(&parts.uri)?;
        match target {
            Target::Root { core } => {
                if parts.method != Method::GET {
                    return Err(ApiError::method_not_allowed("only GET is allowed"));
                }
                Ok(match accept {
                    Accept::AggregatedDiscovery(v) => aggregated_response(core, v),
                    _ if core => json_response(
                        StatusCode::OK,
                        &discovery::api_versions(&state.advertise_address),
                    ),
                    _ => json_response(StatusCode::OK, &discovery::api_group_list()),
                })
            }
            Target::Group(g) => discovery::api_group(&g)
                .map(|doc| json_response(StatusCode::OK, &doc))
                .ok_or_else(ApiError::no_route),
            Target::GroupVersion(g, v) => discovery::api_resource_list(&g, &v)
                .map(|doc| json_response(StatusCode::OK, &doc))
                .ok_or_else(ApiError::no_route),
            Target::Resource(target)
                if target.info.plural == "pods"
                    && target.name.is_some()
                    && target
                        .subresource
                        .as_deref()
                        .and_then(crate::exec::Session::of)
                        .is_some() =>
            {
                let name = target.name.clone().unwrap_or_default();
                let kind = target
                    .subresource
                    .as_deref()
                    .and_then(crate::exec::Session::of)
                    .unwrap_or(crate::exec::Session::Exec);
                crate::exec::serve(&state, &mut parts, kind, target.namespace.as_deref(), &name)
                    .await
            }
            Target::Resource(target) => {
                let body = read_body(body, &parts.method).await?;
                let user = crate::auth::requester(&parts.extensions);
                if let Some(answer) = crate::auth::reviews::intercept(
                    &state,
                    &parts.method,
                    &parts.headers,
                    &user,
                    &target,
                    &body,
                )
                .await
                {
                    return answer;
                }
                crate::auth::escalation::check(
                    &state,
                    &parts.method,
                    &parts.headers,
                    &user,
                    &target,
                    &body,
                )
                .await?;
                crate::rest::handle(
                    &state,
                    &parts.method,
                    &parts.headers,
                    &query,
                    accept,
                    target,
                    body,
                )
                .await
            }
        }
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

fn is_exec(target: &Target) -> bool {
    matches!(target, Target::Resource(t) if t.info.plural == "pods" && t.name.is_some()
        && t.subresource.as_deref().and_then(crate::exec::Session::of).is_some())
}

fn is_log(target: &Target) -> bool {
    matches!(target, Target::Resource(t) if t.subresource.as_deref() == Some("log"))
}

fn aggregated_response(core: bool, version: &'static str) -> Response {
    let (api_version, content_type) = match version {
        "v2beta1" => ("apidiscovery.k8s.io/v2beta1", discovery::AGGREGATED_V2BETA1),
        _ => ("apidiscovery.k8s.io/v2", discovery::AGGREGATED_V2),
    };
    let body = serde_json::to_vec(&discovery::aggregated(core, api_version)).unwrap_or_default();
    let mut response = (StatusCode::OK, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

async fn read_body(body: Body, method: &Method) -> ApiResult<bytes::Bytes> {
    if matches!(*method, Method::GET | Method::HEAD) {
        return Ok(bytes::Bytes::new());
    }
    axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| ApiError::too_large())
}

#[cfg(test)]
mod tests {
    use super::*;

    type Parsed = (String, Option<String>, Option<String>, Option<String>);

    fn resource(path: &str) -> Option<Parsed> {
        match parse_path(path)? {
            Target::Resource(t) => Some((
                t.info.plural.to_string(),
                t.namespace,
                t.name,
                t.subresource,
            )),
            _ => None,
        }
    }

    #[test]
    fn paths_resolve_to_resources() {
        assert_eq!(
            resource("/apis/apps/v1/namespaces/default/deployments/web/scale"),
            Some((
                "deployments".into(),
                Some("default".into()),
                Some("web".into()),
                Some("scale".into())
            ))
        );
        assert_eq!(
            resource("/api/v1/namespaces/kube-system"),
            Some(("namespaces".into(), None, Some("kube-system".into()), None))
        );
        assert_eq!(
            resource("/api/v1/namespaces/x/status"),
            Some((
                "namespaces".into(),
                None,
                Some("x".into()),
                Some("status".into())
            ))
        );
        assert_eq!(
            resource("/api/v1/namespaces/x/pods"),
            Some(("pods".into(), Some("x".into()), None, None))
        );
        assert_eq!(
            resource("/api/v1/pods"),
            Some(("pods".into(), None, None, None))
        );
        assert_eq!(
            resource("/api/v1/namespaces/x/nodes"),
            None,
            "nodes are cluster-scoped"
        );
        assert_eq!(
            resource("/apis/apps/v1/namespaces/x/deployments/a/exec"),
            None
        );
        assert_eq!(resource("/apis/apps/v1/widgets"), None);
    }

    #[test]
    fn kubectl_get_accept_header_asks_for_table() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"),
        );
        assert_eq!(negotiate(&headers).ok(), Some(Accept::Table));
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static("application/vnd.kubernetes.protobuf"),
        );
        assert_eq!(negotiate(&headers).map_err(|e| e.code).err(), Some(406));
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"),
        );
        assert_eq!(
            negotiate(&headers).ok(),
            Some(Accept::AggregatedDiscovery("v2"))
        );
    }
}
