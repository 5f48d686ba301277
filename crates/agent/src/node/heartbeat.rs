//! A node's life in the API: register the Node, keep its Lease renewed, keep its status
//! current.
//!
//! Like the kubelet with node leases: the Lease in `kube-node-lease` is the heartbeat
//! (renewed every `lease_renew`, 10 s); the node status is compared with the API every
//! `status_update` (10 s) and posted when it differs — e.g. after the node lifecycle
//! controller marked it `Unknown` — or every `status_report` (5 min) regardless, which
//! refreshes `lastHeartbeatTime`. The comparison reads a shared Node cache (one watch
//! for all nodes of the process) instead of a GET per node per tick.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::api::core::v1::Node;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta, OwnerReference};
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::runtime::reflector::{ObjectRef, Store};
use serde_json::json;
use tokio::sync::Semaphore;
use tokio::time::{Instant, sleep_until};
use tracing::{debug, info, warn};

use super::{NodeCtx, desired_status, node_object, status_differs};

pub const LEASE_NAMESPACE: &str = "kube-node-lease";

/// Registers the node, then renews its Lease and posts its status forever. `stagger`
/// spreads the first renewals of many nodes over one period; `gate` bounds how many
/// nodes register at once.
pub async fn run(ctx: Arc<NodeCtx>, nodes: Store<Node>, stagger: Duration, gate: Arc<Semaphore>) {
    let uid = register(&ctx, &gate).await;
    let leases: Api<Lease> = Api::namespaced(ctx.client.clone(), LEASE_NAMESPACE);
    renew_lease(&ctx, &leases, &uid).await;
    post_status(&ctx, &nodes).await;
    let mut last_post = Instant::now();
    let start = Instant::now() + stagger;
    let mut next_lease = start + ctx.id.options.lease_renew;
    let mut next_check = start + ctx.id.options.status_update;
    loop {
        sleep_until(next_lease.min(next_check)).await;
        let now = Instant::now();
        if now >= next_lease {
            renew_lease(&ctx, &leases, &uid).await;
            next_lease = now + ctx.id.options.lease_renew;
        }
        if now >= next_check {
            let due = now.duration_since(last_post) >= ctx.id.options.status_report;
            let differs = cached(&nodes, &ctx.id.name).is_none_or(|n| {
                n.status.as_ref().is_none_or(|current| {
                    status_differs(
                        current,
                        &desired_status(&ctx.id, Some(current), Timestamp::now()),
                    )
                })
            });
            if (due || differs) && post_status(&ctx, &nodes).await {
                last_post = Instant::now();
            }
            next_check = now + ctx.id.options.status_update;
        }
    }
}

fn cached(nodes: &Store<Node>, name: &str) -> Option<Arc<Node>> {
    nodes.get(&ObjectRef::new(name))
}

/// Creates the Node (or adopts the existing one, as a restarted kubelet does) and returns
/// its uid. Retries until the API answers.
async fn register(ctx: &NodeCtx, gate: &Semaphore) -> String {
    let api: Api<Node> = Api::all(ctx.client.clone());
    let mut delay = Duration::from_millis(500);
    loop {
        let result = {
            let _permit = gate.acquire().await;
            match api
                .create(
                    &PostParams::default(),
                    &node_object(&ctx.id, Timestamp::now()),
                )
                .await
            {
                Ok(node) => Ok(node),
                Err(kube::Error::Api(e)) if e.code == 409 => {
                    // Already registered: keep our labels on it and carry on with it.
                    let labels = node_object(&ctx.id, Timestamp::now()).metadata.labels;
                    let patch = json!({"metadata": {"labels": labels}});
                    api.patch(&ctx.id.name, &PatchParams::default(), &Patch::Merge(&patch))
                        .await
                }
                Err(e) => Err(e),
            }
        };
        match result {
            Ok(node) => {
                info!(node = %ctx.id.name, "registered node");
                return node.metadata.uid.unwrap_or_default();
            }
            Err(e) => {
                warn!(node = %ctx.id.name, error = %e, "unable to register node, retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(7));
            }
        }
    }
}

/// Renews the Lease, creating it when missing (first start, or deleted by someone).
async fn renew_lease(ctx: &NodeCtx, leases: &Api<Lease>, node_uid: &str) {
    let spec = LeaseSpec {
        holder_identity: Some(ctx.id.name.clone()),
        lease_duration_seconds: Some(ctx.id.options.lease_duration_seconds),
        renew_time: Some(MicroTime(Timestamp::now())),
        ..LeaseSpec::default()
    };
    let patch = json!({"spec": spec});
    match leases
        .patch(&ctx.id.name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
    {
        Ok(_) => return,
        Err(kube::Error::Api(e)) if e.code == 404 => {}
        Err(e) => {
            warn!(node = %ctx.id.name, error = %e, "failed to renew lease");
            return;
        }
    }
    let lease = Lease {
        metadata: ObjectMeta {
            name: Some(ctx.id.name.clone()),
            namespace: Some(LEASE_NAMESPACE.to_string()),
            owner_references: (!node_uid.is_empty()).then(|| {
                vec![OwnerReference {
                    api_version: "v1".to_string(),
                    kind: "Node".to_string(),
                    name: ctx.id.name.clone(),
                    uid: node_uid.to_string(),
                    ..OwnerReference::default()
                }]
            }),
            ..ObjectMeta::default()
        },
        spec: Some(spec),
    };
    match leases.create(&PostParams::default(), &lease).await {
        Ok(_) => debug!(node = %ctx.id.name, "created lease"),
        Err(e) => warn!(node = %ctx.id.name, error = %e, "failed to create lease"),
    }
}

/// Posts the node status (a merge patch of the whole status). True when it was written.
async fn post_status(ctx: &NodeCtx, nodes: &Store<Node>) -> bool {
    let current = cached(nodes, &ctx.id.name);
    let status = desired_status(
        &ctx.id,
        current.as_ref().and_then(|n| n.status.as_ref()),
        Timestamp::now(),
    );
    let api: Api<Node> = Api::all(ctx.client.clone());
    let patch = json!({"status": status});
    match api
        .patch_status(&ctx.id.name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
    {
        Ok(_) => true,
        Err(kube::Error::Api(e)) if e.code == 404 => {
            // Like the kubelet, a deleted Node is not re-registered until restart.
            debug!(node = %ctx.id.name, "node no longer exists; status not posted");
            false
        }
        Err(e) => {
            warn!(node = %ctx.id.name, error = %e, "failed to update node status");
            false
        }
    }
}
