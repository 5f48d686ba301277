use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{
    Container, Pod, PodCondition, PodReadinessGate, PodSpec, PodStatus, Probe,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use serde_json::{Value, json};

use super::*;
use crate::clock::after;
use crate::probe::ProbeKind;
use crate::record::{ContainerRecord, Instance, Waiting};
use crate::runtime::ContainerState as RuntimeState;

fn at(secs: u64) -> Timestamp {
    after(Timestamp::UNIX_EPOCH, Duration::from_secs(secs))
}

fn container(name: &str, image: &str) -> Container {
    Container {
        name: name.to_string(),
        image: Some(image.to_string()),
        ..Container::default()
    }
}

fn pod(policy: &str, init: Vec<Container>, containers: Vec<Container>) -> Pod {
    Pod {
        metadata: ObjectMeta {
            name: Some("web".to_string()),
            namespace: Some("default".to_string()),
            uid: Some("1234".to_string()),
            ..ObjectMeta::default()
        },
        spec: Some(PodSpec {
            restart_policy: Some(policy.to_string()),
            init_containers: (!init.is_empty()).then_some(init),
            containers,
            ..PodSpec::default()
        }),
        status: None,
    }
}

fn instance(n: u32, image: &str, state: RuntimeState) -> Instance {
    Instance {
        id: format!("c{n}"),
        container_id: format!("hollow://c{n}"),
        image: format!("docker.io/library/{image}"),
        image_id: format!("docker.io/library/{image}@sha256:ff"),
        state,
    }
}

fn running_record(name: &str, image: &str, started: u64, spec: &Container) -> ContainerRecord {
    let mut r = ContainerRecord::new(name);
    r.started_instance(
        instance(
            0,
            image,
            RuntimeState::Running {
                started_at: at(started),
            },
        ),
        spec,
    );
    r
}

fn exited(code: i32, started: u64, finished: u64) -> RuntimeState {
    RuntimeState::Exited {
        started_at: Some(at(started)),
        finished_at: at(finished),
        exit_code: code,
        reason: if code == 0 { "Completed" } else { "Error" }.to_string(),
        message: None,
    }
}

struct Case<'a> {
    pod: &'a Pod,
    init: &'a [ContainerRecord],
    containers: &'a [ContainerRecord],
    sandbox: bool,
    terminating: bool,
    previous: Option<&'a PodStatus>,
}

fn render(c: Case<'_>) -> Value {
    let ips = if c.sandbox {
        vec!["10.244.0.5".to_string()]
    } else {
        vec![]
    };
    let status = generate(&PodView {
        pod: c.pod,
        init: c.init,
        containers: c.containers,
        sandbox_ready: c.sandbox,
        pod_ips: &ips,
        host_ip: "172.16.0.2",
        start_time: Some(at(100)),
        terminating: c.terminating,
        previous: c.previous,
        now: at(200),
    });
    serde_json::to_value(status).unwrap_or_default()
}

fn case<'a>(pod: &'a Pod, containers: &'a [ContainerRecord]) -> Case<'a> {
    Case {
        pod,
        init: &[],
        containers,
        sandbox: true,
        terminating: false,
        previous: None,
    }
}

/// `(type, status, reason, message)` of each condition, in order.
fn conditions(status: &Value) -> Vec<(String, String, String, String)> {
    let s = |v: &Value, k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    status["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            (
                s(c, "type"),
                s(c, "status"),
                s(c, "reason"),
                s(c, "message"),
            )
        })
        .collect()
}

fn cond(t: &str, s: &str, r: &str, m: &str) -> (String, String, String, String) {
    (t.to_string(), s.to_string(), r.to_string(), m.to_string())
}

/// A pod just bound: no sandbox yet, the container waits in ContainerCreating.
#[test]
fn fresh_pod_is_pending_container_creating() {
    let p = pod("Always", vec![], vec![container("app", "nginx")]);
    let records = [ContainerRecord::new("app")];
    let status = render(Case {
        sandbox: false,
        ..case(&p, &records)
    });
    let t = "1970-01-01T00:03:20Z";
    assert_eq!(
        status,
        json!({
            "conditions": [
                {"lastTransitionTime": t, "status": "False", "type": "PodReadyToStartContainers"},
                {"lastTransitionTime": t, "status": "True", "type": "Initialized"},
                {"lastTransitionTime": t, "message": "containers with unready status: [app]",
                 "reason": "ContainersNotReady", "status": "False", "type": "Ready"},
                {"lastTransitionTime": t, "message": "containers with unready status: [app]",
                 "reason": "ContainersNotReady", "status": "False", "type": "ContainersReady"},
                {"lastTransitionTime": t, "status": "True", "type": "PodScheduled"},
            ],
            "containerStatuses": [{
                "image": "nginx",
                "imageID": "",
                "lastState": {},
                "name": "app",
                "ready": false,
                "restartCount": 0,
                "started": false,
                "state": {"waiting": {"reason": "ContainerCreating"}},
            }],
            "hostIP": "172.16.0.2",
            "hostIPs": [{"ip": "172.16.0.2"}],
            "phase": "Pending",
            "qosClass": "BestEffort",
            "startTime": "1970-01-01T00:01:40Z",
        })
    );
}

#[test]
fn running_and_ready() {
    let spec = container("app", "nginx:1.14.2");
    let p = pod("Always", vec![], vec![spec.clone()]);
    let records = [running_record("app", "nginx:1.14.2", 150, &spec)];
    let status = render(case(&p, &records));
    assert_eq!(status["phase"], "Running");
    assert_eq!(status["podIP"], "10.244.0.5");
    assert_eq!(status["podIPs"], json!([{"ip": "10.244.0.5"}]));
    assert_eq!(
        conditions(&status),
        vec![
            cond("PodReadyToStartContainers", "True", "", ""),
            cond("Initialized", "True", "", ""),
            cond("Ready", "True", "", ""),
            cond("ContainersReady", "True", "", ""),
            cond("PodScheduled", "True", "", ""),
        ]
    );
    assert_eq!(
        status["containerStatuses"][0],
        json!({
            "containerID": "hollow://c0",
            "image": "docker.io/library/nginx:1.14.2",
            "imageID": "docker.io/library/nginx:1.14.2@sha256:ff",
            "lastState": {},
            "name": "app",
            "ready": true,
            "restartCount": 0,
            "started": true,
            "state": {"running": {"startedAt": "1970-01-01T00:02:30Z"}},
        })
    );
}

/// Readiness probe not yet passed: running, started, not ready.
#[test]
fn running_but_not_ready_until_the_probe_passes() {
    let spec = Container {
        readiness_probe: Some(Probe {
            initial_delay_seconds: Some(30),
            ..Probe::default()
        }),
        ..container("app", "nginx")
    };
    let p = pod("Always", vec![], vec![spec.clone()]);
    let mut records = [running_record("app", "nginx", 150, &spec)];
    let status = render(case(&p, &records));
    assert_eq!(status["phase"], "Running");
    assert_eq!(status["containerStatuses"][0]["ready"], false);
    assert_eq!(status["containerStatuses"][0]["started"], true);
    assert_eq!(
        conditions(&status)[2],
        cond(
            "Ready",
            "False",
            "ContainersNotReady",
            "containers with unready status: [app]"
        )
    );
    for p in records[0]
        .probes
        .iter_mut()
        .filter(|p| p.kind == ProbeKind::Readiness)
    {
        p.record(true, at(180));
    }
    let status = render(case(&p, &records));
    assert_eq!(status["containerStatuses"][0]["ready"], true);
    assert_eq!(conditions(&status)[2], cond("Ready", "True", "", ""));
}

#[test]
fn image_pull_back_off_stays_pending() {
    let p = pod("Always", vec![], vec![container("app", "nginx:1.161")]);
    let mut r = ContainerRecord::new("app");
    r.waiting = Some(Waiting {
        reason: "ImagePullBackOff".to_string(),
        message: Some(
            "Back-off pulling image \"nginx:1.161\": ErrImagePull: not found".to_string(),
        ),
    });
    let records = [r];
    let status = render(case(&p, &records));
    assert_eq!(status["phase"], "Pending");
    assert_eq!(
        status["containerStatuses"][0]["state"],
        json!({"waiting": {
            "message": "Back-off pulling image \"nginx:1.161\": ErrImagePull: not found",
            "reason": "ImagePullBackOff",
        }})
    );
    assert_eq!(status["containerStatuses"][0]["image"], "nginx:1.161");
    assert_eq!(status["containerStatuses"][0]["ready"], false);
    assert_eq!(
        conditions(&status)[2],
        cond(
            "Ready",
            "False",
            "ContainersNotReady",
            "containers with unready status: [app]"
        )
    );
}

/// Crash-looping under `Always`: phase Running, waiting CrashLoopBackOff, the exited run
/// in lastState, and the run before that forgotten.
#[test]
fn crash_loop_back_off() {
    let spec = container("app", "busybox");
    let p = pod("Always", vec![], vec![spec.clone()]);
    let mut r = running_record("app", "busybox", 100, &spec);
    r.observe(exited(1, 100, 101));
    r.started_instance(
        instance(
            1,
            "busybox",
            RuntimeState::Running {
                started_at: at(101),
            },
        ),
        &spec,
    );
    r.observe(exited(1, 101, 102));
    r.waiting = Some(Waiting {
        reason: "CrashLoopBackOff".to_string(),
        message: Some(
            "back-off 10s restarting failed container=app pod=web_default(1234)".to_string(),
        ),
    });
    let records = [r];
    let status = render(case(&p, &records));
    assert_eq!(status["phase"], "Running");
    assert_eq!(
        status["containerStatuses"][0],
        json!({
            "containerID": "hollow://c1",
            "image": "docker.io/library/busybox",
            "imageID": "docker.io/library/busybox@sha256:ff",
            "lastState": {"terminated": {
                "containerID": "hollow://c1",
                "exitCode": 1,
                "finishedAt": "1970-01-01T00:01:42Z",
                "reason": "Error",
                "startedAt": "1970-01-01T00:01:41Z",
            }},
            "name": "app",
            "ready": false,
            "restartCount": 1,
            "started": false,
            "state": {"waiting": {
                "message": "back-off 10s restarting failed container=app pod=web_default(1234)",
                "reason": "CrashLoopBackOff",
            }},
        })
    );
    // Between the exit and the restart decision (no reason recorded yet) it shows the
    // termination itself, and the run before it as lastState.
    let mut r = records[0].clone();
    r.waiting = None;
    let status = render(case(&p, std::slice::from_ref(&r)));
    assert_eq!(
        status["containerStatuses"][0]["state"]["terminated"]["exitCode"],
        1
    );
    assert_eq!(
        status["containerStatuses"][0]["lastState"]["terminated"]["containerID"],
        "hollow://c0"
    );
}

#[test]
fn completion_phases_by_restart_policy() {
    let spec = container("app", "busybox");
    let cases = [
        (
            "Never",
            0,
            false,
            "Succeeded",
            ("False", "PodCompleted"),
            ("True", "PodCompleted"),
        ),
        (
            "Never",
            1,
            false,
            "Failed",
            ("False", "PodFailed"),
            ("True", ""),
        ),
        (
            "OnFailure",
            0,
            false,
            "Succeeded",
            ("False", "PodCompleted"),
            ("True", "PodCompleted"),
        ),
        (
            "OnFailure",
            1,
            false,
            "Running",
            ("False", "ContainersNotReady"),
            ("True", ""),
        ),
        (
            "Always",
            0,
            false,
            "Running",
            ("False", "ContainersNotReady"),
            ("True", ""),
        ),
        // Deleted pods end terminal whatever the policy.
        (
            "Always",
            0,
            true,
            "Succeeded",
            ("False", "PodCompleted"),
            ("True", "PodCompleted"),
        ),
        (
            "Always",
            137,
            true,
            "Failed",
            ("False", "PodFailed"),
            ("True", ""),
        ),
    ];
    for (policy, code, terminating, phase, ready, init) in cases {
        let p = pod(policy, vec![], vec![spec.clone()]);
        let mut r = running_record("app", "busybox", 100, &spec);
        r.observe(exited(code, 100, 150));
        let records = [r];
        let status = render(Case {
            terminating,
            ..case(&p, &records)
        });
        let label = format!("{policy} exit {code} terminating={terminating}");
        assert_eq!(status["phase"], phase, "{label}");
        let conds = conditions(&status);
        assert_eq!((conds[2].1.as_str(), conds[2].2.as_str()), ready, "{label}");
        assert_eq!((conds[1].1.as_str(), conds[1].2.as_str()), init, "{label}");
        let reason = if code == 0 { "Completed" } else { "Error" };
        assert_eq!(
            status["containerStatuses"][0]["state"]["terminated"]["reason"], reason,
            "{label}"
        );
    }
}

#[test]
fn init_containers_gate_the_pod() {
    let init = container("init", "busybox");
    let app = container("app", "nginx");
    let p = pod("Always", vec![init.clone()], vec![app.clone()]);
    // Init running: Pending, not initialized, app waiting PodInitializing.
    let init_records = [running_record("init", "busybox", 100, &init)];
    let records = [ContainerRecord::new("app")];
    let status = render(Case {
        init: &init_records,
        ..case(&p, &records)
    });
    assert_eq!(status["phase"], "Pending");
    assert_eq!(
        conditions(&status)[1],
        cond(
            "Initialized",
            "False",
            "ContainersNotInitialized",
            "containers with incomplete status: [init]"
        )
    );
    assert_eq!(
        status["containerStatuses"][0]["state"],
        json!({"waiting": {"reason": "PodInitializing"}})
    );
    assert_eq!(status["initContainerStatuses"][0]["ready"], false);

    // Init done (exit 0), app running: initialized, init ready, phase Running.
    let mut done = init_records[0].clone();
    done.observe(exited(0, 100, 110));
    let init_records = [done];
    let records = [running_record("app", "nginx", 111, &app)];
    let status = render(Case {
        init: &init_records,
        ..case(&p, &records)
    });
    assert_eq!(status["phase"], "Running");
    assert_eq!(conditions(&status)[1], cond("Initialized", "True", "", ""));
    assert_eq!(status["initContainerStatuses"][0]["ready"], true);
    assert_eq!(status["initContainerStatuses"][0]["started"], false);

    // Init failed under Never: the pod failed.
    let p = pod("Never", vec![init.clone()], vec![app]);
    let mut failed = running_record("init", "busybox", 100, &init);
    failed.observe(exited(1, 100, 110));
    let init_records = [failed];
    let records = [ContainerRecord::new("app")];
    let status = render(Case {
        init: &init_records,
        ..case(&p, &records)
    });
    assert_eq!(status["phase"], "Failed");
}

#[test]
fn transition_times_and_foreign_conditions() {
    let mut p = pod(
        "Always",
        vec![],
        vec![container("b", "nginx"), container("a", "nginx")],
    );
    if let Some(spec) = p.spec.as_mut() {
        spec.readiness_gates = Some(vec![PodReadinessGate {
            condition_type: "example.com/lb".to_string(),
        }]);
    }
    p.status = Some(PodStatus {
        conditions: Some(vec![
            PodCondition {
                type_: "example.com/lb".to_string(),
                status: "False".to_string(),
                ..PodCondition::default()
            },
            PodCondition {
                type_: "PodScheduled".to_string(),
                status: "True".to_string(),
                last_transition_time: Some(Time(at(5))),
                ..PodCondition::default()
            },
        ]),
        ..PodStatus::default()
    });
    let a = container("a", "nginx");
    let b = container("b", "nginx");
    let records = [
        running_record("b", "nginx", 100, &b),
        ContainerRecord::new("a"),
    ];
    let previous = PodStatus {
        conditions: Some(vec![PodCondition {
            type_: "Initialized".to_string(),
            status: "True".to_string(),
            last_transition_time: Some(Time(at(7))),
            ..PodCondition::default()
        }]),
        ..PodStatus::default()
    };
    let status = render(Case {
        previous: Some(&previous),
        ..case(&p, &records)
    });
    // Sorted by name.
    assert_eq!(status["containerStatuses"][0]["name"], "a");
    assert_eq!(status["containerStatuses"][1]["name"], "b");
    let conds = conditions(&status);
    assert_eq!(conds[0], cond("example.com/lb", "False", "", ""));
    assert_eq!(
        conds[3],
        cond(
            "Ready",
            "False",
            "ContainersNotReady",
            "containers with unready status: [a]"
        )
    );
    let times: Vec<&str> = status["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| c["lastTransitionTime"].as_str().unwrap_or("-"))
        .collect();
    // The foreign condition is untouched; Initialized keeps the previous time; the rest
    // changed now.
    assert_eq!(
        times,
        vec![
            "-",
            "1970-01-01T00:03:20Z",
            "1970-01-01T00:00:07Z",
            "1970-01-01T00:03:20Z",
            "1970-01-01T00:03:20Z",
            "1970-01-01T00:03:20Z"
        ]
    );

    // All containers ready but the gate is False: Ready stays False with upstream's text.
    let records = [
        running_record("b", "nginx", 100, &b),
        running_record("a", "nginx", 100, &a),
    ];
    let status = render(case(&p, &records));
    let conds = conditions(&status);
    assert_eq!(
        conds[3],
        cond(
            "Ready",
            "False",
            "ReadinessGatesNotReady",
            "the status of pod readiness gate \"example.com/lb\" is not \"True\", but False"
        )
    );
    assert_eq!(conds[4], cond("ContainersReady", "True", "", ""));
    // PodScheduled keeps the scheduler's transition time.
    assert_eq!(
        status["conditions"][5]["lastTransitionTime"],
        "1970-01-01T00:00:05Z"
    );
}

#[test]
fn terminal_phase_is_never_left() {
    let spec = container("app", "busybox");
    let mut p = pod("Never", vec![], vec![spec.clone()]);
    p.status = Some(PodStatus {
        phase: Some("Succeeded".to_string()),
        ..PodStatus::default()
    });
    let records = [running_record("app", "busybox", 100, &spec)];
    let status = render(case(&p, &records));
    assert_eq!(status["phase"], "Succeeded");
}
