//! The server's key material in its data dir, created on first start and kept across
//! restarts: the cluster CA (`ca.crt`/`ca.key`), the ServiceAccount signing key
//! (`sa.key`), the serving certificate (`serving.crt`/`serving.key`, re-issued when its
//! names change or it nears expiry), the admin client certificate (`admin.crt`/
//! `admin.key`, user `admin` in `system:masters`), the API server's client certificate
//! for node agents (`apiserver-kubelet-client.crt`/`.key`, user
//! `kube-apiserver-kubelet-client` in `system:masters`, as kubeadm issues it) and the node
//! join token (`node-token`). The data dir is 0700 and every private file 0600.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use anyhow::{Context, Result};
use bosun_apiserver::auth::pki::{self, CertifiedKey, ClusterCa};
use bosun_apiserver::auth::tokens;

/// The user the API server is to node agents (kubeadm's `apiserver-kubelet-client`).
pub const KUBELET_CLIENT_USER: &str = "kube-apiserver-kubelet-client";

/// Leaf certificates with less than this left are re-issued on start.
const RENEW_BEFORE_SECONDS: i64 = 30 * 86400;

pub struct KeyMaterial {
    pub ca: ClusterCa,
    pub ca_key_pem: String,
    pub service_account_key_pem: String,
    pub serving: CertifiedKey,
    pub admin: CertifiedKey,
    /// What the API server presents to node agents (`pods/{name}/log`).
    pub kubelet_client: CertifiedKey,
    /// `K10<sha256 of the CA's public key>::<id>.<secret>`.
    pub join_token: String,
}

/// Creates the data dir with owner-only permissions (tightening an existing one).
pub fn prepare_data_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating data dir {}", dir.display()))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("restricting {}", dir.display()))
}

/// Loads or creates everything; `serving_names` are the SANs the serving certificate
/// must carry.
pub fn load_or_create(dir: &Path, serving_names: &[String]) -> Result<KeyMaterial> {
    let (ca, ca_key_pem) = load_or_create_ca(dir)?;
    let service_account_key_pem = match read_optional(&dir.join("sa.key"))? {
        Some(pem) => pem,
        None => {
            let pem = tokens::ServiceAccountKeys::generate_pem()
                .map_err(|e| anyhow::anyhow!("generating the service account key: {e}"))?;
            write_private(&dir.join("sa.key"), pem.as_bytes())?;
            pem
        }
    };
    let serving = serving_certificate(dir, &ca, serving_names)?;
    let admin = leaf(dir, "admin", || {
        Ok(ca.issue_client("admin", &["system:masters"])?)
    })?;
    let kubelet_client = leaf(dir, "apiserver-kubelet-client", || {
        Ok(ca.issue_client(KUBELET_CLIENT_USER, &["system:masters"])?)
    })?;
    let join_token = join_token(dir, &ca)?;
    Ok(KeyMaterial {
        ca,
        ca_key_pem,
        service_account_key_pem,
        serving,
        admin,
        kubelet_client,
        join_token,
    })
}

/// The store key holding the cluster-wide keys when servers share a datastore.
const SHARED_KEYS: &str = "/bosun/cluster-keys";

/// With a shared datastore, every server must use the same CA, ServiceAccount key and
/// join token: the first server to start publishes its own (create-if-absent, so two
/// racing servers agree on one), the others adopt them into their data dirs. Leaf
/// certificates signed by a CA that was replaced are re-issued.
pub async fn share_through_store(dir: &Path, store: &dyn bosun_store::Store) -> Result<()> {
    let shared = match store.get(SHARED_KEYS).await? {
        Some(kv) => kv.value,
        None => {
            let (ca, ca_key) = load_or_create_ca(dir)?;
            let sa = match read_optional(&dir.join("sa.key"))? {
                Some(pem) => pem,
                None => tokens::ServiceAccountKeys::generate_pem()
                    .map_err(|e| anyhow::anyhow!("generating the service account key: {e}"))?,
            };
            let token = join_token(dir, &ca)?;
            let value = serde_json::json!({
                "caCert": ca.cert_pem, "caKey": ca_key, "serviceAccountKey": sa, "joinToken": token,
            });
            let bytes = serde_json::to_vec(&value)?;
            match store.create(SHARED_KEYS, bytes.clone().into()).await {
                Ok(_) => bytes.into(),
                Err(bosun_store::StoreError::AlreadyExists(kv)) => kv.value,
                Err(e) => return Err(e.into()),
            }
        }
    };
    let value: serde_json::Value =
        serde_json::from_slice(&shared).context("the shared cluster keys are not JSON")?;
    let field = |k: &str| -> Result<String> {
        value[k]
            .as_str()
            .map(str::to_string)
            .with_context(|| format!("the shared cluster keys lack {k}"))
    };
    let ca_cert = field("caCert")?;
    if read_optional(&dir.join("ca.crt"))?.as_deref() != Some(ca_cert.as_str()) {
        for stale in [
            "admin.crt",
            "serving.crt",
            "apiserver-kubelet-client.crt",
            "node-token",
        ] {
            let _ = std::fs::remove_file(dir.join(stale));
        }
    }
    write_public(&dir.join("ca.crt"), ca_cert.as_bytes())?;
    write_private(&dir.join("ca.key"), field("caKey")?.as_bytes())?;
    write_private(&dir.join("sa.key"), field("serviceAccountKey")?.as_bytes())?;
    write_private(
        &dir.join("node-token"),
        format!("{}\n", field("joinToken")?).as_bytes(),
    )?;
    Ok(())
}

fn load_or_create_ca(dir: &Path) -> Result<(ClusterCa, String)> {
    let cert_path = dir.join("ca.crt");
    let key_path = dir.join("ca.key");
    if let (Some(cert), Some(key)) = (read_optional(&cert_path)?, read_optional(&key_path)?) {
        let ca = ClusterCa::load(&cert, &key)
            .with_context(|| format!("loading the cluster CA from {}", dir.display()))?;
        return Ok((ca, key));
    }
    let (ca, key) = ClusterCa::generate().context("creating the cluster CA")?;
    write_private(&key_path, key.as_bytes())?;
    write_public(&cert_path, ca.cert_pem.as_bytes())?;
    Ok((ca, key))
}

/// Whether a certificate must be re-issued: unreadable, or expiring within 30 days.
pub fn needs_renewal(cert_pem: &str, now: i64) -> bool {
    match pki::pem_certificates(cert_pem)
        .first()
        .and_then(|der| pki::certificate_facts(der).ok())
    {
        Some(facts) => facts.not_after - now < RENEW_BEFORE_SECONDS,
        None => true,
    }
}

/// `NAME.crt`/`NAME.key`, issued by `issue` when missing or near expiry.
fn leaf(
    dir: &Path,
    name: &str,
    issue: impl FnOnce() -> Result<CertifiedKey>,
) -> Result<CertifiedKey> {
    let cert_path = dir.join(format!("{name}.crt"));
    let key_path = dir.join(format!("{name}.key"));
    if let (Some(cert_pem), Some(key_pem)) = (read_optional(&cert_path)?, read_optional(&key_path)?)
        && !needs_renewal(&cert_pem, jiff::Timestamp::now().as_second())
    {
        return Ok(CertifiedKey { cert_pem, key_pem });
    }
    let issued = issue()?;
    write_private(&key_path, issued.key_pem.as_bytes())?;
    write_public(&cert_path, issued.cert_pem.as_bytes())?;
    tracing::info!(certificate = %cert_path.display(), "issued");
    Ok(issued)
}

fn serving_certificate(dir: &Path, ca: &ClusterCa, names: &[String]) -> Result<CertifiedKey> {
    let sans_path = dir.join("serving.sans");
    let wanted = names.join("\n");
    if read_optional(&sans_path)?.as_deref() != Some(wanted.as_str()) {
        // The names changed (new --bind or --tls-san): issue afresh.
        let _ = std::fs::remove_file(dir.join("serving.crt"));
    }
    let cert = leaf(dir, "serving", || Ok(ca.issue_serving(names)?))?;
    write_public(&sans_path, wanted.as_bytes())?;
    Ok(cert)
}

fn join_token(dir: &Path, ca: &ClusterCa) -> Result<String> {
    let path = dir.join("node-token");
    let hash = ca_hash(&ca.cert_pem)?;
    if let Some(existing) = read_optional(&path)? {
        let existing = existing.trim().to_string();
        // A token for another CA (the CA was replaced) is useless: make a new one.
        if parse_join_token(&existing).is_some_and(|(h, _)| h == hash) {
            return Ok(existing);
        }
    }
    let token = format!(
        "K10{}::{}",
        hash.trim_start_matches("sha256:"),
        tokens::generate_bootstrap_token()
    );
    write_private(&path, format!("{token}\n").as_bytes())?;
    Ok(token)
}

/// `sha256:<hex>` of the CA certificate's public key (kubeadm's CA pin).
pub fn ca_hash(ca_pem: &str) -> Result<String> {
    let der = pki::pem_certificates(ca_pem);
    let first = der.first().context("no certificate in the CA file")?;
    Ok(pki::certificate_facts(first)?.spki_sha256)
}

/// Splits `K10<hex>::<id>.<secret>` into (`sha256:<hex>`, `<id>.<secret>`).
pub fn parse_join_token(token: &str) -> Option<(String, String)> {
    let rest = token.trim().strip_prefix("K10")?;
    let (hash, credentials) = rest.split_once("::")?;
    let hex_ok = hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit());
    (hex_ok && tokens::parse_bootstrap_token(credentials).is_some()).then(|| {
        (
            format!("sha256:{}", hash.to_ascii_lowercase()),
            credentials.to_string(),
        )
    })
}

fn read_optional(path: &Path) -> Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// Writes a file only its owner can read, atomically (temp file + rename).
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    write_with_mode(path, bytes, 0o600)
}

fn write_public(path: &Path, bytes: &[u8]) -> Result<()> {
    write_with_mode(path, bytes, 0o644)
}

fn write_with_mode(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&tmp)
        .with_context(|| format!("writing {}", tmp.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn material_is_kept_across_restarts_and_private() {
        let dir = tempfile::tempdir().expect("dir");
        let names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
        let first = load_or_create(dir.path(), &names).expect("first");
        let again = load_or_create(dir.path(), &names).expect("again");
        assert_eq!(first.ca.cert_pem, again.ca.cert_pem);
        assert_eq!(first.join_token, again.join_token);
        assert_eq!(first.admin.cert_pem, again.admin.cert_pem);
        assert_eq!(first.serving.cert_pem, again.serving.cert_pem);
        assert_eq!(first.kubelet_client.cert_pem, again.kubelet_client.cert_pem);
        let facts =
            pki::certificate_facts(&pki::pem_certificates(&first.kubelet_client.cert_pem)[0])
                .expect("facts");
        assert_eq!(facts.common_name, KUBELET_CLIENT_USER);
        assert_eq!(facts.organizations, vec!["system:masters"]);
        for key in [
            "ca.key",
            "sa.key",
            "admin.key",
            "serving.key",
            "apiserver-kubelet-client.key",
            "node-token",
        ] {
            let mode = std::fs::metadata(dir.path().join(key))
                .expect("file")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{key}");
        }
        let (hash, credentials) = parse_join_token(&first.join_token).expect("token parses");
        assert_eq!(hash, ca_hash(&first.ca.cert_pem).expect("hash"));
        assert!(tokens::parse_bootstrap_token(&credentials).is_some());
        // A new SAN re-issues the serving certificate, under the same CA.
        let more = vec!["localhost".to_string(), "bosun.example".to_string()];
        let third = load_or_create(dir.path(), &more).expect("third");
        assert_ne!(third.serving.cert_pem, first.serving.cert_pem);
        assert_eq!(third.ca.cert_pem, first.ca.cert_pem);
    }

    #[test]
    fn certificates_near_expiry_are_renewed() {
        let (ca, _) = ClusterCa::generate().expect("ca");
        let cert = ca
            .issue_client("admin", &["system:masters"])
            .expect("issue");
        let now = jiff::Timestamp::now().as_second();
        assert!(!needs_renewal(&cert.cert_pem, now));
        assert!(
            needs_renewal(&cert.cert_pem, now + 340 * 86400),
            "25 days left"
        );
        assert!(needs_renewal("garbage", now));
    }

    #[test]
    fn join_tokens_must_be_well_formed() {
        assert!(parse_join_token("K10abc::abcdef.0123456789abcdef").is_none());
        let hash = "a".repeat(64);
        assert!(parse_join_token(&format!("K10{hash}::abcdef.0123456789abcdef")).is_some());
        assert!(parse_join_token(&format!("K10{hash}::bad")).is_none());
    }
}
