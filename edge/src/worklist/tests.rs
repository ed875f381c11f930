use super::assign::{Rule, deal, initial};
use super::*;
use settle_shared::Currency;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn eur(a: i64) -> Money {
    Money::new(a, Currency::parse("EUR").unwrap()).unwrap()
}

fn usd(a: i64) -> Money {
    Money::new(a, Currency::parse("USD").unwrap()).unwrap()
}

fn acct(id: &str, name: &str, overdue: Vec<Money>, oldest: &str) -> Account {
    Account {
        customer_id: id.into(),
        name: name.into(),
        overdue,
        oldest_due: d(oldest),
        invoices: 1,
        broken_promises_12m: 0,
        open_disputes: 0,
        promised: None,
        risk: None,
        assigned_to: None,
        tags: vec![],
    }
}

const TODAY: &str = "2026-06-30";

#[test]
fn priority_adds_its_parts_as_written() {
    // Three EUR accounts: 100, 500, 900 overdue. Carla owes most (rank
    // (2 + 0.5) / 3 = 0.8333 → 16.67 points), 60 days late (7.5 points),
    // two broken promises (10), risk 0.4 (16), one open dispute (10): 60.17.
    let mut carla = acct("c", "Carla", vec![eur(900)], "2026-05-01");
    carla.broken_promises_12m = 2;
    carla.risk = Some(0.4);
    carla.open_disputes = 1;
    let all = vec![
        acct("a", "Anna", vec![eur(100)], "2026-06-20"),
        acct("b", "Ben", vec![eur(500)], "2026-06-29"),
        carla,
    ];
    let r = rank(&all, d(TODAY));
    assert_eq!(r[0].customer_id, "c");
    assert_eq!(r[0].priority, 60.17);
    assert_eq!(r[0].days_overdue, 60);
    assert_eq!(
        r[0].reasons,
        vec![
            Reason::OverdueAmount {
                amount: eur(900),
                rank: 0.83,
                points: 16.67
            },
            Reason::Risk {
                probability: 0.4,
                points: 16.0
            },
            Reason::BrokenPromises {
                count: 2,
                points: 10.0
            },
            Reason::OpenDisputes {
                count: 1,
                points: 10.0
            },
            Reason::DaysOverdue {
                days: 60,
                points: 7.5
            },
        ]
    );
    // Anna: rank 1/6 → 3.33, 10 days → 1.25: 4.58 (the priority is the sum
    // of the parts as shown). Ben: rank 0.5 → 10, 1 day → 0.125: 10.13.
    assert_eq!((r[1].customer_id.as_str(), r[1].priority), ("b", 10.13));
    assert_eq!((r[2].customer_id.as_str(), r[2].priority), ("a", 4.58));
}

#[test]
fn amounts_rank_within_their_own_currency() {
    // 50 USD is the only USD balance: rank 0.5, the same as the middle of
    // three EUR balances, whatever the rate.
    let all = vec![
        acct("a", "A", vec![eur(100)], TODAY),
        acct("b", "B", vec![eur(200)], TODAY),
        acct("c", "C", vec![eur(300)], TODAY),
        acct("u", "U", vec![usd(50)], TODAY),
    ];
    let r = rank(&all, d(TODAY));
    let p = |id: &str| r.iter().find(|x| x.customer_id == id).unwrap().priority;
    assert_eq!(p("u"), p("b"));
    assert!(p("c") > p("b") && p("b") > p("a"));
    // An account owing in two currencies counts the one that ranks higher.
    let two = vec![
        acct("a", "A", vec![eur(100)], TODAY),
        acct("b", "B", vec![eur(200), usd(5)], TODAY),
    ];
    let r = rank(&two, d(TODAY));
    assert!(matches!(r[0].reasons[0], Reason::OverdueAmount { amount, .. } if amount == eur(200)));
}

#[test]
fn a_promise_still_to_come_puts_the_account_back() {
    let mut p = acct("p", "Paula", vec![eur(900)], "2026-05-01");
    p.promised = Some(d("2026-07-03"));
    let q = acct("q", "Quentin", vec![eur(100)], "2026-06-01");
    let r = rank(&[p.clone(), q.clone()], d(TODAY));
    assert_eq!(r[0].customer_id, "q");
    assert_eq!(
        r[1].reasons[0],
        Reason::PromisedDate {
            date: d("2026-07-03")
        }
    );
    // Once the date has passed, it counts no more.
    p.promised = Some(d("2026-06-29"));
    assert_eq!(rank(&[p, q], d(TODAY))[0].customer_id, "p");
}

#[test]
fn age_is_full_at_120_days_and_ties_keep_a_stable_order() {
    let all = vec![
        acct("b", "B", vec![eur(100)], "2025-01-01"),
        acct("a", "A", vec![eur(100)], "2025-06-01"),
    ];
    let r = rank(&all, d(TODAY));
    // Both past 120 days and owing the same: equal priority, the older first.
    assert_eq!(r[0].priority, r[1].priority);
    assert_eq!(r[0].customer_id, "b");
    assert!(
        matches!(r[0].reasons[0], Reason::DaysOverdue { points, .. } if points == 15.0)
            || matches!(r[0].reasons[1], Reason::DaysOverdue { points, .. } if points == 15.0)
    );
}

#[test]
fn rules_deal_accounts_in_turn_first_rule_wins() {
    let mut all = vec![
        acct("1", "Álvaro", vec![eur(9000)], "2026-03-01"),
        acct("2", "Bea", vec![eur(8000)], "2026-03-01"),
        acct("3", "Zoe", vec![eur(7000)], "2026-03-01"),
        acct("4", "Mia", vec![eur(50)], "2026-06-29"),
        acct("5", "Nils", vec![eur(40)], "2026-06-29"),
        acct("6", "123 Ltd", vec![eur(30)], "2026-06-29"),
    ];
    all[2].assigned_to = Some("m_old".into());
    let ranked = rank(&all, d(TODAY));
    let rules = vec![
        // Large balances to the seniors, in turn.
        Rule {
            members: vec!["m_sr1".into(), "m_sr2".into()],
            segment: None,
            min_amount: Some(eur(5000)),
            letters: None,
        },
        Rule {
            members: vec!["m_am".into()],
            segment: None,
            min_amount: None,
            letters: Some(('A', 'M')),
        },
        Rule {
            members: vec!["m_nz".into()],
            segment: None,
            min_amount: None,
            letters: Some(('N', 'Z')),
        },
    ];
    let mut got = deal(&all, &ranked, &rules, false);
    got.sort();
    assert_eq!(
        got,
        vec![
            ("1".into(), "m_sr1".into()),
            ("2".into(), "m_sr2".into()),
            ("3".into(), "m_sr1".into()),
            ("4".into(), "m_am".into()),
            ("5".into(), "m_nz".into()),
            // "123 Ltd" files under L.
            ("6".into(), "m_am".into()),
        ]
    );
    // Only the unassigned: Zoe keeps her agent, and the turn moves on.
    let got = deal(&all, &ranked, &rules, true);
    assert!(!got.iter().any(|(c, _)| c == "3"));
    assert_eq!(initial("123 Ltd"), Some('L'));
    assert_eq!(initial("Élodie"), Some('E'));
    assert_eq!(initial("42"), None);
}

#[test]
fn a_segment_rule_reads_tags_and_days() {
    let mut vip = acct("v", "Vic", vec![eur(100)], "2026-06-25");
    vip.tags = vec!["vip".into()];
    let other = acct("o", "Olga", vec![eur(100)], "2026-06-25");
    let rule = Rule {
        members: vec!["m1".into()],
        segment: Some(settle_shared::reminders::SegmentRules {
            tags_any: vec!["vip".into()],
            min_days_overdue: Some(5),
            ..Default::default()
        }),
        min_amount: None,
        letters: None,
    };
    let all = vec![vip, other];
    let got = deal(&all, &rank(&all, d(TODAY)), &[rule], false);
    assert_eq!(got, vec![("v".into(), "m1".into())]);
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn accounts() -> impl Strategy<Value = Vec<(i64, i64, u32, u32, Option<f64>)>> {
        prop::collection::vec(
            (
                1i64..1_000_000,
                0i64..400,
                0u32..6,
                0u32..3,
                prop::option::of(0.0f64..1.0),
            ),
            1..30,
        )
    }

    fn build(v: &[(i64, i64, u32, u32, Option<f64>)]) -> Vec<Account> {
        let today = d(TODAY);
        v.iter()
            .enumerate()
            .map(|(i, (amount, days, broken, disputes, risk))| {
                let mut a = acct(&format!("c{i:03}"), "N", vec![eur(*amount)], TODAY);
                a.oldest_due = today - chrono::Days::new(*days as u64);
                a.broken_promises_12m = *broken;
                a.open_disputes = *disputes;
                a.risk = *risk;
                a
            })
            .collect()
    }

    proptest! {
        /// Every priority is within 0–100 and is the sum of its reasons'
        /// points (to rounding); the list is sorted and holds each account once.
        #[test]
        fn priorities_are_bounded_explained_and_sorted(v in accounts()) {
            let all = build(&v);
            let r = rank(&all, d(TODAY));
            prop_assert_eq!(r.len(), all.len());
            for x in &r {
                prop_assert!((0.0..=100.0).contains(&x.priority));
                let sum: f64 = x.reasons.iter().map(super::super::points).sum();
                prop_assert!((sum - x.priority).abs() < 0.011, "{} vs {}", sum, x.priority);
            }
            prop_assert!(r.windows(2).all(|w| w[0].priority >= w[1].priority));
        }

        /// Owing more, for longer, or breaking a promise more never moves an
        /// account down.
        #[test]
        fn worse_never_ranks_lower(v in accounts(), pick in 0usize..30, more in 1i64..500_000, later in 1u64..200) {
            let mut all = build(&v);
            let i = pick % all.len();
            let id = all[i].customer_id.clone();
            let before = rank(&all, d(TODAY)).into_iter().find(|x| x.customer_id == id).unwrap().priority;
            all[i].overdue[0] = eur(all[i].overdue[0].amount + more);
            all[i].oldest_due = all[i].oldest_due - chrono::Days::new(later);
            all[i].broken_promises_12m += 1;
            let after = rank(&all, d(TODAY)).into_iter().find(|x| x.customer_id == id).unwrap().priority;
            prop_assert!(after >= before, "{} < {}", after, before);
        }
    }
}

#[test]
fn a_generated_history_puts_its_worst_payers_first() {
    // The known worst payers: the tenth of 200 customers the generator made
    // latest. Among the accounts overdue on the day, the list must put them
    // before the others far more often than chance, and far more often than
    // "largest balance first".
    for seed in [1, 2, 3, 20_261_207] {
        let m = super::measure::worst_first(seed, 200, d("2026-12-07"));
        assert!(
            m.worst_listed >= 10,
            "seed {seed}: too few worst payers overdue to measure"
        );
        assert!(
            m.ranked >= 0.72 && m.ranked >= m.largest_first + 0.15,
            "seed {seed}: worst payers first {:.2}, largest balance first {:.2}",
            m.ranked,
            m.largest_first
        );
    }
}
