//! Single-sync edge cases: rollback reuse, history cleanup, hash collision,
//! create failure, empty selector, deletion, ReplicaFailure.

use k8s_openapi::api::apps::v1::{
    DeploymentStatus, ReplicaSet, ReplicaSetCondition, ReplicaSetStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::*;
use crate::deployment::testutil::*;
use crate::deployment::util::*;
use crate::deployment::*;

#[test]
fn rollback_reuses_old_replica_set_with_new_revision() {
    // Revision 1 = v0 (scaled to 0), revision 2 = v1 (current); roll back to v0.
    let (mut d, mut rev1) = rolled_out(
        3,
        IntOrString::String("25%".into()),
        IntOrString::String("25%".into()),
    );
    rev1.spec.replicas = Some(0);
    rev1.status = Some(ReplicaSetStatus {
        observed_generation: Some(1),
        ..Default::default()
    });
    let mut rev2 = rs_named("web-v1", &d.spec.template, 3, 3, 3);
    rev2.metadata.creation_timestamp = Some(Time(ts(10)));
    set_replicas_annotations(&mut rev2, 3, 4);
    annotate(&mut rev2, &[(REVISION_ANNOTATION, "2")]);
    d.metadata.annotations = Some([(REVISION_ANNOTATION.to_string(), "2".to_string())].into());
    d.spec.template = template("v0");
    let mut w = World::new(d, vec![rev1, rev2], 0);
    let actions = w.sync();
    let Some(Action::UpdateReplicaSet(first)) = actions.first() else {
        panic!("first the old RS gets its new revision: {actions:?}");
    };
    assert_eq!(first.metadata.name.as_deref(), Some("web-old"));
    assert_eq!(ann(first, REVISION_ANNOTATION).as_deref(), Some("3"));
    assert_eq!(
        ann(first, REVISION_HISTORY_ANNOTATION).as_deref(),
        Some("1")
    );
    assert_eq!(rs_replicas(first), 0, "annotation update only");
    assert_eq!(
        w.d.metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(REVISION_ANNOTATION))
            .map(String::as_str),
        Some("3")
    );
    assert_eq!(
        w.events,
        ["Normal ScalingReplicaSet Scaled up replica set web-old from 0 to 1"]
    );
    assert!(
        !actions
            .iter()
            .any(|a| matches!(a, Action::CreateReplicaSet(_)))
    );
}

#[test]
fn history_cleanup_keeps_limit_once_complete() {
    let mut d = deployment(2, None, None);
    d.spec.revision_history_limit = Some(1);
    let mut rss = vec![];
    for (i, name) in ["web-a", "web-b", "web-c"].iter().enumerate() {
        let mut rs = rs_named(name, &template(&format!("old{i}")), 0, 0, 0);
        annotate(&mut rs, &[(REVISION_ANNOTATION, &(i + 1).to_string())]);
        rss.push(rs);
    }
    // One old RS still has a pod and one has an unobserved spec: both kept.
    let mut busy = rs_named("web-busy", &template("busy"), 0, 1, 0);
    annotate(&mut busy, &[(REVISION_ANNOTATION, "0")]);
    let mut current = rs_named("web-cur", &d.spec.template, 2, 2, 2);
    set_replicas_annotations(&mut current, 2, 3);
    annotate(&mut current, &[(REVISION_ANNOTATION, "4")]);
    rss.push(busy);
    rss.push(current);
    d.metadata.annotations = Some([(REVISION_ANNOTATION.to_string(), "4".to_string())].into());
    d.status = Some(DeploymentStatus {
        observed_generation: Some(1),
        replicas: Some(2),
        updated_replicas: Some(2),
        available_replicas: Some(2),
        ..Default::default()
    });
    let refs: Vec<&ReplicaSet> = rss.iter().collect();
    let state = DeploymentState {
        deployment: &d,
        replica_sets: refs,
        pods: vec![],
        now: ts(0),
    };
    let deleted: Vec<String> = sync_deployment(&state)
        .into_iter()
        .filter_map(|a| match a {
            Action::DeleteReplicaSet {
                name,
                uid,
                resource_version,
            } => {
                assert_eq!(
                    (uid, resource_version),
                    (format!("{name}-uid"), "7".to_string())
                );
                Some(name)
            }
            _ => None,
        })
        .collect();
    // 4 old RSs, limit 1: the 3 lowest revisions are candidates; web-busy (rev 0) is skipped.
    assert_eq!(deleted, ["web-a", "web-b"]);
}

#[test]
fn hash_collision_bumps_collision_count() {
    let d = deployment(1, None, None);
    let foreign = rs_named("web-x", &template("someone-else"), 1, 1, 1);
    let state = DeploymentState {
        deployment: &d,
        replica_sets: vec![],
        pods: vec![],
        now: ts(0),
    };
    let first = sync_deployment(&state);
    let Some(Action::CreateReplicaSet(wanted)) = first.first() else {
        panic!("create");
    };
    let actions =
        sync_deployment_with_create_outcome(&state, CreateOutcome::AlreadyExists(&foreign));
    let Some(Action::UpdateDeploymentStatus(s)) = actions
        .iter()
        .find(|a| matches!(a, Action::UpdateDeploymentStatus(_)))
    else {
        panic!("status: {actions:?}");
    };
    assert_eq!(s.collision_count, Some(1));
    assert_eq!(actions.last(), Some(&Action::Requeue));
    assert!(
        !actions
            .iter()
            .any(|a| matches!(a, Action::CreateReplicaSet(_) | Action::Event { .. }))
    );
    // Next sync hashes with collisionCount 1: another name.
    let mut d2 = d.clone();
    d2.status = Some(s.clone());
    let state2 = DeploymentState {
        deployment: &d2,
        replica_sets: vec![],
        pods: vec![],
        now: ts(1),
    };
    let Some(Action::CreateReplicaSet(retry)) = sync_deployment(&state2).first().cloned() else {
        panic!("create again");
    };
    assert_ne!(retry.metadata.name, wanted.metadata.name);

    // Our own RS with an equal template (stale cache): adopt it as the new RS, no event.
    let mut ours = wanted.clone();
    ours.metadata.uid = Some("ours".into());
    let actions = sync_deployment_with_create_outcome(&state, CreateOutcome::AlreadyExists(&ours));
    assert!(
        !actions
            .iter()
            .any(|a| matches!(a, Action::Event { .. } | Action::Requeue))
    );
    let Some(Action::UpdateDeploymentStatus(s)) = actions
        .iter()
        .find(|a| matches!(a, Action::UpdateDeploymentStatus(_)))
    else {
        panic!("status");
    };
    assert_eq!(s.collision_count, None);
    assert!(
        get_condition(s, CONDITION_PROGRESSING).is_none(),
        "no NewReplicaSetCreated for an existing RS"
    );
}

#[test]
fn create_failure_sets_condition_and_warns() {
    let d = deployment(1, None, None);
    let state = DeploymentState {
        deployment: &d,
        replica_sets: vec![],
        pods: vec![],
        now: ts(0),
    };
    let name = format!("web-{}", hash::compute_hash(&d.spec.template, None));
    let actions =
        sync_deployment_with_create_outcome(&state, CreateOutcome::Failed("exceeded quota".into()));
    let msg = format!("Failed to create new replica set \"{name}\": exceeded quota");
    assert_eq!(
        actions[0],
        Action::Event {
            type_: "Warning",
            reason: "ReplicaSetCreateError",
            message: msg.clone()
        }
    );
    let Some(Action::UpdateDeploymentStatus(s)) = actions.get(1) else {
        panic!("status: {actions:?}");
    };
    let p = get_condition(s, CONDITION_PROGRESSING).expect("progressing");
    assert_eq!(
        (
            p.status.as_deref(),
            p.reason.as_deref(),
            p.message.as_deref()
        ),
        (
            Some("False"),
            Some("ReplicaSetCreateError"),
            Some(msg.as_str())
        )
    );
    assert_eq!(actions.last(), Some(&Action::Requeue));
    assert!(
        sync_deployment_with_create_outcome(&state, CreateOutcome::NamespaceTerminating).is_empty()
    );
}

#[test]
fn empty_selector_only_warns() {
    let mut d = deployment(1, None, None);
    d.spec.selector = Default::default();
    d.metadata.generation = Some(4);
    let state = DeploymentState {
        deployment: &d,
        replica_sets: vec![],
        pods: vec![],
        now: ts(0),
    };
    let actions = sync_deployment(&state);
    assert_eq!(
        actions,
        vec![
            Action::Event {
                type_: "Warning",
                reason: "SelectingAll",
                message: "This deployment is selecting all pods. A non-empty selector is required."
                    .into(),
            },
            Action::UpdateDeploymentStatus(DeploymentStatus {
                observed_generation: Some(4),
                ..Default::default()
            }),
        ]
    );
}

#[test]
fn deleting_deployment_only_syncs_status() {
    let (mut d, old) = rolled_out(3, IntOrString::Int(1), IntOrString::Int(0));
    d.metadata.deletion_timestamp = Some(Time(ts(0)));
    let state = DeploymentState {
        deployment: &d,
        replica_sets: vec![&old],
        pods: vec![],
        now: ts(0),
    };
    let actions = sync_deployment(&state);
    assert_eq!(actions.len(), 1, "{actions:?}");
    assert!(
        matches!(&actions[0], Action::UpdateDeploymentStatus(s) if s.observed_generation == Some(2))
    );
}

#[test]
fn replica_failure_is_copied_from_new_replica_set() {
    let (mut d, mut old) = rolled_out(2, IntOrString::Int(1), IntOrString::Int(0));
    d.spec.template = old.spec.template.clone().expect("template");
    let failure = ReplicaSetCondition {
        type_: Some("ReplicaFailure".into()),
        status: Some("True".into()),
        reason: Some("FailedCreate".into()),
        message: Some("pods \"web-old-x\" is forbidden: exceeded quota".into()),
        last_transition_time: Some(Time(ts(-3))),
    };
    if let Some(s) = old.status.as_mut() {
        s.conditions = Some(vec![failure]);
    }
    let state = DeploymentState {
        deployment: &d,
        replica_sets: vec![&old],
        pods: vec![],
        now: ts(0),
    };
    let actions = sync_deployment(&state);
    let Some(Action::UpdateDeploymentStatus(s)) = actions
        .iter()
        .find(|a| matches!(a, Action::UpdateDeploymentStatus(_)))
    else {
        panic!("status: {actions:?}");
    };
    let f = get_condition(s, CONDITION_REPLICA_FAILURE).expect("replica failure");
    assert_eq!(
        (
            f.status.as_deref(),
            f.reason.as_deref(),
            f.message.as_deref(),
            f.last_update_time.clone()
        ),
        (
            Some("True"),
            Some("FailedCreate"),
            Some("pods \"web-old-x\" is forbidden: exceeded quota"),
            Some(Time(ts(-3)))
        )
    );
}

#[test]
fn paused_deployment_without_deadline_gets_no_progressing_condition() {
    let (mut d, old) = rolled_out(2, IntOrString::Int(1), IntOrString::Int(0));
    d.spec.progress_deadline_seconds = Some(i32::MAX);
    d.spec.paused = Some(true);
    let state = DeploymentState {
        deployment: &d,
        replica_sets: vec![&old],
        pods: vec![],
        now: ts(0),
    };
    for a in sync_deployment(&state) {
        if let Action::UpdateDeploymentStatus(s) = a {
            assert_ne!(
                get_condition(&s, CONDITION_PROGRESSING)
                    .and_then(|c| c.reason.clone())
                    .as_deref(),
                Some("DeploymentPaused")
            );
        }
    }
}
