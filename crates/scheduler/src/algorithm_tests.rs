//! Whole decisions over a cache: spreading, packing by free capacity, the diagnosis of
//! unschedulable pods, and round-robin scanning of large clusters.

use super::*;
use crate::filter::tests::pod;
use crate::nodeinfo::PodUsage;
use k8s_openapi::api::core::v1::Node;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Value, json};

fn add_node(cache: &mut Cache, name: &str, cpu: &str, extra: Value) {
    let mut n = json!({
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
        "spec": {},
        "status": {"allocatable": {"cpu": cpu, "memory": "4Gi", "pods": "110"},
                   "conditions": [{"type": "Ready", "status": "True"}]},
    });
    for (k, v) in extra.as_object().cloned().unwrap_or_default() {
        for (k2, v2) in v.as_object().cloned().unwrap_or_default() {
            n[&k][&k2] = v2;
        }
    }
    let node: Node = serde_json::from_value(n).expect("node");
    cache.upsert_node(&node);
}

fn owned(cpu: &str, owner: &str, name: &str) -> PodInfo {
    let mut p = pod(
        json!({"containers": [{"name": "c", "resources": {"requests": {"cpu": cpu, "memory": "100Mi"}}}]}),
    );
    p.owner_uid = Some(owner.to_string());
    p.name = name.to_string();
    p
}

fn usage_of(p: &PodInfo) -> PodUsage {
    PodUsage::from_info(p)
}

/// Schedules `p` and charges it as the driver does (assumed).
fn place(
    alg: &mut Algorithm,
    cache: &mut Cache,
    p: &PodInfo,
    rng: &mut StdRng,
) -> Result<String, Failure> {
    let node = alg.schedule(cache, p, rng)?;
    cache.charge(&p.key(), &node, usage_of(p), true);
    Ok(node)
}

fn message(r: Result<String, Failure>) -> String {
    match r {
        Err(Failure::Unschedulable(f)) => f.message(),
        other => panic!("expected unschedulable, got {other:?}"),
    }
}

#[test]
fn pods_of_one_owner_spread_over_equal_nodes() {
    let mut cache = Cache::new();
    for n in ["n1", "n2", "n3"] {
        add_node(&mut cache, n, "4", json!({}));
    }
    let mut alg = Algorithm::new(None);
    let mut rng = StdRng::seed_from_u64(1);
    let mut per_node = std::collections::HashMap::<String, u32>::new();
    for i in 0..9 {
        let p = owned("100m", "rs-1", &format!("web-{i}"));
        let node = place(&mut alg, &mut cache, &p, &mut rng).expect("placed");
        *per_node.entry(node).or_default() += 1;
    }
    assert_eq!(
        per_node.values().copied().collect::<Vec<_>>(),
        vec![3, 3, 3],
        "{per_node:?}"
    );
}

#[test]
fn spreading_holds_even_against_a_busier_node() {
    // n1 already runs a large unrelated pod; the owner's pods still use it once the others
    // hold more of the owner's pods than the skew tolerates.
    let mut cache = Cache::new();
    for n in ["n1", "n2"] {
        add_node(&mut cache, n, "8", json!({}));
    }
    cache.charge(
        "other/big",
        "n1",
        usage_of(&owned("2", "other", "big")),
        false,
    );
    let mut alg = Algorithm::new(None);
    let mut rng = StdRng::seed_from_u64(3);
    let mut nodes = Vec::new();
    for i in 0..6 {
        nodes.push(
            place(
                &mut alg,
                &mut cache,
                &owned("100m", "rs", &format!("p{i}")),
                &mut rng,
            )
            .expect("placed"),
        );
    }
    let on_n1 = nodes.iter().filter(|n| *n == "n1").count();
    assert!((2..=3).contains(&on_n1), "{nodes:?}");
}

#[test]
fn least_allocated_prefers_the_emptier_node() {
    let mut cache = Cache::new();
    add_node(&mut cache, "small", "2", json!({}));
    add_node(&mut cache, "large", "16", json!({}));
    let mut alg = Algorithm::new(None);
    let mut rng = StdRng::seed_from_u64(1);
    let p = pod(
        json!({"containers": [{"name": "c", "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}]}),
    );
    assert_eq!(alg.schedule(&cache, &p, &mut rng), Ok("large".to_string()));
}

#[test]
fn assumed_pods_use_up_room() {
    let mut cache = Cache::new();
    add_node(&mut cache, "n1", "1", json!({}));
    let mut alg = Algorithm::new(None);
    let mut rng = StdRng::seed_from_u64(1);
    let p = |n: &str| {
        let mut p =
            pod(json!({"containers": [{"name": "c", "resources": {"requests": {"cpu": "600m"}}}]}));
        p.name = n.to_string();
        p
    };
    assert_eq!(
        place(&mut alg, &mut cache, &p("a"), &mut rng),
        Ok("n1".to_string())
    );
    assert_eq!(
        message(place(&mut alg, &mut cache, &p("b"), &mut rng)),
        "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."
    );
    // The first binding failed: its room comes back.
    cache.uncharge("default/a");
    assert_eq!(
        place(&mut alg, &mut cache, &p("b"), &mut rng),
        Ok("n1".to_string())
    );
}

#[test]
fn an_oversized_pod_gets_upstreams_message() {
    let mut cache = Cache::new();
    for n in ["n1", "n2", "n3"] {
        add_node(&mut cache, n, "2", json!({}));
    }
    let mut alg = Algorithm::new(None);
    let mut rng = StdRng::seed_from_u64(1);
    let p = pod(json!({"containers": [{"name": "c", "resources": {"requests": {"cpu": "64"}}}]}));
    assert_eq!(
        message(alg.schedule(&cache, &p, &mut rng)),
        "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."
    );
}

#[test]
fn mixed_refusals_are_counted_per_reason() {
    let mut cache = Cache::new();
    add_node(&mut cache, "n1", "1", json!({}));
    add_node(&mut cache, "n2", "1", json!({}));
    for n in ["n3", "n4", "n5"] {
        add_node(
            &mut cache,
            n,
            "8",
            json!({"status": {"conditions": [{"type": "Ready", "status": "Unknown"}]},
                   "spec": {"taints": [{"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"}]}}),
        );
    }
    let mut alg = Algorithm::new(None);
    let mut rng = StdRng::seed_from_u64(1);
    let p = pod(json!({
        "tolerations": [{"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}],
        "containers": [{"name": "c", "resources": {"requests": {"cpu": "2"}}}]}));
    let r = alg.schedule(&cache, &p, &mut rng);
    let Err(Failure::Unschedulable(f)) = r else {
        panic!("expected unschedulable: {r:?}");
    };
    assert_eq!(
        f.filter_message(),
        "0/5 nodes are available: 2 Insufficient cpu, 3 node(s) had untolerated taint {node.kubernetes.io/unreachable: }."
    );
    assert_eq!(
        f.message(),
        "0/5 nodes are available: 2 Insufficient cpu, 3 node(s) had untolerated taint {node.kubernetes.io/unreachable: }. \
         preemption: 0/5 nodes are available: 2 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling."
    );
}

#[test]
fn a_pod_pinned_by_node_name_examines_only_that_node() {
    let mut cache = Cache::new();
    for n in ["n1", "n2", "n3"] {
        add_node(&mut cache, n, "1", json!({}));
    }
    let mut alg = Algorithm::new(None);
    let mut rng = StdRng::seed_from_u64(1);
    let pinned = |cpu: &str| {
        pod(json!({
            "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n2"]}]}]}}},
            "containers": [{"name": "c", "resources": {"requests": {"cpu": cpu}}}]}))
    };
    assert_eq!(
        alg.schedule(&cache, &pinned("100m"), &mut rng),
        Ok("n2".to_string())
    );
    assert_eq!(
        message(alg.schedule(&cache, &pinned("2"), &mut rng)),
        "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't satisfy plugin(s) [NodeAffinity]. \
         preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling."
    );
}

#[test]
fn no_nodes_is_a_scheduler_error() {
    let cache = Cache::new();
    let mut alg = Algorithm::new(None);
    let mut rng = StdRng::seed_from_u64(1);
    assert_eq!(
        alg.schedule(&cache, &pod(json!({})), &mut rng),
        Err(Failure::NoNodes)
    );
}

#[test]
fn feasible_nodes_to_find() {
    let cases = [
        (None, 3, 3),
        (None, 99, 99),
        (None, 100, 100),
        (None, 1000, 420),
        (None, 5000, 500),
        (None, 6000, 300),
        (None, 1000, 420),
        (Some(10), 500, 100),
        (Some(50), 1000, 500),
        (Some(100), 5000, 5000),
    ];
    for (pct, all, want) in cases {
        assert_eq!(num_feasible_nodes_to_find(pct, all), want, "{pct:?} {all}");
    }
}

#[test]
fn large_clusters_are_scanned_round_robin() {
    let mut cache = Cache::new();
    for i in 0..400 {
        add_node(&mut cache, &format!("n{i:03}"), "4", json!({}));
    }
    let mut alg = Algorithm::new(Some(25));
    let mut rng = StdRng::seed_from_u64(1);
    let mut chosen = std::collections::HashSet::new();
    for i in 0..40 {
        let p = owned("100m", "rs", &format!("p{i}"));
        chosen.insert(place(&mut alg, &mut cache, &p, &mut rng).expect("placed"));
    }
    // Each decision looked at 100 nodes starting where the last one stopped, so the 40
    // pods landed on 40 different nodes across the whole cluster.
    assert_eq!(chosen.len(), 40);
    assert!(chosen.iter().any(|n| n.as_str() >= "n300"), "{chosen:?}");
}
