//! Generated field table: coordination/v1.
//! Each static lists one Go struct's fields in declaration order (also the JSON order); the
//! parent module says how the table was produced. Regenerate rather than edit by hand.

use super::*;

pub(crate) static COORDINATION_V1_LEASE: Message = Message::new(
    "coordination/v1.Lease",
    &[
        TYPE_META,
        omitempty(1, "metadata", Value(Msg(&META_V1_OBJECT_META))),
        omitempty(2, "spec", Value(Msg(&COORDINATION_V1_LEASE_SPEC))),
    ],
);

pub(crate) static COORDINATION_V1_LEASE_SPEC: Message = Message::new(
    "coordination/v1.LeaseSpec",
    &[
        omitempty(1, "holderIdentity", Pointer(Str)),
        omitempty(2, "leaseDurationSeconds", Pointer(Int32)),
        omitempty(3, "acquireTime", Pointer(MicroTime)),
        omitempty(4, "renewTime", Pointer(MicroTime)),
        omitempty(5, "leaseTransitions", Pointer(Int32)),
        omitempty(6, "strategy", Pointer(Str)),
        omitempty(7, "preferredHolder", Pointer(Str)),
    ],
);
