//! Table-driven tests for the ReplicaSet decision logic (facts from upstream's
//! `controller_utils_test.go`, `replica_set_test.go` and `pod/util_test.go`).

use super::ranking::delete_before;
use super::*;
use k8s_openapi::api::apps::v1::ReplicaSetSpec;
use k8s_openapi::api::core::v1::{Container, ContainerStatus, PodSpec, PodStatus, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, OwnerReference};

fn ts(sec: i64) -> Timestamp {
    Timestamp::from_second(1_700_000_000 + sec).expect("valid test timestamp")
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[derive(Clone)]
struct P {
    name: &'static str,
    node: &'static str,
    phase: &'static str,
    ready_since: Option<i64>,
    restarts: i32,
    created: Option<i64>,
    cost: Option<&'static str>,
}

fn p(name: &'static str) -> P {
    P {
        name,
        node: "n1",
        phase: "Running",
        ready_since: Some(0),
        restarts: 0,
        created: Some(0),
        cost: None,
    }
}

impl P {
    fn build(&self) -> Pod {
        let mut conditions = vec![];
        if let Some(s) = self.ready_since {
            conditions.push(PodCondition {
                type_: "Ready".into(),
                status: "True".into(),
                last_transition_time: Some(Time(ts(s))),
                ..Default::default()
            });
        } else {
            conditions.push(PodCondition {
                type_: "Ready".into(),
                status: "False".into(),
                ..Default::default()
            });
        }
        Pod {
            metadata: ObjectMeta {
                name: Some(self.name.into()),
                uid: Some(format!("uid-{}", self.name)),
                namespace: Some("default".into()),
                creation_timestamp: self.created.map(|c| Time(ts(c))),
                annotations: self
                    .cost
                    .map(|c| labels(&[(ranking::POD_DELETION_COST_ANNOTATION, c)])),
                labels: Some(labels(&[("app", "x")])),
                ..Default::default()
            },
            spec: Some(PodSpec {
                node_name: Some(self.node.to_string()).filter(|n| !n.is_empty()),
                ..Default::default()
            }),
            status: Some(PodStatus {
                phase: Some(self.phase.into()),
                conditions: Some(conditions),
                container_statuses: Some(vec![ContainerStatus {
                    restart_count: self.restarts,
                    ..Default::default()
                }]),
                ..Default::default()
            }),
        }
    }
}

#[test]
fn active_terminating_ready_available() {
    let mut pod = p("a").build();
    assert!(pod_is_active(&pod) && !pod_is_terminating(&pod) && pod_is_ready(&pod));
    pod.metadata.deletion_timestamp = Some(Time(ts(5)));
    assert!(!pod_is_active(&pod) && pod_is_terminating(&pod));
    let mut done = p("b").build();
    done.status.as_mut().expect("status").phase = Some("Succeeded".into());
    assert!(!pod_is_active(&done) && !pod_is_terminating(&done));
    done.metadata.deletion_timestamp = Some(Time(ts(5)));
    assert!(
        !pod_is_terminating(&done),
        "terminal pods are not terminating"
    );

    // Ready at t=0: available with minReadySeconds 10 exactly at t=10 (<=), not at t=9.
    let ready = p("c").build();
    let cases = [(0, 0, true), (10, 9, false), (10, 10, true), (10, 11, true)];
    for (mrs, now, want) in cases {
        assert_eq!(
            pod_is_available(&ready, mrs, ts(now)),
            want,
            "mrs={mrs} now={now}"
        );
    }
    let not_ready = P {
        ready_since: None,
        ..p("d")
    }
    .build();
    assert!(!pod_is_available(&not_ready, 0, ts(100)));
}

#[test]
fn slow_start_batch_sizes() {
    let cases: [(usize, Vec<usize>); 6] = [
        (0, vec![]),
        (1, vec![1]),
        (3, vec![1, 2]),
        (10, vec![1, 2, 4, 3]),
        (16, vec![1, 2, 4, 8, 1]),
        (500, vec![1, 2, 4, 8, 16, 32, 64, 128, 245]),
    ];
    for (n, want) in cases {
        assert_eq!(slow_start_batches(n, 1), want, "count {n}");
    }
    assert_eq!(slow_start_batches(25, 10), vec![10, 15]);
}

fn rs(replicas: i32) -> ReplicaSet {
    ReplicaSet {
        metadata: ObjectMeta {
            name: Some("web-abc".into()),
            namespace: Some("default".into()),
            uid: Some("rs-uid".into()),
            generation: Some(2),
            owner_references: Some(vec![OwnerReference {
                api_version: "apps/v1".into(),
                kind: "Deployment".into(),
                name: "web".into(),
                uid: "dep-uid".into(),
                controller: Some(true),
                block_owner_deletion: Some(true),
            }]),
            ..Default::default()
        },
        spec: ReplicaSetSpec {
            replicas: Some(replicas),
            min_ready_seconds: Some(0),
            selector: LabelSelector {
                match_labels: Some(labels(&[("app", "x")])),
                ..Default::default()
            },
            template: Some(PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels(&[("app", "x"), ("pod-template-hash", "abc")])),
                    annotations: Some(labels(&[("note", "n")])),
                    ..Default::default()
                }),
                spec: Some(PodSpec {
                    containers: vec![Container {
                        name: "c".into(),
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
            }),
        },
        status: None,
    }
}

#[test]
fn manage_creates_in_slow_start_batches_capped_by_burst() {
    let pods: Vec<Pod> = (0..2).map(|_| p("a").build()).collect();
    let refs: Vec<&Pod> = pods.iter().collect();
    assert_eq!(
        manage_replicas(&rs(12), &refs, &[], ts(0)),
        ManageAction::Create {
            count: 10,
            batches: vec![1, 2, 4, 3]
        }
    );
    assert_eq!(
        manage_replicas(&rs(2), &refs, &[], ts(0)),
        ManageAction::Nothing
    );
    match manage_replicas(&rs(1000), &[], &[], ts(0)) {
        ManageAction::Create { count, .. } => assert_eq!(count, BURST_REPLICAS),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn manage_deletes_least_valuable_pods() {
    let specs = [
        p("running-old"),
        P {
            phase: "Pending",
            ready_since: None,
            ..p("pending")
        },
        P {
            node: "",
            phase: "Pending",
            ready_since: None,
            ..p("unscheduled")
        },
        P {
            ready_since: None,
            ..p("not-ready")
        },
    ];
    let pods: Vec<Pod> = specs.iter().map(P::build).collect();
    let refs: Vec<&Pod> = pods.iter().collect();
    let ManageAction::Delete { pods: victims } = manage_replicas(&rs(1), &refs, &refs, ts(1000))
    else {
        panic!("expected delete");
    };
    let names: Vec<&str> = victims
        .iter()
        .filter_map(|p| p.metadata.name.as_deref())
        .collect();
    assert_eq!(names, ["unscheduled", "pending", "not-ready"]);
}

#[test]
fn deletion_ranking_rules_in_order() {
    let now = ts(100_000);
    // Each case: (a, rank_a, b, rank_b, a goes first?)
    let cases: Vec<(&str, P, usize, P, usize, bool)> = vec![
        (
            "unassigned before assigned",
            P { node: "", ..p("a") },
            0,
            p("b"),
            0,
            true,
        ),
        (
            "pending before running",
            P {
                phase: "Pending",
                ..p("a")
            },
            0,
            p("b"),
            0,
            true,
        ),
        (
            "unknown before running",
            P {
                phase: "Unknown",
                ..p("a")
            },
            0,
            p("b"),
            0,
            true,
        ),
        (
            "pending before unknown",
            P {
                phase: "Pending",
                ..p("a")
            },
            0,
            P {
                phase: "Unknown",
                ..p("b")
            },
            0,
            true,
        ),
        (
            "not ready before ready",
            P {
                ready_since: None,
                ..p("a")
            },
            0,
            p("b"),
            0,
            true,
        ),
        (
            "lower deletion cost first",
            P {
                cost: Some("-5"),
                ..p("a")
            },
            0,
            p("b"),
            0,
            true,
        ),
        (
            "invalid cost counts as zero",
            P {
                cost: Some("+5"),
                ..p("a")
            },
            0,
            P {
                cost: Some("1"),
                ..p("b")
            },
            0,
            true,
        ),
        (
            "cost beats colocation rank",
            P {
                cost: Some("10"),
                ..p("a")
            },
            9,
            p("b"),
            0,
            false,
        ),
        ("more colocated pods first", p("a"), 3, p("b"), 1, true),
        (
            "ready for shorter time first",
            P {
                ready_since: Some(90_000),
                ..p("a")
            },
            0,
            P {
                ready_since: Some(10),
                ..p("b")
            },
            0,
            true,
        ),
        (
            "more restarts first",
            P {
                restarts: 3,
                ..p("a")
            },
            0,
            p("b"),
            0,
            true,
        ),
        (
            "newer first",
            P {
                created: Some(90_000),
                ..p("a")
            },
            0,
            P {
                created: Some(10),
                ..p("b")
            },
            0,
            true,
        ),
        (
            "missing creation time first",
            P {
                created: None,
                ..p("a")
            },
            0,
            p("b"),
            0,
            true,
        ),
        // Same log2 age bucket: order falls back to UID ("uid-a" < "uid-b").
        (
            "same bucket by uid",
            P {
                created: Some(1),
                ..p("b")
            },
            0,
            P {
                created: Some(2),
                ..p("a")
            },
            0,
            false,
        ),
        ("same everything", p("a"), 0, p("b"), 0, false),
    ];
    for (name, a, ra, b, rb, want) in cases {
        assert_eq!(
            delete_before(&a.build(), ra, &b.build(), rb, Some(now)),
            want,
            "{name}"
        );
    }
}

#[test]
fn ranking_counts_colocated_related_pods() {
    let specs = [
        p("x1"),
        P {
            node: "n2",
            ..p("y1")
        },
        P {
            node: "n2",
            ..p("y2")
        },
        P {
            node: "n2",
            ..p("y3")
        },
    ];
    let pods: Vec<Pod> = specs.iter().map(P::build).collect();
    let mine: Vec<&Pod> = vec![&pods[0], &pods[1]];
    let related: Vec<&Pod> = pods.iter().collect();
    let order = rank_pods_for_deletion(&mine, &related, ts(1000));
    assert_eq!(
        order[0].metadata.name.as_deref(),
        Some("y1"),
        "pod on the crowded node goes first"
    );
}

#[test]
fn related_pods_share_the_controller() {
    let a = rs(1);
    let mut b = rs(1);
    b.metadata.name = Some("web-def".into());
    b.metadata.uid = Some("rs2".into());
    b.spec.selector.match_labels = Some(labels(&[("app", "y")]));
    let mut stranger = rs(1);
    stranger.metadata.owner_references = None;
    let px = p("px").build();
    let mut py = p("py").build();
    py.metadata.labels = Some(labels(&[("app", "y")]));
    let related = indirectly_related_pods(&a, &[&a, &b], &[&px, &py]);
    assert_eq!(related.len(), 2);
    assert!(indirectly_related_pods(&stranger, &[&stranger], &[&px]).is_empty());
}

#[test]
fn pod_from_template_matches_upstream() {
    let pod = pod_from_template(&rs(1)).expect("pod");
    assert_eq!(pod.metadata.generate_name.as_deref(), Some("web-abc-"));
    assert_eq!(pod.metadata.name, None);
    assert_eq!(
        pod.metadata.labels,
        Some(labels(&[("app", "x"), ("pod-template-hash", "abc")]))
    );
    assert_eq!(pod.metadata.annotations, Some(labels(&[("note", "n")])));
    let owner = pod
        .metadata
        .owner_references
        .as_ref()
        .and_then(|o| o.first())
        .expect("owner");
    assert_eq!(
        (
            owner.api_version.as_str(),
            owner.kind.as_str(),
            owner.name.as_str(),
            owner.uid.as_str()
        ),
        ("apps/v1", "ReplicaSet", "web-abc", "rs-uid")
    );
    assert_eq!(
        (owner.controller, owner.block_owner_deletion),
        (Some(true), Some(true))
    );
    assert_eq!(
        pod.spec.as_ref().map(|s| s.containers[0].name.as_str()),
        Some("c")
    );

    let mut unlabeled = rs(1);
    if let Some(m) = unlabeled
        .spec
        .template
        .as_mut()
        .and_then(|t| t.metadata.as_mut())
    {
        m.labels = None;
    }
    assert_eq!(
        pod_from_template(&unlabeled).err().as_deref(),
        Some("unable to create pods, no labels")
    );
    let mut long = rs(1);
    long.metadata.name = Some("a".repeat(253));
    assert_eq!(
        pod_from_template(&long)
            .ok()
            .and_then(|p| p.metadata.generate_name)
            .map(|g| g.len()),
        Some(253)
    );
}

#[test]
fn status_counts_and_failure_condition() {
    let mut rsx = rs(3);
    rsx.spec.min_ready_seconds = Some(30);
    let mut partial = p("partial").build();
    partial.metadata.labels = Some(labels(&[("app", "x")]));
    let specs = [
        p("old"),
        P {
            ready_since: Some(990),
            ..p("fresh")
        },
        P {
            ready_since: None,
            ..p("unready")
        },
    ];
    let mut pods: Vec<Pod> = specs.iter().map(P::build).collect();
    for pod in &mut pods {
        pod.metadata.labels = Some(labels(&[
            ("app", "x"),
            ("pod-template-hash", "abc"),
            ("extra", "1"),
        ]));
    }
    let mut dying = p("dying").build();
    dying.metadata.deletion_timestamp = Some(Time(ts(999)));
    let active: Vec<&Pod> = pods.iter().chain([&partial]).collect();
    let s = calculate_status(&rsx, &active, &[&dying], Some("quota exceeded"), ts(1000));
    assert_eq!(s.replicas, 4);
    assert_eq!(s.fully_labeled_replicas, Some(3));
    assert_eq!(s.ready_replicas, Some(3));
    assert_eq!(
        s.available_replicas,
        Some(2),
        "fresh pod is within minReadySeconds"
    );
    assert_eq!(s.terminating_replicas, Some(1));
    let cond = s
        .conditions
        .as_ref()
        .and_then(|c| c.first())
        .expect("failure condition");
    assert_eq!(
        (
            cond.type_.as_deref(),
            cond.status.as_deref(),
            cond.reason.as_deref(),
            cond.message.as_deref()
        ),
        (
            Some("ReplicaFailure"),
            Some("True"),
            Some("FailedDelete"),
            Some("quota exceeded")
        )
    );

    // The condition is sticky while errors continue, and removed after a clean sync.
    rsx.status = Some(s.clone());
    let again = calculate_status(&rsx, &active[..1], &[], Some("other error"), ts(2000));
    let c2 = again
        .conditions
        .as_ref()
        .and_then(|c| c.first())
        .expect("kept");
    assert_eq!(
        (c2.reason.as_deref(), c2.message.as_deref()),
        (Some("FailedDelete"), Some("quota exceeded"))
    );
    let clean = calculate_status(&rsx, &active, &[], None, ts(2000));
    assert_eq!(clean.conditions, None);

    let mut fresh_rs = rs(3);
    fresh_rs.status = None;
    let create_fail = calculate_status(&fresh_rs, &[], &[], Some("forbidden"), ts(0));
    assert_eq!(
        create_fail
            .conditions
            .as_ref()
            .and_then(|c| c[0].reason.as_deref()),
        Some("FailedCreate")
    );
}

#[test]
fn status_update_only_when_changed() {
    let mut r = rs(1);
    let s = calculate_status(&r, &[], &[], None, ts(0));
    let written = status_update(&r, &s).expect("generation not observed yet");
    assert_eq!(written.observed_generation, Some(2));
    r.status = Some(written.clone());
    assert_eq!(status_update(&r, &written), None);
}

#[test]
fn min_ready_requeue() {
    let mut r = rs(2);
    r.spec.min_ready_seconds = Some(15);
    let s = ReplicaSetStatus {
        replicas: 2,
        ready_replicas: Some(2),
        available_replicas: Some(1),
        ..Default::default()
    };
    assert_eq!(
        requeue_for_min_ready(&r, &s, true),
        Some(Duration::from_secs(15))
    );
    assert_eq!(requeue_for_min_ready(&r, &s, false), None);
    let done = ReplicaSetStatus {
        available_replicas: Some(2),
        ..s
    };
    assert_eq!(requeue_for_min_ready(&r, &done, true), None);
}

#[test]
fn terminating_pods_must_be_claimed() {
    let r = rs(1);
    let mut mine = p("mine").build();
    mine.metadata.deletion_timestamp = Some(Time(ts(1)));
    mine.metadata.owner_references = Some(vec![new_controller_ref(
        &r.metadata,
        "apps/v1",
        "ReplicaSet",
    )]);
    let mut orphan = mine.clone();
    orphan.metadata.owner_references = None;
    let got = claimed_terminating_pods(&r, &[&mine, &orphan]);
    assert_eq!(got.len(), 1);
}
