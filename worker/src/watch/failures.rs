//! Sessions that failed this run: one session's failure never stops the run for any other.

use std::collections::{BTreeMap, BTreeSet};

use alloy_primitives::{BlockNumber, ChainId};
use kasse_shared::ids::SessionId;

use crate::error::ApiError;

/// Sessions whose evaluation or write failed this run, per chain they are watched on: each
/// is logged with its id, counted in health, and retried next run.
#[derive(Default)]
pub(crate) struct Failures {
    sessions: BTreeMap<ChainId, BTreeSet<SessionId>>,
    /// Per chain, the lowest block holding a transfer that could not be recorded: the
    /// cursor stays before it.
    unrecorded: BTreeMap<ChainId, BlockNumber>,
}

impl Failures {
    pub(crate) fn add(
        &mut self,
        chains: &[ChainId],
        session_id: &SessionId,
        what: &str,
        e: &ApiError,
    ) {
        worker::console_error!(
            "watcher: session {session_id}: {what} failed: {}",
            e.message
        );
        for chain in chains {
            self.sessions
                .entry(*chain)
                .or_default()
                .insert(session_id.clone());
        }
    }

    /// Transfers of `chain_id` that could not be recorded (already logged by the store).
    pub(crate) fn unrecorded(&mut self, chain_id: ChainId, failed: Vec<(SessionId, BlockNumber)>) {
        for (session_id, block) in failed {
            self.sessions
                .entry(chain_id)
                .or_default()
                .insert(session_id);
            let lowest = self.unrecorded.entry(chain_id).or_insert(block);
            *lowest = (*lowest).min(block);
        }
    }

    /// The lowest block of `chain_id` holding a transfer that could not be recorded.
    pub(crate) fn lowest_unrecorded(&self, chain_id: ChainId) -> Option<BlockNumber> {
        self.unrecorded.get(&chain_id).copied()
    }

    pub(crate) fn on(&self, chain_id: ChainId) -> u64 {
        self.sessions.get(&chain_id).map_or(0, |s| s.len() as u64)
    }

    pub(crate) fn ids(&self) -> BTreeSet<&SessionId> {
        self.sessions.values().flatten().collect()
    }
}
