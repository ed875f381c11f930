//! `/invoices/:id`: one invoice as the company issued it, printable on A4
//! and Letter.

use crate::api;
use crate::components::{Failure, PayButton, Shell, StatusBadge, browser_lang, set_title, sleep};
use crate::format::{date, money, percent};
use crate::i18n::{Lang, fill};
use crate::{Loaded, SessionResource};
use leptos::prelude::*;
use settle_shared::api::{InvoiceResponse, PortalSessionResponse};
use settle_shared::invoice::InvoiceStatus;

/// How long to wait for Stripe's confirmation after the customer comes back.
const CONFIRM_TRIES: u32 = 40;
const CONFIRM_EVERY_MS: i32 = 1500;

/// Where the page stands after a checkout.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Return {
    /// Not coming back from a checkout.
    None,
    Cancelled,
    /// Back from paying: waiting for the webhook, or gave up waiting.
    Confirming {
        waited_out: bool,
    },
}

#[component]
pub fn InvoicePage(id: String, checkout: Option<String>) -> impl IntoView {
    let session = expect_context::<SessionResource>().0;
    let invoice: Loaded<InvoiceResponse> = RwSignal::new(None);
    let back = RwSignal::new(match checkout.as_deref() {
        None => Return::None,
        Some("cancelled") => Return::Cancelled,
        Some(_) => Return::Confirming { waited_out: false },
    });
    // Coming back from Stripe: poll until the webhook has landed. The page
    // never says "paid" before the ledger does.
    leptos::task::spawn_local(async move {
        let mut tries = 0;
        loop {
            let r = api::invoice(id.clone()).await;
            let settled = match &r {
                Ok(i) => i.status == InvoiceStatus::Paid || i.processing,
                Err(_) => true,
            };
            invoice.set(Some(r));
            if !matches!(back.get_untracked(), Return::Confirming { .. }) || settled {
                break;
            }
            tries += 1;
            if tries >= CONFIRM_TRIES {
                back.set(Return::Confirming { waited_out: true });
                break;
            }
            sleep(CONFIRM_EVERY_MS).await;
        }
    });
    let t = browser_lang().text();
    move || {
        match (session.get(), invoice.get()) {
        (Some(Err(e)), _) => {
            view! { <main id="main" class="narrow"><Failure failure=e lang=browser_lang()/></main> }.into_any()
        }
        (Some(Ok(s)), Some(Ok(inv))) => {
            view! { <Shell session=s.clone()><Detail session=s invoice=inv back=back.get()/></Shell> }.into_any()
        }
        (Some(Ok(s)), Some(Err(e))) => {
            let lang = Lang::from_locale(&s.locale);
            view! { <Shell session=s><Failure failure=e lang=lang/></Shell> }.into_any()
        }
        _ => view! { <p class="loading" role="status">{t.loading}</p> }.into_any(),
    }
    }
}

/// The notice at the top of an invoice after a checkout.
fn notice(back: Return, paid: bool, processing: bool, lang: Lang) -> Option<AnyView> {
    let t = lang.text();
    let (class, text) = match back {
        Return::None => return None,
        Return::Cancelled => ("notice neutral", t.cancelled),
        _ if paid => ("notice", t.paid_thanks),
        _ if processing => ("notice neutral", t.processing_note),
        Return::Confirming { waited_out: true } => ("notice neutral", t.not_confirmed),
        Return::Confirming { waited_out: false } => ("notice neutral", t.confirming),
    };
    Some(view! { <p class=class role="status">{text}</p> }.into_any())
}

#[component]
fn Detail(session: PortalSessionResponse, invoice: InvoiceResponse, back: Return) -> impl IntoView {
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
    let payable =
        invoice.status == InvoiceStatus::Open && !invoice.processing && invoice.amount_due > 0;
    // Early payment: the discounted amount is what Checkout charges.
    let early = invoice.early_payment.clone().filter(|_| payable);
    let early_note = early.as_ref().map(|o| {
        let text = fill(
            &fill(
                &fill(t.early_offer, "date", &date(&o.until, &loc)),
                "saving",
                &m(o.discount),
            ),
            "percent",
            &percent(i64::from(o.basis_points) * 10, &loc),
        );
        view! { <p class="notice early" role="note">{text}</p> }
    });
    // A scheduled automatic payment: when, and the way to its page.
    let scheduled = invoice.scheduled_on.clone().filter(|_| payable).map(|d| {
        view! { <p class="notice early" role="note"><a href=format!("/promise/{}", invoice.id)>{fill(t.scheduled_note, "date", &date(&d, &loc))}</a></p> }
    });
    let pay = payable.then(|| {
        let label = fill(
            t.pay_now,
            "amount",
            &m(early.as_ref().map_or(invoice.amount_due, |o| o.pay)),
        );
        view! { <PayButton invoice=invoice.clone() label=label lang=lang locale=loc.clone() payments=session.payments.clone()/> }
    });
    // "Something's wrong?" opens the dispute pages (their own bundle).
    // In dispute: the mark and the way back to the conversation instead.
    let wrong = (invoice.status == InvoiceStatus::Open).then(|| match &invoice.dispute_id {
        Some(d) => view! { <a class="wrong" href=format!("/disputes/{d}")>{t.in_dispute}</a> }.into_any(),
        None => view! { <a class="wrong" href=format!("/disputes/new/{}", invoice.id)>{t.something_wrong}</a> }
            .into_any(),
    });
    // "Can't pay today?" opens the promise page (the same bundle).
    let promise = (payable && invoice.dispute_id.is_none()).then(|| {
        view! {
            <a class="wrong" href=format!("/promise/{}", invoice.id)>{t.choose_date}</a>
            <a class="wrong" href=format!("/plan/{}", invoice.id)>{t.in_instalments}</a>
        }
    });
    let notice = notice(
        back,
        invoice.status == InvoiceStatus::Paid,
        invoice.processing,
        lang,
    );
    view! {
        <p class="no-print"><a href="/invoices"><span class="back-arrow" aria-hidden="true">"←"</span>" "{t.back_to_invoices}</a></p>
        {notice}
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
            {early_note}
            {scheduled}
            {pay}
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
                {has_paid.then(|| view! { <div><dt>{t.paid}</dt><dd>{paid}</dd></div> })}
                <div class="grand"><dt>{t.balance_due}</dt><dd>{m(invoice.amount_due)}</dd></div>
            </dl>
            {memo}
        </article>
        <p class="no-print actions">
            <button class="button secondary" on:click=print>{t.print}</button>
            {promise}
            {wrong}
        </p>
    }
}
