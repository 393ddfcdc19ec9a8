//! What the watcher reads and records each run, in bulk: a run's D1 work grows by a few
//! statements per batch of payments or sessions, never by a query per session. Every bulk
//! write is split in halves when it fails, so one row that cannot be written costs only
//! itself.

use std::collections::BTreeMap;
use std::ops::Range;

use alloy_primitives::{BlockNumber, ChainId};
use kasse_shared::ids::{PaymentId, SessionId};
use kasse_shared::session::Session;
use kasse_shared::time::Timestamp;
use serde::Deserialize;
use serde_json::json;

use super::Store;
use super::bind::{address_key, int, text, time};
use super::payments::{NewPayment, PAYMENT_COLUMNS, PaymentRow};
use super::sessions::SessionRow;
use crate::error::{ApiError, ApiResult};

/// A session a run evaluates, as loaded: its document may be unreadable, which fails this
/// session alone.
pub(crate) struct Candidate {
    pub id: SessionId,
    /// The chains it is watched on, for the per-chain failure count.
    pub chains: Vec<ChainId>,
    pub session: ApiResult<Session>,
    pub payments: Vec<PaymentRow>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WatchRow {
    pub address: String,
    pub session_id: SessionId,
    /// Balance and block of the baseline; `None` when the native coin is not watched.
    pub native_baseline: Option<String>,
    pub native_baseline_block: Option<BlockNumber>,
    /// The chain's head at the session's creation (see the migration): transfers up to it
    /// are not the session's.
    #[serde(default)]
    pub baseline_block: Option<BlockNumber>,
}

/// What a bulk insert of payments did.
#[derive(Debug, Default)]
pub(crate) struct Recorded {
    /// Transfers that could not be written, as (session, block): logged, and the cursor
    /// stays before the lowest such block so the next run records them.
    pub failed: Vec<(SessionId, BlockNumber)>,
}

/// Payments per insert statement: each is one bound JSON array.
const INSERT_ROWS: usize = 400;

/// The sessions to evaluate, picked by one query and read by the two that follow in the same
/// batch: those due by time, those with a payment still confirming or just recorded
/// (`settling`), and `extra` (payments this run moved). Under `limit`, sessions that failed
/// before come last, so a poisoned one never takes a healthy one's place; then `extra`
/// (its changes live only in this run), then settling ones, then those due by time.
const PICKED: &str = "WITH ids AS (
        SELECT session_id FROM watch WHERE due_unix <= ?1
        UNION SELECT session_id FROM watch WHERE settling = 1
        UNION SELECT value FROM json_each(?2)),
    picked AS (
        SELECT w.session_id, group_concat(w.chain_id) AS chains, max(w.failures) AS failures,
            min(w.due_unix) AS due, max(w.settling) AS settling,
            w.session_id IN (SELECT value FROM json_each(?2)) AS moved
        FROM watch w WHERE w.session_id IN (SELECT session_id FROM ids)
        GROUP BY w.session_id ORDER BY failures, moved DESC, settling DESC, due, w.session_id LIMIT ?3)";

impl Store {
    /// The watch rows of a chain: sessions inside their grace window, and past it those
    /// with a counted payment still confirming (they are watched until it is final).
    pub(crate) async fn watched(
        &self,
        chain_id: ChainId,
        now: Timestamp,
    ) -> ApiResult<Vec<WatchRow>> {
        self
            .rows(
                "SELECT address, session_id, native_baseline, native_baseline_block, baseline_block FROM watch
                 WHERE chain_id = ?1 AND (watch_until_unix >= ?2 OR settling = 1)",
                &[int(chain_id), int(now.0)],
            )
            .await
    }

    /// Up to `limit` sessions a run must evaluate, each with its payments (see [`PICKED`]).
    pub(crate) async fn sessions_to_evaluate(
        &self,
        now: Timestamp,
        extra: &[SessionId],
        limit: u64,
    ) -> ApiResult<Vec<Candidate>> {
        #[derive(Deserialize)]
        struct Row {
            id: SessionId,
            chains: Option<String>,
            data: Option<String>,
            accessed_at: Option<String>,
        }
        let args = [
            int(now.0),
            text(&serde_json::to_string(extra).map_err(ApiError::internal)?),
            int(limit),
        ];
        let results = self
            .batch(vec![
                self.stmt(
                    &format!(
                        "{PICKED} SELECT p.session_id AS id, p.chains, s.data, s.accessed_at
                         FROM picked p LEFT JOIN checkout_sessions s ON s.id = p.session_id"
                    ),
                    &args,
                )?,
                self.stmt(
                    &format!(
                        "{PICKED} SELECT {PAYMENT_COLUMNS} FROM payments
                         WHERE session_id IN (SELECT session_id FROM picked)
                         ORDER BY session_id, block_number, log_index"
                    ),
                    &args,
                )?,
            ])
            .await?;
        let [sessions, payments] = results.as_slice() else {
            return Err(ApiError::internal("evaluation batch answered short"));
        };
        let mut by_session: BTreeMap<SessionId, Vec<PaymentRow>> = BTreeMap::new();
        for row in payments.results::<PaymentRow>()? {
            by_session
                .entry(row.session_id.clone())
                .or_default()
                .push(row);
        }
        Ok(sessions
            .results::<Row>()?
            .into_iter()
            .map(|row| {
                let chains = row
                    .chains
                    .as_deref()
                    .unwrap_or_default()
                    .split(',')
                    .filter_map(|c| c.parse().ok())
                    .collect();
                let session = match row.data {
                    Some(data) => SessionRow {
                        data,
                        accessed_at: row.accessed_at,
                    }
                    .session(),
                    None => Err(ApiError::internal("watched session has no row")),
                };
                Candidate {
                    payments: by_session.remove(&row.id).unwrap_or_default(),
                    id: row.id,
                    chains,
                    session,
                }
            })
            .collect())
    }

    /// The sessions `ids` in one query; a document that cannot be read is an `Err` of its own.
    pub(crate) async fn sessions_by_id(
        &self,
        ids: &[&SessionId],
    ) -> ApiResult<BTreeMap<SessionId, ApiResult<Session>>> {
        #[derive(Deserialize)]
        struct Row {
            id: SessionId,
            data: String,
            accessed_at: Option<String>,
        }
        if ids.is_empty() {
            return Ok(BTreeMap::new());
        }
        let rows: Vec<Row> = self
            .rows(
                "SELECT id, data, accessed_at FROM checkout_sessions WHERE id IN (SELECT value FROM json_each(?1))",
                &[text(&serde_json::to_string(ids).map_err(ApiError::internal)?)],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let session = SessionRow {
                    data: r.data,
                    accessed_at: r.accessed_at,
                }
                .session();
                (r.id, session)
            })
            .collect())
    }

    /// Records newly found transfers (ones already recorded stay as they are) and marks
    /// their sessions `settling`, so the next evaluation takes them up even if this run
    /// ends first. A failing group is split until the failing transfer stands alone; if
    /// nothing at all could be written, that is an error (the store is down, not a row).
    pub(crate) async fn record_payments(
        &self,
        found: &[NewPayment],
        ids: &mut impl FnMut() -> PaymentId,
        now: Timestamp,
    ) -> ApiResult<Recorded> {
        let rows: Vec<serde_json::Value> = found
            .iter()
            .map(|f| {
                let p = &f.payment;
                json!({
                    "id": ids(),
                    "sid": f.session_id,
                    "chain": p.chain_id,
                    "token": p.token,
                    "address": address_key(&f.address),
                    "tx": p.tx_hash.map(|h| h.to_string()),
                    "log": p.log_index,
                    "block": p.block_number,
                    "hash": p.block_hash.to_string(),
                    "time": p.block_time.to_string(),
                    "amount": p.amount.to_string(),
                    "status": p.status,
                    "counted": u8::from(p.counted),
                    "repriced": p.repriced.as_ref().and_then(|q| serde_json::to_string(q).ok()),
                })
            })
            .collect();
        let mut recorded = Recorded::default();
        let mut pending: Vec<Range<usize>> = (0..rows.len())
            .step_by(INSERT_ROWS)
            .map(|start| start..(start + INSERT_ROWS).min(rows.len()))
            .rev()
            .collect();
        let (mut written, mut first_error, mut splits) = (false, None, 0);
        while let Some(range) = pending.pop() {
            match self.insert_payment_rows(&rows[range.clone()], now).await {
                Ok(()) => written = true,
                Err(e) if range.len() > 1 && splits < super::changes::MAX_SPLITS => {
                    splits += 1;
                    let mid = range.start + range.len() / 2;
                    pending.push(mid..range.end);
                    pending.push(range.start..mid);
                    first_error.get_or_insert(e);
                }
                Err(e) => {
                    for failed in &found[range] {
                        worker::console_error!(
                            "watcher: session {}: a transfer could not be recorded: {}",
                            failed.session_id,
                            e.message
                        );
                        recorded
                            .failed
                            .push((failed.session_id.clone(), failed.payment.block_number));
                    }
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            Some(e) if !written => Err(e),
            _ => Ok(recorded),
        }
    }

    async fn insert_payment_rows(
        &self,
        rows: &[serde_json::Value],
        now: Timestamp,
    ) -> ApiResult<()> {
        let json = serde_json::to_string(rows).map_err(ApiError::internal)?;
        self.batch(vec![
            self.stmt(
                "INSERT INTO payments (id, session_id, chain_id, token, address, tx_hash, log_index, block_number, block_hash,
                     block_time, amount, status, counted, repriced, created_at, updated_at)
                 SELECT json_extract(value, '$.id'), json_extract(value, '$.sid'), json_extract(value, '$.chain'),
                     json_extract(value, '$.token'), json_extract(value, '$.address'), json_extract(value, '$.tx'),
                     json_extract(value, '$.log'), json_extract(value, '$.block'), json_extract(value, '$.hash'),
                     json_extract(value, '$.time'), json_extract(value, '$.amount'), json_extract(value, '$.status'),
                     json_extract(value, '$.counted'), json_extract(value, '$.repriced'), ?2, ?2
                 FROM json_each(?1) WHERE true
                 ON CONFLICT DO NOTHING",
                &[text(&json), time(now)],
            )?,
            // Only sessions with a row this insert really wrote (a transfer found again keeps
            // its first id, so the ids tell).
            self.stmt(
                "UPDATE watch SET settling = 1
                 WHERE session_id IN (SELECT session_id FROM payments
                                      WHERE id IN (SELECT json_extract(value, '$.id') FROM json_each(?1)))",
                &[text(&json)],
            )?,
        ])
        .await?;
        Ok(())
    }

    /// Clears `settling` for sessions a run found unchanged, unless a counted payment of
    /// theirs is still confirming (one a concurrent check just recorded, say).
    pub(crate) async fn settle(&self, ids: &[SessionId]) -> ApiResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        self.exec(
            "UPDATE watch SET settling = 0
             WHERE settling = 1 AND session_id IN (SELECT value FROM json_each(?1))
               AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.session_id = watch.session_id
                               AND p.counted = 1 AND p.status = 'detected')",
            &[text(
                &serde_json::to_string(ids).map_err(ApiError::internal)?,
            )],
        )
        .await
    }

    /// Counts one more failure for each of `ids` (they are retried after the healthy ones).
    pub(crate) async fn note_failures(&self, ids: &[&SessionId]) -> ApiResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        self.exec(
            "UPDATE watch SET failures = failures + 1 WHERE session_id IN (SELECT value FROM json_each(?1))",
            &[text(&serde_json::to_string(ids).map_err(ApiError::internal)?)],
        )
        .await
    }

    /// Token payments a rescan from `from` must account for: those in the window, and
    /// reorged ones that may come back anywhere.
    pub(crate) async fn rescannable_payments(
        &self,
        chain_id: ChainId,
        from: BlockNumber,
        now: Timestamp,
    ) -> ApiResult<Vec<PaymentRow>> {
        // Only payments of addresses the rescan asked about: one whose session is no
        // longer watched is simply not in the logs, which does not make it reorged.
        self
            .rows(
                &format!(
                    "SELECT {PAYMENT_COLUMNS} FROM payments
                     WHERE chain_id = ?1 AND log_index IS NOT NULL AND (block_number >= ?2 OR status = 'reorged')
                       AND EXISTS (SELECT 1 FROM watch w WHERE w.chain_id = ?1 AND w.address = payments.address
                                   AND (w.watch_until_unix >= ?3 OR w.settling = 1))"
                ),
                &[int(chain_id), int(from), int(now.0)],
            )
            .await
    }

    /// Stops watching sessions whose grace window has passed, unless a counted payment of
    /// theirs is still confirming: that one is watched until it is final.
    pub(crate) async fn unwatch_expired(&self, now: Timestamp) -> ApiResult<()> {
        self.exec(
            "DELETE FROM watch WHERE watch_until_unix < ?1 AND settling = 0",
            &[int(now.0)],
        )
        .await
    }

    /// The watch row of one address on one chain.
    pub(crate) async fn watch_row(
        &self,
        chain_id: ChainId,
        address: &str,
    ) -> ApiResult<Option<WatchRow>> {
        self
            .row(
                "SELECT address, session_id, native_baseline, native_baseline_block, baseline_block FROM watch
                 WHERE chain_id = ?1 AND address = ?2",
                &[int(chain_id), text(address)],
            )
            .await
    }

    /// Moves a session's watch rows to its (shifted) `late_until`.
    pub(crate) async fn rewatch_until(&self, session: &Session) -> ApiResult<()> {
        self.exec(
            "UPDATE watch SET watch_until_unix = ?2 WHERE session_id = ?1",
            &[text(&session.id), int(session.late_until.0)],
        )
        .await
    }
}
