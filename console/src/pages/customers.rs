//! `/console/customers`: search, count, pages, and adding a customer.

use super::{Pager, PagerButtons};
use crate::api;
use crate::shell::{Failure, Session, set_title};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use settle_portal::i18n::count;
use settle_shared::api::{CreateCustomerRequest, CustomerResponse, ListResponse};
use settle_shared::staff::Capability;

#[component]
pub fn Customers() -> impl IntoView {
    let session = expect_context::<Session>();
    let t = session.t();
    set_title(t.customers);
    let draft = RwSignal::new(String::new());
    let q = RwSignal::new(String::new());
    let pager = Pager::new();
    let list = LocalResource::new(move || {
        let path = format!(
            "/customers{}",
            api::query(&[
                ("q", &q.get()),
                ("cursor", &pager.cursor.get().unwrap_or_default()),
                ("limit", "25"),
            ])
        );
        async move { api::get::<ListResponse<CustomerResponse>>(&path).await }
    });
    let locale = session.me.member.locale.clone();
    // Who works each account, for those who see them all (an agent's are
    // all their own): names from the team, asked once.
    let all = session.may(Capability::AllAccounts);
    let team = LocalResource::new(move || api::team_if(all));
    let assignee = move |id: &Option<String>| -> String {
        match id {
            None => t.nobody.to_owned(),
            Some(id) => team
                .get()
                .and_then(|members| members.iter().find(|m| &m.id == id).map(|m| m.name.clone()))
                .unwrap_or_default(),
        }
    };
    view! {
        <div class="heading">
            <h1>{t.customers}</h1>
            <NewCustomer/>
        </div>
        {all.then(|| view! {
            <p class="downloads">{t.download_csv}" "
                <a href="/api/v1/exports/customers.csv" download>{t.csv_customers}</a>
            </p>
        })}
        <form class="search" role="search" on:submit=move |ev| {
            ev.prevent_default();
            q.set(draft.get_untracked());
            pager.reset();
        }>
            <label for="q" class="visually-hidden">{t.search_customers}</label>
            <input id="q" type="search" placeholder=t.search_customers
                prop:value=move || draft.get() on:input=move |ev| draft.set(event_target_value(&ev))/>
            <button type="submit">{t.search}</button>
        </form>
        {move || match list.get() {
            None => view! { <p class="loading" role="status">{t.loading}</p> }.into_any(),
            Some(Err(e)) => view! { <Failure failure=e/> }.into_any(),
            Some(Ok(page)) => {
                let total = page.total.unwrap_or(page.data.len() as u64) as i64;
                let rows = page.data.clone();
                view! {
                    <p class="count" role="status">{count(t.n_customers, total, &locale)}</p>
                    {if rows.is_empty() {
                        view! { <p>{t.no_customers}</p> }.into_any()
                    } else {
                        view! {
                            <table>
                                <thead><tr>
                                    <th scope="col">{t.name}</th><th scope="col">{t.email}</th><th scope="col">{t.language}</th>
                                    {all.then(|| view! { <th scope="col">{t.assigned_to}</th> })}
                                </tr></thead>
                                <tbody>
                                    {rows.into_iter().map(|c| {
                                        let who = c.assigned_to.clone();
                                        view! {
                                            <tr>
                                                <td><A href=format!("/console/customers/{}", c.id)>{c.name.clone()}</A>
                                                    {c.reply_received_at.is_some().then(|| view! { " "<span class="badge reply">{t.reply_received}</span> })}
                                                    {c.flag_reason.clone().map(|why| view! { " "<span class="badge broken" title=why>{t.flagged}</span> })}</td>
                                                <td>{c.email.clone()}</td>
                                                <td>{c.locale.clone()}</td>
                                                {all.then(|| view! { <td>{move || assignee(&who)}</td> })}
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any()
                    }}
                    <PagerButtons pager=pager next=page.next_cursor.clone()/>
                }.into_any()
            }
        }}
    }
}

/// "New customer": a small form that opens in place.
#[component]
fn NewCustomer() -> impl IntoView {
    let t = expect_context::<Session>().t();
    let open = RwSignal::new(false);
    let (name, email, locale, zone) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new("en".to_owned()),
        RwSignal::new("UTC".to_owned()),
    );
    let problem = RwSignal::new(None::<String>);
    let navigate = use_navigate();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = CreateCustomerRequest {
            name: name.get_untracked(),
            email: email.get_untracked(),
            locale: Some(locale.get_untracked()),
            time_zone: Some(zone.get_untracked()),
            external_id: None,
        };
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match api::post::<CustomerResponse, _>("/customers", &body).await {
                Ok(c) => navigate(&format!("/console/customers/{}", c.id), Default::default()),
                Err(e) => problem.set(Some(e.message(t))),
            }
        });
    };
    view! {
        <button type="button" aria-expanded=move || open.get().to_string() on:click=move |_| open.update(|o| *o = !*o)>
            {t.new_customer}
        </button>
        <Show when=move || open.get()>
            <form class="card" on:submit=submit.clone()>
                {move || problem.get().map(|m| view! { <p class="error" role="alert">{m}</p> })}
                <label for="c-name">{t.name}</label>
                <input id="c-name" required prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                <label for="c-email">{t.email}</label>
                <input id="c-email" type="email" required prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev))/>
                <label for="c-lang">{t.language}</label>
                <select id="c-lang" on:change=move |ev| locale.set(event_target_value(&ev))>
                    <option value="en">"English"</option>
                    <option value="fr">"Français"</option>
                    <option value="ar">"العربية"</option>
                </select>
                <label for="c-zone">{t.time_zone}</label>
                <input id="c-zone" prop:value=move || zone.get() on:input=move |ev| zone.set(event_target_value(&ev))/>
                <button type="submit">{t.add_customer}</button>
            </form>
        </Show>
    }
}
