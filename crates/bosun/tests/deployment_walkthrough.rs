//! The Kubernetes "Deployments" concept page walkthrough with the real kubectl against
//! `bosun server --hollow-nodes 3`, asserting the lines upstream prints
//! (`../shared/reference/upstream-figures.md`) and the rollout invariants at every
//! observed watch event.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use common::{NGINX_DEPLOYMENT, TestServer, wait_until};
use serde_json::Value;

fn lines(out: &str) -> Vec<Vec<String>> {
    out.lines()
        .map(|l| l.split_whitespace().map(str::to_string).collect())
        .collect()
}

/// Every line `kubectl rollout status` printed is one of upstream's, and it ends with
/// success.
fn assert_rollout_status_lines(out: &str) {
    let all: Vec<&str> = out.lines().collect();
    assert_eq!(
        all.last().copied(),
        Some("deployment \"nginx-deployment\" successfully rolled out"),
        "{out}"
    );
    for line in &all[..all.len() - 1] {
        let rest = line
            .strip_prefix("Waiting for deployment \"nginx-deployment\" rollout to finish: ")
            .or_else(|| line.strip_prefix("Waiting for deployment spec update to be observed"));
        let Some(rest) = rest else {
            panic!("unexpected rollout status line {line:?} in:\n{out}");
        };
        assert!(
            rest.is_empty()
                || rest == "..."
                || rest.ends_with("new replicas have been updated...")
                || rest.ends_with("old replicas are pending termination...")
                || rest.ends_with("updated replicas are available..."),
            "unexpected rollout status line {line:?}"
        );
    }
}

fn history(server: &TestServer) -> Vec<(String, String)> {
    let out = server.ok(&["rollout", "history", "deployment/nginx-deployment"]);
    let mut rows: Vec<&str> = out.lines().collect();
    assert_eq!(
        rows.first().map(|l| l.trim_end()),
        Some("deployment.apps/nginx-deployment"),
        "{out}"
    );
    rows.remove(0);
    assert_eq!(
        rows.first()
            .map(|l| l.split_whitespace().collect::<Vec<_>>()),
        Some(vec!["REVISION", "CHANGE-CAUSE"])
    );
    rows.iter()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (rev, cause) = l
                .trim()
                .split_once(char::is_whitespace)
                .unwrap_or((l.trim(), ""));
            (rev.to_string(), cause.trim().to_string())
        })
        .collect()
}

/// Watches the rollout and checks upstream's rolling-update guarantees at every event:
/// the ReplicaSets' `spec.replicas` never sum to more than `replicas + maxSurge`, and
/// the Deployment never reports fewer than `replicas - maxUnavailable` available pods.
/// (Pod *counts* in status may briefly exceed the surge: terminating pods are not
/// counted until their ReplicaSet syncs again, as upstream documents.)
struct StatusWatch {
    children: Vec<std::process::Child>,
    violations: Arc<Mutex<Vec<String>>>,
    events: Arc<Mutex<usize>>,
    rs_events: Arc<Mutex<usize>>,
}

/// `kubectl get <what> -w -o json --output-watch-events`, each event handed to `on_event`.
fn watch_json(
    server: &TestServer,
    what: &[&str],
    mut on_event: impl FnMut(&Value) + Send + 'static,
) -> std::process::Child {
    let mut child = Command::new("kubectl")
        .args(["get"])
        .args(what)
        .args(["-w", "-o", "json", "--output-watch-events"])
        .env("KUBECONFIG", &server.kubeconfig)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("kubectl get -w");
    let stdout = child.stdout.take().expect("stdout");
    std::thread::spawn(move || {
        let mut buf = String::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            buf.push_str(&line);
            buf.push('\n');
            let Ok(event) = serde_json::from_str::<Value>(&buf) else {
                continue;
            };
            buf.clear();
            on_event(&event);
        }
    });
    child
}

impl StatusWatch {
    fn start(server: &TestServer, max_total: i64, min_available: i64) -> StatusWatch {
        let violations = Arc::new(Mutex::new(Vec::new()));
        let events = Arc::new(Mutex::new(0));
        let (v, e) = (violations.clone(), events.clone());
        let deployments = watch_json(server, &["deployment", "nginx-deployment"], move |event| {
            *e.lock().unwrap_or_else(|p| p.into_inner()) += 1;
            let d = &event["object"];
            let replicas = d["status"]["replicas"].as_i64().unwrap_or(0);
            let available = d["status"]["availableReplicas"].as_i64().unwrap_or(0);
            let observed = d["status"]["observedGeneration"].as_i64().unwrap_or(0);
            let generation = d["metadata"]["generation"].as_i64().unwrap_or(0);
            if observed == generation && replicas > 0 && available < min_available {
                v.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(format!("{available} available < {min_available}"));
            }
        });
        let v = violations.clone();
        let rs_events = Arc::new(Mutex::new(0));
        let r = rs_events.clone();
        let mut sizes: std::collections::BTreeMap<String, i64> = Default::default();
        let replica_sets = watch_json(server, &["rs", "-l", "app=nginx"], move |event| {
            *r.lock().unwrap_or_else(|p| p.into_inner()) += 1;
            let rs = &event["object"];
            let name = rs["metadata"]["name"].as_str().unwrap_or("").to_string();
            if event["type"] == "DELETED" {
                sizes.remove(&name);
            } else {
                sizes.insert(name, rs["spec"]["replicas"].as_i64().unwrap_or(0));
            }
            let total: i64 = sizes.values().sum();
            if total > max_total {
                v.lock().unwrap_or_else(|p| p.into_inner()).push(format!(
                    "ReplicaSets sized {sizes:?}: {total} > {max_total}"
                ));
            }
        });
        StatusWatch {
            children: vec![deployments, replica_sets],
            violations,
            events,
            rs_events,
        }
    }

    fn finish(mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        let events = *self.events.lock().unwrap_or_else(|p| p.into_inner());
        assert!(events >= 2, "the watch saw the rollout ({events} events)");
        let rs_events = *self.rs_events.lock().unwrap_or_else(|p| p.into_inner());
        assert!(
            rs_events >= 3,
            "the ReplicaSet watch saw the scaling ({rs_events} events)"
        );
        let violations = self
            .violations
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        assert!(
            violations.is_empty(),
            "rolling-update bounds broken: {violations:?}"
        );
    }
}

#[test]
fn deployments_concept_page_walkthrough() {
    let server = TestServer::start_with(&["--hollow-nodes", "3"]);
    wait_until("3 ready nodes", || {
        server
            .ok(&["get", "nodes", "--no-headers"])
            .lines()
            .filter(|l| l.split_whitespace().nth(1) == Some("Ready"))
            .count()
            == 3
    });

    assert_eq!(
        server
            .ok_stdin(&["apply", "-f", "-"], NGINX_DEPLOYMENT)
            .trim(),
        "deployment.apps/nginx-deployment created"
    );
    assert_rollout_status_lines(&server.ok(&["rollout", "status", "deployment/nginx-deployment"]));
    let deploy = lines(&server.ok(&["get", "deployments"]));
    assert_eq!(
        deploy[0],
        ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    );
    assert_eq!(deploy[1][..4], ["nginx-deployment", "3/3", "3", "3"]);
    let rs = lines(&server.ok(&["get", "rs"]));
    assert_eq!(rs[0], ["NAME", "DESIRED", "CURRENT", "READY", "AGE"]);
    assert_eq!(rs.len(), 2);
    let first_rs = rs[1][0].clone();
    let hash = first_rs
        .strip_prefix("nginx-deployment-")
        .expect("hash-suffixed name")
        .to_string();
    assert_eq!(rs[1][1..4], ["3", "3", "3"]);
    let pods = lines(&server.ok(&["get", "pods", "--show-labels"]));
    assert_eq!(
        pods[0],
        ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "LABELS"]
    );
    assert_eq!(pods.len(), 4);
    for pod in &pods[1..] {
        assert!(pod[0].starts_with(&format!("{first_rs}-")), "{pod:?}");
        assert_eq!(pod[1..4], ["1/1", "Running", "0"]);
        assert_eq!(pod[5], format!("app=nginx,pod-template-hash={hash}"));
    }
    let wide = server.ok(&["get", "pods", "-o", "wide", "--no-headers"]);
    let nodes: std::collections::BTreeSet<&str> = wide
        .lines()
        .filter_map(|l| l.split_whitespace().nth(6))
        .collect();
    assert_eq!(nodes.len(), 3, "spread over the three nodes:\n{wide}");

    // Rolling update: 3 replicas at 25%/25% → at most 4 pods, at least 3 available.
    let watch = StatusWatch::start(&server, 4, 3);
    assert_eq!(
        server
            .ok(&[
                "set",
                "image",
                "deployment/nginx-deployment",
                "nginx=nginx:1.16.1"
            ])
            .trim(),
        "deployment.apps/nginx-deployment image updated"
    );
    assert_rollout_status_lines(&server.ok(&["rollout", "status", "deployment/nginx-deployment"]));
    watch.finish();
    let rs = lines(&server.ok(&["get", "rs", "--sort-by=.metadata.creationTimestamp"]));
    assert_eq!(rs.len(), 3);
    assert_eq!(rs[1][..4], [first_rs.as_str(), "0", "0", "0"]);
    assert_eq!(rs[2][1..4], ["3", "3", "3"]);
    let described = server.ok(&["describe", "deployment", "nginx-deployment"]);
    for expected in [
        "Annotations:            deployment.kubernetes.io/revision: 2",
        "Replicas:               3 desired | 3 updated | 3 total | 3 available | 0 unavailable",
        "StrategyType:           RollingUpdate",
        "RollingUpdateStrategy:  25% max unavailable, 25% max surge",
        "Image:         nginx:1.16.1",
        "Available      True    MinimumReplicasAvailable",
        "Progressing    True    NewReplicaSetAvailable",
        &format!("OldReplicaSets:  {first_rs} (0/0 replicas created)"),
        &format!("Scaled up replica set {first_rs} from 0 to 3"),
        &format!("Scaled down replica set {first_rs} from 1 to 0"),
    ] {
        assert!(
            described.contains(expected),
            "missing {expected:?} in:\n{described}"
        );
    }

    assert_eq!(
        history(&server),
        [("1".into(), "<none>".into()), ("2".into(), "<none>".into())]
    );
    server.ok(&[
        "annotate",
        "deployment/nginx-deployment",
        "kubernetes.io/change-cause=image updated to 1.16.1",
    ]);
    assert_eq!(
        history(&server),
        [
            ("1".into(), "<none>".into()),
            ("2".into(), "image updated to 1.16.1".into())
        ]
    );
    let rev2 = server.ok(&[
        "rollout",
        "history",
        "deployment/nginx-deployment",
        "--revision=2",
    ]);
    assert!(
        rev2.starts_with("deployment.apps/nginx-deployment with revision #2"),
        "{rev2}"
    );
    assert!(
        rev2.contains("Image:\tnginx:1.16.1")
            && rev2.contains("kubernetes.io/change-cause: image updated to 1.16.1"),
        "{rev2}"
    );

    assert_eq!(
        server
            .ok(&["rollout", "undo", "deployment/nginx-deployment"])
            .trim(),
        "deployment.apps/nginx-deployment rolled back"
    );
    assert_rollout_status_lines(&server.ok(&["rollout", "status", "deployment/nginx-deployment"]));
    assert_eq!(
        history(&server),
        [
            ("2".into(), "image updated to 1.16.1".into()),
            ("3".into(), "<none>".into())
        ]
    );
    assert_eq!(
        server
            .ok(&[
                "rollout",
                "undo",
                "deployment/nginx-deployment",
                "--to-revision=2"
            ])
            .trim(),
        "deployment.apps/nginx-deployment rolled back"
    );
    assert_rollout_status_lines(&server.ok(&["rollout", "status", "deployment/nginx-deployment"]));
    assert_eq!(
        history(&server),
        [
            ("3".into(), "<none>".into()),
            ("4".into(), "image updated to 1.16.1".into())
        ]
    );
    let err = server.fails(&[
        "rollout",
        "undo",
        "deployment/nginx-deployment",
        "--to-revision=9",
    ]);
    assert!(
        err.contains("unable to find specified revision 9 in history"),
        "{err}"
    );

    assert_eq!(
        server
            .ok(&["scale", "deployment/nginx-deployment", "--replicas=10"])
            .trim(),
        "deployment.apps/nginx-deployment scaled"
    );
    assert_rollout_status_lines(&server.ok(&["rollout", "status", "deployment/nginx-deployment"]));
    assert_eq!(
        lines(&server.ok(&["get", "deploy"]))[1][..4],
        ["nginx-deployment", "10/10", "10", "10"]
    );

    // Paused: changes make no new revision until resumed, then one.
    assert_eq!(
        server
            .ok(&["rollout", "pause", "deployment/nginx-deployment"])
            .trim(),
        "deployment.apps/nginx-deployment paused"
    );
    server.ok(&[
        "set",
        "image",
        "deployment/nginx-deployment",
        "nginx=nginx:1.16.2",
    ]);
    assert_eq!(
        server
            .ok(&[
                "set",
                "resources",
                "deployment/nginx-deployment",
                "-c=nginx",
                "--limits=cpu=200m,memory=512Mi"
            ])
            .trim(),
        "deployment.apps/nginx-deployment resource requirements updated"
    );
    assert_eq!(history(&server).len(), 2);
    assert_eq!(
        lines(&server.ok(&["get", "rs", "--no-headers"])).len(),
        2,
        "no new ReplicaSet while paused"
    );
    let timed_out = server.kubectl(&[
        "rollout",
        "status",
        "deployment/nginx-deployment",
        "--timeout=3s",
    ]);
    assert!(!timed_out.status.success());
    assert!(
        String::from_utf8_lossy(&timed_out.stdout)
            .contains("0 out of 10 new replicas have been updated...")
    );
    assert!(
        String::from_utf8_lossy(&timed_out.stderr)
            .contains("error: timed out waiting for the condition")
    );
    let err = server.fails(&["rollout", "undo", "deployment/nginx-deployment"]);
    assert!(err.contains("you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again"), "{err}");
    let watch = StatusWatch::start(&server, 13, 8);
    assert_eq!(
        server
            .ok(&["rollout", "resume", "deployment/nginx-deployment"])
            .trim(),
        "deployment.apps/nginx-deployment resumed"
    );
    assert_rollout_status_lines(&server.ok(&["rollout", "status", "deployment/nginx-deployment"]));
    watch.finish();
    assert_eq!(lines(&server.ok(&["get", "rs", "--no-headers"])).len(), 3);
    assert_eq!(history(&server).len(), 3);

    assert_eq!(
        server
            .ok(&["rollout", "restart", "deployment/nginx-deployment"])
            .trim(),
        "deployment.apps/nginx-deployment restarted"
    );
    assert_rollout_status_lines(&server.ok(&["rollout", "status", "deployment/nginx-deployment"]));
    assert_eq!(history(&server).len(), 4);
}

#[test]
fn stuck_rollout_reports_progress_deadline_exceeded() {
    let server = TestServer::start_with(&["--hollow-nodes", "2"]);
    let manifest = NGINX_DEPLOYMENT.replace(
        "  replicas: 3\n",
        "  replicas: 3\n  progressDeadlineSeconds: 5\n",
    );
    server.ok_stdin(&["apply", "-f", "-"], &manifest);
    assert_rollout_status_lines(&server.ok(&["rollout", "status", "deployment/nginx-deployment"]));
    server.ok(&[
        "set",
        "image",
        "deployment/nginx-deployment",
        "nginx=nginx:1.161",
    ]);
    let out = server.kubectl(&[
        "rollout",
        "status",
        "deployment/nginx-deployment",
        "--timeout=60s",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("error: deployment \"nginx-deployment\" exceeded its progress deadline"),
        "{err}"
    );
    let described = server.ok(&["describe", "deployment", "nginx-deployment"]);
    assert!(
        described.contains("Progressing    False   ProgressDeadlineExceeded"),
        "{described}"
    );
    let pods = server.ok(&["get", "pods", "--no-headers"]);
    assert!(
        pods.contains("ErrImagePull") || pods.contains("ImagePullBackOff"),
        "{pods}"
    );
    // Old pods keep serving: 3 - maxUnavailable(0) available.
    assert_eq!(
        server.ok(&[
            "get",
            "deploy",
            "nginx-deployment",
            "-o",
            "jsonpath={.status.availableReplicas}"
        ]),
        "3"
    );
}
