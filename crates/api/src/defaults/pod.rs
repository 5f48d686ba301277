//! Pod and pod-template defaults (`SetDefaults_Pod`, `SetDefaults_PodSpec`, containers,
//! probes, volumes) and the defaults a Pod gets from upstream's default admission plugins.

use serde_json::{Map, Value, json};

use super::{canonicalize_quantities, child_obj, is_unset, is_zero, set_if_absent, set_if_zero};

/// `SetDefaults_Pod` followed by the pod-spec defaults: only Pods (not templates) get their
/// requests defaulted from limits, `enableServiceLinks`, and host ports under host networking.
pub(super) fn default_pod(obj: &mut Value) {
    let spec = child_obj(obj, "spec");
    for key in ["containers", "initContainers"] {
        if let Some(Value::Array(list)) = spec.get_mut(key) {
            for ctr in list.iter_mut() {
                requests_from_limits(ctr);
            }
        }
    }
    set_if_absent(spec, "enableServiceLinks", json!(true));
    if spec.get("hostNetwork").and_then(Value::as_bool) == Some(true) {
        for key in ["containers", "initContainers"] {
            if let Some(Value::Array(list)) = spec.get_mut(key) {
                for ctr in list.iter_mut() {
                    if let Some(Value::Array(ports)) = ctr.get_mut("ports") {
                        for port in ports.iter_mut().filter(|p| p.is_object()) {
                            if is_zero(port, "hostPort") {
                                let cp = port.get("containerPort").cloned().unwrap_or(json!(0));
                                port["hostPort"] = cp;
                            }
                        }
                    }
                }
            }
        }
    }
    default_pod_spec(spec);
}

/// Requests default to limits for every resource that has a limit but no request.
fn requests_from_limits(ctr: &mut Value) {
    let Some(limits) = ctr
        .get("resources")
        .and_then(|r| r.get("limits"))
        .and_then(Value::as_object)
        .cloned()
    else {
        return;
    };
    let resources = child_obj(ctr, "resources");
    let requests = child_obj(resources, "requests");
    if let Value::Object(req) = requests {
        for (k, v) in limits {
            req.entry(k).or_insert(v);
        }
    }
}

/// `SetDefaults_PodSpec` and everything nested in a pod spec.
pub(crate) fn default_pod_spec(spec: &mut Value) {
    if !spec.is_object() {
        return;
    }
    set_if_zero(spec, "dnsPolicy", json!("ClusterFirst"));
    set_if_zero(spec, "restartPolicy", json!("Always"));
    set_if_absent(spec, "securityContext", json!({}));
    set_if_absent(spec, "terminationGracePeriodSeconds", json!(30));
    set_if_zero(spec, "schedulerName", json!("default-scheduler"));
    // The v1 API's deprecated `serviceAccount` mirrors `serviceAccountName` (conversion).
    if is_zero(spec, "serviceAccountName") && !is_zero(spec, "serviceAccount") {
        spec["serviceAccountName"] = spec["serviceAccount"].clone();
    }
    if !is_zero(spec, "serviceAccountName") {
        spec["serviceAccount"] = spec["serviceAccountName"].clone();
    }
    if let Some(Value::Array(volumes)) = spec.get_mut("volumes") {
        for vol in volumes.iter_mut().filter(|v| v.is_object()) {
            default_volume(vol);
        }
    }
    for key in ["initContainers", "containers", "ephemeralContainers"] {
        if let Some(Value::Array(list)) = spec.get_mut(key) {
            for ctr in list.iter_mut().filter(|c| c.is_object()) {
                default_container(ctr);
            }
        }
    }
    if let Some(overhead) = spec.get_mut("overhead") {
        canonicalize_quantities(overhead);
    }
}

const VOLUME_SOURCES: &[&str] = &[
    "hostPath",
    "emptyDir",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "secret",
    "nfs",
    "iscsi",
    "glusterfs",
    "persistentVolumeClaim",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "downwardAPI",
    "fc",
    "azureFile",
    "configMap",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "projected",
    "portworxVolume",
    "scaleIO",
    "storageos",
    "csi",
    "ephemeral",
    "image",
];

/// `SetDefaults_Volume` and the defaults of the volume sources.
fn default_volume(vol: &mut Value) {
    if VOLUME_SOURCES.iter().all(|k| is_unset(vol, k)) {
        vol["emptyDir"] = json!({});
    }
    if let Some(src) = vol.get_mut("hostPath").filter(|s| s.is_object()) {
        set_if_absent(src, "type", json!(""));
    }
    for key in ["secret", "configMap", "downwardAPI", "projected"] {
        if let Some(src) = vol.get_mut(key).filter(|s| s.is_object()) {
            set_if_absent(src, "defaultMode", json!(420));
        }
    }
    if let Some(Value::Array(items)) = vol.get_mut("downwardAPI").and_then(|d| d.get_mut("items")) {
        default_field_refs(items);
    }
    if let Some(Value::Array(sources)) = vol.get_mut("projected").and_then(|p| p.get_mut("sources"))
    {
        for source in sources.iter_mut() {
            if let Some(Value::Array(items)) = source
                .get_mut("downwardAPI")
                .and_then(|d| d.get_mut("items"))
            {
                default_field_refs(items);
            }
            if let Some(token) = source
                .get_mut("serviceAccountToken")
                .filter(|t| t.is_object())
            {
                set_if_absent(token, "expirationSeconds", json!(3600));
            }
        }
    }
    if let Some(src) = vol.get_mut("iscsi").filter(|s| s.is_object()) {
        set_if_zero(src, "iscsiInterface", json!("default"));
    }
    if let Some(src) = vol.get_mut("rbd").filter(|s| s.is_object()) {
        set_if_zero(src, "pool", json!("rbd"));
        set_if_zero(src, "user", json!("admin"));
        set_if_zero(src, "keyring", json!("/etc/ceph/keyring"));
    }
    if let Some(src) = vol.get_mut("azureDisk").filter(|s| s.is_object()) {
        set_if_absent(src, "cachingMode", json!("ReadWrite"));
        set_if_absent(src, "fsType", json!("ext4"));
        set_if_absent(src, "readOnly", json!(false));
        set_if_absent(src, "kind", json!("Shared"));
    }
    if let Some(src) = vol.get_mut("scaleIO").filter(|s| s.is_object()) {
        set_if_zero(src, "storageMode", json!("ThinProvisioned"));
        set_if_zero(src, "fsType", json!("xfs"));
    }
    if let Some(claim_spec) = vol
        .get_mut("ephemeral")
        .and_then(|e| e.get_mut("volumeClaimTemplate"))
        .and_then(|t| t.get_mut("spec"))
        .filter(|s| s.is_object())
    {
        set_if_absent(claim_spec, "volumeMode", json!("Filesystem"));
        if let Some(res) = claim_spec.get_mut("resources") {
            for key in ["limits", "requests"] {
                if let Some(list) = res.get_mut(key) {
                    canonicalize_quantities(list);
                }
            }
        }
    }
}

/// Downward API field selectors default to `apiVersion: v1`.
fn default_field_refs(items: &mut [Value]) {
    for item in items.iter_mut() {
        if let Some(fr) = item.get_mut("fieldRef").filter(|f| f.is_object()) {
            set_if_zero(fr, "apiVersion", json!("v1"));
        }
    }
}

/// `SetDefaults_Container` and the container's ports, env, resources, probes and hooks.
fn default_container(ctr: &mut Value) {
    if is_zero(ctr, "imagePullPolicy") {
        let image = ctr.get("image").and_then(Value::as_str).unwrap_or("");
        let policy = if image_tag(image).as_deref() == Some("latest") {
            "Always"
        } else {
            "IfNotPresent"
        };
        ctr["imagePullPolicy"] = json!(policy);
    }
    set_if_zero(ctr, "terminationMessagePath", json!("/dev/termination-log"));
    // Upstream always serializes the (non-pointer) resources struct, so clients see `{}`.
    set_if_absent(ctr, "resources", json!({}));
    set_if_zero(ctr, "terminationMessagePolicy", json!("File"));
    if let Some(Value::Array(ports)) = ctr.get_mut("ports") {
        for port in ports.iter_mut().filter(|p| p.is_object()) {
            set_if_zero(port, "protocol", json!("TCP"));
        }
    }
    if let Some(Value::Array(env)) = ctr.get_mut("env") {
        for ev in env.iter_mut() {
            if let Some(fr) = ev
                .get_mut("valueFrom")
                .and_then(|v| v.get_mut("fieldRef"))
                .filter(|f| f.is_object())
            {
                set_if_zero(fr, "apiVersion", json!("v1"));
            }
        }
    }
    if let Some(res) = ctr.get_mut("resources") {
        for key in ["limits", "requests"] {
            if let Some(list) = res.get_mut(key) {
                canonicalize_quantities(list);
            }
        }
    }
    for key in ["livenessProbe", "readinessProbe", "startupProbe"] {
        if let Some(probe) = ctr.get_mut(key).filter(|p| p.is_object()) {
            set_if_zero(probe, "timeoutSeconds", json!(1));
            set_if_zero(probe, "periodSeconds", json!(10));
            set_if_zero(probe, "successThreshold", json!(1));
            set_if_zero(probe, "failureThreshold", json!(3));
            default_http_get(probe);
            if let Some(grpc) = probe.get_mut("grpc").filter(|g| g.is_object()) {
                set_if_absent(grpc, "service", json!(""));
            }
        }
    }
    if let Some(lifecycle) = ctr.get_mut("lifecycle").filter(|l| l.is_object()) {
        for key in ["postStart", "preStop"] {
            if let Some(handler) = lifecycle.get_mut(key).filter(|h| h.is_object()) {
                default_http_get(handler);
            }
        }
    }
}

fn default_http_get(handler: &mut Value) {
    if let Some(http) = handler.get_mut("httpGet").filter(|h| h.is_object()) {
        set_if_zero(http, "path", json!("/"));
        set_if_zero(http, "scheme", json!("HTTP"));
    }
}

/// The tag of an image reference as upstream's `parsers.ParseImageName` sees it: `latest`
/// when neither tag nor digest is given, `""` with only a digest, `None` when the reference
/// does not parse (upstream then defaults the pull policy as for a tagged image).
pub(crate) fn image_tag(image: &str) -> Option<String> {
    if image.is_empty() || image.chars().any(|c| c.is_whitespace()) {
        return None;
    }
    let (name, digest) = match image.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (image, None),
    };
    let last_slash = name.rfind('/');
    let (repo, tag) = match name.rfind(':') {
        Some(colon) if last_slash.is_none_or(|s| colon > s) => {
            (&name[..colon], Some(&name[colon + 1..]))
        }
        _ => (name, None),
    };
    // The path (after an optional registry host) must be lower case.
    let path = match repo.split_once('/') {
        Some((host, rest)) if host.contains('.') || host.contains(':') || host == "localhost" => {
            rest
        }
        _ => repo,
    };
    let path_ok = !path.is_empty()
        && path.split('/').all(|c| {
            !c.is_empty()
                && c.chars().all(|ch| {
                    ch.is_ascii_lowercase() || ch.is_ascii_digit() || matches!(ch, '.' | '_' | '-')
                })
                && c.starts_with(|ch: char| ch.is_ascii_alphanumeric())
                && c.ends_with(|ch: char| ch.is_ascii_alphanumeric())
        });
    if !path_ok {
        return None;
    }
    if let Some(t) = tag {
        let tag_ok = !t.is_empty()
            && t.len() <= 128
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
            && t.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_');
        if !tag_ok {
            return None;
        }
    }
    match (tag, digest) {
        (Some(t), _) => Some(t.to_string()),
        (None, Some(_)) => Some(String::new()),
        (None, None) => Some("latest".to_string()),
    }
}

/// How long pods tolerate a not-ready or unreachable node by default
/// (`--default-not-ready-toleration-seconds`, `--default-unreachable-toleration-seconds`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TolerationSeconds {
    pub not_ready: i64,
    pub unreachable: i64,
}

impl Default for TolerationSeconds {
    fn default() -> Self {
        TolerationSeconds {
            not_ready: 300,
            unreachable: 300,
        }
    }
}

/// What upstream's default admission plugins add to a Pod on create, for a cluster without
/// PriorityClasses: `ServiceAccount` (the `default` account; the token volume it also mounts
/// is not added here), `Priority` (priority 0, `PreemptLowerPriority`) and
/// `DefaultTolerationSeconds` (upstream's flags default both periods to 300 s).
pub fn apply_pod_admission_defaults(
    info: &crate::resources::ResourceInfo,
    obj: &mut Value,
    toleration_seconds: &TolerationSeconds,
) {
    if !info.group.is_empty() || info.kind != "Pod" {
        return;
    }
    let spec = child_obj(obj, "spec");
    if is_zero(spec, "serviceAccountName") {
        spec["serviceAccountName"] = json!("default");
        spec["serviceAccount"] = json!("default");
    }
    if is_zero(spec, "priorityClassName") {
        set_if_absent(spec, "priority", json!(0));
    }
    set_if_absent(spec, "preemptionPolicy", json!("PreemptLowerPriority"));
    let mut tolerations: Vec<Value> = spec
        .get("tolerations")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut changed = false;
    for (taint, seconds) in [
        ("node.kubernetes.io/not-ready", toleration_seconds.not_ready),
        (
            "node.kubernetes.io/unreachable",
            toleration_seconds.unreachable,
        ),
    ] {
        if !tolerations.iter().any(|t| tolerates_no_execute(t, taint)) {
            let mut t = Map::new();
            t.insert("key".to_string(), json!(taint));
            t.insert("operator".to_string(), json!("Exists"));
            t.insert("effect".to_string(), json!("NoExecute"));
            t.insert("tolerationSeconds".to_string(), json!(seconds));
            tolerations.push(Value::Object(t));
            changed = true;
        }
    }
    if changed {
        spec["tolerations"] = Value::Array(tolerations);
    }
}

/// Whether a toleration already tolerates the `NoExecute` taint with this key.
fn tolerates_no_execute(t: &Value, key: &str) -> bool {
    let effect = t.get("effect").and_then(Value::as_str).unwrap_or("");
    if !effect.is_empty() && effect != "NoExecute" {
        return false;
    }
    let t_key = t.get("key").and_then(Value::as_str).unwrap_or("");
    let op = t.get("operator").and_then(Value::as_str).unwrap_or("");
    if t_key.is_empty() {
        return op == "Exists";
    }
    t_key == key
        && (op == "Exists"
            || t.get("value")
                .and_then(Value::as_str)
                .unwrap_or("")
                .is_empty())
}
