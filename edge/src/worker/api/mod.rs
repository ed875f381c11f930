//! Handlers, one module per resource.

pub mod api_keys;
pub mod audit;
pub mod checkout;
pub mod customers;
pub mod dunning;
pub mod invoices;
pub mod links;
pub mod organizations;
pub mod portal;
pub mod reminder_config;
