//! Cascading deletion through the real kubectl: `--cascade=background|orphan|foreground`
//! carried out by the garbage collector inside `bosun server`.

mod common;

use common::{TestServer, wait_until};

const OWNER: &str = "apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: owner
spec:
  replicas: 0
  selector:
    matchLabels: {app: owner}
  template:
    metadata:
      labels: {app: owner}
    spec:
      containers: [{name: c, image: nginx}]
";

/// A pod that depends on `owner` without being controlled by it (so only the garbage
/// collector, not a ReplicaSet controller, acts on it).
fn dependent(name: &str, uid: &str) -> String {
    format!(
        "apiVersion: v1
kind: Pod
metadata:
  name: {name}
  labels: {{app: other}}
  ownerReferences:
  - {{apiVersion: apps/v1, kind: ReplicaSet, name: owner, uid: {uid}, blockOwnerDeletion: true}}
spec:
  containers: [{{name: c, image: nginx}}]
"
    )
}

fn exists(server: &TestServer, what: &str) -> bool {
    server.kubectl(&["get", what]).status.success()
}

fn setup(server: &TestServer) {
    server.ok_stdin(&["apply", "-f", "-"], OWNER);
    let uid = server.ok(&["get", "rs", "owner", "-o", "jsonpath={.metadata.uid}"]);
    server.ok_stdin(&["apply", "-f", "-"], &dependent("dep-a", &uid));
    server.ok_stdin(&["apply", "-f", "-"], &dependent("dep-b", &uid));
}

#[test]
fn background_orphan_and_foreground_cascades() {
    let server = TestServer::start();

    setup(&server);
    assert_eq!(
        server
            .ok(&["delete", "rs", "owner", "--cascade=background"])
            .trim(),
        "replicaset.apps \"owner\" deleted"
    );
    assert!(
        !exists(&server, "rs/owner"),
        "background: the owner goes at once"
    );
    wait_until("dependents collected", || {
        !exists(&server, "pod/dep-a") && !exists(&server, "pod/dep-b")
    });

    setup(&server);
    assert_eq!(
        server
            .ok(&["delete", "rs", "owner", "--cascade=orphan"])
            .trim(),
        "replicaset.apps \"owner\" deleted"
    );
    wait_until("owner gone", || !exists(&server, "rs/owner"));
    for pod in ["pod/dep-a", "pod/dep-b"] {
        assert!(exists(&server, pod), "orphan: {pod} keeps running");
        let refs = server.ok(&["get", pod, "-o", "jsonpath={.metadata.ownerReferences}"]);
        assert_eq!(refs, "", "orphan: the reference to the owner is removed");
    }
    server.ok(&["delete", "pods", "--all"]);

    setup(&server);
    // With --wait=false the owner is still there, marked, while its dependents go.
    server.ok(&[
        "delete",
        "rs",
        "owner",
        "--cascade=foreground",
        "--wait=false",
    ]);
    let finalizers = server.ok(&[
        "get",
        "rs",
        "owner",
        "-o",
        "jsonpath={.metadata.finalizers}",
        "--ignore-not-found",
    ]);
    assert!(
        finalizers.is_empty() || finalizers.contains("foregroundDeletion"),
        "{finalizers}"
    );
    wait_until("foreground: dependents and then the owner gone", || {
        !exists(&server, "pod/dep-a")
            && !exists(&server, "pod/dep-b")
            && !exists(&server, "rs/owner")
    });
}

#[test]
fn dependents_of_a_missing_owner_are_collected() {
    let server = TestServer::start();
    server.ok_stdin(
        &["apply", "-f", "-"],
        &dependent("stray", "00000000-0000-0000-0000-000000000000"),
    );
    wait_until("the stray pod collected", || !exists(&server, "pod/stray"));
}

/// As upstream's graph: a dependent whose owner the collector's cache shows alive (same
/// uid, not being deleted) is not looked up in the API; only a verdict that acts is
/// checked live. Counted on the API server's own request counter.
#[test]
fn dependents_of_a_live_owner_cost_no_lookup() {
    let server = TestServer::start();
    // One GET of the owner by kubectl, for its uid.
    setup(&server);
    // A dependent of an owner that never existed is looked up (404) and collected; the
    // collector's queue is first in, first out, so dep-a and dep-b were seen before.
    let ghost = dependent("ghost-dep", "00000000-0000-0000-0000-000000000000")
        .replace("name: owner,", "name: ghost,");
    server.ok_stdin(&["apply", "-f", "-"], &ghost);
    wait_until("the ghost's dependent collected", || {
        !exists(&server, "pod/ghost-dep")
    });
    let metrics = server.ok(&["get", "--raw", "/metrics"]);
    let gets = |code: &str| -> u64 {
        let series = format!(
            "apiserver_request_total{{verb=\"GET\",resource=\"replicasets\",subresource=\"\",code=\"{code}\"}} "
        );
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(series.as_str()))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    };
    assert_eq!(gets("200"), 1, "only kubectl's GET of the live owner");
    assert!(gets("404") >= 1, "the missing owner was looked up");
    assert!(exists(&server, "pod/dep-a") && exists(&server, "pod/dep-b"));
}
