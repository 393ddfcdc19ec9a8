//! Console sessions (a signed-in browser's token, kept as its SHA-256 hash, the key it acts
//! as, and when it was last used), and how any request's caller is looked up: by API key or
//! by console session, in one round trip either way.

use kasse_shared::account::KeyKind;
use kasse_shared::ids::AccountId;
use kasse_shared::time::Timestamp;
use serde::Deserialize;
use worker::D1Result;

use super::accounts::KeyRow;
use super::bind::{flag, int, text, time};
use super::columns::flag as flag_column;
use super::{Stmt, Store};
use crate::error::{ApiError, ApiResult};

/// A console session ends after this long without a request.
pub(crate) const CONSOLE_IDLE_SECS: u64 = 12 * 60 * 60;

/// How old `last_seen_unix` may get before a request moves it: a busy console writes once a
/// minute, not on every request, and so may end up to a minute before its 12 hours.
const TOUCH_AFTER_SECS: u64 = 60;

/// Idle rows deleted per cron run; a run a minute keeps up with 500 sign-ins a minute.
const PURGE_PER_RUN: u64 = 500;

/// What a request's credential names, to be looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CallerKey {
    /// The SHA-256 hash of an API key.
    ApiKey { hash: String },
    /// The SHA-256 hash of a console cookie's token, in the mode the request names.
    Console { hash: String, livemode: bool },
}

/// The active key a sign-in names.
#[derive(Debug, Deserialize)]
pub(crate) struct SignInKey {
    pub account_id: AccountId,
    #[serde(with = "flag_column")]
    pub livemode: bool,
    pub kind: KeyKind,
    pub redacted: String,
}

/// The last moment a session could have been used and still be alive at `now`.
fn idle_since(now: Timestamp) -> u64 {
    now.0.saturating_sub(CONSOLE_IDLE_SECS)
}

impl Store {
    /// A sign-in with the key whose hash is `key_hash`: the key as found (active keys only)
    /// and, only if it is a secret key, a new console session `token_hash` acting as it,
    /// in one atomic batch, so a key revoked meanwhile never gets a session.
    pub(crate) async fn sign_in(
        &self,
        key_hash: &str,
        token_hash: &str,
        now: Timestamp,
    ) -> ApiResult<Option<SignInKey>> {
        let results = self
            .batch(vec![
                self.stmt(
                    "SELECT account_id, livemode, kind, redacted FROM api_keys
                     WHERE key_hash = ?1 AND revoked_at IS NULL",
                    &[text(key_hash)],
                )?,
                self.stmt(
                    "INSERT INTO console_sessions (token_hash, key_id, account_id, livemode, created_at, last_seen_unix)
                     SELECT ?2, id, account_id, livemode, ?3, ?4 FROM api_keys
                     WHERE key_hash = ?1 AND revoked_at IS NULL AND kind = 'secret'",
                    &[text(key_hash), text(token_hash), time(now), int(now.0)],
                )?,
            ])
            .await?;
        let found = results
            .first()
            .ok_or_else(|| ApiError::internal("sign-in batch answered short"))?;
        Ok(found.results::<SignInKey>()?.into_iter().next())
    }

    /// The caller `key` names, with its mode's settings: an active API key, or the active
    /// key a console session still alive at `now` was made with. A console session's last
    /// use moves to `now` in the same round trip.
    pub(crate) async fn caller(
        &self,
        key: &CallerKey,
        now: Timestamp,
    ) -> ApiResult<Option<KeyRow>> {
        match key {
            CallerKey::ApiKey { hash } => self.key(hash).await,
            CallerKey::Console { .. } => {
                let results = self.batch(self.caller_stmts(key, now)?).await?;
                caller_row(&results)
            }
        }
    }

    /// The statements of [`Store::caller`], to lead a batch: the read first (its rows are
    /// what [`caller_row`] reads), then, for a console session, the touch.
    pub(super) fn caller_stmts(&self, key: &CallerKey, now: Timestamp) -> ApiResult<Vec<Stmt<'_>>> {
        let (hash, livemode) = match key {
            CallerKey::ApiKey { hash } => return Ok(vec![self.key_stmt(hash)?]),
            CallerKey::Console { hash, livemode } => (hash, *livemode),
        };
        let args = [
            text(hash),
            flag(livemode),
            int(idle_since(now)),
            int(now.0),
            int(TOUCH_AFTER_SECS),
        ];
        Ok(vec![
            self.stmt(
                "SELECT k.account_id, k.livemode, k.kind, s.settings FROM console_sessions c
                 JOIN api_keys k ON k.id = c.key_id AND k.revoked_at IS NULL
                 JOIN account_settings s ON s.account_id = k.account_id AND s.livemode = k.livemode
                 WHERE c.token_hash = ?1 AND c.livemode = ?2 AND c.last_seen_unix > ?3",
                &args[..3],
            )?,
            self.stmt(
                "UPDATE console_sessions SET last_seen_unix = ?4
                 WHERE token_hash = ?1 AND livemode = ?2 AND last_seen_unix > ?3 AND last_seen_unix <= ?4 - ?5
                   AND EXISTS (SELECT 1 FROM api_keys k WHERE k.id = console_sessions.key_id AND k.revoked_at IS NULL)",
                &args,
            )?,
        ])
    }

    /// Ends the console session `token_hash` of this mode (nothing if there is none).
    pub(crate) async fn end_console_session(
        &self,
        token_hash: &str,
        livemode: bool,
    ) -> ApiResult<()> {
        self.exec(
            "DELETE FROM console_sessions WHERE token_hash = ?1 AND livemode = ?2",
            &[text(token_hash), flag(livemode)],
        )
        .await
    }

    /// Deletes up to [`PURGE_PER_RUN`] console sessions idle for 12 hours, oldest first.
    pub(crate) async fn purge_console_sessions(&self, now: Timestamp) -> ApiResult<usize> {
        self.changed(
            "DELETE FROM console_sessions WHERE token_hash IN
               (SELECT token_hash FROM console_sessions WHERE last_seen_unix <= ?1
                ORDER BY last_seen_unix LIMIT ?2)",
            &[int(idle_since(now)), int(PURGE_PER_RUN)],
        )
        .await
    }
}

/// The caller row of a batch led by [`Store::caller_stmts`].
pub(super) fn caller_row(results: &[D1Result]) -> ApiResult<Option<KeyRow>> {
    let read = results
        .first()
        .ok_or_else(|| ApiError::internal("caller batch answered short"))?;
    Ok(read.results::<KeyRow>()?.into_iter().next())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_is_alive_for_12_hours_after_its_last_use() {
        let now = Timestamp(1_800_000_000);
        assert_eq!(idle_since(now), 1_800_000_000 - 43_200);
        assert_eq!(CONSOLE_IDLE_SECS, 43_200);
        assert_eq!(idle_since(Timestamp(5)), 0, "no underflow near the epoch");
    }

    #[test]
    fn sign_in_rows_read_their_kind_and_mode() {
        let row: SignInKey = serde_json::from_value(serde_json::json!({
            "account_id": "acct_1", "livemode": 0, "kind": "secret", "redacted": "sk_test_…a1b2",
        }))
        .expect("a sign-in row");
        assert_eq!(
            (row.livemode, row.kind, row.redacted.as_str()),
            (false, KeyKind::Secret, "sk_test_…a1b2")
        );
    }
}
