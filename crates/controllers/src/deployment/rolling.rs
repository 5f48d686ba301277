//! RollingUpdate (upstream `rolling.go`): one step per sync — scale the new
//! ReplicaSet up within maxSurge, otherwise scale old ones down within
//! maxUnavailable (unhealthy replicas first), then clean history once complete.

use super::syncer::{Step, Syncer};
use super::util::*;

impl Syncer<'_> {
    /// `rolloutRolling`.
    pub fn rollout_rolling(&mut self) -> Step<()> {
        let sets = self.get_all_and_sync_revision(true)?;
        let all = sets.all();
        let Some(new) = sets.new else {
            // Unreachable: creation either succeeds or halts.
            return Ok(());
        };
        if self.reconcile_new_replica_set(&all, new) {
            self.sync_rollout_status(&all, Some(new));
            return Ok(());
        }
        let active_old: Vec<usize> = sets
            .old
            .iter()
            .copied()
            .filter(|&i| is_active(&self.rss[i]))
            .collect();
        if self.reconcile_old_replica_sets(&all, &active_old, new) {
            self.sync_rollout_status(&all, Some(new));
            return Ok(());
        }
        if deployment_complete(self.d, &self.status) {
            self.cleanup_deployment(&sets.old);
        }
        self.sync_rollout_status(&all, Some(new));
        Ok(())
    }

    /// `reconcileNewReplicaSet`: shrink to `replicas` if above, else grow as
    /// `NewRSNewReplicas` allows. True if scaled.
    fn reconcile_new_replica_set(&mut self, all: &[usize], new: usize) -> bool {
        let want = replicas(self.d);
        let current = rs_replicas(&self.rss[new]);
        if current == want {
            return false;
        }
        if current > want {
            return self.scale_and_record(new, want);
        }
        let target = new_rs_new_replicas(self.d, &self.refs(all), &self.rss[new]);
        self.scale_and_record(new, target)
    }

    /// `reconcileOldReplicaSets`: how far old ReplicaSets may shrink is
    /// `Σspec − minAvailable − (new.spec − new.available)`, so unavailable new
    /// pods never let availability drop further. True if anything scaled.
    fn reconcile_old_replica_sets(&mut self, all: &[usize], old: &[usize], new: usize) -> bool {
        if sum_spec_replicas(&self.refs(old)) == 0 {
            return false;
        }
        let all_pods = sum_spec_replicas(&self.refs(all));
        let min_available = replicas(self.d) - max_unavailable(self.d);
        let new_unavailable = rs_replicas(&self.rss[new]) - rs_available(&self.rss[new]);
        let max_scaled_down = all_pods - min_available - new_unavailable;
        if max_scaled_down <= 0 {
            return false;
        }
        // Unhealthy replicas go first; they can block a rollout (kubernetes#16737).
        let Some(cleaned) = self.cleanup_unhealthy_replicas(old, max_scaled_down) else {
            // Upstream swallows this error and reports "nothing scaled".
            return false;
        };
        let all_now: Vec<usize> = old.iter().copied().chain([new]).collect();
        let scaled = self.scale_down_old_replica_sets(&all_now, old);
        cleaned + scaled > 0
    }

    /// `cleanupUnhealthyReplicas`: oldest first, remove up to
    /// `spec − available` per ReplicaSet, at most `max_cleanup` in total.
    /// None when a ReplicaSet reports more available than desired replicas
    /// (a stale status), which upstream treats as an invalid scale request.
    fn cleanup_unhealthy_replicas(&mut self, old: &[usize], max_cleanup: i32) -> Option<i32> {
        let mut order = old.to_vec();
        order.sort_by(|&a, &b| cmp_by_creation(&self.rss[a], &self.rss[b]));
        let mut total = 0;
        for i in order {
            if total >= max_cleanup {
                break;
            }
            let spec = rs_replicas(&self.rss[i]);
            let available = rs_available(&self.rss[i]);
            if spec == 0 || spec == available {
                continue;
            }
            let count = (max_cleanup - total).min(spec - available);
            let target = spec - count;
            if target > spec {
                return None;
            }
            self.scale_and_record(i, target);
            total += count;
        }
        Some(total)
    }

    /// `scaleDownOldReplicaSetsForRollingUpdate`: oldest first, remove up to
    /// `Σavailable − minAvailable` replicas.
    fn scale_down_old_replica_sets(&mut self, all: &[usize], old: &[usize]) -> i32 {
        let min_available = replicas(self.d) - max_unavailable(self.d);
        let available = sum_available(&self.refs(all));
        if available <= min_available {
            return 0;
        }
        let mut order = old.to_vec();
        order.sort_by(|&a, &b| cmp_by_creation(&self.rss[a], &self.rss[b]));
        let budget = available - min_available;
        let mut total = 0;
        for i in order {
            if total >= budget {
                break;
            }
            let spec = rs_replicas(&self.rss[i]);
            if spec == 0 {
                continue;
            }
            let count = spec.min(budget - total);
            self.scale_and_record(i, spec - count);
            total += count;
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::apps::v1::ReplicaSet;
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

    use crate::deployment::syncer::Syncer;
    use crate::deployment::testutil::*;
    use crate::deployment::util::rs_replicas;
    use crate::deployment::{Action, CreateOutcome, DeploymentState};

    /// Runs `f` on a Syncer over `[old, new]` and returns the new spec sizes.
    fn with_syncer(
        replicas: i32,
        surge: i32,
        unavailable: i32,
        rss: Vec<ReplicaSet>,
        f: impl FnOnce(&mut Syncer<'_>) -> bool,
    ) -> (bool, Vec<i32>, usize) {
        let d = deployment(
            replicas,
            Some(IntOrString::Int(surge)),
            Some(IntOrString::Int(unavailable)),
        );
        let state = DeploymentState {
            deployment: &d,
            replica_sets: rss.iter().collect(),
            pods: vec![],
            now: ts(0),
        };
        let mut s = Syncer::new(&state, CreateOutcome::Created);
        let scaled = f(&mut s);
        let updates = s
            .recorded()
            .iter()
            .filter(|a| matches!(a, Action::UpdateReplicaSet(_)))
            .count();
        (scaled, s.rss.iter().map(rs_replicas).collect(), updates)
    }

    fn pair(old: (i32, i32), new: (i32, i32)) -> Vec<ReplicaSet> {
        let mut o = rs_named("foo-old", &template("v0"), old.0, old.0, old.1);
        o.metadata.creation_timestamp = Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
            ts(-10),
        ));
        let n = rs_named("foo-new", &template("v1"), new.0, new.0, new.1);
        vec![o, n]
    }

    #[test]
    fn reconcile_new_replica_set_table() {
        // (replicas, surge, old, new) -> expected new size (None = no scaling); maxUnavailable 0.
        let cases = [
            (10, 0, 10, 0, None),
            (10, 2, 10, 0, Some(2)),
            (10, 2, 5, 0, Some(7)),
            (10, 2, 10, 2, None),
            (10, 2, 2, 11, Some(10)),
        ];
        for (replicas, surge, old, new, want) in cases {
            let (scaled, sizes, updates) =
                with_syncer(replicas, surge, 0, pair((old, old), (new, 0)), |s| {
                    s.reconcile_new_replica_set(&[0, 1], 1)
                });
            assert_eq!(scaled, want.is_some(), "{replicas} {surge} {old} {new}");
            assert_eq!(updates, usize::from(want.is_some()));
            assert_eq!(sizes[1], want.unwrap_or(new));
        }
    }

    #[test]
    fn reconcile_old_replica_sets_table() {
        // (replicas, maxUnavailable, old, new, ready old, ready new) -> expected old size (None = no scaling); surge 0.
        let cases = [
            (10, 0, 10, 0, 10, 0, Some(9)),
            (10, 2, 10, 0, 10, 0, Some(8)),
            (10, 2, 10, 0, 8, 0, Some(8)), // the 2 unhealthy replicas go
            (10, 2, 10, 0, 9, 0, Some(8)), // 1 unhealthy, then 1 healthy
            (10, 2, 8, 2, 8, 0, None),     // unavailable new pods block further scale-down
        ];
        for (replicas, mu, old, new, ready_old, ready_new, want) in cases {
            let (scaled, sizes, _) = with_syncer(
                replicas,
                0,
                mu,
                pair((old, ready_old), (new, ready_new)),
                |s| s.reconcile_old_replica_sets(&[0, 1], &[0], 1),
            );
            assert_eq!(
                scaled,
                want.is_some(),
                "{replicas} {mu} {old} {new} {ready_old}"
            );
            assert_eq!(sizes[0], want.unwrap_or(old));
        }
    }

    #[test]
    fn cleanup_unhealthy_replicas_table() {
        // old RS of 10: (ready, max cleanup) -> cleaned up
        for (ready, max, want) in [(8, 1, 1), (8, 3, 2), (8, 0, 0), (10, 3, 0)] {
            let rss = vec![rs_named("foo-old", &template("v0"), 10, 10, ready)];
            let mut got = None;
            with_syncer(10, 2, 2, rss, |s| {
                got = s.cleanup_unhealthy_replicas(&[0], max);
                true
            });
            assert_eq!(got, Some(want), "ready {ready} max {max}");
        }
    }

    #[test]
    fn scale_down_old_replica_sets_table() {
        // (replicas, maxUnavailable, ready, old) -> expected old size (None = no scaling); surge 0.
        for (replicas, mu, ready, old, want) in [
            (10, 0, 10, 10, Some(9)),
            (10, 2, 10, 10, Some(8)),
            (10, 2, 8, 10, None),
            (10, 2, 10, 0, None),
            (10, 2, 1, 10, None),
        ] {
            let rss = vec![rs_named("foo-old", &template("v0"), old, old, ready)];
            let (_, sizes, updates) = with_syncer(replicas, 0, mu, rss, |s| {
                s.scale_down_old_replica_sets(&[0], &[0]) > 0
            });
            assert_eq!(
                updates,
                usize::from(want.is_some()),
                "{replicas} {mu} {ready} {old}"
            );
            assert_eq!(sizes[0], want.unwrap_or(old));
        }
    }
}
