//! `/`: signed in → the invoices; otherwise, how to get in.

use crate::SessionResource;
use crate::components::{browser_lang, set_document_language};
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;

#[component]
pub fn Home() -> impl IntoView {
    let session = expect_context::<SessionResource>().0;
    let navigate = use_navigate();
    let lang = browser_lang();
    set_document_language(lang);
    let t = lang.text();
    view! {
        <Suspense fallback=move || view! { <p class="loading">{t.loading}</p> }>
            {
                let navigate = navigate.clone();
                move || {
                    let navigate = navigate.clone();
                    Suspend::new(async move {
                        if session.await.is_ok() {
                            navigate("/invoices", NavigateOptions { replace: true, ..Default::default() });
                        }
                        view! {
                            <main id="main" class="narrow">
                                <h1>{t.your_invoices}</h1>
                                <p>{t.open_your_link}</p>
                                <a class="button" href="/link?reason=none">{t.request_title}</a>
                            </main>
                        }
                    })
                }
            }
        </Suspense>
    }
}
