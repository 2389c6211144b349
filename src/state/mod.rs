//! The private state of nightly runs.

pub mod ledger;
pub mod partials;
