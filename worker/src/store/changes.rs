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

use kasse_shared::session::{Payment, Session};
use serde::Deserialize;
use serde_json::json;

use super::{NewEvent, Stmt, Store, changes, payment_status};
use crate::error::{ApiError, ApiResult};

/// One session change and everything it causes.
#[derive(Clone, Copy)]
pub struct Change<'a> {
    pub previous_version: u64,
    pub session: &'a Session,
    /// Recorded payments whose row changes with this version, by payment id.
    pub payment_updates: &'a [(String, Payment)],
    pub events: &'a [NewEvent],
    /// Whether a counted payment is still confirming; `None` leaves the watch row's flag.
    pub settling: Option<bool>,
    pub write_token: &'a str,
    /// Written only while the session has no payment rows at all (the merchant's cancel).
    pub only_without_payments: bool,
}

/// Changes per batch at most: a failing batch is split, so this bounds the retries.
const GROUP_CHANGES: usize = 64;
/// Bytes of bound JSON per batch at most: D1 caps a value at 2 MB.
const GROUP_BYTES: usize = 900_000;
/// Failed batches one call splits at most: a database that refuses everything costs a
/// bounded number of queries, not two per change.
pub(super) const MAX_SPLITS: usize = 32;

impl Store {
    /// Writes each change exactly once. Per change: `Ok(true)` written, `Ok(false)` the
    /// session moved first (nothing written), `Err` this change failed on its own.
    pub async fn write_changes(&self, changes: &[Change<'_>]) -> Vec<ApiResult<bool>> {
        let mut outcomes: Vec<Option<ApiResult<bool>>> = changes.iter().map(|_| None).collect();
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

    /// Writes one change; `false` if the session moved first.
    pub async fn write_change(&self, change: Change<'_>) -> ApiResult<bool> {
        self.write_changes(&[change])
            .await
            .pop()
            .unwrap_or(Ok(false))
    }

    /// Writes a session change with everything it causes, exactly once. Returns `false` if
    /// another writer changed the session first: nothing was written.
    pub async fn apply_change(
        &self,
        previous_version: u64,
        session: &Session,
        payment_updates: &[(String, Payment)],
        events: &[NewEvent],
        settling: Option<bool>,
        write_token: &str,
    ) -> ApiResult<bool> {
        self.write_change(Change {
            previous_version,
            session,
            payment_updates,
            events,
            settling,
            write_token,
            only_without_payments: false,
        })
        .await
    }

    /// Cancels a session with its event, only if it is still at `previous_version` and still
    /// has no payment rows at all. Returns `false` if either changed.
    pub async fn cancel_session(
        &self,
        previous_version: u64,
        session: &Session,
        event: &NewEvent,
        write_token: &str,
    ) -> ApiResult<bool> {
        self.write_change(Change {
            previous_version,
            session,
            payment_updates: &[],
            events: std::slice::from_ref(event),
            settling: None,
            write_token,
            only_without_payments: true,
        })
        .await
    }

    async fn write_group(
        &self,
        group: &[Change<'_>],
        docs: &[ApiResult<String>],
    ) -> ApiResult<Vec<bool>> {
        #[derive(Deserialize)]
        struct Written {
            id: String,
        }
        let mut sessions = Vec::with_capacity(group.len());
        let mut payments = Vec::new();
        let mut watch = Vec::with_capacity(group.len());
        let mut events = Vec::new();
        for (change, doc) in group.iter().zip(docs) {
            let s = change.session;
            let token = change.write_token;
            sessions.push(json!({
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
            for (id, p) in change.payment_updates {
                payments.push(json!({
                    "id": id,
                    "sid": s.id,
                    "token": token,
                    "status": payment_status(p.status),
                    "block": p.block_number,
                    "hash": p.block_hash.to_string(),
                    "time": p.block_time.to_string(),
                    "at": s.updated_at.to_string(),
                    "counted": u8::from(p.counted),
                    "amount": p.amount.to_string(),
                    "tx": p.tx_hash.map(|h| h.to_string()),
                    "repriced": p.repriced.as_ref().and_then(|q| serde_json::to_string(q).ok()),
                }));
            }
            watch.push(json!({
                "sid": s.id,
                "due": s.due().0,
                "settling": change.settling.map(u8::from),
                "token": token,
            }));
            for event in change.events {
                events.push(event_row(s, event, token));
            }
        }
        let event_ids: Vec<&str> = group
            .iter()
            .flat_map(|c| c.events.iter().map(|e| e.id.as_str()))
            .collect();
        let mut batch = vec![self.stmt(
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
            &[super::text(&json_text(&sessions)?)],
        )?];
        if !payments.is_empty() {
            batch.push(self.stmt(
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
                &[super::text(&json_text(&payments)?)],
            )?);
        }
        batch.push(self.stmt(
            "UPDATE watch SET due_unix = w.n_due, settling = COALESCE(w.n_settling, settling), failures = 0
             FROM (SELECT json_extract(value, '$.sid') AS n_sid, json_extract(value, '$.due') AS n_due,
                       json_extract(value, '$.settling') AS n_settling, json_extract(value, '$.token') AS n_token
                   FROM json_each(?1)) AS w
             WHERE watch.session_id = w.n_sid
               AND EXISTS (SELECT 1 FROM checkout_sessions s WHERE s.id = w.n_sid AND s.write_token = w.n_token)",
            &[super::text(&json_text(&watch)?)],
        )?);
        let fan_out = if events.is_empty() {
            None
        } else {
            batch.push(self.events_stmt(&events)?);
            batch.push(self.fan_out_stmt(&event_ids)?);
            Some(batch.len() - 1)
        };
        let results = self.batch(batch).await?;
        let written: BTreeSet<String> = results
            .first()
            .map(|r| r.results::<Written>())
            .transpose()?
            .unwrap_or_default()
            .into_iter()
            .map(|w| w.id)
            .collect();
        // Something to send right away only if the fan-out made deliveries.
        if fan_out.is_some_and(|i| results.get(i).is_some_and(|r| changes(r) > 0)) {
            for change in group.iter().filter(|c| !c.events.is_empty()) {
                if written.contains(&change.session.id) {
                    crate::webhooks::note_written(&change.session.id);
                }
            }
        }
        Ok(group
            .iter()
            .map(|c| written.contains(&c.session.id))
            .collect())
    }

    /// Inserts events, each only where its session row carries its version and write token.
    pub(super) fn events_stmt(&self, rows: &[serde_json::Value]) -> ApiResult<Stmt<'_>> {
        self.stmt(
            "INSERT INTO events (id, account_id, livemode, type, cause, session_id, session_version, body, created_at, created_unix)
             SELECT n_id, n_account, n_live, n_type, n_cause, n_sid, n_version, n_body, n_at, n_unix
             FROM (SELECT json_extract(value, '$.id') AS n_id, json_extract(value, '$.account') AS n_account,
                       json_extract(value, '$.live') AS n_live, json_extract(value, '$.type') AS n_type,
                       json_extract(value, '$.cause') AS n_cause, json_extract(value, '$.sid') AS n_sid,
                       json_extract(value, '$.version') AS n_version, json_extract(value, '$.body') AS n_body,
                       json_extract(value, '$.at') AS n_at, json_extract(value, '$.unix') AS n_unix,
                       json_extract(value, '$.token') AS n_token
                   FROM json_each(?1))
             WHERE EXISTS (SELECT 1 FROM checkout_sessions s
                           WHERE s.id = n_sid AND s.version = n_version AND s.write_token = n_token)",
            &[super::text(&json_text(rows)?)],
        )
    }
}

/// One event as `events_stmt` reads it: written with `session` at its current version.
pub(super) fn event_row(session: &Session, event: &NewEvent, token: &str) -> serde_json::Value {
    json!({
        "id": event.id,
        "account": session.account_id,
        "live": u8::from(session.livemode),
        "type": event.kind,
        "cause": event.cause,
        "sid": session.id,
        "version": session.version,
        "body": event.body,
        "at": session.updated_at.to_string(),
        "unix": session.updated_at.0,
        "token": token,
    })
}

fn json_text(rows: &[serde_json::Value]) -> ApiResult<String> {
    serde_json::to_string(rows).map_err(ApiError::internal)
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
