//! The customer portal: the app, its router and the session it shares.
//!
//! Pages live in `routes/`, small pieces in `components`, the API calls in
//! `api`, the words in `i18n`, and number and date formatting in `format`.

pub mod api;
pub mod components;
pub mod format;
pub mod i18n;
pub mod routes;

use api::ApiFailure;
use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;
use settle_shared::api::PortalSessionResponse;

/// The signed-in customer, loaded once and shared by every page.
#[derive(Clone, Copy)]
pub struct SessionResource(pub LocalResource<Result<PortalSessionResponse, ApiFailure>>);

#[component]
pub fn App() -> impl IntoView {
    provide_context(SessionResource(LocalResource::new(api::session)));
    view! {
        <Router>
            <Routes fallback=routes::not_found::NotFound>
                <Route path=path!("/") view=routes::home::Home/>
                <Route path=path!("/invoices") view=routes::invoices::InvoiceList/>
                <Route path=path!("/invoices/:id") view=routes::invoice::InvoicePage/>
                <Route path=path!("/link") view=routes::link::LinkPage/>
            </Routes>
        </Router>
    }
}
