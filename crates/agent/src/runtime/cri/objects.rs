//! Finding, inspecting and removing runtime objects: sandboxes and containers are found
//! by the labels that tie them to their pod and node, which is how logs, exec, pruning of
//! old attempts, adoption after an agent restart and orphan clean-up all work without
//! any state of their own.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use jiff::Timestamp;
use k8s_cri::v1 as cri;
use k8s_openapi::api::core::v1::{Container, Pod};
use tracing::{debug, warn};

use super::config::{self, PodRef};
use super::volumes::{self, PodVolumes};
use super::{
    CONTAINER_NAME_LABEL, ContainerEntry, CriRuntime, POD_NAME_LABEL, POD_NAMESPACE_LABEL,
    POD_UID_LABEL, SandboxEntry, failed, timestamp,
};
use crate::image::normalize;
use crate::runtime::{
    Adopted, AdoptedContainer, ContainerState, ImageInfo, ProbeResult, RuntimeError, Sandbox,
};

impl CriRuntime {
    pub(super) async fn sandboxes_with(
        &self,
        labels: HashMap<String, String>,
    ) -> Vec<cri::PodSandbox> {
        self.try_sandboxes_with(labels).await.unwrap_or_else(|e| {
            warn!(error = %e, "CRI ListPodSandbox failed");
            Vec::new()
        })
    }

    /// The sandboxes of this node with these labels, or the CRI's error.
    pub(super) async fn try_sandboxes_with(
        &self,
        mut labels: HashMap<String, String>,
    ) -> Result<Vec<cri::PodSandbox>, String> {
        labels.extend(self.own_labels());
        self.rt()
            .list_pod_sandbox(cri::ListPodSandboxRequest {
                filter: Some(cri::PodSandboxFilter {
                    label_selector: labels,
                    ..Default::default()
                }),
            })
            .await
            .map(|r| r.into_inner().items)
            .map_err(|e| e.message().to_string())
    }

    pub(super) async fn containers_with(
        &self,
        filter: cri::ContainerFilter,
    ) -> Vec<cri::Container> {
        match self
            .rt()
            .list_containers(cri::ListContainersRequest {
                filter: Some(filter),
            })
            .await
        {
            Ok(r) => r.into_inner().containers,
            Err(e) => {
                warn!(error = %e.message(), "CRI ListContainers failed");
                Vec::new()
            }
        }
    }

    pub(super) async fn sandbox_ips(&self, id: &str) -> Result<Vec<String>, RuntimeError> {
        let status = self
            .rt()
            .pod_sandbox_status(cri::PodSandboxStatusRequest {
                pod_sandbox_id: id.to_string(),
                verbose: false,
            })
            .await
            .map_err(|e| failed("PodSandboxStatus", e))?
            .into_inner();
        let network = status.status.and_then(|s| s.network);
        Ok(network
            .map(|n| {
                std::iter::once(n.ip)
                    .chain(n.additional_ips.into_iter().map(|p| p.ip))
                    .filter(|ip| !ip.is_empty())
                    .collect()
            })
            .unwrap_or_default())
    }

    pub(super) async fn remove_sandbox_fully(&self, id: &str, uid: Option<&str>) {
        let mut rt = self.rt();
        let _ = rt
            .stop_pod_sandbox(cri::StopPodSandboxRequest {
                pod_sandbox_id: id.to_string(),
            })
            .await;
        if let Err(e) = rt
            .remove_pod_sandbox(cri::RemovePodSandboxRequest {
                pod_sandbox_id: id.to_string(),
            })
            .await
        {
            warn!(sandbox = id, error = %e.message(), "CRI RemovePodSandbox failed");
        }
        if let Some(uid) = uid.filter(|u| !u.is_empty()) {
            let _ = std::fs::remove_dir_all(volumes::pod_dir(&self.options.root, uid));
        }
        let mut state = self.lock();
        state.sandboxes.remove(id);
        state.containers.retain(|_, c| c.sandbox_id != id);
    }

    pub(super) async fn container_state(
        &self,
        id: &str,
    ) -> Result<(cri::ContainerStatus, ContainerState), RuntimeError> {
        let status = self
            .rt()
            .container_status(cri::ContainerStatusRequest {
                container_id: id.to_string(),
                verbose: false,
            })
            .await
            .map_err(|e| {
                if e.code() == tonic::Code::NotFound {
                    RuntimeError::NotFound {
                        kind: "container",
                        id: id.to_string(),
                    }
                } else {
                    failed("ContainerStatus", e)
                }
            })?
            .into_inner()
            .status
            .ok_or_else(|| RuntimeError::NotFound {
                kind: "container",
                id: id.to_string(),
            })?;
        let state = match cri::ContainerState::try_from(status.state) {
            Ok(cri::ContainerState::ContainerRunning) => ContainerState::Running {
                started_at: timestamp(status.started_at).unwrap_or_else(Timestamp::now),
            },
            Ok(cri::ContainerState::ContainerExited) => ContainerState::Exited {
                started_at: timestamp(status.started_at),
                finished_at: timestamp(status.finished_at).unwrap_or_else(Timestamp::now),
                exit_code: status.exit_code,
                reason: if status.reason.is_empty() {
                    if status.exit_code == 0 {
                        "Completed"
                    } else {
                        "Error"
                    }
                    .to_string()
                } else {
                    status.reason.clone()
                },
                message: Some(status.message.clone()).filter(|m| !m.is_empty()),
            },
            Ok(cri::ContainerState::ContainerCreated) => ContainerState::Created,
            _ => ContainerState::Exited {
                started_at: timestamp(status.started_at),
                finished_at: Timestamp::now(),
                exit_code: 255,
                reason: "Unknown".to_string(),
                message: None,
            },
        };
        Ok((status, state))
    }

    /// Removes a sandbox with its containers, volumes and logs.
    pub(super) async fn remove_pod_objects(&self, sandbox: &cri::PodSandbox) {
        let uid = sandbox.labels.get(POD_UID_LABEL).cloned();
        self.remove_sandbox_fully(&sandbox.id, uid.as_deref()).await;
        if let Some(m) = &sandbox.metadata {
            let _ = std::fs::remove_dir_all(self.pod_log_dir(&m.namespace, &m.name, &m.uid));
        }
    }

    /// Removes older attempts of a container in a sandbox, keeping the newest one below
    /// `attempt` (`kubectl logs --previous` reads it) and freeing the name `attempt` uses.
    pub(super) async fn prune_attempts(&self, sandbox_id: &str, name: &str, attempt: u32) {
        let mut labels = self.own_labels();
        labels.insert(CONTAINER_NAME_LABEL.to_string(), name.to_string());
        let existing = self
            .containers_with(cri::ContainerFilter {
                pod_sandbox_id: sandbox_id.to_string(),
                label_selector: labels,
                ..Default::default()
            })
            .await;
        let keep = existing
            .iter()
            .filter_map(|c| c.metadata.as_ref().map(|m| m.attempt))
            .filter(|a| *a < attempt)
            .max();
        for c in existing {
            let a = c.metadata.as_ref().map_or(0, |m| m.attempt);
            if Some(a) != keep {
                debug!(container = %c.id, attempt = a, "removing an old container attempt");
                let _ = self
                    .rt()
                    .remove_container(cri::RemoveContainerRequest {
                        container_id: c.id.clone(),
                    })
                    .await;
                self.lock().containers.remove(&c.id);
            }
        }
    }

    /// The newest and the previous instance of a container, for logs: their log files and
    /// whether the newest still runs.
    pub async fn log_files(
        &self,
        namespace: &str,
        pod: &str,
        container: &str,
    ) -> Vec<(PathBuf, bool)> {
        let mut labels = self.own_labels();
        labels.insert(POD_NAMESPACE_LABEL.to_string(), namespace.to_string());
        labels.insert(POD_NAME_LABEL.to_string(), pod.to_string());
        labels.insert(CONTAINER_NAME_LABEL.to_string(), container.to_string());
        let mut found = self
            .containers_with(cri::ContainerFilter {
                label_selector: labels,
                ..Default::default()
            })
            .await;
        found.sort_by_key(|c| (c.metadata.as_ref().map_or(0, |m| m.attempt), c.created_at));
        found
            .iter()
            .rev()
            .take(2)
            .map(|c| {
                let path = self.container_log(c);
                let running = c.state == cri::ContainerState::ContainerRunning as i32
                    || c.state == cri::ContainerState::ContainerCreated as i32;
                (path, running)
            })
            .collect()
    }

    /// The ID of the running instance of a container, found by its pod's labels.
    pub async fn running_container(
        &self,
        namespace: &str,
        pod: &str,
        container: &str,
    ) -> Option<String> {
        let mut labels = self.own_labels();
        labels.insert(POD_NAMESPACE_LABEL.to_string(), namespace.to_string());
        labels.insert(POD_NAME_LABEL.to_string(), pod.to_string());
        labels.insert(CONTAINER_NAME_LABEL.to_string(), container.to_string());
        self.containers_with(cri::ContainerFilter {
            label_selector: labels,
            state: Some(cri::ContainerStateValue {
                state: cri::ContainerState::ContainerRunning as i32,
            }),
            ..Default::default()
        })
        .await
        .into_iter()
        .max_by_key(|c| c.created_at)
        .map(|c| c.id)
    }

    /// An attach session (CRI `Attach`): the URL on the runtime's streaming server.
    /// `streams` is stdin, stdout, stderr, tty.
    pub async fn attach_url(&self, id: &str, streams: [bool; 4]) -> Result<String, String> {
        let [stdin, stdout, stderr, tty] = streams;
        let request = cri::AttachRequest {
            container_id: id.to_string(),
            stdin,
            tty,
            stdout,
            stderr,
        };
        Ok(self
            .rt()
            .attach(request)
            .await
            .map_err(|e| e.message().to_string())?
            .into_inner()
            .url)
    }

    /// A port-forwarding session into a sandbox's network namespace (CRI `PortForward`).
    pub async fn port_forward_url(&self, sandbox_id: &str) -> Result<String, String> {
        let request = cri::PortForwardRequest {
            pod_sandbox_id: sandbox_id.to_string(),
            port: Vec::new(),
        };
        Ok(self
            .rt()
            .port_forward(request)
            .await
            .map_err(|e| e.message().to_string())?
            .into_inner()
            .url)
    }

    /// The ID of the pod's ready sandbox, found by its labels.
    pub async fn ready_sandbox(&self, namespace: &str, pod: &str) -> Option<String> {
        let ready = cri::PodSandboxState::SandboxReady as i32;
        self.sandboxes_with(HashMap::from([
            (POD_NAMESPACE_LABEL.to_string(), namespace.to_string()),
            (POD_NAME_LABEL.to_string(), pod.to_string()),
        ]))
        .await
        .into_iter()
        .filter(|s| s.state == ready)
        .max_by_key(|s| s.created_at)
        .map(|s| s.id)
    }

    /// An interactive exec session (CRI `Exec`): the URL on the runtime's streaming
    /// server that serves it. `streams` is stdin, stdout, stderr, tty.
    pub async fn exec_url(
        &self,
        id: &str,
        command: &[String],
        streams: [bool; 4],
    ) -> Result<String, String> {
        let [stdin, stdout, stderr, tty] = streams;
        let request = cri::ExecRequest {
            container_id: id.to_string(),
            cmd: command.to_vec(),
            tty,
            stdin,
            stdout,
            stderr,
        };
        Ok(self
            .rt()
            .exec(request)
            .await
            .map_err(|e| e.message().to_string())?
            .into_inner()
            .url)
    }

    pub(super) async fn exec_probe(
        &self,
        id: &str,
        command: &[String],
        timeout: Duration,
    ) -> ProbeResult {
        let mut request = tonic::Request::new(cri::ExecSyncRequest {
            container_id: id.to_string(),
            cmd: command.to_vec(),
            timeout: i64::try_from(timeout.as_secs()).unwrap_or(1).max(1),
        });
        // containerd can hang draining an exec's output: never wait much past the timeout.
        request.set_timeout(timeout + Duration::from_secs(2));
        match self.rt().exec_sync(request).await {
            Ok(r) => {
                let r = r.into_inner();
                if r.exit_code == 0 {
                    ProbeResult::Success
                } else {
                    let mut output = String::from_utf8_lossy(&r.stdout).into_owned();
                    output.push_str(&String::from_utf8_lossy(&r.stderr));
                    ProbeResult::Failure(output)
                }
            }
            Err(e) => ProbeResult::Failure(e.message().to_string()),
        }
    }

    /// A sandbox's volumes (materialised) and its config, with this node's labels. The
    /// same config is rebuilt for an adopted sandbox, as `CreateContainer` needs it.
    pub(super) async fn sandbox_parts(
        &self,
        pod: &Pod,
        attempt: u32,
    ) -> Result<(PodVolumes, cri::PodSandboxConfig), String> {
        let volumes = PodVolumes::prepare(
            &self.client,
            &self.options.root,
            pod,
            &self.options.node_name,
        )
        .await?;
        let log_directory = self.log_directory(pod);
        std::fs::create_dir_all(&log_directory)
            .map_err(|e| format!("creating {}: {e}", log_directory.display()))?;
        Ok((volumes, self.sandbox_config_for(pod, attempt)))
    }

    fn sandbox_config_for(&self, pod: &Pod, attempt: u32) -> cri::PodSandboxConfig {
        let mut config = config::sandbox_config(
            pod,
            attempt,
            self.log_directory(pod).to_string_lossy().into_owned(),
            self.dns.clone(),
        );
        config.labels.extend(self.own_labels());
        config
    }

    /// What an earlier run of the agent left of the pod: its newest ready sandbox and
    /// the latest instance of each container, registered so probes and exec find them.
    pub(super) async fn adopt_pod(&self, pod: &Pod) -> Option<Adopted> {
        let r = PodRef::of(pod);
        let ready = cri::PodSandboxState::SandboxReady as i32;
        let sandbox = self
            .sandboxes_with(HashMap::from([(
                POD_UID_LABEL.to_string(),
                r.uid.to_string(),
            )]))
            .await
            .into_iter()
            .filter(|s| s.state == ready)
            .max_by_key(|s| s.created_at)?;
        let ips = if config::host_network(pod) {
            Vec::new()
        } else {
            self.sandbox_ips(&sandbox.id).await.unwrap_or_default()
        };
        let attempt = sandbox.metadata.as_ref().map_or(0, |m| m.attempt);
        // Taking over must not depend on the API: a ConfigMap that cannot be read now
        // leaves the volumes as they are on disk.
        let (volumes, config) = match self.sandbox_parts(pod, attempt).await {
            Ok(parts) => parts,
            Err(e) => {
                warn!(pod = %PodRef::of(pod).name, error = %e, "adopting with the volumes as they are");
                (
                    PodVolumes::existing(&self.options.root, pod),
                    self.sandbox_config_for(pod, attempt),
                )
            }
        };
        let mut latest: HashMap<String, cri::Container> = HashMap::new();
        for c in self
            .containers_with(cri::ContainerFilter {
                pod_sandbox_id: sandbox.id.clone(),
                ..Default::default()
            })
            .await
        {
            let Some(name) = c.metadata.as_ref().map(|m| m.name.clone()) else {
                continue;
            };
            let key =
                |c: &cri::Container| (c.metadata.as_ref().map_or(0, |m| m.attempt), c.created_at);
            if latest.get(&name).is_none_or(|old| key(old) < key(&c)) {
                latest.insert(name, c);
            }
        }
        let spec = pod.spec.clone().unwrap_or_default();
        let specs: Vec<Container> = spec
            .init_containers
            .unwrap_or_default()
            .into_iter()
            .chain(spec.containers)
            .collect();
        let mut containers = Vec::new();
        for (name, c) in latest {
            let Some(container_spec) = specs.iter().find(|s| s.name == name) else {
                continue;
            };
            let Ok((status, state)) = self.container_state(&c.id).await else {
                continue;
            };
            let image_spec = container_spec.image.clone().unwrap_or_default();
            containers.push(AdoptedContainer {
                name: name.clone(),
                id: c.id.clone(),
                attempt: c.metadata.as_ref().map_or(0, |m| m.attempt),
                image: ImageInfo {
                    image: normalize(&image_spec),
                    id: if status.image_ref.is_empty() {
                        c.image_ref.clone()
                    } else {
                        status.image_ref.clone()
                    },
                },
                state,
            });
            self.lock().containers.insert(
                c.id.clone(),
                ContainerEntry {
                    sandbox_id: sandbox.id.clone(),
                    spec: container_spec.clone(),
                },
            );
        }
        self.lock().sandboxes.insert(
            sandbox.id.clone(),
            SandboxEntry {
                config,
                ips: ips.clone(),
                volumes,
            },
        );
        debug!(pod = %r.name, sandbox = %sandbox.id, containers = containers.len(), "adopted a running pod");
        Some(Adopted {
            sandbox: Sandbox {
                id: sandbox.id,
                ips,
            },
            containers,
        })
    }
}
