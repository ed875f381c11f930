//! `/link?reason=expired|invalid|session`: a link that did not open, and a
//! form to get a fresh one by email. The answer never says whether the
//! address is known.

use crate::api::{self, ApiFailure};
use crate::components::{browser_lang, set_document_language, set_title};
use leptos::prelude::*;

#[component]
pub fn LinkPage(reason: String) -> impl IntoView {
    let lang = browser_lang();
    set_document_language(lang);
    let t = lang.text();
    let (title, body) = match reason.as_str() {
        "expired" => (t.link_expired_title, t.link_expired_body),
        "invalid" => (t.link_invalid_title, t.link_invalid_body),
        "session" => (t.request_title, t.session_over),
        "signed-out" => (t.request_title, t.signed_out),
        _ => (t.request_title, t.open_your_link),
    };
    set_title(title);
    let email = RwSignal::new(String::new());
    let sending = RwSignal::new(false);
    let outcome = RwSignal::new(None::<Result<(), String>>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if sending.get_untracked() {
            return;
        }
        sending.set(true);
        outcome.set(None);
        let address = email.get_untracked();
        leptos::task::spawn_local(async move {
            let result = match api::request_link(address).await {
                Ok(_) => Ok(()),
                Err(ApiFailure::RateLimited(m) | ApiFailure::Invalid(m)) => Err(m),
                Err(_) => Err(t.error_generic.to_owned()),
            };
            outcome.set(Some(result));
            sending.set(false);
        });
    };
    view! {
        <main id="main" class="narrow">
            <h1>{title}</h1>
            <p>{body}</p>
            <form class="panel" on:submit=submit novalidate=false>
                <label for="email">{t.email_label}</label>
                <input
                    id="email"
                    name="email"
                    type="email"
                    autocomplete="email"
                    inputmode="email"
                    required=true
                    maxlength="254"
                    prop:value=move || email.get()
                    on:input=move |ev| email.set(event_target_value(&ev))
                />
                <button class="button" type="submit" disabled=move || sending.get()>
                    {move || if sending.get() { t.sending } else { t.send_link }}
                </button>
            </form>
            <div aria-live="polite">
                {move || match outcome.get() {
                    Some(Ok(())) => view! { <p class="notice" role="status">{t.link_sent}</p> }.into_any(),
                    Some(Err(m)) => view! { <p class="error" role="alert">{m}</p> }.into_any(),
                    None => ().into_any(),
                }}
            </div>
        </main>
    }
}
