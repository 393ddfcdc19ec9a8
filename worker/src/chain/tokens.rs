//! ERC-20 transfers: the `eth_getLogs` calls that find them, the receipt that proves one,
//! and the times of the blocks they were mined in.

use std::collections::BTreeMap;

use alloy_primitives::{Address, BlockHash, BlockNumber, TxHash};
use kasse_shared::catalogue::Chain;
use kasse_shared::evm::{self, TransferLog};
use kasse_shared::time::Timestamp;
use serde_json::Value;

use super::blocks::{header_hash, read_blocks};
use super::rpc::{Call, Rpc, block_call, receipt_call};
use crate::error::{ApiResult, chain_error};

/// The `eth_getLogs` calls for the catalogue tokens' transfers to `addresses` in the blocks
/// `from..=to`: none for no address.
pub(crate) fn log_calls(
    chain: &Chain,
    addresses: &[String],
    from: BlockNumber,
    to: BlockNumber,
) -> Vec<Call> {
    let per_call = chain.rpc_limits.max_addresses_per_call;
    evm::transfer_log_filters(&chain.tokens, addresses, per_call, from, to)
        .into_iter()
        .map(|params| Call {
            method: "eth_getLogs",
            params,
        })
        .collect()
}

/// The transfers in the answers to [`log_calls`].
pub(crate) fn parse_logs(chain: &Chain, answers: &[Value]) -> ApiResult<Vec<TransferLog>> {
    evm::parse_logs(&chain.tokens, answers).map_err(chain_error)
}

/// The catalogue tokens' transfers to `addresses` in the blocks `from..=to`.
pub(crate) async fn transfer_logs(
    rpc: &Rpc,
    chain: &Chain,
    addresses: &[String],
    from: BlockNumber,
    to: BlockNumber,
) -> ApiResult<Vec<TransferLog>> {
    let calls = log_calls(chain, addresses, from, to);
    if calls.is_empty() {
        return Ok(Vec::new());
    }
    let results = rpc.batches(&calls, &chain.rpc_limits).await?;
    parse_logs(chain, &results)
}

/// Catalogue-token transfers to `address` in a successful transaction in a canonical block;
/// none at all when the chain has no receipt of `hash` (no such transaction mined there).
pub(crate) async fn receipt_transfers(
    rpc: &Rpc,
    chain: &Chain,
    hash: TxHash,
    address: Address,
) -> ApiResult<Option<Vec<TransferLog>>> {
    let results = rpc.batch(&[receipt_call(hash)]).await?;
    if results[0].is_null() {
        return Ok(None);
    }
    let transfers = evm::receipt_transfers(&chain.tokens, &results[0], address);
    // A receipt from a block that is no longer canonical proves nothing.
    if let Some(t) = transfers.first() {
        let block = rpc.batch(&[block_call(t.block_number, false)]).await?;
        if header_hash(&block[0])? != t.block_hash {
            return Ok(Some(Vec::new()));
        }
    }
    Ok(Some(transfers))
}

/// Block timestamps of `blocks`, checking each hash against what the logs said.
pub(crate) async fn block_times(
    rpc: &Rpc,
    chain: &Chain,
    blocks: &BTreeMap<BlockNumber, BlockHash>,
) -> ApiResult<BTreeMap<BlockNumber, Timestamp>> {
    let numbers: Vec<BlockNumber> = blocks.keys().copied().collect();
    let read = read_blocks(rpc, chain, &numbers, false).await?;
    let mut times = BTreeMap::new();
    for (number, expected_hash) in blocks {
        match read.get(number) {
            Some(block) if block.hash == *expected_hash => {
                times.insert(*number, block.time);
            }
            _ => {
                return Err(chain_error(format!(
                    "block {number} changed during the scan (reorg); retrying next run"
                )));
            }
        }
    }
    Ok(times)
}
