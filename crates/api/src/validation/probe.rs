//! Probes, lifecycle handlers, port references and tolerations of containers.

use serde_json::Value;

use super::FieldError;
use super::container::PodContext;
use super::meta::validate_label_name;
use super::names;
use super::util::{IntOrString, Path, get, int_of, list_of, str_of};

pub(crate) fn validate_probes(ctr: &Value, ctx: &PodContext, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for key in ["livenessProbe", "readinessProbe", "startupProbe"] {
        let Some(probe) = get(ctr, key) else { continue };
        let p = path.child(key);
        errs.extend(validate_handler(probe, false, ctx, &p));
        for field in [
            "initialDelaySeconds",
            "timeoutSeconds",
            "periodSeconds",
            "successThreshold",
            "failureThreshold",
        ] {
            let v = int_of(probe, field).unwrap_or(0);
            if v < 0 {
                errs.push(FieldError::invalid(
                    &p.child(field),
                    v,
                    "must be greater than or equal to 0",
                ));
            }
        }
        if let Some(tg) = int_of(probe, "terminationGracePeriodSeconds").filter(|t| *t <= 0) {
            errs.push(FieldError::invalid(
                &p.child("terminationGracePeriodSeconds"),
                tg,
                "must be greater than 0",
            ));
        }
        match key {
            "readinessProbe" => {
                if let Some(tg) = int_of(probe, "terminationGracePeriodSeconds") {
                    errs.push(FieldError::invalid(
                        &p.child("terminationGracePeriodSeconds"),
                        tg,
                        "must not be set for readinessProbes",
                    ));
                }
            }
            _ => {
                let st = int_of(probe, "successThreshold").unwrap_or(0);
                if st != 1 {
                    errs.push(FieldError::invalid(
                        &p.child("successThreshold"),
                        st,
                        "must be 1",
                    ));
                }
            }
        }
    }
    errs
}

pub(crate) fn validate_lifecycle(lc: &Value, ctx: &PodContext, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for key in ["postStart", "preStop"] {
        if let Some(h) = get(lc, key) {
            errs.extend(validate_handler(h, true, ctx, &path.child(key)));
        }
    }
    errs
}

fn validate_handler(h: &Value, lifecycle: bool, ctx: &PodContext, path: &Path) -> Vec<FieldError> {
    let mut keys = vec!["exec", "httpGet", "tcpSocket"];
    keys.push(if lifecycle { "sleep" } else { "grpc" });
    let mut errs = Vec::new();
    let mut n = 0;
    for key in keys {
        let Some(a) = get(h, key) else { continue };
        let p = path.child(key);
        if n > 0 {
            errs.push(FieldError::forbidden(
                &p,
                "may not specify more than 1 handler type",
            ));
            continue;
        }
        n += 1;
        match key {
            "exec" => {
                if list_of(a, "command").is_empty() {
                    errs.push(FieldError::required(&p.child("command"), ""));
                }
            }
            "httpGet" => {
                if str_of(a, "path").is_empty() {
                    errs.push(FieldError::required(&p.child("path"), ""));
                }
                errs.extend(validate_port_num_or_name(get(a, "port"), &p.child("port")));
                let scheme = str_of(a, "scheme");
                if scheme != "HTTP" && scheme != "HTTPS" {
                    errs.push(FieldError::not_supported(
                        &p.child("scheme"),
                        scheme,
                        &["HTTP", "HTTPS"],
                    ));
                }
                for header in list_of(a, "httpHeaders") {
                    let name = str_of(header, "name");
                    for msg in names::is_http_header_name(name) {
                        errs.push(FieldError::invalid(&p.child("httpHeaders"), name, &msg));
                    }
                }
            }
            "tcpSocket" => errs.extend(validate_port_num_or_name(get(a, "port"), &p.child("port"))),
            "grpc" => {
                let port = int_of(a, "port").unwrap_or(0);
                for msg in names::is_valid_port_num(port) {
                    errs.push(FieldError::invalid(&p.child("port"), port, &msg));
                }
            }
            _ => {
                // sleep: 0 is allowed since PodLifecycleSleepActionAllowZero (beta in v1.33).
                let seconds = int_of(a, "seconds").unwrap_or(0);
                if let Some(grace) = ctx.grace_period
                    && (seconds < 0 || seconds > grace)
                {
                    errs.push(FieldError::invalid(
                        &p,
                        seconds,
                        &format!("must be non-negative and less than terminationGracePeriodSeconds ({grace})"),
                    ));
                }
            }
        }
    }
    if n == 0 {
        errs.push(FieldError::required(path, "must specify a handler type"));
    }
    errs
}

/// Upstream's `ValidatePortNumOrName`.
pub(crate) fn validate_port_num_or_name(port: Option<&Value>, path: &Path) -> Vec<FieldError> {
    match port
        .map(IntOrString::from_json)
        .unwrap_or(IntOrString::Int(0))
    {
        IntOrString::Int(n) => names::is_valid_port_num(n)
            .into_iter()
            .map(|msg| FieldError::invalid(path, n, &msg))
            .collect(),
        IntOrString::Str(s) => names::is_valid_port_name(&s)
            .into_iter()
            .map(|msg| FieldError::invalid(path, s.clone(), &msg))
            .collect(),
    }
}

/// Tolerations (`ValidateTolerations`).
pub(crate) fn validate_tolerations(tolerations: &[Value], path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (i, t) in tolerations.iter().enumerate() {
        let p = path.index(i);
        let key = str_of(t, "key");
        let op = str_of(t, "operator");
        let value = str_of(t, "value");
        let effect = str_of(t, "effect");
        if !key.is_empty() {
            errs.extend(validate_label_name(key, &p.child("key")));
        }
        if key.is_empty() && op != "Exists" {
            errs.push(FieldError::invalid(
                &p.child("operator"),
                op,
                "operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
            ));
        }
        if get(t, "tolerationSeconds").is_some() && effect != "NoExecute" {
            errs.push(FieldError::invalid(
                &p.child("effect"),
                effect,
                "effect must be 'NoExecute' when `tolerationSeconds` is set",
            ));
        }
        match op {
            "Equal" | "" => {
                let msgs = names::is_valid_label_value(value);
                if !msgs.is_empty() {
                    errs.push(FieldError::invalid(
                        &p.child("operator"),
                        value,
                        &msgs.join(";"),
                    ));
                }
            }
            "Exists" => {
                if !value.is_empty() {
                    errs.push(FieldError::invalid(
                        &p.child("operator"),
                        value,
                        "value must be empty when `operator` is 'Exists'",
                    ));
                }
            }
            other => errs.push(FieldError::not_supported(
                &p.child("operator"),
                other,
                &["Equal", "Exists"],
            )),
        }
        if !effect.is_empty() && !matches!(effect, "NoSchedule" | "PreferNoSchedule" | "NoExecute")
        {
            errs.push(FieldError::not_supported(
                &p.child("effect"),
                effect,
                &["NoSchedule", "PreferNoSchedule", "NoExecute"],
            ));
        }
    }
    errs
}
