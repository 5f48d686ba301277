//! Deployments, ReplicaSets and ReplicationControllers: upstream's `ValidateDeploymentSpec`,
//! `ValidateReplicaSetSpec`, `ValidateReplicationControllerSpec` and the selector
//! immutability their apps/v1 registry strategies add on update.

use serde_json::Value;

use super::FieldError;
use super::meta::{self, Selector};
use super::names;
use super::pod::validate_pod_template_spec;
use super::render;
use super::util::{IntOrString, Path, get, int_of, str_of};

fn nonnegative(value: i64, path: &Path) -> Option<FieldError> {
    (value < 0).then(|| FieldError::invalid(path, value, "must be greater than or equal to 0"))
}

fn selector_value(sel: Option<&Value>) -> (Value, String) {
    match sel {
        Some(s) => (s.clone(), render::label_selector(s)),
        None => (Value::Null, render::go_quote("null")),
    }
}

/// The selector checks shared by Deployments and ReplicaSets (both say "deployment").
fn validate_apps_selector(spec: &Value, path: &Path) -> Vec<FieldError> {
    let sel_path = path.child("selector");
    let mut errs = Vec::new();
    match get(spec, "selector") {
        None => errs.push(FieldError::required(&sel_path, "")),
        Some(sel) => {
            errs.extend(meta::validate_label_selector(Some(sel), &sel_path));
            let n = super::util::len_of(get(sel, "matchLabels"))
                + super::util::len_of(get(sel, "matchExpressions"));
            if n == 0 {
                let (v, repr) = selector_value(Some(sel));
                errs.push(
                    FieldError::invalid(&sel_path, v, "empty selector is invalid for deployment")
                        .with_repr(repr),
                );
            }
        }
    }
    errs
}

/// `ValidatePodTemplateSpecForReplicaSet`, reached once the selector parsed.
fn validate_template_for_replica_set(
    spec: &Value,
    selector: &Selector,
    path: &Path,
) -> Vec<FieldError> {
    let empty = Value::Null;
    let template = get(spec, "template").unwrap_or(&empty);
    let tpath = path.child("template");
    let mut errs = Vec::new();
    let labels = at_labels(template);
    if !selector.is_empty() && !selector.matches(labels) {
        errs.push(template_labels_mismatch(labels, &tpath));
    }
    errs.extend(validate_pod_template_spec(template, &tpath));
    errs.extend(template_restart_and_deadline(
        template,
        &tpath,
        "ReplicaSet",
    ));
    errs
}

fn at_labels(template: &Value) -> Option<&Value> {
    get(template, "metadata").and_then(|m| get(m, "labels"))
}

fn template_labels_mismatch(labels: Option<&Value>, tpath: &Path) -> FieldError {
    FieldError::invalid(
        &tpath.children(&["metadata", "labels"]),
        labels.cloned().unwrap_or(Value::Null),
        "`selector` does not match template `labels`",
    )
    .with_repr(render::string_map(labels))
}

/// Workload pods must restart always and cannot have a deadline.
fn template_restart_and_deadline(template: &Value, tpath: &Path, kind: &str) -> Vec<FieldError> {
    let empty = Value::Null;
    let spec = get(template, "spec").unwrap_or(&empty);
    let mut errs = Vec::new();
    let rp = str_of(spec, "restartPolicy");
    if rp != "Always" {
        errs.push(FieldError::not_supported(
            &tpath.children(&["spec", "restartPolicy"]),
            rp,
            &["Always"],
        ));
    }
    if get(spec, "activeDeadlineSeconds").is_some() {
        errs.push(FieldError::forbidden(
            &tpath.children(&["spec", "activeDeadlineSeconds"]),
            &format!("activeDeadlineSeconds in {kind} is not Supported"),
        ));
    }
    errs
}

/// The selector and template of a Deployment or ReplicaSet spec.
fn validate_selector_and_template(spec: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = validate_apps_selector(spec, path);
    match meta::parse_selector(get(spec, "selector")) {
        Err(()) => {
            let (v, repr) = selector_value(get(spec, "selector"));
            errs.push(
                FieldError::invalid(&path.child("selector"), v, "invalid label selector")
                    .with_repr(repr),
            );
        }
        Ok(sel) => errs.extend(validate_template_for_replica_set(spec, &sel, path)),
    }
    errs
}

pub(crate) fn validate_deployment_spec(obj: &Value) -> Vec<FieldError> {
    let path = Path::root("spec");
    let empty = Value::Null;
    let spec = get(obj, "spec").unwrap_or(&empty);
    let mut errs = Vec::new();
    errs.extend(nonnegative(
        int_of(spec, "replicas").unwrap_or(0),
        &path.child("replicas"),
    ));
    errs.extend(validate_selector_and_template(spec, &path));
    errs.extend(validate_strategy(
        get(spec, "strategy"),
        &path.child("strategy"),
    ));
    let min_ready = int_of(spec, "minReadySeconds").unwrap_or(0);
    errs.extend(nonnegative(min_ready, &path.child("minReadySeconds")));
    if let Some(rhl) = int_of(spec, "revisionHistoryLimit") {
        errs.extend(nonnegative(rhl, &path.child("revisionHistoryLimit")));
    }
    if let Some(pds) = int_of(spec, "progressDeadlineSeconds") {
        errs.extend(nonnegative(pds, &path.child("progressDeadlineSeconds")));
        if pds <= min_ready {
            errs.push(FieldError::invalid(
                &path.child("progressDeadlineSeconds"),
                pds,
                "must be greater than minReadySeconds",
            ));
        }
    }
    errs
}

fn validate_strategy(strategy: Option<&Value>, path: &Path) -> Vec<FieldError> {
    let ty = strategy.map(|s| str_of(s, "type")).unwrap_or("");
    let rolling = strategy.and_then(|s| get(s, "rollingUpdate"));
    match ty {
        "Recreate" => rolling
            .map(|_| {
                vec![FieldError::forbidden(
                    &path.child("rollingUpdate"),
                    "may not be specified when strategy `type` is 'Recreate'",
                )]
            })
            .unwrap_or_default(),
        "RollingUpdate" => match rolling {
            None => vec![FieldError::required(
                &path.child("rollingUpdate"),
                "this should be defaulted and never be nil",
            )],
            Some(ru) => validate_rolling_update(ru, &path.child("rollingUpdate")),
        },
        _ => vec![
            FieldError::not_supported(
                path,
                strategy.cloned().unwrap_or(Value::Null),
                &["Recreate", "RollingUpdate"],
            )
            .with_repr(render::deployment_strategy(strategy)),
        ],
    }
}

fn int_or_percent(ru: &Value, key: &str) -> IntOrString {
    get(ru, key)
        .map(IntOrString::from_json)
        .unwrap_or(IntOrString::Int(0))
}

/// The percent of a valid percent string.
fn percent_value(v: &IntOrString) -> Option<i64> {
    match v {
        IntOrString::Str(s) if names::is_valid_percent(s).is_empty() => {
            s.trim_end_matches('%').parse::<i64>().ok()
        }
        _ => None,
    }
}

fn int_or_percent_value(v: &IntOrString) -> i64 {
    percent_value(v).unwrap_or_else(|| v.int_value())
}

/// `ValidatePositiveIntOrPercent`.
fn validate_positive_int_or_percent(v: &IntOrString, path: &Path) -> Vec<FieldError> {
    match v {
        IntOrString::Str(s) => names::is_valid_percent(s)
            .into_iter()
            .map(|msg| {
                FieldError::invalid(path, v.to_json(), &msg).with_repr(render::int_or_string(v))
            })
            .collect(),
        IntOrString::Int(i) => nonnegative(*i, path).into_iter().collect(),
    }
}

fn validate_rolling_update(ru: &Value, path: &Path) -> Vec<FieldError> {
    let max_unavailable = int_or_percent(ru, "maxUnavailable");
    let max_surge = int_or_percent(ru, "maxSurge");
    let mu_path = path.child("maxUnavailable");
    let mut errs = validate_positive_int_or_percent(&max_unavailable, &mu_path);
    errs.extend(validate_positive_int_or_percent(
        &max_surge,
        &path.child("maxSurge"),
    ));
    if int_or_percent_value(&max_unavailable) == 0 && int_or_percent_value(&max_surge) == 0 {
        errs.push(
            FieldError::invalid(
                &mu_path,
                max_unavailable.to_json(),
                "may not be 0 when `maxSurge` is 0",
            )
            .with_repr(render::int_or_string(&max_unavailable)),
        );
    }
    if percent_value(&max_unavailable).is_some_and(|p| p > 100) {
        errs.push(
            FieldError::invalid(
                &mu_path,
                max_unavailable.to_json(),
                "must not be greater than 100%",
            )
            .with_repr(render::int_or_string(&max_unavailable)),
        );
    }
    errs
}

pub(crate) fn validate_replica_set_spec(obj: &Value) -> Vec<FieldError> {
    let path = Path::root("spec");
    let empty = Value::Null;
    let spec = get(obj, "spec").unwrap_or(&empty);
    let mut errs = Vec::new();
    errs.extend(nonnegative(
        int_of(spec, "replicas").unwrap_or(0),
        &path.child("replicas"),
    ));
    errs.extend(nonnegative(
        int_of(spec, "minReadySeconds").unwrap_or(0),
        &path.child("minReadySeconds"),
    ));
    errs.extend(validate_selector_and_template(spec, &path));
    errs
}

/// apps/v1 selectors may not change after creation.
pub(crate) fn validate_selector_immutable(obj: &Value, old: &Value) -> Vec<FieldError> {
    let new_sel = super::util::at(obj, &["spec", "selector"]);
    let old_sel = super::util::at(old, &["spec", "selector"]);
    if normalize_selector(new_sel) == normalize_selector(old_sel) {
        return Vec::new();
    }
    let (v, repr) = selector_value(new_sel);
    vec![
        FieldError::invalid(
            &Path::root("spec").child("selector"),
            v,
            "field is immutable",
        )
        .with_repr(repr),
    ]
}

/// Semantic equality treats nil and empty maps and lists alike.
fn normalize_selector(sel: Option<&Value>) -> Option<(Vec<(String, String)>, Value)> {
    let sel = sel?;
    let mut labels: Vec<(String, String)> = super::util::string_map(get(sel, "matchLabels"))
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    labels.sort();
    let exprs = get(sel, "matchExpressions")
        .cloned()
        .unwrap_or(Value::Array(Vec::new()));
    Some((labels, exprs))
}

pub(crate) fn validate_replication_controller_spec(obj: &Value) -> Vec<FieldError> {
    let path = Path::root("spec");
    let empty = Value::Null;
    let spec = get(obj, "spec").unwrap_or(&empty);
    let mut errs = Vec::new();
    errs.extend(nonnegative(
        int_of(spec, "minReadySeconds").unwrap_or(0),
        &path.child("minReadySeconds"),
    ));
    let selector = get(spec, "selector");
    if super::util::len_of(selector) == 0 {
        errs.push(FieldError::required(&path.child("selector"), ""));
    }
    errs.extend(nonnegative(
        int_of(spec, "replicas").unwrap_or(0),
        &path.child("replicas"),
    ));
    let tpath = path.child("template");
    match get(spec, "template") {
        None => errs.push(FieldError::required(&tpath, "")),
        Some(template) => {
            let labels = at_labels(template);
            if super::util::len_of(selector) > 0 && !meta::map_selector_matches(selector, labels) {
                errs.push(template_labels_mismatch(labels, &tpath));
            }
            errs.extend(validate_pod_template_spec(template, &tpath));
            errs.extend(template_restart_and_deadline(
                template,
                &tpath,
                "ReplicationController",
            ));
        }
    }
    errs
}
