//! Pure translation of a pod and its containers into CRI sandbox and container configs:
//! metadata and the labels that tie runtime objects back to their pod, DNS, host ports,
//! namespaces, environment (with `$(VAR)` expansion and downward-API field references),
//! command/args, resources → cgroup settings, and the security context.
//!
//! No IO: volumes and ConfigMap/Secret environment values are resolved by the caller and
//! passed in, so everything here is unit-tested directly.

use std::collections::{BTreeMap, HashMap};

use k8s_cri::v1 as cri;
use k8s_openapi::api::core::v1::{Container, EnvVar, Pod, PodSpec};

use crate::status::qos::parse_milli;

pub const POD_NAME_LABEL: &str = "io.kubernetes.pod.name";
pub const POD_NAMESPACE_LABEL: &str = "io.kubernetes.pod.namespace";
pub const POD_UID_LABEL: &str = "io.kubernetes.pod.uid";
pub const CONTAINER_NAME_LABEL: &str = "io.kubernetes.container.name";
/// Marks runtime objects this agent created, so orphan clean-up never touches others'.
pub const MANAGED_LABEL: &str = "io.bosun.managed";

/// Upstream's default masked and read-only paths for unprivileged containers
/// (`securitycontext.DefaultMaskedPaths` / `DefaultReadonlyPaths`); the CRI applies none
/// unless told.
const MASKED_PATHS: &[&str] = &[
    "/proc/asound",
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
];
const READONLY_PATHS: &[&str] = &[
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
];

/// The pod's name, namespace and UID.
pub struct PodRef<'a> {
    pub name: &'a str,
    pub namespace: &'a str,
    pub uid: &'a str,
}

impl<'a> PodRef<'a> {
    pub fn of(pod: &'a Pod) -> Self {
        Self {
            name: pod.metadata.name.as_deref().unwrap_or_default(),
            namespace: pod.metadata.namespace.as_deref().unwrap_or("default"),
            uid: pod.metadata.uid.as_deref().unwrap_or_default(),
        }
    }

    fn labels(&self) -> HashMap<String, String> {
        HashMap::from([
            (POD_NAME_LABEL.to_string(), self.name.to_string()),
            (POD_NAMESPACE_LABEL.to_string(), self.namespace.to_string()),
            (POD_UID_LABEL.to_string(), self.uid.to_string()),
            (MANAGED_LABEL.to_string(), "true".to_string()),
        ])
    }
}

pub fn host_network(pod: &Pod) -> bool {
    pod.spec
        .as_ref()
        .and_then(|s| s.host_network)
        .unwrap_or(false)
}

/// Nameservers, search domains and options from a resolv.conf text.
pub fn parse_resolv_conf(text: &str) -> cri::DnsConfig {
    let mut dns = cri::DnsConfig::default();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        match words.next() {
            Some("nameserver") => dns.servers.extend(words.next().map(str::to_string)),
            Some("search") | Some("domain") => {
                dns.searches = words.map(str::to_string).collect();
            }
            Some("options") => dns.options.extend(words.map(str::to_string)),
            _ => {}
        }
    }
    dns
}

/// The pod's DNS: `dnsPolicy: None` takes only `dnsConfig`; otherwise the node's
/// resolver settings (there is no cluster DNS) with `dnsConfig`'s nameservers and
/// searches appended and its options merged by name. A host-network pod keeps the
/// node's own resolv.conf unless it asks for `ClusterFirstWithHostNet`.
pub fn pod_dns(spec: &PodSpec, node: cri::DnsConfig) -> Option<cri::DnsConfig> {
    let policy = spec.dns_policy.as_deref();
    if spec.host_network.unwrap_or(false) && policy != Some("ClusterFirstWithHostNet") {
        return None;
    }
    let mut dns = if policy == Some("None") {
        cri::DnsConfig::default()
    } else {
        node
    };
    if let Some(own) = &spec.dns_config {
        dns.servers
            .extend(own.nameservers.iter().flatten().cloned());
        dns.searches.extend(own.searches.iter().flatten().cloned());
        for option in own.options.iter().flatten() {
            let rendered = match &option.value {
                Some(v) => format!("{}:{v}", option.name.as_deref().unwrap_or_default()),
                None => option.name.clone().unwrap_or_default(),
            };
            let name = option.name.as_deref().unwrap_or_default();
            dns.options.retain(|o| o.split(':').next() != Some(name));
            dns.options.push(rendered);
        }
    }
    Some(dns)
}

/// The sandbox config: the same value must be passed to every `CreateContainer` of the
/// sandbox, so the caller keeps it.
pub fn sandbox_config(
    pod: &Pod,
    attempt: u32,
    log_directory: String,
    dns: cri::DnsConfig,
) -> cri::PodSandboxConfig {
    let r = PodRef::of(pod);
    let spec = pod.spec.clone().unwrap_or_default();
    let mut labels: HashMap<String, String> = pod
        .metadata
        .labels
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    labels.extend(r.labels());
    let annotations = pod
        .metadata
        .annotations
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    let port_mappings = spec
        .containers
        .iter()
        .flat_map(|c| c.ports.iter().flatten())
        .filter(|p| p.host_port.unwrap_or(0) > 0)
        .map(|p| cri::PortMapping {
            protocol: protocol(p.protocol.as_deref()),
            container_port: p.container_port,
            host_port: p.host_port.unwrap_or(0),
            host_ip: p.host_ip.clone().unwrap_or_default(),
        })
        .collect();
    // Like the kubelet: at most 63 characters, not ending in `-` or `.`.
    let mut hostname = spec.hostname.clone().unwrap_or_else(|| r.name.to_string());
    hostname.truncate(63);
    let hostname = hostname.trim_end_matches(['-', '.']).to_string();
    cri::PodSandboxConfig {
        metadata: Some(cri::PodSandboxMetadata {
            name: r.name.to_string(),
            uid: r.uid.to_string(),
            namespace: r.namespace.to_string(),
            attempt,
        }),
        hostname,
        log_directory,
        dns_config: pod_dns(&spec, dns),
        port_mappings,
        labels,
        annotations,
        linux: Some(cri::LinuxPodSandboxConfig {
            security_context: Some(cri::LinuxSandboxSecurityContext {
                namespace_options: Some(namespaces(&spec)),
                seccomp: seccomp(&spec, None),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn protocol(p: Option<&str>) -> i32 {
    match p {
        Some("UDP") => cri::Protocol::Udp as i32,
        Some("SCTP") => cri::Protocol::Sctp as i32,
        _ => cri::Protocol::Tcp as i32,
    }
}

/// Values the caller resolved for a container: its pod IPs, the node's name and IP, the
/// `configMapKeyRef`/`secretKeyRef`/`envFrom` values, and its mounts.
#[derive(Default)]
pub struct Resolved {
    pub pod_ips: Vec<String>,
    pub host_ip: String,
    pub node_name: String,
    /// `(kind, object, key)` → value, `kind` being `configmap` or `secret`.
    pub refs: HashMap<(String, String, String), String>,
    /// Every key/value of each `envFrom` source, in the order of `envFrom`.
    pub env_from: Vec<Vec<(String, String)>>,
    pub mounts: Vec<cri::Mount>,
}

/// The container's environment as the kubelet builds it: `envFrom` sources first (later
/// ones win), then `env` in order, each value expanded against what came before.
pub fn environment(pod: &Pod, container: &Container, resolved: &Resolved) -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = Vec::new();
    let set = |vars: &mut Vec<(String, String)>, k: String, v: String| match vars
        .iter_mut()
        .find(|(name, _)| *name == k)
    {
        Some(slot) => slot.1 = v,
        None => vars.push((k, v)),
    };
    for (source, values) in container.env_from.iter().flatten().zip(&resolved.env_from) {
        let prefix = source.prefix.clone().unwrap_or_default();
        for (k, v) in values {
            set(&mut vars, format!("{prefix}{k}"), v.clone());
        }
    }
    for var in container.env.iter().flatten() {
        let value = env_value(pod, var, resolved, &vars);
        set(&mut vars, var.name.clone(), value);
    }
    vars
}

fn env_value(pod: &Pod, var: &EnvVar, resolved: &Resolved, before: &[(String, String)]) -> String {
    if let Some(value) = &var.value {
        return expand(value, before);
    }
    let Some(from) = &var.value_from else {
        return String::new();
    };
    if let Some(field) = &from.field_ref {
        return field_value(pod, &field.field_path, resolved).unwrap_or_default();
    }
    let lookup = |kind: &str, name: &str, key: &str| {
        resolved
            .refs
            .get(&(kind.to_string(), name.to_string(), key.to_string()))
            .cloned()
            .unwrap_or_default()
    };
    if let Some(r) = &from.config_map_key_ref {
        return lookup("configmap", &r.name, &r.key);
    }
    if let Some(r) = &from.secret_key_ref {
        return lookup("secret", &r.name, &r.key);
    }
    String::new()
}

/// A downward-API field (`fieldRef.fieldPath`).
pub fn field_value(pod: &Pod, path: &str, resolved: &Resolved) -> Option<String> {
    let meta = &pod.metadata;
    let spec = pod.spec.as_ref();
    let keyed = |prefix: &str, map: Option<&BTreeMap<String, String>>| {
        path.strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix("']"))
            .map(|key| map.and_then(|m| m.get(key)).cloned().unwrap_or_default())
    };
    if let Some(v) = keyed("metadata.labels['", meta.labels.as_ref()) {
        return Some(v);
    }
    if let Some(v) = keyed("metadata.annotations['", meta.annotations.as_ref()) {
        return Some(v);
    }
    // Whole maps, as downward-API files show them: sorted `key="value"` lines.
    let lines = |map: Option<&BTreeMap<String, String>>| {
        map.into_iter()
            .flatten()
            .map(|(k, v)| format!("{k}={v:?}\n"))
            .collect::<String>()
    };
    match path {
        "metadata.labels" => return Some(lines(meta.labels.as_ref())),
        "metadata.annotations" => return Some(lines(meta.annotations.as_ref())),
        _ => {}
    }
    Some(match path {
        "metadata.name" => meta.name.clone().unwrap_or_default(),
        "metadata.namespace" => meta.namespace.clone().unwrap_or_default(),
        "metadata.uid" => meta.uid.clone().unwrap_or_default(),
        "spec.nodeName" => resolved.node_name.clone(),
        "spec.serviceAccountName" => spec
            .and_then(|s| s.service_account_name.clone())
            .unwrap_or_default(),
        "status.podIP" => resolved.pod_ips.first().cloned().unwrap_or_default(),
        "status.podIPs" => resolved.pod_ips.join(","),
        "status.hostIP" | "status.hostIPs" => resolved.host_ip.clone(),
        _ => return None,
    })
}

/// Upstream's `$(VAR)` expansion: a defined variable is replaced, an undefined reference is
/// left as written, and `$$` is an escaped `$`.
pub fn expand(input: &str, vars: &[(String, String)]) -> String {
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(tail) = after.strip_prefix('(')
            && let Some(end) = tail.find(')')
        {
            let name = &tail[..end];
            match vars.iter().find(|(k, _)| k == name) {
                Some((_, v)) => out.push_str(v),
                None => {
                    out.push_str("$(");
                    out.push_str(name);
                    out.push(')');
                }
            }
            rest = &tail[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// The container config for attempt `attempt` of `container`.
pub fn container_config(
    pod: &Pod,
    container: &Container,
    attempt: u32,
    image_ref: &str,
    resolved: &Resolved,
) -> cri::ContainerConfig {
    let r = PodRef::of(pod);
    let env = environment(pod, container, resolved);
    let expand_all = |list: &Option<Vec<String>>| -> Vec<String> {
        list.iter().flatten().map(|a| expand(a, &env)).collect()
    };
    let mut labels = r.labels();
    labels.insert(CONTAINER_NAME_LABEL.to_string(), container.name.clone());
    let spec = pod.spec.clone().unwrap_or_default();
    cri::ContainerConfig {
        metadata: Some(cri::ContainerMetadata {
            name: container.name.clone(),
            attempt,
        }),
        image: Some(cri::ImageSpec {
            image: image_ref.to_string(),
            user_specified_image: container.image.clone().unwrap_or_default(),
            ..Default::default()
        }),
        command: expand_all(&container.command),
        args: expand_all(&container.args),
        working_dir: container.working_dir.clone().unwrap_or_default(),
        envs: env
            .iter()
            .map(|(key, value)| cri::KeyValue {
                key: key.clone(),
                value: value.clone(),
            })
            .collect(),
        mounts: resolved.mounts.clone(),
        labels,
        annotations: HashMap::from([(
            "io.kubernetes.container.restartCount".to_string(),
            attempt.to_string(),
        )]),
        log_path: format!("{}/{attempt}.log", container.name),
        stdin: container.stdin.unwrap_or(false),
        stdin_once: container.stdin_once.unwrap_or(false),
        tty: container.tty.unwrap_or(false),
        linux: Some(cri::LinuxContainerConfig {
            resources: Some(resources(&spec, container)),
            security_context: Some(security_context(&spec, container)),
        }),
        ..Default::default()
    }
}

const CPU_PERIOD: i64 = 100_000;

/// Requests and limits as cgroup settings, the way the kubelet maps them: CPU request →
/// shares (1024 per core, at least 2), CPU limit → CFS quota over a 100 ms period, memory
/// limit → the memory limit, and an OOM score from the pod's QoS class (the runtime clamps
/// negative scores where it may not lower them).
pub fn resources(spec: &PodSpec, container: &Container) -> cri::LinuxContainerResources {
    let get = |map: Option<
        &BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>,
    >,
               name: &str| {
        map.and_then(|m| m.get(name))
            .and_then(|q| parse_milli(&q.0))
    };
    let res = container.resources.as_ref();
    let limits = res.and_then(|r| r.limits.as_ref());
    let requests = res.and_then(|r| r.requests.as_ref());
    // A limit without a request defaults the request to it (as the API server does).
    let cpu_request = get(requests, "cpu").or_else(|| get(limits, "cpu"));
    let cpu_limit = get(limits, "cpu");
    let memory_limit = get(limits, "memory");
    let memory_request = get(requests, "memory").or(memory_limit);
    let shares = cpu_request.map_or(2, |m| (m * 1024 / 1000).max(2));
    let quota = cpu_limit.map_or(0, |m| (m * i128::from(CPU_PERIOD) / 1000).max(1000));
    let qos = crate::status::qos::qos_class(spec);
    let oom_score_adj = match qos {
        "Guaranteed" => -997,
        "BestEffort" => 1000,
        _ => {
            // Burstable: 1000 - 1000 × request / node memory, within [3, 999]; the node's
            // memory is not known here, so a nominal 8 GiB is used.
            let node = 8i128 << 30;
            let request = memory_request.map_or(0, |m| m / 1000);
            (1000 - 1000 * request / node).clamp(3, 999)
        }
    };
    cri::LinuxContainerResources {
        cpu_period: if quota > 0 { CPU_PERIOD } else { 0 },
        cpu_quota: i64::try_from(quota).unwrap_or(i64::MAX),
        cpu_shares: i64::try_from(shares).unwrap_or(2),
        memory_limit_in_bytes: memory_limit
            .map_or(0, |m| i64::try_from(m / 1000).unwrap_or(i64::MAX)),
        oom_score_adj: i64::try_from(oom_score_adj).unwrap_or(0),
        ..Default::default()
    }
}

/// The pod's namespaces: the node's network, PID and IPC namespaces when asked
/// (`hostNetwork`, `hostPID`, `hostIPC`), one PID namespace for the pod with
/// `shareProcessNamespace`, else one per container.
fn namespaces(spec: &PodSpec) -> cri::NamespaceOption {
    let mode = |on_node: Option<bool>, otherwise: cri::NamespaceMode| {
        if on_node.unwrap_or(false) {
            cri::NamespaceMode::Node as i32
        } else {
            otherwise as i32
        }
    };
    let pid = if spec.share_process_namespace.unwrap_or(false) {
        cri::NamespaceMode::Pod
    } else {
        cri::NamespaceMode::Container
    };
    cri::NamespaceOption {
        network: mode(spec.host_network, cri::NamespaceMode::Pod),
        pid: mode(spec.host_pid, pid),
        ipc: mode(spec.host_ipc, cri::NamespaceMode::Pod),
        ..Default::default()
    }
}

/// `seccompProfile` (the container's over the pod's). Unset means unconfined, the
/// kubelet's default without `SeccompDefault`.
fn seccomp(spec: &PodSpec, container: Option<&Container>) -> Option<cri::SecurityProfile> {
    let profile = container
        .and_then(|c| c.security_context.as_ref())
        .and_then(|s| s.seccomp_profile.as_ref())
        .or_else(|| {
            spec.security_context
                .as_ref()
                .and_then(|s| s.seccomp_profile.as_ref())
        })?;
    use cri::security_profile::ProfileType;
    let (profile_type, localhost_ref) = match profile.type_.as_str() {
        "RuntimeDefault" => (ProfileType::RuntimeDefault, String::new()),
        "Localhost" => (
            ProfileType::Localhost,
            profile.localhost_profile.clone().unwrap_or_default(),
        ),
        _ => (ProfileType::Unconfined, String::new()),
    };
    Some(cri::SecurityProfile {
        profile_type: profile_type as i32,
        localhost_ref,
    })
}

/// Upstream's `runAsNonRoot` check, given the user the image runs as (`None`: the image
/// names a user by name only). The error is a `CreateContainerConfigError` message.
pub fn verify_non_root(
    pod: &Pod,
    container: &Container,
    image_uid: Option<i64>,
    image_user: &str,
) -> Result<(), String> {
    let spec = pod.spec.clone().unwrap_or_default();
    let sc = container.security_context.as_ref();
    let pod_sc = spec.security_context.as_ref();
    let non_root = sc
        .and_then(|s| s.run_as_non_root)
        .or_else(|| pod_sc.and_then(|s| s.run_as_non_root))
        .unwrap_or(false);
    if !non_root {
        return Ok(());
    }
    let r = PodRef::of(pod);
    let who = format!(
        "pod: \"{}_{}({})\", container: {}",
        r.name, r.namespace, r.uid, container.name
    );
    let run_as = sc
        .and_then(|s| s.run_as_user)
        .or_else(|| pod_sc.and_then(|s| s.run_as_user));
    match (run_as, image_uid) {
        (Some(0), _) => Err(format!(
            "container's runAsUser breaks non-root policy ({who})"
        )),
        (Some(_), _) => Ok(()),
        (None, Some(0)) => Err(format!(
            "container has runAsNonRoot and image will run as root ({who})"
        )),
        (None, Some(_)) => Ok(()),
        (None, None) if image_user.is_empty() => Err(format!(
            "container has runAsNonRoot and image will run as root ({who})"
        )),
        (None, None) => Err(format!(
            "container has runAsNonRoot and image has non-numeric user ({image_user}), cannot verify user is non-root ({who})"
        )),
    }
}

/// The container's security context over the pod's (`runAsUser`, `runAsGroup`,
/// `readOnlyRootFilesystem`, `privileged`, capabilities, `allowPrivilegeEscalation`).
pub fn security_context(
    spec: &PodSpec,
    container: &Container,
) -> cri::LinuxContainerSecurityContext {
    let pod_sc = spec.security_context.as_ref();
    let sc = container.security_context.as_ref();
    let run_as_user = sc
        .and_then(|s| s.run_as_user)
        .or_else(|| pod_sc.and_then(|s| s.run_as_user));
    let run_as_group = sc
        .and_then(|s| s.run_as_group)
        .or_else(|| pod_sc.and_then(|s| s.run_as_group));
    let privileged = sc.and_then(|s| s.privileged).unwrap_or(false);
    let capabilities = sc
        .and_then(|s| s.capabilities.as_ref())
        .map(|c| cri::Capability {
            add_capabilities: c.add.clone().unwrap_or_default(),
            drop_capabilities: c.drop.clone().unwrap_or_default(),
            ..Default::default()
        });
    cri::LinuxContainerSecurityContext {
        capabilities,
        privileged,
        namespace_options: Some(namespaces(spec)),
        seccomp: seccomp(spec, Some(container)),
        run_as_user: run_as_user.map(|value| cri::Int64Value { value }),
        run_as_group: run_as_group.map(|value| cri::Int64Value { value }),
        readonly_rootfs: sc
            .and_then(|s| s.read_only_root_filesystem)
            .unwrap_or(false),
        // `fsGroup` owns the pod's volumes, so every container is in it.
        supplemental_groups: pod_sc
            .and_then(|s| s.supplemental_groups.clone())
            .unwrap_or_default()
            .into_iter()
            .chain(pod_sc.and_then(|s| s.fs_group))
            .collect(),
        no_new_privs: sc.and_then(|s| s.allow_privilege_escalation) == Some(false),
        masked_paths: if privileged {
            Vec::new()
        } else {
            MASKED_PATHS.iter().map(|p| p.to_string()).collect()
        },
        readonly_paths: if privileged {
            Vec::new()
        } else {
            READONLY_PATHS.iter().map(|p| p.to_string()).collect()
        },
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(spec: serde_json::Value) -> Pod {
        serde_json::from_value(json!({
            "metadata": {"name": "web-1", "namespace": "shop", "uid": "u-1",
                         "labels": {"app": "web"}, "annotations": {"team": "blue"}},
            "spec": spec,
        }))
        .expect("pod")
    }

    #[test]
    fn expansion_follows_upstream() {
        let vars = vec![("A".to_string(), "1".to_string())];
        assert_eq!(expand("x$(A)y", &vars), "x1y");
        assert_eq!(expand("$(B)", &vars), "$(B)");
        assert_eq!(expand("$$(A)", &vars), "$(A)");
        assert_eq!(expand("cost $5", &vars), "cost $5");
        assert_eq!(expand("$(A", &vars), "$(A");
    }

    #[test]
    fn environment_resolves_field_refs_and_env_from() {
        let p = pod(json!({"containers": [{"name": "c", "image": "i",
        "envFrom": [{"prefix": "CM_", "configMapRef": {"name": "cm"}}],
        "env": [
            {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
            {"name": "IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
            {"name": "APP", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}},
            {"name": "GREETING", "value": "hi $(POD) at $(IP)"},
            {"name": "PASS", "valueFrom": {"secretKeyRef": {"name": "s", "key": "pw"}}}
        ]}]}));
        let resolved = Resolved {
            pod_ips: vec!["10.89.1.7".to_string()],
            refs: HashMap::from([(
                ("secret".to_string(), "s".to_string(), "pw".to_string()),
                "hunter2".to_string(),
            )]),
            env_from: vec![vec![("MODE".to_string(), "fast".to_string())]],
            ..Resolved::default()
        };
        let c = &p.spec.as_ref().expect("spec").containers[0];
        let env = environment(&p, c, &resolved);
        let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("CM_MODE"), Some("fast"));
        assert_eq!(get("POD"), Some("web-1"));
        assert_eq!(get("NS"), Some("shop"));
        assert_eq!(get("IP"), Some("10.89.1.7"));
        assert_eq!(get("APP"), Some("web"));
        assert_eq!(get("GREETING"), Some("hi web-1 at 10.89.1.7"));
        assert_eq!(get("PASS"), Some("hunter2"));
        assert_eq!(
            field_value(&p, "metadata.labels", &resolved).as_deref(),
            Some("app=\"web\"\n"),
            "a whole map, as downward-API files show it"
        );
    }

    #[test]
    fn run_as_non_root_is_verified_like_the_kubelet() {
        let p = pod(json!({"securityContext": {"runAsNonRoot": true},
            "containers": [{"name": "c", "image": "i"}]}));
        let c = &p.spec.as_ref().expect("spec").containers[0];
        let err = verify_non_root(&p, c, None, "").expect_err("root image");
        assert_eq!(
            err,
            "container has runAsNonRoot and image will run as root (pod: \"web-1_shop(u-1)\", container: c)"
        );
        assert!(verify_non_root(&p, c, Some(1000), "").is_ok());
        let err = verify_non_root(&p, c, None, "app").expect_err("a name");
        assert!(err.contains("image has non-numeric user (app)"), "{err}");
        let with_user = pod(
            json!({"securityContext": {"runAsNonRoot": true, "runAsUser": 0},
            "containers": [{"name": "c", "image": "i"}]}),
        );
        let c = &with_user.spec.as_ref().expect("spec").containers[0];
        let err = verify_non_root(&with_user, c, Some(1000), "").expect_err("uid 0");
        assert!(
            err.starts_with("container's runAsUser breaks non-root policy"),
            "{err}"
        );
    }

    #[test]
    fn host_namespaces_and_seccomp() {
        let p = pod(json!({"hostPID": true, "hostIPC": true,
            "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{"name": "c", "image": "i"}]}));
        let spec = p.spec.as_ref().expect("spec");
        let sc = security_context(spec, &spec.containers[0]);
        let ns = sc.namespace_options.expect("namespaces");
        assert_eq!(ns.pid, cri::NamespaceMode::Node as i32);
        assert_eq!(ns.ipc, cri::NamespaceMode::Node as i32);
        assert_eq!(ns.network, cri::NamespaceMode::Pod as i32);
        assert_eq!(
            sc.seccomp.map(|s| s.profile_type),
            Some(cri::security_profile::ProfileType::RuntimeDefault as i32)
        );
        let plain = pod(json!({"containers": [{"name": "c", "image": "i"}]}));
        let spec = plain.spec.as_ref().expect("spec");
        assert!(
            security_context(spec, &spec.containers[0])
                .seccomp
                .is_none(),
            "unconfined"
        );
    }

    #[test]
    fn dns_policy_and_config() {
        let node = parse_resolv_conf("nameserver 10.0.0.2\nsearch corp\noptions ndots:1 rotate\n");
        let p = pod(
            json!({"dnsConfig": {"nameservers": ["1.1.1.1"], "searches": ["a.example"],
            "options": [{"name": "ndots", "value": "5"}, {"name": "edns0"}]},
            "containers": [{"name": "c", "image": "i"}]}),
        );
        let dns = pod_dns(p.spec.as_ref().expect("spec"), node.clone()).expect("dns");
        assert_eq!(dns.servers, ["10.0.0.2", "1.1.1.1"]);
        assert_eq!(dns.searches, ["corp", "a.example"]);
        assert_eq!(dns.options, ["rotate", "ndots:5", "edns0"]);
        let none = pod(
            json!({"dnsPolicy": "None", "dnsConfig": {"nameservers": ["9.9.9.9"]},
            "containers": [{"name": "c", "image": "i"}]}),
        );
        let dns = pod_dns(none.spec.as_ref().expect("spec"), node.clone()).expect("dns");
        assert_eq!(dns.servers, ["9.9.9.9"]);
        assert!(dns.searches.is_empty());
        let host = pod(json!({"hostNetwork": true, "containers": [{"name": "c", "image": "i"}]}));
        assert!(pod_dns(host.spec.as_ref().expect("spec"), node).is_none());
    }

    #[test]
    fn long_names_make_valid_hostnames() {
        let mut p = pod(json!({"containers": [{"name": "c", "image": "i"}]}));
        p.metadata.name = Some(format!("{}-x", "a".repeat(62)));
        let config = sandbox_config(&p, 0, String::new(), cri::DnsConfig::default());
        assert_eq!(
            config.hostname,
            "a".repeat(62),
            "63 characters at most, no trailing dash"
        );
    }

    #[test]
    fn sandbox_carries_pod_identity_ports_and_dns() {
        let p = pod(json!({"containers": [{"name": "c", "image": "i",
            "ports": [{"containerPort": 8080, "hostPort": 18080}, {"containerPort": 9090}]}]}));
        let dns =
            parse_resolv_conf("nameserver 1.1.1.1\nsearch a.example b.example\noptions ndots:2\n");
        let config = sandbox_config(&p, 0, "/logs/x".to_string(), dns);
        let meta = config.metadata.expect("metadata");
        assert_eq!(
            (
                meta.name.as_str(),
                meta.namespace.as_str(),
                meta.uid.as_str()
            ),
            ("web-1", "shop", "u-1")
        );
        assert_eq!(
            config.labels.get(POD_UID_LABEL).map(String::as_str),
            Some("u-1")
        );
        assert_eq!(config.labels.get("app").map(String::as_str), Some("web"));
        assert_eq!(
            config.annotations.get("team").map(String::as_str),
            Some("blue")
        );
        assert_eq!(config.port_mappings.len(), 1);
        assert_eq!(config.port_mappings[0].host_port, 18080);
        let dns = config.dns_config.expect("dns");
        assert_eq!(dns.servers, vec!["1.1.1.1"]);
        assert_eq!(dns.searches, vec!["a.example", "b.example"]);
        assert_eq!(dns.options, vec!["ndots:2"]);
        assert_eq!(config.hostname, "web-1");
    }

    #[test]
    fn resources_map_to_cgroup_settings() {
        let p = pod(
            json!({"containers": [{"name": "c", "image": "i", "resources": {
            "requests": {"cpu": "250m", "memory": "32Mi"},
            "limits": {"cpu": "500m", "memory": "64Mi"}}}]}),
        );
        let spec = p.spec.as_ref().expect("spec");
        let r = resources(spec, &spec.containers[0]);
        assert_eq!(r.cpu_shares, 256);
        assert_eq!((r.cpu_quota, r.cpu_period), (50_000, 100_000));
        assert_eq!(r.memory_limit_in_bytes, 64 << 20);
        assert!(
            (3..=999).contains(&r.oom_score_adj),
            "burstable: {}",
            r.oom_score_adj
        );
        let best_effort = pod(json!({"containers": [{"name": "c", "image": "i"}]}));
        let spec = best_effort.spec.as_ref().expect("spec");
        let r = resources(spec, &spec.containers[0]);
        assert_eq!(
            (
                r.cpu_shares,
                r.cpu_quota,
                r.memory_limit_in_bytes,
                r.oom_score_adj
            ),
            (2, 0, 0, 1000)
        );
    }

    #[test]
    fn security_context_overrides_pod_defaults() {
        let p = pod(
            json!({"securityContext": {"runAsUser": 1000, "runAsGroup": 3000},
            "containers": [{"name": "c", "image": "i", "securityContext": {
                "runAsUser": 65534, "readOnlyRootFilesystem": true,
                "allowPrivilegeEscalation": false}}]}),
        );
        let spec = p.spec.as_ref().expect("spec");
        let sc = security_context(spec, &spec.containers[0]);
        assert_eq!(sc.run_as_user.map(|v| v.value), Some(65534));
        assert_eq!(sc.run_as_group.map(|v| v.value), Some(3000));
        assert!(sc.readonly_rootfs && sc.no_new_privs && !sc.privileged);
        assert!(sc.masked_paths.iter().any(|p| p == "/proc/kcore"));
    }
}
