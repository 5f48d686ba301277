//! The HTTPS listener: TLS 1.2/1.3 with ALPN `h2` and `http/1.1`, client certificates
//! verified against the cluster CA (optional, so token and anonymous clients still
//! connect), and the verified certificate's identity attached to every request of the
//! connection as [`PeerIdentity`].

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::RootCertStore;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use super::pki::{CertifiedKey, certificate_facts, pem_certificates};
use super::{AUTHENTICATED, PeerIdentity, UserInfo};

/// Upstream drops connections that take longer than this to finish the handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A rustls server configuration serving `serving` (chained with the CA, so clients
/// that pin the CA can find it) and verifying client certificates against `ca_pem`.
pub fn server_config(
    serving: &CertifiedKey,
    ca_pem: &str,
) -> Result<Arc<rustls::ServerConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let ca_ders = pem_certificates(ca_pem);
    let mut roots = RootCertStore::empty();
    for der in &ca_ders {
        roots
            .add(CertificateDer::from(der.clone()))
            .map_err(|e| format!("cluster CA: {e}"))?;
    }
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .allow_unauthenticated()
        .build()
        .map_err(|e| format!("client certificate verifier: {e}"))?;
    let mut chain: Vec<CertificateDer<'static>> = pem_certificates(&serving.cert_pem)
        .into_iter()
        .map(CertificateDer::from)
        .collect();
    chain.extend(ca_ders.into_iter().map(CertificateDer::from));
    let key = PrivateKeyDer::from_pem_slice(serving.key_pem.as_bytes())
        .map_err(|e| format!("serving key: {e}"))?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS versions: {e}"))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(|e| format!("serving certificate: {e}"))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The user a verified client certificate names: CN is the user, each O a group.
pub fn certificate_user(der: &[u8]) -> Option<UserInfo> {
    let facts = certificate_facts(der).ok()?;
    if facts.common_name.is_empty() {
        return None;
    }
    let mut groups = facts.organizations;
    groups.push(AUTHENTICATED.to_string());
    Some(UserInfo {
        name: facts.common_name,
        uid: String::new(),
        groups,
        extra: BTreeMap::new(),
    })
}

/// Serves `router` over TLS on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    config: Arc<rustls::ServerConfig>,
    shutdown: impl Future<Output = ()>,
) {
    let acceptor = TlsAcceptor::from(config);
    tokio::pin!(shutdown);
    loop {
        let (tcp, _peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(err) => {
                    // Out of file descriptors and the like: back off, keep serving.
                    tracing::warn!(%err, "accepting a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => return,
        };
        let acceptor = acceptor.clone();
        let router = router.clone();
        tokio::spawn(async move {
            let _ = tcp.set_nodelay(true);
            let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(tls)) => tls,
                Ok(Err(err)) => {
                    tracing::debug!(%err, "TLS handshake failed");
                    return;
                }
                Err(_) => return,
            };
            let identity = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|chain| chain.first())
                .and_then(|der| certificate_user(der.as_ref()))
                .map(|user| PeerIdentity(Arc::new(user)));
            let service =
                hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
                    if let Some(identity) = &identity {
                        request.extensions_mut().insert(identity.clone());
                    }
                    tower::ServiceExt::oneshot(router.clone(), request.map(Body::new))
                });
            let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            // One flat buffer per write: over TLS a vectored write of an HTTP/1.1 chunk
            // (size line, data, CRLF) becomes three encrypted records, and a watch writes
            // one chunk per event to every watcher.
            builder.http1().writev(false);
            if let Err(err) = builder
                .serve_connection_with_upgrades(TokioIo::new(tls), service)
                .await
            {
                tracing::debug!(%err, "connection ended with an error");
            }
        });
    }
}
