//! Bearer tokens: ServiceAccount tokens (ES256 JWTs signed by the server's key, bound
//! to the account's UID so deleting the account revokes them), the static token file
//! (upstream's `--token-auth-file` CSV), and bootstrap tokens (`<id>.<secret>`, kept as
//! `bootstrap.kubernetes.io/token` Secrets in `kube-system`).

use std::collections::{BTreeMap, HashMap};

use bosun_api::rbac::UserInfo;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// The issuer and default audience of ServiceAccount tokens (upstream's default
/// `--service-account-issuer` for a cluster named `cluster.local`).
pub const ISSUER: &str = "https://kubernetes.default.svc.cluster.local";
/// TokenRequest's default lifetime (`kubectl create token` without `--duration`).
pub const DEFAULT_EXPIRATION_SECONDS: i64 = 3600;
/// Upstream refuses TokenRequests shorter than ten minutes.
pub const MIN_EXPIRATION_SECONDS: i64 = 600;

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub sub: String,
    pub aud: Vec<String>,
    pub exp: i64,
    pub iat: i64,
    pub nbf: i64,
    #[serde(rename = "kubernetes.io")]
    pub kubernetes: KubernetesClaims,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct KubernetesClaims {
    pub namespace: String,
    pub serviceaccount: ObjectClaim,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ObjectClaim {
    pub name: String,
    pub uid: String,
}

/// Signs and verifies ServiceAccount tokens with one ECDSA P-256 key.
pub struct ServiceAccountKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    key_id: String,
}

impl ServiceAccountKeys {
    /// From a PKCS#8 PEM private key (as rcgen writes it).
    pub fn from_pem(private_pem: &str) -> Result<ServiceAccountKeys, String> {
        let pair = rcgen::KeyPair::from_pem(private_pem)
            .map_err(|e| format!("service account key: {e}"))?;
        let encoding = EncodingKey::from_ec_pem(private_pem.as_bytes())
            .map_err(|e| format!("service account key: {e}"))?;
        let decoding = DecodingKey::from_ec_pem(pair.public_key_pem().as_bytes())
            .map_err(|e| format!("service account public key: {e}"))?;
        // Like upstream, the key id is derived from the public key.
        let key_id = super::pki::spki_hash(pair.public_key_raw())
            .trim_start_matches("sha256:")
            .chars()
            .take(43)
            .collect();
        Ok(ServiceAccountKeys {
            encoding,
            decoding,
            key_id,
        })
    }

    pub fn generate_pem() -> Result<String, String> {
        rcgen::KeyPair::generate()
            .map(|k| k.serialize_pem())
            .map_err(|e| e.to_string())
    }

    pub fn issue(&self, claims: &Claims) -> Result<String, String> {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.key_id.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).map_err(|e| e.to_string())
    }

    /// Checks signature, issuer, expiry and that one of `audiences` is present.
    pub fn verify(&self, token: &str, audiences: &[&str]) -> Option<Claims> {
        let mut validation = Validation::new(Algorithm::ES256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(audiences);
        validation.leeway = 0;
        validation.validate_nbf = true;
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .ok()
            .map(|data| data.claims)
    }
}

/// Whether `token` looks like a JWT (three base64url parts).
pub fn looks_like_jwt(token: &str) -> bool {
    token.split('.').count() == 3 && token.starts_with("eyJ")
}

/// The user a ServiceAccount authenticates as.
pub fn service_account_user(namespace: &str, name: &str, uid: &str) -> UserInfo {
    UserInfo {
        name: format!("system:serviceaccount:{namespace}:{name}"),
        uid: uid.to_string(),
        groups: vec![
            "system:serviceaccounts".to_string(),
            format!("system:serviceaccounts:{namespace}"),
            "system:authenticated".to_string(),
        ],
        extra: BTreeMap::new(),
    }
}

/// A bootstrap token `<id>.<secret>`: 6 and 16 characters of `[a-z0-9]`.
pub fn parse_bootstrap_token(token: &str) -> Option<(&str, &str)> {
    let (id, secret) = token.split_once('.')?;
    let ok = |s: &str, n: usize| {
        s.len() == n
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    (ok(id, 6) && ok(secret, 16)).then_some((id, secret))
}

/// A new random bootstrap token.
pub fn generate_bootstrap_token() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    let mut pick = |n: usize| -> String {
        (0..n)
            .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
            .collect()
    };
    let id = pick(6);
    let secret = pick(16);
    format!("{id}.{secret}")
}

/// Parses upstream's static token file: `token,user,uid[,"group1,group2"]` per line.
pub fn parse_token_file(text: &str) -> Result<HashMap<String, UserInfo>, String> {
    let mut tokens = HashMap::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.splitn(4, ',');
        let (Some(token), Some(user), Some(uid)) = (fields.next(), fields.next(), fields.next())
        else {
            return Err(format!(
                "token file line {}: expected token,user,uid[,groups]",
                number + 1
            ));
        };
        if token.is_empty() || user.is_empty() {
            return Err(format!(
                "token file line {}: token and user must not be empty",
                number + 1
            ));
        }
        let mut groups: Vec<String> = fields
            .next()
            .map(|g| g.trim().trim_matches('"'))
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|g| !g.is_empty())
            .map(str::to_string)
            .collect();
        if !groups.iter().any(|g| g == "system:authenticated") {
            groups.push("system:authenticated".to_string());
        }
        tokens.insert(
            token.to_string(),
            UserInfo {
                name: user.to_string(),
                uid: uid.to_string(),
                groups,
                extra: BTreeMap::new(),
            },
        );
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp_in: i64) -> Claims {
        let now = jiff::Timestamp::now().as_second();
        Claims {
            iss: ISSUER.into(),
            sub: "system:serviceaccount:default:robot".into(),
            aud: vec![ISSUER.into()],
            exp: now + exp_in,
            iat: now,
            nbf: now,
            kubernetes: KubernetesClaims {
                namespace: "default".into(),
                serviceaccount: ObjectClaim {
                    name: "robot".into(),
                    uid: "u-1".into(),
                },
            },
        }
    }

    #[test]
    fn service_account_tokens_round_trip_and_expire() {
        let keys = ServiceAccountKeys::from_pem(&ServiceAccountKeys::generate_pem().expect("key"))
            .expect("keys");
        let token = keys.issue(&claims(600)).expect("issue");
        assert!(looks_like_jwt(&token));
        let back = keys.verify(&token, &[ISSUER]).expect("valid");
        assert_eq!(back.kubernetes.serviceaccount.uid, "u-1");
        assert!(keys.verify(&token, &["other-audience"]).is_none());
        let expired = keys.issue(&claims(-10)).expect("issue");
        assert!(keys.verify(&expired, &[ISSUER]).is_none());
        let other = ServiceAccountKeys::from_pem(&ServiceAccountKeys::generate_pem().expect("key"))
            .expect("keys");
        assert!(
            other.verify(&token, &[ISSUER]).is_none(),
            "another key's token"
        );
        let mut tampered = token.clone();
        tampered.push('x');
        assert!(keys.verify(&tampered, &[ISSUER]).is_none());
    }

    #[test]
    fn bootstrap_tokens_have_upstreams_shape() {
        let token = generate_bootstrap_token();
        assert!(parse_bootstrap_token(&token).is_some(), "{token}");
        assert_eq!(
            parse_bootstrap_token("abcdef.0123456789abcdef"),
            Some(("abcdef", "0123456789abcdef"))
        );
        assert!(parse_bootstrap_token("ABCDEF.0123456789abcdef").is_none());
        assert!(parse_bootstrap_token("abcdef.0123").is_none());
    }

    #[test]
    fn token_file_lines() {
        let tokens =
            parse_token_file("# comment\nt1,jane,u1,\"devs,qa\"\nt2,bob,u2\n").expect("parses");
        assert_eq!(
            tokens["t1"].groups,
            vec!["devs", "qa", "system:authenticated"]
        );
        assert_eq!(tokens["t2"].name, "bob");
        assert!(parse_token_file("only-token\n").is_err());
    }
}
