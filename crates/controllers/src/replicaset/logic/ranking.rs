//! Which pods a ReplicaSet deletes first when it has too many.
//!
//! Mirrors upstream `controller.ActivePodsWithRanks` (with the GA
//! `PodDeletionCost` and `LogarithmicScaleDown` behaviour) and
//! `replicaset.getPodsToDelete` / `getPodsRankedByRelatedPodsOnSameNode`.

use std::collections::{BTreeMap, HashSet};

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::jiff::Timestamp;

use super::selector::{controller_of, label_selector_matches};
use super::{pod_is_active, pod_is_ready, pod_ready_condition};

/// Annotation that lets users steer scale-down (`controller.kubernetes.io/pod-deletion-cost`).
pub const POD_DELETION_COST_ANNOTATION: &str = "controller.kubernetes.io/pod-deletion-cost";

/// Upstream `podPhaseToOrdinal`: Pending < Unknown < Running; anything else counts as Pending.
fn phase_ordinal(pod: &Pod) -> u8 {
    match pod.status.as_ref().and_then(|s| s.phase.as_deref()) {
        Some("Unknown") => 1,
        Some("Running") => 2,
        _ => 0,
    }
}

fn node_name(pod: &Pod) -> &str {
    pod.spec
        .as_ref()
        .and_then(|s| s.node_name.as_deref())
        .unwrap_or("")
}

fn uid(pod: &Pod) -> &str {
    pod.metadata.uid.as_deref().unwrap_or("")
}

/// Deletion cost from the pod annotation; invalid values count as 0 like
/// upstream `GetDeletionCostFromPodAnnotations` (no `+` sign, no leading zeros).
pub fn pod_deletion_cost(pod: &Pod) -> i32 {
    let Some(v) = pod
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(POD_DELETION_COST_ANNOTATION))
    else {
        return 0;
    };
    let first_ok = match v.as_bytes().first() {
        Some(b'-') => true,
        Some(b'0') => v == "0",
        Some(b'1'..=b'9') => true,
        _ => false,
    };
    if !first_ok {
        return 0;
    }
    v.parse::<i32>().unwrap_or(0)
}

/// Last transition time of a true Ready condition (Go zero time otherwise).
fn ready_time(pod: &Pod) -> Option<Timestamp> {
    if !pod_is_ready(pod) {
        return None;
    }
    pod_ready_condition(pod)
        .and_then(|c| c.last_transition_time.as_ref())
        .map(|t| t.0)
}

fn max_restarts(pod: &Pod) -> i32 {
    pod.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .map(|cs| cs.iter().map(|c| c.restart_count).max().unwrap_or(0))
        .unwrap_or(0)
        .max(0)
}

/// `afterOrZero`: a zero (absent) time sorts after any real one.
fn after_or_zero(t1: Option<Timestamp>, t2: Option<Timestamp>) -> bool {
    match (t1, t2) {
        (Some(a), Some(b)) => a > b,
        (a, _) if a.is_none() => true,
        _ => false,
    }
}

/// Base-2 logarithmic age buckets, so pods of similar age are interchangeable
/// and ties are broken by UID (a stable pseudo-random order).
fn log_rank_diff(t1: Timestamp, t2: Timestamp, now: Timestamp) -> i64 {
    let rank = |t: Timestamp| -> i64 {
        let d = now.duration_since(t).as_nanos();
        if d > 0 { (d as f64).log2() as i64 } else { -1 }
    };
    rank(t1) - rank(t2)
}

/// Compares two times under the logarithmic rule (true = `a` goes first).
fn newer_first(
    a: Option<Timestamp>,
    b: Option<Timestamp>,
    ua: &str,
    ub: &str,
    now: Option<Timestamp>,
) -> bool {
    match (a, b, now) {
        (Some(ta), Some(tb), Some(now)) => {
            let diff = log_rank_diff(ta, tb, now);
            if diff == 0 { ua < ub } else { diff < 0 }
        }
        _ => after_or_zero(a, b),
    }
}

/// `ActivePodsWithRanks.Less`: true when pod `a` should be deleted before pod `b`.
///
/// `rank_a`/`rank_b` are the number of related active pods on each pod's node;
/// `now` enables logarithmic comparison (None = exact comparison).
pub fn delete_before(
    a: &Pod,
    rank_a: usize,
    b: &Pod,
    rank_b: usize,
    now: Option<Timestamp>,
) -> bool {
    // 1. Unassigned < assigned.
    let (na, nb) = (node_name(a), node_name(b));
    if na != nb && (na.is_empty() || nb.is_empty()) {
        return na.is_empty();
    }
    // 2. Pending < Unknown < Running.
    let (pa, pb) = (phase_ordinal(a), phase_ordinal(b));
    if pa != pb {
        return pa < pb;
    }
    // 3. Not ready < ready.
    let (ra, rb) = (pod_is_ready(a), pod_is_ready(b));
    if ra != rb {
        return !ra;
    }
    // 4. Lower pod-deletion-cost first.
    let (ca, cb) = (pod_deletion_cost(a), pod_deletion_cost(b));
    if ca != cb {
        return ca < cb;
    }
    // 5. More colocated related pods first (doubled-up pods go first).
    if rank_a != rank_b {
        return rank_a > rank_b;
    }
    // 6. Ready for a shorter time first.
    if ra && rb {
        let (ta, tb) = (ready_time(a), ready_time(b));
        if ta != tb {
            return newer_first(ta, tb, uid(a), uid(b), now);
        }
    }
    // 7. Higher restart counts first.
    let (xa, xb) = (max_restarts(a), max_restarts(b));
    if xa != xb {
        return xa > xb;
    }
    // 8. Newer (or missing) creation time first.
    let (ka, kb) = (
        a.metadata.creation_timestamp.as_ref().map(|t| t.0),
        b.metadata.creation_timestamp.as_ref().map(|t| t.0),
    );
    if ka != kb {
        return newer_first(ka, kb, uid(a), uid(b), now);
    }
    false
}

/// Stable merge sort driven by a `less` predicate. The upstream ordering is not
/// guaranteed to be a strict weak order (the UID tie-break only applies inside
/// one rule), so std's sort, which may panic on inconsistent comparators, is avoided.
fn merge_sort_by<T: Clone>(items: &mut [T], less: &dyn Fn(&T, &T) -> bool) {
    if items.len() < 2 {
        return;
    }
    let mid = items.len() / 2;
    merge_sort_by(&mut items[..mid], less);
    merge_sort_by(&mut items[mid..], less);
    let mut merged = Vec::with_capacity(items.len());
    let (mut i, mut j) = (0, mid);
    while i < mid && j < items.len() {
        if less(&items[j], &items[i]) {
            merged.push(items[j].clone());
            j += 1;
        } else {
            merged.push(items[i].clone());
            i += 1;
        }
    }
    merged.extend_from_slice(&items[i..mid]);
    merged.extend_from_slice(&items[j..]);
    items.clone_from_slice(&merged);
}

/// Number of active related pods per node name (`""` = unassigned).
fn pods_per_node(related: &[&Pod]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for p in related.iter().filter(|p| pod_is_active(p)) {
        *counts.entry(node_name(p).to_string()).or_insert(0) += 1;
    }
    counts
}

/// Sorts `pods` into deletion-preference order (first = delete first).
pub fn rank_pods_for_deletion<'a>(
    pods: &[&'a Pod],
    related: &[&Pod],
    now: Timestamp,
) -> Vec<&'a Pod> {
    let per_node = pods_per_node(related);
    let mut ranked: Vec<(&'a Pod, usize)> = pods
        .iter()
        .map(|p| (*p, per_node.get(node_name(p)).copied().unwrap_or(0)))
        .collect();
    merge_sort_by(&mut ranked, &|a, b| {
        delete_before(a.0, a.1, b.0, b.1, Some(now))
    });
    ranked.into_iter().map(|(p, _)| p).collect()
}

/// `getPodsToDelete`: the `diff` pods to delete; no sorting when all go.
pub fn pods_to_delete<'a>(
    active: &[&'a Pod],
    related: &[&Pod],
    diff: usize,
    now: Timestamp,
) -> Vec<&'a Pod> {
    if diff >= active.len() {
        return active.to_vec();
    }
    rank_pods_for_deletion(active, related, now)
        .into_iter()
        .take(diff)
        .collect()
}

/// `getIndirectlyRelatedPods`: pods selected by any ReplicaSet that shares
/// `rs`'s controller (deduplicated by UID). A ReplicaSet without controller
/// has no related pods, as upstream.
pub fn indirectly_related_pods<'a>(
    rs: &ReplicaSet,
    all_rs: &[&ReplicaSet],
    pods: &[&'a Pod],
) -> Vec<&'a Pod> {
    let Some(owner) = controller_of(&rs.metadata) else {
        return Vec::new();
    };
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for other in all_rs {
        if controller_of(&other.metadata).is_none_or(|c| c.uid != owner.uid) {
            continue;
        }
        if other.metadata.namespace != rs.metadata.namespace {
            continue;
        }
        let selector = &other.spec.selector;
        for p in pods {
            if p.metadata.namespace == rs.metadata.namespace
                && label_selector_matches(selector, p.metadata.labels.as_ref())
                && seen.insert(uid(p).to_string())
            {
                out.push(*p);
            }
        }
    }
    out
}
