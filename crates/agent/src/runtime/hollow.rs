//! The hollow runtime: containers that exist only as records in memory.
//!
//! Nothing runs. A container "starts" after `start_delay` and "exits" when its behaviour
//! says so (the `BOSUN_HOLLOW_*` variables, crash rules, `sleep`/`exit` commands),
//! computed lazily from the clock so an idle container costs no timer. Pulls of references
//! matching the unpullable pattern fail like containerd's do, and probes pass unless
//! injected otherwise. Each node gets its own instance: images are pulled per node, and
//! pod IPs come from the node's /24.
//!
//! Injection variables (literal `env` values on the container):
//! - `BOSUN_HOLLOW_EXIT_CODE=N` — exit with `N` (after `BOSUN_HOLLOW_EXIT_AFTER`, default 0s);
//! - `BOSUN_HOLLOW_EXIT_AFTER=5s` — exit that long after each start (code 0 unless set);
//! - `BOSUN_HOLLOW_PROBE_FAIL=readiness,liveness,startup` — those probes always fail;
//! - `BOSUN_HOLLOW_STOP_AFTER=45s` — time to exit once asked to stop (killed with 137
//!   when that exceeds the grace period).

use std::collections::{HashMap, HashSet};
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Container, Pod, Probe};

use super::behaviour::Behaviour;
pub use super::behaviour::{ENV_EXIT_AFTER, ENV_EXIT_CODE, ENV_PROBE_FAIL, ENV_STOP_AFTER};
use super::{ContainerState, ImageInfo, ProbeResult, Runtime, RuntimeError, Sandbox};
use crate::clock::{after, until};
use crate::image::{fake_image_id, hex64, normalize};
use crate::options::HollowOptions;
use crate::probe::ProbeKind;

pub struct HollowRuntime {
    options: Arc<HollowOptions>,
    subnet: [u8; 3],
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    next_id: u64,
    images: HashMap<String, ImageInfo>,
    sandboxes: HashMap<String, HollowSandbox>,
    containers: HashMap<String, HollowContainer>,
    ips: HashSet<u8>,
    next_host: u8,
}

struct HollowSandbox {
    ip: Option<u8>,
}

struct HollowContainer {
    sandbox_id: String,
    behaviour: Behaviour,
    started_at: Option<Timestamp>,
    exit: Option<(Timestamp, i32)>,
}

impl HollowContainer {
    fn state(&self, now: Timestamp) -> ContainerState {
        match (self.started_at, self.exit) {
            (started_at, Some((at, code))) if at <= now => ContainerState::Exited {
                started_at,
                finished_at: at,
                exit_code: code,
                reason: if code == 0 { "Completed" } else { "Error" }.to_string(),
                message: None,
            },
            (Some(started_at), _) => ContainerState::Running { started_at },
            (None, _) => ContainerState::Created,
        }
    }
}

/// First and last host numbers handed out in a node's /24 (`.1` is the bridge).
const FIRST_HOST: u8 = 2;
const LAST_HOST: u8 = 254;

impl HollowRuntime {
    /// `pod_subnet` is the network address of the node's /24 pod CIDR.
    pub fn new(options: Arc<HollowOptions>, pod_subnet: Ipv4Addr) -> Self {
        let [a, b, c, _] = pod_subnet.octets();
        Self {
            options,
            subnet: [a, b, c],
            state: Mutex::new(State {
                next_host: FIRST_HOST,
                ..State::default()
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data behind; keep serving it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn ip(&self, host: u8) -> String {
        let [a, b, c] = self.subnet;
        Ipv4Addr::new(a, b, c, host).to_string()
    }

    /// Host number of an IP in this node's /24, if it is one.
    fn host_of(&self, ip: &str) -> Option<u8> {
        let addr: Ipv4Addr = ip.parse().ok()?;
        let [a, b, c, d] = addr.octets();
        ([a, b, c] == self.subnet && (FIRST_HOST..=LAST_HOST).contains(&d)).then_some(d)
    }

    fn new_id(state: &mut State, seed: &str) -> String {
        state.next_id += 1;
        hex64(format!("{seed}/{}", state.next_id).as_bytes())
    }

    /// Number of live containers (for tests and benchmarks).
    pub fn container_count(&self) -> usize {
        self.lock().containers.len()
    }
}

/// Next-fit allocation like host-local IPAM: keep moving forward so a freed IP is not
/// reused at once; prefer the pod's previous IP (an agent restart keeps pod IPs).
fn allocate(state: &mut State, preferred: Option<u8>) -> Option<u8> {
    if let Some(p) = preferred.filter(|p| !state.ips.contains(p)) {
        state.ips.insert(p);
        return Some(p);
    }
    let span = usize::from(LAST_HOST - FIRST_HOST) + 1;
    for _ in 0..span {
        let candidate = state.next_host;
        state.next_host = if candidate >= LAST_HOST {
            FIRST_HOST
        } else {
            candidate + 1
        };
        if state.ips.insert(candidate) {
            return Some(candidate);
        }
    }
    None
}

fn not_found(kind: &'static str, id: &str) -> RuntimeError {
    RuntimeError::NotFound {
        kind,
        id: id.to_string(),
    }
}

#[async_trait]
impl Runtime for HollowRuntime {
    fn name(&self) -> String {
        "hollow".to_string()
    }

    fn version(&self) -> String {
        "1.0".to_string()
    }

    async fn run_pod_sandbox(&self, pod: &Pod) -> Result<Sandbox, RuntimeError> {
        let spec = pod.spec.as_ref();
        let host_network = spec.and_then(|s| s.host_network).unwrap_or(false);
        let uid = pod.metadata.uid.as_deref().unwrap_or_default();
        let previous = pod
            .status
            .as_ref()
            .and_then(|s| s.pod_ip.as_deref())
            .and_then(|ip| self.host_of(ip));
        let mut state = self.lock();
        let ip = if host_network {
            None
        } else {
            let host = allocate(&mut state, previous).ok_or_else(|| {
                RuntimeError::Failed(format!(
                    "failed to allocate for range 0: no IP addresses available in range set: {}-{}",
                    self.ip(FIRST_HOST),
                    self.ip(LAST_HOST)
                ))
            })?;
            Some(host)
        };
        let id = Self::new_id(&mut state, uid);
        state.sandboxes.insert(id.clone(), HollowSandbox { ip });
        Ok(Sandbox {
            id,
            ips: ip.map(|h| self.ip(h)).into_iter().collect(),
        })
    }

    async fn stop_pod_sandbox(&self, sandbox_id: &str) -> Result<(), RuntimeError> {
        let now = Timestamp::now();
        let mut state = self.lock();
        if !state.sandboxes.contains_key(sandbox_id) {
            return Err(not_found("sandbox", sandbox_id));
        }
        for c in state.containers.values_mut() {
            if c.sandbox_id == sandbox_id && !matches!(c.state(now), ContainerState::Exited { .. })
            {
                c.exit = Some((now, 137));
            }
        }
        Ok(())
    }

    async fn remove_pod_sandbox(&self, sandbox_id: &str) -> Result<(), RuntimeError> {
        let mut state = self.lock();
        let sandbox = state
            .sandboxes
            .remove(sandbox_id)
            .ok_or_else(|| not_found("sandbox", sandbox_id))?;
        if let Some(host) = sandbox.ip {
            state.ips.remove(&host);
        }
        state.containers.retain(|_, c| c.sandbox_id != sandbox_id);
        Ok(())
    }

    async fn image_status(&self, image: &str) -> Result<Option<ImageInfo>, RuntimeError> {
        Ok(self.lock().images.get(&normalize(image)).cloned())
    }

    async fn pull_image(&self, image: &str) -> Result<ImageInfo, RuntimeError> {
        let normalized = normalize(image);
        let present = self.lock().images.get(&normalized).cloned();
        if let Some(info) = present {
            return Ok(info);
        }
        if !self.options.pull_delay.is_zero() {
            tokio::time::sleep(self.options.pull_delay).await;
        }
        if self.options.unpullable.is_match(image) {
            // containerd's wording for a tag the registry does not have.
            return Err(RuntimeError::Failed(format!(
                "rpc error: code = NotFound desc = failed to pull and unpack image \"{normalized}\": \
                 failed to resolve reference \"{normalized}\": {normalized}: not found"
            )));
        }
        let info = ImageInfo {
            image: normalized.clone(),
            id: fake_image_id(image),
        };
        self.lock().images.insert(normalized, info.clone());
        Ok(info)
    }

    async fn create_container(
        &self,
        sandbox_id: &str,
        pod: &Pod,
        container: &Container,
        attempt: u32,
        _image: &ImageInfo,
    ) -> Result<String, RuntimeError> {
        let behaviour = Behaviour::of(container, &self.options);
        let uid = pod.metadata.uid.as_deref().unwrap_or_default();
        let mut state = self.lock();
        if !state.sandboxes.contains_key(sandbox_id) {
            return Err(not_found("sandbox", sandbox_id));
        }
        let id = Self::new_id(&mut state, &format!("{uid}/{}/{attempt}", container.name));
        state.containers.insert(
            id.clone(),
            HollowContainer {
                sandbox_id: sandbox_id.to_string(),
                behaviour,
                started_at: None,
                exit: None,
            },
        );
        Ok(id)
    }

    async fn start_container(&self, container_id: &str) -> Result<(), RuntimeError> {
        if !self.lock().containers.contains_key(container_id) {
            return Err(not_found("container", container_id));
        }
        if !self.options.start_delay.is_zero() {
            tokio::time::sleep(self.options.start_delay).await;
        }
        let now = Timestamp::now();
        let mut state = self.lock();
        let c = state
            .containers
            .get_mut(container_id)
            .ok_or_else(|| not_found("container", container_id))?;
        if c.exit.is_some() {
            // Stopped while starting.
            return Ok(());
        }
        c.started_at = Some(now);
        c.exit = c.behaviour.exit.map(|(d, code)| (after(now, d), code));
        Ok(())
    }

    async fn stop_container(
        &self,
        container_id: &str,
        grace: Duration,
    ) -> Result<(), RuntimeError> {
        let now = Timestamp::now();
        let finish = {
            let mut state = self.lock();
            let stop_delay = self.options.stop_delay;
            let c = state
                .containers
                .get_mut(container_id)
                .ok_or_else(|| not_found("container", container_id))?;
            match c.state(now) {
                ContainerState::Exited { .. } => return Ok(()),
                ContainerState::Created => {
                    c.exit = Some((now, 0));
                    return Ok(());
                }
                ContainerState::Running { .. } => {}
            }
            let stop_after = c.behaviour.stop_after.unwrap_or(stop_delay);
            // SIGTERM handled in time: a clean exit; otherwise SIGKILL at the deadline.
            let (delay, code) = if stop_after <= grace {
                (stop_after, 0)
            } else {
                (grace, 137)
            };
            let at = after(now, delay);
            match c.exit {
                Some((planned, _)) if planned <= at => planned,
                _ => {
                    c.exit = Some((at, code));
                    at
                }
            }
        };
        tokio::time::sleep(until(now, finish)).await;
        // Like CRI's StopContainer, return only once it has stopped: the timer and the
        // wall clock may disagree by a hair, so pin the exit to no later than now.
        let now = Timestamp::now();
        if let Some(c) = self.lock().containers.get_mut(container_id)
            && let Some((at, code)) = c.exit
            && at > now
        {
            c.exit = Some((now, code));
        }
        Ok(())
    }

    async fn remove_container(&self, container_id: &str) -> Result<(), RuntimeError> {
        self.lock()
            .containers
            .remove(container_id)
            .map(|_| ())
            .ok_or_else(|| not_found("container", container_id))
    }

    async fn container_status(&self, container_id: &str) -> Result<ContainerState, RuntimeError> {
        let now = Timestamp::now();
        self.lock()
            .containers
            .get(container_id)
            .map(|c| c.state(now))
            .ok_or_else(|| not_found("container", container_id))
    }

    async fn probe(&self, container_id: &str, kind: ProbeKind, _probe: &Probe) -> ProbeResult {
        let now = Timestamp::now();
        let state = self.lock();
        match state.containers.get(container_id) {
            Some(c) if matches!(c.state(now), ContainerState::Running { .. }) => {
                if c.behaviour.failing_probes.contains(&kind) {
                    ProbeResult::Failure(format!(
                        "hollow: {} probe failure injected",
                        kind.as_str()
                    ))
                } else {
                    ProbeResult::Success
                }
            }
            _ => ProbeResult::Failure("container is not running".to_string()),
        }
    }

    async fn wait_containers(&self, container_ids: &[String]) {
        let next_exit = {
            let state = self.lock();
            container_ids
                .iter()
                .filter_map(|id| state.containers.get(id))
                .filter(|c| c.started_at.is_some())
                .filter_map(|c| c.exit.map(|(at, _)| at))
                .min()
        };
        match next_exit {
            // A millisecond of margin so the wall clock has passed the exit on waking.
            Some(at) => {
                let d = until(Timestamp::now(), at) + Duration::from_millis(1);
                tokio::time::sleep(d).await;
            }
            None => std::future::pending::<()>().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::ImagePattern;
    use k8s_openapi::api::core::v1::{EnvVar, PodSpec, PodStatus};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn runtime(options: HollowOptions) -> HollowRuntime {
        HollowRuntime::new(Arc::new(options), Ipv4Addr::new(10, 244, 3, 0))
    }

    fn pod(uid: &str, previous_ip: Option<&str>, host_network: bool) -> Pod {
        Pod {
            metadata: ObjectMeta {
                uid: Some(uid.to_string()),
                ..ObjectMeta::default()
            },
            spec: Some(PodSpec {
                host_network: Some(host_network),
                ..PodSpec::default()
            }),
            status: previous_ip.map(|ip| PodStatus {
                pod_ip: Some(ip.to_string()),
                ..PodStatus::default()
            }),
        }
    }

    fn fast() -> HollowOptions {
        HollowOptions {
            start_delay: Duration::ZERO,
            ..HollowOptions::default()
        }
    }

    #[tokio::test]
    async fn sandboxes_get_distinct_ips_from_the_node_subnet() {
        let rt = runtime(fast());
        let a = rt.run_pod_sandbox(&pod("a", None, false)).await;
        let b = rt.run_pod_sandbox(&pod("b", None, false)).await;
        let host = rt.run_pod_sandbox(&pod("h", None, true)).await;
        let kept = rt
            .run_pod_sandbox(&pod("k", Some("10.244.3.77"), false))
            .await;
        let foreign = rt.run_pod_sandbox(&pod("f", Some("10.9.9.9"), false)).await;
        let ips = |r: &Result<Sandbox, RuntimeError>| r.as_ref().map(|s| s.ips.clone()).ok();
        assert_eq!(ips(&a), Some(vec!["10.244.3.2".to_string()]));
        assert_eq!(ips(&b), Some(vec!["10.244.3.3".to_string()]));
        assert_eq!(ips(&host), Some(vec![]));
        assert_eq!(ips(&kept), Some(vec!["10.244.3.77".to_string()]));
        assert_eq!(ips(&foreign), Some(vec!["10.244.3.4".to_string()]));
        // Removing a sandbox frees its IP, but next-fit does not hand it out at once.
        if let Ok(a) = &a {
            assert_eq!(rt.remove_pod_sandbox(&a.id).await, Ok(()));
        }
        let c = rt.run_pod_sandbox(&pod("c", None, false)).await;
        assert_eq!(ips(&c), Some(vec!["10.244.3.5".to_string()]));
    }

    #[tokio::test]
    async fn pulls_fail_for_unpullable_references() {
        let rt = runtime(fast());
        let ok = rt.pull_image("nginx:1.14.2").await;
        assert_eq!(
            ok.as_ref().map(|i| i.image.as_str()),
            Ok("docker.io/library/nginx:1.14.2")
        );
        assert_eq!(
            rt.image_status("docker.io/library/nginx:1.14.2")
                .await
                .map(|i| i.is_some()),
            Ok(true)
        );
        let bad = rt.pull_image("nginx:1.161").await;
        assert_eq!(
            bad,
            Err(RuntimeError::Failed(
                "rpc error: code = NotFound desc = failed to pull and unpack image \
                 \"docker.io/library/nginx:1.161\": failed to resolve reference \
                 \"docker.io/library/nginx:1.161\": docker.io/library/nginx:1.161: not found"
                    .to_string()
            ))
        );
        let custom = runtime(HollowOptions {
            unpullable: ImagePattern::new("^private/").unwrap_or_else(|e| panic!("{e}")),
            ..fast()
        });
        assert!(custom.pull_image("nginx:1.161").await.is_ok());
        assert!(custom.pull_image("private/app:1").await.is_err());
    }

    #[tokio::test]
    async fn containers_run_exit_and_stop() {
        let rt = runtime(fast());
        let p = pod("p", None, false);
        let sandbox = rt
            .run_pod_sandbox(&p)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let image = rt
            .pull_image("busybox")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let crasher = Container {
            name: "crash".to_string(),
            image: Some("busybox".to_string()),
            env: Some(vec![EnvVar {
                name: ENV_EXIT_CODE.to_string(),
                value: Some("3".to_string()),
                ..EnvVar::default()
            }]),
            ..Container::default()
        };
        let id = rt
            .create_container(&sandbox.id, &p, &crasher, 0, &image)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rt.container_status(&id).await, Ok(ContainerState::Created));
        assert_eq!(rt.start_container(&id).await, Ok(()));
        rt.wait_containers(std::slice::from_ref(&id)).await;
        match rt.container_status(&id).await {
            Ok(ContainerState::Exited {
                exit_code, reason, ..
            }) => {
                assert_eq!((exit_code, reason.as_str()), (3, "Error"));
            }
            other => panic!("unexpected {other:?}"),
        }

        let server = Container {
            name: "web".to_string(),
            image: Some("busybox".to_string()),
            ..Container::default()
        };
        let id = rt
            .create_container(&sandbox.id, &p, &server, 0, &image)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rt.start_container(&id).await, Ok(()));
        assert!(matches!(
            rt.container_status(&id).await,
            Ok(ContainerState::Running { .. })
        ));
        assert_eq!(
            rt.probe(&id, ProbeKind::Readiness, &Probe::default()).await,
            ProbeResult::Success
        );
        assert_eq!(
            rt.stop_container(&id, Duration::from_secs(30)).await,
            Ok(())
        );
        match rt.container_status(&id).await {
            Ok(ContainerState::Exited {
                exit_code, reason, ..
            }) => {
                assert_eq!((exit_code, reason.as_str()), (0, "Completed"));
            }
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(
            rt.probe(&id, ProbeKind::Liveness, &Probe::default()).await,
            ProbeResult::Failure("container is not running".to_string())
        );
        assert_eq!(rt.container_count(), 2);
        assert_eq!(rt.remove_pod_sandbox(&sandbox.id).await, Ok(()));
        assert_eq!(rt.container_count(), 0);
    }

    /// A container that ignores SIGTERM longer than the grace period is killed with 137.
    #[tokio::test]
    async fn stop_beyond_grace_is_a_kill() {
        let rt = runtime(HollowOptions {
            stop_delay: Duration::from_secs(60),
            ..fast()
        });
        let p = pod("p", None, false);
        let sandbox = rt
            .run_pod_sandbox(&p)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let image = rt
            .pull_image("nginx")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let c = Container {
            name: "web".to_string(),
            image: Some("nginx".to_string()),
            ..Container::default()
        };
        let id = rt
            .create_container(&sandbox.id, &p, &c, 0, &image)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rt.start_container(&id).await, Ok(()));
        // The grace period here is zero, so the kill is immediate.
        assert_eq!(rt.stop_container(&id, Duration::ZERO).await, Ok(()));
        match rt.container_status(&id).await {
            Ok(ContainerState::Exited {
                exit_code, reason, ..
            }) => {
                assert_eq!((exit_code, reason.as_str()), (137, "Error"));
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
