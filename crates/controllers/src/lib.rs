//! bosun's controllers, run inside `bosun server` as clients of the API server (through
//! the `kube` client, in-process): the garbage collector today; the ReplicaSet and
//! Deployment controllers build on the same machinery.
//!
//! Machinery: [`informer`] (watch-fed caches with change handlers), [`queue`] (per-key
//! de-duplicated work queue with rate-limited retries), [`expectations`] (no double
//! creates or deletes while a cache catches up), [`events`] (aggregated core/v1 Events).

pub mod events;
pub mod expectations;
pub mod gc;
pub mod informer;
pub mod queue;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{Pod, ReplicationController};
use kube::{Api, Client};

use informer::Informer;

/// Starts every controller; they run until the process ends.
pub fn start(client: Client) {
    let caches = gc::Caches {
        deployments: Informer::<Deployment>::new(),
        replica_sets: Informer::<ReplicaSet>::new(),
        controllers: Informer::<ReplicationController>::new(),
        pods: Informer::<Pod>::new(),
    };
    let deployments = caches.deployments.clone();
    let replica_sets = caches.replica_sets.clone();
    let controllers = caches.controllers.clone();
    let pods = caches.pods.clone();
    let collector = gc::GarbageCollector::new(client.clone(), caches);
    collector.start();
    deployments.run(Api::all(client.clone()));
    replica_sets.run(Api::all(client.clone()));
    controllers.run(Api::all(client.clone()));
    pods.run(Api::all(client));
}
