//! Chain cursors: each chain's head, how far the watcher has scanned, its last error and
//! any reorg deeper than a final session's confirmations.

use alloy_primitives::{BlockNumber, ChainId};
use kasse_shared::session::Heads;
use kasse_shared::time::Timestamp;
use serde::Deserialize;
use worker::wasm_bindgen::JsValue;

use super::Store;
use super::bind::{int, text, time};
use crate::error::ApiResult;

#[derive(Debug, Deserialize)]
pub(crate) struct CursorRow {
    pub chain_id: ChainId,
    pub head: Option<BlockNumber>,
    pub cursor: Option<BlockNumber>,
    pub last_error: Option<String>,
    pub checked_at: Timestamp,
    pub scan_range: Option<u64>,
    pub deep_reorg: Option<String>,
    /// Set once the chain's provider refused the balance reader's state override.
    pub balance_reader_refused: Option<Timestamp>,
}

/// The `meta` key that remembers a chain's provider refused the balance reader: kept there
/// rather than in a new column, and read with the cursors at no extra query.
fn reader_refused_key(chain_id: ChainId) -> String {
    format!("balance_reader_refused:{chain_id}")
}

impl Store {
    /// Records a successful look at a chain's head.
    pub(crate) async fn record_head(
        &self,
        chain_id: ChainId,
        head: BlockNumber,
        now: Timestamp,
    ) -> ApiResult<()> {
        self.exec(
            "INSERT INTO chain_cursors (chain_id, head, last_error, checked_at) VALUES (?1, ?2, NULL, ?3)
             ON CONFLICT (chain_id) DO UPDATE SET head = excluded.head, last_error = NULL, checked_at = excluded.checked_at",
            &[int(chain_id), int(head), time(now)],
        )
        .await
    }

    /// Records a failed run; the head and cursor stay as they were.
    pub(crate) async fn record_chain_error(
        &self,
        chain_id: ChainId,
        error: &str,
        now: Timestamp,
    ) -> ApiResult<()> {
        self.exec(
            "INSERT INTO chain_cursors (chain_id, last_error, checked_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (chain_id) DO UPDATE SET last_error = excluded.last_error, checked_at = excluded.checked_at",
            &[int(chain_id), text(error), time(now)],
        )
        .await
    }

    /// Moves a chain's cursor from `from` to `to`, only if no other run moved it meanwhile,
    /// and sets how far the next run may move it.
    pub(crate) async fn advance_cursor(
        &self,
        chain_id: ChainId,
        from: Option<BlockNumber>,
        to: BlockNumber,
        scan_range: u64,
    ) -> ApiResult<bool> {
        let changed = self
            .changed(
                "UPDATE chain_cursors SET cursor = ?3, scan_range = ?4 WHERE chain_id = ?1 AND cursor IS ?2",
                &[int(chain_id), from.map_or(JsValue::NULL, int), int(to), int(scan_range)],
            )
            .await?;
        Ok(changed == 1)
    }

    /// After a failed scan: the next run moves the cursor at most `scan_range` blocks.
    pub(crate) async fn narrow_scan(&self, chain_id: ChainId, scan_range: u64) -> ApiResult<()> {
        self.exec(
            "UPDATE chain_cursors SET scan_range = ?2 WHERE chain_id = ?1",
            &[int(chain_id), int(scan_range)],
        )
        .await
    }

    /// Remembers a reorg deeper than the confirmations under a final session (shown in health).
    pub(crate) async fn record_deep_reorg(&self, chain_id: ChainId, note: &str) -> ApiResult<()> {
        self.exec(
            "UPDATE chain_cursors SET deep_reorg = ?2 WHERE chain_id = ?1",
            &[int(chain_id), text(note)],
        )
        .await
    }

    pub(crate) async fn cursors(&self) -> ApiResult<Vec<CursorRow>> {
        self.rows(
            "SELECT chain_id, head, cursor, last_error, checked_at, scan_range, deep_reorg,
                    (SELECT updated_at FROM meta WHERE key = 'balance_reader_refused:' || chain_id) AS balance_reader_refused
             FROM chain_cursors ORDER BY chain_id",
            &[],
        )
        .await
    }

    /// Remembers that `chain_id`'s provider refused the balance reader: later runs read its
    /// balances through Multicall3.
    pub(crate) async fn remember_reader_refused(
        &self,
        chain_id: ChainId,
        now: Timestamp,
    ) -> ApiResult<()> {
        self.put_meta(&reader_refused_key(chain_id), "refused", now)
            .await
    }

    pub(crate) async fn heads(&self) -> ApiResult<Heads> {
        Ok(self
            .cursors()
            .await?
            .into_iter()
            .filter_map(|c| Some((c.chain_id, c.head?)))
            .collect())
    }
}
