//! The current state of every object, kept in memory so that a LIST of the latest
//! state walks a sorted map of what is there instead of copying every key of its
//! prefix out of the store. It is built from one read of the store and kept current
//! by the watch cache, which hands it every batch of the store's watch under the
//! ring's lock (a second store watch of its own cost the write path about 5% in
//! `bench scheduler`: the store copies every event out for each watcher).
//!
//! Upstream serves the same reads from its watch cache ("consistent reads from
//! cache"): it asks etcd for the current revision, waits until the cache has seen it,
//! and answers from the cache. [`CurrentState::list`] does the same with the revision
//! the registry reads at the start of the LIST, so the answer holds every write that
//! was acknowledged before the request. When the state does not catch up within
//! [`CATCH_UP`] (the store's newest revision can be a key outside `/registry/`, which
//! the watch of `/registry/` never delivers) or is being rebuilt, the LIST goes to the store as before.
//!
//! Values are the store's own `Bytes` (shared, never copied) and labels are parsed
//! once per version, when it arrives, into an index by label: a LIST whose selector
//! requires a label (`app=web`, `app in (web)`) visits only the objects that carry
//! it, in key order, and checks the rest of the selector on those. Without the state,
//! a LIST of 100 of 12,000 pods spent most of its time copying the 12,000 entries out
//! of the store and looking each one's labels up in a cache keyed by revision; without
//! the index, walking 15,000 pods for each such LIST was a tenth of the server's time.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::{Arc, RwLock, RwLockWriteGuard};
use std::time::Duration;

use bosun_api::resources::ResourceInfo;
use bosun_api::selector::PackedLabels;
use bosun_store::{EventKind, ListOptions, Store, StoreError};
use bytes::Bytes;

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
    /// `false` until a read of the store is installed, and after the state is
    /// invalidated.
    installed: bool,
    revision: i64,
    by_key: BTreeMap<String, Arc<Entry>>,
    /// Every object by each of its labels (`key\0value`), in key order: a LIST
    /// selecting `app=web` visits only what carries it, not the whole namespace.
    by_label: HashMap<String, BTreeMap<String, Arc<Entry>>>,
    /// Entries whose value does not decode (never written by this server): while
    /// there are any, label-selected LISTs scan the prefix instead of using the index
    /// (and go to the store if they meet one).
    undecodable: usize,
}

/// A label's slot in the index (`key\0value`; insert builds the same in a buffer).
fn label_slot(key: &str, value: &str) -> String {
    format!("{key}\0{value}")
}

impl Objects {
    /// `entries` (by key) as the state at `revision`, indexed.
    fn indexed(revision: i64, entries: BTreeMap<String, Arc<Entry>>) -> Objects {
        let mut objects = Objects {
            installed: true,
            revision,
            ..Objects::default()
        };
        for (key, entry) in entries {
            objects.insert(key, entry);
        }
        objects
    }

    /// Applies changes after the state's revision: an entry to put, or `None` for a
    /// delete.
    fn apply<'a>(&mut self, changes: impl Iterator<Item = (&'a str, i64, Option<Arc<Entry>>)>) {
        for (key, revision, entry) in changes {
            if revision <= self.revision {
                continue;
            }
            self.revision = revision;
            match entry {
                Some(entry) => self.insert(key.to_string(), entry),
                None => self.remove(key),
            }
        }
    }

    fn insert(&mut self, key: String, entry: Arc<Entry>) {
        // Most writes (status updates) keep the labels: the new version takes the old
        // one's place in each of its slots, with no slot or key made or dropped.
        if let Some(old) = self.by_key.get_mut(&key)
            && old.labels.is_some()
            && old.labels == entry.labels
        {
            *old = entry.clone();
            let mut slot = String::new();
            for (label, value) in entry.labels.iter().flat_map(PackedLabels::iter) {
                slot.clear();
                slot.push_str(label);
                slot.push('\0');
                slot.push_str(value);
                if let Some(held) = self.by_label.get_mut(&slot).and_then(|k| k.get_mut(&key)) {
                    *held = entry.clone();
                }
            }
            return;
        }
        self.remove(&key);
        match &entry.labels {
            Some(labels) => {
                for (label, value) in labels.iter() {
                    self.by_label
                        .entry(label_slot(label, value))
                        .or_default()
                        .insert(key.clone(), entry.clone());
                }
            }
            None => self.undecodable += 1,
        }
        self.by_key.insert(key, entry);
    }

    fn remove(&mut self, key: &str) {
        let Some(old) = self.by_key.remove(key) else {
            return;
        };
        let Some(labels) = &old.labels else {
            self.undecodable -= 1;
            return;
        };
        for (label, value) in labels.iter() {
            let slot = label_slot(label, value);
            if let Some(keys) = self.by_label.get_mut(&slot) {
                keys.remove(key);
                if keys.is_empty() {
                    self.by_label.remove(&slot);
                }
            }
        }
    }
}

/// Every object of the store at one revision, indexed (off every lock).
pub(crate) struct StoreRead {
    pub(crate) revision: i64,
    objects: Objects,
}

/// One watch event as a change to the state (labels read here, before any lock).
fn change(kind: EventKind, revision: i64, value: &Bytes) -> Option<Arc<Entry>> {
    (kind == EventKind::Put).then(|| Arc::new(Entry::new(revision, value.clone())))
}

/// One object's latest version.
struct Entry {
    mod_revision: i64,
    value: Bytes,
    /// Read when the version arrives (the label index needs them); `None` if the
    /// value does not decode (never written by this server).
    labels: Option<PackedLabels>,
}

impl Entry {
    fn new(mod_revision: i64, value: Bytes) -> Entry {
        let labels = object::stored_labels(&value)
            .ok()
            .map(|labels| PackedLabels::pack(&labels));
        Entry {
            mod_revision,
            value,
            labels,
        }
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

    /// Reads every object of the store at its current revision, for [`Self::install`].
    pub(crate) async fn read_store(store: &dyn Store) -> Result<StoreRead, StoreError> {
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
                by_key.insert(kv.key, Arc::new(Entry::new(kv.mod_revision, kv.value)));
            }
            if !page.more {
                break;
            }
        }
        let revision = revision.unwrap_or_default();
        Ok(StoreRead {
            revision,
            objects: Objects::indexed(revision, by_key),
        })
    }

    /// Makes `read` the state, brought forward by `since` (the watch cache's events
    /// after the read's revision, in order). The watch cache calls this under its
    /// ring's lock, as it calls [`Self::apply`], so no event falls between the two.
    pub(crate) fn install<'a>(
        &self,
        read: StoreRead,
        since: impl Iterator<Item = (EventKind, &'a str, i64, &'a Bytes)>,
    ) {
        let since: Vec<_> = since
            .map(|(kind, key, revision, value)| (key, revision, change(kind, revision, value)))
            .collect();
        let mut objects = self.objects.write().unwrap_or_else(|e| e.into_inner());
        *objects = read.objects;
        objects.apply(since.into_iter());
        self.publish(objects);
    }

    /// Applies one batch of the store's watch (once the state is installed). The
    /// watch cache calls it under its ring's lock, so `installed` cannot change
    /// between the check and the write.
    pub(crate) fn apply(&self, batch: &[bosun_store::Event]) {
        if !self
            .objects
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .installed
        {
            return;
        }
        // Labels are read before the write lock is taken: LISTs go on meanwhile.
        let changes: Vec<_> = batch
            .iter()
            .map(|e| {
                let entry = change(e.kind, e.kv.mod_revision, &e.kv.value);
                (e.kv.key.as_str(), e.kv.mod_revision, entry)
            })
            .collect();
        let mut objects = self.objects.write().unwrap_or_else(|e| e.into_inner());
        objects.apply(changes.into_iter());
        self.publish(objects);
    }

    /// Releases the state and tells waiting LISTs the revision it is now at.
    fn publish(&self, objects: RwLockWriteGuard<'_, Objects>) {
        let revision = objects.revision;
        drop(objects);
        self.revision.send_replace(Some(revision));
    }

    /// Forgets the state until the next [`Self::install`]: the watch cache lost
    /// events (its store watch fell behind compaction).
    pub(crate) fn invalidate(&self) {
        *self.objects.write().unwrap_or_else(|e| e.into_inner()) = Objects::default();
        self.revision.send_replace(None);
    }

    /// The stored bytes of `key`'s latest version as far as the state has seen, if it
    /// holds it; `None` when it does not (also while it is being built). Like an
    /// informer's lister, it may trail an acknowledged write by the watch's delay, so
    /// callers use it where upstream reads a lister and fall back to the store on a miss.
    pub(crate) fn latest(&self, key: &str) -> Option<Bytes> {
        let objects = self.objects.read().unwrap_or_else(|e| e.into_inner());
        if !objects.installed {
            return None;
        }
        objects.by_key.get(key).map(|entry| entry.value.clone())
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
        // Invalidated between the catch-up check and this read (a watch cache reset).
        if !objects.installed {
            return Err(NotHere);
        }
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
        let required = params
            .label_selector
            .as_ref()
            .and_then(|s| s.required_label())
            .filter(|_| objects.undecodable == 0);
        let empty = BTreeMap::new();
        let source: Box<dyn Iterator<Item = (&String, &Arc<Entry>)>> = match required {
            // Only what carries the label the selector requires (nothing if no object
            // does), in key order as the whole range would give it.
            Some((label, value)) => Box::new(
                objects
                    .by_label
                    .get(&label_slot(label, value))
                    .unwrap_or(&empty)
                    .range::<str, _>((Bound::Included(prefix), Bound::Excluded(end.as_str()))),
            ),
            None => Box::new(range()),
        };
        let mut candidates = Vec::new();
        for (key, entry) in source {
            if candidates.len() >= cutoff {
                break;
            }
            if let Some(selector) = &params.label_selector {
                // An undecodable value: the store path reports it as the store has it.
                let labels = entry.labels.as_ref().ok_or(NotHere)?;
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
    use crate::watch::WatchCache;
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
    async fn registries(
        store: Arc<dyn Store>,
    ) -> (Arc<dyn Store>, Registry, Registry, Arc<WatchCache>) {
        let cached = Registry::new(store.clone(), Default::default());
        let cache = WatchCache::start(store.clone(), cached.current_state())
            .await
            .expect("watch cache");
        let mut built = cached.current_state().revision.subscribe();
        tokio::time::timeout(Duration::from_secs(5), built.wait_for(Option::is_some))
            .await
            .expect("the state is built")
            .expect("the state is kept");
        let direct = Registry::new(store.clone(), Default::default());
        (store, cached, direct, cache)
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
        let (store, cached, direct, _cache) = registries(store).await;
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
            // Through the label index: with a limit, with other requirements, and
            // with a field selector on top.
            ListParams {
                label_selector: label("app=web"),
                limit: Some(3),
                ..Default::default()
            },
            ListParams {
                label_selector: label("!missing,app in (db),tier!=x"),
                ..Default::default()
            },
            ListParams {
                label_selector: label("app==web"),
                field_selector: field("spec.nodeName=node-web"),
                limit: Some(2),
                ..Default::default()
            },
        ];
        let target = store.current_revision().await.expect("revision");
        for ns in [None, Some("default"), Some("other"), Some("empty")] {
            for params in &cases {
                let from_memory = cached
                    .current_state()
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
    async fn a_read_is_installed_with_the_events_after_it() {
        let state = CurrentState::new();
        let a = pods().storage_key(Some("default"), "a");
        let b = pods().storage_key(Some("default"), "b");
        let c = pods().storage_key(Some("default"), "c");
        let mut by_key = BTreeMap::new();
        by_key.insert(
            a.clone(),
            Arc::new(Entry::new(4, pod("default", "a", "web"))),
        );
        by_key.insert(
            b.clone(),
            Arc::new(Entry::new(5, pod("default", "b", "web"))),
        );
        // Before the install, batches are not applied (the read covers them).
        state.apply(&[bosun_store::Event {
            kind: EventKind::Put,
            kv: bosun_store::KeyValue {
                key: c.clone(),
                value: pod("default", "c", "db"),
                create_revision: 3,
                mod_revision: 3,
            },
            prev: None,
        }]);
        assert_eq!(*state.revision.borrow(), None);
        let relabelled = pod("default", "a", "db");
        let since = [
            (EventKind::Put, b.as_str(), 5, &pod("default", "b", "stale")),
            (EventKind::Put, a.as_str(), 6, &relabelled),
            (EventKind::Delete, b.as_str(), 7, &Bytes::new()),
        ];
        state.install(
            StoreRead {
                revision: 5,
                objects: Objects::indexed(5, by_key),
            },
            since.into_iter(),
        );
        assert_eq!(*state.revision.borrow(), Some(7));
        let page = state
            .list::<Value>(pods(), Some("default"), &ListParams::default(), 7)
            .await
            .expect("list")
            .expect("answered from memory");
        assert_eq!(
            names(&page),
            ["a@6"],
            "b deleted, a relabelled, the event at 5 skipped"
        );
        // The label index followed the relabel and the delete.
        for (selector, want) in [
            ("app=db", &["a@6"][..]),
            ("app=web", &[]),
            ("app=stale", &[]),
        ] {
            let params = ListParams {
                label_selector: Some(LabelSelector::parse(selector).expect("selector")),
                ..Default::default()
            };
            let page = state
                .list::<Value>(pods(), Some("default"), &params, 7)
                .await
                .expect("list")
                .expect("answered from memory");
            assert_eq!(names(&page), want, "{selector}");
        }
        // A new version with the same labels (a status write) takes the old one's place
        // in its slots too.
        state.apply(&[bosun_store::Event {
            kind: EventKind::Put,
            kv: bosun_store::KeyValue {
                key: a.clone(),
                value: pod("default", "a", "db"),
                create_revision: 4,
                mod_revision: 8,
            },
            prev: None,
        }]);
        let params = ListParams {
            label_selector: Some(LabelSelector::parse("app=db").expect("selector")),
            ..Default::default()
        };
        let page = state
            .list::<Value>(pods(), Some("default"), &params, 8)
            .await
            .expect("list")
            .expect("answered from memory");
        assert_eq!(names(&page), ["a@8"], "the index holds the newest version");
        let slots: Vec<String> = {
            let objects = state.objects.read().unwrap_or_else(|e| e.into_inner());
            objects.by_label.keys().cloned().collect()
        };
        assert_eq!(
            slots,
            [label_slot("app", "db")],
            "emptied slots are dropped"
        );
        state.invalidate();
        let after = state
            .list::<Value>(pods(), Some("default"), &ListParams::default(), 7)
            .await
            .expect("list");
        assert!(after.is_none(), "an invalidated state answers nothing");
    }

    #[tokio::test]
    async fn a_list_sees_every_write_acknowledged_before_it() {
        let (store, cached, _, _cache) = registries(Arc::new(EmbeddedStore::in_memory())).await;
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
        assert_eq!(*cached.current_state().revision.borrow(), Some(revision));
    }

    #[tokio::test]
    async fn a_list_the_state_has_not_reached_goes_to_the_store() {
        let (store, cached, _, _cache) = registries(Arc::new(EmbeddedStore::in_memory())).await;
        let key = pods().storage_key(Some("default"), "p");
        let written = store
            .create(&key, pod("default", "p", "web"))
            .await
            .expect("create");
        let params = ListParams::default();
        let ahead = cached
            .current_state()
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
            .current_state()
            .list::<Value>(pods(), None, &paged, written.mod_revision)
            .await
            .expect("list");
        assert!(
            exact.is_none(),
            "a LIST at an exact revision reads the store"
        );
        let now = cached
            .current_state()
            .list::<Value>(pods(), None, &params, written.mod_revision)
            .await
            .expect("list");
        assert_eq!(now.map(|p| p.items.len()), Some(1));
    }
}
