//! The default RBAC policy kube-apiserver creates at start-up.
//!
//! Roles and rules are upstream's default-feature-gate policy as recorded in
//! `plugin/pkg/auth/authorizer/rbac/bootstrappolicy/testdata/cluster-roles.yaml`
//! and `cluster-role-bindings.yaml`. Like upstream's rule builder, every list
//! inside a rule is sorted, so rules compare equal to the upstream YAML.
//! Controller roles (`system:controller:*`) and namespaced bootstrap roles are
//! not included.

use std::collections::BTreeMap;

use k8s_openapi::api::rbac::v1::{
    AggregationRule, ClusterRole, ClusterRoleBinding, PolicyRule, RoleRef, Subject,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

use super::aggregate_cluster_roles;

/// Label every bootstrap object carries (value [`BOOTSTRAPPING_LABEL_VALUE`]).
pub const BOOTSTRAPPING_LABEL: &str = "kubernetes.io/bootstrapping";
pub const BOOTSTRAPPING_LABEL_VALUE: &str = "rbac-defaults";
/// `"true"` lets the start-up reconciler restore the object's defaults.
pub const AUTO_UPDATE_ANNOTATION: &str = "rbac.authorization.kubernetes.io/autoupdate";

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";
const AGGREGATE_TO_ADMIN: &str = "rbac.authorization.k8s.io/aggregate-to-admin";
const AGGREGATE_TO_EDIT: &str = "rbac.authorization.k8s.io/aggregate-to-edit";
const AGGREGATE_TO_VIEW: &str = "rbac.authorization.k8s.io/aggregate-to-view";

const READ: &[&str] = &["get", "list", "watch"];
const WRITE: &[&str] = &["create", "delete", "deletecollection", "patch", "update"];
const READ_WRITE: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];
const CREATE: &[&str] = &["create"];
const GET: &[&str] = &["get"];
const LIST_WATCH: &[&str] = &["list", "watch"];
const PATCH_UPDATE: &[&str] = &["patch", "update"];
const CREATE_READ: &[&str] = &["create", "get", "list", "watch"];
const READ_PATCH_UPDATE: &[&str] = &["get", "list", "patch", "update", "watch"];
const LEASE_OWNER: &[&str] = &["create", "delete", "get", "patch", "update"];

const CORE: &[&str] = &[""];
const APPS: &[&str] = &["apps"];
const AUTHENTICATION: &[&str] = &["authentication.k8s.io"];
const AUTHORIZATION: &[&str] = &["authorization.k8s.io"];
const AUTOSCALING: &[&str] = &["autoscaling"];
const BATCH: &[&str] = &["batch"];
const CERTIFICATES: &[&str] = &["certificates.k8s.io"];
const COORDINATION: &[&str] = &["coordination.k8s.io"];
const DISCOVERY: &[&str] = &["discovery.k8s.io"];
const EXTENSIONS: &[&str] = &["extensions"];
const NETWORKING: &[&str] = &["networking.k8s.io"];
const POLICY: &[&str] = &["policy"];
const STORAGE: &[&str] = &["storage.k8s.io"];

/// The default ClusterRoles, sorted by name, with `admin`, `edit` and `view`
/// already aggregated (they keep their `aggregationRule`, so running
/// [`aggregate_cluster_roles`] again after adding roles is safe).
pub fn bootstrap_cluster_roles() -> Vec<ClusterRole> {
    let mut roles = vec![
        role(
            "cluster-admin",
            vec![rule(&["*"], &["*"], &["*"]), urls(&["*"], &["*"])],
        ),
        aggregating("admin", AGGREGATE_TO_ADMIN, None),
        aggregating("edit", AGGREGATE_TO_EDIT, Some(AGGREGATE_TO_ADMIN)),
        aggregating("view", AGGREGATE_TO_VIEW, Some(AGGREGATE_TO_EDIT)),
        labelled(aggregate_to_admin_role(), AGGREGATE_TO_ADMIN),
        labelled(aggregate_to_edit_role(), AGGREGATE_TO_EDIT),
        labelled(aggregate_to_view_role(), AGGREGATE_TO_VIEW),
        role(
            "system:auth-delegator",
            vec![
                rule(CREATE, AUTHENTICATION, &["tokenreviews"]),
                rule(CREATE, AUTHORIZATION, &["subjectaccessreviews"]),
            ],
        ),
        role(
            "system:basic-user",
            vec![
                rule(
                    CREATE,
                    AUTHORIZATION,
                    &["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
                ),
                rule(CREATE, AUTHENTICATION, &["selfsubjectreviews"]),
            ],
        ),
        role(
            "system:certificates.k8s.io:certificatesigningrequests:nodeclient",
            vec![rule(
                CREATE,
                CERTIFICATES,
                &["certificatesigningrequests/nodeclient"],
            )],
        ),
        role(
            "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
            vec![rule(
                CREATE,
                CERTIFICATES,
                &["certificatesigningrequests/selfnodeclient"],
            )],
        ),
        signer_approver("kube-apiserver-client"),
        signer_approver("kube-apiserver-client-kubelet"),
        signer_approver("kubelet-serving"),
        signer_approver("legacy-unknown"),
        role(
            "system:discovery",
            vec![urls(
                GET,
                &[
                    "/api",
                    "/api/*",
                    "/apis",
                    "/apis/*",
                    "/healthz",
                    "/livez",
                    "/openapi",
                    "/openapi/*",
                    "/readyz",
                    "/version",
                    "/version/",
                ],
            )],
        ),
        role(
            "system:heapster",
            vec![
                rule(READ, CORE, &["events", "namespaces", "nodes", "pods"]),
                rule(READ, EXTENSIONS, &["deployments"]),
            ],
        ),
        role(
            "system:kube-aggregator",
            vec![rule(READ, CORE, &["endpoints", "services"])],
        ),
        role(
            "system:kube-controller-manager",
            kube_controller_manager_rules(),
        ),
        role(
            "system:kube-dns",
            vec![rule(LIST_WATCH, CORE, &["endpoints", "services"])],
        ),
        role("system:kube-scheduler", kube_scheduler_rules()),
        role(
            "system:kubelet-api-admin",
            vec![
                rule(READ, CORE, &["nodes"]),
                rule(&["proxy"], CORE, &["nodes"]),
                rule(
                    &["*"],
                    CORE,
                    &["nodes/log", "nodes/metrics", "nodes/proxy", "nodes/stats"],
                ),
            ],
        ),
        role(
            "system:monitoring",
            vec![urls(
                GET,
                &[
                    "/healthz",
                    "/healthz/*",
                    "/livez",
                    "/livez/*",
                    "/metrics",
                    "/metrics/slis",
                    "/readyz",
                    "/readyz/*",
                ],
            )],
        ),
        role("system:node", node_rules()),
        role(
            "system:node-bootstrapper",
            vec![rule(
                CREATE_READ,
                CERTIFICATES,
                &["certificatesigningrequests"],
            )],
        ),
        role(
            "system:node-problem-detector",
            vec![
                rule(GET, CORE, &["nodes"]),
                rule(&["patch"], CORE, &["nodes/status"]),
                events_rule(),
            ],
        ),
        role(
            "system:node-proxier",
            vec![
                rule(LIST_WATCH, CORE, &["endpoints", "services"]),
                rule(READ, CORE, &["nodes"]),
                events_rule(),
                rule(LIST_WATCH, DISCOVERY, &["endpointslices"]),
            ],
        ),
        role(
            "system:persistent-volume-provisioner",
            vec![
                rule(
                    &["create", "delete", "get", "list", "watch"],
                    CORE,
                    &["persistentvolumes"],
                ),
                rule(
                    &["get", "list", "update", "watch"],
                    CORE,
                    &["persistentvolumeclaims"],
                ),
                rule(READ, STORAGE, &["storageclasses"]),
                rule(&["watch"], CORE, &["events"]),
                events_rule(),
            ],
        ),
        role(
            "system:public-info-viewer",
            vec![urls(
                GET,
                &["/healthz", "/livez", "/readyz", "/version", "/version/"],
            )],
        ),
        role(
            "system:service-account-issuer-discovery",
            vec![urls(
                GET,
                &["/.well-known/openid-configuration", "/openid/v1/jwks"],
            )],
        ),
        role(
            "system:volume-scheduler",
            vec![
                rule(READ_PATCH_UPDATE, CORE, &["persistentvolumes"]),
                rule(READ, STORAGE, &["storageclasses"]),
                rule(READ_PATCH_UPDATE, CORE, &["persistentvolumeclaims"]),
            ],
        ),
    ];
    roles.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    // The selectors above are plain matchLabels, which cannot be invalid.
    let errors = aggregate_cluster_roles(&mut roles);
    debug_assert!(errors.is_empty(), "{errors:?}");
    roles
}

/// Upstream's default ClusterRoleBindings, sorted by name, followed by
/// [`node_bootstrap_cluster_role_bindings`].
///
/// `system:node` is bound to nobody, exactly as upstream: since 1.8 nodes
/// get their access from the Node authorizer instead. A server without a
/// Node authorizer must grant nodes access some other way.
pub fn bootstrap_cluster_role_bindings() -> Vec<ClusterRoleBinding> {
    let mut bindings = vec![
        binding("cluster-admin", vec![group("system:masters")]),
        binding("system:basic-user", vec![group("system:authenticated")]),
        binding("system:discovery", vec![group("system:authenticated")]),
        binding(
            "system:kube-controller-manager",
            vec![user("system:kube-controller-manager")],
        ),
        binding(
            "system:kube-dns",
            vec![service_account("kube-system", "kube-dns")],
        ),
        binding("system:kube-scheduler", vec![user("system:kube-scheduler")]),
        binding("system:monitoring", vec![group("system:monitoring")]),
        binding("system:node", Vec::new()),
        binding("system:node-proxier", vec![user("system:kube-proxy")]),
        binding(
            "system:public-info-viewer",
            vec![
                group("system:authenticated"),
                group("system:unauthenticated"),
            ],
        ),
        binding(
            "system:service-account-issuer-discovery",
            vec![group("system:serviceaccounts")],
        ),
        binding(
            "system:volume-scheduler",
            vec![user("system:kube-scheduler")],
        ),
    ];
    bindings.extend(node_bootstrap_cluster_role_bindings());
    bindings
}

/// TLS-bootstrapping bindings that upstream kube-apiserver does *not*
/// create (kubeadm creates equivalents named `kubeadm:kubelet-bootstrap`,
/// `kubeadm:node-autoapprove-bootstrap` and
/// `kubeadm:node-autoapprove-certificate-rotation`). Here they are named after
/// their role and carry the bootstrap label and annotation like the rest.
pub fn node_bootstrap_cluster_role_bindings() -> Vec<ClusterRoleBinding> {
    vec![
        binding(
            "system:node-bootstrapper",
            vec![group("system:bootstrappers")],
        ),
        binding(
            "system:certificates.k8s.io:certificatesigningrequests:nodeclient",
            vec![group("system:bootstrappers")],
        ),
        binding(
            "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
            vec![group("system:nodes")],
        ),
    ]
}

fn aggregate_to_admin_role() -> ClusterRole {
    role(
        "system:aggregate-to-admin",
        vec![
            rule(CREATE, AUTHORIZATION, &["localsubjectaccessreviews"]),
            rule(READ_WRITE, &[RBAC_GROUP], &["rolebindings", "roles"]),
        ],
    )
}

fn aggregate_to_edit_role() -> ClusterRole {
    const POD_SUBRESOURCES: &[&str] =
        &["pods/attach", "pods/exec", "pods/portforward", "pods/proxy"];
    let mut pods_write = vec!["pods"];
    pods_write.extend_from_slice(POD_SUBRESOURCES);
    let mut escalating_read = POD_SUBRESOURCES.to_vec();
    escalating_read.extend(["secrets", "services/proxy"]);
    role(
        "system:aggregate-to-edit",
        vec![
            rule(READ, CORE, &escalating_read),
            rule(&["impersonate"], CORE, &["serviceaccounts"]),
            rule(WRITE, CORE, &pods_write),
            rule(CREATE, CORE, &["pods/eviction"]),
            rule(
                WRITE,
                CORE,
                &[
                    "configmaps",
                    "events",
                    "persistentvolumeclaims",
                    "replicationcontrollers",
                    "replicationcontrollers/scale",
                    "secrets",
                    "serviceaccounts",
                    "services",
                    "services/proxy",
                ],
            ),
            rule(CREATE, CORE, &["serviceaccounts/token"]),
            rule(
                WRITE,
                APPS,
                &[
                    "daemonsets",
                    "deployments",
                    "deployments/rollback",
                    "deployments/scale",
                    "replicasets",
                    "replicasets/scale",
                    "statefulsets",
                    "statefulsets/scale",
                ],
            ),
            rule(WRITE, AUTOSCALING, &["horizontalpodautoscalers"]),
            rule(WRITE, BATCH, &["cronjobs", "jobs"]),
            rule(
                WRITE,
                EXTENSIONS,
                &[
                    "daemonsets",
                    "deployments",
                    "deployments/rollback",
                    "deployments/scale",
                    "ingresses",
                    "networkpolicies",
                    "replicasets",
                    "replicasets/scale",
                    "replicationcontrollers/scale",
                ],
            ),
            rule(WRITE, POLICY, &["poddisruptionbudgets"]),
            rule(WRITE, NETWORKING, &["ingresses", "networkpolicies"]),
            rule(READ_WRITE, COORDINATION, &["leases"]),
        ],
    )
}

fn aggregate_to_view_role() -> ClusterRole {
    role(
        "system:aggregate-to-view",
        vec![
            rule(
                READ,
                CORE,
                &[
                    "configmaps",
                    "endpoints",
                    "persistentvolumeclaims",
                    "persistentvolumeclaims/status",
                    "pods",
                    "replicationcontrollers",
                    "replicationcontrollers/scale",
                    "serviceaccounts",
                    "services",
                    "services/status",
                ],
            ),
            rule(
                READ,
                CORE,
                &[
                    "bindings",
                    "events",
                    "limitranges",
                    "namespaces/status",
                    "pods/log",
                    "pods/status",
                    "replicationcontrollers/status",
                    "resourcequotas",
                    "resourcequotas/status",
                ],
            ),
            // Reading namespaces at namespace scope means reading *this* one.
            rule(READ, CORE, &["namespaces"]),
            rule(READ, DISCOVERY, &["endpointslices"]),
            rule(
                READ,
                APPS,
                &[
                    "controllerrevisions",
                    "daemonsets",
                    "daemonsets/status",
                    "deployments",
                    "deployments/scale",
                    "deployments/status",
                    "replicasets",
                    "replicasets/scale",
                    "replicasets/status",
                    "statefulsets",
                    "statefulsets/scale",
                    "statefulsets/status",
                ],
            ),
            rule(
                READ,
                AUTOSCALING,
                &[
                    "horizontalpodautoscalers",
                    "horizontalpodautoscalers/status",
                ],
            ),
            rule(
                READ,
                BATCH,
                &["cronjobs", "cronjobs/status", "jobs", "jobs/status"],
            ),
            rule(
                READ,
                EXTENSIONS,
                &[
                    "daemonsets",
                    "daemonsets/status",
                    "deployments",
                    "deployments/scale",
                    "deployments/status",
                    "ingresses",
                    "ingresses/status",
                    "networkpolicies",
                    "replicasets",
                    "replicasets/scale",
                    "replicasets/status",
                    "replicationcontrollers/scale",
                ],
            ),
            rule(
                READ,
                POLICY,
                &["poddisruptionbudgets", "poddisruptionbudgets/status"],
            ),
            rule(
                READ,
                NETWORKING,
                &["ingresses", "ingresses/status", "networkpolicies"],
            ),
        ],
    )
}

fn kube_controller_manager_rules() -> Vec<PolicyRule> {
    vec![
        events_rule(),
        rule(CREATE, COORDINATION, &["leases"]),
        named(
            rule(&["get", "update"], COORDINATION, &["leases"]),
            &["kube-controller-manager"],
        ),
        rule(CREATE, CORE, &["secrets", "serviceaccounts"]),
        rule(&["delete"], CORE, &["secrets"]),
        rule(
            GET,
            CORE,
            &["configmaps", "namespaces", "secrets", "serviceaccounts"],
        ),
        rule(&["update"], CORE, &["secrets", "serviceaccounts"]),
        rule(CREATE, AUTHENTICATION, &["tokenreviews"]),
        rule(CREATE, AUTHORIZATION, &["subjectaccessreviews"]),
        rule(LIST_WATCH, &["*"], &["*"]),
        rule(CREATE, CORE, &["serviceaccounts/token"]),
    ]
}

fn kube_scheduler_rules() -> Vec<PolicyRule> {
    vec![
        events_rule(),
        rule(CREATE, COORDINATION, &["leases"]),
        named(
            rule(&["get", "update"], COORDINATION, &["leases"]),
            &["kube-scheduler"],
        ),
        rule(READ, CORE, &["nodes"]),
        rule(&["delete", "get", "list", "watch"], CORE, &["pods"]),
        rule(CREATE, CORE, &["bindings", "pods/binding"]),
        rule(PATCH_UPDATE, CORE, &["pods/status"]),
        rule(READ, CORE, &["replicationcontrollers", "services"]),
        rule(READ, &["apps", "extensions"], &["replicasets"]),
        rule(READ, APPS, &["statefulsets"]),
        rule(READ, POLICY, &["poddisruptionbudgets"]),
        rule(READ, CORE, &["persistentvolumeclaims", "persistentvolumes"]),
        rule(CREATE, AUTHENTICATION, &["tokenreviews"]),
        rule(CREATE, AUTHORIZATION, &["subjectaccessreviews"]),
        rule(READ, STORAGE, &["csinodes"]),
        rule(READ, CORE, &["namespaces"]),
        rule(READ, STORAGE, &["csidrivers"]),
        rule(READ, STORAGE, &["csistoragecapacities"]),
    ]
}

fn node_rules() -> Vec<PolicyRule> {
    vec![
        rule(CREATE, AUTHENTICATION, &["tokenreviews"]),
        rule(
            CREATE,
            AUTHORIZATION,
            &["localsubjectaccessreviews", "subjectaccessreviews"],
        ),
        rule(READ, CORE, &["services"]),
        rule(CREATE_READ, CORE, &["nodes"]),
        rule(PATCH_UPDATE, CORE, &["nodes/status"]),
        rule(PATCH_UPDATE, CORE, &["nodes"]),
        rule(&["create", "patch", "update"], CORE, &["events"]),
        rule(READ, CORE, &["pods"]),
        rule(&["create", "delete"], CORE, &["pods"]),
        rule(PATCH_UPDATE, CORE, &["pods/status"]),
        rule(CREATE, CORE, &["pods/eviction"]),
        rule(READ, CORE, &["configmaps", "secrets"]),
        rule(GET, CORE, &["persistentvolumeclaims", "persistentvolumes"]),
        rule(GET, CORE, &["endpoints"]),
        rule(CREATE_READ, CERTIFICATES, &["certificatesigningrequests"]),
        rule(LEASE_OWNER, COORDINATION, &["leases"]),
        rule(GET, STORAGE, &["volumeattachments"]),
        rule(CREATE, CORE, &["serviceaccounts/token"]),
        rule(
            &["get", "patch", "update"],
            CORE,
            &["persistentvolumeclaims/status"],
        ),
        rule(READ, STORAGE, &["csidrivers"]),
        rule(LEASE_OWNER, STORAGE, &["csinodes"]),
        rule(READ, &["node.k8s.io"], &["runtimeclasses"]),
    ]
}

fn signer_approver(signer: &str) -> ClusterRole {
    role(
        &format!("system:certificates.k8s.io:{signer}-approver"),
        vec![named(
            rule(&["approve"], CERTIFICATES, &["signers"]),
            &[&format!("kubernetes.io/{signer}")],
        )],
    )
}

/// The rule upstream gives every component that records events.
fn events_rule() -> PolicyRule {
    rule(
        &["create", "patch", "update"],
        &["", "events.k8s.io"],
        &["events"],
    )
}

fn sorted(items: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = items.iter().map(|s| (*s).to_owned()).collect();
    out.sort();
    out
}

fn rule(verbs: &[&str], groups: &[&str], resources: &[&str]) -> PolicyRule {
    PolicyRule {
        verbs: sorted(verbs),
        api_groups: Some(sorted(groups)),
        resources: Some(sorted(resources)),
        resource_names: None,
        non_resource_urls: None,
    }
}

fn named(mut rule: PolicyRule, names: &[&str]) -> PolicyRule {
    rule.resource_names = Some(sorted(names));
    rule
}

fn urls(verbs: &[&str], urls: &[&str]) -> PolicyRule {
    PolicyRule {
        verbs: sorted(verbs),
        non_resource_urls: Some(sorted(urls)),
        ..PolicyRule::default()
    }
}

fn metadata(name: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_owned()),
        labels: Some(BTreeMap::from([(
            BOOTSTRAPPING_LABEL.to_owned(),
            BOOTSTRAPPING_LABEL_VALUE.to_owned(),
        )])),
        annotations: Some(BTreeMap::from([(
            AUTO_UPDATE_ANNOTATION.to_owned(),
            "true".to_owned(),
        )])),
        ..ObjectMeta::default()
    }
}

fn role(name: &str, rules: Vec<PolicyRule>) -> ClusterRole {
    ClusterRole {
        metadata: metadata(name),
        rules: Some(rules),
        aggregation_rule: None,
    }
}

fn labelled(mut role: ClusterRole, label: &str) -> ClusterRole {
    role.metadata
        .labels
        .get_or_insert_with(BTreeMap::new)
        .insert(label.to_owned(), "true".to_owned());
    role
}

/// A role whose rules come from the roles labelled `<selects>: "true"`,
/// itself optionally labelled to feed a wider role.
fn aggregating(name: &str, selects: &str, feeds: Option<&str>) -> ClusterRole {
    let role = ClusterRole {
        metadata: metadata(name),
        rules: None,
        aggregation_rule: Some(AggregationRule {
            cluster_role_selectors: Some(vec![LabelSelector {
                match_labels: Some(BTreeMap::from([(selects.to_owned(), "true".to_owned())])),
                match_expressions: None,
            }]),
        }),
    };
    match feeds {
        Some(label) => labelled(role, label),
        None => role,
    }
}

fn binding(role_name: &str, subjects: Vec<Subject>) -> ClusterRoleBinding {
    ClusterRoleBinding {
        metadata: metadata(role_name),
        role_ref: RoleRef {
            api_group: Some(RBAC_GROUP.to_owned()),
            kind: "ClusterRole".to_owned(),
            name: role_name.to_owned(),
        },
        subjects: (!subjects.is_empty()).then_some(subjects),
    }
}

fn subject(kind: &str, name: &str) -> Subject {
    Subject {
        api_group: Some(RBAC_GROUP.to_owned()),
        kind: kind.to_owned(),
        name: name.to_owned(),
        namespace: None,
    }
}

fn group(name: &str) -> Subject {
    subject("Group", name)
}

fn user(name: &str) -> Subject {
    subject("User", name)
}

fn service_account(namespace: &str, name: &str) -> Subject {
    Subject {
        api_group: None,
        kind: "ServiceAccount".to_owned(),
        name: name.to_owned(),
        namespace: Some(namespace.to_owned()),
    }
}
