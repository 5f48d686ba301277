//! Defaulting tests: whole objects compared with what upstream stores.

use serde_json::{Value, json};

use super::pod::image_tag;
use super::*;
use crate::resources::find_kind;

fn defaulted(group: &str, kind: &str, mut obj: Value) -> Value {
    let info = find_kind(group, kind).expect("kind is served");
    apply_defaults(info, &mut obj);
    obj
}

#[test]
fn minimal_deployment_gets_exactly_upstreams_defaults() {
    let obj = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.25", "ports": [{"containerPort": 80}]}]}
            }
        }
    });
    let want = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": 600,
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [{
                        "name": "web", "image": "nginx:1.25",
                        "ports": [{"containerPort": 80, "protocol": "TCP"}],
                        "resources": {},
                        "terminationMessagePath": "/dev/termination-log",
                        "terminationMessagePolicy": "File",
                        "imagePullPolicy": "IfNotPresent"
                    }],
                    "restartPolicy": "Always",
                    "terminationGracePeriodSeconds": 30,
                    "dnsPolicy": "ClusterFirst",
                    "securityContext": {},
                    "schedulerName": "default-scheduler"
                }
            }
        }
    });
    assert_eq!(defaulted("apps", "Deployment", obj), want);
}

#[test]
fn recreate_deployment_gets_no_rolling_update() {
    let obj = json!({"spec": {"strategy": {"type": "Recreate"}}});
    let got = defaulted("apps", "Deployment", obj);
    assert_eq!(got["spec"]["strategy"], json!({"type": "Recreate"}));
}

#[test]
fn pod_defaults() {
    let obj = json!({
        "metadata": {"name": "p", "namespace": "default"},
        "spec": {
            "containers": [{
                "name": "c", "image": "busybox",
                "resources": {"limits": {"cpu": "0.5", "memory": "1.5Gi"}},
                "env": [{"name": "N", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
                "livenessProbe": {"httpGet": {"port": 8080}}
            }],
            "volumes": [{"name": "a"}, {"name": "b", "configMap": {"name": "cfg"}}, {"name": "c", "hostPath": {"path": "/x"}}]
        }
    });
    let got = defaulted("", "Pod", obj);
    let c = &got["spec"]["containers"][0];
    assert_eq!(c["imagePullPolicy"], json!("Always"));
    assert_eq!(
        c["resources"],
        json!({"limits": {"cpu": "500m", "memory": "1536Mi"}, "requests": {"cpu": "500m", "memory": "1536Mi"}})
    );
    assert_eq!(
        c["env"][0]["valueFrom"]["fieldRef"],
        json!({"fieldPath": "metadata.name", "apiVersion": "v1"})
    );
    assert_eq!(
        c["livenessProbe"],
        json!({"httpGet": {"port": 8080, "path": "/", "scheme": "HTTP"}, "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3})
    );
    assert_eq!(got["spec"]["enableServiceLinks"], json!(true));
    assert_eq!(
        got["spec"]["volumes"],
        json!([{"name": "a", "emptyDir": {}}, {"name": "b", "configMap": {"name": "cfg", "defaultMode": 420}}, {"name": "c", "hostPath": {"path": "/x", "type": ""}}])
    );
}

#[test]
fn image_pull_policy_follows_the_tag() {
    let cases = [
        ("nginx", Some("latest")),
        ("nginx:latest", Some("latest")),
        ("nginx:1.25", Some("1.25")),
        ("registry.local:5000/team/app", Some("latest")),
        ("registry.local:5000/team/app:v2", Some("v2")),
        (
            "nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            Some(""),
        ),
        ("Nginx", None),
        ("", None),
    ];
    for (image, tag) in cases {
        assert_eq!(image_tag(image).as_deref(), tag, "{image}");
    }
}

#[test]
fn quantities_are_canonical() {
    let cases = [
        (json!("0.5"), "500m"),
        (json!("1000m"), "1"),
        (json!("1.5Gi"), "1536Mi"),
        (json!("0.5Gi"), "512Mi"),
        (json!("1024Ki"), "1Mi"),
        (json!("1536Ki"), "1536Ki"),
        (json!("100M"), "100M"),
        (json!("0.1m"), "1m"),
        (json!("1e3"), "1e3"),
        (json!("1500"), "1500"),
        (json!("2000"), "2k"),
        (json!("512"), "512"),
        (json!(2), "2"),
        (json!("0"), "0"),
        (json!("-1.5"), "-1500m"),
    ];
    for (input, want) in cases {
        let mut list = json!({"x": input.clone()});
        canonicalize_quantities(&mut list);
        assert_eq!(list["x"], json!(want), "{input}");
    }
}

#[test]
fn service_defaults() {
    let obj = json!({"metadata": {"name": "s"}, "spec": {"ports": [{"port": 80}, {"port": 53, "protocol": "UDP", "targetPort": "dns"}]}});
    let got = defaulted("", "Service", obj);
    assert_eq!(
        got["spec"],
        json!({
            "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}, {"port": 53, "protocol": "UDP", "targetPort": "dns"}],
            "sessionAffinity": "None", "type": "ClusterIP", "internalTrafficPolicy": "Cluster"
        })
    );
    let lb = defaulted(
        "",
        "Service",
        json!({"spec": {"type": "LoadBalancer", "ports": [{"port": 80}]}}),
    );
    assert_eq!(lb["spec"]["externalTrafficPolicy"], json!("Cluster"));
    assert_eq!(lb["spec"]["allocateLoadBalancerNodePorts"], json!(true));
}

#[test]
fn secret_namespace_and_rc_defaults() {
    let secret = defaulted(
        "",
        "Secret",
        json!({"metadata": {"name": "s"}, "data": {"a": "eA=="}, "stringData": {"b": "hello", "a": "y"}}),
    );
    assert_eq!(
        secret,
        json!({"metadata": {"name": "s"}, "data": {"a": "eQ==", "b": "aGVsbG8="}, "type": "Opaque"})
    );

    let ns = defaulted("", "Namespace", json!({"metadata": {"name": "team"}}));
    assert_eq!(
        ns,
        json!({"metadata": {"name": "team", "labels": {"kubernetes.io/metadata.name": "team"}},
               "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})
    );

    let rc = defaulted(
        "",
        "ReplicationController",
        json!({"metadata": {"name": "r"},
        "spec": {"template": {"metadata": {"labels": {"app": "r"}}, "spec": {"containers": []}}}}),
    );
    assert_eq!(rc["spec"]["selector"], json!({"app": "r"}));
    assert_eq!(rc["metadata"]["labels"], json!({"app": "r"}));
    assert_eq!(rc["spec"]["replicas"], json!(1));
}

#[test]
fn pod_admission_defaults() {
    let info = find_kind("", "Pod").expect("served");
    let mut pod = json!({"spec": {"tolerations": [{"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"}]}});
    apply_pod_admission_defaults(info, &mut pod, &TolerationSeconds::default());
    assert_eq!(
        pod["spec"],
        json!({
            "tolerations": [
                {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
                {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}
            ],
            "serviceAccountName": "default", "serviceAccount": "default",
            "priority": 0, "preemptionPolicy": "PreemptLowerPriority"
        })
    );
}

#[test]
fn base64_round_trips() {
    for s in ["", "a", "ab", "abc", "hello world"] {
        let enc = base64_encode(s.as_bytes());
        assert_eq!(base64_decode(&enc).as_deref(), Some(s.as_bytes()));
    }
    assert_eq!(base64_encode(b"hello"), "aGVsbG8=");
    assert_eq!(base64_decode("not base64!"), None);
}
