//! The customer's dispute pages, a bundle of their own under `/disputes/`
//! (the pay path never loads them): say what is wrong with an invoice, then
//! talk it through with the company in a thread, newest message at the
//! bottom, with the sender's name, the time in the customer's time zone and
//! whether the company has read it. A rejection can be contested once.
//!
//! - `/disputes/new/{invoice}`: the form.
//! - `/disputes/{id}`: the thread.
//! - `/disputes`: the customer's disputes.
//! - `/promise/{invoice}`: choose a date to pay (promises to pay).
//! - `/plan/{invoice}`: pay in instalments.
//! - `/payment-methods`: saved cards and autopay.
//! - `/account`: subscriptions, changed or cancelled with the proration
//!   shown first.

mod account;
mod account_words;
mod autopay;
mod conversation;
mod form;
pub mod live;
mod plan;
mod promise;
mod schedule;
pub mod words;

use crate::api::{self, ApiFailure};
use crate::components::{Failure, Shell, browser_lang, set_title};
use crate::i18n::{Lang, fill};
use leptos::prelude::*;
use settle_shared::api::{DisputeResponse, ListResponse, PortalSessionResponse};

enum Page {
    New(String),
    Thread(String),
    Promise(String),
    Plan(String),
    Methods,
    Account,
    List,
}

fn page() -> Page {
    let path = web_sys::window()
        .and_then(|w| w.location().pathname().ok())
        .unwrap_or_default();
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match parts.as_slice() {
        ["disputes", "new", invoice] => Page::New((*invoice).to_owned()),
        ["disputes", id] if !id.is_empty() => Page::Thread((*id).to_owned()),
        ["promise", invoice] if !invoice.is_empty() => Page::Promise((*invoice).to_owned()),
        ["plan", invoice] if !invoice.is_empty() => Page::Plan((*invoice).to_owned()),
        ["payment-methods"] => Page::Methods,
        ["account"] => Page::Account,
        _ => Page::List,
    }
}

pub(crate) fn go(to: &str) {
    if let Some(w) = web_sys::window() {
        let _ = w.location().assign(to);
    }
}

/// The dispute pages.
#[component]
pub fn ThreadApp() -> impl IntoView {
    let session = RwSignal::new(None::<Result<PortalSessionResponse, ApiFailure>>);
    leptos::task::spawn_local(async move { session.set(Some(api::session().await)) });
    move || match session.get() {
        None => view! { <p class="loading" role="status">{browser_lang().text().loading}</p> }
            .into_any(),
        Some(Err(e)) => {
            view! { <main id="main" class="narrow"><Failure failure=e lang=browser_lang()/></main> }
                .into_any()
        }
        Some(Ok(s)) => {
            let lang = Lang::from_locale(&s.locale);
            let body = match page() {
                Page::New(invoice) => {
                    view! { <form::NewDispute session=s.clone() invoice_id=invoice/> }.into_any()
                }
                Page::Thread(id) => {
                    view! { <conversation::Thread session=s.clone() id=id/> }.into_any()
                }
                Page::Promise(invoice) => {
                    view! { <promise::Promise session=s.clone() invoice_id=invoice/> }.into_any()
                }
                Page::Plan(invoice) => {
                    view! { <plan::Plan session=s.clone() invoice_id=invoice/> }.into_any()
                }
                Page::Methods => view! { <autopay::Methods session=s.clone()/> }.into_any(),
                Page::Account => view! { <account::Account session=s.clone()/> }.into_any(),
                Page::List => view! { <Disputes lang=lang/> }.into_any(),
            };
            view! { <Shell session=s>{body}</Shell> }.into_any()
        }
    }
}

/// The customer's disputes.
#[component]
fn Disputes(lang: Lang) -> impl IntoView {
    let w = words::words(lang);
    let t = lang.text();
    set_title(w.your_disputes);
    let list = RwSignal::new(None::<Result<ListResponse<DisputeResponse>, ApiFailure>>);
    leptos::task::spawn_local(async move { list.set(Some(api::get("/disputes").await)) });
    view! {
        <h1>{w.your_disputes}</h1>
        {move || match list.get() {
            None => view! { <p class="loading" role="status">{t.loading}</p> }.into_any(),
            Some(Err(e)) => view! { <Failure failure=e lang=lang/> }.into_any(),
            Some(Ok(l)) => view! {
                <ul class="dispute-list">{l.data.into_iter().map(|d| {
                    let state = match d.status.as_str() { "open" => w.state_open, "resolved" => w.state_resolved, _ => w.state_rejected };
                    view! { <li><a href=format!("/disputes/{}", d.id)>{fill(w.thread_title, "number", &d.invoice_number)}</a>" · "{state}</li> }
                }).collect_view()}</ul>
            }.into_any(),
        }}
    }
}
