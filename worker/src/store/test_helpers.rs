//! Queries only the test-helper routes run: they bend time and copy sessions, so tests
//! and the bench need not wait or create thousands of sessions one by one.

use kasse_shared::ids::{AccountId, EndpointId, SessionId};

use super::Store;
use super::bind::{changes, flag, int, text};
use crate::error::ApiResult;

impl Store {
    /// Test helper: `count` copies of a session and its watch rows (ids `cs_test_bench…`,
    /// addresses `0x000…n`). Returns how many clones exist now.
    pub(crate) async fn clone_session(
        &self,
        id: &SessionId,
        address_json: &str,
        count: u64,
    ) -> ApiResult<u64> {
        let start = self
            .value::<u64>(
                "SELECT COUNT(*) AS n FROM checkout_sessions WHERE id LIKE 'cs_test_bench%'",
                &[],
                "n",
            )
            .await?
            .unwrap_or(0)
            + 1;
        let end = start + count - 1;
        let numbers =
            "WITH RECURSIVE n(i) AS (SELECT ?2 UNION ALL SELECT i + 1 FROM n WHERE i < ?3)";
        let sessions = format!(
            "{numbers}
             INSERT INTO checkout_sessions (id, account_id, livemode, status, version, write_token, payment_link, address,
                 customer_email, funded, data, created_at, created_unix, updated_at)
             SELECT 'cs_test_bench' || printf('%019d', i), account_id, livemode, status, version, write_token, payment_link,
                 printf('0x%040x', i), customer_email, funded,
                 replace(replace(data, ?1, 'cs_test_bench' || printf('%019d', i)), ?4, '\"address\":\"' || printf('0x%040x', i) || '\"'),
                 created_at, created_unix, updated_at
             FROM checkout_sessions, n WHERE id = ?1"
        );
        let watch = format!(
            "{numbers}
             INSERT INTO watch (chain_id, address, session_id, watch_until_unix, native_baseline, native_baseline_block, due_unix, settling)
             SELECT chain_id, printf('0x%040x', i), 'cs_test_bench' || printf('%019d', i), watch_until_unix,
                 native_baseline, native_baseline_block, due_unix, settling
             FROM watch, n WHERE session_id = ?1"
        );
        let args = [text(id), int(start), int(end), text(address_json)];
        self.batch(vec![
            self.stmt(&sessions, &args)?,
            self.stmt(&watch, &args[..3])?,
        ])
        .await?;
        Ok(end)
    }

    /// Test helper: the endpoint's pending deliveries fall due `seconds` sooner, and its
    /// rotated-out secret expires `seconds` sooner. `false` if it is not the caller's.
    pub(crate) async fn advance_endpoint(
        &self,
        account_id: &AccountId,
        livemode: bool,
        id: &EndpointId,
        seconds: u64,
    ) -> ApiResult<bool> {
        let args = [text(id), text(account_id), flag(livemode), int(seconds)];
        let results = self
            .batch(vec![
                self.stmt(
                    "UPDATE webhook_endpoints SET previous_until_unix = MAX(previous_until_unix - ?4, 0)
                     WHERE id = ?1 AND account_id = ?2 AND livemode = ?3",
                    &args,
                )?,
                self.stmt(
                    "UPDATE webhook_deliveries SET next_attempt_unix = MAX(next_attempt_unix - ?4, 0)
                     WHERE status = 'pending' AND endpoint_id IN
                       (SELECT id FROM webhook_endpoints WHERE id = ?1 AND account_id = ?2 AND livemode = ?3)",
                    &args,
                )?,
            ])
            .await?;
        let found = results
            .first()
            .and_then(|r| r.meta().ok().flatten())
            .and_then(|m| m.changes)
            .unwrap_or(0);
        Ok(found == 1)
    }

    /// Test helper: a session's events and their deliveries move `seconds` into the past,
    /// as if written then (the columns the purge and the lists read; the frozen bodies stay
    /// as they are). Returns how many events moved.
    pub(crate) async fn age_session_events(
        &self,
        session_id: &SessionId,
        seconds: u64,
    ) -> ApiResult<usize> {
        const AGED: &str = "created_unix = created_unix - ?2,
             created_at = strftime('%Y-%m-%dT%H:%M:%SZ', created_unix - ?2, 'unixepoch')";
        let args = [text(session_id), int(seconds)];
        let results = self
            .batch(vec![
                self.stmt(
                    &format!(
                        "UPDATE webhook_deliveries SET {AGED}, next_attempt_unix = max(0, next_attempt_unix - ?2)
                         WHERE event_id IN (SELECT id FROM events WHERE session_id = ?1)"
                    ),
                    &args,
                )?,
                self.stmt(
                    &format!("UPDATE events SET {AGED} WHERE session_id = ?1"),
                    &args,
                )?,
            ])
            .await?;
        Ok(results.get(1).map_or(0, changes))
    }
}
