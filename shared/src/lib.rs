//! Types and pure rules that both the edge worker and the portal use.
//!
//! Nothing here depends on a runtime: no `worker`, no `leptos`, no `web-sys`.
//! Values are parsed at the boundary into the types below; past the boundary
//! a value of one of these types is valid.

pub mod aging;
pub mod api;
pub mod billing;
pub mod branding;
pub mod decimal;
pub mod dispute;
pub mod error;
pub mod evidence;
pub mod fx;
pub mod ids;
pub mod invoice;
pub mod money;
pub mod pay_all;
pub mod plan;
pub mod reminders;
pub mod sort;
pub mod staff;
pub mod text;
pub mod time;

pub use error::{ErrorBody, ErrorCode};
pub use money::{Currency, Money, MoneyError};
