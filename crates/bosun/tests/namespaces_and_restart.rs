//! Namespace lifecycle through the real kubectl, and durability of the embedded store
//! across SIGTERM and `kill -9` of the real binary.

mod common;

use std::time::Duration;

use common::{TestServer, wait_until};
use serde_json::Value;

#[test]
fn namespace_lifecycle() {
    let server = TestServer::start();
    assert_eq!(
        server.ok(&["create", "namespace", "team-a"]).trim(),
        "namespace/team-a created"
    );
    wait_until("default service account and root CA in team-a", || {
        server
            .kubectl(&[
                "get",
                "serviceaccount/default",
                "configmap/kube-root-ca.crt",
                "-n",
                "team-a",
            ])
            .status
            .success()
    });
    let ca = server.ok(&[
        "get",
        "configmap",
        "kube-root-ca.crt",
        "-n",
        "team-a",
        "-o",
        "jsonpath={.data.ca\\.crt}",
    ]);
    let on_disk =
        std::fs::read_to_string(server.data_dir.join("ca.crt")).expect("ca.crt in data dir");
    assert_eq!(ca.trim(), on_disk.trim());

    let err = server.fails(&[
        "create",
        "configmap",
        "x",
        "-n",
        "nowhere",
        "--from-literal=a=b",
    ]);
    assert!(err.contains("namespaces \"nowhere\" not found"), "{err}");

    server.ok(&[
        "create",
        "configmap",
        "settings",
        "-n",
        "team-a",
        "--from-literal=a=b",
    ]);
    server.ok(&[
        "create",
        "configmap",
        "held",
        "-n",
        "team-a",
        "--from-literal=a=b",
    ]);
    server.ok(&[
        "patch",
        "configmap",
        "held",
        "-n",
        "team-a",
        "--type=merge",
        "-p",
        r#"{"metadata":{"finalizers":["example.com/hold"]}}"#,
    ]);
    let out = server.ok(&["delete", "namespace", "team-a", "--wait=false"]);
    assert_eq!(out.trim(), "namespace \"team-a\" deleted");
    let phase = server.ok(&[
        "get",
        "namespace",
        "team-a",
        "-o",
        "jsonpath={.status.phase}",
    ]);
    assert_eq!(phase, "Terminating");
    let err = server.fails(&[
        "create",
        "configmap",
        "late",
        "-n",
        "team-a",
        "--from-literal=a=b",
    ]);
    assert!(
        err.contains("configmaps \"late\" is forbidden: unable to create new content in namespace team-a because it is being terminated"),
        "{err}"
    );
    wait_until("settings deleted", || {
        !server
            .kubectl(&["get", "configmap", "settings", "-n", "team-a"])
            .status
            .success()
    });
    // The finalizer holds the namespace until someone removes it.
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        server
            .kubectl(&["get", "namespace", "team-a"])
            .status
            .success()
    );
    server.ok(&[
        "patch",
        "configmap",
        "held",
        "-n",
        "team-a",
        "--type=merge",
        "-p",
        r#"{"metadata":{"finalizers":null}}"#,
    ]);
    wait_until("namespace gone", || {
        !server
            .kubectl(&["get", "namespace", "team-a"])
            .status
            .success()
    });
}

fn snapshot(server: &TestServer) -> Vec<(String, String)> {
    let out = server.ok(&["get", "configmaps,deployments", "-A", "-o", "json"]);
    let list: Value = serde_json::from_str(&out).expect("json");
    let mut items: Vec<(String, String)> = list["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|i| {
                    (
                        format!(
                            "{}/{}/{}",
                            i["kind"].as_str().unwrap_or(""),
                            i["metadata"]["namespace"].as_str().unwrap_or(""),
                            i["metadata"]["name"].as_str().unwrap_or("")
                        ),
                        i["metadata"]["resourceVersion"]
                            .as_str()
                            .unwrap_or("")
                            .to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    items.sort();
    items
}

#[test]
fn acknowledged_writes_survive_kill_9_and_restart() {
    let home = tempfile::tempdir().expect("tmp");
    let data = home.path().join("data");
    let mut server = TestServer::start_in(&data, home.path());
    for i in 0..40 {
        let (code, body) = server.json(
            "POST",
            "/api/v1/namespaces/default/configmaps",
            &format!(r#"{{"metadata": {{"name": "cm-{i}"}}, "data": {{"i": "{i}"}}}}"#),
        );
        assert_eq!(code, 201, "{body}");
    }
    server.ok_stdin(&["apply", "-f", "-"], common::NGINX_DEPLOYMENT);
    // The last acknowledged write, then SIGKILL at once.
    let (code, last) = server.json(
        "POST",
        "/api/v1/namespaces/default/configmaps",
        r#"{"metadata": {"name": "last"}}"#,
    );
    assert_eq!(code, 201);
    let before = snapshot(&server);
    server.kill9();

    let server = TestServer::start_in(&data, home.path());
    let after = snapshot(&server);
    assert_eq!(after, before, "every object back with its resourceVersion");
    assert!(after.iter().any(|(k, rv)| k == "ConfigMap/default/last"
        && Some(rv.as_str()) == last["metadata"]["resourceVersion"].as_str()));
    // New writes continue the revision sequence.
    let (_, next) = server.json(
        "POST",
        "/api/v1/namespaces/default/configmaps",
        r#"{"metadata": {"name": "after"}}"#,
    );
    let next_rv: i64 = next["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|r| r.parse().ok())
        .unwrap_or(0);
    let last_rv: i64 = last["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|r| r.parse().ok())
        .unwrap_or(i64::MAX);
    assert!(next_rv > last_rv, "{next_rv} > {last_rv}");
}

#[test]
fn sigterm_stops_cleanly_and_restart_keeps_objects() {
    let home = tempfile::tempdir().expect("tmp");
    let data = home.path().join("data");
    let mut server = TestServer::start_in(&data, home.path());
    server.ok(&["create", "namespace", "kept"]);
    let before = snapshot(&server);
    let status = server.terminate();
    assert!(status.success(), "clean exit on SIGTERM: {status:?}");
    let server = TestServer::start_in(&data, home.path());
    assert!(
        server
            .kubectl(&["get", "namespace", "kept"])
            .status
            .success()
    );
    assert_eq!(snapshot(&server), before);
}

/// `bosun snapshot <verb> --data-dir DIR FILE`.
fn bosun_snapshot(
    verb: &str,
    data_dir: impl AsRef<std::ffi::OsStr>,
    file: impl AsRef<std::ffi::OsStr>,
) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_bosun"))
        .args(["snapshot", verb, "--data-dir"])
        .arg(data_dir)
        .arg(file)
        .output()
        .expect("bosun runs")
}

#[test]
fn snapshot_saved_while_serving_restores_into_a_new_data_dir() {
    let home = tempfile::tempdir().expect("tmp");
    let data = home.path().join("data");
    let server = TestServer::start_in(&data, home.path());
    server.ok(&["create", "configmap", "kept", "--from-literal=k=v"]);
    server.ok_stdin(&["apply", "-f", "-"], common::NGINX_DEPLOYMENT);
    let file = home.path().join("backup.snap");
    let out = bosun_snapshot("save", &data, &file);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.starts_with("saved revision "), "{said}");
    // Written after the snapshot: not in it.
    server.ok(&["create", "configmap", "later"]);
    drop(server);

    // Restoring over an existing datastore is refused; into a new dir it works.
    let out = bosun_snapshot("restore", &data, &file);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already holds a datastore"));
    let restored = home.path().join("restored");
    let out = bosun_snapshot("restore", &restored, &file);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let server = TestServer::start_in(&restored, home.path());
    assert_eq!(
        server.ok(&["get", "configmap", "kept", "-o", "jsonpath={.data.k}"]),
        "v"
    );
    let err = server.fails(&["get", "configmap", "later"]);
    assert!(err.contains(r#"configmaps "later" not found"#), "{err}");
    assert!(
        server
            .ok(&["get", "deployment", "nginx-deployment", "-o", "name"])
            .contains("nginx-deployment")
    );
    // A corrupt file is refused with a clear error.
    std::fs::write(home.path().join("junk.snap"), b"not a snapshot").expect("write");
    let out = bosun_snapshot(
        "restore",
        home.path().join("other"),
        home.path().join("junk.snap"),
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a bosun datastore"));
}
