//! The CRI runtime: real containers through a CRI v1 gRPC server (containerd) over its
//! unix socket, behind the agent's [`Runtime`] trait.
//!
//! The runtime owns what the kubelet does between the pod worker and the CRI: it keeps
//! each sandbox's config (every `CreateContainer` must repeat it), materialises volumes,
//! resolves environment values, removes a container's older attempts (keeping the last
//! dead one for `kubectl logs --previous`), runs exec probes through `ExecSync` and
//! network probes from the node, and on start-up adopts what an earlier agent left
//! running and removes what belongs to pods that are gone. Logs are written by the
//! runtime under `ROOT/logs/<namespace>_<pod>_<uid>/<container>/<attempt>.log` and served
//! by [`crate::logs`].

mod config;
mod credentials;
mod objects;
mod probe;
mod rotation;
mod volumes;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use hyper_util::rt::TokioIo;
use jiff::Timestamp;
use k8s_cri::v1 as cri;
use k8s_cri::v1::image_service_client::ImageServiceClient;
use k8s_cri::v1::runtime_service_client::RuntimeServiceClient;
use k8s_openapi::api::core::v1::{Container, LifecycleHandler, Pod, Probe};
use tonic::transport::{Channel, Endpoint};
use tracing::debug;

pub use config::{CONTAINER_NAME_LABEL, POD_NAME_LABEL, POD_NAMESPACE_LABEL, POD_UID_LABEL};
use config::{MANAGED_LABEL, PodRef, Resolved};
use volumes::PodVolumes;

use super::{Adopted, ContainerState, ImageInfo, ProbeResult, Runtime, RuntimeError, Sandbox};
use crate::image::normalize;
use crate::probe::{ProbeKind, ProbeTiming};

/// The node a runtime object belongs to, so agents sharing one containerd never clean up
/// each other's pods.
const NODE_LABEL: &str = "io.bosun.node";

/// containerd's default CRI socket.
pub const DEFAULT_SOCKET: &str = "/run/containerd/containerd.sock";

/// How the CRI runtime is set up.
#[derive(Clone, Debug)]
pub struct CriOptions {
    pub socket: PathBuf,
    /// Where pod logs and volumes live.
    pub root: PathBuf,
    pub node_name: String,
    /// The node's IP, for `status.hostIP` field references.
    pub host_ip: String,
    /// A container log past this many bytes is rotated (0: never; the kubelet's
    /// `containerLogMaxSize`, 10 MiB).
    pub log_max_size: u64,
    /// How many log files a container keeps, the current one included (5).
    pub log_max_files: usize,
}

struct SandboxEntry {
    config: cri::PodSandboxConfig,
    ips: Vec<String>,
    volumes: PodVolumes,
}

struct ContainerEntry {
    sandbox_id: String,
    spec: Container,
}

#[derive(Default)]
struct State {
    sandboxes: HashMap<String, SandboxEntry>,
    containers: HashMap<String, ContainerEntry>,
}

pub struct CriRuntime {
    channel: Channel,
    client: kube::Client,
    options: CriOptions,
    name: String,
    version: String,
    dns: cri::DnsConfig,
    state: Mutex<State>,
}

fn failed(context: &str, status: tonic::Status) -> RuntimeError {
    RuntimeError::Failed(format!("{context}: {}", status.message()))
}

fn timestamp(nanos: i64) -> Option<Timestamp> {
    (nanos > 0)
        .then(|| Timestamp::from_nanosecond(i128::from(nanos)).ok())
        .flatten()
}

/// Connects to the CRI socket (a unix socket; tonic needs a URI, which is ignored).
pub async fn channel(socket: &Path) -> Result<Channel, RuntimeError> {
    let path = socket.to_path_buf();
    Endpoint::try_from("http://[::1]:50051")
        .map_err(|e| RuntimeError::Failed(e.to_string()))?
        .connect_with_connector(tower::service_fn(move |_: http::Uri| {
            let path = path.clone();
            async move {
                Ok::<_, std::io::Error>(TokioIo::new(tokio::net::UnixStream::connect(path).await?))
            }
        }))
        .await
        .map_err(|e| {
            RuntimeError::Failed(format!(
                "connecting to the CRI socket {}: {e}",
                socket.display()
            ))
        })
}

impl CriRuntime {
    /// Connects and checks that the runtime answers CRI v1.
    pub async fn connect(client: kube::Client, options: CriOptions) -> Result<Self, RuntimeError> {
        let channel = channel(&options.socket).await?;
        let version = RuntimeServiceClient::new(channel.clone())
            .version(cri::VersionRequest {
                version: "v1".to_string(),
            })
            .await
            .map_err(|e| failed(&format!("CRI Version on {}", options.socket.display()), e))?
            .into_inner();
        // Behind systemd-resolved's stub (127.0.0.53, unreachable from a pod) the real
        // upstream servers are in /run/systemd/resolve/resolv.conf, as the kubelet knows.
        let stub = std::fs::read_to_string("/etc/resolv.conf")
            .is_ok_and(|t| t.contains("nameserver 127.0.0.53"));
        let resolv = if stub {
            "/run/systemd/resolve/resolv.conf"
        } else {
            "/etc/resolv.conf"
        };
        let dns = std::fs::read_to_string(resolv)
            .map(|t| config::parse_resolv_conf(&t))
            .unwrap_or_default();
        std::fs::create_dir_all(options.root.join("logs")).map_err(|e| {
            RuntimeError::Failed(format!("creating {}: {e}", options.root.display()))
        })?;
        Ok(Self {
            channel,
            client,
            options,
            name: version.runtime_name,
            version: version.runtime_version,
            dns,
            state: Mutex::new(State::default()),
        })
    }

    /// CRI `PullImage`, then the pulled image's status.
    async fn pull(
        &self,
        image: &str,
        auth: Option<cri::AuthConfig>,
    ) -> Result<ImageInfo, RuntimeError> {
        self.images()
            .pull_image(cri::PullImageRequest {
                image: Some(cri::ImageSpec {
                    image: image.to_string(),
                    ..Default::default()
                }),
                auth,
                ..Default::default()
            })
            .await
            .map_err(|e| RuntimeError::Failed(e.message().to_string()))?;
        self.image_status(image)
            .await?
            .ok_or_else(|| RuntimeError::Failed(format!("image {image:?} missing after its pull")))
    }

    fn rt(&self) -> RuntimeServiceClient<Channel> {
        RuntimeServiceClient::new(self.channel.clone())
    }

    fn images(&self) -> ImageServiceClient<Channel> {
        ImageServiceClient::new(self.channel.clone())
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn log_directory(&self, pod: &Pod) -> PathBuf {
        let r = PodRef::of(pod);
        self.pod_log_dir(r.namespace, r.name, r.uid)
    }

    /// `ROOT/logs/<namespace>_<pod>_<uid>`, the kubelet's pod log directory (names cannot
    /// contain `_`, so the parts are unambiguous).
    fn pod_log_dir(&self, namespace: &str, name: &str, uid: &str) -> PathBuf {
        self.options
            .root
            .join("logs")
            .join(format!("{namespace}_{name}_{uid}"))
    }

    /// The log file of a runtime container, from the labels that tie it to its pod.
    fn container_log(&self, c: &cri::Container) -> PathBuf {
        let label = |k: &str| c.labels.get(k).map(String::as_str).unwrap_or_default();
        let attempt = c.metadata.as_ref().map_or(0, |m| m.attempt);
        self.pod_log_dir(
            label(POD_NAMESPACE_LABEL),
            label(POD_NAME_LABEL),
            label(POD_UID_LABEL),
        )
        .join(label(CONTAINER_NAME_LABEL))
        .join(format!("{attempt}.log"))
    }

    fn own_labels(&self) -> HashMap<String, String> {
        HashMap::from([
            (MANAGED_LABEL.to_string(), "true".to_string()),
            (NODE_LABEL.to_string(), self.options.node_name.clone()),
        ])
    }
}

#[async_trait]
impl Runtime for CriRuntime {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn version(&self) -> String {
        self.version.clone()
    }

    fn keeps_dead_containers(&self) -> bool {
        true
    }

    async fn remove_pod(&self, pod_uid: &str) {
        let held = self
            .sandboxes_with(HashMap::from([(
                POD_UID_LABEL.to_string(),
                pod_uid.to_string(),
            )]))
            .await;
        for s in held {
            self.remove_pod_objects(&s).await;
        }
    }

    async fn run_pod_sandbox(&self, pod: &Pod) -> Result<Sandbox, RuntimeError> {
        let r = PodRef::of(pod);
        // Leftovers of this pod (a sandbox that died, a half-made one) would reserve the
        // sandbox name: remove them and take the next attempt.
        let old = self
            .try_sandboxes_with(HashMap::from([(
                POD_UID_LABEL.to_string(),
                r.uid.to_string(),
            )]))
            .await
            .map_err(|e| RuntimeError::Failed(format!("listing the pod's sandboxes: {e}")))?;
        if let Some(running) = old
            .iter()
            .find(|s| s.state == cri::PodSandboxState::SandboxReady as i32)
        {
            // Never replace a running sandbox: the worker takes it over on its next pass.
            return Err(RuntimeError::Failed(format!(
                "the pod's sandbox {} is running; taking it over",
                running.id
            )));
        }
        let attempt = old
            .iter()
            .filter_map(|s| s.metadata.as_ref().map(|m| m.attempt + 1))
            .max()
            .unwrap_or(0);
        for s in &old {
            self.remove_sandbox_fully(&s.id, None).await;
        }
        let (volumes, config) = self
            .sandbox_parts(pod, attempt)
            .await
            .map_err(RuntimeError::Failed)?;
        let id = self
            .rt()
            .run_pod_sandbox(cri::RunPodSandboxRequest {
                config: Some(config.clone()),
                runtime_handler: String::new(),
            })
            .await
            .map_err(|e| failed("failed to create pod sandbox", e))?
            .into_inner()
            .pod_sandbox_id;
        let ips = if config::host_network(pod) {
            Vec::new()
        } else {
            self.sandbox_ips(&id).await?
        };
        self.lock().sandboxes.insert(
            id.clone(),
            SandboxEntry {
                config,
                ips: ips.clone(),
                volumes,
            },
        );
        Ok(Sandbox { id, ips })
    }

    async fn stop_pod_sandbox(&self, sandbox_id: &str) -> Result<(), RuntimeError> {
        self.rt()
            .stop_pod_sandbox(cri::StopPodSandboxRequest {
                pod_sandbox_id: sandbox_id.to_string(),
            })
            .await
            .map_err(|e| failed("StopPodSandbox", e))?;
        Ok(())
    }

    async fn remove_pod_sandbox(&self, sandbox_id: &str) -> Result<(), RuntimeError> {
        let meta = self
            .lock()
            .sandboxes
            .get(sandbox_id)
            .and_then(|s| s.config.metadata.clone());
        self.remove_sandbox_fully(sandbox_id, meta.as_ref().map(|m| m.uid.as_str()))
            .await;
        if let Some(m) = meta {
            let _ = std::fs::remove_dir_all(self.pod_log_dir(&m.namespace, &m.name, &m.uid));
        }
        Ok(())
    }

    async fn image_status(&self, image: &str) -> Result<Option<ImageInfo>, RuntimeError> {
        let found = self
            .images()
            .image_status(cri::ImageStatusRequest {
                image: Some(cri::ImageSpec {
                    image: image.to_string(),
                    ..Default::default()
                }),
                verbose: false,
            })
            .await
            .map_err(|e| failed("ImageStatus", e))?
            .into_inner()
            .image;
        Ok(found.map(|i| ImageInfo {
            image: normalize(image),
            id: i.repo_digests.first().cloned().unwrap_or(i.id),
        }))
    }

    async fn pull_image_for(&self, pod: &Pod, image: &str) -> Result<ImageInfo, RuntimeError> {
        let secrets = volumes::pull_secrets(&self.client, pod).await;
        self.pull(image, credentials::auth_for(&secrets, image))
            .await
    }

    async fn pull_image(&self, image: &str) -> Result<ImageInfo, RuntimeError> {
        self.pull(image, None).await
    }

    async fn create_container(
        &self,
        sandbox_id: &str,
        pod: &Pod,
        container: &Container,
        attempt: u32,
        image: &ImageInfo,
    ) -> Result<String, RuntimeError> {
        let (sandbox_config, mounts, ips) = {
            let state = self.lock();
            let entry = state
                .sandboxes
                .get(sandbox_id)
                .ok_or_else(|| RuntimeError::NotFound {
                    kind: "sandbox",
                    id: sandbox_id.to_string(),
                })?;
            (
                entry.config.clone(),
                entry.volumes.mounts(container),
                entry.ips.clone(),
            )
        };
        let mut resolved = Resolved {
            pod_ips: ips,
            host_ip: self.options.host_ip.clone(),
            node_name: self.options.node_name.clone(),
            mounts: mounts.map_err(RuntimeError::Failed)?,
            ..Resolved::default()
        };
        if config::host_network(pod) {
            resolved.pod_ips = vec![self.options.host_ip.clone()];
        }
        volumes::env_values(&self.client, pod, container, &mut resolved)
            .await
            .map_err(RuntimeError::Config)?;
        let user = self
            .images()
            .image_status(cri::ImageStatusRequest {
                image: Some(cri::ImageSpec {
                    image: image.image.clone(),
                    ..Default::default()
                }),
                verbose: false,
            })
            .await
            .ok()
            .and_then(|r| r.into_inner().image)
            .map(|i| (i.uid.map(|u| u.value), i.username))
            .unwrap_or((None, String::new()));
        config::verify_non_root(pod, container, user.0, &user.1).map_err(RuntimeError::Config)?;
        self.prune_attempts(sandbox_id, &container.name, attempt)
            .await;
        let mut config = config::container_config(pod, container, attempt, &image.image, &resolved);
        config.labels.extend(self.own_labels());
        let id = self
            .rt()
            .create_container(cri::CreateContainerRequest {
                pod_sandbox_id: sandbox_id.to_string(),
                config: Some(config),
                sandbox_config: Some(sandbox_config),
            })
            .await
            .map_err(|e| RuntimeError::Failed(e.message().to_string()))?
            .into_inner()
            .container_id;
        self.lock().containers.insert(
            id.clone(),
            ContainerEntry {
                sandbox_id: sandbox_id.to_string(),
                spec: container.clone(),
            },
        );
        Ok(id)
    }

    async fn start_container(&self, container_id: &str) -> Result<(), RuntimeError> {
        self.rt()
            .start_container(cri::StartContainerRequest {
                container_id: container_id.to_string(),
            })
            .await
            .map_err(|e| RuntimeError::Failed(e.message().to_string()))?;
        Ok(())
    }

    async fn stop_container(
        &self,
        container_id: &str,
        grace: Duration,
    ) -> Result<(), RuntimeError> {
        // The CRI's timeout is whole seconds; round up so the grace period is never cut.
        let secs = grace.as_secs() + u64::from(grace.subsec_nanos() > 0);
        self.rt()
            .stop_container(cri::StopContainerRequest {
                container_id: container_id.to_string(),
                timeout: i64::try_from(secs).unwrap_or(i64::MAX),
            })
            .await
            .map_err(|e| failed("StopContainer", e))?;
        Ok(())
    }

    async fn remove_container(&self, container_id: &str) -> Result<(), RuntimeError> {
        self.rt()
            .remove_container(cri::RemoveContainerRequest {
                container_id: container_id.to_string(),
            })
            .await
            .map_err(|e| failed("RemoveContainer", e))?;
        self.lock().containers.remove(container_id);
        Ok(())
    }

    async fn container_status(&self, container_id: &str) -> Result<ContainerState, RuntimeError> {
        Ok(self.container_state(container_id).await?.1)
    }

    async fn probe(&self, container_id: &str, kind: ProbeKind, probe: &Probe) -> ProbeResult {
        let timeout = ProbeTiming::of(probe).timeout;
        if let Some(exec) = &probe.exec {
            let command = exec.command.clone().unwrap_or_default();
            return self.exec_probe(container_id, &command, timeout).await;
        }
        let target = {
            let state = self.lock();
            state.containers.get(container_id).map(|c| {
                let ip = state
                    .sandboxes
                    .get(&c.sandbox_id)
                    .and_then(|s| s.ips.first().cloned());
                (c.spec.clone(), ip)
            })
        };
        let Some((spec, ip)) = target else {
            return ProbeResult::Failure(format!("{} probe: unknown container", kind.as_str()));
        };
        let ip = ip.unwrap_or_else(|| self.options.host_ip.clone());
        probe::network(probe, &spec, &ip, timeout).await
    }

    async fn run_hook(&self, container_id: &str, handler: &LifecycleHandler) -> Result<(), String> {
        if let Some(exec) = &handler.exec {
            let command = exec.command.clone().unwrap_or_default();
            // Hooks are bounded by the caller (the grace period); ExecSync needs a timeout.
            return match self
                .exec_probe(container_id, &command, Duration::from_secs(3600))
                .await
            {
                ProbeResult::Success => Ok(()),
                ProbeResult::Failure(output) => Err(format!(
                    "Exec lifecycle hook ({:?}) for Container {:?} failed - error: command exited non-zero, message: {output:?}",
                    command, container_id
                )),
            };
        }
        if let Some(sleep) = &handler.sleep {
            tokio::time::sleep(Duration::from_secs(
                u64::try_from(sleep.seconds).unwrap_or(0),
            ))
            .await;
            return Ok(());
        }
        if let Some(http) = &handler.http_get {
            // Bounded by the grace period (preStop) by the caller, not a probe's 1 s.
            let probe = Probe {
                http_get: Some(http.clone()),
                timeout_seconds: Some(3600),
                ..Probe::default()
            };
            return match self.probe(container_id, ProbeKind::Liveness, &probe).await {
                ProbeResult::Success => Ok(()),
                ProbeResult::Failure(message) => Err(format!(
                    "HTTP lifecycle hook ({}) failed - error: {message}",
                    http.path.as_deref().unwrap_or("/")
                )),
            };
        }
        Err("a lifecycle hook needs exec, httpGet or sleep".to_string())
    }

    async fn wait_containers(&self, container_ids: &[String]) {
        let _ = container_ids;
        // Like the kubelet's PLEG relist, but twice as often: exits show up within 0.5 s.
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    async fn adopt(&self, pod: &Pod) -> Option<Adopted> {
        self.adopt_pod(pod).await
    }

    async fn remove_orphans(&self, keep: &HashSet<String>) {
        for s in self.sandboxes_with(HashMap::new()).await {
            let uid = s.labels.get(POD_UID_LABEL).cloned().unwrap_or_default();
            if !keep.contains(&uid) {
                debug!(sandbox = %s.id, pod = %uid, "removing the sandbox of a pod that is gone");
                self.remove_pod_objects(&s).await;
            }
        }
    }
}
