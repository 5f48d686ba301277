//! One sync pass of a pod worker: observe the runtime, then make the next move for the
//! sandbox, the init containers (one at a time, sidecars until started) and the regular
//! containers (pull, start, probe, restart after back-off).

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Container, Pod, Probe};
use tracing::{debug, warn};

use super::{ERROR_RESYNC, SandboxState, Wake, Worker, guarded};
use crate::image::{normalize, with_default_tag};
use crate::probe::ProbeKind;
use crate::record::{
    CREATE_CONTAINER_CONFIG_ERROR, CREATE_CONTAINER_ERROR, ContainerRecord, ERR_IMAGE_NEVER_PULL,
    Gate, Instance, RUN_CONTAINER_ERROR, Restart,
};
use crate::runtime::{
    Adopted, ContainerState, ImageInfo, ProbeResult, Runtime, RuntimeError, Sandbox,
};

/// Which list a container is in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Which {
    Init,
    Regular,
}

/// What one container step did.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Nothing to do now (running, held by a back-off, or done).
    Idle,
    /// Something changed that should be written before going on.
    Progress,
    /// The pod was deleted or removed during a long call.
    Interrupted,
}

/// What creating (or adopting) the sandbox came to.
enum SandboxStep {
    /// A new sandbox: the containers start in the same pass.
    Created,
    /// What a previous agent left running was taken over: report it first.
    Adopted,
    /// The runtime refused; retried after the error resync.
    Failed,
}

impl Worker {
    fn records(&mut self, which: Which) -> &mut Vec<ContainerRecord> {
        match which {
            Which::Init => &mut self.init,
            Which::Regular => &mut self.containers,
        }
    }

    /// One pass; true when the worker should write its status and go round again at once.
    pub(super) async fn sync(&mut self, now: Timestamp, wake: &mut Wake) -> bool {
        if self.start_time.is_none() {
            // Upstream's first status: accepted, nothing created yet.
            self.start_time = Some(now);
            return true;
        }
        if self.observe_all().await {
            // Show the termination before acting on it.
            return true;
        }
        if self.sandbox.is_none() {
            match self.create_sandbox(now, wake).await {
                // Upstream's `SyncPod` creates the sandbox and starts the containers in
                // one pass, so no status shows a ready sandbox with containers not yet
                // started: one status write per pod fewer.
                SandboxStep::Created => {}
                SandboxStep::Adopted => return true,
                SandboxStep::Failed => return false,
            }
        }
        let pod = self.pod.clone();
        let Some(spec) = pod.spec.as_ref() else {
            return false;
        };
        let init_specs = spec.init_containers.as_deref().unwrap_or_default();
        match self.sync_init(&pod, init_specs, now, wake).await {
            Some(true) => {}
            Some(false) => return false,
            None => return true,
        }
        let mut again = false;
        for (i, c) in spec.containers.iter().enumerate() {
            match self
                .sync_container(&pod, Which::Regular, i, c, now, wake)
                .await
            {
                Step::Idle => {}
                Step::Progress => again = true,
                Step::Interrupted => return true,
            }
        }
        again
    }

    /// Refreshes every live instance from the runtime; true if one has just exited.
    pub(super) async fn observe_all(&mut self) -> bool {
        let runtime = self.node.runtime.clone();
        let mut exited = false;
        for which in [Which::Init, Which::Regular] {
            for record in self.records(which).iter_mut() {
                let Some(instance) = record.current.as_ref() else {
                    continue;
                };
                if instance.terminated().is_some() {
                    continue;
                }
                let state = match runtime.container_status(&instance.id).await {
                    Ok(state) => state,
                    Err(RuntimeError::NotFound { .. }) => ContainerState::Exited {
                        started_at: None,
                        finished_at: Timestamp::now(),
                        exit_code: 137,
                        reason: "ContainerStatusUnknown".to_string(),
                        message: Some("The container could not be located".to_string()),
                    },
                    Err(e) => {
                        warn!(container = %record.name, error = %e, "container status failed");
                        continue;
                    }
                };
                exited |= record.observe(state);
            }
        }
        exited
    }

    async fn create_sandbox(&mut self, now: Timestamp, wake: &mut Wake) -> SandboxStep {
        if !self.adoption_tried {
            self.adoption_tried = true;
            if let Some(adopted) = self.node.runtime.adopt(&self.pod).await {
                self.take_over(adopted);
                return SandboxStep::Adopted;
            }
        }
        match self.node.runtime.run_pod_sandbox(&self.pod).await {
            Ok(sandbox) => {
                self.use_sandbox(sandbox);
                SandboxStep::Created
            }
            Err(e) => {
                warn!(pod = %self.desc, error = %e, "failed to create pod sandbox");
                // What the runtime holds may have become visible: ask again next time.
                self.adoption_tried = false;
                wake.after(now, ERROR_RESYNC);
                SandboxStep::Failed
            }
        }
    }

    /// The pod runs in this sandbox: its IPs are the pod's (the node's for a host-network
    /// pod or a sandbox without any).
    fn use_sandbox(&mut self, sandbox: Sandbox) {
        let host_network = self
            .pod
            .spec
            .as_ref()
            .and_then(|s| s.host_network)
            .unwrap_or(false);
        self.pod_ips = if host_network || sandbox.ips.is_empty() {
            vec![self.node.id.host_ip.clone()]
        } else {
            sandbox.ips
        };
        self.sandbox = Some(SandboxState {
            id: sandbox.id,
            ready: true,
        });
    }

    /// Continues from what an earlier run of the agent left: its sandbox and the latest
    /// instance of each container, so nothing is started twice.
    pub(super) fn take_over(&mut self, adopted: Adopted) {
        self.use_sandbox(adopted.sandbox);
        let pod = self.pod.clone();
        let spec = pod.spec.as_ref();
        let status = pod.status.as_ref();
        let runtime_name = self.node.runtime.name();
        for c in adopted.containers {
            let (which, specs, statuses) = match spec
                .and_then(|s| s.init_containers.as_ref())
                .is_some_and(|list| list.iter().any(|i| i.name == c.name))
            {
                true => (
                    Which::Init,
                    spec.and_then(|s| s.init_containers.as_deref()),
                    status.and_then(|s| s.init_container_statuses.as_deref()),
                ),
                false => (
                    Which::Regular,
                    spec.map(|s| s.containers.as_slice()),
                    status.and_then(|s| s.container_statuses.as_deref()),
                ),
            };
            let Some(container_spec) = specs.and_then(|l| l.iter().find(|s| s.name == c.name))
            else {
                continue;
            };
            let old = statuses.and_then(|l| l.iter().find(|s| s.name == c.name));
            let Some(record) = self.records(which).iter_mut().find(|r| r.name == c.name) else {
                continue;
            };
            let instance = Instance {
                container_id: format!("{runtime_name}://{}", c.id),
                id: c.id,
                image: c.image.image,
                image_id: c.image.id,
                state: c.state,
            };
            record.adopt_instance(instance, c.attempt, old, container_spec);
        }
        debug!(pod = %self.desc, "took over the pod's running sandbox");
    }

    /// Init containers in order. `Some(true)`: all done, regular containers may run;
    /// `Some(false)`: still initializing (or failed for good); `None`: go round again.
    async fn sync_init(
        &mut self,
        pod: &Arc<Pod>,
        specs: &[Container],
        now: Timestamp,
        wake: &mut Wake,
    ) -> Option<bool> {
        let policy = pod.spec.as_ref().and_then(|s| s.restart_policy.clone());
        for (i, c) in specs.iter().enumerate() {
            let restart = Restart::of(policy.as_deref(), c, true);
            if restart == Restart::Always {
                // A sidecar: keep it running, wait until it has started.
                match self.sync_container(pod, Which::Init, i, c, now, wake).await {
                    Step::Interrupted | Step::Progress => return None,
                    Step::Idle if self.init.get(i).is_some_and(ContainerRecord::started) => {
                        continue;
                    }
                    Step::Idle => return Some(false),
                }
            }
            let Some(record) = self.init.get(i) else {
                return Some(false);
            };
            if record.exited().is_some_and(|t| t.exit_code == 0) {
                continue;
            }
            if record.running() || !record.should_start(restart) {
                return Some(false);
            }
            return match self.sync_container(pod, Which::Init, i, c, now, wake).await {
                Step::Idle => Some(false),
                Step::Progress | Step::Interrupted => None,
            };
        }
        Some(true)
    }

    async fn sync_container(
        &mut self,
        pod: &Arc<Pod>,
        which: Which,
        i: usize,
        spec: &Container,
        now: Timestamp,
        wake: &mut Wake,
    ) -> Step {
        let policy = pod.spec.as_ref().and_then(|s| s.restart_policy.clone());
        let restart = Restart::of(policy.as_deref(), spec, which == Which::Init);
        let Some(record) = self.records(which).get(i) else {
            return Step::Idle;
        };
        if record.running() {
            return self.sync_running(pod, which, i, spec, now, wake).await;
        }
        if !record.should_start(restart) {
            return Step::Idle;
        }
        self.start(pod, which, i, spec, now, wake).await
    }

    /// Pull (within the image back-off), create and start a container, after its crash
    /// back-off if it has run before. The record is taken out of its slot meanwhile so
    /// the long calls can borrow the rest of the worker.
    async fn start(
        &mut self,
        pod: &Arc<Pod>,
        which: Which,
        i: usize,
        spec: &Container,
        now: Timestamp,
        wake: &mut Wake,
    ) -> Step {
        let Some(slot) = self.records(which).get_mut(i) else {
            return Step::Idle;
        };
        let mut record = std::mem::take(slot);
        let step = self.start_record(&mut record, pod, spec, now, wake).await;
        if let Some(slot) = self.records(which).get_mut(i) {
            *slot = record;
        }
        step
    }

    async fn start_record(
        &mut self,
        record: &mut ContainerRecord,
        pod: &Arc<Pod>,
        spec: &Container,
        now: Timestamp,
        wake: &mut Wake,
    ) -> Step {
        let runtime = self.node.runtime.clone();
        let Some(sandbox_id) = self.sandbox.as_ref().map(|s| s.id.clone()) else {
            return Step::Idle;
        };
        if record.exited().is_some()
            && let Gate::WaitUntil(t) = record.crash_gate(&self.desc, now)
        {
            wake.at(t);
            return Step::Idle;
        }
        let image = spec.image.clone().unwrap_or_default();
        let Some(info) = self.ensure_image(record, &image, spec, now, wake).await else {
            return Step::Idle;
        };
        let attempt = record.restart_count + i32::from(record.current.is_some());
        let attempt = u32::try_from(attempt).unwrap_or(0);
        let id = match runtime
            .create_container(&sandbox_id, pod, spec, attempt, &info)
            .await
        {
            Ok(id) => id,
            Err(e) => {
                let reason = match e {
                    RuntimeError::Config(_) => CREATE_CONTAINER_CONFIG_ERROR,
                    _ => CREATE_CONTAINER_ERROR,
                };
                record.start_failed(reason, &e.to_string());
                wake.after(now, ERROR_RESYNC);
                return Step::Idle;
            }
        };
        match guarded(&mut self.rx, runtime.start_container(&id), true).await {
            None => {
                let _ = runtime.remove_container(&id).await;
                return Step::Interrupted;
            }
            Some(Err(e)) => {
                let _ = runtime.remove_container(&id).await;
                record.start_failed(RUN_CONTAINER_ERROR, &e.to_string());
                wake.after(now, ERROR_RESYNC);
                return Step::Idle;
            }
            Some(Ok(())) => {}
        }
        let state = runtime
            .container_status(&id)
            .await
            .unwrap_or(ContainerState::Running {
                started_at: Timestamp::now(),
            });
        if let Some(old) = record.current.as_ref()
            && !runtime.keeps_dead_containers()
        {
            // Its termination lives on in the record as lastState.
            let _ = runtime.remove_container(&old.id).await;
        }
        debug!(pod = %self.desc, container = %spec.name, "started container");
        let post_start = spec.lifecycle.as_ref().and_then(|l| l.post_start.as_ref());
        let hook_failed = match post_start {
            // Like the kubelet, the container counts as started once its hook returns.
            Some(handler) => {
                match guarded(&mut self.rx, runtime.run_hook(&id, handler), true).await {
                    None => {
                        let _ = runtime.stop_container(&id, Duration::ZERO).await;
                        return Step::Interrupted;
                    }
                    Some(result) => result.err(),
                }
            }
            None => None,
        };
        record.started_instance(
            Instance {
                container_id: format!("{}://{id}", runtime.name()),
                id: id.clone(),
                image: info.image,
                image_id: info.id,
                state,
            },
            spec,
        );
        if let Some(message) = hook_failed {
            warn!(pod = %self.desc, container = %spec.name, %message, "FailedPostStartHook");
            record.kill_reason = Some(format!("FailedPostStartHook: {message}"));
            let grace = kill_grace(pod, spec);
            let _ = stop_with_pre_stop(&runtime, &id, spec, grace).await;
        }
        Step::Progress
    }

    /// The image per `imagePullPolicy`, or `None` with the record's waiting reason set.
    async fn ensure_image(
        &mut self,
        record: &mut ContainerRecord,
        image: &str,
        spec: &Container,
        now: Timestamp,
        wake: &mut Wake,
    ) -> Option<ImageInfo> {
        let runtime = self.node.runtime.clone();
        let pod = self.pod.clone();
        let tagged = with_default_tag(image);
        let policy = spec
            .image_pull_policy
            .clone()
            .unwrap_or_else(|| default_pull_policy(&tagged).to_string());
        let present = runtime.image_status(image).await.ok().flatten();
        match (policy.as_str(), present) {
            ("Always", _) => {}
            (_, Some(info)) => return Some(info),
            ("Never", None) => {
                let message =
                    format!("Container image \"{image}\" is not present with pull policy of Never");
                record.start_failed(ERR_IMAGE_NEVER_PULL, &message);
                wake.after(now, Duration::from_secs(10));
                return None;
            }
            _ => {}
        }
        if let Gate::WaitUntil(t) = record.pull_gate(&tagged, now) {
            wake.at(t);
            return None;
        }
        match guarded(&mut self.rx, runtime.pull_image_for(&pod, image), true).await {
            None => None,
            Some(Ok(info)) => Some(info),
            Some(Err(e)) => {
                record.pull_failed(&e.to_string(), Timestamp::now());
                // Show ErrImagePull briefly; the next pass reports the back-off.
                wake.after(now, ERROR_RESYNC);
                None
            }
        }
    }

    /// A running container: restart it if its image changed, run due probes, kill it on
    /// a failed liveness/startup verdict.
    async fn sync_running(
        &mut self,
        pod: &Arc<Pod>,
        which: Which,
        i: usize,
        spec: &Container,
        now: Timestamp,
        wake: &mut Wake,
    ) -> Step {
        let runtime = self.node.runtime.clone();
        // Field-level borrow, so `self.rx` and `self.desc` stay usable below.
        let record = match which {
            Which::Init => self.init.get_mut(i),
            Which::Regular => self.containers.get_mut(i),
        };
        let Some(record) = record else {
            return Step::Idle;
        };
        let Some(id) = record.current.as_ref().map(|c| c.id.clone()) else {
            return Step::Idle;
        };
        let spec_image = normalize(spec.image.as_deref().unwrap_or_default());
        let image_changed = record
            .current
            .as_ref()
            .is_some_and(|c| c.image != spec_image);
        let mut kill = image_changed.then(|| {
            format!(
                "Container {} definition changed, will be restarted",
                spec.name
            )
        });
        let mut changed = false;
        for j in 0..record.probes.len() {
            let kind = record.probes[j].kind;
            if kind != ProbeKind::Startup && !record.started() {
                continue;
            }
            if record.probes[j].due(now) {
                let Some(probe) = probe_of(spec, kind) else {
                    continue;
                };
                let result = runtime.probe(&id, kind, probe).await;
                if let ProbeResult::Failure(reason) = &result {
                    debug!(container = %spec.name, probe = kind.as_str(), %reason, "probe failed");
                }
                changed |=
                    record.probes[j].record(result == ProbeResult::Success, Timestamp::now());
                if record.probes[j].demands_restart() && kill.is_none() {
                    kill = Some(format!(
                        "Container {} failed {} probe, will be restarted",
                        spec.name,
                        kind.as_str()
                    ));
                }
            }
            if let Some(t) = record.probes[j].next_at() {
                wake.at(t);
            }
        }
        let Some(reason) = kill else {
            return if changed { Step::Progress } else { Step::Idle };
        };
        debug!(pod = %self.desc, "{reason}");
        record.kill_reason = Some(reason);
        let grace = kill_grace(pod, spec);
        match guarded(
            &mut self.rx,
            stop_with_pre_stop(&runtime, &id, spec, grace),
            true,
        )
        .await
        {
            None => Step::Interrupted,
            Some(_) => Step::Progress,
        }
    }
}

fn probe_of(spec: &Container, kind: ProbeKind) -> Option<&Probe> {
    match kind {
        ProbeKind::Startup => spec.startup_probe.as_ref(),
        ProbeKind::Readiness => spec.readiness_probe.as_ref(),
        ProbeKind::Liveness => spec.liveness_probe.as_ref(),
    }
}

/// The probe's own `terminationGracePeriodSeconds` wins over the pod's (default 30).
/// Stops a container the way the kubelet does: its `preStop` hook first (within the
/// grace period), then the runtime's stop with what is left of the grace period (at
/// least the kubelet's minimum).
pub(super) async fn stop_with_pre_stop(
    runtime: &Arc<dyn Runtime>,
    id: &str,
    spec: &Container,
    grace: Duration,
) -> Result<(), RuntimeError> {
    let began = std::time::Instant::now();
    if let Some(handler) = spec.lifecycle.as_ref().and_then(|l| l.pre_stop.as_ref())
        && !grace.is_zero()
    {
        match tokio::time::timeout(grace, runtime.run_hook(id, handler)).await {
            Ok(Ok(())) => {}
            Ok(Err(message)) => warn!(container = %spec.name, %message, "FailedPreStopHook"),
            Err(_) => {
                warn!(container = %spec.name, "PreStop hook did not complete within the grace period")
            }
        }
    }
    let left = grace
        .saturating_sub(began.elapsed())
        .max(Duration::from_secs(super::MIN_KILL_GRACE).min(grace));
    runtime.stop_container(id, left).await
}

fn kill_grace(pod: &Pod, spec: &Container) -> Duration {
    let from_probe = [spec.liveness_probe.as_ref(), spec.startup_probe.as_ref()]
        .into_iter()
        .flatten()
        .find_map(|p| p.termination_grace_period_seconds);
    let secs = from_probe
        .or_else(|| {
            pod.spec
                .as_ref()
                .and_then(|s| s.termination_grace_period_seconds)
        })
        .unwrap_or(30);
    Duration::from_secs(u64::try_from(secs).unwrap_or(0))
}

/// API defaulting: `Always` for `:latest` (or no tag), `IfNotPresent` otherwise.
fn default_pull_policy(tagged: &str) -> &'static str {
    if tagged.ends_with(":latest") {
        "Always"
    } else {
        "IfNotPresent"
    }
}
