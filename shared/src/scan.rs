//! How the watcher walks a chain: which blocks one run scans, how far the next run may go,
//! how many transfers one run records, where the cursor may move, and how a run's JSON-RPC
//! calls are split into batches the provider accepts.

use std::ops::{Range, RangeInclusive};

use alloy_primitives::BlockNumber;
use serde_json::Value;

use crate::catalogue::RpcLimits;
use crate::evm::TransferLog;

/// Blocks rescanned beyond the confirmation depth, so reorged-out and re-included payments
/// are seen.
pub const RESCAN_MARGIN: u64 = 5;

/// Token transfers one run records per chain at most. A denser window is recorded up to a
/// whole block within this, the cursor stops there, and the next run goes on from it.
pub const MAX_TRANSFERS_PER_RUN: usize = 2_000;

/// The first block a scan looks at: deep enough below `cursor` (the head before the first
/// run) that every payment still confirming is read again, never block 0.
pub fn rescan_from(
    cursor: Option<BlockNumber>,
    head: BlockNumber,
    min_confirmations: u32,
) -> BlockNumber {
    cursor
        .unwrap_or(head)
        .saturating_sub(u64::from(min_confirmations) + RESCAN_MARGIN)
        .max(1)
}

/// The blocks one run scans: from [`rescan_from`] to `range` blocks past the cursor, never
/// past the head. `None` when there is nothing to scan (a node behind the cursor).
pub fn window(
    cursor: Option<BlockNumber>,
    head: BlockNumber,
    min_confirmations: u32,
    range: u64,
) -> Option<RangeInclusive<BlockNumber>> {
    let from = rescan_from(cursor, head, min_confirmations);
    let to = head.min(cursor.unwrap_or(head).saturating_add(range));
    (from <= to).then_some(from..=to)
}

/// How far this run may move the cursor: what the last run left (the provider's
/// `max_log_range` before any run), within one block and `max_log_range`. Returns
/// (range, its upper limit).
pub fn scan_range(stored: Option<u64>, max_log_range: u64) -> (u64, u64) {
    let max = max_log_range.max(1);
    (stored.unwrap_or(max).clamp(1, max), max)
}

/// How far the next run may move the cursor: a failed scan halves the range (a provider
/// that refuses a range or a response size gets a smaller one), a good one doubles it back.
pub fn next_scan_range(current: u64, max: u64, scanned: bool) -> u64 {
    let next = if scanned {
        current.saturating_mul(2)
    } else {
        current / 2
    };
    next.clamp(1, max.max(1))
}

/// The transfers one run records: all of them, or in a denser window the first whole
/// blocks within [`MAX_TRANSFERS_PER_RUN`] (at least one block), with the last block they
/// complete.
pub fn within_budget(transfers: Vec<TransferLog>) -> (Vec<TransferLog>, Option<BlockNumber>) {
    within(transfers, MAX_TRANSFERS_PER_RUN)
}

fn within(
    mut transfers: Vec<TransferLog>,
    budget: usize,
) -> (Vec<TransferLog>, Option<BlockNumber>) {
    if transfers.len() <= budget {
        return (transfers, None);
    }
    transfers.sort_by_key(|t| (t.block_number, t.log_index));
    let first_block = transfers[0].block_number;
    let mut cut = transfers.len();
    for (i, t) in transfers.iter().enumerate() {
        if i >= budget
            && t.block_number > first_block
            && t.block_number != transfers[i - 1].block_number
        {
            cut = i;
            break;
        }
    }
    // Past the budget the cut falls at the next block boundary, so no block is half-recorded.
    let complete_to = transfers[cut - 1].block_number;
    transfers.truncate(cut);
    (transfers, Some(complete_to))
}

/// The last block of the window `..=to` whose transfers are all recorded: `to`, or less
/// when the budget stopped at `complete_to`, and always before the lowest block holding a
/// transfer that could not be recorded (the next run retries it).
pub fn recorded_through(
    to: BlockNumber,
    complete_to: Option<BlockNumber>,
    lowest_unrecorded: Option<BlockNumber>,
) -> BlockNumber {
    let recorded = complete_to.map_or(to, |b| b.min(to));
    match lowest_unrecorded {
        Some(block) => recorded.min(block.saturating_sub(1)),
        None => recorded,
    }
}

/// Where the cursor moves after a scan recorded everything through `recorded`: never
/// backwards, because a transfer held below the cursor is inside the next rescan anyway.
pub fn next_cursor(cursor: Option<BlockNumber>, recorded: BlockNumber) -> BlockNumber {
    recorded.max(cursor.unwrap_or(0))
}

/// About how many bytes a call adds to a batch: its params and method, plus the envelope
/// (`{"jsonrpc":"2.0","id":…,"method":…}`, ~60 bytes).
pub fn call_size(method: &str, params: &Value) -> usize {
    params.to_string().len() + method.len() + 60
}

/// Consecutive ranges of calls (given by their [`call_size`]s) within the provider's
/// limits: at most `max_batch` calls and about `max_batch_bytes` each. A single call over
/// the byte limit gets a batch of its own.
pub fn chunk_ranges(sizes: &[usize], limits: &RpcLimits) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, size) in sizes.iter().enumerate() {
        let full = i > start
            && (i - start >= limits.max_batch.max(1) || bytes + size > limits.max_batch_bytes);
        if full {
            ranges.push(start..i);
            (start, bytes) = (i, 0);
        }
        bytes += size;
    }
    if start < sizes.len() {
        ranges.push(start..sizes.len());
    }
    ranges
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{Address, B256, U256};

    use super::*;

    #[test]
    fn the_first_run_starts_below_the_head() {
        // No cursor yet: the head stands in for it.
        assert_eq!(window(None, 1_000, 3, 500), Some(992..=1_000));
        assert_eq!(rescan_from(None, 1_000, 3), 992);
    }

    #[test]
    fn a_cursor_behind_the_head_moves_at_most_the_range() {
        assert_eq!(window(Some(100), 10_000, 2, 50), Some(93..=150));
        assert_eq!(
            window(Some(100), 120, 2, 50),
            Some(93..=120),
            "never past the head"
        );
    }

    #[test]
    fn the_rescan_covers_the_confirmations_and_the_margin() {
        let w = window(Some(100), 100, 12, 2_000).expect("a window");
        assert_eq!(*w.start(), 100 - 12 - RESCAN_MARGIN);
        assert_eq!(rescan_from(Some(3), 50, 12), 1, "never block 0");
        assert_eq!(
            window(Some(0), 0, 0, 10),
            None,
            "an empty chain has nothing to scan"
        );
    }

    #[test]
    fn a_head_behind_the_cursor_still_rescans_what_it_can() {
        // A lagging node (or a reorg to a shorter chain): the rescan reads up to its head.
        assert_eq!(window(Some(100), 97, 2, 50), Some(93..=97));
        // Below the whole rescan: nothing to do this run.
        assert_eq!(window(Some(100), 90, 2, 50), None);
    }

    #[test]
    fn the_range_starts_at_the_limit_and_stays_within_it() {
        assert_eq!(scan_range(None, 2_000), (2_000, 2_000));
        assert_eq!(scan_range(Some(250), 2_000), (250, 2_000));
        assert_eq!(
            scan_range(Some(5_000), 2_000),
            (2_000, 2_000),
            "a lowered limit applies"
        );
        assert_eq!(scan_range(Some(0), 2_000), (1, 2_000));
        assert_eq!(scan_range(None, 0), (1, 1));
    }

    #[test]
    fn scan_range_halves_on_failure_and_doubles_back() {
        assert_eq!(next_scan_range(2000, 2000, false), 1000);
        assert_eq!(next_scan_range(1, 2000, false), 1, "never below one block");
        assert_eq!(next_scan_range(1000, 2000, true), 2000);
        assert_eq!(
            next_scan_range(1500, 2000, true),
            2000,
            "never above the limit"
        );
        let mut range = 2000;
        for _ in 0..20 {
            range = next_scan_range(range, 2000, false);
        }
        assert_eq!(range, 1);
        for _ in 0..11 {
            range = next_scan_range(range, 2000, true);
        }
        assert_eq!(range, 2000, "grows back to the limit");
    }

    fn transfer(block: u64, log_index: u64) -> TransferLog {
        TransferLog {
            token: "USDC".into(),
            to: Address::repeat_byte(0xaa),
            amount: U256::from(1u8),
            tx_hash: B256::repeat_byte(1),
            log_index,
            block_number: block,
            block_hash: B256::repeat_byte(2),
        }
    }

    fn blocks(transfers: &[TransferLog]) -> Vec<u64> {
        transfers.iter().map(|t| t.block_number).collect()
    }

    #[test]
    fn within_the_budget_everything_is_recorded() {
        let all = vec![transfer(12, 0), transfer(10, 0), transfer(10, 1)];
        let (kept, complete_to) = within(all.clone(), 3);
        assert_eq!((kept, complete_to), (all, None), "kept as found");
    }

    #[test]
    fn past_the_budget_whole_blocks_are_recorded() {
        let all = vec![
            transfer(11, 0),
            transfer(10, 1),
            transfer(10, 0),
            transfer(11, 1),
            transfer(12, 0),
        ];
        let (kept, complete_to) = within(all, 3);
        assert_eq!(
            blocks(&kept),
            [10, 10, 11, 11],
            "block 11 is not cut in half"
        );
        assert_eq!(complete_to, Some(11));
        assert_eq!(
            (kept[0].log_index, kept[1].log_index),
            (0, 1),
            "in chain order"
        );
    }

    #[test]
    fn one_block_over_the_budget_is_recorded_whole() {
        let all: Vec<TransferLog> = (0..5)
            .map(|i| transfer(10, i))
            .chain([transfer(11, 0)])
            .collect();
        let (kept, complete_to) = within(all, 2);
        assert_eq!(blocks(&kept), [10; 5]);
        assert_eq!(complete_to, Some(10));
    }

    #[test]
    fn the_budget_is_two_thousand_transfers() {
        let all: Vec<TransferLog> = (0..2_001)
            .map(|i| transfer(10 + i / 100, i % 100))
            .collect();
        let (kept, complete_to) = within_budget(all);
        assert_eq!((kept.len(), complete_to), (2_000, Some(29)));
        let all: Vec<TransferLog> = (0..2_000).map(|i| transfer(10, i)).collect();
        assert_eq!(within_budget(all).1, None);
    }

    #[test]
    fn the_cursor_stops_before_what_was_not_recorded() {
        assert_eq!(recorded_through(100, None, None), 100);
        assert_eq!(recorded_through(100, Some(80), None), 80);
        assert_eq!(recorded_through(100, Some(120), None), 100);
        assert_eq!(recorded_through(100, Some(80), Some(60)), 59);
        assert_eq!(recorded_through(100, None, Some(0)), 0);
        assert_eq!(next_cursor(Some(90), 59), 90, "never backwards");
        assert_eq!(next_cursor(Some(90), 100), 100);
        assert_eq!(next_cursor(None, 59), 59);
    }

    fn limits(max_batch: usize, max_batch_bytes: usize) -> RpcLimits {
        RpcLimits {
            max_batch,
            max_batch_bytes,
            ..RpcLimits::default()
        }
    }

    #[test]
    fn batches_fill_to_the_call_limit_exactly() {
        let sizes = [10; 7];
        assert_eq!(chunk_ranges(&sizes, &limits(3, 1_000)), [0..3, 3..6, 6..7]);
        assert_eq!(chunk_ranges(&sizes[..6], &limits(3, 1_000)), [0..3, 3..6]);
        assert_eq!(
            chunk_ranges(&sizes, &limits(0, 1_000)).len(),
            7,
            "at least one call a batch"
        );
    }

    #[test]
    fn batches_fill_to_the_byte_limit_exactly() {
        assert_eq!(chunk_ranges(&[10, 10, 10], &limits(100, 20)), [0..2, 2..3]);
        assert_eq!(
            chunk_ranges(&[10, 11, 10], &limits(100, 20)),
            [0..1, 1..2, 2..3]
        );
        assert_eq!(chunk_ranges(&[10, 10, 10], &limits(100, 30)), vec![0..3]);
    }

    #[test]
    fn an_empty_batch_needs_no_request() {
        assert!(chunk_ranges(&[], &limits(10, 100)).is_empty());
    }

    #[test]
    fn an_oversized_call_goes_alone() {
        assert_eq!(chunk_ranges(&[500], &limits(10, 100)), vec![0..1]);
        assert_eq!(
            chunk_ranges(&[10, 500, 10], &limits(10, 100)),
            [0..1, 1..2, 2..3]
        );
    }

    #[test]
    fn a_call_counts_its_envelope() {
        let params = serde_json::json!(["0x1", false]);
        assert_eq!(call_size("eth_getBlockByNumber", &params), 13 + 20 + 60);
    }
}
