//! `/console/invoices/new?customer=cus_…`: an invoice with lines and taxes,
//! sent now or later.

use crate::api;
use crate::lines::{self, Line, LinesEditor};
use crate::shell::{Failure, Session, set_title};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use settle_shared::api::{CreateInvoiceRequest, CustomerResponse, InvoiceResponse, ListResponse};

#[component]
pub fn NewInvoice() -> impl IntoView {
    let t = expect_context::<Session>().t();
    set_title(t.new_invoice);
    let customers =
        LocalResource::new(|| api::get::<ListResponse<CustomerResponse>>("/customers?limit=100"));
    let customer = RwSignal::new(
        use_query_map()
            .read_untracked()
            .get("customer")
            .unwrap_or_default(),
    );
    let number = RwSignal::new(String::new());
    let currency = RwSignal::new("EUR".to_owned());
    let due = RwSignal::new(String::new());
    let send = RwSignal::new(false);
    let lines = RwSignal::new(vec![Line::new()]);
    let problem = RwSignal::new(None::<String>);
    let navigate = use_navigate();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        problem.set(None);
        let cur = currency.get_untracked().trim().to_uppercase();
        let out = match lines::requests(&lines.get_untracked(), &cur) {
            Ok(out) => out,
            Err(n) => {
                problem.set(Some(lines::unreadable(t, n)));
                return;
            }
        };
        let body = CreateInvoiceRequest {
            customer_id: customer.get_untracked(),
            number: number.get_untracked(),
            currency: cur,
            issue_date: None,
            due_date: due.get_untracked(),
            memo: None,
            lines: out,
            send: send.get_untracked(),
            early_payment: None,
        };
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match api::post::<InvoiceResponse, _>("/invoices", &body).await {
                Ok(i) => navigate(&format!("/console/invoices/{}", i.id), Default::default()),
                Err(e) => problem.set(Some(e.message(t))),
            }
        });
    };
    view! {
        <h1>{t.new_invoice}</h1>
        <form class="card invoice-form" on:submit=submit>
            {move || problem.get().map(|m| view! { <p class="error" role="alert">{m}</p> })}
            <label for="i-customer">{t.customer}</label>
            {move || match customers.get() {
                None => view! { <p class="loading">{t.loading}</p> }.into_any(),
                Some(Err(e)) => view! { <Failure failure=e/> }.into_any(),
                Some(Ok(list)) => view! {
                    <select id="i-customer" required on:change=move |ev| customer.set(event_target_value(&ev))>
                        <option value="">"—"</option>
                        {list.data.into_iter().map(|c| {
                            let id = c.id.clone();
                            view! { <option value=c.id.clone() selected=move || customer.get() == id>{format!("{} ({})", c.name, c.email)}</option> }
                        }).collect_view()}
                    </select>
                }.into_any(),
            }}
            <label for="i-number">{t.number}</label>
            <input id="i-number" required prop:value=move || number.get() on:input=move |ev| number.set(event_target_value(&ev))/>
            <label for="i-currency">{t.currency}</label>
            <input id="i-currency" required maxlength="3" prop:value=move || currency.get() on:input=move |ev| currency.set(event_target_value(&ev))/>
            <label for="i-due">{t.due_date}</label>
            <input id="i-due" type="date" required prop:value=move || due.get() on:input=move |ev| due.set(event_target_value(&ev))/>
            <LinesEditor lines t/>
            <label class="check"><input type="checkbox" prop:checked=move || send.get() on:change=move |ev| send.set(event_target_checked(&ev))/>{t.send_now}</label>
            <button type="submit">{t.create_invoice}</button>
        </form>
    }
}
