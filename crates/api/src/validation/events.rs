//! Events (both served Event APIs, checked as upstream's internal event) and Leases.

use serde_json::Value;

use super::FieldError;
use super::kinds::kind_meta;
use super::names;
use super::util::{Path, at, get, int_of, str_of};
use crate::resources::ResourceInfo;

/// Where the internal event fields live in each served Event API's JSON.
pub(crate) struct EventFields {
    involved_object: &'static str,
    message: &'static str,
    reporting_controller: &'static str,
    first_timestamp: &'static str,
    last_timestamp: &'static str,
    count: &'static str,
    source: &'static str,
}

pub(crate) const CORE_EVENT_FIELDS: EventFields = EventFields {
    involved_object: "involvedObject",
    message: "message",
    reporting_controller: "reportingComponent",
    first_timestamp: "firstTimestamp",
    last_timestamp: "lastTimestamp",
    count: "count",
    source: "source",
};

pub(crate) const EVENTS_V1_FIELDS: EventFields = EventFields {
    involved_object: "regarding",
    message: "note",
    reporting_controller: "reportingController",
    first_timestamp: "deprecatedFirstTimestamp",
    last_timestamp: "deprecatedLastTimestamp",
    count: "deprecatedCount",
    source: "deprecatedSource",
};

fn has_event_time(obj: &Value) -> bool {
    get(obj, "eventTime")
        .and_then(Value::as_str)
        .is_some_and(|t| !t.is_empty())
}

/// Upstream's `legacyValidateEvent`, which every Event API applies.
pub(crate) fn validate_legacy_event(obj: &Value, f: &EventFields) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let ns = at(obj, &["metadata", "namespace"])
        .and_then(Value::as_str)
        .unwrap_or("");
    let involved_ns = get(obj, f.involved_object)
        .map(|o| str_of(o, "namespace"))
        .unwrap_or("");
    let ns_path = Path::root("involvedObject").child("namespace");
    let mismatch = || FieldError::invalid(&ns_path, involved_ns, "does not match event.namespace");
    if !has_event_time(obj) {
        if involved_ns.is_empty() {
            if !ns.is_empty() && ns != "default" {
                errs.push(mismatch());
            }
        } else if ns != involved_ns {
            errs.push(mismatch());
        }
    } else {
        if involved_ns.is_empty() && ns != "default" && ns != "kube-system" {
            errs.push(mismatch());
        }
        let rc = str_of(obj, f.reporting_controller);
        if rc.is_empty() {
            errs.push(FieldError::required(&Path::root("reportingController"), ""));
        }
        for msg in names::is_qualified_name(rc) {
            errs.push(FieldError::invalid(
                &Path::root("reportingController"),
                rc,
                &msg,
            ));
        }
        let limits = [
            ("reportingInstance", "reportingInstance", 128usize),
            ("action", "action", 128),
            ("reason", "reason", 128),
        ];
        for (json_key, internal, limit) in limits {
            let v = str_of(obj, json_key);
            if v.is_empty() {
                errs.push(FieldError::required(&Path::root(internal), ""));
            }
            if v.len() > limit {
                errs.push(FieldError::invalid(
                    &Path::root(internal),
                    "",
                    &format!("can have at most {limit} characters"),
                ));
            }
        }
        if str_of(obj, f.message).len() > 1024 {
            errs.push(FieldError::invalid(
                &Path::root("message"),
                "",
                "can have at most 1024 characters",
            ));
        }
    }
    for msg in names::is_dns1123_subdomain(ns) {
        errs.push(FieldError::invalid(&Path::root("namespace"), ns, &msg));
    }
    errs
}

/// The stricter checks of events created through `events.k8s.io/v1`.
pub(crate) fn validate_strict_event(info: &ResourceInfo, obj: &Value) -> Vec<FieldError> {
    let f = &EVENTS_V1_FIELDS;
    let mut errs = kind_meta(info, obj);
    errs.extend(validate_event_series(obj));
    if !has_event_time(obj) {
        errs.push(FieldError::required(&Path::root("eventTime"), ""));
    }
    let ty = str_of(obj, "type");
    if ty != "Normal" && ty != "Warning" {
        errs.push(FieldError::invalid(
            &Path::root("type"),
            "",
            &format!("has invalid value: {ty}"),
        ));
    }
    for (json_key, internal) in [
        (f.first_timestamp, "firstTimestamp"),
        (f.last_timestamp, "lastTimestamp"),
    ] {
        if get(obj, json_key).is_some() {
            errs.push(FieldError::invalid(
                &Path::root(internal),
                "",
                "needs to be unset",
            ));
        }
    }
    if int_of(obj, f.count).unwrap_or(0) != 0 {
        errs.push(FieldError::invalid(
            &Path::root("count"),
            "",
            "needs to be unset",
        ));
    }
    let source_set = get(obj, f.source)
        .is_some_and(|s| !str_of(s, "component").is_empty() || !str_of(s, "host").is_empty());
    if source_set {
        errs.push(FieldError::invalid(
            &Path::root("source"),
            "",
            "needs to be unset",
        ));
    }
    errs
}

fn validate_event_series(obj: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if let Some(series) = get(obj, "series") {
        if int_of(series, "count").unwrap_or(0) < 2 {
            errs.push(FieldError::invalid(
                &Path::root("series.count"),
                "",
                "should be at least 2",
            ));
        }
        if get(series, "lastObservedTime").is_none() {
            errs.push(FieldError::required(
                &Path::root("series.lastObservedTime"),
                "",
            ));
        }
    }
    errs
}

pub(crate) fn validate_events_v1_update(obj: &Value, old: &Value) -> Vec<FieldError> {
    let f = &EVENTS_V1_FIELDS;
    let mut errs = Vec::new();
    if get(obj, "series") != get(old, "series") {
        errs.extend(validate_event_series(obj));
    }
    let fields = [
        (f.involved_object, "involvedObject"),
        ("reason", "reason"),
        (f.message, "message"),
        (f.source, "source"),
        (f.first_timestamp, "firstTimestamp"),
        (f.last_timestamp, "lastTimestamp"),
        (f.count, "count"),
        ("reason", "reason"),
        ("type", "type"),
        ("eventTime", "eventTime"),
        ("action", "action"),
        ("related", "related"),
        (f.reporting_controller, "reportingController"),
        ("reportingInstance", "reportingInstance"),
    ];
    for (json_key, internal) in fields {
        let (n, o) = (get(obj, json_key), get(old, json_key));
        if n != o {
            errs.push(FieldError::invalid(
                &Path::root(internal),
                n.cloned().unwrap_or(Value::Null),
                "field is immutable",
            ));
        }
    }
    errs
}

// ---- Lease ----

pub(crate) fn validate_lease_spec(obj: &Value) -> Vec<FieldError> {
    let path = Path::root("spec");
    let empty = Value::Null;
    let spec = get(obj, "spec").unwrap_or(&empty);
    let mut errs = Vec::new();
    if let Some(d) = int_of(spec, "leaseDurationSeconds").filter(|d| *d <= 0) {
        errs.push(FieldError::invalid(
            &path.child("leaseDurationSeconds"),
            d,
            "must be greater than 0",
        ));
    }
    if let Some(t) = int_of(spec, "leaseTransitions").filter(|t| *t < 0) {
        errs.push(FieldError::invalid(
            &path.child("leaseTransitions"),
            t,
            "must be greater than or equal to 0",
        ));
    }
    let strategy = get(spec, "strategy").and_then(Value::as_str);
    if let Some(s) = strategy {
        // Upstream nests the child name twice here.
        let sp = path.child("strategy").child("strategy");
        if !s.contains('/') {
            if s != "OldestEmulationVersion" {
                errs.push(FieldError::not_supported(
                    &sp,
                    s,
                    &["OldestEmulationVersion"],
                ));
            }
        } else {
            for msg in names::is_qualified_name(s) {
                errs.push(FieldError::invalid(&sp, s, &msg));
            }
        }
    }
    let preferred = str_of(spec, "preferredHolder");
    if !preferred.is_empty() && strategy.is_none_or(str::is_empty) {
        errs.push(FieldError::forbidden(
            &path.child("preferredHolder"),
            "may only be specified if `strategy` is defined",
        ));
    }
    errs
}
