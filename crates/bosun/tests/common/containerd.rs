//! Real containers for tests: a containerd of the test's own (started by
//! `scripts/containerd-test-env.sh`, with busybox images built from Debian's
//! `busybox-static`) and helpers for pods on it.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use super::TestServer;

/// A containerd of this test's own, stopped (with its bridge and mounts) on drop.
pub struct Containerd {
    dir: tempfile::TempDir,
    socket: PathBuf,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/containerd-test-env.sh")
}

impl Containerd {
    pub fn start() -> Containerd {
        let dir = tempfile::Builder::new()
            .prefix("bosun-ctr-")
            .tempdir()
            .expect("temp dir");
        let out = Command::new("bash")
            .arg(script())
            .arg("start")
            .arg(dir.path())
            .output()
            .expect("bash runs");
        assert!(
            out.status.success(),
            "starting containerd failed (needs root and: apt-get install containerd runc containernetworking-plugins busybox-static iptables):\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let socket = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        Containerd { dir, socket }
    }

    pub fn socket(&self) -> &str {
        self.socket.to_str().expect("utf-8 path")
    }

    /// `ctr -n k8s.io containers ls ARGS…`, one line per container.
    fn ctr_containers(&self, extra: &[&str]) -> Vec<String> {
        let out = Command::new("ctr")
            .args([
                "--address",
                self.socket(),
                "-n",
                "k8s.io",
                "containers",
                "ls",
            ])
            .args(extra)
            .output()
            .expect("ctr runs");
        assert!(
            out.status.success(),
            "ctr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// Every container's ID, sandboxes (pause) included, sorted.
    pub fn containers(&self) -> Vec<String> {
        let mut ids = self.ctr_containers(&["-q"]);
        ids.sort();
        ids
    }

    /// The image of every container.
    pub fn running_images(&self) -> Vec<String> {
        self.ctr_containers(&[])
            .iter()
            .skip(1)
            .filter_map(|l| l.split_whitespace().nth(1).map(str::to_string))
            .collect()
    }
}

impl Drop for Containerd {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(script())
            .arg("stop")
            .arg(self.dir.path())
            .status();
    }
}

/// The flags that put a node on this containerd (`--runtime cri …`, any free port).
pub fn cri_flags(ctr: &Containerd) -> [&str; 6] {
    [
        "--runtime",
        "cri",
        "--cri-socket",
        ctr.socket(),
        "--kubelet-port",
        "0",
    ]
}

pub fn server_on(ctr: &Containerd) -> TestServer {
    let mut flags = cri_flags(ctr).to_vec();
    // Small logs rotate within a test.
    flags.extend(["--node-name", "box", "--container-log-max-size", "16Ki"]);
    flags.extend(["--container-log-max-files", "2"]);
    TestServer::start_with_local_node(&flags)
}

pub fn json(server: &TestServer, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["-o", "json"]);
    serde_json::from_str(&server.ok(&all)).expect("kubectl prints JSON")
}

pub fn pods(server: &TestServer, selector: &str) -> Vec<Value> {
    json(server, &["get", "pods", "-l", selector])["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

pub fn ready(pod: &Value) -> bool {
    pod["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Ready" && c["status"] == "True")
}

/// GET http://IP:8080/ from the host, through the pod network.
pub fn http_get(ip: &str, path: &str) -> Option<String> {
    http_get_port(ip, 8080, path)
}

/// GET http://IP:PORT/PATH; the body.
pub fn http_get_port(ip: &str, port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect_timeout(
        &format!("{ip}:{port}").parse().ok()?,
        Duration::from_secs(2),
    )
    .ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {ip}\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
}
