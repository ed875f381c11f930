//! An organization's catalog: plans (priced per interval) and add-ons
//! (priced per unit and period of the plan they are taken with).

use super::period::Interval;
use crate::ErrorCode;
use crate::api::{CatalogAddOnRequest, CatalogPlanRequest};
use crate::decimal::Milli;
use crate::money::{Currency, MAX_AMOUNT_MINOR};
use crate::text::{self, FieldError, limits};
use std::collections::BTreeMap;

/// The most plans or add-ons one plan may name.
pub const MAX_LINKS: usize = 50;
/// The highest quantity of anything on a subscription.
pub const MAX_QUANTITY: i64 = 1_000_000;

/// Whether a catalog item is a plan or an add-on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Plan,
    AddOn,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Plan => "plan",
            Kind::AddOn => "add_on",
        }
    }
}

/// A validated plan or add-on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub kind: Kind,
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    /// Plans only.
    pub interval: Option<Interval>,
    /// Minor units per unit and period, by currency code.
    pub prices: BTreeMap<String, i64>,
    pub tax_rate: Milli,
    pub min_quantity: i64,
    pub max_quantity: Option<i64>,
    pub add_ons: Vec<String>,
    pub moves_to: Vec<String>,
}

impl Item {
    /// The price per unit and period in `currency`, if it has one.
    pub fn price(&self, currency: Currency) -> Option<i64> {
        self.prices.get(currency.code()).copied()
    }

    /// Why `quantity` is not allowed, if it is not.
    pub fn quantity_error(&self, quantity: i64) -> Option<String> {
        let max = self.max_quantity.unwrap_or(MAX_QUANTITY);
        (quantity < self.min_quantity || quantity > max).then(|| {
            format!(
                "{} may be taken from {} to {max}",
                self.name, self.min_quantity
            )
        })
    }
}

/// A code: 1 to 40 letters, digits, `-` or `_`.
pub fn code(field: &str, v: &str) -> Result<String, FieldError> {
    let v = v.trim();
    if v.is_empty()
        || v.len() > 40
        || !v
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(FieldError::invalid(
            field,
            "must be 1 to 40 letters, digits, - or _",
        ));
    }
    Ok(v.to_owned())
}

fn prices(raw: &BTreeMap<String, i128>) -> Result<BTreeMap<String, i64>, FieldError> {
    if raw.is_empty() {
        return Err(FieldError::new(
            ErrorCode::MissingField,
            "prices",
            "give at least one price, such as {\"EUR\": 2900}",
        ));
    }
    let mut out = BTreeMap::new();
    for (code, amount) in raw {
        let field = format!("prices.{code}");
        let c = Currency::parse(code)
            .map_err(|e| FieldError::new(ErrorCode::UnsupportedCurrency, &field, e.to_string()))?;
        if !(0..=i128::from(MAX_AMOUNT_MINOR)).contains(amount) {
            return Err(FieldError::new(
                ErrorCode::AmountOutOfRange,
                field,
                format!("must be between 0 and {MAX_AMOUNT_MINOR} minor units of {c}"),
            ));
        }
        out.insert(c.code().to_owned(), *amount as i64);
    }
    Ok(out)
}

fn quantities(
    min: Option<i64>,
    max: Option<i64>,
    floor: i64,
) -> Result<(i64, Option<i64>), FieldError> {
    let min = min.unwrap_or(floor);
    if !(floor..=MAX_QUANTITY).contains(&min) {
        return Err(FieldError::new(
            ErrorCode::AmountOutOfRange,
            "min_quantity",
            format!("must be from {floor} to {MAX_QUANTITY}"),
        ));
    }
    if let Some(m) = max
        && !(min.max(1)..=MAX_QUANTITY).contains(&m)
    {
        return Err(FieldError::new(
            ErrorCode::AmountOutOfRange,
            "max_quantity",
            format!(
                "must be from min_quantity ({}) to {MAX_QUANTITY}",
                min.max(1)
            ),
        ));
    }
    Ok((min, max))
}

fn tax(rate: Option<Milli>) -> Result<Milli, FieldError> {
    let r = rate.unwrap_or(Milli(0));
    if r.0 > 100_000 {
        return Err(FieldError::new(
            ErrorCode::AmountOutOfRange,
            "tax_rate",
            "must be a percentage between 0 and 100",
        ));
    }
    Ok(r)
}

fn codes(field: &str, list: &[String]) -> Result<Vec<String>, FieldError> {
    if list.len() > MAX_LINKS {
        return Err(FieldError::invalid(
            field,
            format!("may name at most {MAX_LINKS}"),
        ));
    }
    let mut out = Vec::with_capacity(list.len());
    for (n, c) in list.iter().enumerate() {
        let c = code(&format!("{field}[{n}]"), c)?;
        if !out.contains(&c) {
            out.push(c);
        }
    }
    Ok(out)
}

fn describe(
    name: &str,
    description: &Option<String>,
) -> Result<(String, Option<String>), FieldError> {
    let name = text::bounded("name", name, limits::NAME)?;
    let description = match description {
        Some(d) if !d.trim().is_empty() => {
            Some(text::bounded("description", d, limits::DESCRIPTION)?)
        }
        _ => None,
    };
    Ok((name, description))
}

impl CatalogPlanRequest {
    pub fn validate(&self) -> Result<Item, FieldError> {
        let code = code("code", &self.code)?;
        let (name, description) = describe(&self.name, &self.description)?;
        let interval = Interval::parse(&self.interval)
            .ok_or_else(|| FieldError::invalid("interval", "must be month, quarter or year"))?;
        let (min_quantity, max_quantity) = quantities(self.min_quantity, self.max_quantity, 1)?;
        let moves_to = codes("moves_to", &self.moves_to)?;
        if moves_to.contains(&code) {
            return Err(FieldError::invalid(
                "moves_to",
                "a plan cannot move to itself",
            ));
        }
        Ok(Item {
            kind: Kind::Plan,
            code,
            name,
            description,
            interval: Some(interval),
            prices: prices(&self.prices)?,
            tax_rate: tax(self.tax_rate)?,
            min_quantity,
            max_quantity,
            add_ons: codes("add_ons", &self.add_ons)?,
            moves_to,
        })
    }
}

impl CatalogAddOnRequest {
    pub fn validate(&self) -> Result<Item, FieldError> {
        let code = code("code", &self.code)?;
        let (name, description) = describe(&self.name, &self.description)?;
        let (min_quantity, max_quantity) = quantities(self.min_quantity, self.max_quantity, 0)?;
        Ok(Item {
            kind: Kind::AddOn,
            code,
            name,
            description,
            interval: None,
            prices: prices(&self.prices)?,
            tax_rate: tax(self.tax_rate)?,
            min_quantity,
            max_quantity,
            add_ons: Vec::new(),
            moves_to: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(json: &str) -> Result<Item, FieldError> {
        serde_json::from_str::<CatalogPlanRequest>(json)
            .unwrap()
            .validate()
    }

    #[test]
    fn a_plan_is_checked_field_by_field() {
        let p = plan(r#"{"code":"pro","name":"Pro","interval":"month","prices":{"eur":2900,"USD":3200},"max_quantity":50,"add_ons":["seats","seats"]}"#).unwrap();
        assert_eq!(p.prices.get("EUR"), Some(&2900));
        assert_eq!((p.min_quantity, p.max_quantity), (1, Some(50)));
        assert_eq!(p.add_ons, ["seats"]);
        assert_eq!(
            p.quantity_error(51).as_deref(),
            Some("Pro may be taken from 1 to 50")
        );
        assert_eq!(p.quantity_error(50), None);
        let bad = |json: &str| plan(json).unwrap_err().field;
        assert_eq!(
            bad(r#"{"code":"a b","name":"P","interval":"month","prices":{"EUR":1}}"#),
            "code"
        );
        assert_eq!(
            bad(r#"{"code":"p","name":"P","interval":"week","prices":{"EUR":1}}"#),
            "interval"
        );
        assert_eq!(
            bad(r#"{"code":"p","name":"P","interval":"month","prices":{}}"#),
            "prices"
        );
        assert_eq!(
            bad(r#"{"code":"p","name":"P","interval":"month","prices":{"XYZ":1}}"#),
            "prices.XYZ"
        );
        assert_eq!(
            bad(r#"{"code":"p","name":"P","interval":"month","prices":{"EUR":-1}}"#),
            "prices.EUR"
        );
        assert_eq!(
            bad(
                r#"{"code":"p","name":"P","interval":"month","prices":{"EUR":1},"min_quantity":5,"max_quantity":2}"#
            ),
            "max_quantity"
        );
        assert_eq!(
            bad(
                r#"{"code":"p","name":"P","interval":"month","prices":{"EUR":1},"moves_to":["p"]}"#
            ),
            "moves_to"
        );
        assert_eq!(
            bad(r#"{"code":"p","name":"","interval":"month","prices":{"EUR":1}}"#),
            "name"
        );
    }

    #[test]
    fn an_add_on_may_be_taken_zero_times() {
        let a: CatalogAddOnRequest = serde_json::from_str(
            r#"{"code":"extra-storage","name":"Storage, 100 GB","prices":{"EUR":500}}"#,
        )
        .unwrap();
        let a = a.validate().unwrap();
        assert_eq!((a.kind, a.min_quantity, a.interval), (Kind::AddOn, 0, None));
    }
}
