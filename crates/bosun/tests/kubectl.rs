//! The real kubectl against the real `bosun server`: the Deployment walkthrough's API
//! side (no controllers yet, so replicas are checked in `spec`).

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{NGINX_DEPLOYMENT, TestServer};

fn jsonpath(server: &TestServer, what: &str, path: &str) -> String {
    server.ok(&["get", what, "-o", &format!("jsonpath={path}")])
}

#[test]
fn apply_creates_then_three_way_merges_an_edit() {
    let server = TestServer::start();
    let out = server.ok_stdin(&["apply", "-f", "-"], NGINX_DEPLOYMENT);
    assert_eq!(out.trim(), "deployment.apps/nginx-deployment created");
    assert_eq!(
        jsonpath(
            &server,
            "deployment/nginx-deployment",
            "{.spec.strategy.type} {.spec.strategy.rollingUpdate.maxSurge} {.spec.revisionHistoryLimit} {.spec.progressDeadlineSeconds} {.metadata.generation}"
        ),
        "RollingUpdate 25% 10 600 1",
        "upstream defaults filled in"
    );

    // Someone else adds an env var and a label out of band: apply must keep those.
    server.ok(&["label", "deployment/nginx-deployment", "team=web"]);
    server.ok(&[
        "patch",
        "deployment/nginx-deployment",
        "--type=strategic",
        "-p",
        r#"{"spec":{"template":{"spec":{"containers":[{"name":"nginx","env":[{"name":"FROM_PATCH","value":"1"}]}]}}}}"#,
    ]);

    // The edited manifest: new image, the port removed, a second container added.
    let edited = NGINX_DEPLOYMENT
        .replace("nginx:1.14.2", "nginx:1.16.1")
        .replace(
            "        ports:\n        - containerPort: 80\n",
            "      - name: sidecar\n        image: busybox:1.36\n",
        );
    let out = server.ok_stdin(&["apply", "-f", "-"], &edited);
    assert_eq!(out.trim(), "deployment.apps/nginx-deployment configured");
    assert_eq!(
        jsonpath(
            &server,
            "deployment/nginx-deployment",
            "{range .spec.template.spec.containers[*]}{.name}={.image};{end}"
        ),
        "nginx=nginx:1.16.1;sidecar=busybox:1.36;"
    );
    assert_eq!(
        jsonpath(
            &server,
            "deployment/nginx-deployment",
            "{.spec.template.spec.containers[0].ports}"
        ),
        "",
        "the port dropped from the manifest is removed"
    );
    assert_eq!(
        jsonpath(
            &server,
            "deployment/nginx-deployment",
            "{.spec.template.spec.containers[0].env[0].name} {.metadata.labels.team} {.metadata.generation}"
        ),
        "FROM_PATCH web 3",
        "fields not managed by apply survive; generation counts spec changes"
    );
    let out = server.ok_stdin(&["apply", "-f", "-"], &edited);
    assert_eq!(out.trim(), "deployment.apps/nginx-deployment unchanged");
}

#[test]
fn get_prints_upstream_tables_and_filters() {
    let server = TestServer::start();
    server.ok_stdin(&["apply", "-f", "-"], NGINX_DEPLOYMENT);
    server.ok(&[
        "create",
        "deployment",
        "other",
        "--image=busybox:1.36",
        "--replicas=2",
    ]);

    let out = server.ok(&["get", "deployments"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(header, ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]);
    let row: Vec<&str> = lines[1].split_whitespace().collect();
    // No nodes run the pods, so none is ready; the controller has created them all.
    assert_eq!(&row[..4], ["nginx-deployment", "0/3", "3", "0"]);

    let wide = server.ok(&["get", "deployments", "-o", "wide"]);
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
            "UP-TO-DATE",
            "AVAILABLE",
            "AGE",
            "CONTAINERS",
            "IMAGES",
            "SELECTOR"
        ]
    );
    assert!(
        wide.contains("nginx:1.14.2") && wide.contains("app=nginx"),
        "{wide}"
    );

    let by_label = server.ok(&["get", "deployments", "-l", "app=nginx", "-o", "name"]);
    assert_eq!(by_label.trim(), "deployment.apps/nginx-deployment");
    let by_set = server.ok(&[
        "get",
        "deployments",
        "-l",
        "app in (nginx,foo)",
        "-o",
        "name",
    ]);
    assert_eq!(by_set.trim(), "deployment.apps/nginx-deployment");
    // A relabelled object leaves the old selection and joins the new one: the server's
    // per-object label cache answers only for the version it was read from.
    let relabel = |app: &str| {
        let label = format!("app={app}");
        server.ok(&[
            "label",
            "deployment",
            "nginx-deployment",
            &label,
            "--overwrite",
        ]);
    };
    let selected = |selector: &str| {
        let names = server.ok(&["get", "deployments", "-l", selector, "-o", "name"]);
        names.trim().to_string()
    };
    relabel("moved");
    assert_eq!(selected("app=nginx"), "");
    assert_eq!(selected("app=moved"), "deployment.apps/nginx-deployment");
    relabel("nginx");
    assert_eq!(selected("app=nginx"), "deployment.apps/nginx-deployment");
    let by_field = server.ok(&[
        "get",
        "deployments",
        "--field-selector",
        "metadata.name=other",
        "-o",
        "name",
    ]);
    assert_eq!(by_field.trim(), "deployment.apps/other");
    let none = server.ok(&[
        "get",
        "deployments",
        "--field-selector",
        "metadata.name!=other,metadata.name!=nginx-deployment",
    ]);
    assert_eq!(none.trim(), "");

    let err = server.fails(&["get", "deployments", "-l", "app in (nginx"]);
    assert!(err.contains("unable to parse requirement"), "{err}");
    let err = server.fails(&["get", "pods", "--field-selector", "spec.color=red"]);
    assert!(
        err.contains("field label not supported: spec.color"),
        "{err}"
    );

    let yaml = server.ok(&["get", "deployment", "nginx-deployment", "-o", "yaml"]);
    assert!(
        yaml.contains("kind: Deployment")
            && yaml.contains("resourceVersion:")
            && yaml.contains("uid:"),
        "{yaml}"
    );

    let ns = server.ok(&["get", "namespaces"]);
    for name in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        assert!(
            ns.lines()
                .any(|l| l.starts_with(name) && l.contains("Active")),
            "{ns}"
        );
    }
    let empty = server.kubectl(&["get", "pods", "-n", "kube-public"]);
    assert!(
        String::from_utf8_lossy(&empty.stderr)
            .contains("No resources found in kube-public namespace.")
    );
}

#[test]
fn get_watch_sees_a_change() {
    let server = TestServer::start();
    server.ok_stdin(&["apply", "-f", "-"], NGINX_DEPLOYMENT);
    let mut watcher = Command::new("kubectl")
        .args([
            "get",
            "deployment",
            "nginx-deployment",
            "-w",
            "--output-watch-events",
            "-o",
            "custom-columns=EVENT:.type,NAME:.object.metadata.name,REPLICAS:.object.spec.replicas",
        ])
        .env("KUBECONFIG", &server.kubeconfig)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("kubectl get -w");
    let stdout = watcher.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let first = rx.recv_timeout(Duration::from_secs(10)).expect("header");
    assert!(first.starts_with("EVENT"), "{first}");
    let added = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("initial event");
    assert_eq!(
        added.split_whitespace().collect::<Vec<_>>(),
        ["ADDED", "nginx-deployment", "3"]
    );
    server.ok(&["scale", "deployment/nginx-deployment", "--replicas=5"]);
    let modified = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("change seen");
    assert_eq!(
        modified.split_whitespace().collect::<Vec<_>>(),
        ["MODIFIED", "nginx-deployment", "5"]
    );
    let _ = watcher.kill();
    let _ = watcher.wait();
}

#[test]
fn describe_replace_patch_label_annotate_scale_delete() {
    let server = TestServer::start();
    server.ok_stdin(&["apply", "-f", "-"], NGINX_DEPLOYMENT);

    let described = server.ok(&["describe", "deployment", "nginx-deployment"]);
    for expected in [
        "Name:                   nginx-deployment",
        "Namespace:              default",
        "Selector:               app=nginx",
        "StrategyType:           RollingUpdate",
        "RollingUpdateStrategy:  25% max unavailable, 25% max surge",
        "Image:         nginx:1.14.2",
    ] {
        assert!(
            described.contains(expected),
            "missing {expected:?} in:\n{described}"
        );
    }

    // edit-style replace: read, change, write back with the resourceVersion read.
    let json = server.ok(&["get", "deployment", "nginx-deployment", "-o", "json"]);
    let mut obj: serde_json::Value = serde_json::from_str(&json).expect("json");
    obj["spec"]["minReadySeconds"] = serde_json::json!(5);
    let out = server.ok_stdin(&["replace", "-f", "-"], &obj.to_string());
    assert_eq!(out.trim(), "deployment.apps/nginx-deployment replaced");
    // Writing back the same stale copy now conflicts.
    let out = server.kubectl_with_stdin(&["replace", "-f", "-"], Some(&obj.to_string()));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Operation cannot be fulfilled on deployments.apps \"nginx-deployment\": the object has been modified; please apply your changes to the latest version and try again"),
        "{err}"
    );

    server.ok(&[
        "patch",
        "deployment",
        "nginx-deployment",
        "--type=merge",
        "-p",
        r#"{"spec":{"paused":true}}"#,
    ]);
    server.ok(&["patch", "deployment", "nginx-deployment", "--type=json", "-p", r#"[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"nginx:1.16.1"}]"#]);
    server.ok(&["patch", "deployment", "nginx-deployment", "-p", r#"{"spec":{"template":{"spec":{"containers":[{"name":"nginx","ports":[{"containerPort":8080}]}]}}}}"#]);
    assert_eq!(
        jsonpath(
            &server,
            "deployment/nginx-deployment",
            "{.spec.paused} {.spec.minReadySeconds} {.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].ports[*].containerPort}"
        ),
        "true 5 nginx:1.16.1 8080 80",
        "strategic merge adds the port by containerPort, keeping the old one"
    );
    let err = server.fails(&[
        "patch",
        "deployment",
        "nginx-deployment",
        "--type=json",
        "-p",
        r#"[{"op":"replace","path":"/spec/nope/x","value":1}]"#,
    ]);
    assert!(
        err.contains(
            "The request is invalid: the server rejected our request due to an error in our request"
        ),
        "{err}"
    );

    assert_eq!(
        server
            .ok(&["label", "deployment/nginx-deployment", "tier=frontend"])
            .trim(),
        "deployment.apps/nginx-deployment labeled"
    );
    assert_eq!(
        server
            .ok(&["annotate", "deployment/nginx-deployment", "owner=team-a"])
            .trim(),
        "deployment.apps/nginx-deployment annotated"
    );
    let err = server.fails(&["label", "deployment/nginx-deployment", "tier=backend"]);
    assert!(err.contains("already has a value (frontend)"), "{err}");
    assert_eq!(
        server
            .ok(&["label", "deployment/nginx-deployment", "tier-"])
            .trim(),
        "deployment.apps/nginx-deployment unlabeled"
    );
    assert_eq!(
        jsonpath(&server, "deployment/nginx-deployment", "{.metadata.labels}"),
        r#"{"app":"nginx"}"#
    );
    assert_eq!(
        jsonpath(
            &server,
            "deployment/nginx-deployment",
            "{.metadata.annotations.owner}"
        ),
        "team-a"
    );

    assert_eq!(
        server
            .ok(&["scale", "deployment/nginx-deployment", "--replicas=7"])
            .trim(),
        "deployment.apps/nginx-deployment scaled"
    );
    assert_eq!(
        jsonpath(&server, "deployment/nginx-deployment", "{.spec.replicas}"),
        "7"
    );
    let err = server.fails(&[
        "scale",
        "deployment/nginx-deployment",
        "--replicas=2",
        "--current-replicas=3",
    ]);
    assert!(err.contains("Expected replicas to be 3, was 7"), "{err}");
    assert_eq!(
        server
            .ok(&[
                "scale",
                "deployment/nginx-deployment",
                "--replicas=2",
                "--current-replicas=7"
            ])
            .trim(),
        "deployment.apps/nginx-deployment scaled"
    );
    assert_eq!(
        jsonpath(&server, "deployment/nginx-deployment", "{.spec.replicas}"),
        "2"
    );

    assert_eq!(
        server
            .ok(&["delete", "deployment", "nginx-deployment"])
            .trim(),
        "deployment.apps \"nginx-deployment\" deleted"
    );
    let err = server.fails(&["get", "deployment", "nginx-deployment"]);
    assert!(
        err.contains(
            "Error from server (NotFound): deployments.apps \"nginx-deployment\" not found"
        ),
        "{err}"
    );
}

#[test]
fn discovery_explain_and_versions() {
    let server = TestServer::start();
    let resources = server.ok(&["api-resources"]);
    for (name, short, version, kind) in [
        ("deployments", "deploy", "apps/v1", "Deployment"),
        ("replicasets", "rs", "apps/v1", "ReplicaSet"),
        ("pods", "po", "v1", "Pod"),
        ("leases", "", "coordination.k8s.io/v1", "Lease"),
    ] {
        assert!(
            resources.lines().any(|l| {
                let cols: Vec<&str> = l.split_whitespace().collect();
                cols.first() == Some(&name)
                    && cols.contains(&version)
                    && cols.contains(&kind)
                    && (short.is_empty() || cols.contains(&short))
            }),
            "{name} missing from:\n{resources}"
        );
    }
    let versions = server.ok(&["api-versions"]);
    let versions: Vec<&str> = versions.lines().collect();
    for v in [
        "apps/v1",
        "coordination.k8s.io/v1",
        "events.k8s.io/v1",
        "v1",
    ] {
        assert!(versions.contains(&v), "{v} missing from {versions:?}");
    }
    let explained = server.ok(&["explain", "deployment.spec.strategy"]);
    assert!(
        explained.contains("KIND:       Deployment") || explained.contains("KIND:     Deployment"),
        "{explained}"
    );
    assert!(
        explained.contains("rollingUpdate") && explained.contains("Rolling update config params"),
        "{explained}"
    );
    let explained = server.ok(&["explain", "pods.spec.containers.image"]);
    assert!(explained.contains("Container image name"), "{explained}");
    let version = server.ok(&["version", "-o", "json"]);
    let v: serde_json::Value = serde_json::from_str(&version).expect("json");
    assert_eq!(v["serverVersion"]["major"], "1");
    assert!(
        v["serverVersion"]["gitVersion"]
            .as_str()
            .is_some_and(|g| g.contains("bosun"))
    );
}

#[test]
fn invalid_objects_get_422_with_field_causes() {
    let server = TestServer::start();
    let bad = NGINX_DEPLOYMENT.replace(
        "      labels:\n        app: nginx\n    spec:",
        "      labels:\n        app: other\n    spec:",
    );
    let out = server.kubectl_with_stdin(&["apply", "-f", "-"], Some(&bad));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("The Deployment \"nginx-deployment\" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"other\"}: `selector` does not match template `labels`"),
        "{err}"
    );
    let unknown = NGINX_DEPLOYMENT.replace("  replicas: 3\n", "  replicas: 3\n  replicaz: 4\n");
    let out = server.kubectl_with_stdin(&["apply", "-f", "-"], Some(&unknown));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("unknown field \"spec.replicaz\""), "{err}");
    // With --validate=warn the object is created and the server's warning is shown.
    let out = server.kubectl_with_stdin(&["apply", "--validate=warn", "-f", "-"], Some(&unknown));
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Warning: unknown field \"spec.replicaz\""),
        "{err}"
    );
    // As upstream's typed decoding, the field is not stored, so no later write warns
    // about it.
    let stored = server.ok(&["get", "deployment", "nginx-deployment", "-o", "json"]);
    let stored: serde_json::Value = serde_json::from_str(&stored).expect("JSON");
    assert_eq!(stored["spec"].get("replicaz"), None, "{stored}");
    assert_eq!(stored["spec"]["replicas"], 3, "{stored}");
    let out = server.kubectl(&["label", "deployment", "nginx-deployment", "tier=web"]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "no warning");
    // A patch that brings an unknown field is warned about, and it is not stored.
    let out = server.kubectl(&[
        "patch",
        "deployment",
        "nginx-deployment",
        "--type=merge",
        "-p",
        r#"{"spec":{"paused":false,"bogus":1}}"#,
    ]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Warning: unknown field \"spec.bogus\""),
        "{err}"
    );
    let stored = server.ok(&[
        "get",
        "deployment",
        "nginx-deployment",
        "-o",
        "jsonpath={.spec}",
    ]);
    assert!(!stored.contains("bogus"), "{stored}");
    server.ok(&["delete", "deployment", "nginx-deployment"]);
    assert!(
        server
            .kubectl(&["get", "deployment", "nginx-deployment"])
            .stderr
            .starts_with(b"Error from server (NotFound)")
    );
}
