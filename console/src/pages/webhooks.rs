//! `/console/webhooks` (admins): register endpoints for outgoing webhooks
//! (the signing secret is shown once created, and on request), delete
//! them, and read the delivery log with each attempt, resending any.

use crate::api::{self, ApiFailure};
use crate::shell::{Failure, Session, set_title};
use leptos::prelude::*;
use settle_shared::api::{
    CreateWebhookEndpointRequest, ListResponse, WEBHOOK_EVENT_TYPES, WebhookDeliveryResponse,
    WebhookEndpointResponse,
};

fn when(t: &str) -> String {
    t.get(..19).unwrap_or(t).replace('T', " ") + " UTC"
}

#[component]
pub fn Webhooks() -> impl IntoView {
    let t = expect_context::<Session>().t();
    set_title(t.webhooks);
    let version = RwSignal::new(0u32);
    let endpoints = LocalResource::new(move || {
        version.track();
        api::get::<ListResponse<WebhookEndpointResponse>>("/webhook-endpoints")
    });
    let deliveries = LocalResource::new(move || {
        version.track();
        api::get::<ListResponse<WebhookDeliveryResponse>>("/webhook-deliveries?limit=50")
    });
    let url = RwSignal::new(String::new());
    // Ticked event types; none ticked is every event.
    let chosen = RwSignal::new(Vec::<&'static str>::new());
    let secret = RwSignal::new(None::<String>);
    let problem = RwSignal::new(None::<ApiFailure>);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = CreateWebhookEndpointRequest {
            url: url.get_untracked(),
            description: None,
            events: chosen
                .get_untracked()
                .iter()
                .map(|e| (*e).to_owned())
                .collect(),
        };
        leptos::task::spawn_local(async move {
            match api::post::<WebhookEndpointResponse, _>("/webhook-endpoints", &body).await {
                Ok(e) => {
                    url.set(String::new());
                    chosen.set(Vec::new());
                    secret.set(e.secret);
                    problem.set(None);
                    version.update(|v| *v += 1);
                }
                Err(e) => problem.set(Some(e)),
            }
        });
    };
    let act = move |path: String, delete: bool| {
        leptos::task::spawn_local(async move {
            let r = if delete {
                api::delete::<serde_json::Value>(&path).await
            } else {
                api::post::<serde_json::Value, _>(&path, &serde_json::json!({})).await
            };
            match r {
                Ok(_) => version.update(|v| *v += 1),
                Err(e) => problem.set(Some(e)),
            }
        });
    };
    let reveal = move |id: String| {
        leptos::task::spawn_local(async move {
            match api::get::<WebhookEndpointResponse>(&format!("/webhook-endpoints/{id}")).await {
                Ok(e) => secret.set(e.secret),
                Err(e) => problem.set(Some(e)),
            }
        });
    };
    let state = move |s: &str| match s {
        "pending" => t.wh_pending,
        "sending" => t.wh_sending,
        "retrying" => t.wh_retrying,
        "delivered" => t.wh_delivered,
        _ => t.wh_gave_up,
    };
    view! {
        <h1>{t.webhooks}</h1>
        <p class="lead">{t.webhooks_lead}</p>
        {move || problem.get().map(|e| view! { <Failure failure=e/> })}
        <form class="card" on:submit=create>
            <label for="w-url">{t.endpoint_url}</label>
            <input id="w-url" type="url" required maxlength="2000" prop:value=move || url.get() on:input=move |ev| url.set(event_target_value(&ev))/>
            <fieldset>
                <legend>{t.events_word}</legend>
                <p class="hint">{t.events_hint}</p>
                {WEBHOOK_EVENT_TYPES.iter().map(|&e| {
                    let id = format!("w-ev-{}", e.replace('.', "-"));
                    let for_id = id.clone();
                    view! {
                        <label class="check" for=for_id>
                            <input id=id type="checkbox" prop:checked=move || chosen.with(|c| c.contains(&e))
                                on:change=move |_| chosen.update(|c| if let Some(n) = c.iter().position(|x| *x == e) { c.remove(n); } else { c.push(e); })/>
                            " "<code>{e}</code>
                        </label>
                    }
                }).collect_view()}
            </fieldset>
            <button type="submit">{t.add_endpoint}</button>
        </form>
        {move || secret.get().map(|s| view! {
            <div class="card" role="status">
                <p>{t.signing_secret}</p>
                <input readonly class="secret" value=s aria-label=t.signing_secret/>
            </div>
        })}
        <section aria-labelledby="ep-h">
            <h2 id="ep-h">{t.endpoints}</h2>
            {move || match endpoints.get() {
                None => view! { <p class="loading" role="status">{t.loading}</p> }.into_any(),
                Some(Err(e)) => view! { <Failure failure=e/> }.into_any(),
                Some(Ok(page)) if page.data.is_empty() => view! { <p>{t.no_endpoints}</p> }.into_any(),
                Some(Ok(page)) => view! {
                    <table>
                        <thead><tr>
                            <th scope="col">{t.endpoint_url}</th><th scope="col">{t.events_word}</th>
                            <th scope="col">{t.status}</th><th scope="col"><span class="visually-hidden">{t.actions}</span></th>
                        </tr></thead>
                        <tbody>{page.data.into_iter().map(|e| {
                            let (id, id2) = (e.id.clone(), e.id.clone());
                            let events = if e.events.iter().any(|x| x == "*") { t.all_events.to_owned() } else { e.events.join(", ") };
                            view! {
                                <tr>
                                    <td><code>{e.url.clone()}</code></td>
                                    <td>{events}</td>
                                    <td>{if e.enabled { t.endpoint_on.to_owned() } else { t.disabled.to_owned() }}</td>
                                    <td>{e.enabled.then(|| view! {
                                        <button type="button" class="link" on:click=move |_| reveal(id.clone())>{t.show_secret}</button>
                                        " "
                                        <button type="button" class="link danger" on:click=move |_| act(format!("/webhook-endpoints/{id2}"), true)>{t.delete_endpoint}</button>
                                    })}</td>
                                </tr>
                            }
                        }).collect_view()}</tbody>
                    </table>
                }.into_any(),
            }}
        </section>
        <section aria-labelledby="dl-h">
            <h2 id="dl-h">{t.deliveries}</h2>
            <p><button type="button" class="link" on:click=move |_| version.update(|v| *v += 1)>{t.refresh}</button></p>
            {move || match deliveries.get() {
                None => view! { <p class="loading" role="status">{t.loading}</p> }.into_any(),
                Some(Err(e)) => view! { <Failure failure=e/> }.into_any(),
                Some(Ok(page)) if page.data.is_empty() => view! { <p>{t.no_deliveries}</p> }.into_any(),
                Some(Ok(page)) => view! {
                    <table>
                        <thead><tr>
                            <th scope="col">{t.created}</th><th scope="col">{t.events_word}</th><th scope="col">{t.endpoint_url}</th>
                            <th scope="col">{t.status}</th><th scope="col" class="num">{t.attempts_word}</th>
                            <th scope="col">{t.last_answer}</th><th scope="col"><span class="visually-hidden">{t.resend}</span></th>
                        </tr></thead>
                        <tbody>{page.data.into_iter().map(|d| {
                            let id = d.id.clone();
                            let answer = match (&d.last_status, &d.last_error) {
                                (_, Some(e)) => e.clone(),
                                (Some(s), None) => format!("HTTP {s}"),
                                _ => String::new(),
                            };
                            let label = format!("{} {}", t.resend, d.event_type);
                            let sending = d.status == "sending";
                            view! {
                                <tr>
                                    <td>{when(&d.created_at)}</td>
                                    <td><code>{d.event_type.clone()}</code></td>
                                    <td><code>{d.url.clone()}</code></td>
                                    <td>{state(&d.status)}</td>
                                    <td class="num">{d.attempts}</td>
                                    <td>{answer}</td>
                                    <td>{(!sending).then(|| view! {
                                        <button type="button" class="link" aria-label=label on:click=move |_| act(format!("/webhook-deliveries/{id}/resend"), false)>{t.resend}</button>
                                    })}</td>
                                </tr>
                            }
                        }).collect_view()}</tbody>
                    </table>
                }.into_any(),
            }}
        </section>
    }
}
