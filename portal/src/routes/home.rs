//! `/`: signed in → the invoices; otherwise, how to get in.

use crate::SessionResource;
use crate::components::{browser_lang, set_document_language};
use leptos::prelude::*;

#[component]
pub fn Home() -> impl IntoView {
    let session = expect_context::<SessionResource>().0;
    let lang = browser_lang();
    set_document_language(lang);
    let t = lang.text();
    Effect::new(move |_| {
        if matches!(session.get(), Some(Ok(_))) {
            crate::router::navigate("/invoices", true);
        }
    });
    view! {
        <main id="main" class="narrow">
            {move || match session.get() {
                None | Some(Ok(_)) => view! { <p class="loading" role="status">{t.loading}</p> }.into_any(),
                Some(Err(_)) => view! {
                    <h1>{t.your_invoices}</h1>
                    <p>{t.open_your_link}</p>
                    <a class="button" href="/link?reason=none">{t.request_title}</a>
                }
                .into_any(),
            }}
        </main>
    }
}
