//! Table-driven tests of label and field selectors: canonical forms, upstream error texts, matching.

use serde_json::{Map, Value, json};

use super::{FieldSelector, FieldSet, LabelSelector, Labels, PackedLabels};
use crate::resources::{ResourceInfo, find};

const NAME_PART_REGEX: &str = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_REGEX: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

fn labels(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn res(group: &str, plural: &str) -> &'static ResourceInfo {
    let version = "v1";
    find(group, version, plural).expect("resource is served")
}

#[test]
fn label_selector_strings_parse_to_canonical_form() {
    let cases = [
        ("", ""),
        ("a=b", "a=b"),
        ("a==b", "a==b"),
        ("a!=b", "a!=b"),
        (" a = b , c ", "a=b,c"),
        ("c=d,a=b", "a=b,c=d"),
        (
            "x in (foo,,baz),y,z notin ()",
            "x in (,baz,foo),y,z notin ()",
        ),
        ("env in (qa, prod)", "env in (prod,qa)"),
        ("env notin(a)", "env notin (a)"),
        ("a in (in)", "a in (in)"),
        ("notin", "notin"),
        ("a=", "a="),
        ("a>1,b<2", "a>1,b<2"),
        ("!j,i", "i,!j"),
        ("example.com/tier=web", "example.com/tier=web"),
        ("a=b,a!=c", "a=b,a!=c"),
    ];
    for (input, want) in cases {
        let sel = LabelSelector::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
        assert_eq!(sel.to_string(), want, "input {input:?}");
    }
    assert!(
        LabelSelector::parse("")
            .map(|s| s.is_empty())
            .unwrap_or(false)
    );
}

#[test]
fn label_selector_parse_errors_use_upstream_text() {
    let cases: &[(&str, String)] = &[
        (
            "a in (b",
            "unable to parse requirement: found '', expected: ',' or ')'".into(),
        ),
        (
            "a b",
            "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"
                .into(),
        ),
        (
            "a=b c",
            "found 'c', expected: ',' or 'end of string'".into(),
        ),
        ("a=b,", "found '', expected: identifier after ','".into()),
        (
            ",a",
            "found ',', expected: !, identifier, or 'end of string'".into(),
        ),
        (
            "!a=b",
            "found '=', expected: ',' or 'end of string'".into(),
        ),
        (
            "a>=1",
            "unable to parse requirement: found '=', expected: identifier".into(),
        ),
        (
            "a in b",
            "unable to parse requirement: found 'b' expected: '('".into(),
        ),
        (
            "a in (b c)",
            "unable to parse requirement: found 'c', expected: ',' or ')'".into(),
        ),
        (
            "a in (=)",
            "unable to parse requirement: found '=', expected: ',', ')' or identifier".into(),
        ),
        (
            "app:monolith",
            format!(
                "unable to parse requirement: <nil>: Invalid value: \"app:monolith\": {NAME_PART_REGEX}"
            ),
        ),
        (
            "app.kubernetes_io/name=x",
            "unable to parse requirement: <nil>: Invalid value: \"app.kubernetes_io/name\": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')".into(),
        ),
        (
            "a/b/c=d",
            "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')".into(),
        ),
        (
            "a>x",
            "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer".into(),
        ),
        (
            "a=-b",
            format!(
                "unable to parse requirement: values[0][a]: Invalid value: \"-b\": {LABEL_VALUE_REGEX}"
            ),
        ),
        (
            "a in (-x,-y)",
            format!(
                "unable to parse requirement: [values[0][a]: Invalid value: \"-x\": {LABEL_VALUE_REGEX}, values[1][a]: Invalid value: \"-y\": {LABEL_VALUE_REGEX}]"
            ),
        ),
    ];
    for (input, want) in cases {
        let err = LabelSelector::parse(input).expect_err(input);
        assert_eq!(err.message(), want, "input {input:?}");
    }
}

#[test]
fn label_selector_matching() {
    let l = labels(json!({"app": "web", "tier": "1", "env": "prod"}));
    let cases = [
        ("", true),
        ("app=web", true),
        ("app==web", true),
        ("app=db", false),
        ("app!=db", true),
        ("missing!=x", true),
        ("env in (prod,qa)", true),
        ("env notin (prod)", false),
        ("missing notin (x)", true),
        ("missing in (x)", false),
        ("app", true),
        ("!app", false),
        ("!missing", true),
        ("tier>0", true),
        ("tier<1", false),
        ("app>0", false),
        ("missing<5", false),
        ("app=web,env=qa", false),
    ];
    for (input, want) in cases {
        let sel = LabelSelector::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
        assert_eq!(sel.matches(&l), want, "selector {input:?}");
    }
    let empty = Map::new();
    assert!(LabelSelector::parse("a!=b").is_ok_and(|s| s.matches(&empty)));
}

#[test]
fn label_selector_objects_convert_like_upstream() {
    let sel = LabelSelector::from_label_selector(&json!({
        "matchLabels": {"app": "web"},
        "matchExpressions": [
            {"key": "env", "operator": "In", "values": ["qa", "prod"]},
            {"key": "canary", "operator": "DoesNotExist"},
        ]
    }));
    let sel = sel.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sel.to_string(), "app=web,!canary,env in (prod,qa)");
    assert!(sel.matches(&labels(json!({"app": "web", "env": "prod"}))));
    assert!(!sel.matches(&labels(json!({"app": "web", "env": "prod", "canary": "1"}))));

    let nothing = LabelSelector::from_label_selector(&Value::Null).unwrap_or_default();
    assert!(nothing.is_nothing() && !nothing.is_empty());
    assert!(!nothing.matches(&Map::new()));
    assert_eq!(nothing.to_string(), "");

    let everything =
        LabelSelector::from_label_selector(&json!({})).unwrap_or_else(|e| panic!("{e}"));
    assert!(everything.is_empty() && everything.matches(&Map::new()));

    let errors: &[(Value, String)] = &[
        (
            json!({"matchExpressions": [{"key": "a", "operator": "Foo"}]}),
            "\"Foo\" is not a valid label selector operator".into(),
        ),
        (
            json!({"matchExpressions": [{"key": "a", "operator": "In", "values": []}]}),
            "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty".into(),
        ),
        (
            json!({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]}),
            "values: Invalid value: []string{\"x\"}: values set must be empty for exists and does not exist".into(),
        ),
        (
            json!({"matchLabels": {"-bad": "x"}}),
            format!("key: Invalid value: \"-bad\": {NAME_PART_REGEX}"),
        ),
        (
            json!({"matchLabels": {"a": "bad value"}}),
            format!("values[0][a]: Invalid value: \"bad value\": {LABEL_VALUE_REGEX}"),
        ),
    ];
    for (input, want) in errors {
        let err = LabelSelector::from_label_selector(input).expect_err("invalid selector");
        assert_eq!(err.message(), want, "input {input}");
    }
}

#[test]
fn label_selector_exact_match_and_sets() {
    let sel = LabelSelector::parse("a=1,b in (2),c in (3,4),d!=5").unwrap_or_default();
    assert_eq!(sel.requires_exact_match("a"), Some("1"));
    assert_eq!(sel.requires_exact_match("b"), Some("2"));
    assert_eq!(sel.requires_exact_match("c"), None);
    assert_eq!(sel.requires_exact_match("d"), None);
    let from_set = LabelSelector::from_set(&labels(json!({"tier": "web", "app": "x"})));
    assert_eq!(from_set.to_string(), "app=x,tier=web");
    assert!(LabelSelector::from_set(&Map::new()).is_empty());
}

#[test]
fn field_selector_parse_and_canonical_form() {
    let cases = [
        ("", ""),
        (",,", ""),
        (
            "status.phase==Running,metadata.name=x,spec.nodeName!=",
            "metadata.name=x,spec.nodeName!=,status.phase=Running",
        ),
        ("a=b\\,c", "a=b\\,c"),
        ("a=b\\=c\\\\", "a=b\\=c\\\\"),
    ];
    for (input, want) in cases {
        let sel = FieldSelector::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
        assert_eq!(sel.to_string(), want, "input {input:?}");
    }
    let sel = FieldSelector::parse("a=b\\,c").unwrap_or_default();
    assert_eq!(sel.terms()[0].value, "b,c");
}

#[test]
fn field_selector_parse_errors() {
    let cases = [
        ("foo", "invalid selector: 'foo'; can't understand 'foo'"),
        (
            "a=b,foo",
            "invalid selector: 'a=b,foo'; can't understand 'foo'",
        ),
        (
            "a=b=c",
            "invalid field selector: unescaped character in value: 61",
        ),
        (
            "a!==b",
            "invalid field selector: unescaped character in value: 61",
        ),
        (
            "a=b\\x",
            "invalid field selector: invalid escape sequence: \\x",
        ),
        (
            "a=b\\",
            "invalid field selector: invalid escape sequence: \\",
        ),
    ];
    for (input, want) in cases {
        let err = FieldSelector::parse(input).expect_err(input);
        assert_eq!(err.message(), want, "input {input:?}");
    }
}

#[test]
fn field_selector_supported_fields_per_kind() {
    let ok = [
        (
            "",
            "pods",
            "spec.nodeName=n1,status.phase!=Running,spec.host=n1",
        ),
        (
            "",
            "pods",
            "metadata.namespace=default,spec.hostNetwork=true",
        ),
        ("", "nodes", "spec.unschedulable=false,metadata.name=n1"),
        (
            "",
            "events",
            "involvedObject.kind=Pod,reason=Failed,source=kubelet",
        ),
        (
            "events.k8s.io",
            "events",
            "regarding.name=web,reportingController=x",
        ),
        ("", "replicationcontrollers", "status.replicas=0"),
        ("", "secrets", "type=Opaque"),
        ("", "namespaces", "status.phase=Active"),
        ("", "services", "spec.type=ClusterIP,spec.clusterIP=None"),
        (
            "apps",
            "deployments",
            "metadata.name=web,metadata.namespace=default",
        ),
    ];
    for (group, plural, input) in ok {
        let sel = FieldSelector::parse(input).unwrap_or_default();
        assert!(
            sel.check_supported(res(group, plural)).is_ok(),
            "{group}/{plural} {input}"
        );
    }
    let rejected = [
        ("", "pods", "foo=bar", "field label not supported: foo"),
        (
            "",
            "nodes",
            "metadata.namespace=x",
            "field label not supported: metadata.namespace",
        ),
        (
            "events.k8s.io",
            "events",
            "involvedObject.kind=Pod",
            "field label not supported: involvedObject.kind",
        ),
        (
            "apps",
            "replicasets",
            "status.replicas=0",
            "\"status.replicas\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"",
        ),
        (
            "",
            "configmaps",
            "b=1,a=1",
            "\"a\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"",
        ),
    ];
    for (group, plural, input, want) in rejected {
        let sel = FieldSelector::parse(input).unwrap_or_default();
        let err = sel.check_supported(res(group, plural)).expect_err(input);
        assert_eq!(err.message(), want, "{group}/{plural} {input}");
    }
}

/// Matches on the object and on its [`FieldSet`] (what the watch cache keeps), which
/// must always agree.
fn field_matches(sel: &FieldSelector, info: &ResourceInfo, obj: &Value) -> bool {
    let direct = sel.matches(info, obj);
    assert_eq!(
        sel.matches_set(info, &FieldSet::of(info, obj)),
        direct,
        "{sel} on the field set of {obj}"
    );
    direct
}

#[test]
fn field_selector_matching() {
    let pods = res("", "pods");
    let pod = json!({
        "metadata": {"name": "web-1", "namespace": "default"},
        "spec": {"nodeName": "n1", "restartPolicy": "Always"},
        "status": {"phase": "Running", "podIP": "10.0.0.5"}
    });
    let cases = [
        ("metadata.name=web-1", true),
        ("metadata.name=web-2", false),
        ("metadata.namespace!=default", false),
        ("spec.nodeName=n1,status.phase=Running", true),
        ("spec.host=n1", true),
        ("spec.nodeName!=", true),
        ("spec.hostNetwork=false", true),
        ("status.podIP=10.0.0.5", true),
        ("status.nominatedNodeName=", true),
    ];
    for (input, want) in cases {
        let sel = FieldSelector::parse(input).unwrap_or_default();
        assert_eq!(field_matches(&sel, pods, &pod), want, "{input}");
    }

    let event = json!({
        "metadata": {"name": "web.1", "namespace": "default"},
        "involvedObject": {"kind": "Deployment", "name": "web", "uid": "u1"},
        "reason": "ScalingReplicaSet",
        "reportingComponent": "deployment-controller",
        "type": "Normal"
    });
    let sel = FieldSelector::parse(
        "involvedObject.kind=Deployment,involvedObject.name=web,involvedObject.uid=u1,source=deployment-controller",
    )
    .unwrap_or_default();
    assert!(field_matches(&sel, res("", "events"), &event));

    let v1_event = json!({
        "metadata": {"name": "web.1", "namespace": "default"},
        "regarding": {"kind": "Pod", "name": "web-1"},
        "reportingController": "kubelet",
        "type": "Warning"
    });
    let sel =
        FieldSelector::parse("regarding.kind=Pod,source=kubelet,type=Warning").unwrap_or_default();
    assert!(field_matches(
        &sel,
        res("events.k8s.io", "events"),
        &v1_event
    ));

    let node = json!({"metadata": {"name": "n1"}, "spec": {"unschedulable": true}});
    let sel = FieldSelector::parse("spec.unschedulable=true").unwrap_or_default();
    assert!(field_matches(&sel, res("", "nodes"), &node));

    // Kinds without a list of their own expose name and namespace only.
    let rs = json!({"metadata": {"name": "web-1", "namespace": "prod"}});
    for (input, want) in [
        ("metadata.namespace=prod", true),
        ("metadata.name=web-2", false),
    ] {
        let sel = FieldSelector::parse(input).unwrap_or_default();
        assert_eq!(
            field_matches(&sel, res("apps", "replicasets"), &rs),
            want,
            "{input}"
        );
    }
}

#[test]
fn field_selector_exact_name() {
    let cases = [
        ("metadata.name=web,status.phase=Running", Some("web")),
        ("metadata.name==web", Some("web")),
        ("metadata.name!=web", None),
        ("status.phase=Running", None),
    ];
    for (input, want) in cases {
        let sel = FieldSelector::parse(input).unwrap_or_default();
        assert_eq!(sel.exact_name(), want, "{input}");
    }
}

#[test]
fn label_matching_agrees_for_few_and_many_labels() {
    // Up to eight labels are searched in order, more by hash: both must agree.
    for extra in [0, 3, 7, 8, 9, 20] {
        let mut set = Map::new();
        for i in 0..extra {
            set.insert(format!("k{i}"), json!(format!("v{i}")));
        }
        set.insert("app".into(), json!("web"));
        let n = set.len();
        let packed = PackedLabels::pack(&set);
        let selects = |s: &str| {
            let selector = LabelSelector::parse(s).expect("selector");
            let from_map = selector.matches(&set);
            assert_eq!(
                selector.matches(&packed),
                from_map,
                "{s}: packed and map agree"
            );
            from_map
        };
        assert!(selects("app=web"), "{n} labels");
        assert!(selects("app in (db,web),!absent"), "{n} labels");
        assert!(!selects("app=db"), "{n} labels");
        assert!(!selects("absent"), "{n} labels");
        assert!(selects("absent!=x"), "{n} labels");
        if extra > 0 {
            assert!(selects("k0=v0"), "{n} labels");
        }
    }
}

#[test]
fn packed_labels_read_back_what_was_packed() {
    let labels = json!({"app": "web", "": "empty key", "tier": "", "n": 3, "é": "ü"});
    let Some(labels) = labels.as_object() else {
        panic!("an object");
    };
    let packed = PackedLabels::pack(labels);
    assert_eq!(packed.label("app"), Some("web"));
    assert_eq!(packed.label(""), Some("empty key"));
    assert_eq!(packed.label("tier"), Some(""));
    assert_eq!(packed.label("é"), Some("ü"));
    assert_eq!(
        packed.label("n"),
        None,
        "a value that is not a string is no label"
    );
    assert_eq!(packed.label("ap"), None);
    assert_eq!(PackedLabels::default().label("app"), None);
    let every: Vec<(&str, &str)> = packed.iter().collect();
    assert_eq!(
        every,
        [("app", "web"), ("", "empty key"), ("tier", ""), ("é", "ü")]
    );
    assert_eq!(PackedLabels::default().iter().count(), 0);
}

#[test]
fn a_required_label_comes_from_an_equality_or_a_one_value_set() {
    let required = |s: &str| {
        LabelSelector::parse(s)
            .expect("selector")
            .required_label()
            .map(|(k, v)| format!("{k}={v}"))
    };
    assert_eq!(required("app=web").as_deref(), Some("app=web"));
    assert_eq!(required("app==web").as_deref(), Some("app=web"));
    assert_eq!(required("tier in (db)").as_deref(), Some("tier=db"));
    assert_eq!(required("!x,env!=prod,app=web").as_deref(), Some("app=web"));
    for none in [
        "",
        "app",
        "!app",
        "app!=web",
        "app in (a,b)",
        "app notin (a)",
        "n>3",
    ] {
        assert_eq!(required(none), None, "{none}");
    }
    assert_eq!(LabelSelector::nothing().required_label(), None);
}
