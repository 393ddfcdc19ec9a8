//! Native-coin reads: the I/O around `kasse_shared::native` and the feed.
//!
//! * [`open`] — at creation, one `eth_call` to Multicall3 reads the head, the address's
//!   balance (the baseline) and the feed's round, all at the same block.
//! * [`Scan`] — per cron run, balances of every watched address at both ends of the rescan
//!   window (one call per 500 addresses, in the same batch as the token logs), then a
//!   search only for addresses whose balance moved unexplained. The call goes to the
//!   balance reader placed by a state override ([`BalanceRead::Reader`]); on a chain whose
//!   provider refused that in the last day, to Multicall3.
//! * [`check_credits`] — the on-demand check's search for one address.
//!
//! Credits come back as findings; the caller records them.

use std::collections::BTreeMap;

use alloy_primitives::{Address, BlockHash, BlockNumber, TxHash, U256};
use kasse_shared::abi::{self, Call3};
use kasse_shared::balance_reader;
use kasse_shared::catalogue::Chain;
use kasse_shared::ids::SessionId;
use kasse_shared::native::{self, Search};
use kasse_shared::price::{Round, sequencer_up};
use kasse_shared::quote::FeedReading;
use kasse_shared::session::{Payment, PaymentStatus};
use kasse_shared::time::Timestamp;
use serde_json::Value;

use super::rpc::{self, Call, Rpc, RpcError, balance_call, eth_call, eth_call_with_override};
use crate::error::{ApiResult, chain_error};

mod check;
mod scan;
pub(crate) use check::check_credits;
pub(crate) use scan::{Recorded, Scan};

/// Rounds of narrowing one run may spend; with a fan-out of 8 this covers 8^6 blocks,
/// far beyond the window of one run.
const MAX_ROUNDS: usize = 6;

/// What creation reads of a chain, consistent at one block.
pub(crate) struct Opening {
    pub block: BlockNumber,
    pub balance: Option<U256>,
    /// `None` if the chain has no feed or the feed could not be read.
    pub reading: Option<FeedReading>,
}

/// Head, `address`'s balance (if given) and the feed's price, in one `eth_call`.
pub(crate) async fn open(
    rpc: &Rpc,
    chain: &Chain,
    address: Option<Address>,
    now: Timestamp,
) -> ApiResult<Opening> {
    let mc = chain.multicall3;
    let mut calls = vec![Call3::block_number(mc)];
    calls.extend(address.map(|a| Call3::eth_balance(mc, a)));
    calls.extend(
        chain
            .price_feed
            .as_ref()
            .map(|f| Call3::latest_round(f.address)),
    );
    calls.extend(chain.sequencer_uptime_feed.map(Call3::latest_round));
    let results = rpc
        .batch(&[
            rpc::chain_id_call(),
            eth_call(mc, abi::aggregate3(&calls), None),
        ])
        .await?;
    rpc::expect_chain(&results[0], chain.chain_id)?;
    let mut answers = decode(&results[1])?.into_iter();
    let block = answers
        .next()
        .flatten()
        .as_deref()
        .and_then(abi::decode_uint)
        .and_then(|b| BlockNumber::try_from(b).ok())
        .ok_or_else(|| chain_error("Multicall3 getBlockNumber failed"))?;
    let balance = match address {
        Some(_) => Some(
            answers
                .next()
                .flatten()
                .as_deref()
                .and_then(abi::decode_uint)
                .ok_or_else(|| chain_error("Multicall3 getEthBalance failed"))?,
        ),
        None => None,
    };
    Ok(Opening {
        block,
        balance,
        reading: feed_reading(chain, answers, now),
    })
}

/// The feed's round and, on an L2, whether the sequencer is up, from what is left of
/// [`open`]'s answers.
fn feed_reading(
    chain: &Chain,
    mut answers: impl Iterator<Item = Option<Vec<u8>>>,
    now: Timestamp,
) -> Option<FeedReading> {
    let round = chain
        .price_feed
        .as_ref()
        .and_then(|_| answers.next().flatten())
        .as_deref()
        .and_then(abi::decode_round);
    let sequencer = match chain.sequencer_uptime_feed {
        None => Some(true),
        Some(_) => answers
            .next()
            .flatten()
            .as_deref()
            .and_then(abi::decode_round)
            .map(|r| sequencer_up(r.answer, r.started_at, now)),
    };
    round.zip(sequencer).map(|(r, up)| FeedReading {
        round: Round {
            answer: r.answer,
            updated_at: r.updated_at,
        },
        sequencer_up: up,
    })
}

/// How a run reads many native balances on one chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BalanceRead {
    /// One `eth_call` to the balance reader, its code supplied by a state override.
    Reader,
    /// Multicall3's `aggregate3` of `getEthBalance`: for providers that refuse overrides.
    Multicall3,
}

/// How long a provider's refusal of the balance reader is believed. A refusal that was
/// really a passing fault then costs the reader a day rather than for good, and a real one
/// is found again by one retried batch a day.
const REFUSAL_BELIEVED_SECS: u64 = 24 * 3600;

impl BalanceRead {
    /// How to read a chain's balances, given when its provider last refused the reader.
    pub(crate) fn after_refusal(refused_at: Option<Timestamp>, now: Timestamp) -> Self {
        match refused_at {
            Some(at) if at.plus_secs(REFUSAL_BELIEVED_SECS) > now => Self::Multicall3,
            _ => Self::Reader,
        }
    }
}

/// The calls reading `addresses`' balances at `block`, one per `max_addresses_per_call`.
fn balance_calls(
    chain: &Chain,
    read: BalanceRead,
    addresses: &[Address],
    block: BlockNumber,
) -> Vec<Call> {
    let mc = chain.multicall3;
    addresses
        .chunks(chain.rpc_limits.max_addresses_per_call.max(1))
        .map(|chunk| match read {
            BalanceRead::Reader => eth_call_with_override(
                balance_reader::READER,
                balance_reader::encode(chunk),
                block,
                balance_reader::state_override(),
            ),
            BalanceRead::Multicall3 => {
                let calls: Vec<Call3> = chunk.iter().map(|a| Call3::eth_balance(mc, *a)).collect();
                eth_call(mc, abi::aggregate3(&calls), Some(block))
            }
        })
        .collect()
}

/// Why balances could not be read.
enum BalancesError {
    /// The answer is not the reader's: the provider ignored or refused the override.
    Refused,
    Other(crate::error::ApiError),
}

/// The balances in the answers to [`balance_calls`] for `count` addresses, in order.
fn decode_balances(
    chain: &Chain,
    read: BalanceRead,
    results: &[Value],
    count: usize,
) -> Result<Vec<U256>, BalancesError> {
    let balances = match read {
        BalanceRead::Multicall3 => flatten_balances(results).map_err(BalancesError::Other)?,
        BalanceRead::Reader => {
            let per_call = chain.rpc_limits.max_addresses_per_call.max(1);
            let mut balances = Vec::with_capacity(count);
            for (i, result) in results.iter().enumerate() {
                let asked = per_call.min(count.saturating_sub(i * per_call));
                let answer = result.as_str().ok_or(BalancesError::Refused)?;
                let read = balance_reader::decode(answer, asked).map_err(|e| {
                    worker::console_warn!("watcher: chain {}: {e}", chain.chain_id);
                    BalancesError::Refused
                })?;
                balances.extend(read);
            }
            balances
        }
    };
    if balances.len() == count {
        Ok(balances)
    } else {
        Err(BalancesError::Other(chain_error(
            "too few balances came back",
        )))
    }
}

/// `addresses`' balances at `block` in as few batches as the chain allows. A reader the
/// provider refuses (an error, or an answer that is not the reader's) is read again through
/// Multicall3, and `read` says so from then on.
async fn read_balances(
    rpc: &Rpc,
    chain: &Chain,
    read: &std::cell::Cell<BalanceRead>,
    addresses: &[Address],
    block: BlockNumber,
) -> ApiResult<Vec<U256>> {
    if read.get() == BalanceRead::Reader {
        let calls = balance_calls(chain, BalanceRead::Reader, addresses, block);
        match rpc.batches(&calls, &chain.rpc_limits).await {
            Ok(results) => {
                match decode_balances(chain, BalanceRead::Reader, &results, addresses.len()) {
                    Ok(balances) => return Ok(balances),
                    Err(BalancesError::Other(e)) => return Err(e),
                    Err(BalancesError::Refused) => {}
                }
            }
            Err(RpcError::Node { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        read.set(BalanceRead::Multicall3);
    }
    let calls = balance_calls(chain, BalanceRead::Multicall3, addresses, block);
    let results = rpc.batches(&calls, &chain.rpc_limits).await?;
    decode_balances(chain, BalanceRead::Multicall3, &results, addresses.len()).map_err(
        |e| match e {
            BalancesError::Other(e) => e,
            BalancesError::Refused => chain_error("malformed Multicall3 result"),
        },
    )
}

fn flatten_balances(results: &[Value]) -> ApiResult<Vec<U256>> {
    let mut balances = Vec::new();
    for result in results {
        for answer in decode(result)? {
            balances.push(
                answer
                    .as_deref()
                    .and_then(abi::decode_uint)
                    .ok_or_else(|| chain_error("Multicall3 getEthBalance failed"))?,
            );
        }
    }
    Ok(balances)
}

fn decode(result: &Value) -> ApiResult<Vec<Option<Vec<u8>>>> {
    result
        .as_str()
        .and_then(abi::decode_aggregate3)
        .ok_or_else(|| chain_error(format!("malformed Multicall3 result: {result}")))
}

/// A session address whose native balance the cron follows on one chain.
#[derive(Debug, Clone)]
pub(crate) struct Watched {
    pub session_id: SessionId,
    pub address: Address,
    pub baseline: U256,
    pub baseline_block: BlockNumber,
}

/// A credit the chain shows that is not recorded yet.
#[derive(Debug, Clone)]
pub(crate) struct Credit {
    pub session_id: SessionId,
    pub address: Address,
    pub payment: Payment,
}

/// A native credit just found: detected, and uncounted until its session says otherwise.
fn native_credit(
    chain: &Chain,
    block: BlockNumber,
    hash: BlockHash,
    time: Timestamp,
    tx_hash: Option<TxHash>,
    amount: U256,
) -> Payment {
    Payment {
        chain_id: chain.chain_id,
        token: chain.native_symbol.clone(),
        tx_hash,
        log_index: None,
        block_number: block,
        block_hash: hash,
        block_time: time,
        amount,
        status: PaymentStatus::Detected,
        counted: false,
        repriced: None,
    }
}

/// Runs a search to the end, one batch per round (split by the chain's batch limit).
async fn narrow(rpc: &Rpc, chain: &Chain, mut search: Search) -> ApiResult<Vec<native::Change>> {
    for _ in 0..MAX_ROUNDS {
        if search.is_done() {
            return Ok(search.changes());
        }
        let reads = search.reads();
        let calls: Vec<Call> = reads
            .iter()
            .map(|(a, block)| balance_call(a, *block))
            .collect();
        let results = rpc.batches(&calls, &chain.rpc_limits).await?;
        let balances = reads
            .into_iter()
            .zip(&results)
            .map(|(read, result)| Ok((read, rpc::u256(result)?)))
            .collect::<ApiResult<BTreeMap<_, _>>>()?;
        search.feed(&balances);
    }
    if search.is_done() {
        Ok(search.changes())
    } else {
        Err(chain_error(
            "native balance search did not converge; retrying next run",
        ))
    }
}

#[cfg(test)]
mod tests {
    use kasse_shared::time::Timestamp;

    use super::BalanceRead;

    #[test]
    fn a_refusal_sends_balances_through_multicall3_for_a_day_then_the_reader_is_tried_again() {
        let at = Timestamp(1_000_000);
        let read = |now: u64| BalanceRead::after_refusal(Some(at), Timestamp(now));
        assert_eq!(BalanceRead::after_refusal(None, at), BalanceRead::Reader);
        assert_eq!(read(1_000_000), BalanceRead::Multicall3);
        assert_eq!(read(1_000_000 + 86_399), BalanceRead::Multicall3);
        assert_eq!(read(1_000_000 + 86_400), BalanceRead::Reader);
    }
}
