//! Events: written with the session change that causes them (see `changes`), read back
//! by id or as a list. Their bodies are frozen when written.

use kasse_shared::api::list::Direction;
use kasse_shared::ids::{AccountId, EventId, SessionId};
use kasse_shared::session::{EventType, Session};
use serde::Deserialize;
use serde_json::json;

use super::bind::{Keyset, flag, int, json_text, opt_text, text};
use super::{Stmt, Store};
use crate::error::ApiResult;

/// An event to insert with a session change: its id, type, cause (the transfer's key for
/// a payment event, else empty) and frozen body.
pub(crate) struct NewEvent {
    pub id: EventId,
    pub kind: EventType,
    pub cause: String,
    pub body: String,
}

impl Store {
    /// An event of this account and mode: its frozen body and its session (none for a
    /// sweep's event).
    pub(crate) async fn event(
        &self,
        account_id: &AccountId,
        livemode: bool,
        id: &EventId,
    ) -> ApiResult<Option<(String, Option<SessionId>)>> {
        #[derive(Deserialize)]
        struct Row {
            body: String,
            session_id: Option<SessionId>,
        }
        let row: Option<Row> = self
            .row(
                "SELECT body, session_id FROM events WHERE id = ?1 AND account_id = ?2 AND livemode = ?3",
                &[text(id), text(account_id), flag(livemode)],
            )
            .await?;
        Ok(row.map(|r| (r.body, r.session_id)))
    }

    /// Newest first (in the order they were written): an account's events in one mode,
    /// optionally for one session or type, after or before the cursor event.
    pub(crate) async fn events(
        &self,
        account_id: &AccountId,
        livemode: bool,
        session_id: Option<&str>,
        kind: Option<EventType>,
        cursor: Option<(Direction, &str)>,
        limit: u32,
    ) -> ApiResult<Vec<String>> {
        #[derive(Deserialize)]
        struct Row {
            body: String,
        }
        let page = Keyset::new(cursor);
        let rows: Vec<Row> = self
            .rows(
                &format!(
                    "SELECT body FROM events WHERE account_id = ?1 AND livemode = ?2
                       AND (?3 IS NULL OR session_id = ?3) AND (?4 IS NULL OR type = ?4)
                       AND {}",
                    page.sql(
                        "created_unix, rowid",
                        "SELECT created_unix, rowid FROM events WHERE id = ?5",
                        "SELECT created_unix, rowid FROM events WHERE id = ?6",
                        "?7",
                    )
                ),
                &[
                    text(account_id),
                    flag(livemode),
                    opt_text(session_id),
                    opt_text(kind.map(EventType::as_str)),
                    opt_text(page.after),
                    opt_text(page.before),
                    int(u64::from(limit)),
                ],
            )
            .await?;
        Ok(page.newest_first(rows.into_iter().map(|r| r.body).collect()))
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
            &[text(&json_text(rows)?)],
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
