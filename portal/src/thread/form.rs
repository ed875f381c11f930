//! "Something's wrong": the reason, the part of the invoice, what was
//! expected, a message.

use super::{go, words};
use crate::api::{self, ApiFailure};
use crate::components::{Failure, set_title};
use crate::format::{money, parse_amount};
use crate::i18n::{Lang, fill};
use leptos::prelude::*;
use settle_shared::api::{
    DisputeResponse, InvoiceResponse, OpenDisputeRequest, PortalSessionResponse,
};
use settle_shared::dispute::{MAX_MESSAGE_CHARS, Reason};
use words::Words;

fn reason_label(w: &Words, r: Reason) -> &'static str {
    match r {
        Reason::NotReceived => w.r_not_received,
        Reason::WrongAmount => w.r_wrong_amount,
        Reason::WrongItems => w.r_wrong_items,
        Reason::Quality => w.r_quality,
        Reason::AlreadyPaid => w.r_already_paid,
        Reason::Duplicate => w.r_duplicate,
        Reason::Other => w.r_other,
    }
}

/// "Something's wrong": the reason, the part of the invoice, what was
/// expected, a message.
#[component]
pub(super) fn NewDispute(session: PortalSessionResponse, invoice_id: String) -> impl IntoView {
    let lang = Lang::from_locale(&session.locale);
    let t = lang.text();
    let w = words::words(lang);
    let company = session.organization.display_name.clone();
    let invoice = RwSignal::new(None::<Result<InvoiceResponse, ApiFailure>>);
    {
        let id = invoice_id.clone();
        leptos::task::spawn_local(async move { invoice.set(Some(api::invoice(id).await)) });
    }
    let locale = session.locale.clone();
    move || match invoice.get() {
        None => view! { <p class="loading" role="status">{t.loading}</p> }.into_any(),
        Some(Err(e)) => view! { <Failure failure=e lang=lang/> }.into_any(),
        Some(Ok(inv)) => {
            set_title(&fill(w.title_new, "number", &inv.number));
            view! { <Form invoice=inv company=company.clone() locale=locale.clone() lang=lang/> }
                .into_any()
        }
    }
}

#[component]
fn Form(invoice: InvoiceResponse, company: String, locale: String, lang: Lang) -> impl IntoView {
    let w = words::words(lang);
    let reason = RwSignal::new(None::<Reason>);
    let some_lines = RwSignal::new(false);
    let chosen = RwSignal::new(Vec::<u32>::new());
    let expected = RwSignal::new(String::new());
    let message = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let already = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let (id, currency) = (invoice.id.clone(), invoice.currency.clone());
    let submit = {
        let (id, currency) = (id.clone(), currency.clone());
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let Some(r) = reason.get_untracked() else {
                problem.set(Some(w.choose_reason.into()));
                return;
            };
            let lines = some_lines.get_untracked().then(|| chosen.get_untracked());
            if lines.as_ref().is_some_and(Vec::is_empty) {
                problem.set(Some(w.choose_lines.into()));
                return;
            }
            let expected_amount = if r.needs_expected_amount() {
                match parse_amount(&expected.get_untracked(), &currency) {
                    Some(a) => Some(a),
                    None => {
                        problem.set(Some(w.expected.into()));
                        return;
                    }
                }
            } else {
                None
            };
            let text = message.get_untracked();
            let body = OpenDisputeRequest {
                reason: r,
                lines,
                expected_amount,
                message: (!text.trim().is_empty()).then_some(text),
            };
            let id = id.clone();
            busy.set(true);
            leptos::task::spawn_local(async move {
                let r = api::post::<DisputeResponse, _>(
                    &format!("/invoices/{id}/disputes"),
                    Some(&body),
                )
                .await;
                busy.set(false);
                match r {
                    Ok(d) => go(&format!("/disputes/{}", d.id)),
                    Err(ApiFailure::Invalid(m)) if m.contains("already in dispute") => {
                        already.set(true)
                    }
                    Err(ApiFailure::Invalid(m) | ApiFailure::RateLimited(m)) => {
                        problem.set(Some(m))
                    }
                    Err(_) => problem.set(Some(lang.text().error_generic.into())),
                }
            });
        }
    };
    let lines = invoice
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let n = (i + 1) as u32;
            let label = format!(
                "{} · {}",
                l.description,
                money(l.net + l.tax, &currency, &locale)
            );
            let input_id = format!("line-{n}");
            view! {
                <label class="choice">
                    <input type="checkbox" id=input_id on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        chosen.update(|c| {
                            c.retain(|x| *x != n);
                            if on { c.push(n); c.sort_unstable(); }
                        });
                    }/>
                    {label}
                </label>
            }
        })
        .collect_view();
    view! {
        <p class="no-print"><a href=format!("/invoices/{id}")>{w.cancel}</a></p>
        <h1>{fill(w.title_new, "number", &invoice.number)}</h1>
        <p>{fill(w.lead_new, "company", &company)}</p>
        {move || problem.get().map(|m| view! { <p class="panel" role="alert">{m}</p> })}
        {move || already.get().then(|| view! {
            <p class="panel" role="alert">{w.already}" "<a href="/disputes">{w.open_it}</a></p>
        })}
        <form class="dispute-form" on:submit=submit>
            <fieldset>
                <legend>{w.reason}</legend>
                {Reason::ALL.into_iter().map(|r| {
                    let input_id = format!("reason-{}", r.as_str());
                    view! {
                        <label class="choice">
                            <input type="radio" name="reason" id=input_id value=r.as_str()
                                on:change=move |_| { reason.set(Some(r)); problem.set(None); }/>
                            {reason_label(w, r)}
                        </label>
                    }
                }).collect_view()}
            </fieldset>
            <fieldset>
                <legend>{w.which_part}</legend>
                <label class="choice" for="part-whole">
                    <input type="radio" name="part" id="part-whole" checked on:change=move |_| some_lines.set(false)/>
                    {w.whole}
                </label>
                <label class="choice" for="part-lines">
                    <input type="radio" name="part" id="part-lines" on:change=move |_| some_lines.set(true)/>
                    {w.some_lines}
                </label>
                <div class="lines-choice" hidden=move || !some_lines.get()>{lines}</div>
            </fieldset>
            <div hidden=move || reason.get() != Some(Reason::WrongAmount)>
                <label for="expected">{format!("{} ({})", w.expected, currency)}</label>
                <input id="expected" inputmode="decimal" prop:value=move || expected.get()
                    on:input=move |ev| expected.set(event_target_value(&ev))/>
            </div>
            <label for="message">{w.message}</label>
            <textarea id="message" rows="5" maxlength=MAX_MESSAGE_CHARS.to_string() aria-describedby="message-hint"
                prop:value=move || message.get() on:input=move |ev| message.set(event_target_value(&ev))></textarea>
            <p id="message-hint" class="hint">{w.message_hint}</p>
            <button class="button" type="submit" disabled=move || busy.get()>{fill(w.send_dispute, "company", &company)}</button>
        </form>
    }
}
