//! Table tests of each filter on typed pods and nodes.

use super::*;
use crate::nodeinfo::PodUsage;
use crate::podinfo::{HostPort, Resources};
use k8s_openapi::api::core::v1::{Node, Pod};
use serde_json::{Value, json};

pub(crate) fn pod(spec: Value) -> PodInfo {
    let mut spec = spec;
    if spec.get("containers").is_none() {
        spec["containers"] = json!([{"name": "c"}]);
    }
    let p: Pod = serde_json::from_value(json!({
        "metadata": {"name": "p", "namespace": "default", "uid": "uid-p"},
        "spec": spec,
    }))
    .expect("test pod");
    PodInfo::from_pod(&p)
}

pub(crate) fn ready_node(name: &str, extra: Value) -> (NodeInfo, NodeFacts) {
    let mut n = json!({
        "metadata": {"name": name},
        "status": {
            "allocatable": {"cpu": "2", "memory": "4Gi", "pods": "110"},
            "conditions": [{"type": "Ready", "status": "True"}],
        },
    });
    merge(&mut n, extra);
    let node: Node = serde_json::from_value(n).expect("test node");
    let facts = NodeFacts::from_node(&node);
    let mut info = NodeInfo::new(name);
    info.facts = Some(facts.clone());
    (info, facts)
}

fn merge(base: &mut Value, extra: Value) {
    match (base, extra) {
        (Value::Object(b), Value::Object(e)) => {
            for (k, v) in e {
                merge(b.entry(k).or_insert(Value::Null), v);
            }
        }
        (b, e) => *b = e,
    }
}

fn reasons(r: Result<(), Rejection>) -> Vec<String> {
    match r {
        Ok(()) => vec![],
        Err(r) => r.reasons,
    }
}

#[test]
fn unschedulable_nodes_need_the_cordon_toleration() {
    let (_, cordoned) = ready_node("n", json!({"spec": {"unschedulable": true}}));
    let (_, open) = ready_node("n", json!({}));
    let cases = [
        (json!({}), &cordoned, vec![REASON_UNSCHEDULABLE]),
        (json!({}), &open, vec![]),
        (
            json!({"tolerations": [{"key": TAINT_UNSCHEDULABLE, "operator": "Exists", "effect": "NoSchedule"}]}),
            &cordoned,
            vec![],
        ),
        (
            json!({"tolerations": [{"operator": "Exists"}]}),
            &cordoned,
            vec![],
        ),
    ];
    for (spec, facts, want) in cases {
        assert_eq!(
            reasons(node_unschedulable(&pod(spec.clone()), facts)),
            want,
            "{spec}"
        );
    }
}

#[test]
fn taints_refuse_untolerating_pods() {
    let (_, tainted) = ready_node(
        "n",
        json!({"spec": {"taints": [
            {"key": "soft", "effect": "PreferNoSchedule"},
            {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"},
            {"key": "evict", "effect": "NoExecute"}]}}),
    );
    let cases = [
        (
            json!({}),
            vec!["node(s) had untolerated taint {dedicated: gpu}"],
        ),
        (
            json!({"tolerations": [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]}),
            vec!["node(s) had untolerated taint {evict: }"],
        ),
        (
            json!({"tolerations": [{"key": "dedicated", "operator": "Equal", "value": "cpu"}]}),
            vec!["node(s) had untolerated taint {dedicated: gpu}"],
        ),
        (
            json!({"tolerations": [
                {"key": "dedicated", "operator": "Exists"},
                {"key": "evict", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 10}]}),
            vec![],
        ),
        (json!({"tolerations": [{"operator": "Exists"}]}), vec![]),
        (
            // A toleration for another effect does not help.
            json!({"tolerations": [
                {"key": "dedicated", "operator": "Exists", "effect": "NoExecute"},
                {"key": "evict", "operator": "Exists"}]}),
            vec!["node(s) had untolerated taint {dedicated: gpu}"],
        ),
    ];
    for (spec, want) in cases {
        assert_eq!(
            reasons(taint_toleration(&pod(spec.clone()), &tainted)),
            want,
            "{spec}"
        );
    }
}

#[test]
fn a_node_that_is_not_ready_is_refused_through_its_condition_taint() {
    let (_, unknown) = ready_node(
        "n",
        json!({"status": {"conditions": [{"type": "Ready", "status": "Unknown"}]}}),
    );
    // The default 300 s NoExecute toleration does not admit a pod onto an unreachable node.
    let p = pod(json!({"tolerations": [
        {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}]}));
    assert_eq!(
        reasons(taint_toleration(&p, &unknown)),
        vec!["node(s) had untolerated taint {node.kubernetes.io/unreachable: }"]
    );
    let (_, not_ready) = ready_node(
        "n",
        json!({"status": {"conditions": [{"type": "Ready", "status": "False"}]}}),
    );
    assert_eq!(
        reasons(taint_toleration(&pod(json!({})), &not_ready)),
        vec!["node(s) had untolerated taint {node.kubernetes.io/not-ready: }"]
    );
    let tolerant = pod(
        json!({"tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists"}]}),
    );
    assert_eq!(
        reasons(taint_toleration(&tolerant, &not_ready)),
        Vec::<String>::new()
    );
}

#[test]
fn node_selector_and_required_affinity() {
    let (_, n) = ready_node(
        "node-a",
        json!({"metadata": {"labels": {"disk": "ssd", "zone": "z1", "cores": "8"}}}),
    );
    let affinity = |terms: Value| json!({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": terms}}}});
    let expr = |key: &str, op: &str, values: Value| {
        affinity(json!([{"matchExpressions": [{"key": key, "operator": op, "values": values}]}]))
    };
    let ok: Vec<String> = vec![];
    let no = vec![REASON_AFFINITY.to_string()];
    let cases = [
        (json!({"nodeSelector": {"disk": "ssd"}}), &ok),
        (json!({"nodeSelector": {"disk": "hdd"}}), &no),
        (json!({"nodeSelector": {"gpu": "yes"}}), &no),
        (expr("zone", "In", json!(["z1", "z2"])), &ok),
        (expr("zone", "In", json!(["z2"])), &no),
        (expr("zone", "NotIn", json!(["z2"])), &ok),
        (expr("zone", "NotIn", json!(["z1"])), &no),
        (expr("missing", "NotIn", json!(["x"])), &ok),
        (expr("disk", "Exists", json!(null)), &ok),
        (expr("gpu", "Exists", json!(null)), &no),
        (expr("gpu", "DoesNotExist", json!(null)), &ok),
        (expr("disk", "DoesNotExist", json!(null)), &no),
        (expr("cores", "Gt", json!(["4"])), &ok),
        (expr("cores", "Gt", json!(["8"])), &no),
        (expr("cores", "Lt", json!(["9"])), &ok),
        (expr("disk", "Gt", json!(["1"])), &no),
        (expr("missing", "Lt", json!(["1"])), &no),
        (
            affinity(
                json!([{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["node-a"]}]}]),
            ),
            &ok,
        ),
        (
            affinity(
                json!([{"matchFields": [{"key": "metadata.name", "operator": "NotIn", "values": ["node-a"]}]}]),
            ),
            &no,
        ),
        // Terms are ORed, expressions within a term ANDed.
        (
            affinity(json!([
                {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["z9"]}]},
                {"matchExpressions": [
                    {"key": "disk", "operator": "In", "values": ["ssd"]},
                    {"key": "zone", "operator": "Exists"}]}])),
            &ok,
        ),
        (
            affinity(json!([{"matchExpressions": [
                {"key": "disk", "operator": "In", "values": ["ssd"]},
                {"key": "zone", "operator": "In", "values": ["z2"]}]}])),
            &no,
        ),
        // An empty term matches nothing.
        (affinity(json!([{}])), &no),
        // nodeSelector and affinity must both hold.
        (
            {
                let mut s = expr("zone", "In", json!(["z1"]));
                s["nodeSelector"] = json!({"disk": "hdd"});
                s
            },
            &no,
        ),
    ];
    for (spec, want) in cases {
        assert_eq!(
            &reasons(node_affinity(&pod(spec.clone()), "node-a", &n)),
            want,
            "{spec}"
        );
    }
}

#[test]
fn prefilter_narrows_to_named_nodes() {
    let fields = |names: Value| json!({"matchFields": [{"key": "metadata.name", "operator": "In", "values": names}]});
    let aff = |terms: Value| {
        pod(
            json!({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": terms}}}}),
        )
    };
    let set = |v: &[&str]| NodeNames::Only(v.iter().map(|s| s.to_string()).collect());
    assert_eq!(prefilter_node_names(&pod(json!({}))), NodeNames::All);
    assert_eq!(
        prefilter_node_names(&aff(json!([fields(json!(["a"]))]))),
        set(&["a"])
    );
    assert_eq!(
        prefilter_node_names(&aff(json!([fields(json!(["a"])), fields(json!(["b"]))]))),
        set(&["a", "b"])
    );
    assert_eq!(
        prefilter_node_names(&aff(
            json!([fields(json!(["a"])), {"matchExpressions": [{"key": "k", "operator": "Exists"}]}])
        )),
        NodeNames::All
    );
    assert_eq!(
        prefilter_node_names(&aff(json!([{"matchFields": [
            {"key": "metadata.name", "operator": "In", "values": ["a"]},
            {"key": "metadata.name", "operator": "In", "values": ["b"]}]}]))),
        NodeNames::Conflict
    );
}

#[test]
fn host_ports_conflict_by_protocol_port_and_address() {
    let (mut n, _) = ready_node("n", json!({}));
    let used = |ip: &str, proto: &str, port: i32| HostPort {
        ip: ip.into(),
        protocol: proto.into(),
        port,
    };
    n.add_pod(&PodUsage {
        host_ports: vec![used("0.0.0.0", "TCP", 80), used("10.0.0.1", "UDP", 53)],
        ..PodUsage::default()
    });
    let want_port = |ip: &str, proto: &str, port: i32| {
        pod(json!({"containers": [{"name": "c", "ports": [
            {"containerPort": 1, "hostPort": port, "protocol": proto, "hostIP": ip}]}]}))
    };
    let no = vec![REASON_PORTS.to_string()];
    let ok: Vec<String> = vec![];
    let cases = [
        (want_port("0.0.0.0", "TCP", 80), &no),
        (want_port("10.0.0.2", "TCP", 80), &no),
        (want_port("0.0.0.0", "UDP", 80), &ok),
        (want_port("0.0.0.0", "TCP", 81), &ok),
        (want_port("10.0.0.1", "UDP", 53), &no),
        (want_port("10.0.0.2", "UDP", 53), &ok),
        (want_port("0.0.0.0", "UDP", 53), &no),
    ];
    for (i, (p, want)) in cases.into_iter().enumerate() {
        let r = node_ports(&p, &n);
        assert_eq!(&reasons(r.clone()), want, "case {i}");
        if let Err(r) = r {
            assert_eq!(r.code, Code::Unschedulable);
        }
    }
}

#[test]
fn resources_fit_against_allocatable_minus_requested() {
    let (mut n, facts) = ready_node(
        "n",
        json!({"status": {"allocatable": {"cpu": "2", "memory": "4Gi", "pods": "3", "example.com/gpu": "1"}}}),
    );
    n.add_pod(&PodUsage {
        requests: Resources {
            milli_cpu: 1500,
            memory: 3 << 30,
            ..Resources::default()
        },
        ..PodUsage::default()
    });
    let req = |r: Value| pod(json!({"containers": [{"name": "c", "resources": {"requests": r}}]}));
    let cases = [
        (req(json!({"cpu": "500m", "memory": "1Gi"})), vec![]),
        (req(json!({"cpu": "501m"})), vec!["Insufficient cpu"]),
        (
            req(json!({"cpu": "1", "memory": "2Gi"})),
            vec!["Insufficient cpu", "Insufficient memory"],
        ),
        (
            req(json!({"ephemeral-storage": "1"})),
            vec!["Insufficient ephemeral-storage"],
        ),
        (req(json!({"example.com/gpu": "1"})), vec![]),
        (
            req(json!({"example.com/gpu": "2"})),
            vec!["Insufficient example.com/gpu"],
        ),
        (
            req(json!({"example.com/fpga": "1"})),
            vec!["Insufficient example.com/fpga"],
        ),
        (req(json!({})), vec![]),
    ];
    for (p, want) in cases {
        assert_eq!(
            reasons(resources_fit(&p, &n, &facts)),
            want,
            "{:?}",
            p.requests
        );
    }
    // The pod count is checked even for pods that request nothing.
    n.add_pod(&PodUsage::default());
    n.add_pod(&PodUsage::default());
    assert_eq!(
        reasons(resources_fit(&req(json!({"cpu": "1"})), &n, &facts)),
        vec!["Too many pods", "Insufficient cpu"]
    );
    assert_eq!(
        reasons(resources_fit(&req(json!({})), &n, &facts)),
        vec!["Too many pods"]
    );
}

#[test]
fn the_first_failing_filter_wins() {
    let (n, facts) = ready_node(
        "n",
        json!({"spec": {"unschedulable": true, "taints": [{"key": "k", "effect": "NoSchedule"}]},
               "status": {"allocatable": {"cpu": "1"}}}),
    );
    let p = pod(
        json!({"nodeSelector": {"x": "y"}, "containers": [{"name": "c", "resources": {"requests": {"cpu": "4"}}}]}),
    );
    let r = run_filters(&p, &n, &facts).expect_err("refused");
    assert_eq!(r.reasons, vec![REASON_UNSCHEDULABLE.to_string()]);
    assert_eq!(r.code, Code::UnschedulableAndUnresolvable);
    let p = pod(json!({"tolerations": [{"operator": "Exists"}], "nodeSelector": {"x": "y"}}));
    assert_eq!(
        run_filters(&p, &n, &facts).expect_err("refused").reasons,
        vec![REASON_AFFINITY.to_string()]
    );
}
