//! The collections panel of a customer's page: log a call (with its
//! outcome; a promise goes on its invoice first, with the promise rules)
//! or a note, see the history, schedule a follow-up and tick it off, and
//! open the collection letter.

use super::words::words;
use crate::api;
use crate::shell::{Failure, Session};
use leptos::prelude::*;
use settle_shared::api::{
    ActivityRequest, ActivityResponse, InvoiceResponse, ListResponse, PromiseRequest,
    PromiseResponse, TaskRequest, TaskResponse,
};
use settle_shared::invoice::InvoiceStatus;

/// A `datetime-local` value (the member's local time) as RFC 3339 UTC.
fn local_to_rfc3339(v: &str) -> Option<String> {
    if v.is_empty() {
        return None;
    }
    let ms = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(v)).get_time();
    if ms.is_nan() {
        return None;
    }
    Some(String::from(
        js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms)).to_iso_string(),
    ))
}

/// An RFC 3339 time in the member's local time, short.
fn local_time(at: &str) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(at));
    String::from(d.to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED))
}

#[component]
pub fn CollectionsPanel(customer_id: String) -> impl IntoView {
    let session = expect_context::<Session>();
    let w = words(session.lang);
    let t = session.t();
    let version = RwSignal::new(0u32);
    let cid = customer_id.clone();
    let history = LocalResource::new(move || {
        version.track();
        let path = format!("/customers/{cid}/activities");
        async move { api::get::<ListResponse<ActivityResponse>>(&path).await }
    });
    let cid = customer_id.clone();
    let tasks = LocalResource::new(move || {
        version.track();
        let path = format!("/tasks?customer={cid}&assignee=all");
        async move { api::get::<ListResponse<TaskResponse>>(&path).await }
    });
    let cid = customer_id.clone();
    let open_invoices = LocalResource::new(move || {
        let path = format!("/invoices?customer_id={cid}&limit=50");
        async move {
            api::get::<ListResponse<InvoiceResponse>>(&path)
                .await
                .map(|l| {
                    l.data
                        .into_iter()
                        .filter(|i| i.status == InvoiceStatus::Open)
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        }
    });
    // The log form.
    let kind = RwSignal::new("call".to_owned());
    let outcome = RwSignal::new(String::new());
    let body = RwSignal::new(String::new());
    let invoice = RwSignal::new(String::new());
    let promised = RwSignal::new(String::new());
    let logged = RwSignal::new(None::<Result<(), String>>);
    let cid = customer_id.clone();
    let log = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let cid = cid.clone();
        let (k, o, b) = (
            kind.get_untracked(),
            outcome.get_untracked(),
            body.get_untracked(),
        );
        let (inv, date) = (invoice.get_untracked(), promised.get_untracked());
        leptos::task::spawn_local(async move {
            let mut promise_id = None;
            if k == "call" && o == "promised" {
                if inv.is_empty() || date.is_empty() {
                    logged.set(Some(Err(format!(
                        "{} · {}",
                        w.promise_invoice, w.promise_date
                    ))));
                    return;
                }
                let p = PromiseRequest {
                    promised_date: date,
                    note: Some(b.clone()),
                };
                match api::post::<PromiseResponse, _>(&format!("/invoices/{inv}/promises"), &p)
                    .await
                {
                    Ok(p) => promise_id = Some(p.id),
                    Err(e) => {
                        logged.set(Some(Err(e.message(t))));
                        return;
                    }
                }
            }
            let req = ActivityRequest {
                kind: k.clone(),
                outcome: (k == "call" && !o.is_empty()).then_some(o),
                body: b,
                invoice_id: promise_id.as_ref().map(|_| inv),
                promise_id,
            };
            match api::post::<ActivityResponse, _>(&format!("/customers/{cid}/activities"), &req)
                .await
            {
                Ok(_) => {
                    body.set(String::new());
                    outcome.set(String::new());
                    logged.set(Some(Ok(())));
                    version.update(|v| *v += 1);
                }
                Err(e) => logged.set(Some(Err(e.message(t)))),
            }
        });
    };
    // The follow-up form.
    let when = RwSignal::new(String::new());
    let task_note = RwSignal::new(String::new());
    let scheduled = RwSignal::new(None::<String>);
    let cid = customer_id.clone();
    let schedule = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let req = TaskRequest {
            customer_id: cid.clone(),
            due_at: local_to_rfc3339(&when.get_untracked()).unwrap_or_default(),
            note: task_note.get_untracked(),
            assigned_to: None,
        };
        leptos::task::spawn_local(async move {
            match api::post::<TaskResponse, _>("/tasks", &req).await {
                Ok(_) => {
                    task_note.set(String::new());
                    scheduled.set(None);
                    version.update(|v| *v += 1);
                }
                Err(e) => scheduled.set(Some(e.message(t))),
            }
        });
    };
    let done = move |id: String| {
        leptos::task::spawn_local(async move {
            let _ =
                api::post::<TaskResponse, _>(&format!("/tasks/{id}/done"), &serde_json::json!({}))
                    .await;
            version.update(|v| *v += 1);
        });
    };
    let cid = customer_id.clone();
    let risk = LocalResource::new(move || {
        let path = format!("/customers/{cid}/risk");
        async move { api::get::<serde_json::Value>(&path).await }
    });
    let locale = session.me.member.locale.clone();
    let risk_view = move || {
        risk.get().map(|r| match r {
            Ok(v) if v.is_null() => view! { <p class="risk">{w.risk_none}</p> }.into_any(),
            Ok(v) => {
                let pct = settle_portal::format::percent(
                    (v["probability"].as_f64().unwrap_or(0.0) * 100_000.0).round() as i64,
                    &locale,
                );
                let drivers = v["drivers"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|d| {
                        let name = crate::pages::worklist::risk_feature(
                            w,
                            d["feature"].as_str().unwrap_or_default(),
                        );
                        let up = d["push"].as_f64().unwrap_or(0.0) > 0.0;
                        view! { <li>{name}" ("{if up { w.raises } else { w.lowers }}")"</li> }
                    })
                    .collect_view();
                view! {
                    <div class="risk">
                        <p><strong>{w.risk.replace("{pct}", &pct)}</strong></p>
                        <p>{w.risk_drivers}</p><ul>{drivers}</ul>
                    </div>
                }
                .into_any()
            }
            Err(e) => view! { <Failure failure=e/> }.into_any(),
        })
    };
    let letter = format!("/api/v1/customers/{customer_id}/letter");
    let outcome_word = move |o: &str| match o {
        "promised" => w.o_promised,
        "refused" => w.o_refused,
        "wrong_contact" => w.o_wrong_contact,
        "no_answer" => w.o_no_answer,
        _ => "",
    };
    view! {
        <section aria-labelledby="col-h" class="collections">
            <h2 id="col-h">{w.collections}</h2>
            {risk_view}
            <p>
                <a href=letter.clone() target="_blank" rel="noopener">{w.letter}</a>
                " · "<a href=format!("{letter}?format=pdf")>{w.letter_pdf}</a>
            </p>
            <form class="card" novalidate on:submit=log>
                <h3>{w.log_title}</h3>
                {move || logged.get().and_then(|r| r.err()).map(|m| view! { <p class="error" role="alert">{m}</p> })}
                <fieldset class="inline">
                    <label class="check"><input type="radio" name="kind" value="call" prop:checked=move || kind.get() == "call" on:change=move |_| kind.set("call".into())/>" "{w.call}</label>
                    <label class="check"><input type="radio" name="kind" value="note" prop:checked=move || kind.get() == "note" on:change=move |_| kind.set("note".into())/>" "{w.note}</label>
                </fieldset>
                <Show when=move || kind.get() == "call">
                    <label for="act-outcome">{w.outcome}</label>
                    <select id="act-outcome" on:change=move |ev| outcome.set(event_target_value(&ev))>
                        <option value="" selected=move || outcome.get().is_empty()>{w.o_none}</option>
                        <option value="promised">{w.o_promised}</option>
                        <option value="refused">{w.o_refused}</option>
                        <option value="wrong_contact">{w.o_wrong_contact}</option>
                        <option value="no_answer">{w.o_no_answer}</option>
                    </select>
                </Show>
                <Show when=move || kind.get() == "call" && outcome.get() == "promised">
                    <label for="act-invoice">{w.promise_invoice}</label>
                    <select id="act-invoice" on:change=move |ev| invoice.set(event_target_value(&ev))>
                        <option value="">"—"</option>
                        {move || open_invoices.get().unwrap_or_default().into_iter().map(|i| view! { <option value=i.id.clone()>{i.number.clone()}" · "{i.due_date.clone()}</option> }).collect_view()}
                    </select>
                    <label for="act-date">{w.promise_date}</label>
                    <input id="act-date" type="date" prop:value=move || promised.get() on:input=move |ev| promised.set(event_target_value(&ev))/>
                </Show>
                <label for="act-body">{w.what_said}</label>
                <textarea id="act-body" rows="3" maxlength="4000" prop:value=move || body.get() on:input=move |ev| body.set(event_target_value(&ev))></textarea>
                <button type="submit">{w.save_log}</button>
            </form>
            <h3>{w.history}</h3>
            {move || match history.get() {
                None => view! { <p class="loading">{t.loading}</p> }.into_any(),
                Some(Err(e)) => view! { <Failure failure=e/> }.into_any(),
                Some(Ok(l)) if l.data.is_empty() => view! { <p>{w.no_history}</p> }.into_any(),
                Some(Ok(l)) => view! {
                    <ol class="activities">{l.data.into_iter().map(|a| view! {
                        <li>
                            <strong>{if a.kind == "call" { w.call } else { w.note }}</strong>
                            {a.outcome.as_deref().map(|o| view! { " · "<span class="badge">{outcome_word(o)}</span> })}
                            " · "{local_time(&a.created_at)}{a.member_name.clone().map(|n| format!(" · {n}"))}
                            <br/>{a.body.clone()}
                        </li>
                    }).collect_view()}</ol>
                }.into_any(),
            }}
            <form class="card" novalidate on:submit=schedule>
                <h3>{w.follow_up}</h3>
                {move || scheduled.get().map(|m| view! { <p class="error" role="alert">{m}</p> })}
                <label for="task-when">{w.when}</label>
                <input id="task-when" type="datetime-local" prop:value=move || when.get() on:input=move |ev| when.set(event_target_value(&ev))/>
                <label for="task-note">{w.what_said}</label>
                <input id="task-note" maxlength="1000" prop:value=move || task_note.get() on:input=move |ev| task_note.set(event_target_value(&ev))/>
                <button type="submit">{w.schedule}</button>
            </form>
            <h3>{w.open_tasks}</h3>
            {move || match tasks.get() {
                None => view! { <p class="loading">{t.loading}</p> }.into_any(),
                Some(Err(e)) => view! { <Failure failure=e/> }.into_any(),
                Some(Ok(l)) if l.data.is_empty() => view! { <p>{w.no_tasks}</p> }.into_any(),
                Some(Ok(l)) => view! {
                    <ul class="tasks">{l.data.into_iter().map(|task| {
                        let id = task.id.clone();
                        view! {
                            <li class=if task.due { "due" } else { "" }>
                                {task.due.then(|| view! { <span class="badge broken">{w.due_now}</span>" " })}
                                {local_time(&task.due_at)}" · "{task.note.clone()}
                                " "<button type="button" on:click=move |_| done(id.clone())>{w.done}</button>
                            </li>
                        }
                    }).collect_view()}</ul>
                }.into_any(),
            }}
        </section>
    }
}
