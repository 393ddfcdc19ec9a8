//! The purges at the end of every run: old idempotency keys, events and deliveries past
//! their retention, rate-limit counters, console sessions idle for 12 hours, and watch rows
//! past their grace window. Each is a
//! bounded batch; a failure is logged and retried next run.

use kasse_shared::time::Timestamp;

use crate::store::Store;

/// Rate-limit counters are per second to per minute; an hour is plenty of slack.
const RATE_LIMIT_KEEP_SECS: u64 = 3600;

pub(super) async fn purge(store: &Store, now: Timestamp) {
    let purge_before = Timestamp(now.0.saturating_sub(crate::store::IDEMPOTENCY_TTL_SECS));
    if let Err(e) = store.purge_idempotency(purge_before).await {
        worker::console_error!("watcher: idempotency purge failed: {}", e.message);
    }
    // Events, deliveries and attempts past their 30 days, a bounded batch per run.
    match store.purge_retained(now).await {
        Ok(p) if p.events + p.deliveries + p.attempts > 0 => worker::console_log!(
            "watcher: retention purged {} events, {} deliveries, {} attempts",
            p.events,
            p.deliveries,
            p.attempts
        ),
        Ok(_) => {}
        Err(e) => worker::console_error!("watcher: retention purge failed: {}", e.message),
    }
    if let Err(e) = store
        .purge_rate_limits(Timestamp(now.0.saturating_sub(RATE_LIMIT_KEEP_SECS)))
        .await
    {
        worker::console_error!("watcher: rate-limit purge failed: {}", e.message);
    }
    if let Err(e) = store.purge_console_sessions(now).await {
        worker::console_error!("watcher: console session purge failed: {}", e.message);
    }
    if let Err(e) = store.unwatch_expired(now).await {
        worker::console_error!("watcher: unwatch failed: {}", e.message);
    }
}
