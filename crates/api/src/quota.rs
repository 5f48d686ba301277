//! ResourceQuota accounting as upstream's quota evaluators do it: what one object costs
//! against each quota resource name, and whether adding it fits a quota's `hard` limits
//! (with upstream's `exceeded quota` / `failed quota` wording).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::resources::ResourceInfo;
use crate::validation::quantity::{self, Quantity};

/// Quota resource names and their usage.
pub type Usage = BTreeMap<String, Quantity>;

/// Legacy object-count names (`pods`, `services`, …) upstream accepts besides `count/…`.
const LEGACY_COUNTS: &[&str] = &[
    "pods",
    "services",
    "configmaps",
    "secrets",
    "replicationcontrollers",
    "resourcequotas",
];

/// Compute resources a pod is charged for, with the container field they come from.
const COMPUTE: &[(&str, &str, &str)] = &[
    ("requests.cpu", "requests", "cpu"),
    ("cpu", "requests", "cpu"),
    ("requests.memory", "requests", "memory"),
    ("memory", "requests", "memory"),
    ("limits.cpu", "limits", "cpu"),
    ("limits.memory", "limits", "memory"),
];

fn count_name(info: &ResourceInfo) -> String {
    if info.group.is_empty() {
        format!("count/{}", info.plural)
    } else {
        format!("count/{}.{}", info.plural, info.group)
    }
}

/// Pods in a terminal phase use no quota.
fn pod_is_terminal(pod: &Value) -> bool {
    matches!(
        pod.pointer("/status/phase").and_then(Value::as_str),
        Some("Succeeded" | "Failed")
    )
}

fn containers<'a>(pod: &'a Value, field: &str) -> impl Iterator<Item = &'a Value> {
    pod.pointer(&format!("/spec/{field}"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// The pod-level amount of one compute resource: the larger of the containers' sum and
/// the largest init container (upstream's `PodRequests`/`PodLimits`), `None` if no
/// container sets it.
fn pod_amount(pod: &Value, kind: &str, resource: &str) -> Option<Quantity> {
    let get = |c: &Value| {
        c.pointer(&format!("/resources/{kind}/{resource}"))
            .and_then(quantity::from_json)
    };
    let mut sum: Option<Quantity> = None;
    for q in containers(pod, "containers").filter_map(get) {
        sum = Some(match sum {
            Some(s) => s.add(&q),
            None => q,
        });
    }
    for q in containers(pod, "initContainers").filter_map(get) {
        if sum.is_none_or(|s| q.cmp_value(&s).is_gt()) {
            sum = Some(q);
        }
    }
    sum
}

/// What one object of `info` uses, for every quota name that could track it.
pub fn usage(info: &ResourceInfo, obj: &Value) -> Usage {
    let mut usage = Usage::new();
    if info.plural == "pods" && pod_is_terminal(obj) {
        return usage;
    }
    usage.insert(count_name(info), Quantity::from_int(1));
    if info.group.is_empty() && LEGACY_COUNTS.contains(&info.plural) {
        usage.insert(info.plural.to_string(), Quantity::from_int(1));
    }
    if info.plural == "pods" {
        for (name, kind, resource) in COMPUTE {
            if let Some(q) = pod_amount(obj, kind, resource) {
                usage.insert((*name).to_string(), q);
            }
        }
    }
    usage
}

/// Sums usages.
pub fn add(total: &mut Usage, more: &Usage) {
    for (name, q) in more {
        let sum = match total.get(name) {
            Some(t) => t.add(q),
            None => *q,
        };
        total.insert(name.clone(), sum);
    }
}

fn parse_list(map: Option<&Value>) -> Usage {
    map.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), quantity::from_json(v)?)))
                .collect()
        })
        .unwrap_or_default()
}

/// A quota's `spec.hard`.
pub fn hard(quota: &Value) -> Usage {
    parse_list(quota.pointer("/spec/hard"))
}

/// A quota's recorded `status.used`.
pub fn used(quota: &Value) -> Usage {
    parse_list(quota.pointer("/status/used"))
}

/// Renders a usage map for a quota status (`{"pods": "2", "requests.cpu": "500m"}`),
/// listing every name in `names` (zero when unused).
pub fn to_json<'a>(usage: &Usage, names: impl Iterator<Item = &'a String>) -> Value {
    let mut out = Map::new();
    for name in names {
        let q = usage.get(name).copied().unwrap_or(Quantity::from_int(0));
        out.insert(name.clone(), json!(q.canonical()));
    }
    Value::Object(out)
}

/// Checks that adding `delta` to `quota`'s current usage stays within its hard limits.
/// Returns upstream's message on failure (the caller prefixes `<resource> "<name>" is
/// forbidden: `).
pub fn admit(quota: &Value, info: &ResourceInfo, obj: &Value, delta: &Usage) -> Result<(), String> {
    let name = quota
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    let hard = hard(quota);
    // A pod must state every compute resource the quota limits.
    if info.plural == "pods" {
        let mut missing = Vec::new();
        for (quota_name, kind, resource) in COMPUTE {
            if !hard.contains_key(*quota_name) {
                continue;
            }
            let lacking: Vec<&str> = containers(obj, "containers")
                .filter(|c| {
                    c.pointer(&format!("/resources/{kind}/{resource}"))
                        .is_none()
                })
                .filter_map(|c| c["name"].as_str())
                .collect();
            if !lacking.is_empty() {
                missing.push(format!("{quota_name} for: {}", lacking.join(",")));
            }
        }
        if !missing.is_empty() {
            missing.sort();
            return Err(format!(
                "failed quota: {name}: must specify {}",
                missing.join("; ")
            ));
        }
    }
    let used = used(quota);
    let mut exceeded: Vec<&String> = Vec::new();
    for (resource, limit) in &hard {
        let Some(request) = delta.get(resource) else {
            continue;
        };
        let now = used.get(resource).copied().unwrap_or(Quantity::from_int(0));
        if now.add(request).cmp_value(limit).is_gt() {
            exceeded.push(resource);
        }
    }
    if exceeded.is_empty() {
        return Ok(());
    }
    let list = |source: &dyn Fn(&String) -> Quantity| {
        exceeded
            .iter()
            .map(|r| format!("{r}={}", source(r).canonical()))
            .collect::<Vec<_>>()
            .join(",")
    };
    let zero = Quantity::from_int(0);
    Err(format!(
        "exceeded quota: {name}, requested: {}, used: {}, limited: {}",
        list(&|r| delta.get(r).copied().unwrap_or(zero)),
        list(&|r| used.get(r).copied().unwrap_or(zero)),
        list(&|r| hard.get(r).copied().unwrap_or(zero)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::find;

    fn pods() -> &'static ResourceInfo {
        find("", "v1", "pods").expect("pods served")
    }

    fn pod(containers: Value) -> Value {
        json!({"metadata": {"name": "p"}, "spec": {"containers": containers}})
    }

    #[test]
    fn pod_usage_sums_containers_and_counts() {
        let p = pod(json!([
            {"name": "a", "resources": {"requests": {"cpu": "250m", "memory": "64Mi"}, "limits": {"cpu": "1"}}},
            {"name": "b", "resources": {"requests": {"cpu": "0.5", "memory": "64Mi"}}}
        ]));
        let u = usage(pods(), &p);
        let show = |k: &str| u.get(k).map(Quantity::canonical);
        assert_eq!(show("pods").as_deref(), Some("1"));
        assert_eq!(show("count/pods").as_deref(), Some("1"));
        assert_eq!(show("requests.cpu").as_deref(), Some("750m"));
        assert_eq!(show("cpu").as_deref(), Some("750m"));
        assert_eq!(show("requests.memory").as_deref(), Some("128Mi"));
        assert_eq!(show("limits.cpu").as_deref(), Some("1"));
        assert_eq!(show("limits.memory"), None);
        let mut done = p.clone();
        done["status"] = json!({"phase": "Succeeded"});
        assert!(usage(pods(), &done).is_empty(), "terminal pods use nothing");
        let deploy = find("apps", "v1", "deployments").expect("served");
        assert_eq!(
            usage(deploy, &json!({})).keys().collect::<Vec<_>>(),
            ["count/deployments.apps"]
        );
    }

    #[test]
    fn exceeding_a_quota_uses_upstreams_message() {
        let quota = json!({
            "metadata": {"name": "pod-demo"},
            "spec": {"hard": {"pods": "2", "requests.cpu": "1"}},
            "status": {"used": {"pods": "2", "requests.cpu": "500m"}}
        });
        let p = pod(json!([{"name": "a", "resources": {"requests": {"cpu": "250m"}}}]));
        let delta = usage(pods(), &p);
        assert_eq!(
            admit(&quota, pods(), &p, &delta),
            Err(
                "exceeded quota: pod-demo, requested: pods=1, used: pods=2, limited: pods=2".into()
            )
        );
        let roomy = json!({"metadata": {"name": "q"}, "spec": {"hard": {"pods": "3", "requests.cpu": "1"}}, "status": {"used": {"pods": "2", "requests.cpu": "500m"}}});
        assert_eq!(admit(&roomy, pods(), &p, &delta), Ok(()));
        let big = pod(json!([{"name": "a", "resources": {"requests": {"cpu": "600m"}}}]));
        assert_eq!(
            admit(&roomy, pods(), &big, &usage(pods(), &big)),
            Err("exceeded quota: q, requested: requests.cpu=600m, used: requests.cpu=500m, limited: requests.cpu=1".into())
        );
    }

    #[test]
    fn quota_on_compute_requires_containers_to_state_it() {
        let quota = json!({"metadata": {"name": "compute"}, "spec": {"hard": {"limits.memory": "1Gi", "requests.cpu": "2"}}});
        let p = pod(
            json!([{"name": "nginx", "resources": {"requests": {"cpu": "1"}}}, {"name": "side"}]),
        );
        assert_eq!(
            admit(&quota, pods(), &p, &usage(pods(), &p)),
            Err("failed quota: compute: must specify limits.memory for: nginx,side; requests.cpu for: side".into())
        );
    }

    #[test]
    fn usage_renders_canonically_for_status() {
        let mut total = Usage::new();
        let p = pod(json!([{"name": "a", "resources": {"requests": {"memory": "512Mi"}}}]));
        add(&mut total, &usage(pods(), &p));
        add(&mut total, &usage(pods(), &p));
        let names = [
            "pods".to_string(),
            "requests.memory".to_string(),
            "services".to_string(),
        ];
        assert_eq!(
            to_json(&total, names.iter()),
            json!({"pods": "2", "requests.memory": "1Gi", "services": "0"})
        );
    }
}
