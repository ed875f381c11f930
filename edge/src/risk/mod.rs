//! Late-payment risk: the probability that a customer pays their next
//! invoice after its due date, learned from the organization's own history
//! by logistic regression. Plain Rust, deterministic (same history, same
//! model), small enough to retrain in a scheduled job.
//!
//! An example is one past invoice, described only by what was known when it
//! was issued (the customer's history before it), labelled late when it was
//! settled after its due date or was still unpaid past it.

pub mod simulate;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

/// Names of the features, in order (the API's, which the console words).
pub use settle_shared::api::RISK_FEATURES as FEATURES;

/// What is known about an invoice when it is issued.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Known {
    /// Earlier invoices of the customer that were settled or are past due.
    pub earlier: u32,
    /// Of those, how many were late.
    pub earlier_late: u32,
    /// Mean days late of the late ones.
    pub mean_days_late: f64,
    pub last_was_late: bool,
    /// In major units of its currency.
    pub amount: f64,
    /// The customer's mean earlier invoice amount (0: none).
    pub usual_amount: f64,
    pub disputes_12m: u32,
    pub broken_promises_12m: u32,
    /// Autopay or a scheduled payment with a saved method.
    pub pays_automatically: bool,
}

impl Known {
    /// The feature vector, in [`FEATURES`] order.
    pub fn features(&self) -> [f64; 8] {
        let share = if self.earlier == 0 {
            0.0
        } else {
            f64::from(self.earlier_late) / f64::from(self.earlier)
        };
        let vs_usual = if self.usual_amount > 0.0 {
            (self.amount / self.usual_amount).min(10.0)
        } else {
            1.0
        };
        [
            share,
            self.mean_days_late.min(120.0) / 30.0,
            f64::from(u8::from(self.last_was_late)),
            (self.amount.max(0.0) + 1.0).log10(),
            vs_usual,
            f64::from(self.disputes_12m.min(5)),
            f64::from(self.broken_promises_12m.min(5)),
            f64::from(u8::from(self.pays_automatically)),
        ]
    }
}

/// A trained model: standardisation and weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    pub mean: [f64; 8],
    pub scale: [f64; 8],
    pub weights: [f64; 8],
    pub bias: f64,
    /// Examples it learned from.
    pub examples: u32,
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// Trains on `(features, late)` examples: L2-regularised logistic
/// regression by full-batch gradient descent (a fixed number of steps, so
/// the same examples always give the same model). `None` with fewer than
/// 20 examples or only one label.
pub fn train(examples: &[([f64; 8], bool)]) -> Option<Model> {
    let n = examples.len();
    let late = examples.iter().filter(|e| e.1).count();
    if n < 20 || late == 0 || late == n {
        return None;
    }
    let mut mean = [0.0; 8];
    let mut scale = [0.0; 8];
    for (x, _) in examples {
        for j in 0..8 {
            mean[j] += x[j] / n as f64;
        }
    }
    for (x, _) in examples {
        for j in 0..8 {
            scale[j] += (x[j] - mean[j]).powi(2) / n as f64;
        }
    }
    for s in &mut scale {
        *s = if *s > 1e-12 { s.sqrt() } else { 1.0 };
    }
    let z: Vec<([f64; 8], f64)> = examples
        .iter()
        .map(|(x, y)| {
            let mut v = [0.0; 8];
            for j in 0..8 {
                v[j] = (x[j] - mean[j]) / scale[j];
            }
            (v, f64::from(u8::from(*y)))
        })
        .collect();
    let (mut w, mut b) = ([0.0f64; 8], 0.0f64);
    let (rate, l2) = (0.5, 1e-3);
    for _ in 0..400 {
        let mut gw = [0.0; 8];
        let mut gb = 0.0;
        for (x, y) in &z {
            let p = sigmoid(b + (0..8).map(|j| w[j] * x[j]).sum::<f64>());
            let e = p - y;
            for j in 0..8 {
                gw[j] += e * x[j] / n as f64;
            }
            gb += e / n as f64;
        }
        for j in 0..8 {
            w[j] -= rate * (gw[j] + l2 * w[j]);
        }
        b -= rate * gb;
    }
    Some(Model {
        mean,
        scale,
        weights: w,
        bias: b,
        examples: n as u32,
    })
}

impl Model {
    /// Each feature's push on the log-odds, for these features.
    pub fn contributions(&self, x: &[f64; 8]) -> [f64; 8] {
        let mut c = [0.0; 8];
        for j in 0..8 {
            c[j] = self.weights[j] * (x[j] - self.mean[j]) / self.scale[j];
        }
        c
    }

    /// The probability of paying late.
    pub fn predict(&self, x: &[f64; 8]) -> f64 {
        sigmoid(self.bias + self.contributions(x).iter().sum::<f64>())
    }

    /// The features that drove a prediction, strongest first (three at
    /// most, each with its push on the log-odds: positive raises the risk).
    pub fn drivers(&self, x: &[f64; 8]) -> Vec<(&'static str, f64)> {
        let mut d: Vec<(&'static str, f64)> = FEATURES
            .iter()
            .copied()
            .zip(self.contributions(x))
            .filter(|(_, c)| c.abs() >= 0.05)
            .collect();
        settle_shared::sort::sort_by(&mut d, |a, b| b.1.abs().total_cmp(&a.1.abs()));
        d.truncate(3);
        d
    }
}

/// Examples trained on at most (evenly picked).
pub const TRAIN_MAX: usize = 20_000;

/// Trains on an organization's history as known on `today`: every invoice
/// whose outcome is known and that had an earlier one, at most
/// [`TRAIN_MAX`] of them evenly picked. Also answers how many it used.
pub fn train_on(history: &[simulate::Past], today: chrono::NaiveDate) -> (Option<Model>, usize) {
    let ex = simulate::examples(history, today);
    let step = (ex.len() / TRAIN_MAX).max(1);
    let set: Vec<([f64; 8], bool)> = ex
        .iter()
        .step_by(step)
        .filter(|(_, k, _)| k.earlier > 0)
        .map(|(_, k, l)| (k.features(), *l))
        .collect();
    (train(&set), set.len())
}

/// One customer's risk today.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub customer_id: String,
    /// The chance their next invoice is paid late.
    pub probability: f64,
    /// What drove it ([`Model::drivers`]).
    pub drivers: Vec<(&'static str, f64)>,
}

/// Every customer of `history` scored for their next invoice, taken to be
/// as large as their usual one, as known on `today`.
pub fn score(model: &Model, history: &[simulate::Past], today: chrono::NaiveDate) -> Vec<Scored> {
    let mut by: std::collections::BTreeMap<&str, Vec<&simulate::Past>> = Default::default();
    for p in history {
        by.entry(&p.customer_id).or_default().push(p);
    }
    by.into_iter()
        .map(|(c, list)| {
            let usual = list.iter().map(|p| p.amount).sum::<f64>() / list.len() as f64;
            let k = simulate::known(&list, today, usual, list.iter().any(|p| p.automatic));
            let x = k.features();
            Scored {
                customer_id: c.to_owned(),
                probability: model.predict(&x),
                drivers: model.drivers(&x),
            }
        })
        .collect()
}

/// The area under the ROC curve of `scores` for `labels` (the chance that a
/// late example scores above an on-time one; ties count half). `None`
/// without both labels.
pub fn auc(scored: &[(f64, bool)]) -> Option<f64> {
    let mut s: Vec<(f64, bool)> = scored.to_vec();
    settle_shared::sort::sort_by(&mut s, |a, b| a.0.total_cmp(&b.0));
    let pos = s.iter().filter(|x| x.1).count() as f64;
    let neg = s.len() as f64 - pos;
    if pos == 0.0 || neg == 0.0 {
        return None;
    }
    // Mann–Whitney: the rank sum of the late ones, ties given mean ranks.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < s.len() {
        let mut j = i;
        while j + 1 < s.len() && s[j + 1].0 == s[i].0 {
            j += 1;
        }
        let mean_rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += s[i..=j].iter().filter(|x| x.1).count() as f64 * mean_rank;
        i = j + 1;
    }
    Some((rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg))
}
