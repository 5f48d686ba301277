//! `pods/{name}/exec` for commands that need no input: the command runs to completion on
//! the pod's node (the agent's `POST /exec/…`, CRI `ExecSync`), and its output and exit
//! status reach kubectl over the WebSocket protocol kubectl speaks first
//! (`v5.channel.k8s.io`, or `v4`): channel 1 stdout, channel 2 stderr, channel 3 the
//! `Status` (`Success`, or `NonZeroExitCode` with the code as a cause), then a close.
//!
//! Interactive sessions (`-i`, `-t`) need streaming through the CRI's streaming server and
//! are refused with a clear message; SPDY upgrades (kubectl's fallback) are refused too.
//!
//! The WebSocket framing is written here: the server only sends a handful of unmasked
//! binary frames and a close, which does not justify a WebSocket library.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use hyper_util::rt::TokioIo;
use percent_encoding::{NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::error::{ApiError, ApiResult};
use crate::logs::{agent_endpoint, agent_error, container_for};
use crate::{ServerState, rest};

/// The channel protocols served, most preferred first.
const PROTOCOLS: &[&str] = &["v5.channel.k8s.io", "v4.channel.k8s.io"];
const WEBSOCKET_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/// The most output an exec answer carries back.
const MAX_OUTPUT: usize = 16 << 20;
const EXEC_TIMEOUT: Duration = Duration::from_secs(310);

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

/// The `Status` sent on channel 3 when the command has finished.
pub fn exit_status(command: &[String], exit_code: i64) -> Value {
    if exit_code == 0 {
        return json!({"metadata": {}, "status": "Success"});
    }
    json!({
        "metadata": {},
        "status": "Failure",
        "message": format!(
            "command terminated with non-zero exit code: error executing command {}, exit code {exit_code}",
            go_list(command)
        ),
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": exit_code.to_string()}]},
    })
}

/// Go's `%v` of a `[]string`: `[sh -c exit 3]`.
fn go_list(items: &[String]) -> String {
    format!("[{}]", items.join(" "))
}

/// One unmasked server frame (`opcode` 2 binary, 8 close).
pub fn frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 10);
    out.push(0x80 | opcode);
    match payload.len() {
        n if n < 126 => out.push(n as u8),
        n if n <= usize::from(u16::MAX) => {
            out.push(126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(payload);
    out
}

fn channel_frame(channel: u8, data: &[u8]) -> Vec<u8> {
    let mut payload = Vec::with_capacity(data.len() + 1);
    payload.push(channel);
    payload.extend_from_slice(data);
    frame(2, &payload)
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

/// Serves `GET|POST pods/<name>/exec`.
pub async fn serve(
    state: &Arc<ServerState>,
    parts: &mut Parts,
    ns: Option<&str>,
    name: &str,
) -> ApiResult<Response> {
    let options = ExecOptions::parse(parts.uri.query().unwrap_or_default());
    if options.command.is_empty() {
        return Err(ApiError::bad_request("you must specify at least 1 command"));
    }
    if options.stdin || options.tty {
        return Err(ApiError::bad_request(
            "bosun runs exec commands without input for now: interactive sessions (stdin, tty) are not supported; run the command without -i and -t",
        ));
    }
    let upgrade = header_str(parts, header::UPGRADE).to_ascii_lowercase();
    if upgrade != "websocket" {
        return Err(ApiError::bad_request(format!(
            "bosun serves exec over WebSocket ({}) only, not {:?}",
            PROTOCOLS.join(", "),
            header_str(parts, header::UPGRADE)
        )));
    }
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

    let pod = state.registry.get(rest::info("", "pods"), ns, name).await?;
    let container = container_for(&pod, &options.container)?;
    let Some(node_name) = pod
        .pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
    else {
        return Err(ApiError::bad_request(format!(
            "pod {name} does not have a host assigned"
        )));
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
    let segment = |s: &str| utf8_percent_encode(s, NON_ALPHANUMERIC).to_string();
    let pod_ns = crate::object::meta_str(&pod, "namespace").unwrap_or_default();
    let command_query: Vec<String> = options
        .command
        .iter()
        .map(|c| format!("command={}", segment(c)))
        .collect();
    let path = format!(
        "/exec/{}/{}/{}?{}",
        segment(pod_ns),
        segment(name),
        segment(&container),
        command_query.join("&")
    );
    let answer = client
        .request(hyper::Method::POST, &endpoint, &path)
        .await?;
    let code = answer.status();
    let bytes = answer
        .into_body()
        .read_prefix(MAX_OUTPUT, EXEC_TIMEOUT)
        .await
        .map_err(|e| ApiError::internal(format!("Internal error occurred: {e}")))?;
    if !code.is_success() {
        return Err(agent_error(
            code.as_u16(),
            String::from_utf8_lossy(&bytes).trim(),
            name,
        ));
    }
    let result: Value = serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::internal(format!(
            "Internal error occurred: the node's exec answer: {e}"
        ))
    })?;
    let decode = |field: &str| {
        result[field]
            .as_str()
            .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
            .unwrap_or_default()
    };
    let (stdout, stderr) = (decode("stdout"), decode("stderr"));
    let exit_code = result["exitCode"].as_i64().unwrap_or(-1);

    let mut frames = Vec::new();
    if options.stdout && !stdout.is_empty() {
        frames.extend(channel_frame(1, &stdout));
    }
    if options.stderr && !stderr.is_empty() {
        frames.extend(channel_frame(2, &stderr));
    }
    let status = exit_status(&options.command, exit_code).to_string();
    frames.extend(channel_frame(3, status.as_bytes()));
    frames.extend(frame(8, &1000u16.to_be_bytes()));

    let Some(on_upgrade) = parts.extensions.remove::<hyper::upgrade::OnUpgrade>() else {
        return Err(ApiError::bad_request(
            "the connection cannot be upgraded (exec needs HTTP/1.1)",
        ));
    };
    tokio::spawn(async move {
        let Ok(upgraded) = on_upgrade.await else {
            return;
        };
        let mut io = TokioIo::new(upgraded);
        if io.write_all(&frames).await.is_err() || io.flush().await.is_err() {
            return;
        }
        // Wait briefly for the client's close frame, then hang up.
        let mut buf = [0u8; 256];
        let _ = tokio::time::timeout(Duration::from_secs(5), io.read(&mut buf)).await;
        let _ = io.shutdown().await;
    });
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    if let Ok(v) = HeaderValue::from_str(&accept_key(&key)) {
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, v);
    }
    headers.insert(
        header::SEC_WEBSOCKET_PROTOCOL,
        HeaderValue::from_static(protocol),
    );
    Ok(response.into_response())
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

    #[test]
    fn exit_status_is_upstreams() {
        assert_eq!(
            exit_status(&["true".to_string()], 0),
            json!({"metadata": {}, "status": "Success"})
        );
        let failed = exit_status(&["sh".into(), "-c".into(), "exit 3".into()], 3);
        assert_eq!(failed["reason"], "NonZeroExitCode");
        assert_eq!(
            failed["details"]["causes"][0],
            json!({"reason": "ExitCode", "message": "3"})
        );
        assert_eq!(
            failed["message"],
            "command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3"
        );
    }

    #[test]
    fn frames_use_the_short_and_extended_lengths() {
        assert_eq!(frame(2, b"ab"), vec![0x82, 2, b'a', b'b']);
        let long = vec![7u8; 300];
        let f = frame(2, &long);
        assert_eq!(&f[..4], &[0x82, 126, 1, 44]);
        assert_eq!(f.len(), 304);
        assert_eq!(channel_frame(1, b"x"), vec![0x82, 2, 1, b'x']);
    }
}
