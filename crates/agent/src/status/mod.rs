//! Pod status generation: from the agent's container records to the `PodStatus` it writes.
//!
//! This follows upstream's `generateAPIPodStatus` and `status/generate.go`: each container
//! defaults to `waiting: ContainerCreating` (`PodInitializing` when the pod has init
//! containers), a container the agent still means to start shows its last start failure
//! as the waiting reason and its exited run as `lastState`, the phase comes from counting
//! running/waiting/stopped containers against the restart policy, and the kubelet-owned
//! conditions come last in upstream's order (`PodReadyToStartContainers`, `Initialized`,
//! `Ready`, `ContainersReady`, `PodScheduled`) after any conditions others own. A
//! condition keeps its `lastTransitionTime` while its status stays the same. Pure: the
//! caller passes the clock and the previous status.

pub mod qos;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{
    Container, ContainerState, ContainerStateRunning, ContainerStateTerminated,
    ContainerStateWaiting, ContainerStatus, HostIP, Pod, PodCondition, PodIP, PodSpec, PodStatus,
    VolumeMountStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::record::{ContainerRecord, Restart, Terminated};
use crate::runtime::ContainerState as RuntimeState;

pub const POD_READY_TO_START_CONTAINERS: &str = "PodReadyToStartContainers";
pub const INITIALIZED: &str = "Initialized";
pub const READY: &str = "Ready";
pub const CONTAINERS_READY: &str = "ContainersReady";
pub const POD_SCHEDULED: &str = "PodScheduled";

/// Conditions the kubelet owns; others' conditions are carried over untouched.
const KUBELET_CONDITIONS: [&str; 5] = [
    POD_READY_TO_START_CONTAINERS,
    INITIALIZED,
    READY,
    CONTAINERS_READY,
    POD_SCHEDULED,
];

/// Everything status generation reads.
pub struct PodView<'a> {
    pub pod: &'a Pod,
    /// Records aligned with `spec.initContainers` / `spec.containers`.
    pub init: &'a [ContainerRecord],
    pub containers: &'a [ContainerRecord],
    /// The sandbox exists and its network is up.
    pub sandbox_ready: bool,
    pub pod_ips: &'a [String],
    pub host_ip: &'a str,
    pub start_time: Option<Timestamp>,
    /// The pod is being torn down (deleted): its containers will not be restarted, so it
    /// ends `Succeeded` or `Failed` once they have stopped.
    pub terminating: bool,
    /// The status last written (or the API's), for transition times and terminal phases.
    pub previous: Option<&'a PodStatus>,
    pub now: Timestamp,
}

pub fn generate(view: &PodView<'_>) -> PodStatus {
    let empty = PodSpec::default();
    let spec = view.pod.spec.as_ref().unwrap_or(&empty);
    let policy = spec.restart_policy.as_deref();
    let init_specs = spec.init_containers.as_deref().unwrap_or_default();
    let has_init = !init_specs.is_empty();
    let default_reason = if has_init {
        "PodInitializing"
    } else {
        "ContainerCreating"
    };
    let empty_record = ContainerRecord::default();
    let statuses_of = |specs: &[Container], records: &[ContainerRecord], is_init: bool| {
        specs
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let record = records.get(i).unwrap_or(&empty_record);
                let restart = Restart::of(policy, c, is_init);
                let regular_init = is_init && restart != Restart::Always;
                container_status(
                    c,
                    record,
                    default_reason,
                    restart,
                    regular_init,
                    view.terminating,
                )
            })
            .collect::<Vec<_>>()
    };
    let init_statuses = statuses_of(init_specs, view.init, true);
    let mut statuses = statuses_of(&spec.containers, view.containers, false);
    // Upstream sorts regular container statuses by name; init ones keep spec order.
    statuses.sort_by(|a, b| a.name.cmp(&b.name));

    let mut phase = phase(spec, &init_statuses, &statuses, view.terminating);
    // Pods never leave a terminal phase.
    let api_phase = view.pod.status.as_ref().and_then(|s| s.phase.as_deref());
    let previous_phase = view.previous.and_then(|s| s.phase.as_deref());
    for old in [previous_phase, api_phase].into_iter().flatten() {
        if is_terminal(old) && !is_terminal(phase) {
            phase = if old == "Succeeded" {
                "Succeeded"
            } else {
                "Failed"
            };
        }
    }

    let api_conditions = view.pod.status.as_ref().and_then(|s| s.conditions.as_ref());
    let mut conditions: Vec<PodCondition> = api_conditions
        .into_iter()
        .flatten()
        .filter(|c| !KUBELET_CONDITIONS.contains(&c.type_.as_str()))
        .cloned()
        .collect();
    let all: Vec<&ContainerStatus> = init_statuses.iter().chain(statuses.iter()).collect();
    let containers_ready = containers_ready(spec, &all, phase);
    let ready = pod_ready(spec, &conditions, &containers_ready);
    let mut owned = vec![
        condition(
            POD_READY_TO_START_CONTAINERS,
            view.sandbox_ready,
            None,
            None,
        ),
        initialized(spec, &all, phase),
        ready,
        containers_ready,
        condition(POD_SCHEDULED, true, None, None),
    ];
    let previous_conditions = view
        .previous
        .or(view.pod.status.as_ref())
        .and_then(|s| s.conditions.as_deref())
        .unwrap_or_default();
    for c in &mut owned {
        let kept = previous_conditions
            .iter()
            .find(|old| old.type_ == c.type_ && old.status == c.status)
            .and_then(|old| old.last_transition_time.clone());
        c.last_transition_time = Some(kept.unwrap_or(Time(view.now)));
    }
    conditions.extend(owned);

    let pod_ips: Vec<PodIP> = view
        .pod_ips
        .iter()
        .map(|ip| PodIP { ip: ip.clone() })
        .collect();
    PodStatus {
        phase: Some(phase.to_string()),
        conditions: Some(conditions),
        host_ip: Some(view.host_ip.to_string()),
        host_ips: Some(vec![HostIP {
            ip: view.host_ip.to_string(),
        }]),
        pod_ip: pod_ips.first().map(|p| p.ip.clone()),
        pod_ips: (!pod_ips.is_empty()).then_some(pod_ips),
        start_time: view.start_time.map(Time),
        init_container_statuses: has_init.then_some(init_statuses),
        container_statuses: Some(statuses),
        qos_class: Some(qos::qos_class(spec).to_string()),
        ..PodStatus::default()
    }
}

pub fn is_terminal(phase: &str) -> bool {
    matches!(phase, "Succeeded" | "Failed")
}

fn waiting(reason: Option<&str>, message: Option<&str>) -> ContainerState {
    ContainerState {
        waiting: Some(ContainerStateWaiting {
            reason: reason.map(str::to_string),
            message: message.map(str::to_string),
        }),
        ..ContainerState::default()
    }
}

fn terminated(t: &Terminated) -> ContainerStateTerminated {
    ContainerStateTerminated {
        exit_code: t.exit_code,
        reason: (!t.reason.is_empty()).then(|| t.reason.clone()),
        message: t.message.clone(),
        started_at: t.started_at.map(Time),
        finished_at: t.finished_at.map(Time),
        container_id: t.container_id.clone(),
        ..ContainerStateTerminated::default()
    }
}

/// One container's status (upstream `convertToAPIContainerStatuses` plus the prober's
/// `ready`/`started`).
fn container_status(
    spec: &Container,
    record: &ContainerRecord,
    default_reason: &str,
    restart: Restart,
    regular_init: bool,
    terminating: bool,
) -> ContainerStatus {
    let mut last_state = record.last_termination.as_ref().map(|t| ContainerState {
        terminated: Some(terminated(t)),
        ..ContainerState::default()
    });
    let mut status = ContainerStatus {
        name: spec.name.clone(),
        image: spec.image.clone().unwrap_or_default(),
        restart_count: record.restart_count,
        ..ContainerStatus::default()
    };
    let mut state = match &record.current {
        None => waiting(Some(default_reason), None),
        Some(instance) => {
            status.image = instance.image.clone();
            status.image_id = instance.image_id.clone();
            status.container_id = Some(instance.container_id.clone());
            match &instance.state {
                RuntimeState::Created => waiting(None, None),
                RuntimeState::Running { started_at } => ContainerState {
                    running: Some(ContainerStateRunning {
                        started_at: Some(Time(*started_at)),
                    }),
                    ..ContainerState::default()
                },
                RuntimeState::Exited { .. } => ContainerState {
                    terminated: instance.terminated().as_ref().map(terminated),
                    ..ContainerState::default()
                },
            }
        }
    };
    // A container the agent will start again shows why it has not (yet).
    if !terminating
        && record.should_start(restart)
        && let Some(w) = &record.waiting
    {
        if state.terminated.is_some() {
            last_state = Some(state);
        }
        state = waiting(Some(&w.reason), w.message.as_deref());
    }
    status.ready = if regular_init {
        state.terminated.as_ref().is_some_and(|t| t.exit_code == 0)
    } else {
        record.ready()
    };
    status.started = Some(record.started());
    status.state = Some(state);
    status.last_state = Some(last_state.unwrap_or_default());
    status.volume_mounts = spec.volume_mounts.as_ref().map(|mounts| {
        mounts
            .iter()
            .map(|m| {
                let read_only = m.read_only.unwrap_or(false);
                VolumeMountStatus {
                    name: m.name.clone(),
                    mount_path: m.mount_path.clone(),
                    read_only: read_only.then_some(true),
                    recursive_read_only: read_only.then(|| "Disabled".to_string()),
                    ..VolumeMountStatus::default()
                }
            })
            .collect()
    });
    status
}

fn find<'a>(statuses: &[&'a ContainerStatus], name: &str) -> Option<&'a ContainerStatus> {
    statuses.iter().find(|s| s.name == name).copied()
}

fn is_sidecar(c: &Container) -> bool {
    c.restart_policy.as_deref() == Some("Always")
}

fn st(s: &ContainerStatus) -> ContainerState {
    s.state.clone().unwrap_or_default()
}

fn has_last_termination(s: &ContainerStatus) -> bool {
    s.last_state
        .as_ref()
        .is_some_and(|l| l.terminated.is_some())
}

/// Upstream `getPhase`.
fn phase(
    spec: &PodSpec,
    init: &[ContainerStatus],
    regular: &[ContainerStatus],
    terminal: bool,
) -> &'static str {
    let init_refs: Vec<&ContainerStatus> = init.iter().collect();
    let regular_refs: Vec<&ContainerStatus> = regular.iter().collect();
    let init_specs = spec.init_containers.as_deref().unwrap_or_default();
    let (mut pending_init, mut failed_init) = (0, 0);
    let (mut unknown, mut running, mut waiting, mut stopped, mut succeeded) = (0, 0, 0, 0, 0);
    for c in init_specs {
        let Some(s) = find(&init_refs, &c.name) else {
            if is_sidecar(c) {
                unknown += 1;
            } else {
                pending_init += 1;
            }
            continue;
        };
        let state = st(s);
        if is_sidecar(c) {
            if state.running.is_some() {
                if s.started != Some(true) {
                    pending_init += 1;
                }
                running += 1;
            } else if state.terminated.is_some() || has_last_termination(s) {
                // Stopped sidecars do not count towards the phase.
            } else if state.waiting.is_some() {
                pending_init += 1;
                waiting += 1;
            } else {
                pending_init += 1;
                unknown += 1;
            }
            continue;
        }
        if state.running.is_some() {
            pending_init += 1;
        } else if let Some(t) = &state.terminated {
            if t.exit_code != 0 {
                failed_init += 1;
            }
        } else if state.waiting.is_some() {
            match s.last_state.as_ref().and_then(|l| l.terminated.as_ref()) {
                Some(t) if t.exit_code != 0 => failed_init += 1,
                Some(_) => {}
                None => pending_init += 1,
            }
        } else {
            pending_init += 1;
        }
    }
    for c in &spec.containers {
        let Some(s) = find(&regular_refs, &c.name) else {
            unknown += 1;
            continue;
        };
        let state = st(s);
        if state.running.is_some() {
            running += 1;
        } else if let Some(t) = &state.terminated {
            stopped += 1;
            if t.exit_code == 0 {
                succeeded += 1;
            }
        } else if state.waiting.is_some() {
            if has_last_termination(s) {
                stopped += 1;
            } else {
                waiting += 1;
            }
        } else {
            unknown += 1;
        }
    }
    let policy = spec.restart_policy.as_deref().unwrap_or("Always");
    if failed_init > 0 && policy == "Never" {
        return "Failed";
    }
    let any_regular_started = any_regular_started(spec, &regular_refs);
    if (pending_init > 0 && !any_regular_started) || waiting > 0 {
        return "Pending";
    }
    if running > 0 && unknown == 0 {
        return "Running";
    }
    if running == 0 && stopped > 0 && unknown == 0 {
        if terminal {
            return if stopped == succeeded {
                "Succeeded"
            } else {
                "Failed"
            };
        }
        if policy == "Always" {
            return "Running";
        }
        if stopped == succeeded {
            return "Succeeded";
        }
        if policy == "Never" {
            return "Failed";
        }
        return "Running";
    }
    "Pending"
}

/// Upstream `HasAnyRegularContainerStarted`.
fn any_regular_started(spec: &PodSpec, statuses: &[&ContainerStatus]) -> bool {
    spec.containers.iter().any(|c| {
        find(statuses, &c.name).is_some_and(|s| {
            let state = st(s);
            state.running.is_some() || state.terminated.is_some() || has_last_termination(s)
        })
    })
}

fn condition(type_: &str, ok: bool, reason: Option<&str>, message: Option<String>) -> PodCondition {
    PodCondition {
        type_: type_.to_string(),
        status: if ok { "True" } else { "False" }.to_string(),
        reason: reason.map(str::to_string),
        message,
        ..PodCondition::default()
    }
}

/// Go's `%s` of a string slice: `[a b]`.
fn go_list(names: &[&str]) -> String {
    format!("[{}]", names.join(" "))
}

fn containers_ready(spec: &PodSpec, all: &[&ContainerStatus], phase: &str) -> PodCondition {
    let mut unknown = Vec::new();
    let mut unready = Vec::new();
    let sidecars = spec
        .init_containers
        .iter()
        .flatten()
        .filter(|c| is_sidecar(c));
    for c in sidecars.chain(spec.containers.iter()) {
        match find(all, &c.name) {
            Some(s) if !s.ready => unready.push(c.name.as_str()),
            Some(_) => {}
            None => unknown.push(c.name.as_str()),
        }
    }
    if (phase == "Succeeded" && unknown.is_empty()) || phase == "Failed" {
        let reason = if phase == "Failed" {
            "PodFailed"
        } else {
            "PodCompleted"
        };
        return condition(CONTAINERS_READY, false, Some(reason), None);
    }
    let mut messages = Vec::new();
    if !unknown.is_empty() {
        messages.push(format!(
            "containers with unknown status: {}",
            go_list(&unknown)
        ));
    }
    if !unready.is_empty() {
        messages.push(format!(
            "containers with unready status: {}",
            go_list(&unready)
        ));
    }
    if messages.is_empty() {
        condition(CONTAINERS_READY, true, None, None)
    } else {
        condition(
            CONTAINERS_READY,
            false,
            Some("ContainersNotReady"),
            Some(messages.join(", ")),
        )
    }
}

fn pod_ready(
    spec: &PodSpec,
    others: &[PodCondition],
    containers_ready: &PodCondition,
) -> PodCondition {
    if containers_ready.status != "True" {
        return PodCondition {
            type_: READY.to_string(),
            ..containers_ready.clone()
        };
    }
    let mut messages = Vec::new();
    for gate in spec.readiness_gates.iter().flatten() {
        match others.iter().find(|c| c.type_ == gate.condition_type) {
            None => messages.push(format!(
                "corresponding condition of pod readiness gate \"{}\" does not exist.",
                gate.condition_type
            )),
            Some(c) if c.status != "True" => messages.push(format!(
                "the status of pod readiness gate \"{}\" is not \"True\", but {}",
                gate.condition_type, c.status
            )),
            Some(_) => {}
        }
    }
    if messages.is_empty() {
        condition(READY, true, None, None)
    } else {
        condition(
            READY,
            false,
            Some("ReadinessGatesNotReady"),
            Some(messages.join(", ")),
        )
    }
}

fn initialized(spec: &PodSpec, all: &[&ContainerStatus], phase: &str) -> PodCondition {
    let mut unknown = Vec::new();
    let mut incomplete = Vec::new();
    for c in spec.init_containers.iter().flatten() {
        let Some(s) = find(all, &c.name) else {
            unknown.push(c.name.as_str());
            continue;
        };
        let done = if is_sidecar(c) {
            s.started == Some(true)
        } else {
            s.ready
        };
        if !done {
            incomplete.push(c.name.as_str());
        }
    }
    if phase == "Succeeded" && unknown.is_empty() {
        return condition(INITIALIZED, true, Some("PodCompleted"), None);
    }
    if any_regular_started(spec, all) {
        return condition(INITIALIZED, true, None, None);
    }
    let mut messages = Vec::new();
    if !unknown.is_empty() {
        messages.push(format!(
            "containers with unknown status: {}",
            go_list(&unknown)
        ));
    }
    if !incomplete.is_empty() {
        messages.push(format!(
            "containers with incomplete status: {}",
            go_list(&incomplete)
        ));
    }
    if messages.is_empty() {
        condition(INITIALIZED, true, None, None)
    } else {
        condition(
            INITIALIZED,
            false,
            Some("ContainersNotInitialized"),
            Some(messages.join(", ")),
        )
    }
}

#[cfg(test)]
mod tests;
