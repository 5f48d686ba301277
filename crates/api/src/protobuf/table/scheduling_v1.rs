//! Generated field table: scheduling/v1.
//! Each static lists one Go struct's fields in declaration order (also the JSON order); the
//! parent module says how the table was produced. Regenerate rather than edit by hand.

use super::*;

pub(crate) static SCHEDULING_V1_PRIORITY_CLASS: Message = Message::new(
    "scheduling/v1.PriorityClass",
    &[
        TYPE_META,
        omitempty(1, "metadata", Value(Msg(&META_V1_OBJECT_META))),
        always(2, "value", Value(Int32)),
        omitempty(3, "globalDefault", Value(Bool)),
        omitempty(4, "description", Value(Str)),
        omitempty(5, "preemptionPolicy", Pointer(Str)),
    ],
);
