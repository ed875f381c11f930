//! `/console/invoices/new?customer=cus_…`: an invoice with lines and taxes,
//! sent now or later.

use crate::api;
use crate::shell::{Failure, Session, set_title};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use settle_portal::format::parse_amount;
use settle_shared::api::{
    CreateInvoiceRequest, CustomerResponse, InvoiceResponse, LineRequest, ListResponse,
};
use settle_shared::decimal::Milli;

#[derive(Clone)]
struct Line {
    description: RwSignal<String>,
    quantity: RwSignal<String>,
    unit_price: RwSignal<String>,
    tax: RwSignal<String>,
}

impl Line {
    fn new() -> Line {
        Line {
            description: RwSignal::new(String::new()),
            quantity: RwSignal::new("1".into()),
            unit_price: RwSignal::new(String::new()),
            tax: RwSignal::new("0".into()),
        }
    }
}

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
        let mut out = Vec::new();
        for (n, l) in lines.get_untracked().iter().enumerate() {
            let quantity = Milli::parse(l.quantity.get_untracked().trim());
            let price = parse_amount(&l.unit_price.get_untracked(), &cur);
            let tax = Milli::parse(l.tax.get_untracked().trim());
            match (quantity, price, tax) {
                (Ok(q), Some(p), Ok(tx)) => out.push(LineRequest {
                    description: l.description.get_untracked(),
                    quantity: q,
                    unit_amount: i128::from(p),
                    tax_rate: Some(tx),
                    currency: None,
                }),
                _ => {
                    problem.set(Some(format!(
                        "{} {}: {} / {} / {}",
                        t.description,
                        n + 1,
                        t.quantity,
                        t.unit_price,
                        t.tax_rate
                    )));
                    return;
                }
            }
        }
        let body = CreateInvoiceRequest {
            customer_id: customer.get_untracked(),
            number: number.get_untracked(),
            currency: cur,
            issue_date: None,
            due_date: due.get_untracked(),
            memo: None,
            lines: out,
            send: send.get_untracked(),
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
            <fieldset>
                <legend>{t.description}</legend>
                {move || lines.get().into_iter().enumerate().map(|(n, l)| {
                    let k = n + 1;
                    view! {
                        <div class="line">
                            <label>{format!("{} {k}", t.description)}<input required prop:value=move || l.description.get() on:input=move |ev| l.description.set(event_target_value(&ev))/></label>
                            <label>{t.quantity}<input inputmode="decimal" required prop:value=move || l.quantity.get() on:input=move |ev| l.quantity.set(event_target_value(&ev))/></label>
                            <label>{t.unit_price}<input inputmode="decimal" required prop:value=move || l.unit_price.get() on:input=move |ev| l.unit_price.set(event_target_value(&ev))/></label>
                            <label>{t.tax_rate}<input inputmode="decimal" prop:value=move || l.tax.get() on:input=move |ev| l.tax.set(event_target_value(&ev))/></label>
                            <button type="button" class="link" disabled=move || lines.get().len() == 1
                                on:click=move |_| lines.update(|v| { v.remove(n); })>{t.remove_line}</button>
                        </div>
                    }
                }).collect_view()}
                <button type="button" on:click=move |_| lines.update(|v| v.push(Line::new()))>{t.add_line}</button>
            </fieldset>
            <label class="check"><input type="checkbox" prop:checked=move || send.get() on:change=move |ev| send.set(event_target_checked(&ev))/>{t.send_now}</label>
            <button type="submit">{t.create_invoice}</button>
        </form>
    }
}
