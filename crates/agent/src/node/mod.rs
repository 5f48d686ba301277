//! The Node object the agent registers and keeps current: identity (name, addresses, pod
//! CIDR), labels, capacity, `nodeInfo` and the four kubelet conditions.
//!
//! Everything here is pure; [`heartbeat`] does the API calls (registration, Lease renewal,
//! status posts).

pub mod heartbeat;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{
    DaemonEndpoint, Node, NodeAddress, NodeCondition, NodeDaemonEndpoints, NodeSpec, NodeStatus,
    NodeSystemInfo,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use kube::Client;

use crate::image::{fnv1a, hex64};
use crate::options::{AgentOptions, KUBELET_VERSION};
use crate::runtime::Runtime;

/// One node run by this process.
pub struct NodeCtx {
    pub id: NodeIdentity,
    pub client: Client,
    pub runtime: Arc<dyn Runtime>,
}

/// What the Node object is made of.
#[derive(Clone, Debug)]
pub struct NodeIdentity {
    pub name: String,
    pub host_ip: String,
    pub pod_cidr: String,
    /// `nodeInfo.containerRuntimeVersion` (`hollow://1.0`).
    pub runtime_version: String,
    pub options: Arc<AgentOptions>,
    pub host: Arc<HostInfo>,
}

/// Facts about the machine, read once per process and shared by every node in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostInfo {
    pub kernel_version: String,
    pub os_image: String,
    pub architecture: String,
    pub boot_id: String,
}

impl HostInfo {
    pub fn detect() -> Self {
        let kernel_version = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|_| "unknown".to_string());
        let os_image = std::fs::read_to_string("/etc/os-release")
            .ok()
            .and_then(|text| {
                text.lines()
                    .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                    .map(|v| v.trim_matches('"').to_string())
            })
            .unwrap_or_else(|| "Linux".to_string());
        let boot_id = std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
            .map(|s| s.trim().to_string())
            .unwrap_or_default();
        Self {
            kernel_version,
            os_image,
            architecture: go_arch(std::env::consts::ARCH).to_string(),
            boot_id,
        }
    }
}

/// Rust's architecture names in Go's (`GOARCH`) spelling, which Kubernetes uses.
pub fn go_arch(rust_arch: &str) -> &str {
    match rust_arch {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        other => other,
    }
}

/// A stable index for a node name, for pod CIDRs and default IPs when none was given.
pub fn index_of(name: &str) -> u32 {
    (fnv1a(0, name.as_bytes()) % 65536) as u32
}

/// The node's /24 pod CIDR: `10.244.0.0/24` for index 0, counting up through the
/// 65536 /24s of `10.0.0.0/8` (so 256 nodes fit in `10.244/16` before it moves on).
pub fn pod_cidr(index: u32) -> (String, Ipv4Addr) {
    let k = (244 * 256 + index) % 65536;
    let network = Ipv4Addr::new(10, (k >> 8) as u8, (k & 255) as u8, 0);
    (format!("{network}/24"), network)
}

/// The default InternalIP: `172.16.0.2` for index 0, up through `172.16.0.0/12`.
pub fn default_node_ip(index: u32) -> IpAddr {
    let host = (index + 2) % (1 << 20);
    IpAddr::V4(Ipv4Addr::new(
        172,
        16 + ((host >> 16) & 15) as u8,
        ((host >> 8) & 255) as u8,
        (host & 255) as u8,
    ))
}

pub fn labels(name: &str, options: &AgentOptions, arch: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::from([
        ("beta.kubernetes.io/arch".to_string(), arch.to_string()),
        ("beta.kubernetes.io/os".to_string(), "linux".to_string()),
        ("kubernetes.io/arch".to_string(), arch.to_string()),
        ("kubernetes.io/hostname".to_string(), name.to_string()),
        ("kubernetes.io/os".to_string(), "linux".to_string()),
    ]);
    labels.extend(options.labels.clone());
    labels
}

/// The Node object to create at registration.
pub fn node_object(ctx: &NodeIdentity, now: Timestamp) -> Node {
    Node {
        metadata: ObjectMeta {
            name: Some(ctx.name.clone()),
            labels: Some(labels(&ctx.name, &ctx.options, &ctx.host.architecture)),
            annotations: Some(BTreeMap::from([
                ("node.alpha.kubernetes.io/ttl".to_string(), "0".to_string()),
                (
                    "volumes.kubernetes.io/controller-managed-attach-detach".to_string(),
                    "true".to_string(),
                ),
            ])),
            ..ObjectMeta::default()
        },
        spec: Some(NodeSpec {
            pod_cidr: Some(ctx.pod_cidr.clone()),
            pod_cidrs: Some(vec![ctx.pod_cidr.clone()]),
            ..NodeSpec::default()
        }),
        status: Some(desired_status(ctx, None, now)),
    }
}

fn resources(options: &AgentOptions) -> BTreeMap<String, Quantity> {
    let c = &options.capacity;
    BTreeMap::from([
        ("cpu".to_string(), Quantity(c.cpu.clone())),
        (
            "ephemeral-storage".to_string(),
            Quantity(c.ephemeral_storage.clone()),
        ),
        ("hugepages-1Gi".to_string(), Quantity("0".to_string())),
        ("hugepages-2Mi".to_string(), Quantity("0".to_string())),
        ("memory".to_string(), Quantity(c.memory.clone())),
        ("pods".to_string(), Quantity(c.pods.clone())),
    ])
}

/// The kubelet's four conditions, all healthy: a hollow node never runs short.
const CONDITIONS: [(&str, &str, &str, &str); 4] = [
    (
        "MemoryPressure",
        "False",
        "KubeletHasSufficientMemory",
        "kubelet has sufficient memory available",
    ),
    (
        "DiskPressure",
        "False",
        "KubeletHasNoDiskPressure",
        "kubelet has no disk pressure",
    ),
    (
        "PIDPressure",
        "False",
        "KubeletHasSufficientPID",
        "kubelet has sufficient PID available",
    ),
    (
        "Ready",
        "True",
        "KubeletReady",
        "kubelet is posting ready status",
    ),
];

/// The status to post: our conditions (heartbeat `now`, transition time kept while the
/// status is unchanged), then conditions other components own, left as they are.
pub fn desired_status(
    ctx: &NodeIdentity,
    current: Option<&NodeStatus>,
    now: Timestamp,
) -> NodeStatus {
    let old = current
        .and_then(|s| s.conditions.as_deref())
        .unwrap_or_default();
    let mut conditions: Vec<NodeCondition> = CONDITIONS
        .iter()
        .map(|(type_, status, reason, message)| {
            let kept = old
                .iter()
                .find(|c| c.type_ == *type_ && c.status == *status)
                .and_then(|c| c.last_transition_time.clone());
            NodeCondition {
                type_: type_.to_string(),
                status: status.to_string(),
                reason: Some(reason.to_string()),
                message: Some(message.to_string()),
                last_heartbeat_time: Some(Time(now)),
                last_transition_time: Some(kept.unwrap_or(Time(now))),
            }
        })
        .collect();
    conditions.extend(
        old.iter()
            .filter(|c| !CONDITIONS.iter().any(|(t, ..)| *t == c.type_))
            .cloned(),
    );
    let resources = resources(&ctx.options);
    NodeStatus {
        capacity: Some(resources.clone()),
        allocatable: Some(resources),
        conditions: Some(conditions),
        addresses: Some(vec![
            NodeAddress {
                type_: "InternalIP".to_string(),
                address: ctx.host_ip.clone(),
            },
            NodeAddress {
                type_: "Hostname".to_string(),
                address: ctx.name.clone(),
            },
        ]),
        daemon_endpoints: Some(NodeDaemonEndpoints {
            kubelet_endpoint: Some(DaemonEndpoint {
                port: ctx.options.kubelet_port,
            }),
        }),
        node_info: Some(system_info(ctx)),
        ..NodeStatus::default()
    }
}

fn system_info(ctx: &NodeIdentity) -> NodeSystemInfo {
    let id = hex64(ctx.name.as_bytes());
    let uuid = format!(
        "{}-{}-{}-{}-{}",
        &id[0..8],
        &id[8..12],
        &id[12..16],
        &id[16..20],
        &id[20..32]
    );
    let boot_id = if ctx.host.boot_id.is_empty() {
        uuid.clone()
    } else {
        ctx.host.boot_id.clone()
    };
    NodeSystemInfo {
        architecture: ctx.host.architecture.clone(),
        boot_id,
        container_runtime_version: ctx.runtime_version.clone(),
        kernel_version: ctx.host.kernel_version.clone(),
        kube_proxy_version: String::new(),
        kubelet_version: KUBELET_VERSION.to_string(),
        machine_id: id[32..64].to_string(),
        operating_system: "linux".to_string(),
        os_image: ctx.host.os_image.clone(),
        system_uuid: uuid,
        ..NodeSystemInfo::default()
    }
}

/// Whether the API's status differs from ours in anything but timestamps.
pub fn status_differs(current: &NodeStatus, desired: &NodeStatus) -> bool {
    let strip = |s: &NodeStatus| {
        let mut s = s.clone();
        for c in s.conditions.iter_mut().flatten() {
            c.last_heartbeat_time = None;
            c.last_transition_time = None;
        }
        // Fields we do not manage.
        s.images = None;
        s.volumes_attached = None;
        s.volumes_in_use = None;
        s.config = None;
        s.features = None;
        s.runtime_handlers = None;
        s.declared_features = None;
        s.phase = None;
        s
    };
    strip(current) != strip(desired)
}

#[cfg(test)]
mod tests;
