//! Exchange rates: how much of the organization's base currency one unit of
//! another currency is worth, to nine decimals, and the one conversion of
//! an amount in minor units from one currency to the other.
//!
//! On the wire a rate is a decimal string (`"0.923456"`), never a float.

use crate::money::{Currency, round_div};
use std::fmt;

/// A positive rate held as billionths: `0.92` is `Rate(920_000_000)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rate(i64);

/// Why a rate did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateError {
    #[error(
        "must be a decimal number above zero such as \"0.9215\", with at most 9 digits after the point"
    )]
    Syntax,
    #[error("must be at most 1000000")]
    TooLarge,
}

const SCALE: i64 = 1_000_000_000;

impl Rate {
    pub const ONE: Rate = Rate(SCALE);

    /// Parses `"1"`, `"0.9215"`, `"150.25"`: no sign, no exponent, at most
    /// nine fractional digits, above zero and at most 1,000,000.
    pub fn parse(s: &str) -> Result<Self, RateError> {
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty()
            || !digits(int)
            || !digits(frac)
            || frac.len() > 9
            || (s.contains('.') && frac.is_empty())
        {
            return Err(RateError::Syntax);
        }
        if int.trim_start_matches('0').len() > 7 {
            return Err(RateError::TooLarge);
        }
        let whole: i64 = int.parse().map_err(|_| RateError::Syntax)?;
        let part: i64 = format!("{frac:0<9}")
            .parse()
            .map_err(|_| RateError::Syntax)?;
        let r = whole * SCALE + part;
        match r {
            0 => Err(RateError::Syntax),
            r if r > 1_000_000 * SCALE => Err(RateError::TooLarge),
            r => Ok(Rate(r)),
        }
    }

    /// A rate stored as billionths; `None` unless positive.
    pub fn from_billionths(b: i64) -> Option<Rate> {
        (b > 0).then_some(Rate(b))
    }

    pub fn billionths(self) -> i64 {
        self.0
    }

    /// `amount` minor units of `from` in minor units of `to` (rounded half
    /// away from zero, once).
    pub fn convert(self, amount: i64, from: Currency, to: Currency) -> i64 {
        let shift = i32::from(to.exponent()) - i32::from(from.exponent());
        let mut num = i128::from(amount) * i128::from(self.0);
        let mut den = i128::from(SCALE);
        if shift >= 0 {
            num *= 10i128.pow(shift.unsigned_abs());
        } else {
            den *= 10i128.pow(shift.unsigned_abs());
        }
        i64::try_from(round_div(num, den)).unwrap_or(if amount < 0 { i64::MIN } else { i64::MAX })
    }
}

impl fmt::Display for Rate {
    /// The shortest decimal: `0.92`, `1`, `150.123456789`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (whole, part) = (self.0 / SCALE, self.0 % SCALE);
        if part == 0 {
            write!(f, "{whole}")
        } else {
            let frac = format!("{part:09}");
            write!(f, "{whole}.{}", frac.trim_end_matches('0'))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(code: &str) -> Currency {
        Currency::parse(code).unwrap()
    }

    #[test]
    fn rates_parse_and_print_as_decimals() {
        assert_eq!(Rate::parse("0.92").unwrap().billionths(), 920_000_000);
        assert_eq!(Rate::parse("1").unwrap(), Rate::ONE);
        assert_eq!(
            Rate::parse("150.123456789").unwrap().to_string(),
            "150.123456789"
        );
        assert_eq!(Rate::parse("0.9200").unwrap().to_string(), "0.92");
        for bad in [
            "",
            "0",
            "0.0",
            "-1",
            "1.",
            ".5",
            "1e3",
            "0.1234567891",
            "abc",
            "1,5",
        ] {
            assert_eq!(Rate::parse(bad), Err(RateError::Syntax), "{bad}");
        }
        assert_eq!(Rate::parse("1000000.1"), Err(RateError::TooLarge));
        assert_eq!(Rate::parse("12345678"), Err(RateError::TooLarge));
        assert_eq!(Rate::from_billionths(0), None);
        assert_eq!(Rate::parse("00000001"), Ok(Rate::ONE));
    }

    #[test]
    fn conversion_follows_each_currency_s_minor_unit() {
        // $12.34 at 0.92 EUR: €11.3528 → €11.35.
        assert_eq!(
            Rate::parse("0.92")
                .unwrap()
                .convert(1234, c("USD"), c("EUR")),
            1135
        );
        // ¥1,000 at 0.0062 EUR: €6.20.
        assert_eq!(
            Rate::parse("0.0062")
                .unwrap()
                .convert(1000, c("JPY"), c("EUR")),
            620
        );
        // €10.00 at 161.5 JPY: ¥1,615.
        assert_eq!(
            Rate::parse("161.5")
                .unwrap()
                .convert(1000, c("EUR"), c("JPY")),
            1615
        );
        // Half a cent rounds away from zero, refunds too.
        assert_eq!(
            Rate::parse("0.5").unwrap().convert(1, c("USD"), c("EUR")),
            1
        );
        assert_eq!(
            Rate::parse("0.5").unwrap().convert(-1, c("USD"), c("EUR")),
            -1
        );
        assert_eq!(Rate::ONE.convert(98_765, c("EUR"), c("EUR")), 98_765);
    }
}
