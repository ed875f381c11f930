//! Assigning overdue accounts to agents by rules: each rule names who
//! takes the accounts it matches (by segment, amount or the first letter
//! of the name); the first rule that matches an account wins, and accounts
//! a rule matches are dealt in turn to its members, highest priority first,
//! so each gets a fair share of the hardest ones.

use super::{Account, Ranked};
use crate::reminders::segment::{Facts, matches};
use settle_shared::Money;
use settle_shared::reminders::SegmentRules;

/// One assignment rule, as checked (see `AssignRulesRequest`).
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Who takes the matched accounts, in turn (at least one).
    pub members: Vec<String>,
    /// A segment's rules (tags, amount, days overdue).
    pub segment: Option<SegmentRules>,
    /// At least this much overdue in this currency.
    pub min_amount: Option<Money>,
    /// The first letter of the name, from and to (inclusive, upper case).
    pub letters: Option<(char, char)>,
}

/// The letter an account files under: the first letter of its name, upper
/// case, accents set aside for the common Latin ones.
pub fn initial(name: &str) -> Option<char> {
    let c = name.chars().find(|c| c.is_alphabetic())?;
    let base = match c.to_lowercase().next()? {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ý' | 'ÿ' => 'y',
        other => other,
    };
    base.to_uppercase().next()
}

/// Whether `rule` takes `a` as of `days_overdue`.
pub fn takes(rule: &Rule, a: &Account, days_overdue: i64) -> bool {
    let amount = rule.min_amount.is_none_or(|m| {
        a.overdue
            .iter()
            .any(|o| o.currency == m.currency && o.amount >= m.amount)
    });
    let letters = rule
        .letters
        .is_none_or(|(from, to)| initial(&a.name).is_some_and(|c| (from..=to).contains(&c)));
    let segment = rule.segment.as_ref().is_none_or(|s| {
        // The balance a segment's amount rule reads: the account's in the
        // rule's currency, else its largest.
        let balance = s
            .min_amount
            .and_then(|m| a.overdue.iter().find(|o| o.currency == m.currency))
            .or_else(|| a.overdue.iter().max_by_key(|o| o.amount))
            .copied();
        balance.is_some_and(|balance| {
            matches(
                s,
                &Facts {
                    tags: &a.tags,
                    balance,
                    days_overdue,
                    late_payments_12m: 0,
                },
            )
        })
    });
    amount && letters && segment
}

/// Who takes which account: `(customer_id, member_id)` for each account
/// whose agent changes. `ranked` gives the order (highest priority first).
/// With `only_unassigned`, accounts that have an agent keep them.
pub fn deal(
    accounts: &[Account],
    ranked: &[Ranked],
    rules: &[Rule],
    only_unassigned: bool,
) -> Vec<(String, String)> {
    let by_id: std::collections::HashMap<&str, &Account> = accounts
        .iter()
        .map(|a| (a.customer_id.as_str(), a))
        .collect();
    let mut turn = vec![0usize; rules.len()];
    let mut out = Vec::new();
    for r in ranked {
        let Some(a) = by_id.get(r.customer_id.as_str()) else {
            continue;
        };
        if only_unassigned && a.assigned_to.is_some() {
            continue;
        }
        let Some(k) = rules.iter().position(|rule| takes(rule, a, r.days_overdue)) else {
            continue;
        };
        let members = &rules[k].members;
        if members.is_empty() {
            continue;
        }
        let m = &members[turn[k] % members.len()];
        turn[k] += 1;
        if a.assigned_to.as_deref() != Some(m) {
            out.push((a.customer_id.clone(), m.clone()));
        }
    }
    out
}
