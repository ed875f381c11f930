//! `/console/invoices`: filters (status, currency, due dates, number), a
//! count, pages.

use super::{Pager, PagerButtons};
use crate::api;
use crate::i18n::Words;
use crate::shell::{Failure, Session, set_title};
use leptos::prelude::*;
use leptos_router::components::A;
use settle_portal::format::{date, money};
use settle_portal::i18n::count;
use settle_shared::api::{InvoiceResponse, ListResponse};
use settle_shared::invoice::InvoiceStatus;

/// An invoice's state in words (an open invoice past its date is overdue).
pub fn status_word(t: &Words, i: &InvoiceResponse) -> &'static str {
    match i.status {
        InvoiceStatus::Open if i.overdue => t.overdue,
        InvoiceStatus::Open => t.open,
        InvoiceStatus::Paid => t.paid,
        InvoiceStatus::Void => t.void,
        InvoiceStatus::Draft => "draft",
    }
}

#[derive(Clone, Default, PartialEq)]
struct Filters {
    status: String,
    currency: String,
    due_from: String,
    due_to: String,
    q: String,
}

#[component]
pub fn Invoices() -> impl IntoView {
    let session = expect_context::<Session>();
    let t = session.t();
    set_title(t.invoices);
    let draft = RwSignal::new(Filters::default());
    let applied = RwSignal::new(Filters::default());
    let pager = Pager::new();
    let list = LocalResource::new(move || {
        let f = applied.get();
        let path = format!(
            "/invoices{}",
            api::query(&[
                ("status", &f.status),
                ("currency", &f.currency),
                ("due_from", &f.due_from),
                ("due_to", &f.due_to),
                ("q", &f.q),
                ("cursor", &pager.cursor.get().unwrap_or_default()),
                ("limit", "25"),
            ])
        );
        async move { api::get::<ListResponse<InvoiceResponse>>(&path).await }
    });
    let locale = session.me.member.locale.clone();
    let field = move |set: fn(&mut Filters, String)| {
        move |ev: leptos::ev::Event| {
            let v = event_target_value(&ev);
            draft.update(|f| set(f, v));
        }
    };
    view! {
        <div class="heading">
            <h1>{t.invoices}</h1>
            <A href="/console/invoices/new">{t.new_invoice}</A>
        </div>
        {session.may(settle_shared::staff::Capability::AllAccounts).then(|| view! {
            <p class="downloads">{t.download_csv}" "
                <a href="/api/v1/exports/invoices.csv" download>{t.csv_invoices}</a>" · "
                <a href="/api/v1/exports/payments.csv" download>{t.csv_payments}</a>" · "
                <a href="/api/v1/exports/aging.csv" download>{t.csv_aging}</a>
            </p>
        })}
        <form class="filters" role="search" on:submit=move |ev| {
            ev.prevent_default();
            applied.set(draft.get_untracked());
            pager.reset();
        }>
            <label>{t.status}
                <select on:change=field(|f, v| f.status = v)>
                    <option value="">{t.any}</option>
                    <option value="open">{t.open}</option>
                    <option value="overdue">{t.overdue}</option>
                    <option value="paid">{t.paid}</option>
                    <option value="void">{t.void}</option>
                </select>
            </label>
            <label>{t.currency}
                <input size="4" maxlength="3" on:input=field(|f, v| f.currency = v)/>
            </label>
            <label>{t.due_from}<input type="date" on:input=field(|f, v| f.due_from = v)/></label>
            <label>{t.due_to}<input type="date" on:input=field(|f, v| f.due_to = v)/></label>
            <label>{t.search_invoices}<input type="search" on:input=field(|f, v| f.q = v)/></label>
            <button type="submit">{t.search}</button>
        </form>
        {move || match list.get() {
            None => view! { <p class="loading" role="status">{t.loading}</p> }.into_any(),
            Some(Err(e)) => view! { <Failure failure=e/> }.into_any(),
            Some(Ok(page)) => {
                let total = page.total.unwrap_or(page.data.len() as u64) as i64;
                let locale = locale.clone();
                let rows = page.data.clone();
                view! {
                    <p class="count" role="status">{count(t.n_invoices, total, &locale)}</p>
                    {if rows.is_empty() {
                        view! { <p>{t.no_invoices}</p> }.into_any()
                    } else {
                        view! {
                            <table>
                                <thead><tr>
                                    <th scope="col">{t.number}</th><th scope="col">{t.status}</th>
                                    <th scope="col">{t.due_date}</th><th scope="col" class="num">{t.total}</th>
                                    <th scope="col" class="num">{t.amount_due}</th>
                                </tr></thead>
                                <tbody>{rows.into_iter().map(|i| {
                                    let (href, number, status) = (format!("/console/invoices/{}", i.id), i.number.clone(), status_word(t, &i));
                                    view! {
                                    <tr>
                                        <td><A href=href>{number}</A></td>
                                        <td>{status}</td>
                                        <td>{date(&i.due_date, &locale)}</td>
                                        <td class="num">{money(i.total, &i.currency, &locale)}</td>
                                        <td class="num">{money(i.amount_due, &i.currency, &locale)}</td>
                                    </tr>
                                }}).collect_view()}</tbody>
                            </table>
                        }.into_any()
                    }}
                    <PagerButtons pager=pager next=page.next_cursor.clone()/>
                }.into_any()
            }
        }}
    }
}
