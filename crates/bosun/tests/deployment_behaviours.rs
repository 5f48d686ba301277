//! Deployment behaviours beyond the walkthrough, with the real kubectl against
//! `bosun server --hollow-nodes`: proportional scaling of a stuck rollout (the docs'
//! 10 → 15 example), Recreate, revisionHistoryLimit cleanup, cascading deletes.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{TestServer, wait_until};
use serde_json::Value;

fn deployment(name: &str, replicas: u32, strategy: &str) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  replicas: {replicas}
{strategy}  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
      - name: nginx
        image: nginx:1.14.2
"
    )
}

/// `(image, spec.replicas)` of each ReplicaSet of the Deployment, sorted by image.
fn replica_sets(server: &TestServer, app: &str) -> Vec<(String, i64)> {
    let out = server.ok(&["get", "rs", "-l", &format!("app={app}"), "-o", "json"]);
    let list: Value = serde_json::from_str(&out).expect("json");
    let mut rs: Vec<(String, i64)> = list["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|i| {
                    (
                        i["spec"]["template"]["spec"]["containers"][0]["image"]
                            .as_str()
                            .unwrap_or("")
                            .to_string(),
                        i["spec"]["replicas"].as_i64().unwrap_or(-1),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    rs.sort();
    rs
}

#[test]
fn proportional_scaling_of_a_stuck_rollout_matches_the_docs() {
    let server = TestServer::start_with(&["--hollow-nodes", "3"]);
    let strategy = "  strategy:\n    rollingUpdate: {maxSurge: 3, maxUnavailable: 2}\n";
    server.ok_stdin(
        &["apply", "-f", "-"],
        &deployment("nginx-deployment", 10, strategy),
    );
    server.ok(&[
        "rollout",
        "status",
        "deployment/nginx-deployment",
        "--timeout=60s",
    ]);
    // A rollout to an image that cannot be pulled gets stuck at old 8 / new 5.
    server.ok(&[
        "set",
        "image",
        "deployment/nginx-deployment",
        "nginx=nginx:sometag-missing",
    ]);
    wait_until("stuck at 8 + 5", || {
        replica_sets(&server, "nginx-deployment")
            == [
                ("nginx:1.14.2".to_string(), 8),
                ("nginx:sometag-missing".to_string(), 5),
            ]
    });
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        replica_sets(&server, "nginx-deployment"),
        [
            ("nginx:1.14.2".to_string(), 8),
            ("nginx:sometag-missing".to_string(), 5)
        ],
        "the rollout stays stuck"
    );
    // Scaling to 15 spreads the 5 extra replicas proportionally: 3 to old, 2 to new.
    server.ok(&["scale", "deployment/nginx-deployment", "--replicas=15"]);
    wait_until("old 11, new 7", || {
        replica_sets(&server, "nginx-deployment")
            == [
                ("nginx:1.14.2".to_string(), 11),
                ("nginx:sometag-missing".to_string(), 7),
            ]
    });
}

#[test]
fn recreate_stops_old_pods_before_starting_new_ones() {
    let server = TestServer::start_with(&["--hollow-nodes", "2"]);
    server.ok_stdin(
        &["apply", "-f", "-"],
        &deployment("recreate", 3, "  strategy: {type: Recreate}\n"),
    );
    server.ok(&["rollout", "status", "deployment/recreate", "--timeout=60s"]);

    // Watch every pod event: when a new-template pod first appears, no old-template pod
    // may still be running.
    let mut watch = Command::new("kubectl")
        .args([
            "get",
            "pods",
            "-l",
            "app=recreate",
            "-w",
            "-o",
            "json",
            "--output-watch-events",
        ])
        .env("KUBECONFIG", &server.kubeconfig)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("kubectl get -w");
    let stdout = watch.stdout.take().expect("stdout");
    let violations = Arc::new(Mutex::new(Vec::<String>::new()));
    let new_seen = Arc::new(Mutex::new(0usize));
    let (v, n) = (violations.clone(), new_seen.clone());
    std::thread::spawn(move || {
        let mut live: std::collections::BTreeMap<String, (String, String)> = Default::default();
        let mut buf = String::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            buf.push_str(&line);
            let Ok(event) = serde_json::from_str::<Value>(&buf) else {
                continue;
            };
            buf.clear();
            let pod = &event["object"];
            let name = pod["metadata"]["name"].as_str().unwrap_or("").to_string();
            let image = pod["spec"]["containers"][0]["image"]
                .as_str()
                .unwrap_or("")
                .to_string();
            let phase = pod["status"]["phase"].as_str().unwrap_or("").to_string();
            if event["type"] == "DELETED" {
                live.remove(&name);
                continue;
            }
            if image == "nginx:1.16.1" && !live.contains_key(&name) {
                *n.lock().unwrap_or_else(|p| p.into_inner()) += 1;
                for (old, (old_image, old_phase)) in &live {
                    if old_image == "nginx:1.14.2"
                        && old_phase != "Succeeded"
                        && old_phase != "Failed"
                    {
                        v.lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push(format!("{name} started while {old} was {old_phase}"));
                    }
                }
            }
            live.insert(name, (image, phase));
        }
    });
    std::thread::sleep(Duration::from_millis(500));
    server.ok(&["set", "image", "deployment/recreate", "nginx=nginx:1.16.1"]);
    server.ok(&["rollout", "status", "deployment/recreate", "--timeout=60s"]);
    std::thread::sleep(Duration::from_millis(500));
    let _ = watch.kill();
    let _ = watch.wait();
    assert_eq!(
        *new_seen.lock().unwrap_or_else(|p| p.into_inner()),
        3,
        "the watch saw the new pods"
    );
    let violations = violations.lock().unwrap_or_else(|p| p.into_inner()).clone();
    assert!(violations.is_empty(), "{violations:?}");
    let described = server.ok(&["describe", "deployment", "recreate"]);
    assert!(
        described
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["StrategyType:", "Recreate"]),
        "{described}"
    );
}

#[test]
fn revision_history_limit_cleans_up_old_replica_sets() {
    let server = TestServer::start_with(&["--hollow-nodes", "1"]);
    let manifest = deployment("limited", 1, "  revisionHistoryLimit: 1\n");
    server.ok_stdin(&["apply", "-f", "-"], &manifest);
    server.ok(&["rollout", "status", "deployment/limited", "--timeout=60s"]);
    for tag in ["1.15", "1.16", "1.17"] {
        server.ok(&[
            "set",
            "image",
            "deployment/limited",
            &format!("nginx=nginx:{tag}"),
        ]);
        server.ok(&["rollout", "status", "deployment/limited", "--timeout=60s"]);
    }
    wait_until("only the new and one old ReplicaSet left", || {
        replica_sets(&server, "limited").len() == 2
    });
    assert_eq!(
        replica_sets(&server, "limited"),
        [("nginx:1.16".to_string(), 0), ("nginx:1.17".to_string(), 1)]
    );
    let history = server.ok(&["rollout", "history", "deployment/limited"]);
    let revisions: Vec<&str> = history
        .lines()
        .skip(2)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(revisions, ["3", "4"], "{history}");
}

#[test]
fn deleting_a_deployment_cascades_in_all_three_ways() {
    let server = TestServer::start_with(&["--hollow-nodes", "1"]);
    let count = |what: &str, app: &str| {
        server
            .ok(&["get", what, "-l", &format!("app={app}"), "-o", "name"])
            .lines()
            .count()
    };

    server.ok_stdin(&["apply", "-f", "-"], &deployment("bg", 2, ""));
    server.ok(&["rollout", "status", "deployment/bg", "--timeout=60s"]);
    server.ok(&["delete", "deployment", "bg", "--cascade=background"]);
    wait_until("background: ReplicaSet and pods collected", || {
        count("rs", "bg") == 0 && count("pods", "bg") == 0
    });

    server.ok_stdin(&["apply", "-f", "-"], &deployment("orphaned", 2, ""));
    server.ok(&["rollout", "status", "deployment/orphaned", "--timeout=60s"]);
    server.ok(&["delete", "deployment", "orphaned", "--cascade=orphan"]);
    wait_until("deployment gone", || {
        !server
            .kubectl(&["get", "deployment", "orphaned"])
            .status
            .success()
    });
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(count("rs", "orphaned"), 1, "orphan: the ReplicaSet stays");
    assert_eq!(
        count("pods", "orphaned"),
        2,
        "orphan: its pods keep running"
    );
    let refs = server.ok(&[
        "get",
        "rs",
        "-l",
        "app=orphaned",
        "-o",
        "jsonpath={.items[0].metadata.ownerReferences}",
    ]);
    assert_eq!(refs, "", "orphan: the ReplicaSet lost its owner reference");

    server.ok_stdin(&["apply", "-f", "-"], &deployment("fg", 2, ""));
    server.ok(&["rollout", "status", "deployment/fg", "--timeout=60s"]);
    server.ok(&[
        "delete",
        "deployment",
        "fg",
        "--cascade=foreground",
        "--wait=false",
    ]);
    let finalizers = server.ok(&[
        "get",
        "deployment",
        "fg",
        "-o",
        "jsonpath={.metadata.finalizers}",
        "--ignore-not-found",
    ]);
    assert!(
        finalizers.is_empty() || finalizers.contains("foregroundDeletion"),
        "{finalizers}"
    );
    wait_until("foreground: everything gone", || {
        count("pods", "fg") == 0
            && count("rs", "fg") == 0
            && !server
                .kubectl(&["get", "deployment", "fg"])
                .status
                .success()
    });
}
