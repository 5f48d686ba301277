//! The cluster CA in the data dir: created on first start, kept across restarts.
//! (Serving TLS and client certificates from it is the security issue's work; today it
//! is published to every namespace as `kube-root-ca.crt`.)

use std::path::Path;

use anyhow::{Context, Result};

/// Returns the CA certificate PEM, creating `ca.crt`/`ca.key` if absent.
pub fn load_or_create_ca(data_dir: &Path) -> Result<String> {
    let cert_path = data_dir.join("ca.crt");
    let key_path = data_dir.join("ca.key");
    if cert_path.exists() && key_path.exists() {
        return std::fs::read_to_string(&cert_path)
            .with_context(|| format!("reading {}", cert_path.display()));
    }
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new())?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "bosun-ca");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    let not_before = jiff::Timestamp::now();
    params.not_before = rcgen::date_time_ymd(
        not_before.to_zoned(jiff::tz::TimeZone::UTC).year().into(),
        1,
        1,
    );
    params.not_after = rcgen::date_time_ymd(2036, 1, 1);
    let key = rcgen::KeyPair::generate()?;
    let cert = params.self_signed(&key)?;
    write_private(&key_path, key.serialize_pem().as_bytes())?;
    std::fs::write(&cert_path, cert.pem())
        .with_context(|| format!("writing {}", cert_path.display()))?;
    Ok(cert.pem())
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}
