//! The per-sync working state and the `syncDeployment` entry point.
//!
//! [`Syncer`] plays the part of upstream's mutable `*apps.Deployment` plus the
//! ReplicaSet objects it updates during one sync: every API write upstream
//! would make is recorded as an [`Action`] and applied to the working copies,
//! so later steps of the same sync see it. Status and annotation writes are
//! coalesced into one final write each.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentStatus, ReplicaSet, ReplicaSetSpec};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use k8s_openapi::jiff::Timestamp;

use super::hash::{compute_hash, equal_ignore_hash};
use super::util::*;
use super::*;
use crate::replicaset::logic::{
    controller_of, new_controller_ref, selector::clone_selector_and_add_label,
};

/// Upstream returned an error at this point: stop the sync (already-recorded
/// actions stand, as the corresponding API calls had been made).
pub(crate) struct Halt;
pub(crate) type Step<T> = Result<T, Halt>;

/// New and old ReplicaSets of the Deployment, as indices into `Syncer::rss`.
pub(crate) struct Sets {
    pub new: Option<usize>,
    /// All old ReplicaSets, oldest first.
    pub old: Vec<usize>,
}

impl Sets {
    /// `append(oldRSs, newRS)`.
    pub fn all(&self) -> Vec<usize> {
        self.old.iter().copied().chain(self.new).collect()
    }
}

pub(crate) struct Syncer<'a> {
    pub d: &'a Deployment,
    pub now: Timestamp,
    /// Working `d.Status`.
    pub status: DeploymentStatus,
    /// Working `d.Annotations`.
    pub annotations: BTreeMap<String, String>,
    orig_status: DeploymentStatus,
    orig_annotations: BTreeMap<String, String>,
    /// Working copies of the Deployment's ReplicaSets, oldest first.
    pub rss: Vec<ReplicaSet>,
    pub pods: Vec<&'a Pod>,
    actions: Vec<Action>,
    pub requeue: Option<Action>,
    /// Halted in a way upstream does not retry (namespace terminating).
    quiet: bool,
    outcome: CreateOutcome<'a>,
}

/// One upstream `syncDeployment`, assuming any ReplicaSet create succeeds.
pub fn sync_deployment(state: &DeploymentState<'_>) -> Vec<Action> {
    sync_deployment_with_create_outcome(state, CreateOutcome::Created)
}

/// One upstream `syncDeployment`, with a known result for the create of the
/// new ReplicaSet (see [`Action::CreateReplicaSet`]).
pub fn sync_deployment_with_create_outcome<'a>(
    state: &DeploymentState<'a>,
    outcome: CreateOutcome<'a>,
) -> Vec<Action> {
    let d = state.deployment;
    if crate::replicaset::logic::selector_is_empty(&d.spec.selector) {
        let mut actions = vec![Action::Event {
            type_: EVENT_WARNING,
            reason: SELECTING_ALL_REASON,
            message: "This deployment is selecting all pods. A non-empty selector is required."
                .to_string(),
        }];
        let mut status = d.status.clone().unwrap_or_default();
        let generation = d.metadata.generation.unwrap_or(0);
        if status.observed_generation.unwrap_or(0) < generation {
            status.observed_generation = Some(generation);
            actions.push(Action::UpdateDeploymentStatus(status));
        }
        return actions;
    }
    let mut s = Syncer::new(state, outcome);
    // A Halt means upstream returned an error; its writes so far still stand.
    if s.run().is_err() && s.requeue.is_none() && !s.quiet {
        s.requeue = Some(Action::Requeue);
    }
    s.finish()
}

impl<'a> Syncer<'a> {
    pub(crate) fn new(state: &DeploymentState<'a>, outcome: CreateOutcome<'a>) -> Self {
        let d = state.deployment;
        let mut rss: Vec<ReplicaSet> = state.replica_sets.iter().map(|rs| (*rs).clone()).collect();
        rss.sort_by(cmp_by_creation);
        let status = d.status.clone().unwrap_or_default();
        let annotations = d.metadata.annotations.clone().unwrap_or_default();
        Syncer {
            d,
            now: state.now,
            orig_status: status.clone(),
            orig_annotations: annotations.clone(),
            status,
            annotations,
            rss,
            pods: state.pods.clone(),
            actions: Vec::new(),
            requeue: None,
            quiet: false,
            outcome,
        }
    }

    /// `syncDeployment` after the empty-selector check.
    fn run(&mut self) -> Step<()> {
        if self.d.metadata.deletion_timestamp.is_some() {
            return self.sync_status_only();
        }
        self.check_paused_conditions();
        if is_paused(self.d) {
            return self.sync();
        }
        // The legacy `deprecated.deployment.rollback.to` path is only reachable
        // through the removed extensions/v1beta1 rollback subresource; kubectl
        // rolls back client-side, so it is not modelled.
        if self.is_scaling_event()? {
            return self.sync();
        }
        if is_recreate(self.d) {
            self.rollout_recreate()
        } else if is_rolling_update(self.d) {
            self.rollout_rolling()
        } else {
            // Validation only admits the two strategies; upstream errors out.
            Err(Halt)
        }
    }

    /// The recorded actions plus the coalesced annotation and status writes.
    fn finish(mut self) -> Vec<Action> {
        if self.annotations != self.orig_annotations {
            self.actions.push(Action::UpdateDeploymentAnnotations(
                self.annotations.clone(),
            ));
        }
        if normalize_status(&self.status) != normalize_status(&self.orig_status) {
            self.actions
                .push(Action::UpdateDeploymentStatus(normalize_status(
                    &self.status,
                )));
        }
        self.actions.extend(self.requeue);
        self.actions
    }

    /// Actions recorded so far (tests inspect single steps with this).
    #[cfg(test)]
    pub fn recorded(&self) -> &[Action] {
        &self.actions
    }

    pub fn event(&mut self, type_: &'static str, reason: &'static str, message: String) {
        self.actions.push(Action::Event {
            type_,
            reason,
            message,
        });
    }

    pub fn refs(&self, idx: &[usize]) -> Vec<&ReplicaSet> {
        idx.iter().map(|&i| &self.rss[i]).collect()
    }

    pub fn name(&self, idx: usize) -> String {
        self.rss[idx].metadata.name.clone().unwrap_or_default()
    }

    /// Records an `Update` of ReplicaSet `idx` and makes it the working copy
    /// (a spec change bumps `generation`, as the API server would).
    pub fn update_rs(&mut self, idx: usize, updated: ReplicaSet) {
        let spec_changed = updated.spec != self.rss[idx].spec;
        self.actions.push(Action::UpdateReplicaSet(updated.clone()));
        let mut working = updated;
        if spec_changed {
            working.metadata.generation = Some(working.metadata.generation.unwrap_or(0) + 1);
        }
        self.rss[idx] = working;
    }

    pub fn delete_rs(&mut self, idx: usize) {
        let m = &self.rss[idx].metadata;
        self.actions.push(Action::DeleteReplicaSet {
            name: m.name.clone().unwrap_or_default(),
            uid: m.uid.clone().unwrap_or_default(),
            resource_version: m.resource_version.clone().unwrap_or_default(),
        });
    }

    /// `getAllReplicaSetsAndSyncRevision`.
    pub fn get_all_and_sync_revision(&mut self, create: bool) -> Step<Sets> {
        let new = {
            let refs: Vec<&ReplicaSet> = self.rss.iter().collect();
            find_new_replica_set(self.d, &refs)
        };
        let old: Vec<usize> = (0..self.rss.len()).filter(|i| Some(*i) != new).collect();
        let new = self.get_new_replica_set(new, &old, create)?;
        Ok(Sets { new, old })
    }

    /// `getNewReplicaSet`: syncs the existing new RS's annotations/revision,
    /// or (when `create`) builds and creates it.
    fn get_new_replica_set(
        &mut self,
        existing: Option<usize>,
        old: &[usize],
        create: bool,
    ) -> Step<Option<usize>> {
        let new_revision = (max_revision(&self.refs(old)) + 1).to_string();
        if let Some(idx) = existing {
            let mut copy = self.rss[idx].clone();
            let annotations_updated = set_new_replica_set_annotations(
                self.d,
                &mut copy,
                &new_revision,
                true,
                MAX_REV_HISTORY_LENGTH_IN_CHARS,
            );
            let min_ready = min_ready_seconds(self.d);
            if annotations_updated || copy.spec.min_ready_seconds.unwrap_or(0) != min_ready {
                copy.spec.min_ready_seconds = Some(min_ready);
                // Upstream returns right after this update; the Deployment's
                // revision catches up on the next pass.
                self.update_rs(idx, copy);
                return Ok(Some(idx));
            }
            let rs_revision = annotation_or_empty(&copy, REVISION_ANNOTATION);
            set_deployment_revision(&mut self.annotations, &rs_revision);
            if has_progress_deadline(self.d)
                && get_condition(&self.status, CONDITION_PROGRESSING).is_none()
            {
                let msg = format!("Found new replica set {}", quote(&self.name(idx)));
                let c = new_condition(
                    CONDITION_PROGRESSING,
                    "True",
                    FOUND_NEW_RS_REASON,
                    msg,
                    self.now,
                );
                set_condition(&mut self.status, c);
            }
            return Ok(Some(idx));
        }
        if !create {
            return Ok(None);
        }
        self.create_new_replica_set(old, &new_revision).map(Some)
    }

    /// The "new ReplicaSet does not exist, create one" half of `getNewReplicaSet`.
    fn create_new_replica_set(&mut self, old: &[usize], new_revision: &str) -> Step<usize> {
        let d = self.d;
        let hash = compute_hash(&d.spec.template, self.status.collision_count);
        let mut template = d.spec.template.clone();
        template
            .metadata
            .get_or_insert_with(ObjectMeta::default)
            .labels
            .get_or_insert_with(BTreeMap::new)
            .insert(
                DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY.to_string(),
                hash.clone(),
            );
        let name = format!("{}-{}", d.metadata.name.as_deref().unwrap_or(""), hash);
        let mut new_rs = ReplicaSet {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                namespace: d.metadata.namespace.clone(),
                owner_references: Some(vec![new_controller_ref(
                    &d.metadata,
                    "apps/v1",
                    "Deployment",
                )]),
                labels: template.metadata.as_ref().and_then(|m| m.labels.clone()),
                ..Default::default()
            },
            spec: ReplicaSetSpec {
                replicas: Some(0),
                min_ready_seconds: Some(min_ready_seconds(d)),
                selector: clone_selector_and_add_label(
                    &d.spec.selector,
                    DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY,
                    &hash,
                ),
                template: Some(template),
            },
            status: None,
        };
        let count = {
            let mut all = self.refs(old);
            all.push(&new_rs);
            new_rs_new_replicas(d, &all, &new_rs)
        };
        new_rs.spec.replicas = Some(count);
        set_new_replica_set_annotations(
            d,
            &mut new_rs,
            new_revision,
            false,
            MAX_REV_HISTORY_LENGTH_IN_CHARS,
        );

        let mut already_exists = false;
        let created = match self.outcome.clone() {
            CreateOutcome::Created => {
                self.actions.push(Action::CreateReplicaSet(new_rs.clone()));
                let mut created = new_rs;
                created.metadata.creation_timestamp = Some(Time(self.now));
                created.metadata.generation = Some(1);
                created
            }
            CreateOutcome::AlreadyExists(existing) => {
                let ours = controller_of(&existing.metadata)
                    .is_some_and(|c| Some(c.uid.as_str()) == d.metadata.uid.as_deref());
                let same = existing
                    .spec
                    .template
                    .as_ref()
                    .is_some_and(|t| equal_ignore_hash(&d.spec.template, t));
                if !(ours && same) {
                    // Hash collision: bump collisionCount so the next hash differs.
                    self.status.collision_count =
                        Some(self.status.collision_count.unwrap_or(0) + 1);
                    return Err(Halt);
                }
                already_exists = true;
                existing.clone()
            }
            CreateOutcome::NamespaceTerminating => {
                // Every create would fail; upstream forgets the key (no requeue).
                self.quiet = true;
                return Err(Halt);
            }
            CreateOutcome::Failed(err) => {
                let msg = format!("Failed to create new replica set {}: {}", quote(&name), err);
                if has_progress_deadline(d) {
                    let c = new_condition(
                        CONDITION_PROGRESSING,
                        "False",
                        FAILED_RS_CREATE_REASON,
                        msg.clone(),
                        self.now,
                    );
                    set_condition(&mut self.status, c);
                }
                self.event(EVENT_WARNING, FAILED_RS_CREATE_REASON, msg);
                return Err(Halt);
            }
        };
        if !already_exists && count > 0 {
            self.event(
                EVENT_NORMAL,
                SCALING_REPLICA_SET_REASON,
                format!(
                    "Scaled up replica set {} from 0 to {}",
                    created.metadata.name.as_deref().unwrap_or(""),
                    count
                ),
            );
        }
        set_deployment_revision(&mut self.annotations, new_revision);
        if !already_exists && has_progress_deadline(d) {
            let msg = format!(
                "Created new replica set {}",
                quote(created.metadata.name.as_deref().unwrap_or(""))
            );
            let c = new_condition(
                CONDITION_PROGRESSING,
                "True",
                NEW_REPLICA_SET_REASON,
                msg,
                self.now,
            );
            set_condition(&mut self.status, c);
        }
        self.rss.push(created);
        Ok(self.rss.len() - 1)
    }

    /// `scaleReplicaSet`: sets size and replica annotations if either is stale;
    /// records `ScalingReplicaSet` only for size changes. True if scaled.
    pub fn scale_replica_set(&mut self, idx: usize, new_scale: i32) -> bool {
        let rs = &self.rss[idx];
        let old_scale = rs_replicas(rs);
        let size_needs_update = old_scale != new_scale;
        let (desired, max) = (replicas(self.d), replicas(self.d) + max_surge(self.d));
        if !size_needs_update && !replicas_annotations_need_update(rs, desired, max) {
            return false;
        }
        let mut copy = rs.clone();
        copy.spec.replicas = Some(new_scale);
        set_replicas_annotations(&mut copy, desired, max);
        let name = self.name(idx);
        self.update_rs(idx, copy);
        if size_needs_update {
            let op = if old_scale < new_scale { "up" } else { "down" };
            self.event(
                EVENT_NORMAL,
                SCALING_REPLICA_SET_REASON,
                format!("Scaled {op} replica set {name} from {old_scale} to {new_scale}"),
            );
        }
        size_needs_update
    }

    /// `scaleReplicaSetAndRecordEvent`: nothing to do when the size is right.
    pub fn scale_and_record(&mut self, idx: usize, new_scale: i32) -> bool {
        if rs_replicas(&self.rss[idx]) == new_scale {
            return false;
        }
        self.scale_replica_set(idx, new_scale)
    }
}

fn annotation_or_empty(rs: &ReplicaSet, key: &str) -> String {
    rs.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(key))
        .cloned()
        .unwrap_or_default()
}
