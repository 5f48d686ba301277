//! API discovery documents: the legacy per-group lists (`/api`, `/apis`,
//! `/api/v1`, `/apis/<group>/<version>`) and aggregated discovery
//! (`apidiscovery.k8s.io/v2` `APIGroupDiscoveryList`), all derived from the resource
//! registry.

use bosun_api::resources::{GROUPS, RESOURCES, ResourceInfo, in_group_version};
use serde_json::{Value, json};

const MAIN_VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

/// Media type of aggregated discovery responses.
pub const AGGREGATED_V2: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
pub const AGGREGATED_V2BETA1: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";

/// Verbs of a resource's main collection.
fn verbs_of(info: &ResourceInfo) -> &'static [&'static str] {
    if info.create_only {
        &["create"]
    } else {
        MAIN_VERBS
    }
}

/// A subresource's kind, group, version and verbs, as upstream serves them.
fn subresource(
    info: &ResourceInfo,
    sub: &str,
) -> (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
) {
    match sub {
        "scale" => ("autoscaling", "v1", "Scale", &["get", "patch", "update"]),
        "binding" => ("", "v1", "Binding", &["create"]),
        "eviction" => ("policy", "v1", "Eviction", &["create"]),
        "finalize" => (info.group, info.version, info.kind, &["update"]),
        "token" => ("authentication.k8s.io", "v1", "TokenRequest", &["create"]),
        // Upstream's LogREST answers with a stream but names Pod as its kind.
        "log" => (info.group, info.version, info.kind, &["get"]),
        "exec" => ("", "v1", "PodExecOptions", &["create", "get"]),
        "attach" => ("", "v1", "PodAttachOptions", &["create", "get"]),
        "portforward" => ("", "v1", "PodPortForwardOptions", &["create", "get"]),
        _ => (
            info.group,
            info.version,
            info.kind,
            &["get", "patch", "update"],
        ),
    }
}

pub fn api_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    })
}

fn group(name: &str, version: &str) -> Value {
    let gv = json!({"groupVersion": format!("{name}/{version}"), "version": version});
    json!({"name": name, "versions": [gv.clone()], "preferredVersion": gv})
}

pub fn api_group_list() -> Value {
    let groups: Vec<Value> = GROUPS.iter().map(|(g, v)| group(g, v)).collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

pub fn api_group(name: &str) -> Option<Value> {
    let (g, v) = GROUPS.iter().find(|(g, _)| *g == name)?;
    let mut doc = group(g, v);
    doc["kind"] = json!("APIGroup");
    doc["apiVersion"] = json!("v1");
    Some(doc)
}

/// `APIResourceList` of one group version, or `None` if not served.
pub fn api_resource_list(group: &str, version: &str) -> Option<Value> {
    let mut resources = Vec::new();
    for info in in_group_version(group, version) {
        let mut main = json!({
            "name": info.plural,
            "singularName": info.singular,
            "namespaced": info.namespaced,
            "kind": info.kind,
            "verbs": verbs_of(info),
        });
        if !info.short_names.is_empty() {
            main["shortNames"] = json!(info.short_names);
        }
        if !info.categories.is_empty() {
            main["categories"] = json!(info.categories);
        }
        resources.push(main);
        for sub in info.subresources {
            let (g, v, kind, verbs) = subresource(info, sub);
            let mut entry = json!({
                "name": format!("{}/{}", info.plural, sub),
                "singularName": "",
                "namespaced": info.namespaced,
                "kind": kind,
                "verbs": verbs,
            });
            if g != info.group || v != info.version {
                entry["group"] = json!(g);
                entry["version"] = json!(v);
            }
            resources.push(entry);
        }
    }
    if resources.is_empty() {
        return None;
    }
    let group_version = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Some(json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": resources,
    }))
}

fn discovery_resource(info: &ResourceInfo) -> Value {
    let subresources: Vec<Value> = info
        .subresources
        .iter()
        .map(|sub| {
            let (g, v, kind, verbs) = subresource(info, sub);
            json!({
                "subresource": sub,
                "responseKind": {"group": g, "version": v, "kind": kind},
                "verbs": verbs,
            })
        })
        .collect();
    let mut doc = json!({
        "resource": info.plural,
        "responseKind": {"group": info.group, "version": info.version, "kind": info.kind},
        "scope": if info.namespaced { "Namespaced" } else { "Cluster" },
        "singularResource": info.singular,
        "verbs": verbs_of(info),
    });
    if !info.short_names.is_empty() {
        doc["shortNames"] = json!(info.short_names);
    }
    if !info.categories.is_empty() {
        doc["categories"] = json!(info.categories);
    }
    if !subresources.is_empty() {
        doc["subresources"] = json!(subresources);
    }
    doc
}

/// Aggregated discovery: the core group for `/api`, the named groups for `/apis`.
pub fn aggregated(core: bool, api_version: &str) -> Value {
    let groups: Vec<(&str, &str)> = if core {
        vec![("", "v1")]
    } else {
        GROUPS.to_vec()
    };
    let items: Vec<Value> = groups
        .iter()
        .map(|(g, v)| {
            let resources: Vec<Value> = RESOURCES
                .iter()
                .filter(|r| r.group == *g && r.version == *v)
                .map(discovery_resource)
                .collect();
            json!({
                "metadata": {"name": g, "creationTimestamp": null},
                "versions": [{"version": v, "resources": resources, "freshness": "Current"}],
            })
        })
        .collect();
    json!({
        "kind": "APIGroupDiscoveryList",
        "apiVersion": api_version,
        "metadata": {},
        "items": items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apps_lists_deployment_subresources_with_scale_in_autoscaling() {
        let doc = api_resource_list("apps", "v1").expect("apps/v1 is served");
        let resources = doc["resources"].as_array().expect("array");
        let scale = resources
            .iter()
            .find(|r| r["name"] == "deployments/scale")
            .expect("scale subresource");
        assert_eq!(scale["group"], "autoscaling");
        assert_eq!(scale["kind"], "Scale");
        let deploy = resources
            .iter()
            .find(|r| r["name"] == "deployments")
            .expect("deployments");
        assert_eq!(deploy["shortNames"], json!(["deploy"]));
        assert_eq!(deploy["verbs"].as_array().map(Vec::len), Some(8));
    }

    #[test]
    fn aggregated_core_has_pods_with_eviction() {
        let doc = aggregated(true, "apidiscovery.k8s.io/v2");
        let pods = doc["items"][0]["versions"][0]["resources"]
            .as_array()
            .and_then(|r| r.iter().find(|r| r["resource"] == "pods"))
            .cloned()
            .expect("pods");
        assert_eq!(pods["scope"], "Namespaced");
        let eviction = pods["subresources"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["subresource"] == "eviction"))
            .expect("eviction");
        assert_eq!(eviction["responseKind"]["group"], "policy");
        assert!(api_resource_list("nope", "v1").is_none());
    }
}
