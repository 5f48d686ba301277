//! REST verbs on resources: maps method + URL + query onto registry operations and
//! renders the answers (objects, lists, Tables, watch streams, `Status`).

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use bosun_api::resources::{self, ResourceInfo};
use bosun_api::selector::{FieldSelector, LabelSelector};
use bytes::Bytes;
use serde_json::{Value, json};

use crate::ServerState;
use crate::error::{ApiError, ApiResult};
use crate::http::{Accept, Query, ResourceTarget, json_bytes_response, json_response};
use crate::object;
use crate::patch::Patch;
use crate::registry::{
    DeleteOptions, Deleted, EncodedObject, FieldValidation, ListParams, Part, Propagation,
    WriteOptions, Written,
};
use crate::watch::{self, Render, WatchRequest};

/// Default watch length when the client gives no `timeoutSeconds` (upstream picks 30–60 min).
const DEFAULT_WATCH_TIMEOUT: Duration = Duration::from_secs(1800);

pub async fn handle(
    state: &Arc<ServerState>,
    method: &Method,
    headers: &HeaderMap,
    query: &Query,
    accept: Accept,
    target: ResourceTarget,
    body: Bytes,
) -> ApiResult<Response> {
    let info = target.info;
    let ns = target.namespace.as_deref();
    if info.namespaced && target.name.is_some() && ns.is_none() {
        return Err(ApiError::no_route());
    }
    if info.namespaced && ns.is_none() && *method != Method::GET {
        return Err(ApiError::method_not_allowed(format!(
            "{} must be written in a namespace",
            info.plural
        )));
    }
    let registry = &state.registry;
    let sub = target.subresource.as_deref();
    match (method.clone(), target.name.as_deref(), sub) {
        (Method::GET, None, None) => {
            if is_true(query.get("watch")) {
                watch_response(state, info, target.namespace.clone(), query, accept)
            } else {
                list(state, info, ns, query, accept).await
            }
        }
        (Method::POST, None, None) => {
            let obj = decode_body(headers, &body)?;
            let opts = write_options(query)?;
            let written = registry.create(info, ns, obj, &opts).await?;
            Ok(written_response(StatusCode::CREATED, written))
        }
        (Method::DELETE, None, None) => delete_collection(state, info, ns, query, &body).await,
        (Method::GET, Some(name), None | Some("status")) if accept != Accept::Table => {
            let json = registry.get_encoded(info, ns, name).await?;
            Ok(json_bytes_response(StatusCode::OK, json))
        }
        (Method::GET, Some(name), None | Some("status")) => {
            let obj = registry.get(info, ns, name).await?;
            Ok(render_one(info, obj, &accept, query))
        }
        (Method::PUT, Some(name), None | Some("status")) => {
            let obj = decode_body(headers, &body)?;
            let opts = write_options(query)?;
            let part = if sub == Some("status") {
                Part::Status
            } else {
                Part::Main
            };
            let written = registry.update(info, ns, name, obj, part, &opts).await?;
            Ok(written_response(StatusCode::OK, written))
        }
        (Method::PATCH, Some(name), None | Some("status")) => {
            let patch = Patch::parse(content_type(headers), &body)?;
            let opts = write_options(query)?;
            let part = if sub == Some("status") {
                Part::Status
            } else {
                Part::Main
            };
            let written = registry.patch(info, ns, name, &patch, part, &opts).await?;
            Ok(written_response(StatusCode::OK, written))
        }
        (Method::DELETE, Some(name), None) => {
            let opts = delete_options(query, &body)?;
            match registry.delete(info, ns, name, &opts).await? {
                Deleted::Pending(obj) => Ok(json_response(StatusCode::OK, &obj)),
                Deleted::Gone(obj) if info.plural == "pods" || info.plural == "namespaces" => {
                    Ok(json_response(StatusCode::OK, &obj))
                }
                Deleted::Gone(obj) => {
                    Ok(json_response(StatusCode::OK, &success_status(info, &obj)))
                }
            }
        }
        (_, Some(name), Some("scale")) => {
            crate::subresources::scale(state, method, headers, query, info, ns, name, &body).await
        }
        (Method::GET, Some(name), Some("log")) => crate::logs::serve(state, ns, name, query).await,
        (Method::POST, Some(name), Some("binding")) => {
            let binding = decode_body(headers, &body)?;
            crate::subresources::bind(state, ns, name, &binding, &write_options(query)?).await
        }
        (Method::POST, Some(name), Some("eviction")) => {
            let eviction = decode_body(headers, &body)?;
            crate::subresources::evict(state, ns, name, &eviction).await
        }
        (Method::PUT, Some(name), Some("finalize")) => {
            let obj = decode_body(headers, &body)?;
            crate::subresources::finalize_namespace(state, name, obj).await
        }
        _ => Err(ApiError::method_not_allowed(format!(
            "the server does not allow this method on the requested resource ({method} {})",
            info.group_resource()
        ))),
    }
}

fn is_true(v: Option<&String>) -> bool {
    matches!(v.map(String::as_str), Some("1" | "true" | "True"))
}

pub fn content_type(headers: &HeaderMap) -> &str {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
}

/// Decodes a POST/PUT body: JSON, or YAML as kubectl may send with `--raw`.
pub fn decode_body(headers: &HeaderMap, body: &[u8]) -> ApiResult<Value> {
    let media = content_type(headers).split(';').next().unwrap_or("").trim();
    match media {
        "application/json" | "" | "*/*" => object::parse_json(body),
        "application/yaml" => {
            let text = std::str::from_utf8(body)
                .map_err(|_| ApiError::bad_request("the body is not valid UTF-8"))?;
            serde_saphyr::from_str::<Value>(text)
                .map_err(|e| ApiError::bad_request(format!("error parsing YAML body: {e}")))
        }
        bosun_api::protobuf::PROTOBUF => bosun_api::protobuf::decode(body).map_err(|e| {
            if e.is_unsupported() {
                ApiError::unsupported_media_type(&format!("{media}: {e}"))
            } else {
                ApiError::bad_request(format!("error decoding protobuf body: {e}"))
            }
        }),
        other => Err(ApiError::unsupported_media_type(other)),
    }
}

pub fn write_options(query: &Query) -> ApiResult<WriteOptions> {
    let dry_run = match query.get("dryRun").map(String::as_str) {
        None | Some("") => false,
        Some("All") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "Invalid dryRun value: \"{other}\": supported values: \"All\""
            )));
        }
    };
    let field_validation = match query.get("fieldValidation").map(String::as_str) {
        None | Some("") | Some("Warn") => FieldValidation::Warn,
        Some("Strict") => FieldValidation::Strict,
        Some("Ignore") => FieldValidation::Ignore,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "fieldValidation parameter unsupported: {other}, supported values: Ignore, Warn, Strict"
            )));
        }
    };
    Ok(WriteOptions {
        dry_run,
        field_validation,
    })
}

fn written_response(code: StatusCode, written: Written) -> Response {
    let mut response = match written.json {
        Some(json) => json_bytes_response(code, json),
        None => json_response(code, &written.object),
    };
    for warning in written.warnings {
        let text = format!("299 - \"{}\"", warning.replace('"', "\\\""));
        if let Ok(value) = HeaderValue::from_str(&text) {
            response.headers_mut().append(header::WARNING, value);
        }
    }
    response
}

fn success_status(info: &ResourceInfo, obj: &Value) -> Value {
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": {
            "name": object::name(obj),
            "group": info.group,
            "kind": info.plural,
            "uid": object::meta_str(obj, "uid").unwrap_or(""),
        },
    })
}

fn render_one(info: &ResourceInfo, obj: Value, accept: &Accept, query: &Query) -> Response {
    match accept {
        Accept::Table => {
            let rv = object::meta_str(&obj, "resourceVersion")
                .unwrap_or("")
                .to_string();
            json_response(
                StatusCode::OK,
                &bosun_api::table::table(
                    info,
                    &[obj],
                    jiff::Timestamp::now(),
                    include_object(query),
                    &rv,
                    None,
                ),
            )
        }
        _ => json_response(StatusCode::OK, &obj),
    }
}

fn include_object(query: &Query) -> &str {
    query
        .get("includeObject")
        .map(String::as_str)
        .unwrap_or("Metadata")
}

pub fn selectors(info: &ResourceInfo, query: &Query) -> ApiResult<ListParams> {
    let label_selector = match query.get("labelSelector").filter(|s| !s.is_empty()) {
        Some(s) => Some(
            LabelSelector::parse(s)
                .map_err(|e| ApiError::bad_request(format!("unable to parse requirement: {e}")))?,
        ),
        None => None,
    };
    let field_selector = match query.get("fieldSelector").filter(|s| !s.is_empty()) {
        Some(s) => {
            let f = FieldSelector::parse(s).map_err(|e| ApiError::bad_request(e.to_string()))?;
            f.check_supported(info)
                .map_err(|e| ApiError::bad_request(e.to_string()))?;
            Some(f)
        }
        None => None,
    };
    Ok(ListParams {
        label_selector,
        field_selector,
        ..Default::default()
    })
}

/// A continue token: where the previous page stopped, and at which revision.
fn encode_continue(revision: i64, key: &str) -> String {
    let raw = json!({"rv": revision, "start": key}).to_string();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

fn decode_continue(token: &str) -> ApiResult<(i64, String)> {
    let bad = || {
        ApiError::bad_request(
            "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
        )
    };
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.trim_end_matches('='))
        .map_err(|_| bad())?;
    let v: Value = serde_json::from_slice(&raw).map_err(|_| bad())?;
    match (v["rv"].as_i64(), v["start"].as_str()) {
        (Some(rv), Some(start)) => Ok((rv, start.to_string())),
        _ => Err(bad()),
    }
}

fn parse_rv(rv: &str) -> ApiResult<i64> {
    rv.parse::<i64>()
        .ok()
        .filter(|r| *r >= 0)
        .ok_or_else(|| ApiError::bad_request(format!("invalid resource version: {rv}")))
}

async fn list(
    state: &Arc<ServerState>,
    info: &'static ResourceInfo,
    ns: Option<&str>,
    query: &Query,
    accept: Accept,
) -> ApiResult<Response> {
    let mut params = selectors(info, query)?;
    params.limit = query
        .get("limit")
        .map(|l| {
            l.parse::<usize>()
                .map_err(|_| ApiError::bad_request(format!("invalid limit: {l}")))
        })
        .transpose()?;
    let rv = query.get("resourceVersion").filter(|s| !s.is_empty());
    let rv_match = query.get("resourceVersionMatch").filter(|s| !s.is_empty());
    if let Some(token) = query.get("continue").filter(|s| !s.is_empty()) {
        if rv.is_some_and(|r| r != "0") {
            return Err(ApiError::bad_request(
                "specifying resource version is not allowed when using continue",
            ));
        }
        let (revision, start) = decode_continue(token)?;
        params.revision = Some(revision);
        params.start_after = Some(start);
    } else {
        match (rv.map(String::as_str), rv_match.map(String::as_str)) {
            (None, Some(_)) => {
                return Err(ApiError::bad_request(
                    "resourceVersionMatch is forbidden unless resourceVersion is provided",
                ));
            }
            (Some("0"), Some("Exact")) => {
                return Err(ApiError::bad_request(
                    "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"",
                ));
            }
            (Some(rv), Some("Exact")) => params.revision = Some(parse_rv(rv)?),
            (Some(rv), None | Some("NotOlderThan")) => {
                let wanted = parse_rv(rv)?;
                let current = state.registry.current_revision().await?;
                if wanted > current {
                    return Err(ApiError::new(
                        504,
                        "Timeout",
                        format!("Too large resource version: {wanted}, current: {current}"),
                    ));
                }
            }
            (_, Some(other)) if other != "Exact" && other != "NotOlderThan" => {
                return Err(ApiError::bad_request(format!(
                    "Unsupported value: \"{other}\": supported values: \"Exact\", \"NotOlderThan\""
                )));
            }
            _ => {}
        }
    }
    if accept != Accept::Table {
        return json_list(state, info, ns, &params).await;
    }
    let page = state.registry.list(info, ns, &params).await?;
    let rv = page.revision.to_string();
    let token = page
        .continue_after
        .as_deref()
        .map(|k| encode_continue(page.revision, k));
    let mut table = bosun_api::table::table(
        info,
        &page.items,
        jiff::Timestamp::now(),
        include_object(query),
        &rv,
        token.as_deref(),
    );
    if let Some(remaining) = page.remaining {
        table["metadata"]["remainingItemCount"] = json!(remaining);
    }
    Ok(json_response(StatusCode::OK, &table))
}

/// A LIST answered as `<Kind>List` JSON, each item written from its stored bytes.
async fn json_list(
    state: &Arc<ServerState>,
    info: &'static ResourceInfo,
    ns: Option<&str>,
    params: &ListParams,
) -> ApiResult<Response> {
    let page = state
        .registry
        .list_as::<EncodedObject>(info, ns, params)
        .await?;
    let mut metadata = json!({"resourceVersion": page.revision.to_string()});
    if let Some(key) = &page.continue_after {
        metadata["continue"] = json!(encode_continue(page.revision, key));
    }
    if let Some(remaining) = page.remaining {
        metadata["remainingItemCount"] = json!(remaining);
    }
    let head = json!({
        "kind": format!("{}List", info.kind),
        "apiVersion": info.api_version(),
        "metadata": metadata,
    });
    let items_len: usize = page.items.iter().map(|item| item.0.len() + 1).sum();
    let mut body = Vec::with_capacity(items_len + 256);
    // Encoding a `Value` into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut body, &head);
    // Reopen the object (drop its closing brace) to append the items.
    body.pop();
    body.extend_from_slice(b",\"items\":[");
    for (i, item) in page.items.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(&item.0);
    }
    body.extend_from_slice(b"]}");
    Ok(json_bytes_response(StatusCode::OK, body))
}

fn watch_response(
    state: &Arc<ServerState>,
    info: &'static ResourceInfo,
    namespace: Option<String>,
    query: &Query,
    accept: Accept,
) -> ApiResult<Response> {
    let params = selectors(info, query)?;
    let resource_version = match query.get("resourceVersion").map(String::as_str) {
        None | Some("") | Some("0") => None,
        Some(rv) => Some(parse_rv(rv)?),
    };
    let send_initial_events = is_true(query.get("sendInitialEvents"));
    let allow_bookmarks = is_true(query.get("allowWatchBookmarks"));
    if send_initial_events && !allow_bookmarks {
        return Err(ApiError::new(
            422,
            "Invalid",
            "ListOptions.meta.k8s.io \"\" is invalid: allowWatchBookmarks: Required value: allowWatchBookmarks must be set to true when sendInitialEvents is set",
        ));
    }
    let timeout = query
        .get("timeoutSeconds")
        .and_then(|t| t.parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_WATCH_TIMEOUT);
    let render = match accept {
        Accept::Table => Render::Table {
            include_object: include_object(query).to_string(),
        },
        _ => Render::Object,
    };
    let lines = watch::serve(
        state.watch_cache.clone(),
        state.registry.clone(),
        WatchRequest {
            info,
            namespace,
            params,
            resource_version,
            send_initial_events,
            allow_bookmarks,
            timeout,
            render,
            guard: state.metrics.watch_opened(),
        },
    );
    let stream = futures::StreamExt::map(lines, Ok::<_, std::io::Error>);
    let mut response = Response::new(Body::from_stream(stream));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, private"),
    );
    Ok(response)
}

pub fn delete_options(query: &Query, body: &[u8]) -> ApiResult<DeleteOptions> {
    let mut opts = DeleteOptions::default();
    if !body.iter().all(u8::is_ascii_whitespace) {
        let v: Value = serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("error decoding DeleteOptions: {e}")))?;
        opts.grace_period_seconds = v["gracePeriodSeconds"].as_i64();
        opts.precondition_uid = v
            .pointer("/preconditions/uid")
            .and_then(Value::as_str)
            .map(str::to_string);
        opts.precondition_resource_version = v
            .pointer("/preconditions/resourceVersion")
            .and_then(Value::as_str)
            .map(str::to_string);
        opts.dry_run = v["dryRun"]
            .as_array()
            .is_some_and(|a| a.iter().any(|d| d == "All"));
        if let Some(policy) = v["propagationPolicy"].as_str() {
            opts.propagation = Some(check_propagation(policy)?);
        } else if let Some(orphan) = v["orphanDependents"].as_bool() {
            opts.propagation = Some(if orphan {
                Propagation::Orphan
            } else {
                Propagation::Background
            });
        }
    }
    if let Some(g) = query.get("gracePeriodSeconds") {
        opts.grace_period_seconds = Some(
            g.parse()
                .map_err(|_| ApiError::bad_request(format!("invalid gracePeriodSeconds: {g}")))?,
        );
    }
    if let Some(policy) = query.get("propagationPolicy") {
        opts.propagation = Some(check_propagation(policy)?);
    }
    opts.dry_run |= write_options(query)?.dry_run;
    Ok(opts)
}

fn check_propagation(policy: &str) -> ApiResult<Propagation> {
    match policy {
        "Orphan" => Ok(Propagation::Orphan),
        "Background" => Ok(Propagation::Background),
        "Foreground" => Ok(Propagation::Foreground),
        other => Err(ApiError::new(
            422,
            "Invalid",
            format!(
                "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: \"{other}\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\""
            ),
        )),
    }
}

async fn delete_collection(
    state: &Arc<ServerState>,
    info: &'static ResourceInfo,
    ns: Option<&str>,
    query: &Query,
    body: &[u8],
) -> ApiResult<Response> {
    let params = selectors(info, query)?;
    let opts = delete_options(query, body)?;
    let page = state.registry.list(info, ns, &params).await?;
    let mut items = Vec::new();
    for item in page.items {
        let item_ns = object::meta_str(&item, "namespace").map(str::to_string);
        match state
            .registry
            .delete(info, item_ns.as_deref(), object::name(&item), &opts)
            .await
        {
            Ok(Deleted::Gone(obj) | Deleted::Pending(obj)) => items.push(obj),
            Err(e) if e.code == 404 => {}
            Err(e) => return Err(e),
        }
    }
    let rv = state.registry.current_revision().await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "kind": format!("{}List", info.kind),
            "apiVersion": info.api_version(),
            "metadata": {"resourceVersion": rv.to_string()},
            "items": items,
        }),
    ))
}

/// The resource info of a served kind, for internal callers.
pub fn info(group: &str, plural: &str) -> &'static ResourceInfo {
    match resources::RESOURCES
        .iter()
        .find(|r| r.group == group && r.plural == plural)
    {
        Some(info) => info,
        None => unreachable!("{group}/{plural} is in the static registry"),
    }
}

impl IntoResponse for Written {
    fn into_response(self) -> Response {
        written_response(StatusCode::OK, self)
    }
}
