//! One scheduling decision over the cache: pre-filter, filter nodes round-robin until
//! enough feasible ones are found (upstream's `percentageOfNodesToScore`, adaptive by
//! default, so a decision in a 5,000-node cluster looks at a few hundred nodes), score
//! them and pick the best. Pure apart from the random tie-break.

use std::collections::HashSet;

use rand::Rng;

use crate::cache::Cache;
use crate::diagnosis::FitError;
use crate::filter::{
    Code, NodeNames, REASON_AFFINITY_CONFLICT, REASON_NOT_IN_NODE_NAMES, Rejection,
    prefilter_node_names, run_filters,
};
use crate::nodeinfo::{NodeFacts, NodeInfo};
use crate::podinfo::PodInfo;
use crate::score::{
    self, WEIGHT_BALANCED_ALLOCATION, WEIGHT_LEAST_ALLOCATED, WEIGHT_NODE_AFFINITY,
    WEIGHT_TAINT_TOLERATION, WEIGHT_TOPOLOGY_SPREAD,
};

/// Below this many nodes every node is examined (upstream's `minFeasibleNodesToFind`).
const MIN_FEASIBLE_NODES: usize = 100;
/// The adaptive percentage never drops below this (`minFeasibleNodesPercentageToFind`).
const MIN_FEASIBLE_PERCENTAGE: usize = 5;

/// Why no node was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The cluster has no nodes (upstream: `SchedulerError`, not `Unschedulable`).
    NoNodes,
    /// Every node was refused.
    Unschedulable(FitError),
}

/// How many feasible nodes to look for before scoring: every node up to 100, then
/// `percentage`% (adaptive `50 − nodes/125`, at least 5%), at least 100.
pub fn num_feasible_nodes_to_find(percentage: Option<u32>, all: usize) -> usize {
    if all < MIN_FEASIBLE_NODES {
        return all;
    }
    let pct = match percentage {
        Some(p) if p > 0 => (p as usize).min(100),
        _ => 50usize
            .saturating_sub(all / 125)
            .max(MIN_FEASIBLE_PERCENTAGE),
    };
    (all * pct / 100).max(MIN_FEASIBLE_NODES)
}

/// The scheduling algorithm's own state: where the next round-robin scan starts.
#[derive(Debug, Default)]
pub struct Algorithm {
    pub percentage_of_nodes_to_score: Option<u32>,
    next_start: usize,
}

impl Algorithm {
    pub fn new(percentage_of_nodes_to_score: Option<u32>) -> Algorithm {
        Algorithm {
            percentage_of_nodes_to_score,
            next_start: 0,
        }
    }

    /// Picks a node for `pod`, or says why none fits.
    pub fn schedule(
        &mut self,
        cache: &Cache,
        pod: &PodInfo,
        rng: &mut impl Rng,
    ) -> Result<String, Failure> {
        let all = cache.num_nodes();
        if all == 0 {
            return Err(Failure::NoNodes);
        }
        let mut diagnosis = FitError::new(all, pod.preemption_never);
        let mut feasible: Vec<(&NodeInfo, &NodeFacts)> = Vec::new();
        match prefilter_node_names(pod) {
            NodeNames::Conflict => {
                diagnosis.pre_filter_msg = Some(REASON_AFFINITY_CONFLICT.to_string());
                return Err(Failure::Unschedulable(diagnosis));
            }
            NodeNames::Only(names) => {
                let mut names: Vec<&String> = names.iter().collect();
                names.sort();
                let mut examined = HashSet::new();
                for name in names {
                    let Some((info, facts)) = existing(cache, name) else {
                        continue;
                    };
                    examined.insert(name.as_str());
                    match run_filters(pod, info, facts) {
                        Ok(()) => feasible.push((info, facts)),
                        Err(r) => diagnosis.add(&r),
                    }
                }
                let absent = Rejection {
                    code: Code::UnschedulableAndUnresolvable,
                    reasons: vec![REASON_NOT_IN_NODE_NAMES.to_string()],
                };
                diagnosis.add_n(&absent, all - examined.len());
            }
            NodeNames::All => {
                let want = num_feasible_nodes_to_find(self.percentage_of_nodes_to_score, all);
                let start = self.next_start % all;
                let mut processed = 0;
                for i in 0..all {
                    processed = i + 1;
                    let Some(info) = cache.node_at((start + i) % all) else {
                        continue;
                    };
                    let Some(facts) = info.facts() else {
                        continue;
                    };
                    match run_filters(pod, info, facts) {
                        Ok(()) => {
                            feasible.push((info, facts));
                            if feasible.len() >= want {
                                break;
                            }
                        }
                        Err(r) => diagnosis.add(&r),
                    }
                }
                self.next_start = (start + processed) % all;
            }
        }
        match feasible.len() {
            0 => Err(Failure::Unschedulable(diagnosis)),
            1 => Ok(feasible[0].0.name.clone()),
            _ => {
                let totals = score_nodes(cache, pod, &feasible);
                let best = score::select_host(&totals, rng).unwrap_or(0);
                Ok(feasible[best].0.name.clone())
            }
        }
    }
}

fn existing<'a>(cache: &'a Cache, name: &str) -> Option<(&'a NodeInfo, &'a NodeFacts)> {
    let info = cache.node(name)?;
    Some((info, info.facts()?))
}

/// Weighted totals of every score plugin for each feasible node, in `feasible`'s order.
pub fn score_nodes(cache: &Cache, pod: &PodInfo, feasible: &[(&NodeInfo, &NodeFacts)]) -> Vec<i64> {
    let n = feasible.len();
    let mut totals = vec![0i64; n];
    let mut add = |scores: &[i64], weight: i64| {
        for (t, s) in totals.iter_mut().zip(scores) {
            *t += s * weight;
        }
    };

    let mut taints: Vec<i64> = feasible
        .iter()
        .map(|(_, f)| score::intolerable_prefer_no_schedule(pod, f))
        .collect();
    score::default_normalize(&mut taints, true);
    add(&taints, WEIGHT_TAINT_TOLERATION);

    if !pod.preferred_affinity.is_empty() {
        let mut affinity: Vec<i64> = feasible
            .iter()
            .map(|(i, f)| score::preferred_affinity(pod, &i.name, f))
            .collect();
        score::default_normalize(&mut affinity, false);
        add(&affinity, WEIGHT_NODE_AFFINITY);
    }

    if let Some(owner) = pod.owner_uid.as_deref() {
        let host_weight = score::topology_weight(n);
        let zones: HashSet<&str> = feasible
            .iter()
            .filter_map(|(_, f)| f.zone.as_deref())
            .collect();
        let zone_weight = score::topology_weight(zones.len());
        let mut spread: Vec<i64> = feasible
            .iter()
            .map(|(i, f)| {
                let host = i.owner_counts.get(owner).copied().unwrap_or(0);
                let zone = f
                    .zone
                    .as_deref()
                    .map(|z| (cache.zone_count(owner, z), zone_weight));
                score::spread_raw(host, host_weight, zone)
            })
            .collect();
        score::spread_normalize(&mut spread);
        add(&spread, WEIGHT_TOPOLOGY_SPREAD);
    }

    let least: Vec<i64> = feasible
        .iter()
        .map(|(i, f)| score::least_allocated(pod, i, f))
        .collect();
    add(&least, WEIGHT_LEAST_ALLOCATED);

    let balanced: Option<Vec<i64>> = feasible
        .iter()
        .map(|(i, f)| score::balanced_allocation(pod, i, f))
        .collect();
    if let Some(balanced) = balanced {
        add(&balanced, WEIGHT_BALANCED_ALLOCATION);
    }
    totals
}

#[cfg(test)]
#[path = "algorithm_tests.rs"]
mod tests;
