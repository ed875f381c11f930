//! `/console/dashboard` (supervisors and admins): the period's collections
//! figures in one currency, each with its definition beside the number,
//! the aging as bars drawn in SVG with the same figures in a table beside
//! them (for print and screen readers), and the slowest payers.

mod forecast;
mod months;
mod rates;

use crate::api;
use crate::i18n::Lang;
use crate::shell::{Failure, Session, set_title};
use leptos::prelude::*;
use leptos_router::components::A;
use serde_json::Value;
use settle_portal::format::money;

use forecast::CashForecast;
use months::Months;
use rates::ExchangeRates;
use settle_shared::api::ListResponse;
use settle_shared::reminders::SegmentResponse;

struct Words {
    title: &'static str,
    lead: &'static str,
    from: &'static str,
    to: &'static str,
    currency: &'static str,
    show: &'static str,
    figures: [(&'static str, &'static str); 8],
    days: &'static str,
    aging: &'static str,
    buckets: [&'static str; 5],
    bucket: &'static str,
    amount: &'static str,
    count: &'static str,
    slowest: &'static str,
    customer: &'static str,
    days_to_pay: &'static str,
    days_late: &'static str,
    none: &'static str,
    read: &'static str,
    agent: &'static str,
    everyone: &'static str,
    nobody: &'static str,
    segment: &'static str,
    any_segment: &'static str,
    csv: &'static str,
    by_month: &'static str,
    by_month_lead: &'static str,
    month: &'static str,
    best: &'static str,
    in_base: &'static str,
    through: &'static str,
    no_rate: &'static str,
}

static EN: Words = Words {
    title: "Dashboard",
    lead: "Collections over a period, in one currency or all of them in the base currency. Each figure says how it is counted.",
    from: "From",
    to: "To",
    currency: "Currency",
    show: "Show",
    figures: [
        (
            "DSO",
            "Standard DSO: receivables at the end ÷ the period's sales × its days.",
        ),
        (
            "Best possible DSO",
            "Receivables not yet due at the end ÷ sales × days.",
        ),
        ("Average days delinquent", "DSO − best possible DSO."),
        (
            "CEI",
            "(Receivables at the start + sales − receivables at the end) ÷ (receivables at the start + sales − current receivables at the end).",
        ),
        (
            "Sales",
            "Invoices issued in the period, less what invoices voided in it still owed.",
        ),
        (
            "Collected",
            "Payments received in the period, less refunds.",
        ),
        (
            "Broken promises",
            "Promises broken ÷ promises that ended (kept or broken) in the period.",
        ),
        (
            "Disputes",
            "Disputes opened ÷ invoices issued in the period; then the mean days to resolve one.",
        ),
    ],
    days: "days",
    aging: "Aging at the end of the period",
    buckets: [
        "Current",
        "1–30 days",
        "31–60 days",
        "61–90 days",
        "Over 90 days",
    ],
    bucket: "Days past due",
    amount: "Amount",
    count: "Invoices",
    slowest: "Slowest payers (invoices settled in the period)",
    customer: "Customer",
    days_to_pay: "Days to pay",
    days_late: "Days late",
    none: "—",
    read: "Invoices read",
    agent: "Agent",
    everyone: "Everyone",
    nobody: "No one",
    segment: "Segment",
    any_segment: "Any segment",
    csv: "Download as CSV",
    by_month: "DSO and CEI month by month",
    by_month_lead: "The twelve months to the period's end, each counted as a period of its own (the last one to the end date).",
    month: "Month",
    best: "Best possible DSO",
    in_base: "All currencies, in the base currency",
    through: "From the daily figures, complete to",
    no_rate: "Left out for want of an exchange rate to the base currency (an admin sets it below):",
};

static FR: Words = Words {
    title: "Tableau de bord",
    lead: "Le recouvrement sur une période, dans une devise ou toutes dans la devise de base. Chaque chiffre dit comment il est compté.",
    from: "Du",
    to: "Au",
    currency: "Devise",
    show: "Afficher",
    figures: [
        (
            "DSO",
            "DSO standard : créances à la fin ÷ ventes de la période × ses jours.",
        ),
        (
            "Meilleur DSO possible",
            "Créances non échues à la fin ÷ ventes × jours.",
        ),
        ("Retard moyen (jours)", "DSO − meilleur DSO possible."),
        (
            "CEI",
            "(Créances au début + ventes − créances à la fin) ÷ (créances au début + ventes − créances non échues à la fin).",
        ),
        (
            "Ventes",
            "Factures émises dans la période, moins ce que devaient encore celles annulées dans la période.",
        ),
        (
            "Encaissé",
            "Paiements reçus dans la période, moins les remboursements.",
        ),
        (
            "Promesses non tenues",
            "Promesses non tenues ÷ promesses terminées (tenues ou non) dans la période.",
        ),
        (
            "Litiges",
            "Litiges ouverts ÷ factures émises dans la période ; puis les jours moyens pour en résoudre un.",
        ),
    ],
    days: "jours",
    aging: "Balance âgée à la fin de la période",
    buckets: [
        "Non échu",
        "1 à 30 jours",
        "31 à 60 jours",
        "61 à 90 jours",
        "Plus de 90 jours",
    ],
    bucket: "Jours de retard",
    amount: "Montant",
    count: "Factures",
    slowest: "Payeurs les plus lents (factures soldées dans la période)",
    customer: "Client",
    days_to_pay: "Jours pour payer",
    days_late: "Jours de retard",
    none: "—",
    read: "Factures lues",
    agent: "Agent",
    everyone: "Tout le monde",
    nobody: "Personne",
    segment: "Segment",
    any_segment: "Tous les segments",
    csv: "Télécharger en CSV",
    by_month: "DSO et CEI mois par mois",
    by_month_lead: "Les douze mois jusqu'à la fin de la période, chacun compté comme une période (le dernier jusqu'à la date de fin).",
    month: "Mois",
    best: "Meilleur DSO possible",
    in_base: "Toutes les devises, dans la devise de base",
    through: "D’après les chiffres quotidiens, complets jusqu’au",
    no_rate: "Laissées de côté faute de taux de change vers la devise de base (un administrateur le fixe plus bas) :",
};

static AR: Words = Words {
    title: "لوحة المؤشرات",
    lead: "التحصيل خلال فترة، بعملة واحدة أو بكل العملات بالعملة الأساسية. كل رقم يوضح طريقة حسابه.",
    from: "من",
    to: "إلى",
    currency: "العملة",
    show: "اعرض",
    figures: [
        (
            "DSO",
            "DSO القياسي: الذمم في نهاية الفترة ÷ مبيعات الفترة × أيامها.",
        ),
        (
            "أفضل DSO ممكن",
            "الذمم غير المستحقة بعد ÷ المبيعات × الأيام.",
        ),
        ("متوسط أيام التأخير", "DSO − أفضل DSO ممكن."),
        (
            "CEI",
            "(الذمم في البداية + المبيعات − الذمم في النهاية) ÷ (الذمم في البداية + المبيعات − الذمم غير المستحقة في النهاية).",
        ),
        (
            "المبيعات",
            "الفواتير الصادرة في الفترة ناقص ما بقي مستحقًا على الملغاة فيها.",
        ),
        (
            "المحصّل",
            "المدفوعات المستلمة في الفترة ناقص المبالغ المستردة.",
        ),
        (
            "الوعود غير المنجزة",
            "الوعود غير المنجزة ÷ الوعود المنتهية في الفترة.",
        ),
        (
            "النزاعات",
            "النزاعات المفتوحة ÷ الفواتير الصادرة في الفترة؛ ثم متوسط أيام الحل.",
        ),
    ],
    days: "يومًا",
    aging: "أعمار الذمم في نهاية الفترة",
    buckets: [
        "غير مستحق",
        "1–30 يومًا",
        "31–60 يومًا",
        "61–90 يومًا",
        "أكثر من 90 يومًا",
    ],
    bucket: "أيام التأخير",
    amount: "المبلغ",
    count: "الفواتير",
    slowest: "الأبطأ دفعًا (فواتير سُدّدت في الفترة)",
    customer: "العميل",
    days_to_pay: "أيام الدفع",
    days_late: "أيام التأخير",
    none: "—",
    read: "الفواتير المقروءة",
    agent: "الموظف",
    everyone: "الجميع",
    nobody: "لا أحد",
    segment: "الشريحة",
    any_segment: "كل الشرائح",
    csv: "تنزيل بصيغة CSV",
    by_month: "DSO وCEI شهرًا بشهر",
    by_month_lead: "الأشهر الاثنا عشر حتى نهاية الفترة، كل شهر فترة قائمة بذاتها (الأخير حتى تاريخ النهاية).",
    month: "الشهر",
    best: "أفضل DSO ممكن",
    in_base: "كل العملات، بالعملة الأساسية",
    through: "من الأرقام اليومية، مكتملة حتى",
    no_rate: "مستبعدة لعدم وجود سعر صرف إلى العملة الأساسية (يحدده المسؤول أدناه):",
};

fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::En => &EN,
        Lang::Fr => &FR,
        Lang::Ar => &AR,
    }
}

fn num(v: &Value, suffix: &str, none: &str) -> String {
    v.as_f64()
        .map_or_else(|| none.to_owned(), |x| format!("{x:.1}{suffix}"))
}

#[component]
pub fn Dashboard() -> impl IntoView {
    let session = expect_context::<Session>();
    let w = words(session.lang);
    let t = session.t();
    set_title(w.title);
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let currency = RwSignal::new("EUR".to_owned());
    let in_base = RwSignal::new(false);
    let agent = RwSignal::new(String::new());
    let segment = RwSignal::new(String::new());
    let asked = RwSignal::new(0u32);
    let team = LocalResource::new(|| api::team_if(true));
    let segments = LocalResource::new(|| async {
        api::get::<ListResponse<SegmentResponse>>("/segments")
            .await
            .map(|l| l.data)
            .unwrap_or_default()
    });
    let query = move || {
        api::query(&[
            ("from", &from.get_untracked()),
            ("to", &to.get_untracked()),
            (
                "currency",
                &if in_base.get_untracked() {
                    "base".to_owned()
                } else {
                    currency.get_untracked()
                },
            ),
            ("agent", &agent.get_untracked()),
            ("segment", &segment.get_untracked()),
        ])
    };
    let data = LocalResource::new(move || {
        asked.track();
        let path = format!("/metrics{}", query());
        async move { api::get::<Value>(&path).await }
    });
    let csv = move || {
        asked.track();
        let q = query();
        format!(
            "/api/v1/metrics{}{}format=csv",
            q,
            if q.is_empty() { "?" } else { "&" }
        )
    };
    let locale = session.me.member.locale.clone();
    view! {
        <h1>{w.title}</h1>
        <p>{w.lead}</p>
        <form class="filters no-print" on:submit=move |ev| { ev.prevent_default(); asked.update(|n| *n += 1); }>
            <label>{w.from}<input type="date" prop:value=move || from.get() on:input=move |ev| from.set(event_target_value(&ev))/></label>
            <label>{w.to}<input type="date" prop:value=move || to.get() on:input=move |ev| to.set(event_target_value(&ev))/></label>
            <label>{w.currency}<input size="3" maxlength="3" prop:value=move || currency.get() prop:disabled=move || in_base.get() on:input=move |ev| currency.set(event_target_value(&ev))/></label>
            <label class="check"><input type="checkbox" prop:checked=move || in_base.get() on:change=move |ev| in_base.set(event_target_checked(&ev))/>{w.in_base}</label>
            <label>{w.agent}
                <select on:change=move |ev| agent.set(event_target_value(&ev))>
                    <option value="">{w.everyone}</option>
                    <option value="none">{w.nobody}</option>
                    {move || team.get().unwrap_or_default().into_iter().map(|m| view! { <option value=m.id.clone()>{m.name.clone()}</option> }).collect_view()}
                </select>
            </label>
            <label>{w.segment}
                <select on:change=move |ev| segment.set(event_target_value(&ev))>
                    <option value="">{w.any_segment}</option>
                    {move || segments.get().unwrap_or_default().into_iter().map(|s| view! { <option value=s.id.clone()>{s.name.clone()}</option> }).collect_view()}
                </select>
            </label>
            <button type="submit">{w.show}</button>
            <a href=csv download>{w.csv}</a>
        </form>
        {move || match data.get() {
            None => view! { <p class="loading" role="status">{t.loading}</p> }.into_any(),
            Some(Err(e)) => view! { <Failure failure=e/> }.into_any(),
            Some(Ok(v)) => {
                let cur = v["currency"].as_str().unwrap_or("EUR").to_owned();
                let m = |k: &str| v[k].as_i64().map(|a| money(a, &cur, &locale)).unwrap_or_default();
                let d = w.days;
                let values = [
                    num(&v["dso"], &format!(" {d}"), w.none),
                    num(&v["best_possible_dso"], &format!(" {d}"), w.none),
                    num(&v["average_days_delinquent"], &format!(" {d}"), w.none),
                    num(&v["cei"], " %", w.none),
                    m("sales"),
                    m("collected"),
                    v["broken_promise_rate"].as_f64().map_or(w.none.to_owned(), |x| format!("{:.0} %", x * 100.0)),
                    format!("{} · {}", v["dispute_rate"].as_f64().map_or(w.none.to_owned(), |x| format!("{:.1} %", x * 100.0)), num(&v["average_days_to_resolve"], &format!(" {d}"), w.none)),
                ];
                let aging: Vec<(i64, i64)> = v["aging"].as_array().cloned().unwrap_or_default().iter().map(|b| (b["amount"].as_i64().unwrap_or(0), b["count"].as_i64().unwrap_or(0))).collect();
                let max = aging.iter().map(|a| a.0).max().unwrap_or(0).max(1);
                let label = aging.iter().enumerate().map(|(i, a)| format!("{}: {}", w.buckets[i], money(a.0, &cur, &locale))).collect::<Vec<_>>().join("; ");
                let bars = aging.iter().enumerate().map(|(i, a)| {
                    let h = 140.0 * a.0 as f64 / max as f64;
                    let x = 20 + i * 110;
                    view! {
                        <g>
                            <rect x=x y=format!("{:.1}", 160.0 - h) width="80" height=format!("{h:.1}") class=format!("bar b{i}")></rect>
                            <text x=x + 40 y="178" text-anchor="middle">{w.buckets[i]}</text>
                        </g>
                    }
                }).collect_view();
                let rows = aging.iter().enumerate().map(|(i, a)| view! {
                    <tr><th scope="row">{w.buckets[i]}</th><td class="num">{money(a.0, &cur, &locale)}</td><td class="num">{a.1}</td></tr>
                }).collect_view();
                let slow = v["slowest_customers"].as_array().cloned().unwrap_or_default();
                view! {
                    <p class="muted">{v["from"].as_str().unwrap_or_default().to_owned()}" → "{v["to"].as_str().unwrap_or_default().to_owned()}" · "{match v["days_through"].as_str() {
                        Some(d) => format!("{} {d}", w.through),
                        None => format!("{}: {}", w.read, v["invoices_read"]),
                    }}</p>
                    {v["currencies_without_rate"].as_array().filter(|a| !a.is_empty()).map(|a| view! {
                        <p class="warning" role="status">{w.no_rate}" "{a.iter().filter_map(|c| c.as_str()).collect::<Vec<_>>().join(", ")}</p>
                    })}
                    <dl class="metrics">
                        {w.figures.iter().zip(values).map(|((name, def), value)| view! {
                            <div class="metric"><dt>{*name}</dt><dd class="value">{value}</dd><dd class="def">{*def}</dd></div>
                        }).collect_view()}
                    </dl>
                    <section aria-labelledby="aging-h">
                        <h2 id="aging-h">{w.aging}</h2>
                        <div class="aging">
                            <svg viewBox="0 0 580 190" role="img" aria-label=label class="aging-chart">{bars}</svg>
                            <table>
                                <thead><tr><th scope="col">{w.bucket}</th><th scope="col" class="num">{w.amount}</th><th scope="col" class="num">{w.count}</th></tr></thead>
                                <tbody>{rows}</tbody>
                            </table>
                        </div>
                    </section>
                    <Months v=v.clone() w=w/>
                    <section aria-labelledby="slow-h">
                        <h2 id="slow-h">{w.slowest}</h2>
                        <div class="table-scroll" tabindex="0"><table>
                            <thead><tr><th scope="col">{w.customer}</th><th scope="col" class="num">{w.count}</th><th scope="col" class="num">{w.days_to_pay}</th><th scope="col" class="num">{w.days_late}</th></tr></thead>
                            <tbody>{slow.into_iter().map(|r| {
                                let id = r["customer_id"].as_str().unwrap_or_default().to_owned();
                                let name = r["name"].as_str().map_or_else(|| id.clone(), str::to_owned);
                                view! {
                                    <tr>
                                        <td><A href=format!("/console/customers/{id}")>{name}</A></td>
                                        <td class="num">{r["invoices"].to_string()}</td>
                                        <td class="num">{num(&r["days_to_pay"], "", "—")}</td>
                                        <td class="num">{num(&r["days_late"], "", "—")}</td>
                                    </tr>
                                }
                            }).collect_view()}</tbody>
                        </table></div>
                    </section>
                }.into_any()
            }
        }}
        <CashForecast asked currency/>
        <ExchangeRates/>
    }
}
