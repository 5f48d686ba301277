//! Scaling, history cleanup and status (upstream `sync.go`): the paused /
//! scaling-event path `sync()`, `syncStatusOnly`, `checkPausedConditions`,
//! `isScalingEvent`, proportional `scale()`, `cleanupDeployment` and
//! `calculateStatus`.

use k8s_openapi::api::apps::v1::{Deployment, DeploymentStatus, ReplicaSet};

use super::syncer::{Step, Syncer};
use super::util::*;
use super::*;

/// `calculateStatus`: counts from the ReplicaSets' statuses, conditions copied
/// from `current`, and the Available condition recomputed.
pub fn calculate_status(
    d: &Deployment,
    current: &DeploymentStatus,
    all: &[&ReplicaSet],
    new_rs: Option<&ReplicaSet>,
    now: k8s_openapi::jiff::Timestamp,
) -> DeploymentStatus {
    let available = sum_available(all);
    let unavailable = (sum_spec_replicas(all) - available).max(0);
    let nz = |v: i32| (v != 0).then_some(v);
    let mut status = DeploymentStatus {
        observed_generation: d.metadata.generation.filter(|g| *g != 0),
        replicas: nz(sum_status_replicas(all)),
        updated_replicas: nz(new_rs.map_or(0, rs_status_replicas)),
        ready_replicas: nz(sum_ready(all)),
        available_replicas: nz(available),
        unavailable_replicas: nz(unavailable),
        collision_count: current.collision_count,
        terminating_replicas: sum_terminating(all),
        conditions: current.conditions.clone(),
    };
    let cond = if available >= replicas(d) - max_unavailable(d) {
        new_condition(
            CONDITION_AVAILABLE,
            "True",
            MINIMUM_REPLICAS_AVAILABLE,
            "Deployment has minimum availability.".to_string(),
            now,
        )
    } else {
        new_condition(
            CONDITION_AVAILABLE,
            "False",
            MINIMUM_REPLICAS_UNAVAILABLE,
            "Deployment does not have minimum availability.".to_string(),
            now,
        )
    };
    set_condition(&mut status, cond);
    status
}

/// Proportional sizes for `scale()`'s RollingUpdate branch: the new size of
/// each active ReplicaSet, in the order they were considered. `active` must
/// be the active ReplicaSets (old and new).
pub fn proportional_sizes(d: &Deployment, active: &[&ReplicaSet]) -> Vec<(usize, i32)> {
    let current: i32 = sum_spec_replicas(active);
    let want = replicas(d);
    let allowed = if want > 0 { want + max_surge(d) } else { 0 };
    let to_add = allowed - current;
    let mut order: Vec<usize> = (0..active.len()).collect();
    // Scaling up favours newer ReplicaSets among equals, scaling down older ones.
    if to_add > 0 {
        order.sort_by(|&a, &b| cmp_by_size_newer(active[a], active[b]));
    } else if to_add < 0 {
        order.sort_by(|&a, &b| cmp_by_size_older(active[a], active[b]));
    }
    let mut added = 0;
    let mut sizes: Vec<(usize, i32)> = Vec::with_capacity(order.len());
    for &i in &order {
        let rs = active[i];
        if to_add != 0 {
            let p = proportion(d, rs, to_add, added);
            sizes.push((i, rs_replicas(rs) + p));
            added += p;
        } else {
            sizes.push((i, rs_replicas(rs)));
        }
    }
    // Leftovers (rounding) go to the largest ReplicaSet, never below zero.
    if to_add != 0
        && let Some(first) = sizes.first_mut()
    {
        first.1 = (first.1 + to_add - added).max(0);
    }
    sizes
}

/// `GetProportion`: this RS's share of `to_add`, bounded by what is left.
fn proportion(d: &Deployment, rs: &ReplicaSet, to_add: i32, added: i32) -> i32 {
    if rs_replicas(rs) == 0 || to_add == 0 || to_add == added {
        return 0;
    }
    let fraction = replica_set_fraction(d, rs);
    let allowed = to_add - added;
    if to_add > 0 {
        fraction.min(allowed)
    } else {
        fraction.max(allowed)
    }
}

/// `getReplicaSetFraction`: `round(spec * (replicas+surge) / max-replicas) - spec`,
/// the whole size (negated) when scaling to zero; a missing or zero
/// annotation falls back to the Deployment's `status.replicas`.
fn replica_set_fraction(d: &Deployment, rs: &ReplicaSet) -> i32 {
    let spec = rs_replicas(rs);
    if replicas(d) == 0 {
        return -spec;
    }
    let deployment_replicas = replicas(d) + max_surge(d);
    let annotated = max_replicas_annotation(rs)
        .unwrap_or_else(|| d.status.as_ref().and_then(|s| s.replicas).unwrap_or(0));
    if annotated == 0 {
        // Upstream would divide by zero here (float: +Inf); scaling from zero
        // never reaches this point because empty ReplicaSets are skipped.
        return 0;
    }
    let size = f64::from(spec) * f64::from(deployment_replicas) / f64::from(annotated);
    size.round() as i32 - spec
}

impl Syncer<'_> {
    /// `checkPausedConditions`: Progressing=Unknown `DeploymentPaused` /
    /// `DeploymentResumed`, unless a deadline-exceeded condition is recorded.
    pub fn check_paused_conditions(&mut self) {
        if !has_progress_deadline(self.d) {
            return;
        }
        let cond = get_condition(&self.status, CONDITION_PROGRESSING);
        if cond.is_some_and(|c| c.reason.as_deref() == Some(TIMED_OUT_REASON)) {
            return;
        }
        let paused_cond = cond.is_some_and(|c| c.reason.as_deref() == Some(PAUSED_DEPLOY_REASON));
        let paused = is_paused(self.d);
        if paused && !paused_cond {
            let c = new_condition(
                CONDITION_PROGRESSING,
                "Unknown",
                PAUSED_DEPLOY_REASON,
                "Deployment is paused".into(),
                self.now,
            );
            set_condition(&mut self.status, c);
        } else if !paused && paused_cond {
            let c = new_condition(
                CONDITION_PROGRESSING,
                "Unknown",
                RESUMED_DEPLOY_REASON,
                "Deployment is resumed".into(),
                self.now,
            );
            set_condition(&mut self.status, c);
        }
    }

    /// `isScalingEvent`: an active ReplicaSet's desired-replicas annotation
    /// differs from `spec.replicas`.
    pub fn is_scaling_event(&mut self) -> Step<bool> {
        let sets = self.get_all_and_sync_revision(false)?;
        let want = replicas(self.d);
        Ok(sets
            .all()
            .into_iter()
            .map(|i| &self.rss[i])
            .filter(|rs| is_active(rs))
            .any(|rs| desired_replicas_annotation(rs).is_some_and(|desired| desired != want)))
    }

    /// `syncStatusOnly` (Deployment being deleted).
    pub fn sync_status_only(&mut self) -> Step<()> {
        let sets = self.get_all_and_sync_revision(false)?;
        self.sync_deployment_status(&sets.all(), sets.new);
        Ok(())
    }

    /// `sync`: scaling and (when paused) history cleanup, no rollout.
    pub fn sync(&mut self) -> Step<()> {
        let sets = self.get_all_and_sync_revision(false)?;
        // Cleanup sees the ReplicaSets as they were before scaling, as upstream.
        let before_scale: Vec<ReplicaSet> = self.rss.clone();
        self.scale(sets.new, &sets.old);
        if is_paused(self.d) {
            self.cleanup_deployment_with(&sets.old, &before_scale);
        }
        self.sync_deployment_status(&sets.all(), sets.new);
        Ok(())
    }

    /// `scale`: proportional scaling on a scaling event or while paused.
    pub fn scale(&mut self, new: Option<usize>, old: &[usize]) {
        let want = replicas(self.d);
        // One active ReplicaSet (or none: the newest one) takes everything.
        if let Some(only) = self.find_active_or_latest(new, old) {
            if rs_replicas(&self.rss[only]) != want {
                self.scale_and_record(only, want);
            }
            return;
        }
        if is_saturated(self.d, new.map(|i| &self.rss[i])) {
            for &i in old {
                if is_active(&self.rss[i]) {
                    self.scale_and_record(i, 0);
                }
            }
            return;
        }
        if !is_rolling_update(self.d) {
            return;
        }
        let active: Vec<usize> = old
            .iter()
            .copied()
            .chain(new)
            .filter(|&i| is_active(&self.rss[i]))
            .collect();
        let sizes = proportional_sizes(self.d, &self.refs(&active));
        for (pos, size) in sizes {
            self.scale_replica_set(active[pos], size);
        }
    }

    /// `FindActiveOrLatest`: the single active ReplicaSet, the newest one if
    /// none is active, None if several are.
    fn find_active_or_latest(&self, new: Option<usize>, old: &[usize]) -> Option<usize> {
        if new.is_none() && old.is_empty() {
            return None;
        }
        let mut old_newest_first = old.to_vec();
        old_newest_first.sort_by(|&a, &b| cmp_by_creation(&self.rss[b], &self.rss[a]));
        let active: Vec<usize> = old_newest_first
            .iter()
            .copied()
            .chain(new)
            .filter(|&i| is_active(&self.rss[i]))
            .collect();
        match active.len() {
            0 => new.or_else(|| old_newest_first.first().copied()),
            1 => active.first().copied(),
            _ => None,
        }
    }

    /// `cleanupDeployment` over the working copies.
    pub fn cleanup_deployment(&mut self, old: &[usize]) {
        let snapshot = self.rss.clone();
        self.cleanup_deployment_with(old, &snapshot);
    }

    /// `cleanupDeployment`: deletes the oldest revisions beyond
    /// `revisionHistoryLimit`, skipping any ReplicaSet that still has or wants
    /// pods or whose latest spec is not observed yet.
    fn cleanup_deployment_with(&mut self, old: &[usize], view: &[ReplicaSet]) {
        let Some(limit) = revision_history_limit(self.d) else {
            return;
        };
        let mut cleanable: Vec<usize> = old
            .iter()
            .copied()
            .filter(|&i| view[i].metadata.deletion_timestamp.is_none())
            .collect();
        let diff = i64::try_from(cleanable.len()).unwrap_or(i64::MAX) - i64::from(limit);
        if diff <= 0 {
            return;
        }
        cleanable.sort_by(|&a, &b| cmp_by_revision(&view[a], &view[b]));
        for &i in cleanable.iter().take(usize::try_from(diff).unwrap_or(0)) {
            let rs = &view[i];
            let observed = rs
                .status
                .as_ref()
                .and_then(|s| s.observed_generation)
                .unwrap_or(0);
            if rs_status_replicas(rs) != 0
                || rs_replicas(rs) != 0
                || rs.metadata.generation.unwrap_or(0) > observed
                || rs.metadata.deletion_timestamp.is_some()
            {
                continue;
            }
            self.delete_rs(i);
        }
    }

    /// `syncDeploymentStatus`: recompute counts and Available; no progress estimation.
    pub fn sync_deployment_status(&mut self, all: &[usize], new: Option<usize>) {
        let status = calculate_status(
            self.d,
            &self.status,
            &self.refs(all),
            new.map(|i| &self.rss[i]),
            self.now,
        );
        self.status = status;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deployment::testutil::*;
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

    /// Upstream TestScale: (name, replicas, surge, previous replicas, previous
    /// surge, RS sizes newest first, expected sizes).
    type ScaleCase = (&'static str, i32, i32, i32, i32, Vec<i32>, Vec<i32>);

    #[test]
    fn proportional_scaling_table() {
        let cases: Vec<ScaleCase> = vec![
            ("5 -> 10", 10, 0, 5, 0, vec![2, 3], vec![4, 6]),
            ("5 -> 3", 3, 0, 5, 0, vec![2, 3], vec![1, 2]),
            ("9 -> 4", 4, 0, 9, 0, vec![8, 1], vec![4, 0]),
            ("7 -> 10", 10, 0, 7, 0, vec![2, 3, 2], vec![3, 4, 3]),
            ("13 -> 8", 8, 0, 13, 0, vec![2, 8, 3], vec![1, 5, 2]),
            ("leftover 3 -> 4", 4, 0, 3, 0, vec![1, 1, 1], vec![2, 1, 1]),
            ("leftover 3 -> 2", 2, 0, 3, 0, vec![1, 1, 1], vec![1, 1, 0]),
            ("6 -> 0", 0, 0, 6, 0, vec![3, 2, 1], vec![0, 0, 0]),
            (
                "surge pods 10 -> 20",
                20,
                2,
                10,
                2,
                vec![6, 6],
                vec![11, 11],
            ),
            ("surge and size", 50, 6, 10, 3, vec![5, 8], vec![22, 34]),
            (
                "size and template 10 -> 14",
                14,
                0,
                10,
                0,
                vec![7, 3],
                vec![10, 4],
            ),
            // The documented example: 10 replicas, surge 3, stuck at new=5/old=8, scaled to 15.
            ("docs 10 -> 15", 15, 3, 10, 3, vec![5, 8], vec![7, 11]),
        ];
        for (name, want, surge, prev, prev_surge, sizes, expected) in cases {
            let d = deployment(
                want,
                Some(IntOrString::Int(surge)),
                Some(IntOrString::Int(if surge == 0 { 0 } else { 2 })),
            );
            let mut rss: Vec<ReplicaSet> = Vec::new();
            for (i, size) in sizes.iter().enumerate() {
                let mut rs = rs_named(
                    &format!("v{}", sizes.len() - i),
                    &template(&format!("img{i}")),
                    *size,
                    *size,
                    *size,
                );
                rs.metadata.creation_timestamp = Some(
                    k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(ts(-(i as i64) * 3600)),
                );
                set_replicas_annotations(&mut rs, prev, prev + prev_surge);
                rss.push(rs);
            }
            let refs: Vec<&ReplicaSet> = rss.iter().collect();
            let mut got = sizes.clone();
            for (i, size) in proportional_sizes(&d, &refs) {
                got[i] = size;
            }
            assert_eq!(got, expected, "{name}");
        }
    }

    #[test]
    fn calculate_status_counts_and_availability() {
        let d = deployment(10, Some(IntOrString::Int(3)), Some(IntOrString::Int(2)));
        let old = rs_named("old", &template("v0"), 8, 8, 8);
        let new = rs_named("new", &d.spec.template, 5, 5, 0);
        let s = calculate_status(
            &d,
            &DeploymentStatus::default(),
            &[&old, &new],
            Some(&new),
            ts(0),
        );
        assert_eq!(
            (
                s.replicas,
                s.updated_replicas,
                s.ready_replicas,
                s.available_replicas,
                s.unavailable_replicas,
                s.observed_generation
            ),
            (Some(13), Some(5), Some(8), Some(8), Some(5), Some(1))
        );
        let avail = get_condition(&s, CONDITION_AVAILABLE).expect("available");
        assert_eq!(
            (
                avail.status.as_deref(),
                avail.reason.as_deref(),
                avail.message.as_deref()
            ),
            (
                Some("True"),
                Some("MinimumReplicasAvailable"),
                Some("Deployment has minimum availability.")
            )
        );
        let old7 = rs_named("old", &template("v0"), 7, 7, 7);
        let s = calculate_status(&d, &s, &[&old7, &new], Some(&new), ts(9));
        let avail = get_condition(&s, CONDITION_AVAILABLE).expect("available");
        assert_eq!(
            (
                avail.status.as_deref(),
                avail.reason.as_deref(),
                avail.message.as_deref()
            ),
            (
                Some("False"),
                Some("MinimumReplicasUnavailable"),
                Some("Deployment does not have minimum availability.")
            )
        );
        assert_eq!(avail.last_transition_time, Some(condition_time(ts(9))));
    }

    /// Upstream TestDeploymentController_cleanupDeployment.
    #[test]
    fn cleanup_deployment_table() {
        use crate::deployment::syncer::Syncer;
        use crate::deployment::{Action, CreateOutcome, DeploymentState};
        use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
        // (old RSs as (spec, status, being deleted), revisionHistoryLimit, deletions)
        type Case = (Vec<(i32, i32, bool)>, i32, usize);
        let cases: Vec<Case> = vec![
            (vec![(0, 0, false), (0, 0, false), (0, 0, false)], 1, 2),
            (
                vec![(0, 0, false), (0, 1, false), (1, 0, false), (1, 1, false)],
                0,
                1,
            ),
            (vec![(0, 0, false), (0, 0, false)], 0, 2),
            (vec![(1, 1, false), (1, 1, false)], 0, 0),
            (vec![(0, 0, true)], 0, 0),
            (
                vec![(0, 0, false), (0, 0, false), (0, 0, false)],
                i32::MAX,
                0,
            ),
        ];
        for (i, (olds, limit, want)) in cases.into_iter().enumerate() {
            let mut d = deployment(1, None, None);
            d.spec.revision_history_limit = Some(limit);
            let rss: Vec<ReplicaSet> = olds
                .iter()
                .enumerate()
                .map(|(j, (spec, status, deleting))| {
                    let mut rs = rs_named(
                        &format!("foo-{j}"),
                        &template(&format!("old{j}")),
                        *spec,
                        *status,
                        0,
                    );
                    rs.metadata.deletion_timestamp = deleting.then_some(Time(ts(0)));
                    rs
                })
                .collect();
            let state = DeploymentState {
                deployment: &d,
                replica_sets: rss.iter().collect(),
                pods: vec![],
                now: ts(0),
            };
            let mut s = Syncer::new(&state, CreateOutcome::Created);
            let old: Vec<usize> = (0..rss.len()).collect();
            s.cleanup_deployment(&old);
            let deleted = s
                .recorded()
                .iter()
                .filter(|a| matches!(a, Action::DeleteReplicaSet { .. }))
                .count();
            assert_eq!(deleted, want, "case {i}");
        }
    }
}
