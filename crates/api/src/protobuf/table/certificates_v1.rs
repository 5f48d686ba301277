//! Field table: certificates/v1. Unlike its siblings this one was written by hand (no
//! kubectl build was at hand to regenerate from), from the Go structs of k8s.io/api
//! certificates/v1 — field order, `json` and `protobuf` tags — for `kubectl certificate
//! approve|deny`, which sends the CertificateSigningRequest as protobuf. The end-to-end
//! test `security::an_approved_client_csr_is_signed_and_its_certificate_authenticates`
//! decodes a real kubectl body with it.

use super::*;

pub(crate) static CERTIFICATES_V1_CERTIFICATE_SIGNING_REQUEST: Message = Message::new(
    "certificates/v1.CertificateSigningRequest",
    &[
        TYPE_META,
        omitempty(1, "metadata", Value(Msg(&META_V1_OBJECT_META))),
        always(
            2,
            "spec",
            Value(Msg(&CERTIFICATES_V1_CERTIFICATE_SIGNING_REQUEST_SPEC)),
        ),
        omitempty(
            3,
            "status",
            Value(Msg(&CERTIFICATES_V1_CERTIFICATE_SIGNING_REQUEST_STATUS)),
        ),
    ],
);

pub(crate) static CERTIFICATES_V1_CERTIFICATE_SIGNING_REQUEST_SPEC: Message = Message::new(
    "certificates/v1.CertificateSigningRequestSpec",
    &[
        always(1, "request", Value(Bytes)),
        always(7, "signerName", Value(Str)),
        omitempty(8, "expirationSeconds", Pointer(Int32)),
        omitempty(5, "usages", Slice(Str)),
        omitempty(2, "username", Value(Str)),
        omitempty(3, "uid", Value(Str)),
        omitempty(4, "groups", Slice(Str)),
        omitempty(6, "extra", Map(StringList)),
    ],
);

pub(crate) static CERTIFICATES_V1_CERTIFICATE_SIGNING_REQUEST_STATUS: Message = Message::new(
    "certificates/v1.CertificateSigningRequestStatus",
    &[
        omitempty(
            1,
            "conditions",
            Slice(Msg(&CERTIFICATES_V1_CERTIFICATE_SIGNING_REQUEST_CONDITION)),
        ),
        omitempty(2, "certificate", Value(Bytes)),
    ],
);

pub(crate) static CERTIFICATES_V1_CERTIFICATE_SIGNING_REQUEST_CONDITION: Message = Message::new(
    "certificates/v1.CertificateSigningRequestCondition",
    &[
        always(1, "type", Value(Str)),
        always(6, "status", Value(Str)),
        omitempty(2, "reason", Value(Str)),
        omitempty(3, "message", Value(Str)),
        omitempty(4, "lastUpdateTime", Value(Time)),
        omitempty(5, "lastTransitionTime", Value(Time)),
    ],
);
