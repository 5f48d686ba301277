//! The pod's QoS class (`BestEffort`, `Burstable`, `Guaranteed`) and the bit of quantity
//! arithmetic it needs.
//!
//! Upstream: no cpu/memory requests or limits anywhere → BestEffort; every container limits
//! both cpu and memory and the summed requests equal the summed limits → Guaranteed;
//! anything else → Burstable. A limit without a request counts as a request of the same
//! size, which is what API defaulting would have filled in.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, PodSpec};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

const TRACKED: [&str; 2] = ["cpu", "memory"];

pub fn qos_class(spec: &PodSpec) -> &'static str {
    let mut requests: BTreeMap<&str, i128> = BTreeMap::new();
    let mut limits: BTreeMap<&str, i128> = BTreeMap::new();
    let mut any = false;
    let mut guaranteed = true;
    let containers = spec
        .init_containers
        .iter()
        .flatten()
        .chain(spec.containers.iter());
    for c in containers {
        let (reqs, lims) = resources(c);
        let mut limited = 0;
        for name in TRACKED {
            let lim = lims.get(name).copied().filter(|v| *v != 0);
            let req = reqs.get(name).copied().or(lim).filter(|v| *v != 0);
            if let Some(v) = req {
                any = true;
                *requests.entry(name).or_default() += v;
            }
            if let Some(v) = lim {
                any = true;
                limited += 1;
                *limits.entry(name).or_default() += v;
            }
        }
        if limited < TRACKED.len() {
            guaranteed = false;
        }
    }
    if !any {
        return "BestEffort";
    }
    if guaranteed
        && requests.len() == limits.len()
        && requests.iter().all(|(k, v)| limits.get(k) == Some(v))
    {
        return "Guaranteed";
    }
    "Burstable"
}

fn resources(c: &Container) -> (BTreeMap<&'static str, i128>, BTreeMap<&'static str, i128>) {
    let pick = |list: Option<&BTreeMap<String, Quantity>>| {
        let mut out = BTreeMap::new();
        for name in TRACKED {
            if let Some(v) = list
                .and_then(|l| l.get(name))
                .and_then(|q| parse_milli(&q.0))
            {
                out.insert(name, v);
            }
        }
        out
    };
    let r = c.resources.as_ref();
    (
        pick(r.and_then(|r| r.requests.as_ref())),
        pick(r.and_then(|r| r.limits.as_ref())),
    )
}

/// A quantity in thousandths (`"1"` → 1000, `"250m"` → 250, `"1Gi"` → 1073741824000),
/// rounded up like upstream's `MilliValue`. `None` for text that is not a quantity.
pub fn parse_milli(text: &str) -> Option<i128> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let (negative, number) = match number.strip_prefix('-') {
        Some(n) => (true, n),
        None => (false, number.strip_prefix('+').unwrap_or(number)),
    };
    let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && frac.is_empty() {
        return None;
    }
    let digits = format!("{whole}{frac}");
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mantissa: i128 = digits.parse().ok()?;
    // value = mantissa × 10^(exp10 − frac digits) × 2^exp2, then × 1000 for milli.
    let (exp10, exp2): (i32, u32) = match suffix {
        "" => (0, 0),
        "m" => (-3, 0),
        "k" => (3, 0),
        "M" => (6, 0),
        "G" => (9, 0),
        "T" => (12, 0),
        "P" => (15, 0),
        "E" => (18, 0),
        "Ki" => (0, 10),
        "Mi" => (0, 20),
        "Gi" => (0, 30),
        "Ti" => (0, 40),
        "Pi" => (0, 50),
        "Ei" => (0, 60),
        s if s.starts_with(['e', 'E']) => (s[1..].parse().ok()?, 0),
        _ => return None,
    };
    let scale = exp10 + 3 - i32::try_from(frac.len()).ok()?;
    let mut value = mantissa.checked_mul(1i128.checked_shl(exp2)?)?;
    if scale >= 0 {
        value = value.checked_mul(10i128.checked_pow(u32::try_from(scale).ok()?)?)?;
    } else {
        let div = 10i128.checked_pow(u32::try_from(-scale).ok()?)?;
        value = (value + div - 1) / div;
    }
    Some(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::ResourceRequirements;

    #[test]
    fn quantities_parse_to_milli_units() {
        let cases = [
            ("1", Some(1000)),
            ("250m", Some(250)),
            ("0.5", Some(500)),
            ("1.5k", Some(1_500_000)),
            ("1Ki", Some(1_024_000)),
            ("1Gi", Some(1_073_741_824_000)),
            ("8Gi", Some(8_589_934_592_000)),
            ("128974848", Some(128_974_848_000)),
            ("129e6", Some(129_000_000_000)),
            ("123Mi", Some(128_974_848_000)),
            ("0.1m", Some(1)),
            ("-1", Some(-1000)),
            ("", None),
            ("abc", None),
            ("1X", None),
            ("1.2.3", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_milli(text), want, "{text}");
        }
    }

    fn container(requests: &[(&str, &str)], limits: &[(&str, &str)]) -> Container {
        let map = |v: &[(&str, &str)]| {
            (!v.is_empty()).then(|| {
                v.iter()
                    .map(|(k, q)| (k.to_string(), Quantity(q.to_string())))
                    .collect::<BTreeMap<_, _>>()
            })
        };
        Container {
            name: "c".to_string(),
            resources: Some(ResourceRequirements {
                requests: map(requests),
                limits: map(limits),
                ..ResourceRequirements::default()
            }),
            ..Container::default()
        }
    }

    #[test]
    fn qos_classes() {
        let spec = |containers: Vec<Container>| PodSpec {
            containers,
            ..PodSpec::default()
        };
        let cases = [
            (spec(vec![container(&[], &[])]), "BestEffort"),
            (spec(vec![container(&[("cpu", "0")], &[])]), "BestEffort"),
            (
                spec(vec![container(&[("ephemeral-storage", "1Gi")], &[])]),
                "BestEffort",
            ),
            (spec(vec![container(&[("cpu", "100m")], &[])]), "Burstable"),
            (
                spec(vec![container(&[], &[("cpu", "1"), ("memory", "1Gi")])]),
                "Guaranteed",
            ),
            (
                spec(vec![container(
                    &[("cpu", "1000m"), ("memory", "1024Mi")],
                    &[("cpu", "1"), ("memory", "1Gi")],
                )]),
                "Guaranteed",
            ),
            (
                spec(vec![container(
                    &[("cpu", "500m")],
                    &[("cpu", "1"), ("memory", "1Gi")],
                )]),
                "Burstable",
            ),
            (spec(vec![container(&[], &[("cpu", "1")])]), "Burstable"),
            (
                spec(vec![
                    container(&[], &[("cpu", "1"), ("memory", "1Gi")]),
                    container(&[], &[]),
                ]),
                "Burstable",
            ),
        ];
        for (i, (s, want)) in cases.iter().enumerate() {
            assert_eq!(qos_class(s), *want, "case {i}");
        }
    }
}
