//! Generated field table: policy/v1.
//! Each static lists one Go struct's fields in declaration order (also the JSON order); the
//! parent module says how the table was produced. Regenerate rather than edit by hand.

use super::*;

pub(crate) static POLICY_V1_EVICTION: Message = Message::new(
    "policy/v1.Eviction",
    &[
        TYPE_META,
        omitempty(1, "metadata", Value(Msg(&META_V1_OBJECT_META))),
        omitempty(2, "deleteOptions", Pointer(Msg(&META_V1_DELETE_OPTIONS))),
    ],
);

pub(crate) static POLICY_V1_POD_DISRUPTION_BUDGET: Message = Message::new(
    "policy/v1.PodDisruptionBudget",
    &[
        TYPE_META,
        omitempty(1, "metadata", Value(Msg(&META_V1_OBJECT_META))),
        omitempty(2, "spec", Value(Msg(&POLICY_V1_POD_DISRUPTION_BUDGET_SPEC))),
        omitempty(
            3,
            "status",
            Value(Msg(&POLICY_V1_POD_DISRUPTION_BUDGET_STATUS)),
        ),
    ],
);

pub(crate) static POLICY_V1_POD_DISRUPTION_BUDGET_SPEC: Message = Message::new(
    "policy/v1.PodDisruptionBudgetSpec",
    &[
        omitempty(1, "minAvailable", Pointer(IntOrString)),
        omitempty(2, "selector", Pointer(Msg(&META_V1_LABEL_SELECTOR))),
        omitempty(3, "maxUnavailable", Pointer(IntOrString)),
        omitempty(4, "unhealthyPodEvictionPolicy", Pointer(Str)),
    ],
);

pub(crate) static POLICY_V1_POD_DISRUPTION_BUDGET_STATUS: Message = Message::new(
    "policy/v1.PodDisruptionBudgetStatus",
    &[
        omitempty(1, "observedGeneration", Value(Int64)),
        omitempty(2, "disruptedPods", Map(Time)),
        always(3, "disruptionsAllowed", Value(Int32)),
        always(4, "currentHealthy", Value(Int32)),
        always(5, "desiredHealthy", Value(Int32)),
        always(6, "expectedPods", Value(Int32)),
        omitempty(7, "conditions", Slice(Msg(&META_V1_CONDITION))),
    ],
);
