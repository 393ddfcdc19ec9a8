//! One run's native scan of one chain: balances at the window's ends, a search only where
//! the recorded credits do not explain the change, and the credits it finds reconciled with
//! the recorded ones.

use std::cell::Cell;
use std::collections::BTreeMap;

use alloy_primitives::{Address, BlockHash, BlockNumber, U256};
use kasse_shared::catalogue::Chain;
use kasse_shared::evm::Block;
use kasse_shared::ids::{PaymentId, SessionId};
use kasse_shared::native::{self, Outflows, Search};
use kasse_shared::session::{Payment, PaymentStatus};
use serde_json::Value;

use super::{
    BalanceRead, BalancesError, Credit, Watched, balance_calls, decode_balances, narrow,
    native_credit, read_balances,
};
use crate::chain::blocks::{header_hash, read_blocks};
use crate::chain::rpc::{Call, Rpc, block_call};
use crate::error::ApiResult;

/// A native credit already recorded, as the scan compares it with the chain.
#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    pub id: PaymentId,
    pub session_id: SessionId,
    pub address: Address,
    pub payment: Payment,
}

/// What the scan found: credits to record and recorded ones whose state changed.
#[derive(Default)]
pub(crate) struct Findings {
    pub new: Vec<Credit>,
    /// (session id, payment id, payment as it is now)
    pub changed: Vec<(SessionId, PaymentId, Payment)>,
    /// The provider refused the balance reader in this run: read by Multicall3 from now on.
    pub reader_refused: bool,
}

/// One run's native scan of one chain over the window `(from − 1, to]`.
pub(crate) struct Scan<'a> {
    chain: &'a Chain,
    start: BlockNumber,
    to: BlockNumber,
    watched: Vec<Watched>,
    /// Native credits recorded in the window, by address.
    recorded: BTreeMap<Address, Vec<Recorded>>,
    /// Native coin that left watched addresses in verified sweeps: without it, a payment of
    /// the swept amount soon after a sweep would leave the balance where it was.
    outflows: Outflows,
    /// How balances are read; a refused reader turns it to Multicall3 mid-run.
    read: Cell<BalanceRead>,
    /// How the run began reading, to tell a refusal in this run from an earlier one.
    first_read: BalanceRead,
}

/// Block hashes by number, as this run read them.
type Hashes = BTreeMap<BlockNumber, BlockHash>;

impl<'a> Scan<'a> {
    pub(crate) fn new(
        chain: &'a Chain,
        from: BlockNumber,
        to: BlockNumber,
        watched: Vec<Watched>,
        recorded: Vec<Recorded>,
        outflows: Outflows,
        read: BalanceRead,
    ) -> Self {
        let mut by_address: BTreeMap<Address, Vec<Recorded>> = BTreeMap::new();
        for credit in recorded {
            by_address.entry(credit.address).or_default().push(credit);
        }
        Self {
            chain,
            start: from.saturating_sub(1),
            to,
            watched: watched
                .into_iter()
                .filter(|w| w.baseline_block < to)
                .collect(),
            recorded: by_address,
            outflows,
            read: Cell::new(read),
            first_read: read,
        }
    }

    /// Whether [`Scan::calls`] reads balances by the reader.
    pub(crate) fn uses_reader(&self) -> bool {
        self.read.get() == BalanceRead::Reader
    }

    /// After the provider refused the first batch with the reader in it: the next
    /// [`Scan::calls`] use Multicall3, and the findings report the refusal.
    pub(crate) fn fall_back(&self) {
        self.read.set(BalanceRead::Multicall3);
    }

    fn reader_refused(&self) -> bool {
        self.first_read == BalanceRead::Reader && self.read.get() == BalanceRead::Multicall3
    }

    /// Where an address's window starts: the scan's start, or its baseline if later.
    fn anchor(&self, w: &Watched) -> BlockNumber {
        self.start.max(w.baseline_block)
    }

    fn needs_start_read(&self, w: &Watched) -> bool {
        self.anchor(w) > w.baseline_block
    }

    fn recorded_blocks(&self) -> Vec<BlockNumber> {
        let mut blocks: Vec<BlockNumber> = self
            .recorded
            .values()
            .flatten()
            .map(|r| r.payment.block_number)
            .collect();
        blocks.sort_unstable();
        blocks.dedup();
        blocks
    }

    /// The calls this scan adds to the run's first batch: every address's balance at the
    /// window's end, and the headers of blocks holding recorded credits.
    pub(crate) fn calls(&self) -> Vec<Call> {
        let all: Vec<Address> = self.watched.iter().map(|w| w.address).collect();
        let mut calls = balance_calls(self.chain, self.read.get(), &all, self.to);
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
    pub(crate) async fn finish(self, rpc: &Rpc, results: &[Value]) -> ApiResult<Findings> {
        let (end, hashes) = self.end_balances(rpc, results).await?;
        let start = self.start_balances(rpc, &end).await?;
        let (search, searched) = self.unexplained(&end, &start, &hashes);
        let mut findings = if searched.is_empty() {
            Findings::default()
        } else {
            let changes = narrow(rpc, self.chain, search).await?;
            self.credits(rpc, &searched, changes, &hashes).await?
        };
        findings.reader_refused = self.reader_refused();
        Ok(findings)
    }

    /// Every address's balance at the window's end, and the hashes of the blocks holding
    /// recorded credits, from the run's first batch. A reader answer that is not the
    /// reader's is read again through Multicall3.
    async fn end_balances(&self, rpc: &Rpc, results: &[Value]) -> ApiResult<(Vec<U256>, Hashes)> {
        let per_call = self.chain.rpc_limits.max_addresses_per_call.max(1);
        let count = self.watched.len();
        let end_calls = count.div_ceil(per_call);
        let read = self.read.get();
        let end = match decode_balances(self.chain, read, &results[..end_calls], count) {
            Ok(end) => end,
            Err(BalancesError::Other(e)) => return Err(e),
            Err(BalancesError::Refused) => {
                self.fall_back();
                let all: Vec<Address> = self.watched.iter().map(|w| w.address).collect();
                read_balances(rpc, self.chain, &self.read, &all, self.to).await?
            }
        };
        let mut hashes = Hashes::new();
        for (n, header) in self
            .recorded_blocks()
            .into_iter()
            .zip(&results[end_calls..])
        {
            hashes.insert(n, header_hash(header)?);
        }
        Ok((end, hashes))
    }

    /// The window's start balance, read only for addresses that may have moved: those
    /// whose balance is not their baseline any more, or with credits in the window. An idle
    /// address (the common case) costs 20 bytes of one call per run.
    async fn start_balances(&self, rpc: &Rpc, end: &[U256]) -> ApiResult<BTreeMap<Address, U256>> {
        let moved: Vec<Address> = self
            .watched
            .iter()
            .zip(end)
            .filter(|(w, end)| {
                self.needs_start_read(w)
                    && (**end != w.baseline
                        || !self.rows(w.address).is_empty()
                        || self.outflows.any_within(w.address, self.anchor(w), self.to))
            })
            .map(|(w, _)| w.address)
            .collect();
        if moved.is_empty() {
            return Ok(BTreeMap::new());
        }
        let start = read_balances(rpc, self.chain, &self.read, &moved, self.start).await?;
        Ok(moved.into_iter().zip(start).collect())
    }

    /// The addresses whose balance change the recorded credits do not explain, with the
    /// search that narrows each change to its block.
    fn unexplained(
        &self,
        end: &[U256],
        start: &BTreeMap<Address, U256>,
        hashes: &Hashes,
    ) -> (Search, Vec<&Watched>) {
        let mut search = Search::with_outflows(self.outflows.clone());
        let mut searched: Vec<&Watched> = Vec::new();
        for (w, end_balance) in self.watched.iter().zip(end) {
            // Not read: the balance is still the baseline, so it was at the start too.
            let start_balance = if self.needs_start_read(w) {
                start.get(&w.address).copied().unwrap_or(w.baseline)
            } else {
                w.baseline
            };
            let recorded = self.payments(w.address);
            let canonical = recorded.iter().all(|p| {
                p.status == PaymentStatus::Reorged
                    || hashes.get(&p.block_number) == Some(&p.block_hash)
            });
            let arrived_at_start = self
                .outflows
                .arrived(w.address, self.anchor(w), start_balance);
            let arrived_at_end = self.outflows.arrived(w.address, self.to, *end_balance);
            if !native::explained(arrived_at_start, arrived_at_end, &recorded, canonical) {
                search.add(
                    w.address,
                    (self.anchor(w), start_balance),
                    (self.to, *end_balance),
                );
                searched.push(w);
            }
        }
        (search, searched)
    }

    /// The credits among the search's `changes`, reconciled with the recorded ones. Blocks
    /// of credits not recorded in that very block are read in full, to find the
    /// transaction that sent them.
    async fn credits(
        &self,
        rpc: &Rpc,
        searched: &[&Watched],
        changes: Vec<native::Change>,
        hashes: &Hashes,
    ) -> ApiResult<Findings> {
        let credits: Vec<native::Change> = changes
            .into_iter()
            .filter(|c| c.credit().is_some())
            .collect();
        let mut unknown: Vec<BlockNumber> = credits
            .iter()
            .filter(|c| {
                !self.rows(c.address).iter().any(|r| {
                    r.payment.block_number == c.block
                        && Some(&r.payment.block_hash) == hashes.get(&c.block)
                })
            })
            .map(|c| c.block)
            .collect();
        unknown.sort_unstable();
        unknown.dedup();
        let blocks = read_blocks(rpc, self.chain, &unknown, true).await?;

        let mut findings = Findings::default();
        for w in searched {
            let found = self.found(w, &credits, &blocks, hashes);
            let (new, changed) = native::reconcile(&self.payments(w.address), &found, |p| {
                hashes.get(&p.block_number) == Some(&p.block_hash)
            });
            findings.new.extend(new.into_iter().map(|payment| Credit {
                session_id: w.session_id.clone(),
                address: w.address,
                payment,
            }));
            let rows = self.rows(w.address);
            for p in changed {
                if let Some(row) = rows
                    .iter()
                    .find(|r| r.payment.block_number == p.block_number)
                {
                    findings
                        .changed
                        .push((row.session_id.clone(), row.id.clone(), p));
                }
            }
        }
        Ok(findings)
    }

    /// The credits to `w` as the chain shows them now: from the block read in full, or
    /// for a credit recorded in the same block, from what was recorded.
    fn found(
        &self,
        w: &Watched,
        credits: &[native::Change],
        blocks: &BTreeMap<BlockNumber, Block>,
        hashes: &Hashes,
    ) -> Vec<Payment> {
        let rows = self.rows(w.address);
        credits
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
                        let row = rows.iter().find(|r| r.payment.block_number == c.block)?;
                        (
                            *hashes.get(&c.block)?,
                            row.payment.block_time,
                            row.payment.tx_hash,
                        )
                    }
                };
                Some(native_credit(
                    self.chain, c.block, hash, time, tx_hash, amount,
                ))
            })
            .collect()
    }

    fn rows(&self, address: Address) -> &[Recorded] {
        self.recorded.get(&address).map_or(&[], Vec::as_slice)
    }

    fn payments(&self, address: Address) -> Vec<Payment> {
        self.rows(address)
            .iter()
            .map(|r| r.payment.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use kasse_shared::catalogue::{BUILTIN_JSON, Catalogue};
    use kasse_shared::time::Timestamp;

    use super::*;

    fn chain() -> Chain {
        let catalogue = Catalogue::parse(BUILTIN_JSON).expect("the built-in catalogue");
        let mut chain = catalogue.chain(31337).expect("the local chain").clone();
        chain.rpc_limits.max_addresses_per_call = 2;
        chain
    }

    fn watched(byte: u8, baseline_block: u64) -> Watched {
        Watched {
            session_id: format!("cs_test_{byte:0>24}")
                .parse()
                .expect("a session id"),
            address: Address::repeat_byte(byte),
            baseline: U256::ZERO,
            baseline_block,
        }
    }

    fn recorded(byte: u8, block: u64) -> Recorded {
        Recorded {
            id: format!("pay_{byte:0>12}{block:0>12}")
                .parse()
                .expect("a payment id"),
            session_id: format!("cs_test_{byte:0>24}")
                .parse()
                .expect("a session id"),
            address: Address::repeat_byte(byte),
            payment: native_credit(
                &chain(),
                block,
                BlockHash::repeat_byte(1),
                Timestamp(1),
                None,
                U256::from(1u8),
            ),
        }
    }

    #[test]
    fn the_first_batch_reads_end_balances_and_recorded_blocks() {
        let chain = chain();
        let addresses = vec![
            watched(1, 0),
            watched(2, 10),
            watched(3, 99),
            watched(4, 100),
        ];
        let credits = vec![recorded(1, 60), recorded(2, 60), recorded(2, 70)];
        let scan = Scan::new(
            &chain,
            50,
            100,
            addresses,
            credits,
            Outflows::default(),
            BalanceRead::Reader,
        );
        let calls = scan.calls();
        let methods: Vec<&str> = calls.iter().map(|c| c.method).collect();
        // Three addresses (one created at the window's end is not read), two per reader
        // call, at the window's end; then each block holding a recorded credit once.
        assert_eq!(
            methods,
            [
                "eth_call",
                "eth_call",
                "eth_getBlockByNumber",
                "eth_getBlockByNumber"
            ]
        );
        assert_eq!(calls[0].params[1], "0x64");
        assert_eq!(
            calls[0].params[0]["data"],
            format!("0x{}{}", "01".repeat(20), "02".repeat(20))
        );
        assert_eq!(calls[1].params[0]["data"], format!("0x{}", "03".repeat(20)));
        assert_eq!(
            calls[0].params[2],
            kasse_shared::balance_reader::state_override()
        );
        assert_eq!(calls[2].params, serde_json::json!(["0x3c", false]));
        assert_eq!(calls[3].params, serde_json::json!(["0x46", false]));
    }

    #[test]
    fn reader_answers_are_split_by_call_and_kept_in_order() {
        let chain = chain();
        let word = |n: u8| format!("{n:0>64x}");
        let results = [
            serde_json::json!(format!("0x{}{}", word(7), word(0))),
            serde_json::json!(format!("0x{}", word(255))),
        ];
        let balances = decode_balances(&chain, BalanceRead::Reader, &results, 3);
        assert!(
            matches!(balances, Ok(ref b) if *b == [U256::from(7u8), U256::ZERO, U256::from(255u8)])
        );
    }

    #[test]
    fn only_addresses_older_than_the_window_need_a_start_read() {
        let chain = chain();
        let scan = Scan::new(
            &chain,
            50,
            100,
            vec![watched(1, 0), watched(2, 60)],
            Vec::new(),
            Outflows::default(),
            BalanceRead::Multicall3,
        );
        assert_eq!(scan.start, 49);
        assert!(scan.needs_start_read(&scan.watched[0]));
        assert_eq!(scan.anchor(&scan.watched[1]), 60, "from its baseline");
        assert!(!scan.needs_start_read(&scan.watched[1]));
    }
}
