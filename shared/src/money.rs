//! Money as integer minor units beside an ISO 4217 currency.
//!
//! Amounts never mix currencies: every operation that combines two amounts
//! checks the currency first. Arithmetic is checked and fails instead of
//! wrapping. The one rounding rule of the product lives in [`round_div`].

use serde::{Deserialize, Serialize};
use std::fmt;

/// The largest amount, in minor units, that Settle accepts anywhere
/// (a trillion units of a two-decimal currency). Keeps every sum far from
/// `i64` overflow while leaving room for any real invoice.
pub const MAX_AMOUNT_MINOR: i64 = 100_000_000_000_000;

/// ISO 4217 active codes with their number of minor-unit digits.
/// Source: the ISO 4217 list (amendment 177); funds codes and metals omitted.
const CURRENCIES: &[(&str, u8)] = &[
    ("AED", 2),
    ("AFN", 2),
    ("ALL", 2),
    ("AMD", 2),
    ("ANG", 2),
    ("AOA", 2),
    ("ARS", 2),
    ("AUD", 2),
    ("AWG", 2),
    ("AZN", 2),
    ("BAM", 2),
    ("BBD", 2),
    ("BDT", 2),
    ("BGN", 2),
    ("BHD", 3),
    ("BIF", 0),
    ("BMD", 2),
    ("BND", 2),
    ("BOB", 2),
    ("BRL", 2),
    ("BSD", 2),
    ("BTN", 2),
    ("BWP", 2),
    ("BYN", 2),
    ("BZD", 2),
    ("CAD", 2),
    ("CDF", 2),
    ("CHF", 2),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("CRC", 2),
    ("CUP", 2),
    ("CVE", 2),
    ("CZK", 2),
    ("DJF", 0),
    ("DKK", 2),
    ("DOP", 2),
    ("DZD", 2),
    ("EGP", 2),
    ("ERN", 2),
    ("ETB", 2),
    ("EUR", 2),
    ("FJD", 2),
    ("FKP", 2),
    ("GBP", 2),
    ("GEL", 2),
    ("GHS", 2),
    ("GIP", 2),
    ("GMD", 2),
    ("GNF", 0),
    ("GTQ", 2),
    ("GYD", 2),
    ("HKD", 2),
    ("HNL", 2),
    ("HTG", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("IQD", 3),
    ("IRR", 2),
    ("ISK", 0),
    ("JMD", 2),
    ("JOD", 3),
    ("JPY", 0),
    ("KES", 2),
    ("KGS", 2),
    ("KHR", 2),
    ("KMF", 0),
    ("KPW", 2),
    ("KRW", 0),
    ("KWD", 3),
    ("KYD", 2),
    ("KZT", 2),
    ("LAK", 2),
    ("LBP", 2),
    ("LKR", 2),
    ("LRD", 2),
    ("LSL", 2),
    ("LYD", 3),
    ("MAD", 2),
    ("MDL", 2),
    ("MGA", 2),
    ("MKD", 2),
    ("MMK", 2),
    ("MNT", 2),
    ("MOP", 2),
    ("MRU", 2),
    ("MUR", 2),
    ("MVR", 2),
    ("MWK", 2),
    ("MXN", 2),
    ("MYR", 2),
    ("MZN", 2),
    ("NAD", 2),
    ("NGN", 2),
    ("NIO", 2),
    ("NOK", 2),
    ("NPR", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PAB", 2),
    ("PEN", 2),
    ("PGK", 2),
    ("PHP", 2),
    ("PKR", 2),
    ("PLN", 2),
    ("PYG", 0),
    ("QAR", 2),
    ("RON", 2),
    ("RSD", 2),
    ("RUB", 2),
    ("RWF", 0),
    ("SAR", 2),
    ("SBD", 2),
    ("SCR", 2),
    ("SDG", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("SHP", 2),
    ("SLE", 2),
    ("SOS", 2),
    ("SRD", 2),
    ("SSP", 2),
    ("STN", 2),
    ("SVC", 2),
    ("SYP", 2),
    ("SZL", 2),
    ("THB", 2),
    ("TJS", 2),
    ("TMT", 2),
    ("TND", 3),
    ("TOP", 2),
    ("TRY", 2),
    ("TTD", 2),
    ("TWD", 2),
    ("TZS", 2),
    ("UAH", 2),
    ("UGX", 0),
    ("USD", 2),
    ("UYU", 2),
    ("UZS", 2),
    ("VES", 2),
    ("VND", 0),
    ("VUV", 0),
    ("WST", 2),
    ("XAF", 0),
    ("XCD", 2),
    ("XOF", 0),
    ("XPF", 0),
    ("YER", 2),
    ("ZAR", 2),
    ("ZMW", 2),
    ("ZWG", 2),
];

/// An ISO 4217 currency that exists, with its minor-unit exponent.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency {
    index: u8,
}

impl Currency {
    /// Parses a three-letter code, case-insensitively.
    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        let upper = code.trim().to_ascii_uppercase();
        CURRENCIES
            .iter()
            .position(|(c, _)| *c == upper)
            .map(|i| Currency { index: i as u8 })
            .ok_or_else(|| MoneyError::UnknownCurrency(code.chars().take(16).collect()))
    }

    /// The upper-case ISO code, such as `EUR`.
    pub fn code(self) -> &'static str {
        CURRENCIES[self.index as usize].0
    }

    /// Digits after the decimal separator: 0 for JPY, 2 for EUR, 3 for BHD.
    pub fn exponent(self) -> u8 {
        CURRENCIES[self.index as usize].1
    }

    /// Stripe expects lower-case codes.
    pub fn stripe_code(self) -> String {
        self.code().to_ascii_lowercase()
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl TryFrom<String> for Currency {
    type Error = MoneyError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Currency::parse(&value)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.code().to_owned()
    }
}

/// What can go wrong with money.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("`{0}` is not an ISO 4217 currency code")]
    UnknownCurrency(String),
    #[error("cannot combine {0} with {1}")]
    CurrencyMismatch(Currency, Currency),
    #[error("the amount is outside the accepted range (0 to {MAX_AMOUNT_MINOR} minor units)")]
    OutOfRange,
}

/// An amount in minor units of a currency. Deserializing checks the range,
/// like [`Money::new`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawMoney")]
pub struct Money {
    /// Minor units: cents for EUR, yen for JPY, fils for BHD.
    pub amount: i64,
    pub currency: Currency,
}

#[derive(Deserialize)]
struct RawMoney {
    amount: i64,
    currency: Currency,
}

impl TryFrom<RawMoney> for Money {
    type Error = MoneyError;
    fn try_from(r: RawMoney) -> Result<Self, MoneyError> {
        Money::new(r.amount, r.currency)
    }
}

impl Money {
    /// An amount within `0..=MAX_AMOUNT_MINOR`.
    pub fn new(amount: i64, currency: Currency) -> Result<Self, MoneyError> {
        if !(0..=MAX_AMOUNT_MINOR).contains(&amount) {
            return Err(MoneyError::OutOfRange);
        }
        Ok(Money { amount, currency })
    }

    pub fn zero(currency: Currency) -> Self {
        Money {
            amount: 0,
            currency,
        }
    }

    /// Sum of two amounts of the same currency.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch(self.currency, other.currency));
        }
        let sum = self
            .amount
            .checked_add(other.amount)
            .ok_or(MoneyError::OutOfRange)?;
        Money::new(sum, self.currency)
    }

    /// `self - other`, never below zero (a balance cannot be negative here;
    /// overpayment is tracked as customer credit elsewhere).
    pub fn saturating_sub(self, other: Money) -> Result<Money, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch(self.currency, other.currency));
        }
        Ok(Money {
            amount: (self.amount - other.amount).max(0),
            currency: self.currency,
        })
    }

    /// Plain decimal rendering with the currency code, such as `1234.50 EUR`.
    /// Emails and logs use it; the portal formats with the customer's locale.
    pub fn to_plain_string(self) -> String {
        format!(
            "{} {}",
            format_minor(self.amount, self.currency.exponent()),
            self.currency.code()
        )
    }
}

/// `12345` with exponent 2 gives `123.45`; exponent 0 gives `12345`.
pub fn format_minor(amount: i64, exponent: u8) -> String {
    if exponent == 0 {
        return amount.to_string();
    }
    let sign = if amount < 0 { "-" } else { "" };
    let abs = amount.unsigned_abs();
    let div = 10u64.pow(exponent as u32);
    format!(
        "{sign}{}.{:0width$}",
        abs / div,
        abs % div,
        width = exponent as usize
    )
}

/// The product's one rounding rule: divide and round half away from zero.
///
/// Used for every line amount and every tax amount, per line, before summing.
pub fn round_div(numerator: i128, denominator: i128) -> i128 {
    debug_assert!(denominator > 0);
    let q = numerator / denominator;
    let r = numerator % denominator;
    if r.abs() * 2 >= denominator {
        q + numerator.signum()
    } else {
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponents_follow_iso_4217() {
        assert_eq!(Currency::parse("jpy").unwrap().exponent(), 0);
        assert_eq!(Currency::parse("EUR").unwrap().exponent(), 2);
        assert_eq!(Currency::parse("BHD").unwrap().exponent(), 3);
        assert!(Currency::parse("XXX").is_err());
        assert!(Currency::parse("").is_err());
        assert!(Currency::parse("EURO").is_err());
    }

    #[test]
    fn sums_never_mix_currencies() {
        let eur = Money::new(100, Currency::parse("EUR").unwrap()).unwrap();
        let usd = Money::new(100, Currency::parse("USD").unwrap()).unwrap();
        assert!(matches!(
            eur.checked_add(usd),
            Err(MoneyError::CurrencyMismatch(..))
        ));
        assert_eq!(eur.checked_add(eur).unwrap().amount, 200);
    }

    #[test]
    fn range_is_enforced() {
        let eur = Currency::parse("EUR").unwrap();
        assert!(Money::new(-1, eur).is_err());
        assert!(Money::new(MAX_AMOUNT_MINOR + 1, eur).is_err());
        let max = Money::new(MAX_AMOUNT_MINOR, eur).unwrap();
        assert!(max.checked_add(Money::new(1, eur).unwrap()).is_err());
    }

    #[test]
    fn formatting_uses_the_exponent() {
        assert_eq!(format_minor(123450, 2), "1234.50");
        assert_eq!(format_minor(5, 3), "0.005");
        assert_eq!(format_minor(1200, 0), "1200");
        assert_eq!(format_minor(-5, 2), "-0.05");
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(round_div(5, 10), 1);
        assert_eq!(round_div(4, 10), 0);
        assert_eq!(round_div(15, 10), 2);
        assert_eq!(round_div(-5, 10), -1);
        assert_eq!(round_div(-4, 10), 0);
        assert_eq!(round_div(20, 10), 2);
    }

    #[test]
    fn deserializing_checks_the_range() {
        let ok: Money = serde_json::from_str(r#"{"amount":5,"currency":"eur"}"#).unwrap();
        assert_eq!(ok.amount, 5);
        assert!(serde_json::from_str::<Money>(r#"{"amount":-5,"currency":"EUR"}"#).is_err());
    }

    #[test]
    fn serde_round_trips_codes() {
        let c: Currency = serde_json::from_str("\"gbp\"").unwrap();
        assert_eq!(serde_json::to_string(&c).unwrap(), "\"GBP\"");
        assert!(serde_json::from_str::<Currency>("\"ABC\"").is_err());
    }
}
