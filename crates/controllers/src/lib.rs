//! bosun's controllers, run inside `bosun server` as clients of the API server (through
//! the `kube` client, in-process): the Deployment and ReplicaSet controllers, the garbage collector and the node
//! lifecycle controller; the ReplicaSet and
//! Deployment controllers build on the same machinery.
//!
//! Machinery: [`informer`] (watch-fed caches with change handlers), [`queue`] (per-key
//! de-duplicated work queue with rate-limited retries), [`expectations`] (no double
//! creates or deletes while a cache catches up), [`events`] (aggregated core/v1 Events).

pub mod deployment;
pub mod events;
pub mod expectations;
pub mod gc;
pub mod informer;
pub mod leader;
pub mod metrics;
pub mod node_lifecycle;
pub mod pod_view;
pub mod queue;
pub mod replicaset;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Node, Pod, ReplicationController};
use kube::{Api, Client};

use informer::Informer;

/// Settings of the controllers (flags of `bosun server`).
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub node_lifecycle: node_lifecycle::NodeLifecycleOptions,
}

/// Starts every controller; they run until the process ends.
pub fn start(client: Client, options: Options) {
    let caches = gc::Caches {
        deployments: Informer::<Deployment>::new(),
        replica_sets: Informer::<ReplicaSet>::new(),
        controllers: Informer::<ReplicationController>::new(),
        pods: Informer::<Pod>::indexed(replicaset::pod_owner_index),
    };
    let deployments = caches.deployments.clone();
    let replica_sets = caches.replica_sets.clone();
    let controllers = caches.controllers.clone();
    let pods = caches.pods.clone();
    replicaset::ReplicaSetController::new(client.clone(), replica_sets.clone(), pods.clone())
        .start();
    // ReplicationControllers run through the same controller, as upstream's do.
    replicaset::ReplicaSetController::new(client.clone(), controllers.clone(), pods.clone())
        .start();
    deployment::controller::DeploymentController::new(
        client.clone(),
        deployments.clone(),
        replica_sets.clone(),
        pods.clone(),
    )
    .start();
    let collector = gc::GarbageCollector::new(client.clone(), caches);
    collector.start();
    let nodes = Informer::<Node>::new();
    let leases = Informer::<Lease>::new();
    node_lifecycle::NodeLifecycle::new(
        client.clone(),
        nodes.clone(),
        leases.clone(),
        pods.clone(),
        options.node_lifecycle,
    )
    .start();
    nodes.run(Api::all(client.clone()));
    leases.run(Api::namespaced(client.clone(), "kube-node-lease"));
    deployments.run(Api::all(client.clone()));
    replica_sets.run(Api::all(client.clone()));
    controllers.run(Api::all(client.clone()));
    // Pods are decoded as only what the cache keeps (see `pod_view`).
    pods.run_as::<pod_view::PodView>(Api::all(client));
}
