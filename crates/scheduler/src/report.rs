//! The objects the scheduler writes, built as pure functions: the `Binding`, the
//! `PodScheduled` condition patch, and the core/v1 Events (`Scheduled`,
//! `FailedScheduling`) as kube-scheduler records them, repeated events folded into one
//! object with a growing `count` so a pod that stays unschedulable does not flood events.

use k8s_openapi::api::core::v1::{Binding, Event, EventSource, ObjectReference, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use serde_json::{Value, json};

/// `PodScheduled` condition reason when no node fits.
pub const REASON_UNSCHEDULABLE: &str = "Unschedulable";
/// `PodScheduled` condition reason when scheduling itself failed (no nodes at all).
pub const REASON_SCHEDULER_ERROR: &str = "SchedulerError";
/// `PodScheduled` condition reason while scheduling gates remain.
pub const REASON_SCHEDULING_GATED: &str = "SchedulingGated";
/// Upstream's message for gated pods.
pub const MESSAGE_SCHEDULING_GATED: &str =
    "Scheduling is blocked due to non-empty scheduling gates";
/// Events are capped at 1024 characters (upstream truncates with ` ...`).
const MAX_MESSAGE: usize = 1024;

/// `Binding` of a pod to a node, for `POST pods/<name>/binding`.
pub fn binding(namespace: &str, name: &str, uid: &str, node: &str) -> Binding {
    Binding {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            namespace: Some(namespace.to_string()),
            uid: Some(uid.to_string()).filter(|u| !u.is_empty()),
            ..ObjectMeta::default()
        },
        target: ObjectReference {
            api_version: Some("v1".to_string()),
            kind: Some("Node".to_string()),
            name: Some(node.to_string()),
            ..ObjectReference::default()
        },
    }
}

/// RFC 3339 at second precision, as the API stores timestamps.
pub fn format_time(t: jiff::Timestamp) -> String {
    jiff::fmt::strtime::format("%Y-%m-%dT%H:%M:%SZ", t).unwrap_or_default()
}

/// Upstream's `truncateMessage`.
pub fn truncate_message(msg: &str) -> String {
    if msg.len() <= MAX_MESSAGE {
        return msg.to_string();
    }
    let suffix = " ...";
    let mut cut = MAX_MESSAGE - suffix.len();
    while !msg.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{suffix}", &msg[..cut])
}

/// The pod's `PodScheduled` condition, if it has one.
fn scheduled_condition(pod: &Pod) -> Option<&k8s_openapi::api::core::v1::PodCondition> {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.type_ == "PodScheduled"))
}

/// Whether the pod says `PodScheduled=False` with exactly `reason` and `message`.
pub fn shows_unscheduled(pod: &Pod, reason: &str, message: &str) -> bool {
    scheduled_condition(pod).is_some_and(|c| {
        c.status == "False"
            && c.reason.as_deref() == Some(reason)
            && c.message.as_deref() == Some(message)
    })
}

/// A strategic-merge patch for `pods/<name>/status` setting `PodScheduled=False` with
/// `reason` and `message`; `None` when the pod already says exactly that (no write).
/// `lastTransitionTime` moves only when the status changes.
pub fn unscheduled_condition_patch(
    pod: &Pod,
    reason: &str,
    message: &str,
    now: jiff::Timestamp,
) -> Option<Value> {
    if shows_unscheduled(pod, reason, message) {
        return None;
    }
    let existing = scheduled_condition(pod);
    let transition = existing
        .filter(|c| c.status == "False")
        .and_then(|c| c.last_transition_time.as_ref())
        .map(|t| format_time(t.0))
        .unwrap_or_else(|| format_time(now));
    Some(json!({"status": {"conditions": [{
        "type": "PodScheduled",
        "status": "False",
        "lastProbeTime": null,
        "lastTransitionTime": transition,
        "reason": reason,
        "message": message,
    }]}}))
}

/// Upstream's event name: the object's name and the time in hex nanoseconds.
pub fn event_name(pod_name: &str, now: jiff::Timestamp) -> String {
    format!("{pod_name}.{:x}", now.as_nanosecond())
}

/// What the scheduler reports about a pod, for [`event`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSpec<'a> {
    pub component: &'a str,
    /// `reportingInstance`: upstream's recorder uses `<component>-<hostname>`.
    pub instance: &'a str,
    pub type_: &'a str,
    pub reason: &'a str,
    pub action: &'a str,
    pub message: &'a str,
}

/// A core/v1 Event about `pod`, as `kubectl describe pod` lists it (`From` is the
/// component).
pub fn event(pod: &Pod, name: &str, spec: &EventSpec<'_>, now: jiff::Timestamp) -> Event {
    let namespace = pod.metadata.namespace.clone().unwrap_or_default();
    Event {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            namespace: Some(namespace.clone()),
            ..ObjectMeta::default()
        },
        involved_object: ObjectReference {
            api_version: Some("v1".to_string()),
            kind: Some("Pod".to_string()),
            namespace: Some(namespace),
            name: pod.metadata.name.clone(),
            uid: pod.metadata.uid.clone(),
            resource_version: pod.metadata.resource_version.clone(),
            ..ObjectReference::default()
        },
        reason: Some(spec.reason.to_string()),
        message: Some(truncate_message(spec.message)),
        type_: Some(spec.type_.to_string()),
        action: Some(spec.action.to_string()),
        source: Some(EventSource {
            component: Some(spec.component.to_string()),
            host: None,
        }),
        reporting_component: Some(spec.component.to_string()),
        reporting_instance: Some(spec.instance.to_string()),
        first_timestamp: Some(Time(now)),
        last_timestamp: Some(Time(now)),
        count: Some(1),
        ..Event::default()
    }
}

/// The merge patch recording one more occurrence of an event.
pub fn repeat_patch(count: i32, now: jiff::Timestamp) -> Value {
    json!({"count": count, "lastTimestamp": format_time(now)})
}

/// The last `FailedScheduling` event written for a pending pod, so a repeat of the same
/// message bumps its count instead of creating another object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSeries {
    pub name: String,
    pub message: String,
    pub count: i32,
}

/// What to do about one more failure with `message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventWrite {
    Create { name: String },
    Repeat { name: String, count: i32 },
}

impl EventSeries {
    /// Decides create-or-repeat and updates the series accordingly.
    pub fn record(
        series: &mut Option<EventSeries>,
        pod_name: &str,
        message: &str,
        now: jiff::Timestamp,
    ) -> EventWrite {
        if let Some(s) = series
            && s.message == message
        {
            s.count += 1;
            return EventWrite::Repeat {
                name: s.name.clone(),
                count: s.count,
            };
        }
        let name = event_name(pod_name, now);
        *series = Some(EventSeries {
            name: name.clone(),
            message: message.to_string(),
            count: 1,
        });
        EventWrite::Create { name }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> jiff::Timestamp {
        s.parse().expect("timestamp")
    }

    fn pod(conditions: Value) -> Pod {
        serde_json::from_value(json!({
            "metadata": {"name": "web", "namespace": "default", "uid": "u1", "resourceVersion": "7"},
            "spec": {"containers": [{"name": "c"}]},
            "status": {"phase": "Pending", "conditions": conditions},
        }))
        .expect("pod")
    }

    #[test]
    fn binding_targets_the_node() {
        let b = serde_json::to_value(binding("default", "web", "u1", "n1")).expect("json");
        assert_eq!(
            b,
            json!({"apiVersion": "v1", "kind": "Binding",
                   "metadata": {"name": "web", "namespace": "default", "uid": "u1"},
                   "target": {"apiVersion": "v1", "kind": "Node", "name": "n1"}})
        );
    }

    #[test]
    fn condition_patch_is_written_only_on_change() {
        let now = ts("2026-01-02T03:04:05.678Z");
        let p = unscheduled_condition_patch(&pod(json!([])), "Unschedulable", "0/1 nodes", now);
        assert_eq!(
            p,
            Some(json!({"status": {"conditions": [{
                "type": "PodScheduled", "status": "False", "lastProbeTime": null,
                "lastTransitionTime": "2026-01-02T03:04:05Z",
                "reason": "Unschedulable", "message": "0/1 nodes"}]}}))
        );
        let same = pod(
            json!([{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
            "message": "0/1 nodes", "lastTransitionTime": "2026-01-01T00:00:00Z"}]),
        );
        assert_eq!(
            unscheduled_condition_patch(&same, "Unschedulable", "0/1 nodes", now),
            None
        );
        // A new message keeps the transition time: the status did not change.
        let p =
            unscheduled_condition_patch(&same, "Unschedulable", "0/2 nodes", now).expect("patch");
        assert_eq!(
            p.pointer("/status/conditions/0/lastTransitionTime"),
            Some(&json!("2026-01-01T00:00:00Z"))
        );
    }

    #[test]
    fn events_look_like_kube_schedulers() {
        let now = ts("2026-01-02T03:04:05Z");
        let spec = EventSpec {
            component: "default-scheduler",
            instance: "default-scheduler-host1",
            type_: "Warning",
            reason: "FailedScheduling",
            action: "Scheduling",
            message: "0/3 nodes are available: 3 Insufficient cpu.",
        };
        let e = serde_json::to_value(event(&pod(json!([])), "web.1", &spec, now)).expect("json");
        assert_eq!(
            e,
            json!({
                "apiVersion": "v1",
                "kind": "Event",
                "action": "Scheduling",
                "count": 1,
                "firstTimestamp": "2026-01-02T03:04:05Z",
                "involvedObject": {"apiVersion": "v1", "kind": "Pod", "name": "web", "namespace": "default",
                                   "resourceVersion": "7", "uid": "u1"},
                "lastTimestamp": "2026-01-02T03:04:05Z",
                "message": "0/3 nodes are available: 3 Insufficient cpu.",
                "metadata": {"name": "web.1", "namespace": "default"},
                "reason": "FailedScheduling",
                "reportingComponent": "default-scheduler",
                "reportingInstance": "default-scheduler-host1",
                "source": {"component": "default-scheduler"},
                "type": "Warning",
            })
        );
    }

    #[test]
    fn repeated_failures_fold_into_one_event() {
        let t1 = ts("2026-01-02T03:04:05Z");
        let t2 = ts("2026-01-02T03:04:06Z");
        let mut series = None;
        let first = EventSeries::record(&mut series, "web", "m1", t1);
        let name = event_name("web", t1);
        assert_eq!(first, EventWrite::Create { name: name.clone() });
        assert_eq!(
            EventSeries::record(&mut series, "web", "m1", t2),
            EventWrite::Repeat {
                name: name.clone(),
                count: 2
            }
        );
        assert_eq!(
            EventSeries::record(&mut series, "web", "m2", t2),
            EventWrite::Create {
                name: event_name("web", t2)
            }
        );
        assert_eq!(
            repeat_patch(3, t2),
            json!({"count": 3, "lastTimestamp": "2026-01-02T03:04:06Z"})
        );
    }

    #[test]
    fn long_messages_are_truncated() {
        let long = "é".repeat(800);
        let t = truncate_message(&long);
        assert!(t.len() <= 1024 && t.ends_with(" ..."), "{}", t.len());
        assert_eq!(truncate_message("short"), "short");
    }
}
