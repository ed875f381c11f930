//! Exact decimals with three fractional digits, for quantities and tax rates.
//!
//! On the wire a value is a JSON string (`"1.5"`) or an integer (`2`), never a
//! float, so that `0.1 + 0.2` problems cannot reach an invoice.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A non-negative decimal held as thousandths: `1.5` is `Milli(1500)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Milli(pub i64);

/// Why a decimal did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    #[error("must be a decimal number such as \"1.5\", with at most 3 digits after the point")]
    Syntax,
    #[error("is too large")]
    TooLarge,
}

impl Milli {
    pub const ONE: Milli = Milli(1000);

    /// Parses `"12"`, `"12.5"`, `"0.125"`. No sign, no exponent, at most 3
    /// fractional digits, at most 12 integer digits.
    pub fn parse(s: &str) -> Result<Self, DecimalError> {
        let (int, frac) = match s.split_once('.') {
            Some((i, f)) => (i, f),
            None => (s, ""),
        };
        let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty()
            || !digits(int)
            || !digits(frac)
            || frac.len() > 3
            || (s.contains('.') && frac.is_empty())
        {
            return Err(DecimalError::Syntax);
        }
        if int.len() > 12 {
            return Err(DecimalError::TooLarge);
        }
        let int_v: i64 = int.parse().map_err(|_| DecimalError::Syntax)?;
        let mut frac_v: i64 = 0;
        for (i, b) in frac.bytes().enumerate() {
            frac_v += i64::from(b - b'0') * 10i64.pow(2 - i as u32);
        }
        Ok(Milli(int_v * 1000 + frac_v))
    }
}

impl fmt::Display for Milli {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let int = self.0 / 1000;
        let frac = self.0 % 1000;
        if frac == 0 {
            write!(f, "{int}")
        } else {
            let s = format!("{frac:03}");
            write!(f, "{int}.{}", s.trim_end_matches('0'))
        }
    }
}

impl Serialize for Milli {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Milli {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Wire {
            Int(u64),
            Str(String),
        }
        match Wire::deserialize(d).map_err(|_| {
            serde::de::Error::custom(
                "expected a decimal string such as \"1.5\" or a non-negative integer",
            )
        })? {
            Wire::Int(i) if i <= 999_999_999_999 => Ok(Milli(i as i64 * 1000)),
            Wire::Int(_) => Err(serde::de::Error::custom(DecimalError::TooLarge)),
            Wire::Str(s) => Milli::parse(&s).map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_plain_decimals() {
        assert_eq!(Milli::parse("1").unwrap(), Milli(1000));
        assert_eq!(Milli::parse("1.5").unwrap(), Milli(1500));
        assert_eq!(Milli::parse("0.125").unwrap(), Milli(125));
        assert_eq!(Milli::parse("8.875").unwrap(), Milli(8875));
        for bad in ["", ".5", "1.", "-1", "1e3", "1.2345", "a", "1.2.3", " 1"] {
            assert!(Milli::parse(bad).is_err(), "{bad:?} should fail");
        }
        assert_eq!(Milli::parse("1234567890123"), Err(DecimalError::TooLarge));
    }

    #[test]
    fn json_accepts_strings_and_integers_not_floats() {
        assert_eq!(
            serde_json::from_str::<Milli>("\"2.25\"").unwrap(),
            Milli(2250)
        );
        assert_eq!(serde_json::from_str::<Milli>("3").unwrap(), Milli(3000));
        assert!(serde_json::from_str::<Milli>("1.5").is_err());
        assert!(serde_json::from_str::<Milli>("-1").is_err());
    }

    proptest! {
        #[test]
        fn display_round_trips(v in 0i64..999_999_999_999_999) {
            let m = Milli(v);
            prop_assert_eq!(Milli::parse(&m.to_string()).unwrap(), m);
        }
    }
}
