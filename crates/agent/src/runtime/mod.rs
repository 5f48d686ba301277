//! The `Runtime` trait: what the agent asks of a container runtime.
//!
//! It follows the CRI's shape (pod sandbox, image service, container lifecycle, status,
//! exec-style probes) so a containerd/CRI implementation can plug in behind it later; the
//! agent owns everything Kubernetes-specific on top (restart policy, back-off, probe
//! thresholds, pod status). The sandbox owns the pod's network, as with CNI: the runtime
//! hands back the pod IPs. [`hollow::HollowRuntime`] simulates all of it in memory.

mod behaviour;
pub mod cri;
pub mod hollow;

use std::collections::HashSet;
use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Container, LifecycleHandler, Pod, Probe};

use crate::probe::ProbeKind;

/// A running pod sandbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sandbox {
    pub id: String,
    /// Pod IPs assigned by the sandbox's network; empty for host-network pods.
    pub ips: Vec<String>,
}

/// An image present on the node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageInfo {
    /// The reference the runtime reports for containers (`docker.io/library/nginx:1.14.2`).
    pub image: String,
    /// The digest reference (`docker.io/library/nginx@sha256:…`), the status's `imageID`.
    pub id: String,
}

/// A container's state as the runtime sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContainerState {
    Created,
    Running {
        started_at: Timestamp,
    },
    Exited {
        started_at: Option<Timestamp>,
        finished_at: Timestamp,
        exit_code: i32,
        /// `Completed`, `Error`, `OOMKilled`, … as containerd reports them.
        reason: String,
        message: Option<String>,
    },
}

/// What a runtime still has of a pod from before an agent restart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Adopted {
    pub sandbox: Sandbox,
    /// The latest instance of each container, by container name.
    pub containers: Vec<AdoptedContainer>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdoptedContainer {
    pub name: String,
    pub id: String,
    /// The attempt it was created as: the container's restart count then.
    pub attempt: u32,
    pub image: ImageInfo,
    pub state: ContainerState,
}

/// The result of running one probe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProbeResult {
    Success,
    Failure(String),
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RuntimeError {
    /// The CRI error text, kept verbatim because it ends up in container status messages.
    #[error("{0}")]
    Failed(String),
    #[error("{kind} {id:?} not found")]
    NotFound { kind: &'static str, id: String },
    /// The container's configuration cannot be honoured (a missing ConfigMap key, a root
    /// image with `runAsNonRoot`): upstream's `CreateContainerConfigError`.
    #[error("{0}")]
    Config(String),
}

/// What the agent needs from a container runtime.
#[async_trait]
pub trait Runtime: Send + Sync + 'static {
    /// The runtime's name, the scheme of container IDs (`containerd`, `hollow`).
    fn name(&self) -> String;
    /// Its version; `nodeInfo.containerRuntimeVersion` is `<name>://<version>`.
    fn version(&self) -> String;

    /// Creates the pod's sandbox and network (CRI `RunPodSandbox`).
    async fn run_pod_sandbox(&self, pod: &Pod) -> Result<Sandbox, RuntimeError>;
    /// Stops every container in the sandbox and tears its network down.
    async fn stop_pod_sandbox(&self, sandbox_id: &str) -> Result<(), RuntimeError>;
    /// Forgets the sandbox (and releases its IPs).
    async fn remove_pod_sandbox(&self, sandbox_id: &str) -> Result<(), RuntimeError>;

    /// `Some` when the image is present on the node (CRI `ImageStatus`).
    async fn image_status(&self, image: &str) -> Result<Option<ImageInfo>, RuntimeError>;
    /// Pulls an image; the error text becomes the `ErrImagePull` message.
    async fn pull_image(&self, image: &str) -> Result<ImageInfo, RuntimeError>;
    /// Pulls an image for a pod, with the credentials of its `imagePullSecrets`.
    async fn pull_image_for(&self, pod: &Pod, image: &str) -> Result<ImageInfo, RuntimeError> {
        let _ = pod;
        self.pull_image(image).await
    }

    /// Creates a container in the sandbox; `attempt` is its restart count.
    async fn create_container(
        &self,
        sandbox_id: &str,
        pod: &Pod,
        container: &Container,
        attempt: u32,
        image: &ImageInfo,
    ) -> Result<String, RuntimeError>;
    async fn start_container(&self, container_id: &str) -> Result<(), RuntimeError>;
    /// Asks the container to stop and waits up to `grace` before killing it.
    async fn stop_container(&self, container_id: &str, grace: Duration)
    -> Result<(), RuntimeError>;
    async fn remove_container(&self, container_id: &str) -> Result<(), RuntimeError>;
    async fn container_status(&self, container_id: &str) -> Result<ContainerState, RuntimeError>;

    /// Runs one probe of a running container. A CRI runtime execs `exec` probes in the
    /// container and performs `httpGet`/`tcpSocket`/`grpc` from the node.
    async fn probe(&self, container_id: &str, kind: ProbeKind, probe: &Probe) -> ProbeResult;

    /// Whether dead containers are kept for their logs, as the kubelet keeps them: a
    /// container's previous instance when the next one starts (the runtime prunes older
    /// ones itself) for `kubectl logs --previous`, and a finished pod's containers until
    /// the pod is deleted ([`Runtime::remove_pod`]). Otherwise the pod worker removes them
    /// at once.
    fn keeps_dead_containers(&self) -> bool {
        false
    }

    /// Removes everything the runtime still holds of the pod with this UID (a finished
    /// pod that has now been deleted).
    async fn remove_pod(&self, pod_uid: &str) {
        let _ = pod_uid;
    }

    /// The pod's ready sandbox and containers left by an earlier run of the agent, which
    /// the pod's worker takes over instead of starting duplicates. The hollow runtime
    /// forgets everything when the process ends, so it has nothing to adopt.
    async fn adopt(&self, pod: &Pod) -> Option<Adopted> {
        let _ = pod;
        None
    }

    /// Removes the sandboxes (and so the containers) of every pod this node's runtime
    /// holds whose UID is not in `keep`: pods deleted while the agent was away.
    async fn remove_orphans(&self, keep: &HashSet<String>) {
        let _ = keep;
    }

    /// Runs a lifecycle hook (`postStart`, `preStop`) of a running container: `exec` in
    /// the container, `httpGet` from the node, `sleep`. The error is the hook's failure
    /// message. Runtimes without real containers have nothing to run.
    async fn run_hook(&self, container_id: &str, handler: &LifecycleHandler) -> Result<(), String> {
        let _ = (container_id, handler);
        Ok(())
    }

    /// Resolves when any of these containers may have changed state on its own (exited).
    /// The default polls like the kubelet's PLEG relist; a runtime that knows better (the
    /// hollow one knows exit times in advance) waits exactly.
    async fn wait_containers(&self, container_ids: &[String]) {
        let _ = container_ids;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
