//! Handlers, one module per resource.

pub mod audit;
pub mod checkout;
pub mod customers;
pub mod invoices;
pub mod links;
pub mod organizations;
pub mod portal;
pub mod stripe_webhook;
