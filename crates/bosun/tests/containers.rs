//! Real containers end to end: the real `bosun` binary runs its node through containerd
//! (started per test by `scripts/containerd-test-env.sh`, with busybox images built from
//! Debian's `busybox-static`), driven by the real kubectl.
//!
//! Needs root, `containerd runc containernetworking-plugins busybox-static iptables`
//! (`.ci/run` installs them). Without them these tests fail saying what is missing.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{TestServer, wait_within};
use serde_json::Value;

/// A containerd of this test's own, stopped (with its bridge and mounts) on drop.
struct Containerd {
    dir: tempfile::TempDir,
    socket: PathBuf,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/containerd-test-env.sh")
}

impl Containerd {
    fn start() -> Containerd {
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

    fn socket(&self) -> &str {
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
    fn containers(&self) -> Vec<String> {
        let mut ids = self.ctr_containers(&["-q"]);
        ids.sort();
        ids
    }

    /// The image of every container.
    fn running_images(&self) -> Vec<String> {
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

fn server_on(ctr: &Containerd) -> TestServer {
    TestServer::start_with_local_node(&[
        "--runtime",
        "cri",
        "--cri-socket",
        ctr.socket(),
        "--kubelet-port",
        "0",
        "--node-name",
        "box",
    ])
}

fn json(server: &TestServer, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["-o", "json"]);
    serde_json::from_str(&server.ok(&all)).expect("kubectl prints JSON")
}

fn pods(server: &TestServer, selector: &str) -> Vec<Value> {
    json(server, &["get", "pods", "-l", selector])["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn ready(pod: &Value) -> bool {
    pod["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Ready" && c["status"] == "True")
}

/// GET http://IP:8080/ from the host, through the pod network.
fn http_get(ip: &str, path: &str) -> Option<String> {
    let mut stream =
        TcpStream::connect_timeout(&format!("{ip}:8080").parse().ok()?, Duration::from_secs(2))
            .ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {ip}\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
}

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

const TICKER: &str = r#"apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {greeting: hello from a configmap, mode: fast}
---
apiVersion: v1
kind: Pod
metadata: {name: ticker, labels: {app: ticker}}
spec:
  terminationGracePeriodSeconds: 1
  volumes:
  - name: settings
    configMap: {name: settings}
  - name: scratch
    emptyDir: {}
  containers:
  - name: tick
    image: bosun.test/web:v1
    command: ["sh", "-c"]
    args:
    - 'trap "exit 0" TERM; echo "$(cat /etc/settings/greeting) to $POD_NAME in $POD_NAMESPACE, mode $MODE, ip $POD_IP"; i=0; while true; do echo "tick $i"; i=$((i+1)); sleep 0.2; done'
    env:
    - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    - {name: POD_NAMESPACE, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}
    - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
    - {name: MODE, valueFrom: {configMapKeyRef: {name: settings, key: mode}}}
    volumeMounts:
    - {name: settings, mountPath: /etc/settings, readOnly: true}
    - {name: scratch, mountPath: /scratch}
---
apiVersion: v1
kind: Pod
metadata: {name: flaky}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: bosun.test/web:v1
    command: ["sh", "-c", 'trap "exit 0" TERM; touch /tmp/alive; echo "alive"; sleep 3; rm /tmp/alive; echo "lost it"; while true; do sleep 1; done']
    livenessProbe:
      exec: {command: ["cat", "/tmp/alive"]}
      periodSeconds: 1
      failureThreshold: 2
---
apiVersion: v1
kind: Pod
metadata: {name: unpullable}
spec:
  containers:
  - {name: app, image: "127.0.0.1:1/missing:v1"}
---
apiVersion: v1
kind: Pod
metadata: {name: never}
spec:
  containers:
  - {name: app, image: bosun.test/absent:v1, imagePullPolicy: Never}
"#;

#[test]
fn logs_follow_and_a_failed_liveness_probe_restarts_the_container() {
    let ctr = Containerd::start();
    let server = server_on(&ctr);
    server.ok_stdin(&["apply", "-f", "-"], TICKER);
    wait_within("ticker running", Duration::from_secs(30), || {
        pods(&server, "app=ticker").first().is_some_and(ready)
    });
    let pod = json(&server, &["get", "pod", "ticker"]);
    let ip = pod["status"]["podIP"].as_str().expect("pod IP").to_string();
    wait_within("a few ticks", Duration::from_secs(10), || {
        server.ok(&["logs", "ticker"]).contains("tick 3\n")
    });
    let logs = server.ok(&["logs", "ticker"]);
    assert!(
        logs.starts_with(&format!(
            "hello from a configmap to ticker in default, mode fast, ip {ip}\ntick 0\ntick 1\n"
        )),
        "{logs}"
    );
    let tail = server.ok(&["logs", "ticker", "--tail", "1", "--timestamps"]);
    assert_eq!(tail.lines().count(), 1, "{tail:?}");
    let (stamp, text) = tail.trim_end().split_once(' ').expect("timestamp and text");
    assert!(
        stamp.parse::<jiff::Timestamp>().is_ok(),
        "RFC 3339 timestamp: {stamp}"
    );
    assert!(text.starts_with("tick "), "{text}");
    let err = server.fails(&["logs", "ticker", "-c", "nope"]);
    assert!(
        err.contains("container nope is not valid for pod ticker"),
        "{err}"
    );

    // exec runs a command in the container: its output, stderr and exit code come back.
    assert_eq!(
        server.ok(&["exec", "ticker", "--", "cat", "/etc/settings/greeting"]),
        "hello from a configmap"
    );
    let out = server.kubectl(&[
        "exec",
        "ticker",
        "-c",
        "tick",
        "--",
        "sh",
        "-c",
        "echo out; echo err >&2; exit 3",
    ]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "kubectl exits with the command's code"
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "out\n");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("err\n") && stderr.contains("command terminated with exit code 3"),
        "{stderr}"
    );
    let err = server.fails(&["exec", "-i", "ticker", "--", "sh"]);
    assert!(
        err.contains("interactive sessions (stdin, tty) are not supported"),
        "{err}"
    );

    // -f keeps streaming lines written after it started.
    let mut follow = Command::new("kubectl")
        .args(["logs", "-f", "ticker", "--tail", "1"])
        .env("KUBECONFIG", &server.kubeconfig)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("kubectl runs");
    let mut lines = BufReader::new(follow.stdout.take().expect("stdout")).lines();
    let mut seen = Vec::new();
    for _ in 0..6 {
        seen.push(lines.next().and_then(Result::ok).expect("a followed line"));
    }
    let _ = follow.kill();
    let _ = follow.wait();
    let numbers: Vec<u64> = seen
        .iter()
        .filter_map(|l| l.strip_prefix("tick ")?.parse().ok())
        .collect();
    assert_eq!(numbers.len(), 6, "{seen:?}");
    assert!(
        numbers.windows(2).all(|w| w[1] == w[0] + 1),
        "consecutive ticks: {seen:?}"
    );

    // The liveness probe fails once /tmp/alive is gone: the container is killed and
    // restarted, and the previous instance's log is kept.
    wait_within("a liveness restart", Duration::from_secs(40), || {
        json(&server, &["get", "pod", "flaky"])["status"]["containerStatuses"][0]["restartCount"]
            .as_i64()
            .unwrap_or(0)
            >= 1
    });
    let status = json(&server, &["get", "pod", "flaky"])["status"]["containerStatuses"][0].clone();
    assert!(status["lastState"]["terminated"].is_object(), "{status}");
    assert_eq!(
        server.ok(&["logs", "flaky", "--previous"]),
        "alive\nlost it\n"
    );

    // Images that cannot be had: upstream's waiting reasons.
    wait_within("ImagePullBackOff", Duration::from_secs(30), || {
        let reason = json(&server, &["get", "pod", "unpullable"])["status"]["containerStatuses"][0]
            ["state"]["waiting"]["reason"]
            .clone();
        reason == "ImagePullBackOff"
    });
    let never = json(&server, &["get", "pod", "never"])["status"]["containerStatuses"][0]["state"]
        ["waiting"]
        .clone();
    assert_eq!(never["reason"], "ErrImageNeverPull", "{never}");
    assert_eq!(
        never["message"],
        "Container image \"bosun.test/absent:v1\" is not present with pull policy of Never"
    );

    server.ok(&["delete", "pod", "ticker", "flaky", "unpullable", "never"]);
    wait_within("containerd to be empty", Duration::from_secs(30), || {
        ctr.containers().is_empty()
    });
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
        .args([
            "--runtime",
            "cri",
            "--cri-socket",
            ctr.socket(),
            "--kubelet-port",
            "0",
        ])
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

#[test]
fn lifecycle_hooks_run_around_the_container() {
    let ctr = Containerd::start();
    let server = server_on(&ctr);
    let out = tempfile::tempdir().expect("dir");
    let manifest = format!(
        r#"apiVersion: v1
kind: Pod
metadata: {{name: hooked}}
spec:
  terminationGracePeriodSeconds: 10
  volumes: [{{name: out, hostPath: {{path: "{dir}", type: Directory}}}}]
  containers:
  - name: app
    image: bosun.test/web:v1
    command: ["sh", "-c", 'trap "echo got TERM >> /out/events; exit 0" TERM; echo running >> /out/events; while true; do sleep 0.2; done']
    volumeMounts: [{{name: out, mountPath: /out}}]
    lifecycle:
      postStart: {{exec: {{command: ["sh", "-c", "echo post-start >> /out/events"]}}}}
      preStop: {{exec: {{command: ["sh", "-c", "echo pre-stop >> /out/events"]}}}}
"#,
        dir = out.path().display()
    );
    server.ok_stdin(&["apply", "-f", "-"], &manifest);
    wait_within("hooked running", Duration::from_secs(30), || {
        json(&server, &["get", "pod", "hooked"])["status"]["containerStatuses"][0]["state"]
            ["running"]
            .is_object()
    });
    let events = || std::fs::read_to_string(out.path().join("events")).unwrap_or_default();
    assert!(events().contains("post-start\n"), "{}", events());
    server.ok(&["delete", "pod", "hooked"]);
    let lines: Vec<String> = events().lines().map(str::to_string).collect();
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.as_str() != "running" && l.as_str() != "post-start")
            .collect::<Vec<_>>(),
        ["pre-stop", "got TERM"],
        "preStop runs before the container is signalled: {lines:?}"
    );
    wait_within("containerd to be empty", Duration::from_secs(30), || {
        ctr.containers().is_empty()
    });
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

const SHAPED: &str = r#"apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {password: hunter2}
---
apiVersion: v1
kind: Pod
metadata: {name: shaped}
spec:
  terminationGracePeriodSeconds: 1
  volumes:
  - {name: creds, secret: {secretName: creds}}
  - {name: shared, emptyDir: {}}
  initContainers:
  - name: first
    image: bosun.test/web:v1
    command: ["sh", "-c", "echo first >> /shared/order"]
    volumeMounts: [{name: shared, mountPath: /shared}]
  - name: second
    image: bosun.test/web:v1
    command: ["sh", "-c", "echo second >> /shared/order"]
    volumeMounts: [{name: shared, mountPath: /shared}]
  containers:
  - name: main
    image: bosun.test/web:v1
    workingDir: /shared
    command: ["sh", "-c"]
    args:
    - 'echo "order: $(cat order | tr "\n" " ")"; echo "uid: $(id -u)"; echo "password: $(cat /creds/password)"; echo "memory: $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max)"; touch /rootfs-write 2>/dev/null && echo "rootfs: writable" || echo "rootfs: read-only"; echo "pwd: $(pwd)"; trap "exit 0" TERM; nc -l -p 9000 -e true & while true; do sleep 0.2; done'
    securityContext: {runAsUser: 65534, readOnlyRootFilesystem: true}
    resources:
      requests: {cpu: 100m, memory: 32Mi}
      limits: {cpu: 500m, memory: 64Mi}
    readinessProbe:
      tcpSocket: {port: 9000}
      periodSeconds: 1
    volumeMounts:
    - {name: creds, mountPath: /creds, readOnly: true}
    - {name: shared, mountPath: /shared}
---
apiVersion: v1
kind: Pod
metadata: {name: oom}
spec:
  restartPolicy: Never
  containers:
  - name: hog
    image: bosun.test/web:v1
    command: ["sh", "-c", "echo hogging; head -c 200000000 /dev/zero | tail"]
    resources:
      limits: {memory: 20Mi}
"#;

#[test]
fn init_containers_security_context_limits_secrets_and_tcp_probes() {
    let ctr = Containerd::start();
    let server = server_on(&ctr);
    server.ok_stdin(&["apply", "-f", "-"], SHAPED);
    wait_within("shaped ready", Duration::from_secs(40), || {
        ready(&json(&server, &["get", "pod", "shaped"]))
    });
    let pod = json(&server, &["get", "pod", "shaped"]);
    for init in pod["status"]["initContainerStatuses"]
        .as_array()
        .expect("init statuses")
    {
        assert_eq!(init["state"]["terminated"]["reason"], "Completed", "{init}");
        assert_eq!(init["state"]["terminated"]["exitCode"], 0, "{init}");
    }
    assert_eq!(pod["status"]["qosClass"], "Burstable");
    let logs = server.ok(&["logs", "shaped"]);
    assert_eq!(
        logs,
        "order: first second \nuid: 65534\npassword: hunter2\nmemory: 67108864\nrootfs: read-only\npwd: /shared\n"
    );
    assert_eq!(server.ok(&["logs", "shaped", "-c", "second"]), "");
    let since = server.ok(&["logs", "shaped", "--since", "1h"]);
    assert_eq!(since, logs, "everything is within the last hour");

    // Past its memory limit a container is OOM-killed, and the status says so.
    wait_within("the hog to fail", Duration::from_secs(30), || {
        json(&server, &["get", "pod", "oom"])["status"]["phase"] == "Failed"
    });
    let hog = json(&server, &["get", "pod", "oom"])["status"]["containerStatuses"][0]["state"]
        ["terminated"]
        .clone();
    assert_eq!(hog["reason"], "OOMKilled", "{hog}");
    assert_eq!(hog["exitCode"], 137, "{hog}");
    let log = server.ok(&["logs", "oom"]);
    assert!(
        log.starts_with("hogging\n"),
        "a finished pod keeps its log: {log:?}"
    );
}
