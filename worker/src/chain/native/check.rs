//! The on-demand check's native part: one address, with or without a transaction hash.

use alloy_primitives::{BlockHash, BlockNumber, TxHash};
use kasse_shared::catalogue::Chain;
use kasse_shared::evm;
use kasse_shared::native::{self, Search};
use kasse_shared::session::Payment;

use super::{Watched, narrow, native_credit};
use crate::chain::blocks::read_blocks;
use crate::chain::rpc::{self, Rpc, RpcError, balance_call, receipt_call, transaction_call};
use crate::error::ApiResult;

/// The on-demand check's native part for one address: with `tx_hash`, the transaction
/// must send value straight to the address, succeed and sit in a canonical block, and the
/// credit is the balance change of that block; without one, the range `(from − 1, head]`
/// is searched for this address alone. Credits come back uncounted.
pub(crate) async fn check_credits(
    rpc: &Rpc,
    chain: &Chain,
    watched: &Watched,
    from: BlockNumber,
    head: BlockNumber,
    tx_hash: Option<TxHash>,
) -> ApiResult<Vec<Payment>> {
    let searched = match tx_hash {
        Some(hash) => proven_search(rpc, watched, hash, head).await?,
        None => recent_search(rpc, watched, from, head)
            .await?
            .map(|s| (s, None)),
    };
    let Some((search, proven_block)) = searched else {
        return Ok(Vec::new());
    };
    let credits: Vec<native::Change> = narrow(rpc, chain, search)
        .await?
        .into_iter()
        .filter(|c| c.credit().is_some())
        .collect();
    let numbers: Vec<BlockNumber> = credits.iter().map(|c| c.block).collect();
    let blocks = read_blocks(rpc, chain, &numbers, true).await?;
    Ok(credits
        .iter()
        .filter_map(|c| {
            let block = blocks.get(&c.block)?;
            // A receipt from a block that is no longer canonical proves nothing.
            if tx_hash.is_some() && proven_block != Some(block.hash) {
                return None;
            }
            let sender = native::sender_tx(&block.transactions, watched.address);
            // A hash the shopper gave is proven by its receipt in this very block.
            let tx_hash = tx_hash.filter(|_| sender.is_some()).or(sender);
            Some(native_credit(
                chain,
                c.block,
                block.hash,
                block.time,
                tx_hash,
                c.credit()?,
            ))
        })
        .collect())
}

/// The search over the one block a transaction hash proves a payment in, with that
/// block's hash from the receipt; `None` when the transaction proves nothing here.
async fn proven_search(
    rpc: &Rpc,
    watched: &Watched,
    hash: TxHash,
    head: BlockNumber,
) -> ApiResult<Option<(Search, Option<BlockHash>)>> {
    let results = rpc
        .batch(&[transaction_call(hash), receipt_call(hash)])
        .await?;
    let proven = evm::coin_payment_block(&results[0], &results[1], watched.address)
        .map_err(RpcError::Malformed)?;
    let Some(proven) = proven else {
        return Ok(None);
    };
    let block = proven.number;
    if block <= watched.baseline_block || block > head {
        return Ok(None);
    }
    let balance_at = |block: BlockNumber| balance_call(&watched.address, block);
    let reads = rpc
        .batch(&[balance_at(block - 1), balance_at(block)])
        .await?;
    let mut search = Search::new();
    search.add(
        watched.address,
        (block - 1, rpc::u256(&reads[0])?),
        (block, rpc::u256(&reads[1])?),
    );
    Ok(Some((search, proven.hash)))
}

/// The search over `(from − 1, head]` (from the baseline if later) for one address;
/// `None` when that range is empty.
async fn recent_search(
    rpc: &Rpc,
    watched: &Watched,
    from: BlockNumber,
    head: BlockNumber,
) -> ApiResult<Option<Search>> {
    let anchor = from.saturating_sub(1).max(watched.baseline_block);
    if anchor >= head {
        return Ok(None);
    }
    let balance_at = |block: BlockNumber| balance_call(&watched.address, block);
    let reads = rpc.batch(&[balance_at(anchor), balance_at(head)]).await?;
    let start = if anchor == watched.baseline_block {
        watched.baseline
    } else {
        rpc::u256(&reads[0])?
    };
    let mut search = Search::new();
    search.add(
        watched.address,
        (anchor, start),
        (head, rpc::u256(&reads[1])?),
    );
    Ok(Some(search))
}
