//! `/console/sign-in`: ask for a link by email, or use the one just opened.
//! The link carries its token in the fragment (`#sl_…`), which never
//! reaches a server log; this page posts it once and takes it out of the
//! address bar.

use crate::api::{self, ApiFailure};
use crate::i18n::Lang;
use crate::shell::set_title;
use leptos::prelude::*;
use settle_shared::api::{RedeemSignInRequest, SignInRequest, SignInRequested, StaffMeResponse};

/// The browser's language, until a member is known.
fn browser_lang() -> Lang {
    Lang::from_locale(&window().navigator().language().unwrap_or_default())
}

#[component]
pub fn SignIn() -> impl IntoView {
    let lang = browser_lang();
    let t = crate::i18n::words(lang);
    set_title(t.sign_in);
    if let Some(html) = document().document_element() {
        let _ = html.set_attribute("lang", lang.code());
        let _ = html.set_attribute("dir", lang.dir());
    }
    let problem = RwSignal::new(None::<String>);
    let sent = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let email = RwSignal::new(String::new());
    let hash = window().location().hash().unwrap_or_default();
    let token = hash.strip_prefix('#').unwrap_or("").to_owned();
    if token.starts_with("sl_") {
        busy.set(true);
        // Out of the address bar and the history before anything else.
        if let Ok(h) = window().history() {
            let _ = h.replace_state_with_url(
                &wasm_bindgen::JsValue::NULL,
                "",
                Some("/console/sign-in"),
            );
        }
        leptos::task::spawn_local(async move {
            match api::post::<StaffMeResponse, _>("/staff/sessions", &RedeemSignInRequest { token })
                .await
            {
                Ok(_) => {
                    let _ = window().location().assign("/console/customers");
                }
                Err(e) => {
                    busy.set(false);
                    problem.set(Some(e.message(t)));
                }
            }
        });
    }
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        problem.set(None);
        let address = email.get_untracked();
        leptos::task::spawn_local(async move {
            match api::post::<SignInRequested, _>(
                "/staff/sign-in",
                &SignInRequest { email: address },
            )
            .await
            {
                Ok(_) => sent.set(true),
                Err(ApiFailure::Refused(m)) => problem.set(Some(m)),
                Err(e) => problem.set(Some(e.message(t))),
            }
            busy.set(false);
        });
    };
    view! {
        <main id="main" class="narrow sign-in">
            <h1>{t.sign_in}</h1>
            {move || problem.get().map(|m| view! { <p class="error" role="alert">{m}</p> })}
            {move || if sent.get() {
                view! { <p class="notice" role="status">{t.link_sent}</p> }.into_any()
            } else if busy.get() && problem.get().is_none() && !email.get().contains('@') {
                view! { <p class="loading" role="status">{t.signing_in}</p> }.into_any()
            } else {
                view! {
                    <form on:submit=submit>
                        <p>{t.sign_in_lead}</p>
                        <label for="email">{t.email}</label>
                        <input id="email" type="email" autocomplete="email" required
                            prop:value=move || email.get()
                            on:input=move |ev| email.set(event_target_value(&ev))/>
                        <button type="submit" disabled=move || busy.get()>{t.send_link}</button>
                    </form>
                }.into_any()
            }}
        </main>
    }
}
