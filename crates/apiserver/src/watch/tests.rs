use futures::Stream;
use serde_json::json;

use super::*;
use crate::registry::Registry;
use bosun_store::EmbeddedStore;

fn config_maps() -> &'static ResourceInfo {
    bosun_api::resources::find("", "v1", "configmaps").expect("configmaps")
}

/// An in-memory store with a registry and its watch cache running.
async fn started() -> (Arc<dyn Store>, Arc<Registry>, Arc<WatchCache>) {
    let store: Arc<dyn Store> = Arc::new(EmbeddedStore::in_memory());
    let registry = Arc::new(Registry::new(store.clone(), Default::default()));
    let cache = WatchCache::start(store.clone(), registry.current_state())
        .await
        .expect("watch cache");
    (store, registry, cache)
}

async fn write(store: &dyn Store, name: &str) -> i64 {
    let key = config_maps().storage_key(Some("default"), name);
    let body = json!({"apiVersion": "v1", "kind": "ConfigMap",
                      "metadata": {"name": name, "namespace": "default"}});
    store
        .create(&key, Bytes::from(body.to_string()))
        .await
        .expect("create")
        .mod_revision
}

async fn next_line(stream: &mut (impl Stream<Item = Bytes> + Unpin)) -> Option<Value> {
    let line = tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .expect("a line within 5 s")?;
    Some(serde_json::from_slice(&line).expect("a JSON line"))
}

/// A server loop with an event still queued when the cache resets hears of the reset
/// at that event, and then goes on with the next write: the reset's wake-up is never
/// handed to it as an event.
#[tokio::test]
async fn a_server_loop_never_receives_a_resets_wake_up() {
    let (store, _registry, cache) = started().await;
    let mut server_loop = cache.subscribe();
    let queued = write(store.as_ref(), "queued").await;
    // The event reaches the loop's queue (the cache ingests after the write returns).
    while cache.latest_revision() < queued {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    cache.reset(queued);
    assert!(matches!(
        server_loop.recv().await,
        Err(broadcast::error::RecvError::Lagged(_))
    ));
    let next = write(store.as_ref(), "next").await;
    let event = tokio::time::timeout(Duration::from_secs(5), server_loop.recv())
        .await
        .expect("an event within 5 s")
        .expect("the next write's event");
    assert_eq!(
        event.key,
        config_maps().storage_key(Some("default"), "next")
    );
    assert_eq!(event.revision, next);
}

/// A watch hears only of its own resource: a ConfigMap watch's channel gets no pod
/// event, and a resource's channel goes once nobody watches it.
#[tokio::test]
async fn a_watch_is_sent_only_its_own_resources_events() {
    let (store, _registry, cache) = started().await;
    let mut config_map_watch = cache.subscribe_resource(&config_maps().storage_prefix());
    let pods = bosun_api::resources::find("", "v1", "pods").expect("pods");
    let pod = json!({"apiVersion": "v1", "kind": "Pod",
                     "metadata": {"name": "p", "namespace": "default"}});
    store
        .create(
            &pods.storage_key(Some("default"), "p"),
            Bytes::from(pod.to_string()),
        )
        .await
        .expect("pod");
    let config_map = write(store.as_ref(), "c").await;
    let event = tokio::time::timeout(Duration::from_secs(5), config_map_watch.recv())
        .await
        .expect("an event within 5 s")
        .expect("the ConfigMap's event");
    assert_eq!(event.revision, config_map, "the pod's event came first");
    assert!(config_map_watch.is_empty());
    drop(config_map_watch);
    write(store.as_ref(), "d").await;
    let gone = write(store.as_ref(), "e").await;
    while cache.latest_revision() < gone {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(cache.resource_channels().is_empty());
}

/// History lost to compaction is never skipped silently: a live watch ends with
/// `410 Expired` (its client relists), where it used to go on from the new start
/// and never see the events in between.
#[tokio::test]
async fn a_live_watch_ends_with_410_when_the_cache_loses_history() {
    let (store, registry, cache) = started().await;
    let first = write(store.as_ref(), "a").await;
    let request = || WatchRequest {
        info: config_maps(),
        namespace: Some("default".into()),
        params: ListParams::default(),
        resource_version: Some(first),
        send_initial_events: false,
        allow_bookmarks: false,
        timeout: Duration::from_secs(30),
        render: Render::Object,
        guard: crate::metrics::Metrics::default().watch_opened(),
    };
    let mut before = Box::pin(serve(cache.clone(), registry.clone(), request()));
    let mut server_loop = cache.subscribe();
    let second = write(store.as_ref(), "b").await;
    let added = next_line(&mut before).await.expect("an event");
    assert_eq!(added["type"], "ADDED");
    assert_eq!(added["object"]["metadata"]["name"], "b");

    // (a's event may come first: the cache ingests it after the write returns.)
    let mut event = server_loop.recv().await.expect("an event");
    if event.revision == first {
        event = server_loop.recv().await.expect("b's event");
    }
    assert_eq!(event.revision, second);

    // As the store-watch loop does when its history was compacted away. Nothing is
    // written after it: an idle watch and loop learn of it at once all the same.
    cache.reset(second);
    // The server's own loops read it as a lag (and read everything again).
    let lag = tokio::time::timeout(Duration::from_secs(5), server_loop.recv())
        .await
        .expect("the loop hears of the reset without a write");
    assert!(matches!(lag, Err(broadcast::error::RecvError::Lagged(_))));

    let gone = next_line(&mut before).await.expect("an event");
    assert_eq!(gone["type"], "ERROR", "{gone}");
    assert_eq!(gone["object"]["code"], 410, "{gone}");
    assert_eq!(gone["object"]["reason"], "Expired", "{gone}");
    assert_eq!(next_line(&mut before).await, None, "the watch ended");

    // A watch from before the new start is refused; one from it goes on.
    let mut stale = Box::pin(serve(cache.clone(), registry.clone(), request()));
    let refused = next_line(&mut stale).await.expect("an event");
    assert_eq!(refused["object"]["code"], 410, "{refused}");
    let mut fresh = Box::pin(serve(
        cache.clone(),
        registry,
        WatchRequest {
            resource_version: Some(second),
            ..request()
        },
    ));
    write(store.as_ref(), "c").await;
    write(store.as_ref(), "d").await;
    for name in ["c", "d"] {
        let seen = next_line(&mut fresh).await.expect("an event");
        assert_eq!(seen["object"]["metadata"]["name"], name, "{seen}");
    }
    // After the lag report the loop goes on with the next write.
    let event = server_loop.recv().await.expect("c's event");
    assert_eq!(event.revision, second + 1);
}
