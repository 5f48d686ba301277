//! Pod validation tests: containers, ports, probes, resources, volumes and the update rule.

use serde_json::{Value, json};

use super::tests::{errors, with};

fn pod() -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "p", "namespace": "default"},
        "spec": {"containers": [{"name": "web", "image": "nginx:1.25"}]}
    })
}

fn pod_with(path: &str, value: Value) -> Value {
    with(pod(), path, value)
}

const LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

#[test]
fn pod_create_cases() {
    let cases: Vec<(&str, Value, Vec<String>)> = vec![
        ("valid", pod(), vec![]),
        ("no containers", pod_with("spec.containers", json!([])), vec!["spec.containers: Required value".into()]),
        (
            "container name",
            pod_with("spec.containers.0.name", json!("Web_1")),
            vec![format!("spec.containers[0].name: Invalid value: \"Web_1\": {LABEL_MSG}")],
        ),
        (
            "duplicate container",
            pod_with("spec.containers", json!([{"name": "web", "image": "a"}, {"name": "web", "image": "b"}])),
            vec!["spec.containers[1].name: Duplicate value: \"web\"".into()],
        ),
        (
            "init container clashes with container",
            pod_with("spec.initContainers", json!([{"name": "web", "image": "busybox"}])),
            vec!["spec.initContainers[0].name: Duplicate value: \"web\"".into()],
        ),
        ("no image", pod_with("spec.containers.0.image", Value::Null), vec!["spec.containers[0].image: Required value".into()]),
        (
            "image with whitespace",
            pod_with("spec.containers.0.image", json!(" nginx")),
            vec!["spec.containers[0].image: Invalid value: \" nginx\": must not have leading or trailing whitespace".into()],
        ),
        (
            "port out of range",
            pod_with("spec.containers.0.ports", json!([{"containerPort": 70000}])),
            vec!["spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive".into()],
        ),
        (
            "port name and protocol",
            pod_with("spec.containers.0.ports", json!([{"containerPort": 80, "name": "HTTP", "protocol": "ICMP"}])),
            vec![
                "spec.containers[0].ports[0].name: Invalid value: \"HTTP\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)".into(),
                "spec.containers[0].ports[0].name: Invalid value: \"HTTP\": must contain at least one letter (a-z)".into(),
                "spec.containers[0].ports[0].protocol: Unsupported value: \"ICMP\": supported values: \"SCTP\", \"TCP\", \"UDP\"".into(),
            ],
        ),
        (
            "host port conflict",
            pod_with("spec.containers", json!([
                {"name": "a", "image": "x", "ports": [{"containerPort": 80, "hostPort": 8080}]},
                {"name": "b", "image": "x", "ports": [{"containerPort": 81, "hostPort": 8080}]}])),
            vec!["spec.containers[1].ports[0].hostPort: Duplicate value: \"TCP//8080\"".into()],
        ),
        (
            "restartPolicy",
            pod_with("spec.restartPolicy", json!("Sometimes")),
            vec!["spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\"".into()],
        ),
        (
            "dnsPolicy",
            pod_with("spec.dnsPolicy", json!("Bogus")),
            vec!["spec.dnsPolicy: Unsupported value: \"Bogus\": supported values: \"ClusterFirstWithHostNet\", \"ClusterFirst\", \"Default\", \"None\"".into()],
        ),
        (
            "imagePullPolicy",
            pod_with("spec.containers.0.imagePullPolicy", json!("Maybe")),
            vec!["spec.containers[0].imagePullPolicy: Unsupported value: \"Maybe\": supported values: \"Always\", \"IfNotPresent\", \"Never\"".into()],
        ),
        (
            "request above limit",
            pod_with("spec.containers.0.resources", json!({"limits": {"cpu": "1"}, "requests": {"cpu": "2000m"}})),
            vec!["spec.containers[0].resources.requests: Invalid value: \"2\": must be less than or equal to cpu limit of 1".into()],
        ),
        (
            "unknown resource",
            pod_with("spec.containers.0.resources", json!({"limits": {"gpu": "1"}})),
            vec![
                "spec.containers[0].resources.limits[gpu]: Invalid value: \"gpu\": must be a standard resource type or fully qualified".into(),
                "spec.containers[0].resources.limits[gpu]: Invalid value: \"gpu\": must be a standard resource for containers".into(),
                // Requests were defaulted from the limits, so they are reported too.
                "spec.containers[0].resources.requests[gpu]: Invalid value: \"gpu\": must be a standard resource type or fully qualified".into(),
                "spec.containers[0].resources.requests[gpu]: Invalid value: \"gpu\": must be a standard resource for containers".into(),
            ],
        ),
        (
            "two probe handlers",
            pod_with("spec.containers.0.livenessProbe", json!({"exec": {"command": ["true"]}, "tcpSocket": {"port": 80}})),
            vec!["spec.containers[0].livenessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type".into()],
        ),
        (
            "no probe handler",
            pod_with("spec.containers.0.readinessProbe", json!({"periodSeconds": 5})),
            vec!["spec.containers[0].readinessProbe: Required value: must specify a handler type".into()],
        ),
        (
            "liveness success threshold",
            pod_with("spec.containers.0.livenessProbe", json!({"httpGet": {"port": 8080}, "successThreshold": 2})),
            vec!["spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1".into()],
        ),
        (
            "probe port name",
            pod_with("spec.containers.0.startupProbe", json!({"tcpSocket": {"port": "web_port"}})),
            vec!["spec.containers[0].startupProbe.tcpSocket.port: Invalid value: \"web_port\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)".into()],
        ),
        (
            "duplicate volume",
            pod_with("spec.volumes", json!([{"name": "data", "emptyDir": {}}, {"name": "data", "emptyDir": {}}])),
            vec!["spec.volumes[1].name: Duplicate value: \"data\"".into()],
        ),
        (
            "two volume sources",
            pod_with("spec.volumes", json!([{"name": "data", "emptyDir": {}, "secret": {"secretName": "s"}}])),
            vec!["spec.volumes[0].secret: Forbidden: may not specify more than 1 volume type".into()],
        ),
        (
            "mount of missing volume",
            pod_with("spec.containers.0.volumeMounts", json!([{"name": "data", "mountPath": "/data"}])),
            vec!["spec.containers[0].volumeMounts[0].name: Not found: \"data\"".into()],
        ),
        (
            "configMap volume without name",
            pod_with("spec.volumes", json!([{"name": "cfg", "configMap": {"defaultMode": 1000}}])),
            vec![
                "spec.volumes[0].configMap.name: Required value".into(),
                "spec.volumes[0].configMap.defaultMode: Invalid value: 1000: must be a number between 0 and 0777 (octal), both inclusive".into(),
            ],
        ),
        (
            "env from field",
            pod_with("spec.containers.0.env", json!([{"name": "X", "valueFrom": {"fieldRef": {"fieldPath": "spec.foo"}}}])),
            vec!["spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Invalid value: \"spec.foo\": error converting fieldPath: field label not supported: spec.foo".into()],
        ),
        (
            "env name with equals",
            pod_with("spec.containers.0.env", json!([{"name": "A=B", "value": "1"}])),
            vec!["spec.containers[0].env[0].name: Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='".into()],
        ),
        (
            "tolerations",
            pod_with("spec.tolerations", json!([{"operator": "Equal", "value": "x"}])),
            vec!["spec.tolerations[0].operator: Invalid value: \"Equal\": operator must be Exists when `key` is empty, which means \"match all values and all keys\"".into()],
        ),
        (
            "activeDeadlineSeconds",
            pod_with("spec.activeDeadlineSeconds", json!(0)),
            vec!["spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive".into()],
        ),
    ];
    for (name, obj, want) in cases {
        assert_eq!(errors("", "Pod", obj, None), want, "case {name}");
    }
}

#[test]
fn pod_update_cases() {
    let old = with(pod(), "metadata.resourceVersion", json!("7"));
    let updated = |path: &str, v: Value| with(old.clone(), path, v);
    assert_eq!(
        errors(
            "",
            "Pod",
            updated("spec.containers.0.image", json!("nginx:1.26")),
            Some(old.clone())
        ),
        Vec::<String>::new()
    );
    assert_eq!(
        errors(
            "",
            "Pod",
            updated("spec.activeDeadlineSeconds", json!(60)),
            Some(old.clone())
        ),
        Vec::<String>::new()
    );
    assert_eq!(
        errors(
            "",
            "Pod",
            updated(
                "spec.containers",
                json!([{"name": "web", "image": "a"}, {"name": "b", "image": "b"}])
            ),
            Some(old.clone())
        ),
        vec!["spec.containers: Forbidden: pod updates may not add or remove containers"]
    );
    let changed = errors(
        "",
        "Pod",
        updated(
            "spec.containers.0.env",
            json!([{"name": "A", "value": "1"}]),
        ),
        Some(old.clone()),
    );
    assert_eq!(changed.len(), 1);
    assert!(
        changed[0].starts_with(
            "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n  core.PodSpec{\n"
        ),
        "{}",
        changed[0]
    );
    let with_deadline = updated("spec.activeDeadlineSeconds", json!(60));
    assert_eq!(
        errors(
            "",
            "Pod",
            updated("spec.activeDeadlineSeconds", json!(120)),
            Some(with_deadline.clone())
        ),
        vec![
            "spec.activeDeadlineSeconds: Invalid value: 120: must be less than or equal to previous value"
        ]
    );
    assert_eq!(
        errors("", "Pod", old.clone(), Some(with_deadline)),
        vec![
            "spec.activeDeadlineSeconds: Invalid value: \"null\": must not update from a positive integer to nil value"
        ]
    );
}

#[test]
fn a_pod_status_write_checks_the_metadata_update_not_the_spec() {
    let info = super::tests::info("", "Pod");
    let status_errors = |obj: &Value, old: &Value| -> Vec<String> {
        super::validate_status_update(info, obj, old)
            .iter()
            .map(super::FieldError::full_message)
            .collect()
    };
    // A spec the full update validation refuses is not looked at by a status write,
    // which cannot change it (the registry takes the spec from the stored object).
    let bad_spec = pod_with("spec.containers.0.name", json!("Web_1"));
    let with_status = with(bad_spec.clone(), "status.phase", json!("Running"));
    assert!(!errors("", "Pod", with_status.clone(), Some(bad_spec.clone())).is_empty());
    assert_eq!(status_errors(&with_status, &bad_spec), Vec::<String>::new());
    // The metadata update rules still hold.
    let old = with(pod(), "metadata.uid", json!("a"));
    let renamed = with(old.clone(), "metadata.uid", json!("b"));
    assert_eq!(
        status_errors(&renamed, &old),
        ["metadata.uid: Invalid value: \"b\": field is immutable"]
    );
    // Other kinds keep their full update validation.
    let rs = super::tests::info("apps", "ReplicaSet");
    let old_rs = json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": "r", "namespace": "default"},
        "spec": {"selector": {"matchLabels": {"a": "b"}},
                 "template": {"metadata": {"labels": {"a": "b"}},
                              "spec": {"containers": [{"name": "c", "image": "i"}]}}}});
    let negative = with(old_rs.clone(), "status.replicas", json!(-1));
    assert_eq!(
        super::validate_status_update(rs, &negative, &old_rs),
        super::validate(rs, &negative, Some(&old_rs)),
    );
}
