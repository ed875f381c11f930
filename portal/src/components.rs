//! Small pieces the pages share: the branded frame, status badges, the
//! message shown when something goes wrong.

use crate::api::{self, ApiFailure};
use crate::format::{ink_for, money, parse_amount};
use crate::i18n::{Lang, fill};
use leptos::prelude::*;
use settle_shared::api::{InvoiceResponse, PaymentSettings, PortalSessionResponse};
use settle_shared::invoice::InvoiceStatus;

/// Sets `<html lang dir>` so that Arabic reads right to left.
pub fn set_document_language(lang: Lang) {
    if let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = el.set_attribute("lang", lang.code());
        let _ = el.set_attribute("dir", lang.dir());
    }
}

/// Sets the tab title.
pub fn set_title(title: &str) {
    if let Some(d) = web_sys::window().and_then(|w| w.document()) {
        d.set_title(title);
    }
}

/// The company's frame around a page: logo or name, content, contact.
#[component]
pub fn Shell(session: PortalSessionResponse, children: Children) -> impl IntoView {
    remove_boot();
    let lang = Lang::from_locale(&session.locale);
    let t = lang.text();
    set_document_language(lang);
    let brand = session.organization.clone();
    let colour = brand
        .primary_color
        .clone()
        .unwrap_or_else(|| "#1a56db".into());
    let style = format!("--brand:{colour};--brand-ink:{}", ink_for(&colour));
    let support = brand.support_email.clone();
    let questions = fill(t.questions, "email", "\u{0}");
    let (before, after) = questions
        .split_once('\u{0}')
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .unwrap_or_default();
    let sign_out = move |_| {
        leptos::task::spawn_local(async move {
            // Signed out or already out: either way, leave the private pages.
            let _ = api::sign_out().await;
            if let Some(w) = web_sys::window() {
                let _ = w.location().replace("/link?reason=signed-out");
            }
        });
    };
    let logo = brand
        .logo_url
        .clone()
        .map(|src| view! { <img class="logo" src=src alt=brand.display_name.clone()/> });
    let name = brand.display_name.clone();
    view! {
        <div class="shell" style=style>
            <header class="brand-bar">
                <a class="brand" href="/invoices">
                    {logo}
                    <span class="brand-name">{name}</span>
                </a>
                <button class="link-button no-print" on:click=sign_out>{t.sign_out}</button>
            </header>
            <main id="main">{children()}</main>
            <footer class="contact">
                {before}<a href=format!("mailto:{support}")>{support.clone()}</a>{after}
                <br/><a href="/account">{t.saved_methods}</a>
            </footer>
        </div>
    }
}

/// Open, overdue, paid or cancelled: in words and in colour, never colour alone.
#[component]
pub fn StatusBadge(invoice: InvoiceResponse, lang: Lang) -> impl IntoView {
    let t = lang.text();
    let (class, label) = match (invoice.status, invoice.overdue) {
        (InvoiceStatus::Paid, _) => ("badge paid", t.status_paid),
        (InvoiceStatus::Void, _) => ("badge void", t.status_void),
        (_, true) => ("badge overdue", t.status_overdue),
        _ => ("badge open", t.status_open),
    };
    view! { <span class=class>{label}</span> }
}

/// What went wrong, and what the customer can do next.
#[component]
pub fn Failure(failure: ApiFailure, lang: Lang) -> impl IntoView {
    remove_boot();
    let t = lang.text();
    match failure {
        ApiFailure::SignedOut => view! {
            <div class="panel">
                <p>{t.session_over}</p>
                <a class="button" href="/link?reason=session">{t.request_title}</a>
            </div>
        }
        .into_any(),
        ApiFailure::NotFound => view! {
            <div class="panel">
                <p>{t.not_found}</p>
                <a href="/invoices">{t.back_to_invoices}</a>
            </div>
        }
        .into_any(),
        ApiFailure::RateLimited(m) | ApiFailure::Invalid(m) => {
            view! { <p class="panel" role="alert">{m}</p> }.into_any()
        }
        ApiFailure::Unavailable => view! {
            <div class="panel" role="alert">
                <p>{t.error_generic}</p>
                <button class="button" on:click=|_| {
                    if let Some(w) = web_sys::window() {
                        let _ = w.location().reload();
                    }
                }>{t.try_again}</button>
            </div>
        }
        .into_any(),
    }
}

/// The language to use before a session is known: the browser's.
pub fn browser_lang() -> Lang {
    let nav = web_sys::window()
        .map(|w| w.navigator().language().unwrap_or_default())
        .unwrap_or_default();
    Lang::from_locale(&nav)
}

/// Pays an invoice through Stripe Checkout: the whole balance, or part of
/// it when the company allows (`payments.allow_partial`).
#[component]
pub fn PayButton(
    invoice: InvoiceResponse,
    label: String,
    lang: Lang,
    locale: String,
    payments: PaymentSettings,
    /// A fuller name for screen readers, where the label alone is ambiguous.
    #[prop(optional)]
    aria_label: Option<String>,
    /// Other invoices (of the same currency) to pay together with this one.
    #[prop(optional)]
    also: Vec<String>,
) -> impl IntoView {
    let t = lang.text();
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let id = invoice.id.clone();
    let together = !also.is_empty();
    let go = move |amount: Option<i64>| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let id = id.clone();
        let also = also.clone();
        leptos::task::spawn_local(async move {
            let started = if also.is_empty() {
                api::checkout(id, amount).await
            } else {
                api::checkout_many(std::iter::once(id).chain(also).collect()).await
            };
            match started {
                Ok(c) => {
                    if let Some(w) = web_sys::window() {
                        let _ = w.location().assign(&c.url);
                    }
                }
                Err(ApiFailure::Invalid(m) | ApiFailure::RateLimited(m)) => {
                    error.set(Some(m));
                    busy.set(false);
                }
                Err(_) => {
                    error.set(Some(t.error_generic.to_owned()));
                    busy.set(false);
                }
            }
        });
    };
    let pay_all = go.clone();
    // Part of the balance, when the company allows it.
    let partial = (payments.allow_partial && !together && invoice.amount_due > 1).then(|| {
        let (due, currency) = (invoice.amount_due, invoice.currency.clone());
        let min = payments.min_partial_amount.clamp(1, due);
        let typed = RwSignal::new(String::new());
        let fmt = move |a: i64| money(a, &currency, &locale);
        let invalid = fill(&fill(t.amount_invalid, "min", &fmt(min)), "max", &fmt(due));
        let label = fill(t.amount_label, "currency", &invoice.currency);
        let currency = invoice.currency.clone();
        let submit = move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            match parse_amount(&typed.get_untracked(), &currency).filter(|a| (min..=due).contains(a)) {
                Some(a) => go(Some(a)),
                None => error.set(Some(invalid.clone())),
            }
        };
        view! {
            <details class="pay-part">
                <summary>{t.pay_part}</summary>
                <form on:submit=submit>
                    <label for="amount">{label}</label>
                    <input id="amount" name="amount" inputmode="decimal" autocomplete="off"
                        prop:value=move || typed.get() on:input=move |ev| typed.set(event_target_value(&ev))/>
                    <button class="button secondary" type="submit" disabled=move || busy.get()>{t.pay_this}</button>
                </form>
            </details>
        }
    });
    view! {
        <div class="pay no-print">
            <button class="button pay-button" aria-label=aria_label on:click=move |_| pay_all(None) disabled=move || busy.get()>
                {move || if busy.get() { t.redirecting.to_owned() } else { label.clone() }}
            </button>
            {partial}
            <div aria-live="polite">{move || error.get().map(|m| view! { <p class="error" role="alert">{m}</p> })}</div>
        </div>
    }
}

/// Removes the landing page's skeleton (`#boot`, served with a customer's
/// link so the heading shows before the wasm runs) once the portal draws
/// the page itself.
pub fn remove_boot() {
    if let Some(boot) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("boot"))
    {
        boot.remove();
    }
}

/// Waits in the browser's event loop.
pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
