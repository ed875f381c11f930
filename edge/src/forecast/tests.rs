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

#[test]
fn it_beats_paid_on_the_due_date_on_the_generated_history() {
    for at in ["2026-05-04", "2026-08-17"] {
        let (ours, naive, collected) = super::backtest::backtest(7, 1500, d(at));
        assert!(collected > 0.0);
        assert!(ours < naive, "{at}: forecast {ours:.3} vs naive {naive:.3}");
    }
}
