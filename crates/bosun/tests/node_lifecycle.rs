//! A node that stops reporting becomes Unknown, is tainted unreachable, and its pods are
//! evicted after their toleration; when it reports again the taints go.
//! (Real kubectl, real server, with a shortened grace period.)

mod common;

use std::time::{Duration, Instant};

use common::{TestServer, wait_until};

fn heartbeat(server: &TestServer) {
    let now = jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    server.ok(&[
        "patch", "node", "node-a", "--subresource=status", "--type=merge", "-p",
        &format!(r#"{{"status":{{"conditions":[{{"type":"Ready","status":"True","reason":"KubeletReady","message":"kubelet is posting ready status","lastHeartbeatTime":"{now}","lastTransitionTime":"{now}"}}]}}}}"#),
    ]);
}

#[test]
fn silent_node_is_tainted_and_its_pods_evicted_then_recovers() {
    let server = TestServer::start_with(&[
        "--node-monitor-grace-period",
        "2s",
        "--default-unreachable-toleration-seconds",
        "77",
    ]);
    server.ok_stdin(
        &["apply", "-f", "-"],
        "apiVersion: v1\nkind: Node\nmetadata:\n  name: node-a\n",
    );
    heartbeat(&server);
    let pod = "apiVersion: v1
kind: Pod
metadata:
  name: short-toleration
spec:
  nodeName: node-a
  tolerations:
  - key: node.kubernetes.io/unreachable
    operator: Exists
    effect: NoExecute
    tolerationSeconds: 1
  containers: [{name: c, image: nginx}]
";
    server.ok_stdin(&["apply", "-f", "-"], pod);
    server.ok_stdin(
        &["apply", "-f", "-"],
        &pod.replace("short-toleration", "default-toleration")
            .replace("tolerationSeconds: 1", "tolerationSeconds: 3000"),
    );
    let defaults = server.ok(&[
        "get",
        "pod",
        "default-toleration",
        "-o",
        "jsonpath={.spec.tolerations[*].key}",
    ]);
    assert!(
        defaults.contains("node.kubernetes.io/not-ready"),
        "admission adds the not-ready toleration: {defaults}"
    );

    wait_until("node Unknown", || {
        server.ok(&[
            "get",
            "node",
            "node-a",
            "-o",
            "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}",
        ]) == "Unknown"
    });
    let message = server.ok(&[
        "get",
        "node",
        "node-a",
        "-o",
        "jsonpath={.status.conditions[?(@.type==\"Ready\")].message}",
    ]);
    assert_eq!(message, "Kubelet stopped posting node status.");
    wait_until("unreachable taints", || {
        let taints = server.ok(&[
            "get",
            "node",
            "node-a",
            "-o",
            "jsonpath={range .spec.taints[*]}{.key}:{.effect} {end}",
        ]);
        taints.contains("node.kubernetes.io/unreachable:NoExecute")
            && taints.contains("node.kubernetes.io/unreachable:NoSchedule")
    });
    let status = server.ok(&["get", "nodes", "--no-headers"]);
    assert_eq!(
        status.split_whitespace().nth(1),
        Some("NotReady"),
        "{status}"
    );
    wait_until("short-toleration pod evicted", || {
        !server
            .ok(&[
                "get",
                "pod",
                "short-toleration",
                "-o",
                "jsonpath={.metadata.deletionTimestamp}",
                "--ignore-not-found",
            ])
            .is_empty()
    });
    assert_eq!(
        server.ok(&[
            "get",
            "pod",
            "default-toleration",
            "-o",
            "jsonpath={.metadata.deletionTimestamp}"
        ]),
        "",
        "a pod tolerating the taint for longer stays"
    );
    let events = server.ok(&[
        "get",
        "events",
        "--field-selector",
        "reason=TaintManagerEviction",
        "-o",
        "jsonpath={.items[*].message}",
    ]);
    assert!(
        events.contains("Marking for deletion Pod default/short-toleration"),
        "{events}"
    );

    // The node reports again (as a kubelet does, repeatedly): the taints go.
    let mut last_beat = Instant::now() - Duration::from_secs(10);
    wait_until("taints removed", || {
        if last_beat.elapsed() > Duration::from_millis(700) {
            heartbeat(&server);
            last_beat = Instant::now();
        }
        server
            .ok(&["get", "node", "node-a", "-o", "jsonpath={.spec.taints}"])
            .is_empty()
    });
}
