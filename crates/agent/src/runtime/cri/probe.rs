//! Probes the node performs against a pod's IP, as upstream's prober does: `httpGet`
//! (success for 200–399, upstream's `kube-probe` User-Agent), `tcpSocket` (a connect) and
//! `grpc` (the standard health service). `exec` probes run in the container through CRI
//! `ExecSync` and live with the runtime.
//!
//! Failure messages follow upstream's wording (`HTTP probe failed with statuscode: 503`),
//! with the underlying error where upstream prints Go's dialer error.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Empty;
use hyper_util::rt::TokioIo;
use k8s_openapi::api::core::v1::{Container, Probe};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use tokio::net::TcpStream;

use crate::options::KUBELET_VERSION;
use crate::runtime::ProbeResult;

/// A named port resolved against the container's ports.
fn port(port: &IntOrString, container: &Container) -> Result<u16, String> {
    match port {
        IntOrString::Int(n) => u16::try_from(*n).map_err(|_| format!("invalid port number: {n}")),
        IntOrString::String(name) => container
            .ports
            .iter()
            .flatten()
            .find(|p| p.name.as_deref() == Some(name.as_str()))
            .and_then(|p| u16::try_from(p.container_port).ok())
            .ok_or_else(|| format!("couldn't find port: {name} in {}", container.name)),
    }
}

fn target(host: Option<&str>, pod_ip: &str, port: u16) -> Result<SocketAddr, String> {
    let host = host.filter(|h| !h.is_empty()).unwrap_or(pod_ip);
    let ip: std::net::IpAddr = host
        .parse()
        .map_err(|_| format!("probe host {host:?} is not an IP address"))?;
    Ok(SocketAddr::new(ip, port))
}

/// Runs a network probe (`httpGet`, `tcpSocket`, `grpc`) against the pod.
pub async fn network(
    probe: &Probe,
    container: &Container,
    pod_ip: &str,
    timeout: Duration,
) -> ProbeResult {
    let outcome = tokio::time::timeout(timeout, async {
        if let Some(http) = &probe.http_get {
            let addr = target(http.host.as_deref(), pod_ip, port(&http.port, container)?)?;
            if http.scheme.as_deref() == Some("HTTPS") {
                return Err("HTTPS probes are not supported by bosun's agent".to_string());
            }
            http_get(
                addr,
                http.path.as_deref().unwrap_or("/"),
                http.http_headers.iter().flatten(),
            )
            .await
        } else if let Some(tcp) = &probe.tcp_socket {
            let addr = target(tcp.host.as_deref(), pod_ip, port(&tcp.port, container)?)?;
            TcpStream::connect(addr)
                .await
                .map(|_| ())
                .map_err(|e| format!("dial tcp {addr}: connect: {e}"))
        } else if let Some(grpc) = &probe.grpc {
            let p = u16::try_from(grpc.port)
                .map_err(|_| format!("invalid port number: {}", grpc.port))?;
            grpc_check(
                target(None, pod_ip, p)?,
                grpc.service.clone().unwrap_or_default(),
            )
            .await
        } else {
            Err("missing probe handler".to_string())
        }
    })
    .await;
    match outcome {
        Ok(Ok(())) => ProbeResult::Success,
        Ok(Err(message)) => ProbeResult::Failure(message),
        Err(_) => ProbeResult::Failure(format!(
            "probe timed out after {}s (context deadline exceeded)",
            timeout.as_secs()
        )),
    }
}

async fn http_get<'a>(
    addr: SocketAddr,
    path: &str,
    headers: impl Iterator<Item = &'a k8s_openapi::api::core::v1::HTTPHeader>,
) -> Result<(), String> {
    let url = format!("http://{addr}{path}");
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("Get \"{url}\": dial tcp {addr}: connect: {e}"))?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("Get \"{url}\": {e}"))?;
    tokio::spawn(conn);
    // Upstream sends `kube-probe/<major>.<minor>`.
    let version: Vec<&str> = KUBELET_VERSION
        .trim_start_matches('v')
        .split(['.', '-'])
        .take(2)
        .collect();
    let version = version.join(".");
    let mut request = hyper::Request::get(path)
        .header(hyper::header::HOST, addr.to_string())
        .header(hyper::header::USER_AGENT, format!("kube-probe/{version}"))
        .header(hyper::header::ACCEPT, "*/*")
        .body(Empty::<Bytes>::new())
        .map_err(|e| format!("Get \"{url}\": {e}"))?;
    // The probe's own headers replace the defaults (a custom Host, User-Agent, Accept).
    let mut own = hyper::HeaderMap::new();
    for h in headers {
        if let (Ok(name), Ok(value)) = (
            hyper::header::HeaderName::from_bytes(h.name.as_bytes()),
            hyper::header::HeaderValue::from_str(&h.value),
        ) {
            own.append(name, value);
        }
    }
    for name in own.keys() {
        request.headers_mut().remove(name);
    }
    request.headers_mut().extend(own);
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("Get \"{url}\": {e}"))?;
    let code = response.status().as_u16();
    if (200..400).contains(&code) {
        Ok(())
    } else {
        Err(format!("HTTP probe failed with statuscode: {code}"))
    }
}

async fn grpc_check(addr: SocketAddr, service: String) -> Result<(), String> {
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .map_err(|e| e.to_string())?
        .connect()
        .await
        .map_err(|e| format!("failed to connect service {addr:?} within timeout: {e}"))?;
    let response = HealthClient::new(channel)
        .check(HealthCheckRequest { service })
        .await
        .map_err(|e| format!("health rpc probe failed: {}", e.message()))?;
    let status = response.into_inner().status;
    if status == ServingStatus::Serving as i32 {
        Ok(())
    } else {
        let name = ServingStatus::try_from(status)
            .map(|s| s.as_str_name().to_string())
            .unwrap_or_else(|_| status.to_string());
        Err(format!("service unhealthy (responded with \"{name}\")"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    fn probe(json: serde_json::Value) -> Probe {
        serde_json::from_value(json).expect("probe")
    }

    fn container() -> Container {
        serde_json::from_value(
            serde_json::json!({"name": "c", "ports": [{"name": "web", "containerPort": 1}]}),
        )
        .expect("container")
    }

    /// An HTTP server answering every request with `status`, returning the request.
    async fn http_server(status: u16) -> (u16, tokio::task::JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let task = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.expect("accept");
            let mut buf = vec![0u8; 4096];
            let n = s.read(&mut buf).await.unwrap_or(0);
            let _ = s
                .write_all(format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\n\r\n").as_bytes())
                .await;
            String::from_utf8_lossy(&buf[..n]).into_owned()
        });
        (port, task)
    }

    #[tokio::test]
    async fn http_get_succeeds_below_400_and_reports_the_status_above() {
        let (port, seen) = http_server(204).await;
        let p = probe(
            serde_json::json!({"httpGet": {"path": "/healthz", "port": port,
            "httpHeaders": [{"name": "X-Probe", "value": "yes"}, {"name": "Host", "value": "web.example"}]}}),
        );
        assert_eq!(
            network(&p, &container(), "127.0.0.1", Duration::from_secs(2)).await,
            ProbeResult::Success
        );
        let request = seen.await.expect("request");
        assert!(
            request.starts_with("GET /healthz HTTP/1.1\r\n"),
            "{request}"
        );
        assert!(
            request.contains("user-agent: kube-probe/1.33\r\n"),
            "{request}"
        );
        assert!(request.contains("x-probe: yes\r\n"), "{request}");
        assert_eq!(
            request.matches("host:").count(),
            1,
            "one Host, the probe's: {request}"
        );
        assert!(request.contains("host: web.example\r\n"), "{request}");
        let (port, _) = http_server(503).await;
        let p = probe(serde_json::json!({"httpGet": {"path": "/", "port": port}}));
        assert_eq!(
            network(&p, &container(), "127.0.0.1", Duration::from_secs(2)).await,
            ProbeResult::Failure("HTTP probe failed with statuscode: 503".to_string())
        );
    }

    #[tokio::test]
    async fn tcp_socket_connects_and_named_ports_resolve() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let p = probe(serde_json::json!({"tcpSocket": {"port": port}}));
        assert_eq!(
            network(&p, &container(), "127.0.0.1", Duration::from_secs(2)).await,
            ProbeResult::Success
        );
        drop(listener);
        let ProbeResult::Failure(message) =
            network(&p, &container(), "127.0.0.1", Duration::from_secs(2)).await
        else {
            panic!("a closed port fails");
        };
        assert!(
            message.starts_with(&format!("dial tcp 127.0.0.1:{port}: connect:")),
            "{message}"
        );
        let p = probe(serde_json::json!({"tcpSocket": {"port": "nope"}}));
        assert_eq!(
            network(&p, &container(), "127.0.0.1", Duration::from_secs(2)).await,
            ProbeResult::Failure("couldn't find port: nope in c".to_string())
        );
    }

    #[tokio::test]
    async fn grpc_asks_the_health_service() {
        let (reporter, service) = tonic_health::server::health_reporter();
        reporter
            .set_service_status("", tonic_health::ServingStatus::Serving)
            .await;
        reporter
            .set_service_status("sick", tonic_health::ServingStatus::NotServing)
            .await;
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(service)
                .serve_with_incoming(tokio_stream_of(listener)),
        );
        let p = probe(serde_json::json!({"grpc": {"port": port}}));
        assert_eq!(
            network(&p, &container(), "127.0.0.1", Duration::from_secs(5)).await,
            ProbeResult::Success
        );
        let p = probe(serde_json::json!({"grpc": {"port": port, "service": "sick"}}));
        assert_eq!(
            network(&p, &container(), "127.0.0.1", Duration::from_secs(5)).await,
            ProbeResult::Failure("service unhealthy (responded with \"NOT_SERVING\")".to_string())
        );
    }

    fn tokio_stream_of(
        listener: TcpListener,
    ) -> impl futures::Stream<Item = Result<TcpStream, std::io::Error>> {
        futures::stream::unfold(listener, |l| async move {
            let next = l.accept().await.map(|(s, _)| s);
            Some((next, l))
        })
    }
}
