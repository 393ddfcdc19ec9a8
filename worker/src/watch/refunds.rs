//! Verifying pending refunds in each chain's scan. Token refunds cost the scan no request:
//! their addresses join its `Transfer` filter. The reported transactions the run reads
//! again (a native refund's always, a token refund's until a transfer is recorded) go in
//! one more batch per chain and run, whatever their number, and only when there are some;
//! a provider that refuses it stops that step alone. What the answers show is decided by
//! `kasse_shared::refund_verify` and written refund by refund with its event.
//!
//! A native refund without a reported hash waits for one: a plain coin transfer leaves no
//! log to find it by. One refund's failure (its account's settings, a write) is logged and
//! counted, and the run goes on with the others.

use std::collections::BTreeSet;
use std::ops::RangeInclusive;

use alloy_primitives::BlockNumber;
use kasse_shared::catalogue::Chain;
use kasse_shared::evm::TransferLog;
use kasse_shared::refund::Refund;
use kasse_shared::refund_verify::{
    Step, apply, read_submitted, recorded, required_confirmations, watch_logs, watch_receipt,
};
use kasse_shared::time::Timestamp;
use serde_json::{Value, json};

use crate::chain::rpc::{Call, Rpc, RpcError, quantity, receipt_call, transaction_call};
use crate::chain::tokens::parse_logs;
use crate::error::{ApiResult, chain_error};
use crate::outbox;
use crate::store::{Store, WatchedRefund, address_key};

/// Reported transactions one run reads again per chain at most (two calls each), taken in
/// turns from run to run, so that they fit one batch.
const RECHECKS_PER_RUN: usize = 20;

/// The pending refunds of one chain in one run.
#[derive(Default)]
pub(super) struct RefundWatch {
    watched: Vec<WatchedRefund>,
    /// Indices into `watched` of the refunds whose reported transaction is read this run.
    rechecked: Vec<usize>,
}

/// Whether the run reads a refund's reported transaction: a native refund's always (that is
/// how it is verified), a token refund's until the logs have recorded a transfer.
fn reads_receipt(refund: &Refund) -> bool {
    refund.submitted_hash.is_some()
        && (refund.contract_address.is_none() || recorded(refund).is_none())
}

impl RefundWatch {
    /// The chain's pending refunds; none (logged) when they cannot be read, so that the scan
    /// goes on for the sessions.
    pub(super) async fn load(store: &Store, chain: &Chain, now: Timestamp) -> Self {
        let watched = match store.watched_refunds(chain.chain_id).await {
            Ok(watched) => watched,
            Err(e) => {
                worker::console_error!(
                    "watcher: chain {}: reading pending refunds failed: {}",
                    chain.chain_id,
                    e.message
                );
                return Self::default();
            }
        };
        let due: Vec<usize> = (0..watched.len())
            .filter(|&i| reads_receipt(&watched[i].refund))
            .collect();
        // In turns: each run starts at another place in the list.
        let start = if due.is_empty() {
            0
        } else {
            (now.0 / 60) as usize % due.len()
        };
        let rechecked = due
            .iter()
            .cycle()
            .skip(start)
            .take(due.len().min(RECHECKS_PER_RUN))
            .copied()
            .collect();
        Self { watched, rechecked }
    }

    /// The token refunds' addresses, lowercase, for the chain's `Transfer` filter.
    pub(super) fn addresses(&self) -> BTreeSet<String> {
        self.watched
            .iter()
            .filter(|w| w.refund.contract_address.is_some())
            .filter_map(|w| w.refund.address.as_ref().map(address_key))
            .collect()
    }

    /// The head and the receipt and transaction of each reported transaction read this run,
    /// in one batch; `None` (logged) when there are none or the provider refused.
    async fn receipts(&self, chain: &Chain, rpc: &Rpc) -> Option<(BlockNumber, Vec<Value>)> {
        if self.rechecked.is_empty() {
            return None;
        }
        let mut calls = vec![Call {
            method: "eth_blockNumber",
            params: json!([]),
        }];
        calls.extend(
            self.rechecked
                .iter()
                .filter_map(|&i| self.watched[i].refund.submitted_hash)
                .flat_map(|hash| [receipt_call(hash), transaction_call(hash)]),
        );
        let read = async {
            let mut answers = rpc.batch(&calls).await?;
            let head = quantity(&answers[0])?;
            answers.remove(0);
            Ok::<_, RpcError>((head, answers))
        };
        match read.await {
            Ok(read) => Some(read),
            Err(e) => {
                worker::console_warn!(
                    "watcher: chain {}: reading reported refund transactions: {e}",
                    chain.chain_id
                );
                None
            }
        }
    }

    /// Decides every pending refund from the run's `Transfer` logs of the blocks `window`
    /// and the reported transactions read now, and writes each change with its event.
    /// Returns how many refunds failed (each logged).
    pub(super) async fn verify(
        self,
        store: &Store,
        chain: &Chain,
        rpc: &Rpc,
        logs: &[Value],
        window: RangeInclusive<BlockNumber>,
        now: Timestamp,
    ) -> u64 {
        let transfers = match parse_logs(chain, logs) {
            Ok(transfers) => Some(transfers),
            Err(e) => {
                worker::console_error!("watcher: chain {}: refunds: {}", chain.chain_id, e.message);
                None
            }
        };
        let receipts = self.receipts(chain, rpc).await;
        let mut failed = 0;
        for (i, w) in self.watched.iter().enumerate() {
            let receipt = receipts.as_ref().and_then(|(head, answers)| {
                let at = self.rechecked.iter().position(|&r| r == i)?;
                Some((*head, answers.get(2 * at..2 * at + 2)?))
            });
            let seen = Seen {
                chain,
                transfers: transfers.as_deref(),
                receipt,
                window: &window,
            };
            if let Err(e) = verify_one(store, &seen, w, now).await {
                failed += 1;
                worker::console_error!(
                    "watcher: chain {}: refund {}: {}",
                    chain.chain_id,
                    w.refund.id,
                    e.message
                );
            }
        }
        failed
    }
}

/// What the run read that may concern a refund.
struct Seen<'a> {
    chain: &'a Chain,
    /// The chain's token transfers to watched addresses; `None` when the logs were unreadable.
    transfers: Option<&'a [TransferLog]>,
    /// The head, and the receipt and transaction of the refund's reported hash, when read
    /// this run.
    receipt: Option<(BlockNumber, &'a [Value])>,
    window: &'a RangeInclusive<BlockNumber>,
}

/// Decides one refund and writes the change, if there is one.
async fn verify_one(
    store: &Store,
    seen: &Seen<'_>,
    watched: &WatchedRefund,
    now: Timestamp,
) -> ApiResult<()> {
    let refund = &watched.refund;
    let settings = watched.settings.as_ref().map_err(Clone::clone)?;
    let required = required_confirmations(seen.chain, settings);
    let from_logs = match (refund.contract_address, seen.transfers) {
        (Some(_), Some(transfers)) => {
            watch_logs(refund, seen.chain, transfers, seen.window, required)
        }
        _ => None,
    };
    let decided = match (from_logs, seen.receipt) {
        (Some(step), _) => Some((step, *seen.window.end())),
        (None, Some((head, [receipt, transaction]))) => {
            let submitted =
                read_submitted(refund, seen.chain, receipt, transaction).map_err(chain_error)?;
            watch_receipt(refund, submitted, head, required).map(|step| (step, head))
        }
        _ => None,
    };
    let Some((step, head)) = decided else {
        return Ok(());
    };
    write(store, refund, step, head, now).await
}

/// Writes `step` (decided at the chain's `head`) on `refund` with its event; a refund
/// another run or request changed first is left to it.
async fn write(
    store: &Store,
    refund: &Refund,
    step: Step,
    head: BlockNumber,
    now: Timestamp,
) -> ApiResult<()> {
    let change = apply(refund, step, now);
    let after = &change.refund;
    let confirmations = after.block_number.map(|_| after.confirmations(Some(head)));
    let event = change
        .event
        .map(|kind| outbox::refund_event_at(after, kind, confirmations))
        .transpose()?;
    let written = store
        .change_refund(&change.refund, event.as_ref(), now)
        .await?;
    let what = match step {
        Step::Record(_) => "a transfer recorded",
        Step::Succeed(_) => "succeeded",
        Step::Clear => "its transfer left the chain; pending again",
        Step::Fail => "its transaction reverted; failed",
        Step::Forget => "the reported transaction does not pay it; forgotten",
    };
    if written {
        worker::console_log!("watcher: refund {}: {what}", refund.id);
    } else {
        worker::console_log!(
            "watcher: refund {}: changed by another writer first",
            refund.id
        );
    }
    Ok(())
}
