//! Image references the way the kubelet and containerd spell them, and stable fake digests.
//!
//! The kubelet adds `:latest` to an untagged reference before pulling and uses that form in
//! its messages (`Back-off pulling image "nginx:latest"`); containerd reports the fully
//! qualified name (`docker.io/library/nginx:latest`) and an `imageID` of the form
//! `docker.io/library/nginx@sha256:…`. The hollow runtime has no registry, so the digest is
//! a stable hash of the reference: the same image gets the same ID on every node and run.

/// `nginx` → `nginx:latest`; references with a tag or digest are returned unchanged.
pub fn with_default_tag(image: &str) -> String {
    let (name, tag, digest) = split(image);
    if tag.is_none() && digest.is_none() {
        format!("{name}:latest")
    } else {
        image.to_string()
    }
}

/// The fully qualified reference: `nginx:1.14` → `docker.io/library/nginx:1.14`.
pub fn normalize(image: &str) -> String {
    let (name, tag, digest) = split(image);
    let repo = qualify(name);
    match (tag, digest) {
        (_, Some(d)) => format!("{repo}@{d}"),
        (Some(t), None) => format!("{repo}:{t}"),
        (None, None) => format!("{repo}:latest"),
    }
}

/// The repository part of the fully qualified reference (`docker.io/library/nginx`).
pub fn repository(image: &str) -> String {
    qualify(split(image).0)
}

/// A digest-pinned reference keeps its digest; otherwise a stable fake one is derived from
/// the normalized reference.
pub fn fake_image_id(image: &str) -> String {
    let (name, _, digest) = split(image);
    let repo = qualify(name);
    match digest {
        Some(d) => format!("{repo}@{d}"),
        None => format!("{repo}@sha256:{}", hex64(normalize(image).as_bytes())),
    }
}

/// Splits `name[:tag][@digest]`; a `:` before the last `/` belongs to a registry port.
fn split(image: &str) -> (&str, Option<&str>, Option<&str>) {
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (image, None),
    };
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    match rest[last_slash..].rfind(':') {
        Some(i) => {
            let colon = last_slash + i;
            (&rest[..colon], Some(&rest[colon + 1..]), digest)
        }
        None => (rest, None, digest),
    }
}

/// Docker's rule: the first component is a registry when it has a `.` or `:` or is
/// `localhost`; otherwise the image lives on Docker Hub, under `library/` if unqualified.
fn qualify(name: &str) -> String {
    match name.split_once('/') {
        Some((first, _)) if first.contains('.') || first.contains(':') || first == "localhost" => {
            name.to_string()
        }
        Some(_) => format!("docker.io/{name}"),
        None => format!("docker.io/library/{name}"),
    }
}

/// 64 hex digits (256 bits) from four FNV-1a passes with different seeds: not a real
/// digest, but stable across processes and platforms, which is all a fake ID needs.
pub fn hex64(data: &[u8]) -> String {
    let mut out = String::with_capacity(64);
    for seed in 0u8..4 {
        out.push_str(&format!("{:016x}", fnv1a(seed, data)));
    }
    out
}

/// FNV-1a 64 with a one-byte seed prefix.
pub fn fnv1a(seed: u8, data: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET;
    for b in std::iter::once(&seed).chain(data) {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(PRIME);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_normalize_like_docker() {
        let cases = [
            (
                "nginx",
                "nginx:latest",
                "docker.io/library/nginx:latest",
                "docker.io/library/nginx",
            ),
            (
                "nginx:1.14.2",
                "nginx:1.14.2",
                "docker.io/library/nginx:1.14.2",
                "docker.io/library/nginx",
            ),
            (
                "bitnami/redis:7",
                "bitnami/redis:7",
                "docker.io/bitnami/redis:7",
                "docker.io/bitnami/redis",
            ),
            (
                "registry.k8s.io/pause:3.9",
                "registry.k8s.io/pause:3.9",
                "registry.k8s.io/pause:3.9",
                "registry.k8s.io/pause",
            ),
            (
                "localhost:5000/app",
                "localhost:5000/app:latest",
                "localhost:5000/app:latest",
                "localhost:5000/app",
            ),
            (
                "localhost/app:v1",
                "localhost/app:v1",
                "localhost/app:v1",
                "localhost/app",
            ),
            (
                "nginx@sha256:abc",
                "nginx@sha256:abc",
                "docker.io/library/nginx@sha256:abc",
                "docker.io/library/nginx",
            ),
        ];
        for (image, tagged, normalized, repo) in cases {
            assert_eq!(with_default_tag(image), tagged, "{image}");
            assert_eq!(normalize(image), normalized, "{image}");
            assert_eq!(repository(image), repo, "{image}");
        }
    }

    #[test]
    fn fake_ids_are_stable_and_distinct() {
        let a = fake_image_id("nginx:1.14.2");
        assert!(a.starts_with("docker.io/library/nginx@sha256:"), "{a}");
        assert_eq!(a.len(), "docker.io/library/nginx@sha256:".len() + 64);
        // The short and the qualified spelling are the same image.
        assert_eq!(a, fake_image_id("docker.io/library/nginx:1.14.2"));
        assert_ne!(a, fake_image_id("nginx:1.16.1"));
        // Pinned digests are kept.
        assert_eq!(
            fake_image_id("nginx@sha256:0123"),
            "docker.io/library/nginx@sha256:0123"
        );
        // FNV-1a reference value (seed byte 0 then "a").
        assert_eq!(fnv1a(0, b""), 0xaf63_bd4c_8601_b7df);
    }
}
