//! What each protobuf field of the decodable kinds means in JSON: its field number, its JSON
//! name, whether Go's encoder drops it when empty (`omitempty`), and the shape of the Go field
//! (value, pointer, slice, map), which decides how an absent or zero field is rendered.
//!
//! The per-package files under `table/` are generated, once, by a throwaway script from the Go
//! type metadata that the `kubectl` v1.33.1 binary (k8s.io/api v0.33) carries for reflection:
//! its runtime type descriptors, reached through the binary's `.typelink` section. For every
//! struct reachable from the kinds in [`ROOTS`] that gives the field order, the `json:"..."`
//! and `protobuf:"..."` struct tags and the Go field types. The proto field numbers therefore
//! match the `generated.proto` files of k8s.io/api, and the JSON names and omission rules match
//! `encoding/json` on the same structs. The .proto files alone would not do: they cannot tell
//! a pointer (`*int32`, written even when 0) from a plain value (dropped when 0 under
//! `omitempty`). Adding a kind means regenerating from a kubectl build, not editing by hand.

mod apps_v1;
mod authentication_v1;
mod authorization_v1;
mod autoscaling_v1;
mod autoscaling_v2;
mod batch_v1;
mod certificates_v1;
mod coordination_v1;
mod core_v1_a;
mod core_v1_b;
mod core_v1_c;
mod events_v1;
mod meta_v1;
mod networking_v1;
mod policy_v1;
mod rbac_v1;
mod scheduling_v1;

// The generated files refer to each other's statics by their unique, package-prefixed names.
use apps_v1::*;
use authentication_v1::*;
use authorization_v1::*;
use autoscaling_v1::*;
use autoscaling_v2::*;
use batch_v1::*;
use certificates_v1::*;
use coordination_v1::*;
use core_v1_a::*;
use core_v1_b::*;
use core_v1_c::*;
use events_v1::*;
use meta_v1::*;
use networking_v1::*;
use policy_v1::*;
use rbac_v1::*;
use scheduling_v1::*;

use Shape::{Map, Pointer, Slice, Value};
use Ty::{
    Bool, Bytes, FieldsV1, Int32, Int64, IntOrString, MicroTime, Msg, Quantity, Str, StringList,
    Time,
};

/// One Go struct, serialized as one protobuf message.
#[derive(Debug)]
pub(super) struct Message {
    /// `group/version.Name`, for error messages.
    pub(super) name: &'static str,
    /// In Go declaration order, which is the order `encoding/json` writes them in.
    pub(super) fields: &'static [Field],
}

impl Message {
    const fn new(name: &'static str, fields: &'static [Field]) -> Self {
        Message { name, fields }
    }
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Field {
    /// Protobuf field number; 0 for the embedded `TypeMeta`, which protobuf does not carry.
    pub(super) number: u32,
    /// JSON name; empty for fields whose members are inlined into the parent.
    pub(super) json: &'static str,
    pub(super) shape: Shape,
    /// Go's `omitempty`: an empty string, number, bool, slice or map, or a nil pointer, is
    /// left out. Without it Go writes zero values, and `null` for nil pointers, slices and maps.
    pub(super) omit_empty: bool,
}

/// The Go shape of a field, which decides what an absent protobuf field turns into.
#[derive(Debug, Clone, Copy)]
pub(super) enum Shape {
    /// A plain value: absent on the wire means the zero value, which Go still writes out
    /// unless it is an empty scalar under `omitempty` (structs are never "empty" to Go).
    Value(Ty),
    /// A pointer: absent means nil. Present means written, even when zero (e.g. `replicas: 0`).
    Pointer(Ty),
    /// A slice: a repeated field.
    Slice(Ty),
    /// A map with string keys: repeated key (1) / value (2) entry messages.
    Map(Ty),
    /// An embedded struct that protobuf nests under this field number while JSON flattens its
    /// members into the parent (e.g. `Volume.VolumeSource`, `Probe.ProbeHandler`).
    Inline(&'static Message),
    /// The embedded `metav1.TypeMeta`: protobuf leaves it to the envelope, so only the
    /// top-level object gets `kind` and `apiVersion`; nested ones have none, as in Go.
    TypeMeta,
}

/// The type of a single value.
#[derive(Debug, Clone, Copy)]
pub(super) enum Ty {
    Str,
    Bool,
    Int32,
    Int64,
    /// `[]byte`: base64 in JSON.
    Bytes,
    Msg(&'static Message),
    /// `metav1.Time`: RFC 3339 to the second, `null` when zero.
    Time,
    /// `metav1.MicroTime`: RFC 3339 to the microsecond, `null` when zero.
    MicroTime,
    /// `resource.Quantity`: its canonical string.
    Quantity,
    /// `intstr.IntOrString`: a JSON number or string.
    IntOrString,
    /// `metav1.FieldsV1`: raw JSON bytes.
    FieldsV1,
    /// A named `[]string` used as a map value (`authentication/v1.ExtraValue`), which protobuf
    /// wraps in a message with one repeated field.
    StringList,
}

const TYPE_META: Field = Field {
    number: 0,
    json: "",
    shape: Shape::TypeMeta,
    omit_empty: true,
};

const fn omitempty(number: u32, json: &'static str, shape: Shape) -> Field {
    Field {
        number,
        json,
        shape,
        omit_empty: true,
    }
}

const fn always(number: u32, json: &'static str, shape: Shape) -> Field {
    Field {
        number,
        json,
        shape,
        omit_empty: false,
    }
}

const fn inline(number: u32, message: &'static Message) -> Field {
    Field {
        number,
        json: "",
        shape: Shape::Inline(message),
        omit_empty: false,
    }
}

/// Kinds whose protobuf bodies can be decoded, by `apiVersion` and `kind`: those bosun serves,
/// plus the other kinds kubectl 1.32+ writes through its protobuf-speaking typed clients
/// (`kubectl create job|cronjob|role|...`, `create token`, `auth can-i`, `auth whoami`).
static ROOTS: &[(&str, &str, &Message)] = &[
    ("v1", "Namespace", &CORE_V1_NAMESPACE),
    ("v1", "Pod", &CORE_V1_POD),
    ("v1", "Node", &CORE_V1_NODE),
    ("v1", "Event", &CORE_V1_EVENT),
    ("v1", "ConfigMap", &CORE_V1_CONFIG_MAP),
    ("v1", "Secret", &CORE_V1_SECRET),
    ("v1", "ServiceAccount", &CORE_V1_SERVICE_ACCOUNT),
    ("v1", "Service", &CORE_V1_SERVICE),
    ("v1", "ResourceQuota", &CORE_V1_RESOURCE_QUOTA),
    (
        "v1",
        "ReplicationController",
        &CORE_V1_REPLICATION_CONTROLLER,
    ),
    ("v1", "Binding", &CORE_V1_BINDING),
    ("apps/v1", "Deployment", &APPS_V1_DEPLOYMENT),
    ("apps/v1", "ReplicaSet", &APPS_V1_REPLICA_SET),
    ("apps/v1", "StatefulSet", &APPS_V1_STATEFUL_SET),
    ("apps/v1", "DaemonSet", &APPS_V1_DAEMON_SET),
    ("autoscaling/v1", "Scale", &AUTOSCALING_V1_SCALE),
    (
        "autoscaling/v1",
        "HorizontalPodAutoscaler",
        &AUTOSCALING_V1_HORIZONTAL_POD_AUTOSCALER,
    ),
    (
        "autoscaling/v2",
        "HorizontalPodAutoscaler",
        &AUTOSCALING_V2_HORIZONTAL_POD_AUTOSCALER,
    ),
    ("coordination.k8s.io/v1", "Lease", &COORDINATION_V1_LEASE),
    ("events.k8s.io/v1", "Event", &EVENTS_V1_EVENT),
    ("policy/v1", "Eviction", &POLICY_V1_EVICTION),
    (
        "policy/v1",
        "PodDisruptionBudget",
        &POLICY_V1_POD_DISRUPTION_BUDGET,
    ),
    ("batch/v1", "Job", &BATCH_V1_JOB),
    ("batch/v1", "CronJob", &BATCH_V1_CRON_JOB),
    ("rbac.authorization.k8s.io/v1", "Role", &RBAC_V1_ROLE),
    (
        "rbac.authorization.k8s.io/v1",
        "RoleBinding",
        &RBAC_V1_ROLE_BINDING,
    ),
    (
        "rbac.authorization.k8s.io/v1",
        "ClusterRole",
        &RBAC_V1_CLUSTER_ROLE,
    ),
    (
        "rbac.authorization.k8s.io/v1",
        "ClusterRoleBinding",
        &RBAC_V1_CLUSTER_ROLE_BINDING,
    ),
    (
        "scheduling.k8s.io/v1",
        "PriorityClass",
        &SCHEDULING_V1_PRIORITY_CLASS,
    ),
    ("networking.k8s.io/v1", "Ingress", &NETWORKING_V1_INGRESS),
    (
        "authentication.k8s.io/v1",
        "TokenRequest",
        &AUTHENTICATION_V1_TOKEN_REQUEST,
    ),
    (
        "authentication.k8s.io/v1",
        "SelfSubjectReview",
        &AUTHENTICATION_V1_SELF_SUBJECT_REVIEW,
    ),
    (
        "authorization.k8s.io/v1",
        "SelfSubjectAccessReview",
        &AUTHORIZATION_V1_SELF_SUBJECT_ACCESS_REVIEW,
    ),
    (
        "authorization.k8s.io/v1",
        "SelfSubjectRulesReview",
        &AUTHORIZATION_V1_SELF_SUBJECT_RULES_REVIEW,
    ),
    (
        "certificates.k8s.io/v1",
        "CertificateSigningRequest",
        &CERTIFICATES_V1_CERTIFICATE_SIGNING_REQUEST,
    ),
];

/// The message for a kind. `DeleteOptions` is registered in every group version (a client
/// labels it with whichever one it is talking to), so it matches on the kind alone.
pub(super) fn root(api_version: &str, kind: &str) -> Option<&'static Message> {
    if kind == "DeleteOptions" {
        return Some(&META_V1_DELETE_OPTIONS);
    }
    ROOTS
        .iter()
        .find(|(v, k, _)| *v == api_version && *k == kind)
        .map(|(_, _, message)| *message)
}

#[cfg(test)]
pub(super) fn roots() -> impl Iterator<Item = (&'static str, &'static str, &'static Message)> {
    ROOTS.iter().copied()
}
