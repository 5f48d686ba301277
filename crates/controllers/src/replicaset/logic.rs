//! Pure decision logic of upstream's ReplicaSet controller (`pkg/controller/replicaset`,
//! `pkg/controller/controller_utils.go`, `pkg/api/v1/pod/util.go`).
//!
//! Owns: pod predicates (active, terminating, ready, available), the manage
//! step (how many pods to create in which slow-start batches, which pods to
//! delete), status calculation, the pod object created from an RS template,
//! and (in [`selector`]) adoption/release decisions. No IO: the controller loop
//! lists pods, calls these, and performs the returned creates/deletes/patches.

pub mod ranking;
pub mod selector;

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::apps::v1::{ReplicaSet, ReplicaSetCondition, ReplicaSetStatus};
use k8s_openapi::api::core::v1::{Pod, PodCondition};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use k8s_openapi::jiff::{SignedDuration, Timestamp};

pub use ranking::{indirectly_related_pods, pods_to_delete, rank_pods_for_deletion};
pub use selector::{
    ClaimDecision, Claimer, adopt_patch, claim_decision, controller_of, label_selector_matches,
    new_controller_ref, release_patch, selector_is_empty,
};

/// Most pods one ReplicaSet sync creates or deletes (`--replicaset burstReplicas`).
pub const BURST_REPLICAS: usize = 500;
/// First slow-start batch size (`controller.SlowStartInitialBatchSize`).
pub const SLOW_START_INITIAL_BATCH_SIZE: usize = 1;

/// Event / condition reasons used by the ReplicaSet controller.
pub const FAILED_CREATE_POD_REASON: &str = "FailedCreate";
pub const SUCCESSFUL_CREATE_POD_REASON: &str = "SuccessfulCreate";
pub const FAILED_DELETE_POD_REASON: &str = "FailedDelete";
pub const SUCCESSFUL_DELETE_POD_REASON: &str = "SuccessfulDelete";
/// Condition type set on a ReplicaSet when creating/deleting pods failed.
pub const REPLICA_FAILURE: &str = "ReplicaFailure";

/// Event message after a pod was created (`SuccessfulCreate`, Normal).
pub fn created_pod_message(pod_name: &str) -> String {
    format!("Created pod: {pod_name}")
}
/// Event message after a pod create failed (`FailedCreate`, Warning). Upstream
/// skips this event when the namespace is terminating.
pub fn create_error_message(err: &str) -> String {
    format!("Error creating: {err}")
}
/// Event message after a pod was deleted (`SuccessfulDelete`, Normal).
pub fn deleted_pod_message(pod_name: &str) -> String {
    format!("Deleted pod: {pod_name}")
}
/// Event message after a pod delete failed other than NotFound (`FailedDelete`, Warning).
pub fn delete_error_message(err: &str) -> String {
    format!("Error deleting: {err}")
}

fn phase(pod: &Pod) -> Option<&str> {
    pod.status.as_ref().and_then(|s| s.phase.as_deref())
}

fn is_terminal(pod: &Pod) -> bool {
    matches!(phase(pod), Some("Succeeded" | "Failed"))
}

/// Not terminal and not being deleted (`controller.IsPodActive`).
pub fn pod_is_active(pod: &Pod) -> bool {
    !is_terminal(pod) && pod.metadata.deletion_timestamp.is_none()
}

/// Being deleted but not yet terminal (counted in `status.terminatingReplicas`).
pub fn pod_is_terminating(pod: &Pod) -> bool {
    !is_terminal(pod) && pod.metadata.deletion_timestamp.is_some()
}

/// The pod's `Ready` condition, if reported.
pub fn pod_ready_condition(pod: &Pod) -> Option<&PodCondition> {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.type_ == "Ready"))
}

/// `Ready` condition is `True` (`podutil.IsPodReady`).
pub fn pod_is_ready(pod: &Pod) -> bool {
    pod_ready_condition(pod).is_some_and(|c| c.status == "True")
}

/// Ready, and (when `min_ready_seconds > 0`) ready since at least that long:
/// `lastTransitionTime + minReadySeconds <= now` (current upstream uses `<=`).
pub fn pod_is_available(pod: &Pod, min_ready_seconds: i32, now: Timestamp) -> bool {
    if !pod_is_ready(pod) {
        return false;
    }
    if min_ready_seconds <= 0 {
        return true;
    }
    let Some(since) = pod_ready_condition(pod).and_then(|c| c.last_transition_time.as_ref()) else {
        return false;
    };
    since
        .0
        .checked_add(SignedDuration::from_secs(i64::from(min_ready_seconds)))
        .is_ok_and(|t| t <= now)
}

/// Active pods only (`controller.FilterActivePods`).
pub fn filter_active_pods<'a>(pods: &[&'a Pod]) -> Vec<&'a Pod> {
    pods.iter().copied().filter(|p| pod_is_active(p)).collect()
}

/// Terminating pods controlled by `rs` whose labels still match its selector
/// (`FilterTerminatingPods` + `FilterClaimedPods`); these feed `terminatingReplicas`.
pub fn claimed_terminating_pods<'a>(rs: &ReplicaSet, pods: &[&'a Pod]) -> Vec<&'a Pod> {
    let rs_uid = rs.metadata.uid.as_deref().unwrap_or("");
    let selector = &rs.spec.selector;
    pods.iter()
        .copied()
        .filter(|p| pod_is_terminating(p))
        .filter(|p| controller_of(&p.metadata).is_some_and(|c| c.uid == rs_uid))
        .filter(|p| label_selector_matches(selector, p.metadata.labels.as_ref()))
        .collect()
}

/// `spec.replicas`, defaulting to 1 like the API.
pub fn rs_replicas(rs: &ReplicaSet) -> i32 {
    rs.spec.replicas.unwrap_or(1)
}

/// [`rs_replicas`] as a pod count (a negative value wants none).
pub fn wanted_replicas(rs: &ReplicaSet) -> usize {
    usize::try_from(rs_replicas(rs).max(0)).unwrap_or(0)
}

/// Batch sizes of upstream's `slowStartBatch`: `initial`, then doubling, capped
/// by what remains (10 pods → 1, 2, 4, 3). The caller stops at the first batch
/// with a failure and skips the rest.
pub fn slow_start_batches(count: usize, initial: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut remaining = count;
    let mut batch = remaining.min(initial.max(1));
    while batch > 0 {
        out.push(batch);
        remaining -= batch;
        batch = (2 * batch).min(remaining);
    }
    out
}

/// What one sync of a ReplicaSet should do to its pods (`manageReplicas`).
#[derive(Debug, PartialEq)]
pub enum ManageAction<'a> {
    /// Replica count already right.
    Nothing,
    /// Create `count` pods from [`pod_from_template`], in these slow-start batches.
    Create { count: usize, batches: Vec<usize> },
    /// Delete these pods (already capped at [`BURST_REPLICAS`]).
    Delete { pods: Vec<&'a Pod> },
}

/// Decides creations/deletions. `active` are the active pods claimed by `rs`;
/// `related` are the pods of sibling ReplicaSets (see
/// [`indirectly_related_pods`]), used to prefer deleting doubled-up pods.
/// Upstream skips this step while `rs` is being deleted or its expectations
/// are unsatisfied; the caller handles both.
pub fn manage_replicas<'a>(
    rs: &ReplicaSet,
    active: &[&'a Pod],
    related: &[&Pod],
    now: Timestamp,
) -> ManageAction<'a> {
    let want = wanted_replicas(rs);
    if active.len() < want {
        let count = (want - active.len()).min(BURST_REPLICAS);
        return ManageAction::Create {
            count,
            batches: slow_start_batches(count, SLOW_START_INITIAL_BATCH_SIZE),
        };
    }
    if active.len() > want {
        let diff = (active.len() - want).min(BURST_REPLICAS);
        return ManageAction::Delete {
            pods: pods_to_delete(active, related, diff, now),
        };
    }
    ManageAction::Nothing
}

/// `getPodsPrefix`: `<name>-` unless that would be an invalid generateName (too long).
fn pod_name_prefix(name: &str) -> String {
    // A 253-char name plus "-" exceeds the DNS-subdomain limit upstream validates against.
    if name.len() + 1 > 253 {
        name.to_string()
    } else {
        format!("{name}-")
    }
}

/// The pod a ReplicaSet creates (`GetPodFromTemplate` + `NewControllerRef`):
/// template labels, annotations and finalizers, `generateName: <rs>-`, a
/// controller owner reference (`blockOwnerDeletion: true`) and the template spec.
pub fn pod_from_template(rs: &ReplicaSet) -> Result<Pod, String> {
    let name = rs
        .metadata
        .name
        .as_deref()
        .filter(|n| !n.is_empty())
        .ok_or("replica set has no name")?;
    if rs.metadata.uid.as_deref().is_none_or(str::is_empty) {
        return Err("controllerRef has empty UID".to_string());
    }
    let template = rs
        .spec
        .template
        .as_ref()
        .ok_or("replica set has no pod template")?;
    let tmeta = template.metadata.clone().unwrap_or_default();
    if tmeta.labels.as_ref().is_none_or(BTreeMap::is_empty) {
        return Err("unable to create pods, no labels".to_string());
    }
    Ok(Pod {
        metadata: ObjectMeta {
            generate_name: Some(pod_name_prefix(name)),
            namespace: rs.metadata.namespace.clone(),
            labels: tmeta.labels,
            annotations: tmeta.annotations.filter(|a| !a.is_empty()),
            finalizers: tmeta.finalizers.filter(|f| !f.is_empty()),
            owner_references: Some(vec![new_controller_ref(
                &rs.metadata,
                "apps/v1",
                "ReplicaSet",
            )]),
            ..Default::default()
        },
        spec: template.spec.clone(),
        status: None,
    })
}

fn now_condition_time(now: Timestamp) -> Time {
    // metav1.Time serializes whole seconds; keep the in-memory value identical
    // to what round-trips through the API.
    Time(Timestamp::from_second(now.as_second()).unwrap_or(now))
}

/// `calculateStatus`: counts over the claimed `active` pods, `terminatingReplicas`
/// over the claimed `terminating` pods, and the `ReplicaFailure` condition from
/// the manage step's error (set once, removed on the next clean sync).
pub fn calculate_status(
    rs: &ReplicaSet,
    active: &[&Pod],
    terminating: &[&Pod],
    manage_error: Option<&str>,
    now: Timestamp,
) -> ReplicaSetStatus {
    let mut status = rs.status.clone().unwrap_or_default();
    let template_labels = rs
        .spec
        .template
        .as_ref()
        .and_then(|t| t.metadata.as_ref())
        .and_then(|m| m.labels.clone())
        .unwrap_or_default();
    let min_ready = rs.spec.min_ready_seconds.unwrap_or(0);
    let (mut fully_labeled, mut ready, mut available) = (0i32, 0i32, 0i32);
    for pod in active {
        let labels = pod.metadata.labels.as_ref();
        if template_labels
            .iter()
            .all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v))
        {
            fully_labeled += 1;
        }
        if pod_is_ready(pod) {
            ready += 1;
            if pod_is_available(pod, min_ready, now) {
                available += 1;
            }
        }
    }
    let has_failure = status
        .conditions
        .iter()
        .flatten()
        .any(|c| c.type_.as_deref() == Some(REPLICA_FAILURE));
    match manage_error {
        Some(err) if !has_failure => {
            let diff = active.len() as i64 - i64::from(rs_replicas(rs));
            let reason = match diff.cmp(&0) {
                std::cmp::Ordering::Less => FAILED_CREATE_POD_REASON,
                std::cmp::Ordering::Greater => FAILED_DELETE_POD_REASON,
                std::cmp::Ordering::Equal => "",
            };
            status
                .conditions
                .get_or_insert_with(Vec::new)
                .push(ReplicaSetCondition {
                    type_: Some(REPLICA_FAILURE.to_string()),
                    status: Some("True".to_string()),
                    reason: Some(reason.to_string()).filter(|r| !r.is_empty()),
                    message: Some(err.to_string()),
                    last_transition_time: Some(now_condition_time(now)),
                });
        }
        None if has_failure => {
            if let Some(cs) = status.conditions.as_mut() {
                cs.retain(|c| c.type_.as_deref() != Some(REPLICA_FAILURE));
            }
        }
        _ => {}
    }
    if status.conditions.as_ref().is_some_and(Vec::is_empty) {
        status.conditions = None;
    }
    status.replicas = i32::try_from(active.len()).unwrap_or(i32::MAX);
    status.fully_labeled_replicas = nonzero(fully_labeled);
    status.ready_replicas = nonzero(ready);
    status.available_replicas = nonzero(available);
    status.terminating_replicas = Some(i32::try_from(terminating.len()).unwrap_or(i32::MAX));
    status
}

/// Go `omitempty` on int32 fields: zero is not serialized.
fn nonzero(v: i32) -> Option<i32> {
    (v != 0).then_some(v)
}

/// `updateReplicaSetStatus`: the status to write (with `observedGeneration`
/// set to the RS generation), or None when nothing changed and the generation
/// is already observed.
pub fn status_update(rs: &ReplicaSet, new_status: &ReplicaSetStatus) -> Option<ReplicaSetStatus> {
    let old = rs.status.clone().unwrap_or_default();
    let generation = rs.metadata.generation.unwrap_or(0);
    let n = |v: Option<i32>| v.unwrap_or(0);
    let unchanged = old.replicas == new_status.replicas
        && n(old.fully_labeled_replicas) == n(new_status.fully_labeled_replicas)
        && n(old.ready_replicas) == n(new_status.ready_replicas)
        && n(old.available_replicas) == n(new_status.available_replicas)
        && old.terminating_replicas == new_status.terminating_replicas
        && generation == old.observed_generation.unwrap_or(0)
        && old.conditions.clone().unwrap_or_default()
            == new_status.conditions.clone().unwrap_or_default();
    if unchanged {
        return None;
    }
    let mut out = new_status.clone();
    out.observed_generation = (generation != 0).then_some(generation);
    Some(out)
}

/// Requeue delay after a status write, as a guard against clock skew: when the
/// manage step succeeded, `minReadySeconds > 0`, all replicas are ready but
/// not all available yet, check again after `minReadySeconds`.
pub fn requeue_for_min_ready(
    rs: &ReplicaSet,
    status: &ReplicaSetStatus,
    manage_ok: bool,
) -> Option<Duration> {
    let min_ready = rs.spec.min_ready_seconds.unwrap_or(0);
    let want = rs_replicas(rs);
    (manage_ok
        && min_ready > 0
        && status.ready_replicas.unwrap_or(0) == want
        && status.available_replicas.unwrap_or(0) != want)
        .then(|| Duration::from_secs(u64::try_from(min_ready).unwrap_or(0)))
}

#[cfg(test)]
mod tests;
