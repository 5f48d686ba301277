//! Table tests of each score plugin and of host selection.

use super::*;
use crate::filter::tests::{pod, ready_node};
use crate::nodeinfo::PodUsage;
use crate::podinfo::Resources;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::json;

fn used(cpu: i64, mem: i64) -> PodUsage {
    let r = Resources {
        milli_cpu: cpu,
        memory: mem,
        ..Resources::default()
    };
    PodUsage {
        requests: r.clone(),
        non_zero: r,
        ..PodUsage::default()
    }
}

fn req(cpu: &str, mem: &str) -> PodInfo {
    pod(
        json!({"containers": [{"name": "c", "resources": {"requests": {"cpu": cpu, "memory": mem}}}]}),
    )
}

#[test]
fn least_allocated_scores_the_free_share() {
    // 2 cpu, 4Gi allocatable.
    let (mut n, f) = ready_node("n", json!({}));
    let gi = 1i64 << 30;
    let cases = [
        // (already used cpu, mem) + pod (1 cpu, 1Gi) → ((2000-1000)*100/2000 + (4-1)*100/4) / 2
        ((0, 0), req("1", "1Gi"), (50 + 75) / 2),
        ((1000, 2 * gi), req("1", "1Gi"), 25 / 2),
        // Over-committed resources score 0, never negative.
        ((1500, 0), req("1", "1Gi"), 75 / 2),
    ];
    for ((cpu, mem), p, want) in cases {
        n.requested = Resources::default();
        n.non_zero_requested = Resources::default();
        n.pod_count = 0;
        n.add_pod(&used(cpu, mem));
        assert_eq!(least_allocated(&p, &n, &f), want, "{cpu} {mem}");
    }
    // A pod without requests is scored with 100m / 200Mi.
    let (n, f) = ready_node("n", json!({}));
    let best_effort = pod(json!({}));
    let want = ((2000 - 100) * 100 / 2000 + ((4 * gi - (200 << 20)) * 100 / (4 * gi))) / 2;
    assert_eq!(least_allocated(&best_effort, &n, &f), want);
}

#[test]
fn balanced_allocation_prefers_even_fractions() {
    let (n, f) = ready_node("n", json!({}));
    // 1 of 2 cpu and 2 of 4Gi: both 0.5 → 100.
    assert_eq!(balanced_allocation(&req("1", "2Gi"), &n, &f), Some(100));
    // 0.5 cpu vs 0.0 memory: std 0.25 → 75.
    assert_eq!(balanced_allocation(&req("1", "0"), &n, &f), Some(75));
    // Fractions cap at 1: 1.0 vs 0.25 → std 0.375 → 62.
    assert_eq!(balanced_allocation(&req("4", "1Gi"), &n, &f), Some(62));
    assert_eq!(balanced_allocation(&pod(json!({})), &n, &f), None);
}

#[test]
fn prefer_no_schedule_taints_lower_the_score() {
    let (_, f) = ready_node(
        "n",
        json!({"spec": {"taints": [
            {"key": "a", "effect": "PreferNoSchedule"},
            {"key": "b", "value": "x", "effect": "PreferNoSchedule"},
            {"key": "c", "effect": "NoSchedule"}]}}),
    );
    let cases = [
        (json!({}), 2),
        (
            json!({"tolerations": [{"key": "a", "operator": "Exists"}]}),
            1,
        ),
        (
            json!({"tolerations": [{"key": "a", "operator": "Exists", "effect": "PreferNoSchedule"}]}),
            1,
        ),
        // A NoSchedule toleration does not count for PreferNoSchedule.
        (
            json!({"tolerations": [{"key": "a", "operator": "Exists", "effect": "NoSchedule"}]}),
            2,
        ),
        (json!({"tolerations": [{"operator": "Exists"}]}), 0),
    ];
    for (spec, want) in cases {
        assert_eq!(
            intolerable_prefer_no_schedule(&pod(spec.clone()), &f),
            want,
            "{spec}"
        );
    }
}

#[test]
fn preferred_affinity_sums_matching_weights() {
    let (_, f) = ready_node(
        "n",
        json!({"metadata": {"labels": {"disk": "ssd", "zone": "z1"}}}),
    );
    let p = pod(
        json!({"affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 10, "preference": {"matchExpressions": [{"key": "disk", "operator": "In", "values": ["ssd"]}]}},
        {"weight": 5, "preference": {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["z2"]}]}},
        {"weight": 7, "preference": {"matchExpressions": [{"key": "zone", "operator": "Exists"}]}}]}}}),
    );
    assert_eq!(preferred_affinity(&p, "n", &f), 17);
}

#[test]
fn normalization() {
    let mut s = vec![0, 2, 4];
    default_normalize(&mut s, false);
    assert_eq!(s, vec![0, 50, 100]);
    let mut s = vec![0, 2, 4];
    default_normalize(&mut s, true);
    assert_eq!(s, vec![100, 50, 0]);
    let mut s = vec![0, 0];
    default_normalize(&mut s, true);
    assert_eq!(s, vec![100, 100]);
    let mut s = vec![0, 0];
    default_normalize(&mut s, false);
    assert_eq!(s, vec![0, 0]);
}

#[test]
fn spreading_favours_nodes_with_fewer_pods_of_the_owner() {
    // Three nodes holding 0, 1 and 3 pods of the owner; weight ln(3 + 2).
    let w = topology_weight(3);
    let mut s: Vec<i64> = [0u32, 1, 3]
        .iter()
        .map(|c| spread_raw(*c, w, None))
        .collect();
    assert_eq!(s, vec![2, 4, 7]);
    spread_normalize(&mut s);
    // 100 × (max + min − s) / max
    assert_eq!(s, vec![100, 71, 28]);
    // With a zone constraint as well.
    assert_eq!(spread_raw(1, w, Some((2, topology_weight(2)))), 10);
    let mut equal = vec![2, 2];
    spread_normalize(&mut equal);
    assert_eq!(equal, vec![100, 100]);
}

#[test]
fn host_selection_takes_the_best_and_breaks_ties_at_random() {
    let mut rng = StdRng::seed_from_u64(7);
    assert_eq!(select_host(&[], &mut rng), None);
    assert_eq!(select_host(&[3, 9, 1], &mut rng), Some(1));
    let mut seen = [0u32; 3];
    for _ in 0..300 {
        if let Some(i) = select_host(&[5, 5, 5], &mut rng) {
            seen[i] += 1;
        }
    }
    assert!(seen.iter().all(|c| *c > 60), "ties spread evenly: {seen:?}");
}
