//! One chain's scan in one run: read the head, scan the window past the cursor (token logs
//! and native balances in one batch), record what it shows, reconcile what was recorded,
//! and move the cursor by compare-and-set.

use kasse_shared::error_code::ErrorCode;
use std::collections::BTreeSet;
use std::ops::RangeInclusive;

use alloy_primitives::BlockNumber;
use kasse_shared::catalogue::Chain;
use kasse_shared::native::Outflows;
use kasse_shared::scan::{
    next_cursor, next_scan_range, recorded_through, scan_range, window, within_budget,
};
use kasse_shared::session::{PaymentStatus, reconcile};
use kasse_shared::time::Timestamp;
use serde_json::Value;

use super::Collected;
use super::record::{ByAddress, native_watch, record_native, record_transfers, recorded_credit};
use super::refunds::RefundWatch;
use crate::chain::native::{BalanceRead, Recorded, Scan, Watched};
use crate::chain::rpc::{Call, Rpc, RpcError, read_heads};
use crate::chain::tokens::{log_calls, parse_logs};
use crate::error::ApiResult;
use crate::store::{Store, WatchRow, address_key};

/// One chain as this run reads it.
pub(super) struct ChainScan<'a> {
    pub store: &'a Store,
    pub chain: &'a Chain,
    pub rpc: &'a Rpc,
    pub now: Timestamp,
}

impl ChainScan<'_> {
    /// Reads the head, scans the window and moves the cursor past what was recorded. A
    /// provider's refusal narrows the next window; nothing else does.
    pub(super) async fn run(&self, collected: &mut Collected) -> ApiResult<()> {
        let chain_id = self.chain.chain_id;
        let heads = read_heads(self.rpc, chain_id).await?;
        // Confirmations count from the recorded head: the finalized block on a chain
        // confirmed by finality. The scan itself reaches the latest block, so a payment is
        // seen (detected) before it is final.
        self.store
            .record_head(chain_id, heads.confirmed, self.now)
            .await?;
        let head = heads.latest;
        let row = self
            .store
            .cursors()
            .await?
            .into_iter()
            .find(|c| c.chain_id == chain_id);
        let cursor = row.as_ref().and_then(|c| c.cursor);
        let refused_at = row.as_ref().and_then(|c| c.balance_reader_refused);
        let read = BalanceRead::after_refusal(refused_at, self.now);
        let (range, max_range) = scan_range(
            row.and_then(|c| c.scan_range),
            self.chain.rpc_limits.max_log_range,
        );
        let depth = self.chain.rescan_depth(heads.latest, heads.confirmed);
        let Some(window) = window(cursor, head, depth, range) else {
            return Ok(());
        };
        let recorded = match self.window(window, read, collected).await {
            Ok(recorded) => recorded,
            Err(e) => {
                // A smaller window helps a provider that refuses a range or a response size;
                // it does nothing for a database error, so only chain errors narrow it.
                if e.code == ErrorCode::ChainUnavailable {
                    let narrowed = next_scan_range(range, max_range, false);
                    self.store.narrow_scan(chain_id, narrowed).await?;
                }
                return Err(e);
            }
        };
        let to = next_cursor(cursor, recorded);
        let widened = next_scan_range(range, max_range, true);
        if !self
            .store
            .advance_cursor(chain_id, cursor, to, widened)
            .await?
        {
            worker::console_log!("watcher: chain {chain_id}: cursor moved by an overlapping run");
        }
        Ok(())
    }

    /// Scans the blocks `from..=to`: token logs and native balances in one batch (split
    /// only by the provider's limits), then records what it found. Returns the last block
    /// whose transfers are all recorded: `to`, or less in a window denser than one run
    /// records, or before a transfer that could not be recorded (the cursor stops there).
    async fn window(
        &self,
        window: RangeInclusive<BlockNumber>,
        read: BalanceRead,
        collected: &mut Collected,
    ) -> ApiResult<BlockNumber> {
        let (from, to) = (*window.start(), *window.end());
        let watched = self.store.watched(self.chain.chain_id, self.now).await?;
        let by_address: ByAddress = watched
            .iter()
            .map(|w| (w.address.clone(), (w.session_id.clone(), w.baseline_block)))
            .collect();
        let native_watched = self.native_watched(&watched, collected);
        let (recorded, outflows) = if native_watched.is_empty() {
            (Vec::new(), Outflows::default())
        } else {
            let outflows = self
                .store
                .native_outflows(self.chain.chain_id, from, to)
                .await?;
            (
                self.recorded_credits(from, to, collected).await?,
                Outflows::new(outflows),
            )
        };
        let native_scan = Scan::new(
            self.chain,
            from,
            to,
            native_watched,
            recorded,
            outflows,
            read,
        );
        let refunds = RefundWatch::load(self.store, self.chain, self.now).await;

        let calls = if self.chain.tokens.is_empty() {
            Vec::new()
        } else {
            // Pending refunds' addresses join the sessions' in the same filters.
            let mut addresses: BTreeSet<String> = by_address.keys().cloned().collect();
            addresses.extend(refunds.addresses());
            let addresses: Vec<String> = addresses.into_iter().collect();
            log_calls(self.chain, &addresses, from, to)
        };
        let log_calls = calls.len();
        let results = self.first_batch(calls, &native_scan).await?;
        let logs = &results[..log_calls];
        let failed = refunds
            .verify(self.store, self.chain, self.rpc, logs, from..=to, self.now)
            .await;
        collected.refunds_failed(self.chain.chain_id, failed);

        let complete_to = if log_calls > 0 {
            self.tokens(&by_address, &results[..log_calls], from..=to, collected)
                .await?
        } else {
            None
        };
        self.native(native_scan, &results[log_calls..], collected)
            .await?;
        let lowest_unrecorded = collected.failures.lowest_unrecorded(self.chain.chain_id);
        Ok(recorded_through(to, complete_to, lowest_unrecorded))
    }

    /// Sends the run's first batch: `calls` (the token logs) and the native scan's. If the
    /// provider refuses it while the scan reads by the balance reader, it is sent once more
    /// with Multicall3 in its place; should that pass, the reader was what it refused.
    async fn first_batch(&self, mut calls: Vec<Call>, scan: &Scan<'_>) -> ApiResult<Vec<Value>> {
        let log_calls = calls.len();
        calls.extend(scan.calls());
        if calls.is_empty() {
            return Ok(Vec::new());
        }
        match self.rpc.batches(&calls, &self.chain.rpc_limits).await {
            Err(RpcError::Node { code, message }) if scan.uses_reader() => {
                worker::console_warn!(
                    "watcher: chain {}: node error {code} ({message}) with the balance reader; retrying with Multicall3",
                    self.chain.chain_id
                );
                scan.fall_back();
                calls.truncate(log_calls);
                calls.extend(scan.calls());
                Ok(self.rpc.batches(&calls, &self.chain.rpc_limits).await?)
            }
            results => Ok(results?),
        }
    }

    /// The natively watched addresses; a row that cannot be read fails its session alone.
    fn native_watched(&self, rows: &[WatchRow], collected: &mut Collected) -> Vec<Watched> {
        let mut watched = Vec::new();
        for row in rows {
            match native_watch(row) {
                Ok(native) => watched.extend(native),
                Err(e) => collected.failures.add(
                    &[self.chain.chain_id],
                    &row.session_id,
                    "reading its watch row",
                    &e,
                ),
            }
        }
        watched
    }

    /// Native credits recorded in the blocks `from..=to`; one that cannot be read fails
    /// its session alone.
    async fn recorded_credits(
        &self,
        from: BlockNumber,
        to: BlockNumber,
        collected: &mut Collected,
    ) -> ApiResult<Vec<Recorded>> {
        let rows = self
            .store
            .native_payments(self.chain.chain_id, from, to)
            .await?;
        let mut recorded = Vec::with_capacity(rows.len());
        for row in &rows {
            match recorded_credit(row) {
                Ok(credit) => recorded.push(credit),
                Err(e) => collected.failures.add(
                    &[self.chain.chain_id],
                    &row.session_id,
                    "reading a payment",
                    &e,
                ),
            }
        }
        Ok(recorded)
    }

    /// Records the token transfers in the logs (within the run's budget) and reconciles the
    /// recorded token payments with them. Returns the last block the budget completed, if
    /// it cut the window short.
    async fn tokens(
        &self,
        by_address: &ByAddress,
        logs: &[Value],
        window: RangeInclusive<BlockNumber>,
        collected: &mut Collected,
    ) -> ApiResult<Option<BlockNumber>> {
        let chain_id = self.chain.chain_id;
        // The logs also hold transfers to pending refunds' addresses: those are the
        // refunds' (`RefundWatch`), not payments.
        let to_sessions = parse_logs(self.chain, logs)?
            .into_iter()
            .filter(|t| by_address.contains_key(&address_key(&t.to)))
            .collect();
        let (transfers, complete_to) = within_budget(to_sessions);
        let recorded_to = recorded_through(*window.end(), complete_to, None);
        let rescanned = record_transfers(
            self.store,
            self.chain,
            self.rpc,
            by_address,
            transfers,
            self.now,
            &mut collected.failures,
        )
        .await?;
        let recorded = self
            .store
            .rescannable_payments(chain_id, *window.start(), self.now)
            .await?;
        let mut readable = Vec::with_capacity(recorded.len());
        let mut payments = Vec::with_capacity(recorded.len());
        for row in &recorded {
            match row.payment() {
                Ok(p) => {
                    readable.push(row);
                    payments.push(p.clone());
                }
                Err(e) => {
                    collected
                        .failures
                        .add(&[chain_id], &row.session_id, "reading a payment", &e);
                }
            }
        }
        for changed in reconcile(&payments, &rescanned, &(*window.start()..=recorded_to)) {
            let Some((row, before)) = readable
                .iter()
                .zip(&payments)
                .find(|(_, p)| p.tx_hash == changed.tx_hash && p.log_index == changed.log_index)
            else {
                continue;
            };
            if changed.status == PaymentStatus::Reorged {
                worker::console_warn!(
                    "watcher: chain {chain_id}: payment {} reorged out of block {}",
                    row.id,
                    before.block_number
                );
            }
            collected.reconciled_payment(&row.session_id, &row.id, changed);
        }
        Ok(complete_to)
    }

    /// Finishes the native scan: records new credits and keeps the changed ones for their
    /// sessions' next version.
    async fn native(
        &self,
        scan: Scan<'_>,
        results: &[Value],
        collected: &mut Collected,
    ) -> ApiResult<()> {
        let findings = scan.finish(self.rpc, results).await?;
        if findings.reader_refused {
            worker::console_warn!(
                "watcher: chain {}: the provider refused the balance reader's state override; reading balances through Multicall3 from now on",
                self.chain.chain_id
            );
            self.store
                .remember_reader_refused(self.chain.chain_id, self.now)
                .await?;
        }
        record_native(
            self.store,
            self.chain,
            self.rpc,
            findings.new,
            self.now,
            &mut collected.failures,
        )
        .await?;
        for (session_id, payment_id, changed) in findings.changed {
            if changed.status == PaymentStatus::Reorged {
                worker::console_warn!(
                    "watcher: chain {}: native credit {payment_id} reorged out of block {}",
                    self.chain.chain_id,
                    changed.block_number
                );
            }
            collected.reconciled_payment(&session_id, &payment_id, changed);
        }
        Ok(())
    }
}
