//! `bosun agent --server URL --token TOKEN`: joining a server securely, like
//! `kubeadm join --discovery-token-ca-cert-hash`. The token pins the server's CA by the
//! hash of its public key; the agent learns the CA from the TLS handshake, refuses a
//! server whose CA does not match, then (authenticated by the bootstrap token) asks for
//! its own client certificate (`system:node:<name>` in `system:nodes`) through a
//! CertificateSigningRequest, which the server approves and signs. Certificate, key
//! and kubeconfig are kept in the agent's data dir and reused while valid.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use base64::Engine;
use bosun_apiserver::auth::pki;
use k8s_openapi::ByteString;
use k8s_openapi::api::certificates::v1::{
    CertificateSigningRequest, CertificateSigningRequestSpec,
};
use kube::api::{Api, PostParams};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};

use crate::pki::{needs_renewal, parse_join_token, prepare_data_dir, write_private};

const KUBELET_CLIENT_SIGNER: &str = "kubernetes.io/kube-apiserver-client-kubelet";

/// A client for a kubeconfig. A kubeconfig with several contexts (one per server of
/// the cluster, as `bosun agent --server A,B` writes) gives a client that fails over
/// between them.
/// The cluster CA's PEM: from the kubeconfig's `certificate-authority-data` when one is
/// given, else the `ca.crt` a join left in the agent's data dir.
pub fn cluster_ca(kubeconfig: Option<&Path>, dir: &Path) -> Result<String> {
    if let Some(path) = kubeconfig {
        let config = kube::config::Kubeconfig::read_from(path)
            .with_context(|| format!("reading {}", path.display()))?;
        let data = config
            .clusters
            .iter()
            .filter_map(|c| c.cluster.as_ref())
            .find_map(|c| c.certificate_authority_data.clone())
            .with_context(|| format!("{} has no certificate-authority-data", path.display()))?;
        let pem = base64::engine::general_purpose::STANDARD
            .decode(data.trim())
            .context("decoding certificate-authority-data")?;
        return String::from_utf8(pem).context("certificate-authority-data is not PEM");
    }
    std::fs::read_to_string(dir.join("ca.crt"))
        .with_context(|| format!("reading {}", dir.join("ca.crt").display()))
}

pub async fn client_from_kubeconfig(path: &Path) -> Result<kube::Client> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    client_from_text(&text).await
}

/// Joins the cluster served by `servers` (comma-separated URLs) as node `name`, or
/// reuses the credentials a previous join left in `dir`; returns a client authenticated
/// as the node that fails over between the servers.
pub async fn join(server: &str, token: &str, dir: &Path, name: &str) -> Result<kube::Client> {
    let servers: Vec<String> = server
        .split(',')
        .map(|s| s.trim().trim_end_matches('/').to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if servers.is_empty() {
        bail!("--server names no server");
    }
    let Some((ca_hash, credentials)) = parse_join_token(token) else {
        bail!(
            "the join token is malformed: expected K10<64 hex digits>::<id>.<secret> (the server's DATA_DIR/node-token)"
        );
    };
    prepare_data_dir(dir)?;
    let kubeconfig = dir.join("kubeconfig");
    if let Some(reused) = reusable(dir, &servers, name, &ca_hash).await? {
        tracing::info!(kubeconfig = %kubeconfig.display(), "reusing this node's certificate");
        return Ok(reused);
    }
    let mut discovered = None;
    let mut errors = Vec::new();
    for candidate in &servers {
        match discover_ca(candidate, &ca_hash).await {
            Ok(pem) => {
                discovered = Some(pem);
                break;
            }
            // A server with the wrong CA is an attack or a mistake: never try others.
            Err(err) if err.to_string().contains("refusing to join") => return Err(err),
            Err(err) => errors.push(format!("{candidate}: {err:#}")),
        }
    }
    let Some(ca_pem) = discovered else {
        bail!("no server answered: {}", errors.join("; "));
    };
    let bootstrap = kubeconfig_text(
        &servers,
        &ca_pem,
        "bootstrap",
        &format!("    token: {credentials}\n"),
    );
    let client = client_from_text(&bootstrap).await?;
    let user = format!("system:node:{name}");
    let (request_pem, key_pem) = pki::client_request(&user, &["system:nodes"])?;
    let certificate = request_certificate(&client, &request_pem).await?;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let text = kubeconfig_text(
        &servers,
        &ca_pem,
        &user,
        &format!(
            "    client-certificate-data: {}\n    client-key-data: {}\n",
            b64(&certificate),
            b64(&key_pem)
        ),
    );
    write_private(&dir.join("node.key"), key_pem.as_bytes())?;
    write_private(&dir.join("node.crt"), certificate.as_bytes())?;
    write_private(&dir.join("ca.crt"), ca_pem.as_bytes())?;
    write_private(&kubeconfig, text.as_bytes())?;
    println!("bosun agent: joined {} as {user}", servers.join(","));
    client_from_text(&text).await
}

/// The kubeconfig of an earlier join, if it is for this server, node and CA and its
/// certificate is not near expiry.
async fn reusable(
    dir: &Path,
    servers: &[String],
    name: &str,
    ca_hash: &str,
) -> Result<Option<kube::Client>> {
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).ok();
    let (Some(text), Some(cert), Some(ca)) = (read("kubeconfig"), read("node.crt"), read("ca.crt"))
    else {
        return Ok(None);
    };
    let facts = pki::pem_certificates(&cert)
        .first()
        .and_then(|der| pki::certificate_facts(der).ok());
    let same_node = facts.is_some_and(|f| f.common_name == format!("system:node:{name}"));
    let same_ca = crate::pki::ca_hash(&ca).ok().as_deref() == Some(ca_hash);
    let same_server = servers
        .iter()
        .all(|server| text.contains(&format!("server: {server}\n")))
        && text.matches("server: ").count() == servers.len();
    if !(same_node && same_ca && same_server)
        || needs_renewal(&cert, jiff::Timestamp::now().as_second())
    {
        return Ok(None);
    }
    Ok(Some(client_from_text(&text).await?))
}

/// A kubeconfig with one cluster and context per server, all with the same user.
fn kubeconfig_text(servers: &[String], ca_pem: &str, user: &str, credentials: &str) -> String {
    let ca = base64::engine::general_purpose::STANDARD.encode(ca_pem);
    let mut clusters = String::new();
    let mut contexts = String::new();
    for (i, server) in servers.iter().enumerate() {
        clusters.push_str(&format!(
            "- name: server-{i}\n  cluster:\n    server: {server}\n    certificate-authority-data: {ca}\n"
        ));
        contexts.push_str(&format!(
            "- name: server-{i}\n  context:\n    cluster: server-{i}\n    user: {user}\n"
        ));
    }
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n{clusters}users:\n- name: {user}\n  user:\n{credentials}contexts:\n{contexts}current-context: server-0\n"
    )
}

async fn client_from_text(text: &str) -> Result<kube::Client> {
    let kubeconfig = kube::config::Kubeconfig::from_yaml(text)?;
    let names: Vec<String> = kubeconfig.contexts.iter().map(|c| c.name.clone()).collect();
    let mut clients = Vec::new();
    for name in &names {
        let options = kube::config::KubeConfigOptions {
            context: Some(name.clone()),
            ..Default::default()
        };
        let config = kube::Config::from_custom_kubeconfig(kubeconfig.clone(), &options)
            .await
            .with_context(|| format!("using context {name} of the kubeconfig"))?;
        clients.push(kube::Client::try_from(config).context("building the API client")?);
    }
    match clients.len() {
        0 => {
            let config =
                kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default()).await?;
            Ok(kube::Client::try_from(config)?)
        }
        1 => Ok(clients.remove(0)),
        _ => Ok(crate::failover::client(clients)),
    }
}

/// Connects once, without trusting anything yet and sending nothing, to read the
/// certificate chain the server presents; returns the PEM of the certificate in it whose
/// public key has the pinned hash. Nothing else is believed until that matches.
async fn discover_ca(server: &str, pinned: &str) -> Result<String> {
    let url: axum::http::Uri = server
        .parse()
        .with_context(|| format!("--server {server:?} is not a URL"))?;
    if url.scheme_str() != Some("https") {
        bail!("--server must be an https:// URL");
    }
    let host = url.host().context("--server has no host")?.to_string();
    let port = url.port_u16().unwrap_or(6443);
    let recorder = Arc::new(ChainRecorder::default());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let host_for_tls = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let tcp = tokio::time::timeout(
        Duration::from_secs(10),
        tokio::net::TcpStream::connect((host_for_tls.as_str(), port)),
    )
    .await
    .context("connecting to the server timed out")?
    .with_context(|| format!("connecting to {host}:{port}"))?;
    let name = ServerName::try_from(host_for_tls).context("server name")?;
    tokio::time::timeout(Duration::from_secs(10), connector.connect(name, tcp))
        .await
        .context("TLS handshake timed out")?
        .context("TLS handshake with the server")?;
    let chain = recorder.chain.lock().map(|c| c.clone()).unwrap_or_default();
    let mut seen = Vec::new();
    for der in &chain {
        let Ok(facts) = pki::certificate_facts(der) else {
            continue;
        };
        if facts.spki_sha256 == pinned {
            let pem = pem::Pem::new("CERTIFICATE", der.clone());
            return Ok(pem::encode(&pem));
        }
        seen.push(facts.spki_sha256);
    }
    bail!(
        "refusing to join {server}: its CA does not match the join token (the token pins {pinned}; the server presented {})",
        if seen.is_empty() {
            "no certificates".to_string()
        } else {
            seen.join(", ")
        }
    )
}

/// Records the presented chain and accepts it: used only for the CA discovery
/// handshake, on which no credentials or requests are sent.
#[derive(Debug, Default)]
struct ChainRecorder {
    chain: std::sync::Mutex<Vec<Vec<u8>>>,
}

impl rustls::client::danger::ServerCertVerifier for ChainRecorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        if let Ok(mut chain) = self.chain.lock() {
            chain.push(end_entity.to_vec());
            chain.extend(intermediates.iter().map(|c| c.to_vec()));
        }
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        rustls::crypto::ring::default_provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Creates the CertificateSigningRequest and waits for the signed certificate.
async fn request_certificate(client: &kube::Client, request_pem: &str) -> Result<String> {
    let csrs: Api<CertificateSigningRequest> = Api::all(client.clone());
    let csr = CertificateSigningRequest {
        metadata: kube::api::ObjectMeta {
            generate_name: Some("node-csr-".into()),
            ..Default::default()
        },
        spec: CertificateSigningRequestSpec {
            request: ByteString(request_pem.as_bytes().to_vec()),
            signer_name: KUBELET_CLIENT_SIGNER.into(),
            usages: Some(vec!["digital signature".into(), "client auth".into()]),
            ..Default::default()
        },
        status: None,
    };
    let mut current = csrs
        .create(&PostParams::default(), &csr)
        .await
        .context("asking the server for a node certificate")?;
    let name = current.metadata.name.clone().unwrap_or_default();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let status = current.status.as_ref();
        if let Some(cert) = status.and_then(|s| s.certificate.as_ref()) {
            return String::from_utf8(cert.0.clone()).context("the issued certificate is not PEM");
        }
        let refused = status.and_then(|s| s.conditions.as_ref()).and_then(|c| {
            c.iter()
                .find(|c| c.type_ == "Denied" || c.type_ == "Failed")
        });
        if let Some(c) = refused {
            bail!(
                "the server refused certificate request {name}: {} {}",
                c.reason.clone().unwrap_or_default(),
                c.message.clone().unwrap_or_default()
            );
        }
        if tokio::time::Instant::now() > deadline {
            bail!(
                "certificate request {name} was not approved within a minute (approve it with: kubectl certificate approve {name})"
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        current = csrs.get(&name).await?;
    }
}
