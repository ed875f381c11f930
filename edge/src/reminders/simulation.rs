//! Sixty days of reminders in memory: the planner and the checks driven by
//! a cron every five minutes, against an independent expectation of what
//! must be sent, when, and what must be held back. A property test then
//! throws random policies, due dates, zones, windows and cron gaps at it.

use super::plan::{Look, first_look, look};
use super::window::Window;
use super::{Check, Skip, default_steps, recheck, zone};
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use settle_shared::reminders::{ReminderStep, Tone, WindowSpec};
use std::collections::BTreeMap;

#[derive(Clone)]
struct Inv {
    customer: usize,
    due: NaiveDate,
    steps: Vec<ReminderStep>,
    balance: i64,
    status: &'static str,
    cursor: i64,
    next: Option<i64>,
    disputed: bool,
    promised_until: Option<NaiveDate>,
}

#[derive(Clone, Copy)]
enum Event {
    Pay(usize, i64),
    Void(usize),
    Dispute(usize, bool),
    Promise(usize, NaiveDate),
}

/// One email: to whom, when, which (invoice, offset, balance) it lists.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Sent {
    at: i64,
    customer: usize,
    items: Vec<(usize, i32, i64)>,
}

struct World {
    tzs: Vec<crate::zone::Zone>,
    opted_out: Vec<bool>,
    invs: Vec<Inv>,
    spec: WindowSpec,
}

struct Outcome {
    sent: Vec<Sent>,
    skipped: Vec<(usize, i32, Skip)>,
}

impl World {
    fn window(&self, customer: usize) -> Window<'_> {
        Window::new(&self.spec, self.tzs[customer].clone())
    }

    fn run(
        &mut self,
        start: i64,
        ticks: impl Iterator<Item = i64>,
        mut events: Vec<(i64, Event)>,
    ) -> Outcome {
        settle_shared::sort::sort_by_key(&mut events, |e| e.0);
        for i in 0..self.invs.len() {
            let inv = &self.invs[i];
            let n = first_look(&inv.steps, inv.due, &self.window(inv.customer), start);
            self.invs[i].cursor = start;
            self.invs[i].next = n;
        }
        let mut out = Outcome {
            sent: vec![],
            skipped: vec![],
        };
        let mut ev = events.into_iter().peekable();
        for now in ticks {
            while let Some((_, e)) = ev.next_if(|(at, _)| *at <= now) {
                match e {
                    Event::Pay(i, amount) => {
                        self.invs[i].balance -= amount;
                        if self.invs[i].balance <= 0 {
                            self.invs[i].status = "paid";
                        }
                    }
                    Event::Void(i) => self.invs[i].status = "void",
                    Event::Dispute(i, open) => self.invs[i].disputed = open,
                    Event::Promise(i, until) => self.invs[i].promised_until = Some(until),
                }
            }
            // The cron: open invoices whose next look has come.
            let mut queued: BTreeMap<usize, Vec<(usize, usize)>> = BTreeMap::new();
            for i in 0..self.invs.len() {
                let inv = self.invs[i].clone();
                if inv.status != "open" || inv.next.is_none_or(|n| n > now) {
                    continue;
                }
                match look(
                    &inv.steps,
                    inv.due,
                    &self.window(inv.customer),
                    inv.cursor,
                    now,
                ) {
                    Look::Wait { until } => self.invs[i].next = until,
                    Look::Act {
                        send,
                        superseded,
                        cursor,
                        next,
                    } => {
                        for s in superseded {
                            out.skipped
                                .push((i, inv.steps[s].offset_days, Skip::Superseded));
                        }
                        if let Some(s) = send {
                            queued.entry(inv.customer).or_default().push((i, s));
                        }
                        self.invs[i].cursor = cursor;
                        self.invs[i].next = next;
                    }
                }
            }
            // The queue consumer: check again, send one email per customer.
            for (customer, occurrences) in queued {
                let today = self.window(customer).local(now).0;
                let mut items = vec![];
                for (i, s) in occurrences {
                    let inv = &self.invs[i];
                    let check = Check {
                        invoice_status: inv.status,
                        balance: inv.balance,
                        open_dispute: inv.disputed,
                        active_promise: inv.promised_until.is_some_and(|u| u >= today),
                        active_plan: false,
                        scheduled_payment: false,
                        opted_out: self.opted_out[customer],
                        address_failing: false,
                    };
                    match recheck(&check) {
                        Ok(()) => items.push((i, inv.steps[s].offset_days, inv.balance)),
                        Err(why) => out.skipped.push((i, inv.steps[s].offset_days, why)),
                    }
                }
                if !items.is_empty() {
                    assert!(
                        self.window(customer).contains(now),
                        "sent outside the window"
                    );
                    out.sent.push(Sent {
                        at: now,
                        customer,
                        items,
                    });
                }
            }
        }
        out
    }
}

fn ms(s: &str) -> i64 {
    DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn utc(at: i64) -> String {
    Utc.timestamp_millis_opt(at)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The expectation, written without the planner: each step's day moved to
/// the next weekday, 09:00 local; steps landing on one day keep the latest.
fn expected_slots(inv: &Inv, tz: Tz, issued: i64) -> Vec<(i32, i64)> {
    let mut by_day: BTreeMap<NaiveDate, i32> = BTreeMap::new();
    for s in &inv.steps {
        let mut d = inv.due + Duration::days(s.offset_days.into());
        while matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            d += Duration::days(1);
        }
        by_day.insert(d, s.offset_days);
    }
    by_day
        .into_iter()
        .map(|(d, offset)| {
            let at = tz
                .from_local_datetime(&d.and_hms_opt(9, 0, 0).unwrap())
                .single()
                .unwrap()
                .timestamp_millis();
            (offset, at)
        })
        .filter(|&(_, at)| at > issued)
        .collect()
}

#[test]
fn sixty_days_of_reminders_for_a_dozen_invoices() {
    let start = ms("2026-10-19T00:00:00Z");
    let tzs: Vec<crate::zone::Zone> = [
        "America/New_York",
        "Europe/Paris",
        "Asia/Tokyo",
        "Asia/Kolkata",
        "Australia/Sydney",
    ]
    .iter()
    .map(|z| zone(z))
    .collect();
    let inv = |customer, due: &str| Inv {
        customer,
        due: day(due),
        steps: default_steps(),
        balance: 10_000,
        status: "open",
        cursor: 0,
        next: None,
        disputed: false,
        promised_until: None,
    };
    let mut short = inv(1, "2026-11-06");
    short.steps = [0, 1, 2]
        .iter()
        .map(|&o| ReminderStep {
            offset_days: o,
            tone: Tone::Firm,
            template: None,
            actions: vec![],
        })
        .collect();
    let invs = vec![
        inv(0, "2026-10-30"), // 0: New York, across the end of US summer time
        inv(0, "2026-10-30"), // 1: same customer, same days: one email for both
        inv(1, "2026-10-23"), // 2: Paris, across the end of EU summer time
        inv(1, "2026-11-10"), // 3: paid in full on 11-12
        inv(1, "2026-11-10"), // 4: paid in part on 11-12
        inv(2, "2026-11-02"), // 5: Tokyo, disputed 11-04 to 11-20
        inv(2, "2026-11-16"), // 6: promised on 11-17 for 11-25, not paid
        inv(3, "2026-11-20"), // 7: Kolkata (UTC+05:30)
        inv(3, "2026-10-15"), // 8: already overdue when issued
        inv(0, "2026-12-01"), // 9: voided 11-25
        short,                // 10: steps on Fri, Sat, Sun: one email on Monday
        inv(4, "2026-11-05"), // 11: Sydney, opted out
    ];
    let events = vec![
        (ms("2026-11-12T10:00:00Z"), Event::Pay(3, 10_000)),
        (ms("2026-11-12T10:00:00Z"), Event::Pay(4, 2_500)),
        (ms("2026-11-04T00:00:00Z"), Event::Dispute(5, true)),
        (ms("2026-11-20T00:00:00Z"), Event::Dispute(5, false)),
        (
            ms("2026-11-17T00:00:00Z"),
            Event::Promise(6, day("2026-11-25")),
        ),
        (ms("2026-11-25T00:00:00Z"), Event::Void(9)),
    ];
    let mut world = World {
        tzs: tzs.clone(),
        opted_out: vec![false, false, false, false, true],
        invs: invs.clone(),
        spec: WindowSpec {
            start_min: 540,
            end_min: 1020,
            days: 0b11111,
            holidays: vec![],
        },
    };
    let end = start + 60 * 86_400_000;
    let out = world.run(start, (start..end).step_by(300_000), events);

    // Spot checks of local times across the daylight-saving changes.
    let at = |i: usize, offset: i32| {
        out.sent
            .iter()
            .find(|s| s.items.iter().any(|it| it.0 == i && it.1 == offset))
            .map(|s| utc(s.at))
    };
    assert_eq!(
        at(0, -3).as_deref(),
        Some("2026-10-27T13:00:00Z"),
        "09:00 EDT"
    );
    assert_eq!(
        at(0, 3).as_deref(),
        Some("2026-11-02T14:00:00Z"),
        "09:00 EST"
    );
    assert_eq!(
        at(2, 0).as_deref(),
        Some("2026-10-23T07:00:00Z"),
        "09:00 CEST"
    );
    assert_eq!(
        at(2, 3).as_deref(),
        Some("2026-10-26T08:00:00Z"),
        "09:00 CET"
    );
    assert_eq!(
        at(7, 0).as_deref(),
        Some("2026-11-20T03:30:00Z"),
        "09:00 IST"
    );
    assert_eq!(
        at(8, 3).as_deref(),
        Some("2026-10-19T03:30:00Z"),
        "first step after issue"
    );
    assert_eq!(at(8, 0), None, "steps gone before issue are not sent");
    // Invoices 0 and 1 always travel together.
    for s in out
        .sent
        .iter()
        .filter(|s| s.customer == 0 && s.at < ms("2026-11-25T00:00:00Z"))
    {
        let ids: Vec<usize> = s.items.iter().map(|it| it.0).collect();
        assert_eq!(ids, vec![0, 1]);
    }
    // A partial payment: the next step still goes, with the new balance.
    let partial: Vec<_> = out
        .sent
        .iter()
        .flat_map(|s| {
            s.items
                .iter()
                .filter(|it| it.0 == 4)
                .map(move |it| (utc(s.at), it.1, it.2))
        })
        .collect();
    assert_eq!(
        partial[..3],
        [
            ("2026-11-09T08:00:00Z".to_string(), -3, 10_000),
            ("2026-11-10T08:00:00Z".to_string(), 0, 10_000),
            ("2026-11-13T08:00:00Z".to_string(), 3, 7_500),
        ]
    );

    // The whole expectation, computed without the planner.
    let mut expected_sent: BTreeMap<(i64, usize), Vec<(usize, i32)>> = BTreeMap::new();
    let mut expected_skips: Vec<(usize, i32, Skip)> = vec![];
    for (i, inv) in invs.iter().enumerate() {
        // The expectation reads chrono-tz itself, not the zone under test.
        let tz: Tz = tzs[inv.customer].name().parse().unwrap();
        let slots = expected_slots(inv, tz, start);
        let all: Vec<i32> = inv
            .steps
            .iter()
            .map(|s| s.offset_days)
            .filter(|o| {
                let d = inv.due + Duration::days((*o).into());
                tz.from_local_datetime(&d.and_hms_opt(9, 0, 0).unwrap())
                    .single()
                    .unwrap()
                    .timestamp_millis()
                    > start
                    || slots.iter().any(|(k, _)| k == o)
            })
            .collect();
        for o in all.iter().filter(|o| !slots.iter().any(|(k, _)| k == *o)) {
            expected_skips.push((i, *o, Skip::Superseded));
        }
        for (offset, at) in slots {
            if at >= end {
                continue;
            }
            let local = tz.timestamp_millis_opt(at).unwrap().date_naive();
            let why = match i {
                3 if at > ms("2026-11-12T10:00:00Z") => Some(None),
                9 if at > ms("2026-11-25T00:00:00Z") => Some(None),
                5 if (ms("2026-11-04T00:00:00Z")..ms("2026-11-20T00:00:00Z")).contains(&at) => {
                    Some(Some(Skip::Disputed))
                }
                6 if at > ms("2026-11-17T00:00:00Z") && local <= day("2026-11-25") => {
                    Some(Some(Skip::Promised))
                }
                11 => Some(Some(Skip::OptedOut)),
                _ => None,
            };
            match why {
                None => expected_sent
                    .entry((at, inv.customer))
                    .or_default()
                    .push((i, offset)),
                Some(Some(skip)) => expected_skips.push((i, offset, skip)),
                Some(None) => {} // paid or void: no longer looked at
            }
        }
    }
    let got_sent: BTreeMap<(i64, usize), Vec<(usize, i32)>> = out
        .sent
        .iter()
        .map(|s| {
            (
                (s.at, s.customer),
                s.items.iter().map(|it| (it.0, it.1)).collect(),
            )
        })
        .collect();
    assert_eq!(
        got_sent.len(),
        out.sent.len(),
        "one email per customer per tick"
    );
    assert_eq!(got_sent, expected_sent);
    let mut got_skips = out.skipped.clone();
    settle_shared::sort::sort_by_key(&mut got_skips, |s| (s.0, s.1));
    settle_shared::sort::sort_by_key(&mut expected_skips, |s| (s.0, s.1));
    assert_eq!(got_skips, expected_skips);
    // Nothing for the voided invoice after it was voided, and nothing twice.
    let mut seen = std::collections::HashSet::new();
    for s in &out.sent {
        for it in &s.items {
            assert!(seen.insert((it.0, it.1)), "step sent twice: {it:?}");
        }
    }
    assert!(
        out.sent.len() >= 30,
        "the scenario sends: {}",
        out.sent.len()
    );
}

mod property {
    use super::*;
    use proptest::prelude::*;

    const ZONES: [&str; 8] = [
        "UTC",
        "America/New_York",
        "Europe/Paris",
        "Australia/Lord_Howe",
        "Asia/Kathmandu",
        "America/Santiago",
        "Pacific/Chatham",
        "America/St_Johns",
    ];

    prop_compose! {
        fn offsets()(mut v in proptest::collection::btree_set(-60i32..=120, 1..8)) -> Vec<i32> {
            let mut v: Vec<i32> = std::mem::take(&mut v).into_iter().collect();
            settle_shared::sort::sort(&mut v);
            v
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(160))]

        /// Whatever the policy, zone, window and cron gaps: no step is sent
        /// twice, nothing goes out outside the window, and with a cron at
        /// least every hour no step is lost.
        #[test]
        fn never_twice_never_outside_the_window(
            offsets in offsets(),
            due_offset in 0i64..400,
            zone_i in 0usize..ZONES.len(),
            start_min in 0u16..(23 * 60),
            len in 60u16..600,
            days in 1u8..128,
            gaps in proptest::collection::vec(1i64..=60, 200..400),
            start_sec in 0i64..86_400,
        ) {
            let spec = WindowSpec { start_min, end_min: (start_min + len).min(1440), days, holidays: vec![] };
            let tz = zone(ZONES[zone_i]);
            let start = ms("2026-01-01T00:00:00Z") + start_sec * 1000;
            let due = day("2026-01-01") + Duration::days(due_offset);
            let steps: Vec<ReminderStep> = offsets.iter().map(|&o| ReminderStep {
                offset_days: o, tone: Tone::Friendly, template: None, actions: vec![],
            }).collect();
            let mut world = World {
                tzs: vec![tz.clone()],
                opted_out: vec![false],
                invs: vec![Inv {
                    customer: 0, due, steps: steps.clone(), balance: 1, status: "open",
                    cursor: 0, next: None, disputed: false, promised_until: None,
                }],
                spec: spec.clone(),
            };
            // Ticks every `gap` minutes, repeated until well past the last step.
            let ticks: Vec<i64> = gaps.iter().cycle().scan(start, |t, g| { *t += g * 60_000; Some(*t) })
                .take_while(|t| *t < start + 600 * 86_400_000).collect();
            let out = world.run(start, ticks.into_iter(), vec![]);
            let w = Window::new(&spec, tz);
            let mut seen = std::collections::HashSet::new();
            for s in &out.sent {
                prop_assert!(w.contains(s.at));
                for it in &s.items {
                    prop_assert!(seen.insert(it.1), "offset {} twice", it.1);
                }
            }
            // Every step with a slot after issue is sent or superseded, once.
            let slots = super::super::plan::slots(&steps, due, &w);
            for sl in slots.iter().filter(|s| s.at_ms > start) {
                let o = steps[sl.step].offset_days;
                let sent = seen.contains(&o) as usize;
                let superseded = out.skipped.iter().filter(|s| s.1 == o).count();
                prop_assert_eq!(sent + superseded, 1, "offset {} at {}", o, utc(sl.at_ms));
            }
        }
    }
}
