//! The Deployment controller loop: maps cache changes to Deployment keys, claims
//! ReplicaSets, asks [`super::sync_deployment`] what to do, and carries the actions out
//! through the API in order, stopping (and retrying with back-off) at the first failure.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams, Preconditions};
use kube::{Client, ResourceExt};
use serde_json::{Value, json};

use super::{
    Action, CreateOutcome, DeploymentState, sync_deployment, sync_deployment_with_create_outcome,
};
use crate::events::{EventType, Recorder};
use crate::informer::{Change, Informer, ObjectKey};
use crate::queue::WorkQueue;
use crate::replicaset::logic::{self, ClaimDecision, Claimer};

/// Concurrent syncs (upstream `--concurrent-deployment-syncs`).
const WORKERS: usize = 5;

pub struct DeploymentController {
    client: Client,
    deployments: Arc<Informer<Deployment>>,
    replica_sets: Arc<Informer<ReplicaSet>>,
    pods: Arc<Informer<Pod>>,
    queue: Arc<WorkQueue<ObjectKey>>,
    recorder: Recorder,
}

fn api_error_code(err: &kube::Error) -> Option<u16> {
    match err {
        kube::Error::Api(s) => Some(s.code),
        _ => None,
    }
}

/// Why a sync stopped early.
#[derive(Debug, thiserror::Error)]
enum SyncError {
    #[error(transparent)]
    Api(#[from] kube::Error),
    #[error("retry requested by the rollout logic")]
    Retry,
}

impl DeploymentController {
    pub fn new(
        client: Client,
        deployments: Arc<Informer<Deployment>>,
        replica_sets: Arc<Informer<ReplicaSet>>,
        pods: Arc<Informer<Pod>>,
    ) -> Arc<Self> {
        Arc::new(DeploymentController {
            recorder: Recorder::new(client.clone(), "deployment-controller"),
            client,
            deployments,
            replica_sets,
            pods,
            queue: WorkQueue::named("deployment"),
        })
    }

    /// The Deployments a ReplicaSet belongs to: its controller, or for an orphan every
    /// Deployment whose selector matches it.
    fn owners_of_rs(&self, rs: &ReplicaSet) -> Vec<ObjectKey> {
        let ns = rs.namespace().unwrap_or_default();
        if let Some(owner) = logic::controller_of(&rs.metadata) {
            return if owner.kind == "Deployment" {
                vec![ObjectKey::new(ns, owner.name.clone())]
            } else {
                Vec::new()
            };
        }
        self.deployments
            .list_namespace(&ns)
            .iter()
            .filter(|d| {
                logic::label_selector_matches(&d.spec.selector, rs.metadata.labels.as_ref())
            })
            .map(|d| ObjectKey::of(d.as_ref()))
            .collect()
    }

    pub fn start(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        self.deployments.on_change(move |change| {
            let Some(this) = weak.upgrade() else { return };
            match change {
                Change::Added(d) | Change::Updated { new: d, .. } | Change::Deleted(d) => {
                    this.queue.add(ObjectKey::of(d.as_ref()))
                }
            }
        });
        let weak = Arc::downgrade(self);
        self.replica_sets.on_change(move |change| {
            let Some(this) = weak.upgrade() else { return };
            match change {
                Change::Added(rs) | Change::Deleted(rs) => this
                    .owners_of_rs(rs)
                    .into_iter()
                    .for_each(|k| this.queue.add(k)),
                Change::Updated { old, new } => {
                    let mut keys = this.owners_of_rs(new);
                    keys.extend(this.owners_of_rs(old));
                    keys.into_iter().for_each(|k| this.queue.add(k));
                }
            }
        });
        // Recreate waits for old pods to be gone: their deletion wakes the Deployment.
        let weak = Arc::downgrade(self);
        self.pods.on_change(move |change| {
            let Some(this) = weak.upgrade() else { return };
            if let Change::Deleted(pod) = change
                && let Some(owner) = logic::controller_of(&pod.metadata)
                && owner.kind == "ReplicaSet"
            {
                let key = ObjectKey::new(pod.namespace().unwrap_or_default(), owner.name.clone());
                if let Some(rs) = this.replica_sets.get(&key) {
                    this.owners_of_rs(&rs)
                        .into_iter()
                        .for_each(|k| this.queue.add(k));
                }
            }
        });
        for _ in 0..WORKERS {
            let this = self.clone();
            tokio::spawn(async move {
                this.deployments.wait_synced().await;
                this.replica_sets.wait_synced().await;
                this.pods.wait_synced().await;
                loop {
                    let key = this.queue.get().await;
                    match this.sync(&key).await {
                        Ok(()) => this.queue.forget(&key),
                        Err(err) => {
                            tracing::debug!(%key, %err, "deployment sync will retry");
                            this.queue.add_rate_limited(key.clone());
                        }
                    }
                    this.queue.done(&key);
                }
            });
        }
    }

    async fn sync(&self, key: &ObjectKey) -> Result<(), SyncError> {
        let Some(deployment) = self.deployments.get(key) else {
            return Ok(());
        };
        let rs_api: Api<ReplicaSet> = Api::namespaced(self.client.clone(), &key.namespace);
        let all_rs = self.replica_sets.list_namespace(&key.namespace);
        let claimer = Claimer::new(&deployment.metadata, &deployment.spec.selector);
        let controller_ref =
            logic::new_controller_ref(&deployment.metadata, "apps/v1", "Deployment");
        let mut owned: Vec<Arc<ReplicaSet>> = Vec::new();
        for rs in &all_rs {
            match logic::claim_decision(&claimer, &rs.metadata) {
                ClaimDecision::Owned => owned.push(rs.clone()),
                ClaimDecision::Adopt => {
                    let patch = logic::adopt_patch(&controller_ref, &rs.uid().unwrap_or_default());
                    match rs_api
                        .patch(
                            &rs.name_any(),
                            &PatchParams::default(),
                            &Patch::Strategic(patch),
                        )
                        .await
                    {
                        Ok(adopted) => owned.push(Arc::new(adopted)),
                        Err(e) if matches!(api_error_code(&e), Some(404 | 409 | 422)) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
                ClaimDecision::Release => {
                    let patch = logic::release_patch(
                        deployment.uid().as_deref().unwrap_or(""),
                        &rs.uid().unwrap_or_default(),
                    );
                    match rs_api
                        .patch(
                            &rs.name_any(),
                            &PatchParams::default(),
                            &Patch::Strategic(patch),
                        )
                        .await
                    {
                        Ok(_) => {}
                        Err(e) if matches!(api_error_code(&e), Some(404 | 409 | 422)) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
                ClaimDecision::Ignore => {}
            }
        }
        // Upstream's pod map: the pods matching the selector that the Deployment's
        // ReplicaSets control (only Recreate rollouts look at it), read from the owner
        // index rather than from every pod of the namespace.
        let pods: Vec<Arc<Pod>> = owned
            .iter()
            .filter_map(|rs| rs.metadata.uid.as_deref())
            .flat_map(|uid| self.pods.by_index(uid))
            .collect();
        let matching_pods: Vec<&Pod> = pods
            .iter()
            .map(Arc::as_ref)
            .filter(|p| {
                logic::label_selector_matches(&deployment.spec.selector, p.metadata.labels.as_ref())
            })
            .collect();
        let state = DeploymentState {
            deployment: &deployment,
            replica_sets: owned.iter().map(Arc::as_ref).collect(),
            pods: matching_pods,
            now: jiff::Timestamp::now(),
        };
        let actions = sync_deployment(&state);
        match self.apply(key, &deployment, actions).await {
            Err(CreateFailed(err)) => {
                let existing;
                let outcome = match api_error_code(&err) {
                    Some(409) => {
                        let Some(Action::CreateReplicaSet(rs)) =
                            sync_deployment(&state).into_iter().next()
                        else {
                            return Err(err.into());
                        };
                        existing = rs_api.get(&rs.name_any()).await?;
                        CreateOutcome::AlreadyExists(&existing)
                    }
                    Some(403) if err.to_string().contains("being terminated") => {
                        CreateOutcome::NamespaceTerminating
                    }
                    _ => CreateOutcome::Failed(match &err {
                        kube::Error::Api(s) => s.message.clone(),
                        other => other.to_string(),
                    }),
                };
                let retry = sync_deployment_with_create_outcome(&state, outcome);
                self.apply(key, &deployment, retry)
                    .await
                    .map_err(|CreateFailed(e)| SyncError::Api(e))??;
                Ok(())
            }
            Ok(result) => result,
        }
    }

    /// Carries out the actions in order. The outer error is a failed ReplicaSet create
    /// (the caller re-plans with its outcome); the inner result is everything else.
    async fn apply(
        &self,
        key: &ObjectKey,
        deployment: &Deployment,
        actions: Vec<Action>,
    ) -> Result<Result<(), SyncError>, CreateFailed> {
        let d_api: Api<Deployment> = Api::namespaced(self.client.clone(), &key.namespace);
        let rs_api: Api<ReplicaSet> = Api::namespaced(self.client.clone(), &key.namespace);
        let mut current = deployment.clone();
        for action in actions {
            let result: Result<(), SyncError> = match action {
                Action::CreateReplicaSet(rs) => {
                    match rs_api.create(&PostParams::default(), &rs).await {
                        Ok(_) => Ok(()),
                        Err(e) => return Err(CreateFailed(e)),
                    }
                }
                Action::UpdateReplicaSet(rs) => rs_api
                    .replace(&rs.name_any(), &PostParams::default(), &rs)
                    .await
                    .map(drop)
                    .map_err(Into::into),
                Action::DeleteReplicaSet {
                    name,
                    uid,
                    resource_version,
                } => {
                    let dp = DeleteParams {
                        preconditions: Some(Preconditions {
                            uid: Some(uid),
                            resource_version: Some(resource_version),
                        }),
                        ..Default::default()
                    };
                    match rs_api.delete(&name, &dp).await {
                        Ok(_) => Ok(()),
                        Err(e) if api_error_code(&e) == Some(404) => Ok(()),
                        Err(e) => Err(e.into()),
                    }
                }
                Action::UpdateDeploymentAnnotations(annotations) => {
                    let patch =
                        annotation_patch(current.metadata.annotations.as_ref(), &annotations);
                    match d_api
                        .patch(&key.name, &PatchParams::default(), &Patch::Merge(&patch))
                        .await
                    {
                        Ok(updated) => {
                            current = updated;
                            Ok(())
                        }
                        Err(e) => Err(e.into()),
                    }
                }
                Action::UpdateDeploymentStatus(status) => {
                    let mut target = current.clone();
                    target.status = Some(status);
                    d_api
                        .replace_status(&key.name, &PostParams::default(), &target)
                        .await
                        .map(drop)
                        .map_err(Into::into)
                }
                Action::Event {
                    type_,
                    reason,
                    message,
                } => {
                    let t = if type_ == super::EVENT_WARNING {
                        EventType::Warning
                    } else {
                        EventType::Normal
                    };
                    self.recorder.record(deployment, t, reason, message);
                    Ok(())
                }
                Action::RequeueAfter(delay) => {
                    self.queue
                        .add_after(key.clone(), delay.max(Duration::from_millis(10)));
                    Ok(())
                }
                Action::Requeue => Err(SyncError::Retry),
            };
            if let Err(e) = result {
                return Ok(Err(e));
            }
        }
        Ok(Ok(()))
    }
}

/// A ReplicaSet create that failed (the plan is redone with its outcome).
struct CreateFailed(kube::Error);

/// A merge patch turning `old` annotations into `new` (removed keys become null).
fn annotation_patch(
    old: Option<&BTreeMap<String, String>>,
    new: &BTreeMap<String, String>,
) -> Value {
    let mut annotations = serde_json::Map::new();
    for key in old.into_iter().flat_map(|m| m.keys()) {
        if !new.contains_key(key) {
            annotations.insert(key.clone(), Value::Null);
        }
    }
    for (k, v) in new {
        annotations.insert(k.clone(), json!(v));
    }
    json!({"metadata": {"annotations": annotations}})
}
