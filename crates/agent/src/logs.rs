//! The agent's HTTPS endpoint (the kubelet's port 10250) and the CRI log format.
//!
//! `GET /containerLogs/{namespace}/{pod}/{container}` with upstream's `PodLogOptions`
//! query (`follow`, `previous`, `tailLines`, `sinceSeconds`, `sinceTime`, `timestamps`,
//! `limitBytes`) answers the container's log, read from the files the runtime writes in
//! the CRI format (`<RFC3339Nano> <stream> <P|F> <text>`, `P` for a partial line). The API
//! server's `pods/log` proxies here.
//!
//! Only the API server may call: clients must present a certificate from the cluster CA
//! whose CN is `kube-apiserver-kubelet-client`. The agent's own serving certificate is
//! self-signed, as the kubelet's is by default.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use http_body_util::{BodyExt, Full, StreamBody, combinators::UnsyncBoxBody};
use hyper::body::{Frame, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use jiff::Timestamp;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tracing::{debug, warn};

use crate::exec::Session;
use crate::runtime::cri::CriRuntime;

/// The only client the endpoint serves.
pub const API_SERVER_CLIENT_CN: &str = "kube-apiserver-kubelet-client";

/// How often a followed log is checked for new lines.
const FOLLOW_POLL: Duration = Duration::from_millis(200);

pub(crate) type Body = UnsyncBoxBody<Bytes, Infallible>;

/// One record of a CRI log file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogRecord<'a> {
    pub time: &'a str,
    pub stream: &'a str,
    /// `false` for a `P` record: the line continues in the next record.
    pub complete: bool,
    pub text: &'a str,
}

pub fn parse_record(line: &str) -> Option<LogRecord<'_>> {
    let mut parts = line.splitn(4, ' ');
    let time = parts.next()?;
    let stream = parts.next()?;
    let tag = parts.next()?;
    let text = parts.next().unwrap_or("");
    Some(LogRecord {
        time,
        stream,
        complete: !tag.starts_with('P'),
        text,
    })
}

/// The query of a log request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogOptions {
    pub follow: bool,
    pub previous: bool,
    pub timestamps: bool,
    pub tail_lines: Option<usize>,
    pub since: Option<Timestamp>,
    pub limit_bytes: Option<usize>,
}

impl LogOptions {
    pub fn parse(query: &str, now: Timestamp) -> Result<Self, String> {
        let mut o = LogOptions::default();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let v = percent_decode(v);
            let number = |v: &str| v.parse::<i64>().map_err(|_| format!("invalid {k}: {v:?}"));
            match k {
                "follow" => o.follow = v == "true",
                "previous" => o.previous = v == "true",
                "timestamps" => o.timestamps = v == "true",
                "tailLines" => o.tail_lines = Some(usize::try_from(number(&v)?).unwrap_or(0)),
                "limitBytes" => o.limit_bytes = Some(usize::try_from(number(&v)?).unwrap_or(0)),
                "sinceSeconds" => {
                    let secs = number(&v)?;
                    o.since = Some(
                        now.checked_sub(jiff::SignedDuration::from_secs(secs))
                            .unwrap_or(Timestamp::MIN),
                    );
                }
                "sinceTime" => {
                    o.since = Some(v.parse().map_err(|_| format!("invalid sinceTime: {v:?}"))?);
                }
                _ => {}
            }
        }
        Ok(o)
    }
}

/// A query value or path segment, percent-decoded (`+` is a space in queries; names in
/// paths never contain one).
pub(crate) fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(&s.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// Turns CRI records into what `kubectl logs` prints, statefully across chunks of a
/// followed file: `since` filtering, timestamps at the start of each line, a byte limit.
pub struct Renderer {
    options: LogOptions,
    /// Whether the last record ended its line (the next one starts a line).
    at_line_start: bool,
    written: usize,
}

impl Renderer {
    pub fn new(options: LogOptions) -> Self {
        Self {
            options,
            at_line_start: true,
            written: 0,
        }
    }

    /// Whether the byte limit has been reached.
    pub fn exhausted(&self) -> bool {
        self.options.limit_bytes.is_some_and(|l| self.written >= l)
    }

    pub fn render(&mut self, record: &LogRecord<'_>, out: &mut Vec<u8>) {
        if let Some(since) = self.options.since
            && let Ok(t) = record.time.parse::<Timestamp>()
            && t < since
        {
            return;
        }
        let start = out.len();
        if self.options.timestamps && self.at_line_start {
            out.extend_from_slice(record.time.as_bytes());
            out.push(b' ');
        }
        out.extend_from_slice(record.text.as_bytes());
        if record.complete {
            out.push(b'\n');
        }
        self.at_line_start = record.complete;
        if let Some(limit) = self.options.limit_bytes {
            let room = limit.saturating_sub(self.written);
            if out.len() - start > room {
                out.truncate(start + room);
            }
        }
        self.written += out.len() - start;
    }
}

/// The records of `text` to show for `tailLines`: the last `n` complete lines (a line
/// being its partial records plus the closing one).
pub fn tail(text: &str, n: Option<usize>) -> Vec<LogRecord<'_>> {
    let records: Vec<LogRecord<'_>> = text.lines().filter_map(parse_record).collect();
    let Some(n) = n else { return records };
    let mut lines: VecDeque<usize> = VecDeque::new();
    let mut line_start = 0;
    for (i, r) in records.iter().enumerate() {
        if r.complete {
            lines.push_back(line_start);
            if lines.len() > n {
                lines.pop_front();
            }
            line_start = i + 1;
        }
    }
    let from = lines.front().copied().unwrap_or(records.len());
    records.into_iter().skip(from).collect()
}

pub(crate) fn text(code: StatusCode, message: String) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from(message)).boxed_unsync());
    *response.status_mut() = code;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

async fn handle(cri: Arc<CriRuntime>, request: Request<Incoming>) -> Response<Body> {
    let path = request.uri().path().to_string();
    let query = request.uri().query().unwrap_or("").to_string();
    // Segments arrive percent-encoded; names are DNS labels, so decoding is exact.
    let decoded: Vec<String> = path
        .trim_start_matches('/')
        .split('/')
        .map(percent_decode)
        .collect();
    let parts: Vec<&str> = decoded.iter().map(String::as_str).collect();
    let session = match parts.as_slice() {
        ["exec", ..] => Some(Session::Exec),
        ["attach", ..] => Some(Session::Attach),
        ["portForward", ns, pod] => {
            let (ns, pod) = (ns.to_string(), pod.to_string());
            return crate::exec::serve(
                &cri,
                request,
                Session::PortForward,
                (&ns, &pod, ""),
                &query,
            )
            .await;
        }
        _ => None,
    };
    let [route, namespace, pod, container] = parts.as_slice() else {
        return text(StatusCode::NOT_FOUND, "404 page not found\n".to_string());
    };
    if let Some(session) = session {
        let (namespace, pod, container) = (
            namespace.to_string(),
            pod.to_string(),
            container.to_string(),
        );
        return crate::exec::serve(
            &cri,
            request,
            session,
            (&namespace, &pod, &container),
            &query,
        )
        .await;
    }
    if *route != "containerLogs" || request.method() != hyper::Method::GET {
        return text(StatusCode::NOT_FOUND, "404 page not found\n".to_string());
    }
    let options = match LogOptions::parse(&query, Timestamp::now()) {
        Ok(o) => o,
        Err(e) => return text(StatusCode::BAD_REQUEST, e),
    };
    let files = cri.log_files(namespace, pod, container).await;
    // Like the kubelet: while the newest instance has exited (waiting to restart), it is
    // the last terminated one, so `--previous` shows it too.
    let previous = match files.first() {
        Some((_, false)) => files.first(),
        _ => files.get(1),
    };
    let chosen = if options.previous {
        match previous {
            Some(f) => f.clone(),
            None => {
                return text(
                    StatusCode::BAD_REQUEST,
                    format!(
                        "previous terminated container \"{container}\" in pod \"{pod}\" not found"
                    ),
                );
            }
        }
    } else {
        match files.first() {
            Some(f) => f.clone(),
            None => {
                return text(
                    StatusCode::BAD_REQUEST,
                    format!(
                        "container \"{container}\" in pod \"{pod}\" is waiting to start: ContainerCreating"
                    ),
                );
            }
        }
    };
    let (file, running) = chosen;
    let follow = options.follow && running && !options.previous;
    let (tx, rx) = mpsc::channel::<Bytes>(16);
    let target = (
        namespace.to_string(),
        pod.to_string(),
        container.to_string(),
    );
    tokio::spawn(stream_log(cri, file, options, follow, target, tx));
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|chunk| (Ok::<_, Infallible>(Frame::data(chunk)), rx))
    });
    let mut response = Response::new(BodyExt::boxed_unsync(StreamBody::new(stream.boxed())));
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain"),
    );
    response
}

/// Sends the log (and, when following, what is appended until the container stops or
/// the client goes away).
async fn stream_log(
    cri: Arc<CriRuntime>,
    file: PathBuf,
    options: LogOptions,
    follow: bool,
    (namespace, pod, container): (String, String, String),
    tx: mpsc::Sender<Bytes>,
) {
    let content = tokio::fs::read(&file).await.unwrap_or_default();
    // Only whole lines: a line being written now is sent on the next read.
    let whole = content
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    let mut offset = whole as u64;
    let mut renderer = Renderer::new(options.clone());
    let mut out = Vec::new();
    for record in tail(
        &String::from_utf8_lossy(&content[..whole]),
        options.tail_lines,
    ) {
        renderer.render(&record, &mut out);
    }
    if !out.is_empty() && tx.send(Bytes::from(out)).await.is_err() {
        return;
    }
    if !follow {
        return;
    }
    let mut pending = Vec::new();
    let mut checks = 0u32;
    loop {
        if renderer.exhausted() || tx.is_closed() {
            return;
        }
        tokio::time::sleep(FOLLOW_POLL).await;
        let mut fresh = Vec::new();
        // A file shorter than what was read has been rotated: the new one starts at 0.
        if tokio::fs::metadata(&file)
            .await
            .is_ok_and(|m| m.len() < offset)
        {
            offset = 0;
            pending.clear();
        }
        if let Ok(mut f) = tokio::fs::File::open(&file).await
            && f.seek(std::io::SeekFrom::Start(offset)).await.is_ok()
        {
            let _ = f.read_to_end(&mut fresh).await;
        }
        offset += fresh.len() as u64;
        pending.extend_from_slice(&fresh);
        let mut out = Vec::new();
        if let Some(end) = pending.iter().rposition(|b| *b == b'\n') {
            let chunk: Vec<u8> = pending.drain(..=end).collect();
            for record in String::from_utf8_lossy(&chunk)
                .lines()
                .filter_map(parse_record)
            {
                renderer.render(&record, &mut out);
            }
        }
        if !out.is_empty() && tx.send(Bytes::from(out)).await.is_err() {
            return;
        }
        checks += 1;
        // About once a second: has the container stopped (or been replaced)?
        if fresh.is_empty() && checks.is_multiple_of(5) {
            let files = cri.log_files(&namespace, &pod, &container).await;
            let still = files
                .first()
                .is_some_and(|(f, running)| *f == file && *running);
            if !still {
                debug!(%pod, %container, "followed container stopped");
                return;
            }
        }
    }
}

/// A self-signed serving certificate for the node (the kubelet's default).
fn serving_identity(
    node_name: &str,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), String> {
    let mut names = vec![node_name.to_string(), "localhost".to_string()];
    names.dedup();
    let key = rcgen::KeyPair::generate().map_err(|e| e.to_string())?;
    let mut params = rcgen::CertificateParams::new(names).map_err(|e| e.to_string())?;
    params.distinguished_name.push(
        rcgen::DnType::CommonName,
        format!("{node_name}@bosun-agent"),
    );
    let cert = params.self_signed(&key).map_err(|e| e.to_string())?;
    Ok((
        vec![cert.der().clone()],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    ))
}

fn common_name(der: &[u8]) -> Option<String> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    cert.subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_string)
}

/// Serves the endpoint on `listener` for the pods `cri` runs; clients must present a
/// certificate signed by `ca_pem` with the API server's CN.
pub async fn serve(
    listener: TcpListener,
    cri: Arc<CriRuntime>,
    ca_pem: &str,
    node_name: &str,
) -> Result<(), String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for der in rustls_pemfile_certs(ca_pem) {
        roots.add(der).map_err(|e| format!("cluster CA: {e}"))?;
    }
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .map_err(|e| format!("client certificate verifier: {e}"))?;
    let (chain, key) = serving_identity(node_name)?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(|e| e.to_string())?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = TlsAcceptor::from(Arc::new(config));
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                warn!(error = %e, "agent endpoint: accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let (acceptor, cri) = (acceptor.clone(), cri.clone());
        tokio::spawn(async move {
            let Ok(Ok(tls)) =
                tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await
            else {
                debug!(%peer, "agent endpoint: TLS handshake failed");
                return;
            };
            let allowed = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|c| c.first())
                .and_then(|c| common_name(c))
                .is_some_and(|cn| cn == API_SERVER_CLIENT_CN);
            let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                let cri = cri.clone();
                async move {
                    Ok::<_, Infallible>(if allowed {
                        handle(cri, request).await
                    } else {
                        text(
                            StatusCode::FORBIDDEN,
                            "Forbidden: only the API server may call the node\n".to_string(),
                        )
                    })
                }
            });
            let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                .serve_connection_with_upgrades(TokioIo::new(tls), service)
                .await;
        });
    }
}

/// The DER certificates of a PEM bundle.
fn rustls_pemfile_certs(pem: &str) -> Vec<CertificateDer<'static>> {
    use rustls::pki_types::pem::PemObject;
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .filter_map(Result::ok)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "2026-11-27T10:00:00.000000001Z stdout F one\n\
2026-11-27T10:00:01.000000000Z stderr P tw\n\
2026-11-27T10:00:01.500000000Z stderr F o\n\
2026-11-27T10:00:02.000000000Z stdout F three\n";

    fn render(options: LogOptions) -> String {
        let mut r = Renderer::new(options.clone());
        let mut out = Vec::new();
        for record in tail(LOG, options.tail_lines) {
            r.render(&record, &mut out);
        }
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn renders_lines_joining_partial_records() {
        assert_eq!(render(LogOptions::default()), "one\ntwo\nthree\n");
    }

    #[test]
    fn tail_counts_whole_lines() {
        let o = LogOptions {
            tail_lines: Some(2),
            ..LogOptions::default()
        };
        assert_eq!(render(o), "two\nthree\n");
        let o = LogOptions {
            tail_lines: Some(0),
            ..LogOptions::default()
        };
        assert_eq!(render(o), "");
    }

    #[test]
    fn timestamps_prefix_each_line_once() {
        let o = LogOptions {
            timestamps: true,
            tail_lines: Some(1),
            ..LogOptions::default()
        };
        assert_eq!(render(o), "2026-11-27T10:00:02.000000000Z three\n");
        let o = LogOptions {
            timestamps: true,
            ..LogOptions::default()
        };
        assert!(render(o).contains("2026-11-27T10:00:01.000000000Z two\n"));
    }

    #[test]
    fn since_and_limit_bytes() {
        let now: Timestamp = "2026-11-27T10:00:03Z".parse().expect("time");
        let o = LogOptions::parse("sinceSeconds=9223372036854775807", now).expect("huge");
        assert_eq!(render(o), "one\ntwo\nthree\n", "everything, no overflow");
        let o = LogOptions::parse("sinceSeconds=2", now).expect("options");
        assert_eq!(render(o), "two\nthree\n");
        let o = LogOptions::parse("limitBytes=6", now).expect("options");
        assert_eq!(render(o), "one\ntw");
        let o = LogOptions::parse("sinceTime=2026-11-27T10%3A00%3A02Z&follow=true", now)
            .expect("options");
        assert!(o.follow);
        assert_eq!(render(o), "three\n");
    }
}
