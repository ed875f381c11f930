//! Amounts and dates for the customer's locale, through the browser's
//! `Intl` (no formatting crate in the bundle). Natively (in tests) a plain
//! rendering stands in.

use settle_shared::money::{Currency, format_minor};

/// `123450` EUR in `fr-FR` → `1 234,50 €`.
pub fn money(amount_minor: i64, currency: &str, locale: &str) -> String {
    let exp = Currency::parse(currency)
        .map(Currency::exponent)
        .unwrap_or(2);
    intl::money(amount_minor, exp, currency, locale)
        .unwrap_or_else(|| format!("{} {currency}", format_minor(amount_minor, exp)))
}

/// A tax rate held in thousandths of a percent (`8875` is 8.875 %), as the
/// locale writes percentages: `8.875%`, `8,875 %`.
pub fn percent(milli_percent: i64, locale: &str) -> String {
    intl::percent(milli_percent as f64 / 100_000.0, locale)
        .unwrap_or_else(|| format!("{} %", settle_shared::decimal::Milli(milli_percent)))
}

/// An amount typed by the customer (`12`, `12.5`, `12,50`) in minor units of
/// `currency`; `None` when it is not a plain positive amount.
pub fn parse_amount(text: &str, currency: &str) -> Option<i64> {
    let exp = Currency::parse(currency)
        .map(Currency::exponent)
        .unwrap_or(2) as usize;
    let t: String = text
        .trim()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '\u{202f}')
        .collect();
    let t = t.replace(',', ".");
    let (int, frac) = t.split_once('.').unwrap_or((&t, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() && frac.is_empty()
        || !digits(int)
        || !digits(frac)
        || frac.len() > exp
        || int.len() > 12
    {
        return None;
    }
    let int: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let frac: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<exp$}").parse().ok()?
    };
    let minor = int.checked_mul(10i64.pow(exp as u32))?.checked_add(frac)?;
    (minor > 0).then_some(minor)
}

/// The CLDR plural category of `n` in `locale` (`one`, `two`, `few`, …),
/// from the browser's `Intl.PluralRules`. Natively (tests) English's rule.
pub fn plural_category(n: i64, locale: &str) -> String {
    intl::plural(n, locale).unwrap_or_else(|| if n == 1 { "one" } else { "other" }.to_owned())
}

/// `2026-12-01` in `en-GB` → `1 Dec 2026`.
pub fn date(iso: &str, locale: &str) -> String {
    let mut parts = iso.splitn(3, '-').map(|p| p.parse::<u32>().ok());
    match (
        parts.next().flatten(),
        parts.next().flatten(),
        parts.next().flatten(),
    ) {
        (Some(y), Some(m), Some(d)) => {
            intl::date(y, m, d, locale).unwrap_or_else(|| iso.to_owned())
        }
        _ => iso.to_owned(),
    }
}

/// Days from `today` to `due` (both `YYYY-MM-DD`), negative when past.
pub fn days_until(today: &str, due: &str) -> Option<i64> {
    let parse = |s: &str| chrono_like_days(s);
    Some(parse(due)? - parse(today)?)
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date (civil calendar).
fn chrono_like_days(s: &str) -> Option<i64> {
    let mut it = s.splitn(3, '-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: i64 = it.next()?.parse().ok()?;
    let d: i64 = it.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// Black or white, whichever reads better on `background` (`#rrggbb`).
pub fn ink_for(background: &str) -> &'static str {
    match settle_shared::branding::luminance(background) {
        // Contrast with white is 1.05/(l+0.05); with black (l+0.05)/0.05.
        Some(l) if 1.05 / (l + 0.05) < (l + 0.05) / 0.05 => "#111111",
        _ => "#ffffff",
    }
}

#[cfg(target_arch = "wasm32")]
mod intl {
    use js_sys::{Array, Date, Intl, Object, Reflect};
    use wasm_bindgen::JsValue;

    fn options(pairs: &[(&str, JsValue)]) -> Object {
        let o = Object::new();
        for (k, v) in pairs {
            let _ = Reflect::set(&o, &JsValue::from_str(k), v);
        }
        o
    }

    fn locales(locale: &str) -> Array {
        Array::of1(&JsValue::from_str(locale))
    }

    pub fn money(amount_minor: i64, exp: u8, currency: &str, locale: &str) -> Option<String> {
        let opts = options(&[
            ("style", "currency".into()),
            ("currency", currency.into()),
            ("minimumFractionDigits", JsValue::from_f64(f64::from(exp))),
            ("maximumFractionDigits", JsValue::from_f64(f64::from(exp))),
        ]);
        let nf = Intl::NumberFormat::new(&locales(locale), &opts);
        let value = amount_minor as f64 / 10f64.powi(i32::from(exp));
        nf.format()
            .call1(&JsValue::NULL, &JsValue::from_f64(value))
            .ok()?
            .as_string()
    }

    pub fn plural(n: i64, locale: &str) -> Option<String> {
        Intl::PluralRules::new(&locales(locale), &Object::new())
            .select(n as f64)
            .as_string()
    }

    pub fn percent(fraction: f64, locale: &str) -> Option<String> {
        let opts = options(&[
            ("style", "percent".into()),
            ("maximumFractionDigits", JsValue::from_f64(3.0)),
        ]);
        let nf = Intl::NumberFormat::new(&locales(locale), &opts);
        nf.format()
            .call1(&JsValue::NULL, &JsValue::from_f64(fraction))
            .ok()?
            .as_string()
    }

    pub fn date(y: u32, m: u32, d: u32, locale: &str) -> Option<String> {
        let opts = options(&[("dateStyle", "medium".into()), ("timeZone", "UTC".into())]);
        let f = Intl::DateTimeFormat::new(&locales(locale), &opts);
        let ms = Date::utc(f64::from(y), f64::from(m - 1)) + f64::from(d - 1) * 86_400_000.0;
        f.format()
            .call1(&JsValue::NULL, &Date::new(&JsValue::from_f64(ms)))
            .ok()?
            .as_string()
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod intl {
    pub fn money(_: i64, _: u8, _: &str, _: &str) -> Option<String> {
        None
    }
    pub fn date(_: u32, _: u32, _: u32, _: &str) -> Option<String> {
        None
    }
    pub fn percent(_: f64, _: &str) -> Option<String> {
        None
    }
    pub fn plural(_: i64, _: &str) -> Option<String> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_fallbacks() {
        assert_eq!(money(123450, "EUR", "en"), "1234.50 EUR");
        assert_eq!(money(1200, "JPY", "ja"), "1200 JPY");
        assert_eq!(money(1005, "BHD", "ar"), "1.005 BHD");
        assert_eq!(percent(8875, "en"), "8.875 %");
        assert_eq!(percent(20_000, "fr"), "20 %");
    }

    #[test]
    fn typed_amounts() {
        assert_eq!(parse_amount("12", "EUR"), Some(1200));
        assert_eq!(parse_amount("12,5", "EUR"), Some(1250));
        assert_eq!(parse_amount(" 1 234.56 ", "USD"), Some(123_456));
        assert_eq!(parse_amount("1200", "JPY"), Some(1200));
        assert_eq!(parse_amount("1.5", "JPY"), None);
        assert_eq!(parse_amount("0.005", "BHD"), Some(5));
        for bad in ["", "abc", "-5", "1.234", "0", "1.2.3", "1e3"] {
            assert_eq!(parse_amount(bad, "EUR"), None, "{bad}");
        }
    }

    #[test]
    fn day_arithmetic() {
        assert_eq!(days_until("2026-11-26", "2026-12-01"), Some(5));
        assert_eq!(days_until("2026-03-01", "2026-02-28"), Some(-1));
        assert_eq!(days_until("2024-02-28", "2024-03-01"), Some(2));
        assert_eq!(days_until("x", "2026-12-01"), None);
    }

    #[test]
    fn readable_ink() {
        assert_eq!(ink_for("#ffffff"), "#111111");
        assert_eq!(ink_for("#000000"), "#ffffff");
        assert_eq!(ink_for("#0f766e"), "#ffffff");
        assert_eq!(ink_for("#fde047"), "#111111");
    }
}
