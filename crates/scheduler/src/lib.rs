//! bosun's scheduler: places pods that have no node on one, as kube-scheduler's default
//! profile does, entirely as an API client (watches Nodes and Pods, binds through
//! `pods/<name>/binding`, reports through the pod's status and Events).
//!
//! Layout: [`podinfo`] and [`nodeinfo`] turn objects into what filtering and scoring read;
//! [`filter`] and [`score`] are upstream's plugins as pure functions; [`diagnosis`] words
//! a failure as upstream does; [`algorithm`] makes one decision over the incremental
//! [`cache`]; [`podview`] decodes only what scheduling reads of a pod; [`queue`] orders attempts and retries; [`report`] builds the objects written;
//! `driver` runs it all against the API.

pub mod algorithm;
pub mod cache;
pub mod diagnosis;
mod driver;
pub mod filter;
pub mod metrics;
pub mod nodeinfo;
pub mod podinfo;
pub mod podview;
pub mod quantity;
pub mod queue;
pub mod report;
pub mod score;

use std::time::Duration;

/// How the scheduler behaves. [`SchedulerOptions::default`] matches kube-scheduler's
/// defaults except for the periodic retry of unschedulable pods (upstream: 5 minutes).
#[derive(Debug, Clone)]
pub struct SchedulerOptions {
    /// Pods whose `spec.schedulerName` equals this are ours; it is also the `From` of the
    /// events written. Default `default-scheduler`.
    pub scheduler_name: String,
    /// Share of nodes to find feasible before scoring; `None` is upstream's adaptive
    /// default (all nodes up to 100, then `50 − nodes/125` percent, at least 5%).
    pub percentage_of_nodes_to_score: Option<u32>,
    /// Back-off after a pod's first failed attempt, doubled per failure. Default 1 s.
    pub pod_initial_backoff: Duration,
    /// Cap of the back-off. Default 10 s.
    pub pod_max_backoff: Duration,
    /// An unschedulable pod with no relevant cluster event meanwhile is retried after
    /// this long. Default 60 s.
    pub unschedulable_retry_interval: Duration,
    /// Bindings in flight at once (decisions continue while they complete). Default 256:
    /// upstream binds in a goroutine per pod, unbounded; 32 capped the scheduler at
    /// 32 ÷ the commit latency under load (~1,000 pods/s).
    pub max_concurrent_binds: usize,
}

impl Default for SchedulerOptions {
    fn default() -> SchedulerOptions {
        SchedulerOptions {
            scheduler_name: "default-scheduler".to_string(),
            percentage_of_nodes_to_score: None,
            pod_initial_backoff: Duration::from_secs(1),
            pod_max_backoff: Duration::from_secs(10),
            unschedulable_retry_interval: Duration::from_secs(60),
            max_concurrent_binds: 256,
        }
    }
}

/// Why the scheduler stopped.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid scheduler options: {0}")]
    InvalidOptions(String),
    /// A watch stream ended, which kube's watcher never does while the client lives.
    #[error("the {0} watch ended")]
    WatchEnded(&'static str),
}

/// Runs the scheduler until the returned future is dropped. Watch failures are retried
/// with back-off; the future resolves only on invalid options.
pub async fn run(client: kube::Client, options: SchedulerOptions) -> Result<(), Error> {
    driver::run(client, options).await
}
