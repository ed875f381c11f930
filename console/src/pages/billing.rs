//! `/console/billing`: the billing runs with their progress (admins may
//! bill what is due now), the catalog of plans and add-ons (admins add
//! plans), and the subscriptions with their next invoice.

use crate::api::{self, ApiFailure};
use crate::shell::{Failure, Session, set_title};
use leptos::prelude::*;
use settle_portal::format::{date, money, parse_amount};
use settle_shared::api::{
    BillingRunResponse, CatalogAddOnRequest, CatalogItemResponse, CatalogPlanRequest, ListResponse,
    SubscriptionResponse,
};
use settle_shared::staff::Capability;
use std::collections::BTreeMap;

#[component]
pub fn Billing() -> impl IntoView {
    let session = expect_context::<Session>();
    let t = session.t();
    let locale = session.me.member.locale.clone();
    let admin = session.may(Capability::Configure);
    set_title(t.billing);
    let version = RwSignal::new(0u32);
    let runs = LocalResource::new(move || {
        version.track();
        api::get::<ListResponse<BillingRunResponse>>("/billing-runs?limit=10")
    });
    let plans = LocalResource::new(move || {
        version.track();
        api::get::<ListResponse<CatalogItemResponse>>("/catalog/plans")
    });
    let subs = LocalResource::new(move || {
        version.track();
        api::get::<ListResponse<SubscriptionResponse>>("/subscriptions?limit=100")
    });
    let problem = RwSignal::new(None::<ApiFailure>);
    let note = RwSignal::new(None::<&'static str>);
    let run_now = move |_| {
        leptos::task::spawn_local(async move {
            match api::post::<Option<BillingRunResponse>, _>(
                "/billing-runs",
                &serde_json::json!({}),
            )
            .await
            {
                Ok(None) => note.set(Some(t.nothing_due)),
                Ok(Some(_)) => note.set(None),
                Err(e) => problem.set(Some(e)),
            }
            version.update(|v| *v += 1);
        });
    };
    let loc = locale.clone();
    view! {
        <h1>{t.billing}</h1>
        <p class="lead">{t.billing_lead}</p>
        {move || problem.get().map(|e| view! { <Failure failure=e/> })}
        <section aria-labelledby="runs-h">
            <h2 id="runs-h">{t.billing_runs}</h2>
            <p>
                {admin.then(|| view! { <button type="button" on:click=run_now>{t.run_now}</button> })}
                " "
                <button type="button" class="link" on:click=move |_| version.update(|v| *v += 1)>{t.refresh}</button>
            </p>
            {move || note.get().map(|n| view! { <p role="status">{n}</p> })}
            {move || match runs.get() {
                None => view! { <p class="loading" role="status">{t.loading}</p> }.into_any(),
                Some(Err(e)) => view! { <Failure failure=e/> }.into_any(),
                Some(Ok(page)) if page.data.is_empty() => view! { <p>{t.no_runs}</p> }.into_any(),
                Some(Ok(page)) => {
                    let loc = loc.clone();
                    view! {
                        <table>
                            <thead><tr>
                                <th scope="col">{t.run_date}</th><th scope="col">{t.status}</th><th scope="col">{t.progress}</th>
                                <th scope="col" class="num">{t.issued}</th><th scope="col" class="num">{t.skipped}</th><th scope="col" class="num">{t.failed_word}</th>
                            </tr></thead>
                            <tbody>{page.data.into_iter().map(|r| {
                                let done = r.issued + r.skipped + r.failed;
                                let label = format!("{done} / {}", r.due);
                                view! {
                                    <tr>
                                        <td>{date(&r.run_date, &loc)}</td>
                                        <td>{if r.status == "done" { t.run_done } else { t.run_running }}</td>
                                        <td><progress max=r.due.max(1) value=done aria-label=label.clone()></progress>" "{label.clone()}</td>
                                        <td class="num">{r.issued}</td>
                                        <td class="num">{r.skipped}</td>
                                        <td class="num">{r.failed}</td>
                                    </tr>
                                }
                            }).collect_view()}</tbody>
                        </table>
                    }.into_any()
                }
            }}
        </section>
        <section aria-labelledby="catalog-h">
            <h2 id="catalog-h">{t.catalog}</h2>
            {
                let loc = locale.clone();
                move || match plans.get() {
                    None => view! { <p class="loading" role="status">{t.loading}</p> }.into_any(),
                    Some(Err(e)) => view! { <Failure failure=e/> }.into_any(),
                    Some(Ok(page)) if page.data.is_empty() => view! { <p>{t.no_catalog}</p> }.into_any(),
                    Some(Ok(page)) => {
                        let loc = loc.clone();
                        view! {
                            <table>
                                <thead><tr>
                                    <th scope="col">{t.code}</th><th scope="col">{t.name}</th><th scope="col">{t.interval}</th>
                                    <th scope="col">{t.price}</th><th scope="col">{t.quantity}</th>
                                </tr></thead>
                                <tbody>{page.data.into_iter().map(|p| {
                                    let every = match p.interval.as_deref() {
                                        Some("quarter") => t.iv_quarter,
                                        Some("year") => t.iv_year,
                                        _ => t.iv_month,
                                    };
                                    let prices = p.prices.iter().map(|(c, a)| money(*a, c, &loc)).collect::<Vec<_>>().join(" · ");
                                    let qty = format!("{}–{}", p.min_quantity, p.max_quantity.map(|m| m.to_string()).unwrap_or_else(|| "∞".into()));
                                    view! {
                                        <tr>
                                            <td><code>{p.code.clone()}</code></td>
                                            <td>{p.name.clone()}</td>
                                            <td>{every}</td>
                                            <td>{prices}</td>
                                            <td>{qty}</td>
                                        </tr>
                                    }
                                }).collect_view()}</tbody>
                            </table>
                        }.into_any()
                    }
                }
            }
            {admin.then(|| view! { <NewAddOn version=version/> })}
            {admin.then(|| view! { <NewPlan version=version/> })}
        </section>
        <section aria-labelledby="subs-h">
            <h2 id="subs-h">{t.subscriptions}</h2>
            {move || match subs.get() {
                None => view! { <p class="loading" role="status">{t.loading}</p> }.into_any(),
                Some(Err(e)) => view! { <Failure failure=e/> }.into_any(),
                Some(Ok(page)) if page.data.is_empty() => view! { <p>{t.no_subscriptions}</p> }.into_any(),
                Some(Ok(page)) => {
                    let loc = locale.clone();
                    view! {
                        <table>
                            <thead><tr>
                                <th scope="col">"#"</th><th scope="col">{t.customer}</th><th scope="col">{t.plan_word}</th>
                                <th scope="col" class="num">{t.quantity}</th><th scope="col">{t.billed_to}</th><th scope="col">{t.next_invoice}</th>
                            </tr></thead>
                            <tbody>{page.data.into_iter().map(|s| {
                                let next = s.next_invoice.as_ref().map(|n| format!("{} · {}", date(&n.issue_date, &loc), money(n.total, &s.currency, &loc))).unwrap_or_default();
                                let href = format!("/console/customers/{}", s.customer_id);
                                view! {
                                    <tr>
                                        <td><code>{s.number.clone()}</code></td>
                                        <td><a href=href>{s.customer_name.clone()}</a></td>
                                        <td>{s.plan_name.clone()}</td>
                                        <td class="num">{s.quantity}</td>
                                        <td>{date(&s.billed_to, &loc)}</td>
                                        <td>{next}</td>
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

/// The admins' form for a new plan: code, name, interval and one price.
#[component]
fn NewPlan(version: RwSignal<u32>) -> impl IntoView {
    let t = expect_context::<Session>().t();
    let code = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let interval = RwSignal::new("month".to_owned());
    let currency = RwSignal::new("EUR".to_owned());
    let price = RwSignal::new(String::new());
    let tax = RwSignal::new(String::new());
    let max = RwSignal::new(String::new());
    let add_ons = RwSignal::new(String::new());
    let moves = RwSignal::new(String::new());
    let result = RwSignal::new(None::<Result<CatalogItemResponse, ApiFailure>>);
    // `a, b` → ["a", "b"]
    let codes = |s: String| -> Vec<String> {
        s.split([',', ' '])
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let cur = currency.get_untracked().trim().to_uppercase();
        let Some(amount) = parse_amount(&price.get_untracked(), &cur) else {
            result.set(Some(Err(ApiFailure::Refused(t.price_unreadable.into()))));
            return;
        };
        let tax_rate = match tax.get_untracked().trim().replace(',', ".") {
            raw if raw.is_empty() => None,
            raw => match settle_shared::decimal::Milli::parse(&raw) {
                Ok(m) => Some(m),
                Err(_) => {
                    result.set(Some(Err(ApiFailure::Refused(t.tax_unreadable.into()))));
                    return;
                }
            },
        };
        let body = CatalogPlanRequest {
            code: code.get_untracked(),
            name: name.get_untracked(),
            description: None,
            interval: interval.get_untracked(),
            prices: BTreeMap::from([(cur, i128::from(amount))]),
            tax_rate,
            min_quantity: None,
            max_quantity: max.get_untracked().trim().parse().ok(),
            add_ons: codes(add_ons.get_untracked()),
            moves_to: codes(moves.get_untracked()),
        };
        leptos::task::spawn_local(async move {
            let r = api::post::<CatalogItemResponse, _>("/catalog/plans", &body).await;
            if r.is_ok() {
                code.set(String::new());
                name.set(String::new());
                price.set(String::new());
                for f in [tax, max, add_ons, moves] {
                    f.set(String::new());
                }
                version.update(|v| *v += 1);
            }
            result.set(Some(r));
        });
    };
    view! {
        <form class="card" on:submit=submit>
            <h3>{t.new_plan}</h3>
            <label for="p-code">{t.code}</label>
            <input id="p-code" required maxlength="40" pattern="[A-Za-z0-9_-]+" prop:value=move || code.get() on:input=move |ev| code.set(event_target_value(&ev))/>
            <label for="p-name">{t.name}</label>
            <input id="p-name" required maxlength="200" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
            <label for="p-interval">{t.interval}</label>
            <select id="p-interval" on:change=move |ev| interval.set(event_target_value(&ev))>
                <option value="month" selected>{t.iv_month}</option>
                <option value="quarter">{t.iv_quarter}</option>
                <option value="year">{t.iv_year}</option>
            </select>
            <label for="p-currency">{t.currency}</label>
            <input id="p-currency" required maxlength="3" size="4" prop:value=move || currency.get() on:input=move |ev| currency.set(event_target_value(&ev))/>
            <label for="p-price">{t.price}</label>
            <input id="p-price" required inputmode="decimal" prop:value=move || price.get() on:input=move |ev| price.set(event_target_value(&ev))/>
            <label for="p-tax">{t.tax_rate}</label>
            <input id="p-tax" inputmode="decimal" size="6" prop:value=move || tax.get() on:input=move |ev| tax.set(event_target_value(&ev))/>
            <label for="p-max">{t.max_quantity}</label>
            <input id="p-max" type="number" min="1" prop:value=move || max.get() on:input=move |ev| max.set(event_target_value(&ev))/>
            <label for="p-addons">{t.plan_add_ons}</label>
            <input id="p-addons" placeholder="storage, support" prop:value=move || add_ons.get() on:input=move |ev| add_ons.set(event_target_value(&ev))/>
            <label for="p-moves">{t.plan_moves_to}</label>
            <input id="p-moves" placeholder="pro, team" prop:value=move || moves.get() on:input=move |ev| moves.set(event_target_value(&ev))/>
            <p class="hint">{t.plan_codes_hint}</p>
            <button type="submit">{t.create_plan}</button>
            {move || result.get().and_then(|r| r.err()).map(|e| view! { <Failure failure=e/> })}
        </form>
    }
}

/// An add-on: priced per unit and period of the plan it is taken with.
#[component]
fn NewAddOn(version: RwSignal<u32>) -> impl IntoView {
    let t = expect_context::<Session>().t();
    let code = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let currency = RwSignal::new("EUR".to_owned());
    let price = RwSignal::new(String::new());
    let max = RwSignal::new(String::new());
    let result = RwSignal::new(None::<Result<CatalogItemResponse, ApiFailure>>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let cur = currency.get_untracked().trim().to_uppercase();
        let Some(amount) = parse_amount(&price.get_untracked(), &cur) else {
            result.set(Some(Err(ApiFailure::Refused(t.price_unreadable.into()))));
            return;
        };
        let body = CatalogAddOnRequest {
            code: code.get_untracked(),
            name: name.get_untracked(),
            description: None,
            prices: BTreeMap::from([(cur, i128::from(amount))]),
            tax_rate: None,
            min_quantity: None,
            max_quantity: max.get_untracked().trim().parse().ok(),
        };
        leptos::task::spawn_local(async move {
            let r = api::post::<CatalogItemResponse, _>("/catalog/add-ons", &body).await;
            if r.is_ok() {
                for f in [code, name, price, max] {
                    f.set(String::new());
                }
                version.update(|v| *v += 1);
            }
            result.set(Some(r));
        });
    };
    view! {
        <form class="card" on:submit=submit>
            <h3>{t.new_add_on}</h3>
            <label for="a-code">{t.code}</label>
            <input id="a-code" required maxlength="40" pattern="[A-Za-z0-9_-]+" prop:value=move || code.get() on:input=move |ev| code.set(event_target_value(&ev))/>
            <label for="a-name">{t.name}</label>
            <input id="a-name" required maxlength="200" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
            <label for="a-currency">{t.currency}</label>
            <input id="a-currency" required maxlength="3" size="4" prop:value=move || currency.get() on:input=move |ev| currency.set(event_target_value(&ev))/>
            <label for="a-price">{t.price}</label>
            <input id="a-price" required inputmode="decimal" prop:value=move || price.get() on:input=move |ev| price.set(event_target_value(&ev))/>
            <label for="a-max">{t.max_quantity}</label>
            <input id="a-max" type="number" min="1" prop:value=move || max.get() on:input=move |ev| max.set(event_target_value(&ev))/>
            <button type="submit">{t.create_add_on}</button>
            {move || result.get().map(|r| match r {
                Ok(a) => view! { <p role="status">{t.done}" · "<code>{a.code}</code></p> }.into_any(),
                Err(e) => view! { <Failure failure=e/> }.into_any(),
            })}
        </form>
    }
}
