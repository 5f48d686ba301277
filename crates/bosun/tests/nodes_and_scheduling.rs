//! Scheduler, node agents and node lifecycle with the real kubectl, `bosun server
//! --hollow-nodes` and separate `bosun agent` processes: unschedulable pods and their
//! message, a node joining, drain, a lost node's pods recreated elsewhere, crash loops.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{TestServer, wait_within};

/// A `bosun agent` process joining `server`, killed (SIGKILL) on drop.
struct Agent(Child);

impl Agent {
    fn start(server: &TestServer, args: &[&str]) -> Agent {
        let child = Command::new(env!("CARGO_BIN_EXE_bosun"))
            .arg("agent")
            .arg("--kubeconfig")
            .arg(&server.kubeconfig)
            .args(args)
            .env("BOSUN_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("bosun agent runs");
        Agent(child)
    }

    fn kill9(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        self.kill9();
    }
}

fn ready_nodes(server: &TestServer) -> Vec<String> {
    server
        .ok(&["get", "nodes", "--no-headers"])
        .lines()
        .filter(|l| l.split_whitespace().nth(1) == Some("Ready"))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

/// `pod → node` of the pods matching `selector`.
fn placement(server: &TestServer, selector: &str) -> Vec<(String, String)> {
    let out = server.ok(&[
        "get",
        "pods",
        "-l",
        selector,
        "-o",
        "jsonpath={range .items[*]}{.metadata.name} {.spec.nodeName}{\"\\n\"}{end}",
    ]);
    out.lines()
        .filter_map(|l| {
            l.split_once(' ')
                .map(|(a, b)| (a.to_string(), b.to_string()))
        })
        .collect()
}

fn deployment(name: &str, replicas: u32, cpu: &str) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
      - name: app
        image: nginx:1.25
        resources:
          requests: {{cpu: {cpu}}}
"
    )
}

#[test]
fn unschedulable_pod_waits_with_upstreams_message_until_a_node_joins() {
    let server = TestServer::start_with(&["--hollow-nodes", "1"]);
    // With one hollow node it is named plainly `hollow`, as `bosun agent --nodes 1` does.
    wait_within("hollow ready", Duration::from_secs(30), || {
        ready_nodes(&server) == ["hollow"]
    });
    let big = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: big\nspec:\n  containers:\n  - name: app\n    image: nginx\n    resources:\n      requests: {cpu: \"6\"}\n";
    server.ok_stdin(&["apply", "-f", "-"], big);
    let message = "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.";
    wait_within("PodScheduled=False", Duration::from_secs(20), || {
        server.ok(&[
            "get",
            "pod",
            "big",
            "-o",
            "jsonpath={.status.conditions[?(@.type==\"PodScheduled\")].message}",
        ]) == message
    });
    assert_eq!(
        server.ok(&[
            "get",
            "pod",
            "big",
            "-o",
            "jsonpath={.status.conditions[?(@.type==\"PodScheduled\")].reason}"
        ]),
        "Unschedulable"
    );
    let described = server.ok(&["describe", "pod", "big"]);
    assert!(
        described.contains("FailedScheduling") && described.contains(message),
        "{described}"
    );

    // A node with room joins, as a separate agent process.
    let _agent = Agent::start(&server, &["--name", "roomy", "--node-cpu", "8"]);
    wait_within(
        "the pod placed on the new node",
        Duration::from_secs(90),
        || {
            placement(&server, "!app") == [("big".to_string(), "roomy".to_string())]
                && server.ok(&["get", "pod", "big", "-o", "jsonpath={.status.phase}"]) == "Running"
        },
    );
    let node = server.ok(&["describe", "node", "roomy"]);
    for expected in [
        "Roles:              <none>",
        "Container Runtime Version:  hollow://",
        "big",
        "Allocated resources:",
    ] {
        assert!(node.contains(expected), "missing {expected:?} in:\n{node}");
    }
}

#[test]
fn drain_moves_pods_and_cordon_keeps_new_ones_away() {
    let server = TestServer::start_with(&["--hollow-nodes", "2"]);
    wait_within("2 ready nodes", Duration::from_secs(30), || {
        ready_nodes(&server).len() == 2
    });
    server.ok_stdin(&["apply", "-f", "-"], &deployment("web", 4, "100m"));
    server.ok(&["rollout", "status", "deployment/web", "--timeout=60s"]);
    let before = placement(&server, "app=web");
    assert_eq!(
        before.iter().filter(|(_, n)| n == "hollow-0").count(),
        2,
        "spread 2/2: {before:?}"
    );

    let out = server.ok(&["drain", "hollow-0", "--ignore-daemonsets", "--timeout=60s"]);
    assert!(
        out.contains("node/hollow-0 cordoned") && out.contains("node/hollow-0 drained"),
        "{out}"
    );
    assert!(
        out.contains("evicting pod default/web-"),
        "drain evicts through the eviction API: {out}"
    );
    let nodes = server.ok(&["get", "nodes", "--no-headers"]);
    assert!(
        nodes
            .lines()
            .any(|l| l.starts_with("hollow-0") && l.contains("Ready,SchedulingDisabled")),
        "{nodes}"
    );
    server.ok(&["rollout", "status", "deployment/web", "--timeout=60s"]);
    let after = placement(&server, "app=web");
    assert_eq!(after.len(), 4);
    assert!(
        after.iter().all(|(_, n)| n == "hollow-1"),
        "all on hollow-1 after the drain: {after:?}"
    );

    assert_eq!(
        server.ok(&["uncordon", "hollow-0"]).trim(),
        "node/hollow-0 uncordoned"
    );
    server.ok(&["scale", "deployment/web", "--replicas=6"]);
    server.ok(&["rollout", "status", "deployment/web", "--timeout=60s"]);
    let scaled = placement(&server, "app=web");
    assert_eq!(
        scaled.iter().filter(|(_, n)| n == "hollow-0").count(),
        2,
        "new pods spread to the uncordoned node: {scaled:?}"
    );
}

#[test]
fn a_lost_agent_makes_its_node_not_ready_and_its_pods_move() {
    let server = TestServer::start_with(&[
        "--hollow-nodes",
        "1",
        "--node-monitor-grace-period",
        "4s",
        "--default-unreachable-toleration-seconds",
        "2",
    ]);
    let mut agent = Agent::start(
        &server,
        &["--name", "edge", "--node-status-update-frequency", "1s"],
    );
    wait_within("2 ready nodes", Duration::from_secs(60), || {
        ready_nodes(&server).len() == 2
    });
    server.ok_stdin(&["apply", "-f", "-"], &deployment("spread", 4, "100m"));
    server.ok(&["rollout", "status", "deployment/spread", "--timeout=60s"]);
    assert_eq!(
        placement(&server, "app=spread")
            .iter()
            .filter(|(_, n)| n == "edge")
            .count(),
        2
    );

    agent.kill9();
    wait_within("edge NotReady", Duration::from_secs(30), || {
        server
            .ok(&["get", "node", "edge", "--no-headers"])
            .split_whitespace()
            .nth(1)
            == Some("NotReady")
    });
    wait_within(
        "replacements running on hollow",
        Duration::from_secs(60),
        || {
            let running = server.ok(&[
                "get",
                "pods",
                "-l",
                "app=spread",
                "--field-selector",
                "spec.nodeName=hollow,status.phase=Running",
                "-o",
                "name",
            ]);
            running.lines().count() == 4
        },
    );
    let ready = server.ok(&[
        "get",
        "deployment",
        "spread",
        "-o",
        "jsonpath={.status.readyReplicas}",
    ]);
    assert_eq!(ready, "4");
    // The surviving node, which keeps reporting, was never tainted.
    assert_eq!(
        server.ok(&["get", "node", "hollow", "-o", "jsonpath={.spec.taints}"]),
        ""
    );
    // The lost node's pods are marked for deletion; with no kubelet to finish them they
    // stay Terminating, as upstream.
    let lost = server.ok(&[
        "get",
        "pods",
        "-l",
        "app=spread",
        "--field-selector",
        "spec.nodeName=edge",
        "-o",
        "jsonpath={.items[*].metadata.deletionTimestamp}",
    ]);
    assert_eq!(lost.split_whitespace().count(), 2, "{lost}");
}

#[test]
fn crash_looping_container_backs_off_with_growing_restarts() {
    let server = TestServer::start_with(&["--hollow-nodes", "1"]);
    let pod = "apiVersion: v1
kind: Pod
metadata:
  name: crasher
spec:
  containers:
  - name: app
    image: busybox:1.36
    env:
    - {name: BOSUN_HOLLOW_EXIT_CODE, value: \"1\"}
    - {name: BOSUN_HOLLOW_EXIT_AFTER, value: \"0s\"}
";
    server.ok_stdin(&["apply", "-f", "-"], pod);
    wait_within("CrashLoopBackOff", Duration::from_secs(30), || {
        server
            .ok(&["get", "pod", "crasher", "--no-headers"])
            .split_whitespace()
            .nth(2)
            == Some("CrashLoopBackOff")
    });
    let restarts = |s: &TestServer| -> u32 {
        s.ok(&[
            "get",
            "pod",
            "crasher",
            "-o",
            "jsonpath={.status.containerStatuses[0].restartCount}",
        ])
        .parse()
        .unwrap_or(0)
    };
    let first = restarts(&server);
    wait_within(
        "another restart after the back-off",
        Duration::from_secs(40),
        || restarts(&server) > first,
    );
    let waiting = server.ok(&[
        "get",
        "pod",
        "crasher",
        "-o",
        "jsonpath={.status.containerStatuses[0].state.waiting.message}",
    ]);
    let terminated = server.ok(&["get", "pod", "crasher", "-o", "jsonpath={.status.containerStatuses[0].lastState.terminated.reason}:{.status.containerStatuses[0].lastState.terminated.exitCode}"]);
    assert_eq!(terminated, "Error:1");
    assert!(
        waiting.is_empty() || waiting.starts_with("back-off "),
        "{waiting}"
    );
}

/// A node writes a new pod's status twice, as upstream's kubelet does: once when it
/// accepts the pod (Pending, ContainerCreating, no sandbox yet), and once after the one
/// pass that creates the sandbox and starts the containers (Running and Ready). Read back
/// by a watch from before the pod existed, so every write is seen.
#[test]
fn a_node_writes_a_new_pods_status_twice() {
    let server = TestServer::start_with(&["--hollow-nodes", "1"]);
    wait_within("hollow ready", Duration::from_secs(30), || {
        ready_nodes(&server) == ["hollow"]
    });
    let list: serde_json::Value =
        serde_json::from_str(&server.ok(&["get", "--raw", "/api/v1/namespaces/default/pods"]))
            .expect("pod list");
    let before = list["metadata"]["resourceVersion"]
        .as_str()
        .expect("list resourceVersion")
        .to_string();
    server.ok(&["run", "twice", "--image=nginx:1.25"]);
    wait_within("twice Running", Duration::from_secs(30), || {
        server.ok(&["get", "pod", "twice", "-o", "jsonpath={.status.phase}"]) == "Running"
    });
    let stream = server.ok(&[
        "get",
        "--raw",
        &format!(
            "/api/v1/namespaces/default/pods?watch=1&resourceVersion={before}\
             &fieldSelector=metadata.name%3Dtwice&timeoutSeconds=2"
        ),
    ]);
    let events: Vec<serde_json::Value> = serde_json::Deserializer::from_str(&stream)
        .into_iter()
        .collect::<Result<_, _>>()
        .expect("watch events");
    // The node's writes are the events that carry container statuses.
    let written: Vec<(String, String, String, String)> = events
        .iter()
        .map(|e| &e["object"]["status"])
        .filter(|s| s.get("containerStatuses").is_some())
        .map(|s| {
            let condition = |t: &str| -> String {
                s["conditions"]
                    .as_array()
                    .and_then(|cs| cs.iter().find(|c| c["type"] == t))
                    .and_then(|c| c["status"].as_str())
                    .unwrap_or("")
                    .to_string()
            };
            let state = &s["containerStatuses"][0]["state"];
            let state = state["waiting"]["reason"]
                .as_str()
                .map(str::to_string)
                .or_else(|| state.get("running").map(|_| "running".to_string()))
                .unwrap_or_default();
            (
                s["phase"].as_str().unwrap_or("").to_string(),
                condition("PodReadyToStartContainers"),
                condition("Ready"),
                state,
            )
        })
        .collect();
    let owned = |a: &str, b: &str, c: &str, d: &str| {
        (a.to_string(), b.to_string(), c.to_string(), d.to_string())
    };
    assert_eq!(
        written,
        [
            owned("Pending", "False", "False", "ContainerCreating"),
            owned("Running", "True", "True", "running"),
        ],
        "{stream}"
    );
}
