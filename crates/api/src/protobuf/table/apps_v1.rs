//! Generated field table: apps/v1.
//! Each static lists one Go struct's fields in declaration order (also the JSON order); the
//! parent module says how the table was produced. Regenerate rather than edit by hand.

use super::*;

pub(crate) static APPS_V1_DAEMON_SET: Message = Message::new(
    "apps/v1.DaemonSet",
    &[
        TYPE_META,
        omitempty(1, "metadata", Value(Msg(&META_V1_OBJECT_META))),
        omitempty(2, "spec", Value(Msg(&APPS_V1_DAEMON_SET_SPEC))),
        omitempty(3, "status", Value(Msg(&APPS_V1_DAEMON_SET_STATUS))),
    ],
);

pub(crate) static APPS_V1_DAEMON_SET_CONDITION: Message = Message::new(
    "apps/v1.DaemonSetCondition",
    &[
        always(1, "type", Value(Str)),
        always(2, "status", Value(Str)),
        omitempty(3, "lastTransitionTime", Value(Time)),
        omitempty(4, "reason", Value(Str)),
        omitempty(5, "message", Value(Str)),
    ],
);

pub(crate) static APPS_V1_DAEMON_SET_SPEC: Message = Message::new(
    "apps/v1.DaemonSetSpec",
    &[
        always(1, "selector", Pointer(Msg(&META_V1_LABEL_SELECTOR))),
        always(2, "template", Value(Msg(&CORE_V1_POD_TEMPLATE_SPEC))),
        omitempty(
            3,
            "updateStrategy",
            Value(Msg(&APPS_V1_DAEMON_SET_UPDATE_STRATEGY)),
        ),
        omitempty(4, "minReadySeconds", Value(Int32)),
        omitempty(6, "revisionHistoryLimit", Pointer(Int32)),
    ],
);

pub(crate) static APPS_V1_DAEMON_SET_STATUS: Message = Message::new(
    "apps/v1.DaemonSetStatus",
    &[
        always(1, "currentNumberScheduled", Value(Int32)),
        always(2, "numberMisscheduled", Value(Int32)),
        always(3, "desiredNumberScheduled", Value(Int32)),
        always(4, "numberReady", Value(Int32)),
        omitempty(5, "observedGeneration", Value(Int64)),
        omitempty(6, "updatedNumberScheduled", Value(Int32)),
        omitempty(7, "numberAvailable", Value(Int32)),
        omitempty(8, "numberUnavailable", Value(Int32)),
        omitempty(9, "collisionCount", Pointer(Int32)),
        omitempty(10, "conditions", Slice(Msg(&APPS_V1_DAEMON_SET_CONDITION))),
    ],
);

pub(crate) static APPS_V1_DAEMON_SET_UPDATE_STRATEGY: Message = Message::new(
    "apps/v1.DaemonSetUpdateStrategy",
    &[
        omitempty(1, "type", Value(Str)),
        omitempty(
            2,
            "rollingUpdate",
            Pointer(Msg(&APPS_V1_ROLLING_UPDATE_DAEMON_SET)),
        ),
    ],
);

pub(crate) static APPS_V1_DEPLOYMENT: Message = Message::new(
    "apps/v1.Deployment",
    &[
        TYPE_META,
        omitempty(1, "metadata", Value(Msg(&META_V1_OBJECT_META))),
        omitempty(2, "spec", Value(Msg(&APPS_V1_DEPLOYMENT_SPEC))),
        omitempty(3, "status", Value(Msg(&APPS_V1_DEPLOYMENT_STATUS))),
    ],
);

pub(crate) static APPS_V1_DEPLOYMENT_CONDITION: Message = Message::new(
    "apps/v1.DeploymentCondition",
    &[
        always(1, "type", Value(Str)),
        always(2, "status", Value(Str)),
        omitempty(6, "lastUpdateTime", Value(Time)),
        omitempty(7, "lastTransitionTime", Value(Time)),
        omitempty(4, "reason", Value(Str)),
        omitempty(5, "message", Value(Str)),
    ],
);

pub(crate) static APPS_V1_DEPLOYMENT_SPEC: Message = Message::new(
    "apps/v1.DeploymentSpec",
    &[
        omitempty(1, "replicas", Pointer(Int32)),
        always(2, "selector", Pointer(Msg(&META_V1_LABEL_SELECTOR))),
        always(3, "template", Value(Msg(&CORE_V1_POD_TEMPLATE_SPEC))),
        omitempty(4, "strategy", Value(Msg(&APPS_V1_DEPLOYMENT_STRATEGY))),
        omitempty(5, "minReadySeconds", Value(Int32)),
        omitempty(6, "revisionHistoryLimit", Pointer(Int32)),
        omitempty(7, "paused", Value(Bool)),
        omitempty(9, "progressDeadlineSeconds", Pointer(Int32)),
    ],
);

pub(crate) static APPS_V1_DEPLOYMENT_STATUS: Message = Message::new(
    "apps/v1.DeploymentStatus",
    &[
        omitempty(1, "observedGeneration", Value(Int64)),
        omitempty(2, "replicas", Value(Int32)),
        omitempty(3, "updatedReplicas", Value(Int32)),
        omitempty(7, "readyReplicas", Value(Int32)),
        omitempty(4, "availableReplicas", Value(Int32)),
        omitempty(5, "unavailableReplicas", Value(Int32)),
        omitempty(9, "terminatingReplicas", Pointer(Int32)),
        omitempty(6, "conditions", Slice(Msg(&APPS_V1_DEPLOYMENT_CONDITION))),
        omitempty(8, "collisionCount", Pointer(Int32)),
    ],
);

pub(crate) static APPS_V1_DEPLOYMENT_STRATEGY: Message = Message::new(
    "apps/v1.DeploymentStrategy",
    &[
        omitempty(1, "type", Value(Str)),
        omitempty(
            2,
            "rollingUpdate",
            Pointer(Msg(&APPS_V1_ROLLING_UPDATE_DEPLOYMENT)),
        ),
    ],
);

pub(crate) static APPS_V1_REPLICA_SET: Message = Message::new(
    "apps/v1.ReplicaSet",
    &[
        TYPE_META,
        omitempty(1, "metadata", Value(Msg(&META_V1_OBJECT_META))),
        omitempty(2, "spec", Value(Msg(&APPS_V1_REPLICA_SET_SPEC))),
        omitempty(3, "status", Value(Msg(&APPS_V1_REPLICA_SET_STATUS))),
    ],
);

pub(crate) static APPS_V1_REPLICA_SET_CONDITION: Message = Message::new(
    "apps/v1.ReplicaSetCondition",
    &[
        always(1, "type", Value(Str)),
        always(2, "status", Value(Str)),
        omitempty(3, "lastTransitionTime", Value(Time)),
        omitempty(4, "reason", Value(Str)),
        omitempty(5, "message", Value(Str)),
    ],
);

pub(crate) static APPS_V1_REPLICA_SET_SPEC: Message = Message::new(
    "apps/v1.ReplicaSetSpec",
    &[
        omitempty(1, "replicas", Pointer(Int32)),
        omitempty(4, "minReadySeconds", Value(Int32)),
        always(2, "selector", Pointer(Msg(&META_V1_LABEL_SELECTOR))),
        omitempty(3, "template", Value(Msg(&CORE_V1_POD_TEMPLATE_SPEC))),
    ],
);

pub(crate) static APPS_V1_REPLICA_SET_STATUS: Message = Message::new(
    "apps/v1.ReplicaSetStatus",
    &[
        always(1, "replicas", Value(Int32)),
        omitempty(2, "fullyLabeledReplicas", Value(Int32)),
        omitempty(4, "readyReplicas", Value(Int32)),
        omitempty(5, "availableReplicas", Value(Int32)),
        omitempty(7, "terminatingReplicas", Pointer(Int32)),
        omitempty(3, "observedGeneration", Value(Int64)),
        omitempty(6, "conditions", Slice(Msg(&APPS_V1_REPLICA_SET_CONDITION))),
    ],
);

pub(crate) static APPS_V1_ROLLING_UPDATE_DAEMON_SET: Message = Message::new(
    "apps/v1.RollingUpdateDaemonSet",
    &[
        omitempty(1, "maxUnavailable", Pointer(IntOrString)),
        omitempty(2, "maxSurge", Pointer(IntOrString)),
    ],
);

pub(crate) static APPS_V1_ROLLING_UPDATE_DEPLOYMENT: Message = Message::new(
    "apps/v1.RollingUpdateDeployment",
    &[
        omitempty(1, "maxUnavailable", Pointer(IntOrString)),
        omitempty(2, "maxSurge", Pointer(IntOrString)),
    ],
);

pub(crate) static APPS_V1_ROLLING_UPDATE_STATEFUL_SET_STRATEGY: Message = Message::new(
    "apps/v1.RollingUpdateStatefulSetStrategy",
    &[
        omitempty(1, "partition", Pointer(Int32)),
        omitempty(2, "maxUnavailable", Pointer(IntOrString)),
    ],
);

pub(crate) static APPS_V1_STATEFUL_SET: Message = Message::new(
    "apps/v1.StatefulSet",
    &[
        TYPE_META,
        omitempty(1, "metadata", Value(Msg(&META_V1_OBJECT_META))),
        omitempty(2, "spec", Value(Msg(&APPS_V1_STATEFUL_SET_SPEC))),
        omitempty(3, "status", Value(Msg(&APPS_V1_STATEFUL_SET_STATUS))),
    ],
);

pub(crate) static APPS_V1_STATEFUL_SET_CONDITION: Message = Message::new(
    "apps/v1.StatefulSetCondition",
    &[
        always(1, "type", Value(Str)),
        always(2, "status", Value(Str)),
        omitempty(3, "lastTransitionTime", Value(Time)),
        omitempty(4, "reason", Value(Str)),
        omitempty(5, "message", Value(Str)),
    ],
);

pub(crate) static APPS_V1_STATEFUL_SET_ORDINALS: Message = Message::new(
    "apps/v1.StatefulSetOrdinals",
    &[always(1, "start", Value(Int32))],
);

pub(crate) static APPS_V1_STATEFUL_SET_PERSISTENT_VOLUME_CLAIM_RETENTION_POLICY: Message =
    Message::new(
        "apps/v1.StatefulSetPersistentVolumeClaimRetentionPolicy",
        &[
            omitempty(1, "whenDeleted", Value(Str)),
            omitempty(2, "whenScaled", Value(Str)),
        ],
    );

pub(crate) static APPS_V1_STATEFUL_SET_SPEC: Message = Message::new(
    "apps/v1.StatefulSetSpec",
    &[
        omitempty(1, "replicas", Pointer(Int32)),
        always(2, "selector", Pointer(Msg(&META_V1_LABEL_SELECTOR))),
        always(3, "template", Value(Msg(&CORE_V1_POD_TEMPLATE_SPEC))),
        omitempty(
            4,
            "volumeClaimTemplates",
            Slice(Msg(&CORE_V1_PERSISTENT_VOLUME_CLAIM)),
        ),
        always(5, "serviceName", Value(Str)),
        omitempty(6, "podManagementPolicy", Value(Str)),
        omitempty(
            7,
            "updateStrategy",
            Value(Msg(&APPS_V1_STATEFUL_SET_UPDATE_STRATEGY)),
        ),
        omitempty(8, "revisionHistoryLimit", Pointer(Int32)),
        omitempty(9, "minReadySeconds", Value(Int32)),
        omitempty(
            10,
            "persistentVolumeClaimRetentionPolicy",
            Pointer(Msg(
                &APPS_V1_STATEFUL_SET_PERSISTENT_VOLUME_CLAIM_RETENTION_POLICY,
            )),
        ),
        omitempty(11, "ordinals", Pointer(Msg(&APPS_V1_STATEFUL_SET_ORDINALS))),
    ],
);

pub(crate) static APPS_V1_STATEFUL_SET_STATUS: Message = Message::new(
    "apps/v1.StatefulSetStatus",
    &[
        omitempty(1, "observedGeneration", Value(Int64)),
        always(2, "replicas", Value(Int32)),
        omitempty(3, "readyReplicas", Value(Int32)),
        omitempty(4, "currentReplicas", Value(Int32)),
        omitempty(5, "updatedReplicas", Value(Int32)),
        omitempty(6, "currentRevision", Value(Str)),
        omitempty(7, "updateRevision", Value(Str)),
        omitempty(9, "collisionCount", Pointer(Int32)),
        omitempty(
            10,
            "conditions",
            Slice(Msg(&APPS_V1_STATEFUL_SET_CONDITION)),
        ),
        always(11, "availableReplicas", Value(Int32)),
    ],
);

pub(crate) static APPS_V1_STATEFUL_SET_UPDATE_STRATEGY: Message = Message::new(
    "apps/v1.StatefulSetUpdateStrategy",
    &[
        omitempty(1, "type", Value(Str)),
        omitempty(
            2,
            "rollingUpdate",
            Pointer(Msg(&APPS_V1_ROLLING_UPDATE_STATEFUL_SET_STRATEGY)),
        ),
    ],
);
