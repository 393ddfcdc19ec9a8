//! Verifying refunds on-chain. A pending refund is paid by one transfer of exactly its
//! amount, of its token, on its chain, to its address, mined after the refund was created;
//! anything else (another amount, another token, an earlier block) never completes it. The
//! transfer is first recorded on the refund, and the refund succeeds once that transfer is
//! as deep as a payment to the same account must be. A recorded transfer that leaves the
//! chain (a reorg) is forgotten again and the refund waits for the next one.
//!
//! Token refunds are found in the watcher's `Transfer` logs, with or without a reported
//! hash; native refunds only from a reported hash (a plain coin transfer leaves no log), by
//! the transaction's recipient and value and its receipt.

use std::ops::RangeInclusive;

use alloy_primitives::{Address, B256, BlockHash, BlockNumber, TxHash, U256};
use serde_json::Value;

use crate::account::Settings;
use crate::api::sweeps::tx_hash;
use crate::catalogue::Chain;
use crate::error_code::ErrorCode;
use crate::evm::{self, TransferLog, hex_u64, hex_u256};
use crate::params::{ParamError, object, reject_unknown};
use crate::quote::confirmations_required;
use crate::refund::{Refund, RefundFailure, RefundStatus};
use crate::session::EventType;
use crate::time::Timestamp;

/// The transfer recorded on a refund as the one that pays it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordedTransfer {
    pub tx_hash: TxHash,
    /// `None` for a native transfer.
    pub log_index: Option<u64>,
    pub block_number: BlockNumber,
    pub block_hash: BlockHash,
}

impl RecordedTransfer {
    /// How deep the transfer is at `head` (0 above it).
    pub fn confirmations(&self, head: BlockNumber) -> u64 {
        head.checked_sub(self.block_number).map_or(0, |d| d + 1)
    }

    fn of_log(log: &TransferLog) -> Self {
        Self {
            tx_hash: log.tx_hash,
            log_index: Some(log.log_index),
            block_number: log.block_number,
            block_hash: log.block_hash,
        }
    }
}

/// The transfer recorded on `refund`, if one is.
pub fn recorded(refund: &Refund) -> Option<RecordedTransfer> {
    Some(RecordedTransfer {
        tx_hash: refund.tx_hash?,
        log_index: refund.log_index,
        block_number: refund.block_number?,
        block_hash: refund.block_hash?,
    })
}

/// Confirmations a refund's transfer needs: the chain's minimum and the extra ones the
/// refund's account asks of its payments there.
pub fn required_confirmations(chain: &Chain, settings: &Settings) -> u32 {
    confirmations_required(chain, settings).max(1)
}

/// Whether a token transfer pays `refund`: its token's contract, exactly its amount, to its
/// address, mined after it was created.
pub fn log_pays(refund: &Refund, chain: &Chain, log: &TransferLog) -> bool {
    let contract = chain.token(&log.token).map(|t| t.contract);
    refund.contract_address.is_some()
        && contract == refund.contract_address
        && Some(log.to) == refund.address
        && log.amount == refund.amount
        && log.block_number > refund.created_block
}

/// Why a mined, successful transaction does not pay a refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mismatch {
    /// Nothing of the refund's token (or coin) reaches its address.
    NoTransfer,
    /// The token or coin reaches the address, in another amount (the first one found).
    OtherAmount(U256),
    /// The right transfer, mined in a block before the refund was created (it is someone
    /// else's, or an earlier payment).
    MinedBefore(BlockNumber),
}

/// What a reported transaction's receipt says about a refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Submitted {
    /// No receipt yet (not mined, or unknown to the node).
    NotMined,
    /// Mined and reverted: nothing moved.
    Reverted,
    Mismatch(Mismatch),
    Matches(RecordedTransfer),
}

/// Reads the answers to `eth_getTransactionReceipt` and `eth_getTransactionByHash` of a
/// transaction reported for `refund`. An answer that is not shaped like a receipt is an
/// error (the node is at fault, not the merchant).
pub fn read_submitted(
    refund: &Refund,
    chain: &Chain,
    receipt: &Value,
    transaction: &Value,
) -> Result<Submitted, String> {
    if receipt.is_null() || receipt["blockNumber"].is_null() {
        return Ok(Submitted::NotMined);
    }
    match receipt["status"].as_str() {
        Some("0x1") => {}
        Some("0x0") => return Ok(Submitted::Reverted),
        _ => return Err(format!("a receipt without a status: {receipt}")),
    }
    let Some(address) = refund.address else {
        return Ok(Submitted::Mismatch(Mismatch::NoTransfer));
    };
    let found = match refund.contract_address {
        Some(_) => token_transfers(refund, chain, receipt, address),
        None => coin_transfer(receipt, transaction, address)?,
    };
    Ok(matching(refund, &found))
}

/// The refund's token's transfers to `address` in a successful receipt.
fn token_transfers(
    refund: &Refund,
    chain: &Chain,
    receipt: &Value,
    address: Address,
) -> Vec<(U256, RecordedTransfer)> {
    evm::receipt_transfers(&chain.tokens, receipt, address)
        .iter()
        .filter(|t| chain.token(&t.token).map(|tk| tk.contract) == refund.contract_address)
        .map(|t| (t.amount, RecordedTransfer::of_log(t)))
        .collect()
}

/// The coin a successful transaction sends to `address` with its own value.
fn coin_transfer(
    receipt: &Value,
    transaction: &Value,
    address: Address,
) -> Result<Vec<(U256, RecordedTransfer)>, String> {
    let to: Option<Address> = transaction["to"].as_str().and_then(|t| t.parse().ok());
    if transaction.is_null() || to != Some(address) {
        return Ok(Vec::new());
    }
    let value = hex_u256(&transaction["value"])?;
    let hash = |field: &str| -> Result<B256, String> {
        receipt[field]
            .as_str()
            .and_then(|h| h.parse().ok())
            .ok_or_else(|| format!("a receipt without a {field}: {receipt}"))
    };
    Ok(vec![(
        value,
        RecordedTransfer {
            tx_hash: hash("transactionHash")?,
            log_index: None,
            block_number: hex_u64(&receipt["blockNumber"])?,
            block_hash: hash("blockHash")?,
        },
    )])
}

/// The first of `found` (amount, transfer) that pays the refund, or why none does.
fn matching(refund: &Refund, found: &[(U256, RecordedTransfer)]) -> Submitted {
    let exact: Vec<&RecordedTransfer> = found
        .iter()
        .filter(|(amount, _)| *amount == refund.amount && !amount.is_zero())
        .map(|(_, t)| t)
        .collect();
    if let Some(t) = exact.iter().find(|t| t.block_number > refund.created_block) {
        return Submitted::Matches(**t);
    }
    Submitted::Mismatch(match (exact.first(), found.first()) {
        (Some(t), _) => Mismatch::MinedBefore(t.block_number),
        (None, Some((amount, _))) if !amount.is_zero() => Mismatch::OtherAmount(*amount),
        _ => Mismatch::NoTransfer,
    })
}

/// What verification changes on a pending refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Record this transfer (found, or moved to another block); it is not deep enough yet.
    Record(RecordedTransfer),
    /// This transfer pays the refund and is deep enough: the refund succeeded.
    Succeed(RecordedTransfer),
    /// The recorded transfer left the chain: the refund waits for a transfer again.
    Clear,
    /// The reported transaction reverted.
    Fail,
    /// The reported transaction was mined and does not pay the refund: it is not checked
    /// again (the merchant may report another).
    Forget,
}

/// Where a transfer stands: recorded as it is now, and whether it is deep enough.
fn settle(
    now: RecordedTransfer,
    before: Option<RecordedTransfer>,
    head: BlockNumber,
    required: u32,
) -> Option<Step> {
    if now.confirmations(head) >= u64::from(required.max(1)) {
        Some(Step::Succeed(now))
    } else if before == Some(now) {
        None
    } else {
        Some(Step::Record(now))
    }
}

/// What a run's `Transfer` logs of the blocks `window` (its end the head the run read)
/// change on a pending token refund. A recorded transfer inside the window that the logs no
/// longer show (or show in another block) was reorged; one below the window is taken as
/// recorded, as payments are.
pub fn watch_logs(
    refund: &Refund,
    chain: &Chain,
    logs: &[TransferLog],
    window: &RangeInclusive<BlockNumber>,
    required: u32,
) -> Option<Step> {
    let head = *window.end();
    let mut paying: Vec<&TransferLog> =
        logs.iter().filter(|l| log_pays(refund, chain, l)).collect();
    paying.sort_by_key(|l| (l.block_number, l.log_index));
    let first = paying.first().map(|l| RecordedTransfer::of_log(l));
    let Some(before) = recorded(refund) else {
        return first.and_then(|t| settle(t, None, head, required));
    };
    if !window.contains(&before.block_number) {
        return settle(before, Some(before), head, required);
    }
    let same = paying
        .iter()
        .find(|l| l.tx_hash == before.tx_hash && Some(l.log_index) == before.log_index)
        .map(|l| RecordedTransfer::of_log(l));
    match same.or(first) {
        Some(now) => settle(now, Some(before), head, required),
        None => Some(Step::Clear),
    }
}

/// What a reported transaction's receipt (read at `head`) changes on a pending refund.
pub fn watch_receipt(
    refund: &Refund,
    submitted: Submitted,
    head: BlockNumber,
    required: u32,
) -> Option<Step> {
    let before = recorded(refund);
    match submitted {
        Submitted::NotMined => before.map(|_| Step::Clear),
        Submitted::Reverted => Some(Step::Fail),
        Submitted::Mismatch(_) => Some(Step::Forget),
        Submitted::Matches(now) => settle(now, before, head, required),
    }
}

/// A refund as a verification step leaves it, with the event that announces the change
/// (`None` when its status stays).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub refund: Refund,
    pub event: Option<EventType>,
}

/// `refund` after `step`, at its next version.
pub fn apply(refund: &Refund, step: Step, now: Timestamp) -> Change {
    let mut next = Refund {
        version: refund.version + 1,
        updated_at: now,
        ..refund.clone()
    };
    let mut event = None;
    match step {
        Step::Record(t) => record(&mut next, Some(t)),
        Step::Succeed(t) => {
            record(&mut next, Some(t));
            next.status = RefundStatus::Succeeded;
            next.succeeded_at = Some(now);
            event = Some(EventType::RefundSucceeded);
        }
        Step::Clear => record(&mut next, None),
        Step::Fail => {
            let failure = RefundFailure::TransactionReverted;
            next.status = RefundStatus::Failed;
            next.failure_code = Some(failure);
            next.failure_message = Some(failure.message().to_owned());
            event = Some(EventType::RefundFailed);
        }
        Step::Forget => {
            record(&mut next, None);
            next.submitted_hash = None;
        }
    }
    Change {
        refund: next,
        event,
    }
}

fn record(refund: &mut Refund, transfer: Option<RecordedTransfer>) {
    refund.tx_hash = transfer.map(|t| t.tx_hash);
    refund.log_index = transfer.and_then(|t| t.log_index);
    refund.block_number = transfer.map(|t| t.block_number);
    refund.block_hash = transfer.map(|t| t.block_hash);
}

/// What reporting `hash` for a pending `refund` does, from its receipt read at `head`: the
/// hash is kept (the watcher reads it again while the refund waits), a reverted
/// transaction fails the refund, a matching transfer is recorded and succeeds once deep
/// enough. A mined transaction that does not pay the refund changes nothing.
pub fn submit(
    refund: &Refund,
    hash: TxHash,
    submitted: Submitted,
    head: BlockNumber,
    required: u32,
    now: Timestamp,
) -> Result<Change, Mismatch> {
    let step = match submitted {
        Submitted::Mismatch(why) => return Err(why),
        Submitted::NotMined => None,
        Submitted::Reverted => Some(Step::Fail),
        Submitted::Matches(t) => settle(t, recorded(refund), head, required),
    };
    let reported = Refund {
        submitted_hash: Some(hash),
        ..refund.clone()
    };
    Ok(match step {
        Some(step) => apply(&reported, step, now),
        None => Change {
            refund: Refund {
                version: refund.version + 1,
                updated_at: now,
                ..reported
            },
            event: None,
        },
    })
}

/// `POST /v1/refunds/{id}/submit`: the hash of the transaction that sent the refund.
pub fn parse_submission(body: &str) -> Result<TxHash, ParamError> {
    let map = object(body)?;
    reject_unknown(&map, &["tx_hash"])?;
    match map.get("tx_hash") {
        None | Some(Value::Null) => Err(ParamError::new(
            ErrorCode::ParameterMissing,
            "tx_hash",
            "tx_hash is required: the hash of the transaction that sent the refund.",
        )),
        Some(v) => v.as_str().and_then(tx_hash).ok_or_else(|| {
            ParamError::new(
                ErrorCode::ParameterInvalid,
                "tx_hash",
                "tx_hash must be 0x followed by 64 hex digits.",
            )
        }),
    }
}

#[cfg(test)]
mod tests;
