//! Generated field table: meta/v1.
//! Each static lists one Go struct's fields in declaration order (also the JSON order); the
//! parent module says how the table was produced. Regenerate rather than edit by hand.

use super::*;

pub(crate) static META_V1_CONDITION: Message = Message::new(
    "meta/v1.Condition",
    &[
        always(1, "type", Value(Str)),
        always(2, "status", Value(Str)),
        omitempty(3, "observedGeneration", Value(Int64)),
        always(4, "lastTransitionTime", Value(Time)),
        always(5, "reason", Value(Str)),
        always(6, "message", Value(Str)),
    ],
);

pub(crate) static META_V1_DELETE_OPTIONS: Message = Message::new(
    "meta/v1.DeleteOptions",
    &[
        TYPE_META,
        omitempty(1, "gracePeriodSeconds", Pointer(Int64)),
        omitempty(2, "preconditions", Pointer(Msg(&META_V1_PRECONDITIONS))),
        omitempty(3, "orphanDependents", Pointer(Bool)),
        omitempty(4, "propagationPolicy", Pointer(Str)),
        omitempty(5, "dryRun", Slice(Str)),
        omitempty(
            6,
            "ignoreStoreReadErrorWithClusterBreakingPotential",
            Pointer(Bool),
        ),
    ],
);

pub(crate) static META_V1_FIELD_SELECTOR_REQUIREMENT: Message = Message::new(
    "meta/v1.FieldSelectorRequirement",
    &[
        always(1, "key", Value(Str)),
        always(2, "operator", Value(Str)),
        omitempty(3, "values", Slice(Str)),
    ],
);

pub(crate) static META_V1_LABEL_SELECTOR: Message = Message::new(
    "meta/v1.LabelSelector",
    &[
        omitempty(1, "matchLabels", Map(Str)),
        omitempty(
            2,
            "matchExpressions",
            Slice(Msg(&META_V1_LABEL_SELECTOR_REQUIREMENT)),
        ),
    ],
);

pub(crate) static META_V1_LABEL_SELECTOR_REQUIREMENT: Message = Message::new(
    "meta/v1.LabelSelectorRequirement",
    &[
        always(1, "key", Value(Str)),
        always(2, "operator", Value(Str)),
        omitempty(3, "values", Slice(Str)),
    ],
);

pub(crate) static META_V1_MANAGED_FIELDS_ENTRY: Message = Message::new(
    "meta/v1.ManagedFieldsEntry",
    &[
        omitempty(1, "manager", Value(Str)),
        omitempty(2, "operation", Value(Str)),
        omitempty(3, "apiVersion", Value(Str)),
        omitempty(4, "time", Pointer(Time)),
        omitempty(6, "fieldsType", Value(Str)),
        omitempty(7, "fieldsV1", Pointer(FieldsV1)),
        omitempty(8, "subresource", Value(Str)),
    ],
);

pub(crate) static META_V1_OBJECT_META: Message = Message::new(
    "meta/v1.ObjectMeta",
    &[
        omitempty(1, "name", Value(Str)),
        omitempty(2, "generateName", Value(Str)),
        omitempty(3, "namespace", Value(Str)),
        omitempty(4, "selfLink", Value(Str)),
        omitempty(5, "uid", Value(Str)),
        omitempty(6, "resourceVersion", Value(Str)),
        omitempty(7, "generation", Value(Int64)),
        omitempty(8, "creationTimestamp", Value(Time)),
        omitempty(9, "deletionTimestamp", Pointer(Time)),
        omitempty(10, "deletionGracePeriodSeconds", Pointer(Int64)),
        omitempty(11, "labels", Map(Str)),
        omitempty(12, "annotations", Map(Str)),
        omitempty(13, "ownerReferences", Slice(Msg(&META_V1_OWNER_REFERENCE))),
        omitempty(14, "finalizers", Slice(Str)),
        omitempty(
            17,
            "managedFields",
            Slice(Msg(&META_V1_MANAGED_FIELDS_ENTRY)),
        ),
    ],
);

pub(crate) static META_V1_OWNER_REFERENCE: Message = Message::new(
    "meta/v1.OwnerReference",
    &[
        always(5, "apiVersion", Value(Str)),
        always(1, "kind", Value(Str)),
        always(3, "name", Value(Str)),
        always(4, "uid", Value(Str)),
        omitempty(6, "controller", Pointer(Bool)),
        omitempty(7, "blockOwnerDeletion", Pointer(Bool)),
    ],
);

pub(crate) static META_V1_PRECONDITIONS: Message = Message::new(
    "meta/v1.Preconditions",
    &[
        omitempty(1, "uid", Pointer(Str)),
        omitempty(2, "resourceVersion", Pointer(Str)),
    ],
);
