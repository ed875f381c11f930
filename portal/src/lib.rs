//! The customer portal: the app, its router and the session it shares.
//!
//! Pages live in `routes/`, small pieces in `components`, the API calls in
//! `api`, the words in `i18n`, and number and date formatting in `format`.

pub mod api;
pub mod components;
pub mod format;
pub mod i18n;
pub mod router;
pub mod routes;
pub mod thread;

use api::ApiFailure;
use leptos::prelude::*;
use router::Page;
use settle_shared::api::PortalSessionResponse;

/// Something fetched from the API: `None` while it loads.
///
/// A plain signal filled by a spawned task rather than a `Resource`: the
/// async-derived machinery behind resources costs tens of kilobytes of wasm
/// per data type, and the portal's pages load each thing once.
pub type Loaded<T> = RwSignal<Option<Result<T, ApiFailure>>>;

/// Starts loading and returns the signal that will hold the answer.
pub fn load<T, F>(fut: F) -> Loaded<T>
where
    T: Send + Sync + 'static,
    F: std::future::Future<Output = Result<T, ApiFailure>> + 'static,
{
    let signal = RwSignal::new(None);
    leptos::task::spawn_local(async move { signal.set(Some(fut.await)) });
    signal
}

/// The signed-in customer, loaded once and shared by every page.
#[derive(Clone, Copy)]
pub struct SessionResource(pub Loaded<PortalSessionResponse>);

#[component]
pub fn App() -> impl IntoView {
    provide_context(SessionResource(load(api::session())));
    let location = router::install();
    move || match Page::parse(&location.get()) {
        Page::Home => view! { <routes::home::Home/> }.into_any(),
        Page::Invoices => view! { <routes::invoices::InvoiceList/> }.into_any(),
        Page::Invoice(id, checkout) => {
            view! { <routes::invoice::InvoicePage id=id checkout=checkout/> }.into_any()
        }
        Page::Link(reason) => view! { <routes::link::LinkPage reason=reason/> }.into_any(),
        Page::NotFound => view! { <routes::not_found::NotFound/> }.into_any(),
    }
}
