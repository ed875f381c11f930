//! The lines of an invoice as the company types them: used to write a new
//! invoice and to correct a disputed one.

use crate::i18n::Words;
use leptos::prelude::*;
use settle_portal::format::parse_amount;
use settle_shared::Currency;
use settle_shared::api::{LineRequest, LineResponse};
use settle_shared::decimal::Milli;

/// One line being edited, as typed.
#[derive(Clone, Copy)]
pub struct Line {
    pub description: RwSignal<String>,
    pub quantity: RwSignal<String>,
    pub unit_price: RwSignal<String>,
    pub tax: RwSignal<String>,
}

impl Line {
    pub fn new() -> Line {
        Line {
            description: RwSignal::new(String::new()),
            quantity: RwSignal::new("1".into()),
            unit_price: RwSignal::new(String::new()),
            tax: RwSignal::new("0".into()),
        }
    }

    /// A stored line to start a correction from: its unit price in major
    /// units of `currency`.
    pub fn from_stored(l: &LineResponse, currency: &str) -> Line {
        let exp = Currency::parse(currency).map_or(2, |c| c.exponent());
        let price = if exp == 0 {
            l.unit_amount.to_string()
        } else {
            let scale = 10_i64.pow(u32::from(exp));
            let sign = if l.unit_amount < 0 { "-" } else { "" };
            let abs = l.unit_amount.unsigned_abs();
            format!(
                "{sign}{}.{:0width$}",
                abs / scale as u64,
                abs % scale as u64,
                width = usize::from(exp)
            )
        };
        Line {
            description: RwSignal::new(l.description.clone()),
            quantity: RwSignal::new(l.quantity.to_string()),
            unit_price: RwSignal::new(price),
            tax: RwSignal::new(l.tax_rate.to_string()),
        }
    }
}

impl Default for Line {
    fn default() -> Self {
        Line::new()
    }
}

/// The lines as the API takes them, or the number (from 1) of the first
/// line that does not read as a quantity, a price and a tax rate.
pub fn requests(lines: &[Line], currency: &str) -> Result<Vec<LineRequest>, usize> {
    lines
        .iter()
        .enumerate()
        .map(|(n, l)| {
            let quantity = Milli::parse(l.quantity.get_untracked().trim());
            let price = parse_amount(&l.unit_price.get_untracked(), currency);
            let tax = Milli::parse(l.tax.get_untracked().trim());
            match (quantity, price, tax) {
                (Ok(q), Some(p), Ok(tx)) => Ok(LineRequest {
                    description: l.description.get_untracked(),
                    quantity: q,
                    unit_amount: i128::from(p),
                    tax_rate: Some(tx),
                    currency: None,
                }),
                _ => Err(n + 1),
            }
        })
        .collect()
}

/// What to say about line `n` that did not read.
pub fn unreadable(t: &Words, n: usize) -> String {
    format!(
        "{} {n}: {} / {} / {}",
        t.description, t.quantity, t.unit_price, t.tax_rate
    )
}

/// The lines, each with its fields, a remove button, and "add a line".
#[component]
pub fn LinesEditor(lines: RwSignal<Vec<Line>>, t: &'static Words) -> impl IntoView {
    view! {
        <fieldset>
            <legend>{t.description}</legend>
            {move || lines.get().into_iter().enumerate().map(|(n, l)| {
                let k = n + 1;
                view! {
                    <div class="line">
                        <label>{format!("{} {k}", t.description)}<input required prop:value=move || l.description.get() on:input=move |ev| l.description.set(event_target_value(&ev))/></label>
                        <label>{t.quantity}<input inputmode="decimal" required prop:value=move || l.quantity.get() on:input=move |ev| l.quantity.set(event_target_value(&ev))/></label>
                        <label>{t.unit_price}<input inputmode="decimal" required prop:value=move || l.unit_price.get() on:input=move |ev| l.unit_price.set(event_target_value(&ev))/></label>
                        <label>{t.tax_rate}<input inputmode="decimal" prop:value=move || l.tax.get() on:input=move |ev| l.tax.set(event_target_value(&ev))/></label>
                        <button type="button" class="link" disabled=move || lines.get().len() == 1
                            on:click=move |_| lines.update(|v| { v.remove(n); })>{t.remove_line}</button>
                    </div>
                }
            }).collect_view()}
            <button type="button" on:click=move |_| lines.update(|v| v.push(Line::new()))>{t.add_line}</button>
        </fieldset>
    }
}
