//! Resource quantities (`resource.Quantity`): parsing, comparison and the canonical string
//! form upstream writes back (`0.5` → `500m`, `1536Mi` stays, `1000m` → `1`), so stored
//! objects show what a real API server would show.

use std::cmp::Ordering;

/// How a quantity was written, which decides how it is printed back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `k`, `M`, `m`... or no suffix.
    DecimalSI,
    /// `Ki`, `Mi`...
    BinarySI,
    /// `1e3`.
    DecimalExponent,
}

/// A quantity: `mantissa × 10^exponent`, with the format it was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantity {
    mantissa: i128,
    exponent: i32,
    pub format: Format,
}

/// Upstream's parse error text.
pub const PARSE_ERROR: &str =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

const DECIMAL_SUFFIXES: &[(&str, i32)] = &[
    ("n", -9),
    ("u", -6),
    ("m", -3),
    ("", 0),
    ("k", 3),
    ("M", 6),
    ("G", 9),
    ("T", 12),
    ("P", 15),
    ("E", 18),
];
const BINARY_SUFFIXES: &[&str] = &["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];

fn pow10(n: u32) -> Option<i128> {
    10i128.checked_pow(n)
}

impl Quantity {
    /// Parses a quantity string; `None` when it is not one.
    pub fn parse(s: &str) -> Option<Quantity> {
        let (negative, rest) = match s.as_bytes().first() {
            Some(b'-') => (true, &s[1..]),
            Some(b'+') => (false, &s[1..]),
            _ => (false, s),
        };
        let num_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, suffix) = rest.split_at(num_end);
        let (int_part, frac_part) = match number.split_once('.') {
            Some((i, f)) => (i, f),
            None => (number, ""),
        };
        if int_part.is_empty() && frac_part.is_empty() || frac_part.contains('.') {
            return None;
        }
        let digits = format!("{int_part}{frac_part}");
        let digits = digits.trim_start_matches('0');
        let mut mantissa: i128 = if digits.is_empty() {
            0
        } else {
            digits.parse().ok()?
        };
        let mut exponent = -(frac_part.len() as i32);
        let format = if let Some(pos) = BINARY_SUFFIXES
            .iter()
            .position(|b| !b.is_empty() && *b == suffix)
        {
            mantissa = mantissa.checked_mul(1024i128.checked_pow(pos as u32)?)?;
            Format::BinarySI
        } else if let Some((_, e)) = DECIMAL_SUFFIXES.iter().find(|(sfx, _)| *sfx == suffix) {
            exponent = exponent.checked_add(*e)?;
            Format::DecimalSI
        } else if let Some(exp) = suffix.strip_prefix(['e', 'E']) {
            let digits_ok = exp
                .strip_prefix(['+', '-'])
                .unwrap_or(exp)
                .chars()
                .all(|c| c.is_ascii_digit());
            if exp.is_empty() || !digits_ok {
                return None;
            }
            exponent = exponent.checked_add(exp.parse::<i32>().ok()?)?;
            Format::DecimalExponent
        } else {
            return None;
        };
        if negative {
            mantissa = -mantissa;
        }
        let mut q = Quantity {
            mantissa,
            exponent,
            format,
        };
        // Anything finer than a nano-unit is rounded up, as upstream does on parse.
        q.round_up(-9);
        Some(q)
    }

    /// Rounds away from zero to `10^scale` precision (upstream's `RoundUp`).
    pub fn round_up(&mut self, scale: i32) {
        if self.exponent >= scale {
            return;
        }
        let shift = (scale - self.exponent) as u32;
        let Some(div) = pow10(shift) else {
            self.mantissa = self.mantissa.signum();
            self.exponent = scale;
            return;
        };
        let q = self.mantissa / div;
        let r = self.mantissa % div;
        self.mantissa = if r == 0 {
            q
        } else {
            q + self.mantissa.signum()
        };
        self.exponent = scale;
    }

    /// A whole number in decimal format (an object count).
    pub fn from_int(n: i64) -> Quantity {
        Quantity {
            mantissa: i128::from(n),
            exponent: 0,
            format: Format::DecimalSI,
        }
    }

    /// The sum, in `self`'s format — or `other`'s when `self` is zero, so that adding to
    /// an empty total keeps the unit style the object used (`64Mi` + `64Mi` = `128Mi`).
    /// Saturates far beyond any real quantity.
    pub fn add(&self, other: &Quantity) -> Quantity {
        if self.mantissa == 0 {
            return *other;
        }
        let e = self.exponent.min(other.exponent);
        let scale = |q: &Quantity| {
            pow10((q.exponent - e) as u32)
                .and_then(|m| q.mantissa.checked_mul(m))
                .unwrap_or(i128::MAX / 4)
        };
        Quantity {
            mantissa: scale(self).saturating_add(scale(other)),
            exponent: e,
            format: self.format,
        }
    }

    /// The value in units of `10^-scale`, rounded up and saturating (upstream's
    /// `ScaledValue`): `scale` 3 gives `MilliValue()`, 0 gives `Value()`, so a request of
    /// `0.1m` still costs a millicore.
    pub fn scaled_value(&self, scale: i32) -> i64 {
        let exp = self.exponent + scale;
        let v: i128 = match pow10(exp.unsigned_abs()) {
            Some(f) if exp >= 0 => self.mantissa.saturating_mul(f),
            Some(d) => {
                let q = self.mantissa.div_euclid(d);
                if self.mantissa.rem_euclid(d) != 0 {
                    q + 1
                } else {
                    q
                }
            }
            None if exp >= 0 => match self.mantissa.signum() {
                0 => 0,
                1 => i128::MAX,
                _ => i128::MIN,
            },
            // Dividing by more than 10^38: anything positive rounds up to 1.
            None => i128::from(self.mantissa > 0),
        };
        i64::try_from(v).unwrap_or(if v > 0 { i64::MAX } else { i64::MIN })
    }

    pub fn is_zero(&self) -> bool {
        self.mantissa == 0
    }

    pub fn is_negative(&self) -> bool {
        self.mantissa < 0
    }

    /// The value as an integer when it is one.
    fn as_integer(&self) -> Option<i128> {
        if self.exponent >= 0 {
            self.mantissa.checked_mul(pow10(self.exponent as u32)?)
        } else {
            let div = pow10((-self.exponent) as u32)?;
            (self.mantissa % div == 0).then_some(self.mantissa / div)
        }
    }

    /// Whether the value is a whole number.
    pub fn is_integer(&self) -> bool {
        self.exponent >= 0 || pow10((-self.exponent) as u32).is_some_and(|d| self.mantissa % d == 0)
    }

    /// Compares the values (not the formats).
    pub fn cmp_value(&self, other: &Quantity) -> Ordering {
        let e = self.exponent.min(other.exponent);
        let scale =
            |q: &Quantity| pow10((q.exponent - e) as u32).and_then(|m| q.mantissa.checked_mul(m));
        match (scale(self), scale(other)) {
            (Some(a), Some(b)) => a.cmp(&b),
            // Out of range: fall back to floating point, precise enough to order them.
            _ => self.as_f64().total_cmp(&other.as_f64()),
        }
    }

    fn as_f64(&self) -> f64 {
        self.mantissa as f64 * 10f64.powi(self.exponent)
    }

    /// Upstream's canonical string (`Quantity.String()`).
    pub fn canonical(&self) -> String {
        if self.mantissa == 0 {
            return "0".to_string();
        }
        let mut format = self.format;
        if format == Format::BinarySI {
            let limit = |m: i128| Quantity {
                mantissa: m,
                exponent: 0,
                format,
            };
            let small = self.cmp_value(&limit(1024)) == Ordering::Less
                && self.cmp_value(&limit(-1024)) == Ordering::Greater;
            if small || !self.is_integer() {
                format = Format::DecimalSI;
            }
        }
        if format == Format::BinarySI
            && let Some(mut v) = self.as_integer()
        {
            let mut power = 0usize;
            while v % 1024 == 0 && power + 1 < BINARY_SUFFIXES.len() {
                v /= 1024;
                power += 1;
            }
            return format!("{v}{}", BINARY_SUFFIXES[power]);
        }
        let (mut m, mut e) = (self.mantissa, self.exponent);
        while m % 10 == 0 {
            m /= 10;
            e += 1;
        }
        // Make the exponent a multiple of 3; a mantissa too large to scale keeps its exponent
        // and is printed in exponent form.
        let shift = e.rem_euclid(3);
        if let Some(scaled) = pow10(shift as u32).and_then(|f| m.checked_mul(f)) {
            m = scaled;
            e -= shift;
        }
        let suffix = match format {
            Format::DecimalExponent => {
                if e == 0 {
                    String::new()
                } else {
                    format!("e{e}")
                }
            }
            _ => match DECIMAL_SUFFIXES.iter().find(|(_, x)| *x == e) {
                Some((s, _)) => (*s).to_string(),
                None => format!("e{e}"),
            },
        };
        format!("{m}{suffix}")
    }

    /// `%#v` of the Go `resource.Quantity` struct, which upstream prints for a few errors.
    pub fn go_repr(&self, original: &str) -> String {
        let fmt = match self.format {
            Format::DecimalSI => "DecimalSI",
            Format::BinarySI => "BinarySI",
            Format::DecimalExponent => "DecimalExponent",
        };
        format!(
            "resource.Quantity{{i:resource.int64Amount{{value:{}, scale:{}}}, d:resource.infDecAmount{{Dec:(*inf.Dec)(nil)}}, s:{}, Format:\"{fmt}\"}}",
            self.mantissa,
            self.exponent,
            super::render::go_quote(original)
        )
    }
}

/// Reads a quantity from JSON, which may be a string or a number.
pub fn from_json(v: &serde_json::Value) -> Option<Quantity> {
    match v {
        serde_json::Value::String(s) => Quantity::parse(s),
        serde_json::Value::Number(n) => Quantity::parse(&n.to_string()),
        _ => None,
    }
}
