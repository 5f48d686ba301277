//! Whole-sync tests: a tiny simulated cluster applies the actions of
//! [`sync_deployment`] and plays the ReplicaSet controller, so rollouts can be
//! driven to completion and checked step by step.

mod edges;
mod rollouts;

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{DeploymentStatus, ReplicaSet, ReplicaSetStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::testutil::*;
use super::util::*;
use super::*;

/// A Deployment, its ReplicaSets and a fake ReplicaSet controller in which
/// new pods become available `delay` ticks after creation.
pub(super) struct World {
    pub(super) d: Deployment,
    pub(super) rss: Vec<ReplicaSet>,
    /// Per ReplicaSet name: (tick created, count) of pods not yet available.
    pub(super) pending: BTreeMap<String, Vec<(i64, i32)>>,
    pub(super) delay: usize,
    pub(super) now: i64,
    pub(super) events: Vec<String>,
    pub(super) next_uid: u32,
}

impl World {
    pub(super) fn new(d: Deployment, rss: Vec<ReplicaSet>, delay: usize) -> Self {
        World {
            d,
            rss,
            pending: BTreeMap::new(),
            delay,
            now: 0,
            events: vec![],
            next_uid: 0,
        }
    }

    pub(super) fn state(&self) -> DeploymentState<'_> {
        DeploymentState {
            deployment: &self.d,
            replica_sets: self.rss.iter().collect(),
            pods: vec![],
            now: ts(self.now),
        }
    }

    pub(super) fn sync(&mut self) -> Vec<Action> {
        let actions = sync_deployment(&self.state());
        self.apply(&actions);
        actions
    }

    pub(super) fn apply(&mut self, actions: &[Action]) {
        for a in actions {
            match a {
                Action::CreateReplicaSet(rs) => {
                    let mut rs = rs.clone();
                    self.next_uid += 1;
                    rs.metadata.uid = Some(format!("created-{}", self.next_uid));
                    rs.metadata.creation_timestamp = Some(Time(ts(self.now)));
                    rs.metadata.generation = Some(1);
                    self.rss.push(rs);
                }
                Action::UpdateReplicaSet(rs) => {
                    let i = self
                        .rss
                        .iter()
                        .position(|r| r.metadata.name == rs.metadata.name)
                        .expect("updated RS exists");
                    let mut updated = rs.clone();
                    updated.status = self.rss[i].status.clone();
                    if updated.spec != self.rss[i].spec {
                        updated.metadata.generation =
                            Some(self.rss[i].metadata.generation.unwrap_or(0) + 1);
                    }
                    self.rss[i] = updated;
                }
                Action::DeleteReplicaSet { name, .. } => {
                    self.rss.retain(|r| r.metadata.name.as_ref() != Some(name))
                }
                Action::UpdateDeploymentAnnotations(a) => {
                    self.d.metadata.annotations = Some(a.clone())
                }
                Action::UpdateDeploymentStatus(s) => self.d.status = Some(s.clone()),
                Action::Event {
                    type_,
                    reason,
                    message,
                } => self.events.push(format!("{type_} {reason} {message}")),
                Action::RequeueAfter(_) | Action::Requeue => {}
            }
        }
    }

    /// One round of the fake ReplicaSet controller: pending pods age, sizes follow spec
    /// (unavailable pods are deleted first), status is observed.
    pub(super) fn tick(&mut self) {
        self.now += 1;
        for rs in &mut self.rss {
            let name = rs.metadata.name.clone().unwrap_or_default();
            let spec = rs_replicas(rs);
            let status = rs.status.get_or_insert_with(ReplicaSetStatus::default);
            let pending = self.pending.entry(name).or_default();
            let mut available = status.available_replicas.unwrap_or(0);
            let delay = self.delay as i64;
            available += pending
                .iter()
                .filter(|(at, _)| self.now - at >= delay)
                .map(|(_, n)| n)
                .sum::<i32>();
            pending.retain(|(at, _)| self.now - at < delay);
            let mut total = available + pending.iter().map(|(_, n)| n).sum::<i32>();
            if spec > total {
                if delay == 0 {
                    available += spec - total;
                } else {
                    pending.push((self.now, spec - total));
                }
                total = spec;
            }
            // Scale-down removes not-yet-available pods first.
            while total > spec {
                if let Some(last) = pending.last_mut().filter(|p| p.1 > 0) {
                    last.1 -= 1;
                } else {
                    available -= 1;
                }
                total -= 1;
            }
            pending.retain(|p| p.1 > 0);
            status.replicas = total;
            status.available_replicas = Some(available);
            status.ready_replicas = Some(available);
            status.observed_generation = rs.metadata.generation;
            status.terminating_replicas = Some(0);
        }
    }

    pub(super) fn rs(&self, name: &str) -> &ReplicaSet {
        self.rss
            .iter()
            .find(|r| r.metadata.name.as_deref() == Some(name))
            .expect("RS exists")
    }

    pub(super) fn new_rs(&self) -> &ReplicaSet {
        let refs: Vec<&ReplicaSet> = self.rss.iter().collect();
        find_new_replica_set(&self.d, &refs)
            .map(|i| refs[i])
            .expect("new RS exists")
    }

    pub(super) fn status(&self) -> DeploymentStatus {
        self.d.status.clone().unwrap_or_default()
    }

    pub(super) fn progressing(&self) -> (String, String, String) {
        let s = self.status();
        let c = get_condition(&s, CONDITION_PROGRESSING)
            .cloned()
            .unwrap_or_default();
        (
            c.status.unwrap_or_default(),
            c.reason.unwrap_or_default(),
            c.message.unwrap_or_default(),
        )
    }
}

pub(super) fn ann(rs: &ReplicaSet, key: &str) -> Option<String> {
    rs.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(key))
        .cloned()
}

/// A completed rollout of `replicas` pods of template `v0` (revision 1); the
/// Deployment then switches to template `v1` (generation 2).
pub(super) fn rolled_out(
    replicas: i32,
    surge: IntOrString,
    unavailable: IntOrString,
) -> (Deployment, ReplicaSet) {
    let mut d = deployment(replicas, Some(surge), Some(unavailable));
    let mut old = rs_named("web-old", &template("v0"), replicas, replicas, replicas);
    set_replicas_annotations(&mut old, replicas, replicas + max_surge(&d));
    annotate(&mut old, &[(REVISION_ANNOTATION, "1")]);
    d.metadata.annotations = Some([(REVISION_ANNOTATION.to_string(), "1".to_string())].into());
    d.metadata.generation = Some(2);
    d.status = Some(DeploymentStatus {
        observed_generation: Some(1),
        replicas: Some(replicas),
        updated_replicas: Some(replicas),
        ready_replicas: Some(replicas),
        available_replicas: Some(replicas),
        conditions: Some(vec![
            new_condition(
                CONDITION_AVAILABLE,
                "True",
                MINIMUM_REPLICAS_AVAILABLE,
                "Deployment has minimum availability.".into(),
                ts(-100),
            ),
            new_condition(
                CONDITION_PROGRESSING,
                "True",
                NEW_RS_AVAILABLE_REASON,
                "ReplicaSet \"web-old\" has successfully progressed.".into(),
                ts(-100),
            ),
        ]),
        ..Default::default()
    });
    (d, old)
}
