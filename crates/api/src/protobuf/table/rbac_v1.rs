//! Generated field table: rbac/v1.
//! Each static lists one Go struct's fields in declaration order (also the JSON order); the
//! parent module says how the table was produced. Regenerate rather than edit by hand.

use super::*;

pub(crate) static RBAC_V1_AGGREGATION_RULE: Message = Message::new(
    "rbac/v1.AggregationRule",
    &[omitempty(
        1,
        "clusterRoleSelectors",
        Slice(Msg(&META_V1_LABEL_SELECTOR)),
    )],
);

pub(crate) static RBAC_V1_CLUSTER_ROLE: Message = Message::new(
    "rbac/v1.ClusterRole",
    &[
        TYPE_META,
        omitempty(1, "metadata", Value(Msg(&META_V1_OBJECT_META))),
        always(2, "rules", Slice(Msg(&RBAC_V1_POLICY_RULE))),
        omitempty(
            3,
            "aggregationRule",
            Pointer(Msg(&RBAC_V1_AGGREGATION_RULE)),
        ),
    ],
);

pub(crate) static RBAC_V1_CLUSTER_ROLE_BINDING: Message = Message::new(
    "rbac/v1.ClusterRoleBinding",
    &[
        TYPE_META,
        omitempty(1, "metadata", Value(Msg(&META_V1_OBJECT_META))),
        omitempty(2, "subjects", Slice(Msg(&RBAC_V1_SUBJECT))),
        always(3, "roleRef", Value(Msg(&RBAC_V1_ROLE_REF))),
    ],
);

pub(crate) static RBAC_V1_POLICY_RULE: Message = Message::new(
    "rbac/v1.PolicyRule",
    &[
        always(1, "verbs", Slice(Str)),
        omitempty(2, "apiGroups", Slice(Str)),
        omitempty(3, "resources", Slice(Str)),
        omitempty(4, "resourceNames", Slice(Str)),
        omitempty(5, "nonResourceURLs", Slice(Str)),
    ],
);

pub(crate) static RBAC_V1_ROLE: Message = Message::new(
    "rbac/v1.Role",
    &[
        TYPE_META,
        omitempty(1, "metadata", Value(Msg(&META_V1_OBJECT_META))),
        always(2, "rules", Slice(Msg(&RBAC_V1_POLICY_RULE))),
    ],
);

pub(crate) static RBAC_V1_ROLE_BINDING: Message = Message::new(
    "rbac/v1.RoleBinding",
    &[
        TYPE_META,
        omitempty(1, "metadata", Value(Msg(&META_V1_OBJECT_META))),
        omitempty(2, "subjects", Slice(Msg(&RBAC_V1_SUBJECT))),
        always(3, "roleRef", Value(Msg(&RBAC_V1_ROLE_REF))),
    ],
);

pub(crate) static RBAC_V1_ROLE_REF: Message = Message::new(
    "rbac/v1.RoleRef",
    &[
        always(1, "apiGroup", Value(Str)),
        always(2, "kind", Value(Str)),
        always(3, "name", Value(Str)),
    ],
);

pub(crate) static RBAC_V1_SUBJECT: Message = Message::new(
    "rbac/v1.Subject",
    &[
        always(1, "kind", Value(Str)),
        omitempty(2, "apiGroup", Value(Str)),
        always(3, "name", Value(Str)),
        omitempty(4, "namespace", Value(Str)),
    ],
);
