//! `/console/worklist`: overdue accounts ranked by priority, each with the
//! reasons for its rank; supervisors filter by agent or segment, see each
//! agent's load and deal accounts by rules. The collections panel of a
//! customer's page and the follow-up alert live beside it.

pub mod alert;
pub mod panel;
pub mod words;

use crate::api;
use crate::shell::{Failure, Session, set_title};
use leptos::prelude::*;
use leptos_router::components::A;
use settle_portal::format::{date, money, parse_amount, percent};
use settle_portal::i18n::fill;
use settle_shared::Money;
use settle_shared::api::{
    AgentLoad, AssignRule, AssignRulesRequest, AssignRulesResponse, ListResponse, MemberResponse,
    WorklistReason, WorklistResponse,
};
use settle_shared::reminders::SegmentResponse;
use settle_shared::staff::Capability;
use words::{Words, words};

/// A reason in words.
pub fn reason_text(w: &Words, r: &WorklistReason, locale: &str) -> String {
    let pct = |f: f64| percent((f * 100_000.0).round() as i64, locale);
    match r {
        WorklistReason::OverdueAmount { amount, rank, .. } => w
            .r_amount
            .replace(
                "{amount}",
                &money(amount.amount, amount.currency.code(), locale),
            )
            .replace("{pct}", &pct(*rank)),
        WorklistReason::DaysOverdue { days, .. } => fill(w.r_days, "n", &days.to_string()),
        WorklistReason::BrokenPromises { count, .. } => fill(w.r_broken, "n", &count.to_string()),
        WorklistReason::Risk { probability, .. } => fill(w.r_risk, "pct", &pct(*probability)),
        WorklistReason::OpenDisputes { count, .. } => fill(w.r_disputes, "n", &count.to_string()),
        WorklistReason::PromisedDate { date: d } => {
            fill(w.r_promised, "date", &date(&d.to_string(), locale))
        }
    }
}

/// A risk feature's name in words.
pub fn risk_feature(w: &Words, name: &str) -> &'static str {
    settle_shared::api::RISK_FEATURES
        .iter()
        .position(|n| *n == name)
        .map_or("", |i| w.features[i])
}

fn amounts(list: &[Money], locale: &str) -> String {
    list.iter()
        .map(|m| money(m.amount, m.currency.code(), locale))
        .collect::<Vec<_>>()
        .join(" + ")
}

#[component]
pub fn Worklist() -> impl IntoView {
    let session = expect_context::<Session>();
    let w = words(session.lang);
    let t = session.t();
    set_title(w.title);
    let supervisor = session.may(Capability::AllAccounts);
    let agent = RwSignal::new(String::new());
    let segment = RwSignal::new(String::new());
    let cursor = RwSignal::new(None::<String>);
    let version = RwSignal::new(0u32);
    let team = LocalResource::new(move || api::team_if(supervisor));
    let segments = LocalResource::new(move || async move {
        api::get::<ListResponse<SegmentResponse>>("/segments")
            .await
            .map(|l| l.data)
            .unwrap_or_default()
    });
    let list = LocalResource::new(move || {
        version.track();
        let path = format!(
            "/worklist{}",
            api::query(&[
                ("agent", &agent.get()),
                ("segment", &segment.get()),
                ("cursor", &cursor.get().unwrap_or_default()),
                ("limit", "50"),
            ])
        );
        async move { api::get::<WorklistResponse>(&path).await }
    });
    let locale = session.me.member.locale.clone();
    let members = move || team.get().unwrap_or_default();
    view! {
        <h1>{w.title}</h1>
        <p>{w.lead}</p>
        <div class="filters">
            {supervisor.then(|| view! {
                <label>{w.agent}
                    <select on:change=move |ev| { agent.set(event_target_value(&ev)); cursor.set(None); }>
                        <option value="">{w.everyone}</option>
                        <option value="none">{w.nobody}</option>
                        {move || members().into_iter().map(|m| view! { <option value=m.id.clone()>{m.name.clone()}</option> }).collect_view()}
                    </select>
                </label>
            })}
            <label>{w.segment}
                <select on:change=move |ev| { segment.set(event_target_value(&ev)); cursor.set(None); }>
                    <option value="">{w.any_segment}</option>
                    {move || segments.get().unwrap_or_default().into_iter().map(|s| view! { <option value=s.id.clone()>{s.name.clone()}</option> }).collect_view()}
                </select>
            </label>
        </div>
        {move || match list.get() {
            None => view! { <p class="loading" role="status">{t.loading}</p> }.into_any(),
            Some(Err(e)) => view! { <Failure failure=e/> }.into_any(),
            Some(Ok(page)) => {
                let locale = locale.clone();
                let names: Vec<(String, String)> = members().into_iter().map(|m| (m.id, m.name)).collect();
                let name_of = move |id: &Option<String>| id.as_ref().map(|i| names.iter().find(|(k, _)| k == i).map(|(_, n)| n.clone()).unwrap_or_else(|| i.clone())).unwrap_or_default();
                let start: usize = cursor.get_untracked().and_then(|c| c.parse().ok()).unwrap_or(0);
                let load = page.load.clone();
                view! {
                    <p role="status">{fill(w.total, "n", &page.total.to_string())}</p>
                    {if page.data.is_empty() {
                        view! { <p>{w.empty}</p> }.into_any()
                    } else {
                        view! {
                            <div class="table-scroll" tabindex="0"><table class="worklist">
                                <thead><tr>
                                    <th scope="col" class="num">{w.rank}</th><th scope="col">{w.account}</th>
                                    <th scope="col" class="num">{w.overdue}</th><th scope="col" class="num">{w.days}</th>
                                    <th scope="col" class="num">{w.priority}</th><th scope="col">{w.why}</th>
                                    <th scope="col">{w.agent}</th><th scope="col">{w.last_contact}</th><th scope="col">{w.next_follow_up}</th>
                                </tr></thead>
                                <tbody>{page.data.clone().into_iter().enumerate().map(|(i, item)| {
                                    let locale = locale.clone();
                                    let reasons = item.reasons.iter().map(|r| {
                                        let pts = r.points();
                                        view! {
                                            <li>{reason_text(w, r, &locale)}
                                                {(pts > 0.0).then(|| view! { " " <span class="points">{fill(w.points, "points", &format!("{pts:.1}"))}</span> })}
                                            </li>
                                        }
                                    }).collect_view();
                                    let last = item.last_activity.clone().map(|a| format!("{} · {}", &a.created_at[..10], a.outcome.unwrap_or(a.kind))).unwrap_or_default();
                                    let next = item.next_task_at.clone().map(|n| n[..16].replace('T', " ")).unwrap_or_default();
                                    view! {
                                        <tr>
                                            <td class="num">{start + i + 1}</td>
                                            <td><A href=format!("/console/customers/{}", item.customer_id)>{item.name.clone()}</A></td>
                                            <td class="num">{amounts(&item.overdue, &locale)}</td>
                                            <td class="num" data-label=w.days>{item.days_overdue}</td>
                                            <td class="num" data-label=w.priority>
                                                <meter min="0" max="100" value=item.priority aria-hidden="true"></meter>
                                                " "{format!("{:.0}", item.priority)}
                                            </td>
                                            <td><ul class="reasons">{reasons}</ul></td>
                                            <td>{name_of(&item.assigned_to)}</td>
                                            <td>{last}</td>
                                            <td>{next}</td>
                                        </tr>
                                    }
                                }).collect_view()}</tbody>
                            </table></div>
                        }.into_any()
                    }}
                    <div class="pager">
                        {(start > 0).then(|| view! { <button type="button" on:click=move |_| cursor.set(Some(start.saturating_sub(50).to_string()))>{t.previous}</button> })}
                        {page.next_cursor.clone().map(|n| view! { <button type="button" on:click=move |_| cursor.set(Some(n.clone()))>{t.next}</button> })}
                    </div>
                    {(!load.is_empty()).then(|| view! { <Load load=load.clone() locale=locale.clone()/> })}
                }.into_any()
            }
        }}
        {supervisor.then(|| view! { <Assign members=Signal::derive(members) changed=version/> })}
    }
}

#[component]
fn Load(load: Vec<AgentLoad>, locale: String) -> impl IntoView {
    let w = words(expect_context::<Session>().lang);
    view! {
        <section aria-labelledby="load-h">
            <h2 id="load-h">{w.load}</h2>
            <div class="table-scroll" tabindex="0"><table class="load">
                <thead><tr>
                    <th scope="col">{w.agent}</th><th scope="col" class="num">{w.accounts}</th>
                    <th scope="col" class="num">{w.overdue}</th><th scope="col" class="num">{w.tasks_open}</th><th scope="col" class="num">{w.tasks_due}</th>
                </tr></thead>
                <tbody>{load.into_iter().map(|l| view! {
                    <tr>
                        <td>{l.name.clone().unwrap_or_else(|| w.unassigned.to_owned())}</td>
                        <td class="num">{l.accounts}</td>
                        <td class="num">{amounts(&l.overdue, &locale)}</td>
                        <td class="num">{l.open_tasks}</td>
                        <td class="num">{l.tasks_due}</td>
                    </tr>
                }).collect_view()}</tbody>
            </table></div>
        </section>
    }
}

/// One rule of the form: an agent, a letter range, an amount.
#[derive(Clone, Copy)]
struct RuleForm {
    member: RwSignal<String>,
    letters: RwSignal<String>,
    amount: RwSignal<String>,
    currency: RwSignal<String>,
}

impl Default for RuleForm {
    fn default() -> Self {
        RuleForm {
            member: RwSignal::new(String::new()),
            letters: RwSignal::new(String::new()),
            amount: RwSignal::new(String::new()),
            currency: RwSignal::new("EUR".into()),
        }
    }
}

#[component]
fn Assign(members: Signal<Vec<MemberResponse>>, changed: RwSignal<u32>) -> impl IntoView {
    let session = expect_context::<Session>();
    let w = words(session.lang);
    let t = session.t();
    let rules = RwSignal::new(vec![RuleForm::default()]);
    let only_unassigned = RwSignal::new(true);
    let outcome = RwSignal::new(None::<Result<String, String>>);
    let send = move |dry: bool| {
        let mut body = AssignRulesRequest {
            rules: Vec::new(),
            only_unassigned: only_unassigned.get_untracked(),
            dry_run: dry,
        };
        for r in rules.get_untracked() {
            let amount = r.amount.get_untracked();
            let currency = r.currency.get_untracked().trim().to_uppercase();
            let min_amount = if amount.trim().is_empty() {
                None
            } else {
                match parse_amount(&amount, &currency).and_then(|a| {
                    Money::new(a, settle_shared::Currency::parse(&currency).ok()?).ok()
                }) {
                    Some(m) => Some(m),
                    None => {
                        outcome.set(Some(Err(w.bad_amount.to_owned())));
                        return;
                    }
                }
            };
            let letters = r.letters.get_untracked();
            body.rules.push(AssignRule {
                member_ids: vec![r.member.get_untracked()],
                segment_id: None,
                rules: None,
                min_amount,
                letters: (!letters.trim().is_empty()).then(|| letters.trim().to_owned()),
            });
        }
        leptos::task::spawn_local(async move {
            match api::post::<AssignRulesResponse, _>("/worklist/assign", &body).await {
                Ok(r) => {
                    let n = r.assigned.to_string();
                    outcome.set(Some(Ok(fill(
                        if r.dry_run {
                            w.would_assign
                        } else {
                            w.assigned
                        },
                        "n",
                        &n,
                    ))));
                    if !r.dry_run {
                        changed.update(|v| *v += 1);
                    }
                }
                Err(e) => outcome.set(Some(Err(e.message(t)))),
            }
        });
    };
    let send2 = send;
    view! {
        <section aria-labelledby="assign-h" class="card">
            <h2 id="assign-h">{w.assign_title}</h2>
            <p>{w.assign_lead}</p>
            <form novalidate on:submit=move |ev| { ev.prevent_default(); send(false); }>
                {move || rules.get().into_iter().enumerate().map(|(i, r)| {
                    let id = |f: &str| format!("rule-{i}-{f}");
                    view! {
                        <fieldset class="rule">
                            <legend>{w.rule}" "{i + 1}</legend>
                            <label for=id("m")>{w.agent}</label>
                            <select id=id("m") on:change=move |ev| r.member.set(event_target_value(&ev))>
                                <option value="">"—"</option>
                                {move || members.get().into_iter().map(|m| view! { <option value=m.id.clone() selected=r.member.get_untracked() == m.id>{m.name.clone()}</option> }).collect_view()}
                            </select>
                            <label for=id("l")>{w.letters}</label>
                            <input id=id("l") placeholder=w.letters_hint prop:value=move || r.letters.get() on:input=move |ev| r.letters.set(event_target_value(&ev))/>
                            <label for=id("a")>{w.min_amount}</label>
                            <input id=id("a") inputmode="decimal" prop:value=move || r.amount.get() on:input=move |ev| r.amount.set(event_target_value(&ev))/>
                            <label for=id("c")>{w.currency}</label>
                            <input id=id("c") size="3" maxlength="3" prop:value=move || r.currency.get() on:input=move |ev| r.currency.set(event_target_value(&ev))/>
                        </fieldset>
                    }
                }).collect_view()}
                <button type="button" on:click=move |_| rules.update(|v| v.push(RuleForm::default()))>{w.add_rule}</button>
                <label class="check" for="only-unassigned">
                    <input id="only-unassigned" type="checkbox" prop:checked=move || only_unassigned.get() on:change=move |ev| only_unassigned.set(event_target_checked(&ev))/>
                    " "{w.only_unassigned}
                </label>
                {move || outcome.get().map(|o| match o {
                    Ok(m) => view! { <p class="notice" role="status">{m}</p> }.into_any(),
                    Err(m) => view! { <p class="error" role="alert">{m}</p> }.into_any(),
                })}
                <button type="button" on:click=move |_| send2(true)>{w.preview}</button>
                " "
                <button type="submit">{w.apply}</button>
            </form>
        </section>
    }
}
