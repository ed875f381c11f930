//! `cargo xtask bench models`: the risk model's, the cash forecast's and
//! the worklist's quality on generated histories (README, "Late-payment
//! risk", "Cash forecast" and "Worklist"). Native, no stack needed.

use crate::Result;
use chrono::NaiveDate;
use settle_edge::forecast::backtest::backtest;
use settle_edge::risk::simulate::held_out;
use settle_edge::worklist::measure::worst_first;

pub fn run() -> Result<()> {
    println!(
        "\n## Late-payment risk: held-out customers of a generated history (3,000 customers, 13 months)\n"
    );
    println!("| seed | held-out invoices | AUC, model | AUC, late last time |\n|---|---|---|---|");
    for seed in [7, 11, 13] {
        let (m, b, n) = held_out(seed, 3000);
        println!("| {seed} | {n} | **{m:.3}** | {b:.3} |");
    }
    println!(
        "\n## Cash forecast: made on a past date, against what then came in (seed 7, 3,000 customers)\n"
    );
    println!(
        "| forecast made on | collected in the 8 weeks | error, forecast | error, paid on due date |\n|---|---|---|---|"
    );
    for at in ["2026-03-02", "2026-05-04", "2026-08-17", "2026-10-05"] {
        let day: NaiveDate = at.parse().map_err(|e| format!("{at}: {e}"))?;
        let (ours, naive, collected) = backtest(7, 3000, day);
        println!(
            "| {at} | {:.2} | **{ours:.3}** | {naive:.3} |",
            collected / 100.0
        );
    }
    println!(
        "\n## Worklist: the known worst payers first (200 customers, 13 months, the list on 2026-12-07)\n"
    );
    println!(
        "| seed | accounts overdue | of them worst payers | worst first, worklist | worst first, largest balance first |\n|---|---|---|---|---|"
    );
    let day: NaiveDate = "2026-12-07".parse().map_err(|e| format!("{e}"))?;
    for seed in [1, 2, 3, 20_261_207] {
        let m = worst_first(seed, 200, day);
        println!(
            "| {seed} | {} | {} | **{:.2}** | {:.2} |",
            m.listed, m.worst_listed, m.ranked, m.largest_first
        );
    }
    Ok(())
}
