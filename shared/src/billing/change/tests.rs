//! The change rules on worked examples, and their properties.

use super::*;
use crate::api::{AddOnQuantity, CatalogAddOnRequest, CatalogPlanRequest};
use crate::billing::subscription::choose;
use crate::money::Currency;
use proptest::prelude::*;

fn plan(code: &str, price: i64, moves: &str) -> Item {
    serde_json::from_str::<CatalogPlanRequest>(&format!(
        r#"{{"code":"{code}","name":"{code}","interval":"month","prices":{{"EUR":{price}}},
            "tax_rate":"20","max_quantity":50,"add_ons":["storage"],"moves_to":[{moves}]}}"#
    ))
    .unwrap()
    .validate()
    .unwrap()
}

fn storage() -> Item {
    serde_json::from_str::<CatalogAddOnRequest>(
        r#"{"code":"storage","name":"Storage","prices":{"EUR":300},"tax_rate":"5.5","max_quantity":10}"#,
    )
    .unwrap()
    .validate()
    .unwrap()
}

fn sel(p: &Item, qty: i64, storage_qty: i64) -> Selection {
    let eur = Currency::parse("EUR").unwrap();
    let add = [AddOnQuantity {
        code: "storage".into(),
        quantity: storage_qty,
    }];
    choose(p, eur, qty, &add, &[storage()]).unwrap()
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn april() -> Option<Period> {
    Some(Period {
        start: d("2027-04-01"),
        end: d("2027-05-01"),
    })
}

#[test]
fn raising_seats_mid_month_credits_the_old_and_charges_the_new() {
    let pro = plan("pro", 1000, "");
    let q = quote(
        &sel(&pro, 3, 0),
        Some(&sel(&pro, 5, 0)),
        april(),
        d("2027-04-16"),
    )
    .unwrap();
    assert_eq!((q.days_left, q.days), (15, 30));
    assert_eq!(q.lines.len(), 1);
    assert_eq!(
        q.lines[0].description,
        "pro × 3 → 5, 15 of 30 days (2027-04-16 to 2027-04-30)"
    );
    // 2500 for 5 seats less 1500 for 3, and 20 % tax.
    assert_eq!((q.lines[0].amount, q.lines[0].tax), (1000, 200));
    assert_eq!((q.charge.total, q.credit.total, q.net()), (1200, 0, 1200));
    let inv = q.invoice("cus_1", "SUB-1", 1, "EUR", 14).unwrap();
    assert_eq!(inv.number, "SUB-1-C1");
    assert_eq!(inv.due_date, "2027-04-30");
    assert_eq!(inv.lines.len(), 1);
    assert_eq!(inv.validate(d("2027-04-16")).unwrap().totals.total, 1200);
    // A move to another plan: the old plan's unused days are a credit
    // line, the new plan's a charge, and the add-on left as it was is
    // no line.
    let basic = plan("basic", 500, r#""pro""#);
    let q = quote(
        &sel(&basic, 2, 1),
        Some(&sel(&pro, 2, 1)),
        april(),
        d("2027-04-16"),
    )
    .unwrap();
    let amounts: Vec<i64> = q.lines.iter().map(|l| l.amount).collect();
    assert_eq!(amounts, vec![-500, 1000]);
    assert_eq!((q.charge.total, q.credit.total), (1200, 600));
}

#[test]
fn an_unchanged_add_on_is_left_out_and_lowering_issues_no_invoice() {
    let pro = plan("pro", 1000, "");
    let q = quote(
        &sel(&pro, 5, 2),
        Some(&sel(&pro, 3, 2)),
        april(),
        d("2027-04-21"),
    )
    .unwrap();
    assert_eq!(q.lines.len(), 1);
    assert!(q.lines.iter().all(|l| !l.description.contains("Storage")));
    assert_eq!(q.net(), -(2000 + 400) * 10 / 30);
    assert!(q.invoice("cus_1", "SUB-1", 1, "EUR", 14).is_none());
}

#[test]
fn nothing_billed_means_nothing_to_prorate() {
    let pro = plan("pro", 1000, "");
    let (old, new) = (sel(&pro, 3, 0), sel(&pro, 5, 0));
    // Started today, not billed yet; or starting next month.
    assert_eq!(
        billed_period(
            d("2027-04-16"),
            d("2027-04-16"),
            1,
            Interval::Month,
            d("2027-04-16")
        ),
        None
    );
    assert_eq!(
        billed_period(
            d("2027-05-01"),
            d("2027-05-01"),
            1,
            Interval::Month,
            d("2027-04-16")
        ),
        None
    );
    let q = quote(&old, Some(&new), None, d("2027-04-16")).unwrap();
    assert!(q.lines.is_empty() && q.net() == 0);
    // Billed from the 10th (a first, partial period) to 1 May: the
    // credit is a share of the whole month, as the first bill was.
    let p = billed_period(
        d("2027-04-10"),
        d("2027-05-01"),
        1,
        Interval::Month,
        d("2027-04-16"),
    );
    assert_eq!(p, april());
}

#[test]
fn moves_follow_the_catalog() {
    let basic = plan("basic", 500, r#""pro""#);
    let pro = plan("pro", 1000, "");
    assert!(check_move(&basic, &pro).is_ok());
    assert_eq!(check_move(&pro, &basic).unwrap_err().field, "plan");
    let mut yearly = plan("yearly", 10000, "");
    yearly.interval = Some(Interval::Year);
    let mut b = basic.clone();
    b.moves_to.push("yearly".into());
    assert!(
        check_move(&b, &yearly)
            .unwrap_err()
            .message
            .contains("interval")
    );
    assert!(check_changed(&sel(&pro, 3, 1), &sel(&pro, 3, 1)).is_err());
    assert!(check_changed(&sel(&pro, 3, 1), &sel(&pro, 3, 2)).is_ok());
}

#[test]
fn a_credit_goes_to_open_invoices_first_and_the_rest_is_carried() {
    assert_eq!(spread(1000, &[600, 300]), (vec![600, 300], 100));
    assert_eq!(spread(500, &[600, 300]), (vec![500, 0], 0));
    assert_eq!(spread(500, &[]), (vec![], 500));
    assert_eq!(spread(500, &[-5, 0, 800]), (vec![0, 0, 500], 0));
}

proptest! {
    /// A change and its reverse on the same day cost nothing, tax
    /// included; and the net of a change is what the period's
    /// remaining days of the new choice cost less those of the old.
    #[test]
    fn a_change_and_its_reverse_cancel(
        q1 in 1i64..50, q2 in 1i64..50, s1 in 0i64..10, s2 in 0i64..10,
        p1 in 0i64..1_000_000, p2 in 0i64..1_000_000, day in 0u64..31, moved in any::<bool>(),
    ) {
        let a = plan("a", p1, r#""b""#);
        let b = plan("b", p2, r#""a""#);
        let old = sel(&a, q1, s1);
        let new = sel(if moved { &b } else { &a }, q2, s2);
        let on = d("2027-03-01") + Days::new(day);
        let march = Period { start: d("2027-03-01"), end: d("2027-04-01") };
        let there = quote(&old, Some(&new), Some(march), on).unwrap();
        let back = quote(&new, Some(&old), Some(march), on).unwrap();
        prop_assert_eq!(there.net() + back.net(), 0);
        prop_assert_eq!(there.charge, back.credit);
        let from = march.day_of(on);
        let left = |s: &Selection| part(s.per_period(), from, 31, 31);
        // Per item, so the sum may differ from the whole by rounding:
        // one minor unit per item at most.
        let items = (old.items().count() + new.items().count()) as i64;
        prop_assert!(((there.charge.subtotal - there.credit.subtotal) - (left(&new) - left(&old))).abs() <= items);
    }

    /// However a credit is spread, nothing is lost or made up, and no
    /// invoice is credited beyond what it owes.
    #[test]
    fn a_spread_credit_adds_up(credit in 0i64..1_000_000, owed in prop::collection::vec(-10i64..500_000, 0..4)) {
        let (notes, carried) = spread(credit, &owed);
        prop_assert_eq!(notes.iter().sum::<i64>() + carried, credit);
        for (n, o) in notes.iter().zip(&owed) {
            prop_assert!(*n >= 0 && *n <= (*o).max(0));
        }
    }
}
