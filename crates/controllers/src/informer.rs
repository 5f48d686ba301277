//! Informers: a watch-fed cache of one resource plus change notifications with the old
//! and new object, so controllers can react to additions, updates and deletions and read
//! state without asking the API server. Built on kube-runtime's `watcher`, which relists
//! on `410 Gone` and resumes on disconnects.

use std::collections::HashMap;
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

/// A cache of one resource kind, kept current by a watch.
pub struct Informer<K> {
    cache: RwLock<HashMap<ObjectKey, Arc<K>>>,
    handlers: RwLock<Vec<Handler<K>>>,
    synced: watch::Sender<bool>,
}

impl<K> Informer<K>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
{
    pub fn new() -> Arc<Informer<K>> {
        let (synced, _) = watch::channel(false);
        Arc::new(Informer {
            cache: RwLock::new(HashMap::new()),
            handlers: RwLock::new(Vec::new()),
            synced,
        })
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
                            fresh.insert(ObjectKey::of(&obj), Arc::new(obj));
                        }
                    }
                    Ok(watcher::Event::InitDone) => {
                        if let Some(fresh) = relist.take() {
                            this.replace_all(fresh);
                        }
                        this.synced.send_replace(true);
                    }
                    Ok(watcher::Event::Apply(obj)) => this.apply(obj),
                    Ok(watcher::Event::Delete(obj)) => this.delete(obj),
                    Err(err) => {
                        tracing::debug!(%err, kind = %K::kind(&Default::default()), "watch error; retrying");
                        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                    }
                }
            }
        });
    }

    fn apply(&self, obj: K) {
        let key = ObjectKey::of(&obj);
        let new = Arc::new(obj);
        let old = self
            .cache
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, new.clone());
        self.dispatch(match old {
            Some(old) => Change::Updated { old, new },
            None => Change::Added(new),
        });
    }

    fn delete(&self, obj: K) {
        let key = ObjectKey::of(&obj);
        let removed = self
            .cache
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&key);
        self.dispatch(Change::Deleted(removed.unwrap_or_else(|| Arc::new(obj))));
    }

    /// After a relist: dispatches what appeared, changed or vanished meanwhile.
    fn replace_all(&self, fresh: HashMap<ObjectKey, Arc<K>>) {
        let old = std::mem::replace(
            &mut *self.cache.write().unwrap_or_else(|e| e.into_inner()),
            fresh.clone(),
        );
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
        self.cache
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned()
    }

    /// Every cached object in `namespace`.
    pub fn list_namespace(&self, namespace: &str) -> Vec<Arc<K>> {
        self.cache
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|(k, _)| k.namespace == namespace)
            .map(|(_, v)| v.clone())
            .collect()
    }

    pub fn list(&self) -> Vec<Arc<K>> {
        self.cache
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect()
    }
}
