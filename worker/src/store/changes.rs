//! Session changes, written exactly once and many to a batch.
//!
//! A group of changes is one `db.batch` (atomic) of five statements whatever its size, each
//! reading its rows from one bound JSON array (`json_each`): the session updates guarded on
//! their versions (each sets a fresh write token), then payment updates, watch rows, events
//! and their deliveries, each row guarded on its own session's token. A session another
//! writer moved first updates nothing and so writes nothing; the others in the group are
//! unaffected. A group that fails as a whole (a constraint, a row too large, a poison
//! document) is split in halves until the failing change stands alone: that one change
//! fails, every other is written.

use std::collections::BTreeSet;
use std::ops::Range;

use kasse_shared::ids::{EventId, PaymentId, SessionId};
use kasse_shared::session::{Payment, Session};
use serde::Deserialize;
use serde_json::json;

use super::bind::{changes, json_text, text};
use super::events::{NewEvent, event_row};
use super::{Stmt, Store};
use crate::error::{ApiError, ApiResult};

/// One session change and everything it causes.
#[derive(Clone, Copy)]
pub(crate) struct Change<'a> {
    pub previous_version: u64,
    pub session: &'a Session,
    /// Recorded payments whose row changes with this version, by payment id.
    pub payment_updates: &'a [(PaymentId, Payment)],
    pub events: &'a [NewEvent],
    /// Whether a counted payment is still confirming; `None` leaves the watch row's flag.
    pub settling: Option<bool>,
    pub write_token: &'a str,
    /// Written only while the session has no payment rows at all (the merchant's cancel).
    pub only_without_payments: bool,
}

/// What writing one session change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Written {
    /// Another writer changed the session first: nothing was written.
    Nothing,
    /// The change was written; `deliveries` when its events fanned out webhook deliveries,
    /// which the caller notes in the outbox so they go out right after the request.
    Change { deliveries: bool },
}

impl Written {
    pub(crate) fn is_written(self) -> bool {
        matches!(self, Self::Change { .. })
    }

    pub(crate) fn has_deliveries(self) -> bool {
        matches!(self, Self::Change { deliveries: true })
    }
}

/// Changes per batch at most: a failing batch is split, so this bounds the retries.
const GROUP_CHANGES: usize = 64;
/// Bytes of bound JSON per batch at most: D1 caps a value at 2 MB.
const GROUP_BYTES: usize = 900_000;
/// Failed batches one call splits at most: a database that refuses everything costs a
/// bounded number of queries, not two per change.
pub(super) const MAX_SPLITS: usize = 32;

impl Store {
    /// Writes each change exactly once. Per change: what was written (nothing if the
    /// session moved first), or `Err` if this change failed on its own.
    pub(crate) async fn write_changes(&self, changes: &[Change<'_>]) -> Vec<ApiResult<Written>> {
        let mut outcomes: Vec<Option<ApiResult<Written>>> = changes.iter().map(|_| None).collect();
        // Each document is serialised once: its size places it in a group, its text is written.
        let docs: Vec<ApiResult<String>> = changes
            .iter()
            .map(|c| serde_json::to_string(c.session).map_err(ApiError::internal))
            .collect();
        let mut pending = groups(changes, &docs);
        pending.reverse();
        let mut splits = 0;
        while let Some(range) = pending.pop() {
            match self
                .write_group(&changes[range.clone()], &docs[range.clone()])
                .await
            {
                Ok(applied) => {
                    for (i, written) in range.zip(applied) {
                        outcomes[i] = Some(Ok(written));
                    }
                }
                Err(e) if range.len() > 1 && splits < MAX_SPLITS => {
                    splits += 1;
                    let mid = range.start + range.len() / 2;
                    worker::console_warn!(
                        "store: a batch of {} session changes failed ({}); writing them in halves",
                        range.len(),
                        e.message
                    );
                    pending.push(mid..range.end);
                    pending.push(range.start..mid);
                }
                Err(e) => {
                    for i in range {
                        outcomes[i] = Some(Err(e.clone()));
                    }
                }
            }
        }
        outcomes
            .into_iter()
            .map(|o| o.unwrap_or_else(|| Err(ApiError::internal("a change was never written"))))
            .collect()
    }

    /// Writes one change; `Written::Nothing` if the session moved first.
    pub(crate) async fn write_change(&self, change: Change<'_>) -> ApiResult<Written> {
        self.write_changes(&[change])
            .await
            .pop()
            .unwrap_or(Ok(Written::Nothing))
    }

    async fn write_group(
        &self,
        group: &[Change<'_>],
        docs: &[ApiResult<String>],
    ) -> ApiResult<Vec<Written>> {
        #[derive(Deserialize)]
        struct Updated {
            id: SessionId,
        }
        let GroupRows {
            sessions,
            payments,
            watch,
            events,
        } = group_rows(group, docs)?;
        let event_ids: Vec<&EventId> = group
            .iter()
            .flat_map(|c| c.events.iter().map(|e| &e.id))
            .collect();
        let mut batch = vec![self.update_sessions_stmt(&sessions)?];
        if !payments.is_empty() {
            batch.push(self.update_payments_stmt(&payments)?);
        }
        batch.push(self.update_watch_stmt(&watch)?);
        let fan_out = if events.is_empty() {
            None
        } else {
            batch.push(self.events_stmt(&events)?);
            batch.push(self.fan_out_stmt(&event_ids)?);
            Some(batch.len() - 1)
        };
        let results = self.batch(batch).await?;
        let written: BTreeSet<SessionId> = results
            .first()
            .map(|r| r.results::<Updated>())
            .transpose()?
            .unwrap_or_default()
            .into_iter()
            .map(|w| w.id)
            .collect();
        // Something to send right away only if the fan-out made deliveries.
        let fanned_out = fan_out.is_some_and(|i| results.get(i).is_some_and(|r| changes(r) > 0));
        Ok(group
            .iter()
            .map(|c| {
                if written.contains(&c.session.id) {
                    Written::Change {
                        deliveries: fanned_out && !c.events.is_empty(),
                    }
                } else {
                    Written::Nothing
                }
            })
            .collect())
    }

    /// Each session at its new version, only where it is still at the previous one (and, for
    /// a bare change, still has no payment rows); returns the ids it updated.
    fn update_sessions_stmt(&self, rows: &[serde_json::Value]) -> ApiResult<Stmt<'_>> {
        self.stmt(
            "UPDATE checkout_sessions SET data = c.n_data, status = c.n_status, version = c.n_version,
                 write_token = c.n_token, funded = c.n_funded, updated_at = c.n_at
             FROM (SELECT json_extract(value, '$.id') AS n_id, json_extract(value, '$.prev') AS n_prev,
                       json_extract(value, '$.data') AS n_data, json_extract(value, '$.status') AS n_status,
                       json_extract(value, '$.version') AS n_version, json_extract(value, '$.token') AS n_token,
                       json_extract(value, '$.funded') AS n_funded, json_extract(value, '$.at') AS n_at,
                       json_extract(value, '$.bare') AS n_bare
                   FROM json_each(?1)) AS c
             WHERE checkout_sessions.id = c.n_id AND checkout_sessions.version = c.n_prev
               AND (c.n_bare = 0 OR NOT EXISTS (SELECT 1 FROM payments p WHERE p.session_id = c.n_id))
             RETURNING id",
            &[text(&json_text(rows)?)],
        )
    }

    /// Each recorded payment's new state, only where its session carries the change's token.
    fn update_payments_stmt(&self, rows: &[serde_json::Value]) -> ApiResult<Stmt<'_>> {
        self.stmt(
            "UPDATE payments SET status = u.n_status, block_number = u.n_block, block_hash = u.n_hash,
                 block_time = u.n_time, updated_at = u.n_at, counted = u.n_counted, amount = u.n_amount,
                 tx_hash = u.n_tx, repriced = u.n_repriced
             FROM (SELECT json_extract(value, '$.id') AS n_id, json_extract(value, '$.sid') AS n_sid,
                       json_extract(value, '$.token') AS n_token, json_extract(value, '$.status') AS n_status,
                       json_extract(value, '$.block') AS n_block, json_extract(value, '$.hash') AS n_hash,
                       json_extract(value, '$.time') AS n_time, json_extract(value, '$.at') AS n_at,
                       json_extract(value, '$.counted') AS n_counted, json_extract(value, '$.amount') AS n_amount,
                       json_extract(value, '$.tx') AS n_tx, json_extract(value, '$.repriced') AS n_repriced
                   FROM json_each(?1)) AS u
             WHERE payments.id = u.n_id
               AND EXISTS (SELECT 1 FROM checkout_sessions s WHERE s.id = u.n_sid AND s.write_token = u.n_token)",
            &[text(&json_text(rows)?)],
        )
    }

    /// Each session's watch rows: when it is next due, whether it is settling, no failures.
    fn update_watch_stmt(&self, rows: &[serde_json::Value]) -> ApiResult<Stmt<'_>> {
        self.stmt(
            "UPDATE watch SET due_unix = w.n_due, settling = COALESCE(w.n_settling, settling), failures = 0
             FROM (SELECT json_extract(value, '$.sid') AS n_sid, json_extract(value, '$.due') AS n_due,
                       json_extract(value, '$.settling') AS n_settling, json_extract(value, '$.token') AS n_token
                   FROM json_each(?1)) AS w
             WHERE watch.session_id = w.n_sid
               AND EXISTS (SELECT 1 FROM checkout_sessions s WHERE s.id = w.n_sid AND s.write_token = w.n_token)",
            &[text(&json_text(rows)?)],
        )
    }
}

/// The rows a group of changes binds: one JSON array per statement of its batch.
#[derive(Default)]
struct GroupRows {
    sessions: Vec<serde_json::Value>,
    payments: Vec<serde_json::Value>,
    watch: Vec<serde_json::Value>,
    events: Vec<serde_json::Value>,
}

fn group_rows(group: &[Change<'_>], docs: &[ApiResult<String>]) -> ApiResult<GroupRows> {
    let mut rows = GroupRows::default();
    for (change, doc) in group.iter().zip(docs) {
        let s = change.session;
        let token = change.write_token;
        rows.sessions.push(json!({
            "id": s.id,
            "prev": change.previous_version,
            "data": doc.as_ref().map_err(Clone::clone)?,
            "status": s.status.as_str(),
            "version": s.version,
            "token": token,
            "funded": u8::from(s.used_at.is_some()),
            "at": s.updated_at.to_string(),
            "bare": u8::from(change.only_without_payments),
        }));
        for (id, payment) in change.payment_updates {
            rows.payments.push(payment_row(id, payment, s, token));
        }
        rows.watch.push(json!({
            "sid": s.id,
            "due": s.due().0,
            "settling": change.settling.map(u8::from),
            "token": token,
        }));
        for event in change.events {
            rows.events.push(event_row(s, event, token));
        }
    }
    Ok(rows)
}

/// A recorded payment's new state, written only where its session carries `token`.
fn payment_row(id: &str, p: &Payment, session: &Session, token: &str) -> serde_json::Value {
    json!({
        "id": id,
        "sid": session.id,
        "token": token,
        "status": p.status,
        "block": p.block_number,
        "hash": p.block_hash.to_string(),
        "time": p.block_time.to_string(),
        "at": session.updated_at.to_string(),
        "counted": u8::from(p.counted),
        "amount": p.amount.to_string(),
        "tx": p.tx_hash.map(|h| h.to_string()),
        "repriced": p.repriced.as_ref().and_then(|q| serde_json::to_string(q).ok()),
    })
}

/// Consecutive ranges of `changes`, each within the batch limits (at least one change).
fn groups(changes: &[Change<'_>], docs: &[ApiResult<String>]) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, (change, doc)) in changes.iter().zip(docs).enumerate() {
        // The document and the event bodies are nearly all of a change's bound JSON.
        let size = 1_000
            + doc.as_ref().map_or(0, String::len)
            + change.events.iter().map(|e| e.body.len()).sum::<usize>();
        if i > start && (i - start >= GROUP_CHANGES || bytes + size > GROUP_BYTES) {
            ranges.push(start..i);
            (start, bytes) = (i, 0);
        }
        bytes += size;
    }
    if start < changes.len() {
        ranges.push(start..changes.len());
    }
    ranges
}
