//! Rollout conditions (upstream `progress.go`): `syncRolloutStatus` with the
//! Progressing condition (`NewReplicaSetAvailable`, `ReplicaSetUpdated`,
//! `ProgressDeadlineExceeded`), ReplicaFailure promotion from ReplicaSets, and
//! the requeue that re-checks the progress deadline.

use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet};
use k8s_openapi::jiff::{SignedDuration, Timestamp};

use super::sync::calculate_status;
use super::syncer::Syncer;
use super::util::*;
use super::*;

/// `getReplicaFailures`: ReplicaFailure conditions of the new ReplicaSet, or
/// else of any ReplicaSet, as Deployment conditions.
pub fn replica_failures(
    all: &[&ReplicaSet],
    new_rs: Option<&ReplicaSet>,
) -> Vec<DeploymentCondition> {
    let of = |rs: &ReplicaSet| -> Vec<DeploymentCondition> {
        rs.status
            .iter()
            .flat_map(|s| s.conditions.iter().flatten())
            .filter(|c| c.type_.as_deref() == Some(CONDITION_REPLICA_FAILURE))
            .map(rs_condition_to_deployment)
            .collect()
    };
    if let Some(rs) = new_rs {
        let found = of(rs);
        if !found.is_empty() {
            return found;
        }
    }
    all.iter().flat_map(|rs| of(rs)).collect()
}

/// The status `syncRolloutStatus` wants for `d`, given its `current` (working)
/// status and ReplicaSets.
pub fn rollout_status(
    d: &Deployment,
    current: &DeploymentStatus,
    all: &[&ReplicaSet],
    new_rs: Option<&ReplicaSet>,
    now: Timestamp,
) -> DeploymentStatus {
    let mut status = calculate_status(d, current, all, new_rs, now);
    if !has_progress_deadline(d) {
        remove_condition(&mut status, CONDITION_PROGRESSING);
    }
    let current_cond = get_condition(current, CONDITION_PROGRESSING);
    // A completed rollout being resynced: no progress to estimate.
    let complete_already = status.replicas == status.updated_replicas
        && current_cond.is_some_and(|c| c.reason.as_deref() == Some(NEW_RS_AVAILABLE_REASON));
    if has_progress_deadline(d) && !complete_already {
        let subject = match new_rs {
            Some(rs) => format!(
                "ReplicaSet {}",
                quote(rs.metadata.name.as_deref().unwrap_or(""))
            ),
            None => format!(
                "Deployment {}",
                quote(d.metadata.name.as_deref().unwrap_or(""))
            ),
        };
        if deployment_complete(d, &status) {
            let msg = format!("{subject} has successfully progressed.");
            set_condition(
                &mut status,
                new_condition(
                    CONDITION_PROGRESSING,
                    "True",
                    NEW_RS_AVAILABLE_REASON,
                    msg,
                    now,
                ),
            );
        } else if deployment_progressing(current, &status) {
            let msg = format!("{subject} is progressing.");
            let mut cond = new_condition(
                CONDITION_PROGRESSING,
                "True",
                REPLICA_SET_UPDATED_REASON,
                msg,
                now,
            );
            // Progress refreshes lastUpdateTime even with an unchanged reason,
            // keeping lastTransitionTime while the status stays True.
            if let Some(cur) = current_cond {
                if cur.status.as_deref() == Some("True") {
                    cond.last_transition_time = cur.last_transition_time.clone();
                }
                remove_condition(&mut status, CONDITION_PROGRESSING);
            }
            set_condition(&mut status, cond);
        } else if deployment_timed_out(d, &status, now) {
            let msg = format!("{subject} has timed out progressing.");
            set_condition(
                &mut status,
                new_condition(CONDITION_PROGRESSING, "False", TIMED_OUT_REASON, msg, now),
            );
        }
    }
    match replica_failures(all, new_rs).into_iter().next() {
        Some(failure) => set_condition(&mut status, failure),
        None => remove_condition(&mut status, CONDITION_REPLICA_FAILURE),
    }
    status
}

/// `requeueStuckDeployment`: when the rollout is neither complete nor timed
/// out, re-check at `lastUpdateTime + progressDeadlineSeconds` (+1s against
/// clock skew, kubernetes#39785); `Some(ZERO)` = due now (rate-limited requeue).
pub fn stuck_requeue_delay(
    d: &Deployment,
    current: &DeploymentStatus,
    new_status: &DeploymentStatus,
    now: Timestamp,
) -> Option<Duration> {
    let cond = get_condition(current, CONDITION_PROGRESSING)?;
    if !has_progress_deadline(d)
        || deployment_complete(d, new_status)
        || cond.reason.as_deref() == Some(TIMED_OUT_REASON)
    {
        return None;
    }
    let last = cond
        .last_update_time
        .as_ref()
        .map_or(Timestamp::MIN, |t| t.0);
    let deadline = last
        .checked_add(SignedDuration::from_secs(i64::from(
            progress_deadline_seconds(d),
        )))
        .ok()?;
    let after = deadline.duration_since(now);
    if after < SignedDuration::from_secs(1) {
        return Some(Duration::ZERO);
    }
    Duration::try_from(after + SignedDuration::from_secs(1)).ok()
}

impl Syncer<'_> {
    /// `syncRolloutStatus`: write the new status, or (when unchanged) schedule
    /// the progress-deadline re-check.
    pub fn sync_rollout_status(&mut self, all: &[usize], new: Option<usize>) {
        let refs = self.refs(all);
        let new_rs = new.map(|i| &self.rss[i]);
        let status = rollout_status(self.d, &self.status, &refs, new_rs, self.now);
        if normalize_status(&status) == normalize_status(&self.status) {
            self.requeue = match stuck_requeue_delay(self.d, &self.status, &status, self.now) {
                Some(Duration::ZERO) => Some(Action::Requeue),
                Some(after) => Some(Action::RequeueAfter(after)),
                None => None,
            };
            return;
        }
        self.status = status;
    }
}
