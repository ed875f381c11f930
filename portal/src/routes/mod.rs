//! One module per page.

pub mod home;
pub mod invoice;
pub mod invoices;
pub mod link;
pub mod not_found;
