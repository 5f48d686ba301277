//! What the agent remembers about each container of a pod, and the pure decisions over it.
//!
//! A record holds the latest runtime instance, the previous instance's termination
//! (`lastState`), the restart count, the last start failure (upstream's "reason cache":
//! `ErrImagePull`, `ImagePullBackOff`, `CrashLoopBackOff`, …), the two back-offs and the
//! probe trackers of the current instance. Deciding whether to restart, whether a back-off
//! holds, and what `started`/`ready` are happens here, with the clock passed in, so the
//! pod worker only executes and the status generator only reads.

use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Container, ContainerStateTerminated, ContainerStatus};

use crate::backoff::Backoff;
use crate::clock::go_duration;
use crate::probe::{ProbeKind, ProbeState, ProbeTiming, ProbeTracker};
use crate::runtime::ContainerState;

pub const CRASH_LOOP_BACK_OFF: &str = "CrashLoopBackOff";
pub const IMAGE_PULL_BACK_OFF: &str = "ImagePullBackOff";
pub const ERR_IMAGE_PULL: &str = "ErrImagePull";
pub const ERR_IMAGE_NEVER_PULL: &str = "ErrImageNeverPull";
pub const CREATE_CONTAINER_ERROR: &str = "CreateContainerError";
pub const CREATE_CONTAINER_CONFIG_ERROR: &str = "CreateContainerConfigError";
pub const RUN_CONTAINER_ERROR: &str = "RunContainerError";

/// `restartPolicy` as it applies to one container.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Restart {
    Always,
    OnFailure,
    Never,
}

impl Restart {
    /// Regular containers follow the pod; init containers retry on failure unless the pod
    /// is `Never`; an init container with its own `restartPolicy: Always` is a sidecar.
    pub fn of(pod_policy: Option<&str>, container: &Container, is_init: bool) -> Self {
        if is_init && container.restart_policy.as_deref() == Some("Always") {
            return Restart::Always;
        }
        match (pod_policy, is_init) {
            (Some("Never"), _) => Restart::Never,
            (_, true) | (Some("OnFailure"), false) => Restart::OnFailure,
            _ => Restart::Always,
        }
    }
}

/// A terminated instance, as shown in `state.terminated` / `lastState.terminated`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Terminated {
    pub exit_code: i32,
    pub reason: String,
    pub message: Option<String>,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    pub container_id: Option<String>,
}

/// A start failure or back-off, shown as `state.waiting`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waiting {
    pub reason: String,
    pub message: Option<String>,
}

/// One runtime container instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instance {
    /// The runtime's ID.
    pub id: String,
    /// `<runtime>://<id>`, the status's `containerID`.
    pub container_id: String,
    pub image: String,
    pub image_id: String,
    pub state: ContainerState,
}

impl Instance {
    pub fn terminated(&self) -> Option<Terminated> {
        match &self.state {
            ContainerState::Exited {
                started_at,
                finished_at,
                exit_code,
                reason,
                message,
            } => Some(Terminated {
                exit_code: *exit_code,
                reason: reason.clone(),
                message: message.clone(),
                started_at: *started_at,
                finished_at: Some(*finished_at),
                container_id: Some(self.container_id.clone()),
            }),
            _ => None,
        }
    }
}

/// What a gate tells the worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gate {
    Proceed,
    /// Held back until this time (the record's `waiting` says why).
    WaitUntil(Timestamp),
}

#[derive(Clone, Debug, Default)]
pub struct ContainerRecord {
    pub name: String,
    pub restart_count: i32,
    pub current: Option<Instance>,
    pub last_termination: Option<Terminated>,
    pub waiting: Option<Waiting>,
    pub crash_backoff: Backoff,
    pub pull_backoff: Backoff,
    /// `ErrImagePull: <message>` of the last failed pull, appended to back-off messages.
    pub prev_pull_error: Option<String>,
    pub probes: Vec<ProbeTracker>,
    /// Set when the agent killed the instance (liveness/startup failure): it is restarted
    /// whatever its exit code, unless the policy is `Never`.
    pub kill_reason: Option<String>,
}

impl ContainerRecord {
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_string(),
            ..Self::default()
        }
    }

    /// A record for a pod this agent finds already running (after an agent restart): the
    /// runtime no longer has its containers, so like upstream a container that was running
    /// is reported as terminated with `ContainerStatusUnknown` and counted as restarted.
    pub fn adopted(name: &str, old: Option<&ContainerStatus>) -> Self {
        let mut record = Self::new(name);
        let Some(old) = old else { return record };
        record.restart_count = old.restart_count;
        record.last_termination = old
            .last_state
            .as_ref()
            .and_then(|s| s.terminated.as_ref())
            .map(terminated_from_api);
        let state = old.state.as_ref();
        if state.is_some_and(|s| s.running.is_some()) {
            record.restart_count += 1;
            record.last_termination = Some(Terminated {
                exit_code: 137,
                reason: "ContainerStatusUnknown".to_string(),
                message: Some(
                    "The container could not be located when the pod was deleted.  \
                     The container used to be Running"
                        .to_string(),
                ),
                started_at: None,
                finished_at: None,
                container_id: None,
            });
        } else if let Some(t) = state.and_then(|s| s.terminated.as_ref()) {
            record.last_termination = Some(terminated_from_api(t));
        }
        record
    }

    pub fn running(&self) -> bool {
        matches!(
            self.current.as_ref().map(|i| &i.state),
            Some(ContainerState::Running { .. })
        )
    }

    /// The current instance's termination, if it has exited.
    pub fn exited(&self) -> Option<Terminated> {
        self.current.as_ref().and_then(Instance::terminated)
    }

    fn probe(&self, kind: ProbeKind) -> Option<&ProbeTracker> {
        self.probes.iter().find(|p| p.kind == kind)
    }

    /// Running and past its startup probe (if any).
    pub fn started(&self) -> bool {
        self.running()
            && self
                .probe(ProbeKind::Startup)
                .is_none_or(|p| p.state() == ProbeState::Success)
    }

    /// Started and passing its readiness probe (if any).
    pub fn ready(&self) -> bool {
        self.started()
            && self
                .probe(ProbeKind::Readiness)
                .is_none_or(|p| p.state() == ProbeState::Success)
    }

    /// Upstream `ShouldContainerBeRestarted` (the pod is not being deleted).
    pub fn should_start(&self, policy: Restart) -> bool {
        let Some(instance) = &self.current else {
            return true;
        };
        let Some(t) = instance.terminated() else {
            return false;
        };
        match policy {
            Restart::Never => false,
            _ if self.kill_reason.is_some() => true,
            Restart::Always => true,
            Restart::OnFailure => t.exit_code != 0,
        }
    }

    /// The crash-restart back-off for an exited instance about to be restarted: either
    /// holds it (`CrashLoopBackOff`, message like upstream's) or arms the next delay.
    /// `pod` is upstream's `name_namespace(uid)`.
    pub fn crash_gate(&mut self, pod: &str, now: Timestamp) -> Gate {
        let Some(finished) = self.exited().and_then(|t| t.finished_at) else {
            return Gate::Proceed;
        };
        if self.crash_backoff.in_backoff_since(finished, now) {
            let delay = self.crash_backoff.delay().unwrap_or(Duration::ZERO);
            self.waiting = Some(Waiting {
                reason: CRASH_LOOP_BACK_OFF.to_string(),
                message: Some(format!(
                    "back-off {} restarting failed container={} pod={pod}",
                    go_duration(delay),
                    self.name
                )),
            });
            return Gate::WaitUntil(self.crash_backoff.retry_after(finished).unwrap_or(now));
        }
        self.crash_backoff.next(finished, now);
        Gate::Proceed
    }

    /// The image-pull back-off: holds a pull with `ImagePullBackOff` while it lasts.
    /// `image` is the reference with its default tag (`nginx:latest`).
    pub fn pull_gate(&mut self, image: &str, now: Timestamp) -> Gate {
        if !self.pull_backoff.in_backoff_since_update(now) {
            return Gate::Proceed;
        }
        let mut message = format!("Back-off pulling image \"{image}\"");
        if let Some(previous) = &self.prev_pull_error {
            message.push_str(": ");
            message.push_str(previous);
        }
        self.waiting = Some(Waiting {
            reason: IMAGE_PULL_BACK_OFF.to_string(),
            message: Some(message),
        });
        Gate::WaitUntil(self.pull_backoff.retry_after_update().unwrap_or(now))
    }

    pub fn pull_failed(&mut self, message: &str, now: Timestamp) {
        self.pull_backoff.next(now, now);
        self.waiting = Some(Waiting {
            reason: ERR_IMAGE_PULL.to_string(),
            message: Some(message.to_string()),
        });
        self.prev_pull_error = Some(format!("{ERR_IMAGE_PULL}: {message}"));
    }

    /// A start step failed with an upstream reason (`CreateContainerError`, …).
    pub fn start_failed(&mut self, reason: &str, message: &str) {
        self.waiting = Some(Waiting {
            reason: reason.to_string(),
            message: Some(message.to_string()),
        });
    }

    /// A new instance is running: the previous one becomes `lastState`, the restart count
    /// grows, start failures are forgotten and the probes start over.
    pub fn started_instance(&mut self, instance: Instance, spec: &Container) {
        if let Some(previous) = self.current.take() {
            if let Some(t) = previous.terminated() {
                self.last_termination = Some(t);
            }
            self.restart_count += 1;
        }
        let started_at = match &instance.state {
            ContainerState::Running { started_at } => Some(*started_at),
            _ => None,
        };
        self.probes = started_at.map(|at| trackers(spec, at)).unwrap_or_default();
        self.current = Some(instance);
        self.waiting = None;
        self.kill_reason = None;
        self.prev_pull_error = None;
    }

    /// Takes over an instance an earlier run of the agent started and the runtime still
    /// has: the restart count is the attempt it was created as, `lastState` is what the
    /// API last showed, and the probes start over from the instance's start.
    pub fn adopt_instance(
        &mut self,
        instance: Instance,
        attempt: u32,
        old: Option<&ContainerStatus>,
        spec: &Container,
    ) {
        self.restart_count = i32::try_from(attempt).unwrap_or(i32::MAX);
        self.last_termination = old
            .and_then(|o| o.last_state.as_ref())
            .and_then(|s| s.terminated.as_ref())
            .map(terminated_from_api);
        self.probes = match &instance.state {
            ContainerState::Running { started_at } => trackers(spec, *started_at),
            _ => Vec::new(),
        };
        self.current = Some(instance);
        self.waiting = None;
    }

    /// Applies the runtime's view of the current instance; true when it just exited.
    pub fn observe(&mut self, state: ContainerState) -> bool {
        let Some(instance) = self.current.as_mut() else {
            return false;
        };
        let was_exited = matches!(instance.state, ContainerState::Exited { .. });
        let exited = matches!(state, ContainerState::Exited { .. });
        instance.state = state;
        exited && !was_exited
    }
}

/// The probe trackers of a freshly started instance.
pub fn trackers(spec: &Container, started_at: Timestamp) -> Vec<ProbeTracker> {
    [
        (ProbeKind::Startup, spec.startup_probe.as_ref()),
        (ProbeKind::Readiness, spec.readiness_probe.as_ref()),
        (ProbeKind::Liveness, spec.liveness_probe.as_ref()),
    ]
    .into_iter()
    .filter_map(|(kind, probe)| {
        probe.map(|p| ProbeTracker::new(kind, ProbeTiming::of(p), started_at))
    })
    .collect()
}

fn terminated_from_api(t: &ContainerStateTerminated) -> Terminated {
    Terminated {
        exit_code: t.exit_code,
        reason: t.reason.clone().unwrap_or_default(),
        message: t.message.clone(),
        started_at: t.started_at.as_ref().map(|s| s.0),
        finished_at: t.finished_at.as_ref().map(|s| s.0),
        container_id: t.container_id.clone(),
    }
}

#[cfg(test)]
#[path = "record_tests.rs"]
mod tests;
