use super::*;
use settle_shared::reminders::WindowSpec;

fn d(s: &str) -> NaiveDate {
    settle_shared::time::parse_date(s).unwrap()
}

fn open_invoice() -> Invoice<'static> {
    Invoice {
        status: "open",
        amount_due: 10_000,
        open_dispute: false,
        in_plan: false,
        scheduled: false,
        needs_approval: false,
    }
}

const TODAY: &str = "2026-12-04";

#[test]
fn a_customer_promises_from_today_to_the_organizations_limit() {
    let r = Rules::default();
    let p = |date: &str| customer_promise(&r, &open_invoice(), None, d(TODAY), d(date));
    assert_eq!(p(TODAY), Ok(Decision::New), "today is a date");
    assert_eq!(p("2027-01-03"), Ok(Decision::New), "30 days ahead");
    assert_eq!(p("2027-01-04"), Err(Refusal::TooFar(30)));
    assert_eq!(p("2026-12-03"), Err(Refusal::Past));
    let short = Rules {
        max_days: 7,
        grace_days: 0,
    };
    assert_eq!(
        customer_promise(&short, &open_invoice(), None, d(TODAY), d("2026-12-12")),
        Err(Refusal::TooFar(7))
    );
    assert_eq!(choosable(&short, d(TODAY)), (d(TODAY), d("2026-12-11")));
}

#[test]
fn only_an_open_invoice_with_something_due_and_nothing_holding_it_is_promised() {
    let r = Rules::default();
    let refusal =
        |inv: Invoice<'_>| customer_promise(&r, &inv, None, d(TODAY), d("2026-12-10")).unwrap_err();
    let inv = open_invoice();
    assert_eq!(
        refusal(Invoice {
            status: "paid",
            ..inv
        }),
        Refusal::NotOpen("paid")
    );
    assert_eq!(
        refusal(Invoice {
            status: "void",
            ..inv
        }),
        Refusal::NotOpen("void")
    );
    assert_eq!(
        refusal(Invoice {
            amount_due: 0,
            ..inv
        }),
        Refusal::NothingDue
    );
    assert_eq!(
        refusal(Invoice {
            open_dispute: true,
            ..inv
        }),
        Refusal::Disputed
    );
    assert_eq!(
        refusal(Invoice {
            in_plan: true,
            ..inv
        }),
        Refusal::InPlan
    );
    assert_eq!(
        refusal(Invoice {
            scheduled: true,
            ..inv
        }),
        Refusal::Scheduled
    );
    assert_eq!(
        refusal(Invoice {
            needs_approval: true,
            ..inv
        }),
        Refusal::NeedsApproval
    );
    assert_eq!(
        Refusal::NeedsApproval.code().as_str(),
        "promise_needs_approval"
    );
    assert_eq!(Refusal::Past.code().as_str(), "invalid_field");
}

#[test]
fn the_date_is_changed_once() {
    let r = Rules::default();
    let current = Current {
        date: d("2026-12-10"),
        changes: 0,
    };
    let p =
        |c: Current, date: &str| customer_promise(&r, &open_invoice(), Some(c), d(TODAY), d(date));
    assert_eq!(
        p(current, "2026-12-20"),
        Ok(Decision::Change {
            from: d("2026-12-10")
        })
    );
    assert_eq!(p(current, "2026-12-10"), Err(Refusal::SameDate));
    let changed = Current {
        changes: 1,
        ..current
    };
    assert_eq!(p(changed, "2026-12-20"), Err(Refusal::ChangedOnce));
}

#[test]
fn an_unpaid_promise_breaks_after_its_grace_days() {
    let r = Rules::default();
    let (made, date) = (d(TODAY), d("2026-12-10"));
    assert_eq!(breaks_on(&r, made, date, &[]), Some(d("2026-12-14")));
    let broken = |today: &str, due: i64| is_broken(&r, made, date, &[], due, d(today));
    assert!(!broken("2026-12-10", 100), "the date itself");
    assert!(!broken("2026-12-13", 100), "the last day of grace");
    assert!(broken("2026-12-14", 100));
    assert!(!broken("2026-12-20", 0), "paid: kept");
}

#[test]
fn days_in_dispute_after_the_promise_move_its_deadline() {
    let r = Rules::default();
    let (made, date) = (d(TODAY), d("2026-12-10"));
    // Open now: never broken while it lasts.
    let open = [Pause {
        from: d("2026-12-08"),
        until: None,
    }];
    assert_eq!(breaks_on(&r, made, date, &open), None);
    assert!(!is_broken(&r, made, date, &open, 100, d("2027-06-01")));
    // Four days in dispute: four days later.
    let four = [Pause {
        from: d("2026-12-08"),
        until: Some(d("2026-12-12")),
    }];
    assert_eq!(breaks_on(&r, made, date, &four), Some(d("2026-12-18")));
    // Overlapping disputes count each day once; days before the promise
    // do not count.
    let overlapping = [
        Pause {
            from: d("2026-11-20"),
            until: Some(d("2026-12-06")),
        },
        Pause {
            from: d("2026-12-05"),
            until: Some(d("2026-12-07")),
        },
    ];
    assert_eq!(
        breaks_on(&r, made, date, &overlapping),
        Some(d("2026-12-17"))
    );
}

fn window(spec: &WindowSpec) -> Window<'_> {
    Window::new(spec, crate::zone::Zone::parse("America/New_York").unwrap())
}

fn at(y: i32, m: u32, day: u32, h: u32, min: u32) -> i64 {
    let local = NaiveDate::from_ymd_opt(y, m, day)
        .and_then(|d| d.and_hms_opt(h, min, 0))
        .unwrap();
    crate::zone::Zone::parse("America/New_York")
        .unwrap()
        .resolve(&local)
        .unwrap()
}

#[test]
fn the_reminder_goes_the_day_before_in_the_send_window() {
    // 09:00–17:00, Monday to Friday.
    let spec = WindowSpec {
        start_min: 9 * 60,
        end_min: 17 * 60,
        days: 0b001_1111,
        holidays: vec![],
    };
    let w = window(&spec);
    let now = at(2026, 12, 4, 8, 0); // Friday morning
    // Promised for Wednesday the 9th: Tuesday at 09:00.
    assert_eq!(
        reminder_at(&w, d("2026-12-09"), now),
        Some(at(2026, 12, 8, 9, 0))
    );
    // Promised for Monday the 7th: Sunday is closed, so Friday (today).
    assert_eq!(
        reminder_at(&w, d("2026-12-07"), now),
        Some(at(2026, 12, 4, 9, 0))
    );
    // The same, made at 11:00 on Friday: now, the window is open.
    let late = at(2026, 12, 4, 11, 0);
    assert_eq!(reminder_at(&w, d("2026-12-07"), late), Some(late));
    // Made after Friday's window: nothing is left before Monday.
    assert_eq!(
        reminder_at(&w, d("2026-12-07"), at(2026, 12, 4, 18, 0)),
        None
    );
    // Promised for today: no day before.
    assert_eq!(reminder_at(&w, d("2026-12-04"), now), None);
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn day(n: i64) -> NaiveDate {
        d("2026-01-01") + Duration::days(n)
    }

    fn pauses() -> impl Strategy<Value = Vec<Pause>> {
        proptest::collection::vec((0i64..120, 0i64..30), 0..4).prop_map(|v| {
            v.into_iter()
                .map(|(from, len)| Pause {
                    from: day(from),
                    until: Some(day(from + len)),
                })
                .collect()
        })
    }

    proptest! {
        /// A dispute only ever moves a deadline later, by no more than the
        /// days it lasted, and never before the date plus grace.
        #[test]
        fn disputes_only_move_deadlines_later(
            made in 0i64..60, ahead in 0i64..30, grace in 0u32..10,
            before in pauses(), extra in pauses(),
        ) {
            let r = Rules { max_days: 30, grace_days: grace };
            let (made, date) = (day(made), day(made + ahead));
            let base = breaks_on(&r, made, date, &before).unwrap();
            prop_assert!(base > date + Duration::days(grace.into()));
            let mut more = before.clone();
            more.extend(extra.iter().copied());
            let later = breaks_on(&r, made, date, &more).unwrap();
            prop_assert!(later >= base);
            let added: i64 = extra.iter().map(|p| (p.until.unwrap() - p.from).num_days()).sum();
            prop_assert!((later - base).num_days() <= added);
        }

        /// A promise the customer may make is within the dates offered.
        #[test]
        fn an_accepted_date_is_one_offered(offset in -10i64..60, max in 1u32..90) {
            let r = Rules { max_days: max, grace_days: 3 };
            let today = day(30);
            let date = today + Duration::days(offset);
            let (first, last) = choosable(&r, today);
            let ok = customer_promise(&r, &open_invoice(), None, today, date).is_ok();
            prop_assert_eq!(ok, date >= first && date <= last);
        }
    }
}

#[test]
fn an_agent_records_past_the_customer_limit_and_after_a_broken_promise() {
    let inv = Invoice {
        needs_approval: true,
        ..open_invoice()
    };
    assert_eq!(
        staff_promise(&inv, None, d(TODAY), d(TODAY) + Duration::days(90)),
        Ok(Decision::New)
    );
    assert_eq!(
        staff_promise(&inv, None, d(TODAY), d(TODAY) + Duration::days(181)),
        Err(Refusal::TooFar(MAX_DAYS_CAP))
    );
    let current = Current {
        date: d(TODAY) + Duration::days(5),
        changes: 3,
    };
    assert_eq!(
        staff_promise(&inv, Some(current), d(TODAY), d(TODAY) + Duration::days(9)),
        Ok(Decision::Change { from: current.date })
    );
    let disputed = Invoice {
        open_dispute: true,
        ..open_invoice()
    };
    assert_eq!(
        staff_promise(&disputed, None, d(TODAY), d(TODAY)),
        Err(Refusal::Disputed)
    );
}

#[test]
fn a_promise_ends_kept_when_paid_cancelled_when_void_and_broken_after_grace() {
    let r = Rules::default();
    let (made, date) = (d("2026-12-01"), d("2026-12-10"));
    let end =
        |status: &str, due: i64, today: &str| ending(&r, status, due, made, date, &[], d(today));
    assert_eq!(end("paid", 0, "2026-12-05"), Some(Ending::Kept));
    assert_eq!(
        end("open", 0, "2026-12-05"),
        Some(Ending::Kept),
        "paid in full, not yet closed"
    );
    assert_eq!(end("void", 500, "2026-12-05"), Some(Ending::Cancelled));
    assert_eq!(
        end("open", 500, "2026-12-13"),
        None,
        "the last day of grace"
    );
    assert_eq!(end("open", 500, "2026-12-14"), Some(Ending::Broken));
    let open_dispute = [Pause {
        from: d("2026-12-09"),
        until: None,
    }];
    assert_eq!(
        ending(&r, "open", 500, made, date, &open_dispute, d("2027-01-30")),
        None,
        "an open dispute holds it"
    );
}
