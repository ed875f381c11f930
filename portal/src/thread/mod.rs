//! The customer's dispute pages, a bundle of their own under `/disputes/`
//! (the pay path never loads them): say what is wrong with an invoice, then
//! talk it through with the company in a thread, newest message at the
//! bottom, with the sender's name, the time in the customer's time zone and
//! whether the company has read it. A rejection can be contested once.
//!
//! - `/disputes/new/{invoice}`: the form.
//! - `/disputes/{id}`: the thread.
//! - `/disputes`: the customer's disputes.

pub mod live;
pub mod words;

use crate::api::{self, ApiFailure};
use crate::components::{Failure, Shell, browser_lang, set_title};
use crate::format::{money, parse_amount};
use crate::i18n::{Lang, fill};
use leptos::prelude::*;
use settle_shared::api::{
    DisputeMessageRequest, DisputeResponse, InvoiceResponse, ListResponse, OpenDisputeRequest,
    PortalSessionResponse,
};
use settle_shared::dispute::{MAX_MESSAGE_CHARS, Reason, shown};
use words::Words;

enum Page {
    New(String),
    Thread(String),
    List,
}

fn page() -> Page {
    let path = web_sys::window()
        .and_then(|w| w.location().pathname().ok())
        .unwrap_or_default();
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match parts.as_slice() {
        ["disputes", "new", invoice] => Page::New((*invoice).to_owned()),
        ["disputes", id] if !id.is_empty() => Page::Thread((*id).to_owned()),
        _ => Page::List,
    }
}

fn go(to: &str) {
    if let Some(w) = web_sys::window() {
        let _ = w.location().assign(to);
    }
}

/// The dispute pages.
#[component]
pub fn ThreadApp() -> impl IntoView {
    let session = RwSignal::new(None::<Result<PortalSessionResponse, ApiFailure>>);
    leptos::task::spawn_local(async move { session.set(Some(api::session().await)) });
    move || match session.get() {
        None => view! { <p class="loading" role="status">{browser_lang().text().loading}</p> }
            .into_any(),
        Some(Err(e)) => {
            view! { <main id="main" class="narrow"><Failure failure=e lang=browser_lang()/></main> }
                .into_any()
        }
        Some(Ok(s)) => {
            let lang = Lang::from_locale(&s.locale);
            let body = match page() {
                Page::New(invoice) => {
                    view! { <NewDispute session=s.clone() invoice_id=invoice/> }.into_any()
                }
                Page::Thread(id) => view! { <Thread session=s.clone() id=id/> }.into_any(),
                Page::List => view! { <Disputes lang=lang/> }.into_any(),
            };
            view! { <Shell session=s>{body}</Shell> }.into_any()
        }
    }
}

fn reason_label(w: &Words, r: Reason) -> &'static str {
    match r {
        Reason::NotReceived => w.r_not_received,
        Reason::WrongAmount => w.r_wrong_amount,
        Reason::WrongItems => w.r_wrong_items,
        Reason::Quality => w.r_quality,
        Reason::AlreadyPaid => w.r_already_paid,
        Reason::Duplicate => w.r_duplicate,
        Reason::Other => w.r_other,
    }
}

/// "Something's wrong": the reason, the part of the invoice, what was
/// expected, a message.
#[component]
fn NewDispute(session: PortalSessionResponse, invoice_id: String) -> impl IntoView {
    let lang = Lang::from_locale(&session.locale);
    let t = lang.text();
    let w = words::words(lang);
    let company = session.organization.display_name.clone();
    let invoice = RwSignal::new(None::<Result<InvoiceResponse, ApiFailure>>);
    {
        let id = invoice_id.clone();
        leptos::task::spawn_local(async move { invoice.set(Some(api::invoice(id).await)) });
    }
    let locale = session.locale.clone();
    move || match invoice.get() {
        None => view! { <p class="loading" role="status">{t.loading}</p> }.into_any(),
        Some(Err(e)) => view! { <Failure failure=e lang=lang/> }.into_any(),
        Some(Ok(inv)) => {
            set_title(&fill(w.title_new, "number", &inv.number));
            view! { <Form invoice=inv company=company.clone() locale=locale.clone() lang=lang/> }
                .into_any()
        }
    }
}

#[component]
fn Form(invoice: InvoiceResponse, company: String, locale: String, lang: Lang) -> impl IntoView {
    let w = words::words(lang);
    let reason = RwSignal::new(None::<Reason>);
    let some_lines = RwSignal::new(false);
    let chosen = RwSignal::new(Vec::<u32>::new());
    let expected = RwSignal::new(String::new());
    let message = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let already = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let (id, currency) = (invoice.id.clone(), invoice.currency.clone());
    let submit = {
        let (id, currency) = (id.clone(), currency.clone());
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let Some(r) = reason.get_untracked() else {
                problem.set(Some(w.choose_reason.into()));
                return;
            };
            let lines = some_lines.get_untracked().then(|| chosen.get_untracked());
            if lines.as_ref().is_some_and(Vec::is_empty) {
                problem.set(Some(w.choose_lines.into()));
                return;
            }
            let expected_amount = if r.needs_expected_amount() {
                match parse_amount(&expected.get_untracked(), &currency) {
                    Some(a) => Some(a),
                    None => {
                        problem.set(Some(w.expected.into()));
                        return;
                    }
                }
            } else {
                None
            };
            let text = message.get_untracked();
            let body = OpenDisputeRequest {
                reason: r,
                lines,
                expected_amount,
                message: (!text.trim().is_empty()).then_some(text),
            };
            let id = id.clone();
            busy.set(true);
            leptos::task::spawn_local(async move {
                let r = api::post::<DisputeResponse, _>(
                    &format!("/invoices/{id}/disputes"),
                    Some(&body),
                )
                .await;
                busy.set(false);
                match r {
                    Ok(d) => go(&format!("/disputes/{}", d.id)),
                    Err(ApiFailure::Invalid(m)) if m.contains("already in dispute") => {
                        already.set(true)
                    }
                    Err(ApiFailure::Invalid(m) | ApiFailure::RateLimited(m)) => {
                        problem.set(Some(m))
                    }
                    Err(_) => problem.set(Some(lang.text().error_generic.into())),
                }
            });
        }
    };
    let lines = invoice
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let n = (i + 1) as u32;
            let label = format!(
                "{} · {}",
                l.description,
                money(l.net + l.tax, &currency, &locale)
            );
            let input_id = format!("line-{n}");
            view! {
                <label class="choice">
                    <input type="checkbox" id=input_id on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        chosen.update(|c| {
                            c.retain(|x| *x != n);
                            if on { c.push(n); c.sort_unstable(); }
                        });
                    }/>
                    {label}
                </label>
            }
        })
        .collect_view();
    view! {
        <p class="no-print"><a href=format!("/invoices/{id}")>{w.cancel}</a></p>
        <h1>{fill(w.title_new, "number", &invoice.number)}</h1>
        <p>{fill(w.lead_new, "company", &company)}</p>
        {move || problem.get().map(|m| view! { <p class="panel" role="alert">{m}</p> })}
        {move || already.get().then(|| view! {
            <p class="panel" role="alert">{w.already}" "<a href="/disputes">{w.open_it}</a></p>
        })}
        <form class="dispute-form" on:submit=submit>
            <fieldset>
                <legend>{w.reason}</legend>
                {Reason::ALL.into_iter().map(|r| {
                    let input_id = format!("reason-{}", r.as_str());
                    view! {
                        <label class="choice">
                            <input type="radio" name="reason" id=input_id value=r.as_str()
                                on:change=move |_| { reason.set(Some(r)); problem.set(None); }/>
                            {reason_label(w, r)}
                        </label>
                    }
                }).collect_view()}
            </fieldset>
            <fieldset>
                <legend>{w.which_part}</legend>
                <label class="choice" for="part-whole">
                    <input type="radio" name="part" id="part-whole" checked on:change=move |_| some_lines.set(false)/>
                    {w.whole}
                </label>
                <label class="choice" for="part-lines">
                    <input type="radio" name="part" id="part-lines" on:change=move |_| some_lines.set(true)/>
                    {w.some_lines}
                </label>
                <div class="lines-choice" hidden=move || !some_lines.get()>{lines}</div>
            </fieldset>
            <div hidden=move || reason.get() != Some(Reason::WrongAmount)>
                <label for="expected">{format!("{} ({})", w.expected, currency)}</label>
                <input id="expected" inputmode="decimal" prop:value=move || expected.get()
                    on:input=move |ev| expected.set(event_target_value(&ev))/>
            </div>
            <label for="message">{w.message}</label>
            <textarea id="message" rows="5" maxlength=MAX_MESSAGE_CHARS.to_string() aria-describedby="message-hint"
                prop:value=move || message.get() on:input=move |ev| message.set(event_target_value(&ev))></textarea>
            <p id="message-hint" class="hint">{w.message_hint}</p>
            <button class="button" type="submit" disabled=move || busy.get()>{fill(w.send_dispute, "company", &company)}</button>
        </form>
    }
}

/// A time in the customer's time zone and language.
fn when(iso: &str, locale: &str, zone: &str) -> String {
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

/// Fetches `path` now, on every change `changed` reports, and every
/// `POLL_MS` while `live` is false (every `SAFETY_POLL_MS` while it is
/// true), for as long as `alive` holds.
pub fn follow<F, Fut>(fetch: F, changed: RwSignal<u32>, live: RwSignal<bool>, alive: RwSignal<bool>)
where
    F: Fn() -> Fut + 'static,
    Fut: std::future::Future<Output = bool> + 'static,
{
    leptos::task::spawn_local(async move {
        let mut seen = changed.get_untracked();
        loop {
            if !fetch().await {
                break;
            }
            let mut waited = 0;
            loop {
                live::sleep(250).await;
                waited += 250;
                if !alive.get_untracked() {
                    return;
                }
                let every = if live.get_untracked() {
                    live::SAFETY_POLL_MS
                } else {
                    live::POLL_MS
                };
                let now = changed.get_untracked();
                if now != seen || waited >= every {
                    seen = now;
                    break;
                }
            }
        }
    });
}

/// The thread, live: a socket says when it changed; without one, it is
/// fetched every few seconds, and the page says so.
#[component]
fn Thread(session: PortalSessionResponse, id: String) -> impl IntoView {
    let lang = Lang::from_locale(&session.locale);
    let t = lang.text();
    let dispute = RwSignal::new(None::<Result<DisputeResponse, ApiFailure>>);
    let (changed, live_now, alive) = (
        RwSignal::new(0u32),
        RwSignal::new(false),
        RwSignal::new(true),
    );
    on_cleanup(move || alive.set(false));
    live::listen(
        format!("/api/v1/portal/disputes/{id}/live"),
        changed,
        live_now,
        alive,
    );
    follow(
        move || {
            let id = id.clone();
            async move {
                let r = api::get::<DisputeResponse>(&format!("/disputes/{id}")).await;
                // A failed first load says why and stops; a failed refresh
                // keeps what is shown.
                let first = dispute.get_untracked().is_none();
                let go_on = r.is_ok() || !first;
                if r.is_ok() || first {
                    dispute.set(Some(r));
                }
                go_on
            }
        },
        changed,
        live_now,
        alive,
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
                    <p class="body">{shown(&m.body)}</p>
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
            </div>
        }.into_any()),
        _ => None,
    };
    let open = d.status == "open";
    view! {
        <p class="no-print"><a href=format!("/invoices/{}", d.invoice_id)>{w.see_invoice}</a></p>
        <header class="invoice-head">
            <h1>{fill(w.thread_title, "number", &d.invoice_number)}</h1>
            <span class="badge">{state}</span>
        </header>
        {open.then(|| {
            // The undisputed part can still be paid, from the invoice.
            let rest = d.invoice_amount_due > d.disputed_amount;
            view! {
                <p>
                    {fill(w.in_dispute, "amount", &money(d.disputed_amount, &d.currency, &session.locale))}
                    {rest.then(|| view! { " "{w.pay_rest} })}
                </p>
            }
        })}
        {(open && d.invoice_amount_due > d.disputed_amount).then(|| {
            let part = d.invoice_amount_due - d.disputed_amount;
            let label = fill(w.pay_part, "amount", &money(part, &d.currency, &session.locale));
            view! { <PayPart invoice_id=d.invoice_id.clone() amount=part label=label lang=lang/> }
        })}
        {ended}
        <ol class="thread" aria-live="polite">{messages}</ol>
        {(d.status != "resolved").then(|| view! { <Write id=d.id.clone() set=set lang=lang/> })}
        {d.can_reopen.then(|| view! { <Reopen id=d.id.clone() set=set lang=lang/> })}
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

#[component]
fn Write(
    id: String,
    set: RwSignal<Option<Result<DisputeResponse, ApiFailure>>>,
    lang: Lang,
) -> impl IntoView {
    let w = words::words(lang);
    let body = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (id, text) = (id.clone(), body.get_untracked());
        leptos::task::spawn_local(async move {
            match send(format!("/disputes/{id}/messages"), text, id, set).await {
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
            {move || problem.get().map(|m| view! { <p class="panel" role="alert">{m}</p> })}
            <label for="write">{w.write}</label>
            <textarea id="write" rows="3" required maxlength=MAX_MESSAGE_CHARS.to_string()
                prop:value=move || body.get() on:input=move |ev| body.set(event_target_value(&ev))></textarea>
            <button class="button" type="submit">{w.send}</button>
        </form>
    }
}

#[component]
fn Reopen(
    id: String,
    set: RwSignal<Option<Result<DisputeResponse, ApiFailure>>>,
    lang: Lang,
) -> impl IntoView {
    let w = words::words(lang);
    let body = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (id, text) = (id.clone(), body.get_untracked());
        leptos::task::spawn_local(async move {
            match send(format!("/disputes/{id}/reopen"), text, id, set).await {
                Ok(()) => problem.set(None),
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
            <h2>{w.reopen_title}</h2>
            {move || problem.get().map(|m| view! { <p class="panel" role="alert">{m}</p> })}
            <label for="reopen">{w.reopen_hint}</label>
            <textarea id="reopen" rows="3" required maxlength=MAX_MESSAGE_CHARS.to_string()
                prop:value=move || body.get() on:input=move |ev| body.set(event_target_value(&ev))></textarea>
            <button class="button secondary" type="submit">{w.reopen}</button>
        </form>
    }
}

/// The customer's disputes.
#[component]
fn Disputes(lang: Lang) -> impl IntoView {
    let w = words::words(lang);
    let t = lang.text();
    set_title(w.your_disputes);
    let list = RwSignal::new(None::<Result<ListResponse<DisputeResponse>, ApiFailure>>);
    leptos::task::spawn_local(async move { list.set(Some(api::get("/disputes").await)) });
    view! {
        <h1>{w.your_disputes}</h1>
        {move || match list.get() {
            None => view! { <p class="loading" role="status">{t.loading}</p> }.into_any(),
            Some(Err(e)) => view! { <Failure failure=e lang=lang/> }.into_any(),
            Some(Ok(l)) => view! {
                <ul class="dispute-list">{l.data.into_iter().map(|d| {
                    let state = match d.status.as_str() { "open" => w.state_open, "resolved" => w.state_resolved, _ => w.state_rejected };
                    view! { <li><a href=format!("/disputes/{}", d.id)>{fill(w.thread_title, "number", &d.invoice_number)}</a>" · "{state}</li> }
                }).collect_view()}</ul>
            }.into_any(),
        }}
    }
}
