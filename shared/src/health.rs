//! What the chain watcher reports about each chain: the body of `GET /v1/health/chains`.

use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainHealth {
    pub chain_id: u64,
    pub name: String,
    /// Latest block the watcher saw, `None` before its first successful run.
    pub head: Option<u64>,
    /// Highest block whose payments have been scanned.
    pub cursor: Option<u64>,
    pub lag: Option<u64>,
    /// Host of the RPC endpoint only: the full URL is a secret.
    pub rpc_host: Option<String>,
    pub last_error: Option<String>,
    pub checked_at: Option<Timestamp>,
    /// How many blocks the next run may move the cursor: the provider's `max_log_range`,
    /// halved after each failed scan and doubled back after each good one.
    pub scan_range: u64,
    /// The last reorg deeper than the confirmations under an already final session: it
    /// changed no status, so it is reported here for the operator.
    pub deep_reorg: Option<String>,
    /// Sessions watched on this chain whose evaluation or write failed in the last run
    /// (each is logged with its id and retried every run; the others were not held up).
    pub sessions_failed: u64,
}

/// What one scheduled run cost and did: written by the run, shown by `GET /v1/health/chains`
/// and printed by `cargo xtask bench`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunReport {
    pub at: String,
    /// Wall time of the run as the platform clock saw it (it advances on I/O only).
    pub wall_ms: u64,
    pub chains: Vec<ChainRun>,
    pub d1_queries: u64,
    pub d1_rows_read: u64,
    pub d1_rows_written: u64,
    /// Sessions loaded and evaluated, and how many of them changed.
    pub sessions_evaluated: u64,
    pub sessions_changed: u64,
    /// Webhook attempts made after the chains were read, how many were delivered, and the
    /// wall time of that phase.
    #[serde(default)]
    pub webhook_attempts: u64,
    #[serde(default)]
    pub webhooks_delivered: u64,
    #[serde(default)]
    pub webhook_ms: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainRun {
    pub chain_id: u64,
    /// HTTP requests to the chain's RPC provider (each a JSON-RPC batch).
    pub subrequests: u64,
    pub rpc_calls: u64,
    pub ok: bool,
    /// Sessions watched on this chain that could not be read, decided or written.
    #[serde(default)]
    pub sessions_failed: u64,
    /// Pending refunds on this chain that could not be verified or written.
    #[serde(default)]
    pub refunds_failed: u64,
}

impl ChainHealth {
    pub fn lag_of(head: Option<u64>, cursor: Option<u64>) -> Option<u64> {
        Some(head?.saturating_sub(cursor?))
    }
}

/// How long the watcher may go without looking at a chain before it counts as stalled: the
/// cron runs every minute, so five missed runs.
pub const STALLED_AFTER_SECS: u64 = 300;

/// The watcher on one chain as a merchant may see it: no RPC host and no error text (an
/// error can quote the provider's URL, whose path often holds its key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WatcherStatus {
    pub status: WatcherState,
    pub head: Option<u64>,
    /// Blocks between the head and the last block whose payments were scanned.
    pub lag: Option<u64>,
    pub checked_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WatcherState {
    /// Looked at within the last few runs, without error.
    Ok,
    /// The last look at the chain failed (the RPC refused or timed out).
    Failing,
    /// No look at the chain for longer than `STALLED_AFTER_SECS`: the cron is not running.
    Stalled,
    /// Never looked at yet.
    Unknown,
}

impl WatcherStatus {
    pub fn of(
        head: Option<u64>,
        cursor: Option<u64>,
        failed: bool,
        checked_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Self {
        let status = match checked_at {
            None => WatcherState::Unknown,
            Some(_) if failed => WatcherState::Failing,
            Some(at) if now.0.saturating_sub(at.0) > STALLED_AFTER_SECS => WatcherState::Stalled,
            Some(_) => WatcherState::Ok,
        };
        Self {
            status,
            head,
            lag: ChainHealth::lag_of(head, cursor),
            checked_at,
        }
    }
}

/// Host (and port) of a URL, without scheme, credentials, path or query — what may be shown
/// of an RPC URL whose path often embeds an API key.
pub fn url_host(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    (!host.is_empty()).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_host_drops_everything_secret() {
        assert_eq!(
            url_host("https://eth-mainnet.example.com/v2/SECRETKEY"),
            Some("eth-mainnet.example.com")
        );
        assert_eq!(
            url_host("https://user:pw@rpc.example.org:8443/x?key=1"),
            Some("rpc.example.org:8443")
        );
        assert_eq!(url_host("http://127.0.0.1:8545"), Some("127.0.0.1:8545"));
        assert_eq!(url_host("not a url"), None);
        assert_eq!(url_host("https:///path"), None);
    }

    #[test]
    fn a_merchant_sees_whether_the_watcher_looks_at_a_chain() {
        let now = Timestamp(1_000_000);
        let at = |ago: u64| Some(Timestamp(now.0 - ago));
        let state =
            |failed, checked| WatcherStatus::of(Some(10), Some(7), failed, checked, now).status;
        assert_eq!(state(false, None), WatcherState::Unknown);
        assert_eq!(state(false, at(60)), WatcherState::Ok);
        assert_eq!(state(false, at(STALLED_AFTER_SECS)), WatcherState::Ok);
        assert_eq!(
            state(false, at(STALLED_AFTER_SECS + 1)),
            WatcherState::Stalled
        );
        assert_eq!(state(true, at(60)), WatcherState::Failing);
        assert_eq!(
            state(true, at(STALLED_AFTER_SECS + 1)),
            WatcherState::Failing
        );
        let status = WatcherStatus::of(Some(10), Some(7), false, at(60), now);
        assert_eq!((status.head, status.lag), (Some(10), Some(3)));
        let json = serde_json::to_value(&status).expect("serialises");
        assert_eq!(json["status"], "ok");
    }

    #[test]
    fn lag_needs_both_ends() {
        assert_eq!(ChainHealth::lag_of(Some(10), Some(7)), Some(3));
        assert_eq!(ChainHealth::lag_of(Some(10), None), None);
        assert_eq!(ChainHealth::lag_of(Some(5), Some(7)), Some(0));
    }
}
