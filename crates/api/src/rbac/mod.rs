//! RBAC authorization, as upstream Kubernetes does it.
//!
//! This module owns, without any IO:
//! - the request-side types ([`UserInfo`], [`Attributes`], [`Decision`]),
//! - [`RbacSnapshot`]: an index over Roles, ClusterRoles and their bindings
//!   that answers `authorize` (the RBAC authorizer) and `rules_for`
//!   (SelfSubjectRulesReview),
//! - [`forbidden_message`] / [`forbidden_status`]: the 403 Status the API
//!   server sends when authorization denies a request,
//! - [`aggregate_cluster_roles`]: what the clusterrole-aggregation controller
//!   does to ClusterRoles that carry an `aggregationRule`,
//! - [`bootstrap_cluster_roles`] / [`bootstrap_cluster_role_bindings`]: the
//!   default policy kube-apiserver reconciles at start-up.
//!
//! Upstream sources this follows: `plugin/pkg/auth/authorizer/rbac/rbac.go`,
//! `pkg/registry/rbac/validation/rule.go`,
//! `pkg/apis/rbac/v1/evaluation_helpers.go`,
//! `staging/src/k8s.io/apiserver/pkg/endpoints/handlers/responsewriters/errors.go`,
//! `pkg/controller/clusterroleaggregation` and
//! `plugin/pkg/auth/authorizer/rbac/bootstrappolicy`.
//!
//! What this module deliberately does not do: kube-apiserver puts other
//! authorizers in front of RBAC (the `system:masters` short-circuit, the Node
//! authorizer); composing those is the caller's job.

use std::collections::BTreeMap;

use k8s_openapi::api::authorization::v1::{NonResourceRule, ResourceRule};

mod aggregate;
mod authorize;
mod bootstrap;
mod forbidden;
#[cfg(test)]
mod tests;

pub use aggregate::{aggregate_cluster_roles, label_selector_matches};
pub use authorize::{RbacSnapshot, rule_allows};
pub use bootstrap::{
    AUTO_UPDATE_ANNOTATION, BOOTSTRAPPING_LABEL, BOOTSTRAPPING_LABEL_VALUE,
    bootstrap_cluster_role_bindings, bootstrap_cluster_roles, node_bootstrap_cluster_role_bindings,
};
pub use forbidden::{forbidden_message, forbidden_status};

/// The authenticated identity making a request (upstream `user.Info`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserInfo {
    pub name: String,
    pub uid: String,
    pub groups: Vec<String>,
    pub extra: BTreeMap<String, Vec<String>>,
}

impl UserInfo {
    /// A user with a name and groups, no uid or extra.
    pub fn new<G, S>(name: impl Into<String>, groups: G) -> Self
    where
        G: IntoIterator<Item = S>,
        S: Into<String>,
    {
        UserInfo {
            name: name.into(),
            groups: groups.into_iter().map(Into::into).collect(),
            ..UserInfo::default()
        }
    }
}

/// What is being asked for (upstream `authorizer.Attributes`, minus the user).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attributes {
    pub verb: String,
    /// `""` means cluster scope.
    pub namespace: String,
    pub api_group: String,
    pub resource: String,
    pub subresource: String,
    pub name: String,
    pub resource_request: bool,
    /// Only meaningful for non-resource requests.
    pub path: String,
}

impl Attributes {
    /// A resource request; add a subresource or name with the `with_` methods.
    pub fn resource(
        verb: impl Into<String>,
        namespace: impl Into<String>,
        api_group: impl Into<String>,
        resource: impl Into<String>,
    ) -> Self {
        Attributes {
            verb: verb.into(),
            namespace: namespace.into(),
            api_group: api_group.into(),
            resource: resource.into(),
            resource_request: true,
            ..Attributes::default()
        }
    }

    /// A non-resource request such as `get /healthz`.
    pub fn non_resource(verb: impl Into<String>, path: impl Into<String>) -> Self {
        Attributes {
            verb: verb.into(),
            path: path.into(),
            ..Attributes::default()
        }
    }

    pub fn with_subresource(mut self, subresource: impl Into<String>) -> Self {
        self.subresource = subresource.into();
        self
    }

    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }
}

/// The RBAC verdict. Upstream RBAC never denies outright; it has "no
/// opinion", which for a server whose only authorizer is RBAC means 403.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// `reason` is upstream's authorizer reason: empty unless some binding
    /// that applies to the user could not be resolved, then e.g.
    /// `RBAC: clusterrole.rbac.authorization.k8s.io "foo" not found`.
    Deny {
        reason: String,
    },
}

/// Everything a SelfSubjectRulesReview status needs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RulesReview {
    pub resource_rules: Vec<ResourceRule>,
    pub non_resource_rules: Vec<NonResourceRule>,
    /// Always false for RBAC (upstream RBAC enumerates everything it knows).
    pub incomplete: bool,
    /// Resolution errors (missing roles), `""` when there were none.
    pub evaluation_error: String,
}
