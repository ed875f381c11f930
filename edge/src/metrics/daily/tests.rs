use super::super::tests::{book_of, d};
use super::super::{aging, days_to_pay, figures as by_invoice, monthly as by_month, pay_days};
use super::*;
use chrono::Datelike;
use proptest::prelude::*;

/// What was owed after `on`, summed by due date from each invoice (in the
/// currency it counts in).
fn open_after(book: &[InvoiceHistory], on: NaiveDate) -> Open {
    let mut open = Open::new();
    for i in book {
        let owed = i.counted(i.owed_after(on));
        if owed > 0 {
            let e = open.entry(i.due_date).or_default();
            e.0 += owed;
            e.1 += 1;
        }
    }
    open
}

/// The invoices with something dated after `from` through `to`: what the
/// worker reads for those days.
fn touched(book: &[InvoiceHistory], from: NaiveDate, to: NaiveDate) -> Vec<InvoiceHistory> {
    book.iter()
        .filter(|i| i.event_days().iter().any(|e| from < *e && *e <= to))
        .cloned()
        .collect()
}

const ORIGIN: &str = "2025-12-31";
const LAST: &str = "2026-10-31";

#[test]
fn a_day_of_the_worked_example() {
    let mut a = InvoiceHistory {
        in_base: None,
        customer_id: "c1".into(),
        issue_date: d("2026-02-10"),
        due_date: d("2026-03-12"),
        total: 1000,
        payments: vec![(d("2026-03-05"), 600), (d("2026-03-20"), 400)],
        credits: vec![],
        voided: None,
    };
    let mut e = a.clone();
    e.customer_id = "c3".into();
    e.issue_date = d("2026-03-20");
    e.due_date = d("2026-04-19");
    e.total = 800;
    e.payments.clear();
    e.voided = Some(d("2026-03-25"));
    a.credits = vec![];
    let book = [a, e];
    let days = days(&Open::new(), &book, d("2026-02-09"), d("2026-03-25"));
    let on = |s: &str| days.iter().find(|x| x.day == d(s)).unwrap();
    // The 20th: A cleared (38 days from issue, 8 late), E issued.
    let twentieth = on("2026-03-20");
    assert_eq!(
        (twentieth.sales, twentieth.issued, twentieth.collected),
        (800, 1, 400)
    );
    assert_eq!(twentieth.cleared.get("c1"), Some(&(1, 38, 8)));
    assert_eq!(twentieth.totals().receivables, 800);
    // The 25th: E voided, its sale reversed, nothing owed.
    let last = on("2026-03-25");
    assert_eq!((last.sales, last.totals().receivables), (-800, 0));
    assert!(last.open.is_empty());
    // The 6th: A owes 400, due the 12th: current.
    assert_eq!(
        on("2026-03-06").aging(),
        [(400, 1), (0, 0), (0, 0), (0, 0), (0, 0)]
    );
    assert_eq!(days.len(), 44);
}

#[test]
fn a_missing_day_gives_no_figures() {
    let book = [InvoiceHistory {
        in_base: None,
        customer_id: "c1".into(),
        issue_date: d("2026-01-05"),
        due_date: d("2026-01-20"),
        total: 500,
        payments: vec![],
        credits: vec![],
        voided: None,
    }];
    let mut all: Vec<Totals> = days(&Open::new(), &book, d("2026-01-04"), d("2026-01-31"))
        .iter()
        .map(Day::totals)
        .collect();
    let jan = Period {
        start: d("2026-01-01"),
        end: d("2026-01-31"),
    };
    // Before the first day everything is zero.
    assert_eq!(
        figures(&all, jan).map(|(f, n)| (f.sales, n)),
        Some((500, 1))
    );
    all.remove(10);
    assert_eq!(figures(&all, jan), None);
    assert_eq!(figures(&[], jan), None);
}

#[test]
fn whole_months_are_read_from_their_last_day() {
    // 10 March to 20 May: 10–31 March day by day, April whole, 1–20 May.
    let (ranges, ends) = cover(d("2026-03-10"), d("2026-05-20"));
    assert_eq!(
        ranges,
        [
            (d("2026-03-10"), d("2026-03-31")),
            (d("2026-05-01"), d("2026-05-20"))
        ]
    );
    assert_eq!(ends, [d("2026-04-30")]);
    // A leap February, whole; a single day.
    assert_eq!(
        cover(d("2028-02-01"), d("2028-02-29")),
        (vec![], vec![d("2028-02-29")])
    );
    assert_eq!(
        cover(d("2026-03-31"), d("2026-03-31")),
        (vec![(d("2026-03-31"), d("2026-03-31"))], vec![])
    );
    assert_eq!(month_end(d("2026-12-15")), d("2026-12-31"));
}

#[test]
fn a_past_dated_write_sends_the_days_back() {
    let through = Some(d("2026-03-31"));
    assert_eq!(trusted_through(through, &[]), through);
    // Today's payment and invoice leave yesterday's days alone.
    assert_eq!(trusted_through(through, &[d("2026-04-01")]), through);
    // An import of an invoice issued on 10 March: the days hold to the 9th.
    let back = [d("2026-04-01"), d("2026-03-10")];
    assert_eq!(trusted_through(through, &back), Some(d("2026-03-09")));
    assert_eq!(trusted_through(None, &back), None);
}

proptest! {
    /// The figures from the days, built in one pass or month by month from
    /// each stored day and the invoices touched since, equal the figures
    /// computed from the invoices, for any period, with refunds, credit
    /// notes and voids.
    #[test]
    fn days_compose_to_the_figures_of_the_invoices(
        book in book_of(true),
        cut in 1u64..300,
        start in 0u64..300,
        len in 1u64..120,
    ) {
        let (origin, last) = (d(ORIGIN), d(LAST));
        let one = days(&Open::new(), &book, origin, last);
        let mid = origin + chrono::Days::new(cut);
        let mut two = days(&Open::new(), &touched(&book, origin, mid), origin, mid);
        let after = two.last().unwrap().open.clone();
        prop_assert_eq!(&after, &open_after(&book, mid));
        two.extend(days(&after, &touched(&book, mid, last), mid, last));
        prop_assert_eq!(&one, &two);
        for day in &one {
            prop_assert_eq!(open_from_text(&open_text(&day.open)), Some(day.open.clone()));
            prop_assert_eq!(cleared_from_text(&cleared_text(&day.cleared)), Some(day.cleared.clone()));
        }

        let totals: Vec<Totals> = one.iter().map(Day::totals).collect();
        let s = origin + chrono::Days::new(1 + start);
        let p = Period { start: s, end: (s + chrono::Days::new(len - 1)).min(last) };
        let (f, issued) = figures(&totals, p).unwrap();
        prop_assert_eq!(&f, &by_invoice(&book, p));
        prop_assert_eq!(issued as usize, book.iter().filter(|i| p.holds(i.issue_date)).count());
        let end = one.iter().find(|x| x.day == p.end).unwrap();
        prop_assert_eq!(end.aging(), aging(&book, p.end));
        let in_p = one.iter().filter(|x| p.holds(x.day)).map(|x| &x.cleared);
        prop_assert_eq!(pay_days(cleared(in_p)), days_to_pay(&book, p));
        // The same through whole months summed first, as the worker reads.
        let (ranges, ends) = cover(p.start, p.end);
        let by_day = |a: NaiveDate, b: NaiveDate| {
            cleared(one.iter().filter(|x| a <= x.day && x.day <= b).map(|x| &x.cleared))
        };
        let mut parts: Vec<Cleared> = ranges.iter().map(|(a, b)| by_day(*a, *b)).collect();
        parts.extend(ends.iter().map(|e| by_day(e.with_day(1).unwrap(), *e)));
        prop_assert_eq!(pay_days(cleared(&parts)), days_to_pay(&book, p));
        prop_assert_eq!(monthly(&totals, p.end, 12).unwrap(), by_month(&book, p.end, 12));
    }
}
