//! Settle's edge API.
//!
//! The modules at the top level are plain Rust, tested natively with
//! `cargo test`: the rules (`ledger` for money, `reminders` for dunning,
//! `email::delivery` for sending and retrying), routing, errors, tokens and
//! cookies, email rendering, the email provider's and Stripe's wire formats,
//! rate limits, and `rows` (D1 rows and their API views). The `worker`
//! module is the thin Cloudflare Workers glue (D1, Queues, fetch): it reads,
//! calls a rule, writes what the rule returns. It exists only on wasm32.

pub mod autopay;
pub mod config;
pub mod cursor;
pub mod email;
pub mod error;
pub mod export;
pub mod forecast;
pub mod i18n;
pub mod import;
pub mod landing;
pub mod ledger;
pub mod letters;
pub mod metrics;
pub mod outbound;
pub mod promises;
pub mod ratelimit;
pub mod reminders;
pub mod risk;
pub mod routes;
pub mod rows;
pub mod security;
pub mod staff;
pub mod stripe;
pub mod webhooks;
pub mod worklist;
pub mod zone;

#[cfg(target_arch = "wasm32")]
mod worker;
