//! The scheduler's event loop: one task owns the cache and the queue and reacts, in turn,
//! to Node and Pod watch events, binding outcomes, the clock, and the next pod to place.
//! API writes (bindings, status patches, events) run in spawned tasks and report back
//! over a channel, so a decision never waits on the network and the cache has one writer.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::{Event, Node, Pod};
use kube::Client;
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event as WatchEvent};
use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::sync::{Semaphore, mpsc};
use tracing::{debug, info, warn};

use crate::algorithm::{Algorithm, Failure};
use crate::cache::{Cache, NodeUpdate};
use crate::diagnosis::NO_NODES;
use crate::nodeinfo::PodUsage;
use crate::podinfo::{PodInfo, pod_key};
use crate::queue::{Queue, QueueTiming};
use crate::report::{
    self, EventSeries, EventSpec, EventWrite, MESSAGE_SCHEDULING_GATED, REASON_SCHEDULER_ERROR,
    REASON_SCHEDULING_GATED, REASON_UNSCHEDULABLE,
};
use crate::{Error, SchedulerOptions};

/// How often back-off expiry and the periodic retry are checked.
const TICK: Duration = Duration::from_millis(250);
/// Concurrent status and event writes; the rest wait their turn.
const MAX_CONCURRENT_REPORTS: usize = 16;
/// Events waiting to be written. Past this, new events are dropped, as upstream's event
/// broadcaster drops them (`maxQueuedEvents` 1000): events are best effort, and a
/// backlog would hold memory and API time that bindings need.
const MAX_QUEUED_EVENTS: usize = 1000;

/// One event write.
enum EventJob {
    Create(Event),
    /// A repeat of the event named `name`: its count is raised; if it is gone, `event`
    /// (with that count) is created afresh.
    Repeat {
        name: String,
        count: i32,
        now: jiff::Timestamp,
        event: Event,
    },
}

/// What a write task (a binding, a condition) reports back.
#[derive(Debug)]
enum Outcome {
    Bound {
        key: String,
    },
    BindFailed {
        key: String,
        uid: String,
        kind: BindError,
        message: String,
    },
    /// A `PodScheduled` condition write failed: the next attempt may write it again.
    ConditionFailed {
        key: String,
        condition: WrittenCondition,
    },
}

/// The `PodScheduled=False` condition this scheduler last wrote to a pod (its reason
/// and message), kept until the pod's watch shows it. Upstream writes the condition
/// before the next attempt (synchronously); ours are written in tasks, so without this
/// a retry that comes before the watch shows the first write would write it again.
#[derive(Debug, Clone, PartialEq, Eq)]
struct WrittenCondition {
    reason: String,
    message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BindError {
    /// The pod is gone (404).
    Gone,
    /// Someone else bound it first (409 "already assigned").
    AlreadyAssigned,
    /// Anything else: retry after back-off.
    Other,
}

/// A pod this scheduler is responsible for and has not bound yet.
#[derive(Debug, Clone)]
struct Pending {
    pod: Arc<Pod>,
    info: Arc<PodInfo>,
}

struct State {
    client: Client,
    options: SchedulerOptions,
    cache: Cache,
    queue: Queue,
    algorithm: Algorithm,
    rng: StdRng,
    pending: HashMap<String, Pending>,
    events: HashMap<String, EventSeries>,
    /// Conditions written (or being written) that the watch does not show yet.
    conditions: HashMap<String, WrittenCondition>,
    nodes_synced: bool,
    pods_synced: bool,
    node_relist: Option<HashSet<String>>,
    pod_relist: Option<HashSet<String>>,
    binds_in_flight: usize,
    outcomes: mpsc::UnboundedSender<Outcome>,
    report_permits: Arc<Semaphore>,
    events_queue: mpsc::Sender<EventJob>,
    /// `reportingInstance` of our events: `<scheduler name>-<hostname>`, as upstream.
    instance: Arc<str>,
}

/// This machine's name, for the events' `reportingInstance`.
fn hostname() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
}

pub(crate) async fn run(client: Client, options: SchedulerOptions) -> Result<(), Error> {
    if options.scheduler_name.is_empty() {
        return Err(Error::InvalidOptions(
            "scheduler_name must not be empty".into(),
        ));
    }
    let nodes = watcher::watcher(Api::<Node>::all(client.clone()), watcher::Config::default())
        .default_backoff();
    // Decoded as only what scheduling reads (see `podview`), kept as that trimmed `Pod`.
    let pods = watcher::watcher(
        Api::<crate::podview::PodView>::all(client.clone()),
        watcher::Config::default(),
    )
    .default_backoff()
    .map_ok(|event| match event {
        watcher::Event::Apply(view) => watcher::Event::Apply(Pod::from(view)),
        watcher::Event::Delete(view) => watcher::Event::Delete(Pod::from(view)),
        watcher::Event::InitApply(view) => watcher::Event::InitApply(Pod::from(view)),
        watcher::Event::Init => watcher::Event::Init,
        watcher::Event::InitDone => watcher::Event::InitDone,
    });
    futures::pin_mut!(nodes, pods);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut state = State::new(client, options, tx);
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    info!(scheduler = %state.options.scheduler_name, "scheduler starting");
    loop {
        let can_schedule = state.nodes_synced
            && state.pods_synced
            && state.binds_in_flight < state.options.max_concurrent_binds.max(1)
            && state.queue.has_active();
        tokio::select! {
            biased;
            ev = nodes.next() => match ev {
                Some(Ok(ev)) => state.on_node_event(ev),
                Some(Err(e)) => warn!(error = %e, "node watch failed; retrying"),
                None => return Err(Error::WatchEnded("nodes")),
            },
            ev = pods.next() => match ev {
                Some(Ok(ev)) => state.on_pod_event(ev),
                Some(Err(e)) => warn!(error = %e, "pod watch failed; retrying"),
                None => return Err(Error::WatchEnded("pods")),
            },
            Some(outcome) = rx.recv() => state.on_outcome(outcome),
            _ = tick.tick() => state.queue.flush(Instant::now()),
            _ = std::future::ready(()), if can_schedule => state.schedule_one(),
        }
    }
}

fn is_terminal(pod: &Pod) -> bool {
    matches!(
        pod.status.as_ref().and_then(|s| s.phase.as_deref()),
        Some("Succeeded") | Some("Failed")
    )
}

fn assigned_node(pod: &Pod) -> Option<&str> {
    pod.spec
        .as_ref()
        .and_then(|s| s.node_name.as_deref())
        .filter(|n| !n.is_empty())
}

impl State {
    /// A scheduler's state with its report writers started; `outcomes` carries what
    /// its write tasks report back.
    fn new(
        client: Client,
        options: SchedulerOptions,
        outcomes: mpsc::UnboundedSender<Outcome>,
    ) -> State {
        let report_permits = Arc::new(Semaphore::new(MAX_CONCURRENT_REPORTS));
        let (events_queue, queued_events) = mpsc::channel(MAX_QUEUED_EVENTS);
        tokio::spawn(write_events(
            client.clone(),
            queued_events,
            report_permits.clone(),
        ));
        let instance: Arc<str> = match hostname() {
            Some(host) => format!("{}-{host}", options.scheduler_name).into(),
            None => options.scheduler_name.clone().into(),
        };
        State {
            instance,
            client,
            queue: Queue::new(QueueTiming {
                initial_backoff: options.pod_initial_backoff,
                max_backoff: options.pod_max_backoff,
                unschedulable_retry: options.unschedulable_retry_interval,
            }),
            algorithm: Algorithm::new(options.percentage_of_nodes_to_score),
            options,
            cache: Cache::new(),
            rng: StdRng::from_os_rng(),
            pending: HashMap::new(),
            events: HashMap::new(),
            conditions: HashMap::new(),
            nodes_synced: false,
            pods_synced: false,
            node_relist: None,
            pod_relist: None,
            binds_in_flight: 0,
            outcomes,
            report_permits,
            events_queue,
        }
    }

    fn on_node_event(&mut self, ev: WatchEvent<Node>) {
        match ev {
            WatchEvent::Init => self.node_relist = Some(HashSet::new()),
            WatchEvent::InitApply(node) => {
                if let (Some(seen), Some(name)) = (&mut self.node_relist, &node.metadata.name) {
                    seen.insert(name.clone());
                }
                self.apply_node(&node);
            }
            WatchEvent::InitDone => {
                if let Some(seen) = self.node_relist.take() {
                    let gone: Vec<String> = self
                        .cache
                        .node_names()
                        .filter(|n| !seen.contains(*n))
                        .map(str::to_string)
                        .collect();
                    for name in gone {
                        self.cache.remove_node(&name);
                    }
                }
                if !self.nodes_synced {
                    info!(nodes = self.cache.num_nodes(), "node cache synced");
                }
                self.nodes_synced = true;
            }
            WatchEvent::Apply(node) => self.apply_node(&node),
            WatchEvent::Delete(node) => {
                if let Some(name) = &node.metadata.name {
                    self.cache.remove_node(name);
                }
            }
        }
    }

    fn apply_node(&mut self, node: &Node) {
        match self.cache.upsert_node(node) {
            NodeUpdate::Added | NodeUpdate::Changed => {
                let moved = self.queue.move_unschedulable(Instant::now(), false);
                if moved > 0 {
                    debug!(node = ?node.metadata.name, moved, "node change: retrying unschedulable pods");
                }
            }
            NodeUpdate::Unchanged => {}
        }
    }

    fn on_pod_event(&mut self, ev: WatchEvent<Pod>) {
        match ev {
            WatchEvent::Init => self.pod_relist = Some(HashSet::new()),
            WatchEvent::InitApply(pod) => {
                if let Some(seen) = &mut self.pod_relist {
                    seen.insert(pod_key(&pod));
                }
                self.apply_pod(pod);
            }
            WatchEvent::InitDone => {
                if let Some(seen) = self.pod_relist.take() {
                    let gone: Vec<String> = self
                        .pending
                        .keys()
                        .chain(self.cache.charged_keys())
                        .filter(|k| !seen.contains(*k))
                        .cloned()
                        .collect();
                    for key in gone {
                        self.forget_pod(&key);
                    }
                }
                if !self.pods_synced {
                    info!(pending = self.pending.len(), "pod cache synced");
                }
                self.pods_synced = true;
            }
            WatchEvent::Apply(pod) => self.apply_pod(pod),
            WatchEvent::Delete(pod) => {
                let key = pod_key(&pod);
                let uid = pod.metadata.uid.as_deref().unwrap_or("");
                let tracked = self
                    .pending
                    .get(&key)
                    .map(|p| p.info.uid.as_str())
                    .or_else(|| self.cache.charged(&key).map(|c| c.usage.uid.as_str()));
                if tracked.is_none_or(|t| uid.is_empty() || t == uid) {
                    self.forget_pod(&key);
                }
            }
        }
    }

    /// Drops every trace of a pod; if it held room on a node, pods waiting for room retry.
    fn forget_pod(&mut self, key: &str) {
        self.pending.remove(key);
        self.queue.remove(key);
        self.events.remove(key);
        self.conditions.remove(key);
        if self.cache.uncharge(key).is_some() {
            self.queue.move_unschedulable(Instant::now(), true);
        }
    }

    fn apply_pod(&mut self, pod: Pod) {
        let key = pod_key(&pod);
        let uid = pod.metadata.uid.clone().unwrap_or_default();
        // Same name, new UID: the old pod is gone.
        let stale_pending = self.pending.get(&key).is_some_and(|p| p.info.uid != uid);
        let stale_charge = self.cache.charged(&key).is_some_and(|c| c.usage.uid != uid);
        if stale_pending || stale_charge {
            self.forget_pod(&key);
        }
        // The watch shows the condition we wrote: it is no longer ours to remember. From
        // here on the pod's own copy decides (and a later change by anyone is rewritten
        // at the next attempt, as before).
        if let Some(written) = self.conditions.get(&key)
            && report::shows_unscheduled(&pod, &written.reason, &written.message)
        {
            self.conditions.remove(&key);
        }

        if let Some(node) = assigned_node(&pod) {
            self.pending.remove(&key);
            self.queue.remove(&key);
            self.events.remove(&key);
            self.conditions.remove(&key);
            if is_terminal(&pod) {
                if self.cache.uncharge(&key).is_some() {
                    self.queue.move_unschedulable(Instant::now(), true);
                }
            } else {
                let node = node.to_string();
                self.cache
                    .charge(&key, &node, PodUsage::from_pod(&pod), false);
            }
            return;
        }

        // Unassigned. While our own binding is in flight (or done but not yet seen), the
        // watch may still show the pod pending: it is already charged, leave it.
        if self.cache.charged(&key).is_some() {
            return;
        }
        let spec = pod.spec.as_ref();
        let ours = spec
            .and_then(|s| s.scheduler_name.as_deref())
            .unwrap_or("default-scheduler")
            == self.options.scheduler_name;
        if !ours || is_terminal(&pod) || pod.metadata.deletion_timestamp.is_some() {
            self.pending.remove(&key);
            self.queue.remove(&key);
            self.events.remove(&key);
            self.conditions.remove(&key);
            return;
        }
        let gated = spec
            .and_then(|s| s.scheduling_gates.as_ref())
            .is_some_and(|g| !g.is_empty());
        let changed = self
            .pending
            .get(&key)
            .is_none_or(|p| p.pod.spec != pod.spec || p.pod.metadata.labels != pod.metadata.labels);
        let info = match self.pending.get(&key) {
            // Only our own status writes and the like: the parsed facts still hold.
            Some(p) if !changed => p.info.clone(),
            _ => Arc::new(PodInfo::from_pod(&pod)),
        };
        let priority = info.priority;
        let pod = Arc::new(pod);
        self.pending.insert(
            key.clone(),
            Pending {
                pod: pod.clone(),
                info,
            },
        );
        if gated {
            self.queue.add_gated(&key, priority);
            self.write_condition(
                &key,
                &pod,
                REASON_SCHEDULING_GATED,
                MESSAGE_SCHEDULING_GATED,
            );
        } else if changed {
            self.queue.add(&key, priority, Instant::now());
        }
    }

    fn schedule_one(&mut self) {
        let Some(key) = self.queue.pop() else {
            return;
        };
        let Some(p) = self.pending.get(&key).cloned() else {
            self.queue.remove(&key);
            return;
        };
        let now = Instant::now();
        let decision = self.algorithm.schedule(&self.cache, &p.info, &mut self.rng);
        let took = now.elapsed().as_secs_f64();
        match decision {
            Ok(node) => {
                crate::metrics::attempt("scheduled", took);
                debug!(pod = %key, %node, "assuming pod on node");
                self.cache
                    .charge(&key, &node, PodUsage::from_info(&p.info), true);
                self.binds_in_flight += 1;
                self.spawn_bind(&p, key, node);
            }
            Err(Failure::NoNodes) => {
                crate::metrics::attempt("unschedulable", took);
                self.queue.failed_unschedulable(&key, now, false);
                self.report_failure(&key, &p.pod, REASON_SCHEDULER_ERROR, NO_NODES);
            }
            Err(Failure::Unschedulable(fit)) => {
                crate::metrics::attempt("unschedulable", took);
                self.queue
                    .failed_unschedulable(&key, now, fit.resolvable_nodes > 0);
                let message = fit.message();
                info!(pod = %key, %message, "pod is unschedulable");
                self.report_failure(&key, &p.pod, REASON_UNSCHEDULABLE, &message);
            }
        }
    }

    fn spawn_bind(&self, p: &Pending, key: String, node: String) {
        let client = self.client.clone();
        let tx = self.outcomes.clone();
        let pod = p.pod.clone();
        let info = p.info.clone();
        let component = self.options.scheduler_name.clone();
        let instance = self.instance.clone();
        let events = self.events_queue.clone();
        tokio::spawn(async move {
            let api: Api<Pod> = Api::namespaced(client.clone(), &info.namespace);
            let binding = report::binding(&info.namespace, &info.name, &info.uid, &node);
            let result = api
                .create_subresource::<_, serde_json::Value>(
                    "binding",
                    &info.name,
                    &PostParams::default(),
                    &binding,
                )
                .await;
            match result {
                Ok(_) => {
                    // Report first: the decision loop frees the slot without waiting
                    // for the event write. A send fails only once the loop is gone.
                    let _ = tx.send(Outcome::Bound { key });
                    let message = format!(
                        "Successfully assigned {}/{} to {node}",
                        info.namespace, info.name
                    );
                    let spec = EventSpec {
                        component: &component,
                        instance: &instance,
                        type_: "Normal",
                        reason: "Scheduled",
                        action: "Binding",
                        message: &message,
                    };
                    let now = jiff::Timestamp::now();
                    let event =
                        report::event(&pod, &report::event_name(&info.name, now), &spec, now);
                    queue_event(&events, EventJob::Create(event));
                }
                Err(e) => {
                    let kind = match &e {
                        kube::Error::Api(s) if s.code == 404 => BindError::Gone,
                        kube::Error::Api(s)
                            if s.code == 409 && s.message.contains("already assigned") =>
                        {
                            BindError::AlreadyAssigned
                        }
                        _ => BindError::Other,
                    };
                    let message = match &e {
                        kube::Error::Api(s) => s.message.clone(),
                        other => other.to_string(),
                    };
                    let _ = tx.send(Outcome::BindFailed {
                        key,
                        uid: info.uid.clone(),
                        kind,
                        message,
                    });
                }
            }
        });
    }

    fn on_outcome(&mut self, outcome: Outcome) {
        if let Outcome::ConditionFailed { key, condition } = &outcome {
            if self.conditions.get(key) == Some(condition) {
                self.conditions.remove(key);
            }
            return;
        }
        self.binds_in_flight = self.binds_in_flight.saturating_sub(1);
        match outcome {
            Outcome::Bound { key } => {
                self.queue.done(&key);
                self.pending.remove(&key);
                self.events.remove(&key);
                self.conditions.remove(&key);
            }
            Outcome::ConditionFailed { .. } => {}
            Outcome::BindFailed {
                key,
                uid,
                kind,
                message,
            } => {
                warn!(pod = %key, ?kind, %message, "binding failed");
                if kind == BindError::AlreadyAssigned {
                    // The watch will show where it went; our charge moves then.
                    self.queue.done(&key);
                    self.pending.remove(&key);
                    return;
                }
                let ours = self
                    .cache
                    .charged(&key)
                    .is_some_and(|c| c.assumed && c.usage.uid == uid);
                if ours && self.cache.uncharge(&key).is_some() {
                    self.queue.move_unschedulable(Instant::now(), true);
                }
                if kind == BindError::Gone {
                    self.forget_pod(&key);
                    return;
                }
                self.queue.failed_transient(&key, Instant::now());
                if let Some(p) = self.pending.get(&key).cloned() {
                    let message = format!("running Bind plugin \"DefaultBinder\": {message}");
                    self.report_failure(&key, &p.pod, REASON_SCHEDULER_ERROR, &message);
                }
            }
        }
    }

    /// The `PodScheduled=False` condition (when it changes) and a `FailedScheduling`
    /// event (a repeat of the last message bumps its count).
    fn report_failure(&mut self, key: &str, pod: &Arc<Pod>, reason: &str, message: &str) {
        let message = report::truncate_message(message);
        self.write_condition(key, pod, reason, &message);
        // As client-go's recorder, whose correlator sits behind its queue: an event the
        // full queue drops is not counted, so the next failure creates the event rather
        // than patching one that was never written.
        let Ok(slot) = self.events_queue.try_reserve() else {
            crate::metrics::event_dropped();
            debug!("event queue full; dropping an event");
            return;
        };
        let now = jiff::Timestamp::now();
        let pod_name = pod.metadata.name.clone().unwrap_or_default();
        let mut series = self.events.remove(key);
        let write = EventSeries::record(&mut series, &pod_name, &message, now);
        if let Some(s) = series {
            self.events.insert(key.to_string(), s);
        }
        let spec = EventSpec {
            component: &self.options.scheduler_name,
            instance: &self.instance,
            type_: "Warning",
            reason: "FailedScheduling",
            action: "Scheduling",
            message: &message,
        };
        let job = match write {
            EventWrite::Create { name } => EventJob::Create(report::event(pod, &name, &spec, now)),
            EventWrite::Repeat { name, count } => {
                let mut event = report::event(pod, &name, &spec, now);
                event.count = Some(count);
                EventJob::Repeat {
                    name,
                    count,
                    now,
                    event,
                }
            }
        };
        slot.send(job);
    }

    fn write_condition(&mut self, key: &str, pod: &Arc<Pod>, reason: &str, message: &str) {
        let Some(patch) =
            report::unscheduled_condition_patch(pod, reason, message, jiff::Timestamp::now())
        else {
            // The pod shows it: nothing of ours is left unseen.
            self.conditions.remove(key);
            return;
        };
        let condition = WrittenCondition {
            reason: reason.to_string(),
            message: message.to_string(),
        };
        if self.conditions.get(key) == Some(&condition) {
            return;
        }
        self.conditions.insert(key.to_string(), condition.clone());
        let key = key.to_string();
        let outcomes = self.outcomes.clone();
        let client = self.client.clone();
        let permits = self.report_permits.clone();
        let namespace = pod.metadata.namespace.clone().unwrap_or_default();
        let name = pod.metadata.name.clone().unwrap_or_default();
        tokio::spawn(async move {
            let Ok(_permit) = permits.acquire_owned().await else {
                return;
            };
            // The answer is not read (the watch brings the pod), so it is not decoded.
            let written = kube::core::Request::new(format!("/api/v1/namespaces/{namespace}/pods"))
                .patch_subresource(
                    "status",
                    &name,
                    &PatchParams::default(),
                    &Patch::Strategic(patch),
                )
                .map_err(kube::Error::BuildRequest);
            let written = match written {
                Ok(request) => client.request_text(request).await.map(drop),
                Err(e) => Err(e),
            };
            if let Err(e) = written {
                debug!(pod = %name, error = %e, "writing PodScheduled condition failed");
                let _ = outcomes.send(Outcome::ConditionFailed { key, condition });
            }
        });
    }
}

/// Queues an event write, or drops the event when the queue is full.
fn queue_event(queue: &mpsc::Sender<EventJob>, job: EventJob) {
    if let Err(mpsc::error::TrySendError::Full(_)) = queue.try_send(job) {
        crate::metrics::event_dropped();
        debug!("event queue full; dropping an event");
    }
}

/// Writes queued events, at most [`MAX_CONCURRENT_REPORTS`] at once (shared with the
/// status writes).
async fn write_events(
    client: Client,
    mut queue: mpsc::Receiver<EventJob>,
    permits: Arc<Semaphore>,
) {
    while let Some(job) = queue.recv().await {
        let Ok(permit) = permits.clone().acquire_owned().await else {
            return;
        };
        let client = client.clone();
        tokio::spawn(async move {
            let _permit = permit;
            match job {
                EventJob::Create(event) => create_event(&client, event).await,
                EventJob::Repeat {
                    name,
                    count,
                    now,
                    event,
                } => {
                    let namespace = event.metadata.namespace.clone().unwrap_or_default();
                    let api: Api<Event> = Api::namespaced(client.clone(), &namespace);
                    let patch = Patch::Merge(report::repeat_patch(count, now));
                    if let Err(e) = api.patch(&name, &PatchParams::default(), &patch).await {
                        // Expired or removed meanwhile: record it afresh.
                        debug!(event = %name, error = %e, "event repeat failed; creating");
                        create_event(&client, event).await;
                    }
                }
            }
        });
    }
}

async fn create_event(client: &Client, event: Event) {
    let namespace = event.metadata.namespace.clone().unwrap_or_default();
    let api: Api<Event> = Api::namespaced(client.clone(), &namespace);
    if let Err(e) = api.create(&PostParams::default(), &event).await {
        debug!(event = ?event.metadata.name, error = %e, "recording event failed");
    }
}

#[cfg(test)]
#[path = "driver_tests.rs"]
mod tests;
