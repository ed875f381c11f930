//! On an invoice's date page: paying automatically on a chosen date with a
//! saved card or bank account, which the customer may change or cancel
//! until the day before; a failed one is shown.

use super::autopay::{label, returned_session, save_new};
use super::words::{self, Words};
use crate::api::{self, ApiFailure};
use crate::components::Failure;
use crate::format::{date, money};
use crate::i18n::{Lang, fill};
use leptos::prelude::*;
use settle_shared::api::{
    ConfirmSetupRequest, PortalMethodsResponse, PortalScheduleResponse, PortalSessionResponse,
    ScheduleRequest,
};

/// "Or pay automatically on a date", on an invoice's date page. `notice`
/// outlives the page's redraws; `changed` runs after a schedule is made,
/// changed or cancelled (the page around it reads the invoice again).
#[component]
pub(super) fn Schedule(
    session: PortalSessionResponse,
    invoice_id: String,
    notice: RwSignal<Option<&'static str>>,
    changed: Callback<()>,
) -> impl IntoView {
    let lang = Lang::from_locale(&session.locale);
    let w = words::words(lang);
    let state = RwSignal::new(None::<Result<PortalScheduleResponse, ApiFailure>>);
    let path = format!("/invoices/{invoice_id}/schedule");
    {
        let path = path.clone();
        leptos::task::spawn_local(async move {
            // Back from saving a card for this invoice: saved before anything.
            if let Some(session_id) = returned_session() {
                let body = ConfirmSetupRequest { session_id };
                if api::post::<PortalMethodsResponse, _>("/payment-methods/confirm", Some(&body))
                    .await
                    .is_ok()
                {
                    notice.set(Some(w.ap_saved));
                }
            }
            state.set(Some(api::get(&path).await));
        });
    }
    move || {
        match state.get() {
        None => ().into_any(),
        Some(Err(e)) => view! { <Failure failure=e lang=lang/> }.into_any(),
        Some(Ok(p)) if !p.available => ().into_any(),
        Some(Ok(p)) => view! {
            <SchedulePanel p=p w=w session=session.clone() path=path.clone() state=state notice=notice changed=changed/>
        }
        .into_any(),
    }
    }
}

#[component]
fn SchedulePanel(
    p: PortalScheduleResponse,
    w: &'static Words,
    session: PortalSessionResponse,
    path: String,
    state: RwSignal<Option<Result<PortalScheduleResponse, ApiFailure>>>,
    notice: RwSignal<Option<&'static str>>,
    changed: Callback<()>,
) -> impl IntoView {
    let locale = session.locale.clone();
    let current = p.schedule.clone();
    let chosen_date = RwSignal::new(
        current
            .as_ref()
            .map(|c| c.charge_on.clone())
            .unwrap_or_default(),
    );
    let chosen_method = RwSignal::new(
        current
            .as_ref()
            .map(|c| c.payment_method_id.clone())
            .or_else(|| {
                p.methods
                    .iter()
                    .find(|m| m.autopay)
                    .or(p.methods.first())
                    .map(|m| m.id.clone())
            })
            .unwrap_or_default(),
    );
    let problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let send = move |method: &'static str,
                     body: Option<ScheduleRequest>,
                     done: &'static str,
                     path: String| {
        busy.set(true);
        problem.set(None);
        leptos::task::spawn_local(async move {
            let r = api::call::<PortalScheduleResponse, _>(method, &path, body.as_ref()).await;
            busy.set(false);
            match r {
                Ok(fresh) => {
                    notice.set(Some(done));
                    state.set(Some(Ok(fresh)));
                    changed.run(());
                }
                Err(ApiFailure::Invalid(m) | ApiFailure::RateLimited(m)) => problem.set(Some(m)),
                Err(e) => state.set(Some(Err(e))),
            }
        });
    };
    let submit = {
        let path = path.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let day = chosen_date.get_untracked();
            if day.is_empty() {
                problem.set(Some(w.promise_pick.into()));
                return;
            }
            let body = ScheduleRequest {
                charge_on: day,
                payment_method_id: chosen_method.get_untracked(),
            };
            send("POST", Some(body), w.sch_saved, path.clone());
        }
    };
    let cancel = {
        let path = path.clone();
        move |_| send("DELETE", None, w.sch_cancelled, path.clone())
    };
    let status = current.as_ref().map(|c| {
        let method = c.payment_method.clone();
        let line = fill(
            &fill(
                &fill(
                    w.sch_is_set,
                    "amount",
                    &money(c.amount, &c.currency, &locale),
                ),
                "method",
                &method,
            ),
            "date",
            &date(&c.charge_on, &locale),
        );
        let error = c.last_error.clone().unwrap_or_default();
        let next = c
            .next_attempt_at
            .as_deref()
            .map(|at| super::conversation::when(at, &locale, &session.time_zone))
            .unwrap_or_default();
        let extra = match c.status.as_str() {
            "retrying" => Some(fill(&fill(w.sch_retrying, "error", &error), "date", &next)),
            "failed" => Some(fill(w.sch_failed, "error", &error)),
            _ if !c.can_change => Some(w.sch_locked.to_owned()),
            _ => None,
        };
        view! {
            <div class="panel promise-made" role="status">
                <p><strong>{line}</strong></p>
                {extra.map(|e| view! { <p>{e}</p> })}
            </div>
        }
    });
    let can_pick = p.refusal.is_none() && !p.methods.is_empty();
    let options = p
        .methods
        .iter()
        .map(|m| {
            let id = m.id.clone();
            let checked = {
                let id = id.clone();
                move || chosen_method.get() == id
            };
            let input_id = format!("pay-with-{id}");
            let for_id = input_id.clone();
            let value = id.clone();
            view! {
                <label class="choice" for=for_id>
                    <input type="radio" name="pay-with" id=input_id value=value prop:checked=checked
                        on:change=move |_| chosen_method.set(id.clone())/>
                    {label(m)}
                </label>
            }
        })
        .collect_view();
    let retry = (!p.retry_days.is_empty()).then(|| {
        let days = p
            .retry_days
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        view! { <p class="hint">{fill(w.sch_retry_days, "days", &days)}</p> }
    });
    // A failed one is shown, and a new one may be scheduled in its place.
    let has_schedule = current.as_ref().is_some_and(|c| c.status != "failed");
    let may_cancel = current.as_ref().is_some_and(|c| c.can_change);
    let invoice = p.invoice_id.clone();
    let no_methods = p.methods.is_empty() && p.refusal.is_none();
    view! {
        <section class="panel autopay" aria-labelledby="schedule-title">
            <h2 id="schedule-title">{w.sch_title}</h2>
            <p>{w.sch_lead}</p>
            {move || notice.get().map(|n| view! { <p class="panel ok" role="status">{n}</p> })}
            {status}
            {move || problem.get().map(|m| view! { <p class="panel" role="alert">{m}</p> })}
            {no_methods.then(|| {
                let invoice = invoice.clone();
                view! {
                    <p><button class="button" type="button" disabled=move || busy.get()
                        on:click=move |_| save_new("/payment-methods", Some(invoice.clone()), problem)>{w.sch_save_first}</button></p>
                    <p class="hint">{w.ap_add_hint}</p>
                }
            })}
            <form class="schedule-form" on:submit=submit hidden=!can_pick>
                <label for="charge-on">{w.sch_pick}</label>
                <input id="charge-on" type="date" required min=p.first_date.clone() max=p.last_date.clone()
                    prop:value=move || chosen_date.get() on:input=move |ev| chosen_date.set(event_target_value(&ev))/>
                <fieldset>
                    <legend>{w.sch_method}</legend>
                    {options}
                </fieldset>
                {retry}
                <button class="button" type="submit" disabled=move || busy.get()>
                    {if has_schedule { w.sch_change } else { w.sch_submit }}
                </button>
            </form>
            {may_cancel.then(|| view! {
                <p><button class="button secondary" type="button" on:click=cancel
                    disabled=move || busy.get()>{w.sch_cancel}</button></p>
            })}
            <p><a href="/payment-methods">{w.ap_title}</a></p>
        </section>
    }
}
