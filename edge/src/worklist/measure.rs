//! The worklist measured on a generated history (`risk::simulate`): does it
//! put the customers the generator made the worst payers first? The tests
//! hold it to a bar; `cargo xtask bench models` prints it (README).

use super::{Account, rank};
use crate::risk::simulate::{Generated, Past, generate};
use chrono::NaiveDate;
use settle_shared::{Currency, Money};
use std::collections::{BTreeMap, HashMap};

/// How well an order puts the worst payers first.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WorstFirst {
    /// Accounts overdue on the day.
    pub listed: usize,
    /// Of those, the known worst payers.
    pub worst_listed: usize,
    /// The chance the worklist puts a worst payer before another account
    /// (0.5: no better than chance).
    pub ranked: f64,
    /// The same for "largest overdue balance first".
    pub largest_first: f64,
}

/// The accounts a generated history leaves overdue on `today`, as the
/// worker reads them: open invoices past due (what was settled after today
/// is still open), promises broken in the last year, and the risk model
/// trained on the same history as the cron trains it.
pub fn accounts(g: &Generated, today: NaiveDate) -> Vec<Account> {
    let known: Vec<Past> = g
        .invoices
        .iter()
        .map(|p| Past {
            settled: p.settled.filter(|s| *s <= today),
            promise_broken: p.promise_broken.filter(|b| *b <= today),
            ..p.clone()
        })
        .collect();
    let risk: HashMap<String, f64> = match crate::risk::train_on(&known, today).0 {
        Some(model) => crate::risk::score(&model, &known, today)
            .into_iter()
            .map(|s| (s.customer_id, s.probability))
            .collect(),
        None => HashMap::new(),
    };
    let eur = Currency::parse("EUR").ok();
    let mut by: BTreeMap<&str, Account> = BTreeMap::new();
    for p in &known {
        let a = by.entry(&p.customer_id).or_insert_with(|| Account {
            customer_id: p.customer_id.clone(),
            name: p.customer_id.clone(),
            overdue: vec![],
            oldest_due: p.due_date,
            invoices: 0,
            broken_promises_12m: 0,
            open_disputes: 0,
            promised: None,
            risk: risk.get(&p.customer_id).copied(),
            assigned_to: None,
            tags: vec![],
        });
        if p.promise_broken
            .is_some_and(|b| b > today - chrono::Days::new(365))
        {
            a.broken_promises_12m += 1;
        }
        if p.settled.is_none() && p.due_date < today {
            let cents = (p.amount * 100.0) as i64;
            let before = a.overdue.first().map_or(0, |m| m.amount);
            if let Some(m) = eur.and_then(|c| Money::new(before + cents, c).ok()) {
                a.overdue = vec![m];
            }
            a.oldest_due = if a.invoices == 0 {
                p.due_date
            } else {
                a.oldest_due.min(p.due_date)
            };
            a.invoices += 1;
        }
    }
    by.into_values().filter(|a| a.invoices > 0).collect()
}

/// The chance that a worst payer comes before another account in `order`
/// (the area under the ROC curve of the order).
pub fn auc_of(order: &[bool]) -> f64 {
    let scored: Vec<(f64, bool)> = order
        .iter()
        .enumerate()
        .map(|(i, w)| (-(i as f64), *w))
        .collect();
    crate::risk::auc(&scored).unwrap_or(0.5)
}

/// The worklist on `today` of a generated history of `customers`, against
/// its known worst payers: the tenth of customers the generator made
/// latest.
pub fn worst_first(seed: u64, customers: u32, today: NaiveDate) -> WorstFirst {
    let start = today - chrono::Days::new(371);
    let g = generate(seed, customers, start, 13);
    let mut sorted = g.lateness.clone();
    settle_shared::sort::sort_by(&mut sorted, |a, b| b.total_cmp(a));
    let worst_from = sorted
        .get((sorted.len() / 10).max(1) - 1)
        .copied()
        .unwrap_or(1.0);
    let worst = |id: &str| {
        id.trim_start_matches("cus_sim_")
            .parse::<usize>()
            .ok()
            .and_then(|c| g.lateness.get(c))
            .is_some_and(|l| *l >= worst_from)
    };
    let accounts = accounts(&g, today);
    let listed: Vec<bool> = rank(&accounts, today)
        .iter()
        .map(|r| worst(&r.customer_id))
        .collect();
    let mut by_amount: Vec<&Account> = accounts.iter().collect();
    settle_shared::sort::sort_by_key(&mut by_amount, |a| {
        std::cmp::Reverse(a.overdue.first().map_or(0, |m| m.amount))
    });
    let largest: Vec<bool> = by_amount.iter().map(|a| worst(&a.customer_id)).collect();
    WorstFirst {
        listed: listed.len(),
        worst_listed: listed.iter().filter(|w| **w).count(),
        ranked: auc_of(&listed),
        largest_first: auc_of(&largest),
    }
}
