//! The dashboard's DSO and CEI month by month: two small line charts in
//! SVG (DSO with the best possible, and CEI) and the same figures in a
//! table beside them, for print and screen readers.

use super::{Words, num};
use leptos::prelude::*;
use serde_json::Value;

/// DSO (with the best possible) and CEI month by month: two small line
/// charts in SVG and the table beside them.
#[component]
pub fn Months(v: Value, w: &'static Words) -> impl IntoView {
    let months = v["months"].as_array().cloned().unwrap_or_default();
    let n = months.len().max(2) as f64;
    let x = move |i: usize| 30.0 + 520.0 * i as f64 / (n - 1.0);
    // A line through the months that have the figure; gaps where they have not.
    let line = |key: &str, top: f64| {
        let mut d = String::new();
        let mut pen = false;
        for (i, m) in months.iter().enumerate() {
            match m[key].as_f64() {
                Some(val) => {
                    let y = 150.0 - 130.0 * val.clamp(0.0, top) / top;
                    // A new run starts with a dot (a zero-length stroke drawn by
                    // the round caps), so a month alone still shows.
                    let px = x(i);
                    if pen {
                        d.push_str(&format!("L{px:.1} {y:.1} "));
                    } else {
                        d.push_str(&format!("M{px:.1} {y:.1} L{px:.1} {y:.1} "));
                    }
                    pen = true;
                }
                None => pen = false,
            }
        }
        d
    };
    let top_days = months
        .iter()
        .flat_map(|m| [m["dso"].as_f64(), m["best_possible_dso"].as_f64()])
        .flatten()
        .fold(10.0f64, f64::max)
        .ceil();
    let labels = || {
        months
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let month = m["from"]
                    .as_str()
                    .unwrap_or_default()
                    .get(5..7)
                    .unwrap_or_default()
                    .to_owned();
                view! { <text x=format!("{:.1}", x(i)) y="170" text-anchor="middle">{month}</text> }
            })
            .collect_view()
    };
    let describe = |key: &str| {
        months
            .iter()
            .map(|m| {
                format!(
                    "{} {}",
                    m["from"]
                        .as_str()
                        .unwrap_or_default()
                        .get(..7)
                        .unwrap_or_default(),
                    num(&m[key], "", w.none)
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let rows = months
        .iter()
        .map(|m| {
            view! {
                <tr>
                    <th scope="row">{m["from"].as_str().unwrap_or_default().get(..7).unwrap_or_default().to_owned()}</th>
                    <td class="num">{num(&m["dso"], "", w.none)}</td>
                    <td class="num">{num(&m["best_possible_dso"], "", w.none)}</td>
                    <td class="num">{num(&m["cei"], " %", w.none)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section aria-labelledby="months-h">
            <h2 id="months-h">{w.by_month}</h2>
            <p class="muted">{w.by_month_lead}</p>
            <div class="months">
                <svg viewBox="0 0 580 180" role="img" aria-label=format!("{}: {}. {}: {}", w.figures[0].0, describe("dso"), w.best, describe("best_possible_dso")) class="line-chart">
                    <text x="4" y="16">{format!("{top_days:.0}")}</text>
                    <text x="4" y="150">"0"</text>
                    <path d=line("dso", top_days) class="dso"></path>
                    <path d=line("best_possible_dso", top_days) class="best"></path>
                    {labels()}
                </svg>
                <svg viewBox="0 0 580 180" role="img" aria-label=format!("{}: {}", w.figures[3].0, describe("cei")) class="line-chart">
                    <text x="4" y="16">"100 %"</text>
                    <text x="4" y="150">"0"</text>
                    <path d=line("cei", 100.0) class="cei"></path>
                    {labels()}
                </svg>
                <div class="table-scroll" tabindex="0"><table>
                    <thead><tr>
                        <th scope="col">{w.month}</th>
                        <th scope="col" class="num">{w.figures[0].0}</th>
                        <th scope="col" class="num">{w.best}</th>
                        <th scope="col" class="num">{w.figures[3].0}</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table></div>
            </div>
        </section>
    }
}
