//! "Pay in instalments": the customer splits what is left on an invoice
//! into instalments on dates they choose, sees before agreeing whether the
//! plan is within the company's terms (it starts at once) or goes to a
//! person there, reads the terms word for word as they are kept, and then
//! follows the plan and pays each instalment. The rules are the shared
//! `settle_shared::plan`, the same the server applies.

use super::words::{self, Words};
use crate::api::{self, ApiFailure};
use crate::components::{Failure, set_title};
use crate::format::{date, money};
use crate::i18n::{Lang, fill};
use chrono::NaiveDate;
use leptos::prelude::*;
use settle_shared::Currency;
use settle_shared::api::{PlanRequest, PlanResponse, PortalPlanResponse, PortalSessionResponse};
use settle_shared::plan::{self, Instalment, Outside};

type State = RwSignal<Option<Result<PortalPlanResponse, ApiFailure>>>;

/// The invoice's plan page.
#[component]
pub(super) fn Plan(session: PortalSessionResponse, invoice_id: String) -> impl IntoView {
    let lang = Lang::from_locale(&session.locale);
    let t = lang.text();
    let state: State = RwSignal::new(None);
    let path = format!("/invoices/{invoice_id}/plan");
    {
        let path = path.clone();
        leptos::task::spawn_local(async move { state.set(Some(api::get(&path).await)) });
    }
    move || match state.get() {
        None => view! { <p class="loading" role="status">{t.loading}</p> }.into_any(),
        Some(Err(e)) => view! { <Failure failure=e lang=lang/> }.into_any(),
        Some(Ok(p)) => {
            view! { <Page p=p session=session.clone() path=path.clone() state=state lang=lang/> }
                .into_any()
        }
    }
}

fn outside_words(w: &Words, o: &Outside, currency: &str, locale: &str) -> String {
    match o {
        Outside::Count { max } => fill(w.plan_rule_count, "n", &max.to_string()),
        Outside::Instalment { min } => {
            fill(w.plan_rule_min, "amount", &money(*min, currency, locale))
        }
        Outside::Span { max_days } => fill(w.plan_rule_span, "n", &max_days.to_string()),
    }
}

#[component]
fn Page(
    p: PortalPlanResponse,
    session: PortalSessionResponse,
    path: String,
    state: State,
    lang: Lang,
) -> impl IntoView {
    let w = words::words(lang);
    let locale = session.locale.clone();
    let company = session.organization.display_name.clone();
    set_title(&fill(w.plan_title, "number", &p.number));
    let invoice_link = format!("/invoices/{}", p.invoice_id);
    let live = p
        .plan
        .clone()
        .filter(|x| x.status == "active" || x.status == "proposed");
    // A live plan over several invoices: what is left of the plan.
    let left = live
        .as_ref()
        .filter(|x| x.invoice_numbers.len() > 1)
        .map_or(p.balance, |x| x.total - x.paid);
    let head = view! {
        <p class="no-print"><a href=invoice_link.clone()>{w.promise_back}</a></p>
        <h1>{fill(w.plan_title, "number", &p.number)}</h1>
        <p class="amount-line">{money(left, &p.currency, &locale)}</p>
    };
    let body = match (live, &p.refusal) {
        (Some(plan), _) => view! {
            <Standing plan=plan company=company.clone() locale=locale.clone() lang=lang/>
        }
        .into_any(),
        (None, Some(r)) => {
            view! { <p class="panel" role="alert">{r.message.clone()}</p> }.into_any()
        }
        (None, None) => {
            let rejected = p.plan.as_ref().filter(|x| x.status == "rejected").map(|x| {
                view! {
                    <div class="panel" role="status">
                        <p>{fill(w.plan_rejected, "company", &company)}</p>
                        {x.decision_message.clone().map(|m| view! { <p class="note">"“"{m}"”"</p> })}
                    </div>
                }
            });
            view! {
                {rejected}
                <Proposal p=p.clone() company=company.clone() locale=locale.clone() path=path state=state lang=lang/>
            }
            .into_any()
        }
    };
    view! { {head} {body} }
}

/// A live plan: its instalments, and the next one to pay.
#[component]
fn Standing(plan: PlanResponse, company: String, locale: String, lang: Lang) -> impl IntoView {
    let w = words::words(lang);
    let problem = RwSignal::new(None::<String>);
    let status = if plan.status == "active" {
        w.plan_active.to_owned()
    } else {
        fill(w.plan_proposed, "company", &company)
    };
    let pay = plan.next_due.clone().map(|next| {
        let id = plan.invoice_id.clone();
        let label = fill(
            w.plan_pay_next,
            "amount",
            &money(next.amount, &plan.currency, &locale),
        );
        let click = move |_| {
            let id = id.clone();
            leptos::task::spawn_local(async move {
                match api::checkout(id, Some(next.amount)).await {
                    Ok(c) => super::go(&c.url),
                    Err(ApiFailure::Invalid(m) | ApiFailure::RateLimited(m)) => {
                        problem.set(Some(m))
                    }
                    Err(_) => problem.set(Some(lang.text().error_generic.into())),
                }
            });
        };
        view! { <button class="button" type="button" on:click=click>{label}</button> }
    });
    let currency = plan.currency.clone();
    let covers = (plan.invoice_numbers.len() > 1)
        .then(|| view! { <p class="note">{fill(w.plan_covers, "numbers", &plan.invoice_numbers.join(", "))}</p> });
    view! {
        <p class="panel ok" role="status">{status}</p>
        {covers}
        {plan.decision_message.clone().map(|m| view! { <p class="note">"“"{m}"”"</p> })}
        <h2>{w.plan_schedule}</h2>
        <table class="schedule">
            <thead><tr><th scope="col">{w.plan_date}</th><th scope="col" class="num">{w.plan_amount}</th><th scope="col"><span class="visually-hidden">{w.plan_paid_mark}</span></th></tr></thead>
            <tbody>{plan.instalments.iter().map(|i| view! {
                <tr>
                    <td>{date(&i.date, &locale)}</td>
                    <td class="num">{money(i.amount, &currency, &locale)}</td>
                    <td>{i.paid.then_some(w.plan_paid_mark)}</td>
                </tr>
            }).collect_view()}</tbody>
        </table>
        {move || problem.get().map(|m| view! { <p class="panel" role="alert">{m}</p> })}
        {pay}
    }
}

/// The proposal form: how many, from when, each date adjustable.
#[component]
fn Proposal(
    p: PortalPlanResponse,
    company: String,
    locale: String,
    path: String,
    state: State,
    lang: Lang,
) -> impl IntoView {
    let w = words::words(lang);
    let today = NaiveDate::parse_from_str(&p.today, "%Y-%m-%d").unwrap_or_default();
    let count = RwSignal::new(3u32.min(p.rules.max_count.max(2)));
    let first = today + chrono::Duration::days(7);
    let dates = RwSignal::new(plan::monthly_dates(first, count.get_untracked()));
    let agree = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let (rules, currency, grace) = (p.rules, p.currency.clone(), p.grace_days);
    // This invoice, or the whole overdue balance (when other invoices can
    // join it).
    let whole = RwSignal::new(false);
    let whole_total: i64 = p.whole_balance.iter().map(|m| m.balance).sum();
    let this_balance = p.balance;
    let balance = move || {
        if whole.get() {
            whole_total
        } else {
            this_balance
        }
    };
    let whole_numbers: Vec<String> = p.whole_balance.iter().map(|m| m.number.clone()).collect();
    let instalments = move || -> Vec<Instalment> {
        let ds = dates.get();
        plan::even_split(balance(), ds.len() as u32)
            .into_iter()
            .zip(ds)
            .map(|(amount, date)| Instalment { date, amount })
            .collect()
    };
    let checked = move || plan::check(&rules, balance(), today, &instalments());
    let code = Currency::parse(&currency).ok();
    let terms = {
        let (company, lang) = (company.clone(), locale.clone());
        let (one, several) = (vec![p.number.clone()], whole_numbers.clone());
        move || {
            let numbers = if whole.get() { &several } else { &one };
            code.map(|c| plan::terms(&lang, &company, numbers, c, &instalments(), grace))
                .unwrap_or_default()
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !agree.get_untracked() {
            problem.set(Some(w.plan_need_agree.into()));
            return;
        }
        let body = PlanRequest {
            instalments: instalments(),
            accept_terms: true,
            whole_balance: whole.get_untracked(),
        };
        let path = path.clone();
        busy.set(true);
        leptos::task::spawn_local(async move {
            let r = api::post::<PortalPlanResponse, _>(&path, Some(&body)).await;
            busy.set(false);
            match r {
                Ok(fresh) => state.set(Some(Ok(fresh))),
                Err(ApiFailure::Invalid(m) | ApiFailure::RateLimited(m)) => problem.set(Some(m)),
                Err(e) => state.set(Some(Err(e))),
            }
        });
    };
    // Past the rules too: such a plan goes to a person at the company.
    let max = p.rules.max_count.clamp(12, plan::HARD_MAX_COUNT);
    let (loc, cur) = (locale.clone(), currency.clone());
    let company2 = company.clone();
    let choice = (!whole_numbers.is_empty()).then(|| {
        let this = fill(w.plan_this, "amount", &money(this_balance, &currency, &locale));
        let all = fill(
            &fill(w.plan_whole, "amount", &money(whole_total, &currency, &locale)),
            "numbers",
            &whole_numbers.join(", "),
        );
        view! {
            <fieldset>
                <legend>{w.plan_what}</legend>
                <label class="choice" for="plan-this">
                    <input type="radio" id="plan-this" name="plan-what" checked on:change=move |_| whole.set(false)/>
                    {this}
                </label>
                <label class="choice" for="plan-whole">
                    <input type="radio" id="plan-whole" name="plan-what" on:change=move |_| whole.set(true)/>
                    {all}
                </label>
            </fieldset>
        }
    });
    view! {
        <p>{w.plan_lead}</p>
        <form class="promise-form plan-form" on:submit=submit>
            {choice}
            <label for="plan-count">{w.plan_count}</label>
            <select id="plan-count" on:change=move |ev| {
                let n: u32 = event_target_value(&ev).parse().unwrap_or(3);
                count.set(n);
                let start = dates.get_untracked().first().copied().unwrap_or(first);
                dates.set(plan::monthly_dates(start, n));
            }>
                {(2..=max).map(|n| view! { <option value=n.to_string() selected=move || count.get() == n>{n.to_string()}</option> }).collect_view()}
            </select>
            <fieldset>
                <legend>{w.plan_schedule}</legend>
                {move || {
                    let list = instalments();
                    list.into_iter().enumerate().map(|(k, i)| {
                        let id = format!("plan-date-{}", k + 1);
                        let label = fill(w.plan_date_n, "n", &(k + 1).to_string());
                        view! {
                            <div class="instalment">
                                <label for=id.clone()>{label}</label>
                                <input id=id type="date" required min=p.today.clone() value=i.date.to_string()
                                    on:change=move |ev| {
                                        if let Ok(d) = NaiveDate::parse_from_str(&event_target_value(&ev), "%Y-%m-%d") {
                                            dates.update(|ds| if let Some(x) = ds.get_mut(k) { *x = d });
                                        }
                                    }/>
                                <span class="num">{money(i.amount, &cur, &loc)}</span>
                            </div>
                        }
                    }).collect_view()
                }}
            </fieldset>
            {move || match checked() {
                Ok(o) if o.is_empty() => view! { <p class="panel ok">{fill(w.plan_inside, "company", &company)}</p> }.into_any(),
                Ok(o) => view! {
                    <div class="panel">
                        <p>{fill(w.plan_outside, "company", &company)}</p>
                        <ul>{o.iter().map(|x| view! { <li>{outside_words(w, x, &currency, &locale)}</li> }).collect_view()}</ul>
                    </div>
                }.into_any(),
                Err(e) => view! { <p class="panel" role="alert">{e.to_string()}</p> }.into_any(),
            }}
            <h2>{w.plan_terms}</h2>
            <p class="terms">{terms}</p>
            <label class="choice" for="plan-agree">
                <input type="checkbox" id="plan-agree" on:change=move |ev| { agree.set(event_target_checked(&ev)); problem.set(None); }/>
                {w.plan_agree}
            </label>
            {move || problem.get().map(|m| view! { <p class="panel" role="alert">{m}</p> })}
            <button class="button" type="submit" disabled=move || busy.get() || checked().is_err()>
                {move || if checked().is_ok_and(|o| o.is_empty()) { w.plan_submit.to_owned() } else { fill(w.plan_propose, "company", &company2) }}
            </button>
        </form>
    }
}
