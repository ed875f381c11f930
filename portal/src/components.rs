//! Small pieces the pages share: the branded frame, status badges, the
//! message shown when something goes wrong.

use crate::api::{self, ApiFailure};
use crate::format::ink_for;
use crate::i18n::{Lang, fill};
use leptos::prelude::*;
use settle_shared::api::{InvoiceResponse, PortalSessionResponse};
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
