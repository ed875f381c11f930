//! `cargo xtask bench models`: the risk model's and the cash forecast's
//! quality on generated histories (README, "Late-payment risk" and "Cash
//! forecast"). Native, no stack needed.

use crate::Result;
use chrono::NaiveDate;
use settle_edge::forecast::backtest::backtest;
use settle_edge::risk::simulate::held_out;

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
    Ok(())
}
