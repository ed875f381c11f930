//! `/console/branding` (admins): the company's name, colours, sender and
//! logo, with a preview that changes as they type. The colour check is the
//! server's own rule (`settle_shared::branding::check_colours`), so the
//! page says what the server would refuse before anything is sent.

use crate::api::{self, ApiFailure};
use crate::shell::{Failure, Session, set_title};
use leptos::prelude::*;
use settle_shared::api::{Branding, OrganizationResponse, UpdateOrganizationRequest};
use settle_shared::branding::check_colours;
use settle_shared::staff::Capability;
use wasm_bindgen::JsCast;

#[component]
pub fn BrandingPage() -> impl IntoView {
    let session = expect_context::<Session>();
    let t = session.t();
    set_title(t.branding);
    // Anyone may read the branding; only admins change it: others are told
    // so instead of being shown a form the server would refuse.
    if !session.may(Capability::Configure) {
        return view! { <h1>{t.branding}</h1><p class="error" role="alert">{Capability::Configure.refusal()}</p> }.into_any();
    }
    let org = LocalResource::new(|| api::get::<OrganizationResponse>("/organization"));
    (move || match org.get() {
        None => view! { <p class="loading" role="status">{t.loading}</p> }.into_any(),
        Some(Err(e)) => view! { <Failure failure=e/> }.into_any(),
        Some(Ok(o)) => view! { <Form branding=o.branding/> }.into_any(),
    })
    .into_any()
}

fn text(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

fn some(v: String) -> Option<String> {
    Some(v.trim().to_owned()).filter(|v| !v.is_empty())
}

#[component]
fn Form(branding: Branding) -> impl IntoView {
    let t = expect_context::<Session>().t();
    let name = RwSignal::new(branding.display_name.clone());
    let support = RwSignal::new(branding.support_email.clone());
    let sender = RwSignal::new(text(&branding.sender_name));
    let reply = RwSignal::new(text(&branding.reply_to));
    let footer = RwSignal::new(text(&branding.footer_text));
    let primary = RwSignal::new(
        branding
            .primary_color
            .clone()
            .unwrap_or_else(|| "#1a56db".into()),
    );
    let accent = RwSignal::new(
        branding
            .accent_color
            .clone()
            .unwrap_or_else(|| "#1a56db".into()),
    );
    let locale = RwSignal::new(
        branding
            .default_locale
            .clone()
            .unwrap_or_else(|| "en".into()),
    );
    let currency = RwSignal::new(text(&branding.default_currency));
    let logo = RwSignal::new(branding.logo_url.clone());
    let note = RwSignal::new(None::<Result<String, ApiFailure>>);
    let contrast = move || {
        check_colours(Some(&primary.get()), Some(&accent.get()))
            .err()
            .map(|f| f.message())
    };
    let email = RwSignal::new(None::<String>);
    let current = move || UpdateOrganizationRequest {
        branding: Some(Branding {
            display_name: name.get_untracked(),
            logo_url: logo.get_untracked(),
            primary_color: Some(primary.get_untracked()),
            support_email: support.get_untracked(),
            accent_color: Some(accent.get_untracked()),
            sender_name: some(sender.get_untracked()),
            reply_to: some(reply.get_untracked()),
            footer_text: some(footer.get_untracked()),
            default_locale: Some(locale.get_untracked()),
            default_currency: some(currency.get_untracked()),
        }),
        payments: None,
        reminders: None,
        promises: None,
        plans: None,
        billing: None,
    };
    // The invoice email as the server would render it with these values.
    let preview_email = move |_| {
        let body = current();
        leptos::task::spawn_local(async move {
            match api::post::<serde_json::Value, _>("/organization/branding/preview", &body).await {
                Ok(v) => email.set(v["html"].as_str().map(str::to_owned)),
                Err(e) => note.set(Some(Err(e))),
            }
        });
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = current();
        leptos::task::spawn_local(async move {
            let r = api::patch::<OrganizationResponse, _>("/organization", &body).await;
            note.set(Some(r.map(|_| t.saved.to_owned())));
        });
    };
    let upload = move |ev: leptos::ev::Event| {
        let file = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            .and_then(|i| i.files())
            .and_then(|f| f.get(0));
        let Some(file) = file else { return };
        leptos::task::spawn_local(async move {
            match api::put_file::<serde_json::Value>("/organization/logo", file).await {
                Ok(v) => {
                    logo.set(v["logo_url"].as_str().map(str::to_owned));
                    note.set(Some(Ok(t.saved.to_owned())));
                }
                Err(e) => note.set(Some(Err(e))),
            }
        });
    };
    let field = |id: &'static str,
                 label: &'static str,
                 kind: &'static str,
                 value: RwSignal<String>| {
        view! {
            <label for=id>{label}</label>
            <input id=id type=kind prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/>
        }
    };
    view! {
        <h1>{t.branding}</h1>
        {move || note.get().map(|r| match r {
            Ok(m) => view! { <p class="notice" role="status">{m}</p> }.into_any(),
            Err(e) => view! { <Failure failure=e/> }.into_any(),
        })}
        <div class="branding">
            <form class="card" on:submit=save>
                {field("b-name", t.company_name, "text", name)}
                {field("b-support", t.support_email, "email", support)}
                {field("b-sender", t.sender_name, "text", sender)}
                {field("b-reply", t.reply_to, "email", reply)}
                {field("b-footer", t.footer, "text", footer)}
                <label for="b-primary">{t.primary_colour}</label>
                <input id="b-primary" class="colour" maxlength="7" prop:value=move || primary.get() on:input=move |ev| primary.set(event_target_value(&ev))/>
                <label for="b-accent">{t.accent_colour}</label>
                <input id="b-accent" class="colour" maxlength="7" prop:value=move || accent.get() on:input=move |ev| accent.set(event_target_value(&ev))/>
                {move || contrast().map(|m| view! { <p class="error" role="alert">{m}</p> })}
                <label for="b-locale">{t.default_language}</label>
                <select id="b-locale" on:change=move |ev| locale.set(event_target_value(&ev))>
                    {[("en", "English"), ("fr", "Français"), ("ar", "العربية")].into_iter().map(|(code, label)| {
                        view! { <option value=code selected=move || locale.get() == code>{label}</option> }
                    }).collect_view()}
                </select>
                {field("b-currency", t.default_currency, "text", currency)}
                <label for="b-logo">{t.upload_logo}</label>
                <input id="b-logo" type="file" accept="image/png,image/jpeg,image/gif,image/webp" on:change=upload/>
                <button type="submit" disabled=move || contrast().is_some()>{t.save}</button>
            </form>
            <section class="card preview" aria-labelledby="preview-h">
                <h2 id="preview-h">{t.preview}</h2>
                <div class="mail" style:border-top-color=move || primary.get()>
                    {move || match logo.get() {
                        Some(src) => view! { <img src=src alt=name.get() height="40"/> }.into_any(),
                        None => view! { <p class="mail-name">{move || name.get()}</p> }.into_any(),
                    }}
                    <p>
                        <span class="mail-button" style:background=move || primary.get()>{t.sample_button}</span>
                    </p>
                    <p><span class="mail-link" style:color=move || accent.get()>{t.sample_link}</span></p>
                    <p class="mail-footer">{move || footer.get()}</p>
                </div>
                <button type="button" on:click=preview_email disabled=move || contrast().is_some()>{t.preview_email}</button>
                {move || email.get().map(|html| view! {
                    <iframe class="email-preview" title=t.preview_email sandbox="" srcdoc=html></iframe>
                })}
            </section>
        </div>
    }
}
