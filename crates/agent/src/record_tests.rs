use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{
    Container, ContainerState as ApiState, ContainerStateRunning, ContainerStatus, Probe,
};

use super::*;
use crate::clock::after;

fn at(secs: u64) -> Timestamp {
    after(Timestamp::UNIX_EPOCH, Duration::from_secs(secs))
}

fn spec(readiness: Option<Probe>, startup: Option<Probe>) -> Container {
    Container {
        name: "app".to_string(),
        image: Some("busybox".to_string()),
        readiness_probe: readiness,
        startup_probe: startup,
        ..Container::default()
    }
}

fn running(n: u32, started: u64) -> Instance {
    Instance {
        id: format!("c{n}"),
        container_id: format!("hollow://c{n}"),
        image: "docker.io/library/busybox:latest".to_string(),
        image_id: "docker.io/library/busybox@sha256:00".to_string(),
        state: ContainerState::Running {
            started_at: at(started),
        },
    }
}

fn exit(code: i32, started: u64, finished: u64) -> ContainerState {
    ContainerState::Exited {
        started_at: Some(at(started)),
        finished_at: at(finished),
        exit_code: code,
        reason: if code == 0 { "Completed" } else { "Error" }.to_string(),
        message: None,
    }
}

const POD: &str = "web_default(1234)";

#[test]
fn restart_policy_per_container() {
    let plain = spec(None, None);
    let sidecar = Container {
        restart_policy: Some("Always".to_string()),
        ..spec(None, None)
    };
    let cases = [
        (Some("Always"), &plain, false, Restart::Always),
        (None, &plain, false, Restart::Always),
        (Some("OnFailure"), &plain, false, Restart::OnFailure),
        (Some("Never"), &plain, false, Restart::Never),
        (Some("Always"), &plain, true, Restart::OnFailure),
        (Some("OnFailure"), &plain, true, Restart::OnFailure),
        (Some("Never"), &plain, true, Restart::Never),
        (Some("Never"), &sidecar, true, Restart::Always),
    ];
    for (pod, c, init, want) in cases {
        assert_eq!(Restart::of(pod, c, init), want, "{pod:?} init={init}");
    }
}

#[test]
fn should_start_follows_the_policy() {
    let mut r = ContainerRecord::new("app");
    assert!(r.should_start(Restart::Never), "never started yet");
    r.started_instance(running(0, 0), &spec(None, None));
    assert!(!r.should_start(Restart::Always), "running");
    r.observe(exit(0, 0, 5));
    assert!(r.should_start(Restart::Always));
    assert!(!r.should_start(Restart::OnFailure));
    assert!(!r.should_start(Restart::Never));
    r.observe(exit(2, 0, 5));
    assert!(r.should_start(Restart::OnFailure));
    assert!(!r.should_start(Restart::Never));
    // Killed by the agent (liveness): restarted even with exit code 0, unless Never.
    r.observe(exit(0, 0, 5));
    r.kill_reason = Some("liveness".to_string());
    assert!(r.should_start(Restart::OnFailure));
    assert!(!r.should_start(Restart::Never));
}

/// A container crashing one second after each start: immediate first restart, then
/// CrashLoopBackOff for 10s, 20s, 40s with upstream's message, restart count growing and
/// the previous run in lastState.
#[test]
fn crash_loop_with_a_hand_driven_clock() {
    let c = spec(None, None);
    let mut r = ContainerRecord::new("app");
    r.started_instance(running(0, 0), &c);
    assert!(r.observe(exit(1, 0, 1)), "exit is reported once");
    assert!(!r.observe(exit(1, 0, 1)));
    // First crash: no back-off yet.
    assert!(r.should_start(Restart::Always));
    assert_eq!(r.crash_gate(POD, at(1)), Gate::Proceed);
    r.started_instance(running(1, 1), &c);
    assert_eq!(r.restart_count, 1);
    assert_eq!(r.last_termination.as_ref().map(|t| t.exit_code), Some(1));
    assert_eq!(
        r.last_termination
            .as_ref()
            .and_then(|t| t.container_id.clone()),
        Some("hollow://c0".to_string())
    );

    let mut now = 1;
    let mut messages = Vec::new();
    for n in 2..=4u32 {
        now += 1;
        r.observe(exit(1, now - 1, now));
        let gate = r.crash_gate(POD, at(now));
        let Gate::WaitUntil(until) = gate else {
            panic!("expected back-off, got {gate:?}");
        };
        let waiting = r
            .waiting
            .clone()
            .unwrap_or_else(|| panic!("no waiting reason"));
        assert_eq!(waiting.reason, "CrashLoopBackOff");
        messages.push(waiting.message.unwrap_or_default());
        // Still held a second before, released at the deadline.
        let until_secs = until.as_second() as u64;
        assert!(matches!(
            r.crash_gate(POD, at(until_secs - 1)),
            Gate::WaitUntil(_)
        ));
        now = until_secs;
        assert_eq!(r.crash_gate(POD, at(now)), Gate::Proceed);
        r.started_instance(running(n, now), &c);
        assert_eq!(r.restart_count, n as i32);
        assert_eq!(r.waiting, None);
    }
    assert_eq!(
        messages,
        vec![
            "back-off 10s restarting failed container=app pod=web_default(1234)",
            "back-off 20s restarting failed container=app pod=web_default(1234)",
            "back-off 40s restarting failed container=app pod=web_default(1234)",
        ]
    );
}

/// A failing pull: ErrImagePull with the runtime's text, then ImagePullBackOff carrying
/// it, then another attempt once the 10 s window is over, and a 20 s window after that.
#[test]
fn pull_failures_back_off() {
    let mut r = ContainerRecord::new("app");
    let err = "rpc error: code = NotFound desc = not found";
    assert_eq!(r.pull_gate("nginx:1.161", at(0)), Gate::Proceed);
    r.pull_failed(err, at(0));
    assert_eq!(
        r.waiting,
        Some(Waiting {
            reason: "ErrImagePull".to_string(),
            message: Some(err.to_string()),
        })
    );
    assert_eq!(r.pull_gate("nginx:1.161", at(1)), Gate::WaitUntil(at(10)));
    assert_eq!(
        r.waiting,
        Some(Waiting {
            reason: "ImagePullBackOff".to_string(),
            message: Some(format!(
                "Back-off pulling image \"nginx:1.161\": ErrImagePull: {err}"
            )),
        })
    );
    assert_eq!(r.pull_gate("nginx:1.161", at(10)), Gate::Proceed);
    r.pull_failed(err, at(10));
    assert_eq!(r.pull_gate("nginx:1.161", at(11)), Gate::WaitUntil(at(30)));
    assert_eq!(r.restart_count, 0, "pull failures are not restarts");
    assert_eq!(r.current, None);
}

#[test]
fn started_and_ready_follow_the_probes() {
    let probe = |delay| Probe {
        initial_delay_seconds: Some(delay),
        ..Probe::default()
    };
    // No probes: started and ready as soon as it runs.
    let mut r = ContainerRecord::new("app");
    assert!(!r.started() && !r.ready());
    r.started_instance(running(0, 0), &spec(None, None));
    assert!(r.started() && r.ready());

    // Readiness with a 5 s delay: started at once, ready after the first pass.
    let mut r = ContainerRecord::new("app");
    r.started_instance(running(0, 0), &spec(Some(probe(5)), None));
    assert!(r.started() && !r.ready());
    let readiness = r.probes.iter_mut().find(|p| p.kind == ProbeKind::Readiness);
    let readiness = readiness.unwrap_or_else(|| panic!("no readiness tracker"));
    assert!(!readiness.due(at(4)));
    assert!(readiness.due(at(5)));
    readiness.record(true, at(5));
    assert!(r.ready());
    // Once it exits it is neither.
    r.observe(exit(0, 0, 9));
    assert!(!r.started() && !r.ready());

    // Startup probe gates both.
    let mut r = ContainerRecord::new("app");
    r.started_instance(running(0, 0), &spec(None, Some(probe(0))));
    assert!(!r.started() && !r.ready());
    if let Some(p) = r.probes.iter_mut().find(|p| p.kind == ProbeKind::Startup) {
        p.record(true, at(0));
    }
    assert!(r.started() && r.ready());
}

#[test]
fn adopted_records_count_the_lost_container() {
    let old = ContainerStatus {
        name: "app".to_string(),
        restart_count: 2,
        state: Some(ApiState {
            running: Some(ContainerStateRunning::default()),
            ..ApiState::default()
        }),
        ..ContainerStatus::default()
    };
    let r = ContainerRecord::adopted("app", Some(&old));
    assert_eq!(r.restart_count, 3);
    let last = r
        .last_termination
        .unwrap_or_else(|| panic!("no last termination"));
    assert_eq!(
        (last.exit_code, last.reason.as_str()),
        (137, "ContainerStatusUnknown")
    );
    assert_eq!(ContainerRecord::adopted("app", None).restart_count, 0);
}
