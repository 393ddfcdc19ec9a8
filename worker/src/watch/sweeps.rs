//! Verifying reported sweeps, per chain, once its scan has run: the receipt and transaction
//! of each pending sweep in one JSON-RPC batch, the moves out of addresses decided by
//! `kasse_shared::sweep`, kept only where the address is a deposit address of the sweep's
//! account and mode, and the decision written with its event. A sweep never touches a
//! session's payments or status: money leaving an address is not a payment.

use alloy_primitives::BlockNumber;
use kasse_shared::catalogue::Chain;
use kasse_shared::sweep::{
    Decision, Sweep, SweepStatus, SweptTransfer, decide, read_transaction, senders,
};
use kasse_shared::time::Timestamp;
use serde_json::{Value, json};

use crate::chain::rpc::{Call, Rpc, quantity, receipt_call, transaction_call};
use crate::entropy;
use crate::error::{ApiResult, chain_error};
use crate::outbox;
use crate::store::{PendingSweep, Store};

/// At most this many sweeps per chain and run, taken in turns across accounts, so that one
/// merchant's many reports cannot keep the run from everything else.
const SWEEPS_PER_RUN: u32 = 50;

/// Verifies the chain's pending sweeps; how many were decided. One sweep's failure is
/// logged and leaves it pending for the next run; an RPC failure stops only this step.
pub(super) async fn verify(
    store: &Store,
    chain: &Chain,
    rpc: &Rpc,
    now: Timestamp,
) -> ApiResult<u32> {
    // Two calls per sweep and the head must fit one batch of the provider's.
    let fitting =
        u32::try_from(chain.rpc_limits.max_batch.saturating_sub(1) / 2).unwrap_or(u32::MAX);
    let limit = SWEEPS_PER_RUN.min(fitting).max(1);
    let pending = store.pending_sweeps(chain.chain_id, limit).await?;
    if pending.is_empty() {
        return Ok(0);
    }
    let mut calls = vec![Call {
        method: "eth_blockNumber",
        params: json!([]),
    }];
    for p in &pending {
        calls.push(receipt_call(p.sweep.tx_hash));
        calls.push(transaction_call(p.sweep.tx_hash));
    }
    let answers = rpc.batch(&calls).await?;
    let head = quantity(&answers[0])?;
    let mut decided = 0;
    for (p, pair) in pending.iter().zip(answers[1..].chunks(2)) {
        let [receipt, transaction] = pair else {
            continue;
        };
        match verify_one(store, chain, p, receipt, transaction, head, now).await {
            Ok(true) => decided += 1,
            Ok(false) => {}
            Err(e) => worker::console_error!(
                "watcher: chain {}: sweep {}: {}",
                chain.chain_id,
                p.sweep.id,
                e.message
            ),
        }
    }
    Ok(decided)
}

/// Decides one sweep if its transaction is settled; whether a decision was written.
async fn verify_one(
    store: &Store,
    chain: &Chain,
    pending: &PendingSweep,
    receipt: &Value,
    transaction: &Value,
    head: BlockNumber,
    now: Timestamp,
) -> ApiResult<bool> {
    let sweep = &pending.sweep;
    let reading = read_transaction(chain, receipt, transaction, head, sweep.created_at, now)
        .map_err(chain_error)?;
    let candidates = senders(&reading);
    let deposits = store
        .deposit_sessions(&pending.account_id, sweep.livemode, &candidates)
        .await?;
    let Some(decision) = decide(reading, &deposits) else {
        return Ok(false);
    };
    let (decided, transfers) = decided(sweep, &decision, now);
    let event = outbox::sweep_event(&decided, &transfers)?;
    let token = entropy::token("wt_", 16);
    store
        .decide_sweep(pending, &decision, &event, &token, now)
        .await
}

/// The sweep as `decision` leaves it, with its transfers.
fn decided(sweep: &Sweep, decision: &Decision, now: Timestamp) -> (Sweep, Vec<SweptTransfer>) {
    let mut decided = Sweep {
        updated_at: now,
        verified_at: Some(now),
        ..sweep.clone()
    };
    match decision {
        Decision::Succeeded {
            block_number,
            transfers,
        } => {
            decided.status = SweepStatus::Succeeded;
            decided.block_number = Some(*block_number);
            (decided, transfers.clone())
        }
        Decision::Failed {
            block_number,
            failure,
        } => {
            decided.status = SweepStatus::Failed;
            decided.block_number = *block_number;
            decided.failure = Some(*failure);
            (decided, Vec::new())
        }
    }
}
