//! Table-driven tests of Table output: exact cells for realistic objects, column layouts, ages.

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use super::{cells, check_include_object, columns, human_age, table};
use crate::resources::{ResourceInfo, find};

fn now() -> Timestamp {
    "2024-05-01T12:00:00Z"
        .parse()
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

/// An RFC 3339 time `secs` seconds before [`now`].
fn ago(secs: i64) -> String {
    (now() - SignedDuration::from_secs(secs)).to_string()
}

fn res(group: &str, plural: &str) -> &'static ResourceInfo {
    find(group, "v1", plural).expect("resource is served")
}

fn pods() -> &'static ResourceInfo {
    res("", "pods")
}

fn pod(status: Value, spec_extra: Value, meta_extra: Value) -> Value {
    let mut metadata = json!({
        "name": "web-1",
        "namespace": "default",
        "creationTimestamp": ago(300),
    });
    if let (Some(m), Some(extra)) = (metadata.as_object_mut(), meta_extra.as_object()) {
        m.extend(extra.clone());
    }
    let mut spec = json!({
        "nodeName": "node-1",
        "containers": [{"name": "nginx", "image": "nginx:1.25"}],
    });
    if let (Some(s), Some(extra)) = (spec.as_object_mut(), spec_extra.as_object()) {
        s.extend(extra.clone());
    }
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec, "status": status})
}

fn running(name: &str) -> Value {
    json!({"name": name, "ready": true, "started": true, "restartCount": 0,
           "state": {"running": {"startedAt": ago(290)}}})
}

#[test]
fn pod_cells() {
    let cases: Vec<(&str, Value, Vec<Value>)> = vec![
        (
            "running",
            pod(
                json!({"phase": "Running", "podIP": "10.244.1.5", "podIPs": [{"ip": "10.244.1.5"}],
                       "conditions": [{"type": "Ready", "status": "True"}],
                       "containerStatuses": [running("nginx")]}),
                json!({}),
                json!({}),
            ),
            vec![
                json!("web-1"),
                json!("1/1"),
                json!("Running"),
                json!("0"),
                json!("5m"),
                json!("10.244.1.5"),
                json!("node-1"),
                json!("<none>"),
                json!("<none>"),
            ],
        ),
        (
            "image pull failing",
            pod(
                json!({"phase": "Pending", "podIPs": [{"ip": "10.244.2.7"}],
                       "containerStatuses": [{"name": "nginx", "ready": false, "restartCount": 0,
                           "state": {"waiting": {"reason": "ErrImagePull", "message": "not found"}}}]}),
                json!({}),
                json!({"creationTimestamp": ago(30)}),
            ),
            vec![
                json!("web-1"),
                json!("0/1"),
                json!("ErrImagePull"),
                json!("0"),
                json!("30s"),
                json!("10.244.2.7"),
                json!("node-1"),
                json!("<none>"),
                json!("<none>"),
            ],
        ),
        (
            "crash looping",
            pod(
                json!({"phase": "Running",
                       "containerStatuses": [{"name": "nginx", "ready": false, "restartCount": 5,
                           "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": ago(190)}},
                           "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}),
                json!({}),
                json!({"creationTimestamp": ago(2 * 3600 + 300)}),
            ),
            vec![
                json!("web-1"),
                json!("0/1"),
                json!("CrashLoopBackOff"),
                json!("5 (3m10s ago)"),
                json!("125m"),
                json!("<none>"),
                json!("node-1"),
                json!("<none>"),
                json!("<none>"),
            ],
        ),
        (
            "terminating",
            pod(
                json!({"phase": "Running", "podIP": "10.244.1.5",
                       "containerStatuses": [running("nginx")]}),
                json!({}),
                json!({"deletionTimestamp": ago(5)}),
            ),
            vec![
                json!("web-1"),
                json!("1/1"),
                json!("Terminating"),
                json!("0"),
                json!("5m"),
                json!("10.244.1.5"),
                json!("node-1"),
                json!("<none>"),
                json!("<none>"),
            ],
        ),
        (
            "unschedulable, nominated, with a readiness gate",
            pod(
                json!({"phase": "Pending", "nominatedNodeName": "node-9",
                       "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable"},
                                      {"type": "example.com/lb", "status": "True"}]}),
                json!({"nodeName": null, "readinessGates": [{"conditionType": "example.com/lb"},
                                                            {"conditionType": "example.com/dns"}]}),
                json!({}),
            ),
            vec![
                json!("web-1"),
                json!("0/1"),
                json!("Pending"),
                json!("0"),
                json!("5m"),
                json!("<none>"),
                json!("<none>"),
                json!("node-9"),
                json!("1/2"),
            ],
        ),
        (
            "scheduling gated",
            pod(
                json!({"phase": "Pending",
                       "conditions": [{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]}),
                json!({"nodeName": null}),
                json!({}),
            ),
            vec![
                json!("web-1"),
                json!("0/1"),
                json!("SchedulingGated"),
                json!("0"),
                json!("5m"),
                json!("<none>"),
                json!("<none>"),
                json!("<none>"),
                json!("<none>"),
            ],
        ),
        (
            "init container running",
            pod(
                json!({"phase": "Pending",
                       "initContainerStatuses": [{"name": "migrate", "ready": false, "restartCount": 0,
                           "state": {"running": {}}}],
                       "containerStatuses": [{"name": "nginx", "ready": false, "restartCount": 0,
                           "state": {"waiting": {"reason": "PodInitializing"}}}]}),
                json!({"initContainers": [{"name": "migrate", "image": "app:1"}]}),
                json!({}),
            ),
            vec![
                json!("web-1"),
                json!("0/1"),
                json!("Init:0/1"),
                json!("0"),
                json!("5m"),
                json!("<none>"),
                json!("node-1"),
                json!("<none>"),
                json!("<none>"),
            ],
        ),
        (
            "init container failing",
            pod(
                json!({"phase": "Pending",
                       "initContainerStatuses": [{"name": "migrate", "ready": false, "restartCount": 2,
                           "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}),
                json!({"initContainers": [{"name": "migrate", "image": "app:1"}]}),
                json!({}),
            ),
            vec![
                json!("web-1"),
                json!("0/1"),
                json!("Init:CrashLoopBackOff"),
                json!("2"),
                json!("5m"),
                json!("<none>"),
                json!("node-1"),
                json!("<none>"),
                json!("<none>"),
            ],
        ),
        (
            "sidecar running next to the app",
            pod(
                json!({"phase": "Running",
                       "conditions": [{"type": "Initialized", "status": "True"}],
                       "initContainerStatuses": [{"name": "proxy", "ready": true, "started": true,
                           "restartCount": 1,
                           "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(60)}},
                           "state": {"running": {}}}],
                       "containerStatuses": [running("nginx")]}),
                json!({"initContainers": [{"name": "proxy", "image": "envoy", "restartPolicy": "Always"}]}),
                json!({}),
            ),
            vec![
                json!("web-1"),
                json!("2/2"),
                json!("Running"),
                json!("1 (60s ago)"),
                json!("5m"),
                json!("<none>"),
                json!("node-1"),
                json!("<none>"),
                json!("<none>"),
            ],
        ),
        (
            "completed",
            pod(
                json!({"phase": "Succeeded",
                       "containerStatuses": [{"name": "nginx", "ready": false, "restartCount": 0,
                           "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]}),
                json!({}),
                json!({"deletionTimestamp": ago(1)}),
            ),
            vec![
                json!("web-1"),
                json!("0/1"),
                json!("Completed"),
                json!("0"),
                json!("5m"),
                json!("<none>"),
                json!("node-1"),
                json!("<none>"),
                json!("<none>"),
            ],
        ),
        (
            "killed without a reason",
            pod(
                json!({"phase": "Failed",
                       "containerStatuses": [{"name": "nginx", "ready": false, "restartCount": 0,
                           "state": {"terminated": {"exitCode": 137}}}]}),
                json!({}),
                json!({}),
            ),
            vec![
                json!("web-1"),
                json!("0/1"),
                json!("ExitCode:137"),
                json!("0"),
                json!("5m"),
                json!("<none>"),
                json!("node-1"),
                json!("<none>"),
                json!("<none>"),
            ],
        ),
        (
            "node lost",
            pod(
                json!({"phase": "Running", "reason": "NodeLost"}),
                json!({}),
                json!({"deletionTimestamp": ago(1)}),
            ),
            vec![
                json!("web-1"),
                json!("0/1"),
                json!("Unknown"),
                json!("0"),
                json!("5m"),
                json!("<none>"),
                json!("node-1"),
                json!("<none>"),
                json!("<none>"),
            ],
        ),
    ];
    for (name, obj, want) in cases {
        assert_eq!(cells(pods(), &obj, now()), want, "{name}");
    }
}

#[test]
fn workload_cells() {
    let deployment = json!({
        "metadata": {"name": "web", "creationTimestamp": ago(4 * 86400 + 2 * 3600)},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.26"},
                                                      {"name": "log", "image": "fluent-bit:3"}]}}},
        "status": {"replicas": 4, "updatedReplicas": 2, "readyReplicas": 3, "availableReplicas": 3}
    });
    assert_eq!(
        cells(res("apps", "deployments"), &deployment, now()),
        vec![
            json!("web"),
            json!("3/3"),
            json!(2),
            json!(3),
            json!("4d2h"),
            json!("nginx,log"),
            json!("nginx:1.26,fluent-bit:3"),
            json!("app=web")
        ]
    );

    let rs = json!({
        "metadata": {"name": "web-6c5f67b5f7", "creationTimestamp": ago(17)},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web", "pod-template-hash": "6c5f67b5f7"}},
                 "template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.26"}]}}},
        "status": {"replicas": 2, "readyReplicas": 1}
    });
    assert_eq!(
        cells(res("apps", "replicasets"), &rs, now()),
        vec![
            json!("web-6c5f67b5f7"),
            json!(3),
            json!(2),
            json!(1),
            json!("17s"),
            json!("nginx"),
            json!("nginx:1.26"),
            json!("app=web,pod-template-hash=6c5f67b5f7")
        ]
    );

    let rc = json!({
        "metadata": {"name": "legacy", "creationTimestamp": ago(3600)},
        "spec": {"selector": {"app": "legacy"}},
        "status": {"replicas": 1}
    });
    assert_eq!(
        cells(res("", "replicationcontrollers"), &rc, now()),
        vec![
            json!("legacy"),
            json!(1),
            json!(1),
            json!(0),
            json!("60m"),
            json!(""),
            json!(""),
            json!("app=legacy")
        ]
    );
}

#[test]
fn node_cells() {
    let node = json!({
        "metadata": {"name": "cp-1", "creationTimestamp": ago(10 * 86400),
                     "labels": {"node-role.kubernetes.io/control-plane": "", "kubernetes.io/role": "master"}},
        "spec": {"unschedulable": true},
        "status": {
            "conditions": [{"type": "MemoryPressure", "status": "False"},
                           {"type": "Ready", "status": "Unknown", "reason": "NodeStatusUnknown"}],
            "addresses": [{"type": "InternalIP", "address": "192.168.1.10"},
                          {"type": "Hostname", "address": "cp-1"}],
            "nodeInfo": {"kubeletVersion": "v1.33.0", "osImage": "Debian GNU/Linux 12 (bookworm)",
                         "kernelVersion": "6.1.0-18-amd64", "containerRuntimeVersion": "containerd://1.7.13"}
        }
    });
    assert_eq!(
        cells(res("", "nodes"), &node, now()),
        vec![
            json!("cp-1"),
            json!("NotReady,SchedulingDisabled"),
            json!("control-plane,master"),
            json!("10d"),
            json!("v1.33.0"),
            json!("192.168.1.10"),
            json!("<none>"),
            json!("Debian GNU/Linux 12 (bookworm)"),
            json!("6.1.0-18-amd64"),
            json!("containerd://1.7.13")
        ]
    );
    let fresh = json!({"metadata": {"name": "n2"}, "status": {}});
    assert_eq!(
        cells(res("", "nodes"), &fresh, now()),
        vec![
            json!("n2"),
            json!("Unknown"),
            json!("<none>"),
            json!("<unknown>"),
            json!(""),
            json!("<none>"),
            json!("<none>"),
            json!("<unknown>"),
            json!("<unknown>"),
            json!("<unknown>")
        ]
    );
}

#[test]
fn event_cells() {
    let core = json!({
        "metadata": {"name": "web-1.17c8e2a1b4f5", "namespace": "default"},
        "involvedObject": {"kind": "Pod", "name": "web-1", "fieldPath": "spec.containers{nginx}"},
        "reason": "BackOff", "type": "Warning",
        "message": "Back-off restarting failed container nginx\n",
        "source": {"component": "kubelet", "host": "node-1"},
        "firstTimestamp": ago(600), "lastTimestamp": ago(120), "count": 3
    });
    assert_eq!(
        cells(res("", "events"), &core, now()),
        vec![
            json!("2m"),
            json!("Warning"),
            json!("BackOff"),
            json!("pod/web-1"),
            json!("spec.containers{nginx}"),
            json!("kubelet, node-1"),
            json!("Back-off restarting failed container nginx"),
            json!("10m"),
            json!(3),
            json!("web-1.17c8e2a1b4f5")
        ]
    );

    let event_time = (now() - SignedDuration::from_millis(90_250)).to_string();
    let v1 = json!({
        "metadata": {"name": "web.17c8", "namespace": "default"},
        "eventTime": event_time,
        "series": {"count": 4, "lastObservedTime": ago(15)},
        "reportingController": "deployment-controller", "reportingInstance": "",
        "regarding": {"kind": "Deployment", "name": "web"},
        "reason": "ScalingReplicaSet", "type": "Normal", "note": "Scaled up replica set web-6c5f67b5f7 to 3"
    });
    assert_eq!(
        cells(res("events.k8s.io", "events"), &v1, now()),
        vec![
            json!("15s"),
            json!("Normal"),
            json!("ScalingReplicaSet"),
            json!("deployment/web"),
            json!(""),
            json!("deployment-controller"),
            json!("Scaled up replica set web-6c5f67b5f7 to 3"),
            json!("90s"),
            json!(4),
            json!("web.17c8")
        ]
    );
}

#[test]
fn other_cells() {
    let cases: Vec<(&str, &str, Value, Vec<Value>)> = vec![
        (
            "",
            "namespaces",
            json!({"metadata": {"name": "dev", "creationTimestamp": ago(86400 * 400)}, "status": {"phase": "Active"}}),
            vec![json!("dev"), json!("Active"), json!("400d")],
        ),
        (
            "",
            "configmaps",
            json!({"metadata": {"name": "cfg", "creationTimestamp": ago(5)}, "data": {"a": "1", "b": "2"}, "binaryData": {"c": "AA=="}}),
            vec![json!("cfg"), json!(3), json!("5s")],
        ),
        (
            "",
            "secrets",
            json!({"metadata": {"name": "tls", "creationTimestamp": ago(5)}, "type": "kubernetes.io/tls", "data": {"tls.crt": "", "tls.key": ""}}),
            vec![
                json!("tls"),
                json!("kubernetes.io/tls"),
                json!(2),
                json!("5s"),
            ],
        ),
        (
            "",
            "serviceaccounts",
            json!({"metadata": {"name": "default", "creationTimestamp": ago(5)}}),
            vec![json!("default"), json!(0), json!("5s")],
        ),
        (
            "",
            "services",
            json!({"metadata": {"name": "web", "creationTimestamp": ago(5)},
                "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10"],
                         "ports": [{"port": 80, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}],
                         "selector": {"app": "web"}}}),
            vec![
                json!("web"),
                json!("ClusterIP"),
                json!("10.96.0.10"),
                json!("<none>"),
                json!("80/TCP,53/UDP"),
                json!("5s"),
                json!("app=web"),
            ],
        ),
        (
            "",
            "services",
            json!({"metadata": {"name": "lb", "creationTimestamp": ago(5)},
                "spec": {"type": "LoadBalancer", "clusterIP": "10.96.0.11",
                         "ports": [{"port": 443, "nodePort": 30443, "protocol": "TCP"}]}}),
            vec![
                json!("lb"),
                json!("LoadBalancer"),
                json!("10.96.0.11"),
                json!("<pending>"),
                json!("443:30443/TCP"),
                json!("5s"),
                json!("<none>"),
            ],
        ),
        (
            "",
            "services",
            json!({"metadata": {"name": "ext", "creationTimestamp": ago(5)},
                "spec": {"type": "ExternalName", "externalName": "example.com"}}),
            vec![
                json!("ext"),
                json!("ExternalName"),
                json!("<none>"),
                json!("example.com"),
                json!("<none>"),
                json!("5s"),
                json!("<none>"),
            ],
        ),
        (
            "coordination.k8s.io",
            "leases",
            json!({"metadata": {"name": "kube-scheduler", "creationTimestamp": ago(5)}, "spec": {"holderIdentity": "bosun-1"}}),
            vec![json!("kube-scheduler"), json!("bosun-1"), json!("5s")],
        ),
        (
            "",
            "resourcequotas",
            json!({"metadata": {"name": "q", "creationTimestamp": ago(5)},
                "status": {"hard": {"requests.cpu": "1", "pods": "10", "limits.cpu": "2"},
                           "used": {"requests.cpu": "500m", "pods": "3"}}}),
            vec![
                json!("q"),
                json!("pods: 3/10, requests.cpu: 500m/1"),
                json!("limits.cpu: 0/2"),
                json!("5s"),
            ],
        ),
    ];
    for (group, plural, obj, want) in cases {
        assert_eq!(
            cells(res(group, plural), &obj, now()),
            want,
            "{group}/{plural}"
        );
    }
}

#[test]
fn column_layouts() {
    let layout = |group: &str, plural: &str| -> Vec<(&'static str, &'static str, i32)> {
        columns(res(group, plural))
            .iter()
            .map(|c| (c.name, c.type_, c.priority))
            .collect()
    };
    assert_eq!(
        layout("", "pods"),
        vec![
            ("Name", "string", 0),
            ("Ready", "string", 0),
            ("Status", "string", 0),
            ("Restarts", "string", 0),
            ("Age", "string", 0),
            ("IP", "string", 1),
            ("Node", "string", 1),
            ("Nominated Node", "string", 1),
            ("Readiness Gates", "string", 1)
        ]
    );
    assert_eq!(
        layout("apps", "deployments"),
        vec![
            ("Name", "string", 0),
            ("Ready", "string", 0),
            ("Up-to-date", "string", 0),
            ("Available", "string", 0),
            ("Age", "string", 0),
            ("Containers", "string", 1),
            ("Images", "string", 1),
            ("Selector", "string", 1)
        ]
    );
    assert_eq!(
        layout("", "events"),
        vec![
            ("Last Seen", "string", 0),
            ("Type", "string", 0),
            ("Reason", "string", 0),
            ("Object", "string", 0),
            ("Subobject", "string", 1),
            ("Source", "string", 1),
            ("Message", "string", 0),
            ("First Seen", "string", 1),
            ("Count", "string", 1),
            ("Name", "string", 1)
        ]
    );
    assert_eq!(layout("events.k8s.io", "events"), layout("", "events"));
    assert_eq!(
        layout("", "resourcequotas"),
        vec![
            ("Name", "string", 0),
            ("Request", "string", 0),
            ("Limit", "string", 0),
            ("Age", "string", 0)
        ]
    );
    // Every layout names its objects in exactly one column, and rows fit the layout.
    for info in crate::resources::RESOURCES {
        let cols = columns(info);
        assert_eq!(
            cols.iter().filter(|c| c.format == "name").count(),
            1,
            "{}",
            info.plural
        );
        let row = cells(info, &json!({"metadata": {"name": "x"}}), now());
        assert_eq!(row.len(), cols.len(), "{}", info.plural);
    }
}

#[test]
fn human_age_boundaries() {
    let cases: Vec<(Option<String>, &str)> = vec![
        (None, "<unknown>"),
        (Some("not a time".to_string()), "<unknown>"),
        (Some(ago(0)), "0s"),
        (
            Some((now() + SignedDuration::from_millis(1500)).to_string()),
            "0s",
        ),
        (Some(ago(-2)), "<invalid>"),
        (Some(ago(90)), "90s"),
        (Some(ago(119)), "119s"),
        (Some(ago(120)), "2m"),
        (Some(ago(303)), "5m3s"),
        (Some(ago(599)), "9m59s"),
        (Some(ago(600)), "10m"),
        (Some(ago(179 * 60 + 59)), "179m"),
        (Some(ago(3 * 3600)), "3h"),
        (Some(ago(3 * 3600 + 5 * 60)), "3h5m"),
        (Some(ago(8 * 3600 + 59 * 60)), "8h"),
        (Some(ago(47 * 3600 + 59 * 60)), "47h"),
        (Some(ago(48 * 3600)), "2d"),
        (Some(ago(4 * 86400 + 2 * 3600)), "4d2h"),
        (Some(ago(8 * 86400 + 5 * 3600)), "8d"),
        (Some(ago(729 * 86400)), "729d"),
        (Some(ago(730 * 86400)), "2y"),
        (Some(ago(745 * 86400)), "2y15d"),
        (Some(ago(8 * 365 * 86400 + 100 * 86400)), "8y"),
    ];
    for (created, want) in cases {
        assert_eq!(human_age(created.as_deref(), now()), want, "{created:?}");
    }
}

#[test]
fn whole_table() {
    let done = pod(json!({"phase": "Succeeded"}), json!({}), json!({}));
    let objects = vec![done.clone()];
    let t = table(pods(), &objects, now(), "", "42", Some("tok"));
    assert_eq!(t["kind"], "Table");
    assert_eq!(t["apiVersion"], "meta.k8s.io/v1");
    assert_eq!(
        t["metadata"],
        json!({"resourceVersion": "42", "continue": "tok"})
    );
    let first = &t["columnDefinitions"][0];
    assert_eq!(first["name"], "Name");
    assert_eq!(first["type"], "string");
    assert_eq!(first["format"], "name");
    assert_eq!(first["priority"], 0);
    assert!(
        first["description"]
            .as_str()
            .is_some_and(|d| d.starts_with("Name must be unique"))
    );
    assert_eq!(t["columnDefinitions"][1]["format"], "");
    let row = &t["rows"][0];
    assert_eq!(row["cells"][2], "Succeeded");
    assert_eq!(
        row["conditions"],
        json!([{"type": "Completed", "status": "True", "reason": "Succeeded",
                "message": "The pod has completed successfully."}])
    );
    assert_eq!(
        row["object"],
        json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
               "metadata": done["metadata"].clone()})
    );

    let t = table(pods(), &objects, now(), "Object", "", None);
    assert_eq!(t["metadata"], json!({}));
    assert_eq!(t["rows"][0]["object"], done);
    let t = table(pods(), &objects, now(), "None", "1", None);
    assert!(t["rows"][0].get("object").is_none());
    let t = table(res("", "configmaps"), &[], now(), "", "7", None);
    assert_eq!(t["rows"], json!([]));

    assert!(check_include_object("Metadata").is_ok());
    assert_eq!(
        check_include_object("Foo"),
        Err("unrecognized includeObject value: \"Foo\"".to_string())
    );
}

#[test]
fn resources_without_a_printer_use_the_default_table() {
    let widgets = ResourceInfo {
        group: "example.com",
        plural: "widgets",
        kind: "Widget",
        ..*pods()
    };
    let layout: Vec<(&str, &str)> = columns(&widgets)
        .iter()
        .map(|c| (c.name, c.type_))
        .collect();
    assert_eq!(layout, vec![("Name", "string"), ("Created At", "date")]);
    let obj = json!({"metadata": {"name": "w", "creationTimestamp": "2024-04-30T10:00:00Z"}});
    assert_eq!(
        cells(&widgets, &obj, now()),
        vec![json!("w"), json!("2024-04-30T10:00:00Z")]
    );
    let undated = json!({"metadata": {"name": "w"}});
    assert_eq!(
        cells(&widgets, &undated, now()),
        vec![json!("w"), json!("0001-01-01T00:00:00Z")]
    );
}
