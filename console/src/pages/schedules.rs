//! Scheduled payments on the Payment dates page: each charge a customer
//! scheduled with a saved method (or autopay scheduled on a due date), its
//! state, attempts and the bank's last answer; agents cancel one that has
//! not started.

use crate::api;
use crate::i18n::Words;
use crate::shell::{Failure, Session};
use leptos::prelude::*;
use leptos_router::components::A;
use settle_portal::format::{date, money};
use settle_shared::api::{ListResponse, ScheduledPaymentResponse};

fn state_word(t: &Words, status: &str) -> &'static str {
    match status {
        "scheduled" => t.sch_scheduled,
        "charging" => t.sch_charging,
        "processing" => t.sch_processing,
        "retrying" => t.sch_retrying,
        "paid" => t.sch_paid,
        "failed" => t.sch_failed,
        _ => t.sch_cancelled,
    }
}

/// The organization's scheduled payments, newest first.
#[component]
pub fn Schedules() -> impl IntoView {
    let session = expect_context::<Session>();
    let t = session.t();
    let status = RwSignal::new(String::new());
    let changed = RwSignal::new(0u32);
    let problem = RwSignal::new(None::<String>);
    let list = LocalResource::new(move || {
        changed.track();
        let path = format!(
            "/scheduled-payments{}",
            api::query(&[("status", &status.get()), ("limit", "50")])
        );
        async move { api::get::<ListResponse<ScheduledPaymentResponse>>(&path).await }
    });
    let locale = session.me.member.locale.clone();
    let cancel = move |path: String| {
        leptos::task::spawn_local(async move {
            match api::post::<ScheduledPaymentResponse, _>(&path, &serde_json::json!({})).await {
                Ok(_) => {
                    problem.set(None);
                    changed.update(|v| *v += 1)
                }
                Err(e) => problem.set(Some(e.message(t))),
            }
        });
    };
    view! {
        <section aria-labelledby="schedules-h">
            <h2 id="schedules-h">{t.scheduled_payments}</h2>
            <p class="hint">{t.scheduled_payments_lead}</p>
            <div class="filters">
                <label>{t.status}
                    <select on:change=move |ev| status.set(event_target_value(&ev))>
                        <option value="" selected>{t.any}</option>
                        <option value="scheduled">{t.sch_scheduled}</option>
                        <option value="retrying">{t.sch_retrying}</option>
                        <option value="paid">{t.sch_paid}</option>
                        <option value="failed">{t.sch_failed}</option>
                        <option value="cancelled">{t.sch_cancelled}</option>
                    </select>
                </label>
            </div>
            {move || problem.get().map(|m| view! { <p class="error" role="alert">{m}</p> })}
            {move || match list.get() {
                None => view! { <p class="loading">{t.loading}</p> }.into_any(),
                Some(Err(e)) => view! { <Failure failure=e/> }.into_any(),
                Some(Ok(page)) if page.data.is_empty() => view! { <p>{t.no_schedules}</p> }.into_any(),
                Some(Ok(page)) => {
                    let locale = locale.clone();
                    view! {
                        <table class="schedules">
                            <thead><tr>
                                <th scope="col">{t.invoice_word}</th><th scope="col">{t.customer}</th>
                                <th scope="col">{t.charge_on}</th><th scope="col">{t.pay_with}</th>
                                <th scope="col" class="num">{t.amount_due}</th><th scope="col">{t.status}</th>
                                <th scope="col" class="num">{t.attempts_word}</th>
                                <th scope="col"><span class="visually-hidden">{t.actions}</span></th>
                            </tr></thead>
                            <tbody>{page.data.into_iter().map(|s| {
                                let path = format!("/scheduled-payments/{}/cancel", s.id);
                                let action = matches!(s.status.as_str(), "scheduled" | "retrying").then(|| view! {
                                    <button type="button" class="secondary" on:click=move |_| cancel(path.clone())>{t.cancel_schedule}</button>
                                });
                                let by = match s.source.as_str() {
                                    "autopay" => t.by_autopay,
                                    "plan" => t.instalments_word,
                                    _ => t.by_customer,
                                };
                                view! {
                                    <tr class=if s.status == "failed" { "broken" } else { "" }>
                                        <td><A href=format!("/console/invoices/{}", s.invoice_id)>{s.invoice_number.clone()}</A></td>
                                        <td><A href=format!("/console/customers/{}", s.customer_id)>{s.customer_name.clone()}</A></td>
                                        <td>{date(&s.charge_on, &locale)}<br/><span class="hint">{by}</span></td>
                                        <td>{s.payment_method.clone()}</td>
                                        <td class="num">{money(s.amount, &s.currency, &locale)}</td>
                                        <td><span class=format!("badge {}", s.status)>{state_word(t, &s.status)}</span>
                                            {s.last_error.clone().map(|e| view! { <br/><span class="hint">{e}</span> })}</td>
                                        <td class="num">{s.attempts}</td>
                                        <td>{action}</td>
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
