//! Customer segments: the first segment (by priority) whose rules all hold
//! picks the policy; otherwise the organization's default policy applies.

use settle_shared::Money;
use settle_shared::reminders::SegmentRules;

/// A segment as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub id: String,
    pub priority: i32,
    pub rules: SegmentRules,
    pub policy_id: String,
    /// Early-payment terms for its invoices that have none of their own.
    pub early_payment: Option<settle_shared::invoice::discount::EarlyPayment>,
}

/// What segment rules look at, for one invoice of one customer.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    pub tags: &'a [String],
    /// The invoice's balance.
    pub balance: Money,
    /// Negative before the due date.
    pub days_overdue: i64,
    /// Invoices paid after their due date in the last 12 months (when known).
    pub late_payments_12m: u32,
}

/// Whether any segment needs the customer's payment history (a query the
/// cron makes only then).
pub fn needs_history(segments: &[Segment]) -> bool {
    segments
        .iter()
        .any(|s| s.rules.min_late_payments_12m.is_some())
}

/// Whether every rule of `rules` holds.
pub fn matches(rules: &SegmentRules, f: &Facts<'_>) -> bool {
    let tags = rules.tags_any.is_empty() || rules.tags_any.iter().any(|t| f.tags.contains(t));
    let amount = rules
        .min_amount
        .is_none_or(|m| m.currency == f.balance.currency && f.balance.amount >= m.amount);
    let overdue = rules
        .min_days_overdue
        .is_none_or(|d| f.days_overdue >= i64::from(d));
    let history = rules
        .min_late_payments_12m
        .is_none_or(|n| f.late_payments_12m >= n);
    tags && amount && overdue && history
}

/// The early-payment terms a new invoice takes: its own, else those of the
/// segment its customer and amount fall in (none when that segment has
/// none: a segment without terms is not skipped for a later one that has).
pub fn early_terms(
    own: Option<settle_shared::invoice::discount::EarlyPayment>,
    segments: &[Segment],
    f: &Facts<'_>,
) -> Option<settle_shared::invoice::discount::EarlyPayment> {
    own.or_else(|| pick(segments, f).and_then(|s| s.early_payment))
}

/// The segment that takes these facts: lowest priority first, then id.
pub fn pick<'s>(segments: &'s [Segment], f: &Facts<'_>) -> Option<&'s Segment> {
    let mut sorted: Vec<&Segment> = segments.iter().collect();
    settle_shared::sort::sort_by(&mut sorted, |a, b| {
        a.priority.cmp(&b.priority).then_with(|| a.id.cmp(&b.id))
    });
    sorted.into_iter().find(|s| matches(&s.rules, f))
}

#[cfg(test)]
mod tests {
    use super::*;
    use settle_shared::Currency;

    fn seg(id: &str, priority: i32, rules: SegmentRules) -> Segment {
        Segment {
            id: id.into(),
            priority,
            rules,
            policy_id: format!("pol_{id}"),
            early_payment: None,
        }
    }

    fn usd(amount: i64) -> Money {
        Money::new(amount, Currency::parse("USD").unwrap()).unwrap()
    }

    #[test]
    fn first_matching_segment_by_priority() {
        let vip = vec!["vip".to_string()];
        let segments = vec![
            seg(
                "late",
                20,
                SegmentRules {
                    min_late_payments_12m: Some(2),
                    ..Default::default()
                },
            ),
            seg(
                "big",
                10,
                SegmentRules {
                    min_amount: Some(usd(100_000)),
                    ..Default::default()
                },
            ),
            seg(
                "vip",
                5,
                SegmentRules {
                    tags_any: vec!["vip".into()],
                    min_days_overdue: Some(1),
                    ..Default::default()
                },
            ),
        ];
        assert!(needs_history(&segments));
        let facts = |tags: &'static [String], balance, days, late| Facts {
            tags,
            balance,
            days_overdue: days,
            late_payments_12m: late,
        };
        let vip: &'static [String] = Box::leak(vip.into_boxed_slice());
        assert_eq!(
            pick(&segments, &facts(vip, usd(10), 3, 0)).unwrap().id,
            "vip"
        );
        assert_eq!(
            pick(&segments, &facts(vip, usd(10), 0, 0)),
            None,
            "not overdue yet"
        );
        assert_eq!(
            pick(&segments, &facts(&[], usd(100_000), 0, 5)).unwrap().id,
            "big"
        );
        assert_eq!(
            pick(&segments, &facts(&[], usd(5), 0, 2)).unwrap().id,
            "late"
        );
        let eur = Money::new(500_000, Currency::parse("EUR").unwrap()).unwrap();
        assert_eq!(
            pick(&segments, &facts(&[], eur, 0, 0)),
            None,
            "an amount in another currency does not match"
        );
    }

    #[test]
    fn new_invoices_take_their_own_terms_else_their_segments() {
        use settle_shared::invoice::discount::EarlyPayment;
        let two = EarlyPayment {
            basis_points: 200,
            days: 10,
        };
        let mut trade = seg(
            "trade",
            10,
            SegmentRules {
                tags_any: vec!["trade".into()],
                ..Default::default()
            },
        );
        trade.early_payment = Some(two);
        let plain = seg("plain", 20, SegmentRules::default());
        let segments = vec![trade, plain];
        let tags = vec!["trade".to_string()];
        let f = |tags| Facts {
            tags,
            balance: usd(5_000),
            days_overdue: -30,
            late_payments_12m: 0,
        };
        assert_eq!(early_terms(None, &segments, &f(&tags)), Some(two));
        assert_eq!(
            early_terms(None, &segments, &f(&[])),
            None,
            "its segment has none"
        );
        let own = EarlyPayment {
            basis_points: 100,
            days: 5,
        };
        assert_eq!(
            early_terms(Some(own), &segments, &f(&tags)),
            Some(own),
            "the invoice's own win"
        );
    }
}
