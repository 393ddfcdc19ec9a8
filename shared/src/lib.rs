//! Kasse's domain: everything that decides, nothing that does I/O.
//!
//! Invariant: this crate never touches the network, storage or the clock.
//! The worker and the widget read the world, call in here, and write back.

pub mod account;
pub mod api;
pub mod catalogue;
pub mod eip681;
pub mod hd;
pub mod health;
pub mod ids;
pub mod money;
pub mod quote;
pub mod session;
pub mod time;
