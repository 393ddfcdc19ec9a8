//! The scheduled run (every minute in production, every 5 s under `cargo xtask dev`).
//!
//! Per served chain: read the head, scan ERC-20 `Transfer` logs to watched addresses over
//! (cursor − confirmations − margin, head], record new payments, advance the cursor by
//! compare-and-set. Then evaluate every watched session with `kasse_shared::session::evaluate`
//! and write each change exactly once. An RPC failure changes nothing but the chain's
//! `last_error`; the next run retries.

use std::collections::{BTreeMap, BTreeSet};

use alloy_primitives::{Address, B256, U256};
use kasse_shared::catalogue::Chain;
use kasse_shared::health::{ChainRun, RunReport, next_scan_range, url_host};
use kasse_shared::session::{Payment, PaymentStatus, Session, Transfer as Found, reconcile};
use kasse_shared::time::Timestamp;
use serde_json::{Value, json};
use worker::{Date, Env};

use crate::config;
use crate::entropy;
use crate::error::{ApiResult, chain_error};
use crate::native;
use crate::rpc::{self, Call, Rpc};
use crate::store::{NewPayment, Store, address_key};

mod evaluate;
use evaluate::{Prices, evaluate_one, evaluate_watched};

/// keccak256("Transfer(address,address,uint256)")
const TRANSFER_TOPIC: &str = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";
/// Blocks rescanned beyond the confirmation depth, so reorged-out and re-included payments are seen.
const RESCAN_MARGIN: u64 = 5;
/// Token transfers one run records per chain at most. A denser window is recorded up to a
/// whole block within this, the cursor stops there, and the next run goes on from it.
const MAX_TRANSFERS_PER_RUN: usize = 2_000;
/// Sessions one run evaluates at most; the rest stay due or settling for the next run.
const MAX_EVALUATIONS_PER_RUN: u64 = 1_000;

/// Sessions whose evaluation or write failed this run, per chain they are watched on: each
/// is logged with its id, counted in health, and retried next run. One session's failure
/// never stops the run for any other.
#[derive(Default)]
struct Failures {
    sessions: BTreeMap<u64, BTreeSet<String>>,
    /// Per chain, the lowest block holding a transfer that could not be recorded: the
    /// cursor stays before it.
    unrecorded: BTreeMap<u64, u64>,
}

impl Failures {
    fn add(&mut self, chains: &[u64], session_id: &str, what: &str, e: &crate::error::ApiError) {
        worker::console_error!(
            "watcher: session {session_id}: {what} failed: {}",
            e.message
        );
        for chain in chains {
            self.sessions
                .entry(*chain)
                .or_default()
                .insert(session_id.to_owned());
        }
    }

    /// Transfers of `chain_id` that could not be recorded (already logged by the store).
    fn unrecorded(&mut self, chain_id: u64, failed: Vec<(String, u64)>) {
        for (session_id, block) in failed {
            self.sessions
                .entry(chain_id)
                .or_default()
                .insert(session_id);
            let lowest = self.unrecorded.entry(chain_id).or_insert(block);
            *lowest = (*lowest).min(block);
        }
    }

    fn on(&self, chain_id: u64) -> u64 {
        self.sessions.get(&chain_id).map_or(0, |s| s.len() as u64)
    }

    fn ids(&self) -> BTreeSet<&str> {
        self.sessions
            .values()
            .flatten()
            .map(String::as_str)
            .collect()
    }
}

/// Recorded payments whose state the rescan changed, by session: written with the
/// session's next version, never on their own.
type Reconciled = BTreeMap<String, Vec<(String, Payment)>>;

/// Watched addresses → (session id, the chain's head at the session's creation).
type ByAddress = BTreeMap<String, (String, Option<u64>)>;

pub async fn run(env: &Env) {
    let started = Date::now().as_millis();
    let now = Timestamp::from_unix_millis(started);
    let store = match Store::new(env) {
        Ok(store) => store,
        Err(e) => return worker::console_error!("watcher: no database binding: {e}"),
    };
    let stamp = now.to_string();
    let mut report = RunReport {
        at: stamp.clone(),
        ..RunReport::default()
    };
    let mut reconciled = Reconciled::new();
    let mut failures = Failures::default();
    for (chain, url) in config::served_chains(env) {
        let host = url_host(&url).unwrap_or("(unparseable URL)").to_owned();
        let rpc = config::rpc(env, url.clone());
        let scanned = scan_chain(&store, chain, &rpc, now, &mut reconciled, &mut failures).await;
        let (subrequests, rpc_calls) = rpc.sent.get();
        report.chains.push(ChainRun {
            chain_id: chain.chain_id,
            subrequests,
            rpc_calls,
            ok: scanned.is_ok(),
            sessions_failed: 0,
        });
        if let Err(e) = scanned {
            // Transport errors may quote the URL, which is a secret: keep only the host.
            let message = format!("{host}: {}", e.message.replace(url.as_str(), &host));
            worker::console_warn!("watcher: chain {}: {message}", chain.chain_id);
            if let Err(e) = store
                .record_chain_error(chain.chain_id, &message, &stamp)
                .await
            {
                worker::console_error!(
                    "watcher: chain {}: could not record the error: {}",
                    chain.chain_id,
                    e.message
                );
            }
        }
    }
    let rpcs = config::served_chains(env)
        .into_iter()
        .map(|(chain, url)| (chain.chain_id, config::rpc(env, url)))
        .collect();
    match evaluate_watched(
        &store,
        &config::base_url(env, None),
        now,
        &reconciled,
        &rpcs,
        &mut failures,
    )
    .await
    {
        Ok((evaluated, changed)) => {
            report.sessions_evaluated = evaluated;
            report.sessions_changed = changed;
        }
        Err(e) => worker::console_error!("watcher: loading sessions failed: {}", e.message),
    }
    let failed: Vec<&str> = failures.ids().into_iter().collect();
    if let Err(e) = store.note_failures(&failed).await {
        worker::console_error!("watcher: could not count failures: {}", e.message);
    }
    for chain in &mut report.chains {
        chain.sessions_failed = failures.on(chain.chain_id);
    }
    let purge_before = now.0.saturating_sub(crate::idempotency::TTL_SECS);
    if let Err(e) = store.purge_idempotency(purge_before).await {
        worker::console_error!("watcher: idempotency purge failed: {}", e.message);
    }
    // Events, deliveries and attempts past their 30 days, a bounded batch per run.
    match store.purge_retained(now.0).await {
        Ok(p) if p.events + p.deliveries + p.attempts > 0 => worker::console_log!(
            "watcher: retention purged {} events, {} deliveries, {} attempts",
            p.events,
            p.deliveries,
            p.attempts
        ),
        Ok(_) => {}
        Err(e) => worker::console_error!("watcher: retention purge failed: {}", e.message),
    }
    // Counters are per second to per minute; an hour is plenty of slack.
    if let Err(e) = store
        .purge_rate_limits(now.0.saturating_sub(3600).saturating_mul(1000))
        .await
    {
        worker::console_error!("watcher: rate-limit purge failed: {}", e.message);
    }
    if let Err(e) = store.unwatch_expired(now).await {
        worker::console_error!("watcher: unwatch failed: {}", e.message);
    }
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
    if let Err(e) = store.put_meta("last_run", &report, &stamp).await {
        worker::console_error!("watcher: could not record the run: {}", e.message);
    }
}

async fn scan_chain(
    store: &Store,
    chain: &Chain,
    rpc: &Rpc,
    now: Timestamp,
    reconciled: &mut Reconciled,
    failures: &mut Failures,
) -> ApiResult<()> {
    let head = read_head(rpc, chain.chain_id).await?;
    store
        .record_head(chain.chain_id, head, &now.to_string())
        .await?;

    let row = store
        .cursors()
        .await?
        .into_iter()
        .find(|c| c.chain_id == chain.chain_id);
    let cursor = row.as_ref().and_then(|c| c.cursor);
    let max_range = chain.rpc_limits.max_log_range.max(1);
    let range = row
        .and_then(|c| c.scan_range)
        .unwrap_or(max_range)
        .clamp(1, max_range);
    let depth = u64::from(chain.min_confirmations) + RESCAN_MARGIN;
    let from = cursor.unwrap_or(head).saturating_sub(depth).max(1);
    let to = head.min(cursor.unwrap_or(head).saturating_add(range));
    if from > to {
        return Ok(());
    }
    let to = match scan_window(store, chain, rpc, from, to, now, reconciled, failures).await {
        // Never backwards: a transfer held below the cursor is inside the next rescan.
        Ok(recorded_to) => recorded_to.max(cursor.unwrap_or(0)),
        Err(e) => {
            // A smaller window helps a provider that refuses a range or a response size;
            // it does nothing for a database error, so only chain errors narrow it.
            if e.code == "chain_unavailable" {
                let narrowed = next_scan_range(range, max_range, false);
                store.narrow_scan(chain.chain_id, narrowed).await?;
            }
            return Err(e);
        }
    };
    let widened = next_scan_range(range, max_range, true);
    if !store
        .advance_cursor(chain.chain_id, cursor, to, widened)
        .await?
    {
        worker::console_log!(
            "watcher: chain {}: cursor moved by an overlapping run",
            chain.chain_id
        );
    }
    Ok(())
}

/// Scans the blocks `from..=to` of one chain: token logs and native balances in one batch
/// (split only by the provider's limits), then records what it found. Returns the last
/// block whose transfers are all recorded: `to`, or less in a window denser than one run
/// records (the cursor stops there).
#[allow(clippy::too_many_arguments)]
async fn scan_window(
    store: &Store,
    chain: &Chain,
    rpc: &Rpc,
    from: u64,
    to: u64,
    now: Timestamp,
    reconciled: &mut Reconciled,
    failures: &mut Failures,
) -> ApiResult<u64> {
    let watched = store.watched(chain.chain_id, now).await?;
    let by_address: ByAddress = watched
        .iter()
        .map(|w| (w.address.clone(), (w.session_id.clone(), w.baseline_block)))
        .collect();
    let mut native_watched: Vec<native::Watched> = Vec::new();
    for row in &watched {
        match row.native() {
            Ok(native) => native_watched.extend(native),
            Err(e) => failures.add(
                &[chain.chain_id],
                &row.session_id,
                "reading its watch row",
                &e,
            ),
        }
    }
    let native_rows = if native_watched.is_empty() {
        Vec::new()
    } else {
        store.native_payments(chain.chain_id, from, to).await?
    };
    let native_scan = native::Scan::new(chain, from, to, native_watched, native_rows)?;

    // One batch (split only by the provider's batch limit): token logs, native balances.
    let mut calls = if chain.tokens.is_empty() {
        Vec::new()
    } else {
        transfer_log_calls(chain, by_address.keys().cloned().collect(), from, to)
    };
    let log_calls = calls.len();
    calls.extend(native_scan.calls());
    let results = if calls.is_empty() {
        Vec::new()
    } else {
        rpc.batches(&calls, &chain.rpc_limits).await?
    };

    let mut recorded_to = to;
    if log_calls > 0 {
        let (transfers, complete_to) = within_budget(parse_logs(chain, &results[..log_calls])?);
        recorded_to = complete_to.map_or(to, |b| b.min(to));
        let rescanned =
            record_transfers(store, chain, rpc, &by_address, transfers, now, failures).await?;
        let recorded = store
            .rescannable_payments(chain.chain_id, from, now)
            .await?;
        let mut readable = Vec::with_capacity(recorded.len());
        let mut payments = Vec::with_capacity(recorded.len());
        for row in &recorded {
            match row.to_payment() {
                Ok(p) => {
                    readable.push(row);
                    payments.push(p);
                }
                Err(e) => failures.add(&[chain.chain_id], &row.session_id, "reading a payment", &e),
            }
        }
        for changed in reconcile(&payments, &rescanned, &(from..=recorded_to)) {
            let tx = changed.tx_hash.map(|h| h.to_string());
            let Some(row) = readable
                .iter()
                .find(|r| r.tx_hash == tx && r.log_index == changed.log_index)
            else {
                continue;
            };
            if changed.status == PaymentStatus::Reorged {
                worker::console_warn!(
                    "watcher: chain {}: payment {} reorged out of block {}",
                    chain.chain_id,
                    row.id,
                    row.block_number
                );
            }
            reconciled
                .entry(row.session_id.clone())
                .or_default()
                .push((row.id.clone(), changed));
        }
    }

    let findings = native_scan.finish(rpc, &results[log_calls..]).await?;
    record_native(store, chain, rpc, findings.new, now, failures).await?;
    for (session_id, payment_id, changed) in findings.changed {
        if changed.status == PaymentStatus::Reorged {
            worker::console_warn!(
                "watcher: chain {}: native credit {payment_id} reorged out of block {}",
                chain.chain_id,
                changed.block_number
            );
        }
        reconciled
            .entry(session_id)
            .or_default()
            .push((payment_id, changed));
    }
    // The cursor never passes a transfer that could not be recorded: the next run retries it.
    Ok(match failures.unrecorded.get(&chain.chain_id) {
        Some(&block) => recorded_to.min(block.saturating_sub(1)),
        None => recorded_to,
    })
}

/// The transfers one run records: all of them, or in a denser window the first whole
/// blocks within `MAX_TRANSFERS_PER_RUN` (at least one block), with the last block they
/// complete.
fn within_budget(mut transfers: Vec<Transfer>) -> (Vec<Transfer>, Option<u64>) {
    if transfers.len() <= MAX_TRANSFERS_PER_RUN {
        return (transfers, None);
    }
    transfers.sort_by_key(|t| (t.block_number, t.log_index));
    let first_block = transfers[0].block_number;
    let mut cut = transfers.len();
    for (i, t) in transfers.iter().enumerate() {
        if i >= MAX_TRANSFERS_PER_RUN
            && t.block_number > first_block
            && t.block_number != transfers[i - 1].block_number
        {
            cut = i;
            break;
        }
    }
    // Past the budget the cut falls at the next block boundary, so no block is half-recorded.
    let complete_to = transfers[cut - 1].block_number;
    transfers.truncate(cut);
    (transfers, Some(complete_to))
}

/// Loads the sessions `ids` in one query. A session whose document cannot be read is left
/// out (and counted as failed): its transfers are recorded uncounted rather than lost.
async fn load_sessions(
    store: &Store,
    chain: &Chain,
    ids: BTreeSet<&str>,
    failures: &mut Failures,
) -> ApiResult<BTreeMap<String, Session>> {
    let ids: Vec<&str> = ids.into_iter().collect();
    let mut sessions = BTreeMap::new();
    for (id, loaded) in store.sessions_by_id(&ids).await? {
        match loaded {
            Ok(session) => {
                sessions.insert(id, session);
            }
            Err(e) => failures.add(&[chain.chain_id], &id, "reading the session", &e),
        }
    }
    Ok(sessions)
}

/// Records new native credits, each counted as its session's options say. A credit mined
/// after its option's quote stopped being honoured is valued at the feed's price now (read
/// once per chain and run); when the chain cannot be priced it waits for a later run.
async fn record_native(
    store: &Store,
    chain: &Chain,
    rpc: &Rpc,
    mut credits: Vec<NewPayment>,
    now: Timestamp,
    failures: &mut Failures,
) -> ApiResult<()> {
    if credits.is_empty() {
        return Ok(());
    }
    let ids = credits.iter().map(|c| c.session_id.as_str()).collect();
    let sessions = load_sessions(store, chain, ids, failures).await?;
    let mut prices = Prices::default();
    for credit in &mut credits {
        let block_time = credit.payment.block_time;
        let found = Found {
            chain_id: chain.chain_id,
            token: &chain.native_symbol,
            amount: credit.payment.amount,
            block_time,
        };
        let Some(session) = sessions.get(&credit.session_id) else {
            credit.payment.counted = false;
            continue;
        };
        credit.payment.counted = session.counts(&found, None);
        let quote = match &session.selected {
            Some(q) => q
                .same_option(chain.chain_id, &chain.native_symbol)
                .then_some(q),
            None => session.option(chain.chain_id, &chain.native_symbol),
        };
        let Some(quote) = quote.filter(|q| session.past_quote(q, block_time)) else {
            continue;
        };
        credit.payment.repriced = prices.quote(store, rpc, chain, session, quote, now).await?;
        if credit.payment.repriced.is_none() && credit.payment.counted {
            // It counts for nothing until a later run can price it (`Prices` in the evaluation).
            worker::console_warn!(
                "watcher: session {}: a native payment after its quote cannot be priced now; it waits for a price",
                credit.session_id
            );
        }
    }
    let recorded = store
        .record_payments(&credits, &mut || entropy::id("pay_"), &now.to_string())
        .await?;
    failures.unrecorded(chain.chain_id, recorded.failed);
    Ok(())
}

struct Transfer {
    token: String,
    to: Address,
    amount: U256,
    tx_hash: B256,
    log_index: u64,
    block_number: u64,
    block_hash: B256,
}

fn transfer_log_calls(chain: &Chain, addresses: Vec<String>, from: u64, to: u64) -> Vec<Call> {
    let contracts: Vec<String> = chain
        .tokens
        .iter()
        .map(|t| address_key(&t.contract))
        .collect();
    addresses
        .chunks(chain.rpc_limits.max_addresses_per_call.max(1))
        .map(|chunk| {
            let topics: Vec<String> = chunk
                .iter()
                .map(|a| format!("0x{:0>64}", a.trim_start_matches("0x")))
                .collect();
            Call {
                method: "eth_getLogs",
                params: json!([{
                    "fromBlock": format!("{from:#x}"),
                    "toBlock": format!("{to:#x}"),
                    "address": contracts,
                    "topics": [TRANSFER_TOPIC, null, topics],
                }]),
            }
        })
        .collect()
}

fn parse_logs(chain: &Chain, results: &[Value]) -> ApiResult<Vec<Transfer>> {
    let mut transfers = Vec::new();
    for logs in results {
        let logs = logs
            .as_array()
            .ok_or_else(|| chain_error("eth_getLogs returned a non-array"))?;
        for log in logs {
            if log["removed"].as_bool() == Some(true) {
                continue;
            }
            transfers.push(
                parse_transfer(chain, log)
                    .ok_or_else(|| chain_error(format!("malformed log: {log}")))?,
            );
        }
    }
    Ok(transfers)
}

async fn transfer_logs(
    rpc: &Rpc,
    chain: &Chain,
    addresses: Vec<String>,
    from: u64,
    to: u64,
) -> ApiResult<Vec<Transfer>> {
    let calls = transfer_log_calls(chain, addresses, from, to);
    if calls.is_empty() {
        return Ok(Vec::new());
    }
    let results = rpc.batches(&calls, &chain.rpc_limits).await?;
    parse_logs(chain, &results)
}

fn parse_transfer(chain: &Chain, log: &Value) -> Option<Transfer> {
    let contract: Address = log["address"].as_str()?.parse().ok()?;
    let token = chain
        .tokens
        .iter()
        .find(|t| t.contract == contract)?
        .symbol
        .clone();
    let to_topic: B256 = log["topics"].get(2)?.as_str()?.parse().ok()?;
    let data = log["data"].as_str()?.strip_prefix("0x")?;
    Some(Transfer {
        token,
        to: Address::from_slice(&to_topic[12..]),
        amount: U256::from_str_radix(if data.is_empty() { "0" } else { data }, 16).ok()?,
        tx_hash: log["transactionHash"].as_str()?.parse().ok()?,
        log_index: rpc::quantity(&log["logIndex"]).ok()?,
        block_number: rpc::quantity(&log["blockNumber"]).ok()?,
        block_hash: log["blockHash"].as_str()?.parse().ok()?,
    })
}

/// Block timestamps of `blocks`, checking each hash against what the logs said.
async fn block_times(
    rpc: &Rpc,
    chain: &Chain,
    blocks: &BTreeMap<u64, B256>,
) -> ApiResult<BTreeMap<u64, Timestamp>> {
    let numbers: Vec<u64> = blocks.keys().copied().collect();
    let read = native::read_blocks(rpc, chain, &numbers, false).await?;
    let mut times = BTreeMap::new();
    for (number, expected_hash) in blocks {
        match read.get(number) {
            Some(block) if block.hash == *expected_hash => {
                times.insert(*number, block.time);
            }
            _ => {
                return Err(chain_error(format!(
                    "block {number} changed during the scan (reorg); retrying next run"
                )));
            }
        }
    }
    Ok(times)
}

async fn record_transfers(
    store: &Store,
    chain: &Chain,
    rpc: &Rpc,
    by_address: &ByAddress,
    transfers: Vec<Transfer>,
    now: Timestamp,
    failures: &mut Failures,
) -> ApiResult<Vec<Payment>> {
    let transfers: Vec<Transfer> = transfers
        .into_iter()
        .filter(|t| !t.amount.is_zero())
        .collect();
    if transfers.is_empty() {
        return Ok(Vec::new());
    }
    let blocks: BTreeMap<u64, B256> = transfers
        .iter()
        .map(|t| (t.block_number, t.block_hash))
        .collect();
    let times = block_times(rpc, chain, &blocks).await?;
    let ids = transfers
        .iter()
        .filter_map(|t| by_address.get(&address_key(&t.to)))
        .map(|(id, _)| id.as_str())
        .collect();
    let sessions = load_sessions(store, chain, ids, failures).await?;
    let mut found = Vec::new();
    for t in transfers {
        let Some((session_id, baseline)) = by_address.get(&address_key(&t.to)) else {
            continue;
        };
        let block_time = times.get(&t.block_number).copied().unwrap_or(now);
        let session = sessions.get(session_id);
        if baseline.is_some_and(|b| t.block_number <= b)
            || session.is_some_and(|s| s.predates(block_time))
        {
            // The address was handed out after this block: the transfer is someone else's.
            continue;
        }
        let min = chain
            .token(&t.token)
            .and_then(|tk| kasse_shared::money::parse_base_units(&tk.min_amount));
        let counted = session.is_some_and(|s| {
            s.counts(
                &Found {
                    chain_id: chain.chain_id,
                    token: &t.token,
                    amount: t.amount,
                    block_time,
                },
                min,
            )
        });
        found.push(NewPayment {
            session_id: session_id.clone(),
            address: t.to,
            payment: Payment {
                chain_id: chain.chain_id,
                token: t.token,
                tx_hash: Some(t.tx_hash),
                log_index: Some(t.log_index),
                block_number: t.block_number,
                block_hash: t.block_hash,
                block_time,
                amount: t.amount,
                status: PaymentStatus::Detected,
                counted,
                repriced: None,
            },
        });
    }
    let recorded = store
        .record_payments(&found, &mut || entropy::id("pay_"), &now.to_string())
        .await?;
    failures.unrecorded(chain.chain_id, recorded.failed);
    Ok(found.into_iter().map(|f| f.payment).collect())
}

/// The on-demand check: looks for this session's payments now, without waiting for the
/// cron. With `tx_hash`, only that transaction's receipt counts (status 1, in a canonical
/// block after the session's creation, a catalogue-token transfer to the address); without,
/// the recent range `(cursor − confirmations, head]` is scanned for this address alone. A
/// check never moves a chain cursor; an unknown hash changes nothing, and so does any check
/// once the session's grace window has ended (a payment still confirming then is the
/// cron's).
pub async fn check(
    env: &Env,
    store: &Store,
    session: &Session,
    tx_hash: Option<B256>,
    base_url: &str,
) -> ApiResult<()> {
    let now = Timestamp::from_unix_millis(Date::now().as_millis());
    if now >= session.late_until {
        return Ok(());
    }
    let mut heads = store.heads().await?;
    let address = address_key(&session.address);
    let chain_ids: Vec<u64> = match &session.selected {
        Some(q) => vec![q.chain_id],
        None => session.options.iter().map(|q| q.chain_id).collect(),
    };
    let cursors = store.cursors().await?;
    for (chain, url) in config::served_chains(env)
        .into_iter()
        .filter(|(c, _)| chain_ids.contains(&c.chain_id))
    {
        let rpc = config::rpc(env, url);
        let head = read_head(&rpc, chain.chain_id).await?;
        // The head is a fact anyone may record; the cursor is the cron's alone.
        store
            .record_head(chain.chain_id, head, &now.to_string())
            .await?;
        heads.insert(chain.chain_id, head);
        let cursor = cursors
            .iter()
            .find(|c| c.chain_id == chain.chain_id)
            .and_then(|c| c.cursor)
            .unwrap_or(head);
        let from = cursor
            .saturating_sub(u64::from(chain.min_confirmations) + RESCAN_MARGIN)
            .max(1);
        let transfers = match tx_hash {
            Some(hash) => receipt_transfers(&rpc, chain, hash, &address).await?,
            None => transfer_logs(&rpc, chain, vec![address.clone()], from, head).await?,
        };
        let token_found = !transfers.is_empty();
        let watch = store.watch_row(chain.chain_id, &address).await?;
        let baseline = watch.as_ref().and_then(|w| w.baseline_block);
        let by_address = ByAddress::from([(address.clone(), (session.id.clone(), baseline))]);
        let mut failures = Failures::default();
        record_transfers(
            store,
            chain,
            &rpc,
            &by_address,
            transfers,
            now,
            &mut failures,
        )
        .await?;
        let native_watch = match watch {
            Some(row) => row.native()?,
            None => None,
        };
        if let Some(watched) = native_watch.filter(|_| !(token_found && tx_hash.is_some())) {
            let credits = native::check_credits(&rpc, chain, &watched, from, head, tx_hash)
                .await?
                .into_iter()
                .map(|payment| NewPayment {
                    session_id: session.id.clone(),
                    address: session.address,
                    payment,
                })
                .collect();
            record_native(store, chain, &rpc, credits, now, &mut failures).await?;
        }
    }
    evaluate_one(store, &session.id, &heads, now, base_url).await
}

/// The head of the chain behind `rpc`, after checking that it is the chain we expect.
async fn read_head(rpc: &Rpc, chain_id: u64) -> ApiResult<u64> {
    let calls = [
        rpc::chain_id_call(),
        Call {
            method: "eth_blockNumber",
            params: json!([]),
        },
    ];
    let results = rpc.batch(&calls).await?;
    rpc::expect_chain(&results[0], chain_id)?;
    Ok(rpc::quantity(&results[1])?)
}

/// Catalogue-token transfers to `address` in a successful transaction in a canonical block.
async fn receipt_transfers(
    rpc: &Rpc,
    chain: &Chain,
    hash: B256,
    address: &str,
) -> ApiResult<Vec<Transfer>> {
    let results = rpc
        .batch(&[Call {
            method: "eth_getTransactionReceipt",
            params: json!([hash.to_string()]),
        }])
        .await?;
    let receipt = &results[0];
    if receipt.is_null() || receipt["status"].as_str() != Some("0x1") {
        return Ok(Vec::new());
    }
    let transfers: Vec<Transfer> = receipt["logs"]
        .as_array()
        .map(|logs| {
            logs.iter()
                .filter(|l| l["topics"].get(0).and_then(Value::as_str) == Some(TRANSFER_TOPIC))
                .filter_map(|l| parse_transfer(chain, l))
                .filter(|t| address_key(&t.to) == address)
                .collect()
        })
        .unwrap_or_default();
    // A receipt from a block that is no longer canonical proves nothing.
    if let Some(t) = transfers.first() {
        let block = rpc.batch(&[rpc::block_call(t.block_number, false)]).await?;
        if native::header_hash(&block[0])? != t.block_hash {
            return Ok(Vec::new());
        }
    }
    Ok(transfers)
}
