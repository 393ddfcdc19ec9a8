//! Retention: events, webhook deliveries and their attempts are kept for 30 days, then the
//! cron deletes them in bounded batches, oldest first.
//!
//! A delivery is old when it was created and last acted on (its last attempt, or the time
//! it is due) more than 30 days ago, and it is not leased to a sender right now: a
//! redelivery of an old event keeps it. A pending delivery due for 30 days was never sent
//! (its endpoint is disabled) and goes too. An event goes once it is old and none of its
//! deliveries is left. Children go before parents (attempts, then deliveries, then events),
//! and each step only takes rows whose children are gone, so a run cut short leaves nothing
//! dangling and the next run carries on.

use kasse_shared::time::Timestamp;

use super::Store;
use super::bind::{changes, int};
use crate::error::ApiResult;

/// How long events and deliveries are kept.
const RETENTION_SECS: u64 = 30 * 86_400;

/// Rows deleted per table and cron run. The cron runs every minute, so 500 events a run
/// keeps up with a steady 500 events a minute (over 8 a second, 720,000 a day), far above
/// what the watcher and the API write; a backlog (say, after this purge first ships) is
/// worked off at that pace. Deliveries go at the same pace: with several endpoints an
/// event has several deliveries, but one is old only when its event is, so the events
/// step is never ahead of its children for long. Most deliveries succeed at their first
/// attempt and none makes more than eight, so two attempts per delivery is the steady
/// case; the attempts step gets twice the rows.
const EVENTS_PER_RUN: u64 = 500;
const DELIVERIES_PER_RUN: u64 = 500;
const ATTEMPTS_PER_RUN: u64 = 1_000;

/// What one purge deleted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Purged {
    pub events: usize,
    pub deliveries: usize,
    pub attempts: usize,
}

/// The deliveries that may go, as a `WHERE` over `webhook_deliveries d` (?1 = cutoff,
/// ?2 = now).
const OLD_DELIVERY: &str =
    "d.created_unix < ?1 AND d.next_attempt_unix < ?1 AND d.locked_until_unix <= ?2";

impl Store {
    /// Deletes events, deliveries and attempts older than [`RETENTION_SECS`] before `now`,
    /// at most the per-run counts of each, in one atomic batch.
    pub(crate) async fn purge_retained(&self, now: Timestamp) -> ApiResult<Purged> {
        let cutoff = now.0.saturating_sub(RETENTION_SECS);
        let results = self
            .batch(vec![
                self.stmt(
                    &format!(
                        "DELETE FROM webhook_attempts WHERE rowid IN
                           (SELECT a.rowid FROM webhook_deliveries d
                              JOIN webhook_attempts a ON a.delivery_id = d.id
                            WHERE {OLD_DELIVERY}
                            ORDER BY d.created_unix, a.delivery_id, a.attempt LIMIT ?3)"
                    ),
                    &[int(cutoff), int(now.0), int(ATTEMPTS_PER_RUN)],
                )?,
                self.stmt(
                    &format!(
                        "DELETE FROM webhook_deliveries WHERE id IN
                           (SELECT d.id FROM webhook_deliveries d
                            WHERE {OLD_DELIVERY}
                              AND NOT EXISTS (SELECT 1 FROM webhook_attempts a WHERE a.delivery_id = d.id)
                            ORDER BY d.created_unix LIMIT ?3)"
                    ),
                    &[int(cutoff), int(now.0), int(DELIVERIES_PER_RUN)],
                )?,
                self.stmt(
                    "DELETE FROM events WHERE id IN
                       (SELECT e.id FROM events e
                        WHERE e.created_unix < ?1
                          AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id)
                        ORDER BY e.created_unix LIMIT ?2)",
                    &[int(cutoff), int(EVENTS_PER_RUN)],
                )?,
            ])
            .await?;
        let count = |i: usize| results.get(i).map_or(0, changes);
        Ok(Purged {
            attempts: count(0),
            deliveries: count(1),
            events: count(2),
        })
    }
}
