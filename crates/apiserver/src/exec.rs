//! `pods/{name}/exec`: a session between kubectl and the container runtime, passed
//! through the node agent.
//!
//! kubectl (1.30 on) asks for a WebSocket with `v5.channel.k8s.io`; older ones ask for
//! SPDY/3.1. The API server checks the request (pod, container, node), asks the agent
//! for the session with the same handshake (WebSocket sessions ask the runtime for
//! `v4.channel.k8s.io`, the newest containerd 1.6 speaks; it frames channels as v5 does),
//! and once the agent has switched protocols it answers kubectl's handshake and copies
//! bytes both ways without reading them. Every failure before that is an ordinary
//! `Status` response.
//!
//! Known gap: v5's "stdin closed" signal means nothing to a v4 runtime, so over WebSocket
//! a command that waits for the end of its input (`kubectl exec -i … -- cat`) does not
//! see it; SPDY (kubectl ≤ 1.29) closes stdin properly.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use base64::Engine;
use hyper_util::rt::TokioIo;
use percent_encoding::{percent_decode_str, utf8_percent_encode};

use crate::error::{ApiError, ApiResult};
use crate::logs::{agent_error, container_for, pod_agent};
use crate::{ServerState, rest};

/// The channel protocols served, most preferred first.
const PROTOCOLS: &[&str] = &["v5.channel.k8s.io", "v4.channel.k8s.io"];
const WEBSOCKET_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/// The most of an agent's refusal that becomes the error message.
const MAX_ERROR: usize = 4096;
/// SPDY's protocol negotiation header.
const STREAM_PROTOCOL_VERSION: header::HeaderName =
    header::HeaderName::from_static("x-stream-protocol-version");

/// How the client wants the session carried.
enum Upgrade {
    WebSocket { key: String, protocol: &'static str },
    Spdy { versions: Vec<HeaderValue> },
}

/// The exec options of the query (`command` repeats).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ExecOptions {
    pub command: Vec<String>,
    pub container: String,
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
    pub tty: bool,
}

impl ExecOptions {
    pub fn parse(query: &str) -> ExecOptions {
        let mut o = ExecOptions::default();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let v = percent_decode_str(&v.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned();
            let flag = v == "true" || v == "1";
            match k {
                "command" => o.command.push(v),
                "container" => o.container = v,
                "stdin" => o.stdin = flag,
                "stdout" => o.stdout = flag,
                "stderr" => o.stderr = flag,
                "tty" => o.tty = flag,
                _ => {}
            }
        }
        o
    }
}

/// `Sec-WebSocket-Accept` for a client's key.
pub fn accept_key(key: &str) -> String {
    let digest = ring::digest::digest(
        &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
        format!("{key}{WEBSOCKET_GUID}").as_bytes(),
    );
    base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
}

fn header_str(parts: &Parts, name: header::HeaderName) -> &str {
    parts
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// The pod subresources served as sessions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Session {
    Exec,
    Attach,
    PortForward,
}

impl Session {
    pub fn of(subresource: &str) -> Option<Session> {
        match subresource {
            "exec" => Some(Session::Exec),
            "attach" => Some(Session::Attach),
            "portforward" => Some(Session::PortForward),
            _ => None,
        }
    }
}

/// Serves `GET|POST pods/<name>/{exec,attach,portforward}`.
pub async fn serve(
    state: &Arc<ServerState>,
    parts: &mut Parts,
    session_kind: Session,
    ns: Option<&str>,
    name: &str,
) -> ApiResult<Response> {
    let options = ExecOptions::parse(parts.uri.query().unwrap_or_default());
    if session_kind == Session::Exec && options.command.is_empty() {
        return Err(ApiError::bad_request("you must specify at least 1 command"));
    }
    let upgrade = header_str(parts, header::UPGRADE).to_ascii_lowercase();
    if session_kind == Session::PortForward && upgrade != "spdy/3.1" {
        // kubectl tries SPDY tunnelled over WebSocket first and falls back to SPDY when
        // the upgrade is refused; containerd forwards ports over SPDY only.
        return Err(ApiError::bad_request(
            "port forwarding is served over SPDY/3.1 only",
        ));
    }
    let stream = match upgrade.to_ascii_lowercase().as_str() {
        "websocket" => {
            let offered = header_str(parts, header::SEC_WEBSOCKET_PROTOCOL).to_string();
            let Some(protocol) = PROTOCOLS
                .iter()
                .find(|p| offered.split(',').any(|o| o.trim() == **p))
            else {
                return Err(ApiError::bad_request(format!(
                    "none of the offered WebSocket protocols ({offered}) is served; bosun speaks {}",
                    PROTOCOLS.join(", ")
                )));
            };
            let key = header_str(parts, header::SEC_WEBSOCKET_KEY).to_string();
            if key.is_empty() {
                return Err(ApiError::bad_request("missing Sec-WebSocket-Key"));
            }
            Upgrade::WebSocket { key, protocol }
        }
        // kubectl before 1.30: the session is passed through to the runtime, which
        // speaks SPDY itself.
        "spdy/3.1" => Upgrade::Spdy {
            versions: parts
                .headers
                .get_all(STREAM_PROTOCOL_VERSION)
                .iter()
                .cloned()
                .collect(),
        },
        other => {
            return Err(ApiError::bad_request(format!(
                "exec needs a WebSocket ({}) or SPDY/3.1 upgrade, not {other:?}",
                PROTOCOLS.join(", ")
            )));
        }
    };

    let pod = state.registry.get(rest::info("", "pods"), ns, name).await?;
    let container = match session_kind {
        Session::PortForward => String::new(),
        _ => container_for(&pod, &options.container)?,
    };
    let Some((endpoint, client)) = pod_agent(state, &pod).await? else {
        return Err(ApiError::bad_request(format!(
            "pod {name} does not have a host assigned"
        )));
    };
    let segment = |s: &str| utf8_percent_encode(s, crate::logs::UNRESERVED).to_string();
    let pod_ns = crate::object::meta_str(&pod, "namespace").unwrap_or_default();
    let query = parts.uri.query().unwrap_or_default().to_string();
    let agent_path = match session_kind {
        Session::Exec | Session::Attach => format!(
            "/{}/{}/{}/{}?{query}",
            if session_kind == Session::Exec {
                "exec"
            } else {
                "attach"
            },
            segment(pod_ns),
            segment(name),
            segment(&container)
        ),
        Session::PortForward => {
            format!("/portForward/{}/{}?{query}", segment(pod_ns), segment(name))
        }
    };
    session(parts, client, &endpoint, &agent_path, &stream, name).await
}

/// An interactive session: the agent opens the runtime's exec stream with the client's
/// WebSocket key (containerd 1.6 speaks up to `v4.channel.k8s.io`, which frames channels
/// as v5 does; v5's stdin-close signal is ignored there), and once the agent has switched
/// protocols the client's connection is switched too and bytes flow both ways unread.
async fn session(
    parts: &mut Parts,
    client: &crate::kubelet::KubeletClient,
    endpoint: &crate::kubelet::Endpoint,
    agent_path: &str,
    stream: &Upgrade,
    name: &str,
) -> ApiResult<Response> {
    let mut headers = vec![(header::CONNECTION, "Upgrade".to_string())];
    match stream {
        Upgrade::WebSocket { key, .. } => headers.extend([
            (header::UPGRADE, "websocket".to_string()),
            (header::SEC_WEBSOCKET_VERSION, "13".to_string()),
            (header::SEC_WEBSOCKET_KEY, key.clone()),
            (
                header::SEC_WEBSOCKET_PROTOCOL,
                "v4.channel.k8s.io".to_string(),
            ),
        ]),
        Upgrade::Spdy { versions } => {
            headers.push((header::UPGRADE, "SPDY/3.1".to_string()));
            for v in versions {
                if let Ok(v) = v.to_str() {
                    headers.push((STREAM_PROTOCOL_VERSION, v.to_string()));
                }
            }
        }
    }
    let mut answer = client
        .request(hyper::Method::GET, endpoint, agent_path, &headers)
        .await?;
    let code = answer.status();
    if code != StatusCode::SWITCHING_PROTOCOLS {
        let bytes = answer
            .into_body()
            .read_prefix(MAX_ERROR, Duration::from_secs(10))
            .await
            .map_err(|e| ApiError::internal(format!("Internal error occurred: {e}")))?;
        return Err(agent_error(
            code.as_u16(),
            String::from_utf8_lossy(&bytes).trim(),
            name,
        ));
    }
    let chosen_version = answer.headers().get(STREAM_PROTOCOL_VERSION).cloned();
    let agent_side = hyper::upgrade::on(&mut answer)
        .await
        .map_err(|e| ApiError::internal(format!("Internal error occurred: exec stream: {e}")))?;
    let Some(client_side) = parts.extensions.remove::<hyper::upgrade::OnUpgrade>() else {
        return Err(ApiError::bad_request(
            "the connection cannot be upgraded (exec needs HTTP/1.1)",
        ));
    };
    tokio::spawn(async move {
        // The answer holds the agent connection's driver; keep it for the session.
        let _answer = answer;
        let Ok(client_io) = client_side.await else {
            return;
        };
        let (mut a, mut b) = (TokioIo::new(client_io), TokioIo::new(agent_side));
        let _ = tokio::io::copy_bidirectional(&mut a, &mut b).await;
    });
    Ok(match stream {
        Upgrade::WebSocket { key, protocol } => switching(key, protocol),
        Upgrade::Spdy { .. } => {
            let mut response = Response::new(Body::empty());
            *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
            let headers = response.headers_mut();
            headers.insert(header::UPGRADE, HeaderValue::from_static("SPDY/3.1"));
            headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
            if let Some(v) = chosen_version {
                headers.insert(STREAM_PROTOCOL_VERSION, v);
            }
            response
        }
    })
}

fn switching(key: &str, protocol: &str) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    if let Ok(v) = HeaderValue::from_str(&accept_key(key)) {
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, v);
    }
    if let Ok(v) = HeaderValue::from_str(protocol) {
        headers.insert(header::SEC_WEBSOCKET_PROTOCOL, v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_key_matches_rfc_6455_example() {
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn options_keep_every_command_word() {
        let o = ExecOptions::parse(
            "command=sh&command=-c&command=echo%20hi%3B%20exit%203&container=web&stdout=true&stderr=true",
        );
        assert_eq!(o.command, ["sh", "-c", "echo hi; exit 3"]);
        assert_eq!(o.container, "web");
        assert!(o.stdout && o.stderr && !o.stdin && !o.tty);
    }
}
