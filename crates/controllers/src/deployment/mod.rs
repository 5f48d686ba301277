//! Pure decision logic of upstream's Deployment controller
//! (`pkg/controller/deployment/{deployment_controller,rolling,recreate,sync,progress}.go`
//! and `util/deployment_util.go`), over k8s-openapi types, with no IO.
//!
//! The controller loop fetches a [`DeploymentState`] (the Deployment, the
//! ReplicaSets it controls, its pods, the current time), calls
//! [`sync_deployment`], and applies the returned [`Action`]s **in order**,
//! stopping at the first failed API call and requeueing with rate limiting, as
//! upstream returns an error at that point. One call is one upstream
//! `syncDeployment`: at most one rollout step.
//!
//! Deviations from upstream, all deliberate:
//! * upstream writes `UpdateStatus` up to three times in one sync, each with
//!   the same stale resourceVersion so all but the first fail with a conflict
//!   and force a requeue; we coalesce them into one final status write that
//!   carries every change.
//! * within one sync we apply our own ReplicaSet updates to working copies, so
//!   a second `getAllReplicaSetsAndSyncRevision` sees its first call's result
//!   (upstream sees its stale cache, fails with a conflict and requeues).
//! * the `pod-template-hash` value differs (see [`hash`]); identity is by
//!   template equality, as upstream.

pub mod controller;
pub mod hash;
pub mod progress;
pub mod recreate;
pub mod rolling;
pub mod sync;
pub mod util;

mod syncer;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod testutil;

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentStatus, ReplicaSet};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::jiff::Timestamp;

pub use syncer::{sync_deployment, sync_deployment_with_create_outcome};

/// Revision annotation on the Deployment and each of its ReplicaSets.
pub const REVISION_ANNOTATION: &str = "deployment.kubernetes.io/revision";
/// Comma list of earlier revisions a reused ReplicaSet served.
pub const REVISION_HISTORY_ANNOTATION: &str = "deployment.kubernetes.io/revision-history";
/// `spec.replicas` of the Deployment when the ReplicaSet was last scaled.
pub const DESIRED_REPLICAS_ANNOTATION: &str = "deployment.kubernetes.io/desired-replicas";
/// `spec.replicas + maxSurge` when the ReplicaSet was last scaled.
pub const MAX_REPLICAS_ANNOTATION: &str = "deployment.kubernetes.io/max-replicas";
/// Legacy server-side rollback request (extensions/v1beta1, apps/v1beta1 only).
pub const DEPRECATED_ROLLBACK_TO: &str = "deprecated.deployment.rollback.to";
/// Written by `kubectl apply`; never copied to ReplicaSets.
pub const LAST_APPLIED_CONFIG_ANNOTATION: &str = "kubectl.kubernetes.io/last-applied-configuration";
/// Label (and selector key) that separates the ReplicaSets of one Deployment.
pub const DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY: &str = "pod-template-hash";
/// `revision-history` is capped at this many characters (oldest entries dropped).
pub const MAX_REV_HISTORY_LENGTH_IN_CHARS: usize = 2000;

/// Progressing reason: a ReplicaSet was scaled as part of the rollout.
pub const REPLICA_SET_UPDATED_REASON: &str = "ReplicaSetUpdated";
/// Progressing reason (status False) and Warning event: creating the new ReplicaSet failed.
pub const FAILED_RS_CREATE_REASON: &str = "ReplicaSetCreateError";
/// Progressing reason: the new ReplicaSet was created.
pub const NEW_REPLICA_SET_REASON: &str = "NewReplicaSetCreated";
/// Progressing reason: an existing ReplicaSet was found to be the new one.
pub const FOUND_NEW_RS_REASON: &str = "FoundNewReplicaSet";
/// Progressing reason: the rollout completed.
pub const NEW_RS_AVAILABLE_REASON: &str = "NewReplicaSetAvailable";
/// Progressing reason (status False): no progress within `progressDeadlineSeconds`.
pub const TIMED_OUT_REASON: &str = "ProgressDeadlineExceeded";
/// Progressing reason (status Unknown) while paused.
pub const PAUSED_DEPLOY_REASON: &str = "DeploymentPaused";
/// Progressing reason (status Unknown) after resume.
pub const RESUMED_DEPLOY_REASON: &str = "DeploymentResumed";
/// Available reason when `available >= replicas - maxUnavailable`.
pub const MINIMUM_REPLICAS_AVAILABLE: &str = "MinimumReplicasAvailable";
/// Available reason otherwise.
pub const MINIMUM_REPLICAS_UNAVAILABLE: &str = "MinimumReplicasUnavailable";

/// Condition types.
pub const CONDITION_AVAILABLE: &str = "Available";
pub const CONDITION_PROGRESSING: &str = "Progressing";
pub const CONDITION_REPLICA_FAILURE: &str = "ReplicaFailure";

/// Event reasons and types.
pub const SCALING_REPLICA_SET_REASON: &str = "ScalingReplicaSet";
pub const SELECTING_ALL_REASON: &str = "SelectingAll";
pub const EVENT_NORMAL: &str = "Normal";
pub const EVENT_WARNING: &str = "Warning";

/// Everything one sync of a Deployment sees.
#[derive(Clone, Debug)]
pub struct DeploymentState<'a> {
    pub deployment: &'a Deployment,
    /// ReplicaSets controlled by the Deployment, after adoption/release
    /// (`replicaset::logic::claim_decision` with the Deployment's selector).
    pub replica_sets: Vec<&'a ReplicaSet>,
    /// Pods matching the Deployment's selector; only Recreate reads them (to
    /// wait until no old pod runs). Pods are attributed to a ReplicaSet by
    /// their controller reference.
    pub pods: Vec<&'a Pod>,
    pub now: Timestamp,
}

/// One API effect the controller loop must perform, in list order.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Create this ReplicaSet (name `<deployment>-<hash>`, labels and selector
    /// carrying `pod-template-hash`, controller owner reference, annotations,
    /// replicas, minReadySeconds). Always the first action when present. If
    /// the create fails, call [`sync_deployment_with_create_outcome`] with the
    /// same state and apply that result instead of the rest of this list.
    CreateReplicaSet(ReplicaSet),
    /// Replace this ReplicaSet (whole object, with the resourceVersion it was
    /// read at, so a concurrent change fails with a conflict).
    UpdateReplicaSet(ReplicaSet),
    /// Delete an old ReplicaSet (history cleanup).
    DeleteReplicaSet {
        name: String,
        uid: String,
        resource_version: String,
    },
    /// New `metadata.annotations` of the Deployment (revision sync). Upstream
    /// writes them through the status subresource together with the status.
    UpdateDeploymentAnnotations(BTreeMap<String, String>),
    /// New status for the Deployment (`PUT .../status`).
    UpdateDeploymentStatus(DeploymentStatus),
    /// Record an event on the Deployment (source `deployment-controller`).
    Event {
        type_: &'static str,
        reason: &'static str,
        message: String,
    },
    /// Sync this Deployment again after the delay (progress-deadline check).
    RequeueAfter(Duration),
    /// Sync again with rate limiting: upstream returned an error here.
    Requeue,
}

/// What happened to the `CreateReplicaSet` of a previous [`sync_deployment`] call.
#[derive(Clone, Debug)]
pub enum CreateOutcome<'a> {
    /// Plan assuming the create succeeds (the normal first pass).
    Created,
    /// The name is taken; this is the ReplicaSet now stored under it. If it is
    /// ours with an equal template the rollout continues with it; otherwise
    /// it is a hash collision and `status.collisionCount` is bumped.
    AlreadyExists(&'a ReplicaSet),
    /// The namespace is terminating: nothing to do.
    NamespaceTerminating,
    /// Any other error (its message): Progressing=False `ReplicaSetCreateError`
    /// plus a Warning event.
    Failed(String),
}
