//! A number with Python's int/float distinction.
//!
//! The paper's scripts mix Python ints (`0` from `x or 0`, an unmatched regex) and floats, and
//! `json.dump` writes them differently (`0` versus `0.0`). Keeping the distinction lets repro
//! write the paper's JSON files byte for byte, not just value for value.

use std::fmt;
use std::ops::{Add, Sub};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A Python `int` (only small ones ever occur here) or `float`.
#[derive(Debug, Clone, Copy)]
pub enum Num {
    Int(i64),
    Float(f64),
}

impl Num {
    pub const ZERO: Num = Num::Int(0);

    pub fn as_f64(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        }
    }

    /// Python truthiness: `0`, `0.0` and `-0.0` are false.
    pub fn is_truthy(self) -> bool {
        match self {
            Num::Int(i) => i != 0,
            Num::Float(f) => f != 0.0,
        }
    }

    /// Python's `value or 0` for an optional number.
    pub fn or_zero(value: Option<Num>) -> Num {
        match value {
            Some(v) if v.is_truthy() => v,
            _ => Num::ZERO,
        }
    }
}

impl PartialEq for Num {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Num::Int(a), Num::Int(b)) => a == b,
            _ => self.as_f64() == other.as_f64(),
        }
    }
}

impl Add for Num {
    type Output = Num;
    fn add(self, rhs: Num) -> Num {
        match (self, rhs) {
            (Num::Int(a), Num::Int(b)) => Num::Int(a + b),
            _ => Num::Float(self.as_f64() + rhs.as_f64()),
        }
    }
}

impl Sub for Num {
    type Output = Num;
    fn sub(self, rhs: Num) -> Num {
        match (self, rhs) {
            (Num::Int(a), Num::Int(b)) => Num::Int(a - b),
            _ => Num::Float(self.as_f64() - rhs.as_f64()),
        }
    }
}

impl From<f64> for Num {
    fn from(f: f64) -> Num {
        Num::Float(f)
    }
}

impl fmt::Display for Num {
    /// Python's `repr`: `0`, `1.5`, `1e-05`, `100.0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Num::Int(i) => write!(f, "{i}"),
            Num::Float(x) => f.write_str(&python_float_repr(*x)),
        }
    }
}

impl Serialize for Num {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Num::Int(i) => s.serialize_i64(*i),
            Num::Float(x) => s.serialize_f64(*x),
        }
    }
}

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Num, D::Error> {
        let value = serde_json::Number::deserialize(d)?;
        if let Some(i) = value.as_i64() {
            Ok(Num::Int(i))
        } else {
            value
                .as_f64()
                .map(Num::Float)
                .ok_or_else(|| serde::de::Error::custom("number out of range"))
        }
    }
}

/// `repr(float)` of CPython: the shortest string that round-trips, in fixed notation when the
/// decimal exponent is in -4..16, else in scientific notation with a two-digit exponent.
pub fn python_float_repr(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    if x == 0.0 {
        return if x.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "1.2345e-5".
    let sci = format!("{:e}", x.abs());
    let (mantissa, exp) = sci.split_once('e').expect("`{:e}` always has an exponent");
    let exp: i32 = exp.parse().expect("exponent is an integer");
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let sign = if x < 0.0 { "-" } else { "" };
    // Position of the decimal point relative to the digit string, as CPython's `decpt`.
    let decpt = exp + 1;
    let body = if (-3..=16).contains(&decpt) {
        if decpt <= 0 {
            format!("0.{}{}", "0".repeat((-decpt) as usize), digits)
        } else if decpt as usize >= digits.len() {
            format!("{}{}.0", digits, "0".repeat(decpt as usize - digits.len()))
        } else {
            let (int, frac) = digits.split_at(decpt as usize);
            format!("{int}.{frac}")
        }
    } else {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let e = decpt - 1;
        let esign = if e < 0 { '-' } else { '+' };
        format!("{first}{frac}e{esign}{:02}", e.abs())
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_repr_matches_cpython() {
        let cases = [
            (1.5, "1.5"),
            (100.0, "100.0"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.4771999999999998, "1.4771999999999998"),
            (1e16, "1e+16"),
            (1234567890123456.0, "1234567890123456.0"),
            (-2.5e-7, "-2.5e-07"),
            (0.1 + 0.2, "0.30000000000000004"),
            (-0.0, "-0.0"),
            (123.456, "123.456"),
        ];
        for (x, want) in cases {
            assert_eq!(python_float_repr(x), want, "repr({x:?})");
        }
    }

    #[test]
    fn python_arithmetic_keeps_ints() {
        assert!(matches!(Num::Int(0) + Num::Int(0), Num::Int(0)));
        assert!(matches!(Num::Int(0) + Num::Float(1.0), Num::Float(_)));
        assert!(matches!(Num::or_zero(Some(Num::Float(0.0))), Num::Int(0)));
        assert!(matches!(Num::or_zero(None), Num::Int(0)));
    }
}
