//! Stripe, as plain Rust: webhook signatures, the events Settle reads, and
//! the rules that turn events into ledger rows. The worker glue only moves
//! bytes between these functions, D1 and Stripe's HTTP API.

pub mod account;
pub mod api;
#[cfg(test)]
pub(crate) mod conformance;
pub mod events;
pub mod reconcile;
pub mod saved;
pub mod signature;

/// Stripe's reference data (`shared/stripe/` beside the repository: API
/// description, signature vectors, captured events), found by walking up
/// from this crate, wherever the checkout sits.
pub fn reference_data() -> std::path::PathBuf {
    let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    here.ancestors()
        .map(|a| a.join("shared/stripe"))
        .find(|p| p.join("signature_vectors.json").is_file())
        .unwrap_or_else(|| {
            panic!(
                "no shared/stripe/ beside the repository above {}",
                here.display()
            )
        })
}
