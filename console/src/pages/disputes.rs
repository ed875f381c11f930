//! `/console/disputes`: every dispute in one list (the customer's, the
//! company's and card chargebacks), with state, age, reason, amount,
//! assignee and unread messages; a chargeback's evidence deadline stands out
//! as it nears. Agents see the disputes of their accounts.

use super::{Pager, PagerButtons};
use crate::api;
use crate::i18n::Words;
use crate::shell::{Failure, Session, set_title};
use leptos::prelude::*;
use leptos_router::components::A;
use settle_portal::format::{date, money};
use settle_portal::i18n::fill;
use settle_shared::api::{DisputeResponse, ListResponse};

/// A dispute's kind in words.
pub fn kind_word(t: &Words, kind: &str) -> &'static str {
    match kind {
        "customer" => t.kind_customer,
        "chargeback" => t.kind_chargeback,
        "conversation" => t.kind_conversation,
        _ => t.kind_company,
    }
}

/// A reason's code in words (Stripe's own codes as they come).
pub fn reason_word(t: &Words, reason: &str) -> String {
    match reason {
        "not_received" => t.reason_not_received.into(),
        "wrong_amount" => t.reason_wrong_amount.into(),
        "wrong_items" => t.reason_wrong_items.into(),
        "quality" => t.reason_quality.into(),
        "already_paid" => t.reason_already_paid.into(),
        "duplicate" => t.reason_duplicate.into(),
        "other" => t.reason_other.into(),
        other => other.replace('_', " "),
    }
}

pub fn status_word(t: &Words, status: &str) -> &'static str {
    match status {
        "open" => t.open,
        "resolved" => t.resolved,
        _ => t.rejected,
    }
}

/// Whole days from an RFC 3339 time to now.
fn days_since(at: &str) -> i64 {
    let then = js_sys::Date::parse(at);
    ((js_sys::Date::now() - then) / 86_400_000.0).floor() as i64
}

/// Whole days from now to an RFC 3339 time.
pub fn days_until(at: &str) -> i64 {
    let then = js_sys::Date::parse(at);
    ((then - js_sys::Date::now()) / 86_400_000.0).floor() as i64
}

#[component]
pub fn Disputes() -> impl IntoView {
    let session = expect_context::<Session>();
    let t = session.t();
    set_title(t.disputes);
    let status = RwSignal::new("open".to_owned());
    let kind = RwSignal::new(String::new());
    let pager = Pager::new();
    let list = LocalResource::new(move || {
        let path = format!(
            "/disputes{}",
            api::query(&[
                ("status", &status.get()),
                ("kind", &kind.get()),
                ("cursor", &pager.cursor.get().unwrap_or_default()),
                ("limit", "25"),
            ])
        );
        async move { api::get::<ListResponse<DisputeResponse>>(&path).await }
    });
    let locale = session.me.member.locale.clone();
    view! {
        <h1>{t.disputes}</h1>
        <div class="filters">
            <label>{t.status}
                <select on:change=move |ev| { status.set(event_target_value(&ev)); pager.reset(); }>
                    <option value="open" selected>{t.open}</option>
                    <option value="rejected">{t.rejected}</option>
                    <option value="resolved">{t.resolved}</option>
                    <option value="">{t.any}</option>
                </select>
            </label>
            <label>{t.kind}
                <select on:change=move |ev| { kind.set(event_target_value(&ev)); pager.reset(); }>
                    <option value="">{t.any}</option>
                    <option value="customer">{t.kind_customer}</option>
                    <option value="chargeback">{t.kind_chargeback}</option>
                    <option value="company">{t.kind_company}</option>
                </select>
            </label>
        </div>
        {move || match list.get() {
            None => view! { <p class="loading" role="status">{t.loading}</p> }.into_any(),
            Some(Err(e)) => view! { <Failure failure=e/> }.into_any(),
            Some(Ok(page)) if page.data.is_empty() => view! { <p>{t.no_disputes}</p> }.into_any(),
            Some(Ok(page)) => {
                let locale = locale.clone();
                view! {
                    <table class="disputes">
                        <thead><tr>
                            <th scope="col">{t.invoice_word}</th><th scope="col">{t.customer}</th><th scope="col">{t.kind}</th>
                            <th scope="col">{t.reason_word}</th><th scope="col" class="num">{t.disputed_amount}</th>
                            <th scope="col">{t.opened}</th><th scope="col">{t.status}</th><th scope="col">{t.evidence_due}</th>
                        </tr></thead>
                        <tbody>{page.data.clone().into_iter().map(|d| {
                            let soon = d.evidence_due_at.as_deref().map(days_until).is_some_and(|n| n <= 3) && d.status == "open";
                            let due = d.evidence_due_at.as_deref().map(|e| date(&e[..10], &locale)).unwrap_or_default();
                            view! {
                                <tr>
                                    <td>
                                        <A href=format!("/console/disputes/{}", d.id)>{d.invoice_number.clone()}</A>
                                        {(d.unread > 0).then(|| view! { " " <span class="unread">{fill(t.unread_n, "n", &d.unread.to_string())}</span> })}
                                    </td>
                                    <td>{d.customer_name.clone()}</td>
                                    <td>{kind_word(t, &d.kind)}</td>
                                    <td>{reason_word(t, &d.reason)}</td>
                                    <td class="num">{money(d.disputed_amount, &d.currency, &locale)}</td>
                                    <td>{fill(t.days_old, "n", &days_since(&d.created_at).to_string())}</td>
                                    <td>{status_word(t, &d.status)}</td>
                                    <td class=if soon { "due-soon" } else { "" }>{due}</td>
                                </tr>
                            }
                        }).collect_view()}</tbody>
                    </table>
                    <PagerButtons pager=pager next=page.next_cursor.clone()/>
                }.into_any()
            }
        }}
    }
}
