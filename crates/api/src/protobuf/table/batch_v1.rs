//! Generated field table: batch/v1.
//! Each static lists one Go struct's fields in declaration order (also the JSON order); the
//! parent module says how the table was produced. Regenerate rather than edit by hand.

use super::*;

pub(crate) static BATCH_V1_CRON_JOB: Message = Message::new(
    "batch/v1.CronJob",
    &[
        TYPE_META,
        omitempty(1, "metadata", Value(Msg(&META_V1_OBJECT_META))),
        omitempty(2, "spec", Value(Msg(&BATCH_V1_CRON_JOB_SPEC))),
        omitempty(3, "status", Value(Msg(&BATCH_V1_CRON_JOB_STATUS))),
    ],
);

pub(crate) static BATCH_V1_CRON_JOB_SPEC: Message = Message::new(
    "batch/v1.CronJobSpec",
    &[
        always(1, "schedule", Value(Str)),
        omitempty(8, "timeZone", Pointer(Str)),
        omitempty(2, "startingDeadlineSeconds", Pointer(Int64)),
        omitempty(3, "concurrencyPolicy", Value(Str)),
        omitempty(4, "suspend", Pointer(Bool)),
        always(5, "jobTemplate", Value(Msg(&BATCH_V1_JOB_TEMPLATE_SPEC))),
        omitempty(6, "successfulJobsHistoryLimit", Pointer(Int32)),
        omitempty(7, "failedJobsHistoryLimit", Pointer(Int32)),
    ],
);

pub(crate) static BATCH_V1_CRON_JOB_STATUS: Message = Message::new(
    "batch/v1.CronJobStatus",
    &[
        omitempty(1, "active", Slice(Msg(&CORE_V1_OBJECT_REFERENCE))),
        omitempty(4, "lastScheduleTime", Pointer(Time)),
        omitempty(5, "lastSuccessfulTime", Pointer(Time)),
    ],
);

pub(crate) static BATCH_V1_JOB: Message = Message::new(
    "batch/v1.Job",
    &[
        TYPE_META,
        omitempty(1, "metadata", Value(Msg(&META_V1_OBJECT_META))),
        omitempty(2, "spec", Value(Msg(&BATCH_V1_JOB_SPEC))),
        omitempty(3, "status", Value(Msg(&BATCH_V1_JOB_STATUS))),
    ],
);

pub(crate) static BATCH_V1_JOB_CONDITION: Message = Message::new(
    "batch/v1.JobCondition",
    &[
        always(1, "type", Value(Str)),
        always(2, "status", Value(Str)),
        omitempty(3, "lastProbeTime", Value(Time)),
        omitempty(4, "lastTransitionTime", Value(Time)),
        omitempty(5, "reason", Value(Str)),
        omitempty(6, "message", Value(Str)),
    ],
);

pub(crate) static BATCH_V1_JOB_SPEC: Message = Message::new(
    "batch/v1.JobSpec",
    &[
        omitempty(1, "parallelism", Pointer(Int32)),
        omitempty(2, "completions", Pointer(Int32)),
        omitempty(3, "activeDeadlineSeconds", Pointer(Int64)),
        omitempty(
            11,
            "podFailurePolicy",
            Pointer(Msg(&BATCH_V1_POD_FAILURE_POLICY)),
        ),
        omitempty(16, "successPolicy", Pointer(Msg(&BATCH_V1_SUCCESS_POLICY))),
        omitempty(7, "backoffLimit", Pointer(Int32)),
        omitempty(12, "backoffLimitPerIndex", Pointer(Int32)),
        omitempty(13, "maxFailedIndexes", Pointer(Int32)),
        omitempty(4, "selector", Pointer(Msg(&META_V1_LABEL_SELECTOR))),
        omitempty(5, "manualSelector", Pointer(Bool)),
        always(6, "template", Value(Msg(&CORE_V1_POD_TEMPLATE_SPEC))),
        omitempty(8, "ttlSecondsAfterFinished", Pointer(Int32)),
        omitempty(9, "completionMode", Pointer(Str)),
        omitempty(10, "suspend", Pointer(Bool)),
        omitempty(14, "podReplacementPolicy", Pointer(Str)),
        omitempty(15, "managedBy", Pointer(Str)),
    ],
);

pub(crate) static BATCH_V1_JOB_STATUS: Message = Message::new(
    "batch/v1.JobStatus",
    &[
        omitempty(1, "conditions", Slice(Msg(&BATCH_V1_JOB_CONDITION))),
        omitempty(2, "startTime", Pointer(Time)),
        omitempty(3, "completionTime", Pointer(Time)),
        omitempty(4, "active", Value(Int32)),
        omitempty(5, "succeeded", Value(Int32)),
        omitempty(6, "failed", Value(Int32)),
        omitempty(11, "terminating", Pointer(Int32)),
        omitempty(7, "completedIndexes", Value(Str)),
        omitempty(10, "failedIndexes", Pointer(Str)),
        omitempty(
            8,
            "uncountedTerminatedPods",
            Pointer(Msg(&BATCH_V1_UNCOUNTED_TERMINATED_PODS)),
        ),
        omitempty(9, "ready", Pointer(Int32)),
    ],
);

pub(crate) static BATCH_V1_JOB_TEMPLATE_SPEC: Message = Message::new(
    "batch/v1.JobTemplateSpec",
    &[
        omitempty(1, "metadata", Value(Msg(&META_V1_OBJECT_META))),
        omitempty(2, "spec", Value(Msg(&BATCH_V1_JOB_SPEC))),
    ],
);

pub(crate) static BATCH_V1_POD_FAILURE_POLICY: Message = Message::new(
    "batch/v1.PodFailurePolicy",
    &[always(
        1,
        "rules",
        Slice(Msg(&BATCH_V1_POD_FAILURE_POLICY_RULE)),
    )],
);

pub(crate) static BATCH_V1_POD_FAILURE_POLICY_ON_EXIT_CODES_REQUIREMENT: Message = Message::new(
    "batch/v1.PodFailurePolicyOnExitCodesRequirement",
    &[
        omitempty(1, "containerName", Pointer(Str)),
        always(2, "operator", Value(Str)),
        always(3, "values", Slice(Int32)),
    ],
);

pub(crate) static BATCH_V1_POD_FAILURE_POLICY_ON_POD_CONDITIONS_PATTERN: Message = Message::new(
    "batch/v1.PodFailurePolicyOnPodConditionsPattern",
    &[
        always(1, "type", Value(Str)),
        always(2, "status", Value(Str)),
    ],
);

pub(crate) static BATCH_V1_POD_FAILURE_POLICY_RULE: Message = Message::new(
    "batch/v1.PodFailurePolicyRule",
    &[
        always(1, "action", Value(Str)),
        omitempty(
            2,
            "onExitCodes",
            Pointer(Msg(&BATCH_V1_POD_FAILURE_POLICY_ON_EXIT_CODES_REQUIREMENT)),
        ),
        omitempty(
            3,
            "onPodConditions",
            Slice(Msg(&BATCH_V1_POD_FAILURE_POLICY_ON_POD_CONDITIONS_PATTERN)),
        ),
    ],
);

pub(crate) static BATCH_V1_SUCCESS_POLICY: Message = Message::new(
    "batch/v1.SuccessPolicy",
    &[always(
        1,
        "rules",
        Slice(Msg(&BATCH_V1_SUCCESS_POLICY_RULE)),
    )],
);

pub(crate) static BATCH_V1_SUCCESS_POLICY_RULE: Message = Message::new(
    "batch/v1.SuccessPolicyRule",
    &[
        omitempty(1, "succeededIndexes", Pointer(Str)),
        omitempty(2, "succeededCount", Pointer(Int32)),
    ],
);

pub(crate) static BATCH_V1_UNCOUNTED_TERMINATED_PODS: Message = Message::new(
    "batch/v1.UncountedTerminatedPods",
    &[
        omitempty(1, "succeeded", Slice(Str)),
        omitempty(2, "failed", Slice(Str)),
    ],
);
