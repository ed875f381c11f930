use super::*;
use proptest::prelude::*;
use settle_shared::fx::Rate;

pub(super) fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn inv(customer: &str, issued: &str, due: &str, total: i64) -> InvoiceHistory {
    InvoiceHistory {
        in_base: None,
        customer_id: customer.into(),
        issue_date: d(issued),
        due_date: d(due),
        total,
        payments: vec![],
        credits: vec![],
        voided: None,
    }
}

const MARCH: Period = Period {
    start: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
    end: NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
};

/// The worked example of docs/ARCHITECTURE.md ("Metrics").
fn book() -> Vec<InvoiceHistory> {
    let mut a = inv("c1", "2026-02-10", "2026-03-12", 1000);
    a.payments = vec![(d("2026-03-05"), 600), (d("2026-03-20"), 400)];
    let mut b = inv("c2", "2026-02-20", "2026-03-05", 2000);
    b.payments = vec![(d("2026-03-25"), 500)];
    let c = inv("c3", "2026-03-10", "2026-04-09", 3000);
    let mut dd = inv("c2", "2026-03-15", "2026-03-30", 1500);
    dd.credits = vec![(d("2026-03-31"), 300)];
    let mut e = inv("c3", "2026-03-20", "2026-04-19", 800);
    e.voided = Some(d("2026-03-25"));
    let f = inv("c1", "2026-04-02", "2026-05-02", 999);
    vec![a, b, c, dd, e, f]
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

#[test]
fn the_worked_example() {
    let f = figures(&book(), MARCH);
    // Receivables at the start: A 1,000 + B 2,000. Sales: C 3,000 + D 1,500
    // (E issued and voided in March). At the end: B 1,500 + C 3,000 + D
    // 1,200 = 5,700, of which C's 3,000 is not yet due. Collected: 600 +
    // 400 + 500.
    assert_eq!(
        (
            f.receivables_start,
            f.sales,
            f.receivables_end,
            f.current_end,
            f.collected
        ),
        (3000, 4500, 5700, 3000, 1500)
    );
    // DSO 5,700 / 4,500 × 31 = 39.27; best 3,000 / 4,500 × 31 = 20.67;
    // ADD 18.6; CEI (3,000 + 4,500 − 5,700) / (3,000 + 4,500 − 3,000) = 40 %.
    assert!(close(f.dso, 5700.0 / 4500.0 * 31.0));
    assert!(close(f.best_possible_dso, 3000.0 / 4500.0 * 31.0));
    assert!(close(f.average_days_delinquent, 2700.0 / 4500.0 * 31.0));
    assert!(close(f.cei, 40.0));
}

#[test]
fn month_by_month_the_last_cut_at_the_end() {
    // February, March, and April to the 10th; March is the worked example.
    let m = monthly(&book(), d("2026-04-10"), 3);
    let periods: Vec<(NaiveDate, NaiveDate)> = m.iter().map(|(p, _)| (p.start, p.end)).collect();
    assert_eq!(
        periods,
        [
            (d("2026-02-01"), d("2026-02-28")),
            (d("2026-03-01"), d("2026-03-31")),
            (d("2026-04-01"), d("2026-04-10")),
        ]
    );
    assert_eq!(m[1].1, figures(&book(), MARCH));
    // February: A and B issued (3,000), nothing paid: DSO = 3,000 ÷ 3,000 × 28.
    assert_eq!(m[0].1.sales, 3000);
    assert!(close(m[0].1.dso, 28.0));
    // April: the 999 invoice only.
    assert_eq!(m[2].1.sales, 999);
    // A leap year's February has 29 days.
    let leap = monthly(&book(), d("2028-02-15"), 1);
    assert_eq!(leap[0].0.days(), 15);
    assert_eq!(monthly(&book(), d("2028-03-31"), 2)[0].0.days(), 29);
}

#[test]
fn late_payments_in_the_last_year_by_customer() {
    // A settled on the 20th after its due date the 12th: late. B is not
    // settled, C not due.
    let late = late_payments_12m(&book(), d("2026-04-30"));
    assert_eq!(late.get("c1"), Some(&1));
    assert_eq!(late.get("c2"), None);
    // A year and more later it no longer counts.
    assert!(late_payments_12m(&book(), d("2027-03-21")).is_empty());
}

#[test]
fn aging_at_the_end_of_march() {
    // B 26 days late (1,500), D 1 day late (1,200), C current (3,000).
    assert_eq!(
        aging(&book(), MARCH.end),
        [(3000, 1), (2700, 2), (0, 0), (0, 0), (0, 0)]
    );
    // A month later: B 57 days, D 32 days, C 22 days; F current.
    assert_eq!(
        aging(&book(), d("2026-05-01")),
        [(999, 1), (3000, 1), (2700, 2), (0, 0), (0, 0)]
    );
}

#[test]
fn days_to_pay_count_settled_invoices_only() {
    // Only A settles in March, on the 20th: 38 days after issue, 8 late.
    let rows = days_to_pay(&book(), MARCH);
    let row = |c: Option<&str>| PayDays {
        customer_id: c.map(str::to_owned),
        invoices: 1,
        days_to_pay: 38.0,
        days_late: 8.0,
    };
    assert_eq!(rows, vec![row(Some("c1")), row(None)]);
    // A refund re-opens an invoice: it is not settled any more.
    let mut a = book().remove(0);
    a.payments.push((d("2026-03-28"), -400));
    assert_eq!(a.settled_on(MARCH.end), None);
    a.payments.push((d("2026-03-30"), 400));
    assert_eq!(a.settled_on(MARCH.end), Some(d("2026-03-30")));
}

#[test]
fn promises_and_disputes() {
    let c = conduct(
        &[
            (d("2026-03-10"), false),
            (d("2026-03-15"), true),
            (d("2026-03-20"), true),
            (d("2026-02-01"), true),
        ],
        &[
            (d("2026-03-02"), Some(d("2026-03-12"))),
            (d("2026-03-20"), None),
            (d("2026-02-25"), Some(d("2026-03-05"))),
        ],
        3,
        MARCH,
    );
    assert!(close(c.broken_promise_rate, 2.0 / 3.0));
    assert!(close(c.dispute_rate, 2.0 / 3.0));
    assert!(close(c.average_days_to_resolve, 9.0));
    let none = conduct(&[], &[], 0, MARCH);
    assert_eq!(
        (
            none.broken_promise_rate,
            none.dispute_rate,
            none.average_days_to_resolve
        ),
        (None, None, None)
    );
    assert_eq!(figures(&[], MARCH).dso, None);
}

fn history() -> impl Strategy<Value = Vec<InvoiceHistory>> {
    book_of(false)
}

/// Random books over the first months of 2026; with `turns`, refunds and
/// credit notes too.
pub(super) fn book_of(turns: bool) -> impl Strategy<Value = Vec<InvoiceHistory>> {
    let low = if turns { -20_000i64 } else { 1 };
    let one = (
        0i64..120,
        0i64..60,
        1i64..100_000,
        prop::collection::vec((0i64..150, low..50_000), 0..4),
        prop::collection::vec((0i64..150, 1i64..30_000), 0..(if turns { 3 } else { 1 })),
        prop::option::of(0i64..150),
        prop::option::of((1_000_000i64..30_000_000, 1_000_000i64..30_000_000)),
    )
        .prop_map(move |(issued, terms, total, pays, credits, void, fx)| {
            let start = d("2026-01-01");
            let at = |n: i64| start + chrono::Days::new(n as u64);
            // With `turns`, some invoices are in yen and count in euros: the
            // invoice at one rate, each payment at a rate of its own.
            let in_base = fx.filter(|_| turns).map(|(rate, paid)| {
                let (yen, eur) = (
                    settle_shared::Currency::parse("JPY").unwrap(),
                    settle_shared::Currency::parse("EUR").unwrap(),
                );
                let paid = Rate::from_billionths(paid).unwrap();
                InBase {
                    rate: Rate::from_billionths(rate).unwrap(),
                    from: yen,
                    to: eur,
                    received: pays
                        .iter()
                        .filter(|(_, a)| *a != 0)
                        .map(|(day, a)| (at(issued + day), paid.convert(*a, yen, eur)))
                        .collect(),
                }
            });
            InvoiceHistory {
                in_base,
                customer_id: format!("c{}", total % 7),
                issue_date: at(issued),
                due_date: at(issued + terms),
                total,
                payments: pays
                    .into_iter()
                    .filter(|(_, a)| *a != 0)
                    .map(|(day, a)| (at(issued + day), a))
                    .collect(),
                credits: credits
                    .into_iter()
                    .map(|(day, a)| (at(issued + day), a))
                    .collect(),
                voided: void.map(|v| at(issued + v)),
            }
        });
    prop::collection::vec(one, 0..40)
}

proptest! {
    /// Without refunds: best possible DSO never exceeds DSO, CEI stays
    /// within 0–100 %, and aging adds up to the receivables.
    #[test]
    fn figures_hold_together(book in history(), start in 0u64..150, len in 1u64..90) {
        let s = d("2026-01-01") + chrono::Days::new(start);
        let p = Period { start: s, end: s + chrono::Days::new(len - 1) };
        let f = figures(&book, p);
        if let (Some(dso), Some(best)) = (f.dso, f.best_possible_dso) {
            prop_assert!(best <= dso + 1e-9);
        }
        if let Some(cei) = f.cei {
            prop_assert!((-1e-9..=100.0 + 1e-9).contains(&cei), "{}", cei);
        }
        let a = aging(&book, p.end);
        prop_assert_eq!(a.iter().map(|(x, _)| x).sum::<i64>(), f.receivables_end);
        prop_assert_eq!(a[0].0, f.current_end);
    }
}

#[test]
fn in_the_base_currency_at_the_rates_stored_when_it_happened() {
    let (usd, eur) = (
        settle_shared::Currency::parse("USD").unwrap(),
        settle_shared::Currency::parse("EUR").unwrap(),
    );
    // $100.00 issued on 2 March at 0.90 (€90.00); $60.00 paid on the 20th
    // at 0.95 (€57.00): it still owes $40.00, €36.00 at the invoice's rate.
    let mut a = inv("c1", "2026-03-02", "2026-03-16", 10_000);
    a.payments = vec![(d("2026-03-20"), 6_000)];
    a.in_base = Some(InBase {
        rate: Rate::parse("0.9").unwrap(),
        from: usd,
        to: eur,
        received: vec![(
            d("2026-03-20"),
            Rate::parse("0.95").unwrap().convert(6_000, usd, eur),
        )],
    });
    // And €50.00 of the base currency itself, unpaid.
    let b = inv("c2", "2026-03-10", "2026-04-09", 5_000);
    let f = figures(&[a, b], MARCH);
    assert_eq!(
        (f.sales, f.collected, f.receivables_end, f.current_end),
        (14_000, 5_700, 8_600, 5_000)
    );
    // CEI: (0 + 140 − 86) ÷ (0 + 140 − 50) = 60 %.
    assert!(close(f.cei, 60.0));
}
