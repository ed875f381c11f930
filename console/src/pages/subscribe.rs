//! A customer's subscriptions on their account page, and subscribing them
//! to a plan: the plan, a currency it is priced in, the quantity, the
//! add-ons the plan allows, and a start date (today when left empty). The
//! server checks everything against the catalog; its refusal is shown as
//! it words it.

use crate::api::{self, ApiFailure};
use crate::i18n::Lang;
use crate::shell::{Failure, Session};
use leptos::prelude::*;
use settle_portal::format::{date, money};
use settle_shared::api::{
    AddOnQuantity, CatalogItemResponse, CreateSubscriptionRequest, ListResponse,
    SubscriptionResponse,
};

struct Words {
    title: &'static str,
    none: &'static str,
    subscribe: &'static str,
    plan: &'static str,
    currency: &'static str,
    quantity: &'static str,
    start: &'static str,
    start_hint: &'static str,
    add: &'static str,
    /// `{date}`, `{amount}`
    next: &'static str,
    ended: &'static str,
    no_plans: &'static str,
}

static EN: Words = Words {
    title: "Subscriptions",
    none: "No subscription.",
    subscribe: "Subscribe to a plan",
    plan: "Plan",
    currency: "Currency",
    quantity: "Quantity",
    start: "Start date",
    start_hint: "Today when left empty.",
    add: "Subscribe",
    next: "next invoice {date}: {amount}",
    ended: "ended",
    no_plans: "The catalog has no plan yet (Billing).",
};

static FR: Words = Words {
    title: "Abonnements",
    none: "Aucun abonnement.",
    subscribe: "Abonner à une formule",
    plan: "Formule",
    currency: "Devise",
    quantity: "Quantité",
    start: "Date de début",
    start_hint: "Aujourd’hui si vide.",
    add: "Abonner",
    next: "prochaine facture le {date} : {amount}",
    ended: "terminé",
    no_plans: "Le catalogue n’a pas encore de formule (Facturation).",
};

static AR: Words = Words {
    title: "الاشتراكات",
    none: "لا اشتراك.",
    subscribe: "اشتراك في خطة",
    plan: "الخطة",
    currency: "العملة",
    quantity: "الكمية",
    start: "تاريخ البدء",
    start_hint: "اليوم إن تُرك فارغًا.",
    add: "اشترك",
    next: "الفاتورة التالية {date}: {amount}",
    ended: "منتهٍ",
    no_plans: "لا خطة في الكتالوج بعد (الفوترة).",
};

fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::En => &EN,
        Lang::Fr => &FR,
        Lang::Ar => &AR,
    }
}

/// The customer's subscriptions and the form that adds one.
#[component]
pub fn Subscriptions(customer_id: String) -> impl IntoView {
    let session = expect_context::<Session>();
    let w = words(session.lang);
    let locale = session.me.member.locale.clone();
    let version = RwSignal::new(0u32);
    let cid = customer_id.clone();
    let subs = LocalResource::new(move || {
        version.track();
        let path = format!("/subscriptions?customer_id={cid}&limit=50");
        async move { api::get::<ListResponse<SubscriptionResponse>>(&path).await }
    });
    let plans =
        LocalResource::new(|| api::get::<ListResponse<CatalogItemResponse>>("/catalog/plans"));
    let add_ons =
        LocalResource::new(|| api::get::<ListResponse<CatalogItemResponse>>("/catalog/add-ons"));
    let plan = RwSignal::new(String::new());
    let currency = RwSignal::new(String::new());
    let quantity = RwSignal::new("1".to_owned());
    let start = RwSignal::new(String::new());
    let extra = RwSignal::new(Vec::<(String, String)>::new());
    let problem = RwSignal::new(None::<ApiFailure>);
    let busy = RwSignal::new(false);
    let live_plans = move || -> Vec<CatalogItemResponse> {
        plans
            .get()
            .and_then(Result::ok)
            .map(|l| l.data.into_iter().filter(|p| !p.archived).collect())
            .unwrap_or_default()
    };
    let chosen = move || live_plans().into_iter().find(|p| p.code == plan.get());
    // Choosing a plan sets its first currency and its add-ons at 0.
    let choose = move |code: String| {
        let p = live_plans().into_iter().find(|p| p.code == code);
        currency.set(
            p.as_ref()
                .and_then(|p| p.prices.keys().next().cloned())
                .unwrap_or_default(),
        );
        extra.set(
            p.map(|p| {
                p.add_ons
                    .iter()
                    .map(|a| (a.clone(), "0".to_owned()))
                    .collect()
            })
            .unwrap_or_default(),
        );
        plan.set(code);
    };
    let submit = {
        let customer_id = customer_id.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let body = CreateSubscriptionRequest {
                customer_id: customer_id.clone(),
                plan: plan.get_untracked(),
                currency: currency.get_untracked(),
                quantity: quantity.get_untracked().trim().parse().ok(),
                add_ons: extra
                    .get_untracked()
                    .into_iter()
                    .map(|(code, n)| AddOnQuantity {
                        code,
                        quantity: n.trim().parse().unwrap_or(-1),
                    })
                    .collect(),
                start_date: Some(start.get_untracked()).filter(|s| !s.is_empty()),
            };
            busy.set(true);
            problem.set(None);
            leptos::task::spawn_local(async move {
                match api::post::<SubscriptionResponse, _>("/subscriptions", &body).await {
                    Ok(_) => version.update(|v| *v += 1),
                    Err(e) => problem.set(Some(e)),
                }
                busy.set(false);
            });
        }
    };
    let add_on_name = move |code: &str| {
        add_ons
            .get()
            .and_then(Result::ok)
            .and_then(|l| l.data.into_iter().find(|a| a.code == code))
            .map_or_else(|| code.to_owned(), |a| a.name)
    };
    view! {
        <section aria-labelledby="subs-h">
            <h2 id="subs-h">{w.title}</h2>
            {move || subs.get().map(|r| match r {
                Ok(l) if l.data.is_empty() => view! { <p>{w.none}</p> }.into_any(),
                Ok(l) => view! {
                    <ul>{l.data.into_iter().map(|s| {
                        let state = match (&s.next_invoice, s.status.as_str()) {
                            (_, "canceled") => w.ended.to_owned(),
                            (Some(n), _) => w.next.replace("{date}", &date(&n.issue_date, &locale)).replace("{amount}", &money(n.total, &s.currency, &locale)),
                            (None, _) => s.cancel_at.clone().unwrap_or_default(),
                        };
                        view! { <li><code>{s.number.clone()}</code>" · "{s.plan_name.clone()}" × "{s.quantity}" · "{state}</li> }
                    }).collect_view()}</ul>
                }.into_any(),
                Err(e) => view! { <Failure failure=e/> }.into_any(),
            })}
            <details>
                <summary>{w.subscribe}</summary>
                {move || live_plans().is_empty().then(|| view! { <p>{w.no_plans}</p> })}
                {move || problem.get().map(|e| view! { <Failure failure=e/> })}
                <form class="stack" on:submit=submit>
                    <label for="sub-plan">{w.plan}</label>
                    <select id="sub-plan" required on:change=move |ev| choose(event_target_value(&ev))>
                        <option value="">"—"</option>
                        {move || live_plans().into_iter().map(|p| view! { <option value=p.code.clone()>{format!("{} ({})", p.name, p.code)}</option> }).collect_view()}
                    </select>
                    <label for="sub-currency">{w.currency}</label>
                    <select id="sub-currency" prop:value=move || currency.get() on:change=move |ev| currency.set(event_target_value(&ev))>
                        {move || chosen().map(|p| p.prices.keys().map(|c| view! { <option value=c.clone()>{c.clone()}</option> }).collect_view())}
                    </select>
                    <label for="sub-qty">{w.quantity}</label>
                    <input id="sub-qty" type="number" inputmode="numeric" prop:value=move || quantity.get()
                        on:input=move |ev| quantity.set(event_target_value(&ev))/>
                    // Drawn again when the plan changes, not on each keystroke.
                    {move || { plan.track(); extra.get_untracked() }.into_iter().enumerate().map(|(n, (code, v))| {
                        let id = format!("sub-addon-{code}");
                        let for_id = id.clone();
                        view! {
                            <label for=for_id>{add_on_name(&code)}</label>
                            <input id=id type="number" inputmode="numeric" value=v
                                on:input=move |ev| { let val = event_target_value(&ev); extra.update(|x| if let Some(e) = x.get_mut(n) { e.1 = val }); }/>
                        }
                    }).collect_view()}
                    <label for="sub-start">{w.start}</label>
                    <input id="sub-start" type="date" prop:value=move || start.get() on:input=move |ev| start.set(event_target_value(&ev))/>
                    <p class="hint">{w.start_hint}</p>
                    <p><button type="submit" disabled=move || busy.get() || plan.with(String::is_empty)>{w.add}</button></p>
                </form>
            </details>
        </section>
    }
}
