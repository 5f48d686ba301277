//! The API server's client for node agents (upstream's kubelet client): one HTTPS/1.1
//! connection per request to the address and port a Node publishes, authenticated with
//! the API server's own client certificate (`kube-apiserver-kubelet-client` in
//! `system:masters`, signed by the cluster CA). `pods/{name}/log` uses it to reach the
//! agent's `/containerLogs` endpoint; the answer's body streams back as it arrives.
//!
//! Failures are rendered as upstream renders Go's `*url.Error` from `http.Client.Do`:
//! `Get "<url>": dial tcp <addr>: connect: connection refused` in a 500 without a reason.

use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::HttpBody;
use axum::http::{Request, Response, header};
use bytes::Bytes;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::error::ApiError;

/// Go's default dialer gives up on a TCP connect after 30 s.
const DIAL_TIMEOUT: Duration = Duration::from_secs(30);
/// Go's default transport's `TLSHandshakeTimeout`.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The certificate and key the API server presents to node agents (upstream's
/// `--kubelet-client-certificate` / `--kubelet-client-key`), both PEM.
#[derive(Clone)]
pub struct KubeletClientIdentity {
    /// The client certificate, optionally followed by intermediates.
    pub cert_chain_pem: String,
    pub key_pem: String,
}

impl std::fmt::Debug for KubeletClientIdentity {
    // Never print private keys (logs, panics).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubeletClientIdentity")
            .field("cert_chain_pem", &self.cert_chain_pem)
            .finish_non_exhaustive()
    }
}

/// Where a node agent listens: a Node's address and `kubeletEndpoint` port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
}

impl Endpoint {
    /// `host:port`, with IPv6 addresses bracketed (Go's `net.JoinHostPort`).
    pub fn authority(&self) -> String {
        match self.host.parse::<IpAddr>() {
            Ok(IpAddr::V6(v6)) => format!("[{v6}]:{}", self.port),
            _ => format!("{}:{}", self.host, self.port),
        }
    }
}

/// TLS settings for talking to node agents, built once from the identity.
pub struct KubeletClient {
    tls: TlsConnector,
}

impl KubeletClient {
    pub fn new(identity: &KubeletClientIdentity) -> Result<KubeletClient, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let chain: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(identity.cert_chain_pem.as_bytes())
                .collect::<Result<_, _>>()
                .map_err(|e| format!("kubelet client certificate: {e}"))?;
        if chain.is_empty() {
            return Err("kubelet client certificate: no certificate in the PEM".into());
        }
        let key = PrivateKeyDer::from_pem_slice(identity.key_pem.as_bytes())
            .map_err(|e| format!("kubelet client key: {e}"))?;
        let mut config = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS versions: {e}"))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(UnverifiedAgent(provider)))
            .with_client_auth_cert(chain, key)
            .map_err(|e| format!("kubelet client certificate: {e}"))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(KubeletClient {
            tls: TlsConnector::from(Arc::new(config)),
        })
    }

    /// `GET https://<endpoint><path_and_query>`. Any answer the agent gives is returned,
    /// whatever its status; only failing to get one is an error. The connection lives as
    /// long as the returned body.
    pub async fn get(
        &self,
        endpoint: &Endpoint,
        path_and_query: &str,
    ) -> Result<Response<AgentBody>, ApiError> {
        self.request(hyper::Method::GET, endpoint, path_and_query, &[])
            .await
    }

    /// [`KubeletClient::get`] with another method (an empty body).
    pub async fn request(
        &self,
        method: hyper::Method,
        endpoint: &Endpoint,
        path_and_query: &str,
        headers: &[(header::HeaderName, String)],
    ) -> Result<Response<AgentBody>, ApiError> {
        let authority = endpoint.authority();
        let url = format!("https://{authority}{path_and_query}");
        // Go's `*url.Error` wording, which upstream passes on as the message.
        let verb = if method == hyper::Method::GET {
            "Get"
        } else {
            "Post"
        };
        let fail = |why: String| ApiError::unknown(format!("{verb} {url:?}: {why}"));

        let tcp = tokio::time::timeout(
            DIAL_TIMEOUT,
            TcpStream::connect((endpoint.host.as_str(), endpoint.port)),
        )
        .await
        .map_err(|_| fail(format!("dial tcp {authority}: i/o timeout")))?
        .map_err(|e| fail(format!("dial tcp {authority}: {}", go_dial_error(&e))))?;
        let _ = tcp.set_nodelay(true);
        let server_name = ServerName::try_from(endpoint.host.clone())
            .map_err(|e| fail(format!("invalid host {:?}: {e}", endpoint.host)))?;
        let tls = tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, self.tls.connect(server_name, tcp))
            .await
            .map_err(|_| fail("net/http: TLS handshake timeout".into()))?
            .map_err(|e| fail(format!("tls: {e}")))?;

        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .map_err(|e| fail(e.to_string()))?;
        // With upgrades, an exec session's connection is handed over on `101`.
        let connection = connection.with_upgrades();
        let driver = tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(%err, "node agent connection ended with an error");
            }
        });
        let guard = AbortOnDrop(driver);
        let mut request = Request::builder()
            .method(method)
            .uri(path_and_query)
            .header(header::HOST, authority.as_str());
        for (name, value) in headers {
            request = request.header(name, value.as_str());
        }
        let request = request
            .body(String::new())
            .map_err(|e| fail(e.to_string()))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| fail(e.to_string()))?;
        // No second request is sent: dropping the sender lets the connection close once
        // this response's body has been read (or dropped).
        drop(sender);
        Ok(response.map(|inner| AgentBody {
            inner,
            _connection: guard,
        }))
    }
}

/// Go's words for the dial errors people meet (`connect: connection refused`).
fn go_dial_error(err: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match err.kind() {
        ErrorKind::ConnectionRefused => "connect: connection refused".into(),
        ErrorKind::TimedOut => "i/o timeout".into(),
        ErrorKind::HostUnreachable => "connect: no route to host".into(),
        ErrorKind::NetworkUnreachable => "connect: network is unreachable".into(),
        _ => err.to_string(),
    }
}

/// The body of an agent's answer. Holding it keeps the connection to the agent open;
/// dropping it (the API client went away) closes that connection, so a `follow` stream
/// stops on the agent's side too.
pub struct AgentBody {
    inner: Incoming,
    _connection: AbortOnDrop,
}

impl HttpBody for AgentBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl AgentBody {
    /// Reads up to `limit` bytes of the body (an error message), giving up after
    /// `within`; what arrived by then is returned.
    pub async fn read_prefix(mut self, limit: usize, within: Duration) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        let read = async {
            while out.len() < limit {
                let frame = std::future::poll_fn(|cx| Pin::new(&mut self).poll_frame(cx)).await;
                match frame {
                    None => break,
                    Some(Err(e)) => return Err(e.to_string()),
                    Some(Ok(frame)) => {
                        if let Ok(data) = frame.into_data() {
                            out.extend_from_slice(&data);
                        }
                    }
                }
            }
            Ok(())
        };
        let result = tokio::time::timeout(within, read).await;
        match result {
            Ok(Err(e)) => Err(e),
            Ok(Ok(())) | Err(_) => {
                out.truncate(limit);
                Ok(out)
            }
        }
    }
}

/// Aborts the task driving a connection when the body that needs it is dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Accepts whatever certificate the agent serves. The agent's serving certificate is
/// self-signed (as a kubelet's is by default), and — like kube-apiserver started without
/// `--kubelet-certificate-authority` — the API server has nothing to verify it against.
/// The agent does verify *our* client certificate, so only the API server can read logs;
/// what this gives up is the assurance that the bytes come from the real agent. The
/// handshake signature is still checked, so the peer at least holds the key of the
/// certificate it showed.
#[derive(Debug)]
struct UnverifiedAgent(Arc<CryptoProvider>);

impl ServerCertVerifier for UnverifiedAgent {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorities_bracket_ipv6() {
        let e = |host: &str| Endpoint {
            host: host.into(),
            port: 10250,
        };
        assert_eq!(e("10.0.0.1").authority(), "10.0.0.1:10250");
        assert_eq!(e("fd00::1").authority(), "[fd00::1]:10250");
        assert_eq!(e("node-1").authority(), "node-1:10250");
    }

    #[test]
    fn identities_must_parse_and_never_print_keys() {
        let (ca, _) = crate::auth::pki::ClusterCa::generate().expect("ca");
        let issued = ca
            .issue_client("kube-apiserver-kubelet-client", &["system:masters"])
            .expect("issue");
        let identity = KubeletClientIdentity {
            cert_chain_pem: issued.cert_pem,
            key_pem: issued.key_pem,
        };
        assert!(KubeletClient::new(&identity).is_ok());
        assert!(!format!("{identity:?}").contains("PRIVATE KEY"));
        let broken = KubeletClientIdentity {
            cert_chain_pem: "nothing".into(),
            key_pem: identity.key_pem.clone(),
        };
        assert!(KubeletClient::new(&broken).is_err());
    }
}
