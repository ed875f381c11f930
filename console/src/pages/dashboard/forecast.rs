//! The dashboard's cash forecast: what is expected to come in each of the
//! next eight weeks, drawn as SVG bars with their likely range and the
//! naive "paid on the due date" as a mark, and the same figures in a table
//! beside them (for print and screen readers).

use crate::api;
use crate::i18n::Lang;
use crate::shell::{Failure, Session};
use leptos::prelude::*;
use serde_json::Value;
use settle_portal::format::money;

struct Words {
    title: &'static str,
    lead: &'static str,
    week: &'static str,
    expected: &'static str,
    range: &'static str,
    scheduled: &'static str,
    promised: &'static str,
    balances: &'static str,
    naive: &'static str,
    open: &'static str,
}

static EN: Words = Words {
    title: "Cash forecast, next eight weeks",
    lead: "Scheduled charges and instalments count on their dates (95 % likely), promises on theirs (75 %), other balances on the due date moved by the customer's habit, as likely as their risk allows. The range holds the outcome about nine times in ten.",
    week: "Week of",
    expected: "Expected",
    range: "Likely range",
    scheduled: "Scheduled",
    promised: "Promised",
    balances: "Balances",
    naive: "If all paid on the due date",
    open: "Open invoices read",
};

static FR: Words = Words {
    title: "Prévision de trésorerie, huit semaines",
    lead: "Les prélèvements et échéances planifiés comptent à leur date (95 % de chances), les promesses à la leur (75 %), les autres soldes à l'échéance décalée selon l'habitude du client, autant que son risque le permet. La fourchette contient le résultat environ neuf fois sur dix.",
    week: "Semaine du",
    expected: "Attendu",
    range: "Fourchette probable",
    scheduled: "Planifié",
    promised: "Promis",
    balances: "Soldes",
    naive: "Si tout était payé à l'échéance",
    open: "Factures ouvertes lues",
};

static AR: Words = Words {
    title: "توقع التدفق النقدي للأسابيع الثمانية القادمة",
    lead: "تُحتسب الخصومات والأقساط المجدولة في مواعيدها (احتمال 95 %) والوعود في مواعيدها (75 %) وباقي الأرصدة في تاريخ الاستحقاق معدّلًا بعادة العميل وبقدر ما تسمح به مخاطره. يحوي النطاق النتيجة تسع مرات من عشر تقريبًا.",
    week: "أسبوع",
    expected: "المتوقع",
    range: "النطاق المرجّح",
    scheduled: "مجدول",
    promised: "موعود",
    balances: "أرصدة",
    naive: "لو دُفع كل شيء في موعده",
    open: "الفواتير المفتوحة المقروءة",
};

fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::En => &EN,
        Lang::Fr => &FR,
        Lang::Ar => &AR,
    }
}

#[component]
pub fn CashForecast(asked: RwSignal<u32>, currency: RwSignal<String>) -> impl IntoView {
    let session = expect_context::<Session>();
    let w = words(session.lang);
    let t = session.t();
    let locale = session.me.member.locale.clone();
    let data = LocalResource::new(move || {
        asked.track();
        let path = format!(
            "/forecast{}",
            api::query(&[("currency", &currency.get_untracked())])
        );
        async move { api::get::<Value>(&path).await }
    });
    view! {
        <section aria-labelledby="forecast-h">
            <h2 id="forecast-h">{w.title}</h2>
            <p class="muted">{w.lead}</p>
            {move || match data.get() {
                None => view! { <p class="loading" role="status">{t.loading}</p> }.into_any(),
                Some(Err(e)) => view! { <Failure failure=e/> }.into_any(),
                Some(Ok(v)) => {
                    let cur = v["currency"].as_str().unwrap_or("EUR").to_owned();
                    let m = |x: &Value| money(x.as_i64().unwrap_or(0), &cur, &locale);
                    let weeks = v["weeks"].as_array().cloned().unwrap_or_default();
                    let top = weeks
                        .iter()
                        .flat_map(|w| [w["high"].as_i64(), w["naive"].as_i64()])
                        .flatten()
                        .max()
                        .unwrap_or(0)
                        .max(1) as f64;
                    let y = |a: &Value| 160.0 - 140.0 * a.as_i64().unwrap_or(0) as f64 / top;
                    let label = weeks
                        .iter()
                        .map(|x| format!("{}: {} ({} – {})", x["starts"].as_str().unwrap_or_default(), m(&x["expected"]), m(&x["low"]), m(&x["high"])))
                        .collect::<Vec<_>>()
                        .join("; ");
                    let bars = weeks.iter().enumerate().map(|(i, x)| {
                        let left = 14 + i * 70;
                        let mid = left + 25;
                        let day = x["starts"].as_str().unwrap_or_default();
                        view! {
                            <g>
                                <rect x=left y=format!("{:.1}", y(&x["expected"])) width="50" height=format!("{:.1}", 160.0 - y(&x["expected"])) class="bar b0"></rect>
                                <line x1=mid x2=mid y1=format!("{:.1}", y(&x["low"])) y2=format!("{:.1}", y(&x["high"])) class="range"></line>
                                <line x1=left x2=left + 50 y1=format!("{:.1}", y(&x["naive"])) y2=format!("{:.1}", y(&x["naive"])) class="naive"></line>
                                <text x=mid y="178" text-anchor="middle">{day.get(5..).unwrap_or(day).to_owned()}</text>
                            </g>
                        }
                    }).collect_view();
                    let rows = weeks.iter().map(|x| view! {
                        <tr>
                            <th scope="row">{x["starts"].as_str().unwrap_or_default().to_owned()}</th>
                            <td class="num">{m(&x["expected"])}</td>
                            <td class="num">{format!("{} – {}", m(&x["low"]), m(&x["high"]))}</td>
                            <td class="num">{m(&x["scheduled"])}</td>
                            <td class="num">{m(&x["promised"])}</td>
                            <td class="num">{m(&x["balances"])}</td>
                            <td class="num">{m(&x["naive"])}</td>
                        </tr>
                    }).collect_view();
                    view! {
                        <div class="forecast">
                            <svg viewBox="0 0 580 190" role="img" aria-label=label class="forecast-chart">{bars}</svg>
                            <div class="table-scroll" tabindex="0"><table>
                                <thead><tr>
                                    <th scope="col">{w.week}</th>
                                    <th scope="col" class="num">{w.expected}</th>
                                    <th scope="col" class="num">{w.range}</th>
                                    <th scope="col" class="num">{w.scheduled}</th>
                                    <th scope="col" class="num">{w.promised}</th>
                                    <th scope="col" class="num">{w.balances}</th>
                                    <th scope="col" class="num">{w.naive}</th>
                                </tr></thead>
                                <tbody>{rows}</tbody>
                            </table></div>
                            <p class="muted">{w.open}": "{v["open_invoices"].to_string()}</p>
                        </div>
                    }.into_any()
                }
            }}
        </section>
    }
}
