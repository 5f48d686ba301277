//! The Rust `kube` client against the real server: typed list, watch, and a watch
//! resumed from a resourceVersion, plus the kube-runtime watcher (paging + bookmarks).

mod common;

use common::TestServer;
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, ListParams, PostParams, WatchEvent, WatchParams};

async fn client(server: &TestServer) -> kube::Client {
    let kubeconfig = kube::config::Kubeconfig::read_from(&server.kubeconfig).expect("kubeconfig");
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .expect("config");
    kube::Client::try_from(config).expect("client")
}

fn cm(name: &str) -> ConfigMap {
    serde_json::from_value(serde_json::json!({"metadata": {"name": name}, "data": {"k": name}}))
        .expect("cm")
}

#[tokio::test]
async fn list_watch_and_resume() {
    let server = TestServer::start();
    let api: Api<ConfigMap> = Api::namespaced(client(&server).await, "default");
    api.create(&PostParams::default(), &cm("a"))
        .await
        .expect("create a");
    let list = api
        .list(&ListParams::default().labels(""))
        .await
        .expect("list");
    let names: Vec<_> = list
        .items
        .iter()
        .filter_map(|c| c.metadata.name.clone())
        .collect();
    assert!(names.contains(&"a".to_string()), "{names:?}");
    let rv = list.metadata.resource_version.clone().expect("list rv");

    // Paging: one item per page still yields every item.
    let paged = api
        .list(&ListParams::default().limit(1))
        .await
        .expect("page 1");
    assert_eq!(paged.items.len(), 1);
    assert!(paged.metadata.continue_.is_some());

    // Writes after `rv`, then a watch resumed from `rv` sees exactly those, in order.
    api.create(&PostParams::default(), &cm("b"))
        .await
        .expect("create b");
    let mut a = api.get("a").await.expect("get a");
    a.data
        .get_or_insert_default()
        .insert("k".into(), "changed".into());
    api.replace("a", &PostParams::default(), &a)
        .await
        .expect("replace a");
    api.delete("b", &Default::default())
        .await
        .expect("delete b");

    let stream = api
        .watch(&WatchParams::default(), &rv)
        .await
        .expect("watch");
    let events: Vec<_> = stream.take(3).try_collect().await.expect("events");
    let seen: Vec<String> = events
        .iter()
        .map(|e| match e {
            WatchEvent::Added(c) => {
                format!("ADDED {}", c.metadata.name.clone().unwrap_or_default())
            }
            WatchEvent::Modified(c) => {
                format!("MODIFIED {}", c.metadata.name.clone().unwrap_or_default())
            }
            WatchEvent::Deleted(c) => {
                format!("DELETED {}", c.metadata.name.clone().unwrap_or_default())
            }
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(seen, ["ADDED b", "MODIFIED a", "DELETED b"]);
    let mut last = 0i64;
    for e in &events {
        let rv: i64 = match e {
            WatchEvent::Added(c) | WatchEvent::Modified(c) | WatchEvent::Deleted(c) => c
                .metadata
                .resource_version
                .as_deref()
                .and_then(|r| r.parse().ok())
                .unwrap_or(0),
            _ => 0,
        };
        assert!(rv > last, "revisions increase: {rv} after {last}");
        last = rv;
    }
}

#[tokio::test]
async fn compacted_history_is_410_gone_for_watch_and_exact_list() {
    // The server compacts every second here, so history older than that goes.
    let server = TestServer::start_with(&["--compaction-interval", "1s"]);
    let api: Api<ConfigMap> = Api::namespaced(client(&server).await, "default");
    let first = api
        .create(&PostParams::default(), &cm("old"))
        .await
        .expect("create");
    let old_rv = first.metadata.resource_version.clone().expect("rv");
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    api.create(&PostParams::default(), &cm("new"))
        .await
        .expect("create");
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;

    let mut gone = api
        .watch(&WatchParams::default(), &old_rv)
        .await
        .expect("watch")
        .boxed();
    match gone.next().await {
        Some(Ok(WatchEvent::Error(e))) => {
            assert_eq!((e.code, e.reason.as_str()), (410, "Expired"));
            assert!(
                e.message.starts_with("too old resource version"),
                "{}",
                e.message
            );
        }
        other => panic!("expected 410, got {other:?}"),
    }
    let (code, body) = server.json(
        "GET",
        &format!("/api/v1/namespaces/default/configmaps?resourceVersion={old_rv}&resourceVersionMatch=Exact"),
        "",
    );
    assert_eq!(code, 410, "{body}");
    assert_eq!(body["reason"], "Expired");
}

#[tokio::test]
async fn runtime_watcher_with_streaming_list_sees_initial_state_and_changes() {
    use kube::runtime::watcher::{self, Event, InitialListStrategy};
    let server = TestServer::start();
    let api: Api<ConfigMap> = Api::namespaced(client(&server).await, "default");
    api.create(&PostParams::default(), &cm("first"))
        .await
        .expect("create");
    for strategy in [
        InitialListStrategy::ListWatch,
        InitialListStrategy::StreamingList,
    ] {
        let config = watcher::Config {
            initial_list_strategy: strategy,
            ..Default::default()
        };
        let mut stream = watcher::watcher(api.clone(), config).boxed();
        let mut initial = Vec::new();
        loop {
            match stream.try_next().await.expect("watcher") {
                Some(Event::Init) => {}
                Some(Event::InitApply(c)) => initial.push(c.metadata.name.unwrap_or_default()),
                Some(Event::InitDone) => break,
                other => panic!("unexpected {other:?}"),
            }
        }
        initial.sort();
        assert!(
            initial.contains(&"first".to_string())
                && initial.contains(&"kube-root-ca.crt".to_string()),
            "{initial:?}"
        );
        let name = format!("live-{}", initial.len());
        api.create(&PostParams::default(), &cm(&name))
            .await
            .expect("create live");
        match stream.try_next().await.expect("watcher") {
            Some(Event::Apply(c)) => assert_eq!(c.metadata.name.as_deref(), Some(name.as_str())),
            other => panic!("unexpected {other:?}"),
        }
    }
}
