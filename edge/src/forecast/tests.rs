use super::*;
use crate::risk::simulate::{Past, examples, history, known};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[test]
fn weeks_add_up_by_hand() {
    // Sunday 6 Dec 2026: the first week starts Monday 30 Nov.
    let today = d("2026-12-06");
    let items = [
        // A schedule on the 8th: week 2, 95 % of 1,000.
        Expected {
            amount: 1000,
            source: Source::Scheduled,
            date: d("2026-12-08"),
            risk: 0.0,
            habit_days: 0.0,
        },
        // A promise already past: today, week 1, 75 % of 400.
        Expected {
            amount: 400,
            source: Source::Promise,
            date: d("2026-12-01"),
            risk: 0.0,
            habit_days: 0.0,
        },
        // Due the 10th, paid 14 days after the due date as a habit: the
        // 24th (week 4), with a chance of 0.75 (risk 0.5).
        Expected {
            amount: 2000,
            source: Source::Balance,
            date: d("2026-12-10"),
            risk: 0.5,
            habit_days: 14.0,
        },
    ];
    let f = forecast(&items, today);
    assert_eq!(f[0].starts, d("2026-11-30"));
    assert_eq!(f[0].expected, 300.0);
    assert_eq!(f[1].expected, 950.0);
    assert_eq!(f[3].expected, 1500.0);
    // 2,000² × 0.75 × 0.25 → sd 866; ± 1.645 sd.
    assert!((f[3].high - (1500.0 + 1.645 * 866.025_403_8)).abs() < 0.01);
    assert!((f[3].low - (1500.0 - 1.645 * 866.025_403_8)).abs() < 0.01);
    // 400 at 75 %: sd 173.2, so 15.08 to 584.92.
    assert!((f[0].low - 15.077_642).abs() < 0.001);
    assert_eq!(
        naive(&items, today),
        [0.0, 2000.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    );
    assert_eq!(weighted_error(&[1.0; 8], &[0.0; 8]), None);
    assert_eq!(
        weighted_error(
            &[100.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            &[50.0, 50.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
        ),
        Some(1.0)
    );
}

/// Forecasts made on `at` from a generated history against what was then
/// collected: (forecast's error, naive error, collected in the 8 weeks).
pub fn backtest(seed: u64, customers: u32, at: NaiveDate) -> (f64, f64, f64) {
    let h = history(seed, customers, d("2025-12-01"), 13);
    // The model as it was on `at`: trained on what was known then.
    let ex: Vec<([f64; 8], bool)> = examples(&h, at)
        .into_iter()
        .filter(|(_, k, _)| k.earlier > 0)
        .map(|(_, k, l)| (k.features(), l))
        .collect();
    let model = crate::risk::train(&ex).expect("a model");
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
        let paid: Vec<f64> = list
            .iter()
            .filter_map(|p| {
                p.settled
                    .filter(|s| *s <= at)
                    .map(|s| (s - p.due_date).num_days() as f64)
            })
            .collect();
        let habit = if paid.is_empty() {
            0.0
        } else {
            paid.iter().sum::<f64>() / paid.len() as f64
        };
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
        weighted_error(&ours, &actual).unwrap(),
        weighted_error(&naive(&items, at), &actual).unwrap(),
        actual.iter().sum(),
    )
}

#[test]
fn it_beats_paid_on_the_due_date_on_the_generated_history() {
    for at in ["2026-05-04", "2026-08-17"] {
        let (ours, naive, collected) = backtest(7, 1500, d(at));
        assert!(collected > 0.0);
        assert!(ours < naive, "{at}: forecast {ours:.3} vs naive {naive:.3}");
    }
}

/// `cargo test -p settle-edge --release forecast::tests::report -- --ignored --nocapture`
#[test]
#[ignore = "a report, run by hand for README"]
fn report() {
    for at in ["2026-03-02", "2026-05-04", "2026-08-17", "2026-10-05"] {
        let (ours, naive, collected) = backtest(7, 3000, d(at));
        println!(
            "{at}: collected {:.0} in 8 weeks; weighted error: forecast {ours:.3}, naive {naive:.3}",
            collected / 100.0
        );
    }
}
