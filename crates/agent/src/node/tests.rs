use std::time::Duration;

use serde_json::json;

use super::*;
use crate::clock::after;

fn identity() -> NodeIdentity {
    NodeIdentity {
        name: "hollow-1".to_string(),
        host_ip: "172.16.0.3".to_string(),
        pod_cidr: "10.244.1.0/24".to_string(),
        runtime_version: "hollow://1.0".to_string(),
        options: Arc::new(AgentOptions::new("hollow-1")),
        host: Arc::new(HostInfo {
            kernel_version: "6.1.0".to_string(),
            os_image: "Debian GNU/Linux 12 (bookworm)".to_string(),
            architecture: "amd64".to_string(),
            boot_id: String::new(),
        }),
    }
}

fn at(secs: u64) -> Timestamp {
    after(Timestamp::UNIX_EPOCH, Duration::from_secs(secs))
}

#[test]
fn addressing_by_index() {
    let cases = [
        (0, "10.244.0.0/24", "172.16.0.2"),
        (1, "10.244.1.0/24", "172.16.0.3"),
        (255, "10.244.255.0/24", "172.16.1.1"),
        (256, "10.245.0.0/24", "172.16.1.2"),
        (2816, "10.255.0.0/24", "172.16.11.2"),
        (3072, "10.0.0.0/24", "172.16.12.2"),
        (65535, "10.243.255.0/24", "172.17.0.1"),
    ];
    for (index, cidr, ip) in cases {
        assert_eq!(pod_cidr(index).0, cidr, "{index}");
        assert_eq!(default_node_ip(index).to_string(), ip, "{index}");
    }
    assert_eq!(index_of("node-a"), index_of("node-a"));
    assert!(index_of("node-a") < 65536);
    assert_eq!(go_arch("x86_64"), "amd64");
    assert_eq!(go_arch("aarch64"), "arm64");
}

#[test]
fn registered_node_object() {
    let node = node_object(&identity(), at(60));
    let v = serde_json::to_value(&node).unwrap_or_default();
    assert_eq!(
        v["metadata"]["labels"],
        json!({
            "beta.kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "kubernetes.io/hostname": "hollow-1",
            "kubernetes.io/os": "linux",
        })
    );
    assert_eq!(
        v["spec"],
        json!({"podCIDR": "10.244.1.0/24", "podCIDRs": ["10.244.1.0/24"]})
    );
    let status = &v["status"];
    let resources = json!({
        "cpu": "4", "ephemeral-storage": "100Gi", "hugepages-1Gi": "0",
        "hugepages-2Mi": "0", "memory": "8Gi", "pods": "110",
    });
    assert_eq!(status["capacity"], resources);
    assert_eq!(status["allocatable"], resources);
    assert_eq!(
        status["addresses"],
        json!([{"address": "172.16.0.3", "type": "InternalIP"}, {"address": "hollow-1", "type": "Hostname"}])
    );
    assert_eq!(
        status["daemonEndpoints"],
        json!({"kubeletEndpoint": {"Port": 0}}),
        "a hollow node serves no endpoint"
    );
    let t = "1970-01-01T00:01:00Z";
    assert_eq!(
        status["conditions"],
        json!([
            {"lastHeartbeatTime": t, "lastTransitionTime": t, "message": "kubelet has sufficient memory available",
             "reason": "KubeletHasSufficientMemory", "status": "False", "type": "MemoryPressure"},
            {"lastHeartbeatTime": t, "lastTransitionTime": t, "message": "kubelet has no disk pressure",
             "reason": "KubeletHasNoDiskPressure", "status": "False", "type": "DiskPressure"},
            {"lastHeartbeatTime": t, "lastTransitionTime": t, "message": "kubelet has sufficient PID available",
             "reason": "KubeletHasSufficientPID", "status": "False", "type": "PIDPressure"},
            {"lastHeartbeatTime": t, "lastTransitionTime": t, "message": "kubelet is posting ready status",
             "reason": "KubeletReady", "status": "True", "type": "Ready"},
        ])
    );
    let info = &status["nodeInfo"];
    assert_eq!(info["kubeletVersion"], "v1.33.0-bosun");
    assert_eq!(info["containerRuntimeVersion"], "hollow://1.0");
    assert_eq!(info["osImage"], "Debian GNU/Linux 12 (bookworm)");
    assert_eq!(info["operatingSystem"], "linux");
    assert_eq!(info["architecture"], "amd64");
    assert_eq!(info["machineID"].as_str().map(str::len), Some(32));
    assert_eq!(info["systemUUID"].as_str().map(str::len), Some(36));
}

/// The node lifecycle controller marked the node Unknown: the agent's next status differs
/// and puts Ready back to True with a new transition time; heartbeats alone never count
/// as a difference; foreign conditions are kept.
#[test]
fn status_repairs_and_heartbeats() {
    let id = identity();
    let posted = desired_status(&id, None, at(60));
    // Same status, later: only timestamps move, so nothing to post.
    let later = desired_status(&id, Some(&posted), at(90));
    assert!(!status_differs(&posted, &later));
    let ready = |s: &NodeStatus| {
        s.conditions
            .iter()
            .flatten()
            .find(|c| c.type_ == "Ready")
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(ready(&later).last_transition_time, Some(Time(at(60))));
    assert_eq!(ready(&later).last_heartbeat_time, Some(Time(at(90))));

    let mut unknown = posted.clone();
    for c in unknown.conditions.iter_mut().flatten() {
        if c.type_ == "Ready" {
            c.status = "Unknown".to_string();
            c.reason = Some("NodeStatusUnknown".to_string());
            c.last_transition_time = Some(Time(at(100)));
        }
    }
    unknown
        .conditions
        .get_or_insert_with(Vec::new)
        .push(NodeCondition {
            type_: "NetworkUnavailable".to_string(),
            status: "False".to_string(),
            ..NodeCondition::default()
        });
    let repaired = desired_status(&id, Some(&unknown), at(120));
    assert!(status_differs(&unknown, &repaired));
    assert_eq!(ready(&repaired).status, "True");
    assert_eq!(ready(&repaired).last_transition_time, Some(Time(at(120))));
    let types: Vec<&str> = repaired
        .conditions
        .iter()
        .flatten()
        .map(|c| c.type_.as_str())
        .collect();
    assert_eq!(
        types,
        vec![
            "MemoryPressure",
            "DiskPressure",
            "PIDPressure",
            "Ready",
            "NetworkUnavailable"
        ]
    );
}
