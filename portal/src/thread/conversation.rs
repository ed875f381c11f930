//! The thread: messages as text with sender, local time and read mark,
//! the answer box, a rejection contested once, the undisputed part paid.

use super::{go, live, words};
use crate::api::{self, ApiFailure};
use crate::components::{Failure, set_title};
use crate::format::money;
use crate::i18n::{Lang, fill};
use leptos::prelude::*;
use settle_shared::api::{DisputeMessageRequest, DisputeResponse, PortalSessionResponse};
use settle_shared::dispute::{MAX_MESSAGE_CHARS, shown};

/// A time in the customer's time zone and language.
pub(super) fn when(iso: &str, locale: &str, zone: &str) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(iso));
    let options = js_sys::Object::new();
    let set = |k: &str, v: &str| {
        let _ = js_sys::Reflect::set(&options, &k.into(), &v.into());
    };
    set("dateStyle", "medium");
    set("timeStyle", "short");
    set("timeZone", zone);
    d.to_locale_string(locale, &options).into()
}

/// The thread, live: a socket says when it changed; without one, it is
/// fetched every few seconds, and the page says so.
#[component]
pub(super) fn Thread(session: PortalSessionResponse, id: String) -> impl IntoView {
    let lang = Lang::from_locale(&session.locale);
    let t = lang.text();
    let dispute = RwSignal::new(None::<Result<DisputeResponse, ApiFailure>>);
    let live_now = live::watch(
        format!("/api/v1/portal/disputes/{id}/live"),
        move || {
            let path = format!("/disputes/{id}");
            async move { api::get::<DisputeResponse>(&path).await }
        },
        dispute,
    );
    move || match dispute.get() {
        None => view! { <p class="loading" role="status">{t.loading}</p> }.into_any(),
        Some(Err(e)) => view! { <Failure failure=e lang=lang/> }.into_any(),
        Some(Ok(d)) => {
            view! { <Conversation session=session.clone() d=d set=dispute live=live_now/> }
                .into_any()
        }
    }
}

#[component]
fn Conversation(
    session: PortalSessionResponse,
    d: DisputeResponse,
    set: RwSignal<Option<Result<DisputeResponse, ApiFailure>>>,
    live: RwSignal<bool>,
) -> impl IntoView {
    let lang = Lang::from_locale(&session.locale);
    let w = words::words(lang);
    let company = session.organization.display_name.clone();
    let (locale, zone) = (session.locale.clone(), session.time_zone.clone());
    set_title(&fill(w.thread_title, "number", &d.invoice_number));
    let state = match d.status.as_str() {
        "open" => w.state_open,
        "resolved" => w.state_resolved,
        _ => w.state_rejected,
    };
    let last_mine = d.messages.iter().rposition(|m| m.author == "customer");
    let id = d.id.clone();
    let read_at = d.other_side_read_at.clone();
    let messages = d
        .messages
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let mine = m.author == "customer";
            let read = (Some(i) == last_mine
                && read_at.as_deref().is_some_and(|r| r >= m.created_at.as_str()))
            .then(|| view! { <span class="read">{w.read}</span> });
            view! {
                <li class=if mine { "message mine" } else { "message theirs" }>
                    <p class="who"><strong>{m.author_name.clone()}</strong>" · "
                        <time datetime=m.created_at.clone()>{when(&m.created_at, &locale, &zone)}</time></p>
                    {match &m.attachment {
                        Some(f) => view! { <p class="body"><File dispute=id.clone() file=f.clone() label=w.download/></p> }.into_any(),
                        None => view! { <p class="body">{shown(&m.body)}</p> }.into_any(),
                    }}
                    {read}
                </li>
            }
        })
        .collect_view();
    let ended = match d.status.as_str() {
        "rejected" => Some(view! {
            <div class="panel">
                <p>{fill(w.rejected_lead, "company", &company)}</p>
                <p class="body">{shown(d.resolution.as_deref().unwrap_or(""))}</p>
            </div>
        }.into_any()),
        "resolved" => Some(view! {
            <div class="panel">
                <p>{fill(w.resolved_lead, "company", &company)}</p>
                <p class="body">{shown(d.resolution.as_deref().unwrap_or(""))}</p>
                {d.credit_note.clone().map(|c| view! {
                    <p><strong>{fill(&fill(w.credit_note, "number", &c.number), "amount", &money(c.amount, &c.currency, &session.locale))}</strong></p>
                })}
                {d.corrected_invoice.clone().map(|c| view! {
                    <p><a class="corrected" href=format!("/invoices/{}", c.id)>{fill(w.corrected_invoice, "number", &c.number)}</a></p>
                })}
            </div>
        }.into_any()),
        _ => None,
    };
    let open = d.status == "open";
    // A conversation (a reply by email) holds nothing: no amount in dispute.
    let disputed = open && d.kind != "conversation";
    view! {
        <p class="no-print"><a href=format!("/invoices/{}", d.invoice_id)>{w.see_invoice}</a></p>
        <header class="invoice-head">
            <h1>{fill(w.thread_title, "number", &d.invoice_number)}</h1>
            <span class="badge">{state}</span>
        </header>
        {disputed.then(|| {
            // The undisputed part can still be paid, from the invoice.
            let rest = d.invoice_amount_due > d.disputed_amount;
            view! {
                <p>
                    {fill(w.in_dispute, "amount", &money(d.disputed_amount, &d.currency, &session.locale))}
                    {rest.then(|| view! { " "{w.pay_rest} })}
                </p>
            }
        })}
        {(disputed && d.invoice_amount_due > d.disputed_amount).then(|| {
            let part = d.invoice_amount_due - d.disputed_amount;
            let label = fill(w.pay_part, "amount", &money(part, &d.currency, &session.locale));
            view! { <PayPart invoice_id=d.invoice_id.clone() amount=part label=label lang=lang/> }
        })}
        {ended}
        <ol class="thread" aria-live="polite">{messages}</ol>
        {(d.status != "resolved").then(|| view! {
            <Compose id=d.id.clone() action="messages" heading=None label=w.write button=w.send secondary=false set=set lang=lang/>
            <Attach id=d.id.clone() set=set lang=lang/>
        })}
        {d.can_reopen.then(|| view! {
            <Compose id=d.id.clone() action="reopen" heading=Some(w.reopen_title) label=w.reopen_hint button=w.reopen secondary=true set=set lang=lang/>
        })}
        <p class="hint" role="status">{move || if live.get() { w.live_on } else { w.live_off }}</p>
    }
}

/// Pays the part of the invoice not in dispute, through Checkout.
#[component]
fn PayPart(invoice_id: String, amount: i64, label: String, lang: Lang) -> impl IntoView {
    let problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let pay = move |_| {
        let id = invoice_id.clone();
        busy.set(true);
        leptos::task::spawn_local(async move {
            match api::checkout(id, Some(amount)).await {
                Ok(c) => go(&c.url),
                Err(ApiFailure::Invalid(m) | ApiFailure::RateLimited(m)) => problem.set(Some(m)),
                Err(_) => problem.set(Some(lang.text().error_generic.into())),
            }
            busy.set(false);
        });
    };
    view! {
        {move || problem.get().map(|m| view! { <p class="panel" role="alert">{m}</p> })}
        <p><button class="button" type="button" on:click=pay disabled=move || busy.get()>{label}</button></p>
    }
}

/// Sends `text` to `path` and shows the dispute as it then stands.
async fn send(
    path: String,
    text: String,
    id: String,
    set: RwSignal<Option<Result<DisputeResponse, ApiFailure>>>,
) -> Result<(), String> {
    let body = DisputeMessageRequest { body: text };
    match api::post::<serde_json::Value, _>(&path, Some(&body)).await {
        Ok(_) => {
            if let Ok(d) = api::get::<DisputeResponse>(&format!("/disputes/{id}")).await {
                set.set(Some(Ok(d)));
            }
            Ok(())
        }
        Err(ApiFailure::Invalid(m) | ApiFailure::RateLimited(m)) => Err(m),
        Err(_) => Err(String::new()),
    }
}

/// A message box under the thread: a message (`action` `messages`), or a
/// rejection contested (`reopen`).
#[component]
fn Compose(
    id: String,
    action: &'static str,
    heading: Option<&'static str>,
    label: &'static str,
    button: &'static str,
    secondary: bool,
    set: RwSignal<Option<Result<DisputeResponse, ApiFailure>>>,
    lang: Lang,
) -> impl IntoView {
    let body = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let field = format!("compose-{action}");
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (id, text) = (id.clone(), body.get_untracked());
        leptos::task::spawn_local(async move {
            match send(format!("/disputes/{id}/{action}"), text, id, set).await {
                Ok(()) => {
                    body.set(String::new());
                    problem.set(None);
                }
                Err(m) => problem.set(Some(if m.is_empty() {
                    lang.text().error_generic.into()
                } else {
                    m
                })),
            }
        });
    };
    view! {
        <form class="write" on:submit=submit>
            {heading.map(|h| view! { <h2>{h}</h2> })}
            {move || problem.get().map(|m| view! { <p class="panel" role="alert">{m}</p> })}
            <label for=field.clone()>{label}</label>
            <textarea id=field rows="3" required maxlength=MAX_MESSAGE_CHARS.to_string()
                prop:value=move || body.get() on:input=move |ev| body.set(event_target_value(&ev))></textarea>
            <button class=if secondary { "button secondary" } else { "button" } type="submit">{button}</button>
        </form>
    }
}

/// A file in the thread: its name and size, downloaded (never shown inline).
#[component]
pub fn File(
    dispute: String,
    file: settle_shared::api::AttachmentResponse,
    label: &'static str,
) -> impl IntoView {
    let kb = file.bytes.div_ceil(1024);
    let href = format!("/api/v1/portal/disputes/{dispute}/attachments/{}", file.id);
    view! {
        <a class="file" href=href download=file.name.clone()>{shown(&file.name)}</a>
        <span class="hint">{format!(" · {kb} KB · {label}")}</span>
    }
}

/// Sends a photo or a PDF into the thread; the server checks what it is.
#[component]
fn Attach(
    id: String,
    set: RwSignal<Option<Result<DisputeResponse, ApiFailure>>>,
    lang: Lang,
) -> impl IntoView {
    use wasm_bindgen::JsCast;
    let w = words::words(lang);
    let problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let chosen = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        input.set_value("");
        let id = id.clone();
        busy.set(true);
        leptos::task::spawn_local(async move {
            let name = js_sys::encode_uri_component(&file.name());
            let path = format!("/disputes/{id}/attachments?name={name}");
            match api::post_file::<serde_json::Value>(&path, &file).await {
                Ok(_) => {
                    problem.set(None);
                    if let Ok(d) = api::get::<DisputeResponse>(&format!("/disputes/{id}")).await {
                        set.set(Some(Ok(d)));
                    }
                }
                Err(ApiFailure::Invalid(m) | ApiFailure::RateLimited(m)) => problem.set(Some(m)),
                Err(_) => problem.set(Some(lang.text().error_generic.into())),
            }
            busy.set(false);
        });
    };
    view! {
        <div class="write attach">
            {move || problem.get().map(|m| view! { <p class="panel" role="alert">{m}</p> })}
            <label for="attach">{w.attach}</label>
            <input id="attach" type="file" accept="image/png,image/jpeg,image/gif,image/webp,application/pdf"
                aria-describedby="attach-hint" on:change=chosen disabled=move || busy.get()/>
            <p id="attach-hint" class="hint">{move || if busy.get() { w.uploading } else { w.attach_hint }}</p>
        </div>
    }
}
