//! Helpers of upstream `deployment/util/deployment_util.go` and the
//! ReplicaSet sort orders of `controller_utils.go`: spec defaults,
//! maxSurge/maxUnavailable arithmetic, revision and replica annotations,
//! conditions, replica counts, new/old ReplicaSet identification, and the
//! complete/progressing/timed-out predicates.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet, ReplicaSetCondition,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use k8s_openapi::jiff::{SignedDuration, Timestamp};

use super::hash::equal_ignore_hash;
use super::*;

// ---------------------------------------------------------------- spec access

/// `spec.replicas` (API default 1).
pub fn replicas(d: &Deployment) -> i32 {
    d.spec.replicas.unwrap_or(1)
}

/// `spec.replicas` of a ReplicaSet (API default 1).
pub fn rs_replicas(rs: &ReplicaSet) -> i32 {
    rs.spec.replicas.unwrap_or(1)
}

/// `status.replicas` of a ReplicaSet.
pub fn rs_status_replicas(rs: &ReplicaSet) -> i32 {
    rs.status.as_ref().map_or(0, |s| s.replicas)
}

/// `status.availableReplicas` of a ReplicaSet.
pub fn rs_available(rs: &ReplicaSet) -> i32 {
    rs.status
        .as_ref()
        .and_then(|s| s.available_replicas)
        .unwrap_or(0)
}

fn strategy_type(d: &Deployment) -> &str {
    d.spec
        .strategy
        .as_ref()
        .and_then(|s| s.type_.as_deref())
        .unwrap_or("RollingUpdate")
}

/// Strategy is RollingUpdate (the API default).
pub fn is_rolling_update(d: &Deployment) -> bool {
    strategy_type(d) == "RollingUpdate"
}

/// Strategy is Recreate.
pub fn is_recreate(d: &Deployment) -> bool {
    strategy_type(d) == "Recreate"
}

fn default_quarter() -> IntOrString {
    IntOrString::String("25%".to_string())
}

/// maxSurge / maxUnavailable with the API defaults (25% each) for absent fields.
fn rolling_params(d: &Deployment) -> (IntOrString, IntOrString) {
    let ru = d
        .spec
        .strategy
        .as_ref()
        .and_then(|s| s.rolling_update.as_ref());
    (
        ru.and_then(|r| r.max_surge.clone())
            .unwrap_or_else(default_quarter),
        ru.and_then(|r| r.max_unavailable.clone())
            .unwrap_or_else(default_quarter),
    )
}

/// `intstr.GetScaledValueFromIntOrPercent`: an int as is, `"N%"` of `total`
/// rounded up or down; other strings are an error.
pub fn scaled_value(v: &IntOrString, total: i32, round_up: bool) -> Result<i32, String> {
    match v {
        IntOrString::Int(i) => Ok(*i),
        IntOrString::String(s) => {
            let pct = s
                .strip_suffix('%')
                .and_then(|p| p.parse::<i64>().ok())
                .ok_or_else(|| format!("invalid value for IntOrString: invalid type: string is not a percentage: {s:?}"))?;
            let num = pct * i64::from(total);
            let v = if round_up {
                num.div_euclid(100) + i64::from(num.rem_euclid(100) != 0)
            } else {
                num.div_euclid(100)
            };
            Ok(i32::try_from(v).unwrap_or(i32::MAX))
        }
    }
}

/// `ResolveFenceposts`: surge rounds up, unavailable rounds down; if both are
/// 0, unavailable becomes 1 (surge might not be possible because of quota).
pub fn resolve_fenceposts(
    max_surge: Option<&IntOrString>,
    max_unavailable: Option<&IntOrString>,
    desired: i32,
) -> Result<(i32, i32), String> {
    let zero = IntOrString::Int(0);
    let surge = scaled_value(max_surge.unwrap_or(&zero), desired, true)?;
    let mut unavailable = scaled_value(max_unavailable.unwrap_or(&zero), desired, false)?;
    if surge == 0 && unavailable == 0 {
        unavailable = 1;
    }
    Ok((surge, unavailable))
}

/// `MaxSurge`: 0 unless RollingUpdate (invalid values, rejected by validation, count as 0).
pub fn max_surge(d: &Deployment) -> i32 {
    if !is_rolling_update(d) {
        return 0;
    }
    let (s, u) = rolling_params(d);
    resolve_fenceposts(Some(&s), Some(&u), replicas(d)).map_or(0, |(s, _)| s)
}

/// `MaxUnavailable`: 0 unless RollingUpdate with replicas > 0; at most `replicas`.
pub fn max_unavailable(d: &Deployment) -> i32 {
    let r = replicas(d);
    if !is_rolling_update(d) || r == 0 {
        return 0;
    }
    let (s, u) = rolling_params(d);
    resolve_fenceposts(Some(&s), Some(&u), r)
        .map_or(0, |(_, u)| u)
        .min(r)
}

/// `progressDeadlineSeconds` (API default 600).
pub fn progress_deadline_seconds(d: &Deployment) -> i32 {
    d.spec.progress_deadline_seconds.unwrap_or(600)
}

/// `HasProgressDeadline`: set and not `MaxInt32` ("no deadline").
pub fn has_progress_deadline(d: &Deployment) -> bool {
    progress_deadline_seconds(d) != i32::MAX
}

/// `revisionHistoryLimit` (API default 10); None when `MaxInt32` (keep all).
pub fn revision_history_limit(d: &Deployment) -> Option<i32> {
    let limit = d.spec.revision_history_limit.unwrap_or(10);
    (limit != i32::MAX).then_some(limit)
}

/// `spec.minReadySeconds` (default 0).
pub fn min_ready_seconds(d: &Deployment) -> i32 {
    d.spec.min_ready_seconds.unwrap_or(0)
}

/// `spec.paused`.
pub fn is_paused(d: &Deployment) -> bool {
    d.spec.paused.unwrap_or(false)
}

// ---------------------------------------------------------------- annotations

fn annotation<'a>(rs: &'a ReplicaSet, key: &str) -> Option<&'a String> {
    rs.metadata.annotations.as_ref().and_then(|a| a.get(key))
}

/// `Revision`: the revision annotation; absent = 0, unparsable = error.
pub fn revision(rs: &ReplicaSet) -> Result<i64, String> {
    match annotation(rs, REVISION_ANNOTATION) {
        None => Ok(0),
        Some(v) => v.parse::<i64>().map_err(|e| e.to_string()),
    }
}

/// `MaxRevision`: highest parsable revision (0 if none).
pub fn max_revision(rss: &[&ReplicaSet]) -> i64 {
    rss.iter()
        .filter_map(|rs| revision(rs).ok())
        .fold(0, i64::max)
}

/// Non-negative int32 annotation (`getNonNegativeInt32FromAnnotation`):
/// digits only, at most `MaxInt32`.
fn non_negative_i32_annotation(rs: &ReplicaSet, key: &str) -> Option<i32> {
    let v = annotation(rs, key)?;
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse::<u32>().ok().and_then(|n| i32::try_from(n).ok())
}

/// `deployment.kubernetes.io/desired-replicas`, if valid.
pub fn desired_replicas_annotation(rs: &ReplicaSet) -> Option<i32> {
    non_negative_i32_annotation(rs, DESIRED_REPLICAS_ANNOTATION)
}

/// `deployment.kubernetes.io/max-replicas`, if valid.
pub fn max_replicas_annotation(rs: &ReplicaSet) -> Option<i32> {
    non_negative_i32_annotation(rs, MAX_REPLICAS_ANNOTATION)
}

/// `SetReplicasAnnotations`; true if anything changed.
pub fn set_replicas_annotations(rs: &mut ReplicaSet, desired: i32, max: i32) -> bool {
    let ann = rs.metadata.annotations.get_or_insert_with(BTreeMap::new);
    let mut changed = false;
    for (key, value) in [
        (DESIRED_REPLICAS_ANNOTATION, desired),
        (MAX_REPLICAS_ANNOTATION, max),
    ] {
        let value = value.to_string();
        if ann.get(key) != Some(&value) {
            ann.insert(key.to_string(), value);
            changed = true;
        }
    }
    changed
}

/// `ReplicasAnnotationsNeedUpdate`.
pub fn replicas_annotations_need_update(rs: &ReplicaSet, desired: i32, max: i32) -> bool {
    annotation(rs, DESIRED_REPLICAS_ANNOTATION) != Some(&desired.to_string())
        || annotation(rs, MAX_REPLICAS_ANNOTATION) != Some(&max.to_string())
}

/// `annotationsToSkip`: never copied from a Deployment to its ReplicaSets.
pub fn skip_copy_annotation(key: &str) -> bool {
    matches!(
        key,
        LAST_APPLIED_CONFIG_ANNOTATION
            | REVISION_ANNOTATION
            | REVISION_HISTORY_ANNOTATION
            | DESIRED_REPLICAS_ANNOTATION
            | MAX_REPLICAS_ANNOTATION
            | DEPRECATED_ROLLBACK_TO
    )
}

/// `copyDeploymentAnnotationsToReplicaSet`: adds/overwrites, never removes.
fn copy_deployment_annotations(d: &Deployment, rs: &mut ReplicaSet) -> bool {
    let ann = rs.metadata.annotations.get_or_insert_with(BTreeMap::new);
    let mut changed = false;
    for (k, v) in d.metadata.annotations.iter().flatten() {
        if skip_copy_annotation(k) || ann.get(k) == Some(v) {
            continue;
        }
        ann.insert(k.clone(), v.clone());
        changed = true;
    }
    changed
}

/// `SetNewReplicaSetAnnotations`: copies the Deployment's annotations, raises
/// the revision to `new_revision` when lower (recording the old one in
/// `revision-history`, capped at `history_limit` chars by dropping the oldest
/// entries), and for a not-yet-created RS sets the replica annotations.
/// Returns true if annotations changed.
pub fn set_new_replica_set_annotations(
    d: &Deployment,
    rs: &mut ReplicaSet,
    new_revision: &str,
    exists: bool,
    history_limit: usize,
) -> bool {
    let mut changed = copy_deployment_annotations(d, rs);
    let ann = rs.metadata.annotations.get_or_insert_with(BTreeMap::new);
    let old_revision = ann.get(REVISION_ANNOTATION).cloned();
    let old_int = match old_revision.as_deref() {
        None | Some("") => 0,
        Some(v) => match v.parse::<i64>() {
            Ok(n) => n,
            // Upstream gives up (reporting "unchanged") on a corrupt revision.
            Err(_) => return false,
        },
    };
    let Ok(new_int) = new_revision.parse::<i64>() else {
        return false;
    };
    if old_int < new_int {
        ann.insert(REVISION_ANNOTATION.to_string(), new_revision.to_string());
        changed = true;
        // An existing revision being raised means this RS is reused (rollback):
        // keep the old number in the history.
        if let Some(old) = old_revision {
            let history = ann
                .get(REVISION_HISTORY_ANNOTATION)
                .cloned()
                .unwrap_or_default();
            if history.is_empty() {
                ann.insert(REVISION_HISTORY_ANNOTATION.to_string(), old);
            } else {
                let entries: Vec<&str> = history.split(',').collect();
                let mut total = history.len() + old.len() + 1;
                let mut start = 0;
                while total > history_limit && start < entries.len() {
                    total -= entries[start].len() + 1;
                    start += 1;
                }
                if total <= history_limit {
                    let mut kept: Vec<&str> = entries[start..].to_vec();
                    kept.push(&old);
                    ann.insert(REVISION_HISTORY_ANNOTATION.to_string(), kept.join(","));
                }
            }
        }
    }
    if !exists && set_replicas_annotations(rs, replicas(d), replicas(d) + max_surge(d)) {
        changed = true;
    }
    changed
}

/// `SetDeploymentRevision` on the Deployment's annotations; true if changed.
pub fn set_deployment_revision(annotations: &mut BTreeMap<String, String>, revision: &str) -> bool {
    if annotations.get(REVISION_ANNOTATION).map(String::as_str) == Some(revision) {
        return false;
    }
    annotations.insert(REVISION_ANNOTATION.to_string(), revision.to_string());
    true
}

// ---------------------------------------------------------------- conditions

/// Wall time as `metav1.Time` stores it (whole seconds), so conditions we
/// build compare equal to what the API returns.
pub fn condition_time(now: Timestamp) -> Time {
    Time(Timestamp::from_second(now.as_second()).unwrap_or(now))
}

/// `NewDeploymentCondition` with both times `now`.
pub fn new_condition(
    type_: &str,
    status: &str,
    reason: &str,
    message: String,
    now: Timestamp,
) -> DeploymentCondition {
    DeploymentCondition {
        type_: Some(type_.to_string()),
        status: Some(status.to_string()),
        reason: Some(reason.to_string()),
        message: Some(message),
        last_update_time: Some(condition_time(now)),
        last_transition_time: Some(condition_time(now)),
    }
}

/// `GetDeploymentCondition`.
pub fn get_condition<'a>(
    status: &'a DeploymentStatus,
    type_: &str,
) -> Option<&'a DeploymentCondition> {
    status
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_.as_deref() == Some(type_))
}

/// `SetDeploymentCondition`: no-op if status and reason are unchanged; keeps
/// `lastTransitionTime` when only the reason changes; moves it to the end.
pub fn set_condition(status: &mut DeploymentStatus, mut cond: DeploymentCondition) {
    if let Some(cur) = get_condition(status, cond.type_.as_deref().unwrap_or("")) {
        if cur.status == cond.status && cur.reason == cond.reason {
            return;
        }
        if cur.status == cond.status {
            cond.last_transition_time = cur.last_transition_time.clone();
        }
    }
    remove_condition(status, cond.type_.clone().as_deref().unwrap_or(""));
    status.conditions.get_or_insert_with(Vec::new).push(cond);
}

/// `RemoveDeploymentCondition`.
pub fn remove_condition(status: &mut DeploymentStatus, type_: &str) {
    if let Some(cs) = status.conditions.as_mut() {
        cs.retain(|c| c.type_.as_deref() != Some(type_));
        if cs.is_empty() {
            status.conditions = None;
        }
    }
}

/// `ReplicaSetToDeploymentCondition`: both times from the RS transition time.
pub fn rs_condition_to_deployment(c: &ReplicaSetCondition) -> DeploymentCondition {
    DeploymentCondition {
        type_: c.type_.clone(),
        status: c.status.clone(),
        reason: c.reason.clone(),
        message: c.message.clone(),
        last_update_time: c.last_transition_time.clone(),
        last_transition_time: c.last_transition_time.clone(),
    }
}

// ---------------------------------------------------------------- counts

/// Σ `spec.replicas`.
pub fn sum_spec_replicas(rss: &[&ReplicaSet]) -> i32 {
    rss.iter().map(|rs| rs_replicas(rs)).sum()
}

/// Σ `status.replicas`.
pub fn sum_status_replicas(rss: &[&ReplicaSet]) -> i32 {
    rss.iter().map(|rs| rs_status_replicas(rs)).sum()
}

/// Σ `status.readyReplicas`.
pub fn sum_ready(rss: &[&ReplicaSet]) -> i32 {
    rss.iter()
        .map(|rs| {
            rs.status
                .as_ref()
                .and_then(|s| s.ready_replicas)
                .unwrap_or(0)
        })
        .sum()
}

/// Σ `status.availableReplicas`.
pub fn sum_available(rss: &[&ReplicaSet]) -> i32 {
    rss.iter().map(|rs| rs_available(rs)).sum()
}

/// `GetTerminatingReplicaCountForReplicaSets`: ReplicaSets never synced
/// (observedGeneration 0) without the field are skipped; any other without
/// the field makes the total unknown (None).
pub fn sum_terminating(rss: &[&ReplicaSet]) -> Option<i32> {
    let mut total = 0;
    for rs in rss {
        let status = rs.status.clone().unwrap_or_default();
        match status.terminating_replicas {
            Some(n) => total += n,
            None if status.observed_generation.unwrap_or(0) == 0 => {}
            None => return None,
        }
    }
    Some(total)
}

// ---------------------------------------------------------------- ordering

fn creation(rs: &ReplicaSet) -> Timestamp {
    rs.metadata
        .creation_timestamp
        .as_ref()
        .map_or(Timestamp::MIN, |t| t.0)
}

/// `ReplicaSetsByCreationTimestamp`: oldest first, name as tie-breaker.
pub fn cmp_by_creation(a: &ReplicaSet, b: &ReplicaSet) -> Ordering {
    creation(a)
        .cmp(&creation(b))
        .then_with(|| a.metadata.name.cmp(&b.metadata.name))
}

/// `ReplicaSetsBySizeOlder`: largest first, then older first.
pub fn cmp_by_size_older(a: &ReplicaSet, b: &ReplicaSet) -> Ordering {
    rs_replicas(b)
        .cmp(&rs_replicas(a))
        .then_with(|| cmp_by_creation(a, b))
}

/// `ReplicaSetsBySizeNewer`: largest first, then newer first.
pub fn cmp_by_size_newer(a: &ReplicaSet, b: &ReplicaSet) -> Ordering {
    rs_replicas(b)
        .cmp(&rs_replicas(a))
        .then_with(|| cmp_by_creation(b, a))
}

/// `ReplicaSetsByRevision`: lowest revision first; creation order when equal or unparsable.
pub fn cmp_by_revision(a: &ReplicaSet, b: &ReplicaSet) -> Ordering {
    match (revision(a), revision(b)) {
        (Ok(x), Ok(y)) if x != y => x.cmp(&y),
        _ => cmp_by_creation(a, b),
    }
}

/// `FilterActiveReplicaSets`: spec.replicas > 0.
pub fn is_active(rs: &ReplicaSet) -> bool {
    rs_replicas(rs) > 0
}

// ---------------------------------------------------------------- identity

/// `FindNewReplicaSet`: index (into `rss`) of the oldest ReplicaSet whose
/// template equals the Deployment's, ignoring `pod-template-hash`.
pub fn find_new_replica_set(d: &Deployment, rss: &[&ReplicaSet]) -> Option<usize> {
    let mut order: Vec<usize> = (0..rss.len()).collect();
    order.sort_by(|&a, &b| cmp_by_creation(rss[a], rss[b]));
    let template = &d.spec.template;
    order.into_iter().find(|&i| {
        rss[i]
            .spec
            .template
            .as_ref()
            .is_some_and(|t| equal_ignore_hash(t, template))
    })
}

/// `NewRSNewReplicas`: replicas the new RS may have now. RollingUpdate: grow
/// by what `replicas + maxSurge - Σspec` allows, never past `replicas`.
/// Recreate: `replicas`.
pub fn new_rs_new_replicas(d: &Deployment, all: &[&ReplicaSet], new_rs: &ReplicaSet) -> i32 {
    let want = replicas(d);
    if !is_rolling_update(d) {
        return want;
    }
    let current = sum_spec_replicas(all);
    let max_total = want + max_surge(d);
    let new_spec = rs_replicas(new_rs);
    if current >= max_total {
        return new_spec;
    }
    new_spec + (max_total - current).min(want - new_spec)
}

/// `IsSaturated`: the new RS has all desired replicas, believes so via its
/// desired-replicas annotation, and they are all available.
pub fn is_saturated(d: &Deployment, rs: Option<&ReplicaSet>) -> bool {
    let Some(rs) = rs else {
        return false;
    };
    let Some(desired) =
        annotation(rs, DESIRED_REPLICAS_ANNOTATION).and_then(|v| v.parse::<i64>().ok())
    else {
        return false;
    };
    let want = replicas(d);
    rs_replicas(rs) == want && desired == i64::from(want) && rs_available(rs) == want
}

// ---------------------------------------------------------------- progress

fn n(v: Option<i32>) -> i32 {
    v.unwrap_or(0)
}

/// `DeploymentComplete`: all replicas updated and available, no old ones, generation observed.
pub fn deployment_complete(d: &Deployment, status: &DeploymentStatus) -> bool {
    let want = replicas(d);
    n(status.updated_replicas) == want
        && n(status.replicas) == want
        && n(status.available_replicas) == want
        && status.observed_generation.unwrap_or(0) >= d.metadata.generation.unwrap_or(0)
}

/// `DeploymentProgressing`: more updated, fewer old, more ready or more
/// available replicas than in `old` (the Deployment's current status).
pub fn deployment_progressing(old: &DeploymentStatus, new: &DeploymentStatus) -> bool {
    let old_old = n(old.replicas) - n(old.updated_replicas);
    let new_old = n(new.replicas) - n(new.updated_replicas);
    n(new.updated_replicas) > n(old.updated_replicas)
        || new_old < old_old
        || n(new.ready_replicas) > n(old.ready_replicas)
        || n(new.available_replicas) > n(old.available_replicas)
}

/// `DeploymentTimedOut`: Progressing last updated more than the deadline ago
/// (or already timed out); never after a completed rollout.
pub fn deployment_timed_out(d: &Deployment, status: &DeploymentStatus, now: Timestamp) -> bool {
    if !has_progress_deadline(d) {
        return false;
    }
    let Some(cond) = get_condition(status, CONDITION_PROGRESSING) else {
        return false;
    };
    match cond.reason.as_deref() {
        Some(NEW_RS_AVAILABLE_REASON) => return false,
        Some(TIMED_OUT_REASON) => return true,
        _ => {}
    }
    let from = cond
        .last_update_time
        .as_ref()
        .map_or(Timestamp::MIN, |t| t.0);
    let deadline = SignedDuration::from_secs(i64::from(progress_deadline_seconds(d)));
    from.checked_add(deadline).is_ok_and(|t| t < now)
}

/// Go `omitempty` view of a status, so a status read back from the API and
/// one we computed compare equal when upstream's `reflect.DeepEqual` would.
pub fn normalize_status(s: &DeploymentStatus) -> DeploymentStatus {
    let nz = |v: Option<i32>| v.filter(|x| *x != 0);
    DeploymentStatus {
        available_replicas: nz(s.available_replicas),
        collision_count: s.collision_count,
        conditions: s.conditions.clone().filter(|c| !c.is_empty()),
        observed_generation: s.observed_generation.filter(|g| *g != 0),
        ready_replicas: nz(s.ready_replicas),
        replicas: nz(s.replicas),
        terminating_replicas: s.terminating_replicas,
        unavailable_replicas: nz(s.unavailable_replicas),
        updated_replicas: nz(s.updated_replicas),
    }
}

/// Go `%q` for the plain names we quote in messages.
pub fn quote(s: &str) -> String {
    format!("{s:?}")
}

#[cfg(test)]
#[path = "util_tests.rs"]
mod tests;
