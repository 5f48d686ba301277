//! ResourceQuota admission and usage through the real kubectl.

mod common;

use std::time::{Duration, Instant};

use common::TestServer;

fn pod(name: &str, cpu: &str) -> String {
    format!(
        "apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  containers:
  - name: app
    image: nginx:1.25
    resources:
      requests:
        cpu: {cpu}
        memory: 64Mi
      limits:
        memory: 64Mi
"
    )
}

const QUOTA: &str = "apiVersion: v1
kind: ResourceQuota
metadata:
  name: compute
spec:
  hard:
    pods: \"2\"
    requests.cpu: \"1\"
    limits.memory: 1Gi
    count/configmaps: \"2\"
";

fn used(server: &TestServer, resource: &str) -> String {
    server.ok(&[
        "get",
        "resourcequota",
        "compute",
        "-o",
        &format!("jsonpath={{.status.used.{}}}", resource.replace('.', "\\.")),
    ])
}

fn wait_for_used(server: &TestServer, resource: &str, want: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let got = used(server, resource);
        if got == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{resource} used stayed {got:?}, wanted {want:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn quota_refuses_what_exceeds_it_and_tracks_usage() {
    let server = TestServer::start();
    server.ok_stdin(&["apply", "-f", "-"], QUOTA);
    // The root CA config map already counts against count/configmaps.
    wait_for_used(&server, "count/configmaps", "1");
    wait_for_used(&server, "pods", "0");

    server.ok_stdin(&["apply", "-f", "-"], &pod("p1", "400m"));
    server.ok_stdin(&["apply", "-f", "-"], &pod("p2", "400m"));
    assert_eq!(used(&server, "pods"), "2");
    assert_eq!(used(&server, "requests.cpu"), "800m");
    assert_eq!(used(&server, "limits.memory"), "128Mi");

    let out = server.kubectl_with_stdin(&["apply", "-f", "-"], Some(&pod("p3", "100m")));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("pods \"p3\" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=2, limited: pods=2"),
        "{err}"
    );

    let no_requests = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: bare\nspec:\n  containers:\n  - name: app\n    image: nginx\n";
    let out = server.kubectl_with_stdin(&["apply", "-f", "-"], Some(no_requests));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("pods \"bare\" is forbidden: failed quota: compute: must specify limits.memory for: app; requests.cpu for: app"), "{err}");

    server.ok(&["delete", "pod", "p1"]);
    wait_for_used(&server, "pods", "1");
    assert_eq!(used(&server, "requests.cpu"), "400m");
    let out = server.kubectl_with_stdin(&["apply", "-f", "-"], Some(&pod("p4", "700m")));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("exceeded quota: compute, requested: requests.cpu=700m, used: requests.cpu=400m, limited: requests.cpu=1"),
        "{err}"
    );
    server.ok_stdin(&["apply", "-f", "-"], &pod("p4", "600m"));
    assert_eq!(used(&server, "requests.cpu"), "1");

    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c1\n";
    server.ok_stdin(&["apply", "-f", "-"], cm);
    let out = server.kubectl_with_stdin(&["apply", "-f", "-"], Some(&cm.replace("c1", "c2")));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("configmaps \"c2\" is forbidden: exceeded quota: compute, requested: count/configmaps=1, used: count/configmaps=2, limited: count/configmaps=2"), "{err}");

    let table = server.ok(&["get", "resourcequota"]);
    let header: Vec<&str> = table
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    assert_eq!(header, ["NAME", "REQUEST", "LIMIT", "AGE"]);
}
