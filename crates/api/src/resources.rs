//! The registry of resources bosun serves: one static table that discovery, OpenAPI,
//! routing, storage keys and Table output all read, so a resource is added in one place.

/// One served resource (a REST collection), e.g. `apps/v1` `deployments`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceInfo {
    /// API group; `""` is the legacy core group served under `/api/v1`.
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    /// Lower-case plural used in URLs and storage keys (`deployments`).
    pub plural: &'static str,
    /// Lower-case singular (`deployment`).
    pub singular: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    pub categories: &'static [&'static str],
    /// Subresources served under `<plural>/<sub>`.
    pub subresources: &'static [&'static str],
    /// The definition name in OpenAPI (`io.k8s.api.apps.v1.Deployment`).
    pub definition: &'static str,
    /// Whether the kind has a `status` that main-resource writes must not change.
    pub has_status: bool,
    /// Only `create` is served: the kind is a question asked of the server (access
    /// reviews, `SelfSubjectReview`), answered and never stored.
    pub create_only: bool,
}

impl ResourceInfo {
    /// `apps/v1`, or `v1` for the core group.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `deployments.apps`, or `pods` for the core group: the name upstream uses in
    /// error messages (`deployments.apps "x" not found`).
    pub fn group_resource(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// `Deployment.apps`, or `Pod`: the qualified kind upstream uses in 422 messages.
    pub fn group_kind(&self) -> String {
        if self.group.is_empty() {
            self.kind.to_string()
        } else {
            format!("{}.{}", self.kind, self.group)
        }
    }

    /// URL prefix of the group version: `/api/v1` or `/apis/apps/v1`.
    pub fn group_version_path(&self) -> String {
        if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        }
    }

    /// Storage key prefix of the whole resource (all namespaces), ending in `/`.
    /// Unlike upstream, the two Event APIs are stored apart (bosun has no conversion
    /// between their shapes), so each API lists only the events written through it.
    pub fn storage_prefix(&self) -> String {
        if self.group.is_empty() {
            format!("/registry/{}/", self.plural)
        } else {
            format!("/registry/{}/{}/", self.group, self.plural)
        }
    }

    /// Storage key prefix of one namespace (or of the whole resource for cluster-scoped kinds).
    pub fn storage_prefix_in(&self, namespace: Option<&str>) -> String {
        match (self.namespaced, namespace) {
            (true, Some(ns)) => format!("{}{}/", self.storage_prefix(), ns),
            _ => self.storage_prefix(),
        }
    }

    /// Storage key of one object.
    pub fn storage_key(&self, namespace: Option<&str>, name: &str) -> String {
        format!("{}{}", self.storage_prefix_in(namespace), name)
    }

    pub fn has_subresource(&self, sub: &str) -> bool {
        self.subresources.contains(&sub)
    }
}

const fn res(
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    singular: &'static str,
    namespaced: bool,
) -> ResourceInfo {
    ResourceInfo {
        group,
        version,
        kind,
        plural,
        singular,
        namespaced,
        short_names: &[],
        categories: &[],
        subresources: &[],
        definition: "",
        has_status: false,
        create_only: false,
    }
}

/// Every resource bosun serves, in discovery order.
pub static RESOURCES: &[ResourceInfo] = &[
    ResourceInfo {
        short_names: &["ns"],
        subresources: &["status", "finalize"],
        definition: "io.k8s.api.core.v1.Namespace",
        has_status: true,
        ..res("", "v1", "Namespace", "namespaces", "namespace", false)
    },
    ResourceInfo {
        short_names: &["po"],
        categories: &["all"],
        subresources: &[
            "status",
            "binding",
            "eviction",
            "log",
            "exec",
            "attach",
            "portforward",
        ],
        definition: "io.k8s.api.core.v1.Pod",
        has_status: true,
        ..res("", "v1", "Pod", "pods", "pod", true)
    },
    ResourceInfo {
        short_names: &["no"],
        subresources: &["status"],
        definition: "io.k8s.api.core.v1.Node",
        has_status: true,
        ..res("", "v1", "Node", "nodes", "node", false)
    },
    ResourceInfo {
        short_names: &["ev"],
        definition: "io.k8s.api.core.v1.Event",
        ..res("", "v1", "Event", "events", "event", true)
    },
    ResourceInfo {
        short_names: &["cm"],
        definition: "io.k8s.api.core.v1.ConfigMap",
        ..res("", "v1", "ConfigMap", "configmaps", "configmap", true)
    },
    ResourceInfo {
        definition: "io.k8s.api.core.v1.Secret",
        ..res("", "v1", "Secret", "secrets", "secret", true)
    },
    ResourceInfo {
        short_names: &["sa"],
        subresources: &["token"],
        definition: "io.k8s.api.core.v1.ServiceAccount",
        ..res(
            "",
            "v1",
            "ServiceAccount",
            "serviceaccounts",
            "serviceaccount",
            true,
        )
    },
    ResourceInfo {
        short_names: &["svc"],
        categories: &["all"],
        subresources: &["status"],
        definition: "io.k8s.api.core.v1.Service",
        has_status: true,
        ..res("", "v1", "Service", "services", "service", true)
    },
    ResourceInfo {
        short_names: &["quota"],
        subresources: &["status"],
        definition: "io.k8s.api.core.v1.ResourceQuota",
        has_status: true,
        ..res(
            "",
            "v1",
            "ResourceQuota",
            "resourcequotas",
            "resourcequota",
            true,
        )
    },
    ResourceInfo {
        short_names: &["rc"],
        categories: &["all"],
        subresources: &["status", "scale"],
        definition: "io.k8s.api.core.v1.ReplicationController",
        has_status: true,
        ..res(
            "",
            "v1",
            "ReplicationController",
            "replicationcontrollers",
            "replicationcontroller",
            true,
        )
    },
    ResourceInfo {
        short_names: &["deploy"],
        categories: &["all"],
        subresources: &["status", "scale"],
        definition: "io.k8s.api.apps.v1.Deployment",
        has_status: true,
        ..res(
            "apps",
            "v1",
            "Deployment",
            "deployments",
            "deployment",
            true,
        )
    },
    ResourceInfo {
        short_names: &["rs"],
        categories: &["all"],
        subresources: &["status", "scale"],
        definition: "io.k8s.api.apps.v1.ReplicaSet",
        has_status: true,
        ..res(
            "apps",
            "v1",
            "ReplicaSet",
            "replicasets",
            "replicaset",
            true,
        )
    },
    ResourceInfo {
        definition: "io.k8s.api.coordination.v1.Lease",
        ..res(
            "coordination.k8s.io",
            "v1",
            "Lease",
            "leases",
            "lease",
            true,
        )
    },
    ResourceInfo {
        short_names: &["ev"],
        definition: "io.k8s.api.events.v1.Event",
        ..res("events.k8s.io", "v1", "Event", "events", "event", true)
    },
    ResourceInfo {
        definition: "io.k8s.api.authentication.v1.SelfSubjectReview",
        create_only: true,
        ..res(
            AUTHN,
            "v1",
            "SelfSubjectReview",
            "selfsubjectreviews",
            "selfsubjectreview",
            false,
        )
    },
    ResourceInfo {
        definition: "io.k8s.api.authentication.v1.TokenReview",
        create_only: true,
        ..res(
            AUTHN,
            "v1",
            "TokenReview",
            "tokenreviews",
            "tokenreview",
            false,
        )
    },
    ResourceInfo {
        definition: "io.k8s.api.authorization.v1.SelfSubjectAccessReview",
        create_only: true,
        ..res(
            AUTHZ,
            "v1",
            "SelfSubjectAccessReview",
            "selfsubjectaccessreviews",
            "selfsubjectaccessreview",
            false,
        )
    },
    ResourceInfo {
        definition: "io.k8s.api.authorization.v1.SelfSubjectRulesReview",
        create_only: true,
        ..res(
            AUTHZ,
            "v1",
            "SelfSubjectRulesReview",
            "selfsubjectrulesreviews",
            "selfsubjectrulesreview",
            false,
        )
    },
    ResourceInfo {
        definition: "io.k8s.api.authorization.v1.SubjectAccessReview",
        create_only: true,
        ..res(
            AUTHZ,
            "v1",
            "SubjectAccessReview",
            "subjectaccessreviews",
            "subjectaccessreview",
            false,
        )
    },
    ResourceInfo {
        short_names: &["csr"],
        subresources: &["status", "approval"],
        definition: "io.k8s.api.certificates.v1.CertificateSigningRequest",
        has_status: true,
        ..res(
            "certificates.k8s.io",
            "v1",
            "CertificateSigningRequest",
            "certificatesigningrequests",
            "certificatesigningrequest",
            false,
        )
    },
    ResourceInfo {
        definition: "io.k8s.api.rbac.v1.ClusterRoleBinding",
        ..res(
            RBAC,
            "v1",
            "ClusterRoleBinding",
            "clusterrolebindings",
            "clusterrolebinding",
            false,
        )
    },
    ResourceInfo {
        definition: "io.k8s.api.rbac.v1.ClusterRole",
        ..res(
            RBAC,
            "v1",
            "ClusterRole",
            "clusterroles",
            "clusterrole",
            false,
        )
    },
    ResourceInfo {
        definition: "io.k8s.api.rbac.v1.RoleBinding",
        ..res(
            RBAC,
            "v1",
            "RoleBinding",
            "rolebindings",
            "rolebinding",
            true,
        )
    },
    ResourceInfo {
        definition: "io.k8s.api.rbac.v1.Role",
        ..res(RBAC, "v1", "Role", "roles", "role", true)
    },
];

const AUTHN: &str = "authentication.k8s.io";
const AUTHZ: &str = "authorization.k8s.io";
const RBAC: &str = "rbac.authorization.k8s.io";

/// The API groups bosun serves (excluding the legacy core group), in discovery order,
/// each with its single served version.
pub static GROUPS: &[(&str, &str)] = &[
    ("apps", "v1"),
    ("events.k8s.io", "v1"),
    (AUTHN, "v1"),
    (AUTHZ, "v1"),
    ("certificates.k8s.io", "v1"),
    (RBAC, "v1"),
    ("coordination.k8s.io", "v1"),
];

/// The Kubernetes version whose API bosun serves (reported by `/version`).
pub const KUBERNETES_VERSION: &str = "v1.33.0";

/// Finds a resource by group, version and plural.
pub fn find(group: &str, version: &str, plural: &str) -> Option<&'static ResourceInfo> {
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.version == version && r.plural == plural)
}

/// The resource a storage key (`/registry/[group/]plural/...`) belongs to.
pub fn for_storage_key(key: &str) -> Option<&'static ResourceInfo> {
    let rest = key.strip_prefix("/registry/")?;
    RESOURCES.iter().find(|r| {
        let in_group = if r.group.is_empty() {
            Some(rest)
        } else {
            rest.strip_prefix(r.group).and_then(|x| x.strip_prefix('/'))
        };
        in_group
            .and_then(|x| x.strip_prefix(r.plural))
            .is_some_and(|x| x.starts_with('/'))
    })
}

/// Finds a resource by group and kind (any served version).
pub fn find_kind(group: &str, kind: &str) -> Option<&'static ResourceInfo> {
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.kind == kind)
}

/// Resources of one group version.
pub fn in_group_version<'a>(
    group: &'a str,
    version: &'a str,
) -> impl Iterator<Item = &'static ResourceInfo> + 'a {
    RESOURCES
        .iter()
        .filter(move |r| r.group == group && r.version == version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_keys_nest_namespace_under_resource() {
        let deploy = find("apps", "v1", "deployments").expect("served");
        assert_eq!(
            deploy.storage_key(Some("default"), "web"),
            "/registry/apps/deployments/default/web"
        );
        let node = find("", "v1", "nodes").expect("served");
        assert_eq!(node.storage_key(None, "n1"), "/registry/nodes/n1");
    }

    #[test]
    fn every_storage_key_maps_back_to_its_resource() {
        for info in RESOURCES {
            let key = info.storage_key(info.namespaced.then_some("default"), "x");
            let found = for_storage_key(&key).map(|r| (r.group, r.plural));
            assert_eq!(found, Some((info.group, info.plural)), "{key}");
        }
        assert!(for_storage_key("/registry/podsx/default/x").is_none());
        assert!(for_storage_key("/elsewhere/pods/default/x").is_none());
    }

    #[test]
    fn names_match_upstream_messages() {
        let deploy = find_kind("apps", "Deployment").expect("served");
        assert_eq!(deploy.group_resource(), "deployments.apps");
        assert_eq!(deploy.group_kind(), "Deployment.apps");
        assert_eq!(deploy.api_version(), "apps/v1");
        let pod = find_kind("", "Pod").expect("served");
        assert_eq!(pod.group_resource(), "pods");
        assert_eq!(pod.group_version_path(), "/api/v1");
    }
}
