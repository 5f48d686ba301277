//! The 403 response for a denied request, byte-for-byte as kube-apiserver
//! builds it: `responsewriters.Forbidden` formats the authorizer message and
//! `apierrors.NewForbidden` wraps it into a Status.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ListMeta, Status, StatusDetails};

use super::{Attributes, UserInfo};

/// The `message` of the Forbidden Status for this request.
///
/// `reason` is the authorizer's reason (e.g. [`super::Decision::Deny`]'s);
/// when non-empty it is appended as `: <reason>`, unquoted and unsanitized,
/// as upstream does.
///
/// Known divergence: upstream passes the finished text to `fmt.Errorf` as a
/// format string, so a `%` in it (say a path `/a%20b`) comes out mangled by
/// Go's fmt; here the text is kept literally.
pub fn forbidden_message(user: &UserInfo, attrs: &Attributes, reason: &str) -> String {
    let mut err = sanitize(&authorizer_message(user, attrs));
    if !reason.is_empty() {
        err.push_str(": ");
        err.push_str(reason);
    }
    let (group, resource) = (&attrs.api_group, &attrs.resource);
    if group.is_empty() && resource.is_empty() {
        return format!("forbidden: {err}");
    }
    let qualified = qualified_resource(resource, group);
    if attrs.name.is_empty() {
        format!("{qualified} is forbidden: {err}")
    } else {
        format!("{qualified} {} is forbidden: {err}", go_quote(&attrs.name))
    }
}

/// The whole Forbidden Status: code 403, reason `Forbidden`, and `details`
/// carrying `group` = API group, `kind` = the resource (plural, without
/// subresource; upstream really puts the resource there) and `name`. Empty
/// detail fields are left out, which for a non-resource request gives
/// `"details": {}` exactly like upstream.
pub fn forbidden_status(user: &UserInfo, attrs: &Attributes, reason: &str) -> Status {
    Status {
        code: Some(403),
        details: Some(StatusDetails {
            group: non_empty(&attrs.api_group),
            kind: non_empty(&attrs.resource),
            name: non_empty(&attrs.name),
            ..StatusDetails::default()
        }),
        message: Some(forbidden_message(user, attrs, reason)),
        metadata: ListMeta::default(),
        reason: Some("Forbidden".to_owned()),
        status: Some("Failure".to_owned()),
    }
}

/// Upstream `forbiddenMessage`: what the user could not do.
fn authorizer_message(user: &UserInfo, attrs: &Attributes) -> String {
    let name = go_quote(&user.name);
    let verb = &attrs.verb;
    if !attrs.resource_request {
        return format!("User {name} cannot {verb} path {}", go_quote(&attrs.path));
    }
    let resource = if attrs.subresource.is_empty() {
        go_quote(&attrs.resource)
    } else {
        go_quote(&format!("{}/{}", attrs.resource, attrs.subresource))
    };
    let group = go_quote(&attrs.api_group);
    if attrs.namespace.is_empty() {
        format!(
            "User {name} cannot {verb} resource {resource} in API group {group} at the cluster scope"
        )
    } else {
        let ns = go_quote(&attrs.namespace);
        format!(
            "User {name} cannot {verb} resource {resource} in API group {group} in the namespace {ns}"
        )
    }
}

/// `schema.GroupResource.String()`.
fn qualified_resource(resource: &str, group: &str) -> String {
    if group.is_empty() {
        resource.to_owned()
    } else {
        format!("{resource}.{group}")
    }
}

/// Upstream escapes these so the plain-text error can never be read as HTML.
fn sanitize(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Go's `%q`: the same quoting as validation messages.
pub(crate) use crate::validation::render::go_quote;

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}
