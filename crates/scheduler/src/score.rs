//! Scoring of feasible nodes, as kube-scheduler's default profile weighs them:
//! `TaintToleration` ×3, `NodeAffinity` (preferred terms) ×2, `PodTopologySpread` (the
//! system default constraints, by owner) ×2, `NodeResourcesFit` least-allocated ×1 and
//! `NodeResourcesBalancedAllocation` ×1. Each plugin's scores are normalized to 0..=100
//! across the candidate nodes before weighting, so only relative standing matters.

use rand::Rng;

use crate::filter::{term_matches, tolerates};
use crate::nodeinfo::{NodeFacts, NodeInfo};
use crate::podinfo::PodInfo;

pub const MAX_NODE_SCORE: i64 = 100;

pub const WEIGHT_TAINT_TOLERATION: i64 = 3;
pub const WEIGHT_NODE_AFFINITY: i64 = 2;
pub const WEIGHT_TOPOLOGY_SPREAD: i64 = 2;
pub const WEIGHT_LEAST_ALLOCATED: i64 = 1;
pub const WEIGHT_BALANCED_ALLOCATION: i64 = 1;

/// Max skew of the default hostname constraint (`kubernetes.io/hostname`, ScheduleAnyway).
pub const DEFAULT_HOSTNAME_MAX_SKEW: i64 = 3;
/// Max skew of the default zone constraint (`topology.kubernetes.io/zone`, ScheduleAnyway).
pub const DEFAULT_ZONE_MAX_SKEW: i64 = 5;

/// `NodeResourcesFit` with the `LeastAllocated` strategy: for cpu and memory (weight 1
/// each), the share of allocatable left after placing the pod, counting upstream's
/// non-zero defaults for containers without requests.
pub fn least_allocated(pod: &PodInfo, node: &NodeInfo, facts: &NodeFacts) -> i64 {
    let one = |alloc: i64, requested: i64| -> i64 {
        if alloc <= 0 || requested > alloc {
            0
        } else {
            (alloc - requested) * MAX_NODE_SCORE / alloc
        }
    };
    let cpu = one(
        facts.allocatable.milli_cpu,
        node.non_zero_requested
            .milli_cpu
            .saturating_add(pod.non_zero.milli_cpu),
    );
    let mem = one(
        facts.allocatable.memory,
        node.non_zero_requested
            .memory
            .saturating_add(pod.non_zero.memory),
    );
    (cpu + mem) / 2
}

/// `NodeResourcesBalancedAllocation`: favours nodes whose cpu and memory fractions stay
/// close after placing the pod (actual requests). `None` for a pod that requests nothing,
/// which upstream skips.
pub fn balanced_allocation(pod: &PodInfo, node: &NodeInfo, facts: &NodeFacts) -> Option<i64> {
    if pod.requests.milli_cpu == 0 && pod.requests.memory == 0 {
        return None;
    }
    let mut fractions = Vec::with_capacity(2);
    let pairs = [
        (
            facts.allocatable.milli_cpu,
            node.requested
                .milli_cpu
                .saturating_add(pod.requests.milli_cpu),
        ),
        (
            facts.allocatable.memory,
            node.requested.memory.saturating_add(pod.requests.memory),
        ),
    ];
    for (alloc, requested) in pairs {
        if alloc > 0 {
            fractions.push((requested as f64 / alloc as f64).min(1.0));
        }
    }
    let std = if let [a, b] = fractions[..] {
        ((a - b) / 2.0).abs()
    } else {
        0.0
    };
    Some(((1.0 - std) * MAX_NODE_SCORE as f64) as i64)
}

/// `TaintToleration` raw score: the number of `PreferNoSchedule` taints the pod does not
/// tolerate (counting only tolerations with that effect or none). Normalized reversed.
pub fn intolerable_prefer_no_schedule(pod: &PodInfo, facts: &NodeFacts) -> i64 {
    let tolerations: Vec<_> = pod
        .tolerations
        .iter()
        .filter(|t| {
            matches!(
                t.effect.as_deref(),
                None | Some("") | Some("PreferNoSchedule")
            )
        })
        .collect();
    facts
        .taints
        .iter()
        .filter(|t| t.effect == "PreferNoSchedule")
        .filter(|t| !tolerations.iter().any(|tol| tolerates(tol, t)))
        .count() as i64
}

/// `NodeAffinity` raw score: the summed weights of the preferred terms the node matches.
pub fn preferred_affinity(pod: &PodInfo, name: &str, facts: &NodeFacts) -> i64 {
    pod.preferred_affinity
        .iter()
        .filter(|t| term_matches(&t.preference, &facts.labels, name))
        .map(|t| i64::from(t.weight))
        .sum()
}

/// Upstream's `DefaultNormalizeScore`: scales to 0..=100 by the maximum; reversed, lower
/// raw scores win (and all-zero means all 100).
pub fn default_normalize(scores: &mut [i64], reverse: bool) {
    let max = scores.iter().copied().max().unwrap_or(0);
    if max == 0 {
        if reverse {
            scores.iter_mut().for_each(|s| *s = MAX_NODE_SCORE);
        }
        return;
    }
    for s in scores.iter_mut() {
        let v = MAX_NODE_SCORE * *s / max;
        *s = if reverse { MAX_NODE_SCORE - v } else { v };
    }
}

/// Upstream's `topologyNormalizingWeight`: counts in small topologies weigh more.
pub fn topology_weight(size: usize) -> f64 {
    ((size + 2) as f64).ln()
}

/// `PodTopologySpread` raw score of one node under the system default constraints: each
/// constraint credits `matching pods in the node's domain × weight + maxSkew − 1`.
pub fn spread_raw(host_count: u32, host_weight: f64, zone: Option<(u32, f64)>) -> i64 {
    let mut score = f64::from(host_count) * host_weight + (DEFAULT_HOSTNAME_MAX_SKEW - 1) as f64;
    if let Some((count, weight)) = zone {
        score += f64::from(count) * weight + (DEFAULT_ZONE_MAX_SKEW - 1) as f64;
    }
    score.round() as i64
}

/// `PodTopologySpread` normalization: fewer matching pods score higher,
/// `100 × (max + min − s) / max`.
pub fn spread_normalize(scores: &mut [i64]) {
    let (Some(min), Some(max)) = (scores.iter().copied().min(), scores.iter().copied().max())
    else {
        return;
    };
    for s in scores.iter_mut() {
        *s = if max == 0 {
            MAX_NODE_SCORE
        } else {
            MAX_NODE_SCORE * (max + min - *s) / max
        };
    }
}

/// The index of the highest total, ties broken uniformly at random (reservoir sampling,
/// as upstream's `selectHost`). `None` for an empty slice.
pub fn select_host(totals: &[i64], rng: &mut impl Rng) -> Option<usize> {
    let mut best: Option<(usize, i64)> = None;
    let mut ties = 0u32;
    for (i, &t) in totals.iter().enumerate() {
        match best {
            Some((_, b)) if t < b => {}
            Some((_, b)) if t == b => {
                ties += 1;
                if rng.random_range(0..ties) == 0 {
                    best = Some((i, t));
                }
            }
            _ => {
                best = Some((i, t));
                ties = 1;
            }
        }
    }
    best.map(|(i, _)| i)
}

#[cfg(test)]
#[path = "score_tests.rs"]
mod tests;
