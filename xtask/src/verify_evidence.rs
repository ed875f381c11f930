//! `cargo xtask verify-evidence FILE`: checks an evidence pack offline, with
//! the same rule the worker sealed it by (`settle_shared::evidence`): each
//! audit row's hash against its content, the links between consecutive
//! rows, and the chain's head named in the pack. Says which row breaks.

use crate::Result;
use settle_shared::evidence::pack;

pub fn run(args: &[String]) -> Result<()> {
    let [file] = args else {
        return Err(
            "usage: cargo xtask verify-evidence FILE (a pack saved from the console or the API)"
                .into(),
        );
    };
    let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read {file}: {e}"))?;
    let report = pack::verify(&text).map_err(|e| format!("{file}: NOT VERIFIED: {e}"))?;
    let v = report.verified;
    match (v.first_seq, v.last_seq, v.last_hash) {
        (Some(first), Some(last), Some(hash)) => println!(
            "{file}: verified: {} audit rows (chain rows {first} to {last}) match their hashes and links; last hash {hash}",
            v.rows
        ),
        _ => println!("{file}: verified: the pack holds no sealed audit rows"),
    }
    Ok(())
}
