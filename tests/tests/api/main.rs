//! Integration tests: the HTTP API of a real `wrangler dev` (workerd, local
//! D1) with the email stand-in. `cargo xtask test` starts both and passes
//! their addresses in `SETTLE_BASE_URL` and `SETTLE_MAIL_URL`. Each test
//! works in an organization of its own, so tests run in parallel.

mod helpers;

mod api_keys;
mod autopay;
mod bad_input;
mod balance_plans;
mod branding;
mod checkout;
mod clock_travel;
mod customers;
mod database;
mod disputes;
mod email;
mod evidence;
mod exports;
mod imports;
mod invoices;
mod isolation;
mod ledger;
mod links;
mod metrics;
mod plans;
mod promises;
mod reminder_config;
mod reminders;
mod stripe;
mod stripe_account;
mod subscription_changes;
mod subscriptions;
mod team;
mod webhooks;
mod worklist;
