//! Saved cards and autopay (`/payment-methods`): the customer's saved
//! cards and bank accounts, saving one on the payment provider's page,
//! removing one, and autopay for new invoices. And, on an invoice's date
//! page, paying automatically on a chosen date with a saved method, which
//! the customer may change or cancel until the day before.

use super::words::{self, Words};
use crate::api::{self, ApiFailure};
use crate::components::{Failure, set_title};
use crate::format::{date, money};
use crate::i18n::{Lang, fill};
use leptos::prelude::*;
use settle_shared::api::{
    AutopayRequest, ConfirmSetupRequest, PortalMethodsResponse, PortalScheduleResponse,
    PortalSessionResponse, SavedMethodResponse, ScheduleRequest, SetupRequest, SetupResponse,
};

/// `Visa ···· 4242`, as the server words it.
fn label(m: &SavedMethodResponse) -> String {
    let name = match (m.kind.as_str(), m.brand.as_deref()) {
        ("card", Some(b)) => {
            let mut c = b.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        }
        ("sepa_debit", _) => "SEPA".into(),
        ("card", None) => "Card".into(),
        _ => "Bank account".into(),
    };
    format!("{name} ···· {}", m.last4)
}

/// The Checkout Session id Stripe sends the customer back with, if any;
/// the address bar loses it so that a reload does not confirm again.
fn returned_session() -> Option<String> {
    let w = web_sys::window()?;
    let search = w.location().search().ok()?;
    let id = search
        .trim_start_matches('?')
        .split('&')
        .find_map(|p| p.strip_prefix("saved="))?
        .to_owned();
    let path = w.location().pathname().ok()?;
    if let Ok(h) = w.history() {
        let _ = h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&path));
    }
    (!id.is_empty()).then_some(id)
}

/// Sends the customer to the provider's page to save a card, coming back
/// to `back`.
fn save_new(back: &'static str, invoice: Option<String>, problem: RwSignal<Option<String>>) {
    let return_to = match invoice {
        Some(id) => format!("/promise/{id}"),
        None => back.to_owned(),
    };
    leptos::task::spawn_local(async move {
        let body = SetupRequest {
            return_to: Some(return_to),
        };
        match api::post::<SetupResponse, _>("/payment-methods/setup", Some(&body)).await {
            Ok(s) => super::go(&s.url),
            Err(ApiFailure::Invalid(m) | ApiFailure::RateLimited(m)) => problem.set(Some(m)),
            Err(_) => problem.set(Some(
                "We could not reach the payment provider. Please try again.".into(),
            )),
        }
    });
}

/// The saved-methods page.
#[component]
pub(super) fn Methods(session: PortalSessionResponse) -> impl IntoView {
    let lang = Lang::from_locale(&session.locale);
    let t = lang.text();
    let w = words::words(lang);
    set_title(w.ap_title);
    let state = RwSignal::new(None::<Result<PortalMethodsResponse, ApiFailure>>);
    let notice = RwSignal::new(None::<&'static str>);
    leptos::task::spawn_local(async move {
        let r = match returned_session() {
            Some(session_id) => {
                let body = ConfirmSetupRequest { session_id };
                let r = api::post("/payment-methods/confirm", Some(&body)).await;
                if r.is_ok() {
                    notice.set(Some(w.ap_saved));
                }
                r
            }
            None => api::get("/payment-methods").await,
        };
        state.set(Some(r));
    });
    let company = session.organization.display_name.clone();
    move || match state.get() {
        None => view! { <p class="loading" role="status">{t.loading}</p> }.into_any(),
        Some(Err(e)) => view! { <Failure failure=e lang=lang/> }.into_any(),
        Some(Ok(m)) => view! {
            <MethodsPage m=m w=w lang=lang company=company.clone() state=state notice=notice/>
        }
        .into_any(),
    }
}

#[component]
fn MethodsPage(
    m: PortalMethodsResponse,
    w: &'static Words,
    lang: Lang,
    company: String,
    state: RwSignal<Option<Result<PortalMethodsResponse, ApiFailure>>>,
    notice: RwSignal<Option<&'static str>>,
) -> impl IntoView {
    let t = lang.text();
    let problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    // Applies a change and shows the fresh list, or says what went wrong.
    let apply = move |done: Option<&'static str>,
                      fut: std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<PortalMethodsResponse, ApiFailure>>>,
    >| {
        busy.set(true);
        problem.set(None);
        leptos::task::spawn_local(async move {
            let r = fut.await;
            busy.set(false);
            match r {
                Ok(fresh) => {
                    notice.set(done);
                    state.set(Some(Ok(fresh)));
                }
                Err(ApiFailure::Invalid(msg) | ApiFailure::RateLimited(msg)) => {
                    problem.set(Some(msg))
                }
                Err(e) => state.set(Some(Err(e))),
            }
        });
    };
    if !m.available {
        return view! {
            <h1>{w.ap_title}</h1>
            <p class="panel">{fill(w.ap_unavailable, "company", &company)}</p>
            <p><a href="/invoices">{t.back_to_invoices}</a></p>
        }
        .into_any();
    }
    let chosen = RwSignal::new(
        m.autopay_method_id
            .clone()
            .or_else(|| m.methods.first().map(|x| x.id.clone()))
            .unwrap_or_default(),
    );
    let list = m
        .methods
        .iter()
        .map(|x| {
            let id = x.id.clone();
            let expiry = match (x.exp_month, x.exp_year) {
                (Some(mo), Some(y)) => format!(
                    " · {}",
                    fill(w.ap_expires, "date", &format!("{mo:02}/{y}"))
                ),
                _ => String::new(),
            };
            let name = label(x);
            let remove = move |_| {
                let path = format!("/payment-methods/{id}");
                apply(
                    Some(w.ap_removed),
                    Box::pin(async move { api::call::<_, ()>("DELETE", &path, None).await }),
                );
            };
            view! {
                <li class="saved-method">
                    <span><strong>{name.clone()}</strong>{expiry}</span>
                    <button class="button secondary" type="button" on:click=remove
                        disabled=move || busy.get() aria-label=format!("{} {name}", w.ap_remove)>{w.ap_remove}</button>
                </li>
            }
        })
        .collect_view();
    let has_methods = !m.methods.is_empty();
    let status = match m
        .autopay_method_id
        .as_ref()
        .and_then(|id| m.methods.iter().find(|x| &x.id == id))
    {
        Some(x) => fill(w.ap_autopay_is_on, "method", &label(x)),
        None => w.ap_autopay_is_off.to_owned(),
    };
    let on = m.autopay_method_id.is_some();
    // With one method and autopay on, there is nothing to choose.
    let single = m.methods.len() == 1;
    let options = m
        .methods
        .iter()
        .map(|x| view! { <option value=x.id.clone()>{label(x)}</option> })
        .collect_view();
    let turn_on = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = AutopayRequest {
            payment_method_id: Some(chosen.get_untracked()),
        };
        apply(
            None,
            Box::pin(async move { api::call("PUT", "/autopay", Some(&body)).await }),
        );
    };
    let turn_off = move |_| {
        let body = AutopayRequest {
            payment_method_id: None,
        };
        apply(
            None,
            Box::pin(async move { api::call("PUT", "/autopay", Some(&body)).await }),
        );
    };
    view! {
        <p class="no-print"><a href="/invoices">{t.back_to_invoices}</a></p>
        <h1>{w.ap_title}</h1>
        <p>{fill(w.ap_lead, "company", &company)}</p>
        {move || notice.get().map(|n| view! { <p class="panel ok" role="status">{n}</p> })}
        {move || problem.get().map(|msg| view! { <p class="panel" role="alert">{msg}</p> })}
        {if has_methods {
            view! { <ul class="saved-methods">{list}</ul> }.into_any()
        } else {
            view! { <p>{w.ap_none}</p> }.into_any()
        }}
        <p><button class="button" type="button" disabled=move || busy.get()
            on:click=move |_| save_new("/payment-methods", None, problem)>{w.ap_add}</button></p>
        <p class="hint">{w.ap_add_hint}</p>
        <section class="panel autopay" aria-labelledby="autopay-title" hidden=!has_methods>
            <h2 id="autopay-title">{w.ap_autopay}</h2>
            <p>{fill(w.ap_autopay_lead, "company", &company)}</p>
            <p role="status"><strong>{status}</strong></p>
            <form on:submit=turn_on hidden=on && single>
                <label for="autopay-method">{w.ap_autopay_with}</label>
                <select id="autopay-method" prop:value=move || chosen.get()
                    on:change=move |ev| chosen.set(event_target_value(&ev))>{options}</select>
                <button class="button" type="submit" disabled=move || busy.get()>{w.ap_autopay_on}</button>
            </form>
            {on.then(|| view! {
                <p><button class="button secondary" type="button" on:click=turn_off
                    disabled=move || busy.get()>{w.ap_autopay_off}</button></p>
            })}
        </section>
    }
    .into_any()
}

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
