//! Verifying refunds: the pending refunds of a chain the watcher looks for, and writing what
//! verification changed.
//!
//! A change is one batch: the refund's row, written only at the version it was read at and
//! while it is still `pending`, then the event the change raises (if any) with its
//! deliveries, each written only where the refund stands as the change left it. Of two runs
//! (or a run and a submit) changing one refund, one writes everything and the other nothing.

use alloy_primitives::ChainId;
use kasse_shared::account::Settings;
use kasse_shared::refund::Refund;
use kasse_shared::time::Timestamp;
use serde::Deserialize;
use worker::wasm_bindgen::JsValue;

use super::bind::{changes, int, opt_text, text, time};
use super::{NewEvent, REFUND_COLUMNS, RefundRow, Store};
use crate::error::{ApiError, ApiResult};

/// Pending refunds one run looks for on a chain at most, oldest first. Their addresses join
/// the chain's `Transfer` filter, chunked like the sessions' into the same batches.
pub(crate) const REFUNDS_PER_RUN: u32 = 2_000;

/// A pending refund with an address, and the settings of its account in its mode (its
/// extra confirmations); `Err` when those cannot be read.
pub(crate) struct WatchedRefund {
    pub refund: Refund,
    pub settings: ApiResult<Settings>,
}

impl Store {
    /// The chain's pending refunds that have an address, oldest first, at most
    /// [`REFUNDS_PER_RUN`] (one query).
    pub(crate) async fn watched_refunds(&self, chain_id: ChainId) -> ApiResult<Vec<WatchedRefund>> {
        #[derive(Deserialize)]
        struct Row {
            #[serde(flatten)]
            refund: RefundRow,
            account_settings: Option<String>,
        }
        let rows: Vec<Row> = self
            .rows(
                &format!(
                    "SELECT {REFUND_COLUMNS},
                         (SELECT a.settings FROM account_settings a
                          WHERE a.account_id = refunds.account_id AND a.livemode = refunds.livemode) AS account_settings
                     FROM refunds WHERE chain_id = ?1 AND status = 'pending' AND address IS NOT NULL
                     ORDER BY created_unix, id LIMIT ?2"
                ),
                &[int(chain_id), int(u64::from(REFUNDS_PER_RUN))],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let refund = row.refund.0;
                let settings = match row.account_settings {
                    Some(json) => serde_json::from_str(&json).map_err(ApiError::internal),
                    None => Err(ApiError::internal(format!(
                        "the account of refund {} has no settings",
                        refund.id
                    ))),
                };
                WatchedRefund { refund, settings }
            })
            .collect())
    }

    /// Writes a pending refund as verification left it (`after`: its next version) with its
    /// event and the event's deliveries, in one batch; whether this change was written
    /// (false when another run or request changed the refund first).
    pub(crate) async fn change_refund(
        &self,
        after: &Refund,
        event: Option<&NewEvent>,
        now: Timestamp,
    ) -> ApiResult<bool> {
        let hex = |h: Option<alloy_primitives::B256>| h.map(|h| format!("{h:#x}"));
        let number = |n: Option<u64>| n.map_or(JsValue::NULL, int);
        let update = self.stmt(
            "UPDATE refunds SET status = ?2, tx_hash = ?3, log_index = ?4, block_number = ?5, block_hash = ?6,
                 submitted_hash = ?7, failure_code = ?8, failure_message = ?9, succeeded_at = ?10,
                 updated_at = ?11, version = ?12
             WHERE id = ?1 AND version = ?12 - 1 AND status = 'pending'",
            &[
                text(&after.id),
                text(after.status.as_str()),
                opt_text(hex(after.tx_hash).as_deref()),
                number(after.log_index),
                number(after.block_number),
                opt_text(hex(after.block_hash).as_deref()),
                opt_text(hex(after.submitted_hash).as_deref()),
                opt_text(after.failure_code.map(|c| c.as_str())),
                opt_text(after.failure_message.as_deref()),
                after.succeeded_at.map_or(JsValue::NULL, time),
                time(now),
                int(after.version),
            ],
        )?;
        let mut batch = vec![update];
        if let Some(event) = event {
            batch.extend(self.refund_event_stmts(after, &[event])?);
        }
        let results = self.batch(batch).await?;
        Ok(results.first().is_some_and(|r| changes(r) == 1))
    }
}
