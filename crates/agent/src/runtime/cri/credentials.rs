//! Registry credentials from a pod's `imagePullSecrets`: `kubernetes.io/dockerconfigjson`
//! (`.dockerconfigjson`: `{"auths": {REGISTRY: {...}}}`) and the older
//! `kubernetes.io/dockercfg` (`.dockercfg`: `{REGISTRY: {...}}`) Secrets, matched to the
//! image's registry as the kubelet's keyring does (scheme and path of a key ignored;
//! Docker Hub known as `docker.io`, `index.docker.io` and `registry-1.docker.io`).

use std::collections::BTreeMap;

use k8s_cri::v1 as cri;
use serde_json::Value;

/// The registry host (with port) an image reference pulls from.
pub fn registry_of(image: &str) -> String {
    match image.split_once('/') {
        Some((first, _)) if first.contains('.') || first.contains(':') || first == "localhost" => {
            first.to_string()
        }
        _ => "docker.io".to_string(),
    }
}

/// `https://registry.example.com/v1/` → `registry.example.com`, with Docker Hub's
/// aliases made one name.
fn host_of(key: &str) -> String {
    let rest = key.split_once("://").map_or(key, |(_, r)| r);
    let host = rest.split('/').next().unwrap_or(rest).to_ascii_lowercase();
    match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" => "docker.io".to_string(),
        _ => host,
    }
}

/// The credentials for `image` among the data of the pod's pull Secrets, in order.
pub fn auth_for(secrets: &[BTreeMap<String, Vec<u8>>], image: &str) -> Option<cri::AuthConfig> {
    let registry = host_of(&registry_of(image));
    for data in secrets {
        let entries = if let Some(json) = data.get(".dockerconfigjson") {
            serde_json::from_slice::<Value>(json)
                .ok()?
                .get("auths")
                .cloned()
        } else if let Some(json) = data.get(".dockercfg") {
            serde_json::from_slice::<Value>(json).ok()
        } else {
            None
        };
        let Some(Value::Object(entries)) = entries else {
            continue;
        };
        for (key, entry) in entries {
            if host_of(&key) != registry {
                continue;
            }
            let field = |name: &str| entry[name].as_str().unwrap_or_default().to_string();
            return Some(cri::AuthConfig {
                username: field("username"),
                password: field("password"),
                auth: field("auth"),
                server_address: key.clone(),
                identity_token: field("identitytoken"),
                registry_token: field("registrytoken"),
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(key: &str, json: &str) -> BTreeMap<String, Vec<u8>> {
        BTreeMap::from([(key.to_string(), json.as_bytes().to_vec())])
    }

    #[test]
    fn registries_of_references() {
        assert_eq!(registry_of("nginx:1.14"), "docker.io");
        assert_eq!(registry_of("library/nginx"), "docker.io");
        assert_eq!(
            registry_of("registry.example.com:5000/team/app:1"),
            "registry.example.com:5000"
        );
        assert_eq!(registry_of("localhost/app"), "localhost");
    }

    #[test]
    fn the_matching_registry_s_credentials_are_used() {
        let secrets = [
            secret(
                ".dockerconfigjson",
                r#"{"auths": {"https://index.docker.io/v1/": {"auth": "aHViOmh1Yg=="}}}"#,
            ),
            secret(
                ".dockercfg",
                r#"{"registry.example.com:5000": {"username": "u", "password": "p"}}"#,
            ),
        ];
        let hub = auth_for(&secrets, "private/app:1").expect("docker hub");
        assert_eq!(hub.auth, "aHViOmh1Yg==");
        let own = auth_for(&secrets, "registry.example.com:5000/app").expect("own registry");
        assert_eq!((own.username.as_str(), own.password.as_str()), ("u", "p"));
        assert!(auth_for(&secrets, "quay.io/app").is_none());
    }
}
