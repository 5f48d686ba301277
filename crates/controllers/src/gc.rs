//! The garbage collector: carries out `propagationPolicy` through ownerReferences.
//!
//! - Background: the owner is gone; every dependent whose owners are all gone is deleted
//!   (references to owners that are gone while others remain are removed).
//! - Orphan: the owner waits with the `orphan` finalizer; its dependents lose their
//!   reference to it, then the finalizer is removed and the API server deletes it.
//! - Foreground: the owner waits with the `foregroundDeletion` finalizer; its dependents
//!   are deleted (in the foreground too), and when none is left the finalizer goes.
//!
//! Owners and dependents are the kinds bosun's controllers manage (Deployments,
//! ReplicaSets, ReplicationControllers, Pods). Before deleting anything, owners are
//! looked up live from the API server, never from the possibly stale cache; an owner the
//! cache shows alive is not looked up, as nothing would be deleted.

use std::sync::Arc;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{Pod, ReplicationController};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kube::api::{Api, DeleteParams, Patch, PatchParams, Preconditions, PropagationPolicy};
use kube::{Client, Resource};
use serde_json::json;

use crate::informer::{Change, Informer, ObjectKey};
use crate::queue::WorkQueue;

const ORPHAN: &str = "orphan";
const FOREGROUND: &str = "foregroundDeletion";
const WORKERS: usize = 4;
/// Tries at a compare-and-swap that a concurrent writer keeps winning (upstream's
/// `retry.DefaultBackoff` has 4).
const CONFLICT_RETRIES: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Deployment,
    ReplicaSet,
    ReplicationController,
    Pod,
}

impl Kind {
    fn from_ref(owner: &OwnerReference) -> Option<Kind> {
        match (owner.api_version.as_str(), owner.kind.as_str()) {
            ("apps/v1", "Deployment") => Some(Kind::Deployment),
            ("apps/v1", "ReplicaSet") => Some(Kind::ReplicaSet),
            ("v1", "ReplicationController") => Some(Kind::ReplicationController),
            ("v1", "Pod") => Some(Kind::Pod),
            _ => None,
        }
    }
}

/// One object the collector looks at.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Node {
    pub kind: Kind,
    pub key: ObjectKey,
}

/// The caches the collector reads (shared with the other controllers).
pub struct Caches {
    pub deployments: Arc<Informer<Deployment>>,
    pub replica_sets: Arc<Informer<ReplicaSet>>,
    pub controllers: Arc<Informer<ReplicationController>>,
    pub pods: Arc<Informer<Pod>>,
}

impl Caches {
    fn meta(&self, node: &Node) -> Option<ObjectMeta> {
        self.with_meta(node, ObjectMeta::clone)
    }

    /// `read` applied to the cached object's metadata, without copying it.
    fn with_meta<R>(&self, node: &Node, read: impl FnOnce(&ObjectMeta) -> R) -> Option<R> {
        match node.kind {
            Kind::Deployment => self.deployments.get(&node.key).map(|o| read(&o.metadata)),
            Kind::ReplicaSet => self.replica_sets.get(&node.key).map(|o| read(&o.metadata)),
            Kind::ReplicationController => {
                self.controllers.get(&node.key).map(|o| read(&o.metadata))
            }
            Kind::Pod => self.pods.get(&node.key).map(|o| read(&o.metadata)),
        }
    }

    /// Objects in `namespace` that name `uid` among their owners.
    fn dependents(&self, namespace: &str, uid: &str) -> Vec<Node> {
        let owned_by = |meta: &ObjectMeta| {
            meta.owner_references
                .as_ref()
                .is_some_and(|refs| refs.iter().any(|r| r.uid == uid))
        };
        let mut out = Vec::new();
        for rs in self.replica_sets.list_namespace(namespace) {
            if owned_by(&rs.metadata) {
                out.push(Node {
                    kind: Kind::ReplicaSet,
                    key: ObjectKey::of(rs.as_ref()),
                });
            }
        }
        for pod in self.pods.list_namespace(namespace) {
            if owned_by(&pod.metadata) {
                out.push(Node {
                    kind: Kind::Pod,
                    key: ObjectKey::of(pod.as_ref()),
                });
            }
        }
        out
    }
}

pub struct GarbageCollector {
    client: Client,
    caches: Caches,
    queue: Arc<WorkQueue<Node>>,
}

fn has_finalizer(meta: &ObjectMeta, name: &str) -> bool {
    meta.finalizers
        .as_ref()
        .is_some_and(|f| f.iter().any(|x| x == name))
}

fn refs(meta: &ObjectMeta) -> &[OwnerReference] {
    meta.owner_references.as_deref().unwrap_or(&[])
}

/// Whether a change means the collector should look at the object again.
fn gc_relevant(old: &ObjectMeta, new: &ObjectMeta) -> bool {
    old.owner_references != new.owner_references
        || old.deletion_timestamp != new.deletion_timestamp
        || old.finalizers != new.finalizers
}

impl GarbageCollector {
    pub fn new(client: Client, caches: Caches) -> Arc<GarbageCollector> {
        Arc::new(GarbageCollector {
            client,
            caches,
            queue: WorkQueue::named("garbage_collector_attempt_to_delete"),
        })
    }

    fn watch<K>(self: &Arc<Self>, informer: &Informer<K>, kind: Kind)
    where
        K: Resource<DynamicType = ()>
            + Clone
            + serde::de::DeserializeOwned
            + std::fmt::Debug
            + Send
            + Sync
            + 'static,
    {
        let gc = Arc::downgrade(self);
        informer.on_change(move |change| {
            let Some(gc) = gc.upgrade() else { return };
            let node = |obj: &K| Node {
                kind,
                key: ObjectKey::of(obj),
            };
            match change {
                Change::Added(obj) => {
                    if !refs(obj.meta()).is_empty() || obj.meta().deletion_timestamp.is_some() {
                        gc.queue.add(node(obj));
                    }
                }
                Change::Updated { old, new } => {
                    if gc_relevant(old.meta(), new.meta()) {
                        gc.queue.add(node(new));
                        gc.enqueue_dependents(new.meta());
                    }
                }
                Change::Deleted(obj) => {
                    // Its dependents may now be orphans; owners waiting in the
                    // foreground may now be free to go.
                    gc.enqueue_dependents(obj.meta());
                    let ns = obj.meta().namespace.clone().unwrap_or_default();
                    for owner in refs(obj.meta()) {
                        if let Some(kind) = Kind::from_ref(owner) {
                            gc.queue.add(Node {
                                kind,
                                key: ObjectKey::new(ns.clone(), owner.name.clone()),
                            });
                        }
                    }
                }
            }
        });
    }

    fn enqueue_dependents(&self, meta: &ObjectMeta) {
        let (Some(ns), Some(uid)) = (&meta.namespace, &meta.uid) else {
            return;
        };
        for dependent in self.caches.dependents(ns, uid) {
            self.queue.add(dependent);
        }
    }

    /// Subscribes to the caches and starts the workers; call before the informers run.
    pub fn start(self: &Arc<Self>) {
        self.watch(&self.caches.deployments, Kind::Deployment);
        self.watch(&self.caches.replica_sets, Kind::ReplicaSet);
        self.watch(&self.caches.controllers, Kind::ReplicationController);
        self.watch(&self.caches.pods, Kind::Pod);
        for _ in 0..WORKERS {
            let gc = self.clone();
            tokio::spawn(async move {
                loop {
                    let node = gc.queue.get().await;
                    match gc.process(&node).await {
                        Ok(()) => gc.queue.forget(&node),
                        Err(err) => {
                            tracing::debug!(?node, %err, "garbage collection will retry");
                            gc.queue.add_rate_limited(node.clone());
                        }
                    }
                    gc.queue.done(&node);
                }
            });
        }
    }

    async fn process(&self, node: &Node) -> Result<(), kube::Error> {
        let Some(meta) = self.caches.meta(node) else {
            return Ok(());
        };
        if meta.deletion_timestamp.is_some() {
            if has_finalizer(&meta, ORPHAN) {
                self.orphan_dependents(node, &meta).await?;
            }
            if has_finalizer(&meta, FOREGROUND) {
                self.delete_dependents_first(node, &meta).await?;
            }
        }
        if !refs(&meta).is_empty() {
            self.check_owners(node, &meta).await?;
        }
        Ok(())
    }

    async fn orphan_dependents(&self, node: &Node, meta: &ObjectMeta) -> Result<(), kube::Error> {
        let (Some(ns), Some(uid)) = (&meta.namespace, &meta.uid) else {
            return Ok(());
        };
        for dependent in self.caches.dependents(ns, uid) {
            let patch =
                json!({"metadata": {"ownerReferences": [{"$patch": "delete", "uid": uid}]}});
            ignore_not_found(self.patch(&dependent, Patch::Strategic(patch)).await)?;
        }
        self.remove_finalizer(node, meta, ORPHAN).await
    }

    async fn delete_dependents_first(
        &self,
        node: &Node,
        meta: &ObjectMeta,
    ) -> Result<(), kube::Error> {
        let (Some(ns), Some(uid)) = (&meta.namespace, &meta.uid) else {
            return Ok(());
        };
        let dependents = self.caches.dependents(ns, uid);
        if dependents.is_empty() {
            return self.remove_finalizer(node, meta, FOREGROUND).await;
        }
        for dependent in dependents {
            let deleting = self
                .caches
                .meta(&dependent)
                .is_some_and(|m| m.deletion_timestamp.is_some());
            if !deleting {
                ignore_not_found(
                    self.delete(&dependent, PropagationPolicy::Foreground, None, None)
                        .await,
                )?;
            }
        }
        // The dependents' deletions re-enqueue this owner.
        Ok(())
    }

    /// Deletes a dependent whose owners are all gone; drops references to owners that
    /// are gone while others remain; deletes dependents of a foreground-deleting owner.
    async fn check_owners(&self, node: &Node, meta: &ObjectMeta) -> Result<(), kube::Error> {
        let ns = meta.namespace.clone().unwrap_or_default();
        let mut dangling = Vec::new();
        let mut foreground_owner = false;
        let mut unknown_kind = false;
        for owner in refs(meta) {
            let Some(kind) = Kind::from_ref(owner) else {
                unknown_kind = true;
                continue;
            };
            // Upstream's graph: an owner the cache shows present, with this uid and not
            // being deleted, needs no lookup, since nothing would be done. Only a verdict
            // that acts (dangling, or a foreground owner) is checked live. A stale cache
            // errs towards doing nothing, and the owner's next change enqueues this
            // dependent again.
            let cached = Node {
                kind,
                key: ObjectKey::new(ns.clone(), owner.name.clone()),
            };
            let alive = self.caches.with_meta(&cached, |m| {
                m.uid.as_deref() == Some(owner.uid.as_str()) && m.deletion_timestamp.is_none()
            });
            if alive == Some(true) {
                continue;
            }
            match self.live_meta(kind, &ns, &owner.name).await? {
                Some(live) if live.uid.as_deref() == Some(owner.uid.as_str()) => {
                    if live.deletion_timestamp.is_some() && has_finalizer(&live, FOREGROUND) {
                        foreground_owner = true;
                    }
                }
                _ => dangling.push(owner.uid.clone()),
            }
        }
        if dangling.is_empty() && !foreground_owner {
            return Ok(());
        }
        // About to act on the dependent: its cached references may be behind (an orphaning
        // that removed the reference, then the owner's deletion, can reach the collector
        // before the dependent's update does). As upstream's `attemptToDeleteItem`, read it
        // live and act only if it still holds the references the verdict was made on, and
        // delete only that version (a change meanwhile is a conflict, retried).
        let Some(live) = self
            .live_meta(node.kind, &node.key.namespace, &node.key.name)
            .await?
        else {
            return Ok(());
        };
        if live.uid != meta.uid || refs(&live) != refs(meta) {
            // Its update is on the way to the cache, and enqueues it again.
            return Ok(());
        }
        let version = live.resource_version.clone();
        if dangling.len() == refs(meta).len() && !unknown_kind {
            return ignore_not_found(
                self.delete(
                    node,
                    PropagationPolicy::Background,
                    meta.uid.clone(),
                    version,
                )
                .await,
            );
        }
        if foreground_owner && live.deletion_timestamp.is_none() {
            return ignore_not_found(
                self.delete(
                    node,
                    PropagationPolicy::Foreground,
                    meta.uid.clone(),
                    version,
                )
                .await,
            );
        }
        for uid in dangling {
            let patch =
                json!({"metadata": {"ownerReferences": [{"$patch": "delete", "uid": uid}]}});
            ignore_not_found(self.patch(node, Patch::Strategic(patch)).await)?;
        }
        Ok(())
    }

    /// The object's metadata as the API server has it now (`None` if it is gone).
    async fn live_meta(
        &self,
        kind: Kind,
        ns: &str,
        name: &str,
    ) -> Result<Option<ObjectMeta>, kube::Error> {
        let c = self.client.clone();
        Ok(match kind {
            Kind::Deployment => Api::<Deployment>::namespaced(c, ns)
                .get_opt(name)
                .await?
                .map(|o| o.metadata),
            Kind::ReplicaSet => Api::<ReplicaSet>::namespaced(c, ns)
                .get_opt(name)
                .await?
                .map(|o| o.metadata),
            Kind::ReplicationController => Api::<ReplicationController>::namespaced(c, ns)
                .get_opt(name)
                .await?
                .map(|o| o.metadata),
            Kind::Pod => Api::<Pod>::namespaced(c, ns)
                .get_opt(name)
                .await?
                .map(|o| o.metadata),
        })
    }

    /// Removes `finalizer` from the live object (as upstream's collector does, never
    /// from the cache, whose copy is often a status write behind during a deletion),
    /// with its resourceVersion as a compare-and-swap, re-reading on a conflict. A
    /// stale cached version made every try a 409, and each pushed the key's back-off
    /// further out, so a foreground deletion could wait for minutes.
    async fn remove_finalizer(
        &self,
        node: &Node,
        meta: &ObjectMeta,
        finalizer: &str,
    ) -> Result<(), kube::Error> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let Some(live) = self
                .live_meta(node.kind, &node.key.namespace, &node.key.name)
                .await?
            else {
                return Ok(());
            };
            // Another object of the same name (deleted and created again) is not ours
            // to finish.
            if live.uid != meta.uid || !has_finalizer(&live, finalizer) {
                return Ok(());
            }
            let remaining: Vec<&String> = live
                .finalizers
                .iter()
                .flatten()
                .filter(|f| *f != finalizer)
                .collect();
            let patch = json!({"metadata": {"finalizers": remaining, "resourceVersion": live.resource_version}});
            match ignore_not_found(self.patch(node, Patch::Merge(patch)).await) {
                Err(kube::Error::Api(status))
                    if status.code == 409 && attempt < CONFLICT_RETRIES =>
                {
                    // upstream's retry.DefaultBackoff starts at 10 ms.
                    tokio::time::sleep(std::time::Duration::from_millis(10 << attempt)).await;
                }
                other => return other,
            }
        }
    }

    async fn patch(&self, node: &Node, patch: Patch<serde_json::Value>) -> Result<(), kube::Error> {
        let c = self.client.clone();
        let ns = &node.key.namespace;
        let name = &node.key.name;
        let pp = PatchParams::default();
        match node.kind {
            Kind::Deployment => Api::<Deployment>::namespaced(c, ns)
                .patch(name, &pp, &patch)
                .await
                .map(drop),
            Kind::ReplicaSet => Api::<ReplicaSet>::namespaced(c, ns)
                .patch(name, &pp, &patch)
                .await
                .map(drop),
            Kind::ReplicationController => Api::<ReplicationController>::namespaced(c, ns)
                .patch(name, &pp, &patch)
                .await
                .map(drop),
            Kind::Pod => Api::<Pod>::namespaced(c, ns)
                .patch(name, &pp, &patch)
                .await
                .map(drop),
        }
    }

    async fn delete(
        &self,
        node: &Node,
        policy: PropagationPolicy,
        uid: Option<String>,
        resource_version: Option<String>,
    ) -> Result<(), kube::Error> {
        let c = self.client.clone();
        let ns = &node.key.namespace;
        let name = &node.key.name;
        let dp = DeleteParams {
            propagation_policy: Some(policy),
            preconditions: (uid.is_some() || resource_version.is_some()).then_some(Preconditions {
                uid,
                resource_version,
            }),
            ..Default::default()
        };
        match node.kind {
            Kind::Deployment => Api::<Deployment>::namespaced(c, ns)
                .delete(name, &dp)
                .await
                .map(drop),
            Kind::ReplicaSet => Api::<ReplicaSet>::namespaced(c, ns)
                .delete(name, &dp)
                .await
                .map(drop),
            Kind::ReplicationController => Api::<ReplicationController>::namespaced(c, ns)
                .delete(name, &dp)
                .await
                .map(drop),
            Kind::Pod => Api::<Pod>::namespaced(c, ns)
                .delete(name, &dp)
                .await
                .map(drop),
        }
    }
}

fn ignore_not_found(result: Result<(), kube::Error>) -> Result<(), kube::Error> {
    match result {
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::informer::Informer;

    /// An API server that has no ReplicaSet `owner`, and pod `dep` as `live_pod`;
    /// it records every DELETE (path and body).
    fn api(live_pod: serde_json::Value, deletes: Arc<Mutex<Vec<String>>>) -> Client {
        let service = tower::service_fn(move |request: http::Request<kube::client::Body>| {
            let live_pod = live_pod.clone();
            let deletes = deletes.clone();
            async move {
                let path = request.uri().path().to_string();
                let method = request.method().clone();
                let body = http_body_util::BodyExt::collect(request.into_body())
                    .await
                    .map(|b| String::from_utf8_lossy(&b.to_bytes()).to_string())
                    .unwrap_or_default();
                let (code, answer) = match (method.as_str(), path.as_str()) {
                    ("GET", "/api/v1/namespaces/ns/pods/dep") => (200, live_pod.clone()),
                    ("DELETE", _) => {
                        deletes.lock().expect("lock").push(format!("{path} {body}"));
                        (200, live_pod.clone())
                    }
                    _ => (
                        404,
                        json!({"kind": "Status", "apiVersion": "v1", "status": "Failure",
                               "reason": "NotFound", "code": 404, "message": "not found"}),
                    ),
                };
                let response = http::Response::builder()
                    .status(code)
                    .body(kube::client::Body::from(answer.to_string().into_bytes()))
                    .expect("response");
                Ok::<_, std::convert::Infallible>(response)
            }
        });
        Client::new(service, "default")
    }

    fn pod(owner_uid: Option<&str>) -> serde_json::Value {
        let owners = owner_uid.map(|uid| {
            json!([{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "owner",
                    "uid": uid, "controller": true}])
        });
        json!({"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": "dep", "namespace": "ns", "uid": "pod-uid",
                            "resourceVersion": "42", "ownerReferences": owners}})
    }

    async fn collect(live: serde_json::Value) -> Vec<String> {
        let deletes = Arc::new(Mutex::new(Vec::new()));
        let caches = Caches {
            deployments: Informer::new(),
            replica_sets: Informer::new(),
            controllers: Informer::new(),
            pods: Informer::new(),
        };
        // The cache still shows the reference to the owner, which is gone.
        caches
            .pods
            .apply(serde_json::from_value(pod(Some("rs-uid"))).expect("pod"));
        let gc = GarbageCollector::new(api(live, deletes.clone()), caches);
        let node = Node {
            kind: Kind::Pod,
            key: ObjectKey::new("ns", "dep"),
        };
        gc.process(&node).await.expect("processed");
        deletes.lock().expect("lock").clone()
    }

    /// An orphaned dependent whose cache entry still names its deleted owner is not
    /// collected: the live object, without the reference, decides.
    #[tokio::test]
    async fn an_orphan_the_cache_still_shows_owned_is_not_collected() {
        assert_eq!(collect(pod(None)).await, Vec::<String>::new());
    }

    /// A dependent whose owner is gone is deleted, only at the version that was read.
    #[tokio::test]
    async fn a_dependent_of_a_gone_owner_is_deleted_at_the_version_read() {
        let deletes = collect(pod(Some("rs-uid"))).await;
        let [delete] = deletes.as_slice() else {
            panic!("one delete: {deletes:?}")
        };
        assert!(
            delete.starts_with("/api/v1/namespaces/ns/pods/dep "),
            "{delete}"
        );
        assert!(
            delete.contains(r#""preconditions":{"resourceVersion":"42","uid":"pod-uid"}"#),
            "{delete}"
        );
        assert!(
            delete.contains(r#""propagationPolicy":"Background""#),
            "{delete}"
        );
    }
}
