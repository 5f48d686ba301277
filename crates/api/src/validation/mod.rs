//! Validation of create and update bodies exactly as upstream's API server validates them:
//! the same checks, in the same order, with the same field paths and the same message text
//! (`pkg/apis/*/validation`, `k8s.io/apimachinery/pkg/util/validation`). Works on raw JSON so
//! that nothing the client sent is lost before it is judged.
//!
//! Messages follow Kubernetes v1.33: bad values are rendered the way `field.Error` renders Go
//! values there (`%q` strings, `%#v` structs and maps). Later releases render structs as JSON.

mod cluster;
mod compute;
mod config;
mod container;
mod events;
mod kinds;
mod meta;
pub(crate) mod names;
mod pod;
mod probe;
pub mod quantity;
mod rbac;
pub(crate) mod render;
mod service;
mod util;
mod volume;
mod workloads;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_pod;

use serde_json::Value;

use crate::resources::ResourceInfo;

pub(crate) use util::Path;

/// The kind of a field error; mirrors upstream's `field.ErrorType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorType {
    Required,
    Invalid,
    NotSupported,
    Forbidden,
    Duplicate,
    TooLong,
    TooMany,
    Internal,
    /// `FieldValueNotFound`, e.g. a volume mount naming a volume that does not exist.
    NotFound,
}

impl ErrorType {
    /// The machine-readable cause type (`StatusCause.reason`).
    pub fn reason(self) -> &'static str {
        match self {
            ErrorType::Required => "FieldValueRequired",
            ErrorType::Invalid => "FieldValueInvalid",
            ErrorType::NotSupported => "FieldValueNotSupported",
            ErrorType::Forbidden => "FieldValueForbidden",
            ErrorType::Duplicate => "FieldValueDuplicate",
            ErrorType::TooLong => "FieldValueTooLong",
            ErrorType::TooMany => "FieldValueTooMany",
            ErrorType::Internal => "InternalError",
            ErrorType::NotFound => "FieldValueNotFound",
        }
    }

    /// The human-readable lead of the message.
    fn label(self) -> &'static str {
        match self {
            ErrorType::Required => "Required value",
            ErrorType::Invalid => "Invalid value",
            ErrorType::NotSupported => "Unsupported value",
            ErrorType::Forbidden => "Forbidden",
            ErrorType::Duplicate => "Duplicate value",
            ErrorType::TooLong => "Too long",
            ErrorType::TooMany => "Too many",
            ErrorType::Internal => "Internal error",
            ErrorType::NotFound => "Not found",
        }
    }
}

/// One field-level validation error (upstream's `field.Error`).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    pub error_type: ErrorType,
    /// Upstream's field path, e.g. `spec.template.spec.containers[0].name`.
    pub field: String,
    /// The offending value as JSON; `None` for error types that never show a value.
    pub value: Option<Value>,
    pub detail: String,
    /// The value exactly as upstream prints it when that cannot be derived from `value`
    /// alone (Go struct syntax such as `v1.LabelSelector{...}`).
    pub repr: Option<String>,
}

impl FieldError {
    fn new(
        error_type: ErrorType,
        path: &(impl std::fmt::Display + ?Sized),
        value: Option<Value>,
        detail: String,
    ) -> Self {
        FieldError {
            error_type,
            field: path.to_string(),
            value,
            detail,
            repr: None,
        }
    }

    /// `field.Required`: the value is missing. `path` is the field path as text.
    pub fn required(path: &(impl std::fmt::Display + ?Sized), detail: &str) -> Self {
        Self::new(ErrorType::Required, path, None, detail.to_string())
    }

    /// `field.Forbidden`.
    pub fn forbidden(path: &(impl std::fmt::Display + ?Sized), detail: &str) -> Self {
        Self::new(ErrorType::Forbidden, path, None, detail.to_string())
    }

    /// `field.Invalid`: the value is rendered from JSON (strings quoted, string maps as
    /// `map[string]string{...}`); use [`FieldError::with_repr`] for Go struct values.
    pub fn invalid(
        path: &(impl std::fmt::Display + ?Sized),
        value: impl Into<Value>,
        detail: &str,
    ) -> Self {
        Self::new(
            ErrorType::Invalid,
            path,
            Some(value.into()),
            detail.to_string(),
        )
    }

    /// `field.NotSupported` with the supported values listed in this order.
    pub fn not_supported(
        path: &(impl std::fmt::Display + ?Sized),
        value: impl Into<Value>,
        valid: &[&str],
    ) -> Self {
        let detail = if valid.is_empty() {
            String::new()
        } else {
            let quoted: Vec<String> = valid.iter().map(|v| render::go_quote(v)).collect();
            format!("supported values: {}", quoted.join(", "))
        };
        Self::new(ErrorType::NotSupported, path, Some(value.into()), detail)
    }

    /// `field.Duplicate`.
    pub fn duplicate(path: &(impl std::fmt::Display + ?Sized), value: impl Into<Value>) -> Self {
        Self::new(
            ErrorType::Duplicate,
            path,
            Some(value.into()),
            String::new(),
        )
    }

    /// `field.NotFound`.
    pub fn not_found(path: &(impl std::fmt::Display + ?Sized), value: impl Into<Value>) -> Self {
        Self::new(ErrorType::NotFound, path, Some(value.into()), String::new())
    }

    /// `field.TooLong` (the value is never shown).
    pub fn too_long(path: &(impl std::fmt::Display + ?Sized), max_bytes: usize) -> Self {
        Self::new(
            ErrorType::TooLong,
            path,
            None,
            format!("may not be more than {max_bytes} bytes"),
        )
    }

    /// Sets the Go rendering of the value (for values whose Go type is a struct).
    pub fn with_repr(mut self, repr: String) -> Self {
        self.repr = Some(repr);
        self
    }

    /// `FieldValueRequired`, `FieldValueInvalid`, ...: the `StatusCause` reason.
    pub fn reason(&self) -> &'static str {
        self.error_type.reason()
    }

    /// Upstream's `ErrorBody()`: the message without the field path.
    pub fn message(&self) -> String {
        let mut out = String::from(self.error_type.label());
        match self.error_type {
            // These types never print the value, whatever it is.
            ErrorType::Required
            | ErrorType::Forbidden
            | ErrorType::TooLong
            | ErrorType::Internal => {}
            _ => {
                out.push_str(": ");
                match (&self.repr, &self.value) {
                    (Some(repr), _) => out.push_str(repr),
                    (None, Some(v)) => out.push_str(&render::infer(v)),
                    // A missing value is a nil Go value, which upstream prints as "null".
                    (None, None) => out.push_str("\"null\""),
                }
            }
        }
        if !self.detail.is_empty() {
            out.push_str(": ");
            out.push_str(&self.detail);
        }
        out
    }

    /// `field: message`, as upstream's `Error()`.
    pub fn full_message(&self) -> String {
        format!("{}: {}", self.field, self.message())
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.full_message())
    }
}

/// Upstream's 422 message (`errors.NewInvalid`): `Kind.group "name" is invalid: <err>` for one
/// distinct error, `... is invalid: [err1, err2]` for several. Identical messages are listed
/// once, as upstream's aggregate does.
pub fn invalid_message(group_kind: &str, name: &str, errors: &[FieldError]) -> String {
    let mut seen: Vec<String> = Vec::new();
    for e in errors {
        let msg = e.full_message();
        if !seen.contains(&msg) {
            seen.push(msg);
        }
    }
    let quoted_name = render::go_quote(name);
    match seen.len() {
        0 => format!("{group_kind} {quoted_name} is invalid"),
        1 => format!("{group_kind} {quoted_name} is invalid: {}", seen[0]),
        _ => format!(
            "{group_kind} {quoted_name} is invalid: [{}]",
            seen.join(", ")
        ),
    }
}

/// All errors for creating (`old = None`) or updating (`old = Some(previous)`) an object of
/// this resource. Call after metadata handling and [`crate::defaults::apply_defaults`].
///
/// Like upstream: on create the kind's own checks run first and the generic metadata checks
/// (path-segment name rules) only when those passed; on update the generic metadata checks
/// come first, then the kind's update checks (duplicates are kept here, as in upstream's
/// `Status.details.causes`; [`invalid_message`] lists each distinct message once).
pub fn validate(info: &ResourceInfo, obj: &Value, old: Option<&Value>) -> Vec<FieldError> {
    match old {
        None => {
            let errs = kinds::validate_kind_create(info, obj);
            if !errs.is_empty() {
                return errs;
            }
            meta::validate_generic_meta(info, obj)
        }
        Some(old) => {
            let mut errs = meta::validate_generic_meta(info, obj);
            errs.extend(meta::validate_object_meta_update(
                obj,
                old,
                &Path::root("metadata"),
            ));
            errs.extend(kinds::validate_kind_update(info, obj, old));
            errs
        }
    }
}

/// A write through an object's `status` subresource. A pod's status strategy upstream
/// (`ValidatePodStatusUpdate`) checks the metadata update and the status, not the
/// spec: a status write cannot change the spec (the registry takes it from the stored
/// object), so validating it again would only repeat the check it passed when stored,
/// for every status write a node makes. Here a pod status write gets the metadata
/// checks; upstream's rules on the status fields themselves (container status names,
/// pod IPs) are not implemented, on this path or the full one. Other kinds get their
/// full update validation, which covers their status fields.
pub fn validate_status_update(info: &ResourceInfo, obj: &Value, old: &Value) -> Vec<FieldError> {
    if (info.group, info.kind) != ("", "Pod") {
        return validate(info, obj, Some(old));
    }
    let mut errs = meta::validate_generic_meta(info, obj);
    errs.extend(meta::meta_update(obj, old, &Path::root("metadata"), true));
    errs
}

/// The object-metadata checks of one kind: its name rule (DNS-1123 subdomain for most kinds,
/// DNS-1123 label for namespaces, DNS-1035 label for services, path-segment rules for kinds
/// without their own), namespace presence, labels, annotations, owner references and
/// finalizers; with `old`, also the update rules (immutable name, namespace and uid,
/// generation not decremented, no finalizers added while deleting).
pub fn validate_object_meta(
    info: &ResourceInfo,
    obj: &Value,
    old: Option<&Value>,
) -> Vec<FieldError> {
    let path = Path::root("metadata");
    let mut errs = meta::validate_object_meta_for_kind(info, obj, &path);
    if let Some(old) = old {
        errs.extend(meta::validate_object_meta_update(obj, old, &path));
    }
    errs
}
