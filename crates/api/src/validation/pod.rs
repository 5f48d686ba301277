//! Pod specs, pod templates and pods: upstream's `ValidatePodSpec`, `ValidatePodTemplateSpec`,
//! `ValidatePodCreate` and `ValidatePodUpdate` (including its "may not change fields" rule).

use serde_json::{Map, Value};

use super::FieldError;
use super::compute;
use super::container::{self, PodContext};
use super::meta::{self, validate_annotations, validate_labels};
use super::names::{self, NameRule};
use super::probe;
use super::util::{Path, bool_of, get, int_of, list_of, str_of};
use super::volume;

const MAX_DNS_NAMESERVERS: usize = 3;
const MAX_DNS_SEARCH_PATHS: usize = 32;
const MAX_DNS_SEARCH_CHARS: usize = 2048;

/// The fields a pod update may change, as upstream lists them in its error message.
const UPDATABLE_POD_SPEC_FIELDS: &[&str] = &[
    "`spec.containers[*].image`",
    "`spec.initContainers[*].image`",
    "`spec.activeDeadlineSeconds`",
    "`spec.tolerations` (only additions to existing tolerations)",
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
];

fn name_errors(rule: NameRule, value: &str, path: &Path) -> Vec<FieldError> {
    names::validate_name(rule, value, false)
        .into_iter()
        .map(|msg| FieldError::invalid(path, value, &msg))
        .collect()
}

/// Upstream's `ValidatePodSpec`; `is_pod` is set for a Pod's own spec (not a template).
pub(crate) fn validate_pod_spec(spec: &Value, path: &Path, is_pod: bool) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let grace_period = int_of(spec, "terminationGracePeriodSeconds");
    if grace_period.is_none() {
        errs.push(FieldError::required(
            &path.child("terminationGracePeriodSeconds"),
            "",
        ));
    }
    let (volumes, vol_errs) =
        volume::validate_volumes(list_of(spec, "volumes"), &path.child("volumes"));
    errs.extend(vol_errs);
    let ctx = PodContext {
        volumes: &volumes,
        grace_period,
    };
    let containers = list_of(spec, "containers");
    errs.extend(container::validate_containers(
        containers,
        &ctx,
        &path.child("containers"),
    ));
    errs.extend(container::validate_init_containers(
        list_of(spec, "initContainers"),
        containers,
        &ctx,
        &path.child("initContainers"),
    ));

    if bool_of(spec, "hostNetwork") {
        for (i, ctr) in containers.iter().enumerate() {
            for (j, port) in list_of(ctr, "ports").iter().enumerate() {
                let hp = int_of(port, "hostPort").unwrap_or(0);
                let cp = int_of(port, "containerPort").unwrap_or(0);
                if (is_pod || hp != 0) && hp != cp {
                    errs.push(FieldError::invalid(
                        &path
                            .child("containers")
                            .index(i)
                            .child("ports")
                            .index(j)
                            .child("hostPort"),
                        hp,
                        "must match `containerPort` when `hostNetwork` is true",
                    ));
                }
            }
        }
    }

    match str_of(spec, "restartPolicy") {
        "Always" | "OnFailure" | "Never" => {}
        "" => errs.push(FieldError::required(&path.child("restartPolicy"), "")),
        other => errs.push(FieldError::not_supported(
            &path.child("restartPolicy"),
            other,
            &["Always", "OnFailure", "Never"],
        )),
    }
    let dns_policy = str_of(spec, "dnsPolicy");
    match dns_policy {
        "ClusterFirstWithHostNet" | "ClusterFirst" | "Default" | "None" => {}
        "" => errs.push(FieldError::required(&path.child("dnsPolicy"), "")),
        other => errs.push(FieldError::not_supported(
            &path.child("dnsPolicy"),
            other,
            &["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"],
        )),
    }
    errs.extend(validate_labels(
        get(spec, "nodeSelector"),
        &path.child("nodeSelector"),
    ));
    if let Some(sc) = get(spec, "securityContext") {
        errs.extend(compute::validate_pod_security_context(
            sc,
            &path.child("securityContext"),
        ));
    }
    errs.extend(validate_dns_config(
        spec,
        dns_policy,
        &path.child("dnsConfig"),
    ));
    for (i, gate) in list_of(spec, "readinessGates").iter().enumerate() {
        let ct = str_of(gate, "conditionType");
        for msg in names::is_qualified_name(ct) {
            errs.push(FieldError::invalid(
                &path.child("readinessGates").index(i).child("conditionType"),
                ct,
                &msg,
            ));
        }
    }
    let mut gates: Vec<&str> = Vec::new();
    for (i, gate) in list_of(spec, "schedulingGates").iter().enumerate() {
        let name = str_of(gate, "name");
        let p = path.child("schedulingGates").index(i);
        for msg in names::is_qualified_name(name) {
            errs.push(FieldError::invalid(&p, name, &msg));
        }
        if gates.contains(&name) {
            errs.push(FieldError::duplicate(&p, name));
        }
        gates.push(name);
    }
    let sa = str_of(spec, "serviceAccountName");
    if !sa.is_empty() {
        errs.extend(name_errors(
            NameRule::Dns1123Subdomain,
            sa,
            &path.child("serviceAccountName"),
        ));
    }
    let node_name = str_of(spec, "nodeName");
    if !node_name.is_empty() {
        errs.extend(name_errors(
            NameRule::Dns1123Subdomain,
            node_name,
            &path.child("nodeName"),
        ));
    }
    if let Some(ads) = int_of(spec, "activeDeadlineSeconds")
        && !(1..=i64::from(i32::MAX)).contains(&ads)
    {
        errs.push(FieldError::invalid(
            &path.child("activeDeadlineSeconds"),
            ads,
            &names::inclusive_range_error(1, i64::from(i32::MAX)),
        ));
    }
    for key in ["hostname", "subdomain"] {
        let v = str_of(spec, key);
        if !v.is_empty() {
            errs.extend(name_errors(NameRule::Dns1123Label, v, &path.child(key)));
        }
    }
    errs.extend(probe::validate_tolerations(
        list_of(spec, "tolerations"),
        &path.child("tolerations"),
    ));
    for (i, alias) in list_of(spec, "hostAliases").iter().enumerate() {
        let p = path.child("hostAliases").index(i);
        let ip = str_of(alias, "ip");
        if !names::is_ip(ip) {
            errs.push(FieldError::invalid(&p.child("ip"), ip, names::IP_ERR));
        }
        for (j, h) in list_of(alias, "hostnames").iter().enumerate() {
            let h = h.as_str().unwrap_or("");
            errs.extend(name_errors(
                NameRule::Dns1123Subdomain,
                h,
                &p.child("hostnames").index(j),
            ));
        }
    }
    let pcn = str_of(spec, "priorityClassName");
    if !pcn.is_empty() {
        errs.extend(name_errors(
            NameRule::Dns1123Subdomain,
            pcn,
            &path.child("priorityClassName"),
        ));
    }
    if let Some(rcn) = get(spec, "runtimeClassName").and_then(Value::as_str) {
        errs.extend(name_errors(
            NameRule::Dns1123Subdomain,
            rcn,
            &path.child("runtimeClassName"),
        ));
    }
    if let Some(pp) = get(spec, "preemptionPolicy").and_then(Value::as_str) {
        match pp {
            "PreemptLowerPriority" | "Never" => {}
            "" => errs.push(FieldError::required(&path.child("preemptionPolicy"), "")),
            other => errs.push(FieldError::not_supported(
                &path.child("preemptionPolicy"),
                other,
                &["PreemptLowerPriority", "Never"],
            )),
        }
    }
    if let Some(overhead) = get(spec, "overhead") {
        let wrapped = serde_json::json!({ "limits": overhead });
        errs.extend(compute::validate_resources(
            &wrapped,
            &path.child("overhead"),
        ));
    }
    if let Some(os) = get(spec, "os") {
        let name = str_of(os, "name");
        if name.is_empty() {
            errs.push(FieldError::required(&path.child("os").child("name"), ""));
        } else if name != "linux" && name != "windows" {
            errs.push(FieldError::not_supported(
                &path.child("os").child("name"),
                name,
                &["linux", "windows"],
            ));
        }
    }
    errs
}

fn validate_dns_config(spec: &Value, dns_policy: &str, path: &Path) -> Vec<FieldError> {
    let config = get(spec, "dnsConfig");
    if dns_policy == "None" {
        let Some(c) = config else {
            return vec![FieldError::required(
                path,
                "must provide `dnsConfig` when `dnsPolicy` is None",
            )];
        };
        if list_of(c, "nameservers").is_empty() {
            return vec![FieldError::required(
                &path.child("nameservers"),
                "must provide at least one DNS nameserver when `dnsPolicy` is None",
            )];
        }
    }
    let Some(c) = config else {
        return Vec::new();
    };
    let mut errs = Vec::new();
    let ns = list_of(c, "nameservers");
    if ns.len() > MAX_DNS_NAMESERVERS {
        errs.push(FieldError::invalid(
            &path.child("nameservers"),
            Value::Array(ns.to_vec()),
            &format!("must not have more than {MAX_DNS_NAMESERVERS} nameservers"),
        ));
    }
    for (i, n) in ns.iter().enumerate() {
        let n = n.as_str().unwrap_or("");
        if !names::is_ip(n) {
            errs.push(FieldError::invalid(
                &path.child("nameservers").index(i),
                n,
                names::IP_ERR,
            ));
        }
    }
    let searches = list_of(c, "searches");
    if searches.len() > MAX_DNS_SEARCH_PATHS {
        errs.push(FieldError::invalid(
            &path.child("searches"),
            Value::Array(searches.to_vec()),
            &format!("must not have more than {MAX_DNS_SEARCH_PATHS} search paths"),
        ));
    }
    let joined: usize = searches
        .iter()
        .map(|s| s.as_str().unwrap_or("").len())
        .sum::<usize>()
        + searches.len().saturating_sub(1);
    if joined > MAX_DNS_SEARCH_CHARS {
        errs.push(FieldError::invalid(
            &path.child("searches"),
            Value::Array(searches.to_vec()),
            &format!("must not have more than {MAX_DNS_SEARCH_CHARS} characters (including spaces) in the search list"),
        ));
    }
    for (i, s) in searches.iter().enumerate() {
        let s = s.as_str().unwrap_or("");
        // Relaxed DNS search validation (default since v1.32): "." and underscores allowed.
        if s != "." {
            let s = s.strip_suffix('.').unwrap_or(s);
            let ok = s.split('.').all(|label| {
                let label = label.strip_prefix('_').unwrap_or(label);
                let (Some(f), Some(l)) = (label.chars().next(), label.chars().last()) else {
                    return false;
                };
                f.is_ascii_alphanumeric()
                    && !f.is_ascii_uppercase()
                    && l.is_ascii_alphanumeric()
                    && !l.is_ascii_uppercase()
                    && label.chars().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_'
                    })
            });
            if s.len() > names::DNS1123_SUBDOMAIN_MAX || !ok {
                let mut msgs = Vec::new();
                if s.len() > names::DNS1123_SUBDOMAIN_MAX {
                    msgs.push(names::max_len_error(names::DNS1123_SUBDOMAIN_MAX));
                }
                if !ok {
                    msgs.push(names::regex_error(
                        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '_', '-' or '.', and must start and end with an alphanumeric character",
                        "_?[a-z0-9]([-_a-z0-9]*[a-z0-9])?(\\._?[a-z0-9]([-_a-z0-9]*[a-z0-9])?)*",
                        &["example.com"],
                    ));
                }
                for msg in msgs {
                    errs.push(FieldError::invalid(
                        &path.child("searches").index(i),
                        s,
                        &msg,
                    ));
                }
            }
        }
    }
    for (i, o) in list_of(c, "options").iter().enumerate() {
        if str_of(o, "name").is_empty() {
            errs.push(FieldError::required(
                &path.child("options").index(i),
                "must not be empty",
            ));
        }
    }
    errs
}

/// Checks on pod annotations with a meaning (`ValidatePodSpecificAnnotations`).
fn validate_pod_specific_annotations(
    annotations: Option<&Value>,
    spec: &Value,
    path: &Path,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let Some(ann) = annotations.and_then(Value::as_object) else {
        return errs;
    };
    if let Some(v) = ann.get("kubernetes.io/config.mirror")
        && str_of(spec, "nodeName").is_empty()
    {
        errs.push(FieldError::invalid(
            &path.key("kubernetes.io/config.mirror"),
            v.as_str().unwrap_or(""),
            "must set spec.nodeName if mirror pod annotation is set",
        ));
    }
    if let Some(v) = ann.get("controller.kubernetes.io/pod-deletion-cost") {
        let v = v.as_str().unwrap_or("");
        if v.parse::<i32>().is_err() {
            errs.push(FieldError::invalid(
                &path.key("controller.kubernetes.io/pod-deletion-cost"),
                v,
                "must be a 32bit integer",
            ));
        }
    }
    errs
}

/// Upstream's `ValidatePodTemplateSpec` (a template embedded in a workload).
pub(crate) fn validate_pod_template_spec(template: &Value, path: &Path) -> Vec<FieldError> {
    let empty = Value::Null;
    let meta = get(template, "metadata").unwrap_or(&empty);
    let spec = get(template, "spec").unwrap_or(&empty);
    let mut errs = validate_labels(get(meta, "labels"), &path.child("labels"));
    errs.extend(validate_annotations(
        get(meta, "annotations"),
        &path.child("annotations"),
    ));
    errs.extend(validate_pod_specific_annotations(
        get(meta, "annotations"),
        spec,
        &path.child("annotations"),
    ));
    errs.extend(validate_pod_spec(spec, &path.child("spec"), false));
    if !list_of(spec, "ephemeralContainers").is_empty() {
        errs.push(FieldError::forbidden(
            &path.children(&["spec", "ephemeralContainers"]),
            "ephemeral containers not allowed in pod template",
        ));
    }
    errs
}

/// `validatePodMetadataAndSpec`: what a pod must satisfy on create and on update.
fn validate_pod_metadata_and_spec(pod: &Value) -> Vec<FieldError> {
    let meta_path = Path::root("metadata");
    let spec_path = Path::root("spec");
    let empty = Value::Null;
    let spec = get(pod, "spec").unwrap_or(&empty);
    let meta = get(pod, "metadata");
    let mut errs = meta::meta_create(meta, true, NameRule::Dns1123Subdomain, true, &meta_path);
    errs.extend(validate_pod_specific_annotations(
        meta.and_then(|m| get(m, "annotations")),
        spec,
        &meta_path.child("annotations"),
    ));
    errs.extend(validate_pod_spec(spec, &spec_path, true));
    if str_of(spec, "serviceAccountName").is_empty() {
        for (vi, vol) in list_of(spec, "volumes").iter().enumerate() {
            let Some(projected) = get(vol, "projected") else {
                continue;
            };
            for (si, source) in list_of(projected, "sources").iter().enumerate() {
                if get(source, "serviceAccountToken").is_some() {
                    errs.push(FieldError::forbidden(
                        &spec_path
                            .child("volumes")
                            .index(vi)
                            .child("projected")
                            .child("sources")
                            .index(si)
                            .child("serviceAccountToken"),
                        "must not be specified when serviceAccountName is not set",
                    ));
                }
            }
        }
    }
    for key in ["containers", "initContainers"] {
        for (i, ctr) in list_of(spec, key).iter().enumerate() {
            let image = str_of(ctr, "image");
            if image.len() != image.trim().len() {
                errs.push(FieldError::invalid(
                    &spec_path.child(key).index(i).child("image"),
                    image,
                    "must not have leading or trailing whitespace",
                ));
            }
        }
    }
    errs
}

/// Upstream's `ValidatePodCreate`.
pub(crate) fn validate_pod_create(pod: &Value) -> Vec<FieldError> {
    let mut errs = validate_pod_metadata_and_spec(pod);
    let empty = Value::Null;
    let spec = get(pod, "spec").unwrap_or(&empty);
    let spec_path = Path::root("spec");
    if !list_of(spec, "ephemeralContainers").is_empty() {
        errs.push(FieldError::forbidden(
            &spec_path.child("ephemeralContainers"),
            "cannot be set on create",
        ));
    }
    if !str_of(spec, "nodeName").is_empty() && !list_of(spec, "schedulingGates").is_empty() {
        errs.push(FieldError::forbidden(
            &spec_path.child("nodeName"),
            "cannot be set until all schedulingGates have been cleared",
        ));
    }
    errs
}

/// Upstream's `ValidatePodUpdate`: only images, `activeDeadlineSeconds` (lowered),
/// tolerations (added) and scheduling gates (removed) may change.
pub(crate) fn validate_pod_update(pod: &Value, old: &Value) -> Vec<FieldError> {
    let spec_path = Path::root("spec");
    let mut errs = meta::meta_update(pod, old, &Path::root("metadata"), true);
    errs.extend(validate_pod_metadata_and_spec(pod));
    let empty = Value::Null;
    let new_spec = get(pod, "spec").unwrap_or(&empty);
    let old_spec = get(old, "spec").unwrap_or(&empty);

    for key in ["containers", "initContainers"] {
        let (new_c, old_c) = (list_of(new_spec, key), list_of(old_spec, key));
        if new_c.len() != old_c.len() {
            errs.push(FieldError::forbidden(
                &spec_path.child(key),
                "pod updates may not add or remove containers",
            ));
            return errs;
        }
        for (i, ctr) in new_c.iter().enumerate() {
            let image = str_of(ctr, "image");
            let p = spec_path.child(key).index(i).child("image");
            if image.is_empty() {
                errs.push(FieldError::required(&p, ""));
            }
            if image.trim().len() != image.len() {
                errs.push(FieldError::invalid(
                    &p,
                    image,
                    "must not have leading or trailing whitespace",
                ));
            }
        }
    }

    let ads_path = spec_path.child("activeDeadlineSeconds");
    match (
        int_of(new_spec, "activeDeadlineSeconds"),
        int_of(old_spec, "activeDeadlineSeconds"),
    ) {
        (Some(n), old_ads) => {
            if !(0..=i64::from(i32::MAX)).contains(&n) {
                errs.push(FieldError::invalid(
                    &ads_path,
                    n,
                    &names::inclusive_range_error(0, i64::from(i32::MAX)),
                ));
                return errs;
            }
            if old_ads.is_some_and(|o| o < n) {
                errs.push(FieldError::invalid(
                    &ads_path,
                    n,
                    "must be less than or equal to previous value",
                ));
                return errs;
            }
        }
        (None, Some(_)) => errs.push(FieldError::invalid(
            &ads_path,
            Value::Null,
            "must not update from a positive integer to nil value",
        )),
        (None, None) => {}
    }

    errs.extend(validate_only_added_tolerations(
        list_of(new_spec, "tolerations"),
        list_of(old_spec, "tolerations"),
        &spec_path.child("tolerations"),
    ));
    let old_gates: Vec<&str> = list_of(old_spec, "schedulingGates")
        .iter()
        .map(|g| str_of(g, "name"))
        .collect();
    for (i, gate) in list_of(new_spec, "schedulingGates").iter().enumerate() {
        let name = str_of(gate, "name");
        if !old_gates.contains(&name) {
            errs.push(FieldError::forbidden(
                &spec_path.child("schedulingGates").index(i).child("name"),
                &format!("only deletion is allowed, but found new scheduling gate '{name}'"),
            ));
        }
    }

    // An unchanged spec (every status write) needs no normalized copies to compare.
    if new_spec == old_spec {
        return errs;
    }
    let mut munged = normalize(new_spec);
    let old_norm = normalize(old_spec);
    if munged == old_norm {
        return errs;
    }
    if let Value::Object(m) = &mut munged {
        for key in ["containers", "initContainers"] {
            if let Some(Value::Array(list)) = m.get_mut(key) {
                for (i, ctr) in list.iter_mut().enumerate() {
                    let old_image = list_of(old_spec, key)
                        .get(i)
                        .map(|c| str_of(c, "image"))
                        .unwrap_or("");
                    if let Value::Object(c) = ctr {
                        set_or_remove(c, "image", Value::from(old_image));
                    }
                }
            }
        }
        for key in ["activeDeadlineSeconds", "schedulingGates", "tolerations"] {
            set_or_remove(m, key, old_norm.get(key).cloned().unwrap_or(Value::Null));
        }
        let old_grace = int_of(old_spec, "terminationGracePeriodSeconds");
        if old_grace.is_some_and(|g| g < 0)
            && int_of(new_spec, "terminationGracePeriodSeconds") == Some(1)
        {
            set_or_remove(
                m,
                "terminationGracePeriodSeconds",
                Value::from(old_grace.unwrap_or(0)),
            );
        }
    }
    if munged != old_norm {
        errs.push(FieldError::forbidden(
            &spec_path,
            &format!(
                "pod updates may not change fields other than {}\n{}",
                UPDATABLE_POD_SPEC_FIELDS.join(","),
                spec_diff(&old_norm, &munged)
            ),
        ));
    }
    errs
}

fn set_or_remove(m: &mut Map<String, Value>, key: &str, v: Value) {
    if v.is_null() || v.as_str() == Some("") {
        m.remove(key);
    } else {
        m.insert(key.to_string(), v);
    }
}

fn validate_only_added_tolerations(new: &[Value], old: &[Value], path: &Path) -> Vec<FieldError> {
    let strip = |t: &Value| {
        let mut t = normalize(t);
        if let Value::Object(m) = &mut t {
            m.remove("tolerationSeconds");
        }
        t
    };
    for o in old {
        if !new.iter().any(|n| strip(n) == strip(o)) {
            return vec![FieldError::forbidden(
                path,
                "existing toleration can not be modified except its tolerationSeconds",
            )];
        }
    }
    probe::validate_tolerations(new, path)
}

/// Drops what Go's semantic equality cannot see: nulls, empty strings, `false`, empty lists
/// and empty objects.
fn normalize(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let n = normalize(v);
                let zero = match &n {
                    Value::Null => true,
                    Value::String(s) => s.is_empty(),
                    Value::Bool(b) => !b,
                    Value::Array(a) => a.is_empty(),
                    Value::Object(o) => o.is_empty(),
                    Value::Number(_) => false,
                };
                if !zero {
                    out.insert(k.clone(), n);
                }
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(normalize).collect()),
        other => other.clone(),
    }
}

/// A short description of the changed spec fields, in the spirit of upstream's `cmp.Diff`
/// (whose exact text depends on Go's internal types and is not reproduced).
fn spec_diff(old: &Value, new: &Value) -> String {
    let mut lines = vec!["  core.PodSpec{".to_string()];
    let empty = Map::new();
    let old_m = old.as_object().unwrap_or(&empty);
    let new_m = new.as_object().unwrap_or(&empty);
    let mut keys: Vec<&String> = old_m.keys().collect();
    for k in new_m.keys() {
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    for k in keys {
        let (o, n) = (old_m.get(k), new_m.get(k));
        if o == n {
            continue;
        }
        if let Some(o) = o {
            lines.push(format!("- \t{k}: {o},"));
        }
        if let Some(n) = n {
            lines.push(format!("+ \t{k}: {n},"));
        }
    }
    lines.push("  }".to_string());
    lines.join("\n")
}
