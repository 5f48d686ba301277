//! The ReplicaSet controller: keeps `spec.replicas` pods for every ReplicaSet, and —
//! the same code, as upstream — for every core/v1 ReplicationController, read through a
//! ReplicaSet-shaped view ([`Workload`]).
//!
//! [`logic`] decides (claiming, how many to create or which to delete, status); this
//! module fetches state from the informer caches, carries the decisions out through the
//! API, and keeps expectations so a sync never acts on a cache that has not yet seen
//! the previous sync's creations and deletions.

pub mod logic;

use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use k8s_openapi::api::apps::v1::{ReplicaSet, ReplicaSetSpec, ReplicaSetStatus};
use k8s_openapi::api::core::v1::{Pod, ReplicationController};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::Resource;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams, Preconditions};
use kube::{Client, ResourceExt};

use crate::events::{EventType, Recorder};
use crate::expectations::Expectations;
use crate::informer::{Change, Informer, ObjectKey};
use crate::queue::WorkQueue;
use logic::{ClaimDecision, Claimer, ManageAction};

/// Concurrent syncs (upstream `--concurrent-replicaset-syncs`).
const WORKERS: usize = 5;

/// The pods informer's index (upstream's controller-UID index with its orphan key): the
/// UID of a pod's controller, or [`orphan_index_key`] of its namespace when it has none.
pub fn pod_owner_index(pod: &Pod) -> Option<String> {
    Some(match logic::controller_of(&pod.metadata) {
        Some(owner) => owner.uid.clone(),
        None => orphan_index_key(pod.metadata.namespace.as_deref().unwrap_or("")),
    })
}

/// The index key of a namespace's pods without a controller (no UID contains `/`).
pub fn orphan_index_key(namespace: &str) -> String {
    format!("orphan/{namespace}")
}

/// A kind the controller manages: ReplicaSet itself, or ReplicationController seen as
/// a ReplicaSet (plain label map selector → `matchLabels`).
pub trait Workload:
    Resource<DynamicType = (), Scope = kube::core::NamespaceResourceScope>
    + Clone
    + serde::de::DeserializeOwned
    + serde::Serialize
    + std::fmt::Debug
    + Send
    + Sync
    + 'static
{
    const API_VERSION: &'static str;
    const KIND: &'static str;
    /// Event source name.
    const COMPONENT: &'static str;
    /// Work-queue name in metrics (upstream's).
    const QUEUE: &'static str;
    /// The ReplicaSet-shaped view the decision logic reads.
    fn view(&self) -> ReplicaSet;
    /// This object with a new status.
    fn with_status(&self, status: ReplicaSetStatus) -> Self;
}

impl Workload for ReplicaSet {
    const API_VERSION: &'static str = "apps/v1";
    const KIND: &'static str = "ReplicaSet";
    const COMPONENT: &'static str = "replicaset-controller";
    const QUEUE: &'static str = "replicaset";

    fn view(&self) -> ReplicaSet {
        self.clone()
    }

    fn with_status(&self, status: ReplicaSetStatus) -> Self {
        let mut next = self.clone();
        next.status = Some(status);
        next
    }
}

/// Converts between the two status types, whose JSON fields coincide.
fn convert<A: serde::Serialize, B: serde::de::DeserializeOwned>(a: &A) -> Option<B> {
    serde_json::to_value(a)
        .ok()
        .and_then(|v| serde_json::from_value(v).ok())
}

impl Workload for ReplicationController {
    const API_VERSION: &'static str = "v1";
    const KIND: &'static str = "ReplicationController";
    const COMPONENT: &'static str = "replication-controller";
    const QUEUE: &'static str = "replicationmanager";

    fn view(&self) -> ReplicaSet {
        let spec = self.spec.clone().unwrap_or_default();
        ReplicaSet {
            metadata: self.metadata.clone(),
            spec: ReplicaSetSpec {
                replicas: spec.replicas,
                min_ready_seconds: spec.min_ready_seconds,
                selector: LabelSelector {
                    match_labels: spec.selector.clone(),
                    match_expressions: None,
                },
                template: spec.template.clone(),
            },
            status: self.status.as_ref().and_then(convert),
        }
    }

    fn with_status(&self, status: ReplicaSetStatus) -> Self {
        let mut next = self.clone();
        next.status = convert(&status);
        next
    }
}

pub struct ReplicaSetController<W: Workload = ReplicaSet> {
    client: Client,
    replica_sets: Arc<Informer<W>>,
    pods: Arc<Informer<Pod>>,
    queue: Arc<WorkQueue<ObjectKey>>,
    expectations: Expectations<ObjectKey>,
    recorder: Recorder,
}

fn owner_key<W: Workload>(pod: &Pod) -> Option<ObjectKey> {
    let owner = logic::controller_of(&pod.metadata)?;
    (owner.kind == W::KIND && owner.api_version == W::API_VERSION)
        .then(|| ObjectKey::new(pod.namespace().unwrap_or_default(), owner.name.clone()))
}

fn api_error_code(err: &kube::Error) -> Option<u16> {
    match err {
        kube::Error::Api(s) => Some(s.code),
        _ => None,
    }
}

impl<W: Workload> ReplicaSetController<W> {
    pub fn new(
        client: Client,
        replica_sets: Arc<Informer<W>>,
        pods: Arc<Informer<Pod>>,
    ) -> Arc<Self> {
        Arc::new(ReplicaSetController {
            recorder: Recorder::new(client.clone(), W::COMPONENT),
            client,
            replica_sets,
            pods,
            queue: WorkQueue::named(W::QUEUE),
            expectations: Expectations::default(),
        })
    }

    /// ReplicaSets in the pod's namespace whose selector matches it (adoption candidates).
    fn matching(&self, pod: &Pod) -> Vec<ObjectKey> {
        let ns = pod.namespace().unwrap_or_default();
        self.replica_sets
            .list_namespace(&ns)
            .iter()
            .filter(|w| {
                let selector = w.view().spec.selector;
                // An empty selector selects nothing here (validation refuses it anyway).
                !logic::selector_is_empty(&selector)
                    && logic::label_selector_matches(&selector, pod.metadata.labels.as_ref())
            })
            .map(|w| ObjectKey::of(w.as_ref()))
            .collect()
    }

    fn pod_changed(&self, change: &Change<Pod>) {
        match change {
            Change::Added(pod) => {
                if let Some(key) = owner_key::<W>(pod) {
                    if pod.metadata.deletion_timestamp.is_some() {
                        self.expectations
                            .deletion_observed(&key, &pod.uid().unwrap_or_default());
                    } else {
                        self.expectations.creation_observed(&key);
                    }
                    self.queue.add(key);
                } else {
                    self.matching(pod)
                        .into_iter()
                        .for_each(|k| self.queue.add(k));
                }
            }
            Change::Updated { old, new } => {
                let (old_owner, new_owner) = (owner_key::<W>(old), owner_key::<W>(new));
                if new.metadata.deletion_timestamp.is_some()
                    && old.metadata.deletion_timestamp.is_none()
                    && let Some(key) = &new_owner
                {
                    self.expectations
                        .deletion_observed(key, &new.uid().unwrap_or_default());
                }
                if old_owner != new_owner
                    && let Some(key) = old_owner.clone()
                {
                    self.queue.add(key);
                }
                match new_owner {
                    Some(key) => {
                        // A pod that just became ready may become available later.
                        let min_ready = self
                            .replica_sets
                            .get(&key)
                            .and_then(|w| w.view().spec.min_ready_seconds)
                            .unwrap_or(0);
                        if min_ready > 0 && !logic::pod_is_ready(old) && logic::pod_is_ready(new) {
                            let delay =
                                Duration::from_secs(u64::try_from(min_ready).unwrap_or(0) + 1);
                            self.queue.add_after(key.clone(), delay);
                        }
                        self.queue.add(key);
                    }
                    None => {
                        if old.metadata.labels != new.metadata.labels || old_owner.is_some() {
                            self.matching(new)
                                .into_iter()
                                .for_each(|k| self.queue.add(k));
                        }
                    }
                }
            }
            Change::Deleted(pod) => {
                if let Some(key) = owner_key::<W>(pod) {
                    self.expectations
                        .deletion_observed(&key, &pod.uid().unwrap_or_default());
                    self.queue.add(key);
                }
            }
        }
    }

    /// Registers the cache handlers and starts the workers (before the informers run).
    pub fn start(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        self.replica_sets.on_change(move |change| {
            let Some(this) = weak.upgrade() else { return };
            match change {
                Change::Added(rs) | Change::Updated { new: rs, .. } => {
                    this.queue.add(ObjectKey::of(rs.as_ref()))
                }
                Change::Deleted(rs) => {
                    let key = ObjectKey::of(rs.as_ref());
                    this.expectations.forget(&key);
                    this.queue.add(key);
                }
            }
        });
        let weak = Arc::downgrade(self);
        self.pods.on_change(move |change| {
            if let Some(this) = weak.upgrade() {
                this.pod_changed(change);
            }
        });
        for _ in 0..WORKERS {
            let this = self.clone();
            tokio::spawn(async move {
                this.replica_sets.wait_synced().await;
                this.pods.wait_synced().await;
                loop {
                    let key = this.queue.get().await;
                    match this.sync(&key).await {
                        Ok(requeue) => {
                            this.queue.forget(&key);
                            if let Some(delay) = requeue {
                                this.queue.add_after(key.clone(), delay);
                            }
                        }
                        Err(err) => {
                            tracing::debug!(%key, %err, "replicaset sync will retry");
                            this.queue.add_rate_limited(key.clone());
                        }
                    }
                    this.queue.done(&key);
                }
            });
        }
    }

    async fn sync(&self, key: &ObjectKey) -> Result<Option<Duration>, kube::Error> {
        let Some(workload) = self.replica_sets.get(key) else {
            self.expectations.forget(key);
            return Ok(None);
        };
        let rs = workload.view();
        let selector = rs.spec.selector.clone();
        let needs_sync = self.expectations.satisfied(key);
        let pods_api: Api<Pod> = Api::namespaced(self.client.clone(), &key.namespace);
        // What this ReplicaSet may claim: its own pods and the namespace's orphans, from
        // the owner index, as upstream's `FilterPodsByOwner` (pods of other controllers
        // are never claimed, so reading every pod of the namespace would only skip them).
        let mut claimable_pods = self.pods.by_index(rs.uid().as_deref().unwrap_or(""));
        claimable_pods.extend(self.pods.by_index(&orphan_index_key(&key.namespace)));
        let all: Vec<&Pod> = claimable_pods.iter().map(Arc::as_ref).collect();
        let candidates = logic::filter_active_pods(&all);

        // Claim: adopt matching orphans, release pods that stopped matching.
        let claimer = Claimer::new(&rs.metadata, &selector);
        let controller_ref = logic::new_controller_ref(&rs.metadata, W::API_VERSION, W::KIND);
        let mut active: Vec<&Pod> = Vec::new();
        for pod in candidates {
            match logic::claim_decision(&claimer, &pod.metadata) {
                ClaimDecision::Owned => active.push(pod),
                ClaimDecision::Adopt => {
                    let patch = logic::adopt_patch(&controller_ref, &pod.uid().unwrap_or_default());
                    match pods_api
                        .patch(
                            &pod.name_any(),
                            &PatchParams::default(),
                            &Patch::Strategic(patch),
                        )
                        .await
                    {
                        Ok(_) => active.push(pod),
                        Err(e) if matches!(api_error_code(&e), Some(404 | 409 | 422)) => {}
                        Err(e) => return Err(e),
                    }
                }
                ClaimDecision::Release => {
                    let patch = logic::release_patch(
                        rs.uid().as_deref().unwrap_or(""),
                        &pod.uid().unwrap_or_default(),
                    );
                    match pods_api
                        .patch(
                            &pod.name_any(),
                            &PatchParams::default(),
                            &Patch::Strategic(patch),
                        )
                        .await
                    {
                        Ok(_) => {}
                        Err(e) if matches!(api_error_code(&e), Some(404 | 409 | 422)) => {}
                        Err(e) => return Err(e),
                    }
                }
                ClaimDecision::Ignore => {}
            }
        }
        let terminating = logic::claimed_terminating_pods(&rs, &all);
        let now = jiff::Timestamp::now();

        let mut manage_error: Option<String> = None;
        let namespace_pods: Vec<Arc<Pod>>;
        if needs_sync && rs.metadata.deletion_timestamp.is_none() {
            // Sibling ReplicaSets' pods only rank deletions, and finding them takes every
            // pod of the namespace: only when there is something to delete.
            let related = if active.len() > logic::wanted_replicas(&rs) {
                let siblings = self.replica_sets.list_namespace(&key.namespace);
                let sibling_views: Vec<ReplicaSet> = siblings.iter().map(|w| w.view()).collect();
                let sibling_refs: Vec<&ReplicaSet> = sibling_views.iter().collect();
                namespace_pods = self.pods.list_namespace(&key.namespace);
                let in_namespace: Vec<&Pod> = namespace_pods.iter().map(Arc::as_ref).collect();
                logic::indirectly_related_pods(&rs, &sibling_refs, &in_namespace)
            } else {
                Vec::new()
            };
            manage_error = match logic::manage_replicas(&rs, &active, &related, now) {
                ManageAction::Nothing => None,
                ManageAction::Create { count, batches } => {
                    self.create_pods(key, &workload, &rs, &pods_api, count, &batches)
                        .await
                }
                ManageAction::Delete { pods } => {
                    self.delete_pods(key, &workload, &pods_api, &pods).await
                }
            };
        }

        let status =
            logic::calculate_status(&rs, &active, &terminating, manage_error.as_deref(), now);
        if let Some(new_status) = logic::status_update(&rs, &status) {
            self.write_status(&workload, new_status).await?;
        }
        if let Some(err) = manage_error {
            tracing::debug!(%key, %err, "replicaset manage step failed");
            return Err(kube::Error::Service(err.into()));
        }
        Ok(logic::requeue_for_min_ready(&rs, &status, true))
    }

    /// Creates pods in slow-start batches; stops at the first batch with a failure.
    async fn create_pods(
        &self,
        key: &ObjectKey,
        workload: &W,
        rs: &ReplicaSet,
        api: &Api<Pod>,
        count: usize,
        batches: &[usize],
    ) -> Option<String> {
        let mut template = match logic::pod_from_template(rs) {
            Ok(pod) => pod,
            Err(err) => return Some(err),
        };
        template.metadata.owner_references = Some(vec![logic::new_controller_ref(
            &rs.metadata,
            W::API_VERSION,
            W::KIND,
        )]);
        self.expectations.expect(key, count as i64, []);
        let mut issued = 0usize;
        for &batch in batches {
            issued += batch;
            let pp = PostParams::default();
            let results = join_all((0..batch).map(|_| api.create(&pp, &template))).await;
            let mut failure = None;
            for result in results {
                match result {
                    Ok(pod) => {
                        self.recorder.record(
                            workload,
                            EventType::Normal,
                            logic::SUCCESSFUL_CREATE_POD_REASON,
                            logic::created_pod_message(&pod.name_any()),
                        );
                    }
                    Err(err) => {
                        let message = match &err {
                            kube::Error::Api(s) => s.message.clone(),
                            other => other.to_string(),
                        };
                        self.expectations.lower_adds(key, 1);
                        self.recorder.record(
                            workload,
                            EventType::Warning,
                            logic::FAILED_CREATE_POD_REASON,
                            logic::create_error_message(&message),
                        );
                        failure = Some(message);
                    }
                }
            }
            if let Some(message) = failure {
                // The batches never started will not be observed either.
                self.expectations
                    .lower_adds(key, count.saturating_sub(issued) as i64);
                return Some(message);
            }
        }
        None
    }

    async fn delete_pods(
        &self,
        key: &ObjectKey,
        rs: &W,
        api: &Api<Pod>,
        pods: &[&Pod],
    ) -> Option<String> {
        self.expectations
            .expect(key, 0, pods.iter().filter_map(|p| p.uid()));
        let results = join_all(pods.iter().map(|pod| {
            let dp = DeleteParams {
                preconditions: pod.uid().map(|uid| Preconditions {
                    uid: Some(uid),
                    resource_version: None,
                }),
                ..Default::default()
            };
            let name = pod.name_any();
            async move {
                let result = api.delete(&name, &dp).await;
                (name, result)
            }
        }))
        .await;
        let mut failure = None;
        for ((name, result), pod) in results.into_iter().zip(pods) {
            match result {
                Ok(_) => self.recorder.record(
                    rs,
                    EventType::Normal,
                    logic::SUCCESSFUL_DELETE_POD_REASON,
                    logic::deleted_pod_message(&name),
                ),
                Err(e) if api_error_code(&e) == Some(404) => {
                    self.expectations
                        .deletion_observed(key, &pod.uid().unwrap_or_default());
                }
                Err(err) => {
                    self.expectations
                        .deletion_observed(key, &pod.uid().unwrap_or_default());
                    let message = err.to_string();
                    self.recorder.record(
                        rs,
                        EventType::Warning,
                        logic::FAILED_DELETE_POD_REASON,
                        logic::delete_error_message(&message),
                    );
                    failure = Some(message);
                }
            }
        }
        failure
    }

    /// Writes status with compare-and-swap, re-reading once on a conflict.
    async fn write_status(
        &self,
        workload: &W,
        status: ReplicaSetStatus,
    ) -> Result<(), kube::Error> {
        let api: Api<W> = Api::namespaced(
            self.client.clone(),
            &workload.namespace().unwrap_or_default(),
        );
        let mut target = workload.clone();
        for attempt in 0..2 {
            let next = target.with_status(status.clone());
            match api
                .replace_status(&workload.name_any(), &PostParams::default(), &next)
                .await
            {
                Ok(_) => return Ok(()),
                Err(e) if api_error_code(&e) == Some(409) && attempt == 0 => {
                    target = api.get(&workload.name_any()).await?;
                }
                Err(e) if api_error_code(&e) == Some(404) => return Ok(()),
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}
