//! Evidence: the audit trail's hash chain and what an evidence pack holds,
//! so that the worker that writes a pack and the command that checks it
//! offline (`cargo xtask verify-evidence`) read it the same way.

pub mod chain;
pub mod pack;

#[cfg(test)]
mod tests;
