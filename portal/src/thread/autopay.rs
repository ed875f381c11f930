//! Saved cards and autopay (`/payment-methods`): the customer's saved
//! cards and bank accounts, saving one on the payment provider's page,
//! removing one, and autopay for new invoices. Paying automatically on a
//! chosen date is `schedule`.

use super::words::{self, Words};
use crate::api::{self, ApiFailure};
use crate::components::{Failure, set_title};
use crate::i18n::{Lang, fill};
use leptos::prelude::*;
use settle_shared::api::{
    AutopayRequest, ConfirmSetupRequest, PortalMethodsResponse, PortalSessionResponse,
    SavedMethodResponse, SetupRequest, SetupResponse,
};

/// `Visa ···· 4242`, as the server words it.
pub(super) fn label(m: &SavedMethodResponse) -> String {
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
pub(super) fn returned_session() -> Option<String> {
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
pub(super) fn save_new(
    back: &'static str,
    invoice: Option<String>,
    problem: RwSignal<Option<String>>,
) {
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
