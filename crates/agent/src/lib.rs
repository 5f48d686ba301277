//! bosun's node agent (our kubelet) and the hollow runtime.
//!
//! [`run_node`] runs one node; [`run_hollow_nodes`] runs many in one process. A node
//! registers its `Node`, renews its `Lease` in `kube-node-lease` and keeps its status
//! current (`node`), and runs every pod bound to it through a per-pod worker (`pod`)
//! against a [`Runtime`]: it pulls images, starts containers, runs probes, restarts with
//! upstream's back-off ([`backoff`]), writes pod status like upstream ([`status`]) and
//! completes graceful deletion. The [`HollowRuntime`] simulates containers in memory; a
//! CRI runtime plugs in through [`RuntimeKind::Custom`].
//!
//! Cheap at scale: all nodes of a process share one pod watch and one node watch
//! (`dispatch`), timers are tokio timers, and a node costs one task plus one per pod.

pub mod backoff;
pub mod clock;
mod dispatch;
pub mod exec;
pub mod image;
pub mod logs;
mod node;
pub mod options;
pub mod pattern;
mod pod;
pub mod probe;
mod record;
pub mod runtime;
pub mod status;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Node;
use kube::Client;
use kube::api::Api;
use kube::runtime::{WatchStreamExt, reflector, watcher};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tracing::info;

pub use crate::options::{AgentOptions, Capacity, CrashRule, HollowOptions, RuntimeKind};
pub use crate::pattern::{ImagePattern, PatternError};
pub use crate::runtime::hollow::HollowRuntime;
pub use crate::runtime::{Runtime, RuntimeError};

use crate::node::{HostInfo, NodeCtx, NodeIdentity};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid agent option {name}: {message}")]
    InvalidOption { name: &'static str, message: String },
    #[error("the pod watch ended")]
    WatchEnded,
    #[error("agent task failed: {0}")]
    Task(String),
}

/// Runs one node named `options.node_name` until the returned future is dropped or a
/// fatal error occurs. Registration and API errors are retried, not returned.
pub async fn run_node(client: Client, options: AgentOptions) -> Result<(), Error> {
    validate(&options)?;
    let name = options.node_name.clone();
    let index = options.node_index.unwrap_or_else(|| node::index_of(&name));
    let selector = format!("spec.nodeName={name}");
    run(
        client,
        vec![(name.clone(), index)],
        options,
        selector,
        Some(name),
    )
    .await
}

/// Runs `count` hollow nodes in this process: `PREFIX-0 … PREFIX-(count-1)`, or just
/// `PREFIX` when `count` is 1. `options.node_name` is ignored; node `i` gets index
/// `options.node_index.unwrap_or(0) + i` (its pod CIDR and default IP).
pub async fn run_hollow_nodes(
    client: Client,
    count: usize,
    prefix: &str,
    options: AgentOptions,
) -> Result<(), Error> {
    if count == 0 {
        return Err(Error::InvalidOption {
            name: "count",
            message: "at least one node is required".to_string(),
        });
    }
    let base = options.node_index.unwrap_or(0);
    let nodes: Vec<(String, u32)> = if count == 1 {
        vec![(prefix.to_string(), base)]
    } else {
        (0..count)
            .map(|i| (format!("{prefix}-{i}"), base.wrapping_add(i as u32)))
            .collect()
    };
    let mut options = options;
    options.node_name = prefix.to_string();
    validate(&options)?;
    let (selector, only) = if count == 1 {
        (format!("spec.nodeName={prefix}"), Some(prefix.to_string()))
    } else {
        ("spec.nodeName!=".to_string(), None)
    };
    run(client, nodes, options, selector, only).await
}

fn validate(options: &AgentOptions) -> Result<(), Error> {
    let invalid = |name, message: String| Err(Error::InvalidOption { name, message });
    let name = &options.node_name;
    let dns_ok = !name.is_empty()
        && name.len() <= 253
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if !dns_ok {
        return invalid(
            "node_name",
            format!("{name:?} is not a lowercase RFC 1123 subdomain"),
        );
    }
    let c = &options.capacity;
    for (field, value) in [
        ("capacity.cpu", &c.cpu),
        ("capacity.memory", &c.memory),
        ("capacity.pods", &c.pods),
        ("capacity.ephemeral_storage", &c.ephemeral_storage),
    ] {
        if status::qos::parse_milli(value).is_none_or(|v| v < 0) {
            return invalid(field, format!("{value:?} is not a quantity"));
        }
    }
    for (field, value) in [
        ("lease_renew", options.lease_renew),
        ("status_update", options.status_update),
        ("status_report", options.status_report),
    ] {
        if value.is_zero() {
            return invalid(field, "must be positive".to_string());
        }
    }
    if options.lease_duration_seconds <= 0 {
        return invalid("lease_duration_seconds", "must be positive".to_string());
    }
    Ok(())
}

async fn run(
    client: Client,
    names: Vec<(String, u32)>,
    options: AgentOptions,
    pod_selector: String,
    only: Option<String>,
) -> Result<(), Error> {
    let host = Arc::new(HostInfo::detect());
    let hollow = Arc::new(options.hollow.clone());
    let single = names.len() == 1;
    let options = Arc::new(options);
    let mut nodes = HashMap::new();
    for (name, index) in &names {
        let (cidr, subnet) = node::pod_cidr(*index);
        let runtime: Arc<dyn Runtime> = match &options.runtime {
            RuntimeKind::Hollow => Arc::new(HollowRuntime::new(hollow.clone(), subnet)),
            RuntimeKind::Custom(r) => r.clone(),
        };
        let host_ip: IpAddr = match options.node_ip {
            Some(ip) if single => ip,
            _ => node::default_node_ip(*index),
        };
        let id = NodeIdentity {
            name: name.clone(),
            host_ip: host_ip.to_string(),
            pod_cidr: cidr,
            runtime_version: format!("{}://{}", runtime.name(), runtime.version()),
            options: options.clone(),
            host: host.clone(),
        };
        nodes.insert(
            name.clone(),
            Arc::new(NodeCtx {
                id,
                client: client.clone(),
                runtime,
            }),
        );
    }
    let nodes = Arc::new(nodes);
    info!(nodes = nodes.len(), "starting node agent");

    let mut tasks = JoinSet::new();
    // One Node watch feeding a cache every node compares its status against.
    let (store, writer) = reflector::store::<Node>();
    let node_api: Api<Node> = Api::all(client.clone());
    let node_config = match &only {
        Some(name) => watcher::Config::default().fields(&format!("metadata.name={name}")),
        None => watcher::Config::default(),
    };
    tasks.spawn(async move {
        reflector::reflector(writer, watcher::watcher(node_api, node_config))
            .default_backoff()
            .for_each(|_| async {})
            .await;
        Err(Error::Task("node watch ended".to_string()))
    });
    // Spread the first renewals over one period and bound concurrent registrations.
    let gate = Arc::new(Semaphore::new(32));
    let count = u32::try_from(names.len()).unwrap_or(u32::MAX).max(1);
    for (i, (name, _)) in names.iter().enumerate() {
        let Some(ctx) = nodes.get(name).cloned() else {
            continue;
        };
        let stagger = options
            .lease_renew
            .mul_f64(f64::from(i as u32) / f64::from(count));
        let (store, gate) = (store.clone(), gate.clone());
        tasks.spawn(async move {
            node::heartbeat::run(ctx, store, stagger, gate).await;
            Ok(())
        });
    }
    tasks.spawn(dispatch::run_pods(client, nodes, pod_selector));
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e),
            Err(e) => return Err(Error::Task(e.to_string())),
        }
    }
    Ok(())
}
