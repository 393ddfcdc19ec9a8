//! Idempotency records: claimed before the work, finished with the (sealed) answer,
//! released after a 5xx, purged after a day.

use kasse_shared::time::Timestamp;
use serde::Deserialize;

use super::Store;
use super::bind::{flag, int, opt_text, text};
use crate::error::ApiResult;

/// How long a record (and so a replayable answer) lives: a day.
pub(crate) const IDEMPOTENCY_TTL_SECS: u64 = 24 * 60 * 60;

#[derive(Debug, Deserialize)]
pub(crate) struct IdempotencyRecord {
    pub fingerprint: String,
    pub response_status: Option<u16>,
    /// How the body is kept: `sealed`, `plain` or `withheld` (no body); none while in progress.
    pub answer: Option<String>,
    pub response_body: Option<String>,
}

impl Store {
    /// Claims an idempotency key (`in_progress`); a record older than `ttl_secs`, or a
    /// claim abandoned for a minute (its request died), is claimed afresh. Returns `false`
    /// if the key is held by a live record.
    pub(crate) async fn claim_idempotency(
        &self,
        scope: &str,
        livemode: bool,
        key: &str,
        fingerprint: &str,
        now: Timestamp,
        ttl_secs: u64,
    ) -> ApiResult<bool> {
        self
            .returns_row(
                "INSERT INTO idempotency_keys (scope, livemode, key, fingerprint, state, created_unix)
                 VALUES (?1, ?2, ?3, ?4, 'in_progress', ?5)
                 ON CONFLICT (scope, livemode, key) DO UPDATE SET
                     fingerprint = excluded.fingerprint, state = 'in_progress', response_status = NULL,
                     answer = NULL, response_body = NULL, created_unix = excluded.created_unix
                   WHERE idempotency_keys.created_unix <= excluded.created_unix - ?6
                      OR (idempotency_keys.state = 'in_progress' AND idempotency_keys.created_unix <= excluded.created_unix - 60)
                 RETURNING key",
                &[text(scope), flag(livemode), text(key), text(fingerprint), int(now.0), int(ttl_secs)],
            )
            .await
    }

    pub(crate) async fn idempotency_record(
        &self,
        scope: &str,
        livemode: bool,
        key: &str,
    ) -> ApiResult<Option<IdempotencyRecord>> {
        self.row(
            "SELECT fingerprint, response_status, answer, response_body FROM idempotency_keys
                 WHERE scope = ?1 AND livemode = ?2 AND key = ?3",
            &[text(scope), flag(livemode), text(key)],
        )
        .await
    }

    /// Records a finished request's answer: `answer` is `sealed` (body is the sealed
    /// ciphertext), `plain`, or `withheld` (no body is kept).
    pub(crate) async fn finish_idempotency(
        &self,
        scope: &str,
        livemode: bool,
        key: &str,
        status: u16,
        answer: &str,
        body: Option<&str>,
    ) -> ApiResult<()> {
        self.exec(
            "UPDATE idempotency_keys SET state = 'done', response_status = ?4, answer = ?5,
                 response_body = ?6
             WHERE scope = ?1 AND livemode = ?2 AND key = ?3",
            &[
                text(scope),
                flag(livemode),
                text(key),
                int(u64::from(status)),
                text(answer),
                opt_text(body),
            ],
        )
        .await
    }

    /// Forgets a claim whose request failed on our side (5xx answers are not replayed).
    pub(crate) async fn release_idempotency(
        &self,
        scope: &str,
        livemode: bool,
        key: &str,
    ) -> ApiResult<()> {
        self.exec(
            "DELETE FROM idempotency_keys WHERE scope = ?1 AND livemode = ?2 AND key = ?3",
            &[text(scope), flag(livemode), text(key)],
        )
        .await
    }

    /// Deletes up to 500 idempotency records created before `before` (retention).
    pub(crate) async fn purge_idempotency(&self, before: Timestamp) -> ApiResult<()> {
        self.exec(
            "DELETE FROM idempotency_keys WHERE rowid IN
               (SELECT rowid FROM idempotency_keys WHERE created_unix < ?1 LIMIT 500)",
            &[int(before.0)],
        )
        .await
    }
}
