use super::simulate::{Past, examples, held_out, history, known};
use super::*;
use chrono::NaiveDate;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[test]
fn auc_by_hand() {
    // Late ones score 0.9 and 0.4; on-time 0.5 and 0.1: of the four pairs,
    // three are ordered right: 0.75.
    let s = [(0.9, true), (0.4, true), (0.5, false), (0.1, false)];
    assert_eq!(auc(&s), Some(0.75));
    // Ties count half.
    assert_eq!(auc(&[(1.0, true), (1.0, false)]), Some(0.5));
    assert_eq!(auc(&[(1.0, true)]), None);
}

#[test]
fn what_was_known_is_only_what_came_before() {
    let inv = |issued: &str, settled: Option<&str>, amount: f64| Past {
        customer_id: "c".into(),
        issue_date: d(issued),
        due_date: d(issued) + chrono::Days::new(30),
        amount,
        settled: settled.map(d),
        disputed: None,
        promise_broken: None,
        automatic: false,
    };
    let list = [
        inv("2026-01-01", Some("2026-02-20"), 100.0), // 20 days late
        inv("2026-02-01", Some("2026-02-15"), 300.0), // on time
        inv("2026-03-01", None, 200.0),               // unpaid, due 31 Mar
    ];
    let refs: Vec<&Past> = list.iter().collect();
    // On 1 March: two known, one late (20 days), the last on time.
    let k = known(&refs, d("2026-03-01"), 800.0, false);
    assert_eq!((k.earlier, k.earlier_late, k.last_was_late), (2, 1, false));
    assert_eq!(k.mean_days_late, 20.0);
    assert_eq!(k.usual_amount, 200.0);
    assert_eq!(k.features()[4], 4.0, "800 is four times the usual");
    // On 15 April the March invoice is past due unpaid: late, and last.
    let k = known(&refs, d("2026-04-15"), 100.0, false);
    assert_eq!((k.earlier, k.earlier_late, k.last_was_late), (3, 2, true));
    // Its outcome is not known on 15 March: no example from it yet.
    assert_eq!(examples(&list, d("2026-03-15")).len(), 2);
}

#[test]
fn the_model_learns_the_pattern_and_beats_late_last_time() {
    let (model_auc, baseline_auc, n) = held_out(7, 1500);
    assert!(n > 3000, "{n} held-out examples");
    assert!(
        model_auc > baseline_auc + 0.05,
        "model {model_auc:.3} vs late last time {baseline_auc:.3}"
    );
}

#[test]
fn training_is_deterministic_and_explains_itself() {
    let h = history(3, 300, d("2025-12-01"), 13);
    let ex: Vec<([f64; 8], bool)> = examples(&h, d("2027-02-15"))
        .into_iter()
        .map(|(_, k, l)| (k.features(), l))
        .collect();
    let a = train(&ex).unwrap();
    assert_eq!(Some(a.clone()), train(&ex));
    // A customer late on most invoices, with a dispute: high, and the
    // drivers say why.
    let bad = Known {
        earlier: 10,
        earlier_late: 8,
        mean_days_late: 30.0,
        last_was_late: true,
        amount: 900.0,
        usual_amount: 900.0,
        disputes_12m: 1,
        ..Default::default()
    };
    let good = Known {
        earlier: 10,
        earlier_late: 0,
        amount: 900.0,
        usual_amount: 900.0,
        pays_automatically: true,
        ..Default::default()
    };
    let (pb, pg) = (a.predict(&bad.features()), a.predict(&good.features()));
    assert!(
        pb > 0.45 && pg < 0.15 && pb > 4.0 * pg,
        "bad {pb}, good {pg}"
    );
    let why = a.drivers(&bad.features());
    assert!(
        why[0].1 > 0.0 && why.iter().any(|(n, _)| *n == "late_share"),
        "{why:?}"
    );
    // Too little or one-sided history: no model.
    assert!(train(&ex[..10]).is_none());
    let all_late: Vec<([f64; 8], bool)> = ex.iter().map(|(x, _)| (*x, true)).collect();
    assert!(train(&all_late).is_none());
}
