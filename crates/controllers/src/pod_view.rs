//! What the controllers read of a pod, and the wire type that decodes only that.
//!
//! The controllers' pod cache holds every pod of the cluster, and its watch sees every
//! pod write. Decoding each event into a whole typed `Pod` (containers, volumes,
//! statuses: dozens of fields, most of them strings) and then trimming it cost the
//! server more than storing the write (a profile of `bench api` put 7.7% of the
//! server's time in that decode). [`PodView`] is the API's pod as serde sees it with
//! only the kept fields declared, so the decoder skips the rest without building it;
//! it converts into a `Pod` holding only those fields (upstream's informers trim
//! their cached pods the same way, with a transform).

use k8s_openapi::api::core::v1::{
    ContainerStatus, Pod, PodCondition, PodSpec, PodStatus, Toleration,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use serde::Deserialize;

/// A pod as the API sends it, decoding only what the controllers read of a pod: its
/// metadata, node and tolerations (node lifecycle), phase, conditions, start time and
/// containers' readiness and restarts (ReplicaSet status and ranking). The rest, above
/// all the containers' specs and statuses, is two thirds of a typed pod, and the cache
/// holds every pod of the cluster; nothing is ever written back from it, only patched.
/// Unknown fields are skipped (serde's default), which is what makes decoding cheap.
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
    tolerations: Option<Vec<Toleration>>,
}

#[derive(Deserialize, Clone, Debug, Default)]
#[serde(rename_all = "camelCase")]
struct StatusView {
    phase: Option<String>,
    conditions: Option<Vec<PodCondition>>,
    start_time: Option<Time>,
    reason: Option<String>,
    container_statuses: Option<Vec<ContainerStatusView>>,
    init_container_statuses: Option<Vec<ContainerStatusView>>,
}

#[derive(Deserialize, Clone, Debug, Default)]
#[serde(rename_all = "camelCase")]
struct ContainerStatusView {
    #[serde(default)]
    name: String,
    #[serde(default)]
    ready: bool,
    #[serde(default)]
    restart_count: i32,
    started: Option<bool>,
}

impl From<PodView> for Pod {
    fn from(view: PodView) -> Pod {
        let containers = |statuses: Option<Vec<ContainerStatusView>>| {
            statuses.map(|list| {
                list.into_iter()
                    .map(|c| ContainerStatus {
                        name: c.name,
                        ready: c.ready,
                        restart_count: c.restart_count,
                        started: c.started,
                        ..Default::default()
                    })
                    .collect()
            })
        };
        let mut metadata = view.metadata;
        metadata.managed_fields = None;
        Pod {
            metadata,
            spec: view.spec.map(|spec| PodSpec {
                node_name: spec.node_name,
                tolerations: spec.tolerations,
                ..Default::default()
            }),
            status: view.status.map(|status| PodStatus {
                phase: status.phase,
                conditions: status.conditions,
                start_time: status.start_time,
                reason: status.reason,
                container_statuses: containers(status.container_statuses),
                init_container_statuses: containers(status.init_container_statuses),
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

    /// Every field any pod may carry, in the API's JSON.
    fn full_pod() -> serde_json::Value {
        serde_json::json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "a", "namespace": "ns", "uid": "u-a", "resourceVersion": "7",
                "generateName": "rs-", "creationTimestamp": "2026-01-01T00:00:00Z",
                "deletionTimestamp": "2026-01-01T00:01:00Z", "deletionGracePeriodSeconds": 30,
                "labels": {"app": "web"}, "annotations": {"controller.kubernetes.io/pod-deletion-cost": "5"},
                "finalizers": ["example.com/f"],
                "managedFields": [{"manager": "kubectl", "operation": "Update", "apiVersion": "v1"}],
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs",
                    "uid": "uid-1", "controller": true, "blockOwnerDeletion": true}]},
            "spec": {"nodeName": "n1", "schedulerName": "default-scheduler", "priority": 0,
                "containers": [{"name": "app", "image": "nginx:1.25", "ports": [{"containerPort": 80}],
                    "resources": {"requests": {"cpu": "100m"}},
                    "readinessProbe": {"httpGet": {"path": "/", "port": 80}}}],
                "initContainers": [{"name": "init", "image": "busybox"}],
                "volumes": [{"name": "v", "emptyDir": {}}],
                "tolerations": [{"key": "node.kubernetes.io/unreachable", "operator": "Exists",
                    "effect": "NoExecute", "tolerationSeconds": 300}]},
            "status": {"phase": "Running", "reason": "Evicted", "podIP": "10.0.0.5",
                "podIPs": [{"ip": "10.0.0.5"}], "hostIP": "10.1.0.1", "qosClass": "Burstable",
                "startTime": "2026-01-01T00:00:00Z",
                "conditions": [{"type": "Ready", "status": "True",
                    "lastTransitionTime": "2026-01-01T00:00:05Z", "reason": "R", "message": "m"}],
                "initContainerStatuses": [{"name": "init", "image": "busybox", "imageID": "x",
                    "ready": false, "restartCount": 1, "started": false,
                    "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}],
                "containerStatuses": [{"name": "app", "image": "nginx:1.25", "imageID": "sha256:x",
                    "ready": true, "restartCount": 3, "started": true,
                    "lastState": {"terminated": {"exitCode": 1}},
                    "state": {"running": {"startedAt": "2026-01-01T00:00:01Z"}}}]}
        })
    }

    #[test]
    fn a_pod_decoded_as_a_view_keeps_what_controllers_read() {
        let whole: Pod = serde_json::from_value(full_pod()).expect("a pod");
        let view: PodView = serde_json::from_value(full_pod()).expect("a view");
        let seen = Pod::from(view);
        let mut metadata = whole.metadata.clone();
        metadata.managed_fields = None;
        assert_eq!(seen.metadata, metadata);
        let spec = seen.spec.clone().unwrap_or_default();
        assert_eq!(spec.node_name.as_deref(), Some("n1"));
        assert_eq!(
            spec.tolerations,
            whole.spec.as_ref().and_then(|s| s.tolerations.clone())
        );
        assert!(spec.containers.is_empty(), "container specs are dropped");
        assert!(spec.volumes.is_none() && spec.scheduler_name.is_none());
        let status = seen.status.clone().unwrap_or_default();
        let original = whole.status.clone().unwrap_or_default();
        assert_eq!(
            (
                &status.phase,
                &status.conditions,
                &status.start_time,
                &status.reason
            ),
            (
                &original.phase,
                &original.conditions,
                &original.start_time,
                &original.reason
            )
        );
        assert_eq!(
            (status.pod_ip, status.host_ip, status.qos_class),
            (None, None, None)
        );
        let containers: Vec<_> = status
            .init_container_statuses
            .iter()
            .chain(status.container_statuses.iter())
            .flatten()
            .map(|c| {
                (
                    c.name.as_str(),
                    c.restart_count,
                    c.ready,
                    c.started,
                    c.state.is_none(),
                )
            })
            .collect();
        assert_eq!(
            containers,
            [
                ("init", 1, false, Some(false), true),
                ("app", 3, true, Some(true), true)
            ]
        );
        // A view lists and watches pods.
        assert_eq!(
            <PodView as kube::Resource>::url_path(&(), Some("ns")),
            "/api/v1/namespaces/ns/pods"
        );
    }
}
