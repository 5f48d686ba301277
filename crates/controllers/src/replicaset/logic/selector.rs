//! Label-selector matching and ControllerRef adoption/release decisions.
//!
//! Owns the pure half of upstream's `ControllerRefManager` (`ClaimObject`,
//! `ClaimPods`, `ClaimReplicaSets`) and a minimal `metav1.LabelSelector`
//! matcher. The API crate may later provide a richer selector implementation;
//! only [`label_selector_matches`] would need swapping.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, OwnerReference};
use serde_json::{Value, json};

/// True when the selector has neither `matchLabels` nor `matchExpressions`.
///
/// Upstream treats such a selector on a Deployment as "selecting everything"
/// and refuses to act on it (`SelectingAll` event). An explicitly empty map is
/// treated the same as an absent one, since both select everything.
pub fn selector_is_empty(selector: &LabelSelector) -> bool {
    selector
        .match_labels
        .as_ref()
        .is_none_or(BTreeMap::is_empty)
        && selector
            .match_expressions
            .as_ref()
            .is_none_or(Vec::is_empty)
}

/// Whether `labels` satisfy `selector` (`metav1.LabelSelectorAsSelector` + `Matches`).
///
/// An empty selector matches everything. A selector that upstream would reject
/// as invalid (unknown operator, `In`/`NotIn` without values, `Exists` with
/// values) matches nothing: upstream fails the conversion and the object is
/// then never claimed.
pub fn label_selector_matches(
    selector: &LabelSelector,
    labels: Option<&BTreeMap<String, String>>,
) -> bool {
    let empty = BTreeMap::new();
    let labels = labels.unwrap_or(&empty);
    if let Some(match_labels) = &selector.match_labels {
        for (k, v) in match_labels {
            if labels.get(k) != Some(v) {
                return false;
            }
        }
    }
    for req in selector.match_expressions.iter().flatten() {
        let values = req.values.as_deref().unwrap_or(&[]);
        let actual = labels.get(&req.key);
        let ok = match req.operator.as_str() {
            "In" if !values.is_empty() => actual.is_some_and(|a| values.contains(a)),
            "NotIn" if !values.is_empty() => actual.is_none_or(|a| !values.contains(a)),
            "Exists" if values.is_empty() => actual.is_some(),
            "DoesNotExist" if values.is_empty() => actual.is_none(),
            _ => return false,
        };
        if !ok {
            return false;
        }
    }
    true
}

/// Returns a copy of `selector` with `key=value` added to `matchLabels`
/// (upstream `CloneSelectorAndAddLabel`).
pub fn clone_selector_and_add_label(
    selector: &LabelSelector,
    key: &str,
    value: &str,
) -> LabelSelector {
    let mut out = selector.clone();
    out.match_labels
        .get_or_insert_with(BTreeMap::new)
        .insert(key.to_string(), value.to_string());
    out
}

/// The owner reference with `controller: true`, if any (`metav1.GetControllerOf`).
pub fn controller_of(meta: &ObjectMeta) -> Option<&OwnerReference> {
    meta.owner_references
        .iter()
        .flatten()
        .find(|r| r.controller == Some(true))
}

/// Builds a controller reference to `owner` (`metav1.NewControllerRef`):
/// `controller` and `blockOwnerDeletion` are both true.
pub fn new_controller_ref(owner: &ObjectMeta, api_version: &str, kind: &str) -> OwnerReference {
    OwnerReference {
        api_version: api_version.to_string(),
        kind: kind.to_string(),
        name: owner.name.clone().unwrap_or_default(),
        uid: owner.uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

/// The controller doing the claiming, reduced to what `ClaimObject` looks at.
#[derive(Clone, Copy, Debug)]
pub struct Claimer<'a> {
    pub uid: &'a str,
    pub namespace: Option<&'a str>,
    /// The controller object has a deletionTimestamp.
    pub deleting: bool,
    pub selector: &'a LabelSelector,
}

impl<'a> Claimer<'a> {
    /// The claimer view of an owner object with the given selector.
    pub fn new(meta: &'a ObjectMeta, selector: &'a LabelSelector) -> Self {
        Claimer {
            uid: meta.uid.as_deref().unwrap_or(""),
            namespace: meta.namespace.as_deref(),
            deleting: meta.deletion_timestamp.is_some(),
            selector,
        }
    }
}

/// Outcome of `ClaimObject` for one candidate object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClaimDecision {
    /// Already controlled by us and the selector matches: ours, no API call.
    Owned,
    /// Orphan that matches: patch in our controller ref ([`adopt_patch`]); ours once that succeeds.
    Adopt,
    /// Controlled by us but no longer matching: patch our ref out ([`release_patch`]); not ours.
    Release,
    /// Not ours and nothing to do (other controller, no match, being deleted, ...).
    Ignore,
}

impl ClaimDecision {
    /// Whether the object counts as claimed (assuming an adoption patch succeeds).
    pub fn is_claimed(self) -> bool {
        matches!(self, ClaimDecision::Owned | ClaimDecision::Adopt)
    }
}

/// Decides adopt/release/keep for one object, exactly in upstream's order.
pub fn claim_decision(claimer: &Claimer<'_>, obj: &ObjectMeta) -> ClaimDecision {
    let matches = label_selector_matches(claimer.selector, obj.labels.as_ref());
    if let Some(cref) = controller_of(obj) {
        if cref.uid != claimer.uid {
            return ClaimDecision::Ignore;
        }
        if matches {
            // Claiming what we already own takes no action, so it is allowed
            // even while the controller itself is being deleted.
            return ClaimDecision::Owned;
        }
        if claimer.deleting {
            return ClaimDecision::Ignore;
        }
        return ClaimDecision::Release;
    }
    if claimer.deleting || !matches || obj.deletion_timestamp.is_some() {
        return ClaimDecision::Ignore;
    }
    if let Some(ns) = claimer.namespace.filter(|ns| !ns.is_empty())
        && obj.namespace.as_deref() != Some(ns)
    {
        return ClaimDecision::Ignore;
    }
    ClaimDecision::Adopt
}

/// Strategic-merge patch that makes `controller_ref` the controller of the
/// object with uid `obj_uid` (upstream `ownerRefControllerPatch`; the uid acts
/// as a precondition).
pub fn adopt_patch(controller_ref: &OwnerReference, obj_uid: &str) -> Value {
    json!({
        "metadata": {
            "ownerReferences": [{
                "apiVersion": controller_ref.api_version,
                "kind": controller_ref.kind,
                "name": controller_ref.name,
                "uid": controller_ref.uid,
                "controller": true,
                "blockOwnerDeletion": true,
            }],
            "uid": obj_uid,
        }
    })
}

/// Strategic-merge patch removing the owner reference to `owner_uid`
/// (upstream `GenerateDeleteOwnerRefStrategicMergeBytes`).
pub fn release_patch(owner_uid: &str, obj_uid: &str) -> Value {
    json!({
        "metadata": {
            "ownerReferences": [{ "$patch": "delete", "uid": owner_uid }],
            "uid": obj_uid,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelectorRequirement, Time};
    use k8s_openapi::jiff::Timestamp;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn expr(key: &str, op: &str, values: &[&str]) -> LabelSelectorRequirement {
        LabelSelectorRequirement {
            key: key.into(),
            operator: op.into(),
            values: if values.is_empty() {
                None
            } else {
                Some(values.iter().map(|v| v.to_string()).collect())
            },
        }
    }

    #[test]
    fn selector_matching_table() {
        let cases: Vec<(LabelSelector, BTreeMap<String, String>, bool)> = vec![
            (LabelSelector::default(), labels(&[]), true),
            (
                LabelSelector {
                    match_labels: Some(labels(&[("app", "x")])),
                    ..Default::default()
                },
                labels(&[("app", "x"), ("o", "1")]),
                true,
            ),
            (
                LabelSelector {
                    match_labels: Some(labels(&[("app", "x")])),
                    ..Default::default()
                },
                labels(&[("app", "y")]),
                false,
            ),
            (
                LabelSelector {
                    match_expressions: Some(vec![expr("env", "In", &["a", "b"])]),
                    ..Default::default()
                },
                labels(&[("env", "b")]),
                true,
            ),
            (
                LabelSelector {
                    match_expressions: Some(vec![expr("env", "In", &["a"])]),
                    ..Default::default()
                },
                labels(&[]),
                false,
            ),
            (
                LabelSelector {
                    match_expressions: Some(vec![expr("env", "NotIn", &["a"])]),
                    ..Default::default()
                },
                labels(&[]),
                true,
            ),
            (
                LabelSelector {
                    match_expressions: Some(vec![expr("env", "NotIn", &["a"])]),
                    ..Default::default()
                },
                labels(&[("env", "a")]),
                false,
            ),
            (
                LabelSelector {
                    match_expressions: Some(vec![expr("env", "Exists", &[])]),
                    ..Default::default()
                },
                labels(&[("env", "")]),
                true,
            ),
            (
                LabelSelector {
                    match_expressions: Some(vec![expr("env", "DoesNotExist", &[])]),
                    ..Default::default()
                },
                labels(&[("env", "")]),
                false,
            ),
            // Invalid selectors select nothing.
            (
                LabelSelector {
                    match_expressions: Some(vec![expr("env", "In", &[])]),
                    ..Default::default()
                },
                labels(&[("env", "")]),
                false,
            ),
            (
                LabelSelector {
                    match_expressions: Some(vec![expr("env", "Gt", &["1"])]),
                    ..Default::default()
                },
                labels(&[("env", "2")]),
                false,
            ),
        ];
        for (i, (sel, l, want)) in cases.iter().enumerate() {
            assert_eq!(label_selector_matches(sel, Some(l)), *want, "case {i}");
        }
    }

    #[test]
    fn empty_selector_detection() {
        assert!(selector_is_empty(&LabelSelector::default()));
        assert!(selector_is_empty(&LabelSelector {
            match_labels: Some(BTreeMap::new()),
            match_expressions: Some(vec![])
        }));
        assert!(!selector_is_empty(&LabelSelector {
            match_labels: Some(labels(&[("a", "b")])),
            ..Default::default()
        }));
    }

    fn meta(uid: &str, owner: Option<&str>, l: &[(&str, &str)], deleting: bool) -> ObjectMeta {
        ObjectMeta {
            uid: Some(uid.into()),
            namespace: Some("default".into()),
            labels: Some(labels(l)),
            owner_references: owner.map(|o| {
                vec![OwnerReference {
                    api_version: "apps/v1".into(),
                    kind: "ReplicaSet".into(),
                    name: "x".into(),
                    uid: o.into(),
                    controller: Some(true),
                    block_owner_deletion: Some(true),
                }]
            }),
            deletion_timestamp: deleting.then_some(Time(Timestamp::UNIX_EPOCH)),
            ..Default::default()
        }
    }

    #[test]
    fn claim_decision_table() {
        let sel = LabelSelector {
            match_labels: Some(labels(&[("app", "x")])),
            ..Default::default()
        };
        let live = Claimer {
            uid: "me",
            namespace: Some("default"),
            deleting: false,
            selector: &sel,
        };
        let dying = Claimer {
            deleting: true,
            ..live
        };
        let other_ns = Claimer {
            namespace: Some("other"),
            ..live
        };
        let cases = [
            (
                live,
                meta("p", Some("me"), &[("app", "x")], false),
                ClaimDecision::Owned,
            ),
            (
                dying,
                meta("p", Some("me"), &[("app", "x")], false),
                ClaimDecision::Owned,
            ),
            (
                live,
                meta("p", Some("me"), &[("app", "y")], false),
                ClaimDecision::Release,
            ),
            (
                dying,
                meta("p", Some("me"), &[("app", "y")], false),
                ClaimDecision::Ignore,
            ),
            (
                live,
                meta("p", Some("you"), &[("app", "x")], false),
                ClaimDecision::Ignore,
            ),
            (
                live,
                meta("p", None, &[("app", "x")], false),
                ClaimDecision::Adopt,
            ),
            (
                live,
                meta("p", None, &[("app", "x")], true),
                ClaimDecision::Ignore,
            ),
            (
                dying,
                meta("p", None, &[("app", "x")], false),
                ClaimDecision::Ignore,
            ),
            (
                live,
                meta("p", None, &[("app", "y")], false),
                ClaimDecision::Ignore,
            ),
            (
                other_ns,
                meta("p", None, &[("app", "x")], false),
                ClaimDecision::Ignore,
            ),
        ];
        for (i, (c, m, want)) in cases.iter().enumerate() {
            assert_eq!(claim_decision(c, m), *want, "case {i}");
        }
    }

    #[test]
    fn patches_have_upstream_shape() {
        let r = new_controller_ref(
            &ObjectMeta {
                name: Some("rs".into()),
                uid: Some("u1".into()),
                ..Default::default()
            },
            "apps/v1",
            "ReplicaSet",
        );
        assert_eq!(
            adopt_patch(&r, "p1"),
            json!({"metadata":{"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"rs","uid":"u1","controller":true,"blockOwnerDeletion":true}],"uid":"p1"}})
        );
        assert_eq!(
            release_patch("u1", "p1"),
            json!({"metadata":{"ownerReferences":[{"$patch":"delete","uid":"u1"}],"uid":"p1"}})
        );
    }
}
