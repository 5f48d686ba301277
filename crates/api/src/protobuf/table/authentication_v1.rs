//! Generated field table: authentication/v1.
//! Each static lists one Go struct's fields in declaration order (also the JSON order); the
//! parent module says how the table was produced. Regenerate rather than edit by hand.

use super::*;

pub(crate) static AUTHENTICATION_V1_BOUND_OBJECT_REFERENCE: Message = Message::new(
    "authentication/v1.BoundObjectReference",
    &[
        omitempty(1, "kind", Value(Str)),
        omitempty(2, "apiVersion", Value(Str)),
        omitempty(3, "name", Value(Str)),
        omitempty(4, "uid", Value(Str)),
    ],
);

pub(crate) static AUTHENTICATION_V1_SELF_SUBJECT_REVIEW: Message = Message::new(
    "authentication/v1.SelfSubjectReview",
    &[
        TYPE_META,
        omitempty(1, "metadata", Value(Msg(&META_V1_OBJECT_META))),
        omitempty(
            2,
            "status",
            Value(Msg(&AUTHENTICATION_V1_SELF_SUBJECT_REVIEW_STATUS)),
        ),
    ],
);

pub(crate) static AUTHENTICATION_V1_SELF_SUBJECT_REVIEW_STATUS: Message = Message::new(
    "authentication/v1.SelfSubjectReviewStatus",
    &[omitempty(
        1,
        "userInfo",
        Value(Msg(&AUTHENTICATION_V1_USER_INFO)),
    )],
);

pub(crate) static AUTHENTICATION_V1_TOKEN_REQUEST: Message = Message::new(
    "authentication/v1.TokenRequest",
    &[
        TYPE_META,
        omitempty(1, "metadata", Value(Msg(&META_V1_OBJECT_META))),
        always(2, "spec", Value(Msg(&AUTHENTICATION_V1_TOKEN_REQUEST_SPEC))),
        omitempty(
            3,
            "status",
            Value(Msg(&AUTHENTICATION_V1_TOKEN_REQUEST_STATUS)),
        ),
    ],
);

pub(crate) static AUTHENTICATION_V1_TOKEN_REQUEST_SPEC: Message = Message::new(
    "authentication/v1.TokenRequestSpec",
    &[
        always(1, "audiences", Slice(Str)),
        always(4, "expirationSeconds", Pointer(Int64)),
        always(
            3,
            "boundObjectRef",
            Pointer(Msg(&AUTHENTICATION_V1_BOUND_OBJECT_REFERENCE)),
        ),
    ],
);

pub(crate) static AUTHENTICATION_V1_TOKEN_REQUEST_STATUS: Message = Message::new(
    "authentication/v1.TokenRequestStatus",
    &[
        always(1, "token", Value(Str)),
        always(2, "expirationTimestamp", Value(Time)),
    ],
);

pub(crate) static AUTHENTICATION_V1_USER_INFO: Message = Message::new(
    "authentication/v1.UserInfo",
    &[
        omitempty(1, "username", Value(Str)),
        omitempty(2, "uid", Value(Str)),
        omitempty(3, "groups", Slice(Str)),
        omitempty(4, "extra", Map(StringList)),
    ],
);
