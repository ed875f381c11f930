//! Subscription billing: when periods start and end, and what a part of a
//! period costs.
//!
//! - [`period`]: the calendar of an organization's cut-off day. A period
//!   runs from one cut-off date to the next; a cut-off day past the end of a
//!   short month falls on that month's last day (the 31st is the 28th or 29th
//!   of February and the 30th of April), and the next period goes back to
//!   the 31st.
//! - [`proration`]: the one proration rule. Every prorated amount in Settle
//!   (a first partial period, a change of quantity or plan, a cancellation
//!   with credit) is [`proration::part`] of a period's price, to the day.
//! - [`catalog`]: plans and add-ons, checked.
//! - [`change`]: a subscriber's change mid-period, credited and charged
//!   by that rule.
//! - [`subscription`]: a subscriber's checked choice and the invoice it
//!   issues for a period.

pub mod catalog;
pub mod change;
pub mod period;
pub mod proration;
pub mod subscription;

pub use catalog::{Item, Kind};
pub use period::{Interval, NextBill, Period, next_bill};
pub use proration::{Change, part};
pub use subscription::{Selection, choose};
