//! `/metrics`: the API server's Prometheus metrics, with upstream's names where they
//! exist — `apiserver_request_total` and `apiserver_request_duration_seconds` by verb,
//! resource, subresource and code (recorded by a middleware around every API request),
//! `apiserver_registered_watchers`, `apiserver_storage_objects` by resource, every
//! datastore call's latency (`bosun_store_request_duration_seconds` by operation and
//! resource, through [`MeteredStore`]), the store revision, and the process's resident
//! memory. Other components of the process add theirs with [`Metrics::register`].

use std::sync::atomic::AtomicI64;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bosun_store::{KeyValue, ListOptions, ListResult, Revision, Store, WatchStream};
use bytes::Bytes;

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::ServerState;
use crate::http::{Target, parse_path};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    verb: String,
    resource: String,
    subresource: String,
    code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DurationLabels {
    verb: String,
    resource: String,
    subresource: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StoreLabels {
    operation: String,
    resource: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResourceLabel {
    resource: String,
}

type StoreDurations = Family<StoreLabels, Histogram, fn() -> Histogram>;

fn store_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.00005, 2.0, 16))
}

/// The metrics of one API server.
pub struct Metrics {
    registry: Mutex<Registry>,
    store_durations: StoreDurations,
    storage_objects: Family<ResourceLabel, Gauge<i64, AtomicI64>>,
    requests: Family<RequestLabels, Counter>,
    durations: Family<DurationLabels, Histogram>,
    watchers: Gauge,
    revision: Gauge<i64, AtomicI64>,
    resident_memory: Gauge<i64, AtomicI64>,
}

/// Upstream's `apiserver_request_duration_seconds` buckets (5 ms … 60 s, with an edge at
/// exactly 1 s, the scalability SLO's bound), with 0.5, 1, 2 and 10 ms added, since most of
/// our requests take less than upstream's first edge.
const REQUEST_DURATION_BUCKETS: [f64; 27] = [
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2.0,
    3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 15.0, 20.0, 30.0, 45.0, 60.0,
];

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "apiserver_request",
            "Counter of API requests, by verb, resource, subresource and HTTP code",
            requests.clone(),
        );
        let durations = Family::<DurationLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(REQUEST_DURATION_BUCKETS.iter().copied())
        });
        registry.register(
            "apiserver_request_duration_seconds",
            "Response latency of API requests (until the response head), by verb and resource",
            durations.clone(),
        );
        let watchers = Gauge::default();
        registry.register(
            "apiserver_registered_watchers",
            "Number of currently open watches",
            watchers.clone(),
        );
        let revision = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "bosun_store_revision",
            "The datastore's current revision (resourceVersion)",
            revision.clone(),
        );
        let store_durations: StoreDurations = Family::new_with_constructor(store_buckets);
        registry.register(
            "bosun_store_request_duration_seconds",
            "Latency of datastore calls (a write's includes its commit), by operation and resource",
            store_durations.clone(),
        );
        let storage_objects = Family::<ResourceLabel, Gauge<i64, AtomicI64>>::default();
        registry.register(
            "apiserver_storage_objects",
            "Number of stored objects at the time of last check split by kind",
            storage_objects.clone(),
        );
        let resident_memory = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "process_resident_memory_bytes",
            "Resident memory size in bytes",
            resident_memory.clone(),
        );
        Metrics {
            registry: Mutex::new(registry),
            store_durations,
            storage_objects,
            requests,
            durations,
            watchers,
            revision,
            resident_memory,
        }
    }

    /// Adds another component's metrics (controllers, scheduler) to `/metrics`.
    pub fn register(&self, add: impl FnOnce(&mut Registry)) {
        let mut registry = self.registry.lock().unwrap_or_else(|e| e.into_inner());
        add(&mut registry);
    }

    /// Counts an open watch until the guard is dropped.
    pub fn watch_opened(&self) -> WatchGuard {
        self.watchers.inc();
        WatchGuard(self.watchers.clone())
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

/// Keeps `apiserver_registered_watchers` counting one watch while alive.
pub struct WatchGuard(Gauge);

impl Drop for WatchGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// Upstream's verb label: `GET`, `LIST`, `WATCH`, `POST`, `PUT`, `PATCH`, `DELETE`,
/// `DELETECOLLECTION`.
fn verb(method: &Method, has_name: bool, watch: bool) -> &'static str {
    match (method, has_name) {
        (&Method::GET, _) if watch => "WATCH",
        (&Method::GET, true) => "GET",
        (&Method::GET, false) => "LIST",
        (&Method::POST, _) => "POST",
        (&Method::PUT, _) => "PUT",
        (&Method::PATCH, _) => "PATCH",
        (&Method::DELETE, true) => "DELETE",
        (&Method::DELETE, false) => "DELETECOLLECTION",
        _ => "OTHER",
    }
}

/// Middleware recording every request under `/api` and `/apis`.
pub async fn record(
    State(state): State<Arc<ServerState>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(Target::Resource(target)) = parse_path(request.uri().path()) else {
        return next.run(request).await;
    };
    let watch = request
        .uri()
        .query()
        .is_some_and(|q| q.split('&').any(|kv| kv == "watch=1" || kv == "watch=true"));
    let verb = verb(request.method(), target.name.is_some(), watch).to_string();
    let resource = target.info.plural.to_string();
    let subresource = target.subresource.clone().unwrap_or_default();
    let started = Instant::now();
    let response = next.run(request).await;
    state
        .metrics
        .durations
        .get_or_create(&DurationLabels {
            verb: verb.clone(),
            resource: resource.clone(),
            subresource: subresource.clone(),
        })
        .observe(started.elapsed().as_secs_f64());
    state
        .metrics
        .requests
        .get_or_create(&RequestLabels {
            verb,
            resource,
            subresource,
            code: response.status().as_u16().to_string(),
        })
        .inc();
    response
}

fn resident_memory_bytes() -> Option<i64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib: i64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// `GET /metrics` in the Prometheus text format.
pub async fn serve(State(state): State<Arc<ServerState>>) -> Response {
    if let Ok(revision) = state.registry.current_revision().await {
        state.metrics.revision.set(revision);
    }
    if let Some(rss) = resident_memory_bytes() {
        state.metrics.resident_memory.set(rss);
    }
    count_objects(&state).await;
    let mut body = String::new();
    let encoded = {
        let registry = state
            .metrics
            .registry
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        prometheus_client::encoding::text::encode(&mut body, &registry)
    };
    match encoded {
        Ok(()) => (
            StatusCode::OK,
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            body,
        )
            .into_response(),
        Err(_) => crate::ApiError::internal("encoding metrics failed").into_response(),
    }
}

/// Counts each resource's stored objects (one keys-only page of one, whose `remaining`
/// gives the rest), as upstream's `apiserver_storage_objects` does periodically.
async fn count_objects(state: &ServerState) {
    for info in bosun_api::resources::RESOURCES
        .iter()
        .filter(|r| !r.create_only)
    {
        let options = ListOptions {
            limit: Some(1),
            ..Default::default()
        };
        if let Ok(page) = state
            .registry
            .store()
            .list(&info.storage_prefix(), options)
            .await
        {
            state
                .metrics
                .storage_objects
                .get_or_create(&ResourceLabel {
                    resource: info.group_resource(),
                })
                .set((page.kvs.len() + page.remaining) as i64);
        }
    }
}

/// The resource a storage key belongs to (`pods`, `deployments.apps`).
fn resource_of(key: &str) -> String {
    let mut parts = key.trim_start_matches("/registry/").split('/');
    let first = parts.next().unwrap_or_default();
    if first.contains('.') || first == "apps" {
        format!("{}.{first}", parts.next().unwrap_or_default())
    } else {
        first.to_string()
    }
}

/// A [`Store`] that times every call into [`Metrics`].
pub struct MeteredStore {
    inner: Arc<dyn Store>,
    durations: StoreDurations,
}

impl MeteredStore {
    pub fn new(inner: Arc<dyn Store>, metrics: &Metrics) -> MeteredStore {
        MeteredStore {
            inner,
            durations: metrics.store_durations.clone(),
        }
    }

    fn observe(&self, operation: &str, key: &str, started: Instant) {
        self.durations
            .get_or_create(&StoreLabels {
                operation: operation.to_string(),
                resource: resource_of(key),
            })
            .observe(started.elapsed().as_secs_f64());
    }
}

#[async_trait::async_trait]
impl Store for MeteredStore {
    async fn current_revision(&self) -> bosun_store::Result<Revision> {
        self.inner.current_revision().await
    }
    async fn compacted_revision(&self) -> bosun_store::Result<Revision> {
        self.inner.compacted_revision().await
    }
    async fn get(&self, key: &str) -> bosun_store::Result<Option<KeyValue>> {
        let started = Instant::now();
        let result = self.inner.get(key).await;
        self.observe("get", key, started);
        result
    }
    async fn list(&self, prefix: &str, options: ListOptions) -> bosun_store::Result<ListResult> {
        let started = Instant::now();
        let result = self.inner.list(prefix, options).await;
        self.observe("list", prefix, started);
        result
    }
    async fn create(&self, key: &str, value: Bytes) -> bosun_store::Result<KeyValue> {
        let started = Instant::now();
        let result = self.inner.create(key, value).await;
        self.observe("create", key, started);
        result
    }
    async fn update(
        &self,
        key: &str,
        value: Bytes,
        expected: Revision,
    ) -> bosun_store::Result<KeyValue> {
        let started = Instant::now();
        let result = self.inner.update(key, value, expected).await;
        self.observe("update", key, started);
        result
    }
    async fn delete(&self, key: &str, expected: Option<Revision>) -> bosun_store::Result<KeyValue> {
        let started = Instant::now();
        let result = self.inner.delete(key, expected).await;
        self.observe("delete", key, started);
        result
    }
    async fn watch(&self, prefix: &str, after: Revision) -> bosun_store::Result<WatchStream> {
        self.inner.watch(prefix, after).await
    }
    async fn compact(&self, revision: Revision) -> bosun_store::Result<()> {
        let started = Instant::now();
        let result = self.inner.compact(revision).await;
        self.observe("compact", "", started);
        result
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn storage_keys_name_their_resource() {
        assert_eq!(super::resource_of("/registry/pods/default/a"), "pods");
        assert_eq!(
            super::resource_of("/registry/apps/deployments/default/a"),
            "deployments.apps"
        );
        assert_eq!(
            super::resource_of("/registry/coordination.k8s.io/leases/x/y"),
            "leases.coordination.k8s.io"
        );
    }
}
