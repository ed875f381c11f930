//! `/invoices`: what the customer owes, then what they have paid.

use crate::api;
use crate::components::{Failure, PayButton, Shell, StatusBadge, browser_lang, set_title};
use crate::format::{date, days_until, money};
use crate::i18n::{Lang, count, fill};
use crate::{SessionResource, load};
use leptos::prelude::*;
use settle_shared::api::{InvoiceResponse, PaymentSettings, PortalSessionResponse};
use settle_shared::invoice::InvoiceStatus;
use settle_shared::pay_all::pay_together;

#[component]
pub fn InvoiceList() -> impl IntoView {
    let session = expect_context::<SessionResource>().0;
    let invoices = load(api::invoices());
    let t = browser_lang().text();
    move || match (session.get(), invoices.get()) {
        (Some(Err(e)), _) => {
            view! { <main id="main" class="narrow"><Failure failure=e lang=browser_lang()/></main> }
                .into_any()
        }
        (Some(Ok(s)), Some(Ok(list))) => {
            view! { <Shell session=s.clone()><Lists session=s invoices=list.data/></Shell> }
                .into_any()
        }
        (Some(Ok(s)), Some(Err(e))) => {
            let lang = Lang::from_locale(&s.locale);
            view! { <Shell session=s><Failure failure=e lang=lang/></Shell> }.into_any()
        }
        _ => view! { <p class="loading" role="status">{t.loading}</p> }.into_any(),
    }
}

#[component]
fn Lists(session: PortalSessionResponse, invoices: Vec<InvoiceResponse>) -> impl IntoView {
    let lang = Lang::from_locale(&session.locale);
    let t = lang.text();
    set_title(&format!(
        "{} · {}",
        t.your_invoices, session.organization.display_name
    ));
    let mut open: Vec<_> = invoices
        .iter()
        .filter(|i| i.status == InvoiceStatus::Open)
        .cloned()
        .collect();
    open.sort_by(|a, b| a.due_date.cmp(&b.due_date));
    let paid: Vec<_> = invoices
        .iter()
        .filter(|i| i.status == InvoiceStatus::Paid)
        .cloned()
        .collect();
    // Totals per currency: amounts in different currencies are never added.
    let mut totals: Vec<(String, i64)> = Vec::new();
    for i in &open {
        match totals.iter_mut().find(|(c, _)| *c == i.currency) {
            Some((_, sum)) => *sum += i.amount_due,
            None => totals.push((i.currency.clone(), i.amount_due)),
        }
    }
    let locale = session.locale.clone();
    // Each amount isolated, so that mixed directions read right in Arabic.
    let total = totals
        .iter()
        .enumerate()
        .map(|(i, (c, a))| view! { {(i > 0).then_some(" + ")}<bdi>{money(*a, c, &locale)}</bdi> })
        .collect_view();
    // Several open invoices in one currency can be paid in one go; the
    // button says exactly what that payment charges and which it pays.
    let pay_alls = totals
        .iter()
        .filter_map(|(currency, _)| {
            let together = pay_together(&open, currency)?;
            let n = together.ids.len().to_string();
            let amount = money(together.amount, currency, &locale);
            let template = if together.left == 0 { t.pay_all } else { t.pay_first };
            let label = fill(&fill(template, "n", &n), "amount", &amount);
            let first = open.iter().find(|i| i.id == together.ids[0])?.clone();
            let also = together.ids[1..].to_vec();
            let which = (together.left > 0).then(|| {
                let rest = count(t.pay_rest, together.left as i64, &locale);
                view! { <p class="pay-all-which">{fill(&rest, "numbers", &together.numbers.join(", "))}</p> }
            });
            let whole = PaymentSettings { allow_partial: false, min_partial_amount: 0, methods: Vec::new() };
            Some(view! { <div class="pay-all"><PayButton invoice=first label=label lang=lang locale=locale.clone() payments=whole also=also/>{which}</div> })
        })
        .collect_view();
    let today = session.today.clone();
    let card = move |inv: InvoiceResponse| view! { <Card invoice=inv lang=lang locale=locale.clone() today=today.clone()/> };
    let to_pay = if !open.is_empty() {
        view! {
            <section aria-labelledby="to-pay">
                <div class="section-head">
                    <h2 id="to-pay">{t.to_pay}</h2>
                    <p class="total-due">{t.total_due}" "<strong>{total}</strong></p>
                </div>
                {pay_alls}
                <ul class="cards">{open.into_iter().map(card.clone()).collect_view()}</ul>
            </section>
        }
        .into_any()
    } else if invoices.is_empty() {
        view! { <p class="panel">{t.no_invoices}</p> }.into_any()
    } else {
        view! { <p class="panel">{t.nothing_to_pay}</p> }.into_any()
    };
    let paid_section = (!paid.is_empty()).then(|| {
        view! {
            <section aria-labelledby="paid">
                <h2 id="paid">{t.paid_invoices}</h2>
                <ul class="cards">{paid.into_iter().map(card).collect_view()}</ul>
            </section>
        }
    });
    view! {
        <h1>{t.your_invoices}</h1>
        {to_pay}
        {paid_section}
    }
}

#[component]
fn Card(invoice: InvoiceResponse, lang: Lang, locale: String, today: String) -> impl IntoView {
    let t = lang.text();
    let href = format!("/invoices/{}", invoice.id);
    let is_open = invoice.status == InvoiceStatus::Open;
    let amount = if is_open {
        invoice.amount_due
    } else {
        invoice.total
    };
    let when = if is_open {
        match days_until(&today, &invoice.due_date) {
            Some(0) => t.due_today.to_owned(),
            Some(n) if n > 0 => count(t.due_in_days, n, &locale),
            Some(n) => count(t.overdue_by_days, -n, &locale),
            None => String::new(),
        }
    } else {
        format!("{} {}", t.issued, date(&invoice.issue_date, &locale))
    };
    let label = format!("{} {}", t.view_invoice, invoice.number);
    let pay = (is_open && !invoice.processing && invoice.amount_due > 0).then(|| {
        // While an early-payment offer stands, Checkout charges its amount.
        let amount = invoice.early_payment.as_ref().map_or(invoice.amount_due, |o| o.pay);
        let pay_label = fill(t.pay_now, "amount", &money(amount, &invoice.currency, &locale));
        let described = format!("{pay_label} · {} {}", t.invoice, invoice.number);
        let whole = PaymentSettings { allow_partial: false, min_partial_amount: 0, methods: Vec::new() };
        view! { <PayButton invoice=invoice.clone() label=pay_label lang=lang locale=locale.clone() payments=whole aria_label=described/> }
    });
    view! {
        <li class="card" class:overdue=invoice.overdue>
            <a href=href aria-label=label>
                <span class="card-top">
                    <span class="number">{t.invoice}" "{invoice.number.clone()}</span>
                    <StatusBadge invoice=invoice.clone() lang=lang/>
                </span>
                <span class="card-bottom">
                    <span class="amount">{money(amount, &invoice.currency, &locale)}</span>
                    <span class="when">{when}" · "{t.due}" "{date(&invoice.due_date, &locale)}</span>
                </span>
            </a>
            {pay}
        </li>
    }
}
