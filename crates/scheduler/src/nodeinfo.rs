//! One node as the scheduler sees it: the facts read from the Node object (allocatable,
//! labels, taints, `unschedulable`, readiness) and the running totals of the pods assigned
//! to it (requested resources, pod count, host ports, pods per owner). Totals change by
//! adding and removing single pods, never by recounting.

use std::collections::{BTreeMap, HashMap};

use k8s_openapi::api::core::v1::{Node, Pod, PodSpec, Taint};

use crate::podinfo::{self, HostPort, PodInfo, Resources};
use crate::quantity;

/// Taint the node lifecycle controller puts on a node whose `Ready` condition is `False`.
pub const TAINT_NOT_READY: &str = "node.kubernetes.io/not-ready";
/// Taint the node lifecycle controller puts on a node whose `Ready` condition is `Unknown`.
pub const TAINT_UNREACHABLE: &str = "node.kubernetes.io/unreachable";
/// The taint a pod must tolerate to be placed on a cordoned node.
pub const TAINT_UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";
/// The zone label spreading uses as its second topology.
pub const LABEL_ZONE: &str = "topology.kubernetes.io/zone";
/// The hostname label spreading uses as its first topology.
pub const LABEL_HOSTNAME: &str = "kubernetes.io/hostname";

/// What the scheduler reads from a Node object. Two facts compare equal exactly when the
/// node change cannot alter any scheduling decision, which is what decides whether
/// unschedulable pods are retried.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NodeFacts {
    pub labels: BTreeMap<String, String>,
    /// `spec.taints` plus the `NoSchedule` taint implied by a `Ready` condition that is not
    /// `True` (see [`NodeFacts::from_node`]).
    pub taints: Vec<Taint>,
    pub unschedulable: bool,
    pub allocatable: Resources,
    pub allowed_pods: i64,
    pub zone: Option<String>,
}

impl NodeFacts {
    /// Reads a Node.
    ///
    /// Upstream's scheduler has no readiness filter: the node lifecycle controller turns
    /// readiness into `NoSchedule` taints (`not-ready` for `False`, `unreachable` for
    /// `Unknown`) and `TaintToleration` does the rest. Our lifecycle controller may only set
    /// the `NoExecute` taint, which most pods tolerate for 300 s, so the implied `NoSchedule`
    /// taint is added here. Pods that tolerate it (DaemonSet-style) may still land, and a
    /// refusal reads exactly as upstream's: `node(s) had untolerated taint
    /// {node.kubernetes.io/unreachable: }`. A node with no `Ready` condition yet counts as
    /// not ready, as a freshly registered kubelet node is.
    pub fn from_node(node: &Node) -> NodeFacts {
        let spec = node.spec.as_ref();
        let status = node.status.as_ref();
        let mut taints: Vec<Taint> = spec.and_then(|s| s.taints.clone()).unwrap_or_default();
        let ready = status
            .and_then(|s| s.conditions.as_ref())
            .and_then(|cs| cs.iter().find(|c| c.type_ == "Ready"))
            .map(|c| c.status.as_str());
        let implied = match ready {
            Some("True") => None,
            Some("False") | None => Some(TAINT_NOT_READY),
            Some(_) => Some(TAINT_UNREACHABLE),
        };
        if let Some(key) = implied {
            let present = taints
                .iter()
                .any(|t| t.key == key && t.effect == "NoSchedule");
            if !present {
                taints.push(Taint {
                    key: key.to_string(),
                    effect: "NoSchedule".to_string(),
                    ..Taint::default()
                });
            }
        }
        let allocatable_list = status.and_then(|s| s.allocatable.as_ref());
        let labels = node.metadata.labels.clone().unwrap_or_default();
        NodeFacts {
            zone: labels.get(LABEL_ZONE).cloned(),
            labels,
            taints,
            unschedulable: spec.and_then(|s| s.unschedulable).unwrap_or(false),
            allocatable: Resources::from_list(allocatable_list),
            allowed_pods: allocatable_list
                .and_then(|l| l.get("pods"))
                .and_then(|q| quantity::value(&q.0))
                .unwrap_or(0),
        }
    }
}

/// A node and the pods assigned to it (bound, or assumed while their binding is in flight).
#[derive(Debug, Clone, Default)]
pub struct NodeInfo {
    pub name: String,
    /// `None` once the Node object is gone while pods still reference it; such a node takes
    /// no new pods but keeps its accounting until those pods go.
    pub facts: Option<NodeFacts>,
    pub requested: Resources,
    /// Requests with upstream's non-zero defaults, for least-allocated scoring.
    pub non_zero_requested: Resources,
    pub pod_count: i64,
    pub used_ports: HashMap<HostPort, u32>,
    /// Pods per owner UID, for spreading.
    pub owner_counts: HashMap<String, u32>,
}

/// The part of a pod that is charged to a node.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PodUsage {
    pub uid: String,
    pub requests: Resources,
    pub non_zero: Resources,
    pub host_ports: Vec<HostPort>,
    pub owner_uid: Option<String>,
    pub priority: i32,
}

impl PodUsage {
    /// The charge of a pod already parsed for scheduling.
    pub fn from_info(p: &PodInfo) -> PodUsage {
        PodUsage {
            uid: p.uid.clone(),
            requests: p.requests.clone(),
            non_zero: p.non_zero.clone(),
            host_ports: p.host_ports.clone(),
            owner_uid: p.owner_uid.clone(),
            priority: p.priority,
        }
    }

    /// The charge of an assigned pod, read straight from the object (cheaper than a full
    /// [`PodInfo`]: assigned pods change often, with every status update).
    pub fn from_pod(pod: &Pod) -> PodUsage {
        let empty = PodSpec::default();
        let spec = pod.spec.as_ref().unwrap_or(&empty);
        PodUsage {
            uid: pod.metadata.uid.clone().unwrap_or_default(),
            requests: podinfo::pod_requests(spec, false),
            non_zero: podinfo::pod_requests(spec, true),
            host_ports: podinfo::host_ports(spec),
            owner_uid: podinfo::owner_uid(pod),
            priority: spec.priority.unwrap_or(0),
        }
    }
}

impl NodeInfo {
    pub fn new(name: &str) -> NodeInfo {
        NodeInfo {
            name: name.to_string(),
            ..NodeInfo::default()
        }
    }

    pub fn add_pod(&mut self, p: &PodUsage) {
        self.requested.add(&p.requests);
        self.non_zero_requested.add(&p.non_zero);
        self.pod_count += 1;
        for hp in &p.host_ports {
            *self.used_ports.entry(hp.clone()).or_default() += 1;
        }
        if let Some(o) = &p.owner_uid {
            *self.owner_counts.entry(o.clone()).or_default() += 1;
        }
    }

    pub fn remove_pod(&mut self, p: &PodUsage) {
        self.requested.sub(&p.requests);
        self.non_zero_requested.sub(&p.non_zero);
        self.pod_count -= 1;
        for hp in &p.host_ports {
            if let Some(n) = self.used_ports.get_mut(hp) {
                *n -= 1;
                if *n == 0 {
                    self.used_ports.remove(hp);
                }
            }
        }
        if let Some(o) = &p.owner_uid
            && let Some(n) = self.owner_counts.get_mut(o)
        {
            *n -= 1;
            if *n == 0 {
                self.owner_counts.remove(o);
            }
        }
    }

    /// The facts, when the node exists.
    pub fn facts(&self) -> Option<&NodeFacts> {
        self.facts.as_ref()
    }

    /// True when no pods are charged here any more.
    pub fn is_empty(&self) -> bool {
        self.pod_count == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn node(v: serde_json::Value) -> Node {
        serde_json::from_value(v).expect("node")
    }

    #[test]
    fn readiness_becomes_an_implied_taint() {
        let cases = [
            (json!([{"type": "Ready", "status": "True"}]), vec![]),
            (
                json!([{"type": "Ready", "status": "False"}]),
                vec![TAINT_NOT_READY],
            ),
            (
                json!([{"type": "Ready", "status": "Unknown"}]),
                vec![TAINT_UNREACHABLE],
            ),
            (json!([]), vec![TAINT_NOT_READY]),
        ];
        for (conditions, want) in cases {
            let n = node(json!({"metadata": {"name": "n"}, "status": {"conditions": conditions}}));
            let keys: Vec<String> = NodeFacts::from_node(&n)
                .taints
                .iter()
                .map(|t| t.key.clone())
                .collect();
            assert_eq!(keys, want, "{conditions}");
        }
    }

    #[test]
    fn an_existing_condition_taint_is_not_duplicated() {
        let n = node(json!({"metadata": {"name": "n"},
            "spec": {"taints": [{"key": TAINT_UNREACHABLE, "effect": "NoSchedule"},
                                {"key": TAINT_UNREACHABLE, "effect": "NoExecute"}]},
            "status": {"conditions": [{"type": "Ready", "status": "Unknown"}]}}));
        assert_eq!(NodeFacts::from_node(&n).taints.len(), 2);
    }

    #[test]
    fn allocatable_is_read() {
        let n = node(
            json!({"metadata": {"name": "n", "labels": {LABEL_ZONE: "z1"}},
            "status": {"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"}}}),
        );
        let f = NodeFacts::from_node(&n);
        assert_eq!(f.allocatable.milli_cpu, 4000);
        assert_eq!(f.allocatable.memory, 8 << 30);
        assert_eq!(f.allowed_pods, 110);
        assert_eq!(f.zone.as_deref(), Some("z1"));
    }

    #[test]
    fn pods_are_added_and_removed_exactly() {
        let mut ni = NodeInfo::new("n");
        let p = PodUsage {
            uid: "u".into(),
            requests: Resources {
                milli_cpu: 100,
                memory: 10,
                ..Resources::default()
            },
            non_zero: Resources {
                milli_cpu: 100,
                memory: 10,
                ..Resources::default()
            },
            host_ports: vec![HostPort {
                ip: "0.0.0.0".into(),
                protocol: "TCP".into(),
                port: 80,
            }],
            owner_uid: Some("rs".into()),
            priority: 0,
        };
        ni.add_pod(&p);
        ni.add_pod(&p);
        assert_eq!(ni.requested.milli_cpu, 200);
        assert_eq!(ni.pod_count, 2);
        assert_eq!(ni.owner_counts.get("rs"), Some(&2));
        ni.remove_pod(&p);
        ni.remove_pod(&p);
        assert!(ni.is_empty());
        assert_eq!(ni.requested, Resources::default());
        assert!(ni.used_ports.is_empty());
        assert!(ni.owner_counts.is_empty());
    }
}
