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
    /// Volumes of API data (configMap, secret, downwardAPI, projected): always mounted
    /// read-only, as upstream does, so a container cannot plant links the agent would
    /// later write through.
    read_only: std::collections::HashSet<String>,
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

/// A ConfigMap or Secret a volume (or a projected source) shows.
struct ObjectSource<'a> {
    kind: &'static str,
    name: &'a str,
    items: Option<&'a Vec<KeyToPath>>,
    optional: bool,
    mode: Option<i32>,
}

/// Writes an object's keys into `dir`; a missing optional object leaves it empty.
async fn write_object(
    client: &Client,
    namespace: &str,
    dir: &Path,
    source: ObjectSource<'_>,
) -> Result<(), String> {
    let shown = if source.kind == "secret" {
        "Secret"
    } else {
        "ConfigMap"
    };
    match object_data(client, namespace, source.kind, source.name).await? {
        Some(data) => write_keys(dir, &data, source.items, (shown, source.name), source.mode),
        None if source.optional => std::fs::create_dir_all(dir)
            .map_err(|e| format!("writing volume {}: {e}", dir.display())),
        None => Err(not_found(source.kind, source.name)),
    }
}

fn not_found(kind: &str, name: &str) -> String {
    format!("{kind} \"{name}\" not found")
}

/// Writes `data` (all keys, or just `items`) into `dir`.
fn write_keys(
    dir: &Path,
    data: &BTreeMap<String, Vec<u8>>,
    items: Option<&Vec<KeyToPath>>,
    (kind, name): (&str, &str),
    default_mode: Option<i32>,
) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let io = |e: std::io::Error| format!("writing volume {}: {e}", dir.display());
    std::fs::create_dir_all(dir).map_err(io)?;
    let pairs: Vec<(String, &Vec<u8>, Option<i32>)> = match items {
        Some(items) => {
            let mut pairs = Vec::new();
            for item in items {
                match data.get(&item.key) {
                    Some(v) => pairs.push((item.path.clone(), v, item.mode)),
                    None => {
                        return Err(format!("couldn't find key {} in {kind} {name}", item.key));
                    }
                }
            }
            pairs
        }
        None => data.iter().map(|(k, v)| (k.clone(), v, None)).collect(),
    };
    for (path, value, mode) in pairs {
        // Paths were validated by the API server (relative, no `..`); links are still
        // refused, and each file is replaced by a rename, never written through.
        let file = dir.join(&path);
        let parent = file.parent().unwrap_or(dir);
        create_dirs_beneath(dir, parent)?;
        let staged = parent.join(format!(".{}.bosun-new", path.replace('/', "_")));
        std::fs::write(&staged, value).map_err(io)?;
        let mode = mode.or(default_mode).unwrap_or(0o644);
        let mode = u32::try_from(mode).unwrap_or(0o644) & 0o777;
        std::fs::set_permissions(&staged, std::fs::Permissions::from_mode(mode)).map_err(io)?;
        std::fs::rename(&staged, &file).map_err(io)?;
    }
    Ok(())
}

/// Creates `path` and its parents below `base`, refusing to go through a symbolic link:
/// a container may have planted one to reach the node's files.
fn create_dirs_beneath(base: &Path, path: &Path) -> Result<(), String> {
    let rel = path
        .strip_prefix(base)
        .map_err(|_| format!("{} is outside {}", path.display(), base.display()))?;
    let mut at = base.to_path_buf();
    for part in rel.components() {
        match part {
            std::path::Component::Normal(p) => at.push(p),
            _ => return Err(format!("invalid path {}", path.display())),
        }
        match std::fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(format!(
                    "{} is a symbolic link; refusing to follow it",
                    at.display()
                ));
            }
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Err(format!("{} is not a directory", at.display())),
            Err(_) => {
                std::fs::create_dir(&at).map_err(|e| format!("creating {}: {e}", at.display()))?
            }
        }
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
        let mut read_only = std::collections::HashSet::new();
        let fs_group = pod
            .spec
            .as_ref()
            .and_then(|s| s.security_context.as_ref())
            .and_then(|s| s.fs_group)
            .and_then(|g| u32::try_from(g).ok());
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
                // Upstream's emptyDir is world-writable, so any user the container runs
                // as can use it.
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777))
                    .map_err(io)?;
            } else if let Some(cm) = &v.config_map {
                let source = ObjectSource {
                    kind: "configmap",
                    name: &cm.name,
                    items: cm.items.as_ref(),
                    optional: cm.optional.unwrap_or(false),
                    mode: cm.default_mode,
                };
                write_object(client, r.namespace, &dir, source).await?;
            } else if let Some(secret) = &v.secret {
                let name = secret.secret_name.clone().unwrap_or_default();
                let source = ObjectSource {
                    kind: "secret",
                    name: &name,
                    items: secret.items.as_ref(),
                    optional: secret.optional.unwrap_or(false),
                    mode: secret.default_mode,
                };
                write_object(client, r.namespace, &dir, source).await?;
            } else if let Some(downward) = &v.downward_api {
                let data = downward_data(pod, downward.items.iter().flatten(), node);
                write_keys(&dir, &data, None, ("downwardAPI", &v.name), None)?;
            } else if let Some(projected) = &v.projected {
                std::fs::create_dir_all(&dir).map_err(io)?;
                for source in projected.sources.iter().flatten() {
                    if let Some(cm) = &source.config_map {
                        let object = ObjectSource {
                            kind: "configmap",
                            name: &cm.name,
                            items: cm.items.as_ref(),
                            optional: cm.optional.unwrap_or(false),
                            mode: projected.default_mode,
                        };
                        write_object(client, r.namespace, &dir, object).await?;
                    } else if let Some(secret) = &source.secret {
                        let object = ObjectSource {
                            kind: "secret",
                            name: &secret.name,
                            items: secret.items.as_ref(),
                            optional: secret.optional.unwrap_or(false),
                            mode: projected.default_mode,
                        };
                        write_object(client, r.namespace, &dir, object).await?;
                    } else if let Some(d) = &source.downward_api {
                        let data = downward_data(pod, d.items.iter().flatten(), node);
                        write_keys(&dir, &data, None, ("downwardAPI", &v.name), None)?;
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
            if v.empty_dir.is_none() {
                read_only.insert(v.name.clone());
            }
            if let Some(group) = fs_group {
                give_to_group(&dir, group, v.empty_dir.is_some()).map_err(io)?;
            }
            paths.insert(v.name.clone(), dir);
        }
        Ok(Self { paths, read_only })
    }

    /// Where the pod's volumes already are on disk, without reading the API or writing
    /// anything (taking over a running pod when the API cannot be read).
    pub fn existing(root: &Path, pod: &Pod) -> Self {
        let base = pod_dir(root, PodRef::of(pod).uid).join("volumes");
        let mut paths = HashMap::new();
        let mut read_only = std::collections::HashSet::new();
        for v in pod.spec.iter().flat_map(|s| s.volumes.iter().flatten()) {
            let path = match &v.host_path {
                Some(host) => PathBuf::from(&host.path),
                None => base.join(&v.name),
            };
            if v.empty_dir.is_none() && v.host_path.is_none() {
                read_only.insert(v.name.clone());
            }
            paths.insert(v.name.clone(), path);
        }
        Self { paths, read_only }
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
                Some(sub) => sub_path(base, sub)?,
                None => base.clone(),
            };
            mounts.push(cri::Mount {
                container_path: m.mount_path.clone(),
                host_path: host.to_string_lossy().into_owned(),
                readonly: m.read_only.unwrap_or(false) || self.read_only.contains(&m.name),
                ..Default::default()
            });
        }
        Ok(mounts)
    }
}

/// `fsGroup`: the volume and everything in it belong to the group, directories are
/// setgid (new files inherit the group), and the group may read (and, for a writable
/// volume, write) — upstream's volume ownership. Links are not followed.
fn give_to_group(dir: &Path, group: u32, writable: bool) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::symlink_metadata(dir)?;
    if meta.file_type().is_symlink() {
        return Ok(());
    }
    std::os::unix::fs::lchown(dir, None, Some(group))?;
    let mode = meta.permissions().mode() & 0o7777;
    let extra = match (meta.is_dir(), writable) {
        (true, true) => 0o2070,
        (true, false) => 0o2050,
        (false, true) => 0o060,
        (false, false) => 0o040,
    };
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode | extra))?;
    if meta.is_dir() {
        for entry in std::fs::read_dir(dir)? {
            give_to_group(&entry?.path(), group, writable)?;
        }
    }
    Ok(())
}

/// A `subPath` below a volume, made if missing. A container can write links into its
/// volumes, so the path must not go through one and must stay inside the volume once
/// resolved (else the bind mount would expose the node's files).
fn sub_path(base: &Path, sub: &str) -> Result<PathBuf, String> {
    let path = base.join(sub);
    match std::fs::symlink_metadata(&path) {
        // An existing file or directory (a ConfigMap key, say): its parents must be real
        // directories, and it no link.
        Ok(m) if !m.file_type().is_symlink() => {
            create_dirs_beneath(base, path.parent().unwrap_or(base))?;
        }
        Ok(_) => return Err(format!("subPath {sub:?} is a symbolic link")),
        Err(_) => create_dirs_beneath(base, &path)?,
    }
    let (real_base, real) = (
        base.canonicalize().map_err(|e| e.to_string())?,
        path.canonicalize().map_err(|e| e.to_string())?,
    );
    if !real.starts_with(&real_base) {
        return Err(format!("subPath {sub:?} leaves its volume"));
    }
    Ok(real)
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

/// The data of the pod's `imagePullSecrets` that can be read, in order (a missing one
/// is skipped, as the kubelet does, and the pull goes ahead without it).
pub async fn pull_secrets(client: &Client, pod: &Pod) -> Vec<Data> {
    let namespace = PodRef::of(pod).namespace.to_string();
    let mut found = Vec::new();
    for reference in pod
        .spec
        .iter()
        .flat_map(|s| s.image_pull_secrets.iter().flatten())
    {
        if let Ok(Some(data)) = object_data(client, &namespace, "secret", &reference.name).await {
            found.push(data);
        }
    }
    found
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_paths_never_follow_links_out_of_the_volume() {
        let dir = tempfile::tempdir().expect("dir");
        let base = dir.path().join("vol");
        std::fs::create_dir_all(&base).expect("vol");
        assert_eq!(
            sub_path(&base, "a/b").expect("made"),
            base.canonicalize().expect("real").join("a/b")
        );
        std::os::unix::fs::symlink("/", base.join("escape")).expect("link");
        let err = sub_path(&base, "escape").expect_err("a link");
        assert!(err.contains("symbolic link"), "{err}");
        let err = sub_path(&base, "escape/etc").expect_err("through a link");
        assert!(err.contains("symbolic link"), "{err}");
        std::fs::write(base.join("key"), b"v").expect("file");
        assert!(sub_path(&base, "key").is_ok(), "a file is a fine subPath");
    }

    #[test]
    fn keys_are_replaced_not_written_through_and_get_their_modes() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("dir");
        let vol = dir.path().join("vol");
        let outside = dir.path().join("outside");
        std::fs::write(&outside, b"untouched").expect("outside");
        std::fs::create_dir_all(&vol).expect("vol");
        std::os::unix::fs::symlink(&outside, vol.join("key")).expect("planted link");
        let data = BTreeMap::from([("key".to_string(), b"value".to_vec())]);
        write_keys(&vol, &data, None, ("Secret", "s"), Some(0o400)).expect("written");
        assert_eq!(std::fs::read(&outside).expect("outside"), b"untouched");
        assert_eq!(std::fs::read(vol.join("key")).expect("key"), b"value");
        let mode = std::fs::metadata(vol.join("key"))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o400);
    }
}
