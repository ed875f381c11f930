//! Handlers, one module per resource.

pub mod alerts;
pub mod api_keys;
pub mod audit;
pub mod autopay;
pub mod catalog;
pub mod checkout;
pub mod customers;
pub mod disputes;
pub mod emails;
pub mod invoices;
pub mod links;
pub mod logos;
pub mod operator;
pub mod organizations;
pub mod payments;
pub mod plans;
pub mod portal;
pub mod preferences;
pub mod promises;
pub mod reminder_config;
pub mod reminders;
pub mod stripe_account;
pub mod subscriptions;
pub mod team;
pub mod timeline;
pub mod webhooks;
