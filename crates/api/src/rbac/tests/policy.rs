//! Aggregation and bootstrap-policy tests.

use std::collections::BTreeMap;

use k8s_openapi::api::rbac::v1::{AggregationRule, ClusterRole, PolicyRule};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};

use super::*;

// ---- aggregation ----------------------------------------------------------

fn labelled(name: &str, labels: &[(&str, &str)], rules: Vec<PolicyRule>) -> ClusterRole {
    let mut r = cluster_role(name, rules);
    r.metadata.labels = Some(
        labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    );
    r
}

fn aggregator(name: &str, selectors: Vec<LabelSelector>) -> ClusterRole {
    ClusterRole {
        metadata: meta(None, name),
        rules: None,
        aggregation_rule: Some(AggregationRule {
            cluster_role_selectors: Some(selectors),
        }),
    }
}

fn match_labels(k: &str, v: &str) -> LabelSelector {
    LabelSelector {
        match_labels: Some(BTreeMap::from([(k.to_owned(), v.to_owned())])),
        match_expressions: None,
    }
}

fn expr(key: &str, op: &str, values: &[&str]) -> LabelSelector {
    LabelSelector {
        match_labels: None,
        match_expressions: Some(vec![LabelSelectorRequirement {
            key: key.to_owned(),
            operator: op.to_owned(),
            values: (!values.is_empty()).then(|| strings(values)),
        }]),
    }
}

fn rules_of<'a>(roles: &'a [ClusterRole], name: &str) -> &'a [PolicyRule] {
    roles
        .iter()
        .find(|r| r.metadata.name.as_deref() == Some(name))
        .and_then(|r| r.rules.as_deref())
        .unwrap_or(&[])
}

#[test]
fn aggregation_unions_matching_roles_by_name_without_duplicates() {
    let a = rule(&["get"], &[""], &["a"]);
    let b = rule(&["get"], &[""], &["b"]);
    let c = rule(&["get"], &[""], &["c"]);
    // The same rule with an absent list vs an empty one counts as a duplicate.
    let mut a_again = a.clone();
    a_again.resource_names = Some(vec![]);
    let mut roles = vec![
        labelled("zz", &[("agg", "yes")], vec![c.clone(), a_again]),
        aggregator("all", vec![match_labels("agg", "yes")]),
        labelled("aa", &[("agg", "yes")], vec![a.clone(), b.clone()]),
        labelled("mm", &[("agg", "no")], vec![rule(&["*"], &["*"], &["*"])]),
    ];
    assert!(aggregate_cluster_roles(&mut roles).is_empty());
    assert_eq!(rules_of(&roles, "all"), &[a, b, c][..]);
}

#[test]
fn aggregation_match_expressions() {
    let r = |name: &str, labels: &[(&str, &str)]| {
        labelled(name, labels, vec![rule(&["get"], &[""], &[name])])
    };
    let base = vec![
        r("blue", &[("color", "blue")]),
        r("red", &[("color", "red")]),
        r("plain", &[]),
    ];
    let picked = |selector: LabelSelector| {
        let mut roles = base.clone();
        roles.push(aggregator("agg", vec![selector]));
        assert!(aggregate_cluster_roles(&mut roles).is_empty());
        rules_of(&roles, "agg")
            .iter()
            .flat_map(|r| r.resources.clone().unwrap_or_default())
            .collect::<Vec<_>>()
    };
    assert_eq!(picked(expr("color", "In", &["blue", "green"])), ["blue"]);
    assert_eq!(picked(expr("color", "NotIn", &["blue"])), ["plain", "red"]);
    assert_eq!(picked(expr("color", "Exists", &[])), ["blue", "red"]);
    assert_eq!(picked(expr("color", "DoesNotExist", &[])), ["plain"]);
    // An empty selector selects every other role.
    assert_eq!(picked(LabelSelector::default()), ["blue", "plain", "red"]);
}

#[test]
fn aggregation_chains_settle_and_bad_selectors_leave_roles_alone() {
    let leaf = rule(&["get"], &[""], &["leaf"]);
    let mut middle = aggregator("middle", vec![match_labels("to-middle", "true")]);
    middle.metadata.labels = Some(BTreeMap::from([("to-top".to_owned(), "true".to_owned())]));
    let mut bad = aggregator("bad", vec![expr("k", "Near", &["v"])]);
    bad.rules = Some(vec![rule(&["keep"], &[""], &["me"])]);
    let mut roles = vec![
        aggregator("top", vec![match_labels("to-top", "true")]),
        middle,
        labelled("leaf", &[("to-middle", "true")], vec![leaf.clone()]),
        bad,
    ];
    let errors = aggregate_cluster_roles(&mut roles);
    assert_eq!(rules_of(&roles, "top"), std::slice::from_ref(&leaf));
    assert_eq!(rules_of(&roles, "middle"), std::slice::from_ref(&leaf));
    assert_eq!(
        rules_of(&roles, "bad"),
        &[rule(&["keep"], &[""], &["me"])][..]
    );
    assert_eq!(
        errors,
        [r#"clusterrole "bad": "Near" is not a valid label selector operator"#]
    );
    let err = label_selector_matches(&expr("k", "In", &[]), None);
    assert!(err.is_err());
}

// ---- bootstrap policy -----------------------------------------------------

#[test]
fn bootstrap_objects_carry_upstream_metadata() {
    let roles = bootstrap_cluster_roles();
    let names: Vec<&str> = roles
        .iter()
        .filter_map(|r| r.metadata.name.as_deref())
        .collect();
    for want in [
        "cluster-admin",
        "admin",
        "edit",
        "view",
        "system:aggregate-to-admin",
        "system:aggregate-to-edit",
        "system:aggregate-to-view",
        "system:basic-user",
        "system:discovery",
        "system:public-info-viewer",
        "system:node",
        "system:node-bootstrapper",
        "system:kube-controller-manager",
        "system:kube-scheduler",
        "system:certificates.k8s.io:certificatesigningrequests:nodeclient",
        "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
    ] {
        assert!(names.contains(&want), "{want}");
    }
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);

    let bindings = bootstrap_cluster_role_bindings();
    let metas = roles
        .iter()
        .map(|r| &r.metadata)
        .chain(bindings.iter().map(|b| &b.metadata));
    for m in metas {
        let label = m.labels.as_ref().and_then(|l| l.get(BOOTSTRAPPING_LABEL));
        assert_eq!(
            label.map(String::as_str),
            Some("rbac-defaults"),
            "{:?}",
            m.name
        );
        let ann = m
            .annotations
            .as_ref()
            .and_then(|a| a.get(AUTO_UPDATE_ANNOTATION));
        assert_eq!(ann.map(String::as_str), Some("true"), "{:?}", m.name);
    }
    // Every binding points at a role that exists.
    for b in &bindings {
        assert!(
            names.contains(&b.role_ref.name.as_str()),
            "{}",
            b.role_ref.name
        );
    }
    let edit = roles
        .iter()
        .find(|r| r.metadata.name.as_deref() == Some("edit"));
    let edit_labels = edit.and_then(|r| r.metadata.labels.as_ref());
    assert_eq!(
        edit_labels
            .and_then(|l| l.get("rbac.authorization.k8s.io/aggregate-to-admin"))
            .map(String::as_str),
        Some("true")
    );
}

#[test]
fn bootstrap_aggregated_roles_nest() {
    let roles = bootstrap_cluster_roles();
    let view = rules_of(&roles, "view");
    let edit = rules_of(&roles, "edit");
    let admin = rules_of(&roles, "admin");
    assert_eq!(view, rules_of(&roles, "system:aggregate-to-view"));
    assert_eq!(edit.len(), 13 + 10);
    assert_eq!(admin.len(), 23 + 2);
    assert!(view.iter().all(|r| edit.contains(r)));
    assert!(edit.iter().all(|r| admin.contains(r)));
    // Aggregating again changes nothing.
    let mut again = roles.clone();
    assert!(aggregate_cluster_roles(&mut again).is_empty());
    assert_eq!(again, roles);
}

#[test]
fn bootstrap_bindings_grant_the_expected_access() {
    let s = bootstrap_with(vec![], vec![]);
    let anon = UserInfo::new("system:anonymous", ["system:unauthenticated"]);
    let get = |path: &str| Attributes::non_resource("get", path);
    let ssar = res(
        "create",
        "",
        "authorization.k8s.io",
        "selfsubjectaccessreviews",
    );
    let csr = res(
        "create",
        "",
        "certificates.k8s.io",
        "certificatesigningrequests",
    );
    let cases: Vec<(UserInfo, Attributes, bool)> = vec![
        (anon.clone(), get("/healthz"), true),
        (anon.clone(), get("/version"), true),
        (anon.clone(), get("/apis"), false),
        (anon.clone(), ssar.clone(), false),
        (jane(), get("/apis/apps/v1"), true),
        (jane(), get("/openapi/v3"), true),
        (jane(), get("/metrics"), false),
        (jane(), ssar, true),
        (jane(), res("list", "", "", "pods"), false),
        (
            UserInfo::new("system:kube-scheduler", NO_GROUPS),
            res("create", "ns", "", "pods").with_subresource("binding"),
            true,
        ),
        (
            UserInfo::new("system:kube-scheduler", NO_GROUPS),
            res("update", "ns", "", "persistentvolumeclaims"),
            true,
        ),
        (
            UserInfo::new("system:kube-controller-manager", NO_GROUPS),
            res("watch", "", "apps", "deployments"),
            true,
        ),
        (
            UserInfo::new("system:kube-controller-manager", NO_GROUPS),
            res("create", "x", "apps", "deployments"),
            false,
        ),
        (
            UserInfo::new("kubelet-bootstrap", ["system:bootstrappers"]),
            csr.clone(),
            true,
        ),
        (
            UserInfo::new("kubelet-bootstrap", ["system:bootstrappers"]),
            csr.clone().with_subresource("nodeclient"),
            true,
        ),
        (
            UserInfo::new("system:node:n1", ["system:nodes"]),
            csr.clone().with_subresource("selfnodeclient"),
            true,
        ),
        // system:node is bound to nobody, as upstream.
        (
            UserInfo::new("system:node:n1", ["system:nodes"]),
            res("get", "x", "", "pods"),
            false,
        ),
        (
            UserInfo::new("system:serviceaccount:kube-system:kube-dns", NO_GROUPS),
            res("watch", "", "", "services"),
            true,
        ),
    ];
    for (user, attrs, want) in cases {
        let got = s.authorize(&user, &attrs) == Decision::Allow;
        assert_eq!(got, want, "{} {attrs:?}", user.name);
    }
}
