//! Resource quantities as the scheduler counts them: CPU in millicores and everything else
//! in whole units, both rounded up like upstream's `MilliValue()`/`Value()`, so a request of
//! `0.1m` CPU still costs a millicore and never rounds to "free".

/// Decimal SI suffixes and their powers of ten.
const DECIMAL: &[(&str, i32)] = &[
    ("n", -9),
    ("u", -6),
    ("m", -3),
    ("k", 3),
    ("M", 6),
    ("G", 9),
    ("T", 12),
    ("P", 15),
    ("E", 18),
];

/// Binary SI suffixes and their powers of 1024.
const BINARY: &[(&str, u32)] = &[
    ("Ki", 1),
    ("Mi", 2),
    ("Gi", 3),
    ("Ti", 4),
    ("Pi", 5),
    ("Ei", 6),
];

/// A parsed quantity: `mantissa × 10^exponent` (binary suffixes are folded into the mantissa).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Parsed {
    mantissa: i128,
    exponent: i32,
}

fn parse(s: &str) -> Option<Parsed> {
    let s = s.trim();
    let (negative, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let (number, suffix) = rest.split_at(end);
    let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
    if (int_part.is_empty() && frac_part.is_empty()) || frac_part.contains('.') {
        return None;
    }
    // Digits past what an i128 holds cannot matter for scheduling; refuse them rather
    // than overflow.
    let digits = format!("{int_part}{frac_part}");
    let digits = digits.trim_start_matches('0');
    if digits.len() > 30 {
        return None;
    }
    let mut mantissa: i128 = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    let mut exponent = -i32::try_from(frac_part.len()).ok()?;
    if suffix.is_empty() {
    } else if let Some((_, power)) = BINARY.iter().find(|(b, _)| *b == suffix) {
        mantissa = mantissa.checked_mul(1024i128.checked_pow(*power)?)?;
    } else if let Some((_, e)) = DECIMAL.iter().find(|(d, _)| *d == suffix) {
        exponent += e;
    } else if let Some(exp) = suffix.strip_prefix(['e', 'E']) {
        let e: i32 = exp.parse().ok()?;
        if e.abs() > 40 {
            return None;
        }
        exponent += e;
    } else {
        return None;
    }
    if negative {
        mantissa = -mantissa;
    }
    Some(Parsed { mantissa, exponent })
}

/// `value × 10^scale`, rounded up (towards +∞) and saturated to the `i64` range.
fn scaled(p: Parsed, scale: i32) -> i64 {
    let exp = p.exponent + scale;
    let v: i128 = if exp >= 0 {
        match 10i128.checked_pow(exp.unsigned_abs()) {
            Some(f) => p.mantissa.saturating_mul(f),
            None if p.mantissa == 0 => 0,
            None if p.mantissa > 0 => i128::MAX,
            None => i128::MIN,
        }
    } else {
        match 10i128.checked_pow(exp.unsigned_abs()) {
            Some(d) => {
                let q = p.mantissa.div_euclid(d);
                if p.mantissa.rem_euclid(d) != 0 {
                    q + 1
                } else {
                    q
                }
            }
            // Dividing by more than 10^38: anything positive rounds up to 1.
            None => i128::from(p.mantissa > 0),
        }
    };
    i64::try_from(v).unwrap_or(if v > 0 { i64::MAX } else { i64::MIN })
}

/// Millicores (or milli-units) of a quantity string; `None` when it is not a quantity.
pub fn milli_value(s: &str) -> Option<i64> {
    parse(s).map(|p| scaled(p, 3))
}

/// Whole units of a quantity string, rounded up; `None` when it is not a quantity.
pub fn value(s: &str) -> Option<i64> {
    parse(s).map(|p| scaled(p, 0))
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
