//! The scheduler's Prometheus metrics, under upstream's names:
//! `scheduler_schedule_attempts_total` and
//! `scheduler_scheduling_attempt_duration_seconds` by `result` (`scheduled`,
//! `unschedulable`, `error`) and `profile`, and `scheduler_events_dropped_total` (events
//! dropped on a full write queue, ours). Process-wide, like upstream's; the binary
//! registers them with the API server's `/metrics`.

use std::sync::OnceLock;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AttemptLabels {
    pub result: String,
    pub profile: String,
}

pub struct SchedulerMetrics {
    pub attempts: Family<AttemptLabels, Counter>,
    pub durations: Family<AttemptLabels, Histogram, fn() -> Histogram>,
    /// Events dropped because the write queue was full.
    pub events_dropped: Counter,
}

fn buckets() -> Histogram {
    // 10 µs to ~2.6 s: an attempt is the filter-and-score decision, not the binding.
    Histogram::new(exponential_buckets(0.00001, 2.0, 18))
}

pub fn scheduler() -> &'static SchedulerMetrics {
    static METRICS: OnceLock<SchedulerMetrics> = OnceLock::new();
    METRICS.get_or_init(|| SchedulerMetrics {
        attempts: Family::default(),
        durations: Family::new_with_constructor(buckets),
        events_dropped: Counter::default(),
    })
}

/// Counts one event dropped on a full queue.
pub fn event_dropped() {
    scheduler().events_dropped.inc();
}

/// Counts one attempt with its result and how long the decision took.
pub fn attempt(result: &str, seconds: f64) {
    let labels = AttemptLabels {
        result: result.to_string(),
        profile: "default-scheduler".to_string(),
    };
    let m = scheduler();
    m.attempts.get_or_create(&labels).inc();
    m.durations.get_or_create(&labels).observe(seconds);
}

/// Adds the scheduler's metrics to `registry`.
pub fn register(registry: &mut Registry) {
    let m = scheduler();
    registry.register(
        "scheduler_schedule_attempts",
        "Number of attempts to schedule pods, by the result",
        m.attempts.clone(),
    );
    registry.register(
        "scheduler_scheduling_attempt_duration_seconds",
        "Scheduling attempt latency in seconds (scheduling algorithm + binding decision)",
        m.durations.clone(),
    );
    registry.register(
        "scheduler_events_dropped",
        "Events not written because the queue of events to write was full",
        m.events_dropped.clone(),
    );
}
