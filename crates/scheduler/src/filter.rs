//! The filters of kube-scheduler's default profile that apply to pods without a node, in
//! upstream's order: `NodeUnschedulable`, `TaintToleration`, `NodeAffinity` (node selector
//! and required affinity), `NodePorts`, `NodeResourcesFit`. A node is refused by the first
//! filter that fails, with that filter's reasons in upstream's words; whether preemption
//! could help (`Unschedulable`) or not (`UnschedulableAndUnresolvable`) is kept for the
//! `preemption:` part of the message.

use std::collections::{BTreeMap, HashSet};

use k8s_openapi::api::core::v1::{
    NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, Taint, Toleration,
};

use crate::nodeinfo::{NodeFacts, NodeInfo, TAINT_UNSCHEDULABLE};
use crate::podinfo::PodInfo;

pub const REASON_UNSCHEDULABLE: &str = "node(s) were unschedulable";
pub const REASON_AFFINITY: &str = "node(s) didn't match Pod's node affinity/selector";
pub const REASON_AFFINITY_CONFLICT: &str = "pod affinity terms conflict";
pub const REASON_NOT_IN_NODE_NAMES: &str = "node(s) didn't satisfy plugin(s) [NodeAffinity]";
pub const REASON_PORTS: &str = "node(s) didn't have free ports for the requested pod ports";
pub const REASON_TOO_MANY_PODS: &str = "Too many pods";

/// How a refusal bears on preemption, as upstream's status codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// Removing pods from the node could make room (resources, ports).
    Unschedulable,
    /// Nothing done to pods on the node helps (taints, affinity, cordon).
    UnschedulableAndUnresolvable,
}

/// Why one node cannot take the pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub code: Code,
    pub reasons: Vec<String>,
}

impl Rejection {
    fn unresolvable(reason: impl Into<String>) -> Rejection {
        Rejection {
            code: Code::UnschedulableAndUnresolvable,
            reasons: vec![reason.into()],
        }
    }
}

/// Upstream's toleration matching: an empty effect matches every effect, an empty key
/// with `Exists` matches every taint, `Equal` (or no operator) compares values.
pub fn tolerates(t: &Toleration, taint: &Taint) -> bool {
    let effect = t.effect.as_deref().unwrap_or("");
    if !effect.is_empty() && effect != taint.effect {
        return false;
    }
    let key = t.key.as_deref().unwrap_or("");
    if !key.is_empty() && key != taint.key {
        return false;
    }
    match t.operator.as_deref().unwrap_or("") {
        "Exists" => true,
        "" | "Equal" => t.value.as_deref().unwrap_or("") == taint.value.as_deref().unwrap_or(""),
        _ => false,
    }
}

fn tolerated(tolerations: &[Toleration], taint: &Taint) -> bool {
    tolerations.iter().any(|t| tolerates(t, taint))
}

/// `NodeUnschedulable`: a cordoned node takes only pods tolerating
/// `node.kubernetes.io/unschedulable:NoSchedule`.
pub fn node_unschedulable(pod: &PodInfo, facts: &NodeFacts) -> Result<(), Rejection> {
    if !facts.unschedulable {
        return Ok(());
    }
    let taint = Taint {
        key: TAINT_UNSCHEDULABLE.to_string(),
        effect: "NoSchedule".to_string(),
        ..Taint::default()
    };
    if tolerated(&pod.tolerations, &taint) {
        Ok(())
    } else {
        Err(Rejection::unresolvable(REASON_UNSCHEDULABLE))
    }
}

/// `TaintToleration`: the first `NoSchedule` or `NoExecute` taint the pod does not
/// tolerate refuses the node. `PreferNoSchedule` only lowers the score.
pub fn taint_toleration(pod: &PodInfo, facts: &NodeFacts) -> Result<(), Rejection> {
    let untolerated = facts.taints.iter().find(|t| {
        (t.effect == "NoSchedule" || t.effect == "NoExecute") && !tolerated(&pod.tolerations, t)
    });
    match untolerated {
        None => Ok(()),
        Some(t) => Err(Rejection::unresolvable(format!(
            "node(s) had untolerated taint {{{}: {}}}",
            t.key,
            t.value.as_deref().unwrap_or("")
        ))),
    }
}

fn requirement_matches(r: &NodeSelectorRequirement, value: Option<&str>) -> bool {
    let values = r.values.as_deref().unwrap_or(&[]);
    match r.operator.as_str() {
        // An In/NotIn without values is invalid, and an invalid term matches nothing.
        "In" => !values.is_empty() && value.is_some_and(|v| values.iter().any(|x| x == v)),
        "NotIn" => !values.is_empty() && !value.is_some_and(|v| values.iter().any(|x| x == v)),
        "Exists" => values.is_empty() && value.is_some(),
        "DoesNotExist" => values.is_empty() && value.is_none(),
        "Gt" | "Lt" => {
            let [bound] = values else {
                return false;
            };
            let (Some(v), Ok(bound)) = (value, bound.parse::<i64>()) else {
                return false;
            };
            let Ok(v) = v.parse::<i64>() else {
                return false;
            };
            if r.operator == "Gt" {
                v > bound
            } else {
                v < bound
            }
        }
        _ => false,
    }
}

/// One node selector term: all label expressions and all field expressions hold. An empty
/// term matches nothing; `matchFields` knows only `metadata.name` with `In`/`NotIn`.
pub fn term_matches(
    term: &NodeSelectorTerm,
    labels: &BTreeMap<String, String>,
    name: &str,
) -> bool {
    let exprs = term.match_expressions.as_deref().unwrap_or(&[]);
    let fields = term.match_fields.as_deref().unwrap_or(&[]);
    if exprs.is_empty() && fields.is_empty() {
        return false;
    }
    let labels_ok = exprs
        .iter()
        .all(|r| requirement_matches(r, labels.get(&r.key).map(String::as_str)));
    let fields_ok = fields.iter().all(|r| {
        r.key == "metadata.name"
            && matches!(r.operator.as_str(), "In" | "NotIn")
            && requirement_matches(r, Some(name))
    });
    labels_ok && fields_ok
}

/// A required node selector: any of its terms matches.
pub fn node_selector_matches(
    sel: &NodeSelector,
    labels: &BTreeMap<String, String>,
    name: &str,
) -> bool {
    sel.node_selector_terms
        .iter()
        .any(|t| term_matches(t, labels, name))
}

/// `NodeAffinity` filter: `nodeSelector` labels and the required node affinity.
pub fn node_affinity(pod: &PodInfo, name: &str, facts: &NodeFacts) -> Result<(), Rejection> {
    let selector_ok = pod
        .node_selector
        .iter()
        .all(|(k, v)| facts.labels.get(k) == Some(v));
    let affinity_ok = pod
        .required_affinity
        .as_ref()
        .is_none_or(|sel| node_selector_matches(sel, &facts.labels, name));
    if selector_ok && affinity_ok {
        Ok(())
    } else {
        Err(Rejection::unresolvable(REASON_AFFINITY))
    }
}

/// What `NodeAffinity`'s pre-filter learns from `matchFields` on `metadata.name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeNames {
    /// Every node must be filtered.
    All,
    /// Only these nodes can match (every term names nodes; the union of them).
    Only(HashSet<String>),
    /// Every term names nodes, but no name survives: nothing can match.
    Conflict,
}

/// Upstream's `NodeAffinity` pre-filter: when every required term pins `metadata.name In`,
/// only the named nodes are examined, and the rest are reported as not satisfying the
/// plugin. This is how DaemonSet pods are placed without scanning every node.
pub fn prefilter_node_names(pod: &PodInfo) -> NodeNames {
    let Some(sel) = &pod.required_affinity else {
        return NodeNames::All;
    };
    if sel.node_selector_terms.is_empty() {
        return NodeNames::All;
    }
    let mut union: HashSet<String> = HashSet::new();
    for term in &sel.node_selector_terms {
        let mut term_names: Option<HashSet<String>> = None;
        for r in term.match_fields.iter().flatten() {
            if r.key == "metadata.name" && r.operator == "In" {
                let s: HashSet<String> = r.values.iter().flatten().cloned().collect();
                term_names = Some(match term_names {
                    None => s,
                    Some(prev) => prev.intersection(&s).cloned().collect(),
                });
            }
        }
        match term_names {
            // A term without a name pin admits every node (terms are ORed).
            None => return NodeNames::All,
            Some(names) => union.extend(names),
        }
    }
    if union.is_empty() {
        NodeNames::Conflict
    } else {
        NodeNames::Only(union)
    }
}

/// `NodePorts`: a wanted host port conflicts with a used one on the same protocol and
/// port when either address is the wildcard or both are equal.
pub fn node_ports(pod: &PodInfo, node: &NodeInfo) -> Result<(), Rejection> {
    if pod.host_ports.is_empty() || node.used_ports.is_empty() {
        return Ok(());
    }
    let conflict = pod.host_ports.iter().any(|want| {
        node.used_ports.keys().any(|used| {
            used.port == want.port
                && used.protocol == want.protocol
                && (used.ip == want.ip || used.ip == "0.0.0.0" || want.ip == "0.0.0.0")
        })
    });
    if conflict {
        Err(Rejection {
            code: Code::Unschedulable,
            reasons: vec![REASON_PORTS.to_string()],
        })
    } else {
        Ok(())
    }
}

/// `NodeResourcesFit`: the pod count, then each requested resource against allocatable
/// minus what assigned pods request. Every shortfall is a reason of its own.
pub fn resources_fit(pod: &PodInfo, node: &NodeInfo, facts: &NodeFacts) -> Result<(), Rejection> {
    let mut reasons = Vec::new();
    if node.pod_count + 1 > facts.allowed_pods {
        reasons.push(REASON_TOO_MANY_PODS.to_string());
    }
    let req = &pod.requests;
    if !req.is_zero() {
        let alloc = &facts.allocatable;
        let used = &node.requested;
        let short = |want: i64, have: i64, used: i64| want > 0 && want > have.saturating_sub(used);
        if short(req.milli_cpu, alloc.milli_cpu, used.milli_cpu) {
            reasons.push("Insufficient cpu".to_string());
        }
        if short(req.memory, alloc.memory, used.memory) {
            reasons.push("Insufficient memory".to_string());
        }
        if short(
            req.ephemeral_storage,
            alloc.ephemeral_storage,
            used.ephemeral_storage,
        ) {
            reasons.push("Insufficient ephemeral-storage".to_string());
        }
        for (name, want) in &req.scalars {
            let have = alloc.scalars.get(name).copied().unwrap_or(0);
            let used = used.scalars.get(name).copied().unwrap_or(0);
            if short(*want, have, used) {
                reasons.push(format!("Insufficient {name}"));
            }
        }
    }
    if reasons.is_empty() {
        Ok(())
    } else {
        Err(Rejection {
            code: Code::Unschedulable,
            reasons,
        })
    }
}

/// All filters in upstream's order; the first refusal wins. A node without facts (its
/// object is gone) is never a candidate and must not reach here.
pub fn run_filters(pod: &PodInfo, node: &NodeInfo, facts: &NodeFacts) -> Result<(), Rejection> {
    node_unschedulable(pod, facts)?;
    taint_toleration(pod, facts)?;
    node_affinity(pod, &node.name, facts)?;
    node_ports(pod, node)?;
    resources_fit(pod, node, facts)
}

#[cfg(test)]
#[path = "filter_tests.rs"]
pub(crate) mod tests;
