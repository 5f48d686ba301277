//! Generated field table: networking/v1.
//! Each static lists one Go struct's fields in declaration order (also the JSON order); the
//! parent module says how the table was produced. Regenerate rather than edit by hand.

use super::*;

pub(crate) static NETWORKING_V1_HTTP_INGRESS_PATH: Message = Message::new(
    "networking/v1.HTTPIngressPath",
    &[
        omitempty(1, "path", Value(Str)),
        always(3, "pathType", Pointer(Str)),
        always(2, "backend", Value(Msg(&NETWORKING_V1_INGRESS_BACKEND))),
    ],
);

pub(crate) static NETWORKING_V1_HTTP_INGRESS_RULE_VALUE: Message = Message::new(
    "networking/v1.HTTPIngressRuleValue",
    &[always(
        1,
        "paths",
        Slice(Msg(&NETWORKING_V1_HTTP_INGRESS_PATH)),
    )],
);

pub(crate) static NETWORKING_V1_INGRESS: Message = Message::new(
    "networking/v1.Ingress",
    &[
        TYPE_META,
        omitempty(1, "metadata", Value(Msg(&META_V1_OBJECT_META))),
        omitempty(2, "spec", Value(Msg(&NETWORKING_V1_INGRESS_SPEC))),
        omitempty(3, "status", Value(Msg(&NETWORKING_V1_INGRESS_STATUS))),
    ],
);

pub(crate) static NETWORKING_V1_INGRESS_BACKEND: Message = Message::new(
    "networking/v1.IngressBackend",
    &[
        omitempty(
            4,
            "service",
            Pointer(Msg(&NETWORKING_V1_INGRESS_SERVICE_BACKEND)),
        ),
        omitempty(
            3,
            "resource",
            Pointer(Msg(&CORE_V1_TYPED_LOCAL_OBJECT_REFERENCE)),
        ),
    ],
);

pub(crate) static NETWORKING_V1_INGRESS_LOAD_BALANCER_INGRESS: Message = Message::new(
    "networking/v1.IngressLoadBalancerIngress",
    &[
        omitempty(1, "ip", Value(Str)),
        omitempty(2, "hostname", Value(Str)),
        omitempty(4, "ports", Slice(Msg(&NETWORKING_V1_INGRESS_PORT_STATUS))),
    ],
);

pub(crate) static NETWORKING_V1_INGRESS_LOAD_BALANCER_STATUS: Message = Message::new(
    "networking/v1.IngressLoadBalancerStatus",
    &[omitempty(
        1,
        "ingress",
        Slice(Msg(&NETWORKING_V1_INGRESS_LOAD_BALANCER_INGRESS)),
    )],
);

pub(crate) static NETWORKING_V1_INGRESS_PORT_STATUS: Message = Message::new(
    "networking/v1.IngressPortStatus",
    &[
        always(1, "port", Value(Int32)),
        always(2, "protocol", Value(Str)),
        omitempty(3, "error", Pointer(Str)),
    ],
);

pub(crate) static NETWORKING_V1_INGRESS_RULE: Message = Message::new(
    "networking/v1.IngressRule",
    &[
        omitempty(1, "host", Value(Str)),
        inline(2, &NETWORKING_V1_INGRESS_RULE_VALUE),
    ],
);

pub(crate) static NETWORKING_V1_INGRESS_RULE_VALUE: Message = Message::new(
    "networking/v1.IngressRuleValue",
    &[omitempty(
        1,
        "http",
        Pointer(Msg(&NETWORKING_V1_HTTP_INGRESS_RULE_VALUE)),
    )],
);

pub(crate) static NETWORKING_V1_INGRESS_SERVICE_BACKEND: Message = Message::new(
    "networking/v1.IngressServiceBackend",
    &[
        always(1, "name", Value(Str)),
        omitempty(2, "port", Value(Msg(&NETWORKING_V1_SERVICE_BACKEND_PORT))),
    ],
);

pub(crate) static NETWORKING_V1_INGRESS_SPEC: Message = Message::new(
    "networking/v1.IngressSpec",
    &[
        omitempty(4, "ingressClassName", Pointer(Str)),
        omitempty(
            1,
            "defaultBackend",
            Pointer(Msg(&NETWORKING_V1_INGRESS_BACKEND)),
        ),
        omitempty(2, "tls", Slice(Msg(&NETWORKING_V1_INGRESS_TLS))),
        omitempty(3, "rules", Slice(Msg(&NETWORKING_V1_INGRESS_RULE))),
    ],
);

pub(crate) static NETWORKING_V1_INGRESS_STATUS: Message = Message::new(
    "networking/v1.IngressStatus",
    &[omitempty(
        1,
        "loadBalancer",
        Value(Msg(&NETWORKING_V1_INGRESS_LOAD_BALANCER_STATUS)),
    )],
);

pub(crate) static NETWORKING_V1_INGRESS_TLS: Message = Message::new(
    "networking/v1.IngressTLS",
    &[
        omitempty(1, "hosts", Slice(Str)),
        omitempty(2, "secretName", Value(Str)),
    ],
);

pub(crate) static NETWORKING_V1_SERVICE_BACKEND_PORT: Message = Message::new(
    "networking/v1.ServiceBackendPort",
    &[
        omitempty(1, "name", Value(Str)),
        omitempty(2, "number", Value(Int32)),
    ],
);
