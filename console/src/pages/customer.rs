//! `/console/customers/{id}`: the account: its details and agent, a portal
//! link to send by hand, its subscriptions (and subscribing it to a plan),
//! its invoices, and its timeline (every email as
//! sent, link views, payments, reminders, promises, disputes, staff
//! actions).

use crate::api::{self, ApiFailure};
use crate::shell::{Failure, Session, set_title};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use settle_portal::format::{date, money};
use settle_shared::api::{
    AssignCustomerRequest, CreatePortalLinkRequest, CustomerResponse, InvoiceResponse,
    ListResponse, MemberResponse, PortalLinkResponse, UpdateCustomerRequest,
};
use settle_shared::staff::Capability;

#[component]
pub fn CustomerPage() -> impl IntoView {
    let session = expect_context::<Session>();
    let t = session.t();
    let id = move || use_params_map().read().get("id").unwrap_or_default();
    let version = RwSignal::new(0u32);
    let customer = LocalResource::new(move || {
        let id = id();
        version.track();
        async move { api::get::<CustomerResponse>(&format!("/customers/{id}")).await }
    });
    move || match customer.get() {
        None => view! { <p class="loading" role="status">{t.loading}</p> }.into_any(),
        Some(Err(e)) => view! { <Failure failure=e/> }.into_any(),
        Some(Ok(c)) => {
            set_title(&c.name);
            view! { <Account customer=c changed=version/> }.into_any()
        }
    }
}

#[component]
fn Account(customer: CustomerResponse, changed: RwSignal<u32>) -> impl IntoView {
    let session = expect_context::<Session>();
    let t = session.t();
    let id = customer.id.clone();
    view! {
        <div class="heading">
            <h1>{customer.name.clone()}</h1>
            <span>
                <A href=format!("/console/invoices/new?customer={id}")>{t.new_invoice}</A>
                {session.may(Capability::ReadAudit).then(|| view! {
                    " · "<A href=format!("/console/customers/{id}/evidence")>{t.evidence_pack}</A>
                })}
            </span>
        </div>
        {customer.flag_reason.clone().map(|why| view! {
            <p class="notice flagged" role="status"><span class="badge broken">{t.flagged}</span>" "{why}</p>
        })}
        <dl class="facts">
            <dt>{t.email}</dt><dd>{customer.email.clone()}</dd>
            <dt>{t.language}</dt><dd>{customer.locale.clone()}</dd>
            <dt>{t.time_zone}</dt><dd>{customer.time_zone.clone()}</dd>
        </dl>
        <Edit customer=customer.clone() changed=changed/>
        {session.may(Capability::Approve).then(|| view! { <Assign customer=customer.clone()/> })}
        <PortalLink customer_id=id.clone()/>
        <super::worklist::panel::CollectionsPanel customer_id=id.clone()/>
        <super::subscribe::Subscriptions customer_id=id.clone()/>
        <CustomerInvoices customer_id=id.clone() locale=session.me.member.locale.clone()/>
        <Timeline customer_id=id/>
    }
}

/// Name, address, language and time zone, changed in place. A new address
/// revokes the customer's portal links (they went to the old one).
#[component]
fn Edit(customer: CustomerResponse, changed: RwSignal<u32>) -> impl IntoView {
    let t = expect_context::<Session>().t();
    let open = RwSignal::new(false);
    let name = RwSignal::new(customer.name.clone());
    let email = RwSignal::new(customer.email.clone());
    let locale = RwSignal::new(customer.locale.clone());
    let zone = RwSignal::new(customer.time_zone.clone());
    let blocked = RwSignal::new(customer.payment_plans_blocked);
    let problem = RwSignal::new(None::<String>);
    let id = customer.id.clone();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = UpdateCustomerRequest {
            name: Some(name.get_untracked()),
            email: Some(email.get_untracked()),
            locale: Some(locale.get_untracked()),
            time_zone: Some(zone.get_untracked()),
            tags: None,
            reminders_opt_out: None,
            payment_plans_blocked: Some(blocked.get_untracked()),
        };
        let id = id.clone();
        leptos::task::spawn_local(async move {
            match api::patch::<CustomerResponse, _>(&format!("/customers/{id}"), &body).await {
                Ok(_) => changed.update(|v| *v += 1),
                Err(e) => problem.set(Some(e.message(t))),
            }
        });
    };
    view! {
        <button type="button" aria-expanded=move || open.get().to_string() on:click=move |_| open.update(|o| *o = !*o)>{t.edit}</button>
        <Show when=move || open.get()>
            <form class="card" on:submit=save.clone()>
                {move || problem.get().map(|m| view! { <p class="error" role="alert">{m}</p> })}
                <label for="e-name">{t.name}</label>
                <input id="e-name" required prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                <label for="e-email">{t.email}</label>
                <input id="e-email" type="email" required prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev))/>
                <label for="e-lang">{t.language}</label>
                <input id="e-lang" prop:value=move || locale.get() on:input=move |ev| locale.set(event_target_value(&ev))/>
                <label for="e-zone">{t.time_zone}</label>
                <input id="e-zone" prop:value=move || zone.get() on:input=move |ev| zone.set(event_target_value(&ev))/>
                <label class="check" for="e-plans">
                    <input id="e-plans" type="checkbox" prop:checked=move || blocked.get() on:change=move |ev| blocked.set(event_target_checked(&ev))/>
                    " "{t.plans_blocked}
                </label>
                <button type="submit">{t.save_changes}</button>
            </form>
        </Show>
    }
}

/// Who works the account (supervisors and admins).
#[component]
fn Assign(customer: CustomerResponse) -> impl IntoView {
    let t = expect_context::<Session>().t();
    let team = LocalResource::new(|| api::get::<ListResponse<MemberResponse>>("/team"));
    let current = RwSignal::new(customer.assigned_to.clone().unwrap_or_default());
    let note = RwSignal::new(None::<String>);
    let id = customer.id.clone();
    let change = move |ev: leptos::ev::Event| {
        let chosen = event_target_value(&ev);
        let id = id.clone();
        leptos::task::spawn_local(async move {
            let body = AssignCustomerRequest {
                member_id: (!chosen.is_empty()).then_some(chosen.clone()),
            };
            match api::post::<CustomerResponse, _>(&format!("/customers/{id}/assign"), &body).await
            {
                Ok(_) => {
                    current.set(chosen);
                    note.set(Some(t.done.to_owned()));
                }
                Err(e) => note.set(Some(e.message(t))),
            }
        });
    };
    view! {
        <section aria-labelledby="assign-h">
            <h2 id="assign-h">{t.assigned_to}</h2>
            <label for="assignee" class="visually-hidden">{t.assigned_to}</label>
            <select id="assignee" on:change=change>
                <option value="" selected=move || current.get().is_empty()>{t.nobody}</option>
                {move || team.get().and_then(Result::ok).map(|list| list.data.into_iter().map(|m| {
                    let mid = m.id.clone();
                    let selected = move || current.get() == mid;
                    view! { <option value=m.id.clone() selected=selected>{format!("{} · {}", m.name, t.role(m.role))}</option> }
                }).collect_view())}
            </select>
            {move || note.get().map(|m| view! { <p role="status">{m}</p> })}
        </section>
    }
}

/// A portal link made by hand (to paste into a message); shown once.
#[component]
fn PortalLink(customer_id: String) -> impl IntoView {
    let t = expect_context::<Session>().t();
    let made = RwSignal::new(None::<Result<PortalLinkResponse, ApiFailure>>);
    let create = move |_| {
        let id = customer_id.clone();
        leptos::task::spawn_local(async move {
            let body = CreatePortalLinkRequest {
                expires_in_days: None,
                invoice_id: None,
            };
            made.set(Some(
                api::post::<PortalLinkResponse, _>(&format!("/customers/{id}/portal-links"), &body)
                    .await,
            ));
        });
    };
    let revoke = move |link: String| {
        leptos::task::spawn_local(async move {
            let r = api::post::<PortalLinkResponse, _>(
                &format!("/portal-links/{link}/revoke"),
                &serde_json::json!({}),
            )
            .await;
            made.set(Some(r));
        });
    };
    view! {
        <section aria-labelledby="link-h">
            <h2 id="link-h">{t.portal_link}</h2>
            <button type="button" on:click=create>{t.create_link}</button>
            {move || made.get().map(|r| match r {
                Ok(link) => {
                    let lid = link.id.clone();
                    view! {
                        <div class="card">
                            {link.url.clone().map(|u| view! {
                                <p>{t.link_shown_once}</p>
                                <input readonly class="secret" value=u aria-label=t.portal_link/>
                            })}
                            {link.revoked_at.is_none().then(|| view! {
                                <button type="button" on:click=move |_| revoke(lid.clone())>{t.revoke}</button>
                            })}
                            {link.revoked_at.is_some().then(|| view! { <p role="status">{t.done}</p> })}
                        </div>
                    }.into_any()
                }
                Err(e) => view! { <Failure failure=e/> }.into_any(),
            })}
        </section>
    }
}

#[component]
fn CustomerInvoices(customer_id: String, locale: String) -> impl IntoView {
    let t = expect_context::<Session>().t();
    let list = LocalResource::new(move || {
        let path = format!("/invoices?customer_id={customer_id}&limit=50");
        async move { api::get::<ListResponse<InvoiceResponse>>(&path).await }
    });
    view! {
        <section aria-labelledby="inv-h">
            <h2 id="inv-h">{t.invoices}</h2>
            {move || match list.get() {
                None => view! { <p class="loading">{t.loading}</p> }.into_any(),
                Some(Err(e)) => view! { <Failure failure=e/> }.into_any(),
                Some(Ok(page)) if page.data.is_empty() => view! { <p>{t.no_invoices}</p> }.into_any(),
                Some(Ok(page)) => {
                    let locale = locale.clone();
                    view! {
                        <table>
                            <thead><tr><th scope="col">{t.number}</th><th scope="col">{t.status}</th><th scope="col">{t.due_date}</th><th scope="col" class="num">{t.amount_due}</th></tr></thead>
                            <tbody>{page.data.into_iter().map(|i| {
                                let (href, number, status) = (format!("/console/invoices/{}", i.id), i.number.clone(), super::invoices::status_word(t, &i));
                                view! {
                                <tr>
                                    <td><A href=href>{number}</A></td>
                                    <td>{status}</td>
                                    <td>{date(&i.due_date, &locale)}</td>
                                    <td class="num">{money(i.amount_due, &i.currency, &locale)}</td>
                                </tr>
                            }}).collect_view()}</tbody>
                        </table>
                    }.into_any()
                }
            }}
        </section>
    }
}

#[component]
fn Timeline(customer_id: String) -> impl IntoView {
    let t = expect_context::<Session>().t();
    let events = LocalResource::new(move || {
        let path = format!("/customers/{customer_id}/timeline");
        async move { api::get::<serde_json::Value>(&path).await }
    });
    view! {
        <section aria-labelledby="tl-h">
            <h2 id="tl-h">{t.timeline}</h2>
            {move || match events.get() {
                None => view! { <p class="loading">{t.loading}</p> }.into_any(),
                Some(Err(e)) => view! { <Failure failure=e/> }.into_any(),
                Some(Ok(v)) => {
                    let mut list = v["events"].as_array().cloned().unwrap_or_default();
                    list.reverse();
                    view! {
                        <ol class="timeline">
                            {list.into_iter().map(|e| {
                                let at = e["at"].as_str().unwrap_or("").replace('T', " ").replace('Z', " UTC");
                                let what = if e["type"] == "email" {
                                    format!("email · {} · {} · {}", e["email"]["kind"].as_str().unwrap_or(""), e["email"]["status"].as_str().unwrap_or(""), e["email"]["subject"].as_str().unwrap_or(""))
                                } else {
                                    format!("{} · {}", e["type"].as_str().unwrap_or(""), e["actor"].as_str().unwrap_or(""))
                                };
                                view! { <li><time>{at}</time>" "<span>{what}</span></li> }
                            }).collect_view()}
                        </ol>
                    }.into_any()
                }
            }}
        </section>
    }
}
