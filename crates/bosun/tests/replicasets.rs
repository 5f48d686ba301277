//! ReplicaSet and ReplicationController controllers through the real kubectl: pod
//! creation, naming and ownership, scale down, adoption of orphans, release of pods that
//! stop matching, and SuccessfulCreate/SuccessfulDelete events.

mod common;

use std::time::Duration;

use common::{TestServer, wait_until};

fn pod_names(server: &TestServer, selector: &str) -> Vec<String> {
    let out = server.ok(&[
        "get",
        "pods",
        "-l",
        selector,
        "-o",
        "jsonpath={.items[*].metadata.name}",
    ]);
    out.split_whitespace().map(str::to_string).collect()
}

const RS: &str = "apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: frontend
spec:
  replicas: 3
  selector:
    matchLabels: {tier: frontend}
  template:
    metadata:
      labels: {tier: frontend}
    spec:
      containers: [{name: php, image: php:8}]
";

#[test]
fn replicaset_creates_scales_adopts_and_releases() {
    let server = TestServer::start();
    // An orphan that matches is adopted instead of creating a third pod.
    server.ok_stdin(
        &["apply", "-f", "-"],
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: stray\n  labels: {tier: frontend}\nspec:\n  containers: [{name: php, image: php:8}]\n",
    );
    server.ok_stdin(&["apply", "-f", "-"], RS);
    wait_until("3 pods", || pod_names(&server, "tier=frontend").len() == 3);
    std::thread::sleep(Duration::from_millis(500));
    let names = pod_names(&server, "tier=frontend");
    assert_eq!(names.len(), 3, "no extra pod: {names:?}");
    assert!(
        names.contains(&"stray".to_string()),
        "the orphan was adopted: {names:?}"
    );
    for name in names.iter().filter(|n| *n != "stray") {
        assert!(
            name.starts_with("frontend-") && name.len() == "frontend-".len() + 5,
            "{name}"
        );
    }
    let owner = server.ok(&["get", "pod", "stray", "-o", "jsonpath={.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}/{.metadata.ownerReferences[0].controller}"]);
    assert_eq!(owner, "ReplicaSet/frontend/true");
    let rs = server.ok(&["get", "rs", "frontend", "--no-headers"]);
    assert_eq!(
        rs.split_whitespace().take(3).collect::<Vec<_>>(),
        ["frontend", "3", "3"]
    );

    // A pod relabelled out of the selector is released and replaced.
    server.ok(&["label", "pod", "stray", "tier=debug", "--overwrite"]);
    wait_until("release and replacement", || {
        pod_names(&server, "tier=frontend").len() == 3
            && server
                .ok(&[
                    "get",
                    "pod",
                    "stray",
                    "-o",
                    "jsonpath={.metadata.ownerReferences}",
                ])
                .is_empty()
    });

    server.ok(&["scale", "rs", "frontend", "--replicas=1"]);
    wait_until("scaled down to 1", || {
        pod_names(&server, "tier=frontend").len() == 1
    });
    let events = server.ok(&[
        "get",
        "events",
        "--field-selector",
        "involvedObject.name=frontend",
        "-o",
        "jsonpath={range .items[*]}{.reason}:{.message}{\"\\n\"}{end}",
    ]);
    assert!(
        events
            .lines()
            .any(|l| l.starts_with("SuccessfulCreate:Created pod: frontend-")),
        "{events}"
    );
    assert!(
        events
            .lines()
            .any(|l| l.starts_with("SuccessfulDelete:Deleted pod: ")),
        "{events}"
    );
    let status = server.ok(&[
        "get",
        "rs",
        "frontend",
        "-o",
        "jsonpath={.status.replicas} {.status.fullyLabeledReplicas} {.status.observedGeneration}",
    ]);
    wait_until("status settles", || {
        server.ok(&["get", "rs", "frontend", "-o", "jsonpath={.status.replicas}"]) == "1"
    });
    assert!(!status.is_empty());

    server.ok(&["delete", "rs", "frontend"]);
    wait_until("pods collected with their ReplicaSet", || {
        pod_names(&server, "tier=frontend").is_empty()
    });
    assert_eq!(
        pod_names(&server, "tier=debug"),
        ["stray"],
        "the released pod stays"
    );
}

#[test]
fn replication_controller_runs_through_the_same_controller() {
    let server = TestServer::start();
    let rc = "apiVersion: v1
kind: ReplicationController
metadata:
  name: legacy
spec:
  replicas: 2
  selector: {app: legacy}
  template:
    metadata:
      labels: {app: legacy}
    spec:
      containers: [{name: c, image: nginx}]
";
    server.ok_stdin(&["apply", "-f", "-"], rc);
    wait_until("2 pods", || pod_names(&server, "app=legacy").len() == 2);
    let kinds = server.ok(&[
        "get",
        "pods",
        "-l",
        "app=legacy",
        "-o",
        "jsonpath={.items[*].metadata.ownerReferences[0].kind}",
    ]);
    assert_eq!(kinds, "ReplicationController ReplicationController");
    assert_eq!(
        server.ok(&["scale", "rc", "legacy", "--replicas=1"]).trim(),
        "replicationcontroller/legacy scaled"
    );
    wait_until("1 pod", || pod_names(&server, "app=legacy").len() == 1);
    wait_until("status replicas 1", || {
        server.ok(&["get", "rc", "legacy", "-o", "jsonpath={.status.replicas}"]) == "1"
    });
    server.ok(&["delete", "rc", "legacy"]);
    wait_until("pods collected", || {
        pod_names(&server, "app=legacy").is_empty()
    });
}

#[test]
fn create_errors_show_as_replica_failure_and_failed_create_events() {
    let server = TestServer::start();
    server.ok_stdin(
        &["apply", "-f", "-"],
        "apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: two-pods\nspec:\n  hard: {pods: \"2\"}\n",
    );
    server.ok_stdin(&["apply", "-f", "-"], RS);
    wait_until("ReplicaFailure condition", || {
        server.ok(&[
            "get",
            "rs",
            "frontend",
            "-o",
            "jsonpath={.status.conditions[?(@.type==\"ReplicaFailure\")].reason}",
        ]) == "FailedCreate"
    });
    let message = server.ok(&[
        "get",
        "rs",
        "frontend",
        "-o",
        "jsonpath={.status.conditions[?(@.type==\"ReplicaFailure\")].message}",
    ]);
    assert!(
        message
            .contains("exceeded quota: two-pods, requested: pods=1, used: pods=2, limited: pods=2"),
        "{message}"
    );
    assert_eq!(pod_names(&server, "tier=frontend").len(), 2);
    let events = server.ok(&[
        "get",
        "events",
        "--field-selector",
        "reason=FailedCreate",
        "-o",
        "jsonpath={.items[*].message}",
    ]);
    assert!(
        events.contains("Error creating: pods \"frontend-")
            && events.contains("is forbidden: exceeded quota"),
        "{events}"
    );
    // Raising the quota lets the third pod in and clears the condition.
    server.ok(&[
        "patch",
        "quota",
        "two-pods",
        "--type=merge",
        "-p",
        r#"{"spec":{"hard":{"pods":"5"}}}"#,
    ]);
    wait_until("third pod and condition cleared", || {
        pod_names(&server, "tier=frontend").len() == 3
            && server
                .ok(&[
                    "get",
                    "rs",
                    "frontend",
                    "-o",
                    "jsonpath={.status.conditions}",
                ])
                .is_empty()
    });
}

/// client-go's event correlator, as upstream's controllers record: after 9 distinct
/// `Created pod` messages the rest go to one `(combined from similar events)` Event whose
/// count rises, and an object gets 25 writes in a burst; the 15 events beyond it are
/// counted but not written.
#[test]
fn forty_creations_make_ten_events_with_the_combined_one_counted() {
    let server = TestServer::start();
    let rs = RS
        .replace("name: frontend", "name: big")
        .replace("replicas: 3", "replicas: 40");
    assert!(rs.contains("replicas: 40"), "{rs}");
    server.ok_stdin(&["apply", "-f", "-"], &rs);
    let events = || {
        server.ok(&[
            "get",
            "events",
            "--field-selector",
            "involvedObject.name=big",
            "-o",
            "jsonpath={range .items[*]}{.count} {.reason}:{.message}{\"\\n\"}{end}",
        ])
    };
    wait_until("the combined event counts 16", || {
        events().lines().any(|l| {
            l.starts_with("16 SuccessfulCreate:(combined from similar events): Created pod: big-")
        })
    });
    let all = events();
    let single: Vec<&str> = all
        .lines()
        .filter(|l| l.starts_with("1 SuccessfulCreate:Created pod: big-"))
        .collect();
    assert_eq!(single.len(), 9, "{all}");
    assert_eq!(all.lines().count(), 10, "{all}");
    let described = server.ok(&["describe", "rs", "big"]);
    assert!(
        described.contains("(x16 over") && described.contains("(combined from similar events)"),
        "{described}"
    );
}
