//! Recreate (upstream `recreate.go`): scale every old ReplicaSet to zero, wait
//! until no old pod is running, only then create/scale the new ReplicaSet.

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::Pod;

use super::syncer::{Step, Syncer};
use super::util::*;
use crate::replicaset::logic::controller_of;

/// `oldPodsRunning`: an old ReplicaSet still reports pods, or a pod controlled
/// by one of the Deployment's ReplicaSets other than the new one is not
/// Succeeded/Failed (phase Unknown counts as running).
pub fn old_pods_running(
    new_rs: Option<&ReplicaSet>,
    old: &[&ReplicaSet],
    all: &[&ReplicaSet],
    pods: &[&Pod],
) -> bool {
    if sum_status_replicas(old) > 0 {
        return true;
    }
    let new_uid = new_rs.and_then(|rs| rs.metadata.uid.as_deref());
    let owned_uids: Vec<&str> = all
        .iter()
        .filter_map(|rs| rs.metadata.uid.as_deref())
        .collect();
    pods.iter().any(|pod| {
        let Some(owner) = controller_of(&pod.metadata) else {
            return false;
        };
        if Some(owner.uid.as_str()) == new_uid || !owned_uids.contains(&owner.uid.as_str()) {
            return false;
        }
        !matches!(
            pod.status.as_ref().and_then(|s| s.phase.as_deref()),
            Some("Succeeded" | "Failed")
        )
    })
}

impl Syncer<'_> {
    /// `rolloutRecreate`.
    pub fn rollout_recreate(&mut self) -> Step<()> {
        // Don't create the new ReplicaSet yet: scale down before scaling up.
        let sets = self.get_all_and_sync_revision(false)?;
        let all = sets.all();
        let mut scaled_down = false;
        for &i in &sets.old {
            if is_active(&self.rss[i]) && self.scale_and_record(i, 0) {
                scaled_down = true;
            }
        }
        if scaled_down {
            self.sync_rollout_status(&all, sets.new);
            return Ok(());
        }
        let running = {
            let all_refs = self.refs(&all);
            old_pods_running(
                sets.new.map(|i| &self.rss[i]),
                &self.refs(&sets.old),
                &all_refs,
                &self.pods,
            )
        };
        if running {
            self.sync_rollout_status(&all, sets.new);
            return Ok(());
        }
        let (new, old) = match sets.new {
            Some(new) => (new, sets.old),
            None => {
                let created = self.get_all_and_sync_revision(true)?;
                match created.new {
                    Some(new) => (new, created.old),
                    None => return Ok(()),
                }
            }
        };
        self.scale_and_record(new, replicas(self.d));
        if deployment_complete(self.d, &self.status) {
            self.cleanup_deployment(&old);
        }
        let all: Vec<usize> = old.iter().copied().chain([new]).collect();
        self.sync_rollout_status(&all, Some(new));
        Ok(())
    }
}
