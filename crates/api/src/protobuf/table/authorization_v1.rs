//! Generated field table: authorization/v1.
//! Each static lists one Go struct's fields in declaration order (also the JSON order); the
//! parent module says how the table was produced. Regenerate rather than edit by hand.

use super::*;

pub(crate) static AUTHORIZATION_V1_FIELD_SELECTOR_ATTRIBUTES: Message = Message::new(
    "authorization/v1.FieldSelectorAttributes",
    &[
        omitempty(1, "rawSelector", Value(Str)),
        omitempty(
            2,
            "requirements",
            Slice(Msg(&META_V1_FIELD_SELECTOR_REQUIREMENT)),
        ),
    ],
);

pub(crate) static AUTHORIZATION_V1_LABEL_SELECTOR_ATTRIBUTES: Message = Message::new(
    "authorization/v1.LabelSelectorAttributes",
    &[
        omitempty(1, "rawSelector", Value(Str)),
        omitempty(
            2,
            "requirements",
            Slice(Msg(&META_V1_LABEL_SELECTOR_REQUIREMENT)),
        ),
    ],
);

pub(crate) static AUTHORIZATION_V1_NON_RESOURCE_ATTRIBUTES: Message = Message::new(
    "authorization/v1.NonResourceAttributes",
    &[
        omitempty(1, "path", Value(Str)),
        omitempty(2, "verb", Value(Str)),
    ],
);

pub(crate) static AUTHORIZATION_V1_NON_RESOURCE_RULE: Message = Message::new(
    "authorization/v1.NonResourceRule",
    &[
        always(1, "verbs", Slice(Str)),
        omitempty(2, "nonResourceURLs", Slice(Str)),
    ],
);

pub(crate) static AUTHORIZATION_V1_RESOURCE_ATTRIBUTES: Message = Message::new(
    "authorization/v1.ResourceAttributes",
    &[
        omitempty(1, "namespace", Value(Str)),
        omitempty(2, "verb", Value(Str)),
        omitempty(3, "group", Value(Str)),
        omitempty(4, "version", Value(Str)),
        omitempty(5, "resource", Value(Str)),
        omitempty(6, "subresource", Value(Str)),
        omitempty(7, "name", Value(Str)),
        omitempty(
            8,
            "fieldSelector",
            Pointer(Msg(&AUTHORIZATION_V1_FIELD_SELECTOR_ATTRIBUTES)),
        ),
        omitempty(
            9,
            "labelSelector",
            Pointer(Msg(&AUTHORIZATION_V1_LABEL_SELECTOR_ATTRIBUTES)),
        ),
    ],
);

pub(crate) static AUTHORIZATION_V1_RESOURCE_RULE: Message = Message::new(
    "authorization/v1.ResourceRule",
    &[
        always(1, "verbs", Slice(Str)),
        omitempty(2, "apiGroups", Slice(Str)),
        omitempty(3, "resources", Slice(Str)),
        omitempty(4, "resourceNames", Slice(Str)),
    ],
);

pub(crate) static AUTHORIZATION_V1_SELF_SUBJECT_ACCESS_REVIEW: Message = Message::new(
    "authorization/v1.SelfSubjectAccessReview",
    &[
        TYPE_META,
        omitempty(1, "metadata", Value(Msg(&META_V1_OBJECT_META))),
        always(
            2,
            "spec",
            Value(Msg(&AUTHORIZATION_V1_SELF_SUBJECT_ACCESS_REVIEW_SPEC)),
        ),
        omitempty(
            3,
            "status",
            Value(Msg(&AUTHORIZATION_V1_SUBJECT_ACCESS_REVIEW_STATUS)),
        ),
    ],
);

pub(crate) static AUTHORIZATION_V1_SELF_SUBJECT_ACCESS_REVIEW_SPEC: Message = Message::new(
    "authorization/v1.SelfSubjectAccessReviewSpec",
    &[
        omitempty(
            1,
            "resourceAttributes",
            Pointer(Msg(&AUTHORIZATION_V1_RESOURCE_ATTRIBUTES)),
        ),
        omitempty(
            2,
            "nonResourceAttributes",
            Pointer(Msg(&AUTHORIZATION_V1_NON_RESOURCE_ATTRIBUTES)),
        ),
    ],
);

pub(crate) static AUTHORIZATION_V1_SELF_SUBJECT_RULES_REVIEW: Message = Message::new(
    "authorization/v1.SelfSubjectRulesReview",
    &[
        TYPE_META,
        omitempty(1, "metadata", Value(Msg(&META_V1_OBJECT_META))),
        always(
            2,
            "spec",
            Value(Msg(&AUTHORIZATION_V1_SELF_SUBJECT_RULES_REVIEW_SPEC)),
        ),
        omitempty(
            3,
            "status",
            Value(Msg(&AUTHORIZATION_V1_SUBJECT_RULES_REVIEW_STATUS)),
        ),
    ],
);

pub(crate) static AUTHORIZATION_V1_SELF_SUBJECT_RULES_REVIEW_SPEC: Message = Message::new(
    "authorization/v1.SelfSubjectRulesReviewSpec",
    &[omitempty(1, "namespace", Value(Str))],
);

pub(crate) static AUTHORIZATION_V1_SUBJECT_ACCESS_REVIEW_STATUS: Message = Message::new(
    "authorization/v1.SubjectAccessReviewStatus",
    &[
        always(1, "allowed", Value(Bool)),
        omitempty(4, "denied", Value(Bool)),
        omitempty(2, "reason", Value(Str)),
        omitempty(3, "evaluationError", Value(Str)),
    ],
);

pub(crate) static AUTHORIZATION_V1_SUBJECT_RULES_REVIEW_STATUS: Message = Message::new(
    "authorization/v1.SubjectRulesReviewStatus",
    &[
        always(
            1,
            "resourceRules",
            Slice(Msg(&AUTHORIZATION_V1_RESOURCE_RULE)),
        ),
        always(
            2,
            "nonResourceRules",
            Slice(Msg(&AUTHORIZATION_V1_NON_RESOURCE_RULE)),
        ),
        always(3, "incomplete", Value(Bool)),
        omitempty(4, "evaluationError", Value(Str)),
    ],
);
