//! Agent configuration: node identity and capacity, timing of the lease and node status,
//! which runtime runs the pods, and the hollow runtime's simulation knobs.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::pattern::ImagePattern;
use crate::runtime::Runtime;

/// `nodeInfo.kubeletVersion`.
pub const KUBELET_VERSION: &str = "v1.33.0-bosun";

/// Everything `run_node` / `run_hollow_nodes` need besides the client.
#[derive(Clone, Debug)]
pub struct AgentOptions {
    /// The node's name (ignored by `run_hollow_nodes`, which names nodes from its prefix).
    pub node_name: String,
    pub runtime: RuntimeKind,
    pub hollow: HollowOptions,
    pub capacity: Capacity,
    /// How often the node's Lease is renewed (upstream: 10 s).
    pub lease_renew: Duration,
    /// `spec.leaseDurationSeconds` of the Lease (upstream: 40).
    pub lease_duration_seconds: i32,
    /// How often the agent compares its node status with the API and patches a difference
    /// (upstream `nodeStatusUpdateFrequency`: 10 s).
    pub status_update: Duration,
    /// How often the node status is posted even when unchanged, which refreshes the
    /// conditions' `lastHeartbeatTime` (upstream `nodeStatusReportFrequency`: 5 min).
    pub status_report: Duration,
    /// Extra node labels, on top of `kubernetes.io/hostname`, `kubernetes.io/os` and
    /// `kubernetes.io/arch`.
    pub labels: BTreeMap<String, String>,
    /// Index that picks the node's pod CIDR (`10.244.0.0/24` for 0, then
    /// `10.244.1.0/24`, … wrapping through `10.0.0.0/8`) and its default InternalIP
    /// (`172.16.0.2` for 0). `run_node` derives one from the name when unset;
    /// `run_hollow_nodes` numbers its nodes from this value (default 0).
    pub node_index: Option<u32>,
    /// The node's InternalIP; derived from the index when unset.
    pub node_ip: Option<IpAddr>,
    /// Port of the node's HTTPS endpoint, published as
    /// `status.daemonEndpoints.kubeletEndpoint.Port` (upstream: 10250). 0, the default,
    /// says the node has none (hollow nodes), so the API server answers log requests
    /// for its pods at once with a clear error instead of dialling a port nobody serves.
    pub kubelet_port: i32,
}

impl AgentOptions {
    pub fn new(node_name: impl Into<String>) -> Self {
        Self {
            node_name: node_name.into(),
            runtime: RuntimeKind::Hollow,
            hollow: HollowOptions::default(),
            capacity: Capacity::default(),
            lease_renew: Duration::from_secs(10),
            lease_duration_seconds: 40,
            status_update: Duration::from_secs(10),
            status_report: Duration::from_secs(300),
            labels: BTreeMap::new(),
            node_index: None,
            node_ip: None,
            kubelet_port: 0,
        }
    }
}

impl Default for AgentOptions {
    fn default() -> Self {
        Self::new("node")
    }
}

/// Which runtime runs the pods.
#[derive(Clone, Default)]
pub enum RuntimeKind {
    /// A [`crate::HollowRuntime`] per node, configured by [`AgentOptions::hollow`].
    #[default]
    Hollow,
    /// A runtime supplied by the caller (the CRI runtime, or a test double). With several
    /// nodes in one process they all share it.
    Custom(Arc<dyn Runtime>),
}

impl fmt::Debug for RuntimeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuntimeKind::Hollow => f.write_str("Hollow"),
            RuntimeKind::Custom(r) => write!(f, "Custom({}://{})", r.name(), r.version()),
        }
    }
}

/// Node capacity (allocatable is reported equal to it), as Kubernetes quantities.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Capacity {
    pub cpu: String,
    pub memory: String,
    pub pods: String,
    pub ephemeral_storage: String,
}

impl Default for Capacity {
    fn default() -> Self {
        Self {
            cpu: "4".to_string(),
            memory: "8Gi".to_string(),
            pods: "110".to_string(),
            ephemeral_storage: "100Gi".to_string(),
        }
    }
}

/// The hollow runtime's simulation.
///
/// Per-container behaviour can also be injected through the container's environment (see
/// [`crate::runtime::hollow`] for the `BOSUN_HOLLOW_*` variables) and is read from simple
/// shell commands (`sleep 5; exit 3`).
#[derive(Clone, Debug)]
pub struct HollowOptions {
    /// Time a container takes to start.
    pub start_delay: Duration,
    /// Time the first pull of an image on a node takes (also the time a failing pull
    /// takes to fail).
    pub pull_delay: Duration,
    /// Time a container takes to exit after being asked to stop (capped by the grace
    /// period, after which it is killed with exit code 137).
    pub stop_delay: Duration,
    /// Image references that fail to pull with `ErrImagePull` → `ImagePullBackOff`.
    pub unpullable: ImagePattern,
    /// Containers whose image matches a rule exit with its code after its delay.
    pub crash: Vec<CrashRule>,
}

impl Default for HollowOptions {
    fn default() -> Self {
        Self {
            start_delay: Duration::from_secs(1),
            pull_delay: Duration::ZERO,
            stop_delay: Duration::ZERO,
            unpullable: ImagePattern::default(),
            crash: Vec::new(),
        }
    }
}

/// "Containers running an image that matches `image` exit with `exit_code` `after` their
/// start" — every start, so with a restarting policy they crash-loop.
#[derive(Clone, Debug)]
pub struct CrashRule {
    pub image: ImagePattern,
    pub exit_code: i32,
    pub after: Duration,
}
