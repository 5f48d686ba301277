//! `/metrics`: the API server's Prometheus metrics, with upstream's names where they
//! exist — `apiserver_request_total` and `apiserver_request_duration_seconds` by verb,
//! resource, subresource and code (recorded by a middleware around every API request),
//! `apiserver_registered_watchers`, the store revision, and the process's resident memory.

use std::sync::Arc;
use std::sync::atomic::AtomicI64;
use std::time::Instant;

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

/// The metrics of one API server.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: Family<DurationLabels, Histogram>,
    watchers: Gauge,
    revision: Gauge<i64, AtomicI64>,
    resident_memory: Gauge<i64, AtomicI64>,
}

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
            Histogram::new(exponential_buckets(0.0005, 2.0, 16))
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
        let resident_memory = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "process_resident_memory_bytes",
            "Resident memory size in bytes",
            resident_memory.clone(),
        );
        Metrics {
            registry,
            requests,
            durations,
            watchers,
            revision,
            resident_memory,
        }
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
    let mut body = String::new();
    match prometheus_client::encoding::text::encode(&mut body, &state.metrics.registry) {
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
