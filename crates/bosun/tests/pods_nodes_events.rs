//! Pods (binding, graceful deletion, eviction), nodes, events and leases through the
//! real kubectl and raw HTTP, and every installed kubectl version (1.27–1.33).

mod common;

use std::path::PathBuf;

use common::{NGINX_DEPLOYMENT, TestServer};
use serde_json::Value;

const POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
spec:
  containers:
  - name: app
    image: nginx:1.25
";

const NODE: &str = "apiVersion: v1
kind: Node
metadata:
  name: node-a
  labels:
    kubernetes.io/hostname: node-a
    node-role.kubernetes.io/control-plane: \"\"
status:
  nodeInfo:
    kubeletVersion: v1.33.0
";

#[test]
fn pod_binding_graceful_delete_and_eviction() {
    let server = TestServer::start();
    server.ok_stdin(&["apply", "-f", "-"], POD);
    let pods = server.ok(&["get", "pods"]);
    let header: Vec<&str> = pods
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    assert_eq!(header, ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]);
    let row: Vec<&str> = pods
        .lines()
        .nth(1)
        .unwrap_or("")
        .split_whitespace()
        .collect();
    assert_eq!(&row[..4], ["web", "0/1", "Pending", "0"]);
    let defaults = server.ok(&["get", "pod", "web", "-o", "jsonpath={.spec.restartPolicy} {.spec.terminationGracePeriodSeconds} {.spec.containers[0].imagePullPolicy} {.spec.serviceAccountName} {.status.phase}"]);
    assert_eq!(defaults, "Always 30 IfNotPresent default Pending");

    let path = "/api/v1/namespaces/default/pods/web/binding";
    let binding = r#"{"apiVersion":"v1","kind":"Binding","metadata":{"name":"web"},"target":{"kind":"Node","name":"node-a"}}"#;
    let (code, body) = server.json("POST", path, binding);
    assert_eq!(code, 201, "{body}");
    let (code, body) = server.json("POST", path, binding);
    assert_eq!(code, 409, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or("")
            .contains("pod web is already assigned to node \"node-a\""),
        "{body}"
    );
    let wide = server.ok(&["get", "pods", "-o", "wide"]);
    let header: Vec<&str> = wide
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    assert_eq!(
        header,
        [
            "NAME",
            "READY",
            "STATUS",
            "RESTARTS",
            "AGE",
            "IP",
            "NODE",
            "NOMINATED",
            "NODE",
            "READINESS",
            "GATES"
        ]
    );
    assert!(
        wide.lines().nth(1).unwrap_or("").contains("node-a"),
        "{wide}"
    );
    assert_eq!(
        server.ok(&[
            "get",
            "pod",
            "web",
            "-o",
            "jsonpath={.status.conditions[0].type}={.status.conditions[0].status}"
        ]),
        "PodScheduled=True"
    );
    assert_eq!(
        server
            .ok(&[
                "get",
                "pods",
                "--field-selector",
                "spec.nodeName=node-a",
                "-o",
                "name"
            ])
            .trim(),
        "pod/web"
    );
    assert_eq!(
        server
            .ok(&[
                "get",
                "pods",
                "--field-selector",
                "status.phase=Running",
                "-o",
                "name"
            ])
            .trim(),
        ""
    );

    // A bound pod is deleted gracefully: marked, and left for its node to finish.
    let out = server.ok(&["delete", "pod", "web", "--wait=false"]);
    assert_eq!(out.trim(), "pod \"web\" deleted");
    let marked = server.ok(&[
        "get",
        "pod",
        "web",
        "-o",
        "jsonpath={.metadata.deletionGracePeriodSeconds}",
    ]);
    assert_eq!(marked, "30");
    let status = server.ok(&["get", "pod", "web"]);
    assert!(status.contains("Terminating"), "{status}");
    // Force deletion removes it at once.
    server.ok(&["delete", "pod", "web", "--grace-period=0", "--force"]);
    assert!(!server.kubectl(&["get", "pod", "web"]).status.success());

    // Eviction of an unbound pod deletes it at once.
    server.ok_stdin(&["apply", "-f", "-"], POD);
    let (code, body) = server.json(
        "POST",
        "/api/v1/namespaces/default/pods/web/eviction",
        r#"{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"web","namespace":"default"}}"#,
    );
    assert_eq!(code, 201, "{body}");
    assert!(!server.kubectl(&["get", "pod", "web"]).status.success());
}

#[test]
fn nodes_events_and_leases() {
    let server = TestServer::start();
    server.ok_stdin(&["apply", "-f", "-"], NODE);
    let nodes = server.ok(&["get", "nodes"]);
    let header: Vec<&str> = nodes
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    assert_eq!(header, ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]);
    let row: Vec<&str> = nodes
        .lines()
        .nth(1)
        .unwrap_or("")
        .split_whitespace()
        .collect();
    assert_eq!(row[0], "node-a");
    assert_eq!(row[1], "Unknown", "no Ready condition yet");
    assert_eq!(row[2], "control-plane");
    assert_eq!(row[4], "v1.33.0");
    // The node's status is written through the status subresource.
    server.ok(&[
        "patch", "node", "node-a", "--subresource=status", "--type=merge", "-p",
        r#"{"status":{"conditions":[{"type":"Ready","status":"True","reason":"KubeletReady","message":"ok"}]}}"#,
    ]);
    let row = server.ok(&["get", "node", "node-a", "--no-headers"]);
    assert_eq!(row.split_whitespace().nth(1), Some("Ready"));

    server.ok_stdin(&["apply", "-f", "-"], NGINX_DEPLOYMENT);
    let uid = server.ok(&[
        "get",
        "deployment",
        "nginx-deployment",
        "-o",
        "jsonpath={.metadata.uid}",
    ]);
    let event = serde_json::json!({
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": "nginx-deployment.1"},
        "involvedObject": {"kind": "Deployment", "namespace": "default", "name": "nginx-deployment", "uid": uid, "apiVersion": "apps/v1"},
        "reason": "Rehearsal", "message": "Scaled up replica set nginx-deployment-abc to 3",
        "type": "Normal", "source": {"component": "deployment-controller"},
        "firstTimestamp": "2026-01-01T00:00:00Z", "lastTimestamp": "2026-01-01T00:00:00Z", "count": 1
    });
    let (code, body) = server.json(
        "POST",
        "/api/v1/namespaces/default/events",
        &event.to_string(),
    );
    assert_eq!(code, 201, "{body}");
    let events = server.ok(&["get", "events"]);
    let header: Vec<&str> = events
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    assert_eq!(
        header,
        ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    );
    assert!(
        events.contains("deployment/nginx-deployment")
            && events.contains("Scaled up replica set nginx-deployment-abc to 3"),
        "{events}"
    );
    let described = server.ok(&["describe", "deployment", "nginx-deployment"]);
    assert!(
        described.lines().any(|l| l.contains("Rehearsal")
            && l.contains("deployment-controller")
            && l.contains("Scaled up replica set nginx-deployment-abc to 3")),
        "describe lists the deployment's events:\n{described}"
    );
    let selected = server.ok(&[
        "get",
        "events",
        "--field-selector",
        "involvedObject.kind=Deployment,reason=Rehearsal",
        "-o",
        "name",
    ]);
    assert_eq!(selected.trim(), "event/nginx-deployment.1");

    let lease = "apiVersion: coordination.k8s.io/v1
kind: Lease
metadata:
  name: node-a
  namespace: kube-node-lease
spec:
  holderIdentity: node-a
  leaseDurationSeconds: 40
";
    server.ok_stdin(&["apply", "-f", "-"], lease);
    let leases = server.ok(&["get", "leases", "-n", "kube-node-lease"]);
    let header: Vec<&str> = leases
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    assert_eq!(header, ["NAME", "HOLDER", "AGE"]);
    assert!(
        leases.lines().nth(1).unwrap_or("").starts_with("node-a") && leases.contains(" node-a "),
        "{leases}"
    );

    let cms = server.ok(&["get", "configmaps"]);
    let header: Vec<&str> = cms
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    assert_eq!(header, ["NAME", "DATA", "AGE"]);
    for path in ["/healthz", "/livez", "/readyz"] {
        assert_eq!(server.ok(&["get", "--raw", path]).trim(), "ok");
    }
}

fn kubectl_versions() -> Vec<PathBuf> {
    let Ok(real) = std::fs::canonicalize(which("kubectl")) else {
        return Vec::new();
    };
    let Some(dir) = real.parent() else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = (27..=33)
        .map(|minor| dir.join(format!("kubectl.1.{minor}")))
        .filter(|p| p.exists())
        .collect();
    found.sort();
    found
}

fn which(cmd: &str) -> PathBuf {
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|p| p.join(cmd))
                .find(|p| p.exists())
        })
        .unwrap_or_else(|| PathBuf::from(cmd))
}

#[test]
fn every_installed_kubectl_version_applies_gets_and_patches() {
    let server = TestServer::start();
    let versions = kubectl_versions();
    assert!(
        versions.len() >= 7,
        "kubectl 1.27–1.33 are installed beside kubectl: {versions:?}"
    );
    for (i, kubectl) in versions.iter().enumerate() {
        let name = format!("web-{i}");
        let manifest = NGINX_DEPLOYMENT.replace("nginx-deployment", &name);
        let run = |args: &[&str], stdin: Option<&str>| {
            let mut cmd = std::process::Command::new(kubectl);
            cmd.args(args)
                .env("KUBECONFIG", &server.kubeconfig)
                .env("HOME", server.data_dir.parent().unwrap_or(&server.data_dir))
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            let mut child = cmd.spawn().expect("kubectl runs");
            if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
                use std::io::Write;
                pipe.write_all(input.as_bytes()).expect("stdin");
            }
            let out = child.wait_with_output().expect("kubectl output");
            assert!(
                out.status.success(),
                "{} {args:?}: {}",
                kubectl.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        assert_eq!(
            run(&["apply", "-f", "-"], Some(&manifest)).trim(),
            format!("deployment.apps/{name} created")
        );
        let updated = manifest.replace("nginx:1.14.2", "nginx:1.16.1");
        assert_eq!(
            run(&["apply", "-f", "-"], Some(&updated)).trim(),
            format!("deployment.apps/{name} configured")
        );
        let table = run(&["get", "deployment", &name], None);
        assert!(
            table.starts_with("NAME") && table.contains(&name),
            "{table}"
        );
        run(
            &["scale", &format!("deployment/{name}"), "--replicas=4"],
            None,
        );
        let json = run(&["get", "deployment", &name, "-o", "json"], None);
        let obj: Value = serde_json::from_str(&json).expect("json");
        assert_eq!(obj["spec"]["replicas"], 4, "{}", kubectl.display());
        assert_eq!(
            obj["spec"]["template"]["spec"]["containers"][0]["image"],
            "nginx:1.16.1"
        );
        assert_eq!(
            obj["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"],
            80
        );
        let explained = run(&["explain", "deployment.spec.replicas"], None);
        assert!(explained.contains("replicas"), "{explained}");
    }
}
