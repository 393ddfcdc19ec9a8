//! Kasse's domain: everything that decides, nothing that does I/O.
//!
//! Invariant: this crate never touches the network, storage or the clock.
//! The worker and the widget read the world, call in here, and write back.
//!
//! Without the default `domain` feature only the plain wire types remain (`shopper`,
//! `status`, `time`): that is what the widget compiles, with no U256 or crypto in it.

pub mod error_code;
pub mod locale;
pub mod shopper;
pub mod status;
pub mod time;

#[cfg(feature = "domain")]
pub mod abi;
#[cfg(feature = "domain")]
pub mod account;
#[cfg(feature = "domain")]
pub mod api;
#[cfg(feature = "domain")]
pub mod balance_reader;
#[cfg(feature = "domain")]
pub mod catalogue;
#[cfg(feature = "domain")]
pub mod client_ip;
#[cfg(feature = "domain")]
pub mod eip681;
#[cfg(feature = "domain")]
pub mod evm;
#[cfg(feature = "domain")]
pub mod hd;
#[cfg(feature = "domain")]
pub mod health;
#[cfg(feature = "domain")]
pub mod ids;
#[cfg(feature = "domain")]
pub mod link;
#[cfg(feature = "domain")]
pub mod money;
#[cfg(feature = "domain")]
pub mod native;
#[cfg(feature = "domain")]
pub mod order;
#[cfg(feature = "domain")]
pub mod params;
#[cfg(feature = "domain")]
pub mod price;
#[cfg(feature = "domain")]
pub mod quote;
#[cfg(feature = "domain")]
pub mod refund;
#[cfg(feature = "domain")]
pub mod refund_verify;
#[cfg(feature = "domain")]
pub mod scan;
#[cfg(feature = "domain")]
pub mod session;
#[cfg(feature = "domain")]
pub mod sweep;
#[cfg(feature = "domain")]
pub mod tron;
#[cfg(feature = "domain")]
pub mod webhook;
