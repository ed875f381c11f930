//! Payment dates: `/console/payment-dates` lists the promises to pay (made
//! in the portal or recorded by an agent) with their state, the day an
//! unpaid one breaks and whether its reminder went; agents cancel them, and
//! after a broken promise agree that the customer may promise again. The
//! invoice page carries [`InvoicePromises`]: its promise, and a form to
//! record one made by phone. Scheduled payments have their section
//! (`schedules`).

use super::{Pager, PagerButtons};
use crate::api;
use crate::i18n::Words;
use crate::shell::{Failure, Session, set_title};
use leptos::prelude::*;
use leptos_router::components::A;
use settle_portal::format::{date, money};
use settle_portal::i18n::fill;
use settle_shared::api::{
    ListResponse, OrganizationResponse, PlanDecisionRequest, PlanResponse, PromiseRequest,
    PromiseResponse, PromiseSettings, UpdateOrganizationRequest,
};
use settle_shared::staff::Capability;

/// A promise's state in words.
pub fn state_word(t: &Words, status: &str) -> &'static str {
    match status {
        "active" => t.promise_active,
        "kept" => t.promise_kept,
        "broken" => t.promise_broken,
        _ => t.promise_cancelled,
    }
}

fn source_word(t: &Words, source: &str) -> &'static str {
    if source == "portal" {
        t.by_customer
    } else {
        t.by_agent
    }
}

/// Cancels an active promise, or agrees to a new one after a broken one.
fn act(path: String, changed: RwSignal<u32>, problem: RwSignal<Option<String>>, t: &'static Words) {
    leptos::task::spawn_local(async move {
        match api::post::<serde_json::Value, _>(&path, &serde_json::json!({})).await {
            Ok(_) => changed.update(|v| *v += 1),
            Err(e) => problem.set(Some(e.message(t))),
        }
    });
}

/// The list of promises.
#[component]
pub fn PaymentDates() -> impl IntoView {
    let session = expect_context::<Session>();
    let t = session.t();
    set_title(t.payment_dates);
    let status = RwSignal::new("active".to_owned());
    let pager = Pager::new();
    let changed = RwSignal::new(0u32);
    let problem = RwSignal::new(None::<String>);
    let list = LocalResource::new(move || {
        changed.track();
        let path = format!(
            "/promises{}",
            api::query(&[
                ("status", &status.get()),
                ("cursor", &pager.cursor.get().unwrap_or_default()),
                ("limit", "25"),
            ])
        );
        async move { api::get::<ListResponse<PromiseResponse>>(&path).await }
    });
    let locale = session.me.member.locale.clone();
    view! {
        <h1>{t.payment_dates}</h1>
        <p class="hint">{t.payment_dates_lead}</p>
        <div class="filters">
            <label>{t.status}
                <select on:change=move |ev| { status.set(event_target_value(&ev)); pager.reset(); }>
                    <option value="active" selected>{t.promise_active}</option>
                    <option value="broken">{t.promise_broken}</option>
                    <option value="kept">{t.promise_kept}</option>
                    <option value="cancelled">{t.promise_cancelled}</option>
                    <option value="">{t.any}</option>
                </select>
            </label>
        </div>
        {move || problem.get().map(|m| view! { <p class="error" role="alert">{m}</p> })}
        {move || match list.get() {
            None => view! { <p class="loading" role="status">{t.loading}</p> }.into_any(),
            Some(Err(e)) => view! { <Failure failure=e/> }.into_any(),
            Some(Ok(page)) if page.data.is_empty() => view! { <p>{t.no_promises}</p> }.into_any(),
            Some(Ok(page)) => {
                let locale = locale.clone();
                view! {
                    <table class="promises">
                        <thead><tr>
                            <th scope="col">{t.invoice_word}</th><th scope="col">{t.customer}</th>
                            <th scope="col">{t.promised_date}</th><th scope="col" class="num">{t.amount_due}</th>
                            <th scope="col">{t.status}</th><th scope="col">{t.breaks_on}</th><th scope="col">{t.made_by}</th>
                            <th scope="col"><span class="visually-hidden">{t.actions}</span></th>
                        </tr></thead>
                        <tbody>{page.data.clone().into_iter().map(|p| {
                            let action = match p.status.as_str() {
                                "active" => {
                                    let path = format!("/promises/{}/cancel", p.id);
                                    Some(view! { <button type="button" class="secondary" on:click=move |_| act(path.clone(), changed, problem, t)>{t.cancel_promise}</button> }.into_any())
                                }
                                "broken" if p.needs_approval => {
                                    let path = format!("/invoices/{}/promises/approval", p.invoice_id);
                                    Some(view! { <button type="button" on:click=move |_| act(path.clone(), changed, problem, t)>{t.allow_new_promise}</button> }.into_any())
                                }
                                _ => None,
                            };
                            view! {
                                <tr class=if p.status == "broken" { "broken" } else { "" }>
                                    <td><A href=format!("/console/invoices/{}", p.invoice_id)>{p.invoice_number.clone()}</A></td>
                                    <td><A href=format!("/console/customers/{}", p.customer_id)>{p.customer_name.clone()}</A></td>
                                    <td>{date(&p.promised_date, &locale)}
                                        {p.note.clone().map(|n| view! { <br/><span class="hint">{n}</span> })}</td>
                                    <td class="num">{money(p.amount_due, &p.currency, &locale)}</td>
                                    <td><span class=format!("badge {}", p.status)>{state_word(t, &p.status)}</span></td>
                                    <td>{p.breaks_on.as_deref().map(|d| date(d, &locale)).unwrap_or_default()}</td>
                                    <td>{source_word(t, &p.source)}</td>
                                    <td>{action}</td>
                                </tr>
                            }
                        }).collect_view()}</tbody>
                    </table>
                    <PagerButtons pager=pager next=page.next_cursor.clone()/>
                }.into_any()
            }
        }}
        <Plans/>
        <super::schedules::Schedules/>
        {session.may(Capability::Configure).then(|| view! { <Limits/> })}
    }
}

/// A plan's state in words.
fn plan_word(t: &Words, status: &str) -> &'static str {
    match status {
        "proposed" => t.plan_proposed,
        "active" => t.promise_active,
        "completed" => t.plan_completed,
        "broken" => t.plan_broken,
        "rejected" => t.rejected,
        _ => t.promise_cancelled,
    }
}

/// Instalment plans: proposals past the rules wait here for a supervisor,
/// who approves or rejects each with a message the customer is emailed.
#[component]
fn Plans() -> impl IntoView {
    let session = expect_context::<Session>();
    let t = session.t();
    let approver = session.may(Capability::Approve);
    let status = RwSignal::new(String::new());
    let changed = RwSignal::new(0u32);
    let problem = RwSignal::new(None::<String>);
    let list = LocalResource::new(move || {
        changed.track();
        let path = format!(
            "/plans{}",
            api::query(&[("status", &status.get()), ("limit", "50")])
        );
        async move { api::get::<ListResponse<PlanResponse>>(&path).await }
    });
    let locale = session.me.member.locale.clone();
    view! {
        <section aria-labelledby="plans-h">
            <h2 id="plans-h">{t.instalment_plans}</h2>
            <div class="filters">
                <label>{t.status}
                    <select on:change=move |ev| status.set(event_target_value(&ev))>
                        <option value="" selected>{t.any}</option>
                        <option value="proposed">{t.plan_proposed}</option>
                        <option value="active">{t.promise_active}</option>
                        <option value="broken">{t.plan_broken}</option>
                        <option value="completed">{t.plan_completed}</option>
                    </select>
                </label>
            </div>
            {move || problem.get().map(|m| view! { <p class="error" role="alert">{m}</p> })}
            {move || match list.get() {
                None => view! { <p class="loading">{t.loading}</p> }.into_any(),
                Some(Err(e)) => view! { <Failure failure=e/> }.into_any(),
                Some(Ok(page)) if page.data.is_empty() => view! { <p>{t.no_plans}</p> }.into_any(),
                Some(Ok(page)) => {
                    let locale = locale.clone();
                    view! {
                        <table class="plans">
                            <thead><tr>
                                <th scope="col">{t.invoice_word}</th><th scope="col">{t.customer}</th>
                                <th scope="col">{t.instalments_word}</th><th scope="col" class="num">{t.total}</th>
                                <th scope="col">{t.status}</th><th scope="col">{t.actions}</th>
                            </tr></thead>
                            <tbody>{page.data.into_iter().map(|p| {
                                let schedule = p.instalments.iter()
                                    .map(|i| format!("{} · {}{}", date(&i.date, &locale), money(i.amount, &p.currency, &locale), if i.paid { " ✓" } else { "" }))
                                    .collect::<Vec<_>>();
                                let message = RwSignal::new(String::new());
                                let decide = move |path: String| {
                                    let body = PlanDecisionRequest { message: Some(message.get_untracked()).filter(|m| !m.trim().is_empty()) };
                                    leptos::task::spawn_local(async move {
                                        match api::post::<PlanResponse, _>(&path, &body).await {
                                            Ok(_) => { problem.set(None); changed.update(|v| *v += 1) }
                                            Err(e) => problem.set(Some(e.message(t))),
                                        }
                                    });
                                };
                                let (approve, reject, cancel) = (
                                    format!("/plans/{}/approve", p.id),
                                    format!("/plans/{}/reject", p.id),
                                    format!("/plans/{}/cancel", p.id),
                                );
                                let input_id = format!("msg-{}", p.id);
                                let actions = match p.status.as_str() {
                                    "proposed" if approver => Some(view! {
                                        <div class="decide">
                                            <label for=input_id.clone()>{t.message_to_customer}</label>
                                            <input id=input_id maxlength="500" prop:value=move || message.get() on:input=move |ev| message.set(event_target_value(&ev))/>
                                            <button type="button" on:click=move |_| decide(approve.clone())>{t.approve}</button>
                                            <button type="button" class="danger" on:click=move |_| decide(reject.clone())>{t.reject}</button>
                                        </div>
                                    }.into_any()),
                                    "proposed" | "active" => Some(view! {
                                        <button type="button" class="secondary" on:click=move |_| act(cancel.clone(), changed, problem, t)>{t.cancel_plan}</button>
                                    }.into_any()),
                                    // A broken plan locks new dates until an agent agrees.
                                    "broken" => {
                                        let path = format!("/invoices/{}/promises/approval", p.invoice_id);
                                        Some(view! {
                                            <button type="button" on:click=move |_| act(path.clone(), changed, problem, t)>{t.allow_new_promise}</button>
                                        }.into_any())
                                    }
                                    _ => None,
                                };
                                let past = p.outside_rules.len();
                                // A plan over the whole overdue balance: its other invoices.
                                let others = (p.invoice_numbers.len() > 1).then(|| {
                                    let o: Vec<&str> = p.invoice_numbers.iter().map(String::as_str).filter(|n| *n != p.invoice_number).collect();
                                    format!("+ {}", o.join(", "))
                                });
                                view! {
                                    <tr>
                                        <td><A href=format!("/console/invoices/{}", p.invoice_id)>{p.invoice_number.clone()}</A>
                                            // A plan over the whole overdue balance: its other invoices.
                                            {others.map(|o| view! { <br/><span class="hint">{o}</span> })}</td>
                                        <td><A href=format!("/console/customers/{}", p.customer_id)>{p.customer_name.clone()}</A></td>
                                        <td><ul class="plain">{schedule.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul>
                                            {(past > 0).then(|| view! { <span class="badge broken">{t.past_rules}</span> })}</td>
                                        <td class="num">{money(p.total, &p.currency, &locale)}</td>
                                        <td><span class=format!("badge {}", p.status)>{plan_word(t, &p.status)}</span>
                                            {p.decision_message.clone().map(|m| view! { <br/><span class="hint">{m}</span> })}</td>
                                        <td>{actions}</td>
                                    </tr>
                                }
                            }).collect_view()}</tbody>
                        </table>
                    }.into_any()
                }
            }}
        </section>
    }
}

/// The organization's limits (admins): how far ahead customers may promise,
/// and the grace after the date before a promise is broken.
#[component]
fn Limits() -> impl IntoView {
    let t = expect_context::<Session>().t();
    let max_days = RwSignal::new(String::new());
    let grace_days = RwSignal::new(String::new());
    let note = RwSignal::new(None::<Result<&'static str, String>>);
    leptos::task::spawn_local(async move {
        if let Ok(org) = api::get::<OrganizationResponse>("/organization").await {
            max_days.set(org.promises.max_days.to_string());
            grace_days.set(org.promises.grace_days.to_string());
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (Ok(max), Ok(grace)) = (
            max_days.get_untracked().trim().parse::<u32>(),
            grace_days.get_untracked().trim().parse::<u32>(),
        ) else {
            note.set(Some(Err(t.whole_days.to_owned())));
            return;
        };
        let body = UpdateOrganizationRequest {
            branding: None,
            payments: None,
            reminders: None,
            promises: Some(PromiseSettings {
                max_days: max,
                grace_days: grace,
            }),
            plans: None,
            billing: None,
        };
        leptos::task::spawn_local(async move {
            let r = api::patch::<OrganizationResponse, _>("/organization", &body).await;
            note.set(Some(r.map(|_| t.saved).map_err(|e| e.message(t))));
        });
    };
    view! {
        <form class="card" on:submit=submit>
            <h2>{t.promise_limits}</h2>
            {move || note.get().map(|r| match r {
                Ok(m) => view! { <p class="notice" role="status">{m}</p> }.into_any(),
                Err(m) => view! { <p class="error" role="alert">{m}</p> }.into_any(),
            })}
            <label for="pl-max">{t.promise_max_days}</label>
            <input id="pl-max" inputmode="numeric" required prop:value=move || max_days.get() on:input=move |ev| max_days.set(event_target_value(&ev))/>
            <label for="pl-grace">{t.promise_grace_days}</label>
            <input id="pl-grace" inputmode="numeric" required prop:value=move || grace_days.get() on:input=move |ev| grace_days.set(event_target_value(&ev))/>
            <button type="submit">{t.save_changes}</button>
        </form>
    }
}

/// The invoice's promises, and a form to record one made by phone.
#[component]
pub fn InvoicePromises(invoice_id: String, open: bool, changed: RwSignal<u32>) -> impl IntoView {
    let session = expect_context::<Session>();
    let t = session.t();
    let locale = session.me.member.locale.clone();
    let problem = RwSignal::new(None::<String>);
    let list = {
        let id = invoice_id.clone();
        LocalResource::new(move || {
            changed.track();
            let path = format!("/promises?invoice_id={id}&limit=5");
            async move { api::get::<ListResponse<PromiseResponse>>(&path).await }
        })
    };
    let day = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let submit = {
        let id = invoice_id.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let text = note.get_untracked();
            let body = PromiseRequest {
                promised_date: day.get_untracked(),
                note: (!text.trim().is_empty()).then_some(text),
            };
            let path = format!("/invoices/{id}/promises");
            leptos::task::spawn_local(async move {
                match api::post::<PromiseResponse, _>(&path, &body).await {
                    Ok(_) => {
                        problem.set(None);
                        day.set(String::new());
                        note.set(String::new());
                        changed.update(|v| *v += 1);
                    }
                    Err(e) => problem.set(Some(e.message(t))),
                }
            });
        }
    };
    view! {
        <section class="card" aria-labelledby="promise-h">
            <h2 id="promise-h">{t.payment_dates}</h2>
            {move || problem.get().map(|m| view! { <p class="error" role="alert">{m}</p> })}
            {move || match list.get() {
                None => view! { <p class="loading">{t.loading}</p> }.into_any(),
                Some(Err(e)) => view! { <Failure failure=e/> }.into_any(),
                Some(Ok(page)) if page.data.is_empty() => view! { <p>{t.no_promises}</p> }.into_any(),
                Some(Ok(page)) => {
                    let locale = locale.clone();
                    view! { <ul class="promise-list">{page.data.into_iter().map(|p| {
                        let line = fill(
                            &fill(t.promise_line, "date", &date(&p.promised_date, &locale)),
                            "who",
                            source_word(t, &p.source),
                        );
                        let cancel = (p.status == "active").then(|| {
                            let path = format!("/promises/{}/cancel", p.id);
                            view! { <button type="button" class="secondary" on:click=move |_| act(path.clone(), changed, problem, t)>{t.cancel_promise}</button> }
                        });
                        let approve = (p.status == "broken" && p.needs_approval).then(|| {
                            let path = format!("/invoices/{}/promises/approval", p.invoice_id);
                            view! { <button type="button" on:click=move |_| act(path.clone(), changed, problem, t)>{t.allow_new_promise}</button> }
                        });
                        view! {
                            <li>
                                <span class=format!("badge {}", p.status)>{state_word(t, &p.status)}</span>" "{line}
                                {p.note.clone().map(|n| view! { " · "<span class="hint">{n}</span> })}
                                " "{cancel}{approve}
                            </li>
                        }
                    }).collect_view()}</ul> }.into_any()
                }
            }}
            {open.then(|| view! {
                <form class="inline" on:submit=submit.clone()>
                    <h3>{t.record_promise}</h3>
                    <label for="pr-date">{t.promised_date}</label>
                    <input id="pr-date" type="date" required prop:value=move || day.get() on:input=move |ev| day.set(event_target_value(&ev))/>
                    <label for="pr-note">{t.note_optional}</label>
                    <input id="pr-note" maxlength="500" prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev))/>
                    <button type="submit">{t.record_promise}</button>
                </form>
            })}
        </section>
    }
}
