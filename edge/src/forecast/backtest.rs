//! The forecast measured on a generated history (`risk::simulate`): made
//! on a past date from what was open then, against what came in.

use super::{Expected, Source, WEEKS, forecast, monday, naive, weighted_error};
use crate::risk::simulate::{Past, examples, history, known};
use chrono::NaiveDate;

/// A forecast made on `at` from a generated history, against what was then
/// collected: (the forecast's error, the naive one's, collected in the 8
/// weeks). `cargo xtask bench models` prints it.
pub fn backtest(seed: u64, customers: u32, at: NaiveDate) -> (f64, f64, f64) {
    let h = history(
        seed,
        customers,
        NaiveDate::from_ymd_opt(2025, 12, 1).expect("a date"),
        13,
    );
    // The model as it was on `at`: trained on what was known then.
    let ex: Vec<([f64; 8], bool)> = examples(&h, at)
        .into_iter()
        .filter(|(_, k, _)| k.earlier > 0)
        .map(|(_, k, l)| (k.features(), l))
        .collect();
    let model = crate::risk::train(&ex).expect("a generated history trains a model");
    let mut by: std::collections::BTreeMap<&str, Vec<&Past>> = Default::default();
    for p in &h {
        by.entry(&p.customer_id).or_default().push(p);
    }
    let mut items = Vec::new();
    let first = monday(at);
    let mut actual = [0.0; WEEKS];
    for list in by.values() {
        let k = known(list, at, list[0].amount, list[0].automatic);
        let risk = model.predict(&k.features());
        let paid: Vec<(String, NaiveDate, NaiveDate)> = list
            .iter()
            .filter_map(|p| {
                p.settled
                    .filter(|s| *s <= at)
                    .map(|s| (p.customer_id.clone(), p.due_date, s))
            })
            .collect();
        let habit = super::habits(&paid).into_values().next().unwrap_or(0.0);
        for p in list
            .iter()
            .filter(|p| p.issue_date <= at && p.settled.is_none_or(|s| s > at))
        {
            let cents = (p.amount * 100.0) as i64;
            items.push(Expected {
                amount: cents,
                source: Source::Balance,
                date: p.due_date,
                risk,
                habit_days: habit,
                due: p.due_date,
            });
            if let Some(s) = p.settled {
                let w = ((s - first).num_days() / 7) as usize;
                if w < WEEKS {
                    actual[w] += cents as f64;
                }
            }
        }
    }
    let f = forecast(&items, at);
    let ours: [f64; WEEKS] = std::array::from_fn(|w| f[w].expected);
    (
        weighted_error(&ours, &actual).unwrap_or(0.0),
        weighted_error(&naive(&items, at), &actual).unwrap_or(0.0),
        actual.iter().sum(),
    )
}
