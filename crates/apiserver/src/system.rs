//! The API server's own loops, run in-process over the registry (never the store):
//! bootstrap objects (the four system namespaces, the `default/kubernetes` Service),
//! namespace lifecycle (each namespace's `default` ServiceAccount and `kube-root-ca.crt`
//! ConfigMap; emptying and finalizing terminating namespaces), and history compaction.
//! Upstream runs the namespace parts in kube-controller-manager; they live here because
//! they are part of what "a namespace" means to every client.

use std::sync::Arc;
use std::time::Duration;

use bosun_api::resources::RESOURCES;
use serde_json::{Value, json};

use crate::ServerState;
use crate::error::{ApiError, ApiResult};
use crate::object;
use crate::registry::{DeleteOptions, ListParams, Propagation, Registry, WriteOptions};
use crate::rest;

pub const SYSTEM_NAMESPACES: &[&str] =
    &["default", "kube-system", "kube-public", "kube-node-lease"];
const NAMESPACE_RESYNC: Duration = Duration::from_secs(2);

async fn create_if_missing(
    state: &ServerState,
    group: &str,
    plural: &str,
    ns: Option<&str>,
    obj: Value,
) -> ApiResult<()> {
    let info = rest::info(group, plural);
    match state
        .registry
        .create(info, ns, obj, &WriteOptions::default())
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if e.code == 409 => Ok(()),
        Err(e) => Err(e),
    }
}

/// Creates the system namespaces (each with its ServiceAccount and root CA) and the
/// `default/kubernetes` Service, so they exist before the server reports ready.
pub async fn bootstrap(state: &ServerState, ca_pem: &str) -> ApiResult<()> {
    for ns in SYSTEM_NAMESPACES {
        create_if_missing(
            state,
            "",
            "namespaces",
            None,
            json!({"metadata": {"name": ns}}),
        )
        .await?;
        reconcile_namespace(state, ns, ca_pem).await?;
    }
    create_if_missing(
        state,
        "",
        "services",
        Some("default"),
        json!({
            "metadata": {"name": "kubernetes", "labels": {"component": "apiserver", "provider": "kubernetes"}},
            "spec": {
                "type": "ClusterIP",
                "clusterIP": "10.96.0.1",
                "clusterIPs": ["10.96.0.1"],
                "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}],
                "sessionAffinity": "None",
            },
        }),
    )
    .await
}

pub fn spawn_loops(state: Arc<ServerState>, ca_pem: String, compaction_interval: Duration) {
    tokio::spawn(namespace_loop(state.clone(), ca_pem));
    tokio::spawn(quota_loop(state.clone()));
    tokio::spawn(compaction_loop(state, compaction_interval));
}

/// Every interval, drops history older than the revision seen one interval ago (so
/// about one to two intervals of history stay resumable, like upstream's 5 minutes).
async fn compaction_loop(state: Arc<ServerState>, interval: Duration) {
    let mut previous: Option<i64> = None;
    loop {
        tokio::time::sleep(interval).await;
        let Ok(now) = state.registry.current_revision().await else {
            continue;
        };
        if let Some(target) = previous {
            match state.registry.store().compact(target).await {
                Ok(()) => state.watch_cache.compacted(target),
                Err(err) => tracing::warn!(%err, "compaction failed"),
            }
        }
        previous = Some(now);
    }
}

/// Namespace of a storage key for the resources the loop cares about.
fn namespace_of_key(key: &str) -> Option<String> {
    let rest = key.strip_prefix("/registry/")?;
    let mut parts = rest.split('/');
    match parts.next()? {
        "namespaces" => parts.next().map(str::to_string),
        "serviceaccounts" | "configmaps" => parts.next().map(str::to_string),
        _ => None,
    }
}

async fn namespace_loop(state: Arc<ServerState>, ca_pem: String) {
    let mut events = state.watch_cache.subscribe();
    // Reconcile everything once, then per event, with a resync for terminating namespaces.
    let mut dirty: std::collections::BTreeSet<String> = Default::default();
    let mut full = true;
    let mut tick = tokio::time::interval(NAMESPACE_RESYNC);
    loop {
        if full {
            match state
                .registry
                .list(rest::info("", "namespaces"), None, &ListParams::default())
                .await
            {
                Ok(page) => dirty.extend(page.items.iter().map(|n| object::name(n).to_string())),
                Err(err) => tracing::warn!(%err, "listing namespaces"),
            }
            full = false;
        }
        for ns in std::mem::take(&mut dirty) {
            match reconcile_namespace(&state, &ns, &ca_pem).await {
                Ok(()) => {}
                Err(err) => {
                    tracing::debug!(namespace = %ns, %err, "namespace reconcile will retry")
                }
            }
        }
        tokio::select! {
            event = events.recv() => match event {
                Ok(event) => {
                    if let Some(ns) = namespace_of_key(&event.key) {
                        dirty.insert(ns);
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => full = true,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            },
            _ = tick.tick() => {
                if let Ok(page) = state.registry.list(rest::info("", "namespaces"), None, &ListParams::default()).await {
                    dirty.extend(page.items.iter().filter(|n| object::is_deleting(n)).map(|n| object::name(n).to_string()));
                }
            }
        }
    }
}

async fn reconcile_namespace(state: &ServerState, ns: &str, ca_pem: &str) -> ApiResult<()> {
    let namespace = match state
        .registry
        .get(rest::info("", "namespaces"), None, ns)
        .await
    {
        Ok(n) => n,
        Err(e) if e.code == 404 => return Ok(()),
        Err(e) => return Err(e),
    };
    if object::is_deleting(&namespace) {
        return empty_namespace(state, ns).await;
    }
    create_if_missing(
        state,
        "",
        "serviceaccounts",
        Some(ns),
        json!({"metadata": {"name": "default"}}),
    )
    .await?;
    let cm_info = rest::info("", "configmaps");
    match state.registry.get(cm_info, Some(ns), "kube-root-ca.crt").await {
        Ok(cm) if cm.pointer("/data/ca.crt").and_then(Value::as_str) == Some(ca_pem) => Ok(()),
        Ok(_) => {
            let ca = ca_pem.to_string();
            state
                .registry
                .mutate(cm_info, Some(ns), "kube-root-ca.crt", move |cm| {
                    let mut next = cm.clone();
                    next["data"] = json!({"ca.crt": ca});
                    Ok(Some(next))
                })
                .await
                .map(|_| ())
        }
        Err(e) if e.code == 404 => {
            create_if_missing(
                state,
                "",
                "configmaps",
                Some(ns),
                json!({
                    "metadata": {"name": "kube-root-ca.crt", "annotations": {"kubernetes.io/description": "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters."}},
                    "data": {"ca.crt": ca_pem},
                }),
            )
            .await
        }
        Err(e) => Err(e),
    }
}

/// Deletes everything in a terminating namespace; once nothing is left, removes the
/// `kubernetes` finalizer so the namespace itself goes.
async fn empty_namespace(state: &ServerState, ns: &str) -> ApiResult<()> {
    let mut remaining = 0;
    for info in RESOURCES.iter().filter(|r| r.namespaced) {
        let page = state
            .registry
            .list(info, Some(ns), &ListParams::default())
            .await?;
        for item in &page.items {
            remaining += 1;
            if object::is_deleting(item) {
                continue;
            }
            match state
                .registry
                .delete(
                    info,
                    Some(ns),
                    object::name(item),
                    &DeleteOptions {
                        propagation: Some(Propagation::Background),
                        ..DeleteOptions::default()
                    },
                )
                .await
            {
                Ok(_) => {}
                Err(e) if e.code == 404 => {}
                Err(e) => return Err(e),
            }
        }
    }
    if remaining > 0 {
        // Check again: deletions without grace are already gone.
        for info in RESOURCES.iter().filter(|r| r.namespaced) {
            let page = state
                .registry
                .list(info, Some(ns), &ListParams::default())
                .await?;
            if !page.items.is_empty() {
                return Err(ApiError::conflict_message(
                    info,
                    "",
                    &format!("namespace {ns} still has content"),
                ));
            }
        }
    }
    state
        .registry
        .mutate(rest::info("", "namespaces"), None, ns, |n| {
            let finalizers = n
                .pointer("/spec/finalizers")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if finalizers.iter().all(|f| f != "kubernetes") {
                return Ok(None);
            }
            let mut next = n.clone();
            let kept: Vec<Value> = finalizers
                .into_iter()
                .filter(|f| f != "kubernetes")
                .collect();
            next["spec"]["finalizers"] = json!(kept);
            Ok(Some(next))
        })
        .await
        .map(|_| ())
}

/// How often changed namespaces get their quota usage recomputed.
const QUOTA_RESYNC: Duration = Duration::from_millis(500);

/// The namespace a storage key of a namespaced resource lives in.
fn namespace_of_object(key: &str) -> Option<&str> {
    let info = RESOURCES
        .iter()
        .filter(|r| r.namespaced)
        .find(|r| key.starts_with(&r.storage_prefix()))?;
    key[info.storage_prefix().len()..].split('/').next()
}

/// Keeps every ResourceQuota's `status` equal to the usage of what its namespace holds
/// (upstream's resource quota controller): recomputed shortly after any change there.
async fn quota_loop(state: Arc<ServerState>) {
    let mut events = state.watch_cache.subscribe();
    let mut dirty: std::collections::BTreeSet<String> = Default::default();
    let mut tick = tokio::time::interval(QUOTA_RESYNC);
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Ok(event) => {
                    if releases_or_changes_quota(&event)
                        && let Some(ns) = namespace_of_object(&event.key)
                    {
                        dirty.insert(ns.to_string());
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    if let Ok(page) = state.registry.list(rest::info("", "namespaces"), None, &ListParams::default()).await {
                        dirty.extend(page.items.iter().map(|n| object::name(n).to_string()));
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            },
            _ = tick.tick() => {
                for ns in std::mem::take(&mut dirty) {
                    if let Err(err) = recompute_quotas(&state.registry, &ns).await {
                        tracing::debug!(namespace = %ns, %err, "quota recompute will retry");
                        dirty.insert(ns);
                    }
                }
            }
        }
    }
}

/// Whether a change can lower usage or change limits. Creations are charged by
/// admission itself; recomputing on them would only race with those charges.
fn releases_or_changes_quota(event: &crate::watch::CachedEvent) -> bool {
    use bosun_store::EventKind;
    if event.kind == EventKind::Delete {
        return true;
    }
    if event.key.starts_with("/registry/resourcequotas/") {
        let spec = |o: &crate::watch::CachedObject| o.value().and_then(|v| v.get("spec").cloned());
        return event.prev.as_deref().and_then(spec) != spec(&event.object);
    }
    fn phase(o: &crate::watch::CachedObject) -> &str {
        o.field("status.phase")
    }
    // Most pod writes are neither; the bytes say so without decoding the pod, which
    // was 6% of the server's time under a stream of writes.
    let may_have_finished =
        |o: &crate::watch::CachedObject| o.contains(b"\"Succeeded\"") || o.contains(b"\"Failed\"");
    event.key.starts_with("/registry/pods/")
        && may_have_finished(&event.object)
        && matches!(phase(&event.object), "Succeeded" | "Failed")
        && event.prev.as_deref().map(phase) != Some(phase(&event.object))
}

async fn recompute_quotas(registry: &Registry, ns: &str) -> ApiResult<()> {
    let quota_info = rest::info("", "resourcequotas");
    let quotas = registry
        .list(quota_info, Some(ns), &ListParams::default())
        .await?;
    if quotas.items.is_empty() {
        return Ok(());
    }
    // No charge may be between its quota write and its object's write while the
    // namespace is counted: such a charge would be in `used` but not in the count.
    let _no_charges_in_flight = registry.quota_charges.write().await;
    let mut total = bosun_api::quota::Usage::new();
    for info in RESOURCES.iter().filter(|r| r.namespaced) {
        let page = registry
            .list(info, Some(ns), &ListParams::default())
            .await?;
        for item in &page.items {
            bosun_api::quota::add(&mut total, &bosun_api::quota::usage(info, item));
        }
    }
    for quota in &quotas.items {
        registry
            .mutate(quota_info, Some(ns), object::name(quota), |current| {
                let hard = bosun_api::quota::hard(current);
                let status = json!({
                    "hard": bosun_api::quota::to_json(&hard, hard.keys()),
                    "used": bosun_api::quota::to_json(&total, hard.keys()),
                });
                if current.get("status") == Some(&status) {
                    return Ok(None);
                }
                let mut next = current.clone();
                next["status"] = status;
                Ok(Some(next))
            })
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bosun_store::{EmbeddedStore, Store};
    use bytes::Bytes;

    use super::*;
    use crate::watch::WatchCache;

    fn pod(phase: &str, message: &str) -> Bytes {
        Bytes::from(
            json!({"apiVersion": "v1", "kind": "Pod",
                   "metadata": {"name": "p", "namespace": "default"},
                   "status": {"phase": phase, "message": message}})
            .to_string(),
        )
    }

    /// Only a pod's move into a terminal phase releases quota; a pod whose bytes
    /// merely mention a terminal phase does not.
    #[tokio::test]
    async fn a_pod_releases_quota_when_it_finishes_not_when_it_mentions_finishing() {
        let store: Arc<dyn Store> = Arc::new(EmbeddedStore::in_memory());
        let registry = Registry::new(store.clone(), Default::default());
        let cache = WatchCache::start(store.clone(), registry.current_state())
            .await
            .expect("watch cache");
        let mut events = cache.subscribe();
        let key = "/registry/pods/default/p";
        let mut rev = store
            .create(key, pod("Running", ""))
            .await
            .expect("create")
            .mod_revision;
        let mut verdicts = Vec::new();
        for (phase, message) in [
            ("Running", "\"Failed\" once, \"Succeeded\" later"),
            ("Running", ""),
            ("Succeeded", ""),
            ("Succeeded", "again"),
        ] {
            rev = store
                .update(key, pod(phase, message), rev)
                .await
                .expect("update")
                .mod_revision;
        }
        while verdicts.len() < 5 {
            let event = events.recv().await.expect("an event");
            verdicts.push(releases_or_changes_quota(&event));
        }
        // Created, mentions, running again, finished, still finished.
        assert_eq!(verdicts, [false, false, false, true, false]);
        store.delete(key, None).await.expect("delete");
        let deleted = events.recv().await.expect("the delete");
        assert!(releases_or_changes_quota(&deleted));
    }

    /// Recomputing usage while creates are being charged never forgets a charge, so a
    /// quota of two pods admits two pods however the two interleave.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_recompute_racing_creates_never_lets_one_past_the_limit() {
        let store: Arc<dyn Store> = Arc::new(EmbeddedStore::in_memory());
        let registry = Arc::new(Registry::new(store.clone(), Default::default()));
        let _cache = WatchCache::start(store.clone(), registry.current_state())
            .await
            .expect("watch cache");
        let opts = crate::registry::WriteOptions::default();
        let namespace = json!({"apiVersion": "v1", "kind": "Namespace",
                               "metadata": {"name": "default"}});
        registry
            .create(rest::info("", "namespaces"), None, namespace, &opts)
            .await
            .expect("namespace");
        let quota = json!({"apiVersion": "v1", "kind": "ResourceQuota",
                           "metadata": {"name": "two", "namespace": "default"},
                           "spec": {"hard": {"pods": "2"}}});
        registry
            .create(
                rest::info("", "resourcequotas"),
                Some("default"),
                quota,
                &opts,
            )
            .await
            .expect("quota");
        let pods = rest::info("", "pods");
        let now = DeleteOptions {
            grace_period_seconds: Some(0),
            ..Default::default()
        };
        for round in 0..30 {
            let creates: Vec<_> = (0..4)
                .map(|i| {
                    let registry = registry.clone();
                    tokio::spawn(async move {
                        let pod = json!({"apiVersion": "v1", "kind": "Pod",
                            "metadata": {"name": format!("p{round}-{i}"), "namespace": "default"},
                            "spec": {"containers": [{"name": "c", "image": "nginx"}]}});
                        registry
                            .create(
                                rest::info("", "pods"),
                                Some("default"),
                                pod,
                                &crate::registry::WriteOptions::default(),
                            )
                            .await
                            .is_ok()
                    })
                })
                .collect();
            let recomputes = {
                let registry = registry.clone();
                tokio::spawn(async move {
                    for _ in 0..8 {
                        recompute_quotas(&registry, "default")
                            .await
                            .expect("recompute");
                        tokio::task::yield_now().await;
                    }
                })
            };
            let mut admitted = 0;
            for create in creates {
                admitted += usize::from(create.await.expect("create task"));
            }
            recomputes.await.expect("recompute task");
            let stored = registry
                .list(pods, Some("default"), &ListParams::default())
                .await
                .expect("list")
                .items;
            assert_eq!((admitted, stored.len()), (2, 2), "round {round}");
            for pod in &stored {
                let name = object::name(pod).to_string();
                registry
                    .delete(pods, Some("default"), &name, &now)
                    .await
                    .expect("delete");
            }
            recompute_quotas(&registry, "default")
                .await
                .expect("release");
        }
    }
}
