//! The per-pod worker: one task per pod bound to a node, driving its containers through the
//! runtime and writing its status.
//!
//! The loop is the kubelet's `syncPod` in miniature: take the latest pod, observe the
//! runtime, make at most the next move for each container (create the sandbox, pull,
//! start, probe, restart after back-off, kill on a failed liveness probe), write the
//! status if it changed, then sleep until the pod changes, a timer (back-off end, probe
//! due) fires, or a container may have exited. A pod that gets a `deletionTimestamp` has
//! its containers stopped within the grace period, its final status written and is then
//! deleted with grace 0; a pod that completes (`Succeeded`/`Failed`) has its sandbox torn
//! down and the worker ends.

mod sync;

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Container, Pod, PodStatus};
use kube::api::{Api, DeleteParams, Patch, PatchParams, Preconditions};
use tokio::sync::watch;
use tracing::{debug, warn};

use crate::clock::{after, until};
use crate::image::fnv1a;
use crate::node::NodeCtx;
use crate::record::ContainerRecord;
use crate::status::{PodView, generate, is_terminal};

/// How soon a failed step (API write, sandbox, pull error display) is retried.
const ERROR_RESYNC: Duration = Duration::from_secs(1);

/// What the dispatcher tells a worker.
#[derive(Clone, Debug)]
pub enum PodMsg {
    Pod(Arc<Pod>),
    /// The pod is gone from the API.
    Removed,
}

/// Runs one pod until it is deleted, removed or finished.
pub async fn run(node: Arc<NodeCtx>, pod: Arc<Pod>, rx: watch::Receiver<PodMsg>) {
    Worker::new(node, pod, rx).run().await;
}

struct SandboxState {
    id: String,
    ready: bool,
}

/// Collects the earliest time the worker must wake up.
#[derive(Default)]
struct Wake(Option<Timestamp>);

impl Wake {
    fn at(&mut self, t: Timestamp) {
        self.0 = Some(self.0.map_or(t, |w| w.min(t)));
    }

    fn after(&mut self, now: Timestamp, d: Duration) {
        self.at(after(now, d));
    }

    async fn sleep(self) {
        match self.0 {
            Some(t) => tokio::time::sleep(until(Timestamp::now(), t)).await,
            None => std::future::pending().await,
        }
    }
}

enum WriteError {
    /// The pod no longer exists (or is another pod with the same name).
    Gone,
    Failed,
}

struct Worker {
    node: Arc<NodeCtx>,
    pod: Arc<Pod>,
    rx: watch::Receiver<PodMsg>,
    uid: String,
    name: String,
    namespace: String,
    /// Upstream's `name_namespace(uid)`, used in back-off messages.
    desc: String,
    sandbox: Option<SandboxState>,
    pod_ips: Vec<String>,
    init: Vec<ContainerRecord>,
    containers: Vec<ContainerRecord>,
    start_time: Option<Timestamp>,
    /// Hash of the status last written, to skip identical writes (the echo of every
    /// write comes back through the watch).
    written: Option<u64>,
    last_status: Option<PodStatus>,
    terminating: bool,
    /// Whether the runtime was asked for what an earlier agent left of this pod.
    adoption_tried: bool,
}

impl Worker {
    fn new(node: Arc<NodeCtx>, pod: Arc<Pod>, rx: watch::Receiver<PodMsg>) -> Self {
        let meta = &pod.metadata;
        let uid = meta.uid.clone().unwrap_or_default();
        let name = meta.name.clone().unwrap_or_default();
        let namespace = meta
            .namespace
            .clone()
            .unwrap_or_else(|| "default".to_string());
        let status = pod.status.as_ref();
        let old = |statuses: Option<&Vec<k8s_openapi::api::core::v1::ContainerStatus>>,
                   name: &str| {
            statuses
                .and_then(|list| list.iter().find(|s| s.name == name))
                .cloned()
        };
        let spec = pod.spec.as_ref();
        let init = spec
            .and_then(|s| s.init_containers.as_ref())
            .into_iter()
            .flatten()
            .map(|c| {
                let prev = old(
                    status.and_then(|s| s.init_container_statuses.as_ref()),
                    &c.name,
                );
                ContainerRecord::adopted(&c.name, prev.as_ref())
            })
            .collect();
        let containers = spec
            .map(|s| s.containers.as_slice())
            .unwrap_or_default()
            .iter()
            .map(|c| {
                let prev = old(status.and_then(|s| s.container_statuses.as_ref()), &c.name);
                ContainerRecord::adopted(&c.name, prev.as_ref())
            })
            .collect();
        Self {
            desc: format!("{name}_{namespace}({uid})"),
            start_time: status.and_then(|s| s.start_time.as_ref()).map(|t| t.0),
            node,
            pod,
            rx,
            uid,
            name,
            namespace,
            sandbox: None,
            pod_ips: Vec::new(),
            init,
            containers,
            written: None,
            last_status: None,
            terminating: false,
            adoption_tried: false,
        }
    }

    fn api(&self) -> Api<Pod> {
        Api::namespaced(self.node.client.clone(), &self.namespace)
    }

    async fn run(mut self) {
        loop {
            let removed = {
                let msg = self.rx.borrow_and_update();
                match &*msg {
                    PodMsg::Pod(p) => {
                        self.pod = p.clone();
                        false
                    }
                    PodMsg::Removed => true,
                }
            };
            if removed {
                self.teardown().await;
                return;
            }
            if self.pod.metadata.deletion_timestamp.is_some() {
                self.terminate().await;
                return;
            }
            let now = Timestamp::now();
            let mut wake = Wake::default();
            let again = self.sync(now, &mut wake).await;
            match self.write_status().await {
                Ok(()) => {}
                Err(WriteError::Gone) => {
                    self.teardown().await;
                    return;
                }
                Err(WriteError::Failed) => wake.after(now, ERROR_RESYNC),
            }
            if self.completed() {
                self.finish().await;
                return;
            }
            if again {
                continue;
            }
            let ids = self.live_container_ids();
            let runtime = self.node.runtime.clone();
            tokio::select! {
                changed = self.rx.changed() => {
                    if changed.is_err() {
                        self.teardown().await;
                        return;
                    }
                }
                () = wake.sleep() => {}
                () = runtime.wait_containers(&ids), if !ids.is_empty() => {}
            }
        }
    }

    /// Runtime IDs of instances that have not exited.
    fn live_container_ids(&self) -> Vec<String> {
        self.init
            .iter()
            .chain(self.containers.iter())
            .filter_map(|r| r.current.as_ref())
            .filter(|i| i.terminated().is_none())
            .map(|i| i.id.clone())
            .collect()
    }

    /// The written status is terminal and the pod is not being deleted: it ran to
    /// completion (or failed for good).
    fn completed(&self) -> bool {
        !self.terminating
            && self
                .last_status
                .as_ref()
                .and_then(|s| s.phase.as_deref())
                .is_some_and(is_terminal)
    }

    fn status_now(&self) -> PodStatus {
        generate(&PodView {
            pod: &self.pod,
            init: &self.init,
            containers: &self.containers,
            sandbox_ready: self.sandbox.as_ref().is_some_and(|s| s.ready),
            pod_ips: &self.pod_ips,
            host_ip: &self.node.id.host_ip,
            start_time: self.start_time,
            terminating: self.terminating,
            previous: self.last_status.as_ref(),
            now: Timestamp::now(),
        })
    }

    /// Writes the status through the status subresource when it changed. The merge patch
    /// carries the pod's uid, which the API server treats as a precondition (uid is
    /// immutable), so a recreated pod of the same name is never written by mistake.
    async fn write_status(&mut self) -> Result<(), WriteError> {
        let status = self.status_now();
        // The status is encoded once, straight from its type, and the patch is put
        // together as text: building it as a `serde_json::Value`, printing that for the
        // hash and encoding it again for the request was a fifth of a node's CPU.
        let status_json = serde_json::to_string(&status).map_err(|_| WriteError::Failed)?;
        let hash = fnv1a(0, status_json.as_bytes());
        if self.written == Some(hash) {
            return Ok(());
        }
        let uid_json = serde_json::to_string(&self.uid).map_err(|_| WriteError::Failed)?;
        let patch = serde_json::value::RawValue::from_string(format!(
            r#"{{"metadata":{{"uid":{uid_json}}},"status":{status_json}}}"#
        ))
        .map_err(|_| WriteError::Failed)?;
        // Sent raw: the response (the whole pod) is not decoded, as nothing here reads it,
        // and decoding a typed Pod per status write was a share of the node's CPU.
        let api = self.api();
        let request = kube::core::Request::new(api.resource_url()).patch_subresource(
            "status",
            &self.name,
            &PatchParams::default(),
            &Patch::Merge(&*patch),
        );
        let written = match request {
            Ok(request) => self.node.client.request_text(request).await.map(drop),
            Err(e) => Err(kube::Error::BuildRequest(e)),
        };
        match written {
            Ok(_) => {
                debug!(pod = %self.desc, phase = ?status.phase, "wrote pod status");
                self.written = Some(hash);
                self.last_status = Some(status);
                Ok(())
            }
            Err(kube::Error::Api(e)) if e.code == 404 => {
                debug!(pod = %self.desc, "pod gone while writing status");
                Err(WriteError::Gone)
            }
            Err(kube::Error::Api(e)) if e.code == 409 || e.code == 422 => {
                // Either our uid precondition failed (the name now belongs to a new pod)
                // or the status was refused; only the former ends the worker.
                match self.api().get_opt(&self.name).await {
                    Ok(Some(p)) if p.metadata.uid.as_deref() == Some(self.uid.as_str()) => {
                        warn!(pod = %self.desc, error = %e.message, "pod status refused");
                        Err(WriteError::Failed)
                    }
                    Ok(_) => Err(WriteError::Gone),
                    Err(_) => Err(WriteError::Failed),
                }
            }
            Err(e) => {
                warn!(pod = %self.desc, error = %e, "failed to write pod status");
                Err(WriteError::Failed)
            }
        }
    }

    /// Graceful deletion: stop the containers within the grace period, write the final
    /// status, delete the pod with grace 0 (uid precondition), release the sandbox.
    async fn terminate(&mut self) {
        self.terminating = true;
        if !self.adoption_tried {
            // Deleted while the agent was away: stop what it left running, gracefully.
            self.adoption_tried = true;
            if let Some(adopted) = self.node.runtime.adopt(&self.pod).await {
                self.take_over(adopted);
            }
        }
        let grace = self
            .pod
            .metadata
            .deletion_grace_period_seconds
            .or_else(|| {
                self.pod
                    .spec
                    .as_ref()
                    .and_then(|s| s.termination_grace_period_seconds)
            })
            .unwrap_or(30);
        let grace = Duration::from_secs(u64::try_from(grace).unwrap_or(0).max(MIN_KILL_GRACE));
        let stopped = self.stop_all(grace).await;
        if !stopped {
            // Removed from the API while stopping: nothing left to report.
            self.teardown().await;
            return;
        }
        self.observe_all().await;
        if let Some(sandbox) = self.sandbox.as_mut() {
            let _ = self.node.runtime.stop_pod_sandbox(&sandbox.id).await;
            sandbox.ready = false;
        }
        let started_anything = self
            .init
            .iter()
            .chain(&self.containers)
            .any(|r| r.current.is_some());
        if started_anything {
            let _ = self.write_status().await;
        }
        // The sandbox goes before the pod: once the pod is gone from the API, nothing of
        // it is left on the node.
        self.release().await;
        self.delete_pod().await;
    }

    /// Stops every live container concurrently; false if the pod vanished meanwhile.
    async fn stop_all(&mut self, grace: Duration) -> bool {
        let ids = self.live_container_ids();
        if ids.is_empty() {
            return true;
        }
        let runtime = self.node.runtime.clone();
        let pod = self.pod.clone();
        let specs: Vec<Container> = pod
            .spec
            .iter()
            .flat_map(|s| s.init_containers.iter().flatten().chain(&s.containers))
            .cloned()
            .collect();
        let named: Vec<(String, Container)> = self
            .init
            .iter()
            .chain(&self.containers)
            .filter_map(|r| {
                let id = r.current.as_ref()?.id.clone();
                if !ids.contains(&id) {
                    return None;
                }
                let spec = specs.iter().find(|c| c.name == r.name)?.clone();
                Some((id, spec))
            })
            .collect();
        // Like upstream: the main containers stop first, together; sidecars (init
        // containers that keep running) after them, last declared first, within what is
        // left of the grace period.
        let is_sidecar = |c: &Container| c.restart_policy.as_deref() == Some("Always");
        let (sidecars, main): (Vec<_>, Vec<_>) =
            named.into_iter().partition(|(_, spec)| is_sidecar(spec));
        let began = std::time::Instant::now();
        let stops = async {
            futures::future::join_all(
                main.iter()
                    .map(|(id, spec)| sync::stop_with_pre_stop(&runtime, id, spec, grace)),
            )
            .await;
            for (id, spec) in sidecars.iter().rev() {
                let left = grace.saturating_sub(began.elapsed());
                let _ = sync::stop_with_pre_stop(&runtime, id, spec, left).await;
            }
        };
        guarded(&mut self.rx, stops, false).await.is_some()
    }

    async fn delete_pod(&mut self) {
        let params = DeleteParams {
            grace_period_seconds: Some(0),
            preconditions: Some(Preconditions {
                uid: Some(self.uid.clone()),
                resource_version: None,
            }),
            ..DeleteParams::default()
        };
        let mut delay = Duration::from_millis(200);
        for _ in 0..10 {
            match self.api().delete(&self.name, &params).await {
                Ok(_) => return,
                Err(kube::Error::Api(e)) if e.code == 404 || e.code == 409 => return,
                Err(e) => {
                    warn!(pod = %self.desc, error = %e, "failed to delete pod, retrying");
                    if matches!(&*self.rx.borrow(), PodMsg::Removed) {
                        return;
                    }
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
            }
        }
    }

    /// The pod is gone from the API: kill everything at once and free the sandbox.
    async fn teardown(&mut self) {
        let runtime = self.node.runtime.clone();
        let ids = self.live_container_ids();
        futures::future::join_all(
            ids.iter()
                .map(|id| runtime.stop_container(id, Duration::ZERO)),
        )
        .await;
        self.release().await;
    }

    /// Ran to completion: stop the sandbox (its IP is released, the status keeps it) and
    /// report `PodReadyToStartContainers=False`; remove it unless the runtime keeps dead
    /// containers for their logs.
    async fn finish(&mut self) {
        if let Some(sandbox) = self.sandbox.as_mut() {
            let _ = self.node.runtime.stop_pod_sandbox(&sandbox.id).await;
            sandbox.ready = false;
        }
        let _ = self.write_status().await;
        if self.node.runtime.keeps_dead_containers() {
            // Kept for `kubectl logs` until the pod is deleted (see `dispatch`).
            self.sandbox = None;
        } else {
            self.release().await;
        }
    }

    async fn release(&mut self) {
        if let Some(sandbox) = self.sandbox.take() {
            let _ = self.node.runtime.stop_pod_sandbox(&sandbox.id).await;
            if let Err(e) = self.node.runtime.remove_pod_sandbox(&sandbox.id).await {
                debug!(pod = %self.desc, error = %e, "failed to remove sandbox");
            }
        }
    }
}

/// The kubelet never gives a container less than this to stop.
const MIN_KILL_GRACE: u64 = 2;

/// Runs `fut` unless the pod is removed (or, with `stop_on_deletion`, gets a deletion
/// timestamp) meanwhile; `None` when interrupted. Other pod updates (our own status
/// writes echo back) do not interrupt.
async fn guarded<F: std::future::Future>(
    rx: &mut watch::Receiver<PodMsg>,
    fut: F,
    stop_on_deletion: bool,
) -> Option<F::Output> {
    tokio::pin!(fut);
    loop {
        tokio::select! {
            out = &mut fut => return Some(out),
            changed = rx.changed() => {
                if changed.is_err() {
                    return None;
                }
                let interrupt = match &*rx.borrow() {
                    PodMsg::Removed => true,
                    PodMsg::Pod(p) => stop_on_deletion && p.metadata.deletion_timestamp.is_some(),
                };
                if interrupt {
                    return None;
                }
            }
        }
    }
}
