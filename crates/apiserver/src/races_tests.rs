//! Writes that race another writer between their read and their compare-and-swap:
//! deletes and unconditional updates read again and retry, as upstream's storage
//! does; only preconditions the client set make them `409`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bosun_store::{EmbeddedStore, ListOptions, ListResult, Revision, Store, WatchStream};
use bytes::Bytes;

use bosun_api::resources::ResourceInfo;
use bosun_store::KeyValue;
use serde_json::json;

use crate::error::ApiResult;
use crate::object;
use crate::registry::{
    DeleteOptions, Deleted, FOREGROUND_FINALIZER, Part, Propagation, Registry, WriteOptions,
};

/// A store where another writer changes an object right after each of the first
/// `races` reads of it, as a controller writing a status does.
struct RacingStore {
    inner: EmbeddedStore,
    races: AtomicUsize,
}

#[async_trait::async_trait]
impl Store for RacingStore {
    async fn current_revision(&self) -> bosun_store::Result<Revision> {
        self.inner.current_revision().await
    }
    async fn compacted_revision(&self) -> bosun_store::Result<Revision> {
        self.inner.compacted_revision().await
    }
    async fn get(&self, key: &str) -> bosun_store::Result<Option<KeyValue>> {
        let read = self.inner.get(key).await?;
        if let Some(kv) = &read
            && self
                .races
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
        {
            self.inner
                .update(key, kv.value.clone(), kv.mod_revision)
                .await?;
        }
        Ok(read)
    }
    async fn list(&self, prefix: &str, options: ListOptions) -> bosun_store::Result<ListResult> {
        self.inner.list(prefix, options).await
    }
    async fn create(&self, key: &str, value: Bytes) -> bosun_store::Result<KeyValue> {
        self.inner.create(key, value).await
    }
    async fn update(
        &self,
        key: &str,
        value: Bytes,
        expected: Revision,
    ) -> bosun_store::Result<KeyValue> {
        self.inner.update(key, value, expected).await
    }
    async fn delete(&self, key: &str, expected: Option<Revision>) -> bosun_store::Result<KeyValue> {
        self.inner.delete(key, expected).await
    }
    async fn watch(&self, prefix: &str, after: Revision) -> bosun_store::Result<WatchStream> {
        self.inner.watch(prefix, after).await
    }
    async fn compact(&self, revision: Revision) -> bosun_store::Result<()> {
        self.inner.compact(revision).await
    }
}

fn config_maps() -> &'static ResourceInfo {
    bosun_api::resources::find("", "v1", "configmaps").expect("configmaps")
}

/// A registry holding ConfigMap `cm` (its resourceVersion), whose next `races`
/// reads each lose the race to another writer.
async fn racing(races: usize) -> (Registry, Arc<RacingStore>, String) {
    let store = Arc::new(RacingStore {
        inner: EmbeddedStore::in_memory(),
        races: AtomicUsize::new(0),
    });
    let key = config_maps().storage_key(Some("default"), "cm");
    let body = json!({"apiVersion": "v1", "kind": "ConfigMap",
                      "metadata": {"name": "cm", "namespace": "default", "uid": "u-1"}});
    let kv = store
        .create(&key, Bytes::from(body.to_string()))
        .await
        .expect("create");
    store.races.store(races, Ordering::SeqCst);
    let registry = Registry::new(store.clone(), Default::default());
    (registry, store, kv.mod_revision.to_string())
}

fn message(result: ApiResult<Deleted>) -> String {
    match result {
        Ok(_) => "deleted".into(),
        Err(e) => format!("{} {}", e.code, e.message),
    }
}

#[tokio::test]
async fn a_delete_that_loses_a_race_reads_again_and_succeeds() {
    let (registry, store, _) = racing(3).await;
    let deleted = registry
        .delete(
            config_maps(),
            Some("default"),
            "cm",
            &DeleteOptions::default(),
        )
        .await;
    assert!(
        matches!(deleted, Ok(Deleted::Gone(_))),
        "{}",
        message(deleted)
    );
    let key = config_maps().storage_key(Some("default"), "cm");
    assert!(store.inner.get(&key).await.expect("get").is_none());
    assert_eq!(store.races.load(Ordering::SeqCst), 0, "all three races ran");

    // Marking for a foreground deletion retries the same way.
    let (registry, store, _) = racing(2).await;
    let opts = DeleteOptions {
        propagation: Some(Propagation::Foreground),
        ..Default::default()
    };
    let marked = registry
        .delete(config_maps(), Some("default"), "cm", &opts)
        .await;
    let Ok(Deleted::Pending(marked)) = marked else {
        panic!("expected a pending deletion: {}", message(marked));
    };
    assert_eq!(object::finalizers(&marked), [FOREGROUND_FINALIZER]);
    assert!(object::is_deleting(&marked));
    let key = config_maps().storage_key(Some("default"), "cm");
    let stored = store.inner.get(&key).await.expect("get").expect("kept");
    let stored = object::decode(&stored).expect("decode");
    assert_eq!(object::finalizers(&stored), [FOREGROUND_FINALIZER]);
}

#[tokio::test]
async fn only_the_clients_own_preconditions_or_endless_races_make_it_409() {
    // The resourceVersion the client read is gone after the race: 409, as upstream.
    let (registry, _, read) = racing(1).await;
    let opts = DeleteOptions {
        precondition_resource_version: Some(read.clone()),
        ..Default::default()
    };
    let refused = message(
        registry
            .delete(config_maps(), Some("default"), "cm", &opts)
            .await,
    );
    assert!(
        refused.starts_with(&format!(
            "409 Operation cannot be fulfilled on configmaps \"cm\": Precondition failed: \
             ResourceVersion in precondition: {read}, ResourceVersion in object meta: "
        )),
        "{refused}"
    );

    // A uid precondition survives races: the object is still the same one.
    let (registry, _, _) = racing(2).await;
    let opts = DeleteOptions {
        precondition_uid: Some("u-1".into()),
        ..Default::default()
    };
    let deleted = registry
        .delete(config_maps(), Some("default"), "cm", &opts)
        .await;
    assert!(
        matches!(deleted, Ok(Deleted::Gone(_))),
        "{}",
        message(deleted)
    );

    // A writer that wins every time: the delete gives up with upstream's conflict.
    let (registry, _, _) = racing(usize::MAX).await;
    let refused = message(
        registry
            .delete(
                config_maps(),
                Some("default"),
                "cm",
                &DeleteOptions::default(),
            )
            .await,
    );
    assert!(
        refused.starts_with("409 Operation cannot be fulfilled on configmaps \"cm\""),
        "{refused}"
    );
}

fn config_map(data: &str, resource_version: Option<&str>) -> serde_json::Value {
    let mut body = json!({"apiVersion": "v1", "kind": "ConfigMap",
                          "metadata": {"name": "cm", "namespace": "default"},
                          "data": {"k": data}});
    if let Some(rv) = resource_version {
        body["metadata"]["resourceVersion"] = json!(rv);
    }
    body
}

/// A PUT of ConfigMap `cm`: the object written, or the error's code and message.
async fn put(registry: &Registry, body: serde_json::Value) -> Result<serde_json::Value, String> {
    registry
        .update(
            config_maps(),
            Some("default"),
            "cm",
            body,
            Part::Main,
            &WriteOptions::default(),
        )
        .await
        .map(|written| written.object)
        .map_err(|e| format!("{} {}", e.code, e.message))
}

#[tokio::test]
async fn an_update_without_a_resource_version_retries_and_one_with_it_is_409() {
    let (registry, store, read) = racing(2).await;
    let written = put(&registry, config_map("new", None)).await;
    let written = written.expect("the unconditional update lands");
    assert_eq!(written["data"]["k"], "new");
    let key = config_maps().storage_key(Some("default"), "cm");
    let stored = store.inner.get(&key).await.expect("get").expect("kept");
    assert_eq!(object::decode(&stored).expect("decode")["data"]["k"], "new");
    assert_eq!(store.races.load(Ordering::SeqCst), 0, "both races ran");
    assert_ne!(stored.mod_revision.to_string(), read);

    // With the resourceVersion the client read, a race is the client's conflict.
    let (registry, _, read) = racing(1).await;
    let refused = put(&registry, config_map("new", Some(&read))).await.err();
    assert_eq!(
        refused.as_deref(),
        Some(
            "409 Operation cannot be fulfilled on configmaps \"cm\": the object has been \
             modified; please apply your changes to the latest version and try again"
        )
    );
}

#[tokio::test]
async fn a_failed_uid_precondition_is_answered_at_once_not_retried_as_a_race() {
    let (registry, store, _) = racing(10).await;
    let mut body = config_map("new", None);
    body["metadata"]["uid"] = json!("someone-else");
    let refused = put(&registry, body).await.err();
    assert_eq!(refused.as_deref(), Some(UID_REFUSED));
    assert_eq!(store.races.load(Ordering::SeqCst), 9, "read once");

    // The same through a PATCH.
    let (registry, store, _) = racing(10).await;
    let patch = crate::patch::Patch::parse(
        "application/merge-patch+json",
        br#"{"metadata":{"uid":"someone-else"}}"#,
    )
    .map_err(|e| e.message)
    .expect("a merge patch");
    let refused = registry
        .patch(
            config_maps(),
            Some("default"),
            "cm",
            &patch,
            Part::Main,
            &WriteOptions::default(),
        )
        .await
        .err()
        .map(|e| format!("{} {}", e.code, e.message));
    assert_eq!(refused.as_deref(), Some(UID_REFUSED));
    assert_eq!(store.races.load(Ordering::SeqCst), 9, "read once");
}

const UID_REFUSED: &str = "409 Operation cannot be fulfilled on configmaps \"cm\": Precondition \
                           failed: UID in precondition: someone-else, UID in object meta: u-1";
