//! Compute resources and security contexts of containers and pods: resource names and
//! quantities (`ValidateContainerResourceRequirements`), user and group ids, seccomp.

use serde_json::Value;

use super::FieldError;
use super::container::validate_qualified;
use super::names;
use super::quantity::{self, Quantity};
use super::util::{Path, get, int_of, list_of, map_of, str_of};

fn is_hugepages(name: &str) -> bool {
    name.starts_with("hugepages-")
}

fn is_native(name: &str) -> bool {
    !name.contains('/') || name.contains("kubernetes.io/")
}

fn is_extended(name: &str) -> bool {
    !is_native(name)
        && !name.starts_with("requests.")
        && names::is_qualified_name(&format!("requests.{name}")).is_empty()
}

const STANDARD_RESOURCES: &[&str] = &[
    "cpu",
    "memory",
    "ephemeral-storage",
    "requests.cpu",
    "requests.memory",
    "requests.ephemeral-storage",
    "limits.cpu",
    "limits.memory",
    "limits.ephemeral-storage",
    "pods",
    "services",
    "replicationcontrollers",
    "resourcequotas",
    "secrets",
    "configmaps",
    "persistentvolumeclaims",
    "storage",
    "requests.storage",
    "services.nodeports",
    "services.loadbalancers",
];

/// Upstream's `validateContainerResourceName`.
fn validate_container_resource_name(name: &str, path: &Path) -> Vec<FieldError> {
    let mut errs = validate_qualified(name, path);
    if !errs.is_empty() {
        return errs;
    }
    if !name.contains('/') {
        let standard = STANDARD_RESOURCES.contains(&name) || is_hugepages(name);
        if !standard {
            errs.push(FieldError::invalid(
                path,
                name,
                "must be a standard resource type or fully qualified",
            ));
        }
        if !(matches!(name, "cpu" | "memory" | "ephemeral-storage") || is_hugepages(name)) {
            errs.push(FieldError::invalid(
                path,
                name,
                "must be a standard resource for containers",
            ));
        }
    } else if !is_native(name) && !is_extended(name) {
        errs.push(FieldError::invalid(
            path,
            name,
            "doesn't follow extended resource name standard",
        ));
    }
    errs
}

/// Parses and checks one quantity of a resource list; `None` when it does not parse.
fn check_quantity(
    name: &str,
    raw: &Value,
    path: &Path,
    errs: &mut Vec<FieldError>,
) -> Option<Quantity> {
    let Some(q) = quantity::from_json(raw) else {
        errs.push(FieldError::invalid(
            path,
            raw.clone(),
            quantity::PARSE_ERROR,
        ));
        return None;
    };
    if q.is_negative() {
        errs.push(FieldError::invalid(
            path,
            q.canonical(),
            "must be greater than or equal to 0",
        ));
    }
    if is_extended(name) && !q.is_integer() {
        let original = raw
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| raw.to_string());
        errs.push(
            FieldError::invalid(path, raw.clone(), "must be an integer")
                .with_repr(q.go_repr(&original)),
        );
    }
    Some(q)
}

/// Upstream's `ValidateContainerResourceRequirements`.
pub(crate) fn validate_resources(res: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let lim_path = path.child("limits");
    let req_path = path.child("requests");
    let empty = serde_json::Map::new();
    let limits = map_of(res, "limits").unwrap_or(&empty);
    let requests = map_of(res, "requests").unwrap_or(&empty);
    let mut has_cpu_mem = false;
    let mut has_huge = false;
    for (name, raw) in limits {
        let p = lim_path.key(name);
        errs.extend(validate_container_resource_name(name, &p));
        check_quantity(name, raw, &p, &mut errs);
        has_huge |= is_hugepages(name);
        has_cpu_mem |= name == "cpu" || name == "memory";
    }
    for (name, raw) in requests {
        let p = req_path.key(name);
        errs.extend(validate_container_resource_name(name, &p));
        let Some(q) = check_quantity(name, raw, &p, &mut errs) else {
            continue;
        };
        let overcommit = is_native(name) && !is_hugepages(name);
        match limits.get(name).and_then(quantity::from_json) {
            Some(limit) => {
                let ord = q.cmp_value(&limit);
                if ord != std::cmp::Ordering::Equal && !overcommit {
                    errs.push(FieldError::invalid(
                        &req_path,
                        q.canonical(),
                        &format!("must be equal to {name} limit of {}", limit.canonical()),
                    ));
                } else if ord == std::cmp::Ordering::Greater {
                    errs.push(FieldError::invalid(
                        &req_path,
                        q.canonical(),
                        &format!(
                            "must be less than or equal to {name} limit of {}",
                            limit.canonical()
                        ),
                    ));
                }
            }
            None if !overcommit => errs.push(FieldError::required(
                &lim_path,
                "Limit must be set for non overcommitable resources",
            )),
            None => {}
        }
        has_huge |= is_hugepages(name);
        has_cpu_mem |= name == "cpu" || name == "memory";
    }
    if has_huge && !has_cpu_mem {
        errs.push(FieldError::forbidden(
            path,
            "HugePages require cpu or memory",
        ));
    }
    errs
}

fn validate_id_range(sc: &Value, key: &str, path: &Path, errs: &mut Vec<FieldError>) {
    if let Some(id) = int_of(sc, key)
        && !(0..=i64::from(i32::MAX)).contains(&id)
    {
        errs.push(FieldError::invalid(
            &path.child(key),
            id,
            &names::inclusive_range_error(0, i64::from(i32::MAX)),
        ));
    }
}

/// The container security context checks that do not depend on node features.
pub(crate) fn validate_security_context(sc: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    validate_id_range(sc, "runAsUser", path, &mut errs);
    validate_id_range(sc, "runAsGroup", path, &mut errs);
    errs.extend(validate_seccomp_profile(sc, &path.child("seccompProfile")));
    if get(sc, "allowPrivilegeEscalation").and_then(Value::as_bool) == Some(false) {
        if get(sc, "privileged").and_then(Value::as_bool) == Some(true) {
            errs.push(FieldError::invalid(
                path,
                sc.clone(),
                "cannot set `allowPrivilegeEscalation` to false and `privileged` to true",
            ));
        }
        let adds_sys_admin = get(sc, "capabilities")
            .map(|c| list_of(c, "add"))
            .unwrap_or(&[])
            .iter()
            .any(|c| c.as_str() == Some("CAP_SYS_ADMIN"));
        if adds_sys_admin {
            errs.push(FieldError::invalid(
                path,
                sc.clone(),
                "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN",
            ));
        }
    }
    errs
}

/// The pod-level security context.
pub(crate) fn validate_pod_security_context(sc: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    validate_id_range(sc, "fsGroup", path, &mut errs);
    validate_id_range(sc, "runAsUser", path, &mut errs);
    validate_id_range(sc, "runAsGroup", path, &mut errs);
    for (i, gid) in list_of(sc, "supplementalGroups").iter().enumerate() {
        let gid = super::util::as_int(gid).unwrap_or(0);
        if !(0..=i64::from(i32::MAX)).contains(&gid) {
            errs.push(FieldError::invalid(
                &path.child("supplementalGroups").index(i),
                gid,
                &names::inclusive_range_error(0, i64::from(i32::MAX)),
            ));
        }
    }
    errs.extend(validate_seccomp_profile(sc, &path.child("seccompProfile")));
    errs
}

fn validate_seccomp_profile(sc: &Value, path: &Path) -> Vec<FieldError> {
    let Some(profile) = get(sc, "seccompProfile") else {
        return Vec::new();
    };
    match str_of(profile, "type") {
        "Localhost" | "RuntimeDefault" | "Unconfined" => Vec::new(),
        "" => vec![FieldError::required(
            &path.child("type"),
            "type is required when seccompProfile is set",
        )],
        other => vec![FieldError::not_supported(
            &path.child("type"),
            other,
            &["Localhost", "RuntimeDefault", "Unconfined"],
        )],
    }
}
