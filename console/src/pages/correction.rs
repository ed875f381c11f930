//! Ending a dispute with a corrected invoice (the console's dispute page):
//! the invoice's own lines to start from, a number and due date left to
//! the API's defaults unless typed, and what the customer reads. The old
//! invoice is voided; the new one is emailed.

use crate::api::{self, ApiFailure};
use crate::lines::{self, Line, LinesEditor};
use crate::shell::{Failure, Session};
use leptos::prelude::*;
use settle_shared::api::{
    CorrectedInvoiceRequest, DisputeResponse, InvoiceResponse, ResolveDisputeRequest,
};

/// Replaces the disputed invoice with a corrected one: its lines to start
/// from, a number and due date left to the API's defaults unless typed,
/// and the message the customer reads. The old invoice is voided; the new
/// one is emailed.
#[component]
pub fn Correction(
    id: String,
    invoice_id: String,
    currency: String,
    set: RwSignal<Option<Result<DisputeResponse, ApiFailure>>>,
) -> impl IntoView {
    let t = expect_context::<Session>().t();
    let lines = RwSignal::new(Vec::<Line>::new());
    let number = RwSignal::new(String::new());
    let due = RwSignal::new(String::new());
    let words = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<ApiFailure>);
    let opened = RwSignal::new(false);
    let load = {
        let currency = currency.clone();
        move |ev: leptos::ev::Event| {
            let open = event_target::<web_sys::HtmlDetailsElement>(&ev).open();
            if !open || opened.get_untracked() {
                return;
            }
            opened.set(true);
            let (path, currency) = (format!("/invoices/{invoice_id}"), currency.clone());
            leptos::task::spawn_local(async move {
                match api::get::<InvoiceResponse>(&path).await {
                    Ok(inv) => lines.set(
                        inv.lines
                            .iter()
                            .map(|l| Line::from_stored(l, &currency))
                            .collect(),
                    ),
                    Err(e) => problem.set(Some(e)),
                }
            });
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let out = match lines::requests(&lines.get_untracked(), &currency) {
            Ok(out) => out,
            Err(n) => {
                problem.set(Some(ApiFailure::Refused(lines::unreadable(t, n))));
                return;
            }
        };
        let given = |s: RwSignal<String>| {
            Some(s.get_untracked().trim().to_owned()).filter(|v| !v.is_empty())
        };
        let body = ResolveDisputeRequest {
            outcome: Some("corrected_invoice".into()),
            credit_amount: None,
            corrected_invoice: Some(CorrectedInvoiceRequest {
                number: given(number),
                due_date: given(due),
                memo: None,
                lines: out,
            }),
            resolution: words.get_untracked(),
        };
        let path = format!("/disputes/{id}/resolve");
        leptos::task::spawn_local(async move {
            match api::post::<DisputeResponse, _>(&path, &body).await {
                Ok(d) => {
                    problem.set(None);
                    set.set(Some(Ok(d)));
                }
                Err(e) => problem.set(Some(e)),
            }
        });
    };
    view! {
        <details class="card correction" on:toggle=load>
            <summary><h2>{t.resolve_corrected}</h2></summary>
            <form class="invoice-form" on:submit=submit>
                <p>{t.corrected_lead}</p>
                {move || problem.get().map(|e| view! { <Failure failure=e/> })}
                <label for="c-number">{t.number}</label>
                <input id="c-number" placeholder=t.corrected_number_default prop:value=move || number.get()
                    on:input=move |ev| number.set(event_target_value(&ev))/>
                <label for="c-due">{t.due_date}</label>
                <input id="c-due" type="date" prop:value=move || due.get() on:input=move |ev| due.set(event_target_value(&ev))/>
                <LinesEditor lines t/>
                <label for="c-words">{t.corrected_message}</label>
                <textarea id="c-words" rows="3" required prop:value=move || words.get()
                    on:input=move |ev| words.set(event_target_value(&ev))></textarea>
                <button type="submit" disabled=move || lines.get().is_empty()>{t.resolve_corrected}</button>
            </form>
        </details>
    }
}
