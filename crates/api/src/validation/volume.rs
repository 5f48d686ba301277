//! Pod volumes (`ValidateVolumes` and the volume sources bosun can run): names, one source
//! per volume, and the fields of the common sources.

use serde_json::Value;

use super::FieldError;
use super::names;
use super::quantity;
use super::util::{Path, get, int_of, list_of, str_of};

const FILE_MODE_ERR: &str = "must be a number between 0 and 0777 (octal), both inclusive";

/// Volume source keys in upstream's checking order, with the path name upstream uses when it
/// reports a second source (two are misspelled upstream, and kept so).
const SOURCES: &[(&str, &str)] = &[
    ("emptyDir", "emptyDir"),
    ("hostPath", "hostPath"),
    ("gitRepo", "gitRepo"),
    ("gcePersistentDisk", "gcePersistentDisk"),
    ("awsElasticBlockStore", "awsElasticBlockStore"),
    ("secret", "secret"),
    ("nfs", "nfs"),
    ("iscsi", "iscsi"),
    ("glusterfs", "glusterfs"),
    ("flocker", "flocker"),
    ("persistentVolumeClaim", "persistentVolumeClaim"),
    ("rbd", "rbd"),
    ("cinder", "cinder"),
    ("cephfs", "cephFS"),
    ("quobyte", "quobyte"),
    ("downwardAPI", "downwarAPI"),
    ("fc", "fc"),
    ("flexVolume", "flexVolume"),
    ("configMap", "configMap"),
    ("azureFile", "azureFile"),
    ("vsphereVolume", "vsphereVolume"),
    ("photonPersistentDisk", "photonPersistentDisk"),
    ("portworxVolume", "portworxVolume"),
    ("azureDisk", "azureDisk"),
    ("storageos", "storageos"),
    ("projected", "projected"),
    ("scaleIO", "scaleIO"),
    ("csi", "csi"),
    ("ephemeral", "ephemeral"),
    ("image", "image"),
];

const HOST_PATH_TYPES: &[&str] = &[
    "",
    "BlockDevice",
    "CharDevice",
    "Directory",
    "DirectoryOrCreate",
    "File",
    "FileOrCreate",
    "Socket",
];

/// A valid volume: its name and the key of its source (`persistentVolumeClaim`...).
pub(crate) struct ValidVolume {
    pub(crate) name: String,
    pub(crate) source: &'static str,
}

/// Upstream's `ValidateVolumes`: returns the volumes that passed (only those can be mounted).
pub(crate) fn validate_volumes(
    volumes: &[Value],
    path: &Path,
) -> (Vec<ValidVolume>, Vec<FieldError>) {
    let mut valid: Vec<ValidVolume> = Vec::new();
    let mut all_names: Vec<String> = Vec::new();
    let mut errs = Vec::new();
    for (i, vol) in volumes.iter().enumerate() {
        let p = path.index(i);
        let name = str_of(vol, "name");
        let (source, mut el) = validate_source(vol, &p);
        if name.is_empty() {
            el.push(FieldError::required(&p.child("name"), ""));
        } else {
            for msg in names::is_dns1123_label(name) {
                el.push(FieldError::invalid(&p.child("name"), name, &msg));
            }
        }
        if all_names.iter().any(|n| n == name) {
            el.push(FieldError::duplicate(&p.child("name"), name));
        }
        if el.is_empty() {
            all_names.push(name.to_string());
            valid.push(ValidVolume {
                name: name.to_string(),
                source,
            });
        } else {
            errs.extend(el);
        }
    }
    (valid, errs)
}

fn validate_source(vol: &Value, path: &Path) -> (&'static str, Vec<FieldError>) {
    let mut errs = Vec::new();
    let mut first: Option<&'static str> = None;
    for (key, forbidden_name) in SOURCES {
        let Some(src) = get(vol, key) else { continue };
        if first.is_some() {
            errs.push(FieldError::forbidden(
                &path.child(forbidden_name),
                "may not specify more than 1 volume type",
            ));
            continue;
        }
        first = Some(key);
        let p = path.child(key);
        match *key {
            "emptyDir" => {
                let negative = get(src, "sizeLimit")
                    .and_then(quantity::from_json)
                    .is_some_and(|q| q.is_negative());
                if negative {
                    errs.push(FieldError::forbidden(
                        &p.child("sizeLimit"),
                        "SizeLimit field must be a valid resource quantity",
                    ));
                }
            }
            "hostPath" => errs.extend(validate_host_path(src, &p)),
            "secret" => {
                if str_of(src, "secretName").is_empty() {
                    errs.push(FieldError::required(&p.child("secretName"), ""));
                }
                errs.extend(validate_mode(src, "defaultMode", &p));
                errs.extend(validate_items(src, &p));
            }
            "configMap" => {
                if str_of(src, "name").is_empty() {
                    errs.push(FieldError::required(&p.child("name"), ""));
                }
                errs.extend(validate_mode(src, "defaultMode", &p));
                errs.extend(validate_items(src, &p));
            }
            "persistentVolumeClaim" if str_of(src, "claimName").is_empty() => {
                errs.push(FieldError::required(&p.child("claimName"), ""));
            }
            "nfs" => {
                let nfs_path = str_of(src, "path");
                if str_of(src, "server").is_empty() {
                    errs.push(FieldError::required(&p.child("server"), ""));
                }
                if nfs_path.is_empty() {
                    errs.push(FieldError::required(&p.child("path"), ""));
                }
                if !nfs_path.starts_with('/') {
                    errs.push(FieldError::invalid(
                        &p.child("path"),
                        nfs_path,
                        "must be an absolute path",
                    ));
                }
            }
            "downwardAPI" => {
                errs.extend(validate_mode(src, "defaultMode", &p));
                for item in list_of(src, "items") {
                    errs.extend(validate_downward_file(item, &p));
                }
            }
            "projected" => {
                errs.extend(validate_mode(src, "defaultMode", &p));
                errs.extend(validate_projection_sources(src, &p));
            }
            "csi" if str_of(src, "driver").is_empty() => {
                errs.push(FieldError::required(&p.child("driver"), ""));
            }
            _ => {}
        }
    }
    match first {
        Some(source) => (source, errs),
        None => {
            errs.push(FieldError::required(path, "must specify a volume type"));
            ("", errs)
        }
    }
}

fn validate_host_path(src: &Value, path: &Path) -> Vec<FieldError> {
    let host_path = str_of(src, "path");
    if host_path.is_empty() {
        return vec![FieldError::required(&path.child("path"), "")];
    }
    let mut errs = validate_no_backsteps(host_path, &path.child("path"));
    if let Some(t) = get(src, "type").and_then(Value::as_str)
        && !HOST_PATH_TYPES.contains(&t)
    {
        errs.push(FieldError::not_supported(
            &path.child("type"),
            t,
            HOST_PATH_TYPES,
        ));
    }
    errs
}

fn validate_mode(src: &Value, key: &str, path: &Path) -> Option<FieldError> {
    let mode = int_of(src, key)?;
    (!(0..=0o777).contains(&mode))
        .then(|| FieldError::invalid(&path.child(key), mode, FILE_MODE_ERR))
}

fn validate_items(src: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (i, kp) in list_of(src, "items").iter().enumerate() {
        errs.extend(validate_key_to_path(kp, &path.child("items").index(i)));
    }
    errs
}

fn validate_key_to_path(kp: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if str_of(kp, "key").is_empty() {
        errs.push(FieldError::required(&path.child("key"), ""));
    }
    let target = str_of(kp, "path");
    if target.is_empty() {
        errs.push(FieldError::required(&path.child("path"), ""));
    }
    errs.extend(validate_local_non_reserved_path(
        target,
        &path.child("path"),
    ));
    errs.extend(validate_mode(kp, "mode", path));
    errs
}

fn validate_downward_file(file: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let target = str_of(file, "path");
    if target.is_empty() {
        errs.push(FieldError::required(&path.child("path"), ""));
    }
    errs.extend(validate_local_non_reserved_path(
        target,
        &path.child("path"),
    ));
    match (get(file, "fieldRef"), get(file, "resourceFieldRef")) {
        (Some(_), Some(_)) => errs.push(FieldError::invalid(
            path,
            "resource",
            "fieldRef and resourceFieldRef can not be specified simultaneously",
        )),
        (None, None) => errs.push(FieldError::required(
            path,
            "one of fieldRef and resourceFieldRef is required",
        )),
        _ => {}
    }
    errs.extend(validate_mode(file, "mode", path));
    errs
}

fn validate_projection_sources(src: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut all_paths: Vec<String> = Vec::new();
    for (i, source) in list_of(src, "sources").iter().enumerate() {
        let sp = path.child("sources").index(i);
        let mut num = 0;
        for key in ["secret", "configMap"] {
            let Some(s) = get(source, key) else { continue };
            num += 1;
            let pp = sp.child(key);
            if str_of(s, "name").is_empty() {
                errs.push(FieldError::required(&pp.child("name"), ""));
            }
            for (j, kp) in list_of(s, "items").iter().enumerate() {
                errs.extend(validate_key_to_path(kp, &pp.child("items").index(j)));
                let item_path = str_of(kp, "path");
                if !item_path.is_empty() {
                    if all_paths.iter().any(|p| p == item_path) {
                        errs.push(FieldError::invalid(
                            path,
                            str_of(s, "name"),
                            "conflicting duplicate paths",
                        ));
                    } else {
                        all_paths.push(item_path.to_string());
                    }
                }
            }
        }
        if let Some(d) = get(source, "downwardAPI") {
            num += 1;
            for item in list_of(d, "items") {
                errs.extend(validate_downward_file(item, &sp.child("downwardAPI")));
                let item_path = str_of(item, "path");
                if !item_path.is_empty() {
                    if all_paths.iter().any(|p| p == item_path) {
                        errs.push(FieldError::invalid(
                            path,
                            item_path,
                            "conflicting duplicate paths",
                        ));
                    } else {
                        all_paths.push(item_path.to_string());
                    }
                }
            }
        }
        if let Some(t) = get(source, "serviceAccountToken") {
            num += 1;
            let tp = sp.child("serviceAccountToken");
            let exp = int_of(t, "expirationSeconds").unwrap_or(0);
            if exp < 600 {
                errs.push(FieldError::invalid(
                    &tp.child("expirationSeconds"),
                    exp,
                    "may not specify a duration less than 10 minutes",
                ));
            }
            if exp > 1 << 32 {
                errs.push(FieldError::invalid(
                    &tp.child("expirationSeconds"),
                    exp,
                    "may not specify a duration larger than 2^32 seconds",
                ));
            }
            let token_path = str_of(t, "path");
            if token_path.is_empty() {
                errs.push(FieldError::required(&path.child("path"), ""));
            } else {
                errs.extend(validate_local_non_reserved_path(
                    token_path,
                    &path.child("path"),
                ));
            }
        }
        if get(source, "clusterTrustBundle").is_some() {
            num += 1;
        }
        if num > 1 {
            errs.push(FieldError::forbidden(
                &sp,
                "may not specify more than 1 volume type per source",
            ));
        }
    }
    errs
}

/// No `..` element.
pub(crate) fn validate_no_backsteps(target: &str, path: &Path) -> Vec<FieldError> {
    if target
        .replace('\\', "/")
        .split('/')
        .any(|part| part == "..")
    {
        vec![FieldError::invalid(path, target, "must not contain '..'")]
    } else {
        Vec::new()
    }
}

/// Relative and without `..` elements.
pub(crate) fn validate_local_descending_path(target: &str, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if target.starts_with('/') {
        errs.push(FieldError::invalid(path, target, "must be a relative path"));
    }
    errs.extend(validate_no_backsteps(target, path));
    errs
}

fn validate_local_non_reserved_path(target: &str, path: &Path) -> Vec<FieldError> {
    let mut errs = validate_local_descending_path(target, path);
    if target.starts_with("..") && !target.starts_with("../") {
        errs.push(FieldError::invalid(
            path,
            target,
            "must not start with '..'",
        ));
    }
    errs
}
