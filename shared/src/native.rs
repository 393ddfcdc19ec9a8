//! Native-coin credits, found by balance.
//!
//! A plain ETH transfer leaves no log, and ETH sent by a contract leaves no transaction to
//! the address either, so the watcher reads balances instead: Multicall3 `getEthBalance`
//! for every watched address at the start and the end of the rescan window, in one call
//! each. Only an address whose balance moved costs more: a [`Search`] narrows each change
//! to one block with balance reads at intermediate heights, one JSON-RPC batch per round
//! for all addresses together. A positive change at a block is a credit of exactly that
//! size; a falling balance (a sweep) is never a credit and never lowers what was received.
//!
//! Money that leaves an address (a sweep) would hide a payment that arrives between two
//! reads: a payment of exactly the swept amount soon after the sweep leaves the balance where
//! it was. So the search compares what *arrived*, not the balance: the balance plus the
//! native coin known to have left the address up to that block ([`Outflows`], from verified
//! sweeps). That never falls, and every rise in it is a credit. A credit already recorded is
//! never lost to a later sweep either (see [`reconcile`]).

use std::collections::BTreeMap;

use alloy_primitives::{Address, BlockNumber, TxHash, U256};

use crate::session::{Payment, PaymentStatus};

/// How many sub-ranges one round splits a range into: with 8, a 2,000-block catch-up
/// resolves in 4 rounds, a one-minute window in 1 or 2.
pub const FANOUT: u64 = 8;

/// Native coin known to have left watched addresses, by address: the block and amount of
/// each move (verified sweeps).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outflows(BTreeMap<Address, Vec<(BlockNumber, U256)>>);

impl Outflows {
    pub fn new(moves: impl IntoIterator<Item = (Address, BlockNumber, U256)>) -> Self {
        let mut by_address: BTreeMap<Address, Vec<(BlockNumber, U256)>> = BTreeMap::new();
        for (address, block, amount) in moves {
            by_address.entry(address).or_default().push((block, amount));
        }
        Self(by_address)
    }

    /// What had arrived at `address` by `block`, given its balance there: the balance plus
    /// everything known to have left up to that block.
    pub fn arrived(&self, address: Address, block: BlockNumber, balance: U256) -> U256 {
        self.0
            .get(&address)
            .into_iter()
            .flatten()
            .filter(|(at, _)| *at <= block)
            .fold(balance, |sum, (_, amount)| sum.saturating_add(*amount))
    }

    /// Whether money left `address` in the blocks `(lo, hi]`.
    pub fn any_within(&self, address: Address, lo: BlockNumber, hi: BlockNumber) -> bool {
        self.0
            .get(&address)
            .is_some_and(|moves| moves.iter().any(|(at, _)| *at > lo && *at <= hi))
    }
}

/// A change of what had arrived at an address, narrowed to one block: `before` at
/// `block − 1`, `after` at `block` (balances plus what had left by then, see [`Outflows`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub address: Address,
    pub block: BlockNumber,
    pub before: U256,
    pub after: U256,
}

impl Change {
    /// The credit this change is, if the balance rose.
    pub fn credit(&self) -> Option<U256> {
        (self.after > self.before).then(|| self.after - self.before)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Range {
    address: Address,
    lo: BlockNumber,
    lo_balance: U256,
    hi: BlockNumber,
    hi_balance: U256,
}

/// Narrows balance changes to single blocks, a round at a time. The caller reads the
/// balances [`Search::reads`] asks for (all in one batch), hands them to [`Search::feed`],
/// and repeats until [`Search::is_done`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Search {
    open: Vec<Range>,
    found: Vec<Change>,
    outflows: Outflows,
}

impl Search {
    pub fn new() -> Self {
        Self::default()
    }

    /// A search that counts the money known to have left as still there.
    pub fn with_outflows(outflows: Outflows) -> Self {
        Self {
            outflows,
            ..Self::default()
        }
    }

    /// Looks for changes of `address` in `(lo, hi]`, given its balance at both ends.
    /// Equal amounts arrived are taken as no change.
    pub fn add(&mut self, address: Address, lo: (BlockNumber, U256), hi: (BlockNumber, U256)) {
        let lo = (lo.0, self.outflows.arrived(address, lo.0, lo.1));
        let hi = (hi.0, self.outflows.arrived(address, hi.0, hi.1));
        self.add_arrived(address, lo, hi);
    }

    fn add_arrived(&mut self, address: Address, lo: (BlockNumber, U256), hi: (BlockNumber, U256)) {
        if hi.0 > lo.0 && hi.1 != lo.1 {
            self.settle(Range {
                address,
                lo: lo.0,
                lo_balance: lo.1,
                hi: hi.0,
                hi_balance: hi.1,
            });
        }
    }

    pub fn is_done(&self) -> bool {
        self.open.is_empty()
    }

    /// The (address, block) balances the next round needs.
    pub fn reads(&self) -> Vec<(Address, BlockNumber)> {
        let mut reads: Vec<(Address, BlockNumber)> = self
            .open
            .iter()
            .flat_map(|r| interior_points(r.lo, r.hi).map(move |b| (r.address, b)))
            .collect();
        reads.sort();
        reads.dedup();
        reads
    }

    /// Splits every open range at the balances read. A missing balance keeps its range
    /// open for the next round.
    pub fn feed(&mut self, balances: &BTreeMap<(Address, BlockNumber), U256>) {
        for range in std::mem::take(&mut self.open) {
            let mut points = vec![(range.lo, range.lo_balance)];
            for block in interior_points(range.lo, range.hi) {
                match balances.get(&(range.address, block)) {
                    Some(balance) => {
                        points.push((block, self.outflows.arrived(range.address, block, *balance)))
                    }
                    None => {
                        self.open.push(range.clone());
                        points.clear();
                        break;
                    }
                }
            }
            if points.is_empty() {
                continue;
            }
            points.push((range.hi, range.hi_balance));
            for pair in points.windows(2) {
                self.add_arrived(range.address, pair[0], pair[1]);
            }
        }
    }

    /// Every change found so far, by address and block.
    pub fn changes(&self) -> Vec<Change> {
        let mut found = self.found.clone();
        found.sort_by_key(|c| (c.address, c.block));
        found
    }

    fn settle(&mut self, range: Range) {
        if range.hi == range.lo + 1 {
            self.found.push(Change {
                address: range.address,
                block: range.hi,
                before: range.lo_balance,
                after: range.hi_balance,
            });
        } else {
            self.open.push(range);
        }
    }
}

/// Up to `FANOUT − 1` evenly spaced blocks strictly inside `(lo, hi)`.
fn interior_points(lo: BlockNumber, hi: BlockNumber) -> impl Iterator<Item = BlockNumber> {
    let span = hi - lo;
    let mut last = lo;
    (1..FANOUT).filter_map(move |j| {
        let block = lo + span * j / FANOUT;
        (block > last && block < hi).then(|| {
            last = block;
            block
        })
    })
}

/// Whether the recorded credits already explain the window: every one still in a
/// canonical block, and together exactly the rise of what arrived (`start` and `end` as
/// [`Outflows::arrived`] gives them). Then no search is needed.
pub fn explained(start: U256, end: U256, recorded: &[Payment], canonical: bool) -> bool {
    let live = recorded
        .iter()
        .filter(|p| p.status != PaymentStatus::Reorged)
        .try_fold(U256::ZERO, |sum, p| sum.checked_add(p.amount));
    canonical && end >= start && live == Some(end - start)
}

/// What a search over a window means for the credits recorded in it (all of one address
/// and chain): credits to insert, and recorded ones whose state changed (reorged out, or
/// back in a block of that height). `found` are the credits on chain now, with their
/// block's hash and time and the transaction that sent them, if one was found.
///
/// A recorded credit the search did not find is reorged out only if its block is no longer
/// the one it was found in (`in_chain` says whether it still is): money that left the
/// address later (a sweep) can hide a credit from the search, never undo it.
pub fn reconcile(
    recorded: &[Payment],
    found: &[Payment],
    in_chain: impl Fn(&Payment) -> bool,
) -> (Vec<Payment>, Vec<Payment>) {
    let by_block: BTreeMap<BlockNumber, &Payment> =
        found.iter().map(|f| (f.block_number, f)).collect();
    let mut changed = Vec::new();
    for p in recorded {
        match by_block.get(&p.block_number) {
            Some(f) => {
                let same = f.block_hash == p.block_hash && f.amount == p.amount;
                // Changed or back from a reorg: detected again; the lifecycle confirms it
                // again by depth.
                if !same || p.status == PaymentStatus::Reorged {
                    changed.push(Payment {
                        block_hash: f.block_hash,
                        block_time: f.block_time,
                        amount: f.amount,
                        tx_hash: f.tx_hash.or(if same { p.tx_hash } else { None }),
                        status: PaymentStatus::Detected,
                        ..p.clone()
                    });
                }
            }
            None if p.status != PaymentStatus::Reorged && !in_chain(p) => changed.push(Payment {
                status: PaymentStatus::Reorged,
                ..p.clone()
            }),
            None => {}
        }
    }
    let new = found
        .iter()
        .filter(|f| !recorded.iter().any(|p| p.block_number == f.block_number))
        .cloned()
        .collect();
    (new, changed)
}

/// The transaction in a block that sent the coin to `to`, if any did directly.
pub fn sender_tx(transactions: &[(TxHash, Option<Address>, U256)], to: Address) -> Option<TxHash> {
    transactions
        .iter()
        .find(|(_, recipient, value)| *recipient == Some(to) && !value.is_zero())
        .map(|(hash, _, _)| *hash)
}

#[cfg(test)]
mod tests {
    use alloy_primitives::B256;

    use super::*;
    use crate::time::Timestamp;
    use proptest::prelude::*;

    const A: Address = Address::repeat_byte(0xaa);
    const B: Address = Address::repeat_byte(0xbb);

    /// Runs a search to the end against a balance history, counting rounds.
    fn run(histories: &[(Address, Vec<(u64, u64)>)], lo: u64, hi: u64) -> (Vec<Change>, usize) {
        let balance = |address: Address, block: u64| -> U256 {
            let history = &histories
                .iter()
                .find(|(a, _)| *a == address)
                .expect("known")
                .1;
            U256::from(
                history
                    .iter()
                    .filter(|(at, _)| *at <= block)
                    .map(|(_, amount)| *amount)
                    .sum::<u64>(),
            )
        };
        let mut search = Search::new();
        for (address, _) in histories {
            search.add(
                *address,
                (lo, balance(*address, lo)),
                (hi, balance(*address, hi)),
            );
        }
        let mut rounds = 0;
        while !search.is_done() {
            rounds += 1;
            let read = search
                .reads()
                .into_iter()
                .map(|(a, b)| ((a, b), balance(a, b)))
                .collect();
            search.feed(&read);
            assert!(rounds < 64, "search does not converge");
        }
        (search.changes(), rounds)
    }

    #[test]
    fn finds_each_credit_at_its_block() {
        let (changes, rounds) = run(
            &[(A, vec![(1_234, 5), (1_500, 7)]), (B, vec![])],
            1_000,
            3_000,
        );
        let credits: Vec<(u64, Option<U256>)> =
            changes.iter().map(|c| (c.block, c.credit())).collect();
        assert_eq!(
            credits,
            [
                (1_234, Some(U256::from(5u8))),
                (1_500, Some(U256::from(7u8)))
            ]
        );
        assert!(rounds <= 4, "{rounds} rounds for 2,000 blocks");
    }

    /// A history of credits (`Some(amount)`) and sweeps of the whole balance (`None`) at
    /// distinct blocks: the balance at any block, and the sweeps as outflows.
    fn swept_history(events: &[(u64, Option<u64>)]) -> (impl Fn(u64) -> U256 + '_, Outflows) {
        let mut balance = 0u64;
        let mut moves = Vec::new();
        for (block, event) in events {
            match event {
                Some(amount) => balance += amount,
                None => {
                    moves.push((A, *block, U256::from(balance)));
                    balance = 0;
                }
            }
        }
        let at = move |block: u64| {
            U256::from(
                events
                    .iter()
                    .filter(|(at, _)| *at <= block)
                    .fold(0u64, |balance, (_, event)| {
                        event.map_or(0, |amount| balance + amount)
                    }),
            )
        };
        (at, Outflows::new(moves))
    }

    fn search_swept(events: &[(u64, Option<u64>)], lo: u64, hi: u64) -> Vec<(u64, u64)> {
        let (balance, outflows) = swept_history(events);
        let mut search = Search::with_outflows(outflows);
        search.add(A, (lo, balance(lo)), (hi, balance(hi)));
        for _ in 0..64 {
            if search.is_done() {
                break;
            }
            let read = search
                .reads()
                .into_iter()
                .map(|(a, b)| ((a, b), balance(b)))
                .collect();
            search.feed(&read);
        }
        assert!(search.is_done(), "search does not converge");
        search
            .changes()
            .iter()
            .filter_map(|c| Some((c.block, c.credit()?.to::<u64>())))
            .collect()
    }

    #[test]
    fn a_payment_of_the_swept_amount_soon_after_the_sweep_is_found() {
        // 5 paid at 10, swept at 20, 5 paid again at 22: the balance is 5 at both ends of
        // (15, 30], yet 5 more arrived.
        let events = [(10, Some(5)), (20, None), (22, Some(5))];
        assert_eq!(search_swept(&events, 15, 30), [(22, 5)]);
        // Without knowing the sweep, the two ends look the same and nothing is searched.
        let mut blind = Search::new();
        blind.add(A, (15, U256::from(5u8)), (30, U256::from(5u8)));
        assert!(blind.is_done() && blind.changes().is_empty());
    }

    #[test]
    fn what_arrived_counts_every_move_out_up_to_the_block() {
        let outflows = Outflows::new([(A, 20, U256::from(5u8)), (A, 30, U256::from(2u8))]);
        assert_eq!(outflows.arrived(A, 19, U256::from(1u8)), U256::from(1u8));
        assert_eq!(outflows.arrived(A, 20, U256::from(1u8)), U256::from(6u8));
        assert_eq!(outflows.arrived(A, 30, U256::ZERO), U256::from(7u8));
        assert_eq!(outflows.arrived(B, 30, U256::ZERO), U256::ZERO);
        assert!(outflows.any_within(A, 19, 20));
        assert!(!outflows.any_within(A, 20, 29));
        assert!(!outflows.any_within(B, 0, 100));
    }

    proptest! {
        #[test]
        fn with_the_sweeps_known_every_credit_is_found_however_money_left(
            blocks in proptest::collection::btree_set(1u64..2_000, 1..10),
            kinds in proptest::collection::vec(proptest::option::weighted(0.7, 1u64..1_000), 10),
        ) {
            let events: Vec<(u64, Option<u64>)> = blocks.iter().copied().zip(kinds).collect();
            let credits: Vec<(u64, u64)> =
                events.iter().filter_map(|(b, e)| Some((*b, (*e)?))).collect();
            prop_assert_eq!(search_swept(&events, 0, 2_000), credits);
        }
    }

    #[test]
    fn a_change_at_the_window_end_resolves_at_once() {
        let (changes, rounds) = run(&[(A, vec![(20, 3)])], 19, 20);
        assert_eq!(changes.len(), 1);
        assert_eq!(rounds, 0);
    }

    #[test]
    fn missing_reads_keep_the_range_for_the_next_round() {
        let mut search = Search::new();
        search.add(A, (0, U256::ZERO), (100, U256::from(1u8)));
        let before = search.clone();
        search.feed(&BTreeMap::new());
        assert_eq!(search, before);
    }

    #[test]
    fn sweeps_are_changes_but_not_credits() {
        let change = Change {
            address: A,
            block: 5,
            before: U256::from(10u8),
            after: U256::ZERO,
        };
        assert_eq!(change.credit(), None);
    }

    proptest! {
        #[test]
        fn every_credit_is_found_in_few_rounds(
            blocks in proptest::collection::btree_set(1u64..5_000, 0..6),
            amounts in proptest::collection::vec(1u64..1_000_000, 6),
        ) {
            let history: Vec<(u64, u64)> = blocks.iter().copied().zip(amounts).collect();
            let (changes, rounds) = run(&[(A, history.clone())], 0, 5_000);
            let found: Vec<(u64, u64)> = changes
                .iter()
                .map(|c| (c.block, c.credit().map_or(0, |v| v.to::<u64>())))
                .collect();
            prop_assert_eq!(found, history);
            prop_assert!(rounds <= 5);
        }
    }

    fn credit(block: u64, hash: u8, amount: u64, status: PaymentStatus) -> Payment {
        Payment {
            chain_id: 31337,
            token: "ETH".into(),
            tx_hash: None,
            log_index: None,
            block_number: block,
            block_hash: B256::repeat_byte(hash),
            block_time: Timestamp(block),
            amount: U256::from(amount),
            status,
            counted: true,
            repriced: None,
        }
    }

    #[test]
    fn recorded_credits_that_add_up_need_no_search() {
        let recorded = [credit(10, 1, 5, PaymentStatus::Detected)];
        assert!(explained(U256::from(1u8), U256::from(6u8), &recorded, true));
        assert!(!explained(
            U256::from(1u8),
            U256::from(6u8),
            &recorded,
            false
        ));
        assert!(!explained(
            U256::from(1u8),
            U256::from(9u8),
            &recorded,
            true
        ));
        assert!(!explained(
            U256::from(7u8),
            U256::from(6u8),
            &recorded,
            true
        ));
        assert!(explained(U256::from(3u8), U256::from(3u8), &[], true));
    }

    #[test]
    fn reconcile_inserts_new_and_reorgs_vanished_credits() {
        let recorded = [
            credit(10, 1, 5, PaymentStatus::Confirmed),
            credit(12, 2, 5, PaymentStatus::Detected),
        ];
        let found = [
            credit(10, 1, 5, PaymentStatus::Detected),
            credit(14, 4, 5, PaymentStatus::Detected),
        ];
        let (new, changed) = reconcile(&recorded, &found, |_| false);
        assert_eq!(new.iter().map(|p| p.block_number).collect::<Vec<_>>(), [14]);
        assert_eq!(changed.len(), 1);
        assert_eq!(
            (changed[0].block_number, changed[0].status),
            (12, PaymentStatus::Reorged)
        );
    }

    #[test]
    fn a_credit_the_search_missed_in_a_block_still_on_chain_stays() {
        // The balance left the address after the credit (a sweep), so the window's ends
        // are equal and the search finds nothing; the credit's block is unchanged.
        let recorded = [credit(10, 1, 5, PaymentStatus::Confirmed)];
        let still_there = |p: &Payment| p.block_hash == B256::repeat_byte(1);
        assert_eq!(reconcile(&recorded, &[], still_there), (vec![], vec![]));
        let (_, changed) = reconcile(&recorded, &[], |_| false);
        assert_eq!(changed[0].status, PaymentStatus::Reorged);
    }

    #[test]
    fn reconcile_restores_and_replaces_at_the_same_height() {
        let recorded = [
            credit(10, 1, 5, PaymentStatus::Reorged),
            credit(12, 2, 5, PaymentStatus::Confirmed),
        ];
        let found = [
            credit(10, 1, 5, PaymentStatus::Detected),
            credit(12, 9, 6, PaymentStatus::Detected),
        ];
        let (new, changed) = reconcile(&recorded, &found, |_| false);
        assert!(new.is_empty());
        assert_eq!(
            changed
                .iter()
                .map(|p| (p.block_number, p.status, p.amount.to::<u64>()))
                .collect::<Vec<_>>(),
            [
                (10, PaymentStatus::Detected, 5),
                (12, PaymentStatus::Detected, 6)
            ]
        );
    }

    #[test]
    fn the_sender_is_a_direct_transfer_with_value() {
        let to = A;
        let txs = [
            (B256::repeat_byte(1), Some(to), U256::ZERO),
            (B256::repeat_byte(2), Some(B), U256::from(1u8)),
            (B256::repeat_byte(3), Some(to), U256::from(1u8)),
        ];
        assert_eq!(sender_tx(&txs, to), Some(B256::repeat_byte(3)));
        assert_eq!(sender_tx(&txs[..2], to), None);
    }
}
