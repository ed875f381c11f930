//! The plan rules' tests.
use super::*;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn plan(dates: &[&str], amounts: &[i64]) -> Vec<Instalment> {
    dates
        .iter()
        .zip(amounts)
        .map(|(date, amount)| Instalment {
            date: d(date),
            amount: *amount,
        })
        .collect()
}

const TODAY: &str = "2026-12-04";

#[test]
fn inside_the_rules_is_accepted_at_once() {
    let r = PlanRules::default();
    let p = plan(
        &["2026-12-10", "2027-01-10", "2027-02-10"],
        &[4000, 4000, 4000],
    );
    assert_eq!(check(&r, 12_000, d(TODAY), &p), Ok(vec![]));
}

#[test]
fn past_the_rules_goes_to_a_supervisor_and_says_why() {
    let r = PlanRules {
        max_count: 2,
        min_instalment: 5000,
        max_span_days: 30,
    };
    let p = plan(
        &["2026-12-10", "2027-01-10", "2027-02-10"],
        &[4000, 4000, 4000],
    );
    assert_eq!(
        check(&r, 12_000, d(TODAY), &p),
        Ok(vec![
            Outside::Count { max: 2 },
            Outside::Instalment { min: 5000 },
            Outside::Span { max_days: 30 }
        ])
    );
}

#[test]
fn bad_proposals_are_refused_by_instalment() {
    let r = PlanRules::default();
    let c = |dates: &[&str], amounts: &[i64]| check(&r, 10_000, d(TODAY), &plan(dates, amounts));
    assert_eq!(c(&["2026-12-10"], &[10_000]), Err(PlanError::TooFew));
    assert_eq!(
        c(&["2026-12-03", "2026-12-10"], &[5000, 5000]),
        Err(PlanError::Past(1))
    );
    assert_eq!(
        c(&["2026-12-10", "2026-12-10"], &[5000, 5000]),
        Err(PlanError::NotInOrder(2))
    );
    assert_eq!(
        c(&["2026-12-10", "2029-01-01"], &[5000, 5000]),
        Err(PlanError::TooFar(2))
    );
    assert_eq!(
        c(&["2026-12-10", "2026-12-20"], &[10_000, 0]),
        Err(PlanError::NotPositive(2))
    );
    assert_eq!(
        c(&["2026-12-10", "2026-12-20"], &[5000, 4999]),
        Err(PlanError::DoNotAddUp {
            sum: 9999,
            total: 10_000
        })
    );
    assert_eq!(PlanError::Past(1).field(), "instalments.date");
    let many: Vec<Instalment> = (0..25)
        .map(|i| Instalment {
            date: d(TODAY) + Duration::days(i),
            amount: 400,
        })
        .collect();
    assert_eq!(check(&r, 10_000, d(TODAY), &many), Err(PlanError::TooMany));
}

#[test]
fn who_may_propose_and_the_terms_they_agree_to() {
    let f = Facts {
        status: "open",
        balance: 100,
        open_dispute: false,
        plans_blocked: false,
        live_plan: false,
        needs_approval: false,
        scheduled: false,
    };
    assert_eq!(may_propose(&f), Ok(()));
    assert_eq!(
        may_propose(&Facts {
            plans_blocked: true,
            ..f
        })
        .map_err(|r| r.code().as_str()),
        Err("payment_plans_blocked")
    );
    assert_eq!(
        may_propose(&Facts { balance: 0, ..f }),
        Err(Refusal::NotOpen("paid"))
    );
    assert_eq!(
        may_propose(&Facts {
            live_plan: true,
            ..f
        }),
        Err(Refusal::InPlan)
    );
    let p = plan(&["2026-12-10", "2027-01-10"], &[62_500, 62_500]);
    let usd = crate::Currency::parse("USD").unwrap();
    let one = ["GLX-1".to_owned()];
    let fr = terms("fr-FR", "Globex", &one, usd, &p, 3);
    assert!(
        fr.starts_with(
            "J’accepte de payer à Globex 1250.00 USD pour la facture GLX-1 en 2 échéances"
        ),
        "{fr}"
    );
    let t = terms("en-US", "Globex", &one, usd, &p, 3);
    assert!(
        t.starts_with("I agree to pay Globex 1250.00 USD for invoice GLX-1 in 2 instalments, each by its date: 1. 2026-12-10: 625.00 USD; 2. 2027-01-10: 625.00 USD."),
        "{t}"
    );
    assert!(t.contains("3 days after its date"));
    // A plan over the whole overdue balance names every invoice.
    let three = ["GLX-1".to_owned(), "GLX-2".to_owned(), "GLX-3".to_owned()];
    let t = terms("en", "Globex", &three, usd, &p, 3);
    assert!(
        t.starts_with(
            "I agree to pay Globex 1250.00 USD for invoices GLX-1, GLX-2 and GLX-3 in 2 instalments"
        ),
        "{t}"
    );
    let fr = terms("fr", "Globex", &three[..2], usd, &p, 3);
    assert!(
        fr.contains("pour les factures GLX-1 et GLX-2 en 2 échéances"),
        "{fr}"
    );
    let ar = terms("ar", "Globex", &three[..2], usd, &p, 3);
    assert!(ar.contains("عن الفواتير GLX-1 وGLX-2 على"), "{ar}");
}

#[test]
fn months_end_on_the_last_day_when_shorter() {
    assert_eq!(
        monthly_dates(d("2027-01-31"), 3),
        vec![d("2027-01-31"), d("2027-02-28"), d("2027-03-31")]
    );
    assert_eq!(monthly_dates(d("2027-11-15"), 3)[2], d("2028-01-15"));
}

#[test]
fn payments_meet_instalments_in_order_and_a_missed_one_breaks_after_grace() {
    let p = plan(
        &["2026-12-10", "2027-01-10", "2027-02-10"],
        &[4000, 4000, 4000],
    );
    assert_eq!(met(&p, 3999), 0);
    assert_eq!(met(&p, 4000), 1);
    assert_eq!(next_due(&p, 5000), Some((1, 3000)));
    assert_eq!(next_due(&p, 12_000), None);
    // What is still owed: 3,000 of the second and the third whole.
    let left = still_owed(&p, 5000);
    assert_eq!(
        left.iter().map(|i| (i.date, i.amount)).collect::<Vec<_>>(),
        [(d("2027-01-10"), 3000), (d("2027-02-10"), 4000)]
    );
    assert!(still_owed(&p, 12_000).is_empty());
    assert_eq!(still_owed(&p, -5), p);
    assert_eq!(standing(&p, 4000, 3, d("2027-01-13")), Standing::OnTrack);
    assert_eq!(
        standing(&p, 4000, 3, d("2027-01-14")),
        Standing::Broken { instalment: 1 }
    );
    assert_eq!(standing(&p, 8000, 3, d("2027-01-14")), Standing::OnTrack);
    assert_eq!(
        standing(&p, 12_000, 3, d("2027-09-01")),
        Standing::Completed
    );
}

proptest::proptest! {
    /// An even split adds up to the total, differs by at most one minor
    /// unit, and is accepted as adding up by `check`.
    #[test]
    fn an_even_split_adds_up(total in 2i64..1_000_000_000, n in 2u32..=24) {
        let parts = even_split(total, n);
        proptest::prop_assert_eq!(parts.len(), n as usize);
        proptest::prop_assert_eq!(parts.iter().sum::<i64>(), total);
        let (lo, hi) = (parts.iter().min().unwrap(), parts.iter().max().unwrap());
        proptest::prop_assert!(hi - lo <= 1);
        let dates = monthly_dates(d("2026-12-20"), n);
        let p: Vec<Instalment> = dates.into_iter().zip(parts).map(|(date, amount)| Instalment { date, amount }).collect();
        let r = PlanRules { max_count: 24, min_instalment: 1, max_span_days: 730 };
        if total >= i64::from(n) {
            proptest::prop_assert_eq!(check(&r, total, d(TODAY), &p), Ok(vec![]));
        }
    }

    /// However payments arrive, `met` never goes down as more is paid and
    /// `next_due` names what is left of the first unmet instalment.
    #[test]
    fn payments_count_in_order(amounts in proptest::collection::vec(1i64..10_000, 2..8), paid in 0i64..80_000) {
        let p: Vec<Instalment> = amounts.iter().enumerate().map(|(i, a)| Instalment {
            date: d(TODAY) + Duration::days(30 * i as i64), amount: *a }).collect();
        let k = met(&p, paid);
        proptest::prop_assert!(met(&p, paid + 1) >= k);
        let covered: i64 = amounts.iter().take(k).sum();
        proptest::prop_assert!(paid >= covered);
        if let Some((j, left)) = next_due(&p, paid) {
            proptest::prop_assert_eq!(j, k);
            proptest::prop_assert!(left > 0 && left <= amounts[k]);
        }
    }
}
