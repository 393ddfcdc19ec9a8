//! The scheduled run (every minute in production, every 5 s under `cargo xtask dev`).
//!
//! Per served chain: read the head, scan ERC-20 `Transfer` logs and native balances of
//! watched addresses over (cursor − confirmations − margin, head], record new payments,
//! advance the cursor by compare-and-set (`scan`, `record`), and verify the sweeps merchants
//! reported on it (`sweeps`). Then evaluate the sessions
//! that can change and write each change exactly once (`evaluate`), purge what has expired
//! (`housekeeping`) and send due webhooks. An RPC failure changes nothing but the chain's
//! `last_error`; the next run retries.

use std::collections::BTreeMap;

use alloy_primitives::ChainId;
use kasse_shared::catalogue::Chain;
use kasse_shared::health::{ChainRun, RunReport, url_host};
use kasse_shared::ids::{PaymentId, SessionId};
use kasse_shared::session::Payment;
use kasse_shared::time::Timestamp;
use worker::{Date, Env};

use crate::config;
use crate::error::ApiError;
use crate::store::Store;

pub(crate) mod evaluate;
mod failures;
mod housekeeping;
pub(crate) mod prices;
pub(crate) mod record;
mod refunds;
mod scan;
mod sweeps;

pub(crate) use evaluate::Reconciled;
pub(crate) use failures::Failures;
use scan::ChainScan;

/// What a run gathers across its chains for the evaluation.
#[derive(Default)]
pub(crate) struct Collected {
    pub reconciled: Reconciled,
    pub failures: Failures,
    /// Per chain, the refunds that could not be verified or written this run.
    refunds_failed: BTreeMap<ChainId, u64>,
}

impl Collected {
    fn refunds_failed(&mut self, chain_id: ChainId, failed: u64) {
        *self.refunds_failed.entry(chain_id).or_default() += failed;
    }

    /// A recorded payment the rescan changed, to be written with its session's next
    /// version.
    fn reconciled_payment(
        &mut self,
        session_id: &SessionId,
        payment_id: &PaymentId,
        payment: Payment,
    ) {
        self.reconciled
            .entry(session_id.clone())
            .or_default()
            .push((payment_id.clone(), payment));
    }
}

pub(crate) async fn run(env: &Env) {
    let started = Date::now().as_millis();
    let now = Timestamp::from_unix_millis(started);
    let store = match Store::new(env) {
        Ok(store) => store,
        Err(e) => return worker::console_error!("watcher: no database binding: {e}"),
    };
    let mut report = RunReport {
        at: now.to_string(),
        ..RunReport::default()
    };
    let mut collected = Collected::default();
    for (chain, url) in config::served_chains(env) {
        report
            .chains
            .push(scan_chain(env, &store, chain, &url, now, &mut collected).await);
    }
    evaluate(env, &store, now, &mut report, &mut collected).await;
    housekeeping::purge(&store, now).await;
    // Deliveries after the chains: a slow endpoint never delays the watcher.
    let sending = Date::now().as_millis();
    let sent = crate::webhooks::send_due(env).await;
    report.webhook_attempts = u64::from(sent.attempts);
    report.webhooks_delivered = u64::from(sent.delivered);
    report.webhook_ms = Date::now().as_millis().saturating_sub(sending);
    let usage = store.usage();
    report.d1_queries = usage.queries;
    report.d1_rows_read = usage.rows_read;
    report.d1_rows_written = usage.rows_written;
    report.wall_ms = Date::now().as_millis().saturating_sub(started);
    let report = serde_json::to_string(&report).unwrap_or_default();
    if let Err(e) = store.put_meta("last_run", &report, now).await {
        worker::console_error!("watcher: could not record the run: {}", e.message);
    }
}

/// Scans one chain and says what it cost; a failure is recorded as the chain's
/// `last_error`.
async fn scan_chain(
    env: &Env,
    store: &Store,
    chain: &Chain,
    url: &str,
    now: Timestamp,
    collected: &mut Collected,
) -> ChainRun {
    let rpc = config::rpc(env, chain, url.to_owned());
    let scanned = ChainScan {
        store,
        chain,
        rpc: &rpc,
        now,
    }
    .run(collected)
    .await;
    // Sweeps once the chain has answered this run: a chain that cannot be read verifies
    // nothing, and its sweeps wait.
    if scanned.is_ok()
        && let Err(e) = sweeps::verify(store, chain, &rpc, now).await
    {
        worker::console_warn!(
            "watcher: chain {}: verifying sweeps: {}",
            chain.chain_id,
            e.message
                .replace(url, url_host(url).unwrap_or("(unparseable URL)"))
        );
    }
    let (subrequests, rpc_calls) = rpc.sent.get();
    if let Err(e) = &scanned {
        record_chain_error(store, chain.chain_id, url, e, now).await;
    }
    ChainRun {
        chain_id: chain.chain_id,
        subrequests,
        rpc_calls,
        ok: scanned.is_ok(),
        sessions_failed: 0,
        refunds_failed: collected
            .refunds_failed
            .get(&chain.chain_id)
            .copied()
            .unwrap_or(0),
    }
}

async fn record_chain_error(
    store: &Store,
    chain_id: ChainId,
    url: &str,
    e: &ApiError,
    now: Timestamp,
) {
    let host = url_host(url).unwrap_or("(unparseable URL)");
    // Transport errors may quote the URL, which is a secret: keep only the host.
    let message = format!("{host}: {}", e.message.replace(url, host));
    worker::console_warn!("watcher: chain {chain_id}: {message}");
    if let Err(e) = store.record_chain_error(chain_id, &message, now).await {
        worker::console_error!(
            "watcher: chain {chain_id}: could not record the error: {}",
            e.message
        );
    }
}

/// Evaluates the sessions that can change and counts the failures per chain.
async fn evaluate(
    env: &Env,
    store: &Store,
    now: Timestamp,
    report: &mut RunReport,
    collected: &mut Collected,
) {
    let rpcs = config::served_chains(env)
        .into_iter()
        .map(|(chain, url)| (chain.chain_id, config::rpc(env, chain, url)))
        .collect();
    let base_url = config::base_url(env, None);
    let failures = &mut collected.failures;
    match evaluate::evaluate_watched(
        store,
        &base_url,
        now,
        &collected.reconciled,
        &rpcs,
        failures,
    )
    .await
    {
        Ok((evaluated, changed)) => {
            report.sessions_evaluated = evaluated;
            report.sessions_changed = changed;
        }
        Err(e) => worker::console_error!("watcher: loading sessions failed: {}", e.message),
    }
    let failed: Vec<&SessionId> = failures.ids().into_iter().collect();
    if let Err(e) = store.note_failures(&failed).await {
        worker::console_error!("watcher: could not count failures: {}", e.message);
    }
    for chain in &mut report.chains {
        chain.sessions_failed = failures.on(chain.chain_id);
    }
}
