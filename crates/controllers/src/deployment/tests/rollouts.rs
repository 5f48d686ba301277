//! Rollouts driven to completion: RollingUpdate bounds, events, deadlines,
//! pause/resume, proportional scaling, Recreate ordering.

use std::time::Duration;

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::{Pod, PodStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::*;
use crate::deployment::testutil::*;
use crate::deployment::util::*;
use crate::deployment::*;
use crate::replicaset::logic::new_controller_ref;

#[test]
fn fresh_deployment_creates_first_replica_set() {
    let mut d = deployment(3, None, None);
    d.metadata.annotations = Some(
        [
            (
                "kubernetes.io/change-cause".to_string(),
                "first".to_string(),
            ),
            (LAST_APPLIED_CONFIG_ANNOTATION.to_string(), "{}".to_string()),
        ]
        .into(),
    );
    let state = DeploymentState {
        deployment: &d,
        replica_sets: vec![],
        pods: vec![],
        now: ts(0),
    };
    let actions = sync_deployment(&state);
    let Some(Action::CreateReplicaSet(rs)) = actions.first() else {
        panic!("first action must create the RS: {actions:?}");
    };
    let hash = hash::compute_hash(&d.spec.template, None);
    let name = format!("web-{hash}");
    assert_eq!(rs.metadata.name.as_deref(), Some(name.as_str()));
    assert_eq!(rs.metadata.namespace.as_deref(), Some("default"));
    assert_eq!(rs.spec.replicas, Some(3));
    assert_eq!(rs.spec.min_ready_seconds, Some(0));
    let hash_label = |m: Option<&BTreeMap<String, String>>| {
        m.and_then(|l| l.get(DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY))
            .cloned()
    };
    assert_eq!(hash_label(rs.metadata.labels.as_ref()), Some(hash.clone()));
    assert_eq!(
        hash_label(rs.spec.selector.match_labels.as_ref()),
        Some(hash.clone())
    );
    assert_eq!(
        hash_label(
            rs.spec
                .template
                .as_ref()
                .and_then(|t| t.metadata.as_ref())
                .and_then(|m| m.labels.as_ref())
        ),
        Some(hash)
    );
    let owner = rs
        .metadata
        .owner_references
        .as_ref()
        .and_then(|o| o.first())
        .expect("owner");
    assert_eq!(
        (owner.kind.as_str(), owner.name.as_str(), owner.uid.as_str()),
        ("Deployment", "web", "dep-uid")
    );
    assert_eq!(
        (owner.controller, owner.block_owner_deletion),
        (Some(true), Some(true))
    );
    let want: BTreeMap<String, String> = [
        ("kubernetes.io/change-cause", "first"),
        (REVISION_ANNOTATION, "1"),
        (DESIRED_REPLICAS_ANNOTATION, "3"),
        (MAX_REPLICAS_ANNOTATION, "4"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(rs.metadata.annotations.as_ref(), Some(&want));

    assert!(actions.contains(&Action::Event {
        type_: "Normal",
        reason: "ScalingReplicaSet",
        message: format!("Scaled up replica set {name} from 0 to 3"),
    }));
    let Some(Action::UpdateDeploymentAnnotations(a)) = actions
        .iter()
        .find(|a| matches!(a, Action::UpdateDeploymentAnnotations(_)))
    else {
        panic!("deployment revision annotation");
    };
    assert_eq!(a.get(REVISION_ANNOTATION).map(String::as_str), Some("1"));
    let Some(Action::UpdateDeploymentStatus(s)) = actions
        .iter()
        .find(|a| matches!(a, Action::UpdateDeploymentStatus(_)))
    else {
        panic!("status");
    };
    let p = get_condition(s, CONDITION_PROGRESSING).expect("progressing");
    assert_eq!(
        (p.status.as_deref(), p.reason.as_deref(), p.message.clone()),
        (
            Some("True"),
            Some("NewReplicaSetCreated"),
            Some(format!("Created new replica set \"{name}\""))
        )
    );
    let a = get_condition(s, CONDITION_AVAILABLE).expect("available");
    assert_eq!(
        (a.status.as_deref(), a.reason.as_deref()),
        (Some("False"), Some("MinimumReplicasUnavailable"))
    );
    assert_eq!(
        (s.observed_generation, s.replicas, s.updated_replicas),
        (Some(1), None, None)
    );
}

#[test]
fn rolling_update_of_ten_replicas_keeps_bounds_and_converges() {
    for delay in [0, 1, 2] {
        let (d, old) = rolled_out(
            10,
            IntOrString::String("25%".into()),
            IntOrString::String("25%".into()),
        );
        let (max_total, min_available) = (13, 8);
        let mut w = World::new(d, vec![old], delay);
        let mut quiet_rounds = 0;
        for round in 0..100 {
            let actions = w.sync();
            let refs: Vec<&ReplicaSet> = w.rss.iter().collect();
            assert!(
                sum_spec_replicas(&refs) <= max_total,
                "delay {delay} round {round}: surge exceeded"
            );
            w.tick();
            let refs: Vec<&ReplicaSet> = w.rss.iter().collect();
            assert!(
                sum_available(&refs) >= min_available,
                "delay {delay} round {round}: availability dropped"
            );
            assert!(
                sum_status_replicas(&refs) <= max_total,
                "delay {delay} round {round}: too many pods"
            );
            let scaled = actions
                .iter()
                .any(|a| matches!(a, Action::UpdateReplicaSet(_) | Action::CreateReplicaSet(_)));
            quiet_rounds = if scaled { 0 } else { quiet_rounds + 1 };
            if quiet_rounds > 3 {
                break;
            }
        }
        let new = w.new_rs().clone();
        let new_name = new.metadata.name.clone().unwrap_or_default();
        assert_eq!(
            (rs_replicas(&new), rs_available(&new)),
            (10, 10),
            "delay {delay}"
        );
        assert_eq!(rs_replicas(w.rs("web-old")), 0);
        assert_eq!(ann(&new, REVISION_ANNOTATION).as_deref(), Some("2"));
        assert_eq!(
            ann(w.rs("web-old"), REVISION_ANNOTATION).as_deref(),
            Some("1")
        );
        assert_eq!(
            w.d.metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(REVISION_ANNOTATION))
                .map(String::as_str),
            Some("2")
        );
        let s = w.status();
        assert_eq!(
            (
                s.replicas,
                s.updated_replicas,
                s.available_replicas,
                s.unavailable_replicas,
                s.observed_generation
            ),
            (Some(10), Some(10), Some(10), None, Some(2))
        );
        assert_eq!(
            w.progressing(),
            (
                "True".into(),
                "NewReplicaSetAvailable".into(),
                format!("ReplicaSet \"{new_name}\" has successfully progressed.")
            )
        );
    }
}

#[test]
fn three_replica_rollout_emits_upstream_event_sequence() {
    let (d, old) = rolled_out(
        3,
        IntOrString::String("25%".into()),
        IntOrString::String("25%".into()),
    );
    let mut w = World::new(d, vec![old], 0);
    let mut progress_messages = vec![];
    for _ in 0..12 {
        w.sync();
        progress_messages.push(w.progressing().1);
        w.tick();
    }
    let new = w.new_rs().metadata.name.clone().unwrap_or_default();
    let want: Vec<String> = [
        format!("Scaled up replica set {new} from 0 to 1"),
        "Scaled down replica set web-old from 3 to 2".to_string(),
        format!("Scaled up replica set {new} from 1 to 2"),
        "Scaled down replica set web-old from 2 to 1".to_string(),
        format!("Scaled up replica set {new} from 2 to 3"),
        "Scaled down replica set web-old from 1 to 0".to_string(),
    ]
    .into_iter()
    .map(|m| format!("Normal ScalingReplicaSet {m}"))
    .collect();
    assert_eq!(w.events, want);
    assert_eq!(
        progress_messages.first().map(String::as_str),
        Some("NewReplicaSetCreated")
    );
    assert!(progress_messages.contains(&"ReplicaSetUpdated".to_string()));
    assert_eq!(
        progress_messages.last().map(String::as_str),
        Some("NewReplicaSetAvailable")
    );
}

#[test]
fn progress_deadline_requeue_and_timeout() {
    let (mut d, old) = rolled_out(2, IntOrString::Int(1), IntOrString::Int(0));
    d.spec.progress_deadline_seconds = Some(60);
    let mut w = World::new(d, vec![old], 1000); // new pods never become available
    w.sync(); // creates the new RS
    w.tick();
    w.sync(); // new RS has a (not available) pod: progress
    let (_, reason, msg) = w.progressing();
    let new = w.new_rs().metadata.name.clone().unwrap_or_default();
    assert_eq!(
        (reason.as_str(), msg),
        (
            "ReplicaSetUpdated",
            format!("ReplicaSet \"{new}\" is progressing.")
        )
    );
    let since = w.now;
    // No progress 30s later: no write, requeue at lastUpdate + 60s + 1s.
    w.now = since + 30;
    let actions = w.sync();
    assert_eq!(actions, vec![Action::RequeueAfter(Duration::from_secs(31))]);
    // One second left: still a delayed requeue; less than that: immediate (rate-limited).
    w.now = since + 59;
    assert_eq!(w.sync(), vec![Action::RequeueAfter(Duration::from_secs(2))]);
    w.now = since + 60;
    assert_eq!(w.sync(), vec![Action::Requeue]);
    // Past the deadline: Progressing=False ProgressDeadlineExceeded, no more requeues.
    w.now = since + 61;
    let actions = w.sync();
    assert!(
        !actions
            .iter()
            .any(|a| matches!(a, Action::RequeueAfter(_) | Action::Requeue))
    );
    assert_eq!(
        w.progressing(),
        (
            "False".into(),
            "ProgressDeadlineExceeded".into(),
            format!("ReplicaSet \"{new}\" has timed out progressing.")
        )
    );
    w.now += 100;
    assert_eq!(w.sync(), vec![], "timed out: nothing to do, no requeue");
    // Pausing does not overwrite the timeout condition.
    w.d.spec.paused = Some(true);
    w.sync();
    assert_eq!(w.progressing().1, "ProgressDeadlineExceeded");
}

#[test]
fn pause_scale_and_resume() {
    let (mut d, old) = rolled_out(10, IntOrString::Int(3), IntOrString::Int(2));
    d.spec.paused = Some(true);
    let mut w = World::new(d, vec![old], 0);
    let actions = w.sync();
    assert!(
        !actions
            .iter()
            .any(|a| matches!(a, Action::CreateReplicaSet(_))),
        "no rollout while paused"
    );
    assert_eq!(
        w.progressing(),
        (
            "Unknown".into(),
            "DeploymentPaused".into(),
            "Deployment is paused".into()
        )
    );
    // Scaling still works while paused.
    w.d.spec.replicas = Some(12);
    w.sync();
    assert_eq!(rs_replicas(w.rs("web-old")), 12);
    assert!(w.events.contains(
        &"Normal ScalingReplicaSet Scaled up replica set web-old from 10 to 12".to_string()
    ));
    w.tick();
    w.sync(); // status catches up with the scaled ReplicaSet
    // Resume: condition flips to Resumed, then the new RS is created in the same sync.
    w.d.spec.paused = Some(false);
    let actions = w.sync();
    assert!(matches!(actions.first(), Some(Action::CreateReplicaSet(_))));
    let (status, reason, _) = w.progressing();
    assert_eq!(
        (status.as_str(), reason.as_str()),
        ("True", "NewReplicaSetCreated")
    );
}

#[test]
fn resume_mid_rollout_records_resumed_condition() {
    // Paused mid-rollout at old=8/new=5 (10 replicas, surge 3, unavailable 2), all available.
    let (mut d, mut old) = rolled_out(10, IntOrString::Int(3), IntOrString::Int(2));
    old.spec.replicas = Some(8);
    old.status = Some(ReplicaSetStatus {
        replicas: 8,
        ready_replicas: Some(8),
        available_replicas: Some(8),
        observed_generation: Some(1),
        ..Default::default()
    });
    let mut new = rs_named("web-new", &d.spec.template, 5, 5, 5);
    new.metadata.creation_timestamp = Some(Time(ts(10)));
    set_replicas_annotations(&mut new, 10, 13);
    annotate(&mut new, &[(REVISION_ANNOTATION, "2")]);
    d.metadata.annotations = Some([(REVISION_ANNOTATION.to_string(), "2".to_string())].into());
    let paused = new_condition(
        CONDITION_PROGRESSING,
        "Unknown",
        PAUSED_DEPLOY_REASON,
        "Deployment is paused".into(),
        ts(-5),
    );
    d.status = Some(DeploymentStatus {
        observed_generation: Some(2),
        replicas: Some(13),
        updated_replicas: Some(5),
        ready_replicas: Some(13),
        available_replicas: Some(13),
        conditions: Some(vec![paused]),
        ..Default::default()
    });
    let mut w = World::new(d, vec![old, new], 0);
    w.sync();
    // The rollout step happens (old scaled down within maxUnavailable)...
    assert_eq!(
        w.events,
        ["Normal ScalingReplicaSet Scaled down replica set web-old from 8 to 3"]
    );
    // ...and with no progress in the counts yet, Progressing says resumed; the
    // deadline clock restarts from now.
    let s = w.status();
    let p = get_condition(&s, CONDITION_PROGRESSING).expect("progressing");
    assert_eq!(
        (
            p.status.as_deref(),
            p.reason.as_deref(),
            p.message.as_deref()
        ),
        (
            Some("Unknown"),
            Some("DeploymentResumed"),
            Some("Deployment is resumed")
        )
    );
    assert_eq!(p.last_update_time, Some(condition_time(ts(0))));
}

#[test]
fn scaling_event_mid_rollout_is_proportional() {
    // The documented example: stuck at new=5/old=8 (10 replicas, surge 3), scaled to 15.
    let (mut d, mut old) = rolled_out(10, IntOrString::Int(3), IntOrString::Int(2));
    old.spec.replicas = Some(8);
    let mut new = rs_named("web-new", &d.spec.template, 5, 5, 0);
    new.metadata.creation_timestamp = Some(Time(ts(10)));
    set_replicas_annotations(&mut new, 10, 13);
    annotate(&mut new, &[(REVISION_ANNOTATION, "2")]);
    d.spec.replicas = Some(15);
    let mut w = World::new(d, vec![old, new], 0);
    let actions = w.sync();
    let scaled: Vec<(String, i32)> = actions
        .iter()
        .filter_map(|a| match a {
            Action::UpdateReplicaSet(rs) => Some((
                rs.metadata.name.clone().unwrap_or_default(),
                rs_replicas(rs),
            )),
            _ => None,
        })
        .collect();
    assert_eq!(
        scaled,
        [("web-old".to_string(), 11), ("web-new".to_string(), 7)]
    );
    assert_eq!(
        w.events,
        [
            "Normal ScalingReplicaSet Scaled up replica set web-old from 8 to 11",
            "Normal ScalingReplicaSet Scaled up replica set web-new from 5 to 7",
        ]
    );
    for rs in &w.rss {
        assert_eq!(ann(rs, DESIRED_REPLICAS_ANNOTATION).as_deref(), Some("15"));
        assert_eq!(ann(rs, MAX_REPLICAS_ANNOTATION).as_deref(), Some("18"));
    }
}

#[test]
fn recreate_scales_down_waits_then_creates() {
    let (mut d, old) = rolled_out(3, IntOrString::Int(1), IntOrString::Int(0));
    set_recreate(&mut d);
    let mut w = World::new(d, vec![old], 0);
    // 1: old scaled to zero, nothing created.
    let actions = w.sync();
    assert!(
        !actions
            .iter()
            .any(|a| matches!(a, Action::CreateReplicaSet(_)))
    );
    assert_eq!(
        w.events,
        ["Normal ScalingReplicaSet Scaled down replica set web-old from 3 to 0"]
    );
    // 2: old RS still reports pods: wait.
    let actions = w.sync();
    assert!(
        !actions
            .iter()
            .any(|a| matches!(a, Action::CreateReplicaSet(_) | Action::UpdateReplicaSet(_)))
    );
    // 3: status drained but a pod is still running (phase Unknown counts): wait.
    w.tick();
    let old_uid = w.rs("web-old").metadata.uid.clone();
    let pod = Pod {
        metadata: ObjectMeta {
            owner_references: Some(vec![new_controller_ref(
                &ObjectMeta {
                    name: Some("web-old".into()),
                    uid: old_uid,
                    ..Default::default()
                },
                "apps/v1",
                "ReplicaSet",
            )]),
            ..Default::default()
        },
        spec: None,
        status: Some(PodStatus {
            phase: Some("Unknown".into()),
            ..Default::default()
        }),
    };
    let refs: Vec<&ReplicaSet> = w.rss.iter().collect();
    let state = DeploymentState {
        deployment: &w.d,
        replica_sets: refs.clone(),
        pods: vec![&pod],
        now: ts(w.now),
    };
    assert!(
        !sync_deployment(&state)
            .iter()
            .any(|a| matches!(a, Action::CreateReplicaSet(_)))
    );
    let mut done = pod.clone();
    done.status = Some(PodStatus {
        phase: Some("Succeeded".into()),
        ..Default::default()
    });
    let state = DeploymentState {
        deployment: &w.d,
        replica_sets: refs,
        pods: vec![&done],
        now: ts(w.now),
    };
    let actions = sync_deployment(&state);
    // 4: only now the new RS appears, at full size.
    let Some(Action::CreateReplicaSet(rs)) = actions.first() else {
        panic!("expected create: {actions:?}");
    };
    assert_eq!(rs.spec.replicas, Some(3));
    assert!(actions.contains(&Action::Event {
        type_: "Normal",
        reason: "ScalingReplicaSet",
        message: format!(
            "Scaled up replica set {} from 0 to 3",
            rs.metadata.name.clone().unwrap_or_default()
        ),
    }));
}
