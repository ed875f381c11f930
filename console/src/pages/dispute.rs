//! `/console/disputes/{id}`: one dispute: what the customer says is wrong,
//! the conversation (newest at the bottom, with who wrote and when, and
//! whether the customer has read the company's answers), an answer box, and
//! the ways to end it: a credit note, a corrected invoice that replaces the
//! old one, settled as it is, or a rejection the customer sees. Changes arrive live over a WebSocket (or, without one,
//! every few seconds).

use super::disputes::{days_until, kind_word, reason_word, status_word};
use crate::api::{self, ApiFailure};
use crate::shell::{Failure, Session, set_title};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use settle_portal::format::{date, money, parse_amount};
use settle_portal::i18n::fill;
use settle_portal::thread::live;
use settle_shared::api::{
    DisputeMessageRequest, DisputeMessageResponse, DisputeResponse, ListResponse, MemberResponse,
    RejectDisputeRequest, ResolveDisputeRequest,
};
use settle_shared::dispute::shown;
use settle_shared::staff::Capability;

#[component]
pub fn DisputePage() -> impl IntoView {
    let t = expect_context::<Session>().t();
    let id = use_params_map()
        .read_untracked()
        .get("id")
        .unwrap_or_default();
    let dispute = RwSignal::new(None::<Result<DisputeResponse, ApiFailure>>);
    // Live: a socket to the thread says when it changed; without one the
    // page asks every few seconds and says so.
    let live_now = live::watch(
        format!("/api/v1/disputes/{id}/live"),
        move || {
            let path = format!("/disputes/{id}");
            async move { api::get::<DisputeResponse>(&path).await }
        },
        dispute,
    );
    move || match dispute.get() {
        None => view! { <p class="loading" role="status">{t.loading}</p> }.into_any(),
        Some(Err(e)) => view! { <Failure failure=e/> }.into_any(),
        Some(Ok(d)) => {
            set_title(&format!("{} · {}", t.dispute_word, d.invoice_number));
            view! {
                <Dispute d=d set=dispute/>
                <p class="badge" role="status">{move || if live_now.get() { t.live_on } else { t.live_off }}</p>
            }.into_any()
        }
    }
}

#[component]
fn Dispute(
    d: DisputeResponse,
    set: RwSignal<Option<Result<DisputeResponse, ApiFailure>>>,
) -> impl IntoView {
    let session = expect_context::<Session>();
    let t = session.t();
    let locale = session.me.member.locale.clone();
    let open = d.status == "open";
    let chargeback = d.kind == "chargeback";
    let (customer_link, customer_name) = (
        format!("/console/customers/{}", d.customer_id),
        d.customer_name.clone(),
    );
    let lines = match &d.lines {
        None => t.whole_invoice.to_owned(),
        Some(l) => l.iter().map(u32::to_string).collect::<Vec<_>>().join(", "),
    };
    view! {
        <div class="heading">
            <h1>{format!("{} · {}", t.dispute_word, d.invoice_number)}</h1>
            <span class="badge">{status_word(t, &d.status)}</span>
        </div>
        <dl class="facts">
            <dt>{t.customer}</dt><dd><A href=customer_link>{customer_name}</A></dd>
            <dt>{t.kind}</dt><dd>{kind_word(t, &d.kind)}</dd>
            <dt>{t.reason_word}</dt><dd>{reason_word(t, &d.reason)}</dd>
            <dt>{t.lines_disputed}</dt><dd>{lines}</dd>
            {d.expected_amount.map(|e| view! { <dt>{t.expected}</dt><dd>{money(e, &d.currency, &locale)}</dd> })}
            <dt>{t.disputed_amount}</dt><dd>{money(d.disputed_amount, &d.currency, &locale)}</dd>
            {d.evidence_due_at.clone().map(|e| {
                let soon = days_until(&e) <= 3 && d.status == "open";
                view! { <dt>{t.evidence_due}</dt><dd class=if soon { "due-soon" } else { "" }>{date(&e[..10], &locale)}</dd> }
            })}
            {d.credit_note.clone().map(|c| view! {
                <dt>{t.resolved}</dt>
                <dd>{fill(&fill(t.credit_note_issued, "number", &c.number), "amount", &money(c.amount, &c.currency, &locale))}</dd>
            })}
            {d.corrected_invoice.clone().map(|c| view! {
                <dt>{t.resolved}</dt>
                <dd><A href=format!("/console/invoices/{}", c.id)>{fill(t.corrected_invoice_issued, "number", &c.number)}</A></dd>
            })}
        </dl>
        <Assignee id=d.id.clone() assigned=d.assigned_to.clone() set=set/>
        {chargeback.then(|| view! { <p class="notice">{t.stripe_decides}</p> })}
        <p class="actions no-print">
            <a href=format!("/api/v1/disputes/{}/transcript", d.id) download>{t.transcript}</a>
            <button type="button" class="secondary" on:click=|_| { let _ = window().print(); }>{t.print_page}</button>
        </p>
        <h2>{t.thread}</h2>
        <Thread id=d.id.clone() messages=d.messages.clone() read_by_customer=d.other_side_read_at.clone()/>
        {(d.status != "resolved").then(|| view! { <Answer id=d.id.clone() set=set/> })}
        {(open && !chargeback).then(|| view! { <End d=d.clone() set=set/> })}
    }
}

/// The messages, oldest first, as text (never markup), with the company's
/// last answer marked read or not by the customer.
#[component]
fn Thread(
    id: String,
    messages: Vec<DisputeMessageResponse>,
    read_by_customer: Option<String>,
) -> impl IntoView {
    let session = expect_context::<Session>();
    let t = session.t();
    let locale = session.me.member.locale.clone();
    let last_ours = messages.iter().rposition(|m| m.author != "customer");
    view! {
        <ol class="thread" aria-live="polite">
            {messages.into_iter().enumerate().map(|(i, m)| {
                let ours = m.author != "customer";
                let when = format!("{} {}", date(&m.created_at[..10], &locale), &m.created_at[11..16]);
                let via_email = (m.via == "email").then(|| {
                    let full = m.full_body.clone().filter(|f| f.trim() != m.body.trim());
                    view! {
                        <p class="hint">{t.by_email}</p>
                        {full.map(|f| view! { <details><summary>{t.whole_email}</summary><pre class="body">{shown(&f)}</pre></details> })}
                    }
                });
                let read = (Some(i) == last_ours).then(|| {
                    let seen = read_by_customer.as_deref().is_some_and(|r| r >= m.created_at.as_str());
                    view! { <span class="read">{if seen { t.read_by_customer } else { t.not_read_yet }}</span> }
                });
                view! {
                    <li class=if ours { "message ours" } else { "message theirs" }>
                        <p class="who"><strong>{m.author_name.clone()}</strong>" · "<time datetime=m.created_at.clone()>{when}" UTC"</time></p>
                        {match &m.attachment {
                            Some(f) => {
                                let href = format!("/api/v1/disputes/{id}/attachments/{}", f.id);
                                let size = format!(" · {} KB", f.bytes.div_ceil(1024));
                                view! { <p class="body"><a class="file" href=href download=f.name.clone()>{shown(&f.name)}</a>{size}</p> }.into_any()
                            }
                            None => view! { <p class="body">{shown(&m.body)}</p> }.into_any(),
                        }}
                        {via_email}
                        {read}
                    </li>
                }
            }).collect_view()}
        </ol>
    }
}

#[component]
fn Answer(id: String, set: RwSignal<Option<Result<DisputeResponse, ApiFailure>>>) -> impl IntoView {
    let t = expect_context::<Session>().t();
    let id2 = id.clone();
    let body = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<ApiFailure>);
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (id, text) = (id.clone(), body.get_untracked());
        leptos::task::spawn_local(async move {
            let r = api::post::<DisputeMessageResponse, _>(
                &format!("/disputes/{id}/messages"),
                &DisputeMessageRequest { body: text },
            )
            .await;
            match r {
                Ok(_) => {
                    body.set(String::new());
                    problem.set(None);
                    if let Ok(d) = api::get::<DisputeResponse>(&format!("/disputes/{id}")).await {
                        set.set(Some(Ok(d)));
                    }
                }
                Err(e) => problem.set(Some(e)),
            }
        });
    };
    let attach = move |ev: leptos::ev::Event| {
        use wasm_bindgen::JsCast;
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
        let id = id2.clone();
        leptos::task::spawn_local(async move {
            let name = js_sys::encode_uri_component(&file.name());
            let path = format!("/disputes/{id}/attachments?name={name}");
            match api::post_file::<DisputeMessageResponse>(&path, file).await {
                Ok(_) => {
                    problem.set(None);
                    if let Ok(d) = api::get::<DisputeResponse>(&format!("/disputes/{id}")).await {
                        set.set(Some(Ok(d)));
                    }
                }
                Err(e) => problem.set(Some(e)),
            }
        });
    };
    view! {
        <form class="card answer" on:submit=send>
            {move || problem.get().map(|e| view! { <Failure failure=e/> })}
            <label for="answer">{t.your_answer}</label>
            <textarea id="answer" rows="4" maxlength="4000" required
                prop:value=move || body.get() on:input=move |ev| body.set(event_target_value(&ev))></textarea>
            <button type="submit">{t.send}</button>
            <label for="attach">{t.attach_file}</label>
            <input id="attach" type="file" accept="image/png,image/jpeg,image/gif,image/webp,application/pdf" on:change=attach/>
        </form>
    }
}

/// The ways to end an open dispute.
#[component]
fn End(
    d: DisputeResponse,
    set: RwSignal<Option<Result<DisputeResponse, ApiFailure>>>,
) -> impl IntoView {
    let session = expect_context::<Session>();
    let t = session.t();
    let locale = session.me.member.locale.clone();
    let currency = d.currency.clone();
    let amount = RwSignal::new(format!("{:.2}", d.disputed_amount as f64 / 100.0));
    let words = RwSignal::new(String::new());
    let why = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<ApiFailure>);
    let id = d.id.clone();
    let finish = move |path: String, body: serde_json::Value| {
        leptos::task::spawn_local(async move {
            match api::post::<DisputeResponse, _>(&path, &body).await {
                Ok(d) => {
                    problem.set(None);
                    set.set(Some(Ok(d)));
                }
                Err(e) => problem.set(Some(e)),
            }
        });
    };
    let credit = {
        let (id, currency) = (id.clone(), currency.clone());
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let Some(minor) = parse_amount(&amount.get_untracked(), &currency) else {
                problem.set(Some(ApiFailure::Refused(t.amount.to_owned())));
                return;
            };
            let body = ResolveDisputeRequest {
                outcome: Some("credit_note".into()),
                credit_amount: Some(minor),
                corrected_invoice: None,
                resolution: words.get_untracked(),
            };
            finish(
                format!("/disputes/{id}/resolve"),
                serde_json::to_value(body).unwrap_or_default(),
            );
        }
    };
    let settled = {
        let id = id.clone();
        move |_| {
            let body = ResolveDisputeRequest {
                outcome: Some("resolved".into()),
                credit_amount: None,
                corrected_invoice: None,
                resolution: words.get_untracked(),
            };
            finish(
                format!("/disputes/{id}/resolve"),
                serde_json::to_value(body).unwrap_or_default(),
            );
        }
    };
    let reject = {
        let id = id.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let body = RejectDisputeRequest {
                reason: why.get_untracked(),
            };
            finish(
                format!("/disputes/{id}/reject"),
                serde_json::to_value(body).unwrap_or_default(),
            );
        }
    };
    view! {
        {move || problem.get().map(|e| view! { <Failure failure=e/> })}
        <form class="card" on:submit=credit>
            <h2>{t.resolve_credit}</h2>
            <label for="credit-amount">{format!("{} ({})", t.credit_amount, currency)}</label>
            <input id="credit-amount" inputmode="decimal" required prop:value=move || amount.get()
                on:input=move |ev| amount.set(event_target_value(&ev))/>
            <p class="badge">{format!("{}: {}", t.disputed_amount, money(d.disputed_amount, &d.currency, &locale))}</p>
            <label for="resolution">{t.resolution_message}</label>
            <textarea id="resolution" rows="3" required prop:value=move || words.get()
                on:input=move |ev| words.set(event_target_value(&ev))></textarea>
            <div class="actions">
                <button type="submit">{t.resolve_credit}</button>
                <button type="button" class="secondary" on:click=settled disabled=move || words.get().trim().is_empty()>{t.resolve_settled}</button>
            </div>
        </form>
        <super::correction::Correction id=d.id.clone() invoice_id=d.invoice_id.clone() currency=d.currency.clone() set=set/>
        <form class="card" on:submit=reject>
            <h2>{t.reject_dispute}</h2>
            <label for="reject-why">{t.reject_reason}</label>
            <textarea id="reject-why" rows="3" required prop:value=move || why.get()
                on:input=move |ev| why.set(event_target_value(&ev))></textarea>
            <button type="submit" class="danger">{t.reject_dispute}</button>
        </form>
    }
}

/// Who works the dispute: supervisors and admins pick anyone of the team;
/// an agent may take it.
#[component]
fn Assignee(
    id: String,
    assigned: Option<String>,
    set: RwSignal<Option<Result<DisputeResponse, ApiFailure>>>,
) -> impl IntoView {
    let session = expect_context::<Session>();
    let t = session.t();
    let me = session.me.member.id.clone();
    let can_assign = session.may(Capability::Approve);
    let team = RwSignal::new(Vec::<MemberResponse>::new());
    if can_assign {
        leptos::task::spawn_local(async move {
            if let Ok(l) = api::get::<ListResponse<MemberResponse>>("/team").await {
                team.set(l.data);
            }
        });
    }
    let chosen = RwSignal::new(assigned.clone().unwrap_or_default());
    let problem = RwSignal::new(None::<ApiFailure>);
    let assign = move |member: Option<String>| {
        let id = id.clone();
        leptos::task::spawn_local(async move {
            let body = serde_json::json!({ "member_id": member });
            match api::post::<DisputeResponse, _>(&format!("/disputes/{id}/assign"), &body).await {
                Ok(d) => {
                    problem.set(None);
                    set.set(Some(Ok(d)));
                }
                Err(e) => problem.set(Some(e)),
            }
        });
    };
    let name_of = {
        let assigned = assigned.clone();
        let me = me.clone();
        move || match &assigned {
            None => t.nobody.to_owned(),
            Some(a) if *a == me => session.me.member.name.clone(),
            Some(a) => team
                .get()
                .iter()
                .find(|m| &m.id == a)
                .map(|m| m.name.clone())
                .unwrap_or_else(|| a.clone()),
        }
    };
    let mine = assigned.as_deref() == Some(me.as_str());
    let take = {
        let (assign, me) = (assign.clone(), me.clone());
        move |_| assign(Some(me.clone()))
    };
    view! {
        <div class="assign">
            <p><strong>{t.assigned_to}": "</strong>{name_of}</p>
            {move || problem.get().map(|e| view! { <Failure failure=e/> })}
            {if can_assign {
                view! {
                    <form class="filters" on:submit=move |ev: leptos::ev::SubmitEvent| {
                        ev.prevent_default();
                        let m = chosen.get_untracked();
                        assign((!m.is_empty()).then_some(m));
                    }>
                        <label>{t.assigned_to}
                            <select on:change=move |ev| chosen.set(event_target_value(&ev))>
                                <option value="">{t.nobody}</option>
                                {move || team.get().into_iter().map(|m| {
                                    let selected = m.id == chosen.get_untracked();
                                    view! { <option value=m.id.clone() selected=selected>{m.name.clone()}</option> }
                                }).collect_view()}
                            </select>
                        </label>
                        <button type="submit">{t.assign}</button>
                    </form>
                }.into_any()
            } else if !mine {
                view! { <button type="button" on:click=take>{t.take_it}</button> }.into_any()
            } else {
                ().into_any()
            }}
        </div>
    }
}
