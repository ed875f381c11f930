use super::*;
use crate::promises::Invoice;
use crate::zone::Zone;
use proptest::prelude::*;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn open() -> Invoice<'static> {
    Invoice {
        status: "open",
        amount_due: 10_000,
        open_dispute: false,
        in_plan: false,
        scheduled: false,
        needs_approval: false,
    }
}

#[test]
fn dates_from_tomorrow_to_the_limit() {
    let rules = promises::Rules::default();
    let today = d("2026-12-04");
    let ok = |date| may_schedule(&rules, &open(), today, d(date), true);
    assert_eq!(ok("2026-12-04"), Err(ScheduleError::NotAfterToday));
    assert_eq!(ok("2026-12-01"), Err(ScheduleError::NotAfterToday));
    assert_eq!(ok("2026-12-05"), Ok(()));
    assert_eq!(ok("2027-01-03"), Ok(()));
    assert_eq!(ok("2027-01-04"), Err(ScheduleError::TooFar(30)));
    assert_eq!(
        may_schedule(&rules, &open(), today, d("2026-12-10"), false),
        Err(ScheduleError::MethodRemoved)
    );
    assert_eq!(ScheduleError::TooFar(30).code(), ErrorCode::InvalidField);
    assert_eq!(
        ScheduleError::MethodRemoved.code(),
        ErrorCode::PaymentMethodRemoved
    );
}

#[test]
fn the_invoice_must_be_one_a_customer_could_promise() {
    let rules = promises::Rules::default();
    let today = d("2026-12-04");
    let refused = |inv: Invoice<'static>| {
        may_schedule(&rules, &inv, today, d("2026-12-10"), true)
            .unwrap_err()
            .code()
    };
    assert_eq!(
        refused(Invoice {
            status: "paid",
            ..open()
        }),
        ErrorCode::InvoiceNotOpen
    );
    assert_eq!(
        refused(Invoice {
            status: "void",
            ..open()
        }),
        ErrorCode::InvoiceNotOpen
    );
    assert_eq!(
        refused(Invoice {
            open_dispute: true,
            ..open()
        }),
        ErrorCode::InvoiceDisputed
    );
    assert_eq!(
        refused(Invoice {
            in_plan: true,
            ..open()
        }),
        ErrorCode::InvoiceInPlan
    );
    assert_eq!(
        refused(Invoice {
            needs_approval: true,
            ..open()
        }),
        ErrorCode::PromiseNeedsApproval
    );
    // The schedule being replaced does not stand in its own way.
    let replacing = Invoice {
        scheduled: true,
        ..open()
    };
    assert_eq!(
        may_schedule(&rules, &replacing, today, d("2026-12-10"), true),
        Ok(())
    );
}

#[test]
fn changes_until_the_day_before() {
    let on = d("2026-12-10");
    assert_eq!(may_change(Status::Scheduled, on, d("2026-12-09")), Ok(()));
    assert_eq!(
        may_change(Status::Scheduled, on, d("2026-12-10")),
        Err(ScheduleError::Locked)
    );
    for s in [Status::Charging, Status::Retrying, Status::Processing] {
        assert_eq!(
            may_change(s, on, d("2026-12-01")),
            Err(ScheduleError::Locked)
        );
    }
}

#[test]
fn declines_retry_on_the_organizations_days_then_give_up() {
    let on = d("2026-12-10");
    let declined = Answer::Declined {
        payment_intent: Some("pi_1".into()),
        code: "card_declined".into(),
        message: "Your card was declined.".into(),
    };
    assert_eq!(
        after(&declined, 1, on, &[3, 7]),
        Next::RetryOn(d("2026-12-13"))
    );
    assert_eq!(
        after(&declined, 2, on, &[3, 7]),
        Next::RetryOn(d("2026-12-17"))
    );
    assert_eq!(after(&declined, 3, on, &[3, 7]), Next::GiveUp);
    assert_eq!(after(&declined, 1, on, &[]), Next::GiveUp);
    let gone = Answer::MethodGone {
        message: "detached".into(),
    };
    assert_eq!(after(&gone, 1, on, &[3, 7]), Next::GiveUp);
    let ok = Answer::Succeeded {
        payment_intent: "pi_1".into(),
    };
    assert_eq!(after(&ok, 3, on, &[3, 7]), Next::Paid);
}

#[test]
fn retry_days_are_read_strictly() {
    assert_eq!(parse_retry_days("3,7"), Ok(vec![3, 7]));
    assert_eq!(parse_retry_days(" 1, 2 ,5 "), Ok(vec![1, 2, 5]));
    assert_eq!(parse_retry_days(""), Ok(vec![]));
    assert!(parse_retry_days("7,3").is_err());
    assert!(parse_retry_days("0").is_err());
    assert!(parse_retry_days("31").is_err());
    assert!(parse_retry_days("x").is_err());
    assert!(parse_retry_days("1,2,3,4,5,6").is_err());
}

#[test]
fn amounts_take_the_early_price_while_it_stands() {
    assert_eq!(amount(10_000, None, None), 10_000);
    assert_eq!(amount(10_000, Some(9_800), None), 9_800);
    assert_eq!(amount(0, None, None), 0);
    assert_eq!(amount(-5, None, None), 0);
    // An offer that is not a saving is ignored.
    assert_eq!(amount(5_000, Some(9_800), None), 5_000);
    // An instalment: what is left of it, never more than is due.
    assert_eq!(amount(10_000, None, Some(4_000)), 4_000);
    assert_eq!(amount(3_000, None, Some(4_000)), 3_000);
}

#[test]
fn instalments_are_charged_from_their_day_with_autopay_on() {
    let on = d("2026-12-10");
    assert!(!charges_instalment(true, on, 4_000, d("2026-12-09")));
    assert!(charges_instalment(true, on, 4_000, on));
    assert!(charges_instalment(true, on, 4_000, d("2026-12-11")));
    assert!(
        !charges_instalment(false, on, 4_000, on),
        "autopay off: reminded only"
    );
    assert!(!charges_instalment(true, on, 0, on), "already covered");
}

#[test]
fn the_charge_is_at_the_window_opening_in_the_customers_zone() {
    let zone = Zone::parse("Asia/Kolkata").unwrap();
    // A Saturday: the customer chose it, so it is kept.
    let at = charge_at(&zone, 540, d("2026-12-12"));
    assert_eq!(
        zone.local(at),
        d("2026-12-12").and_hms_opt(9, 0, 0).unwrap()
    );
    // 02:30 does not exist in Paris on 2027-03-28: the first instant after.
    let paris = Zone::parse("Europe/Paris").unwrap();
    let at = charge_at(&paris, 150, d("2027-03-28"));
    assert_eq!(
        paris.local(at),
        d("2027-03-28").and_hms_opt(3, 0, 0).unwrap()
    );
}

#[test]
fn autopay_uses_the_due_date_or_tomorrow() {
    let today = d("2026-12-04");
    assert_eq!(autopay_date(d("2026-12-20"), today), d("2026-12-20"));
    assert_eq!(autopay_date(d("2026-12-04"), today), d("2026-12-05"));
    assert_eq!(autopay_date(d("2026-11-01"), today), d("2026-12-05"));
}

proptest! {
    /// Each attempt has its own key, the same every time it is asked for:
    /// a retried job charges once, a retry after a decline charges anew.
    #[test]
    fn attempt_keys_are_stable_and_distinct(id in "[a-z0-9_]{4,20}", a in 1u32..20, b in 1u32..20) {
        prop_assert_eq!(attempt_key(&id, a), attempt_key(&id, a));
        prop_assert_eq!(attempt_key(&id, a) == attempt_key(&id, b), a == b);
    }

    /// However many declines, the retries are on the organization's days in
    /// order, each after the date, and then it gives up.
    #[test]
    fn retries_follow_the_days(days in proptest::collection::btree_set(1u32..=30, 0..=5), offset in 0i64..400) {
        let days: Vec<u32> = days.into_iter().collect();
        let on = d("2026-01-01") + Duration::days(offset);
        let declined = Answer::Declined { payment_intent: None, code: "card_declined".into(), message: String::new() };
        let mut last = on;
        for attempt in 1..=days.len() as u32 + 1 {
            match after(&declined, attempt, on, &days) {
                Next::RetryOn(next) => {
                    prop_assert!(next > last);
                    last = next;
                }
                Next::GiveUp => prop_assert_eq!(attempt as usize, days.len() + 1),
                other => prop_assert!(false, "{:?}", other),
            }
        }
    }
}
