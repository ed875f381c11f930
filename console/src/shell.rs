//! The frame of every signed-in page: the organization's name, the
//! navigation the member's role allows, and a skip link; a member whose
//! session has ended is sent to the sign-in page.

use crate::Me;
use crate::api::{self, ApiFailure};
use crate::i18n::{Lang, Words};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;
use settle_shared::api::{SignedOutResponse, StaffMeResponse};
use settle_shared::staff::Capability;

/// The signed-in member and their words, for the pages inside [`Signed`].
#[derive(Clone)]
pub struct Session {
    pub me: StaffMeResponse,
    pub lang: Lang,
}

impl Session {
    pub fn t(&self) -> &'static Words {
        crate::i18n::words(self.lang)
    }

    pub fn may(&self, c: Capability) -> bool {
        self.me.member.role.may(c)
    }
}

/// The language of the page, for `lang` and `dir` on `<html>`.
fn set_document_language(lang: Lang) {
    if let Some(html) = document().document_element() {
        let _ = html.set_attribute("lang", lang.code());
        let _ = html.set_attribute("dir", lang.dir());
    }
}

pub fn set_title(title: &str) {
    document().set_title(&format!("{title} · Settle"));
}

/// Goes to the sign-in page (a full load: the session is gone).
pub fn to_sign_in() {
    let _ = window().location().assign("/console/sign-in");
}

/// Wraps a page: loads the member, then shows the frame and the page.
#[component]
pub fn Signed(children: ChildrenFn) -> impl IntoView {
    let me = match use_context::<Me>() {
        Some(m) => m.0,
        None => {
            let m = LocalResource::new(|| api::get::<StaffMeResponse>("/staff/me"));
            provide_context(Me(m));
            m
        }
    };
    let t = crate::i18n::words(Lang::En);
    move || match me.get() {
        None => view! { <p class="loading" role="status">{t.loading}</p> }.into_any(),
        Some(Err(ApiFailure::SignedOut)) => {
            to_sign_in();
            view! { <p class="loading" role="status">{t.signed_out}</p> }.into_any()
        }
        Some(Err(e)) => view! {
            <main id="main" class="narrow"><p class="error" role="alert">{e.message(t)}</p></main>
        }
        .into_any(),
        Some(Ok(me)) => {
            let lang = Lang::from_locale(&me.member.locale);
            set_document_language(lang);
            let session = Session { me, lang };
            provide_context(session.clone());
            let children = children.clone();
            view! { <Frame session=session>{children()}</Frame> }.into_any()
        }
    }
}

#[component]
fn Frame(session: Session, children: Children) -> impl IntoView {
    let t = session.t();
    let location = use_location();
    let current = move |prefix: &'static str| {
        move || {
            let p = location.pathname.get();
            if p == prefix || p.starts_with(&format!("{prefix}/")) {
                Some("page")
            } else {
                None
            }
        }
    };
    let team = session.may(Capability::AllAccounts);
    let configure = session.may(Capability::Configure);
    let failed = RwSignal::new(None::<String>);
    let sign_out = move |_| {
        leptos::task::spawn_local(async move {
            match api::post::<SignedOutResponse, _>("/staff/sign-out", &serde_json::json!({})).await
            {
                Ok(_) | Err(ApiFailure::SignedOut) => to_sign_in(),
                Err(e) => failed.set(Some(e.message(t))),
            }
        });
    };
    let me = session.me.clone();
    // On a phone the navigation folds behind a button; choosing a page
    // folds it again.
    let open = RwSignal::new(false);
    Effect::new(move |_| {
        location.pathname.track();
        open.set(false);
    });
    view! {
        <a class="skip" href="#main">{t.skip}</a>
        <header class="bar">
            <span class="org">{me.organization.display_name.clone()}</span>
            <button type="button" class="menu" aria-controls="console-nav"
                aria-expanded=move || open.get().to_string()
                on:click=move |_| open.update(|o| *o = !*o)>{t.menu}</button>
            <nav id="console-nav" aria-label=t.console class:open=move || open.get()>
                <A href="/console/worklist" attr:aria-current=current("/console/worklist")>{crate::pages::worklist::words::words(session.lang).nav}</A>
                {team.then(|| view! { <A href="/console/dashboard" attr:aria-current=current("/console/dashboard")>{t.dashboard}</A> })}
                <A href="/console/customers" attr:aria-current=current("/console/customers")>{t.customers}</A>
                <A href="/console/invoices" attr:aria-current=current("/console/invoices")>{t.invoices}</A>
                <A href="/console/disputes" attr:aria-current=current("/console/disputes")>{t.disputes}</A>
                <A href="/console/payment-dates" attr:aria-current=current("/console/payment-dates")>{t.payment_dates}</A>
                <A href="/console/billing" attr:aria-current=current("/console/billing")>{t.billing}</A>
                {team.then(|| view! { <A href="/console/imports" attr:aria-current=current("/console/imports")>{t.import}</A> })}
                {team.then(|| view! { <A href="/console/team" attr:aria-current=current("/console/team")>{t.team}</A> })}
                {configure.then(|| view! { <A href="/console/branding" attr:aria-current=current("/console/branding")>{t.branding}</A> })}
                {configure.then(|| view! { <A href="/console/stripe" attr:aria-current=current("/console/stripe")>{t.stripe}</A> })}
                {configure.then(|| view! { <A href="/console/api-keys" attr:aria-current=current("/console/api-keys")>{t.api_keys}</A> })}
                {configure.then(|| view! { <A href="/console/webhooks" attr:aria-current=current("/console/webhooks")>{t.webhooks}</A> })}
                <A href="/console/account" attr:aria-current=current("/console/account")>{t.account}</A>
            </nav>
            <span class="who">{me.member.name.clone()}" · "{t.role(me.member.role)}</span>
            <button type="button" class="link" on:click=sign_out>{t.sign_out}</button>
        </header>
        {move || failed.get().map(|m| view! { <p class="error" role="alert">{m}</p> })}
        <crate::pages::worklist::alert::DueAlert/>
        <main id="main" tabindex="-1">{children()}</main>
    }
}

/// An error from the API, said in the member's words; a session that ended
/// goes to the sign-in page.
#[component]
pub fn Failure(failure: ApiFailure) -> impl IntoView {
    let t = expect_context::<Session>().t();
    if failure == ApiFailure::SignedOut {
        to_sign_in();
    }
    view! { <p class="error" role="alert">{failure.message(t)}</p> }
}
