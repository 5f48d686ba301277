//! Resource quantities as the scheduler counts them: CPU in millicores and everything else
//! in whole units, both rounded up like upstream's `MilliValue()`/`Value()`, so a request of
//! `0.1m` CPU still costs a millicore and never rounds to "free". Parsing is the API
//! crate's (the same rules validation applies).

use bosun_api::validation::quantity::Quantity;

/// Millicores (or milli-units) of a quantity string; `None` when it is not a quantity.
pub fn milli_value(s: &str) -> Option<i64> {
    Quantity::parse(s.trim()).map(|q| q.scaled_value(3))
}

/// Whole units of a quantity string, rounded up; `None` when it is not a quantity.
pub fn value(s: &str) -> Option<i64> {
    Quantity::parse(s.trim()).map(|q| q.scaled_value(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milli_values() {
        let cases = [
            ("1", Some(1000)),
            ("100m", Some(100)),
            ("0.5", Some(500)),
            ("1.5", Some(1500)),
            ("2k", Some(2_000_000)),
            ("0.1m", Some(1)),
            ("250u", Some(1)),
            ("1e3", Some(1_000_000)),
            ("+3", Some(3000)),
            ("0", Some(0)),
            ("abc", None),
            ("1x", None),
            ("", None),
            ("1..2", None),
        ];
        for (input, want) in cases {
            assert_eq!(milli_value(input), want, "{input}");
        }
    }

    #[test]
    fn values() {
        let cases = [
            ("128Mi", Some(128 * 1024 * 1024)),
            ("1Gi", Some(1024 * 1024 * 1024)),
            ("1G", Some(1_000_000_000)),
            ("500M", Some(500_000_000)),
            ("110", Some(110)),
            ("1.5Ki", Some(1536)),
            ("100m", Some(1)),
            ("1500m", Some(2)),
            ("8E", Some(8_000_000_000_000_000_000i64)),
            ("100E", Some(i64::MAX)),
            ("12e-1", Some(2)),
        ];
        for (input, want) in cases {
            assert_eq!(value(input), want, "{input}");
        }
    }
}
