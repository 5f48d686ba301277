//! The scheduler's view of a pod: the API's pod with only the fields scheduling reads
//! declared, so decoding its watch skips the rest (container images, commands,
//! environment, probes, volumes, statuses) without building it. Each pod write reaches
//! the scheduler's watch, and decoding a whole typed `Pod` for it was 6% of the server's
//! time in `bench api` (the scheduler runs in the server's process).
//!
//! A view converts into a `Pod` holding only those fields, which is what the scheduler
//! keeps and reads ([`crate::podinfo::PodInfo::from_pod`], the queue, reports, bindings).
//! A field added to what the scheduler reads must be added here too; the tests compare
//! what the scheduler derives from a whole pod and from its view.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Affinity, Container, ContainerPort, Pod, PodCondition, PodSchedulingGate, PodSpec, PodStatus,
    ResourceRequirements, Toleration,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Deserialize;

/// A pod as the API sends it, decoding only what the scheduler reads.
#[derive(Deserialize, Clone, Debug, Default)]
pub struct PodView {
    #[serde(default)]
    metadata: ObjectMeta,
    spec: Option<SpecView>,
    status: Option<StatusView>,
}

#[derive(Deserialize, Clone, Debug, Default)]
#[serde(rename_all = "camelCase")]
struct SpecView {
    node_name: Option<String>,
    scheduler_name: Option<String>,
    scheduling_gates: Option<Vec<PodSchedulingGate>>,
    priority: Option<i32>,
    preemption_policy: Option<String>,
    tolerations: Option<Vec<Toleration>>,
    node_selector: Option<BTreeMap<String, String>>,
    affinity: Option<Affinity>,
    #[serde(default)]
    containers: Vec<ContainerView>,
    init_containers: Option<Vec<ContainerView>>,
    resources: Option<ResourceRequirements>,
    overhead: Option<BTreeMap<String, Quantity>>,
}

#[derive(Deserialize, Clone, Debug, Default)]
#[serde(rename_all = "camelCase")]
struct ContainerView {
    #[serde(default)]
    name: String,
    resources: Option<ResourceRequirements>,
    ports: Option<Vec<ContainerPort>>,
    restart_policy: Option<String>,
}

#[derive(Deserialize, Clone, Debug, Default)]
#[serde(rename_all = "camelCase")]
struct StatusView {
    phase: Option<String>,
    conditions: Option<Vec<PodCondition>>,
}

impl From<ContainerView> for Container {
    fn from(c: ContainerView) -> Container {
        Container {
            name: c.name,
            resources: c.resources,
            ports: c.ports,
            restart_policy: c.restart_policy,
            ..Default::default()
        }
    }
}

impl From<PodView> for Pod {
    fn from(view: PodView) -> Pod {
        let mut metadata = view.metadata;
        metadata.managed_fields = None;
        Pod {
            metadata,
            spec: view.spec.map(|s| PodSpec {
                node_name: s.node_name,
                scheduler_name: s.scheduler_name,
                scheduling_gates: s.scheduling_gates,
                priority: s.priority,
                preemption_policy: s.preemption_policy,
                tolerations: s.tolerations,
                node_selector: s.node_selector,
                affinity: s.affinity,
                containers: s.containers.into_iter().map(Container::from).collect(),
                init_containers: s
                    .init_containers
                    .map(|list| list.into_iter().map(Container::from).collect()),
                resources: s.resources,
                overhead: s.overhead,
                ..Default::default()
            }),
            status: view.status.map(|s| PodStatus {
                phase: s.phase,
                conditions: s.conditions,
                ..Default::default()
            }),
        }
    }
}

// `Api<PodView>` lists and watches pods.
bosun_api::resource_view!(PodView, Pod);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nodeinfo::PodUsage;
    use crate::podinfo::PodInfo;
    use crate::report;

    fn full_pod() -> serde_json::Value {
        serde_json::json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "a", "namespace": "ns", "uid": "u-a", "resourceVersion": "7",
                "labels": {"app": "web"}, "annotations": {"a": "b"},
                "managedFields": [{"manager": "kubectl", "operation": "Update", "apiVersion": "v1"}],
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs",
                    "uid": "uid-1", "controller": true}]},
            "spec": {"schedulerName": "default-scheduler", "priority": 100,
                "preemptionPolicy": "Never", "schedulingGates": [{"name": "g"}],
                "nodeSelector": {"disk": "ssd"},
                "affinity": {"nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                        {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}]},
                    "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 5, "preference":
                        {"matchExpressions": [{"key": "gpu", "operator": "Exists"}]}}]}},
                "tolerations": [{"key": "k", "operator": "Equal", "value": "v", "effect": "NoSchedule"}],
                "containers": [
                    {"name": "app", "image": "nginx:1.25", "command": ["nginx"], "env": [{"name": "X", "value": "1"}],
                     "ports": [{"containerPort": 80, "hostPort": 8080, "protocol": "TCP"}],
                     "resources": {"requests": {"cpu": "250m", "memory": "64Mi", "example.com/gpu": "1"}},
                     "readinessProbe": {"httpGet": {"path": "/", "port": 80}}},
                    {"name": "side", "image": "busybox"}],
                "initContainers": [
                    {"name": "sidecar", "image": "envoy", "restartPolicy": "Always",
                     "resources": {"requests": {"cpu": "100m"}}},
                    {"name": "init", "image": "busybox", "resources": {"requests": {"cpu": "2"}},
                     "ports": [{"containerPort": 53, "hostPort": 53, "protocol": "UDP", "hostIP": "10.0.0.1"}]}],
                "overhead": {"cpu": "10m"},
                "volumes": [{"name": "v", "emptyDir": {}}]},
            "status": {"phase": "Pending", "qosClass": "Burstable",
                "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                    "message": "0/3 nodes are available", "lastTransitionTime": "2026-01-01T00:00:05Z"}]}
        })
    }

    #[test]
    fn the_scheduler_derives_the_same_from_a_view_as_from_the_whole_pod() {
        let whole: Pod = serde_json::from_value(full_pod()).expect("a pod");
        let view: PodView = serde_json::from_value(full_pod()).expect("a view");
        let seen = Pod::from(view);
        assert_eq!(
            format!("{:?}", PodInfo::from_pod(&seen)),
            format!("{:?}", PodInfo::from_pod(&whole))
        );
        assert_eq!(
            format!("{:?}", PodUsage::from_pod(&seen)),
            format!("{:?}", PodUsage::from_pod(&whole))
        );
        let info = PodInfo::from_pod(&seen);
        assert_eq!(
            (
                info.requests.milli_cpu,
                info.priority,
                info.host_ports.len()
            ),
            (2110, 100, 2)
        );
        assert!(report::shows_unscheduled(
            &seen,
            "Unschedulable",
            "0/3 nodes are available"
        ));
        let (sa, sb) = (
            seen.spec.clone().unwrap_or_default(),
            whole.spec.clone().unwrap_or_default(),
        );
        assert_eq!(sa.scheduler_name, sb.scheduler_name);
        assert_eq!(sa.scheduling_gates, sb.scheduling_gates);
        assert_eq!(seen.metadata.labels, whole.metadata.labels);
        assert_eq!(
            seen.metadata.owner_references,
            whole.metadata.owner_references
        );
        assert!(seen.metadata.managed_fields.is_none());
        assert_eq!(
            seen.spec.as_ref().map(|s| s.containers[0].image.is_none()),
            Some(true)
        );
    }

    #[test]
    fn a_pod_without_spec_or_status_decodes_as_a_view() {
        let view: PodView =
            serde_json::from_value(serde_json::json!({"metadata": {"name": "bare"}}))
                .expect("a view");
        let pod = Pod::from(view);
        assert_eq!(pod.metadata.name.as_deref(), Some("bare"));
        assert!(pod.spec.is_none() && pod.status.is_none());
        assert_eq!(
            <PodView as kube::Resource>::url_path(&(), None),
            "/api/v1/pods"
        );
    }
}
