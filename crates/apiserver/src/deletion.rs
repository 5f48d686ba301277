//! Deletion: preconditions, `propagationPolicy` as finalizers for the garbage
//! collector, graceful deletion of pods bound to a node, and the final removal.
//!
//! A delete re-reads and tries again when a concurrent write wins the compare-and-swap
//! between its read and its write, as upstream's storage does: a user's delete never
//! fails with `409` because a controller wrote a status meanwhile. Only preconditions
//! the client set (uid, resourceVersion) make it `409`.

use bosun_api::resources::ResourceInfo;
use bosun_store::{KeyValue, StoreError};
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::object::{self, meta_mut};
use crate::registry::{
    DeleteOptions, Deleted, FOREGROUND_FINALIZER, ORPHAN_FINALIZER, PATCH_RETRIES, Propagation,
    Registry, current_revision_of, has_spec_finalizers,
};

impl Registry {
    /// Deletes an object, or marks it deleting while finalizers or a grace period hold
    /// it (`Deleted::Pending`).
    pub async fn delete(
        &self,
        info: &ResourceInfo,
        ns: Option<&str>,
        name: &str,
        opts: &DeleteOptions,
    ) -> ApiResult<Deleted> {
        for attempt in 0..PATCH_RETRIES {
            if let Some(deleted) = self.delete_attempt(info, ns, name, opts).await? {
                return Ok(deleted);
            }
            // Let the competing writer finish before reading again.
            tokio::time::sleep(std::time::Duration::from_millis(1 << attempt.min(6))).await;
        }
        Err(ApiError::conflict(info, name))
    }

    /// One try at `delete`; `None` if a concurrent writer changed the object between
    /// its read and the compare-and-swap.
    async fn delete_attempt(
        &self,
        info: &ResourceInfo,
        ns: Option<&str>,
        name: &str,
        opts: &DeleteOptions,
    ) -> ApiResult<Option<Deleted>> {
        let won = |written: Result<KeyValue, StoreError>| match written {
            Ok(kv) => Ok(Some(kv)),
            Err(StoreError::Conflict { .. }) => Ok(None),
            Err(e) => Err(ApiError::from_store(e, info, name)),
        };
        let current = self.get(info, ns, name).await?;
        let meta = object::meta(&current).cloned().unwrap_or_default();
        if let Some(uid) = &opts.precondition_uid
            && meta.get("uid").and_then(Value::as_str) != Some(uid.as_str())
        {
            return Err(ApiError::conflict_message(
                info,
                name,
                &format!(
                    "Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
                    meta.get("uid").and_then(Value::as_str).unwrap_or("")
                ),
            ));
        }
        if let Some(rv) = &opts.precondition_resource_version
            && meta.get("resourceVersion").and_then(Value::as_str) != Some(rv.as_str())
        {
            return Err(ApiError::conflict_message(
                info,
                name,
                &format!(
                    "Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {}",
                    meta.get("resourceVersion")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                ),
            ));
        }
        let key = info.storage_key(ns, name);
        let current_rev = current_revision_of(&current);
        let grace = graceful_period(info, &current, opts.grace_period_seconds);
        // Upstream's default for core/v1 ReplicationControllers is to orphan; for
        // everything else bosun serves it is background deletion.
        let propagation = opts
            .propagation
            .unwrap_or(if info.plural == "replicationcontrollers" {
                Propagation::Orphan
            } else {
                Propagation::Background
            });
        let gc_finalizer = match propagation {
            Propagation::Orphan => Some(ORPHAN_FINALIZER),
            Propagation::Foreground => Some(FOREGROUND_FINALIZER),
            Propagation::Background => None,
        };
        let stored = current.clone();
        let mut current = current;
        if let Some(finalizer) = gc_finalizer
            && !object::finalizers(&current).iter().any(|f| f == finalizer)
        {
            let mut finalizers = object::finalizers(&current);
            finalizers.push(finalizer.to_string());
            meta_mut(&mut current).insert("finalizers".into(), json!(finalizers));
        }
        let needs_wait = !object::finalizers(&current).is_empty()
            || has_spec_finalizers(info, &current)
            || grace.is_some_and(|g| g > 0);
        if needs_wait {
            let mut marked = current.clone();
            let already = object::is_deleting(&current);
            {
                let m = meta_mut(&mut marked);
                let grace = grace.unwrap_or(0);
                if !already {
                    m.insert(
                        "deletionTimestamp".into(),
                        json!(object::rfc3339_after(grace)),
                    );
                    m.insert("deletionGracePeriodSeconds".into(), json!(grace));
                    if let Some(g) = m.get("generation").and_then(Value::as_i64) {
                        m.insert("generation".into(), json!(g + 1));
                    }
                } else if let Some(existing) =
                    m.get("deletionGracePeriodSeconds").and_then(Value::as_i64)
                    && grace < existing
                {
                    // A shorter grace period may replace a longer one.
                    m.insert(
                        "deletionTimestamp".into(),
                        json!(object::rfc3339_after(grace)),
                    );
                    m.insert("deletionGracePeriodSeconds".into(), json!(grace));
                }
                m.remove("resourceVersion");
            }
            if info.plural == "namespaces" {
                marked["status"]["phase"] = json!("Terminating");
            }
            if opts.dry_run {
                return Ok(Some(Deleted::Pending(marked)));
            }
            let finished = object::finalizers(&marked).is_empty()
                && !has_spec_finalizers(info, &marked)
                && grace == Some(0);
            if finished {
                let Some(kv) = won(self.delete_stored(&key, current_rev).await)? else {
                    return Ok(None);
                };
                return Ok(Some(Deleted::Gone(object::decode(&kv)?)));
            }
            let mut probe = marked.clone();
            meta_mut(&mut probe).insert("resourceVersion".into(), json!(current_rev.to_string()));
            if probe == stored {
                return Ok(Some(Deleted::Pending(stored)));
            }
            let written = self
                .store()
                .update(&key, object::encode(&marked), current_rev)
                .await;
            let Some(kv) = won(written)? else {
                return Ok(None);
            };
            return Ok(Some(Deleted::Pending(object::decode(&kv)?)));
        }
        if opts.dry_run {
            return Ok(Some(Deleted::Gone(current)));
        }
        let Some(kv) = won(self.delete_stored(&key, current_rev).await)? else {
            return Ok(None);
        };
        Ok(Some(Deleted::Gone(object::decode(&kv)?)))
    }
}

/// The grace period a delete uses: only pods have one, and only once bound to a node
/// and not yet finished (upstream deletes unbound or terminal pods at once).
fn graceful_period(info: &ResourceInfo, obj: &Value, requested: Option<i64>) -> Option<i64> {
    if info.plural != "pods" {
        return None;
    }
    let bound = obj
        .pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .is_some_and(|n| !n.is_empty());
    let phase = obj.pointer("/status/phase").and_then(Value::as_str);
    if !bound || matches!(phase, Some("Succeeded" | "Failed")) {
        return Some(0);
    }
    Some(
        requested
            .or_else(|| {
                obj.pointer("/spec/terminationGracePeriodSeconds")
                    .and_then(Value::as_i64)
            })
            .unwrap_or(30)
            .max(0),
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use bosun_store::{EmbeddedStore, ListOptions, ListResult, Revision, Store, WatchStream};
    use bytes::Bytes;

    use super::*;

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
        async fn list(
            &self,
            prefix: &str,
            options: ListOptions,
        ) -> bosun_store::Result<ListResult> {
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
        async fn delete(
            &self,
            key: &str,
            expected: Option<Revision>,
        ) -> bosun_store::Result<KeyValue> {
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
}
