//! Generated field table: events/v1.
//! Each static lists one Go struct's fields in declaration order (also the JSON order); the
//! parent module says how the table was produced. Regenerate rather than edit by hand.

use super::*;

pub(crate) static EVENTS_V1_EVENT: Message = Message::new(
    "events/v1.Event",
    &[
        TYPE_META,
        always(1, "metadata", Value(Msg(&META_V1_OBJECT_META))),
        always(2, "eventTime", Value(MicroTime)),
        omitempty(3, "series", Pointer(Msg(&EVENTS_V1_EVENT_SERIES))),
        omitempty(4, "reportingController", Value(Str)),
        omitempty(5, "reportingInstance", Value(Str)),
        omitempty(6, "action", Value(Str)),
        omitempty(7, "reason", Value(Str)),
        omitempty(8, "regarding", Value(Msg(&CORE_V1_OBJECT_REFERENCE))),
        omitempty(9, "related", Pointer(Msg(&CORE_V1_OBJECT_REFERENCE))),
        omitempty(10, "note", Value(Str)),
        omitempty(11, "type", Value(Str)),
        omitempty(12, "deprecatedSource", Value(Msg(&CORE_V1_EVENT_SOURCE))),
        omitempty(13, "deprecatedFirstTimestamp", Value(Time)),
        omitempty(14, "deprecatedLastTimestamp", Value(Time)),
        omitempty(15, "deprecatedCount", Value(Int32)),
    ],
);

pub(crate) static EVENTS_V1_EVENT_SERIES: Message = Message::new(
    "events/v1.EventSeries",
    &[
        always(1, "count", Value(Int32)),
        always(2, "lastObservedTime", Value(MicroTime)),
    ],
);
