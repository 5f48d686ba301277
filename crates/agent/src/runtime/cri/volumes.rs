//! Pod volumes on the node and the values containers read from the API: `emptyDir`,
//! `hostPath`, `configMap`, `secret`, `downwardAPI` and `projected` volumes materialised
//! under the agent's root (`ROOT/pods/<uid>/volumes/<name>`), and the ConfigMap/Secret
//! values of `env` and `envFrom`.
//!
//! ConfigMap and Secret contents are written once, when the sandbox is made; upstream's
//! periodic refresh of mounted ConfigMaps is not done.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use k8s_cri::v1 as cri;
use k8s_openapi::api::core::v1::{ConfigMap, Container, KeyToPath, Pod, Secret, Volume};
use kube::Client;
use kube::api::Api;

use super::config::{PodRef, Resolved, field_value};

/// Where each volume of a pod lives on the node.
#[derive(Clone, Debug, Default)]
pub struct PodVolumes {
    paths: HashMap<String, PathBuf>,
}

pub fn pod_dir(root: &Path, uid: &str) -> PathBuf {
    root.join("pods").join(uid)
}

/// A ConfigMap's or Secret's keys and values.
type Data = BTreeMap<String, Vec<u8>>;

/// The data of a ConfigMap or Secret, or `None` when it does not exist.
async fn object_data(
    client: &Client,
    namespace: &str,
    kind: &str,
    name: &str,
) -> Result<Option<Data>, String> {
    let map = match kind {
        "configmap" => {
            let api: Api<ConfigMap> = Api::namespaced(client.clone(), namespace);
            match api.get_opt(name).await {
                Ok(None) => return Ok(None),
                Ok(Some(cm)) => {
                    let mut data: BTreeMap<String, Vec<u8>> = cm
                        .data
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(k, v)| (k, v.into_bytes()))
                        .collect();
                    data.extend(
                        cm.binary_data
                            .unwrap_or_default()
                            .into_iter()
                            .map(|(k, v)| (k, v.0)),
                    );
                    data
                }
                Err(e) => return Err(format!("configmap \"{name}\": {e}")),
            }
        }
        _ => {
            let api: Api<Secret> = Api::namespaced(client.clone(), namespace);
            match api.get_opt(name).await {
                Ok(None) => return Ok(None),
                Ok(Some(s)) => {
                    let mut data: BTreeMap<String, Vec<u8>> = s
                        .data
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(k, v)| (k, v.0))
                        .collect();
                    data.extend(
                        s.string_data
                            .unwrap_or_default()
                            .into_iter()
                            .map(|(k, v)| (k, v.into_bytes())),
                    );
                    data
                }
                Err(e) => return Err(format!("secret \"{name}\": {e}")),
            }
        }
    };
    Ok(Some(map))
}

fn not_found(kind: &str, name: &str) -> String {
    format!("{kind} \"{name}\" not found")
}

/// Writes `data` (all keys, or just `items`) into `dir`.
fn write_keys(
    dir: &Path,
    data: &BTreeMap<String, Vec<u8>>,
    items: Option<&Vec<KeyToPath>>,
    kind: &str,
    name: &str,
) -> Result<(), String> {
    let io = |e: std::io::Error| format!("writing volume {}: {e}", dir.display());
    std::fs::create_dir_all(dir).map_err(io)?;
    let pairs: Vec<(String, &Vec<u8>)> = match items {
        Some(items) => {
            let mut pairs = Vec::new();
            for item in items {
                match data.get(&item.key) {
                    Some(v) => pairs.push((item.path.clone(), v)),
                    None => {
                        return Err(format!("couldn't find key {} in {kind} {name}", item.key));
                    }
                }
            }
            pairs
        }
        None => data.iter().map(|(k, v)| (k.clone(), v)).collect(),
    };
    for (path, value) in pairs {
        // Paths were validated by the API server (relative, no `..`).
        let file = dir.join(&path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        std::fs::write(&file, value).map_err(io)?;
    }
    Ok(())
}

impl PodVolumes {
    /// Materialises every volume of the pod. An error names the volume that cannot be
    /// made (a missing ConfigMap or Secret that is not optional, an unsupported type).
    pub async fn prepare(
        client: &Client,
        root: &Path,
        pod: &Pod,
        node: &str,
    ) -> Result<Self, String> {
        let r = PodRef::of(pod);
        let base = pod_dir(root, r.uid).join("volumes");
        let mut paths = HashMap::new();
        let volumes: &[Volume] = pod
            .spec
            .as_ref()
            .and_then(|s| s.volumes.as_deref())
            .unwrap_or_default();
        let io = |e: std::io::Error| e.to_string();
        for v in volumes {
            let dir = base.join(&v.name);
            if let Some(host) = &v.host_path {
                let path = PathBuf::from(&host.path);
                match host.type_.as_deref() {
                    Some("DirectoryOrCreate") => std::fs::create_dir_all(&path).map_err(io)?,
                    Some("FileOrCreate") if !path.exists() => {
                        std::fs::write(&path, b"").map_err(io)?;
                    }
                    Some("Directory") if !path.is_dir() => {
                        return Err(format!(
                            "hostPath type check failed: {} is not a directory",
                            host.path
                        ));
                    }
                    Some("File") if !path.is_file() => {
                        return Err(format!(
                            "hostPath type check failed: {} is not a file",
                            host.path
                        ));
                    }
                    _ => {}
                }
                paths.insert(v.name.clone(), path);
                continue;
            }
            if v.empty_dir.is_some() {
                std::fs::create_dir_all(&dir).map_err(io)?;
            } else if let Some(cm) = &v.config_map {
                let optional = cm.optional.unwrap_or(false);
                match object_data(client, r.namespace, "configmap", &cm.name).await? {
                    Some(data) => {
                        write_keys(&dir, &data, cm.items.as_ref(), "ConfigMap", &cm.name)?
                    }
                    None if optional => std::fs::create_dir_all(&dir).map_err(io)?,
                    None => return Err(not_found("configmap", &cm.name)),
                }
            } else if let Some(secret) = &v.secret {
                let name = secret.secret_name.clone().unwrap_or_default();
                let optional = secret.optional.unwrap_or(false);
                match object_data(client, r.namespace, "secret", &name).await? {
                    Some(data) => write_keys(&dir, &data, secret.items.as_ref(), "Secret", &name)?,
                    None if optional => std::fs::create_dir_all(&dir).map_err(io)?,
                    None => return Err(not_found("secret", &name)),
                }
            } else if let Some(downward) = &v.downward_api {
                let data = downward_data(pod, downward.items.iter().flatten(), node);
                write_keys(&dir, &data, None, "downwardAPI", &v.name)?;
            } else if let Some(projected) = &v.projected {
                std::fs::create_dir_all(&dir).map_err(io)?;
                for source in projected.sources.iter().flatten() {
                    if let Some(cm) = &source.config_map {
                        match object_data(client, r.namespace, "configmap", &cm.name).await? {
                            Some(data) => {
                                write_keys(&dir, &data, cm.items.as_ref(), "ConfigMap", &cm.name)?
                            }
                            None if cm.optional.unwrap_or(false) => {}
                            None => return Err(not_found("configmap", &cm.name)),
                        }
                    } else if let Some(s) = &source.secret {
                        match object_data(client, r.namespace, "secret", &s.name).await? {
                            Some(data) => {
                                write_keys(&dir, &data, s.items.as_ref(), "Secret", &s.name)?
                            }
                            None if s.optional.unwrap_or(false) => {}
                            None => return Err(not_found("secret", &s.name)),
                        }
                    } else if let Some(d) = &source.downward_api {
                        let data = downward_data(pod, d.items.iter().flatten(), node);
                        write_keys(&dir, &data, None, "downwardAPI", &v.name)?;
                    } else {
                        return Err(format!(
                            "volume {:?}: this projected source is not supported by bosun's agent",
                            v.name
                        ));
                    }
                }
            } else {
                return Err(format!(
                    "volume {:?}: its type is not supported by bosun's agent (emptyDir, hostPath, configMap, secret, downwardAPI and projected are)",
                    v.name
                ));
            }
            paths.insert(v.name.clone(), dir);
        }
        Ok(Self { paths })
    }

    /// The container's `volumeMounts` as CRI mounts (`subPath` resolved on the node).
    pub fn mounts(&self, container: &Container) -> Result<Vec<cri::Mount>, String> {
        let mut mounts = Vec::new();
        for m in container.volume_mounts.iter().flatten() {
            let Some(base) = self.paths.get(&m.name) else {
                return Err(format!(
                    "unable to find volume {:?} for container {:?}",
                    m.name, container.name
                ));
            };
            let host = match m.sub_path.as_deref().filter(|s| !s.is_empty()) {
                Some(sub) => {
                    let path = base.join(sub);
                    if !path.exists() {
                        std::fs::create_dir_all(&path).map_err(|e| e.to_string())?;
                    }
                    path
                }
                None => base.clone(),
            };
            mounts.push(cri::Mount {
                container_path: m.mount_path.clone(),
                host_path: host.to_string_lossy().into_owned(),
                readonly: m.read_only.unwrap_or(false),
                ..Default::default()
            });
        }
        Ok(mounts)
    }
}

fn downward_data<'a>(
    pod: &Pod,
    items: impl Iterator<Item = &'a k8s_openapi::api::core::v1::DownwardAPIVolumeFile>,
    node: &str,
) -> BTreeMap<String, Vec<u8>> {
    let resolved = Resolved {
        node_name: node.to_string(),
        ..Resolved::default()
    };
    items
        .filter_map(|item| {
            let field = item.field_ref.as_ref()?;
            let value = field_value(pod, &field.field_path, &resolved)?;
            Some((item.path.clone(), value.into_bytes()))
        })
        .collect()
}

/// The ConfigMap/Secret values the container's `env` and `envFrom` name.
pub async fn env_values(
    client: &Client,
    pod: &Pod,
    container: &Container,
    resolved: &mut Resolved,
) -> Result<(), String> {
    let namespace = PodRef::of(pod).namespace.to_string();
    let mut cache: HashMap<(String, String), Option<Data>> = HashMap::new();
    let mut fetch = async |kind: &str, name: &str| -> Result<Option<Data>, String> {
        let key = (kind.to_string(), name.to_string());
        if let Some(hit) = cache.get(&key) {
            return Ok(hit.clone());
        }
        let data = object_data(client, &namespace, kind, name).await?;
        cache.insert(key, data.clone());
        Ok(data)
    };
    for source in container.env_from.iter().flatten() {
        let (kind, name, optional) = if let Some(r) = &source.config_map_ref {
            ("configmap", r.name.clone(), r.optional.unwrap_or(false))
        } else if let Some(r) = &source.secret_ref {
            ("secret", r.name.clone(), r.optional.unwrap_or(false))
        } else {
            resolved.env_from.push(Vec::new());
            continue;
        };
        match fetch(kind, &name).await? {
            Some(data) => resolved.env_from.push(
                data.into_iter()
                    .map(|(k, v)| (k, String::from_utf8_lossy(&v).into_owned()))
                    .collect(),
            ),
            None if optional => resolved.env_from.push(Vec::new()),
            None => return Err(not_found(kind, &name)),
        }
    }
    for var in container.env.iter().flatten() {
        let Some(from) = &var.value_from else {
            continue;
        };
        let (kind, name, key, optional) = if let Some(r) = &from.config_map_key_ref {
            (
                "configmap",
                r.name.clone(),
                r.key.clone(),
                r.optional.unwrap_or(false),
            )
        } else if let Some(r) = &from.secret_key_ref {
            (
                "secret",
                r.name.clone(),
                r.key.clone(),
                r.optional.unwrap_or(false),
            )
        } else {
            continue;
        };
        let value = fetch(kind, &name).await?.and_then(|d| d.get(&key).cloned());
        match value {
            Some(v) => {
                resolved.refs.insert(
                    (kind.to_string(), name, key),
                    String::from_utf8_lossy(&v).into_owned(),
                );
            }
            None if optional => {}
            None => {
                return Err(format!(
                    "couldn't find key {key} in {kind} {namespace}/{name}"
                ));
            }
        }
    }
    Ok(())
}
