//! Real containers end to end: Deployments, crash loops, agent restarts and the
//! benchmark, with the real `bosun` binary running its node through a containerd of each
//! test's own and the real kubectl (`container_features.rs` has logs, exec, probes,
//! hooks, volumes and limits).
//!
//! Needs root, `containerd runc containernetworking-plugins busybox-static iptables`
//! (`.ci/run` installs them). Without them these tests fail saying what is missing.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::containerd::{
    Containerd, cri_flags, http_get, http_get_port, json, pods, ready, server_on,
};
use common::{TestServer, wait_within};
use serde_json::Value;

const WEB: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  progressDeadlineSeconds: 12
  selector: {matchLabels: {app: web}}
  strategy:
    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 3
      containers:
      - name: web
        image: bosun.test/web:v1
        ports: [{containerPort: 8080}]
        env: [{name: READY_AFTER, value: "4"}]
        readinessProbe:
          httpGet: {path: /healthz, port: 8080}
          periodSeconds: 1
"#;

#[test]
fn deployment_rolls_out_serves_and_rolls_over_with_readiness_gating() {
    let ctr = Containerd::start();
    let server = server_on(&ctr);
    server.ok_stdin(&["apply", "-f", "-"], WEB);
    server.ok(&["rollout", "status", "deploy/web", "--timeout=60s"]);
    let node = json(&server, &["get", "node", "box"]);
    assert_eq!(
        node["status"]["nodeInfo"]["containerRuntimeVersion"]
            .as_str()
            .map(|v| v.starts_with("containerd://")),
        Some(true),
        "{node}"
    );

    // Every pod has its own IP on the CNI bridge and serves the page.
    let first = pods(&server, "app=web");
    assert_eq!(first.len(), 2);
    let mut ips: Vec<String> = first
        .iter()
        .map(|p| {
            p["status"]["podIP"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    ips.dedup();
    assert_eq!(ips.len(), 2, "distinct pod IPs: {ips:?}");
    for ip in &ips {
        assert!(ip.starts_with("10.89."), "a CNI address: {ip}");
        assert_eq!(http_get(ip, "/").as_deref(), Some("web v1\n"));
    }
    for p in &first {
        let status = &p["status"]["containerStatuses"][0];
        assert!(
            status["containerID"]
                .as_str()
                .is_some_and(|id| id.starts_with("containerd://")),
            "{status}"
        );
        assert_eq!(status["image"], "bosun.test/web:v1");
        assert_eq!(status["ready"], true);
    }

    // exec into a Deployment's pod (a name with dashes) by the Deployment's name.
    assert_eq!(
        server.ok(&["exec", "deploy/web", "--", "cat", "/www/index.html"]),
        "web v1\n"
    );

    // `kubectl logs deploy/web` picks one of its pods.
    let logs = server.ok(&["logs", "deploy/web"]);
    assert!(logs.starts_with("web v1 serving on :8080\n"), "{logs}");

    // A pod reaches another pod's IP, and a hostPort answers on the node.
    let host_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
        l.local_addr().expect("addr").port()
    };
    server.ok_stdin(
        &["apply", "-f", "-"],
        &format!(
            r#"apiVersion: v1
kind: Pod
metadata: {{name: client}}
spec:
  restartPolicy: Never
  containers:
  - name: get
    image: bosun.test/web:v1
    command: ["wget", "-qO-", "http://{ip}:8080/"]
---
apiVersion: v1
kind: Pod
metadata: {{name: exposed}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: bosun.test/web:v2
    ports: [{{containerPort: 8080, hostPort: {host_port}}}]
"#,
            ip = ips[0]
        ),
    );
    wait_within("the client pod to succeed", Duration::from_secs(30), || {
        json(&server, &["get", "pod", "client"])["status"]["phase"] == "Succeeded"
    });
    assert_eq!(server.ok(&["logs", "client"]), "web v1\n");
    wait_within("the hostPort to answer", Duration::from_secs(30), || {
        let node_ip = json(&server, &["get", "pod", "exposed"])["status"]["hostIP"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        !node_ip.is_empty()
            && TcpStream::connect(format!("{node_ip}:{host_port}"))
                .ok()
                .and_then(|mut s| {
                    write!(s, "GET / HTTP/1.0\r\n\r\n").ok()?;
                    let mut r = String::new();
                    s.read_to_string(&mut r).ok()?;
                    Some(r.ends_with("\r\n\r\nweb v2\n"))
                })
                .unwrap_or(false)
    });
    // kubectl port-forward reaches the pod's port through the API server and the node.
    let local_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
        l.local_addr().expect("addr").port()
    };
    let mut forward = Command::new("kubectl")
        .args(["port-forward", "pod/exposed", &format!("{local_port}:8080")])
        .env("KUBECONFIG", &server.kubeconfig)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("kubectl runs");
    let mut first = String::new();
    let _ = std::io::BufRead::read_line(
        &mut std::io::BufReader::new(forward.stdout.as_mut().expect("stdout")),
        &mut first,
    );
    assert!(
        first.starts_with(&format!("Forwarding from 127.0.0.1:{local_port} -> 8080")),
        "{first}"
    );
    assert_eq!(
        http_get_port("127.0.0.1", local_port, "/").as_deref(),
        Some("web v2\n")
    );
    let _ = forward.kill();
    let _ = forward.wait();
    server.ok(&["delete", "pod", "client", "exposed"]);

    // A slow-to-ready image: each new pod runs for ~4 s before it is Ready, and with
    // maxUnavailable 0 two ready pods serve at every moment of the rollout.
    server.ok(&["set", "image", "deploy/web", "web=bosun.test/slow:v1"]);
    let started = Instant::now();
    let mut running_unready_seen = false;
    loop {
        let all = pods(&server, "app=web");
        let ready_count = all
            .iter()
            .filter(|p| ready(p) && p["metadata"]["deletionTimestamp"].is_null())
            .count();
        assert!(
            ready_count >= 2,
            "maxUnavailable 0 keeps two pods ready: {ready_count}"
        );
        running_unready_seen |= all.iter().any(|p| {
            p["spec"]["containers"][0]["image"] == "bosun.test/slow:v1"
                && p["status"]["containerStatuses"][0]["state"]["running"].is_object()
                && !ready(p)
        });
        let d = json(&server, &["get", "deploy/web"]);
        let done = d["status"]["updatedReplicas"] == 2
            && d["status"]["availableReplicas"] == 2
            && d["status"]["replicas"] == 2
            && d["status"]["observedGeneration"] == d["metadata"]["generation"];
        if done {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "slow rollout did not finish: {d}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(
        running_unready_seen,
        "a new pod was seen running but not yet ready"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(8),
        "two pods, each held back ~4 s by readiness: {:?}",
        started.elapsed()
    );

    server.ok(&["set", "image", "deploy/web", "web=bosun.test/web:v2"]);
    server.ok(&["rollout", "status", "deploy/web", "--timeout=60s"]);
    wait_within("old pods to go", Duration::from_secs(30), || {
        pods(&server, "app=web").len() == 2
    });
    for p in pods(&server, "app=web") {
        let ip = p["status"]["podIP"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert_eq!(http_get(&ip, "/").as_deref(), Some("web v2\n"));
    }

    // Deleting the Deployment leaves nothing behind in containerd.
    server.ok(&["delete", "deploy/web"]);
    wait_within("containerd to be empty", Duration::from_secs(30), || {
        ctr.containers().is_empty()
    });
}

#[test]
fn crash_loop_exceeds_the_progress_deadline_and_undo_recovers() {
    let ctr = Containerd::start();
    let server = server_on(&ctr);
    server.ok_stdin(
        &["apply", "-f", "-"],
        &WEB.replace("replicas: 2", "replicas: 1"),
    );
    server.ok(&["rollout", "status", "deploy/web", "--timeout=60s"]);
    server.ok(&["set", "image", "deploy/web", "web=bosun.test/crash:v1"]);

    // The new pod exits 3 again and again: CrashLoopBackOff with the exit in lastState.
    wait_within("CrashLoopBackOff", Duration::from_secs(40), || {
        pods(&server, "app=web").iter().any(|p| {
            p["status"]["containerStatuses"][0]["state"]["waiting"]["reason"] == "CrashLoopBackOff"
        })
    });
    let crashing = pods(&server, "app=web")
        .into_iter()
        .find(|p| p["spec"]["containers"][0]["image"] == "bosun.test/crash:v1")
        .expect("the crashing pod");
    let status = &crashing["status"]["containerStatuses"][0];
    assert_eq!(status["lastState"]["terminated"]["exitCode"], 3, "{status}");
    assert_eq!(
        status["lastState"]["terminated"]["reason"], "Error",
        "{status}"
    );
    assert!(
        status["restartCount"].as_i64().unwrap_or(0) >= 1,
        "{status}"
    );
    let message = status["state"]["waiting"]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.starts_with("back-off 10s restarting failed container=web pod="),
        "{message}"
    );
    let name = crashing["metadata"]["name"]
        .as_str()
        .expect("name")
        .to_string();
    let previous = server.ok(&["logs", &name, "--previous"]);
    assert_eq!(previous, "crash: starting\ncrash: giving up\n");

    // The old pod keeps serving; the rollout is stuck and says so.
    let err = server.fails(&["rollout", "status", "deploy/web", "--timeout=60s"]);
    assert!(
        err.contains("error: deployment \"web\" exceeded its progress deadline"),
        "{err}\n{}\n{}",
        server.ok(&["get", "deploy/web", "-o", "yaml"]),
        server.ok(&["get", "pods,rs", "-o", "wide"])
    );
    let d = json(&server, &["get", "deploy/web"]);
    let progressing = d["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["type"] == "Progressing")
        .cloned()
        .expect("Progressing condition");
    assert_eq!(progressing["status"], "False");
    assert_eq!(progressing["reason"], "ProgressDeadlineExceeded");
    assert!(
        progressing["message"]
            .as_str()
            .is_some_and(|m| m.ends_with("has timed out progressing.")),
        "{progressing}"
    );
    assert_eq!(d["status"]["availableReplicas"], 1);

    server.ok(&["rollout", "undo", "deploy/web"]);
    server.ok(&["rollout", "status", "deploy/web", "--timeout=60s"]);
    wait_within("the crashing pod to go", Duration::from_secs(30), || {
        let all = pods(&server, "app=web");
        all.len() == 1 && all[0]["spec"]["containers"][0]["image"] == "bosun.test/web:v1"
    });
    wait_within(
        "only the web container left",
        Duration::from_secs(30),
        || {
            let images = ctr.running_images();
            images
                .iter()
                .filter(|i| i.as_str() == "bosun.test/crash:v1")
                .count()
                == 0
                && images
                    .iter()
                    .filter(|i| i.as_str() == "bosun.test/web:v1")
                    .count()
                    == 1
        },
    );
}

fn start_agent(server: &TestServer, ctr: &Containerd, dir: &Path) -> Child {
    let url = format!("https://{}", server.addr);
    let token = std::fs::read_to_string(server.data_dir.join("node-token")).expect("node-token");
    Command::new(env!("CARGO_BIN_EXE_bosun"))
        .args([
            "agent",
            "--server",
            &url,
            "--token",
            token.trim(),
            "--name",
            "worker",
        ])
        .args(cri_flags(ctr))
        .arg("--data-dir")
        .arg(dir)
        .env("BOSUN_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("agent runs")
}

#[test]
fn a_restarted_agent_adopts_its_containers_and_removes_orphans() {
    let ctr = Containerd::start();
    let server = TestServer::start();
    let agent_dir = tempfile::tempdir().expect("dir");
    let mut agent = start_agent(&server, &ctr, agent_dir.path());
    server.ok_stdin(
        &["apply", "-f", "-"],
        &WEB.replace("replicas: 2", "replicas: 3"),
    );
    server.ok(&["rollout", "status", "deploy/web", "--timeout=60s"]);
    let before = ctr.containers();
    assert_eq!(
        before.len(),
        6,
        "three sandboxes and three containers: {before:?}"
    );
    let ids = |server: &TestServer| -> Vec<String> {
        let mut ids: Vec<String> = pods(server, "app=web")
            .iter()
            .map(|p| {
                p["status"]["containerStatuses"][0]["containerID"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect();
        ids.sort();
        ids
    };
    let container_ids = ids(&server);

    // Logs come through the API server from the joined node's endpoint.
    let name = pods(&server, "app=web")[0]["metadata"]["name"]
        .as_str()
        .expect("name")
        .to_string();
    assert!(
        server
            .ok(&["logs", &name])
            .contains("web v1 serving on :8080")
    );

    // The agent dies; nothing it ran is restarted or duplicated when it comes back.
    let _ = agent.kill();
    let _ = agent.wait();
    agent = start_agent(&server, &ctr, agent_dir.path());
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        ctr.containers(),
        before,
        "same containers after the restart"
    );
    wait_within("all ready again", Duration::from_secs(30), || {
        let all = pods(&server, "app=web");
        all.len() == 3 && all.iter().all(ready)
    });
    assert_eq!(ids(&server), container_ids);
    for p in pods(&server, "app=web") {
        assert_eq!(
            p["status"]["containerStatuses"][0]["restartCount"], 0,
            "{p}"
        );
    }

    // A pod force-deleted while the agent is away is cleaned up when it returns.
    let _ = agent.kill();
    let _ = agent.wait();
    server.ok(&["scale", "deploy/web", "--replicas", "2"]);
    let victim = pods(&server, "app=web")
        .into_iter()
        .find(|p| !p["metadata"]["deletionTimestamp"].is_null())
        .expect("a terminating pod");
    let victim = victim["metadata"]["name"]
        .as_str()
        .expect("name")
        .to_string();
    server.ok(&["delete", "pod", &victim, "--grace-period=0", "--force"]);
    agent = start_agent(&server, &ctr, agent_dir.path());
    wait_within("the orphan removed", Duration::from_secs(30), || {
        ctr.containers().len() == 4
    });
    let _ = agent.kill();
    let _ = agent.wait();
}

#[test]
fn without_a_cri_socket_the_server_says_so_and_simulates() {
    let server = TestServer::start_with_local_node(&[
        "--cri-socket",
        "/nonexistent/containerd.sock",
        "--node-name",
        "sim",
    ]);
    wait_within("node sim", Duration::from_secs(20), || {
        server.kubectl(&["get", "node", "sim"]).status.success()
    });
    let node = json(&server, &["get", "node", "sim"]);
    assert_eq!(
        node["status"]["nodeInfo"]["containerRuntimeVersion"]
            .as_str()
            .map(|v| v.starts_with("hollow://")),
        Some(true),
        "{node}"
    );
    // The server says so after its ready line.
    let dir = tempfile::tempdir().expect("dir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_bosun"))
        .args(["server", "--bind", "127.0.0.1:0", "--node-name", "said"])
        .args(["--cri-socket", "/nonexistent/containerd.sock", "--data-dir"])
        .arg(dir.path())
        .env("BOSUN_LOG", "error")
        .stdout(Stdio::piped())
        .spawn()
        .expect("bosun runs");
    let lines: Vec<String> = std::io::BufRead::lines(std::io::BufReader::new(
        child.stdout.take().expect("stdout"),
    ))
    .take(3)
    .filter_map(Result::ok)
    .collect();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(
        lines.get(2).map(String::as_str),
        Some(
            "local node said: no CRI socket at /nonexistent/containerd.sock: containers are simulated (hollow runtime); start containerd or pass --cri-socket PATH for real containers"
        ),
        "{lines:?}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_bosun"))
        .args([
            "server",
            "--runtime",
            "cri",
            "--cri-socket",
            "/nonexistent/containerd.sock",
            "--bind",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(server.data_dir.parent().expect("home").join("other"))
        .output()
        .expect("bosun runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--runtime cri: no CRI socket at /nonexistent/containerd.sock"),
        "{err}"
    );
}

/// `bosun bench containers` at a size that takes seconds, so it cannot rot (the other
/// scenarios run in `benchmarks.rs`; this one needs a containerd).
#[test]
fn the_containers_benchmark_runs_at_a_small_size() {
    let ctr = Containerd::start();
    let dir = tempfile::tempdir().expect("dir");
    let output = dir.path().join("containers.json");
    let out = Command::new(env!("CARGO_BIN_EXE_bosun"))
        .args(["bench", "containers", "--cri-socket", ctr.socket()])
        .args(["--pods", "4", "--replicas", "3", "--output"])
        .arg(&output)
        .env("BOSUN_LOG", "error")
        .output()
        .expect("bosun runs");
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{table}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(table.contains("pod create → Ready p99 (ms)"), "{table}");
    let figures: Value =
        serde_json::from_str(&std::fs::read_to_string(&output).expect("figures")).expect("JSON");
    assert_eq!(figures["pods"], 4);
    assert_eq!(figures["ready_pods"], 4, "{figures}");
    assert_eq!(figures["replicas"], 3);
    for key in ["apply_to_available_s", "rolling_update_s", "all_ready_s"] {
        assert!(
            figures[key].as_f64().is_some_and(|s| s > 0.0),
            "{key}: {figures}"
        );
    }
    assert!(
        figures["pod_start_ms"]["p50"].as_f64() <= figures["pod_start_ms"]["p99"].as_f64(),
        "{figures}"
    );
    wait_within("containerd to be empty", Duration::from_secs(30), || {
        ctr.containers().is_empty()
    });
}
