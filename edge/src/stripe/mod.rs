//! Stripe, as plain Rust: webhook signatures, the events Settle reads, and
//! the rules that turn events into ledger rows. The worker glue only moves
//! bytes between these functions, D1 and Stripe's HTTP API.

pub mod api;
pub mod events;
pub mod reconcile;
pub mod signature;
