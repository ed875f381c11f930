//! Any unknown path.

use crate::components::browser_lang;
use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    let t = browser_lang().text();
    view! {
        <main id="main" class="narrow">
            <h1>{t.not_found}</h1>
            <a href="/invoices">{t.back_to_invoices}</a>
        </main>
    }
}
