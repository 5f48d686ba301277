//! A watch whose client stops reading while many events come (more than the broadcast
//! channel holds) catches up from the watch cache's ring when it reads again: every
//! event arrives once and in order, and no `410 Expired` makes it relist.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, Response, header};
use bosun_apiserver::Config;
use bosun_apiserver::auth::pki::ClusterCa;
use bosun_apiserver::auth::{self, InProcess};
use futures::StreamExt;
use serde_json::{Value, json};
use std::sync::Arc;
use tower::ServiceExt;

/// More than the broadcast channel's 8,192 events.
const WRITES: usize = 9_000;

struct Server {
    router: axum::Router,
}

impl Server {
    async fn start() -> Server {
        let (ca, ca_key) = ClusterCa::generate().expect("ca");
        let (router, _state) = bosun_apiserver::build(
            Arc::new(bosun_store::EmbeddedStore::in_memory()),
            Config {
                ca_pem: ca.cert_pem.clone(),
                advertise_address: "127.0.0.1:6443".into(),
                compaction_interval: Duration::from_secs(300),
                toleration_seconds: Default::default(),
                auth: auth::AuthConfig {
                    ca: Some((ca.cert_pem.clone(), ca_key)),
                    ..Default::default()
                },
                join_token: None,
                kubelet_client: None,
            },
        )
        .await
        .expect("server");
        Server { router }
    }

    async fn call(&self, method: Method, path: String, body: Option<Value>) -> Response<Body> {
        let content_type = if method == Method::PATCH {
            "application/merge-patch+json"
        } else {
            "application/json"
        };
        let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::CONTENT_TYPE, content_type)
            .body(body)
            .expect("request");
        let Ok(response) =
            InProcess::new(self.router.clone(), auth::user("admin", &[auth::MASTERS]))
                .oneshot(request)
                .await;
        response
    }

    /// Creates the `counter` ConfigMap; its resourceVersion.
    async fn create_counter(&self) -> String {
        let created = self
            .call(
                Method::POST,
                PATH.into(),
                Some(json!({"metadata": {"name": "counter"}, "data": {"n": "0"}})),
            )
            .await;
        let created: Value = serde_json::from_slice(
            &axum::body::to_bytes(created.into_body(), usize::MAX)
                .await
                .expect("body"),
        )
        .expect("JSON");
        created["metadata"]["resourceVersion"]
            .as_str()
            .expect("resourceVersion")
            .to_string()
    }

    /// Opens a watch of the ConfigMaps with `query`; its body, not read yet.
    async fn watch(&self, query: &str) -> axum::body::BodyDataStream {
        let response = self
            .call(Method::GET, format!("{PATH}?watch=1&{query}"), None)
            .await;
        response.into_body().into_data_stream()
    }

    async fn count_to(&self, writes: usize) {
        for n in 1..=writes {
            let response = self
                .call(
                    Method::PATCH,
                    format!("{PATH}/counter"),
                    Some(json!({"data": {"n": n.to_string()}})),
                )
                .await;
            assert!(response.status().is_success(), "{}", response.status());
        }
    }
}

const PATH: &str = "/api/v1/namespaces/default/configmaps";

/// Reads watch events from `body` until `until` says stop; each event's JSON.
async fn read_events(
    body: &mut (impl futures::Stream<Item = Result<bytes::Bytes, axum::Error>> + Unpin),
    mut until: impl FnMut(&Value) -> bool,
) {
    let mut buffer = Vec::new();
    loop {
        let chunk = tokio::time::timeout(Duration::from_secs(30), body.next())
            .await
            .expect("the watch goes on")
            .expect("the watch did not end")
            .expect("a chunk");
        buffer.extend_from_slice(&chunk);
        while let Some(end) = buffer.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = buffer.drain(..=end).collect();
            let event: Value = serde_json::from_slice(&line).expect("an event");
            if until(&event) {
                return;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_that_falls_behind_catches_up_from_the_ring() {
    let server = Server::start().await;
    let from = server.create_counter().await;
    // The watch starts, then nobody reads it while the writes happen.
    let mut body = server
        .watch(&format!(
            "resourceVersion={from}&fieldSelector=metadata.name%3Dcounter"
        ))
        .await;
    server.count_to(WRITES).await;
    let mut seen = 0usize;
    read_events(&mut body, |event| {
        assert_eq!(event["type"], "MODIFIED", "no relist: {event}");
        seen += 1;
        assert_eq!(
            event["object"]["data"]["n"],
            seen.to_string(),
            "every write once and in order"
        );
        seen == WRITES
    })
    .await;
}

/// A bookmark due while events wait for the client never claims more than the client
/// has been sent: resuming from it must not skip what was queued.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bookmark_never_runs_ahead_of_queued_events() {
    const QUEUED: usize = 200;
    let server = Server::start().await;
    let from = server.create_counter().await;
    let mut body = server
        .watch(&format!("resourceVersion={from}&allowWatchBookmarks=true"))
        .await;
    server.count_to(QUEUED).await;
    // Past the 10-second bookmark interval while the events wait unread.
    tokio::time::sleep(Duration::from_millis(10_500)).await;
    // Nothing is promised beyond where the watch started until an event is sent.
    let (mut last_event, mut modified): (i64, usize) = (from.parse().expect("a revision"), 0);
    read_events(&mut body, |event| {
        let revision: i64 = event["object"]["metadata"]["resourceVersion"]
            .as_str()
            .and_then(|rv| rv.parse().ok())
            .expect("a resourceVersion");
        match event["type"].as_str() {
            Some("MODIFIED") => {
                modified += 1;
                last_event = revision;
            }
            Some("BOOKMARK") => {
                assert!(
                    revision <= last_event,
                    "a bookmark at {revision} before the event at {}",
                    last_event + 1
                );
            }
            other => panic!("unexpected event {other:?}: {event}"),
        }
        modified == QUEUED
    })
    .await;
    assert_eq!(modified, QUEUED);
}

/// The ring keeps each object's labels and selectable fields, not the object: a
/// selector watch still sees an object enter its selection as ADDED and leave it as
/// DELETED, and nothing of objects outside it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn selector_watches_see_objects_enter_and_leave() {
    const PODS: &str = "/api/v1/namespaces/default/pods";
    let server = Server::start().await;
    let from = server.create_counter().await;
    let mut by_label = server
        .call(
            Method::GET,
            format!("{PODS}?watch=1&resourceVersion={from}&labelSelector=app%3Dweb"),
            None,
        )
        .await
        .into_body()
        .into_data_stream();
    let mut by_field = server
        .call(
            Method::GET,
            format!("{PODS}?watch=1&resourceVersion={from}&fieldSelector=status.phase%3DRunning"),
            None,
        )
        .await
        .into_body()
        .into_data_stream();
    let steps: [(Method, &str, Option<Value>); 6] = [
        (
            Method::POST,
            "",
            Some(json!({"metadata": {"name": "p", "labels": {"app": "web"}},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]}})),
        ),
        (
            Method::POST,
            "",
            Some(
                json!({"metadata": {"name": "other", "labels": {"app": "db"}},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]}}),
            ),
        ),
        (
            Method::PATCH,
            "/p",
            Some(json!({"metadata": {"labels": {"app": "db"}}})),
        ),
        (
            Method::PATCH,
            "/p/status",
            Some(json!({"status": {"phase": "Running"}})),
        ),
        (
            Method::PATCH,
            "/p",
            Some(json!({"metadata": {"labels": {"app": "web"}}})),
        ),
        (Method::DELETE, "/p?gracePeriodSeconds=0", None),
    ];
    for (method, path, body) in steps {
        let response = server.call(method, format!("{PODS}{path}"), body).await;
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
    }
    let summary = |event: &Value| {
        format!(
            "{} {} app={} phase={}",
            event["type"].as_str().unwrap_or_default(),
            event["object"]["metadata"]["name"]
                .as_str()
                .unwrap_or_default(),
            event["object"]["metadata"]["labels"]["app"]
                .as_str()
                .unwrap_or_default(),
            event["object"]["status"]["phase"]
                .as_str()
                .unwrap_or_default(),
        )
    };
    for (body, want) in [
        (
            &mut by_label,
            &[
                "ADDED p app=web phase=Pending",
                "DELETED p app=db phase=Pending",
                "ADDED p app=web phase=Running",
                "DELETED p app=web phase=Running",
            ][..],
        ),
        (
            &mut by_field,
            &[
                "ADDED p app=db phase=Running",
                "MODIFIED p app=web phase=Running",
                "DELETED p app=web phase=Running",
            ][..],
        ),
    ] {
        let mut seen = Vec::new();
        read_events(body, |event| {
            seen.push(summary(event));
            seen.len() == want.len()
        })
        .await;
        assert_eq!(seen, want);
    }
}
