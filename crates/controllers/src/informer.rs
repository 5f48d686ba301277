//! Informers: a watch-fed cache of one resource plus change notifications with the old
//! and new object, so controllers can react to additions, updates and deletions and read
//! state without asking the API server. Built on kube-runtime's `watcher`, which relists
//! on `410 Gone` and resumes on disconnects.

use std::collections::{HashMap, HashSet};
use std::fmt::Debug;
use std::sync::{Arc, RwLock};

use futures::StreamExt;
use kube::runtime::watcher;
use kube::{Api, Resource, ResourceExt};
use serde::de::DeserializeOwned;
use tokio::sync::watch;

/// `namespace/name` of an object (namespace empty for cluster-scoped kinds).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectKey {
    pub namespace: String,
    pub name: String,
}

impl ObjectKey {
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> ObjectKey {
        ObjectKey {
            namespace: namespace.into(),
            name: name.into(),
        }
    }

    pub fn of<K: Resource>(obj: &K) -> ObjectKey {
        ObjectKey::new(obj.namespace().unwrap_or_default(), obj.name_any())
    }
}

impl std::fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// One observed change.
pub enum Change<K> {
    Added(Arc<K>),
    Updated { old: Arc<K>, new: Arc<K> },
    Deleted(Arc<K>),
}

type Handler<K> = Box<dyn Fn(&Change<K>) + Send + Sync>;

/// The one secondary index an informer may keep: each object's index key, if any.
pub type IndexFn<K> = fn(&K) -> Option<String>;

/// The cached objects and, if the informer has an index, the keys under each index key
/// (kept under the same lock, so the two always agree).
struct Cache<K> {
    objects: HashMap<ObjectKey, Arc<K>>,
    index: Option<IndexFn<K>>,
    indexed: HashMap<String, HashSet<ObjectKey>>,
}

impl<K> Cache<K> {
    fn new(index: Option<IndexFn<K>>, objects: HashMap<ObjectKey, Arc<K>>) -> Cache<K> {
        let mut cache = Cache {
            objects: HashMap::new(),
            index,
            indexed: HashMap::new(),
        };
        for (key, obj) in objects {
            cache.insert(key, obj);
        }
        cache
    }

    fn unindex(&mut self, key: &ObjectKey, obj: &K) {
        if let Some(slot) = self.index.and_then(|f| f(obj))
            && let Some(keys) = self.indexed.get_mut(&slot)
        {
            keys.remove(key);
            if keys.is_empty() {
                self.indexed.remove(&slot);
            }
        }
    }

    fn insert(&mut self, key: ObjectKey, obj: Arc<K>) -> Option<Arc<K>> {
        let old = self.objects.insert(key.clone(), obj.clone());
        if let Some(previous) = &old {
            self.unindex(&key, previous);
        }
        if let Some(slot) = self.index.and_then(|f| f(&obj)) {
            self.indexed.entry(slot).or_default().insert(key);
        }
        old
    }

    fn remove(&mut self, key: &ObjectKey) -> Option<Arc<K>> {
        let old = self.objects.remove(key)?;
        self.unindex(key, &old);
        Some(old)
    }
}

/// A cache of one resource kind, kept current by a watch.
pub struct Informer<K> {
    cache: RwLock<Cache<K>>,
    handlers: RwLock<Vec<Handler<K>>>,
    synced: watch::Sender<bool>,
}

impl<K> Informer<K>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
{
    pub fn new() -> Arc<Informer<K>> {
        Self::build(None)
    }

    /// An informer that also indexes its objects by `index` (see [`Informer::by_index`]).
    pub fn indexed(index: IndexFn<K>) -> Arc<Informer<K>> {
        Self::build(Some(index))
    }

    fn build(index: Option<IndexFn<K>>) -> Arc<Informer<K>> {
        let (synced, _) = watch::channel(false);
        Arc::new(Informer {
            cache: RwLock::new(Cache::new(index, HashMap::new())),
            handlers: RwLock::new(Vec::new()),
            synced,
        })
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Cache<K>> {
        self.cache.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Cache<K>> {
        self.cache.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a change handler; it must be cheap (it runs on the watch task).
    pub fn on_change(&self, handler: impl Fn(&Change<K>) + Send + Sync + 'static) {
        self.handlers
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(Box::new(handler));
    }

    fn dispatch(&self, change: Change<K>) {
        for handler in self
            .handlers
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            handler(&change);
        }
    }

    /// Starts following `api`; returns at once.
    pub fn run(self: &Arc<Self>, api: Api<K>) {
        self.run_as::<K>(api)
    }

    /// Starts following `api`, whose objects are decoded as `W` (a view of `K` with
    /// only the fields the cache keeps, as client-go's informer transforms trim them)
    /// and cached as the `K` they convert into.
    pub fn run_as<W>(self: &Arc<Self>, api: Api<W>)
    where
        W: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
        K: From<W>,
    {
        let this = self.clone();
        tokio::spawn(async move {
            let config = watcher::Config::default();
            let mut stream = watcher::watcher(api, config).boxed();
            let mut relist: Option<HashMap<ObjectKey, Arc<K>>> = None;
            while let Some(event) = stream.next().await {
                match event {
                    Ok(watcher::Event::Init) => relist = Some(HashMap::new()),
                    Ok(watcher::Event::InitApply(obj)) => {
                        if let Some(fresh) = relist.as_mut() {
                            let obj = K::from(obj);
                            fresh.insert(ObjectKey::of(&obj), Arc::new(obj));
                        }
                    }
                    Ok(watcher::Event::InitDone) => {
                        if let Some(fresh) = relist.take() {
                            this.replace_all(fresh);
                        }
                        this.synced.send_replace(true);
                    }
                    Ok(watcher::Event::Apply(obj)) => this.apply(K::from(obj)),
                    Ok(watcher::Event::Delete(obj)) => this.delete(K::from(obj)),
                    Err(err) => {
                        tracing::debug!(%err, kind = %K::kind(&Default::default()), "watch error; retrying");
                        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                    }
                }
            }
        });
    }

    pub(crate) fn apply(&self, obj: K) {
        let key = ObjectKey::of(&obj);
        let new = Arc::new(obj);
        let old = self.write().insert(key, new.clone());
        self.dispatch(match old {
            Some(old) => Change::Updated { old, new },
            None => Change::Added(new),
        });
    }

    fn delete(&self, obj: K) {
        let key = ObjectKey::of(&obj);
        let removed = self.write().remove(&key);
        self.dispatch(Change::Deleted(removed.unwrap_or_else(|| Arc::new(obj))));
    }

    /// After a relist: dispatches what appeared, changed or vanished meanwhile.
    fn replace_all(&self, fresh: HashMap<ObjectKey, Arc<K>>) {
        let old = {
            let mut cache = self.write();
            let rebuilt = Cache::new(cache.index, fresh.clone());
            std::mem::replace(&mut *cache, rebuilt).objects
        };
        for (key, new) in &fresh {
            match old.get(key) {
                Some(previous) if previous.resource_version() == new.resource_version() => {}
                Some(previous) => self.dispatch(Change::Updated {
                    old: previous.clone(),
                    new: new.clone(),
                }),
                None => self.dispatch(Change::Added(new.clone())),
            }
        }
        for (key, gone) in old {
            if !fresh.contains_key(&key) {
                self.dispatch(Change::Deleted(gone));
            }
        }
    }

    /// Waits until the first full list has been cached.
    pub async fn wait_synced(&self) {
        let mut rx = self.synced.subscribe();
        let _ = rx.wait_for(|s| *s).await;
    }

    pub fn get(&self, key: &ObjectKey) -> Option<Arc<K>> {
        self.read().objects.get(key).cloned()
    }

    /// Every cached object in `namespace`.
    pub fn list_namespace(&self, namespace: &str) -> Vec<Arc<K>> {
        self.read()
            .objects
            .iter()
            .filter(|(k, _)| k.namespace == namespace)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// The cached objects whose index key is `slot` (none without an index).
    pub fn by_index(&self, slot: &str) -> Vec<Arc<K>> {
        let cache = self.read();
        cache
            .indexed
            .get(slot)
            .into_iter()
            .flatten()
            .filter_map(|key| cache.objects.get(key).cloned())
            .collect()
    }

    pub fn list(&self) -> Vec<Arc<K>> {
        self.read().objects.values().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::Pod;

    fn pod(name: &str, owner: Option<&str>) -> Pod {
        let owner = owner.map(|uid| {
            serde_json::json!([{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs",
                                "uid": uid, "controller": true}])
        });
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": name, "namespace": "ns", "ownerReferences": owner}
        }))
        .expect("a pod")
    }

    fn names(pods: Vec<Arc<Pod>>) -> Vec<String> {
        let mut names: Vec<String> = pods.iter().map(|p| p.name_any()).collect();
        names.sort();
        names
    }

    #[test]
    fn the_index_follows_adoption_release_deletion_and_relists() {
        let pods = Informer::<Pod>::indexed(crate::replicaset::pod_owner_index);
        let orphans = crate::replicaset::orphan_index_key("ns");
        pods.apply(pod("a", Some("uid-1")));
        pods.apply(pod("b", None));
        pods.apply(pod("c", Some("uid-2")));
        assert_eq!(names(pods.by_index("uid-1")), ["a"]);
        assert_eq!(names(pods.by_index(&orphans)), ["b"]);

        pods.apply(pod("b", Some("uid-1"))); // adopted
        assert_eq!(names(pods.by_index("uid-1")), ["a", "b"]);
        assert!(pods.by_index(&orphans).is_empty());

        pods.apply(pod("a", None)); // released
        assert_eq!(names(pods.by_index("uid-1")), ["b"]);
        assert_eq!(names(pods.by_index(&orphans)), ["a"]);

        pods.delete(pod("b", Some("uid-1")));
        assert!(pods.by_index("uid-1").is_empty());

        let mut fresh = HashMap::new();
        let d = pod("d", Some("uid-2"));
        fresh.insert(ObjectKey::of(&d), Arc::new(d));
        pods.replace_all(fresh);
        assert_eq!(names(pods.by_index("uid-2")), ["d"]);
        assert!(pods.by_index(&orphans).is_empty());
        assert_eq!(names(pods.list()), ["d"]);
    }

    #[test]
    fn an_informer_without_an_index_finds_nothing_by_index() {
        let pods = Informer::<Pod>::new();
        pods.apply(pod("a", Some("uid-1")));
        assert!(pods.by_index("uid-1").is_empty());
        assert_eq!(names(pods.list_namespace("ns")), ["a"]);
    }
}
