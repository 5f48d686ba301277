//! `GET pods/{name}/log` (upstream's `LogREST` and `LogLocation`): PodLogOptions read from
//! the query and validated with upstream's messages, the container defaulted as upstream's
//! `validateContainer` does, the node agent found through the pod's Node, and the agent's
//! `/containerLogs/{namespace}/{pod}/{container}` answer streamed back as `text/plain` —
//! or, when the agent refuses, its message turned into a `Status` the way upstream's
//! `GenericHttpResponseChecker` does.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use bosun_api::validation::{FieldError, invalid_message};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};

use crate::ServerState;
use crate::error::{ApiError, ApiResult};
use crate::http::Query;
use crate::kubelet::{Endpoint, KubeletClient};
use crate::object;
use crate::rest;

/// How much of an agent's error body becomes the message.
const MAX_ERROR_MESSAGE: usize = 1024;
/// How long to wait for an agent's error body before answering with what arrived.
const ERROR_BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// RFC 3986 unreserved characters: what Go's `url.QueryEscape` leaves alone.
pub(crate) const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Upstream's `PodLogOptions`, as far as the agent is concerned (`stream` is behind the
/// `PodLogsQuerySplitStreams` gate, off by default, and `insecureSkipTLSVerifyBackend`
/// changes nothing here: the agent's certificate is never verified).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogOptions {
    pub container: String,
    pub follow: bool,
    pub previous: bool,
    pub timestamps: bool,
    pub since_seconds: Option<i64>,
    pub since_time: Option<jiff::Timestamp>,
    pub tail_lines: Option<i64>,
    pub limit_bytes: Option<i64>,
}

impl LogOptions {
    /// Decodes the query as upstream's parameter codec does; a value that does not parse
    /// is a 400 with Go's parse error as the message.
    pub fn from_query(query: &Query) -> ApiResult<LogOptions> {
        let flag = |key: &str| query.get(key).is_some_and(|v| go_bool(v));
        let int = |key: &str| match query.get(key).map(String::as_str) {
            None | Some("") => Ok(None),
            Some(v) => parse_int(v).map(Some),
        };
        let since_time = match query.get("sinceTime").map(String::as_str) {
            // Old clients sent `null` for an unset time; upstream tolerates it.
            None | Some("" | "null") => None,
            Some(v) => Some(v.parse::<jiff::Timestamp>().map_err(|_| {
                ApiError::bad_request(format!(
                    "parsing time {v:?} as \"2006-01-02T15:04:05Z07:00\": cannot parse {v:?} as RFC 3339"
                ))
            })?),
        };
        Ok(LogOptions {
            container: query.get("container").cloned().unwrap_or_default(),
            follow: flag("follow"),
            previous: flag("previous"),
            timestamps: flag("timestamps"),
            since_seconds: int("sinceSeconds")?,
            since_time,
            tail_lines: int("tailLines")?,
            limit_bytes: int("limitBytes")?,
        })
    }

    /// Upstream's `ValidatePodLogOptions`: a 422 `PodLogOptions "<pod>" is invalid`.
    pub fn validate(&self, pod: &str) -> ApiResult<()> {
        let mut errors = Vec::new();
        if let Some(n) = self.tail_lines
            && n < 0
        {
            errors.push(FieldError::invalid(
                "tailLines",
                n,
                "must be greater than or equal to 0",
            ));
        }
        if let Some(n) = self.limit_bytes
            && n < 1
        {
            errors.push(FieldError::invalid(
                "limitBytes",
                n,
                "must be greater than 0",
            ));
        }
        match (self.since_seconds, self.since_time) {
            (Some(_), Some(_)) => errors.push(FieldError::forbidden(
                "",
                "at most one of `sinceTime` or `sinceSeconds` may be specified",
            )),
            (Some(n), None) if n < 1 => errors.push(FieldError::invalid(
                "sinceSeconds",
                n,
                "must be greater than 0",
            )),
            _ => {}
        }
        if errors.is_empty() {
            return Ok(());
        }
        let causes: Vec<Value> = errors
            .iter()
            .map(|e| json!({"reason": e.reason(), "message": e.message(), "field": e.field}))
            .collect();
        Err(ApiError::new(
            422,
            "Invalid",
            invalid_message("PodLogOptions", pod, &errors),
        )
        .with_details(json!({"name": pod, "group": "", "kind": "PodLogOptions", "causes": causes})))
    }

    /// The agent's query, as upstream's `LogLocation` builds it: only the options that are
    /// set, keys sorted and values escaped as Go's `url.Values.Encode` does.
    pub fn agent_query(&self) -> String {
        let mut params: Vec<(&str, String)> = Vec::new();
        if self.follow {
            params.push(("follow", "true".into()));
        }
        if let Some(n) = self.limit_bytes {
            params.push(("limitBytes", n.to_string()));
        }
        if self.previous {
            params.push(("previous", "true".into()));
        }
        if let Some(n) = self.since_seconds {
            params.push(("sinceSeconds", n.to_string()));
        }
        if let Some(t) = self.since_time {
            // Go's `time.RFC3339`: whole seconds (the API server runs in UTC).
            params.push(("sinceTime", t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()));
        }
        if let Some(n) = self.tail_lines {
            params.push(("tailLines", n.to_string()));
        }
        if self.timestamps {
            params.push(("timestamps", "true".into()));
        }
        params
            .iter()
            .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, UNRESERVED)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// Go's query boolean: absent is false; `0` and `false` (any case) are false; anything
/// else, even an empty value, is true.
fn go_bool(v: &str) -> bool {
    !(v == "0" || v.eq_ignore_ascii_case("false"))
}

/// `strconv.ParseInt(v, 10, 64)`, with Go's error wording.
fn parse_int(v: &str) -> ApiResult<i64> {
    v.parse::<i64>().map_err(|e| {
        let why = match e.kind() {
            std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow => {
                "value out of range"
            }
            _ => "invalid syntax",
        };
        ApiError::bad_request(format!("strconv.ParseInt: parsing {v:?}: {why}"))
    })
}

fn container_names<'a>(pod: &'a Value, field: &str) -> Vec<&'a str> {
    pod["spec"][field]
        .as_array()
        .map(|cs| {
            cs.iter()
                .map(|c| c["name"].as_str().unwrap_or(""))
                .collect()
        })
        .unwrap_or_default()
}

/// Upstream's `validateContainer`: an empty name means the pod's only container; a given
/// name must be one of the pod's init, regular or ephemeral containers.
pub fn container_for(pod: &Value, requested: &str) -> ApiResult<String> {
    let pod_name = object::meta_str(pod, "name").unwrap_or_default();
    let containers = container_names(pod, "containers");
    // Upstream's `VisitContainers` order: init, regular, ephemeral.
    let mut all = container_names(pod, "initContainers");
    all.extend(&containers);
    all.extend(container_names(pod, "ephemeralContainers"));
    if requested.is_empty() {
        return match containers.as_slice() {
            [only] => Ok(only.to_string()),
            [] => Err(ApiError::bad_request(format!(
                "a container name must be specified for pod {pod_name}"
            ))),
            // Go's `%s` of a `[]string`.
            _ => Err(ApiError::bad_request(format!(
                "a container name must be specified for pod {pod_name}, choose one of: [{}]",
                all.join(" ")
            ))),
        };
    }
    if all.contains(&requested) {
        Ok(requested.to_string())
    } else {
        Err(ApiError::bad_request(format!(
            "container {requested} is not valid for pod {pod_name}"
        )))
    }
}

/// Where a Node's agent listens: its `InternalIP` (else its `Hostname`) and the port in
/// `status.daemonEndpoints.kubeletEndpoint.Port`.
pub fn agent_endpoint(node: &Value) -> ApiResult<Endpoint> {
    let name = object::meta_str(node, "name").unwrap_or_default();
    let addresses: &[Value] = node
        .pointer("/status/addresses")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let of_type = |ty: &str| {
        addresses
            .iter()
            .filter(|a| a["type"] == ty)
            .find_map(|a| a["address"].as_str().filter(|s| !s.is_empty()))
    };
    let Some(host) = of_type("InternalIP").or_else(|| of_type("Hostname")) else {
        // Upstream's `NoMatchError`, with Go's `%v` of the `[]NodeAddress`.
        let known: Vec<String> = addresses
            .iter()
            .map(|a| {
                format!(
                    "{{{} {}}}",
                    a["type"].as_str().unwrap_or(""),
                    a["address"].as_str().unwrap_or("")
                )
            })
            .collect();
        return Err(ApiError::unknown(format!(
            "no preferred addresses found; known addresses: [{}]",
            known.join(" ")
        )));
    };
    let port = node
        .pointer("/status/daemonEndpoints/kubeletEndpoint/Port")
        .and_then(Value::as_i64)
        .and_then(|p| u16::try_from(p).ok())
        .filter(|p| *p > 0)
        .ok_or_else(|| {
            ApiError::unknown(format!(
                "node {name:?} publishes no agent port (status.daemonEndpoints.kubeletEndpoint.Port)"
            ))
        })?;
    Ok(Endpoint {
        host: host.to_string(),
        port,
    })
}

/// Upstream's `GenericHttpResponseChecker`: the agent's 400 and 500 carry its message;
/// other codes get client-go's generic wording for the code, naming `pods/log <pod>`.
pub fn agent_error(code: u16, body: &str, pod: &str) -> ApiError {
    match code {
        400 => return ApiError::bad_request(body),
        500 => {
            return ApiError::internal(format!("Internal error occurred: {body}"))
                .with_details(json!({"causes": [{"message": body}]}));
        }
        _ => {}
    }
    let (reason, message) = match code {
        409 => ("Conflict", "the server reported a conflict".to_string()),
        404 => (
            "NotFound",
            "the server could not find the requested resource".to_string(),
        ),
        401 => (
            "Unauthorized",
            "the server has asked for the client to provide credentials".to_string(),
        ),
        // The agent's message says who may not do what: upstream keeps it.
        403 => ("Forbidden", body.to_string()),
        405 => (
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource".to_string(),
        ),
        422 => (
            "Invalid",
            "the server rejected our request due to an error in our request".to_string(),
        ),
        504 => (
            "Timeout",
            "the server was unable to return a response in the time allotted, but may still be processing the request".to_string(),
        ),
        429 => (
            "TooManyRequests",
            "the server has received too many requests and has asked us to try again later"
                .to_string(),
        ),
        500.. => (
            "InternalError",
            format!("an error on the server ({body:?}) has prevented the request from succeeding"),
        ),
        _ => (
            "",
            format!("the server responded with the status code {code} but did not return more information"),
        ),
    };
    // The verb is empty upstream, hence the double space.
    ApiError::new(code, reason, format!("{message} ( pods/log {pod})"))
        .with_details(json!({"name": pod, "group": "", "kind": "pods/log"}))
}

/// The agent's error body as a message: text, trimmed, at most [`MAX_ERROR_MESSAGE`].
fn error_text(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut end = text.len().min(MAX_ERROR_MESSAGE);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].trim().to_string()
}

/// The node agent running a pod, and the client that reaches it; `None` while the pod
/// is not on a node.
pub async fn pod_agent<'s>(
    state: &'s ServerState,
    pod: &Value,
) -> ApiResult<Option<(Endpoint, &'s KubeletClient)>> {
    let Some(node_name) = pod
        .pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
    else {
        return Ok(None);
    };
    let node = state
        .registry
        .get(rest::info("", "nodes"), None, node_name)
        .await?;
    let endpoint = agent_endpoint(&node)?;
    let Some(client) = &state.kubelet else {
        return Err(ApiError::internal(
            "Internal error occurred: the API server has no client certificate for node agents",
        ));
    };
    Ok(Some((endpoint, client)))
}

/// Serves `GET pods/<name>/log`.
pub async fn serve(
    state: &Arc<ServerState>,
    ns: Option<&str>,
    name: &str,
    query: &Query,
) -> ApiResult<Response> {
    let opts = LogOptions::from_query(query)?;
    opts.validate(name)?;
    let pod = state.registry.get(rest::info("", "pods"), ns, name).await?;
    let container = container_for(&pod, &opts.container)?;
    let Some((endpoint, client)) = pod_agent(state, &pod).await? else {
        // Not scheduled: upstream has no location to stream from and answers 204.
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    let pod_ns = object::meta_str(&pod, "namespace").unwrap_or_default();
    let segment = |s: &str| utf8_percent_encode(s, UNRESERVED).to_string();
    let mut path = format!(
        "/containerLogs/{}/{}/{}",
        segment(pod_ns),
        segment(name),
        segment(&container)
    );
    let agent_query = opts.agent_query();
    if !agent_query.is_empty() {
        path = format!("{path}?{agent_query}");
    }
    let answer = client.get(&endpoint, &path).await?;
    let code = answer.status();
    if (200..=206).contains(&code.as_u16()) {
        let body = Body::new(answer.into_body());
        return Ok(([(header::CONTENT_TYPE, "text/plain")], body).into_response());
    }
    if code.is_redirection() {
        // Upstream's streamer refuses to follow redirects.
        return Err(ApiError::unknown(format!(
            "Get \"https://{}{path}\": redirects forbidden",
            endpoint.authority()
        )));
    }
    let bytes = answer
        .into_body()
        .read_prefix(MAX_ERROR_MESSAGE, ERROR_BODY_TIMEOUT)
        .await
        .map_err(|e| ApiError::internal(format!("Internal error occurred: {e}")))?;
    Err(agent_error(code.as_u16(), &error_text(&bytes), name))
}

#[cfg(test)]
#[path = "logs_tests.rs"]
mod tests;
