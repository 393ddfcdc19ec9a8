//! Native-coin reads: the I/O around `kasse_shared::native` and the feed.
//!
//! * [`open`] — at creation, one `eth_call` to Multicall3 reads the head, the address's
//!   balance (the baseline) and the feed's round, all at the same block.
//! * [`Scan`] — per cron run, balances of every watched address at both ends of the rescan
//!   window (one Multicall3 call per 500 addresses, in the same batch as the token logs),
//!   then a search only for addresses whose balance moved unexplained.

use std::collections::BTreeMap;

use alloy_primitives::{Address, B256, U256};
use kasse_shared::abi::{self, Call3};
use kasse_shared::catalogue::Chain;
use kasse_shared::native::{self, Search};
use kasse_shared::price::{Round, sequencer_up};
use kasse_shared::quote::FeedReading;
use kasse_shared::session::{Payment, PaymentStatus};
use kasse_shared::time::Timestamp;
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult, chain_error};
use crate::rpc::{self, Call, Rpc, balance_call, block_call, eth_call};
use crate::store::{NewPayment, PaymentRow};

/// Rounds of narrowing one run may spend; with a fan-out of 8 this covers 8^6 blocks,
/// far beyond the window of one run.
const MAX_ROUNDS: usize = 6;

/// How long a cached feed round may serve a re-quote or a late payment's valuation.
const PRICE_CACHE_SECS: u64 = 60;

/// The feed's price now: the D1 cache if it was read in the last minute, else the chain
/// (and then cached, if the sequencer was up). `None` if the chain cannot be priced now.
pub async fn current_reading(
    store: &crate::store::Store,
    rpc: &Rpc,
    chain: &Chain,
    now: Timestamp,
) -> ApiResult<Option<FeedReading>> {
    if let Some(row) = store
        .cached_price(chain.chain_id, now.0, PRICE_CACHE_SECS)
        .await?
    {
        return Ok(Some(FeedReading {
            round: Round {
                answer: row.answer,
                updated_at: Timestamp(row.updated_at),
            },
            // Only rounds read while the sequencer was up are cached.
            sequencer_up: true,
        }));
    }
    let Ok(read) = open(rpc, chain, None, now).await else {
        return Ok(None);
    };
    if let Some(reading) = read.reading.filter(|r| r.sequencer_up) {
        let row = crate::store::PriceRow {
            chain_id: chain.chain_id,
            answer: reading.round.answer,
            updated_at: reading.round.updated_at.0,
        };
        store.put_price(&row, now.0).await?;
    }
    Ok(read.reading)
}

/// What creation reads of a chain, consistent at one block.
pub struct Opening {
    pub block: u64,
    pub balance: Option<U256>,
    /// `None` if the chain has no feed or the feed could not be read.
    pub reading: Option<FeedReading>,
}

/// Head, `address`'s balance (if given) and the feed's price, in one `eth_call`.
pub async fn open(
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
        .and_then(|b| u64::try_from(b).ok())
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
            .map(|r| sequencer_up(r.answer, Timestamp(r.started_at), now)),
    };
    let reading = round.zip(sequencer).map(|(r, up)| FeedReading {
        round: Round {
            answer: r.answer,
            updated_at: Timestamp(r.updated_at),
        },
        sequencer_up: up,
    });
    Ok(Opening {
        block,
        balance,
        reading,
    })
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
pub struct Watched {
    pub session_id: String,
    pub address: Address,
    pub baseline: U256,
    pub baseline_block: u64,
}

/// One run's native scan of one chain over the window `(from − 1, to]`.
pub struct Scan<'a> {
    chain: &'a Chain,
    start: u64,
    to: u64,
    watched: Vec<Watched>,
    /// Native credits recorded in the window, by address.
    recorded: BTreeMap<Address, Vec<PaymentRow>>,
}

/// What the scan found: credits to record and recorded ones whose state changed.
#[derive(Default)]
pub struct Findings {
    pub new: Vec<NewPayment>,
    /// (session id, payment id, payment as it is now)
    pub changed: Vec<(String, String, Payment)>,
}

impl<'a> Scan<'a> {
    pub fn new(
        chain: &'a Chain,
        from: u64,
        to: u64,
        watched: Vec<Watched>,
        recorded: Vec<PaymentRow>,
    ) -> ApiResult<Self> {
        let start = from.saturating_sub(1);
        let mut by_address: BTreeMap<Address, Vec<PaymentRow>> = BTreeMap::new();
        for row in recorded {
            let address: Address = row
                .address
                .parse()
                .map_err(|_| ApiError::internal(format!("payment {}: bad address", row.id)))?;
            by_address.entry(address).or_default().push(row);
        }
        Ok(Self {
            chain,
            start,
            to,
            watched: watched
                .into_iter()
                .filter(|w| w.baseline_block < to)
                .collect(),
            recorded: by_address,
        })
    }

    /// Where an address's window starts: the scan's start, or its baseline if later.
    fn anchor(&self, w: &Watched) -> u64 {
        self.start.max(w.baseline_block)
    }

    fn needs_start_read(&self, w: &Watched) -> bool {
        self.anchor(w) > w.baseline_block
    }

    fn recorded_blocks(&self) -> Vec<u64> {
        let mut blocks: Vec<u64> = self
            .recorded
            .values()
            .flatten()
            .map(|r| r.block_number)
            .collect();
        blocks.sort_unstable();
        blocks.dedup();
        blocks
    }

    fn balance_calls(&self, addresses: &[Address], block: u64) -> Vec<Call> {
        let mc = self.chain.multicall3;
        addresses
            .chunks(self.chain.rpc_limits.max_addresses_per_call.max(1))
            .map(|chunk| {
                let calls: Vec<Call3> = chunk.iter().map(|a| Call3::eth_balance(mc, *a)).collect();
                eth_call(mc, abi::aggregate3(&calls), Some(block))
            })
            .collect()
    }

    /// The calls this scan adds to the run's first batch: every address's balance at the
    /// window's end, and the headers of blocks holding recorded credits.
    pub fn calls(&self) -> Vec<Call> {
        let all: Vec<Address> = self.watched.iter().map(|w| w.address).collect();
        let mut calls = self.balance_calls(&all, self.to);
        calls.extend(
            self.recorded_blocks()
                .into_iter()
                .map(|n| block_call(n, false)),
        );
        calls
    }

    /// Finishes the scan from the results of [`Scan::calls`], searching and reading blocks
    /// as needed. New credits come back with `counted: false`: whether one counts is the
    /// session's to say, and the caller loads it.
    ///
    /// The window's start balance is read only for addresses that may have moved: those
    /// whose balance is not their baseline any more, or with credits in the window. An idle
    /// address (the common case) costs one Multicall3 slot per run.
    pub async fn finish(self, rpc: &Rpc, results: &[Value]) -> ApiResult<Findings> {
        let per_call = self.chain.rpc_limits.max_addresses_per_call.max(1);
        let end_calls = self.watched.len().div_ceil(per_call);
        let end = flatten_balances(&results[..end_calls])?;
        if end.len() != self.watched.len() {
            return Err(chain_error("Multicall3 returned too few balances"));
        }
        let mut hashes: BTreeMap<u64, B256> = BTreeMap::new();
        for (n, header) in self
            .recorded_blocks()
            .into_iter()
            .zip(&results[end_calls..])
        {
            hashes.insert(n, header_hash(header)?);
        }

        let moved: Vec<Address> = self
            .watched
            .iter()
            .zip(&end)
            .filter(|(w, end)| {
                self.needs_start_read(w)
                    && (**end != w.baseline || !self.rows(w.address).is_empty())
            })
            .map(|(w, _)| w.address)
            .collect();
        let early = if moved.is_empty() {
            Vec::new()
        } else {
            let calls = self.balance_calls(&moved, self.start);
            flatten_balances(&rpc.batches(&calls, &self.chain.rpc_limits).await?)?
        };
        let early: BTreeMap<Address, U256> = moved.into_iter().zip(early).collect();

        let mut search = Search::new();
        let mut searched: Vec<&Watched> = Vec::new();
        for (w, end_balance) in self.watched.iter().zip(end) {
            let start_balance = if self.needs_start_read(w) {
                // Not read: the balance is still the baseline, so it was at the start too.
                early.get(&w.address).copied().unwrap_or(w.baseline)
            } else {
                w.baseline
            };
            let rows = self.rows(w.address);
            let recorded: Vec<Payment> = rows
                .iter()
                .map(PaymentRow::to_payment)
                .collect::<ApiResult<_>>()?;
            let canonical = recorded.iter().all(|p| {
                p.status == PaymentStatus::Reorged
                    || hashes.get(&p.block_number) == Some(&p.block_hash)
            });
            if !native::explained(start_balance, end_balance, &recorded, canonical) {
                search.add(
                    w.address,
                    (self.anchor(w), start_balance),
                    (self.to, end_balance),
                );
                searched.push(w);
            }
        }
        if searched.is_empty() {
            return Ok(Findings::default());
        }
        let changes = narrow(rpc, self.chain, search).await?;

        // Blocks of new credits are read in full, to find the transaction that sent them.
        let credits: Vec<native::Change> = changes
            .into_iter()
            .filter(|c| c.credit().is_some())
            .collect();
        let full: Vec<u64> = {
            let mut blocks: Vec<u64> = credits
                .iter()
                .filter(|c| {
                    let known = hashes.get(&c.block).map(ToString::to_string);
                    !self
                        .rows(c.address)
                        .iter()
                        .any(|r| r.block_number == c.block && Some(&r.block_hash) == known.as_ref())
                })
                .map(|c| c.block)
                .collect();
            blocks.sort_unstable();
            blocks.dedup();
            blocks
        };
        let blocks = read_blocks(rpc, self.chain, &full, true).await?;

        let mut findings = Findings::default();
        for w in searched {
            let rows = self.rows(w.address);
            let found: Vec<Payment> = credits
                .iter()
                .filter(|c| c.address == w.address)
                .filter_map(|c| {
                    let amount = c.credit()?;
                    let (hash, time, tx_hash) = match blocks.get(&c.block) {
                        Some(b) => (
                            b.hash,
                            b.time,
                            native::sender_tx(&b.transactions, w.address),
                        ),
                        None => {
                            let row = rows.iter().find(|r| r.block_number == c.block)?;
                            let recorded = row.to_payment().ok()?;
                            (
                                *hashes.get(&c.block)?,
                                recorded.block_time,
                                recorded.tx_hash,
                            )
                        }
                    };
                    Some(Payment {
                        chain_id: self.chain.chain_id,
                        token: self.chain.native_symbol.clone(),
                        tx_hash,
                        log_index: None,
                        block_number: c.block,
                        block_hash: hash,
                        block_time: time,
                        amount,
                        status: PaymentStatus::Detected,
                        counted: false,
                        repriced: None,
                    })
                })
                .collect();
            let recorded: Vec<Payment> = rows
                .iter()
                .map(PaymentRow::to_payment)
                .collect::<ApiResult<_>>()?;
            let (new, changed) = native::reconcile(&recorded, &found);
            findings
                .new
                .extend(new.into_iter().map(|payment| NewPayment {
                    session_id: w.session_id.clone(),
                    address: w.address,
                    payment,
                }));
            for p in changed {
                if let Some(row) = rows.iter().find(|r| r.block_number == p.block_number) {
                    findings
                        .changed
                        .push((row.session_id.clone(), row.id.clone(), p));
                }
            }
        }
        Ok(findings)
    }

    fn rows(&self, address: Address) -> &[PaymentRow] {
        self.recorded.get(&address).map_or(&[], Vec::as_slice)
    }
}

/// Runs a search to the end, one batch per round (split by the chain's batch limit).
pub async fn narrow(
    rpc: &Rpc,
    chain: &Chain,
    mut search: Search,
) -> ApiResult<Vec<native::Change>> {
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

pub struct Block {
    pub hash: B256,
    pub time: Timestamp,
    /// (hash, to, value) of each transaction; empty unless read in full.
    pub transactions: Vec<(B256, Option<Address>, U256)>,
}

pub fn header_hash(header: &Value) -> ApiResult<B256> {
    header["hash"]
        .as_str()
        .and_then(|h| h.parse().ok())
        .ok_or_else(|| chain_error(format!("malformed block header: {header}")))
}

/// Blocks by number (with their transactions when `full`), batched within the provider's
/// limits.
pub async fn read_blocks(
    rpc: &Rpc,
    chain: &Chain,
    numbers: &[u64],
    full: bool,
) -> ApiResult<BTreeMap<u64, Block>> {
    if numbers.is_empty() {
        return Ok(BTreeMap::new());
    }
    let calls: Vec<Call> = numbers.iter().map(|n| block_call(*n, full)).collect();
    let results = rpc.batches(&calls, &chain.rpc_limits).await?;
    numbers
        .iter()
        .zip(&results)
        .map(|(n, block)| Ok((*n, parse_block(block, full)?)))
        .collect()
}

fn parse_block(block: &Value, full: bool) -> ApiResult<Block> {
    let malformed = || chain_error(format!("malformed block: {}", truncate(block)));
    let transactions = if full {
        block["transactions"]
            .as_array()
            .ok_or_else(malformed)?
            .iter()
            .map(|tx| {
                let hash: B256 = tx["hash"].as_str()?.parse().ok()?;
                let to: Option<Address> = tx["to"].as_str().and_then(|t| t.parse().ok());
                Some((hash, to, rpc::u256(&tx["value"]).ok()?))
            })
            .collect::<Option<Vec<_>>>()
            .ok_or_else(malformed)?
    } else {
        Vec::new()
    };
    Ok(Block {
        hash: header_hash(block)?,
        time: Timestamp(rpc::quantity(&block["timestamp"])?),
        transactions,
    })
}

fn truncate(v: &Value) -> String {
    let mut s = v.to_string();
    s.truncate(200);
    s
}

/// The on-demand check's native part for one address (spec §4): with `tx_hash`, the
/// transaction must send value straight to the address, succeed and sit in a canonical
/// block, and the credit is the balance change of that block; without one, the range
/// `(from − 1, head]` is searched for this address alone. Credits come back uncounted.
pub async fn check_credits(
    rpc: &Rpc,
    chain: &Chain,
    watched: &Watched,
    from: u64,
    head: u64,
    tx_hash: Option<B256>,
) -> ApiResult<Vec<Payment>> {
    let mut search = Search::new();
    let mut proven_block: Option<B256> = None;
    let balance_at = |block: u64| balance_call(&watched.address, block);
    match tx_hash {
        Some(hash) => {
            let results = rpc
                .batch(&[
                    Call {
                        method: "eth_getTransactionByHash",
                        params: json!([hash.to_string()]),
                    },
                    Call {
                        method: "eth_getTransactionReceipt",
                        params: json!([hash.to_string()]),
                    },
                ])
                .await?;
            let (tx, receipt) = (&results[0], &results[1]);
            let to: Option<Address> = tx["to"].as_str().and_then(|t| t.parse().ok());
            let value = rpc::u256(&tx["value"]).unwrap_or_default();
            if to != Some(watched.address)
                || value.is_zero()
                || receipt["status"].as_str() != Some("0x1")
            {
                return Ok(Vec::new());
            }
            let block = rpc::quantity(&receipt["blockNumber"])?;
            proven_block = receipt["blockHash"].as_str().and_then(|h| h.parse().ok());
            if block <= watched.baseline_block || block > head {
                return Ok(Vec::new());
            }
            let reads = rpc
                .batch(&[balance_at(block - 1), balance_at(block)])
                .await?;
            search.add(
                watched.address,
                (block - 1, rpc::u256(&reads[0])?),
                (block, rpc::u256(&reads[1])?),
            );
        }
        None => {
            let anchor = from.saturating_sub(1).max(watched.baseline_block);
            if anchor >= head {
                return Ok(Vec::new());
            }
            let reads = rpc.batch(&[balance_at(anchor), balance_at(head)]).await?;
            let start = if anchor == watched.baseline_block {
                watched.baseline
            } else {
                rpc::u256(&reads[0])?
            };
            search.add(
                watched.address,
                (anchor, start),
                (head, rpc::u256(&reads[1])?),
            );
        }
    }
    let credits: Vec<native::Change> = narrow(rpc, chain, search)
        .await?
        .into_iter()
        .filter(|c| c.credit().is_some())
        .collect();
    let numbers: Vec<u64> = credits.iter().map(|c| c.block).collect();
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
            Some(Payment {
                chain_id: chain.chain_id,
                token: chain.native_symbol.clone(),
                // A hash the shopper gave is proven by its receipt in this very block.
                tx_hash: tx_hash.filter(|_| sender.is_some()).or(sender),
                log_index: None,
                block_number: c.block,
                block_hash: block.hash,
                block_time: block.time,
                amount: c.credit()?,
                status: PaymentStatus::Detected,
                counted: false,
                repriced: None,
            })
        })
        .collect())
}
