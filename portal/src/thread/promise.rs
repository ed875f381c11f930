//! "Choose a date": the customer promises to pay an invoice by a date they
//! pick within the company's limit (in their own time zone), sees the
//! promise and when it will be reminded, and may change the date once.

use super::{conversation::when, words};
use crate::api::{self, ApiFailure};
use crate::components::{Failure, set_title};
use crate::format::{date, money};
use crate::i18n::{Lang, fill};
use leptos::prelude::*;
use settle_shared::api::{PortalPromiseResponse, PortalSessionResponse, PromiseRequest};

/// The invoice's promise page.
#[component]
pub(super) fn Promise(session: PortalSessionResponse, invoice_id: String) -> impl IntoView {
    let lang = Lang::from_locale(&session.locale);
    let t = lang.text();
    let state = RwSignal::new(None::<Result<PortalPromiseResponse, ApiFailure>>);
    // Outlive each redraw of the page, which a saved promise or schedule causes.
    let saved = RwSignal::new(false);
    let scheduled = RwSignal::new(None::<&'static str>);
    let path = format!("/invoices/{invoice_id}/promise");
    {
        let path = path.clone();
        leptos::task::spawn_local(async move { state.set(Some(api::get(&path).await)) });
    }
    move || {
        match state.get() {
        None => view! { <p class="loading" role="status">{t.loading}</p> }.into_any(),
        Some(Err(e)) => view! { <Failure failure=e lang=lang/> }.into_any(),
        Some(Ok(p)) => view! {
            <Page p=p session=session.clone() path=path.clone() state=state saved=saved scheduled=scheduled lang=lang/>
        }
        .into_any(),
    }
    }
}

#[component]
fn Page(
    p: PortalPromiseResponse,
    session: PortalSessionResponse,
    path: String,
    state: RwSignal<Option<Result<PortalPromiseResponse, ApiFailure>>>,
    saved: RwSignal<bool>,
    scheduled: RwSignal<Option<&'static str>>,
    lang: Lang,
) -> impl IntoView {
    let w = words::words(lang);
    let locale = session.locale.clone();
    let company = session.organization.display_name.clone();
    set_title(&fill(w.promise_title, "number", &p.number));
    let chosen = RwSignal::new(
        p.promise
            .as_ref()
            .map(|c| c.promised_date.clone())
            .unwrap_or_default(),
    );
    let note = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    // A schedule made or cancelled below changes what may be promised.
    let reread = {
        let path = path.clone();
        Callback::new(move |()| {
            let path = path.clone();
            leptos::task::spawn_local(async move { state.set(Some(api::get(&path).await)) });
        })
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let day = chosen.get_untracked();
        if day.is_empty() {
            problem.set(Some(w.promise_pick.into()));
            return;
        }
        let text = note.get_untracked();
        let body = PromiseRequest {
            promised_date: day,
            note: (!text.trim().is_empty()).then_some(text),
        };
        let path = path.clone();
        busy.set(true);
        problem.set(None);
        leptos::task::spawn_local(async move {
            let r = api::post::<PortalPromiseResponse, _>(&path, Some(&body)).await;
            busy.set(false);
            match r {
                Ok(fresh) => {
                    saved.set(true);
                    state.set(Some(Ok(fresh)));
                }
                Err(ApiFailure::Invalid(m) | ApiFailure::RateLimited(m)) => problem.set(Some(m)),
                Err(e) => state.set(Some(Err(e))),
            }
        });
    };
    let invoice_link = format!("/invoices/{}", p.invoice_id);
    let amount = money(p.amount_due, &p.currency, &locale);
    let range = fill(
        &fill(w.promise_range, "first", &date(&p.first_date, &locale)),
        "last",
        &date(&p.last_date, &locale),
    );
    let grace = fill(w.promise_grace, "days", &p.grace_days.to_string());
    let current = p.promise.clone();
    let can_pick = p.refusal.is_none();
    let changed_once = p
        .refusal
        .as_ref()
        .is_some_and(|r| r.code == "promise_changed_once");
    let made = current.as_ref().map(|c| {
        let reminder = c
            .reminder_at
            .as_deref()
            .map(|at| fill(w.promise_reminder, "date", &when(at, &locale, &session.time_zone)));
        view! {
            <div class="panel promise-made" role="status">
                <p><strong>{fill(w.promise_made, "date", &date(&c.promised_date, &locale))}</strong></p>
                {reminder.map(|r| view! { <p>{r}</p> })}
                <p>{grace.clone()}</p>
                {c.note.clone().map(|n| view! { <p class="note">{n}</p> })}
            </div>
        }
    });
    let refusal = (current.is_none() || !changed_once)
        .then(|| p.refusal.clone())
        .flatten()
        .map(|r| view! { <p class="panel" role="alert">{r.message}</p> });
    let lead = if current.is_some() {
        if changed_once {
            fill(w.promise_change_once, "company", &company)
        } else {
            w.promise_change.to_owned()
        }
    } else {
        fill(w.promise_lead, "company", &company)
    };
    let submit_label = if current.is_some() {
        w.promise_change_submit
    } else {
        w.promise_submit
    };
    view! {
        <p class="no-print"><a href=invoice_link.clone()>{w.promise_back}</a></p>
        <h1>{fill(w.promise_title, "number", &p.number)}</h1>
        <p class="amount-line">{amount}</p>
        {move || saved.get().then(|| view! { <p class="panel ok" role="status">{w.promise_saved}</p> })}
        {made}
        {refusal}
        <p>{lead}</p>
        {move || problem.get().map(|m| view! { <p class="panel" role="alert">{m}</p> })}
        <form class="promise-form" on:submit=submit hidden=!can_pick>
            <label for="promised-date">{w.promise_pick}</label>
            <input id="promised-date" type="date" required min=p.first_date.clone() max=p.last_date.clone()
                aria-describedby="promise-range"
                prop:value=move || chosen.get() on:input=move |ev| chosen.set(event_target_value(&ev))/>
            <p id="promise-range" class="hint">{range}" "{fill(w.promise_grace, "days", &p.grace_days.to_string())}</p>
            <label for="promise-note">{fill(w.promise_note, "company", &company)}</label>
            <textarea id="promise-note" rows="3" maxlength="500" aria-describedby="promise-note-hint"
                prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev))></textarea>
            <p id="promise-note-hint" class="hint">{w.promise_note_hint}</p>
            <button class="button" type="submit" disabled=move || busy.get()>{submit_label}</button>
        </form>
        <p><a class="button secondary" href=invoice_link>{w.promise_pay_now}</a></p>
        <super::schedule::Schedule session=session.clone() invoice_id=p.invoice_id.clone()
            notice=scheduled changed=reread/>
    }
}
