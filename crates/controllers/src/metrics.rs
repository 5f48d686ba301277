//! The controllers' Prometheus metrics, under upstream's names: `workqueue_depth`,
//! `workqueue_adds_total`, `workqueue_queue_duration_seconds` and
//! `workqueue_work_duration_seconds`, labelled by queue name (`deployment`,
//! `replicaset`, …). They live in one process-wide set, like client-go's, and the
//! binary registers them with the API server's `/metrics`.

use std::sync::OnceLock;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct QueueLabel {
    pub name: String,
}

type Durations = Family<QueueLabel, Histogram, fn() -> Histogram>;

pub struct QueueMetrics {
    pub depth: Family<QueueLabel, Gauge>,
    pub adds: Family<QueueLabel, Counter>,
    pub queue_duration: Durations,
    pub work_duration: Durations,
}

fn buckets() -> Histogram {
    // 10 µs to ~80 s, like client-go's 10^-8 … 10^1 range at this resolution.
    Histogram::new(exponential_buckets(0.00001, 4.0, 13))
}

/// The process-wide work-queue metrics.
pub fn queues() -> &'static QueueMetrics {
    static METRICS: OnceLock<QueueMetrics> = OnceLock::new();
    METRICS.get_or_init(|| QueueMetrics {
        depth: Family::default(),
        adds: Family::default(),
        queue_duration: Family::new_with_constructor(buckets),
        work_duration: Family::new_with_constructor(buckets),
    })
}

/// Adds the controllers' metrics to `registry`.
pub fn register(registry: &mut Registry) {
    let m = queues();
    registry.register(
        "workqueue_depth",
        "Current depth of workqueue",
        m.depth.clone(),
    );
    registry.register(
        "workqueue_adds",
        "Total number of adds handled by workqueue",
        m.adds.clone(),
    );
    registry.register(
        "workqueue_queue_duration_seconds",
        "How long in seconds an item stays in workqueue before being requested",
        m.queue_duration.clone(),
    );
    registry.register(
        "workqueue_work_duration_seconds",
        "How long in seconds processing an item from workqueue takes",
        m.work_duration.clone(),
    );
}
