//! The cluster CA's signing work: serving and client certificates, signing node
//! certificate requests, and reading an identity (CN = user, O = groups) out of a
//! verified client certificate. Files are the binary's business; this module only
//! turns PEM into PEM.

use rcgen::{
    CertificateParams, CertificateSigningRequestParams, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, SanType,
};

/// How long issued leaf certificates live (upstream's kubelet client certificates and
/// kubeadm's leaf certificates also default to one year).
pub const LEAF_VALIDITY_DAYS: i64 = 365;

#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("certificate error: {0}")]
    Rcgen(#[from] rcgen::Error),
    #[error("{0}")]
    Invalid(String),
}

/// A certificate and its private key, both PEM.
#[derive(Clone)]
pub struct CertifiedKey {
    pub cert_pem: String,
    pub key_pem: String,
}

impl std::fmt::Debug for CertifiedKey {
    // Never print private keys (logs, panics).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertifiedKey")
            .field("cert_pem", &self.cert_pem)
            .finish_non_exhaustive()
    }
}

/// The cluster CA: signs everything the cluster trusts.
pub struct ClusterCa {
    pub cert_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl ClusterCa {
    /// Creates a new CA valid for ten years.
    pub fn generate() -> Result<(ClusterCa, String), PkiError> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params
            .distinguished_name
            .push(DnType::CommonName, "bosun-ca");
        params.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let (not_before, not_after) = validity(3650);
        params.not_before = not_before;
        params.not_after = not_after;
        let key = KeyPair::generate()?;
        let cert = params.self_signed(&key)?;
        let key_pem = key.serialize_pem();
        let ca = ClusterCa::load(&cert.pem(), &key_pem)?;
        Ok((ca, key_pem))
    }

    pub fn load(cert_pem: &str, key_pem: &str) -> Result<ClusterCa, PkiError> {
        let key = KeyPair::from_pem(key_pem)?;
        let issuer = Issuer::from_ca_cert_pem(cert_pem, key)?;
        Ok(ClusterCa {
            cert_pem: cert_pem.to_string(),
            issuer,
        })
    }

    /// A client certificate for `user` in `groups` (CN and O, as Kubernetes reads them).
    pub fn issue_client(&self, user: &str, groups: &[&str]) -> Result<CertifiedKey, PkiError> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.distinguished_name = subject(user, groups);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        leaf(&mut params, LEAF_VALIDITY_DAYS);
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.issuer)?;
        Ok(CertifiedKey {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }

    /// The API server's serving certificate for these DNS names and IP addresses.
    pub fn issue_serving(&self, names: &[String]) -> Result<CertifiedKey, PkiError> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params
            .distinguished_name
            .push(DnType::CommonName, "kube-apiserver");
        params.subject_alt_names = names
            .iter()
            .map(|n| match n.parse::<std::net::IpAddr>() {
                Ok(ip) => Ok(SanType::IpAddress(ip)),
                Err(_) => Ok(SanType::DnsName(n.as_str().try_into()?)),
            })
            .collect::<Result<_, rcgen::Error>>()?;
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        leaf(&mut params, LEAF_VALIDITY_DAYS);
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.issuer)?;
        Ok(CertifiedKey {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }

    /// Signs a PEM certificate request as a client certificate, keeping only its
    /// subject and public key (the requester cannot ask for CA rights or other usages).
    pub fn sign_client_request(&self, csr_pem: &str) -> Result<String, PkiError> {
        let request = CertificateSigningRequestParams::from_pem(csr_pem)
            .map_err(|e| PkiError::Invalid(format!("cannot parse the certificate request: {e}")))?;
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.distinguished_name = request.params.distinguished_name.clone();
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        leaf(&mut params, LEAF_VALIDITY_DAYS);
        let cert = params.signed_by(&request.public_key, &self.issuer)?;
        Ok(cert.pem())
    }
}

fn subject(user: &str, groups: &[&str]) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, user);
    for group in groups {
        dn.push(DnType::OrganizationName, *group);
    }
    dn
}

fn leaf(params: &mut CertificateParams, days: i64) {
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    let (not_before, not_after) = validity(days);
    params.not_before = not_before;
    params.not_after = not_after;
}

/// From an hour ago (tolerates clock skew between machines) to `days` ahead.
fn validity(days: i64) -> (time::OffsetDateTime, time::OffsetDateTime) {
    let now = time::OffsetDateTime::now_utc();
    (
        now - time::Duration::hours(1),
        now + time::Duration::days(days),
    )
}

/// A certificate request for `user` in `groups` with a new key: (request PEM, key PEM).
pub fn client_request(user: &str, groups: &[&str]) -> Result<(String, String), PkiError> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.distinguished_name = subject(user, groups);
    let key = KeyPair::generate()?;
    let request = params.serialize_request(&key)?;
    let pem = request
        .pem()
        .map_err(|e| PkiError::Invalid(format!("encoding the request: {e}")))?;
    Ok((pem, key.serialize_pem()))
}

/// What a certificate says about who holds it and for how long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateFacts {
    pub common_name: String,
    pub organizations: Vec<String>,
    /// Seconds since the epoch after which the certificate is no longer valid.
    pub not_after: i64,
    /// `sha256:<hex>` of the SubjectPublicKeyInfo (kubeadm's CA pinning hash).
    pub spki_sha256: String,
}

/// Reads subject, expiry and public-key hash from a DER certificate.
pub fn certificate_facts(der: &[u8]) -> Result<CertificateFacts, PkiError> {
    let (_, cert) = x509_parser::parse_x509_certificate(der)
        .map_err(|e| PkiError::Invalid(format!("cannot parse the certificate: {e}")))?;
    let subject = cert.subject();
    let common_name = subject
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .unwrap_or_default()
        .to_string();
    let organizations = subject
        .iter_organization()
        .filter_map(|o| o.as_str().ok().map(str::to_string))
        .collect();
    let spki = cert.public_key().raw;
    Ok(CertificateFacts {
        common_name,
        organizations,
        not_after: cert.validity().not_after.timestamp(),
        spki_sha256: spki_hash(spki),
    })
}

/// `sha256:<hex>` of DER bytes.
pub fn spki_hash(spki_der: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, spki_der);
    let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// The DER bytes of every certificate in a PEM bundle.
pub fn pem_certificates(pem: &str) -> Vec<Vec<u8>> {
    pem::parse_many(pem)
        .map(|blocks| {
            blocks
                .into_iter()
                .filter(|b| b.tag() == "CERTIFICATE")
                .map(|b| b.into_contents())
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_certificates_carry_user_and_groups() {
        let (ca, _) = ClusterCa::generate().expect("ca");
        let admin = ca
            .issue_client("admin", &["system:masters"])
            .expect("issue");
        let der = pem_certificates(&admin.cert_pem);
        let facts = certificate_facts(&der[0]).expect("facts");
        assert_eq!(facts.common_name, "admin");
        assert_eq!(facts.organizations, vec!["system:masters"]);
        let in_a_year = jiff::Timestamp::now().as_second() + 364 * 86400;
        assert!(facts.not_after > in_a_year);
        assert!(!format!("{admin:?}").contains("PRIVATE KEY"));
    }

    #[test]
    fn signed_requests_keep_the_subject_but_not_ca_rights() {
        let (ca, _) = ClusterCa::generate().expect("ca");
        let (request, _key) = client_request("system:node:n1", &["system:nodes"]).expect("csr");
        let cert = ca.sign_client_request(&request).expect("sign");
        let facts = certificate_facts(&pem_certificates(&cert)[0]).expect("facts");
        assert_eq!(facts.common_name, "system:node:n1");
        assert_eq!(facts.organizations, vec!["system:nodes"]);
        assert!(ca.sign_client_request("not a request").is_err());
    }

    #[test]
    fn ca_hash_is_stable_across_reloads() {
        let (ca, key) = ClusterCa::generate().expect("ca");
        let again = ClusterCa::load(&ca.cert_pem, &key).expect("load");
        let a = certificate_facts(&pem_certificates(&ca.cert_pem)[0]).expect("facts");
        let b = certificate_facts(&pem_certificates(&again.cert_pem)[0]).expect("facts");
        assert_eq!(a.spki_sha256, b.spki_sha256);
        assert!(a.spki_sha256.starts_with("sha256:") && a.spki_sha256.len() == 71);
    }
}
