//! Bad input gets a clear 4xx `Status` and changes nothing: raw HTTP against the real
//! server, checking code, reason and message, then that the stored data is unchanged.

mod common;

use common::TestServer;
use serde_json::{Value, json};

const CM_PATH: &str = "/api/v1/namespaces/default/configmaps";

fn assert_status(body: &Value, code: u16, reason: &str, message_part: &str) {
    assert_eq!(body["kind"], "Status", "{body}");
    assert_eq!(body["status"], "Failure", "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["reason"], reason, "{body}");
    let message = body["message"].as_str().unwrap_or("");
    assert!(
        message.contains(message_part),
        "message {message:?} lacks {message_part:?}"
    );
}

fn configmaps(server: &TestServer) -> (String, Vec<String>) {
    let (code, list) = server.json("GET", CM_PATH, "");
    assert_eq!(code, 200);
    let names = list["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i["metadata"]["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let rv = list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or("")
        .to_string();
    (rv, names)
}

#[test]
fn malformed_and_mismatched_bodies_are_400_and_store_nothing() {
    let server = TestServer::start();
    let (code, body) = server.json(
        "POST",
        CM_PATH,
        r#"{"metadata": {"name": "ok"}, "data": {"a": "1"}}"#,
    );
    assert_eq!(code, 201, "{body}");
    let before = configmaps(&server);
    assert_eq!(before.1, ["kube-root-ca.crt", "ok"]);

    let (code, body) = server.json("POST", CM_PATH, r#"{"metadata": {"name": "broken""#);
    assert_eq!(code, 400);
    assert_status(&body, 400, "BadRequest", "json parse error");

    let (code, body) = server.json(
        "POST",
        CM_PATH,
        r#"{"apiVersion": "apps/v1", "kind": "ConfigMap", "metadata": {"name": "x"}}"#,
    );
    assert_eq!(code, 400);
    assert_status(
        &body,
        400,
        "BadRequest",
        "the API version in the data (apps/v1) does not match the expected API version (v1)",
    );

    let (code, body) = server.json(
        "POST",
        CM_PATH,
        r#"{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"}}"#,
    );
    assert_eq!(code, 400);
    assert_status(
        &body,
        400,
        "BadRequest",
        "the kind in the data (Secret) does not match the expected kind (ConfigMap)",
    );

    let (code, body) = server.json(
        "POST",
        CM_PATH,
        r#"{"metadata": {"name": "x", "namespace": "kube-system"}}"#,
    );
    assert_eq!(code, 400);
    assert_status(
        &body,
        400,
        "BadRequest",
        "the namespace of the provided object does not match the namespace sent on the request",
    );

    let (code, body) = server.json(
        "PUT",
        &format!("{CM_PATH}/ok"),
        r#"{"metadata": {"name": "other"}}"#,
    );
    assert_eq!(code, 400);
    assert_status(
        &body,
        400,
        "BadRequest",
        "the name of the object (other) does not match the name on the URL (ok)",
    );

    let (code, body) = server.json("POST", CM_PATH, "[1, 2]");
    assert_eq!(code, 400, "{body}");

    let (code, body) = server.json("POST", CM_PATH, "");
    assert_eq!(code, 400, "{body}");

    assert_eq!(configmaps(&server), before, "nothing was written");
}

#[test]
fn oversized_unknown_and_unsupported_requests() {
    let server = TestServer::start();
    let before = configmaps(&server);
    let huge = format!(
        r#"{{"metadata": {{"name": "big"}}, "data": {{"a": "{}"}}}}"#,
        "x".repeat(3 * 1024 * 1024 + 10)
    );
    let (code, body) = server.http("POST", CM_PATH, "application/json", huge.as_bytes());
    assert_eq!(code, 413, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    assert_status(&body, 413, "RequestEntityTooLarge", "limit is 3145728");

    let (code, body) = server.json("GET", "/apis/apps/v1/namespaces/default/widgets", "");
    assert_eq!(code, 404);
    assert_status(
        &body,
        404,
        "NotFound",
        "the server could not find the requested resource",
    );
    let (code, _) = server.json("GET", "/apis/nope.example.com/v1", "");
    assert_eq!(code, 404);

    let (code, body) = server.http(
        "POST",
        CM_PATH,
        "text/plain",
        br#"{"metadata": {"name": "t"}}"#,
    );
    assert_eq!(code, 415, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    assert_status(&body, 415, "UnsupportedMediaType", "text/plain");

    server.json("POST", CM_PATH, r#"{"metadata": {"name": "p"}}"#);
    let (code, body) = server.http("PATCH", &format!("{CM_PATH}/p"), "application/xml", b"<x/>");
    assert_eq!(code, 415, "{body}");
    let (code, body) = server.http(
        "PATCH",
        &format!("{CM_PATH}/p"),
        "application/json-patch+json",
        br#"{"not": "a list"}"#,
    );
    assert_eq!(code, 400, "{body}");

    let (code, body) = server.json("GET", &format!("{CM_PATH}/missing"), "");
    assert_eq!(code, 404);
    assert_status(&body, 404, "NotFound", "configmaps \"missing\" not found");
    assert_eq!(
        body["details"],
        json!({"name": "missing", "group": "", "kind": "configmaps"})
    );

    let (code, body) = server.json("POST", CM_PATH, r#"{"metadata": {"name": "p"}}"#);
    assert_eq!(code, 409);
    assert_status(
        &body,
        409,
        "AlreadyExists",
        "configmaps \"p\" already exists",
    );

    let (code, body) = server.json("GET", &format!("{CM_PATH}?labelSelector=a%20in%20(b"), "");
    assert_eq!(code, 400);
    assert_status(&body, 400, "BadRequest", "unable to parse requirement");

    let (code, body) = server.json(
        "POST",
        &format!("{CM_PATH}?dryRun=Sometimes"),
        r#"{"metadata": {"name": "d"}}"#,
    );
    assert_eq!(code, 400, "{body}");

    let after = configmaps(&server);
    assert_eq!(after.1, ["kube-root-ca.crt", "p"]);
    assert_ne!(before.0, after.0, "only the one good create wrote");
}

#[test]
fn stale_updates_conflict_and_dry_run_writes_nothing() {
    let server = TestServer::start();
    let (_, created) = server.json(
        "POST",
        CM_PATH,
        r#"{"metadata": {"name": "c"}, "data": {"v": "1"}}"#,
    );
    let rv = created["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let mut next = created.clone();
    next["data"]["v"] = json!("2");
    let (code, updated) = server.json("PUT", &format!("{CM_PATH}/c"), &next.to_string());
    assert_eq!(code, 200, "{updated}");
    assert_ne!(updated["metadata"]["resourceVersion"], json!(rv));
    next["data"]["v"] = json!("3");
    let (code, body) = server.json("PUT", &format!("{CM_PATH}/c"), &next.to_string());
    assert_eq!(code, 409);
    assert_status(
        &body,
        409,
        "Conflict",
        "Operation cannot be fulfilled on configmaps \"c\": the object has been modified; please apply your changes to the latest version and try again",
    );

    // A no-op update makes no new revision.
    let (code, same) = server.json("PUT", &format!("{CM_PATH}/c"), &updated.to_string());
    assert_eq!(code, 200);
    assert_eq!(
        same["metadata"]["resourceVersion"],
        updated["metadata"]["resourceVersion"]
    );

    let (code, body) = server.json(
        "POST",
        &format!("{CM_PATH}?dryRun=All"),
        r#"{"metadata": {"name": "dry"}}"#,
    );
    assert_eq!(code, 201, "{body}");
    assert_eq!(body["metadata"]["name"], "dry");
    let (code, _) = server.json("GET", &format!("{CM_PATH}/dry"), "");
    assert_eq!(code, 404, "dry run stored nothing");

    // Delete preconditions.
    let (code, body) = server.json(
        "DELETE",
        &format!("{CM_PATH}/c"),
        r#"{"preconditions": {"resourceVersion": "1"}}"#,
    );
    assert_eq!(code, 409, "{body}");
    assert_status(&body, 409, "Conflict", "Precondition failed");
    let (code, body) = server.json("DELETE", &format!("{CM_PATH}/c"), "");
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["status"], "Success");
}

#[test]
fn generated_names_generation_and_status_separation() {
    let server = TestServer::start();
    let deploy = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"generateName": "web-"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}
        },
        "status": {"replicas": 99}
    });
    let path = "/apis/apps/v1/namespaces/default/deployments";
    let (code, created) = server.json("POST", path, &deploy.to_string());
    assert_eq!(code, 201, "{created}");
    let name = created["metadata"]["name"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(name.starts_with("web-") && name.len() == 9, "{name}");
    assert_eq!(created["metadata"]["generation"], 1);
    assert!(
        created
            .get("status")
            .is_none_or(|s| s.get("replicas").is_none()),
        "create resets status: {created}"
    );
    assert!(
        created["metadata"]["uid"]
            .as_str()
            .is_some_and(|u| u.len() == 36)
    );

    // A status write changes status only, and not the generation.
    let (code, after_status) = server.json(
        "PATCH",
        &format!("{path}/{name}/status"),
        r#"{"status": {"replicas": 2, "observedGeneration": 1}, "spec": {"replicas": 50}}"#,
    );
    assert_eq!(
        code, 415,
        "merge patch needs its media type: {after_status}"
    );
    let (code, after_status) = server.http(
        "PATCH",
        &format!("{path}/{name}/status"),
        "application/merge-patch+json",
        br#"{"status": {"replicas": 2, "observedGeneration": 1}, "spec": {"replicas": 50}}"#,
    );
    assert_eq!(code, 200, "{after_status}");
    let after_status: Value = serde_json::from_str(&after_status).unwrap_or(Value::Null);
    assert_eq!(after_status["status"]["replicas"], 2);
    assert_eq!(
        after_status["spec"]["replicas"], 1,
        "spec untouched by a status write"
    );
    assert_eq!(after_status["metadata"]["generation"], 1);

    // A main write ignores status and bumps the generation on spec change only.
    let (code, main) = server.http(
        "PATCH",
        &format!("{path}/{name}"),
        "application/merge-patch+json",
        br#"{"status": {"replicas": 7}, "metadata": {"labels": {"x": "y"}}}"#,
    );
    assert_eq!(code, 200, "{main}");
    let main: Value = serde_json::from_str(&main).unwrap_or(Value::Null);
    // (The Deployment controller owns the status and may have rewritten it since.)
    assert_ne!(
        main["status"]["replicas"], 7,
        "a main-resource write ignores status"
    );
    assert_eq!(main["metadata"]["labels"]["x"], "y");
    assert_eq!(main["metadata"]["generation"], 1, "labels are not spec");
    let (_, main) = server.http(
        "PATCH",
        &format!("{path}/{name}"),
        "application/merge-patch+json",
        br#"{"spec": {"replicas": 4}}"#,
    );
    let main: Value = serde_json::from_str(&main).unwrap_or(Value::Null);
    assert_eq!(main["metadata"]["generation"], 2);
}

#[test]
fn finalizers_hold_deletion_until_removed() {
    let server = TestServer::start();
    let (code, _) = server.json(
        "POST",
        CM_PATH,
        r#"{"metadata": {"name": "held", "finalizers": ["example.com/hold"]}}"#,
    );
    assert_eq!(code, 201);
    let (code, body) = server.json("DELETE", &format!("{CM_PATH}/held"), "");
    assert_eq!(code, 200);
    assert!(body["metadata"]["deletionTimestamp"].is_string(), "{body}");
    let (code, body) = server.json("GET", &format!("{CM_PATH}/held"), "");
    assert_eq!(code, 200, "still there: {body}");
    let (code, body) = server.http(
        "PATCH",
        &format!("{CM_PATH}/held"),
        "application/merge-patch+json",
        br#"{"metadata": {"finalizers": ["example.com/hold", "example.com/new"]}}"#,
    );
    assert_eq!(code, 422, "no new finalizers while deleting: {body}");
    let (code, body) = server.http(
        "PATCH",
        &format!("{CM_PATH}/held"),
        "application/merge-patch+json",
        br#"{"metadata": {"finalizers": null}}"#,
    );
    assert_eq!(code, 200, "{body}");
    let (code, _) = server.json("GET", &format!("{CM_PATH}/held"), "");
    assert_eq!(code, 404, "gone with its last finalizer");
}

#[test]
fn watch_timeout_ends_the_stream_and_deletecollection_honours_selectors() {
    let server = TestServer::start();
    for (name, tier) in [("a", "web"), ("b", "web"), ("c", "db")] {
        let (code, _) = server.json(
            "POST",
            CM_PATH,
            &format!(r#"{{"metadata": {{"name": "{name}", "labels": {{"tier": "{tier}"}}}}}}"#),
        );
        assert_eq!(code, 201);
    }
    let started = std::time::Instant::now();
    let (code, body) = server.http(
        "GET",
        &format!("{CM_PATH}?watch=1&timeoutSeconds=1&labelSelector=tier%3Dweb"),
        "application/json",
        b"",
    );
    assert_eq!(code, 200);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "the watch ended after its timeout"
    );
    let events: Vec<Value> = body
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let names: Vec<(&str, &str)> = events
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap_or(""),
                e["object"]["metadata"]["name"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        names,
        [("ADDED", "a"), ("ADDED", "b")],
        "initial state, filtered"
    );

    let (code, body) = server.json("DELETE", &format!("{CM_PATH}?labelSelector=tier%3Dweb"), "");
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["kind"], "ConfigMapList");
    assert_eq!(body["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(configmaps(&server).1, ["c", "kube-root-ca.crt"]);
}

#[test]
fn invalid_object_status_names_fields_in_upstream_words() {
    let server = TestServer::start();
    let bad = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "Bad_Name"},
        "spec": {
            "replicas": -1,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}
        }
    });
    let (code, body) = server.json(
        "POST",
        "/apis/apps/v1/namespaces/default/deployments",
        &bad.to_string(),
    );
    assert_eq!(code, 422, "{body}");
    assert_eq!(body["reason"], "Invalid");
    assert_eq!(body["details"]["kind"], "Deployment");
    assert_eq!(body["details"]["group"], "apps");
    let causes: Vec<(String, String)> = body["details"]["causes"]
        .as_array()
        .map(|c| {
            c.iter()
                .map(|c| {
                    (
                        c["field"].as_str().unwrap_or("").to_string(),
                        c["reason"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    for field in [
        "metadata.name",
        "spec.replicas",
        "spec.strategy.rollingUpdate.maxUnavailable",
    ] {
        assert!(
            causes
                .iter()
                .any(|(f, r)| f == field && r == "FieldValueInvalid"),
            "{field} missing in {causes:?}"
        );
    }
    let message = body["message"].as_str().unwrap_or("");
    assert!(
        message.starts_with("Deployment.apps \"Bad_Name\" is invalid: ["),
        "{message}"
    );
    assert!(
        message.contains("spec.replicas: Invalid value: -1: must be greater than or equal to 0"),
        "{message}"
    );
    assert!(
        message.contains("may not be 0 when `maxSurge` is 0"),
        "{message}"
    );
    let (code, _) = server.json(
        "GET",
        "/apis/apps/v1/namespaces/default/deployments/Bad_Name",
        "",
    );
    assert_eq!(code, 404);
}

#[test]
fn a_uid_in_a_patch_is_a_precondition() {
    let server = TestServer::start();
    let (_, created) = server.json("POST", CM_PATH, r#"{"metadata": {"name": "u"}}"#);
    let uid = created["metadata"]["uid"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let (code, body) = server.http(
        "PATCH",
        &format!("{CM_PATH}/u"),
        "application/strategic-merge-patch+json",
        br#"{"metadata": {"uid": "00000000-0000-0000-0000-000000000000", "labels": {"a": "b"}}}"#,
    );
    assert_eq!(code, 409, "{body}");
    assert!(
        body.contains(
            "Precondition failed: UID in precondition: 00000000-0000-0000-0000-000000000000"
        ),
        "{body}"
    );
    let patch = format!(r#"{{"metadata": {{"uid": "{uid}", "labels": {{"a": "b"}}}}}}"#);
    let (code, body) = server.http(
        "PATCH",
        &format!("{CM_PATH}/u"),
        "application/strategic-merge-patch+json",
        patch.as_bytes(),
    );
    assert_eq!(code, 200, "{body}");
}

#[test]
fn metrics_count_requests_by_verb_resource_and_code() {
    let server = TestServer::start();
    for name in ["m1", "m2"] {
        server.json(
            "POST",
            CM_PATH,
            &format!(r#"{{"metadata": {{"name": "{name}"}}}}"#),
        );
    }
    server.json("POST", CM_PATH, r#"{"metadata": {"name": "m1"}}"#);
    server.json("GET", &format!("{CM_PATH}/m1"), "");
    server.json("GET", CM_PATH, "");
    let (code, text) = server.http("GET", "/metrics", "text/plain", b"");
    assert_eq!(code, 200);
    let value = |series: &str| -> Option<f64> {
        text.lines()
            .find(|l| l.starts_with(series))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
    };
    let counter = |verb: &str, code: &str| {
        value(&format!(
            "apiserver_request_total{{verb=\"{verb}\",resource=\"configmaps\",subresource=\"\",code=\"{code}\"}}"
        ))
    };
    assert_eq!(counter("POST", "201"), Some(2.0), "{text}");
    assert_eq!(counter("POST", "409"), Some(1.0), "{text}");
    assert_eq!(counter("GET", "200"), Some(1.0), "{text}");
    assert!(counter("LIST", "200").is_some_and(|n| n >= 1.0), "{text}");
    assert!(
        text.contains("apiserver_request_duration_seconds_bucket{"),
        "{text}"
    );
    assert!(
        value("process_resident_memory_bytes").is_some_and(|b| b > 1_000_000.0),
        "{text}"
    );
    assert!(
        value("bosun_store_revision").is_some_and(|r| r > 0.0),
        "{text}"
    );
    // Watches count while open: the in-process controllers' are there; ours, once
    // closed by its timeout, no longer is.
    let watchers = |text: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix("apiserver_registered_watchers "))
            .and_then(|v| v.parse::<f64>().ok())
    };
    let before = watchers(&text).unwrap_or(0.0);
    assert!(before >= 1.0, "{text}");
    let _ = server.http(
        "GET",
        &format!("{CM_PATH}?watch=1&timeoutSeconds=1"),
        "application/json",
        b"",
    );
    let (_, after) = server.http("GET", "/metrics", "text/plain", b"");
    assert!(
        after.contains("verb=\"WATCH\",resource=\"configmaps\""),
        "{after}"
    );
    assert_eq!(
        watchers(&after),
        Some(before),
        "the closed watch is no longer counted"
    );
}

#[test]
fn metrics_cover_storage_controllers_and_scheduler() {
    let server = TestServer::start_with(&["--hollow-nodes", "1"]);
    let scrape = || server.http("GET", "/metrics", "text/plain", b"").1;
    let value = |text: &str, series: &str| -> Option<f64> {
        text.lines()
            .find(|l| l.starts_with(series))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
    };
    let before = scrape();
    let objects = |text: &str| {
        value(
            text,
            "apiserver_storage_objects{resource=\"deployments.apps\"}",
        )
    };
    assert_eq!(objects(&before), Some(0.0), "{before}");
    server.ok_stdin(&["apply", "-f", "-"], common::NGINX_DEPLOYMENT);
    server.ok(&[
        "rollout",
        "status",
        "deployment/nginx-deployment",
        "--timeout=60s",
    ]);
    let after = scrape();
    assert_eq!(objects(&after), Some(1.0), "{after}");
    assert_eq!(
        value(&after, "apiserver_storage_objects{resource=\"pods\"}"),
        Some(3.0)
    );
    // Every datastore write is timed, by operation and resource.
    assert!(
        after.contains(
            "bosun_store_request_duration_seconds_count{operation=\"create\",resource=\"pods\"} 3"
        ),
        "{after}"
    );
    // The controllers' queues counted the Deployment's keys.
    let adds =
        |text: &str, queue: &str| value(text, &format!("workqueue_adds_total{{name=\"{queue}\"}}"));
    assert!(
        adds(&after, "deployment").is_some_and(|n| n >= 1.0),
        "{after}"
    );
    assert!(
        adds(&after, "replicaset").is_some_and(|n| n >= 1.0),
        "{after}"
    );
    assert!(after.contains("workqueue_work_duration_seconds_count{name=\"deployment\"}"));
    assert!(after.contains("workqueue_depth{name=\"deployment\"}"));
    // The scheduler placed three pods.
    assert_eq!(
        value(
            &after,
            "scheduler_schedule_attempts_total{result=\"scheduled\",profile=\"default-scheduler\"}"
        ),
        Some(3.0),
        "{after}"
    );
    assert!(after.contains("scheduler_scheduling_attempt_duration_seconds_bucket{"));
}
