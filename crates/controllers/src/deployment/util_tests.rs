//! Tests for `util.rs`, tables taken from upstream `deployment_util_test.go`.

use super::*;
use crate::deployment::testutil::*;
use k8s_openapi::api::apps::v1::ReplicaSetStatus;

fn ios(s: &str) -> IntOrString {
    IntOrString::String(s.to_string())
}

/// (maxSurge, maxUnavailable, desired, expected (surge, unavailable) or error)
type FencepostCase = (
    Option<IntOrString>,
    Option<IntOrString>,
    i32,
    Result<(i32, i32), ()>,
);

#[test]
fn fenceposts_table() {
    // (maxSurge, maxUnavailable, desired) -> (surge, unavailable) or error
    let cases: Vec<FencepostCase> = vec![
        (Some(ios("25%")), Some(ios("25%")), 10, Ok((3, 2))),
        (Some(ios("25%")), Some(ios("25%")), 1, Ok((1, 0))),
        (Some(ios("0%")), Some(ios("1%")), 3, Ok((0, 1))),
        (Some(ios("0%")), Some(ios("0%")), 0, Ok((0, 1))),
        (Some(ios("39%")), Some(ios("39%")), 10, Ok((4, 3))),
        (Some(ios("oops")), Some(ios("39%")), 10, Err(())),
        (Some(ios("55%")), Some(ios("urg")), 10, Err(())),
        (None, Some(ios("39%")), 10, Ok((0, 3))),
        (Some(ios("39%")), None, 10, Ok((4, 0))),
        (None, None, 10, Ok((0, 1))),
        (
            Some(IntOrString::Int(3)),
            Some(IntOrString::Int(2)),
            10,
            Ok((3, 2)),
        ),
        (Some(ios("5")), None, 10, Err(())),
    ];
    for (i, (s, u, desired, want)) in cases.into_iter().enumerate() {
        let got = resolve_fenceposts(s.as_ref(), u.as_ref(), desired).map_err(|_| ());
        assert_eq!(got, want, "case {i}");
    }
}

#[test]
fn max_unavailable_table() {
    let cases = [
        (10, IntOrString::Int(5), 5),
        (10, IntOrString::Int(10), 10),
        (5, IntOrString::Int(10), 5),
        (0, IntOrString::Int(10), 0),
        (10, ios("50%"), 5),
        (10, ios("100%"), 10),
        (5, ios("100%"), 5),
    ];
    for (replicas, mu, want) in cases {
        let d = deployment(replicas, Some(IntOrString::Int(1)), Some(mu.clone()));
        assert_eq!(
            max_unavailable(&d),
            want,
            "replicas {replicas} maxUnavailable {mu:?}"
        );
    }
    let mut recreate = deployment(10, None, None);
    set_recreate(&mut recreate);
    assert_eq!((max_unavailable(&recreate), max_surge(&recreate)), (0, 0));
    // Absent strategy = API defaults 25%/25%.
    let mut bare = deployment(10, None, None);
    bare.spec.strategy = None;
    assert_eq!((max_surge(&bare), max_unavailable(&bare)), (3, 2));
}

#[test]
fn new_rs_new_replicas_table() {
    // (strategy, depReplicas, newRSReplicas, maxSurge, expected); one other RS of 5 replicas.
    let cases = [
        ("RollingUpdate", 1, 5, 1, 5),
        ("RollingUpdate", 6, 2, 10, 6),
        ("Recreate", 3, 1, 1, 3),
    ];
    for (strategy, dep, new, surge, want) in cases {
        let mut d = deployment(
            dep,
            Some(IntOrString::Int(surge)),
            Some(IntOrString::Int(1)),
        );
        if strategy == "Recreate" {
            set_recreate(&mut d);
        }
        let other = rs_named("other", &template("v0"), 5, 0, 0);
        let new_rs = rs_named("new", &d.spec.template, new, 0, 0);
        assert_eq!(
            new_rs_new_replicas(&d, &[&other], &new_rs),
            want,
            "{strategy} {dep} {new} {surge}"
        );
    }
}

#[test]
fn complete_and_progressing_tables() {
    let status = |current, updated, ready, available| DeploymentStatus {
        replicas: Some(current),
        updated_replicas: Some(updated),
        ready_replicas: Some(ready),
        available_replicas: Some(available),
        observed_generation: Some(1),
        ..Default::default()
    };
    // DeploymentComplete: (desired, current, updated, available) -> complete
    for (desired, current, updated, available, want) in [
        (5, 5, 5, 4, false),
        (5, 5, 5, 3, false),
        (5, 5, 5, 5, true),
        (5, 5, 4, 5, false),
        (1, 2, 1, 1, false),
        (1, 1, 1, 0, false),
    ] {
        let d = deployment(desired, None, None);
        assert_eq!(
            deployment_complete(&d, &status(current, updated, 0, available)),
            want
        );
    }
    // DeploymentProgressing: (old, new) -> progressing
    let cases = [
        ((10, 4, 4, 4), (10, 6, 4, 4), true),
        ((10, 4, 4, 4), (10, 4, 4, 4), false),
        ((10, 4, 6, 6), (8, 4, 6, 6), true),
        ((10, 7, 3, 3), (10, 6, 3, 3), false),
        ((10, 4, 7, 7), (8, 8, 5, 5), true),
        ((10, 10, 9, 8), (10, 10, 10, 8), true),
        ((10, 10, 10, 9), (10, 10, 10, 10), true),
    ];
    for (i, (o, nw, want)) in cases.into_iter().enumerate() {
        assert_eq!(
            deployment_progressing(&status(o.0, o.1, o.2, o.3), &status(nw.0, nw.1, nw.2, nw.3)),
            want,
            "case {i}"
        );
    }
}

#[test]
fn timed_out_table() {
    let at = |m: i64, s: i64| m * 60 + s;
    let with_cond = |pds: Option<i32>, reason: &str, from: i64| {
        let mut d = deployment(1, None, None);
        d.spec.progress_deadline_seconds = pds;
        let mut st = DeploymentStatus::default();
        let mut c = new_condition(
            CONDITION_PROGRESSING,
            "True",
            reason,
            String::new(),
            ts(from),
        );
        c.last_update_time = Some(Time(ts(from)));
        set_condition(&mut st, c);
        (d, st)
    };
    let cases = [
        (Some(i32::MAX), "", at(1, 9), at(1, 20), false),
        (Some(10), "", at(1, 9), at(1, 20), true),
        (Some(10), "", at(1, 11), at(1, 20), false),
        (Some(10), "", at(1, 10), at(1, 20), false), // exactly at the deadline: not yet
        (Some(10), NEW_RS_AVAILABLE_REASON, 0, at(9, 0), false),
        (Some(10), TIMED_OUT_REASON, at(1, 19), at(1, 20), true),
        (None, "", 0, 601, true), // default deadline 600s
    ];
    for (i, (pds, reason, from, now, want)) in cases.into_iter().enumerate() {
        let (d, st) = with_cond(pds, reason, from);
        assert_eq!(deployment_timed_out(&d, &st, ts(now)), want, "case {i}");
    }
}

#[test]
fn revision_history_annotation_is_capped() {
    // Upstream TestAnnotationUtils: with a 5-char cap the history keeps "i-1,i".
    let d = deployment(1, None, None);
    let mut rs = rs_named("x", &d.spec.template, 1, 0, 0);
    for i in 10..20 {
        let next = (i + 1).to_string();
        set_new_replica_set_annotations(&d, &mut rs, &next, true, 5);
        let ann = rs.metadata.annotations.clone().unwrap_or_default();
        if i >= 12 {
            assert_eq!(
                ann.get(REVISION_HISTORY_ANNOTATION),
                Some(&format!("{},{}", i - 1, i)),
                "step {i}"
            );
        }
        assert_eq!(ann.get(REVISION_ANNOTATION), Some(&next));
    }
}

#[test]
fn annotations_copy_skip_list_and_replica_annotations() {
    let mut d = deployment(4, Some(IntOrString::Int(2)), Some(IntOrString::Int(1)));
    let ann = d.metadata.annotations.get_or_insert_with(BTreeMap::new);
    for key in [
        LAST_APPLIED_CONFIG_ANNOTATION,
        REVISION_ANNOTATION,
        REVISION_HISTORY_ANNOTATION,
        DESIRED_REPLICAS_ANNOTATION,
        MAX_REPLICAS_ANNOTATION,
        DEPRECATED_ROLLBACK_TO,
    ] {
        ann.insert(key.into(), "skip".into());
    }
    ann.insert("kubernetes.io/change-cause".into(), "image updated".into());
    let mut rs = rs_named("x", &d.spec.template, 0, 0, 0);
    rs.metadata.annotations = None;
    assert!(set_new_replica_set_annotations(
        &d,
        &mut rs,
        "3",
        false,
        MAX_REV_HISTORY_LENGTH_IN_CHARS
    ));
    let got = rs.metadata.annotations.clone().unwrap_or_default();
    let want: BTreeMap<String, String> = [
        ("kubernetes.io/change-cause", "image updated"),
        (REVISION_ANNOTATION, "3"),
        (DESIRED_REPLICAS_ANNOTATION, "4"),
        (MAX_REPLICAS_ANNOTATION, "6"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(got, want);
    // A higher existing revision is kept.
    assert!(!set_new_replica_set_annotations(
        &d,
        &mut rs,
        "2",
        true,
        MAX_REV_HISTORY_LENGTH_IN_CHARS
    ));
    assert!(replicas_annotations_need_update(&rs, 10, 20));
    assert!(!replicas_annotations_need_update(&rs, 4, 6));
}

#[test]
fn replica_annotation_parsing() {
    let mut rs = rs_named("x", &template("a"), 1, 0, 0);
    for (v, want) in [
        ("0", Some(0)),
        ("13", Some(13)),
        ("-1", None),
        ("+1", None),
        ("x", None),
        ("2147483648", None),
        ("2147483647", Some(i32::MAX)),
    ] {
        rs.metadata.annotations =
            Some([(DESIRED_REPLICAS_ANNOTATION.to_string(), v.to_string())].into());
        assert_eq!(desired_replicas_annotation(&rs), want, "{v}");
    }
}

#[test]
fn conditions_set_and_remove() {
    let mut st = DeploymentStatus::default();
    set_condition(
        &mut st,
        new_condition(CONDITION_PROGRESSING, "True", "A", "m1".into(), ts(0)),
    );
    set_condition(
        &mut st,
        new_condition(CONDITION_AVAILABLE, "True", "B", "m".into(), ts(0)),
    );
    // Same status and reason: ignored (message not updated).
    set_condition(
        &mut st,
        new_condition(CONDITION_PROGRESSING, "True", "A", "m2".into(), ts(5)),
    );
    assert_eq!(
        get_condition(&st, CONDITION_PROGRESSING).and_then(|c| c.message.as_deref()),
        Some("m1")
    );
    // Same status, new reason: transition time kept, moved to the end.
    set_condition(
        &mut st,
        new_condition(CONDITION_PROGRESSING, "True", "C", "m3".into(), ts(9)),
    );
    let conds = st.conditions.clone().unwrap_or_default();
    assert_eq!(
        conds
            .iter()
            .map(|c| c.type_.clone().unwrap_or_default())
            .collect::<Vec<_>>(),
        ["Available", "Progressing"]
    );
    assert_eq!(conds[1].last_transition_time, Some(Time(ts(0))));
    assert_eq!(conds[1].last_update_time, Some(Time(ts(9))));
    remove_condition(&mut st, CONDITION_AVAILABLE);
    remove_condition(&mut st, CONDITION_PROGRESSING);
    assert_eq!(st.conditions, None);
}

#[test]
fn terminating_sum_semantics() {
    let mk = |og: i64, term: Option<i32>| {
        let mut rs = rs_named("x", &template("a"), 1, 0, 0);
        rs.status = Some(ReplicaSetStatus {
            observed_generation: Some(og),
            terminating_replicas: term,
            ..Default::default()
        });
        rs
    };
    let (a, b, unsynced, dropped) = (mk(1, Some(3)), mk(0, Some(1)), mk(0, None), mk(1, None));
    assert_eq!(sum_terminating(&[&a]), Some(3));
    assert_eq!(sum_terminating(&[&a, &b]), Some(4));
    assert_eq!(sum_terminating(&[&unsynced]), Some(0));
    assert_eq!(sum_terminating(&[&a, &b, &unsynced]), Some(4));
    assert_eq!(sum_terminating(&[&dropped]), None);
    assert_eq!(sum_terminating(&[&a, &b, &unsynced, &dropped]), None);
}

#[test]
fn find_new_picks_oldest_equal_template() {
    let d = deployment(1, None, None);
    let mut new_rs = rs_named("new", &d.spec.template, 1, 0, 0);
    new_rs.metadata.creation_timestamp = Some(Time(ts(60)));
    let mut dup = rs_named("dup", &d.spec.template, 0, 0, 0);
    dup.metadata.creation_timestamp = Some(Time(ts(0)));
    let mut old = rs_named("old", &template("v0"), 1, 0, 0);
    old.metadata.creation_timestamp = Some(Time(ts(-60)));
    assert_eq!(find_new_replica_set(&d, &[&new_rs, &old]), Some(0));
    assert_eq!(find_new_replica_set(&d, &[&new_rs, &old, &dup]), Some(2));
    assert_eq!(find_new_replica_set(&d, &[&old]), None);
}

#[test]
fn saturation() {
    let d = deployment(1, None, None);
    let mut rs = rs_named("x", &d.spec.template, 1, 1, 1);
    set_replicas_annotations(&mut rs, 1, 2);
    assert!(is_saturated(&d, Some(&rs)));
    rs.status = None;
    assert!(!is_saturated(&d, Some(&rs)));
    assert!(!is_saturated(&d, None));
}
