//! Generated field table: autoscaling/v2.
//! Each static lists one Go struct's fields in declaration order (also the JSON order); the
//! parent module says how the table was produced. Regenerate rather than edit by hand.

use super::*;

pub(crate) static AUTOSCALING_V2_CONTAINER_RESOURCE_METRIC_SOURCE: Message = Message::new(
    "autoscaling/v2.ContainerResourceMetricSource",
    &[
        always(1, "name", Value(Str)),
        always(2, "target", Value(Msg(&AUTOSCALING_V2_METRIC_TARGET))),
        always(3, "container", Value(Str)),
    ],
);

pub(crate) static AUTOSCALING_V2_CONTAINER_RESOURCE_METRIC_STATUS: Message = Message::new(
    "autoscaling/v2.ContainerResourceMetricStatus",
    &[
        always(1, "name", Value(Str)),
        always(
            2,
            "current",
            Value(Msg(&AUTOSCALING_V2_METRIC_VALUE_STATUS)),
        ),
        always(3, "container", Value(Str)),
    ],
);

pub(crate) static AUTOSCALING_V2_CROSS_VERSION_OBJECT_REFERENCE: Message = Message::new(
    "autoscaling/v2.CrossVersionObjectReference",
    &[
        always(1, "kind", Value(Str)),
        always(2, "name", Value(Str)),
        omitempty(3, "apiVersion", Value(Str)),
    ],
);

pub(crate) static AUTOSCALING_V2_EXTERNAL_METRIC_SOURCE: Message = Message::new(
    "autoscaling/v2.ExternalMetricSource",
    &[
        always(1, "metric", Value(Msg(&AUTOSCALING_V2_METRIC_IDENTIFIER))),
        always(2, "target", Value(Msg(&AUTOSCALING_V2_METRIC_TARGET))),
    ],
);

pub(crate) static AUTOSCALING_V2_EXTERNAL_METRIC_STATUS: Message = Message::new(
    "autoscaling/v2.ExternalMetricStatus",
    &[
        always(1, "metric", Value(Msg(&AUTOSCALING_V2_METRIC_IDENTIFIER))),
        always(
            2,
            "current",
            Value(Msg(&AUTOSCALING_V2_METRIC_VALUE_STATUS)),
        ),
    ],
);

pub(crate) static AUTOSCALING_V2_HPA_SCALING_POLICY: Message = Message::new(
    "autoscaling/v2.HPAScalingPolicy",
    &[
        always(1, "type", Value(Str)),
        always(2, "value", Value(Int32)),
        always(3, "periodSeconds", Value(Int32)),
    ],
);

pub(crate) static AUTOSCALING_V2_HPA_SCALING_RULES: Message = Message::new(
    "autoscaling/v2.HPAScalingRules",
    &[
        omitempty(3, "stabilizationWindowSeconds", Pointer(Int32)),
        omitempty(1, "selectPolicy", Pointer(Str)),
        omitempty(
            2,
            "policies",
            Slice(Msg(&AUTOSCALING_V2_HPA_SCALING_POLICY)),
        ),
        omitempty(4, "tolerance", Pointer(Quantity)),
    ],
);

pub(crate) static AUTOSCALING_V2_HORIZONTAL_POD_AUTOSCALER: Message = Message::new(
    "autoscaling/v2.HorizontalPodAutoscaler",
    &[
        TYPE_META,
        omitempty(1, "metadata", Value(Msg(&META_V1_OBJECT_META))),
        omitempty(
            2,
            "spec",
            Value(Msg(&AUTOSCALING_V2_HORIZONTAL_POD_AUTOSCALER_SPEC)),
        ),
        omitempty(
            3,
            "status",
            Value(Msg(&AUTOSCALING_V2_HORIZONTAL_POD_AUTOSCALER_STATUS)),
        ),
    ],
);

pub(crate) static AUTOSCALING_V2_HORIZONTAL_POD_AUTOSCALER_BEHAVIOR: Message = Message::new(
    "autoscaling/v2.HorizontalPodAutoscalerBehavior",
    &[
        omitempty(
            1,
            "scaleUp",
            Pointer(Msg(&AUTOSCALING_V2_HPA_SCALING_RULES)),
        ),
        omitempty(
            2,
            "scaleDown",
            Pointer(Msg(&AUTOSCALING_V2_HPA_SCALING_RULES)),
        ),
    ],
);

pub(crate) static AUTOSCALING_V2_HORIZONTAL_POD_AUTOSCALER_CONDITION: Message = Message::new(
    "autoscaling/v2.HorizontalPodAutoscalerCondition",
    &[
        always(1, "type", Value(Str)),
        always(2, "status", Value(Str)),
        omitempty(3, "lastTransitionTime", Value(Time)),
        omitempty(4, "reason", Value(Str)),
        omitempty(5, "message", Value(Str)),
    ],
);

pub(crate) static AUTOSCALING_V2_HORIZONTAL_POD_AUTOSCALER_SPEC: Message = Message::new(
    "autoscaling/v2.HorizontalPodAutoscalerSpec",
    &[
        always(
            1,
            "scaleTargetRef",
            Value(Msg(&AUTOSCALING_V2_CROSS_VERSION_OBJECT_REFERENCE)),
        ),
        omitempty(2, "minReplicas", Pointer(Int32)),
        always(3, "maxReplicas", Value(Int32)),
        omitempty(4, "metrics", Slice(Msg(&AUTOSCALING_V2_METRIC_SPEC))),
        omitempty(
            5,
            "behavior",
            Pointer(Msg(&AUTOSCALING_V2_HORIZONTAL_POD_AUTOSCALER_BEHAVIOR)),
        ),
    ],
);

pub(crate) static AUTOSCALING_V2_HORIZONTAL_POD_AUTOSCALER_STATUS: Message = Message::new(
    "autoscaling/v2.HorizontalPodAutoscalerStatus",
    &[
        omitempty(1, "observedGeneration", Pointer(Int64)),
        omitempty(2, "lastScaleTime", Pointer(Time)),
        omitempty(3, "currentReplicas", Value(Int32)),
        always(4, "desiredReplicas", Value(Int32)),
        always(
            5,
            "currentMetrics",
            Slice(Msg(&AUTOSCALING_V2_METRIC_STATUS)),
        ),
        omitempty(
            6,
            "conditions",
            Slice(Msg(&AUTOSCALING_V2_HORIZONTAL_POD_AUTOSCALER_CONDITION)),
        ),
    ],
);

pub(crate) static AUTOSCALING_V2_METRIC_IDENTIFIER: Message = Message::new(
    "autoscaling/v2.MetricIdentifier",
    &[
        always(1, "name", Value(Str)),
        omitempty(2, "selector", Pointer(Msg(&META_V1_LABEL_SELECTOR))),
    ],
);

pub(crate) static AUTOSCALING_V2_METRIC_SPEC: Message = Message::new(
    "autoscaling/v2.MetricSpec",
    &[
        always(1, "type", Value(Str)),
        omitempty(
            2,
            "object",
            Pointer(Msg(&AUTOSCALING_V2_OBJECT_METRIC_SOURCE)),
        ),
        omitempty(3, "pods", Pointer(Msg(&AUTOSCALING_V2_PODS_METRIC_SOURCE))),
        omitempty(
            4,
            "resource",
            Pointer(Msg(&AUTOSCALING_V2_RESOURCE_METRIC_SOURCE)),
        ),
        omitempty(
            7,
            "containerResource",
            Pointer(Msg(&AUTOSCALING_V2_CONTAINER_RESOURCE_METRIC_SOURCE)),
        ),
        omitempty(
            5,
            "external",
            Pointer(Msg(&AUTOSCALING_V2_EXTERNAL_METRIC_SOURCE)),
        ),
    ],
);

pub(crate) static AUTOSCALING_V2_METRIC_STATUS: Message = Message::new(
    "autoscaling/v2.MetricStatus",
    &[
        always(1, "type", Value(Str)),
        omitempty(
            2,
            "object",
            Pointer(Msg(&AUTOSCALING_V2_OBJECT_METRIC_STATUS)),
        ),
        omitempty(3, "pods", Pointer(Msg(&AUTOSCALING_V2_PODS_METRIC_STATUS))),
        omitempty(
            4,
            "resource",
            Pointer(Msg(&AUTOSCALING_V2_RESOURCE_METRIC_STATUS)),
        ),
        omitempty(
            7,
            "containerResource",
            Pointer(Msg(&AUTOSCALING_V2_CONTAINER_RESOURCE_METRIC_STATUS)),
        ),
        omitempty(
            5,
            "external",
            Pointer(Msg(&AUTOSCALING_V2_EXTERNAL_METRIC_STATUS)),
        ),
    ],
);

pub(crate) static AUTOSCALING_V2_METRIC_TARGET: Message = Message::new(
    "autoscaling/v2.MetricTarget",
    &[
        always(1, "type", Value(Str)),
        omitempty(2, "value", Pointer(Quantity)),
        omitempty(3, "averageValue", Pointer(Quantity)),
        omitempty(4, "averageUtilization", Pointer(Int32)),
    ],
);

pub(crate) static AUTOSCALING_V2_METRIC_VALUE_STATUS: Message = Message::new(
    "autoscaling/v2.MetricValueStatus",
    &[
        omitempty(1, "value", Pointer(Quantity)),
        omitempty(2, "averageValue", Pointer(Quantity)),
        omitempty(3, "averageUtilization", Pointer(Int32)),
    ],
);

pub(crate) static AUTOSCALING_V2_OBJECT_METRIC_SOURCE: Message = Message::new(
    "autoscaling/v2.ObjectMetricSource",
    &[
        always(
            1,
            "describedObject",
            Value(Msg(&AUTOSCALING_V2_CROSS_VERSION_OBJECT_REFERENCE)),
        ),
        always(2, "target", Value(Msg(&AUTOSCALING_V2_METRIC_TARGET))),
        always(3, "metric", Value(Msg(&AUTOSCALING_V2_METRIC_IDENTIFIER))),
    ],
);

pub(crate) static AUTOSCALING_V2_OBJECT_METRIC_STATUS: Message = Message::new(
    "autoscaling/v2.ObjectMetricStatus",
    &[
        always(1, "metric", Value(Msg(&AUTOSCALING_V2_METRIC_IDENTIFIER))),
        always(
            2,
            "current",
            Value(Msg(&AUTOSCALING_V2_METRIC_VALUE_STATUS)),
        ),
        always(
            3,
            "describedObject",
            Value(Msg(&AUTOSCALING_V2_CROSS_VERSION_OBJECT_REFERENCE)),
        ),
    ],
);

pub(crate) static AUTOSCALING_V2_PODS_METRIC_SOURCE: Message = Message::new(
    "autoscaling/v2.PodsMetricSource",
    &[
        always(1, "metric", Value(Msg(&AUTOSCALING_V2_METRIC_IDENTIFIER))),
        always(2, "target", Value(Msg(&AUTOSCALING_V2_METRIC_TARGET))),
    ],
);

pub(crate) static AUTOSCALING_V2_PODS_METRIC_STATUS: Message = Message::new(
    "autoscaling/v2.PodsMetricStatus",
    &[
        always(1, "metric", Value(Msg(&AUTOSCALING_V2_METRIC_IDENTIFIER))),
        always(
            2,
            "current",
            Value(Msg(&AUTOSCALING_V2_METRIC_VALUE_STATUS)),
        ),
    ],
);

pub(crate) static AUTOSCALING_V2_RESOURCE_METRIC_SOURCE: Message = Message::new(
    "autoscaling/v2.ResourceMetricSource",
    &[
        always(1, "name", Value(Str)),
        always(2, "target", Value(Msg(&AUTOSCALING_V2_METRIC_TARGET))),
    ],
);

pub(crate) static AUTOSCALING_V2_RESOURCE_METRIC_STATUS: Message = Message::new(
    "autoscaling/v2.ResourceMetricStatus",
    &[
        always(1, "name", Value(Str)),
        always(
            2,
            "current",
            Value(Msg(&AUTOSCALING_V2_METRIC_VALUE_STATUS)),
        ),
    ],
);
