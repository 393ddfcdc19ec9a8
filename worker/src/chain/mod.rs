//! Reading the chains: the JSON-RPC client, ERC-20 transfers, blocks and the native coin.
//!
//! This layer only reads. It depends on `kasse_shared` and the error type, never on the
//! store: it returns what it found, and the watcher or the check records it.

pub(crate) mod blocks;
pub(crate) mod native;
pub(crate) mod rpc;
pub(crate) mod tokens;
