//! Object metadata, labels, annotations and label selectors: upstream's `ValidateObjectMeta`,
//! `ValidateObjectMetaUpdate`, `ValidateLabels`, `ValidateAnnotations`,
//! `ValidateLabelSelector`, plus label-selector matching.

use serde_json::Value;

use super::FieldError;
use super::names::{self, NameRule};
use super::render;
use super::util::{Path, get, int_of, list_of, str_of, string_map};
use crate::resources::ResourceInfo;

/// Upstream's total annotation size limit (256 KiB).
pub(crate) const TOTAL_ANNOTATION_SIZE_LIMIT: usize = 256 * 1024;

const STANDARD_FINALIZERS: &[&str] = &["kubernetes", "orphan", "foregroundDeletion"];

/// The name rule of a kind, as its upstream validation chooses it.
pub(crate) fn name_rule(info: &ResourceInfo) -> NameRule {
    match (info.group, info.kind) {
        ("", "Namespace") => NameRule::Dns1123Label,
        ("", "Service") => NameRule::Dns1035Label,
        // The core/v1 Event API never checked names beyond URL safety.
        ("", "Event") => NameRule::PathSegment,
        ("", "Pod" | "Node" | "ConfigMap" | "Secret" | "ServiceAccount" | "ResourceQuota")
        | ("", "ReplicationController")
        | ("apps", _)
        | ("coordination.k8s.io", "Lease")
        | ("events.k8s.io", "Event") => NameRule::Dns1123Subdomain,
        _ => NameRule::PathSegment,
    }
}

/// Whether the kind's validation uses the core wrapper that also checks finalizer names
/// against the legacy standard names (everything in the core and apps groups).
pub(crate) fn checks_kube_finalizers(info: &ResourceInfo) -> bool {
    matches!(info.group, "" | "apps" | "events.k8s.io")
}

/// The kind's own metadata validation on create.
pub(crate) fn validate_object_meta_for_kind(
    info: &ResourceInfo,
    obj: &Value,
    path: &Path,
) -> Vec<FieldError> {
    meta_create(
        get(obj, "metadata"),
        info.namespaced,
        name_rule(info),
        checks_kube_finalizers(info),
        path,
    )
}

/// The metadata checks every kind gets from the generic registry (`rest.BeforeCreate` /
/// `BeforeUpdate`): URL-safe names, namespace presence, labels, annotations, owners.
pub(crate) fn validate_generic_meta(info: &ResourceInfo, obj: &Value) -> Vec<FieldError> {
    meta_create(
        get(obj, "metadata"),
        info.namespaced,
        NameRule::PathSegment,
        false,
        &Path::root("metadata"),
    )
}

/// Upstream's `ValidateObjectMeta` (plus the core wrapper's finalizer check when
/// `kube_finalizers`).
pub(crate) fn meta_create(
    meta: Option<&Value>,
    namespaced: bool,
    rule: NameRule,
    kube_finalizers: bool,
    path: &Path,
) -> Vec<FieldError> {
    let empty = Value::Null;
    let meta = meta.unwrap_or(&empty);
    let mut errs = Vec::new();
    let generate_name = str_of(meta, "generateName");
    if !generate_name.is_empty() {
        for msg in names::validate_name(rule, generate_name, true) {
            errs.push(FieldError::invalid(
                &path.child("generateName"),
                generate_name,
                &msg,
            ));
        }
    }
    let name = str_of(meta, "name");
    if name.is_empty() {
        errs.push(FieldError::required(
            &path.child("name"),
            "name or generateName is required",
        ));
    } else {
        for msg in names::validate_name(rule, name, false) {
            errs.push(FieldError::invalid(&path.child("name"), name, &msg));
        }
    }
    let namespace = str_of(meta, "namespace");
    if namespaced {
        if namespace.is_empty() {
            errs.push(FieldError::required(&path.child("namespace"), ""));
        } else {
            for msg in names::validate_name(NameRule::Dns1123Label, namespace, false) {
                errs.push(FieldError::invalid(
                    &path.child("namespace"),
                    namespace,
                    &msg,
                ));
            }
        }
    } else if !namespace.is_empty() {
        errs.push(FieldError::forbidden(
            &path.child("namespace"),
            "not allowed on this type",
        ));
    }
    if let Some(g) = int_of(meta, "generation").filter(|g| *g < 0) {
        errs.push(FieldError::invalid(
            &path.child("generation"),
            g,
            "must be greater than or equal to 0",
        ));
    }
    errs.extend(validate_labels(get(meta, "labels"), &path.child("labels")));
    errs.extend(validate_annotations(
        get(meta, "annotations"),
        &path.child("annotations"),
    ));
    errs.extend(validate_owner_references(
        meta,
        &path.child("ownerReferences"),
    ));
    errs.extend(validate_finalizers(meta, &path.child("finalizers")));
    if kube_finalizers {
        errs.extend(validate_kube_finalizers(meta, &path.child("finalizers")));
    }
    errs
}

/// Upstream's `ValidateObjectMetaUpdate` (core wrapper: also the legacy finalizer names).
pub(crate) fn validate_object_meta_update(
    obj: &Value,
    old: &Value,
    path: &Path,
) -> Vec<FieldError> {
    meta_update(obj, old, path, false)
}

pub(crate) fn meta_update(
    obj: &Value,
    old: &Value,
    path: &Path,
    kube_finalizers: bool,
) -> Vec<FieldError> {
    let empty = Value::Null;
    let new_meta = get(obj, "metadata").unwrap_or(&empty);
    let old_meta = get(old, "metadata").unwrap_or(&empty);
    let mut errs = Vec::new();

    if get(old_meta, "deletionTimestamp").is_some() {
        let old_fin: Vec<&str> = list_of(old_meta, "finalizers")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let mut extra: Vec<&str> = list_of(new_meta, "finalizers")
            .iter()
            .filter_map(Value::as_str)
            .filter(|f| !old_fin.contains(f))
            .collect();
        extra.sort_unstable();
        extra.dedup();
        if !extra.is_empty() {
            let list: Vec<String> = extra.iter().map(|f| render::go_quote(f)).collect();
            errs.push(FieldError::forbidden(
                &path.child("finalizers"),
                &format!(
                    "no new finalizers can be added if the object is being deleted, found new finalizers []string{{{}}}",
                    list.join(", ")
                ),
            ));
        }
    }
    // Upstream also requires `metadata.resourceVersion` here, but its store always fills it in
    // before validating (unconditional updates), so that error never reaches a client; bosun's
    // registry strips the field before validating, so the check is left out.
    let new_gen = int_of(new_meta, "generation").unwrap_or(0);
    if new_gen < int_of(old_meta, "generation").unwrap_or(0) {
        errs.push(FieldError::invalid(
            &path.child("generation"),
            new_gen,
            "must not be decremented",
        ));
    }
    for field in ["name", "namespace", "uid"] {
        let (n, o) = (str_of(new_meta, field), str_of(old_meta, field));
        if n != o {
            errs.push(FieldError::invalid(
                &path.child(field),
                n,
                "field is immutable",
            ));
        }
    }
    for field in ["creationTimestamp", "deletionTimestamp"] {
        let (n, o) = (get(new_meta, field), get(old_meta, field));
        if n != o {
            let repr = if field == "deletionTimestamp" && n.is_none() {
                render::go_quote("null")
            } else {
                render::go_time(n)
            };
            errs.push(
                FieldError::invalid(
                    &path.child(field),
                    n.cloned().unwrap_or(Value::Null),
                    "field is immutable",
                )
                .with_repr(repr),
            );
        }
    }
    let (n, o) = (
        int_of(new_meta, "deletionGracePeriodSeconds"),
        int_of(old_meta, "deletionGracePeriodSeconds"),
    );
    if n != o {
        errs.push(FieldError::invalid(
            &path.child("deletionGracePeriodSeconds"),
            n.map(Value::from).unwrap_or(Value::Null),
            "field is immutable",
        ));
    }
    errs.extend(validate_labels(
        get(new_meta, "labels"),
        &path.child("labels"),
    ));
    errs.extend(validate_annotations(
        get(new_meta, "annotations"),
        &path.child("annotations"),
    ));
    errs.extend(validate_owner_references(
        new_meta,
        &path.child("ownerReferences"),
    ));
    if kube_finalizers {
        errs.extend(validate_kube_finalizers(
            new_meta,
            &path.child("finalizers"),
        ));
    }
    errs
}

/// Upstream's `ValidateLabels`: every error is reported at the map's own path.
pub(crate) fn validate_labels(labels: Option<&Value>, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (k, v) in string_map(labels) {
        errs.extend(validate_label_name(k, path));
        for msg in names::is_valid_label_value(v) {
            errs.push(FieldError::invalid(path, v, &msg));
        }
    }
    errs
}

pub(crate) fn validate_label_name(name: &str, path: &Path) -> Vec<FieldError> {
    names::is_qualified_name(name)
        .into_iter()
        .map(|msg| FieldError::invalid(path, name, &msg))
        .collect()
}

/// Upstream's `ValidateAnnotations`: keys are qualified names compared case-insensitively,
/// and keys plus values may total at most 256 KiB.
pub(crate) fn validate_annotations(annotations: Option<&Value>, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let entries = string_map(annotations);
    for (k, _) in &entries {
        for msg in names::is_qualified_name(&k.to_lowercase()) {
            errs.push(FieldError::invalid(path, *k, &msg));
        }
    }
    let total: usize = entries.iter().map(|(k, v)| k.len() + v.len()).sum();
    if total > TOTAL_ANNOTATION_SIZE_LIMIT {
        errs.push(FieldError::too_long(path, TOTAL_ANNOTATION_SIZE_LIMIT));
    }
    errs
}

fn owner_reference_repr(r: &Value) -> String {
    let ptr = |key: &str| match get(r, key) {
        Some(_) => "(*bool)(0xc000000000)".to_string(),
        None => "(*bool)(nil)".to_string(),
    };
    format!(
        "v1.OwnerReference{{APIVersion:{}, Kind:{}, Name:{}, UID:{}, Controller:{}, BlockOwnerDeletion:{}}}",
        render::go_quote(str_of(r, "apiVersion")),
        render::go_quote(str_of(r, "kind")),
        render::go_quote(str_of(r, "name")),
        render::go_quote(str_of(r, "uid")),
        ptr("controller"),
        ptr("blockOwnerDeletion"),
    )
}

fn validate_owner_references(meta: &Value, path: &Path) -> Vec<FieldError> {
    let refs = list_of(meta, "ownerReferences");
    let mut errs = Vec::new();
    let mut first_controller: Option<String> = None;
    for r in refs {
        let api_version = str_of(r, "apiVersion");
        // schema.ParseGroupVersion: "v1", "group/version"; more slashes leave it empty.
        let version = match api_version.split('/').collect::<Vec<_>>().as_slice() {
            [v] => *v,
            [_, v] => *v,
            _ => "",
        };
        let group = api_version.split_once('/').map(|(g, _)| g).unwrap_or("");
        let kind = str_of(r, "kind");
        if version.is_empty() {
            errs.push(FieldError::invalid(
                &path.child("apiVersion"),
                api_version,
                "version must not be empty",
            ));
        }
        if kind.is_empty() {
            errs.push(FieldError::invalid(
                &path.child("kind"),
                kind,
                "must not be empty",
            ));
        }
        if str_of(r, "name").is_empty() {
            errs.push(FieldError::invalid(
                &path.child("name"),
                "",
                "must not be empty",
            ));
        }
        if str_of(r, "uid").is_empty() {
            errs.push(FieldError::invalid(
                &path.child("uid"),
                "",
                "must not be empty",
            ));
        }
        if group.is_empty() && version == "v1" && kind == "Event" {
            errs.push(
                FieldError::invalid(
                    path,
                    r.clone(),
                    "/v1, Kind=Event is disallowed from being an owner",
                )
                .with_repr(owner_reference_repr(r)),
            );
        }
        if get(r, "controller").and_then(Value::as_bool) == Some(true) {
            let this = format!("{}/{}", kind, str_of(r, "name"));
            match &first_controller {
                Some(first) => {
                    let list: Vec<String> = refs.iter().map(owner_reference_repr).collect();
                    errs.push(
                        FieldError::invalid(
                            path,
                            Value::Array(refs.to_vec()),
                            &format!(
                                "Only one reference can have Controller set to true. Found \"true\" in references for {first} and {this}"
                            ),
                        )
                        .with_repr(format!("[]v1.OwnerReference{{{}}}", list.join(", "))),
                    );
                }
                None => first_controller = Some(this),
            }
        }
    }
    errs
}

fn validate_finalizers(meta: &Value, path: &Path) -> Vec<FieldError> {
    let finalizers: Vec<&str> = list_of(meta, "finalizers")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let mut errs = Vec::new();
    for f in &finalizers {
        for msg in names::is_qualified_name(f) {
            errs.push(FieldError::invalid(path, *f, &msg));
        }
    }
    if finalizers.contains(&"orphan") && finalizers.contains(&"foregroundDeletion") {
        let value = get(meta, "finalizers").cloned().unwrap_or(Value::Null);
        errs.push(FieldError::invalid(
            path,
            value,
            "finalizer orphan and foregroundDeletion cannot be both set",
        ));
    }
    errs
}

/// Finalizers without a `/` must be one of the legacy standard names.
fn validate_kube_finalizers(meta: &Value, path: &Path) -> Vec<FieldError> {
    list_of(meta, "finalizers")
        .iter()
        .enumerate()
        .filter_map(|(i, f)| {
            let f = f.as_str().unwrap_or("");
            (!f.contains('/') && !STANDARD_FINALIZERS.contains(&f)).then(|| {
                FieldError::invalid(
                    &path.index(i),
                    f,
                    "name is neither a standard finalizer name nor is it fully qualified",
                )
            })
        })
        .collect()
}

/// Upstream's `ValidateLabelSelector` with label values checked (as apps kinds do).
pub(crate) fn validate_label_selector(sel: Option<&Value>, path: &Path) -> Vec<FieldError> {
    let Some(sel) = sel else {
        return Vec::new();
    };
    let mut errs = validate_labels(get(sel, "matchLabels"), &path.child("matchLabels"));
    for (i, expr) in list_of(sel, "matchExpressions").iter().enumerate() {
        let p = path.child("matchExpressions").index(i);
        let op = str_of(expr, "operator");
        let values = list_of(expr, "values");
        match op {
            "In" | "NotIn" => {
                if values.is_empty() {
                    errs.push(FieldError::required(
                        &p.child("values"),
                        "must be specified when `operator` is 'In' or 'NotIn'",
                    ));
                }
            }
            "Exists" | "DoesNotExist" => {
                if !values.is_empty() {
                    errs.push(FieldError::forbidden(
                        &p.child("values"),
                        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                    ));
                }
            }
            _ => errs.push(FieldError::invalid(
                &p.child("operator"),
                op,
                "not a valid selector operator",
            )),
        }
        errs.extend(validate_label_name(str_of(expr, "key"), &p.child("key")));
        for (j, v) in values.iter().enumerate() {
            let v = v.as_str().unwrap_or("");
            for msg in names::is_valid_label_value(v) {
                errs.push(FieldError::invalid(&p.child("values").index(j), v, &msg));
            }
        }
    }
    errs
}

/// A parsed label selector: `None` selects nothing (absent selector), an empty selector selects
/// everything.
pub(crate) enum Selector<'a> {
    Nothing,
    Everything,
    Requirements(&'a Value),
}

/// Upstream's `LabelSelectorAsSelector`; `Err` when the selector cannot be converted.
pub(crate) fn parse_selector(sel: Option<&Value>) -> Result<Selector<'_>, ()> {
    let Some(sel) = sel else {
        return Ok(Selector::Nothing);
    };
    let n = super::util::len_of(get(sel, "matchLabels")) + list_of(sel, "matchExpressions").len();
    if n == 0 {
        return Ok(Selector::Everything);
    }
    if validate_label_selector(Some(sel), &Path::root("selector")).is_empty() {
        Ok(Selector::Requirements(sel))
    } else {
        Err(())
    }
}

impl Selector<'_> {
    pub(crate) fn is_empty(&self) -> bool {
        matches!(self, Selector::Everything)
    }

    pub(crate) fn matches(&self, labels: Option<&Value>) -> bool {
        let sel = match self {
            Selector::Nothing => return false,
            Selector::Everything => return true,
            Selector::Requirements(sel) => *sel,
        };
        let labels = string_map(labels);
        let lookup = |k: &str| labels.iter().find(|(lk, _)| *lk == k).map(|(_, v)| *v);
        for (k, v) in string_map(get(sel, "matchLabels")) {
            if lookup(k) != Some(v) {
                return false;
            }
        }
        for expr in list_of(sel, "matchExpressions") {
            let key = str_of(expr, "key");
            let values: Vec<&str> = list_of(expr, "values")
                .iter()
                .filter_map(Value::as_str)
                .collect();
            let ok = match (str_of(expr, "operator"), lookup(key)) {
                ("In", Some(v)) => values.contains(&v),
                ("In", None) => false,
                ("NotIn", Some(v)) => !values.contains(&v),
                ("NotIn", None) => true,
                ("Exists", found) => found.is_some(),
                ("DoesNotExist", found) => found.is_none(),
                _ => false,
            };
            if !ok {
                return false;
            }
        }
        true
    }
}

/// A map-based selector (`ReplicationController`, `Service`): empty selects everything.
pub(crate) fn map_selector_matches(selector: Option<&Value>, labels: Option<&Value>) -> bool {
    let labels = string_map(labels);
    string_map(selector)
        .iter()
        .all(|(k, v)| labels.iter().any(|(lk, lv)| lk == k && lv == v))
}
