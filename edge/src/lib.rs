//! Settle's edge API.
//!
//! The modules at the top level are plain Rust, tested natively with
//! `cargo test`: routing, errors, tokens and cookies, email rendering, the
//! email provider's wire format, rate limits. The `worker` module is the thin
//! Cloudflare Workers glue (D1, Queues, fetch) and exists only on wasm32.

pub mod config;
pub mod cursor;
pub mod email;
pub mod error;
pub mod i18n;
pub mod ledger;
pub mod outbound;
pub mod ratelimit;
pub mod reminders;
pub mod routes;
pub mod security;
pub mod stripe;
pub mod views;

#[cfg(target_arch = "wasm32")]
mod worker;
