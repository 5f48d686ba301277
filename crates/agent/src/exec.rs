//! The agent's session endpoints — `GET /exec/{namespace}/{pod}/{container}?command=…`,
//! `/attach/{namespace}/{pod}/{container}` and `/portForward/{namespace}/{pod}`, each with a
//! WebSocket or SPDY/3.1 upgrade — for the API server's `pods/exec`, `pods/attach` and
//! `pods/portforward`: it asks the CRI for the session (`Exec`, `Attach`, `PortForward` →
//! a URL on containerd's streaming server), opens that URL with the same handshake, and
//! once both sides have switched protocols copies bytes both ways.
//! The frames are not looked at: the channel protocol is between kubectl and containerd
//! (the API server asks for `v4.channel.k8s.io` over WebSocket, or passes on the SPDY
//! upgrade of kubectl before 1.30).

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tracing::debug;

use crate::logs::{Body, percent_decode, text};
use crate::runtime::cri::CriRuntime;

/// SPDY's protocol negotiation header (kubectl before 1.30 speaks SPDY).
const STREAM_PROTOCOL_VERSION: header::HeaderName =
    header::HeaderName::from_static("x-stream-protocol-version");

/// What a session is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Session {
    /// `/exec/{ns}/{pod}/{container}`: a command in the container.
    Exec,
    /// `/attach/{ns}/{pod}/{container}`: the container's own stdio.
    Attach,
    /// `/portForward/{ns}/{pod}`: ports of the pod's network namespace.
    PortForward,
}

/// Serves a session request (it must be an upgrade).
pub async fn serve(
    cri: &CriRuntime,
    request: Request<Incoming>,
    session: Session,
    target: (&str, &str, &str),
    query: &str,
) -> Response<Body> {
    let upgrade = request.headers().get(header::UPGRADE).is_some_and(|v| {
        v.as_bytes().eq_ignore_ascii_case(b"websocket")
            || v.as_bytes().eq_ignore_ascii_case(b"SPDY/3.1")
    });
    if upgrade && request.method() == hyper::Method::GET {
        return stream(cri, request, session, target, query).await;
    }
    text(
        StatusCode::METHOD_NOT_ALLOWED,
        "405 method not allowed\n".to_string(),
    )
}

/// The exec options of a query: the command words and the stdin/stdout/stderr/tty flags.
pub fn exec_options(query: &str) -> (Vec<String>, [bool; 4]) {
    let mut command = Vec::new();
    let mut flags = [false; 4];
    for (k, v) in query.split('&').filter_map(|pair| pair.split_once('=')) {
        let v = percent_decode(v);
        let on = v == "true" || v == "1";
        match k {
            "command" => command.push(v),
            "stdin" => flags[0] = on,
            "stdout" => flags[1] = on,
            "stderr" => flags[2] = on,
            "tty" => flags[3] = on,
            _ => {}
        }
    }
    (command, flags)
}

async fn stream(
    cri: &CriRuntime,
    mut request: Request<Incoming>,
    session: Session,
    (namespace, pod, container): (&str, &str, &str),
    query: &str,
) -> Response<Body> {
    let (command, [stdin, stdout, stderr, tty]) = exec_options(query);
    let url = if session == Session::PortForward {
        let Some(sandbox) = cri.ready_sandbox(namespace, pod).await else {
            return text(
                StatusCode::BAD_REQUEST,
                format!("pod \"{pod}\" has no running sandbox on this node"),
            );
        };
        // The ports travel in the SPDY streams' headers; none are needed up front.
        cri.port_forward_url(&sandbox).await
    } else {
        if session == Session::Exec && command.is_empty() {
            return text(
                StatusCode::BAD_REQUEST,
                "you must specify at least 1 command".to_string(),
            );
        }
        let Some(id) = cri.running_container(namespace, pod, container).await else {
            return text(
                StatusCode::BAD_REQUEST,
                format!("container \"{container}\" in pod \"{pod}\" is not running"),
            );
        };
        let streams = [stdin, stdout, stderr && !tty, tty];
        if session == Session::Exec {
            cri.exec_url(&id, &command, streams).await
        } else {
            cri.attach_url(&id, streams).await
        }
    };
    let url = match url {
        Ok(url) => url,
        Err(message) => return text(StatusCode::INTERNAL_SERVER_ERROR, message),
    };
    let Some((authority, path)) = url
        .strip_prefix("http://")
        .and_then(|rest| rest.split_once('/'))
        .map(|(a, p)| (a.to_string(), format!("/{p}")))
    else {
        return text(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("unexpected CRI exec URL {url:?}"),
        );
    };
    let tcp = match tokio::net::TcpStream::connect(&authority).await {
        Ok(tcp) => tcp,
        Err(e) => {
            return text(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("dial {authority}: {e}"),
            );
        }
    };
    let (mut sender, connection) =
        match hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await {
            Ok(pair) => pair,
            Err(e) => return text(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        };
    tokio::spawn(async move {
        let _ = connection.with_upgrades().await;
    });
    let mut backend = Request::get(path).header(header::HOST, authority.as_str());
    for name in [
        header::CONNECTION,
        header::UPGRADE,
        header::SEC_WEBSOCKET_VERSION,
        header::SEC_WEBSOCKET_KEY,
        header::SEC_WEBSOCKET_PROTOCOL,
        STREAM_PROTOCOL_VERSION,
    ] {
        for v in request.headers().get_all(&name) {
            backend = backend.header(name.clone(), v.clone());
        }
    }
    let Ok(backend) = backend.body(Full::new(Bytes::new())) else {
        return text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "bad exec request".to_string(),
        );
    };
    let mut answer = match sender.send_request(backend).await {
        Ok(answer) => answer,
        Err(e) => return text(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    if answer.status() != StatusCode::SWITCHING_PROTOCOLS {
        let code = answer.status();
        let body = answer
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        return text(
            if code.is_client_error() {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::INTERNAL_SERVER_ERROR
            },
            String::from_utf8_lossy(&body).trim().to_string(),
        );
    }
    let mut response = Response::new(Full::new(Bytes::new()).boxed_unsync());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    for name in [
        header::CONNECTION,
        header::UPGRADE,
        header::SEC_WEBSOCKET_ACCEPT,
        header::SEC_WEBSOCKET_PROTOCOL,
        STREAM_PROTOCOL_VERSION,
    ] {
        if let Some(v) = answer.headers().get(&name) {
            response.headers_mut().insert(name, v.clone());
        }
    }
    let runtime_side = hyper::upgrade::on(&mut answer);
    let caller_side = hyper::upgrade::on(&mut request);
    tokio::spawn(async move {
        let (Ok(runtime_io), Ok(caller_io)) = (runtime_side.await, caller_side.await) else {
            debug!("exec session: an upgrade failed");
            return;
        };
        let (mut a, mut b) = (TokioIo::new(runtime_io), TokioIo::new(caller_io));
        let _ = tokio::io::copy_bidirectional(&mut a, &mut b).await;
    });
    if response.headers().get(header::CONNECTION).is_none() {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    }
    response
}
