use super::*;

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
            due: d("2026-12-08"),
        },
        // A promise already past: today, week 1, 75 % of 400.
        Expected {
            amount: 400,
            source: Source::Promise,
            date: d("2026-12-01"),
            risk: 0.0,
            habit_days: 0.0,
            due: d("2026-12-01"),
        },
        // Due the 10th, paid 14 days after the due date as a habit: the
        // 24th (week 4), with a chance of 0.75 (risk 0.5).
        Expected {
            amount: 2000,
            source: Source::Balance,
            date: d("2026-12-10"),
            risk: 0.5,
            habit_days: 14.0,
            due: d("2026-12-10"),
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
    // The naive baseline: everything in full on its due date (the promised
    // 400 was due the 1st: today).
    assert_eq!(
        naive(&items, today),
        [400.0, 3000.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
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

#[test]
fn it_beats_paid_on_the_due_date_on_the_generated_history() {
    for at in ["2026-05-04", "2026-08-17"] {
        let (ours, naive, collected) = super::backtest::backtest(7, 1500, d(at));
        assert!(collected > 0.0);
        assert!(ours < naive, "{at}: forecast {ours:.3} vs naive {naive:.3}");
    }
}

#[test]
fn each_open_amount_is_expected_from_one_source() {
    use std::collections::HashMap;
    let open = |c: &str, owed: i64, due: &str| OpenInvoice {
        customer_id: c.into(),
        owed,
        due_date: d(due),
        promised: None,
        scheduled: None,
        in_plan: false,
    };
    let mut capped = open("a", 1_000, "2026-12-10");
    // A charge scheduled for 300 of it on the 12th, the rest promised.
    capped.scheduled = Some((d("2026-12-12"), Some(300)));
    capped.promised = Some(d("2026-12-20"));
    let mut whole = open("b", 500, "2026-12-01");
    whole.scheduled = Some((d("2026-12-09"), None));
    let mut planned = open("c", 900, "2026-11-01");
    planned.in_plan = true;
    let plain = open("d", 200, "2026-12-15");
    let risk = HashMap::from([("d".to_owned(), 0.4)]);
    let habit = habits(&[
        ("d".into(), d("2026-01-10"), d("2026-01-20")),
        ("d".into(), d("2026-02-10"), d("2026-02-14")),
    ]);
    assert_eq!(habit["d"], 7.0);
    let items = expected(
        &[capped, whole, planned, plain],
        &[
            ("c".into(), d("2026-12-05"), 450),
            ("c".into(), d("2027-01-05"), 450),
        ],
        &risk,
        &habit,
    );
    let got: Vec<(i64, Source, NaiveDate)> =
        items.iter().map(|i| (i.amount, i.source, i.date)).collect();
    assert_eq!(
        got,
        [
            (450, Source::Scheduled, d("2026-12-05")),
            (450, Source::Scheduled, d("2027-01-05")),
            (300, Source::Scheduled, d("2026-12-12")),
            (700, Source::Promise, d("2026-12-20")),
            (500, Source::Scheduled, d("2026-12-09")),
            (200, Source::Balance, d("2026-12-15")),
        ]
    );
    // The plain balance carries its customer's risk and habit: the 22nd,
    // with a chance of 0.8.
    assert_eq!(items[5].when(d("2026-12-07")), (d("2026-12-22"), 0.8));
    // Nothing is counted twice: the amounts add up to what is owed.
    assert_eq!(
        items.iter().map(|i| i.amount).sum::<i64>(),
        1_000 + 500 + 900 + 200
    );
}
