//! Test-cluster helpers: start the real `bosun` binary on a free port in a temporary
//! data dir, run the real `kubectl` against it, and speak raw HTTPS to it (verifying
//! the server against the cluster CA, as the admin or as anyone else).

#![allow(dead_code)]

pub mod containerd;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A running `bosun server` process, killed on drop.
pub struct TestServer {
    pub child: Child,
    pub data_dir: PathBuf,
    pub kubeconfig: PathBuf,
    pub addr: String,
    /// Keeps the temporary directory alive; `None` when the caller owns `data_dir`.
    _home: Option<tempfile::TempDir>,
    home: PathBuf,
}

impl TestServer {
    pub fn start() -> TestServer {
        TestServer::start_with(&[])
    }

    /// Starts a server with extra `bosun server` flags.
    pub fn start_with(extra: &[&str]) -> TestServer {
        let home = tempfile::tempdir().expect("temp dir");
        let data_dir = home.path().join("data");
        let path = home.path().to_path_buf();
        let mut server = TestServer::launch(&data_dir, &path, extra);
        server._home = Some(home);
        server
    }

    /// Starts a server with its local node (`bosun server` without `--no-agent`).
    pub fn start_with_local_node(extra: &[&str]) -> TestServer {
        let home = tempfile::tempdir().expect("temp dir");
        let data_dir = home.path().join("data");
        let path = home.path().to_path_buf();
        let mut server = TestServer::launch_as(&data_dir, &path, extra, false);
        server._home = Some(home);
        server
    }

    /// Starts a server on an existing data dir (for restart tests); `home` holds kubectl's cache.
    pub fn start_in(data_dir: &Path, home: &Path) -> TestServer {
        TestServer::launch(data_dir, home, &[])
    }

    fn launch(data_dir: &Path, home: &Path, extra: &[&str]) -> TestServer {
        TestServer::launch_as(data_dir, home, extra, true)
    }

    fn launch_as(data_dir: &Path, home: &Path, extra: &[&str], no_agent: bool) -> TestServer {
        let mut child = Command::new(env!("CARGO_BIN_EXE_bosun"))
            .arg("server")
            .args(no_agent.then_some("--no-agent"))
            .args(["--bind", "127.0.0.1:0"])
            .args(extra)
            .arg("--data-dir")
            .arg(data_dir)
            // `BOSUN_TEST_LOG` (e.g. `warn,bosun_controllers=debug`) shows a server's
            // logs in a failing test's output.
            .env(
                "BOSUN_LOG",
                std::env::var("BOSUN_TEST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("bosun binary runs");
        let stdout = child.stdout.take().expect("stdout piped");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("ready line");
        assert!(line.contains("ready"), "unexpected first line: {line:?}");
        assert!(
            line.contains("export KUBECONFIG="),
            "ready line says how to use it: {line:?}"
        );
        let addr = line
            .split("https://")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .expect("address in ready line")
            .to_string();
        let kubeconfig = data_dir.join("kubeconfig");
        assert!(kubeconfig.exists());
        TestServer {
            child,
            data_dir: data_dir.to_path_buf(),
            kubeconfig,
            addr,
            _home: None,
            home: home.to_path_buf(),
        }
    }

    /// Runs the real kubectl with this server's kubeconfig.
    pub fn kubectl(&self, args: &[&str]) -> Output {
        self.kubectl_with_stdin(args, None)
    }

    pub fn kubectl_with_stdin(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut cmd = Command::new("kubectl");
        cmd.args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("HOME", &self.home)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("kubectl runs");
        if let Some(input) = stdin
            && let Some(mut pipe) = child.stdin.take()
        {
            pipe.write_all(input.as_bytes()).expect("write stdin");
        }
        child.wait_with_output().expect("kubectl finishes")
    }

    /// kubectl that must succeed; returns its stdout.
    #[track_caller]
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        assert!(
            out.status.success(),
            "kubectl {args:?} failed:\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// kubectl with stdin that must succeed.
    #[track_caller]
    pub fn ok_stdin(&self, args: &[&str], stdin: &str) -> String {
        let out = self.kubectl_with_stdin(args, Some(stdin));
        assert!(
            out.status.success(),
            "kubectl {args:?} failed:\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// kubectl that must fail; returns its stderr.
    #[track_caller]
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        assert!(
            !out.status.success(),
            "kubectl {args:?} should have failed:\nstdout: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// A raw HTTP/1.1 request over TLS as the admin; returns status code and body.
    pub fn http(&self, method: &str, path: &str, content_type: &str, body: &[u8]) -> (u16, String) {
        self.http_as(&Creds::Admin, method, path, content_type, body)
    }

    /// A raw HTTP/1.1 request over TLS (the server verified against the cluster CA)
    /// with the given credentials.
    pub fn http_as(
        &self,
        creds: &Creds,
        method: &str,
        path: &str,
        content_type: &str,
        body: &[u8],
    ) -> (u16, String) {
        let tcp = TcpStream::connect(&self.addr).expect("connect");
        tcp.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let config = self.tls_config(creds);
        let name = rustls::pki_types::ServerName::try_from("127.0.0.1").expect("name");
        let conn = rustls::ClientConnection::new(config, name).expect("tls client");
        let mut stream = rustls::StreamOwned::new(conn, tcp);
        let auth = match creds {
            Creds::Bearer(token) => format!("Authorization: Bearer {token}\r\n"),
            _ => String::new(),
        };
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\n{auth}Content-Type: {content_type}\r\nContent-Length: {}\r\nAccept: application/json\r\nConnection: close\r\n\r\n",
            self.addr,
            body.len()
        );
        stream.write_all(head.as_bytes()).expect("write head");
        // The server may answer (413) before reading a large body; ignore write errors.
        let _ = stream.write_all(body);
        let mut raw = Vec::new();
        let _ = stream.read_to_end(&mut raw);
        let text = String::from_utf8_lossy(&raw).into_owned();
        let code = text
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
        let body = if text
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            dechunk(&body)
        } else {
            body
        };
        (code, body)
    }

    pub fn json(&self, method: &str, path: &str, body: &str) -> (u16, serde_json::Value) {
        self.json_as(&Creds::Admin, method, path, body)
    }

    pub fn json_as(
        &self,
        creds: &Creds,
        method: &str,
        path: &str,
        body: &str,
    ) -> (u16, serde_json::Value) {
        let (code, text) = self.http_as(creds, method, path, "application/json", body.as_bytes());
        let value = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
        (code, value)
    }

    /// A TLS client configuration trusting only this server's CA.
    pub fn tls_config(&self, creds: &Creds) -> Arc<rustls::ClientConfig> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let read = |f: &str| std::fs::read(self.data_dir.join(f)).expect("key material");
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(&read("ca.crt")) {
            roots.add(cert.expect("CA PEM")).expect("CA");
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_root_certificates(roots);
        let (cert, key) = match creds {
            Creds::Admin => (read("admin.crt"), read("admin.key")),
            Creds::Cert { cert_pem, key_pem } => {
                (cert_pem.as_bytes().to_vec(), key_pem.as_bytes().to_vec())
            }
            Creds::Anonymous | Creds::Bearer(_) => {
                return Arc::new(builder.with_no_client_auth());
            }
        };
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert)
            .map(|c| c.expect("cert PEM"))
            .collect();
        let key = PrivateKeyDer::from_pem_slice(&key).expect("key PEM");
        Arc::new(
            builder
                .with_client_auth_cert(chain, key)
                .expect("client cert"),
        )
    }

    pub fn kill9(&mut self) {
        let _ = self.child.kill(); // SIGKILL
        let _ = self.child.wait();
    }

    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            assert!(Instant::now() < deadline, "server did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Who a raw request speaks as.
pub enum Creds {
    /// The admin client certificate from the data dir.
    Admin,
    /// No credentials at all.
    Anonymous,
    /// `Authorization: Bearer <token>`.
    Bearer(String),
    /// A client certificate and key (PEM).
    Cert { cert_pem: String, key_pem: String },
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size_line, tail)) = rest.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size_line.trim(), 16) else {
            break;
        };
        if size == 0 || tail.len() < size {
            break;
        }
        out.push_str(&tail[..size]);
        rest = tail[size..].trim_start_matches("\r\n");
    }
    out
}

/// Polls `check` every 100 ms until it holds; fails the test after `timeout`.
#[track_caller]
pub fn wait_within(what: &str, timeout: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !check() {
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// [`wait_within`] a minute.
#[track_caller]
pub fn wait_until(what: &str, check: impl FnMut() -> bool) {
    wait_within(what, Duration::from_secs(60), check)
}

/// The docs' example Deployment (nginx, 3 replicas).
pub const NGINX_DEPLOYMENT: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx-deployment
  labels:
    app: nginx
spec:
  replicas: 3
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: nginx:1.14.2
        ports:
        - containerPort: 80
"#;
