//! Containers (regular and init): names, images, ports, environment, mounts, resources,
//! probes and lifecycle handlers, as upstream's `validateContainers` and friends.

use serde_json::Value;

use super::FieldError;
use super::compute::{validate_resources, validate_security_context};
use super::names::{self, NameRule};
use super::probe::{validate_lifecycle, validate_probes};
use super::util::{Path, get, int_of, list_of, str_of};
use super::volume::{ValidVolume, validate_local_descending_path, validate_no_backsteps};

const ENV_FIELD_PATHS: &[&str] = &[
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
];
const DOWNWARD_API_V1_LABELS: &[&str] = &[
    "metadata.annotations",
    "metadata.labels",
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.restartPolicy",
    "spec.serviceAccountName",
    "spec.schedulerName",
    "status.phase",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
];
const CONTAINER_RESOURCE_FIELDS: &[&str] = &[
    "limits.cpu",
    "limits.ephemeral-storage",
    "limits.memory",
    "requests.cpu",
    "requests.ephemeral-storage",
    "requests.memory",
];
const PROTOCOLS: &[&str] = &["SCTP", "TCP", "UDP"];

/// What the containers of one pod spec are checked against.
pub(crate) struct PodContext<'a> {
    pub(crate) volumes: &'a [ValidVolume],
    pub(crate) grace_period: Option<i64>,
}

/// Upstream's `validateContainers` for `spec.containers`.
pub(crate) fn validate_containers(
    containers: &[Value],
    ctx: &PodContext,
    path: &Path,
) -> Vec<FieldError> {
    if containers.is_empty() {
        return vec![FieldError::required(path, "")];
    }
    let mut errs = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for (i, ctr) in containers.iter().enumerate() {
        let p = path.index(i);
        errs.extend(validate_common(ctr, ctx, &p));
        let name = str_of(ctr, "name");
        if seen.contains(&name) {
            errs.push(FieldError::duplicate(&p.child("name"), name));
        } else {
            seen.push(name);
        }
        if let Some(lc) = get(ctr, "lifecycle") {
            errs.extend(validate_lifecycle(lc, ctx, &p.child("lifecycle")));
        }
        errs.extend(validate_probes(ctr, ctx, &p));
        if get(ctr, "restartPolicy").is_some() {
            errs.push(FieldError::forbidden(
                &p.child("restartPolicy"),
                "may not be set for non-init containers",
            ));
        }
    }
    errs.extend(host_port_conflicts(containers, path));
    errs
}

/// Upstream's `validateInitContainers` for `spec.initContainers`.
pub(crate) fn validate_init_containers(
    init: &[Value],
    regular: &[Value],
    ctx: &PodContext,
    path: &Path,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut names: Vec<&str> = regular.iter().map(|c| str_of(c, "name")).collect();
    for (i, ctr) in init.iter().enumerate() {
        let p = path.index(i);
        errs.extend(validate_common(ctr, ctx, &p));
        let mut restart_always = false;
        if let Some(rp) = get(ctr, "restartPolicy") {
            let rp = rp.as_str().unwrap_or("");
            if rp == "Always" {
                restart_always = true;
            } else {
                errs.push(FieldError::not_supported(
                    &p.child("restartPolicy"),
                    rp,
                    &["Always"],
                ));
            }
        }
        let name = str_of(ctr, "name");
        if names.contains(&name) {
            errs.push(FieldError::duplicate(&p.child("name"), name));
        } else if !name.is_empty() {
            names.push(name);
        }
        errs.extend(host_port_conflicts(std::slice::from_ref(ctr), path));
        if restart_always {
            if let Some(lc) = get(ctr, "lifecycle") {
                errs.extend(validate_lifecycle(lc, ctx, &p.child("lifecycle")));
            }
            errs.extend(validate_probes(ctr, ctx, &p));
        } else {
            for key in [
                "lifecycle",
                "livenessProbe",
                "readinessProbe",
                "startupProbe",
            ] {
                if get(ctr, key).is_some() {
                    errs.push(FieldError::forbidden(
                        &p.child(key),
                        "may not be set for init containers without restartPolicy=Always",
                    ));
                }
            }
        }
    }
    errs
}

fn validate_common(ctr: &Value, ctx: &PodContext, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let name = str_of(ctr, "name");
    if name.is_empty() {
        errs.push(FieldError::required(&path.child("name"), ""));
    } else {
        for msg in names::is_dns1123_label(name) {
            errs.push(FieldError::invalid(&path.child("name"), name, &msg));
        }
    }
    if str_of(ctr, "image").is_empty() {
        errs.push(FieldError::required(&path.child("image"), ""));
    }
    match str_of(ctr, "terminationMessagePolicy") {
        "File" | "FallbackToLogsOnError" => {}
        "" => errs.push(FieldError::required(
            &path.child("terminationMessagePolicy"),
            "",
        )),
        other => errs.push(FieldError::not_supported(
            &path.child("terminationMessagePolicy"),
            other,
            &["File", "FallbackToLogsOnError"],
        )),
    }
    errs.extend(validate_ports(list_of(ctr, "ports"), &path.child("ports")));
    errs.extend(validate_env(list_of(ctr, "env"), &path.child("env")));
    errs.extend(validate_env_from(
        list_of(ctr, "envFrom"),
        &path.child("envFrom"),
    ));
    errs.extend(validate_volume_mounts(
        ctr,
        ctx.volumes,
        &path.child("volumeMounts"),
    ));
    errs.extend(validate_volume_devices(
        ctr,
        ctx.volumes,
        &path.child("volumeDevices"),
    ));
    match str_of(ctr, "imagePullPolicy") {
        "Always" | "IfNotPresent" | "Never" => {}
        "" => errs.push(FieldError::required(&path.child("imagePullPolicy"), "")),
        other => errs.push(FieldError::not_supported(
            &path.child("imagePullPolicy"),
            other,
            &["Always", "IfNotPresent", "Never"],
        )),
    }
    if let Some(res) = get(ctr, "resources") {
        errs.extend(validate_resources(res, &path.child("resources")));
    }
    if let Some(sc) = get(ctr, "securityContext") {
        errs.extend(validate_security_context(
            sc,
            &path.child("securityContext"),
        ));
    }
    errs
}

fn validate_ports(ports: &[Value], path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    for (i, port) in ports.iter().enumerate() {
        let p = path.index(i);
        let name = str_of(port, "name");
        if !name.is_empty() {
            let msgs = names::is_valid_port_name(name);
            if !msgs.is_empty() {
                for msg in msgs {
                    errs.push(FieldError::invalid(&p.child("name"), name, &msg));
                }
            } else if names.contains(&name) {
                errs.push(FieldError::duplicate(&p.child("name"), name));
            } else {
                names.push(name);
            }
        }
        let container_port = int_of(port, "containerPort").unwrap_or(0);
        if container_port == 0 {
            errs.push(FieldError::required(&p.child("containerPort"), ""));
        } else {
            for msg in names::is_valid_port_num(container_port) {
                errs.push(FieldError::invalid(
                    &p.child("containerPort"),
                    container_port,
                    &msg,
                ));
            }
        }
        let host_port = int_of(port, "hostPort").unwrap_or(0);
        if host_port != 0 {
            for msg in names::is_valid_port_num(host_port) {
                errs.push(FieldError::invalid(&p.child("hostPort"), host_port, &msg));
            }
        }
        match str_of(port, "protocol") {
            "" => errs.push(FieldError::required(&p.child("protocol"), "")),
            proto if !PROTOCOLS.contains(&proto) => {
                errs.push(FieldError::not_supported(
                    &p.child("protocol"),
                    proto,
                    PROTOCOLS,
                ));
            }
            _ => {}
        }
    }
    errs
}

/// Duplicate `protocol/hostIP/hostPort` triples across the given containers.
fn host_port_conflicts(containers: &[Value], path: &Path) -> Vec<FieldError> {
    let mut seen: Vec<String> = Vec::new();
    let mut errs = Vec::new();
    for (ci, ctr) in containers.iter().enumerate() {
        for (pi, port) in list_of(ctr, "ports").iter().enumerate() {
            let host_port = int_of(port, "hostPort").unwrap_or(0);
            if host_port == 0 {
                continue;
            }
            let key = format!(
                "{}/{}/{}",
                str_of(port, "protocol"),
                str_of(port, "hostIP"),
                host_port
            );
            if seen.contains(&key) {
                errs.push(FieldError::duplicate(
                    &path.index(ci).child("ports").index(pi).child("hostPort"),
                    key,
                ));
            } else {
                seen.push(key);
            }
        }
    }
    errs
}

fn validate_env(vars: &[Value], path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (i, ev) in vars.iter().enumerate() {
        let p = path.index(i);
        let name = str_of(ev, "name");
        if name.is_empty() {
            errs.push(FieldError::required(&p.child("name"), ""));
        } else {
            for msg in names::is_relaxed_env_var_name(name) {
                errs.push(FieldError::invalid(&p.child("name"), name, &msg));
            }
        }
        if let Some(vf) = get(ev, "valueFrom") {
            errs.extend(validate_env_value_from(
                vf,
                !str_of(ev, "value").is_empty(),
                &p.child("valueFrom"),
            ));
        }
    }
    errs
}

fn validate_env_value_from(vf: &Value, has_value: bool, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut sources = 0;
    if let Some(fr) = get(vf, "fieldRef") {
        sources += 1;
        errs.extend(validate_object_field_selector(fr, &path.child("fieldRef")));
    }
    if let Some(rf) = get(vf, "resourceFieldRef") {
        sources += 1;
        let p = path.child("resourceFieldRef");
        let resource = str_of(rf, "resource");
        if resource.is_empty() {
            errs.push(FieldError::required(&p.child("resource"), ""));
        } else if !CONTAINER_RESOURCE_FIELDS.contains(&resource)
            && !resource.starts_with("limits.hugepages-")
            && !resource.starts_with("requests.hugepages-")
        {
            errs.push(FieldError::not_supported(
                &p.child("resource"),
                resource,
                CONTAINER_RESOURCE_FIELDS,
            ));
        }
    }
    for key in ["configMapKeyRef", "secretKeyRef"] {
        let Some(sel) = get(vf, key) else { continue };
        sources += 1;
        let p = path.child(key);
        let name = str_of(sel, "name");
        for msg in names::validate_name(NameRule::Dns1123Subdomain, name, false) {
            errs.push(FieldError::invalid(&p.child("name"), name, &msg));
        }
        let k = str_of(sel, "key");
        if k.is_empty() {
            errs.push(FieldError::required(&p.child("key"), ""));
        } else {
            for msg in names::is_config_map_key(k) {
                errs.push(FieldError::invalid(&p.child("key"), k, &msg));
            }
        }
    }
    if sources == 0 {
        errs.push(FieldError::invalid(
            path,
            "",
            "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
        ));
    } else if has_value {
        errs.push(FieldError::invalid(
            path,
            "",
            "may not be specified when `value` is not empty",
        ));
    } else if sources > 1 {
        errs.push(FieldError::invalid(
            path,
            "",
            "may not have more than one field specified at a time",
        ));
    }
    errs
}

/// `metadata.labels['key']` → (`metadata.labels`, `key`).
fn split_subscript(path: &str) -> Option<(&str, &str)> {
    let inner = path.strip_suffix("']")?;
    let (head, sub) = inner.split_once("['")?;
    (!head.is_empty()).then_some((head, sub))
}

fn validate_object_field_selector(fs: &Value, path: &Path) -> Vec<FieldError> {
    let api_version = str_of(fs, "apiVersion");
    if api_version.is_empty() {
        return vec![FieldError::required(&path.child("apiVersion"), "")];
    }
    let field_path = str_of(fs, "fieldPath");
    if field_path.is_empty() {
        return vec![FieldError::required(&path.child("fieldPath"), "")];
    }
    // The downward API field-label conversion of v1 pods.
    let conversion = if api_version != "v1" {
        Err(format!("unsupported pod version: {api_version}"))
    } else if let Some((head, _)) = split_subscript(field_path) {
        if head == "metadata.annotations" || head == "metadata.labels" {
            Ok(field_path.to_string())
        } else {
            Err(format!(
                "field label does not support subscript: {field_path}"
            ))
        }
    } else if field_path == "spec.host" {
        Ok("spec.nodeName".to_string())
    } else if DOWNWARD_API_V1_LABELS.contains(&field_path) {
        Ok(field_path.to_string())
    } else {
        Err(format!("field label not supported: {field_path}"))
    };
    let internal = match conversion {
        Ok(p) => p,
        Err(e) => {
            return vec![FieldError::invalid(
                &path.child("fieldPath"),
                field_path,
                &format!("error converting fieldPath: {e}"),
            )];
        }
    };
    if let Some((head, sub)) = split_subscript(&internal) {
        return match head {
            "metadata.annotations" => validate_qualified(&sub.to_lowercase(), path),
            "metadata.labels" => validate_qualified(sub, path),
            _ => vec![FieldError::invalid(
                path,
                head,
                "does not support subscript",
            )],
        };
    }
    if !ENV_FIELD_PATHS.contains(&internal.as_str()) {
        return vec![FieldError::not_supported(
            &path.child("fieldPath"),
            internal,
            ENV_FIELD_PATHS,
        )];
    }
    Vec::new()
}

pub(crate) fn validate_qualified(value: &str, path: &Path) -> Vec<FieldError> {
    names::is_qualified_name(value)
        .into_iter()
        .map(|msg| FieldError::invalid(path, value, &msg))
        .collect()
}

fn validate_env_from(sources: &[Value], path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (i, ev) in sources.iter().enumerate() {
        let p = path.index(i);
        let prefix = str_of(ev, "prefix");
        if !prefix.is_empty() {
            for msg in names::is_relaxed_env_var_name(prefix) {
                errs.push(FieldError::invalid(&p.child("prefix"), prefix, &msg));
            }
        }
        let mut n = 0;
        for key in ["configMapRef", "secretRef"] {
            let Some(r) = get(ev, key) else { continue };
            n += 1;
            let name = str_of(r, "name");
            if name.is_empty() {
                errs.push(FieldError::required(&p.child(key).child("name"), ""));
            } else {
                for msg in names::validate_name(NameRule::Dns1123Subdomain, name, true) {
                    errs.push(FieldError::invalid(&p.child(key).child("name"), name, &msg));
                }
            }
        }
        if n == 0 {
            errs.push(FieldError::invalid(
                path,
                "",
                "must specify one of: `configMapRef` or `secretRef`",
            ));
        } else if n > 1 {
            errs.push(FieldError::invalid(
                path,
                "",
                "may not have more than one field specified at a time",
            ));
        }
    }
    errs
}

fn validate_volume_mounts(ctr: &Value, volumes: &[ValidVolume], path: &Path) -> Vec<FieldError> {
    let devices = list_of(ctr, "volumeDevices");
    let privileged = get(ctr, "securityContext")
        .and_then(|sc| get(sc, "privileged"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut errs = Vec::new();
    let mut mount_points: Vec<&str> = Vec::new();
    for (i, mnt) in list_of(ctr, "volumeMounts").iter().enumerate() {
        let p = path.index(i);
        let name = str_of(mnt, "name");
        let mount_path = str_of(mnt, "mountPath");
        if name.is_empty() {
            errs.push(FieldError::required(&p.child("name"), ""));
        }
        if !volumes.iter().any(|v| v.name == name) {
            errs.push(FieldError::not_found(&p.child("name"), name));
        }
        if mount_path.is_empty() {
            errs.push(FieldError::required(&p.child("mountPath"), ""));
        }
        if mount_points.contains(&mount_path) {
            errs.push(FieldError::invalid(
                &p.child("mountPath"),
                mount_path,
                "must be unique",
            ));
        }
        mount_points.push(mount_path);
        if devices.iter().any(|d| str_of(d, "name") == name) {
            errs.push(FieldError::invalid(
                &p.child("name"),
                name,
                "must not already exist in volumeDevices",
            ));
        }
        if devices
            .iter()
            .any(|d| str_of(d, "devicePath") == mount_path)
        {
            errs.push(FieldError::invalid(
                &p.child("mountPath"),
                mount_path,
                "must not already exist as a path in volumeDevices",
            ));
        }
        let sub_path = str_of(mnt, "subPath");
        let sub_path_expr = str_of(mnt, "subPathExpr");
        if volumes
            .iter()
            .any(|v| v.name == name && v.source == "image")
        {
            if !sub_path.is_empty() {
                errs.push(FieldError::invalid(
                    &p.child("subPath"),
                    sub_path,
                    "not allowed in image volume sources",
                ));
            }
            if !sub_path_expr.is_empty() {
                errs.push(FieldError::invalid(
                    &p.child("subPathExpr"),
                    sub_path_expr,
                    "not allowed in image volume sources",
                ));
            }
        }
        // Upstream reports these two at the list's path, not the item's.
        if !sub_path.is_empty() {
            errs.extend(validate_local_descending_path(
                sub_path,
                &path.child("subPath"),
            ));
        }
        if !sub_path_expr.is_empty() {
            if !sub_path.is_empty() {
                errs.push(FieldError::invalid(
                    &p.child("subPathExpr"),
                    sub_path_expr,
                    "subPathExpr and subPath are mutually exclusive",
                ));
            }
            errs.extend(validate_local_descending_path(
                sub_path_expr,
                &path.child("subPathExpr"),
            ));
        }
        if let Some(mp) = get(mnt, "mountPropagation").and_then(Value::as_str) {
            let pp = path.child("mountPropagation");
            let supported = ["Bidirectional", "HostToContainer", "None"];
            if !supported.contains(&mp) {
                errs.push(FieldError::not_supported(&pp, mp, &supported));
            }
            if mp == "Bidirectional" && !privileged {
                errs.push(FieldError::forbidden(
                    &pp,
                    "Bidirectional mount propagation is available only to privileged containers",
                ));
            }
        }
        if let Some(rro) = get(mnt, "recursiveReadOnly").and_then(Value::as_str) {
            let rp = path.child("recursiveReadOnly");
            match rro {
                "Disabled" => {}
                "Enabled" | "IfPossible" => {
                    if !super::util::bool_of(mnt, "readOnly") {
                        errs.push(FieldError::forbidden(
                            &rp,
                            "may only be specified when readOnly is true",
                        ));
                    }
                    if get(mnt, "mountPropagation")
                        .and_then(Value::as_str)
                        .is_some_and(|m| m != "None")
                    {
                        errs.push(FieldError::forbidden(
                            &rp,
                            "may only be specified when mountPropagation is None or not specified",
                        ));
                    }
                }
                other => errs.push(FieldError::not_supported(
                    &rp,
                    other,
                    &["Disabled", "Enabled", "IfPossible"],
                )),
            }
        }
    }
    errs
}

fn validate_volume_devices(ctr: &Value, volumes: &[ValidVolume], path: &Path) -> Vec<FieldError> {
    let mounts = list_of(ctr, "volumeMounts");
    let mut errs = Vec::new();
    let mut dev_paths: Vec<&str> = Vec::new();
    let mut dev_names: Vec<&str> = Vec::new();
    for (i, dev) in list_of(ctr, "volumeDevices").iter().enumerate() {
        let p = path.index(i);
        let name = str_of(dev, "name");
        let dev_path = str_of(dev, "devicePath");
        let matched = volumes.iter().find(|v| v.name == name);
        if name.is_empty() {
            errs.push(FieldError::required(&p.child("name"), ""));
        }
        if dev_names.contains(&name) {
            errs.push(FieldError::invalid(
                &p.child("name"),
                name,
                "must be unique",
            ));
        }
        match matched {
            Some(v) if v.source != "persistentVolumeClaim" && v.source != "ephemeral" => {
                errs.push(FieldError::invalid(
                    &p.child("name"),
                    name,
                    "can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode",
                ));
            }
            Some(_) => {}
            None => errs.push(FieldError::not_found(&p.child("name"), name)),
        }
        if dev_path.is_empty() {
            errs.push(FieldError::required(&p.child("devicePath"), ""));
        }
        if dev_paths.contains(&dev_path) {
            errs.push(FieldError::invalid(
                &p.child("devicePath"),
                dev_path,
                "must be unique",
            ));
        }
        if !dev_path.is_empty() && !validate_no_backsteps(dev_path, &p).is_empty() {
            errs.push(FieldError::invalid(
                &p.child("devicePath"),
                dev_path,
                "can not contain backsteps ('..')",
            ));
        } else {
            dev_paths.push(dev_path);
        }
        if mounts.iter().any(|m| str_of(m, "name") == name) {
            errs.push(FieldError::invalid(
                &p.child("name"),
                name,
                "must not already exist in volumeMounts",
            ));
        }
        if mounts.iter().any(|m| str_of(m, "mountPath") == dev_path) {
            errs.push(FieldError::invalid(
                &p.child("devicePath"),
                dev_path,
                "must not already exist as a path in volumeMounts",
            ));
        }
        if !name.is_empty() {
            dev_names.push(name);
        }
    }
    errs
}
