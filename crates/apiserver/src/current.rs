//! The current state of every object, kept in memory by following the store's watch,
//! so that a LIST of the latest state walks a sorted map of what is there instead of
//! copying every key of its prefix out of the store.
//!
//! Upstream serves the same reads from its watch cache ("consistent reads from
//! cache"): it asks etcd for the current revision, waits until the cache has seen it,
//! and answers from the cache. [`CurrentState::list`] does the same with the revision
//! the registry reads at the start of the LIST, so the answer holds every write that
//! was acknowledged before the request. When the state does not catch up within
//! [`CATCH_UP`] (the store's newest revision can be a key outside `/registry/`, which
//! this watch never sees) or is being rebuilt, the LIST goes to the store as before.
//!
//! Values are the store's own `Bytes` (shared, never copied) and labels are parsed
//! once per version, by the first label-selected LIST that visits it. Without this,
//! a LIST of 100 of 12,000 pods spent most of its time copying the 12,000 entries out
//! of the store and looking each one's labels up in a cache keyed by revision.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use bosun_api::resources::ResourceInfo;
use bosun_api::selector::PackedLabels;
use bosun_store::{EventKind, ListOptions, Store, StoreError};
use bytes::Bytes;
use futures::StreamExt;

use crate::error::ApiResult;
use crate::object;
use crate::registry::{ListItem, ListPage, ListParams};

/// Every API object is stored under this prefix.
const PREFIX: &str = "/registry/";
/// How long a LIST waits for the state to reach the store's revision before it reads
/// the store instead. The watch delivers a write within microseconds of its commit,
/// so this is only ever spent when the newest revision is not an API object.
const CATCH_UP: Duration = Duration::from_millis(50);
/// Keys read per store request while (re)building the state.
const SEED_PAGE: usize = 10_000;

pub struct CurrentState {
    objects: RwLock<Objects>,
    /// The revision `objects` is at, `None` until it is built and while it is rebuilt.
    /// LISTs wait on it.
    revision: tokio::sync::watch::Sender<Option<i64>>,
}

#[derive(Default)]
struct Objects {
    revision: i64,
    by_key: BTreeMap<String, Entry>,
}

/// One object's latest version.
struct Entry {
    mod_revision: i64,
    value: Bytes,
    /// `None` inside if the value does not decode (never written by this server).
    labels: OnceLock<Option<PackedLabels>>,
}

impl Entry {
    fn new(mod_revision: i64, value: Bytes) -> Entry {
        Entry {
            mod_revision,
            value,
            labels: OnceLock::new(),
        }
    }

    fn labels(&self) -> Option<&PackedLabels> {
        self.labels
            .get_or_init(|| {
                let labels = object::stored_labels(&self.value).ok()?;
                Some(PackedLabels::pack(&labels))
            })
            .as_ref()
    }
}

/// What a LIST takes from the state under its lock, to decode after releasing it.
struct Snapshot {
    revision: i64,
    /// Key, revision and value of each version the LIST may return, in key order.
    candidates: Vec<(String, i64, Bytes)>,
    /// The last key under the prefix (read only for a limited LIST): a page ending
    /// before it has more after it.
    last_key: Option<String>,
    /// How many keys are under the prefix (counted only for an unselected, limited
    /// LIST, which reports how many remain).
    total: usize,
}

/// Why a LIST cannot be answered from memory; the store answers it instead.
struct NotHere;

impl CurrentState {
    pub fn new() -> Arc<CurrentState> {
        Arc::new(CurrentState {
            objects: RwLock::default(),
            revision: tokio::sync::watch::Sender::new(None),
        })
    }

    /// Builds the state from one read of the store and keeps it current from the
    /// store's watch, for as long as the state is referenced.
    pub fn follow(self: &Arc<Self>, store: Arc<dyn Store>) {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            'rebuild: loop {
                let Some(this) = weak.upgrade() else { return };
                let mut from = match this.rebuild(store.as_ref()).await {
                    Ok(revision) => revision,
                    Err(err) => {
                        tracing::debug!(%err, "building the current state");
                        drop(this);
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        continue;
                    }
                };
                drop(this);
                loop {
                    let mut stream = match store.watch(PREFIX, from).await {
                        Ok(stream) => stream,
                        Err(StoreError::Compacted { .. }) => continue 'rebuild,
                        Err(err) => {
                            tracing::debug!(%err, "resuming the current state's watch");
                            tokio::time::sleep(Duration::from_millis(500)).await;
                            continue;
                        }
                    };
                    while let Some(Ok(batch)) = stream.next().await {
                        let Some(this) = weak.upgrade() else { return };
                        from = this.apply(batch);
                    }
                    // The watch ended (an error, or the datastore went away): resume
                    // where the state stopped; only history compacted away since
                    // makes it read everything again.
                }
            }
        });
    }

    /// Replaces the state with a read of the store at its current revision.
    async fn rebuild(&self, store: &dyn Store) -> Result<i64, StoreError> {
        self.revision.send_replace(None);
        let mut by_key = BTreeMap::new();
        let mut revision = None;
        let mut start_after = None;
        loop {
            let page = store
                .list(
                    PREFIX,
                    ListOptions {
                        revision,
                        start_after: start_after.take(),
                        limit: Some(SEED_PAGE),
                    },
                )
                .await?;
            revision = Some(page.revision);
            start_after = page.kvs.last().map(|kv| kv.key.clone());
            for kv in page.kvs {
                by_key.insert(kv.key, Entry::new(kv.mod_revision, kv.value));
            }
            if !page.more {
                break;
            }
        }
        let revision = revision.unwrap_or_default();
        *self.objects.write().unwrap_or_else(|e| e.into_inner()) = Objects { revision, by_key };
        self.revision.send_replace(Some(revision));
        Ok(revision)
    }

    /// Applies one batch of the store's watch; the revision the state is now at.
    fn apply(&self, batch: Vec<bosun_store::Event>) -> i64 {
        let mut objects = self.objects.write().unwrap_or_else(|e| e.into_inner());
        for event in batch {
            if event.kv.mod_revision <= objects.revision {
                continue;
            }
            objects.revision = event.kv.mod_revision;
            match event.kind {
                EventKind::Put => {
                    let entry = Entry::new(event.kv.mod_revision, event.kv.value);
                    objects.by_key.insert(event.kv.key, entry);
                }
                EventKind::Delete => {
                    objects.by_key.remove(&event.kv.key);
                }
            }
        }
        let revision = objects.revision;
        drop(objects);
        self.revision.send_replace(Some(revision));
        revision
    }

    /// Whether the state has reached `target`, waiting up to [`CATCH_UP`] for it.
    async fn caught_up(&self, target: i64) -> bool {
        let mut revision = self.revision.subscribe();
        let reached = |r: &Option<i64>| r.is_some_and(|r| r >= target);
        if reached(&revision.borrow()) {
            return true;
        }
        if revision.borrow().is_none() {
            return false;
        }
        matches!(
            tokio::time::timeout(CATCH_UP, revision.wait_for(reached)).await,
            Ok(Ok(_))
        )
    }

    /// A LIST of the latest state, answered from memory if the state has reached
    /// `target` (the store's revision when the LIST began); `None` when the store
    /// must answer it. Pages past the first continue from the store, at this page's
    /// revision, as every continued LIST does.
    pub async fn list<T: ListItem>(
        &self,
        info: &ResourceInfo,
        ns: Option<&str>,
        params: &ListParams,
        target: i64,
    ) -> ApiResult<Option<ListPage<T>>> {
        if params.revision.is_some() || params.start_after.is_some() {
            return Ok(None);
        }
        if !self.caught_up(target).await {
            return Ok(None);
        }
        let prefix = info.storage_prefix_in(ns);
        let Ok(snapshot) = self.snapshot(&prefix, params) else {
            return Ok(None);
        };
        let limit = params.limit.filter(|l| *l > 0);
        let unselected = params.label_selector.is_none() && params.field_selector.is_none();
        let mut items = Vec::new();
        for (i, (key, revision, value)) in snapshot.candidates.into_iter().enumerate() {
            // Labels were matched in the snapshot.
            let Some(item) = T::select(info, params, &value, revision, true)? else {
                continue;
            };
            items.push(item);
            if limit.is_some_and(|l| items.len() >= l) {
                let more = snapshot.last_key.as_ref().is_some_and(|last| *last > key);
                return Ok(Some(ListPage {
                    items,
                    revision: snapshot.revision,
                    // With no selector every key is a candidate, so `i` counts keys.
                    remaining: (more && unselected).then(|| snapshot.total - i - 1),
                    continue_after: more.then_some(key),
                }));
            }
        }
        Ok(Some(ListPage {
            items,
            revision: snapshot.revision,
            continue_after: None,
            remaining: None,
        }))
    }

    /// The versions under `prefix` that `params`' label selector selects. Without a
    /// field selector, whose fields only the decoded object has, every candidate is
    /// returned, so a limited LIST takes no more than one past its limit.
    fn snapshot(&self, prefix: &str, params: &ListParams) -> Result<Snapshot, NotHere> {
        // Storage prefixes are ASCII and end in '/'; the first key past them all ends
        // in the next character.
        let end = match prefix.strip_suffix('/') {
            Some(stem) => format!("{stem}0"),
            None => return Err(NotHere),
        };
        let objects = self.objects.read().unwrap_or_else(|e| e.into_inner());
        let range = || {
            objects
                .by_key
                .range::<str, _>((Bound::Included(prefix), Bound::Excluded(end.as_str())))
        };
        let limit = params.limit.filter(|l| *l > 0);
        let cutoff = match (limit, &params.field_selector) {
            (Some(limit), None) => limit.saturating_add(1),
            _ => usize::MAX,
        };
        let mut candidates = Vec::new();
        for (key, entry) in range() {
            if candidates.len() >= cutoff {
                break;
            }
            if let Some(selector) = &params.label_selector {
                // An undecodable value: the store path reports it as the store has it.
                let labels = entry.labels().ok_or(NotHere)?;
                if !selector.matches(labels) {
                    continue;
                }
            }
            candidates.push((key.clone(), entry.mod_revision, entry.value.clone()));
        }
        let unselected = params.label_selector.is_none() && params.field_selector.is_none();
        Ok(Snapshot {
            revision: objects.revision,
            candidates,
            last_key: limit
                .and_then(|_| range().next_back())
                .map(|(key, _)| key.clone()),
            total: if limit.is_some() && unselected {
                range().count()
            } else {
                0
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{EncodedObject, Registry};
    use bosun_api::selector::{FieldSelector, LabelSelector};
    use bosun_store::EmbeddedStore;
    use serde_json::{Value, json};

    fn pods() -> &'static ResourceInfo {
        bosun_api::resources::find("", "v1", "pods").expect("pods")
    }

    fn pod(ns: &str, name: &str, app: &str) -> Bytes {
        Bytes::from(
            json!({"apiVersion": "v1", "kind": "Pod",
                   "metadata": {"name": name, "namespace": ns, "labels": {"app": app}},
                   "spec": {"nodeName": format!("node-{app}")}})
            .to_string(),
        )
    }

    /// A registry that answers from the current state, and one that reads the store.
    async fn registries(store: Arc<dyn Store>) -> (Arc<dyn Store>, Registry, Registry) {
        let cached = Registry::new(store.clone(), Default::default());
        cached.follow_store();
        let mut built = cached.current.revision.subscribe();
        tokio::time::timeout(Duration::from_secs(5), built.wait_for(Option::is_some))
            .await
            .expect("the state is built")
            .expect("the state is kept");
        let direct = Registry::new(store.clone(), Default::default());
        (store, cached, direct)
    }

    fn names(page: &ListPage) -> Vec<String> {
        page.items
            .iter()
            .map(|o| {
                format!(
                    "{}@{}",
                    object::name(o),
                    object::meta_str(o, "resourceVersion").unwrap_or("")
                )
            })
            .collect()
    }

    #[tokio::test]
    async fn lists_from_memory_answer_as_the_store_does() {
        let store: Arc<dyn Store> = Arc::new(EmbeddedStore::in_memory());
        for i in 0..30 {
            let app = ["web", "db", "cache"][i % 3];
            let ns = if i % 4 == 0 { "other" } else { "default" };
            let key = pods().storage_key(Some(ns), &format!("p{i:02}"));
            store
                .create(&key, pod(ns, &format!("p{i:02}"), app))
                .await
                .expect("create");
        }
        // The state is built from these; what follows comes through the watch.
        let (store, cached, direct) = registries(store).await;
        // Changes after the state was built: a relabel, a delete, a new pod.
        let p01 = pods().storage_key(Some("default"), "p01");
        let current = store.get(&p01).await.expect("get").expect("p01");
        store
            .update(&p01, pod("default", "p01", "cache"), current.mod_revision)
            .await
            .expect("relabel");
        store
            .delete(&pods().storage_key(Some("default"), "p02"), None)
            .await
            .expect("delete");
        let key = pods().storage_key(Some("default"), "p99");
        store
            .create(&key, pod("default", "p99", "web"))
            .await
            .expect("create");

        let label = |s: &str| Some(LabelSelector::parse(s).expect("selector"));
        let field = |s: &str| Some(FieldSelector::parse(s).expect("selector"));
        let cases = [
            ListParams::default(),
            ListParams {
                label_selector: label("app=cache"),
                ..Default::default()
            },
            ListParams {
                label_selector: label("app in (web,db)"),
                limit: Some(4),
                ..Default::default()
            },
            ListParams {
                limit: Some(5),
                ..Default::default()
            },
            ListParams {
                limit: Some(500),
                ..Default::default()
            },
            ListParams {
                field_selector: field("spec.nodeName=node-db"),
                limit: Some(2),
                ..Default::default()
            },
            ListParams {
                label_selector: label("app=none"),
                ..Default::default()
            },
        ];
        let target = store.current_revision().await.expect("revision");
        for ns in [None, Some("default"), Some("other"), Some("empty")] {
            for params in &cases {
                let from_memory = cached
                    .current
                    .list(pods(), ns, params, target)
                    .await
                    .expect("list")
                    .expect("answered from memory");
                let from_store = direct.list(pods(), ns, params).await.expect("list");
                assert_eq!(names(&from_memory), names(&from_store), "{ns:?} {params:?}");
                assert_eq!(from_memory.revision, from_store.revision);
                assert_eq!(
                    from_memory.continue_after, from_store.continue_after,
                    "{ns:?} {params:?}"
                );
                assert_eq!(
                    from_memory.remaining, from_store.remaining,
                    "{ns:?} {params:?}"
                );
                // The JSON a client receives, written from the stored bytes.
                let encoded = cached
                    .list_as::<EncodedObject>(pods(), ns, params)
                    .await
                    .expect("list");
                let expected: Vec<Vec<u8>> = from_store
                    .items
                    .iter()
                    .map(|o| serde_json::to_vec(o).expect("encode"))
                    .collect();
                let written: Vec<Vec<u8>> = encoded.items.into_iter().map(|e| e.0).collect();
                assert_eq!(written, expected, "{ns:?} {params:?}");
            }
        }
        let cache = ListParams {
            label_selector: label("app=cache"),
            ..Default::default()
        };
        let page = cached
            .list(pods(), Some("default"), &cache)
            .await
            .expect("list");
        assert!(
            names(&page).iter().any(|n| n.starts_with("p01@")),
            "{:?}",
            names(&page)
        );
        let all = cached
            .list(pods(), None, &ListParams::default())
            .await
            .expect("list");
        assert_eq!(
            all.items.len(),
            30,
            "30 created, one deleted, one more created"
        );
    }

    #[tokio::test]
    async fn a_list_sees_every_write_acknowledged_before_it() {
        let (store, cached, _) = registries(Arc::new(EmbeddedStore::in_memory())).await;
        let mut revision = 0;
        for i in 0..300 {
            let key = pods().storage_key(Some("default"), &format!("p{i}"));
            revision = store
                .create(&key, pod("default", &format!("p{i}"), "web"))
                .await
                .expect("create")
                .mod_revision;
            let page = cached
                .list(pods(), Some("default"), &ListParams::default())
                .await
                .expect("list");
            assert_eq!(page.items.len(), i + 1);
            assert!(page.revision >= revision);
        }
        // Answered from memory, not only correct: the state is at the last write.
        assert_eq!(*cached.current.revision.borrow(), Some(revision));
    }

    #[tokio::test]
    async fn a_list_the_state_has_not_reached_goes_to_the_store() {
        let (store, cached, _) = registries(Arc::new(EmbeddedStore::in_memory())).await;
        let key = pods().storage_key(Some("default"), "p");
        let written = store
            .create(&key, pod("default", "p", "web"))
            .await
            .expect("create");
        let params = ListParams::default();
        let ahead = cached
            .current
            .list::<Value>(pods(), None, &params, written.mod_revision + 1)
            .await
            .expect("list");
        assert!(
            ahead.is_none(),
            "a revision the state has not seen is not answered from memory"
        );
        let paged = ListParams {
            revision: Some(written.mod_revision),
            ..Default::default()
        };
        let exact = cached
            .current
            .list::<Value>(pods(), None, &paged, written.mod_revision)
            .await
            .expect("list");
        assert!(
            exact.is_none(),
            "a LIST at an exact revision reads the store"
        );
        let now = cached
            .current
            .list::<Value>(pods(), None, &params, written.mod_revision)
            .await
            .expect("list");
        assert_eq!(now.map(|p| p.items.len()), Some(1));
    }
}
