//! Services (`ValidateService`, and the cluster-IP rule of `ValidateServiceUpdate`).

use serde_json::Value;

use super::FieldError;
use super::kinds::kind_meta;
use super::meta::validate_labels;
use super::names;
use super::probe::validate_port_num_or_name;
use super::render;
use super::util::{Path, at, get, int_of, list_of, str_of, string_map};
use crate::resources::ResourceInfo;

fn cluster_ips(spec: &Value) -> Vec<String> {
    let ips: Vec<String> = list_of(spec, "clusterIPs")
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    if ips.is_empty() && !str_of(spec, "clusterIP").is_empty() {
        return vec![str_of(spec, "clusterIP").to_string()];
    }
    ips
}

fn is_headless(spec: &Value) -> bool {
    str_of(spec, "type") == "ClusterIP" && cluster_ips(spec).first().is_some_and(|ip| ip == "None")
}

pub(crate) fn validate_service(info: &ResourceInfo, obj: &Value) -> Vec<FieldError> {
    let mut errs = kind_meta(info, obj);
    let ann = at(obj, &["metadata", "annotations"]);
    let ann_map = string_map(ann);
    let lookup = |k: &str| ann_map.iter().find(|(ak, _)| *ak == k).map(|(_, v)| *v);
    if let (Some(mode), Some(hints)) = (
        lookup("service.kubernetes.io/topology-mode"),
        lookup("service.kubernetes.io/topology-aware-hints"),
    ) && mode != hints
    {
        errs.push(FieldError::invalid(
            &Path::root("metadata").child("annotations").key("service.kubernetes.io/topology-mode"),
            mode,
            "must match annotations[service.kubernetes.io/topology-aware-hints] when both are specified",
        ));
    }
    let path = Path::root("spec");
    let empty = Value::Null;
    let spec = get(obj, "spec").unwrap_or(&empty);
    let ty = str_of(spec, "type");
    let ports = list_of(spec, "ports");
    let headless = is_headless(spec);
    if ports.is_empty() && !headless && ty != "ExternalName" {
        errs.push(FieldError::required(&path.child("ports"), ""));
    }
    match ty {
        "LoadBalancer" | "NodePort" if headless => {
            errs.push(FieldError::invalid(
                &path.child("clusterIPs").index(0),
                "None",
                &format!("may not be set to 'None' for {ty} services"),
            ));
        }
        "ExternalName" => {
            if !cluster_ips(spec).is_empty() {
                errs.push(FieldError::forbidden(
                    &path.child("clusterIPs"),
                    "may not be set for ExternalName services",
                ));
            }
            if !list_of(spec, "ipFamilies").is_empty() {
                errs.push(FieldError::forbidden(
                    &path.child("ipFamilies"),
                    "may not be set for ExternalName services",
                ));
            }
            if get(spec, "ipFamilyPolicy").is_some() {
                errs.push(FieldError::forbidden(
                    &path.child("ipFamilyPolicy"),
                    "may not be set for ExternalName services",
                ));
            }
            let cname = str_of(spec, "externalName");
            let cname = cname.strip_suffix('.').unwrap_or(cname);
            if cname.is_empty() {
                errs.push(FieldError::required(&path.child("externalName"), ""));
            } else {
                for msg in names::is_dns1123_subdomain(cname) {
                    errs.push(FieldError::invalid(
                        &path.child("externalName"),
                        cname,
                        &msg,
                    ));
                }
            }
        }
        _ => {}
    }
    let mut port_names: Vec<String> = Vec::new();
    for (i, port) in ports.iter().enumerate() {
        errs.extend(validate_service_port(
            port,
            ports.len() > 1,
            &mut port_names,
            &path.child("ports").index(i),
        ));
    }
    if get(spec, "selector").is_some() {
        errs.extend(validate_labels(
            get(spec, "selector"),
            &path.child("selector"),
        ));
    }
    let affinity = str_of(spec, "sessionAffinity");
    match affinity {
        "" => errs.push(FieldError::required(&path.child("sessionAffinity"), "")),
        "ClientIP" | "None" => {}
        other => errs.push(FieldError::not_supported(
            &path.child("sessionAffinity"),
            other,
            &["ClientIP", "None"],
        )),
    }
    let config_path = path.child("sessionAffinityConfig");
    if affinity == "ClientIP" {
        let timeout = get(spec, "sessionAffinityConfig").and_then(|c| get(c, "clientIP"));
        match (get(spec, "sessionAffinityConfig"), timeout) {
            (None, _) => errs.push(FieldError::required(
                &config_path,
                "when session affinity type is ClientIP",
            )),
            (Some(_), None) => errs.push(FieldError::required(
                &config_path.child("clientIP"),
                "when session affinity type is ClientIP",
            )),
            (Some(_), Some(cip)) => {
                let tp = config_path.child("clientIP").child("timeoutSeconds");
                match int_of(cip, "timeoutSeconds") {
                    None => errs.push(FieldError::required(
                        &tp,
                        "when session affinity type is ClientIP",
                    )),
                    Some(t) if t <= 0 || t > 86400 => errs.push(FieldError::invalid(
                        &tp,
                        t,
                        "must be greater than 0 and less than 86400",
                    )),
                    Some(_) => {}
                }
            }
        }
    } else if affinity == "None" && get(spec, "sessionAffinityConfig").is_some() {
        errs.push(FieldError::forbidden(
            &config_path,
            "must not be set when session affinity is None",
        ));
    }
    for (i, ip) in list_of(spec, "externalIPs").iter().enumerate() {
        let ip = ip.as_str().unwrap_or("");
        if !names::is_ip(ip) {
            errs.push(FieldError::invalid(
                &path.child("externalIPs").index(i),
                ip,
                names::IP_ERR,
            ));
        }
    }
    const TYPES: [&str; 4] = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];
    if ty.is_empty() {
        errs.push(FieldError::required(&path.child("type"), ""));
    } else if !TYPES.contains(&ty) {
        errs.push(FieldError::not_supported(&path.child("type"), ty, &TYPES));
    }
    if ty == "ClusterIP" {
        for (i, port) in ports.iter().enumerate() {
            if int_of(port, "nodePort").unwrap_or(0) != 0 {
                errs.push(FieldError::forbidden(
                    &path.child("ports").index(i).child("nodePort"),
                    "may not be used when `type` is 'ClusterIP'",
                ));
            }
        }
    }
    let mut node_ports: Vec<(&str, i64)> = Vec::new();
    for (i, port) in ports.iter().enumerate() {
        let np = int_of(port, "nodePort").unwrap_or(0);
        if np == 0 {
            continue;
        }
        let key = (str_of(port, "protocol"), np);
        if node_ports.contains(&key) {
            errs.push(FieldError::duplicate(
                &path.child("ports").index(i).child("nodePort"),
                np,
            ));
        }
        node_ports.push(key);
    }
    let mut seen: Vec<(&str, i64)> = Vec::new();
    for (i, port) in ports.iter().enumerate() {
        let key = (str_of(port, "protocol"), int_of(port, "port").unwrap_or(0));
        if seen.contains(&key) {
            errs.push(
                FieldError::duplicate(&path.child("ports").index(i), port.clone())
                    .with_repr(render::service_port_key(key.0, key.1)),
            );
        }
        seen.push(key);
    }
    let ranges = list_of(spec, "loadBalancerSourceRanges");
    if !ranges.is_empty() {
        let rp = path.child("LoadBalancerSourceRanges");
        if ty != "LoadBalancer" {
            errs.push(FieldError::forbidden(
                &rp,
                "may only be used when `type` is 'LoadBalancer'",
            ));
        }
        for (i, r) in ranges.iter().enumerate() {
            let r = r.as_str().unwrap_or("").trim();
            if !names::is_cidr(r) {
                errs.push(FieldError::invalid(
                    &rp.index(i),
                    r,
                    "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)",
                ));
            }
        }
    }
    if get(spec, "allocateLoadBalancerNodePorts").is_some() && ty != "LoadBalancer" {
        errs.push(FieldError::forbidden(
            &path.child("allocateLoadBalancerNodePorts"),
            "may only be used when `type` is 'LoadBalancer'",
        ));
    }
    if ty == "LoadBalancer" && get(spec, "allocateLoadBalancerNodePorts").is_none() {
        // Upstream reports this one without the `spec.` prefix.
        errs.push(FieldError::required(
            &Path::root("allocateLoadBalancerNodePorts"),
            "",
        ));
    }
    if let Some(class) = get(spec, "loadBalancerClass").and_then(Value::as_str) {
        if ty != "LoadBalancer" {
            errs.push(FieldError::forbidden(
                &path.child("loadBalancerClass"),
                "may only be used when `type` is 'LoadBalancer'",
            ));
        } else {
            for msg in names::is_qualified_name(class) {
                errs.push(FieldError::invalid(
                    &path.child("loadBalancerClass"),
                    class,
                    &msg,
                ));
            }
        }
    }
    errs.extend(validate_traffic_policies(spec, &path));
    errs
}

fn validate_service_port(
    port: &Value,
    require_name: bool,
    seen: &mut Vec<String>,
    path: &Path,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let name = str_of(port, "name");
    if require_name && name.is_empty() {
        errs.push(FieldError::required(&path.child("name"), ""));
    } else if !name.is_empty() {
        for msg in names::is_dns1123_label(name) {
            errs.push(FieldError::invalid(&path.child("name"), name, &msg));
        }
        if seen.iter().any(|n| n == name) {
            errs.push(FieldError::duplicate(&path.child("name"), name));
        } else {
            seen.push(name.to_string());
        }
    }
    let p = int_of(port, "port").unwrap_or(0);
    for msg in names::is_valid_port_num(p) {
        errs.push(FieldError::invalid(&path.child("port"), p, &msg));
    }
    match str_of(port, "protocol") {
        "" => errs.push(FieldError::required(&path.child("protocol"), "")),
        "TCP" | "UDP" | "SCTP" => {}
        other => errs.push(FieldError::not_supported(
            &path.child("protocol"),
            other,
            &["SCTP", "TCP", "UDP"],
        )),
    }
    errs.extend(validate_port_num_or_name(
        get(port, "targetPort"),
        &path.child("targetPort"),
    ));
    if let Some(ap) = get(port, "appProtocol").and_then(Value::as_str) {
        for msg in names::is_qualified_name(ap) {
            errs.push(FieldError::invalid(&path.child("appProtocol"), ap, &msg));
        }
    }
    errs
}

fn validate_traffic_policies(spec: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let ty = str_of(spec, "type");
    let accessible = ty == "LoadBalancer"
        || ty == "NodePort"
        || (ty == "ClusterIP" && !list_of(spec, "externalIPs").is_empty());
    let etp = str_of(spec, "externalTrafficPolicy");
    if !accessible {
        if !etp.is_empty() {
            errs.push(FieldError::invalid(
                &path.child("externalTrafficPolicy"),
                etp,
                "may only be set for externally-accessible services",
            ));
        }
    } else if etp.is_empty() {
        errs.push(FieldError::required(
            &path.child("externalTrafficPolicy"),
            "",
        ));
    } else if etp != "Cluster" && etp != "Local" {
        errs.push(FieldError::not_supported(
            &path.child("externalTrafficPolicy"),
            etp,
            &["Cluster", "Local"],
        ));
    }
    let hc = int_of(spec, "healthCheckNodePort").unwrap_or(0);
    let hc_path = path.child("healthCheckNodePort");
    if !(ty == "LoadBalancer" && etp == "Local") {
        if hc != 0 {
            errs.push(FieldError::invalid(
                &hc_path,
                hc,
                "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
            ));
        }
    } else if hc == 0 {
        errs.push(FieldError::required(&hc_path, ""));
    } else {
        for msg in names::is_valid_port_num(hc) {
            errs.push(FieldError::invalid(&hc_path, hc, &msg));
        }
    }
    let itp_path = path.child("internalTrafficPolicy");
    match get(spec, "internalTrafficPolicy").and_then(Value::as_str) {
        None if matches!(ty, "NodePort" | "LoadBalancer" | "ClusterIP") => {
            errs.push(FieldError::required(&itp_path, ""));
        }
        Some(itp) if itp != "Cluster" && itp != "Local" => {
            errs.push(FieldError::not_supported(
                &itp_path,
                itp,
                &["Cluster", "Local"],
            ));
        }
        _ => {}
    }
    if let Some(td) = get(spec, "trafficDistribution").and_then(Value::as_str)
        && td != "PreferClose"
    {
        errs.push(FieldError::not_supported(
            &path.child("trafficDistribution"),
            td,
            &["PreferClose"],
        ));
    }
    errs
}

/// A Service's primary cluster IP may not change (outside ExternalName transitions).
pub(crate) fn validate_cluster_ips_update(obj: &Value, old: &Value) -> Vec<FieldError> {
    let empty = Value::Null;
    let (spec, old_spec) = (
        get(obj, "spec").unwrap_or(&empty),
        get(old, "spec").unwrap_or(&empty),
    );
    if str_of(spec, "type") == "ExternalName" || str_of(old_spec, "type") == "ExternalName" {
        return Vec::new();
    }
    let (new_ips, old_ips) = (cluster_ips(spec), cluster_ips(old_spec));
    let Some(old_first) = old_ips.first() else {
        return Vec::new();
    };
    let path = Path::root("spec").child("clusterIPs").index(0);
    let list = Value::from(new_ips.clone());
    let repr = if new_ips.is_empty() {
        "[]string(nil)".to_string()
    } else {
        render::string_slice(Some(&list))
    };
    match new_ips.first() {
        None => vec![
            FieldError::invalid(&path, list, "primary clusterIP can not be unset").with_repr(repr),
        ],
        Some(first) if first != old_first => {
            vec![FieldError::invalid(&path, list, "may not change once set").with_repr(repr)]
        }
        _ => Vec::new(),
    }
}
