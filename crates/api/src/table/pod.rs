//! Pod rows: upstream's READY / STATUS / RESTARTS logic, which is what users read to tell a
//! crash-looping or image-pull-failing pod from a healthy one, so every branch mirrors
//! upstream's `printPod` (init containers, sidecars, terminating, scheduling gates).

use jiff::Timestamp;
use serde_json::Value;

use super::{age_of, array_at, at, human_duration, int_at, name_of, str_at, timestamp_at};

/// Reason a node controller sets on pods of an unreachable node.
const NODE_LOST: &str = "NodeLost";

/// Keeps the later of the two restart times; a missing time never wins (Go's zero time).
fn keep_latest(latest: &mut Option<Timestamp>, t: Option<Timestamp>) {
    if let Some(t) = t
        && latest.is_none_or(|cur| cur < t)
    {
        *latest = Some(t);
    }
}

fn has_condition(pod: &Value, type_: &str) -> bool {
    array_at(pod, &["status", "conditions"])
        .iter()
        .any(|c| str_at(c, &["type"]) == type_ && str_at(c, &["status"]) == "True")
}

/// Sidecars: init containers with `restartPolicy: Always` keep running next to the app.
fn is_restartable(init_containers: &[Value], name: &str) -> bool {
    init_containers
        .iter()
        .find(|c| str_at(c, &["name"]) == name)
        .is_some_and(|c| str_at(c, &["restartPolicy"]) == "Always")
}

/// "Signal:9" / "ExitCode:1" for a terminated state without a reason.
fn exit_description(terminated: &Value) -> String {
    let signal = int_at(terminated, &["signal"]);
    if signal != 0 {
        format!("Signal:{signal}")
    } else {
        format!("ExitCode:{}", int_at(terminated, &["exitCode"]))
    }
}

pub(super) fn cells(pod: &Value, now: Timestamp) -> Vec<Value> {
    let init_containers = array_at(pod, &["spec", "initContainers"]);
    let mut restarts = 0i64;
    let mut sidecar_restarts = 0i64;
    let mut total = array_at(pod, &["spec", "containers"]).len();
    let mut ready = 0usize;
    let mut last_restart: Option<Timestamp> = None;
    let mut last_sidecar_restart: Option<Timestamp> = None;

    let phase = str_at(pod, &["status", "phase"]);
    let mut reason = match str_at(pod, &["status", "reason"]) {
        "" => phase.to_string(),
        r => r.to_string(),
    };
    let gated = array_at(pod, &["status", "conditions"]).iter().any(|c| {
        str_at(c, &["type"]) == "PodScheduled" && str_at(c, &["reason"]) == "SchedulingGated"
    });
    if gated {
        reason = "SchedulingGated".to_string();
    }

    total += init_containers
        .iter()
        .filter(|c| str_at(c, &["restartPolicy"]) == "Always")
        .count();

    let mut initializing = false;
    for (i, status) in array_at(pod, &["status", "initContainerStatuses"])
        .iter()
        .enumerate()
    {
        let count = int_at(status, &["restartCount"]);
        let finished = timestamp_at(status, &["lastState", "terminated", "finishedAt"]);
        restarts += count;
        keep_latest(&mut last_restart, finished);
        let sidecar = is_restartable(init_containers, str_at(status, &["name"]));
        if sidecar {
            sidecar_restarts += count;
            keep_latest(&mut last_sidecar_restart, finished);
        }
        let terminated = at(status, &["state", "terminated"]);
        let waiting_reason = str_at(status, &["state", "waiting", "reason"]);
        if terminated.is_some_and(|t| int_at(t, &["exitCode"]) == 0) {
            continue;
        }
        if sidecar && at(status, &["started"]).and_then(Value::as_bool) == Some(true) {
            if at(status, &["ready"]).and_then(Value::as_bool) == Some(true) {
                ready += 1;
            }
            continue;
        }
        reason = if let Some(t) = terminated {
            match str_at(t, &["reason"]) {
                "" => format!("Init:{}", exit_description(t)),
                r => format!("Init:{r}"),
            }
        } else if !waiting_reason.is_empty() && waiting_reason != "PodInitializing" {
            format!("Init:{waiting_reason}")
        } else {
            format!("Init:{i}/{}", init_containers.len())
        };
        initializing = true;
        break;
    }

    if !initializing || has_condition(pod, "Initialized") {
        restarts = sidecar_restarts;
        last_restart = last_sidecar_restart;
        let mut has_running = false;
        for status in array_at(pod, &["status", "containerStatuses"]).iter().rev() {
            restarts += int_at(status, &["restartCount"]);
            keep_latest(
                &mut last_restart,
                timestamp_at(status, &["lastState", "terminated", "finishedAt"]),
            );
            let waiting_reason = str_at(status, &["state", "waiting", "reason"]);
            let terminated = at(status, &["state", "terminated"]);
            if !waiting_reason.is_empty() {
                reason = waiting_reason.to_string();
            } else if let Some(t) = terminated {
                reason = match str_at(t, &["reason"]) {
                    "" => exit_description(t),
                    r => r.to_string(),
                };
            } else if at(status, &["ready"]).and_then(Value::as_bool) == Some(true)
                && at(status, &["state", "running"]).is_some()
            {
                has_running = true;
                ready += 1;
            }
        }
        // A finished container next to a running one does not make the pod "Completed".
        if reason == "Completed" && has_running {
            reason = if has_condition(pod, "Ready") {
                "Running".to_string()
            } else {
                "NotReady".to_string()
            };
        }
    }

    let deleting = at(pod, &["metadata", "deletionTimestamp"]).is_some();
    if deleting && str_at(pod, &["status", "reason"]) == NODE_LOST {
        reason = "Unknown".to_string();
    } else if deleting && phase != "Failed" && phase != "Succeeded" {
        reason = "Terminating".to_string();
    }

    let restarts_cell = match last_restart {
        Some(t) if restarts != 0 => {
            format!("{restarts} ({} ago)", human_duration(now.duration_since(t)))
        }
        _ => restarts.to_string(),
    };

    // Upstream's v1 conversion makes `podIP`, when set, the first of `podIPs`.
    let pod_ip = match str_at(pod, &["status", "podIP"]) {
        "" => at(pod, &["status", "podIPs"])
            .and_then(|ips| ips.get(0))
            .map_or("", |ip| str_at(ip, &["ip"])),
        ip => ip,
    };
    let or_none = |s: &str| {
        if s.is_empty() {
            "<none>".to_string()
        } else {
            s.to_string()
        }
    };
    let gates = array_at(pod, &["spec", "readinessGates"]);
    let readiness_gates = if gates.is_empty() {
        "<none>".to_string()
    } else {
        let conditions = array_at(pod, &["status", "conditions"]);
        let true_count = gates
            .iter()
            .filter(|g| {
                let wanted = str_at(g, &["conditionType"]);
                conditions
                    .iter()
                    .find(|c| str_at(c, &["type"]) == wanted)
                    .is_some_and(|c| str_at(c, &["status"]) == "True")
            })
            .count();
        format!("{true_count}/{}", gates.len())
    };

    vec![
        name_of(pod),
        Value::String(format!("{ready}/{total}")),
        Value::String(reason),
        Value::String(restarts_cell),
        age_of(pod, now),
        Value::String(or_none(pod_ip)),
        Value::String(or_none(str_at(pod, &["spec", "nodeName"]))),
        Value::String(or_none(str_at(pod, &["status", "nominatedNodeName"]))),
        Value::String(readiness_gates),
    ]
}
