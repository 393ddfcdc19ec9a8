//! Rate limits: one counter row per key, and their purge.

use kasse_shared::time::{Timestamp, UnixMillis};

use super::Store;
use super::bind::{int, text};
use crate::error::ApiResult;

impl Store {
    /// Allows one event per `interval_ms` for `key`, atomically: the upsert only takes
    /// effect (and returns a row) when the last allowed event is old enough.
    pub(crate) async fn allow_once_per(
        &self,
        key: &str,
        now: UnixMillis,
        interval_ms: u64,
    ) -> ApiResult<bool> {
        self
            .returns_row(
                "INSERT INTO rate_limits (key, window_unix, count) VALUES (?1, ?2, 1)
                 ON CONFLICT (key) DO UPDATE SET window_unix = excluded.window_unix, count = rate_limits.count + 1
                   WHERE rate_limits.window_unix <= excluded.window_unix - ?3
                 RETURNING count",
                &[text(key), int(now.0), int(interval_ms)],
            )
            .await
    }

    /// A fixed-window counter: how many hits `key` has had in the window that started at
    /// `window_start`, this one included.
    pub(crate) async fn count_hit(&self, key: &str, window_start: UnixMillis) -> ApiResult<u64> {
        Ok(self
            .value(
                "INSERT INTO rate_limits (key, window_unix, count) VALUES (?1, ?2, 1)
                 ON CONFLICT (key) DO UPDATE SET
                   count = CASE WHEN rate_limits.window_unix = excluded.window_unix THEN rate_limits.count + 1 ELSE 1 END,
                   window_unix = excluded.window_unix
                 RETURNING count",
                &[text(key), int(window_start.0)],
                "count",
            )
            .await?
            .unwrap_or(1))
    }

    /// Deletes up to 500 rate-limit counters whose window started before `before` (the
    /// windows are kept in milliseconds).
    pub(crate) async fn purge_rate_limits(&self, before: Timestamp) -> ApiResult<()> {
        self.exec(
            "DELETE FROM rate_limits WHERE rowid IN
               (SELECT rowid FROM rate_limits WHERE window_unix < ?1 LIMIT 500)",
            &[int(before.millis().0)],
        )
        .await
    }
}
