//! The node lifecycle controller: notices nodes that stopped reporting and moves their
//! pods away, as upstream's node lifecycle controller and taint-based eviction do.
//!
//! Every monitor period, a node whose Lease (`kube-node-lease/<node>`) and Ready
//! heartbeat are both older than the grace period gets its conditions set to `Unknown`
//! ("Kubelet stopped posting node status.") and the `node.kubernetes.io/unreachable`
//! taints (`NoSchedule` and `NoExecute`); a node whose Ready is `False` gets the
//! `not-ready` ones. Pods on a node with a `NoExecute` taint they do not tolerate are
//! deleted at once, and those that tolerate it for `tolerationSeconds` when that time
//! has passed, so their controllers recreate them elsewhere. A node that reports again
//! loses the taints.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Node, NodeCondition, Pod, Taint, Toleration};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, DeleteParams, Patch, PatchParams, Preconditions};
use kube::{Client, ResourceExt};
use serde_json::json;

use crate::events::{EventType, Recorder};
use crate::informer::{Informer, ObjectKey};

pub const UNREACHABLE: &str = "node.kubernetes.io/unreachable";
pub const NOT_READY: &str = "node.kubernetes.io/not-ready";
const NODE_LEASE_NAMESPACE: &str = "kube-node-lease";

#[derive(Debug, Clone)]
pub struct NodeLifecycleOptions {
    /// How long a node may go without a heartbeat before it is `Unknown`
    /// (upstream `--node-monitor-grace-period`, 40 s).
    pub grace_period: Duration,
    /// How often nodes are checked (upstream `--node-monitor-period`, 5 s).
    pub monitor_period: Duration,
}

impl Default for NodeLifecycleOptions {
    fn default() -> Self {
        NodeLifecycleOptions {
            grace_period: Duration::from_secs(40),
            monitor_period: Duration::from_secs(5),
        }
    }
}

pub struct NodeLifecycle {
    client: Client,
    nodes: Arc<Informer<Node>>,
    leases: Arc<Informer<Lease>>,
    pods: Arc<Informer<Pod>>,
    recorder: Recorder,
    options: NodeLifecycleOptions,
}

fn ready_condition(node: &Node) -> Option<&NodeCondition> {
    node.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == "Ready")
}

/// The newest sign of life: the lease renewal or the Ready heartbeat.
fn last_heartbeat(node: &Node, lease: Option<&Lease>) -> Option<jiff::Timestamp> {
    let from_lease = lease
        .and_then(|l| l.spec.as_ref())
        .and_then(|s| s.renew_time.as_ref())
        .map(|t| t.0);
    let from_status = ready_condition(node)
        .and_then(|c| c.last_heartbeat_time.as_ref())
        .map(|t| t.0);
    from_lease.max(from_status)
}

/// Whether `tolerations` tolerate `taint`, and for how long (`None` = forever).
pub fn toleration_for(tolerations: &[Toleration], taint: &Taint) -> Option<Option<i64>> {
    tolerations
        .iter()
        .filter(|t| {
            let key_ok = match t.key.as_deref() {
                None | Some("") => t.operator.as_deref() == Some("Exists"),
                Some(k) => k == taint.key,
            };
            let value_ok = match t.operator.as_deref() {
                Some("Exists") => true,
                _ => t.value.as_deref().unwrap_or("") == taint.value.as_deref().unwrap_or(""),
            };
            let effect_ok = t
                .effect
                .as_deref()
                .is_none_or(|e| e.is_empty() || e == taint.effect);
            key_ok && value_ok && effect_ok
        })
        .map(|t| t.toleration_seconds)
        .fold(None, |best: Option<Option<i64>>, secs| match (best, secs) {
            (None, s) => Some(s),
            (Some(None), _) | (_, None) => Some(None),
            (Some(Some(a)), Some(b)) => Some(Some(a.max(b))),
        })
}

/// The node's taints with the condition taints made to match `ready`; `None` when they
/// already do.
fn next_taints(node: &Node, ready: Option<&str>) -> Option<Vec<Taint>> {
    let wanted = wanted_taints(ready);
    let current: Vec<Taint> = node
        .spec
        .as_ref()
        .and_then(|s| s.taints.clone())
        .unwrap_or_default();
    let mut next: Vec<Taint> = current
        .iter()
        .filter(|t| {
            !(t.key == UNREACHABLE || t.key == NOT_READY) || wanted.contains(&t.key.as_str())
        })
        .cloned()
        .collect();
    for key in &wanted {
        for effect in ["NoSchedule", "NoExecute"] {
            if !next.iter().any(|t| t.key == *key && t.effect == effect) {
                next.push(Taint {
                    key: (*key).to_string(),
                    effect: effect.to_string(),
                    time_added: (effect == "NoExecute").then(|| Time(jiff::Timestamp::now())),
                    value: None,
                });
            }
        }
    }
    (next != current).then_some(next)
}

/// The taints a node should carry for its Ready condition.
fn wanted_taints(ready: Option<&str>) -> Vec<&'static str> {
    match ready {
        Some("Unknown") | None => vec![UNREACHABLE],
        Some("False") => vec![NOT_READY],
        _ => vec![],
    }
}

impl NodeLifecycle {
    pub fn new(
        client: Client,
        nodes: Arc<Informer<Node>>,
        leases: Arc<Informer<Lease>>,
        pods: Arc<Informer<Pod>>,
        options: NodeLifecycleOptions,
    ) -> Arc<NodeLifecycle> {
        Arc::new(NodeLifecycle {
            recorder: Recorder::new(client.clone(), "node-controller"),
            client,
            nodes,
            leases,
            pods,
            options,
        })
    }

    pub fn start(self: &Arc<Self>) {
        let this = self.clone();
        tokio::spawn(async move {
            this.nodes.wait_synced().await;
            this.leases.wait_synced().await;
            this.pods.wait_synced().await;
            let mut tick = tokio::time::interval(this.options.monitor_period);
            loop {
                tick.tick().await;
                for node in this.nodes.list() {
                    if let Err(err) = this.monitor(&node).await {
                        tracing::debug!(node = %node.name_any(), %err, "node monitor will retry");
                    }
                }
            }
        });
    }

    async fn monitor(&self, node: &Node) -> Result<(), kube::Error> {
        let name = node.name_any();
        let lease = self
            .leases
            .get(&ObjectKey::new(NODE_LEASE_NAMESPACE, name.clone()));
        let now = jiff::Timestamp::now();
        let stale = match last_heartbeat(node, lease.as_deref()) {
            Some(beat) => {
                now.duration_since(beat).as_secs_f64() > self.options.grace_period.as_secs_f64()
            }
            // Never reported: give it the grace period from its creation.
            None => node.metadata.creation_timestamp.as_ref().is_some_and(|c| {
                now.duration_since(c.0).as_secs_f64() > self.options.grace_period.as_secs_f64()
            }),
        };
        let ready = ready_condition(node).map(|c| c.status.clone());
        if stale && ready.as_deref() != Some("Unknown") {
            self.mark_unknown(node).await?;
            self.recorder.record(
                node,
                EventType::Normal,
                "NodeNotReady",
                format!("Node {name} status is now: NodeNotReady"),
            );
            return Ok(()); // the taints follow on the next pass, from the new status
        }
        let ready_now = if stale {
            Some("Unknown".to_string())
        } else {
            ready
        };
        self.reconcile_taints(node, ready_now.as_deref()).await?;
        self.evict(node).await
    }

    async fn mark_unknown(&self, node: &Node) -> Result<(), kube::Error> {
        let now = Time(jiff::Timestamp::now());
        let mut conditions = node
            .status
            .as_ref()
            .and_then(|s| s.conditions.clone())
            .unwrap_or_default();
        if !conditions.iter().any(|c| c.type_ == "Ready") {
            conditions.push(NodeCondition {
                type_: "Ready".into(),
                status: "Unknown".into(),
                ..Default::default()
            });
        }
        for c in conditions.iter_mut() {
            if c.status != "Unknown" {
                c.last_transition_time = Some(now.clone());
            }
            c.status = "Unknown".into();
            c.reason = Some("NodeStatusUnknown".into());
            c.message = Some("Kubelet stopped posting node status.".into());
        }
        let patch = json!({"status": {"conditions": conditions}});
        Api::<Node>::all(self.client.clone())
            .patch_status(
                &node.name_any(),
                &PatchParams::default(),
                &Patch::Merge(&patch),
            )
            .await
            .map(drop)
    }

    /// Adds or removes the condition taints; a compare-and-swap on the node's
    /// resourceVersion, re-read and retried when the kubelet wrote in between.
    async fn reconcile_taints(&self, node: &Node, ready: Option<&str>) -> Result<(), kube::Error> {
        let api = Api::<Node>::all(self.client.clone());
        let mut node = node.clone();
        for attempt in 0..5 {
            let Some(next) = next_taints(&node, ready) else {
                return Ok(());
            };
            // No taints left: drop the field, as upstream stores no empty list.
            let taints = if next.is_empty() {
                serde_json::Value::Null
            } else {
                json!(next)
            };
            let patch = json!({"spec": {"taints": taints}, "metadata": {"resourceVersion": node.resource_version()}});
            match api
                .patch(
                    &node.name_any(),
                    &PatchParams::default(),
                    &Patch::Merge(&patch),
                )
                .await
            {
                Ok(_) => return Ok(()),
                Err(kube::Error::Api(s)) if s.code == 409 && attempt < 4 => {
                    node = api.get(&node.name_any()).await?;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Deletes pods that do not tolerate the node's `NoExecute` taints (any more).
    async fn evict(&self, node: &Node) -> Result<(), kube::Error> {
        let taints: Vec<Taint> = node
            .spec
            .as_ref()
            .and_then(|s| s.taints.clone())
            .unwrap_or_default()
            .into_iter()
            .filter(|t| t.effect == "NoExecute")
            .collect();
        if taints.is_empty() {
            return Ok(());
        }
        let name = node.name_any();
        let now = jiff::Timestamp::now();
        for pod in self.pods.list() {
            let on_node =
                pod.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(name.as_str());
            if !on_node || pod.metadata.deletion_timestamp.is_some() {
                continue;
            }
            let tolerations = pod
                .spec
                .as_ref()
                .and_then(|s| s.tolerations.clone())
                .unwrap_or_default();
            let evict_now = taints
                .iter()
                .any(|taint| match toleration_for(&tolerations, taint) {
                    None => true,
                    Some(None) => false,
                    Some(Some(seconds)) => {
                        let added = taint.time_added.as_ref().map(|t| t.0).unwrap_or(now);
                        now.duration_since(added).as_secs() >= seconds
                    }
                });
            if !evict_now {
                continue;
            }
            let ns = pod.namespace().unwrap_or_default();
            let dp = DeleteParams {
                preconditions: pod.uid().map(|uid| Preconditions {
                    uid: Some(uid),
                    resource_version: None,
                }),
                ..Default::default()
            };
            self.recorder.record(
                pod.as_ref(),
                EventType::Normal,
                "TaintManagerEviction",
                format!("Marking for deletion Pod {ns}/{}", pod.name_any()),
            );
            match Api::<Pod>::namespaced(self.client.clone(), &ns)
                .delete(&pod.name_any(), &dp)
                .await
            {
                Ok(_) => {}
                Err(kube::Error::Api(s)) if s.code == 404 || s.code == 409 => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taint(key: &str, effect: &str) -> Taint {
        Taint {
            key: key.into(),
            effect: effect.into(),
            ..Default::default()
        }
    }

    fn toleration(
        key: Option<&str>,
        op: &str,
        effect: Option<&str>,
        secs: Option<i64>,
    ) -> Toleration {
        Toleration {
            key: key.map(str::to_string),
            operator: Some(op.into()),
            effect: effect.map(str::to_string),
            toleration_seconds: secs,
            value: None,
        }
    }

    #[test]
    fn tolerations_match_taints_as_upstream() {
        let unreachable = taint(UNREACHABLE, "NoExecute");
        assert_eq!(toleration_for(&[], &unreachable), None);
        let five_min = toleration(Some(UNREACHABLE), "Exists", Some("NoExecute"), Some(300));
        assert_eq!(
            toleration_for(std::slice::from_ref(&five_min), &unreachable),
            Some(Some(300))
        );
        let forever = toleration(None, "Exists", None, None);
        assert_eq!(
            toleration_for(&[five_min.clone(), forever], &unreachable),
            Some(None)
        );
        let other = toleration(Some(NOT_READY), "Exists", Some("NoExecute"), Some(10));
        assert_eq!(toleration_for(&[other], &unreachable), None);
        let wrong_effect = toleration(Some(UNREACHABLE), "Exists", Some("NoSchedule"), None);
        assert_eq!(toleration_for(&[wrong_effect], &unreachable), None);
    }

    #[test]
    fn taints_follow_the_ready_condition() {
        assert_eq!(wanted_taints(Some("Unknown")), [UNREACHABLE]);
        assert_eq!(wanted_taints(Some("False")), [NOT_READY]);
        assert!(wanted_taints(Some("True")).is_empty());
    }
}
