//! Block reads: headers (hash and time) and, when a credit's sender is wanted, the
//! transactions.

use std::collections::BTreeMap;

use alloy_primitives::{BlockHash, BlockNumber};
use kasse_shared::catalogue::Chain;
use kasse_shared::evm::{self, Block};
use serde_json::Value;

use super::rpc::{Call, Rpc, block_call};
use crate::error::{ApiResult, chain_error};

/// The hash of a block header as `eth_getBlockByNumber` answered it.
pub(crate) fn header_hash(header: &Value) -> ApiResult<BlockHash> {
    evm::header_hash(header).map_err(chain_error)
}

/// Blocks by number (with their transactions when `full`), batched within the provider's
/// limits.
pub(crate) async fn read_blocks(
    rpc: &Rpc,
    chain: &Chain,
    numbers: &[BlockNumber],
    full: bool,
) -> ApiResult<BTreeMap<BlockNumber, Block>> {
    if numbers.is_empty() {
        return Ok(BTreeMap::new());
    }
    let calls: Vec<Call> = numbers.iter().map(|n| block_call(*n, full)).collect();
    let results = rpc.batches(&calls, &chain.rpc_limits).await?;
    numbers
        .iter()
        .zip(&results)
        .map(|(n, block)| Ok((*n, evm::parse_block(block, full).map_err(chain_error)?)))
        .collect()
}
