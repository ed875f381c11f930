//! `/console/invoices/{id}`: lines and totals, payments, and what can be
//! done to it: send the invoice email again, record a payment, void it
//! (the ledger engine's rules: refused while a payment is under way).

use super::invoices::status_word;
use crate::api::{self, ApiFailure};
use crate::shell::{Failure, Session, set_title};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use settle_portal::format::{date, money, parse_amount};
use settle_shared::api::{InvoiceResponse, ListResponse, PaymentResponse, RecordPaymentRequest};
use settle_shared::invoice::InvoiceStatus;

#[component]
pub fn InvoicePage() -> impl IntoView {
    let t = expect_context::<Session>().t();
    let id = move || use_params_map().read().get("id").unwrap_or_default();
    let version = RwSignal::new(0u32);
    let invoice = LocalResource::new(move || {
        let id = id();
        version.track();
        async move { api::get::<InvoiceResponse>(&format!("/invoices/{id}")).await }
    });
    move || match invoice.get() {
        None => view! { <p class="loading" role="status">{t.loading}</p> }.into_any(),
        Some(Err(e)) => view! { <Failure failure=e/> }.into_any(),
        Some(Ok(i)) => {
            set_title(&i.number);
            view! { <Invoice invoice=i changed=version/> }.into_any()
        }
    }
}

#[component]
fn Invoice(invoice: InvoiceResponse, changed: RwSignal<u32>) -> impl IntoView {
    let session = expect_context::<Session>();
    let t = session.t();
    let locale = session.me.member.locale.clone();
    let i = invoice.clone();
    let note = RwSignal::new(None::<Result<String, ApiFailure>>);
    let id = i.id.clone();
    let send = {
        let id = id.clone();
        move |_| {
            let id = id.clone();
            leptos::task::spawn_local(async move {
                let r = api::post::<serde_json::Value, _>(
                    &format!("/invoices/{id}/send"),
                    &serde_json::json!({}),
                )
                .await;
                note.set(Some(r.map(|_| t.sent.to_owned())));
            });
        }
    };
    let void = {
        let id = id.clone();
        move |_| {
            if !window()
                .confirm_with_message(t.confirm_void)
                .unwrap_or(false)
            {
                return;
            }
            let id = id.clone();
            leptos::task::spawn_local(async move {
                match api::post::<InvoiceResponse, _>(
                    &format!("/invoices/{id}/void"),
                    &serde_json::json!({}),
                )
                .await
                {
                    Ok(_) => changed.update(|v| *v += 1),
                    Err(e) => note.set(Some(Err(e))),
                }
            });
        }
    };
    let open = i.status == InvoiceStatus::Open;
    let loc = locale.clone();
    view! {
        <div class="heading">
            <h1>{i.number.clone()}" · "<span class="badge">{status_word(t, &i)}</span></h1>
            <span>
                <A href=format!("/console/customers/{}", i.customer_id)>{t.customer}</A>
                {expect_context::<crate::shell::Session>().may(settle_shared::staff::Capability::ReadAudit).then(|| view! {
                    " · "<A href=format!("/console/invoices/{}/evidence", i.id)>{t.evidence_pack}</A>
                })}
            </span>
        </div>
        {move || note.get().map(|r| match r {
            Ok(m) => view! { <p class="notice" role="status">{m}</p> }.into_any(),
            Err(e) => view! { <Failure failure=e/> }.into_any(),
        })}
        <dl class="facts">
            <dt>{t.due_date}</dt><dd>{date(&i.due_date, &locale)}</dd>
            <dt>{t.total}</dt><dd>{money(i.total, &i.currency, &locale)}</dd>
            <dt>{t.amount_due}</dt><dd>{money(i.amount_due, &i.currency, &locale)}</dd>
        </dl>
        <table>
            <thead><tr><th scope="col">{t.description}</th><th scope="col" class="num">{t.quantity}</th><th scope="col" class="num">{t.unit_price}</th><th scope="col" class="num">{t.tax_rate}</th><th scope="col" class="num">{t.total}</th></tr></thead>
            <tbody>{i.lines.iter().map(|l| view! {
                <tr>
                    <td>{l.description.clone()}</td>
                    <td class="num">{l.quantity.to_string()}</td>
                    <td class="num">{money(l.unit_amount, &i.currency, &loc)}</td>
                    <td class="num">{l.tax_rate.to_string()}</td>
                    <td class="num">{money(l.net + l.tax, &i.currency, &loc)}</td>
                </tr>
            }).collect_view()}</tbody>
        </table>
        {open.then(|| view! {
            <div class="actions">
                <button type="button" on:click=send.clone()>{t.send_invoice}</button>
                <button type="button" class="danger" on:click=void.clone()>{t.void_invoice}</button>
            </div>
            <RecordPayment invoice=invoice.clone() changed=changed/>
        })}
        <super::payment_dates::InvoicePromises invoice_id=id.clone() open=open changed=changed/>
        <Payments invoice_id=id.clone() currency=i.currency.clone() locale=locale.clone()/>
    }
}

#[component]
fn RecordPayment(invoice: InvoiceResponse, changed: RwSignal<u32>) -> impl IntoView {
    let t = expect_context::<Session>().t();
    let amount = RwSignal::new(String::new());
    let method = RwSignal::new("bank_transfer".to_owned());
    let reference = RwSignal::new(String::new());
    let received = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let id = invoice.id.clone();
    let currency = invoice.currency.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(minor) = parse_amount(&amount.get_untracked(), &currency) else {
            problem.set(Some(format!("{}?", t.amount)));
            return;
        };
        let body = RecordPaymentRequest {
            amount: i128::from(minor),
            currency: currency.clone(),
            method: method.get_untracked(),
            reference: Some(reference.get_untracked()).filter(|r| !r.trim().is_empty()),
            received_on: Some(received.get_untracked()).filter(|r| !r.is_empty()),
        };
        let id = id.clone();
        leptos::task::spawn_local(async move {
            match api::post::<PaymentResponse, _>(&format!("/invoices/{id}/payments"), &body).await
            {
                Ok(_) => changed.update(|v| *v += 1),
                Err(e) => problem.set(Some(e.message(t))),
            }
        });
    };
    view! {
        <form class="card" on:submit=submit>
            <h2>{t.record_payment}</h2>
            {move || problem.get().map(|m| view! { <p class="error" role="alert">{m}</p> })}
            <label for="p-amount">{t.amount}</label>
            <input id="p-amount" inputmode="decimal" required prop:value=move || amount.get() on:input=move |ev| amount.set(event_target_value(&ev))/>
            <label for="p-method">{t.method}</label>
            <select id="p-method" on:change=move |ev| method.set(event_target_value(&ev))>
                <option value="bank_transfer">"Bank transfer"</option>
                <option value="cash">"Cash"</option>
                <option value="cheque">"Cheque"</option>
                <option value="other">"Other"</option>
            </select>
            <label for="p-ref">{t.reference}</label>
            <input id="p-ref" prop:value=move || reference.get() on:input=move |ev| reference.set(event_target_value(&ev))/>
            <label for="p-date">{t.received_on}</label>
            <input id="p-date" type="date" prop:value=move || received.get() on:input=move |ev| received.set(event_target_value(&ev))/>
            <button type="submit">{t.record_payment}</button>
        </form>
    }
}

#[component]
fn Payments(invoice_id: String, currency: String, locale: String) -> impl IntoView {
    let t = expect_context::<Session>().t();
    let list = LocalResource::new(move || {
        let path = format!("/invoices/{invoice_id}/payments");
        async move { api::get::<ListResponse<PaymentResponse>>(&path).await }
    });
    view! {
        <section aria-labelledby="pay-h">
            <h2 id="pay-h">{t.payments}</h2>
            {move || match list.get() {
                None => view! { <p class="loading">{t.loading}</p> }.into_any(),
                Some(Err(e)) => view! { <Failure failure=e/> }.into_any(),
                Some(Ok(page)) => {
                    let (currency, locale) = (currency.clone(), locale.clone());
                    view! {
                        <table>
                            <thead><tr><th scope="col">{t.received_on}</th><th scope="col">{t.method}</th><th scope="col">{t.reference}</th><th scope="col" class="num">{t.amount}</th></tr></thead>
                            <tbody>{page.data.into_iter().map(|p| view! {
                                <tr>
                                    <td>{date(&p.received_on, &locale)}</td>
                                    <td>{format!("{} · {}", p.kind, p.method)}</td>
                                    <td>{p.reference.clone().unwrap_or_default()}</td>
                                    <td class="num">{money(p.amount, &currency, &locale)}</td>
                                </tr>
                            }).collect_view()}</tbody>
                        </table>
                    }.into_any()
                }
            }}
        </section>
    }
}
