//! What the scheduler needs to know about a pod, computed once from the object: its
//! effective resource requests (upstream's `PodRequests`: containers, init containers,
//! sidecars, overhead, pod-level resources), the non-zero requests used for scoring, host
//! ports, placement constraints and its controller.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Container, NodeSelector, Pod, PodSpec, PreferredSchedulingTerm, Toleration,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use crate::quantity;

/// CPU assumed for a container that requests none, when scoring (upstream's
/// `DefaultMilliCPURequest`), so best-effort pods still spread by load.
pub const DEFAULT_MILLI_CPU_REQUEST: i64 = 100;
/// Memory assumed for a container that requests none, when scoring (200 MiB, upstream's
/// `DefaultMemoryRequest`).
pub const DEFAULT_MEMORY_REQUEST: i64 = 200 * 1024 * 1024;

/// An amount of each schedulable resource.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resources {
    pub milli_cpu: i64,
    pub memory: i64,
    pub ephemeral_storage: i64,
    /// Extended resources (`example.com/gpu`), `hugepages-*`, `attachable-volumes-*`.
    pub scalars: BTreeMap<String, i64>,
}

impl Resources {
    /// Reads a `ResourceList` (requests, allocatable, overhead). Unparsable quantities count
    /// as zero: the API server validates them, and a scheduler must not stop over one.
    pub fn from_list(list: Option<&BTreeMap<String, Quantity>>) -> Resources {
        let mut r = Resources::default();
        for (name, q) in list.into_iter().flatten() {
            match name.as_str() {
                "cpu" => r.milli_cpu += quantity::milli_value(&q.0).unwrap_or(0),
                "memory" => r.memory += quantity::value(&q.0).unwrap_or(0),
                "ephemeral-storage" => r.ephemeral_storage += quantity::value(&q.0).unwrap_or(0),
                other if is_scalar_resource(other) => {
                    *r.scalars.entry(other.to_string()).or_default() +=
                        quantity::value(&q.0).unwrap_or(0);
                }
                _ => {}
            }
        }
        r
    }

    pub fn add(&mut self, o: &Resources) {
        self.milli_cpu = self.milli_cpu.saturating_add(o.milli_cpu);
        self.memory = self.memory.saturating_add(o.memory);
        self.ephemeral_storage = self.ephemeral_storage.saturating_add(o.ephemeral_storage);
        for (k, v) in &o.scalars {
            let e = self.scalars.entry(k.clone()).or_default();
            *e = e.saturating_add(*v);
        }
    }

    pub fn sub(&mut self, o: &Resources) {
        self.milli_cpu = self.milli_cpu.saturating_sub(o.milli_cpu);
        self.memory = self.memory.saturating_sub(o.memory);
        self.ephemeral_storage = self.ephemeral_storage.saturating_sub(o.ephemeral_storage);
        for (k, v) in &o.scalars {
            let e = self.scalars.entry(k.clone()).or_default();
            *e = e.saturating_sub(*v);
            if *e == 0 {
                self.scalars.remove(k);
            }
        }
    }

    /// Each resource the larger of the two.
    fn max_with(&mut self, o: &Resources) {
        self.milli_cpu = self.milli_cpu.max(o.milli_cpu);
        self.memory = self.memory.max(o.memory);
        self.ephemeral_storage = self.ephemeral_storage.max(o.ephemeral_storage);
        for (k, v) in &o.scalars {
            let e = self.scalars.entry(k.clone()).or_default();
            *e = (*e).max(*v);
        }
    }

    /// True when nothing at all is requested.
    pub fn is_zero(&self) -> bool {
        self.milli_cpu == 0
            && self.memory == 0
            && self.ephemeral_storage == 0
            && self.scalars.values().all(|v| *v == 0)
    }
}

/// Upstream's `IsScalarResourceName`: extended resources (a domain-qualified name outside
/// `kubernetes.io/`), huge pages and attachable volumes.
pub fn is_scalar_resource(name: &str) -> bool {
    let extended =
        name.contains('/') && !name.contains("kubernetes.io/") && !name.starts_with("requests.");
    extended || name.starts_with("hugepages-") || name.starts_with("attachable-volumes-")
}

fn container_requests(c: &Container, non_zero: bool) -> Resources {
    let list = c.resources.as_ref().and_then(|r| r.requests.as_ref());
    let mut r = Resources::from_list(list);
    if non_zero {
        let has = |k: &str| list.is_some_and(|l| l.contains_key(k));
        if !has("cpu") {
            r.milli_cpu = DEFAULT_MILLI_CPU_REQUEST;
        }
        if !has("memory") {
            r.memory = DEFAULT_MEMORY_REQUEST;
        }
    }
    r
}

fn is_sidecar(c: &Container) -> bool {
    c.restart_policy.as_deref() == Some("Always")
}

/// The pod's effective requests: containers summed, sidecars (init containers with
/// `restartPolicy: Always`) added, each ordinary init container's peak (with the sidecars
/// started before it) as a floor, then overhead. With `non_zero`, containers that request
/// no CPU or memory count upstream's defaults instead (used only for scoring).
pub fn pod_requests(spec: &PodSpec, non_zero: bool) -> Resources {
    let mut reqs = Resources::default();
    for c in &spec.containers {
        reqs.add(&container_requests(c, non_zero));
    }
    let mut sidecars = Resources::default();
    let mut init_peak = Resources::default();
    for c in spec.init_containers.iter().flatten() {
        let own = container_requests(c, non_zero);
        let running = if is_sidecar(c) {
            reqs.add(&own);
            sidecars.add(&own);
            sidecars.clone()
        } else {
            let mut r = own;
            r.add(&sidecars);
            r
        };
        init_peak.max_with(&running);
    }
    reqs.max_with(&init_peak);
    // Pod-level resources, when given, replace the container sum for cpu and memory.
    if let Some(pod_level) = spec.resources.as_ref().and_then(|r| r.requests.as_ref()) {
        let p = Resources::from_list(Some(pod_level));
        if pod_level.contains_key("cpu") {
            reqs.milli_cpu = p.milli_cpu;
        }
        if pod_level.contains_key("memory") {
            reqs.memory = p.memory;
        }
    }
    reqs.add(&Resources::from_list(spec.overhead.as_ref()));
    reqs
}

/// A host port a pod binds: `(hostIP, protocol, port)` with upstream's defaults
/// (`0.0.0.0`, `TCP`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HostPort {
    pub ip: String,
    pub protocol: String,
    pub port: i32,
}

/// The host ports a pod's containers and init containers ask for.
pub fn host_ports(spec: &PodSpec) -> Vec<HostPort> {
    let mut out = Vec::new();
    let all = spec
        .containers
        .iter()
        .chain(spec.init_containers.iter().flatten());
    for c in all {
        for p in c.ports.iter().flatten() {
            let Some(port) = p.host_port.filter(|p| *p > 0) else {
                continue;
            };
            out.push(HostPort {
                ip: p
                    .host_ip
                    .clone()
                    .filter(|ip| !ip.is_empty())
                    .unwrap_or_else(|| "0.0.0.0".to_string()),
                protocol: p.protocol.clone().unwrap_or_else(|| "TCP".to_string()),
                port,
            });
        }
    }
    out
}

/// The UID of the pod's controller (or, failing that, its first owner), which pods are
/// spread by.
pub fn owner_uid(pod: &Pod) -> Option<String> {
    let refs = pod.metadata.owner_references.as_ref()?;
    refs.iter()
        .find(|r| r.controller == Some(true))
        .or_else(|| refs.first())
        .map(|r| r.uid.clone())
        .filter(|u| !u.is_empty())
}

/// `namespace/name`, the key pods are tracked by.
pub fn pod_key(pod: &Pod) -> String {
    format!(
        "{}/{}",
        pod.metadata.namespace.as_deref().unwrap_or(""),
        pod.metadata.name.as_deref().unwrap_or("")
    )
}

/// Everything about a pod that filtering and scoring read, computed once per pod version.
#[derive(Debug, Clone, Default)]
pub struct PodInfo {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub requests: Resources,
    /// Requests with upstream's defaults for containers that state none (scoring only).
    pub non_zero: Resources,
    pub host_ports: Vec<HostPort>,
    pub owner_uid: Option<String>,
    pub priority: i32,
    pub preemption_never: bool,
    pub tolerations: Vec<Toleration>,
    pub node_selector: BTreeMap<String, String>,
    pub required_affinity: Option<NodeSelector>,
    pub preferred_affinity: Vec<PreferredSchedulingTerm>,
}

impl PodInfo {
    pub fn from_pod(pod: &Pod) -> PodInfo {
        let empty = PodSpec::default();
        let spec = pod.spec.as_ref().unwrap_or(&empty);
        let node_affinity = spec
            .affinity
            .as_ref()
            .and_then(|a| a.node_affinity.as_ref());
        PodInfo {
            namespace: pod.metadata.namespace.clone().unwrap_or_default(),
            name: pod.metadata.name.clone().unwrap_or_default(),
            uid: pod.metadata.uid.clone().unwrap_or_default(),
            requests: pod_requests(spec, false),
            non_zero: pod_requests(spec, true),
            host_ports: host_ports(spec),
            owner_uid: owner_uid(pod),
            priority: spec.priority.unwrap_or(0),
            preemption_never: spec.preemption_policy.as_deref() == Some("Never"),
            tolerations: spec.tolerations.clone().unwrap_or_default(),
            node_selector: spec.node_selector.clone().unwrap_or_default(),
            required_affinity: node_affinity.and_then(|a| {
                a.required_during_scheduling_ignored_during_execution
                    .clone()
            }),
            preferred_affinity: node_affinity
                .and_then(|a| {
                    a.preferred_during_scheduling_ignored_during_execution
                        .clone()
                })
                .unwrap_or_default(),
        }
    }

    pub fn key(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(v: serde_json::Value) -> PodSpec {
        serde_json::from_value(v).expect("test spec")
    }

    fn cpu_mem(r: &Resources) -> (i64, i64) {
        (r.milli_cpu, r.memory)
    }

    #[test]
    fn requests_follow_upstreams_aggregation() {
        let cases = [
            (
                "containers are summed",
                json!({"containers": [
                    {"name": "a", "resources": {"requests": {"cpu": "100m", "memory": "1Mi"}}},
                    {"name": "b", "resources": {"requests": {"cpu": "250m"}}}]}),
                (350, 1024 * 1024),
            ),
            (
                "an init container larger than the sum is the floor",
                json!({"initContainers": [{"name": "i", "resources": {"requests": {"cpu": "2"}}}],
                       "containers": [{"name": "a", "resources": {"requests": {"cpu": "1", "memory": "10"}}}]}),
                (2000, 10),
            ),
            (
                "sidecars add to the sum and to later init containers",
                json!({"initContainers": [
                    {"name": "s", "restartPolicy": "Always", "resources": {"requests": {"cpu": "500m"}}},
                    {"name": "i", "resources": {"requests": {"cpu": "2"}}}],
                       "containers": [{"name": "a", "resources": {"requests": {"cpu": "1"}}}]}),
                (2500, 0),
            ),
            (
                "overhead is added",
                json!({"overhead": {"cpu": "10m", "memory": "5"},
                       "containers": [{"name": "a", "resources": {"requests": {"cpu": "1"}}}]}),
                (1010, 5),
            ),
            (
                "pod-level requests replace the container sum",
                json!({"resources": {"requests": {"cpu": "3"}},
                       "containers": [{"name": "a", "resources": {"requests": {"cpu": "1", "memory": "7"}}}]}),
                (3000, 7),
            ),
        ];
        for (name, s, want) in cases {
            assert_eq!(cpu_mem(&pod_requests(&spec(s), false)), want, "{name}");
        }
    }

    #[test]
    fn non_zero_requests_default_missing_cpu_and_memory() {
        let s = spec(json!({"containers": [
            {"name": "a"},
            {"name": "b", "resources": {"requests": {"cpu": "0", "memory": "1Gi"}}}]}));
        assert_eq!(cpu_mem(&pod_requests(&s, false)), (0, 1 << 30));
        // An explicit zero stays zero; only a missing request is defaulted.
        assert_eq!(
            cpu_mem(&pod_requests(&s, true)),
            (
                DEFAULT_MILLI_CPU_REQUEST,
                DEFAULT_MEMORY_REQUEST + (1 << 30)
            )
        );
    }

    #[test]
    fn scalar_resources_are_recognised() {
        let s = spec(
            json!({"containers": [{"name": "a", "resources": {"requests": {
            "example.com/gpu": "2", "hugepages-2Mi": "4Mi", "kubernetes.io/foo": "1"}}}]}),
        );
        let r = pod_requests(&s, false);
        assert_eq!(r.scalars.get("example.com/gpu"), Some(&2));
        assert_eq!(r.scalars.get("hugepages-2Mi"), Some(&(4 << 20)));
        assert_eq!(r.scalars.get("kubernetes.io/foo"), None);
    }

    #[test]
    fn host_ports_get_defaults() {
        let s = spec(json!({"containers": [{"name": "a", "ports": [
            {"containerPort": 80, "hostPort": 8080},
            {"containerPort": 53, "hostPort": 53, "protocol": "UDP", "hostIP": "10.0.0.1"},
            {"containerPort": 9090}]}]}));
        assert_eq!(
            host_ports(&s),
            vec![
                HostPort {
                    ip: "0.0.0.0".into(),
                    protocol: "TCP".into(),
                    port: 8080
                },
                HostPort {
                    ip: "10.0.0.1".into(),
                    protocol: "UDP".into(),
                    port: 53
                },
            ]
        );
    }

    #[test]
    fn owner_is_the_controller() {
        let pod: Pod = serde_json::from_value(json!({"metadata": {"name": "p", "ownerReferences": [
            {"apiVersion": "v1", "kind": "X", "name": "x", "uid": "u1"},
            {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": "u2", "controller": true}]}}))
        .expect("pod");
        assert_eq!(owner_uid(&pod).as_deref(), Some("u2"));
    }
}
