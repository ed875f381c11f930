//! `/invoices/:id`: one invoice as the company issued it, printable on A4
//! and Letter.

use crate::api;
use crate::components::{Failure, Shell, StatusBadge, browser_lang, set_title};
use crate::format::{date, money, percent};
use crate::i18n::Lang;
use crate::{Loaded, SessionResource};
use leptos::prelude::*;
use settle_shared::api::{InvoiceResponse, PortalSessionResponse};

#[component]
pub fn InvoicePage(id: String) -> impl IntoView {
    let session = expect_context::<SessionResource>().0;
    let invoice: Loaded<InvoiceResponse> = RwSignal::new(None);
    leptos::task::spawn_local(async move { invoice.set(Some(api::invoice(id).await)) });
    let t = browser_lang().text();
    move || match (session.get(), invoice.get()) {
        (Some(Err(e)), _) => {
            view! { <main id="main" class="narrow"><Failure failure=e lang=browser_lang()/></main> }
                .into_any()
        }
        (Some(Ok(s)), Some(Ok(inv))) => {
            view! { <Shell session=s.clone()><Detail session=s invoice=inv/></Shell> }.into_any()
        }
        (Some(Ok(s)), Some(Err(e))) => {
            let lang = Lang::from_locale(&s.locale);
            view! { <Shell session=s><Failure failure=e lang=lang/></Shell> }.into_any()
        }
        _ => view! { <p class="loading" role="status">{t.loading}</p> }.into_any(),
    }
}

#[component]
fn Detail(session: PortalSessionResponse, invoice: InvoiceResponse) -> impl IntoView {
    let lang = Lang::from_locale(&session.locale);
    let t = lang.text();
    let loc = session.locale.clone();
    let cur = invoice.currency.clone();
    let m = {
        let (loc, cur) = (loc.clone(), cur.clone());
        move |a: i64| money(a, &cur, &loc)
    };
    set_title(&format!(
        "{} {} · {}",
        t.invoice, invoice.number, session.organization.display_name
    ));
    let lines = invoice
        .lines
        .iter()
        .map(|l| {
            let m = m.clone();
            view! {
                <tr>
                    <td class="desc" data-label=t.description>{l.description.clone()}</td>
                    <td class="num" data-label=t.quantity>{l.quantity.to_string()}</td>
                    <td class="num" data-label=t.unit_price>{m(l.unit_amount)}</td>
                    <td class="num" data-label=t.tax_rate>{percent(l.tax_rate.0, &loc)}</td>
                    <td class="num" data-label=t.amount>{m(l.net)}</td>
                </tr>
            }
        })
        .collect_view();
    let memo = invoice
        .memo
        .clone()
        .map(|memo| view! { <section class="memo"><h2>{t.note}</h2><p>{memo}</p></section> });
    let print = |_| {
        if let Some(w) = web_sys::window() {
            let _ = w.print();
        }
    };
    let has_paid = invoice.amount_paid > 0;
    let paid = m(invoice.amount_paid);
    view! {
        <p class="no-print"><a href="/invoices"><span class="back-arrow" aria-hidden="true">"←"</span>" "{t.back_to_invoices}</a></p>
        <article class="invoice">
            <header class="invoice-head">
                <h1>{t.invoice}" "{invoice.number.clone()}</h1>
                <StatusBadge invoice=invoice.clone() lang=lang/>
            </header>
            <dl class="facts">
                <div><dt>{t.billed_to}</dt><dd>{session.customer_name.clone()}</dd></div>
                <div><dt>{t.issued}</dt><dd>{date(&invoice.issue_date, &loc)}</dd></div>
                <div><dt>{t.due}</dt><dd>{date(&invoice.due_date, &loc)}</dd></div>
                <div class="due-now"><dt>{t.amount_due}</dt><dd>{m(invoice.amount_due)}</dd></div>
            </dl>
            <table class="lines">
                <thead>
                    <tr>
                        <th scope="col">{t.description}</th>
                        <th scope="col" class="num">{t.quantity}</th>
                        <th scope="col" class="num">{t.unit_price}</th>
                        <th scope="col" class="num">{t.tax_rate}</th>
                        <th scope="col" class="num">{t.amount}</th>
                    </tr>
                </thead>
                <tbody>{lines}</tbody>
            </table>
            <dl class="totals">
                <div><dt>{t.subtotal}</dt><dd>{m(invoice.subtotal)}</dd></div>
                <div><dt>{t.tax}</dt><dd>{m(invoice.tax)}</dd></div>
                <div class="grand"><dt>{t.total}</dt><dd>{m(invoice.total)}</dd></div>
                <Show when=move || has_paid>
                    <div><dt>{t.paid}</dt><dd>{paid.clone()}</dd></div>
                </Show>
                <div class="grand"><dt>{t.balance_due}</dt><dd>{m(invoice.amount_due)}</dd></div>
            </dl>
            {memo}
        </article>
        <p class="no-print"><button class="button secondary" on:click=print>{t.print}</button></p>
    }
}
