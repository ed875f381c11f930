//! The examples a history gives, and a generated history with a known
//! pattern to measure the model on (`cargo xtask seed-history` and the
//! tests use the same generator).

use super::Known;
use chrono::NaiveDate;

/// One past invoice as the risk job reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Past {
    pub customer_id: String,
    pub issue_date: NaiveDate,
    pub due_date: NaiveDate,
    /// Major units.
    pub amount: f64,
    /// The day its balance reached zero.
    pub settled: Option<NaiveDate>,
    /// The day a dispute was opened on it.
    pub disputed: Option<NaiveDate>,
    /// The day a promise on it broke.
    pub promise_broken: Option<NaiveDate>,
    /// Paid by autopay or a scheduled payment.
    pub automatic: bool,
}

impl Past {
    /// Whether it was late, as known on `on`: settled after its due date, or
    /// unsettled on a day past it. `None`: not known yet.
    pub fn late_as_of(&self, on: NaiveDate) -> Option<bool> {
        match self.settled.filter(|s| *s <= on) {
            Some(s) => Some(s > self.due_date),
            None if on > self.due_date => Some(true),
            None => None,
        }
    }

    fn days_late(&self, on: NaiveDate) -> f64 {
        let end = self.settled.filter(|s| *s <= on).unwrap_or(on);
        (end - self.due_date).num_days().max(0) as f64
    }
}

/// What was known about a customer on `on`, for an invoice of `amount`:
/// `earlier` are the customer's invoices (any order).
pub fn known(earlier: &[&Past], on: NaiveDate, amount: f64, automatic: bool) -> Known {
    let mut done: Vec<(&Past, bool)> = earlier
        .iter()
        .filter(|p| p.issue_date < on)
        .filter_map(|p| p.late_as_of(on).map(|l| (*p, l)))
        .collect();
    settle_shared::sort::sort_by_key(&mut done, |(p, _)| (p.due_date, p.issue_date));
    let late: Vec<&Past> = done.iter().filter(|(_, l)| *l).map(|(p, _)| *p).collect();
    let year_ago = on - chrono::Days::new(365);
    let before: Vec<&&Past> = earlier.iter().filter(|p| p.issue_date < on).collect();
    Known {
        earlier: done.len() as u32,
        earlier_late: late.len() as u32,
        mean_days_late: if late.is_empty() {
            0.0
        } else {
            late.iter().map(|p| p.days_late(on)).sum::<f64>() / late.len() as f64
        },
        last_was_late: done.last().is_some_and(|(_, l)| *l),
        amount,
        usual_amount: if before.is_empty() {
            0.0
        } else {
            before.iter().map(|p| p.amount).sum::<f64>() / before.len() as f64
        },
        disputes_12m: before
            .iter()
            .filter(|p| p.disputed.is_some_and(|d| d >= year_ago && d < on))
            .count() as u32,
        broken_promises_12m: before
            .iter()
            .filter(|p| p.promise_broken.is_some_and(|d| d >= year_ago && d < on))
            .count() as u32,
        pays_automatically: automatic,
    }
}

/// Every invoice whose outcome is known on `as_of`, with what was known when
/// it was issued: `(customer, features known then, late)`.
pub fn examples(history: &[Past], as_of: NaiveDate) -> Vec<(String, Known, bool)> {
    let mut by: std::collections::BTreeMap<&str, Vec<&Past>> = Default::default();
    for p in history {
        by.entry(&p.customer_id).or_default().push(p);
    }
    let mut out = Vec::new();
    for (c, list) in by {
        for p in &list {
            if let Some(late) = p.late_as_of(as_of) {
                let k = known(&list, p.issue_date, p.amount, p.automatic);
                out.push((c.to_owned(), k, late));
            }
        }
    }
    out
}

/// A small deterministic generator (SplitMix64), so a seed always gives the
/// same history.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn draw(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.draw() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A year (or `months`) of monthly invoices for `customers` customers, with
/// a known pattern: each customer has a lateness of their own (most pay on
/// time, a few rarely do); automatic payers are seldom late; an invoice much
/// larger than the customer's usual is more often late; a dispute makes its
/// invoice late and the customer later for a while; a late payer sometimes
/// promises and breaks it. Invoices are due 30 days after issue.
pub fn history(seed: u64, customers: u32, start: NaiveDate, months: u32) -> Vec<Past> {
    generate(seed, customers, start, months).invoices
}

/// A generated history and the pattern behind it.
pub struct Generated {
    pub invoices: Vec<Past>,
    /// Each customer's own chance of paying an ordinary invoice late (by the
    /// number in `cus_sim_NNNNN`): the truth the worklist and the model are
    /// measured against.
    pub lateness: Vec<f64>,
}

/// [`history`] with each customer's lateness.
pub fn generate(seed: u64, customers: u32, start: NaiveDate, months: u32) -> Generated {
    let mut r = Rng::new(seed);
    let mut out = Vec::new();
    let mut truth = Vec::new();
    for c in 0..customers {
        let u = r.unit();
        let mut lateness = 0.04 + 0.7 * u * u * u;
        let automatic = r.unit() < 0.2;
        if automatic {
            lateness *= 0.15;
        }
        truth.push(lateness);
        let usual = 200.0 + 4800.0 * r.unit();
        let mut grudge = 0.0f64;
        for m in 0..months {
            let issue = start
                .checked_add_months(chrono::Months::new(m))
                .unwrap_or(start)
                + chrono::Days::new(r.draw() % 5);
            let due = issue + chrono::Days::new(30);
            let big = r.unit() < 0.12;
            let amount = (usual
                * if big {
                    2.5 + 2.0 * r.unit()
                } else {
                    0.7 + 0.6 * r.unit()
                })
            .round();
            let disputed = r.unit() < 0.04 + grudge / 4.0;
            let mut p = lateness + grudge;
            if big {
                p += 0.25;
            }
            if disputed {
                p = 0.9;
                grudge = 0.25;
            } else {
                grudge *= 0.7;
            }
            let late = r.unit() < p.min(0.97);
            let settled = if late {
                due + chrono::Days::new(3 + r.draw() % 55)
            } else {
                issue + chrono::Days::new(r.draw() % 31)
            };
            let promise_broken = (late && r.unit() < 0.3).then(|| due + chrono::Days::new(2));
            out.push(Past {
                customer_id: format!("cus_sim_{c:05}"),
                issue_date: issue,
                due_date: due,
                amount,
                settled: Some(settled),
                disputed: disputed.then(|| issue + chrono::Days::new(10)),
                promise_broken: promise_broken.filter(|d| *d < settled),
                automatic,
            });
        }
    }
    Generated {
        invoices: out,
        lateness: truth,
    }
}

/// The SQL that loads a generated history into one organization's D1 as it
/// stood on `today` (`cargo xtask seed-history` and the API tests load the
/// same): a customer per generated customer (`cus_{tag}` and 24 hex digits
/// of its number), each invoice in euros, paid by bank transfer on its
/// settlement day if that day has come (else still open), and each promise
/// broken by then. `at` is the rows' creation time (ms).
#[cfg(not(target_arch = "wasm32"))]
pub fn seed_sql(org: &str, tag: &str, g: &Generated, today: NaiveDate, at: i64) -> String {
    use std::fmt::Write;
    const FIRST: [&str; 20] = [
        "Ada", "Ben", "Cleo", "Dev", "Eva", "Finn", "Gia", "Hugo", "Ines", "Jon", "Kira", "Leo",
        "Mila", "Nils", "Olga", "Paul", "Rosa", "Sami", "Tara", "Uma",
    ];
    const LAST: [&str; 15] = [
        "Archer", "Baker", "Carter", "Dalton", "Ellis", "Fisher", "Grant", "Hayes", "Irwin",
        "Jensen", "Keller", "Lowe", "Monroe", "Nash", "Olsen",
    ];
    let mut sql = String::new();
    for c in 0..g.lateness.len() {
        let name = format!(
            "{} {}",
            FIRST[c % FIRST.len()],
            LAST[(c / FIRST.len()) % LAST.len()]
        );
        let _ = writeln!(
            sql,
            "INSERT INTO customers (id, organization_id, name, email, email_lower, locale, time_zone, created_at) VALUES \
             ('{}', '{org}', '{name} (history)', 'h{c}-{tag}@history.example', 'h{c}-{tag}@history.example', 'en', 'Europe/London', {at});",
            seeded_customer(tag, c)
        );
    }
    let ms = |d: NaiveDate| {
        d.and_hms_opt(12, 0, 0)
            .map_or(at, |t| t.and_utc().timestamp_millis())
    };
    for (n, p) in g.invoices.iter().enumerate() {
        let c: usize = p
            .customer_id
            .trim_start_matches("cus_sim_")
            .parse()
            .unwrap_or(0);
        let customer = seeded_customer(tag, c);
        let cents = (p.amount * 100.0) as i64;
        let settled = p.settled.filter(|s| *s <= today);
        let (status, paid) = if settled.is_some() {
            ("paid", cents)
        } else {
            ("open", 0)
        };
        let id = format!("inv_{tag}{n:024x}");
        let _ = writeln!(
            sql,
            "INSERT INTO invoices (id, organization_id, customer_id, number, currency, status, issue_date, due_date, subtotal, tax, total, amount_paid, created_at) VALUES \
             ('{id}', '{org}', '{customer}', 'H-{tag}-{n:06}', 'EUR', '{status}', '{}', '{}', {cents}, 0, {cents}, {paid}, {at});\n\
             INSERT INTO invoice_lines (invoice_id, position, description, quantity_milli, unit_amount, tax_rate_milli, net, tax) VALUES ('{id}', 0, 'Monthly services', 1000, {cents}, 0, {cents}, 0);",
            p.issue_date, p.due_date
        );
        if let Some(s) = settled {
            let _ = writeln!(
                sql,
                "INSERT INTO payments (id, organization_id, invoice_id, kind, method, amount, currency, reference, received_on, created_at) VALUES \
                 ('pay_{tag}{n:024x}', '{org}', '{id}', 'payment', 'bank_transfer', {cents}, 'EUR', 'history', '{s}', {at});"
            );
        }
        if let Some(b) = p.promise_broken.filter(|b| *b <= today) {
            let _ = writeln!(
                sql,
                "INSERT INTO promises (id, organization_id, invoice_id, customer_id, promised_date, created_by, created_at, status, made_on, ended_at, ended_by) VALUES \
                 ('prm_{tag}{n:024x}', '{org}', '{id}', '{customer}', '{}', 'seed', {}, 'broken', '{}', {}, 'seed');",
                b.pred_opt().unwrap_or(b),
                ms(p.due_date),
                p.due_date,
                ms(b)
            );
        }
    }
    sql
}

/// The id [`seed_sql`] gives generated customer `c`.
pub fn seeded_customer(tag: &str, c: usize) -> String {
    format!("cus_{tag}{c:024x}")
}

/// The model's quality on a generated history: trains on 70 % of the
/// customers, scores every invoice of the other 30 % that has an earlier
/// one, beside the baseline "the last invoice was late": (model AUC,
/// baseline AUC, held-out invoices). `cargo xtask bench models` prints it.
pub fn held_out(seed: u64, customers: u32) -> (f64, f64, usize) {
    let start = NaiveDate::from_ymd_opt(2025, 12, 1).expect("a date");
    let h = history(seed, customers, start, 13);
    let ex = examples(&h, NaiveDate::from_ymd_opt(2027, 2, 15).expect("a date"));
    let held = |c: &str| c.bytes().map(u64::from).sum::<u64>() % 10 < 3;
    let train_set: Vec<([f64; 8], bool)> = ex
        .iter()
        .filter(|(c, k, _)| !held(c) && k.earlier > 0)
        .map(|(_, k, l)| (k.features(), *l))
        .collect();
    let model = super::train(&train_set).expect("enough examples");
    let test: Vec<&(String, Known, bool)> = ex
        .iter()
        .filter(|(c, k, _)| held(c) && k.earlier > 0)
        .collect();
    let scored: Vec<(f64, bool)> = test
        .iter()
        .map(|(_, k, l)| (model.predict(&k.features()), *l))
        .collect();
    let baseline: Vec<(f64, bool)> = test
        .iter()
        .map(|(_, k, l)| (f64::from(u8::from(k.last_was_late)), *l))
        .collect();
    (
        super::auc(&scored).unwrap_or(0.5),
        super::auc(&baseline).unwrap_or(0.5),
        test.len(),
    )
}
