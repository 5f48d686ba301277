//! Generated field table: autoscaling/v1.
//! Each static lists one Go struct's fields in declaration order (also the JSON order); the
//! parent module says how the table was produced. Regenerate rather than edit by hand.

use super::*;

pub(crate) static AUTOSCALING_V1_CROSS_VERSION_OBJECT_REFERENCE: Message = Message::new(
    "autoscaling/v1.CrossVersionObjectReference",
    &[
        always(1, "kind", Value(Str)),
        always(2, "name", Value(Str)),
        omitempty(3, "apiVersion", Value(Str)),
    ],
);

pub(crate) static AUTOSCALING_V1_HORIZONTAL_POD_AUTOSCALER: Message = Message::new(
    "autoscaling/v1.HorizontalPodAutoscaler",
    &[
        TYPE_META,
        omitempty(1, "metadata", Value(Msg(&META_V1_OBJECT_META))),
        omitempty(
            2,
            "spec",
            Value(Msg(&AUTOSCALING_V1_HORIZONTAL_POD_AUTOSCALER_SPEC)),
        ),
        omitempty(
            3,
            "status",
            Value(Msg(&AUTOSCALING_V1_HORIZONTAL_POD_AUTOSCALER_STATUS)),
        ),
    ],
);

pub(crate) static AUTOSCALING_V1_HORIZONTAL_POD_AUTOSCALER_SPEC: Message = Message::new(
    "autoscaling/v1.HorizontalPodAutoscalerSpec",
    &[
        always(
            1,
            "scaleTargetRef",
            Value(Msg(&AUTOSCALING_V1_CROSS_VERSION_OBJECT_REFERENCE)),
        ),
        omitempty(2, "minReplicas", Pointer(Int32)),
        always(3, "maxReplicas", Value(Int32)),
        omitempty(4, "targetCPUUtilizationPercentage", Pointer(Int32)),
    ],
);

pub(crate) static AUTOSCALING_V1_HORIZONTAL_POD_AUTOSCALER_STATUS: Message = Message::new(
    "autoscaling/v1.HorizontalPodAutoscalerStatus",
    &[
        omitempty(1, "observedGeneration", Pointer(Int64)),
        omitempty(2, "lastScaleTime", Pointer(Time)),
        always(3, "currentReplicas", Value(Int32)),
        always(4, "desiredReplicas", Value(Int32)),
        omitempty(5, "currentCPUUtilizationPercentage", Pointer(Int32)),
    ],
);

pub(crate) static AUTOSCALING_V1_SCALE: Message = Message::new(
    "autoscaling/v1.Scale",
    &[
        TYPE_META,
        omitempty(1, "metadata", Value(Msg(&META_V1_OBJECT_META))),
        omitempty(2, "spec", Value(Msg(&AUTOSCALING_V1_SCALE_SPEC))),
        omitempty(3, "status", Value(Msg(&AUTOSCALING_V1_SCALE_STATUS))),
    ],
);

pub(crate) static AUTOSCALING_V1_SCALE_SPEC: Message = Message::new(
    "autoscaling/v1.ScaleSpec",
    &[omitempty(1, "replicas", Value(Int32))],
);

pub(crate) static AUTOSCALING_V1_SCALE_STATUS: Message = Message::new(
    "autoscaling/v1.ScaleStatus",
    &[
        always(1, "replicas", Value(Int32)),
        omitempty(2, "selector", Value(Str)),
    ],
);
