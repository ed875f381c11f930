//! The customer's account (`/account`): their subscriptions, each with its
//! plan, quantities and next invoice; changing the quantity, the plan (to
//! one the company allows) or the add-ons, and cancelling, each shown in
//! money before it is confirmed (the server's quote: the credit for the
//! unused days and the charge for the new, to the day, tax included).

use super::account_words::{self, AccountWords};
use crate::api::{self, ApiFailure};
use crate::components::{Failure, set_title};
use crate::format::{date, money};
use crate::i18n::{Lang, fill};
use leptos::prelude::*;
use settle_shared::api::{
    AddOnQuantity, ChangeQuote, ChangeResponse, ChangeSubscriptionRequest, ListResponse,
    PortalSessionResponse, PortalSubscription,
};

type Subs = ListResponse<PortalSubscription>;

/// The last day of a period that ends (excluded) on `end`.
fn last_day(end: &str) -> String {
    chrono::NaiveDate::parse_from_str(end, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.pred_opt())
        .map_or_else(|| end.to_owned(), |d| d.to_string())
}

/// The account page.
#[component]
pub(super) fn Account(session: PortalSessionResponse) -> impl IntoView {
    let lang = Lang::from_locale(&session.locale);
    let t = lang.text();
    let w = account_words::words(lang);
    set_title(w.title);
    let state = RwSignal::new(None::<Result<Subs, ApiFailure>>);
    let notice = RwSignal::new(None::<String>);
    leptos::task::spawn_local(async move { state.set(Some(api::get("/subscriptions").await)) });
    let locale = session.locale.clone();
    let company = session.organization.display_name.clone();
    view! {
        <p class="no-print"><a href="/invoices">{t.back_to_invoices}</a></p>
        <h1>{w.title}</h1>
        {move || notice.get().map(|n| view! { <p class="panel ok" role="status">{n}</p> })}
        <p><a href="/payment-methods">{w.methods}</a></p>
        <h2>{w.subscriptions}</h2>
        {move || match state.get() {
            None => view! { <p class="loading" role="status">{t.loading}</p> }.into_any(),
            Some(Err(e)) => view! { <Failure failure=e lang=lang/> }.into_any(),
            Some(Ok(l)) if l.data.is_empty() => {
                view! { <p>{fill(w.none, "company", &company)}</p> }.into_any()
            }
            Some(Ok(l)) => l
                .data
                .into_iter()
                .map(|p| view! { <Card p=p w=w locale=locale.clone() state=state notice=notice/> })
                .collect_view()
                .into_any(),
        }}
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    View,
    Edit,
    Cancel,
}

/// One subscription, with its change and cancel forms.
#[component]
fn Card(
    p: PortalSubscription,
    w: &'static AccountWords,
    locale: String,
    state: RwSignal<Option<Result<Subs, ApiFailure>>>,
    notice: RwSignal<Option<String>>,
) -> impl IntoView {
    let s = p.subscription.clone();
    let id = s.id.clone();
    let currency = s.currency.clone();
    let version = s.version;
    let mode = RwSignal::new(Mode::View);
    let plan = RwSignal::new(s.plan.clone());
    let qty = RwSignal::new(s.quantity.to_string());
    let add_ons: Vec<_> = p
        .add_ons
        .iter()
        .map(|a| {
            let have = s
                .add_ons
                .iter()
                .find(|x| x.code == a.code)
                .map_or(0, |x| x.quantity);
            (a.clone(), RwSignal::new(have.to_string()))
        })
        .collect();
    let ending = RwSignal::new("period_end");
    let quote = RwSignal::new(None::<(ChangeSubscriptionRequest, ChangeQuote)>);
    let problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let per = match p.interval.as_str() {
        "quarter" => w.per_quarter,
        "year" => w.per_year,
        _ => w.per_month,
    };
    let m = {
        let (locale, currency) = (locale.clone(), currency.clone());
        move |amount: i64| money(amount, &currency, &locale)
    };

    // What the form asks, or why it cannot be sent.
    let asked = {
        let add_ons = add_ons.clone();
        let current = s.plan.clone();
        move || -> Option<ChangeSubscriptionRequest> {
            let quantity = qty.get_untracked().trim().parse::<i64>().ok()?;
            let mut chosen = Vec::new();
            for (a, n) in &add_ons {
                let quantity = n.get_untracked().trim().parse::<i64>().ok()?;
                chosen.push(AddOnQuantity {
                    code: a.code.clone(),
                    quantity,
                });
            }
            let to = plan.get_untracked();
            Some(ChangeSubscriptionRequest {
                version,
                plan: (to != current).then_some(to),
                quantity: Some(quantity),
                add_ons: Some(chosen),
                ..Default::default()
            })
        }
    };
    let ask_quote = {
        let id = id.clone();
        move |body: ChangeSubscriptionRequest| {
            let path = format!("/subscriptions/{id}/quote");
            busy.set(true);
            problem.set(None);
            leptos::task::spawn_local(async move {
                match api::post::<ChangeQuote, _>(&path, Some(&body)).await {
                    Ok(q) => quote.set(Some((body, q))),
                    Err(ApiFailure::Invalid(msg) | ApiFailure::RateLimited(msg)) => {
                        problem.set(Some(msg))
                    }
                    Err(_) => problem.set(Some(
                        "We could not reach the server. Please try again.".into(),
                    )),
                }
                busy.set(false);
            });
        }
    };
    let review = {
        let ask_quote = ask_quote.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            match asked() {
                Some(body) => ask_quote(body),
                None => problem.set(Some(w.whole_number.into())),
            }
        }
    };
    let review_cancel = {
        let ask_quote = ask_quote.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            ask_quote(ChangeSubscriptionRequest {
                version,
                cancel: Some(ending.get_untracked().into()),
                ..Default::default()
            });
        }
    };
    let confirm = {
        let id = id.clone();
        let locale = locale.clone();
        move |body: ChangeSubscriptionRequest| {
            let locale = locale.clone();
            let path = format!("/subscriptions/{id}/change");
            busy.set(true);
            problem.set(None);
            leptos::task::spawn_local(async move {
                match api::post::<ChangeResponse, _>(&path, Some(&body)).await {
                    Ok(done) => {
                        let said = match (&done.invoice_number, body.cancel.is_some(), body.resume)
                        {
                            (Some(n), _, _) => fill(w.changed_invoice, "number", n),
                            (None, _, true) => w.kept.into(),
                            (None, true, _) => match &done.subscription.cancel_at {
                                Some(d) if done.subscription.status == "active" => {
                                    fill(w.ends_on, "date", &date(&last_day(d), &locale))
                                }
                                _ => w.ended.into(),
                            },
                            _ => w.changed.into(),
                        };
                        notice.set(Some(said));
                        state.set(Some(api::get("/subscriptions").await));
                    }
                    Err(ApiFailure::Invalid(msg) | ApiFailure::RateLimited(msg)) => {
                        problem.set(Some(msg))
                    }
                    Err(_) => problem.set(Some(
                        "We could not reach the server. Please try again.".into(),
                    )),
                }
                busy.set(false);
            });
        }
    };
    let resume = {
        let confirm = confirm.clone();
        move |_| {
            confirm(ChangeSubscriptionRequest {
                version,
                resume: true,
                ..Default::default()
            })
        }
    };

    let active = s.status == "active";
    let status = match (&s.cancel_at, active) {
        (_, false) => w.ended.to_owned(),
        (Some(d), true) => fill(w.ends_on, "date", &date(&last_day(d), &locale)),
        (None, true) => s
            .next_invoice
            .as_ref()
            .map(|n| {
                fill(
                    &fill(w.next_invoice, "date", &date(&n.issue_date, &locale)),
                    "amount",
                    &m(n.total),
                )
            })
            .unwrap_or_default(),
    };
    let summary: Vec<String> = s
        .add_ons
        .iter()
        .map(|a| {
            let name = p
                .add_ons
                .iter()
                .find(|o| o.code == a.code)
                .map_or(a.code.clone(), |o| o.name.clone());
            format!("{name} × {}", a.quantity)
        })
        .collect();
    let heading = format!("{} × {}", s.plan_name, s.quantity);
    let ending_on = date(&last_day(&s.billed_to), &locale);
    let credit = (s.credit > 0).then(|| fill(w.credit, "amount", &m(s.credit)));
    let plans = p.plans.clone();
    let current_plan = p.plans.first().cloned();
    let qty_hint = current_plan.as_ref().map(|c| {
        fill(
            &fill(w.quantity_hint, "min", &c.min_quantity.to_string()),
            "max",
            &c.max_quantity.map_or("…".into(), |x| x.to_string()),
        )
    });
    let sid = id.clone();
    let quote_view = {
        let m = m.clone();
        let locale = locale.clone();
        let confirm = confirm.clone();
        move || {
            quote.get().map(|(body, q)| {
                let label = if body.cancel.is_some() { w.confirm_cancel } else { w.confirm };
                let span = match (&q.period_start, &q.period_end) {
                    (Some(_), Some(end)) if !q.lines.is_empty() => fill(
                        &fill(&fill(w.span, "left", &q.days_left.to_string()), "days", &q.days.to_string()),
                        "date",
                        &date(end, &locale),
                    ),
                    (Some(_), _) => String::new(),
                    _ => w.nothing_billed.to_owned(),
                };
                let verdict = match q.net {
                    n if n > 0 => fill(w.you_pay, "amount", &m(n)),
                    n if n < 0 => fill(w.you_get, "amount", &m(-n)),
                    _ => w.no_cost.to_owned(),
                };
                let rows = q
                    .lines
                    .iter()
                    .map(|l| view! { <tr><td>{l.description.clone()}</td><td class="num">{m(l.amount + l.tax)}</td></tr> })
                    .collect_view();
                let from_then = (q.per_period > 0).then(|| {
                    view! { <p>{fill(w.from_then, "amount", &format!("{} {per}", m(q.per_period)))}</p> }
                });
                let confirm = confirm.clone();
                view! {
                    <section class="panel quote" aria-labelledby=format!("quote-{sid}")>
                        <h3 id=format!("quote-{sid}")>{w.cost_title}</h3>
                        <p>{span}</p>
                        {(!q.lines.is_empty()).then(|| view! {
                            <table class="lines">
                                <thead><tr><th scope="col">{w.item}</th><th scope="col" class="num">{w.amount}" ("{w.with_tax}")"</th></tr></thead>
                                <tbody>{rows}</tbody>
                            </table>
                        })}
                        <p class="verdict"><strong>{verdict}</strong></p>
                        {from_then}
                        <p class="actions">
                            <button class="button" type="button" disabled=move || busy.get()
                                on:click=move |_| confirm(body.clone())>{label}</button>
                        </p>
                    </section>
                }
            })
        }
    };
    let plan_choices = plans
        .iter()
        .map(|o| {
            let code = o.code.clone();
            let checked = code == s.plan;
            let label = format!("{} · {} {per}", o.name, m(o.price));
            let input_id = format!("plan-{id}-{code}");
            let for_id = input_id.clone();
            view! {
                <label class="choice" for=for_id>
                    <input type="radio" id=input_id name=format!("plan-{id}") checked=checked
                        on:change=move |_| plan.set(code.clone())/>
                    " "{label}
                </label>
            }
        })
        .collect_view();
    let add_on_inputs = add_ons
        .iter()
        .map(|(o, n)| {
            let n = *n;
            let input_id = format!("addon-{id}-{}", o.code);
            let for_id = input_id.clone();
            let hint = fill(w.each, "price", &format!("{} {per}", m(o.price)));
            view! {
                <p>
                    <label for=for_id>{o.name.clone()}</label>
                    <input id=input_id type="number" inputmode="numeric" min=o.min_quantity
                        max=o.max_quantity.map(|x| x.to_string()) prop:value=move || n.get()
                        on:input=move |ev| { n.set(event_target_value(&ev)); quote.set(None); }/>
                    <span class="hint">" "{hint}</span>
                </p>
            }
        })
        .collect_view();
    let has_add_ons = !add_ons.is_empty();
    let several_plans = plans.len() > 1;
    let qty_id = format!("qty-{id}");
    let qty_for = qty_id.clone();
    view! {
        <section class="panel subscription" aria-labelledby=format!("sub-{id}")>
            <h3 id=format!("sub-{id}")>{heading}</h3>
            {(!summary.is_empty()).then(|| view! { <p>{w.add_ons}": "{summary.join(", ")}</p> })}
            <p role="status">{status}</p>
            {credit.map(|c| view! { <p>{c}</p> })}
            {move || problem.get().map(|msg| view! { <p class="panel" role="alert">{msg}</p> })}
            <p class="actions" hidden=move || !active || mode.get() != Mode::View>
                {if s.cancel_at.is_some() {
                    view! { <button class="button" type="button" disabled=move || busy.get() on:click=resume>{w.keep}</button> }.into_any()
                } else {
                    view! {
                        <button class="button" type="button" on:click=move |_| mode.set(Mode::Edit)>{w.change}</button>
                        <button class="button secondary" type="button" on:click=move |_| mode.set(Mode::Cancel)>{w.cancel}</button>
                    }.into_any()
                }}
            </p>
            // Limits are checked by the server and said in the page, not
            // by the browser's own bubble.
            <form class="account-form" on:submit=review novalidate hidden=move || mode.get() != Mode::Edit>
                {several_plans.then(|| view! { <fieldset><legend>{w.plan}</legend>{plan_choices}</fieldset> })}
                <p>
                    <label for=qty_for>{w.quantity}</label>
                    <input id=qty_id type="number" inputmode="numeric" prop:value=move || qty.get()
                        min=current_plan.as_ref().map(|c| c.min_quantity)
                        max=current_plan.as_ref().and_then(|c| c.max_quantity)
                        on:input=move |ev| { qty.set(event_target_value(&ev)); quote.set(None); }/>
                    <span class="hint">" "{qty_hint}</span>
                </p>
                {has_add_ons.then(|| view! { <fieldset><legend>{w.add_ons}</legend>{add_on_inputs}</fieldset> })}
                <p class="actions">
                    <button class="button" type="submit" disabled=move || busy.get()>{w.review}</button>
                    <button class="button secondary" type="button" on:click=move |_| { mode.set(Mode::View); quote.set(None); }>{w.back}</button>
                </p>
            </form>
            <form class="account-form" on:submit=review_cancel hidden=move || mode.get() != Mode::Cancel>
                <fieldset>
                    <legend>{w.when_end}</legend>
                    <label class="choice">
                        <input type="radio" name=format!("end-{id}") checked
                            on:change=move |_| { ending.set("period_end"); quote.set(None); }/>
                        " "{fill(w.at_end, "date", &ending_on)}
                    </label>
                    {p.immediate_cancel.then(|| view! {
                        <label class="choice">
                            <input type="radio" name=format!("end-{id}")
                                on:change=move |_| { ending.set("now"); quote.set(None); }/>
                            " "{w.now}
                        </label>
                    })}
                </fieldset>
                <p class="actions">
                    <button class="button" type="submit" disabled=move || busy.get()>{w.review}</button>
                    <button class="button secondary" type="button" on:click=move |_| { mode.set(Mode::View); quote.set(None); }>{w.back}</button>
                </p>
            </form>
            {quote_view}
        </section>
    }
}
