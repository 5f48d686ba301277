//! Authorization, rules_for and forbidden-message tests; the shared builders
//! live here too.

use k8s_openapi::api::authorization::v1::ResourceRule;
use k8s_openapi::api::rbac::v1::{
    ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::*;

mod policy;

// ---- builders -------------------------------------------------------------

const NO_GROUPS: [&str; 0] = [];

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn rule(verbs: &[&str], groups: &[&str], resources: &[&str]) -> PolicyRule {
    PolicyRule {
        verbs: strings(verbs),
        api_groups: Some(strings(groups)),
        resources: Some(strings(resources)),
        ..PolicyRule::default()
    }
}

fn url_rule(verbs: &[&str], urls: &[&str]) -> PolicyRule {
    PolicyRule {
        verbs: strings(verbs),
        non_resource_urls: Some(strings(urls)),
        ..PolicyRule::default()
    }
}

fn meta(namespace: Option<&str>, name: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_owned()),
        namespace: namespace.map(str::to_owned),
        ..ObjectMeta::default()
    }
}

fn cluster_role(name: &str, rules: Vec<PolicyRule>) -> ClusterRole {
    ClusterRole {
        metadata: meta(None, name),
        rules: Some(rules),
        aggregation_rule: None,
    }
}

fn role(namespace: &str, name: &str, rules: Vec<PolicyRule>) -> Role {
    Role {
        metadata: meta(Some(namespace), name),
        rules: Some(rules),
    }
}

fn subject(kind: &str, name: &str, namespace: Option<&str>) -> Subject {
    Subject {
        kind: kind.to_owned(),
        name: name.to_owned(),
        namespace: namespace.map(str::to_owned),
        api_group: None,
    }
}

fn role_ref(kind: &str, name: &str) -> RoleRef {
    RoleRef {
        api_group: Some("rbac.authorization.k8s.io".to_owned()),
        kind: kind.to_owned(),
        name: name.to_owned(),
    }
}

fn crb(name: &str, role: &str, subjects: Vec<Subject>) -> ClusterRoleBinding {
    ClusterRoleBinding {
        metadata: meta(None, name),
        role_ref: role_ref("ClusterRole", role),
        subjects: Some(subjects),
    }
}

fn rb(ns: &str, name: &str, kind: &str, role: &str, subjects: Vec<Subject>) -> RoleBinding {
    RoleBinding {
        metadata: meta(Some(ns), name),
        role_ref: role_ref(kind, role),
        subjects: Some(subjects),
    }
}

fn jane() -> UserInfo {
    UserInfo::new("jane", ["system:authenticated"])
}

fn res(verb: &str, ns: &str, group: &str, resource: &str) -> Attributes {
    Attributes::resource(verb, ns, group, resource)
}

fn deny(reason: &str) -> Decision {
    Decision::Deny {
        reason: reason.to_owned(),
    }
}

/// One ClusterRole holding `rules`, bound cluster-wide to user jane.
fn jane_with(rules: Vec<PolicyRule>) -> RbacSnapshot {
    RbacSnapshot::new(
        vec![],
        vec![cluster_role("r", rules)],
        vec![],
        vec![crb("b", "r", vec![subject("User", "jane", None)])],
    )
}

fn allows(snapshot: &RbacSnapshot, attrs: &Attributes) -> bool {
    snapshot.authorize(&jane(), attrs) == Decision::Allow
}

/// The bootstrap policy plus extra bindings, as a server would load it.
fn bootstrap_with(role_bindings: Vec<RoleBinding>, extra: Vec<ClusterRoleBinding>) -> RbacSnapshot {
    let mut bindings = bootstrap_cluster_role_bindings();
    bindings.extend(extra);
    RbacSnapshot::new(vec![], bootstrap_cluster_roles(), role_bindings, bindings)
}

// ---- rule matching --------------------------------------------------------

#[test]
fn verbs_match_exactly_or_by_star() {
    let s = jane_with(vec![rule(&["get"], &[""], &["pods"])]);
    assert!(allows(&s, &res("get", "default", "", "pods")));
    assert!(!allows(&s, &res("list", "default", "", "pods")));
    let s = jane_with(vec![rule(&["*"], &[""], &["pods"])]);
    assert!(allows(&s, &res("escalate", "default", "", "pods")));
}

#[test]
fn api_groups_match_exactly_or_by_star() {
    let s = jane_with(vec![rule(&["get"], &[""], &["deployments"])]);
    assert!(!allows(&s, &res("get", "", "apps", "deployments")));
    let s = jane_with(vec![rule(&["get"], &["apps"], &["deployments"])]);
    assert!(allows(&s, &res("get", "", "apps", "deployments")));
    assert!(!allows(&s, &res("get", "", "", "deployments")));
    let s = jane_with(vec![rule(&["get"], &["*"], &["deployments"])]);
    assert!(allows(&s, &res("get", "", "extensions", "deployments")));
    assert!(allows(&s, &res("get", "", "", "deployments")));
}

#[test]
fn resources_star_and_subresource_forms() {
    let pods_log = res("get", "ns", "", "pods").with_subresource("log");

    let s = jane_with(vec![rule(&["get"], &[""], &["*"])]);
    assert!(allows(&s, &res("get", "ns", "", "secrets")));
    assert!(allows(&s, &pods_log));

    // A bare resource does not cover its subresources, and vice versa.
    let s = jane_with(vec![rule(&["get"], &[""], &["pods"])]);
    assert!(!allows(&s, &pods_log));
    let s = jane_with(vec![rule(&["get"], &[""], &["pods/log"])]);
    assert!(allows(&s, &pods_log));
    assert!(!allows(&s, &res("get", "ns", "", "pods")));
    assert!(!allows(
        &s,
        &res("get", "ns", "", "pods").with_subresource("exec")
    ));

    let s = jane_with(vec![rule(&["update"], &["*"], &["*/scale"])]);
    let scale = res("update", "ns", "apps", "deployments").with_subresource("scale");
    assert!(allows(&s, &scale));
    assert!(!allows(&s, &res("update", "ns", "apps", "deployments")));
    assert!(!allows(
        &s,
        &res("update", "ns", "apps", "deployments").with_subresource("status")
    ));

    // Upstream deliberately has no `resource/*` wildcard: it is literal.
    let s = jane_with(vec![rule(&["get"], &[""], &["pods/*"])]);
    assert!(!allows(&s, &pods_log));
    assert!(!allows(&s, &res("get", "ns", "", "pods")));
}

#[test]
fn resource_names_restrict_to_named_requests() {
    let mut named = rule(&["*"], &[""], &["configmaps"]);
    named.resource_names = Some(strings(&["app-config"]));
    let s = jane_with(vec![named]);
    let cm = |verb: &str| res(verb, "ns", "", "configmaps");
    assert!(allows(&s, &cm("get").with_name("app-config")));
    assert!(allows(&s, &cm("delete").with_name("app-config")));
    assert!(!allows(&s, &cm("get").with_name("other")));
    // Requests without a name never match a rule that lists names.
    for verb in ["create", "list", "watch", "deletecollection"] {
        assert!(!allows(&s, &cm(verb)), "{verb}");
    }
    // An empty list means any name.
    let s = jane_with(vec![rule(&["get"], &[""], &["configmaps"])]);
    assert!(allows(&s, &cm("get").with_name("anything")));
}

#[test]
fn non_resource_urls_exact_prefix_and_star() {
    let s = jane_with(vec![url_rule(
        &["get"],
        &["/healthz", "/apis/*", "/logs**"],
    )]);
    let get = |path: &str| Attributes::non_resource("get", path);
    assert!(allows(&s, &get("/healthz")));
    assert!(!allows(&s, &get("/healthz/etcd")));
    assert!(allows(&s, &get("/apis/")));
    assert!(allows(&s, &get("/apis/apps/v1")));
    assert!(!allows(&s, &get("/apis")));
    // Every trailing star is dropped before the prefix test.
    assert!(allows(&s, &get("/logs/kube.log")));
    assert!(!allows(&s, &Attributes::non_resource("post", "/healthz")));

    let s = jane_with(vec![url_rule(&["*"], &["*"])]);
    assert!(allows(
        &s,
        &Attributes::non_resource("delete", "/anything/at/all")
    ));
    // URL rules never grant resources and resource rules never grant URLs.
    assert!(!allows(&s, &res("get", "", "", "pods")));
    let s = jane_with(vec![rule(&["*"], &["*"], &["*"])]);
    assert!(!allows(&s, &get("/healthz")));
}

// ---- subjects and scopes --------------------------------------------------

#[test]
fn user_and_group_subjects() {
    let s = RbacSnapshot::new(
        vec![],
        vec![cluster_role(
            "reader",
            vec![rule(&["get"], &[""], &["pods"])],
        )],
        vec![],
        vec![
            crb("by-user", "reader", vec![subject("User", "bob", None)]),
            crb("by-group", "reader", vec![subject("Group", "devs", None)]),
        ],
    );
    let get = res("get", "ns", "", "pods");
    assert_eq!(
        s.authorize(&UserInfo::new("bob", ["x"]), &get),
        Decision::Allow
    );
    assert_eq!(
        s.authorize(&UserInfo::new("amy", ["devs"]), &get),
        Decision::Allow
    );
    assert_eq!(s.authorize(&UserInfo::new("amy", ["ops"]), &get), deny(""));
    // A group name is not a user name, nor the other way round.
    assert_eq!(s.authorize(&UserInfo::new("devs", ["bob"]), &get), deny(""));
}

#[test]
fn view_binding_reads_but_cannot_create_deployments() {
    let binding = rb(
        "team",
        "jane-view",
        "ClusterRole",
        "view",
        vec![subject("User", "jane", None)],
    );
    let s = bootstrap_with(vec![binding], vec![]);
    for verb in ["get", "list", "watch"] {
        let attrs = res(verb, "team", "apps", "deployments");
        assert_eq!(s.authorize(&jane(), &attrs), Decision::Allow, "{verb}");
    }
    let create = res("create", "team", "apps", "deployments");
    assert_eq!(s.authorize(&jane(), &create), deny(""));
    // view deliberately excludes secrets.
    assert_eq!(
        s.authorize(&jane(), &res("get", "team", "", "secrets")),
        deny("")
    );
}

#[test]
fn role_binding_to_cluster_role_is_limited_to_its_namespace() {
    let binding = rb(
        "team",
        "jane-edit",
        "ClusterRole",
        "edit",
        vec![subject("User", "jane", None)],
    );
    let s = bootstrap_with(vec![binding], vec![]);
    assert_eq!(
        s.authorize(&jane(), &res("create", "team", "apps", "deployments")),
        Decision::Allow
    );
    for ns in ["other", ""] {
        let attrs = res("create", ns, "apps", "deployments");
        assert_eq!(s.authorize(&jane(), &attrs), deny(""), "namespace {ns:?}");
    }
}

#[test]
fn role_binding_to_role_uses_the_role_of_its_own_namespace() {
    let s = RbacSnapshot::new(
        vec![
            role("team", "pod-reader", vec![rule(&["get"], &[""], &["pods"])]),
            role("other", "pod-reader", vec![rule(&["*"], &["*"], &["*"])]),
        ],
        vec![],
        vec![rb(
            "team",
            "b",
            "Role",
            "pod-reader",
            vec![subject("User", "jane", None)],
        )],
        vec![],
    );
    assert_eq!(
        s.authorize(&jane(), &res("get", "team", "", "pods")),
        Decision::Allow
    );
    assert_eq!(
        s.authorize(&jane(), &res("delete", "team", "", "pods")),
        deny("")
    );
    assert_eq!(
        s.authorize(&jane(), &res("get", "other", "", "pods")),
        deny("")
    );
}

#[test]
fn cluster_admin_via_system_masters() {
    let s = bootstrap_with(vec![], vec![]);
    let admin = UserInfo::new("root", ["system:masters", "system:authenticated"]);
    for attrs in [
        res("delete", "", "", "nodes").with_name("n1"),
        res(
            "escalate",
            "kube-system",
            "rbac.authorization.k8s.io",
            "roles",
        ),
        res("create", "x", "", "pods").with_subresource("exec"),
        Attributes::non_resource("post", "/debug/pprof/profile"),
    ] {
        assert_eq!(s.authorize(&admin, &attrs), Decision::Allow, "{attrs:?}");
    }
    assert_eq!(
        s.authorize(&jane(), &res("delete", "", "", "nodes")),
        deny("")
    );
}

#[test]
fn service_account_subjects() {
    let sa_user = |ns: &str, name: &str| {
        UserInfo::new(
            format!("system:serviceaccount:{ns}:{name}"),
            ["system:serviceaccounts", "system:authenticated"],
        )
    };
    let s = RbacSnapshot::new(
        vec![],
        vec![cluster_role(
            "reader",
            vec![rule(&["get"], &[""], &["pods"])],
        )],
        vec![
            // Namespace defaults to the binding's.
            rb(
                "team",
                "local",
                "ClusterRole",
                "reader",
                vec![subject("ServiceAccount", "builder", None)],
            ),
            rb(
                "team",
                "foreign",
                "ClusterRole",
                "reader",
                vec![subject("ServiceAccount", "ci", Some("tools"))],
            ),
        ],
        vec![
            crb(
                "cluster",
                "reader",
                vec![subject("ServiceAccount", "mon", Some("ops"))],
            ),
            // Without a namespace a ClusterRoleBinding SA subject matches nobody.
            crb(
                "nobody",
                "reader",
                vec![subject("ServiceAccount", "ghost", None)],
            ),
        ],
    );
    let get = |ns: &str| res("get", ns, "", "pods");
    assert_eq!(
        s.authorize(&sa_user("team", "builder"), &get("team")),
        Decision::Allow
    );
    assert_eq!(
        s.authorize(&sa_user("team", "builder"), &get("other")),
        deny("")
    );
    assert_eq!(
        s.authorize(&sa_user("other", "builder"), &get("team")),
        deny("")
    );
    assert_eq!(
        s.authorize(&sa_user("tools", "ci"), &get("team")),
        Decision::Allow
    );
    assert_eq!(
        s.authorize(&sa_user("ops", "mon"), &get("anywhere")),
        Decision::Allow
    );
    assert_eq!(s.authorize(&sa_user("", "ghost"), &get("x")), deny(""));
    assert_eq!(
        s.authorize(&UserInfo::new("ghost", NO_GROUPS), &get("x")),
        deny("")
    );
}

#[test]
fn allow_reason_names_the_binding_like_upstream() {
    let s = RbacSnapshot::new(
        vec![],
        vec![cluster_role(
            "reader",
            vec![rule(&["get"], &[""], &["pods"])],
        )],
        vec![rb(
            "team",
            "b",
            "ClusterRole",
            "reader",
            vec![
                subject("User", "x", None),
                subject("ServiceAccount", "sa", None),
            ],
        )],
        vec![crb("c", "reader", vec![subject("Group", "devs", None)])],
    );
    let (decision, reason) =
        s.authorize_with_reason(&UserInfo::new("amy", ["devs"]), &res("get", "", "", "pods"));
    assert_eq!(decision, Decision::Allow);
    assert_eq!(
        reason,
        r#"RBAC: allowed by ClusterRoleBinding "c" of ClusterRole "reader" to Group "devs""#
    );
    let sa = UserInfo::new("system:serviceaccount:team:sa", NO_GROUPS);
    let (_, reason) = s.authorize_with_reason(&sa, &res("get", "team", "", "pods"));
    assert_eq!(
        reason,
        r#"RBAC: allowed by RoleBinding "b/team" of ClusterRole "reader" to ServiceAccount "sa/team""#
    );
}

// ---- unresolvable roles ---------------------------------------------------

#[test]
fn missing_roles_are_reported_but_do_not_block_other_grants() {
    let me = || vec![subject("User", "jane", None)];
    let s = RbacSnapshot::new(
        vec![],
        vec![cluster_role(
            "reader",
            vec![rule(&["get"], &[""], &["pods"])],
        )],
        vec![rb("team", "gone-role", "Role", "missing-role", me())],
        vec![
            crb("gone", "missing", me()),
            crb("gone-again", "missing", me()),
            crb("works", "reader", me()),
        ],
    );
    assert_eq!(
        s.authorize(&jane(), &res("get", "team", "", "pods")),
        Decision::Allow
    );
    assert_eq!(
        s.authorize(&jane(), &res("list", "", "", "pods")),
        deny(r#"RBAC: clusterrole.rbac.authorization.k8s.io "missing" not found"#)
    );
    assert_eq!(
        s.authorize(&jane(), &res("list", "team", "", "pods")),
        deny(
            r#"RBAC: [clusterrole.rbac.authorization.k8s.io "missing" not found, role.rbac.authorization.k8s.io "missing-role" not found]"#
        )
    );
    // Bindings that do not apply to the user are never resolved.
    let other = UserInfo::new("bob", NO_GROUPS);
    assert_eq!(
        s.authorize(&other, &res("list", "team", "", "pods")),
        deny("")
    );
}

#[test]
fn unsupported_role_ref_kind_is_an_error() {
    let mut b = crb("odd", "x", vec![subject("User", "jane", None)]);
    b.role_ref.kind = "Policy".to_owned();
    let s = RbacSnapshot::new(vec![], vec![], vec![], vec![b]);
    assert_eq!(
        s.authorize(&jane(), &res("get", "", "", "pods")),
        deny(r#"RBAC: unsupported role reference kind: "Policy""#)
    );
}

// ---- rules_for ------------------------------------------------------------

#[test]
fn rules_for_a_view_binding() {
    let binding = rb(
        "team",
        "v",
        "ClusterRole",
        "view",
        vec![subject("User", "jane", None)],
    );
    let s = bootstrap_with(vec![binding], vec![]);
    let nobody_else = UserInfo::new("jane", NO_GROUPS);
    let review = s.rules_for(&nobody_else, "team");

    let roles = bootstrap_cluster_roles();
    let view = roles
        .iter()
        .find(|r| r.metadata.name.as_deref() == Some("view"))
        .and_then(|r| r.rules.clone())
        .expect("view has rules");
    let expected: Vec<ResourceRule> = view
        .iter()
        .map(|r| ResourceRule {
            verbs: r.verbs.clone(),
            api_groups: r.api_groups.clone(),
            resources: r.resources.clone(),
            resource_names: None,
        })
        .collect();
    assert_eq!(review.resource_rules, expected);
    assert_eq!(review.resource_rules.len(), 10);
    assert_eq!(
        review.resource_rules[0]
            .resources
            .as_deref()
            .map(|r| r.len()),
        Some(10)
    );
    assert!(review.non_resource_rules.is_empty());
    assert!(!review.incomplete);
    assert_eq!(review.evaluation_error, "");

    // Empty resourceNames are left out of the wire form, as Go's omitempty does.
    let json = serde_json::to_value(&review.resource_rules[3]).expect("serializes");
    assert_eq!(
        json,
        serde_json::json!({"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": ["get", "list", "watch"]})
    );

    // Other namespaces see nothing of it.
    assert!(s.rules_for(&nobody_else, "other").resource_rules.is_empty());
}

#[test]
fn rules_for_includes_cluster_and_url_rules_and_errors() {
    let s = bootstrap_with(
        vec![],
        vec![crb("gone", "missing", vec![subject("User", "jane", None)])],
    );
    let review = s.rules_for(&jane(), "team");
    // system:basic-user (2 rules) then system:discovery and public-info-viewer.
    assert_eq!(review.resource_rules.len(), 2);
    assert_eq!(
        review.resource_rules[0].resources,
        Some(strings(&[
            "selfsubjectaccessreviews",
            "selfsubjectrulesreviews"
        ]))
    );
    assert_eq!(review.non_resource_rules.len(), 2);
    assert!(
        review.non_resource_rules[0]
            .non_resource_urls
            .as_deref()
            .is_some_and(|u| u.contains(&"/apis/*".to_owned()))
    );
    assert_eq!(
        review.evaluation_error,
        r#"clusterrole.rbac.authorization.k8s.io "missing" not found"#
    );
}

// ---- forbidden messages ---------------------------------------------------

#[test]
fn forbidden_messages_match_upstream() {
    let u = UserInfo::new("jane", ["system:authenticated"]);
    let cases = [
        (
            res("create", "default", "apps", "deployments"),
            r#"deployments.apps is forbidden: User "jane" cannot create resource "deployments" in API group "apps" in the namespace "default""#,
        ),
        (
            res("get", "default", "", "pods").with_name("web"),
            r#"pods "web" is forbidden: User "jane" cannot get resource "pods" in API group "" in the namespace "default""#,
        ),
        (
            res("list", "", "", "nodes"),
            r#"nodes is forbidden: User "jane" cannot list resource "nodes" in API group "" at the cluster scope"#,
        ),
        (
            res("update", "default", "apps", "deployments")
                .with_subresource("scale")
                .with_name("web"),
            r#"deployments.apps "web" is forbidden: User "jane" cannot update resource "deployments/scale" in API group "apps" in the namespace "default""#,
        ),
        (
            Attributes::non_resource("get", "/foo"),
            r#"forbidden: User "jane" cannot get path "/foo""#,
        ),
    ];
    for (attrs, want) in cases {
        assert_eq!(forbidden_message(&u, &attrs, ""), want);
    }
}

#[test]
fn forbidden_message_reason_quoting_and_sanitizing() {
    let attrs = res("list", "", "", "pods");
    assert_eq!(
        forbidden_message(
            &jane(),
            &attrs,
            r#"RBAC: clusterrole.rbac.authorization.k8s.io "x" not found"#
        ),
        r#"pods is forbidden: User "jane" cannot list resource "pods" in API group "" at the cluster scope: RBAC: clusterrole.rbac.authorization.k8s.io "x" not found"#
    );
    // %q escaping, then HTML-ish characters replaced in the authorizer part only.
    let odd = UserInfo::new("a\"b\\c\n<d>&", NO_GROUPS);
    assert_eq!(
        forbidden_message(&odd, &Attributes::non_resource("get", "/x"), "<r>"),
        r#"forbidden: User "a\"b\\c\n&lt;d&gt;&amp;" cannot get path "/x": <r>"#
    );
    let unicode = UserInfo::new("jürgen\u{1b}", NO_GROUPS);
    assert_eq!(
        forbidden_message(&unicode, &Attributes::non_resource("get", "/x"), ""),
        r#"forbidden: User "jürgen\x1b" cannot get path "/x""#
    );
}

#[test]
fn forbidden_status_carries_upstream_details() {
    let attrs = res("get", "default", "apps", "deployments")
        .with_subresource("scale")
        .with_name("web");
    let status = forbidden_status(&jane(), &attrs, "");
    let json = serde_json::to_value(&status).expect("serializes");
    assert_eq!(json["kind"], "Status");
    assert_eq!(json["apiVersion"], "v1");
    assert_eq!(json["status"], "Failure");
    assert_eq!(json["reason"], "Forbidden");
    assert_eq!(json["code"], 403);
    assert_eq!(
        json["details"],
        serde_json::json!({"name": "web", "group": "apps", "kind": "deployments"})
    );
    assert_eq!(json["message"], forbidden_message(&jane(), &attrs, ""));

    let status = forbidden_status(&jane(), &Attributes::non_resource("get", "/foo"), "");
    let json = serde_json::to_value(&status).expect("serializes");
    assert_eq!(json["details"], serde_json::json!({}));
}
