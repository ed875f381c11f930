//! The company console: a second Leptos app beside the portal, with its own
//! bundle under `/console/` (the portal's pay path never loads it).
//!
//! `api` calls the company API with the staff session cookie, `i18n` holds
//! the words, `shell` the frame every signed-in page shares, and `pages/`
//! one file per screen. What a role may do is `settle_shared::staff`: the
//! same function the server asks decides what the console offers.

pub mod api;
pub mod i18n;
pub mod lines;
pub mod pages;
pub mod shell;

use api::ApiFailure;
use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;
use settle_shared::api::StaffMeResponse;

/// The signed-in member, loaded once; pages read it from context.
#[derive(Clone, Copy)]
pub struct Me(pub LocalResource<Result<StaffMeResponse, ApiFailure>>);

#[component]
pub fn App() -> impl IntoView {
    // Who is signed in, asked once (not on the sign-in page itself).
    let path = window().location().pathname().unwrap_or_default();
    if !path.starts_with("/console/sign-in") {
        provide_context(Me(LocalResource::new(|| {
            api::get::<StaffMeResponse>("/staff/me")
        })));
    }
    view! {
        <Router>
            <Routes fallback=|| view! { <shell::Signed><pages::NotFound/></shell::Signed> }>
                <Route path=path!("/console/sign-in") view=pages::sign_in::SignIn/>
                <Route path=path!("/console") view=|| view! { <shell::Signed><pages::customers::Customers/></shell::Signed> }/>
                <Route path=path!("/console/dashboard") view=|| view! { <shell::Signed><pages::dashboard::Dashboard/></shell::Signed> }/>
                <Route path=path!("/console/worklist") view=|| view! { <shell::Signed><pages::worklist::Worklist/></shell::Signed> }/>
                <Route path=path!("/console/customers") view=|| view! { <shell::Signed><pages::customers::Customers/></shell::Signed> }/>
                <Route path=path!("/console/customers/:id") view=|| view! { <shell::Signed><pages::customer::CustomerPage/></shell::Signed> }/>
                <Route path=path!("/console/customers/:id/evidence") view=|| view! { <shell::Signed><pages::evidence::EvidencePage/></shell::Signed> }/>
                <Route path=path!("/console/invoices/:id/evidence") view=|| view! { <shell::Signed><pages::evidence::EvidencePage/></shell::Signed> }/>
                <Route path=path!("/console/invoices") view=|| view! { <shell::Signed><pages::invoices::Invoices/></shell::Signed> }/>
                <Route path=path!("/console/invoices/new") view=|| view! { <shell::Signed><pages::new_invoice::NewInvoice/></shell::Signed> }/>
                <Route path=path!("/console/invoices/:id") view=|| view! { <shell::Signed><pages::invoice::InvoicePage/></shell::Signed> }/>
                <Route path=path!("/console/disputes") view=|| view! { <shell::Signed><pages::disputes::Disputes/></shell::Signed> }/>
                <Route path=path!("/console/disputes/:id") view=|| view! { <shell::Signed><pages::dispute::DisputePage/></shell::Signed> }/>
                <Route path=path!("/console/payment-dates") view=|| view! { <shell::Signed><pages::payment_dates::PaymentDates/></shell::Signed> }/>
                <Route path=path!("/console/branding") view=|| view! { <shell::Signed><pages::branding::BrandingPage/></shell::Signed> }/>
                <Route path=path!("/console/stripe") view=|| view! { <shell::Signed><pages::stripe::StripePage/></shell::Signed> }/>
                <Route path=path!("/console/billing") view=|| view! { <shell::Signed><pages::billing::Billing/></shell::Signed> }/>
                <Route path=path!("/console/imports") view=|| view! { <shell::Signed><pages::imports::Imports/></shell::Signed> }/>
                <Route path=path!("/console/webhooks") view=|| view! { <shell::Signed><pages::webhooks::Webhooks/></shell::Signed> }/>
                <Route path=path!("/console/api-keys") view=|| view! { <shell::Signed><pages::api_keys::ApiKeys/></shell::Signed> }/>
                <Route path=path!("/console/team") view=|| view! { <shell::Signed><pages::team::Team/></shell::Signed> }/>
                <Route path=path!("/console/account") view=|| view! { <shell::Signed><pages::account::Account/></shell::Signed> }/>
            </Routes>
        </Router>
    }
}
