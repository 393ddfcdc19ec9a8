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
use kasse_shared::session::{Heads, Payment, PaymentStatus, Session, evaluate, reconcile};
use kasse_shared::time::Timestamp;
use serde_json::{Value, json};
use worker::{Date, Env};

use crate::config;
use crate::entropy;
use crate::error::{ApiResult, chain_error};
use crate::native;
use crate::routes::sessions::event;
use crate::rpc::{self, Call, Rpc};
use crate::store::{NewPayment, PaymentRow, Store, WatchRow, address_key};

/// keccak256("Transfer(address,address,uint256)")
const TRANSFER_TOPIC: &str = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";
/// Blocks rescanned beyond the confirmation depth, so reorged-out and re-included payments are seen.
const RESCAN_MARGIN: u64 = 5;

/// Recorded payments whose state the rescan changed, by session: written with the
/// session's next version, never on their own.
type Reconciled = BTreeMap<String, Vec<(String, Payment)>>;

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
    let mut touched = BTreeSet::new();
    for (chain, url) in config::served_chains(env) {
        let host = url_host(&url).unwrap_or("(unparseable URL)").to_owned();
        let rpc = config::rpc(env, url.clone());
        let scanned = scan_chain(&store, chain, &rpc, now, &mut reconciled, &mut touched).await;
        let (subrequests, rpc_calls) = rpc.sent.get();
        report.chains.push(ChainRun {
            chain_id: chain.chain_id,
            subrequests,
            rpc_calls,
            ok: scanned.is_ok(),
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
    match evaluate_watched(
        &store,
        &config::base_url(env, None),
        now,
        &reconciled,
        &touched,
    )
    .await
    {
        Ok((evaluated, changed)) => {
            report.sessions_evaluated = evaluated;
            report.sessions_changed = changed;
        }
        Err(e) => worker::console_error!("watcher: evaluating sessions failed: {}", e.message),
    }
    let purge_before = now.0.saturating_sub(crate::idempotency::TTL_SECS);
    if let Err(e) = store.purge_idempotency(purge_before).await {
        worker::console_error!("watcher: idempotency purge failed: {}", e.message);
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
    touched: &mut BTreeSet<String>,
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
    if let Err(e) = scan_window(store, chain, rpc, from, to, now, reconciled, touched).await {
        let narrowed = next_scan_range(range, max_range, false);
        store.narrow_scan(chain.chain_id, narrowed).await?;
        return Err(e);
    }
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
/// (split only by the provider's limits), then records what it found.
#[allow(clippy::too_many_arguments)]
async fn scan_window(
    store: &Store,
    chain: &Chain,
    rpc: &Rpc,
    from: u64,
    to: u64,
    now: Timestamp,
    reconciled: &mut Reconciled,
    touched: &mut BTreeSet<String>,
) -> ApiResult<()> {
    let watched = store.watched(chain.chain_id, now).await?;
    let by_address: BTreeMap<String, String> = watched
        .iter()
        .map(|w| (w.address.clone(), w.session_id.clone()))
        .collect();
    let native_watched: Vec<native::Watched> = watched
        .iter()
        .map(WatchRow::native)
        .filter_map(Result::transpose)
        .collect::<ApiResult<_>>()?;
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

    if log_calls > 0 {
        let transfers = parse_logs(chain, &results[..log_calls])?;
        let rescanned =
            record_transfers(store, chain, rpc, &by_address, transfers, now, touched).await?;
        let recorded = store
            .rescannable_payments(chain.chain_id, from, now)
            .await?;
        let payments: Vec<Payment> = recorded
            .iter()
            .map(PaymentRow::to_payment)
            .collect::<ApiResult<_>>()?;
        for changed in reconcile(&payments, &rescanned, &(from..=to)) {
            let tx = changed.tx_hash.map(|h| h.to_string());
            let Some(row) = recorded
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
    record_native(store, chain, findings.new, now, touched).await?;
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
    Ok(())
}

/// Records new native credits, each counted as its session's options say.
async fn record_native(
    store: &Store,
    chain: &Chain,
    mut credits: Vec<NewPayment>,
    now: Timestamp,
    touched: &mut BTreeSet<String>,
) -> ApiResult<()> {
    if credits.is_empty() {
        return Ok(());
    }
    let mut sessions: BTreeMap<String, Option<Session>> = BTreeMap::new();
    for credit in &mut credits {
        touched.insert(credit.session_id.clone());
        if !sessions.contains_key(&credit.session_id) {
            let loaded = store.session(&credit.session_id).await?;
            sessions.insert(credit.session_id.clone(), loaded);
        }
        credit.payment.counted = sessions
            .get(&credit.session_id)
            .and_then(Option::as_ref)
            .is_some_and(|s| {
                s.counts(
                    chain.chain_id,
                    &chain.native_symbol,
                    credit.payment.amount,
                    None,
                )
            });
    }
    store
        .insert_payments(&credits, &mut || entropy::id("pay_"), &now.to_string())
        .await
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
    by_address: &BTreeMap<String, String>,
    transfers: Vec<Transfer>,
    now: Timestamp,
    touched: &mut BTreeSet<String>,
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
    let mut sessions: BTreeMap<String, Session> = BTreeMap::new();
    let mut found = Vec::new();
    for t in transfers {
        let Some(session_id) = by_address.get(&address_key(&t.to)) else {
            continue;
        };
        if !sessions.contains_key(session_id) {
            match store.session(session_id).await? {
                Some(s) => sessions.insert(session_id.clone(), s),
                None => continue,
            };
        }
        let Some(session) = sessions.get(session_id) else {
            continue;
        };
        let min = chain
            .token(&t.token)
            .and_then(|tk| kasse_shared::money::parse_base_units(&tk.min_amount));
        let counted = session.counts(chain.chain_id, &t.token, t.amount, min);
        touched.insert(session_id.clone());
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
                block_time: times.get(&t.block_number).copied().unwrap_or(now),
                amount: t.amount,
                status: PaymentStatus::Detected,
                counted,
            },
        });
    }
    store
        .insert_payments(&found, &mut || entropy::id("pay_"), &now.to_string())
        .await?;
    Ok(found.into_iter().map(|f| f.payment).collect())
}

/// Runs the lifecycle over every watched session and writes each change exactly once.
/// Only sessions that can change are loaded: due by time, still confirming, or moved by
/// this run's scan (see `Store::sessions_to_evaluate`). Returns (evaluated, changed).
async fn evaluate_watched(
    store: &Store,
    base_url: &str,
    now: Timestamp,
    reconciled: &Reconciled,
    touched: &BTreeSet<String>,
) -> ApiResult<(u64, u64)> {
    let heads = store.heads().await?;
    let touched: Vec<String> = touched
        .iter()
        .chain(reconciled.keys())
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let (sessions, payment_rows) = store.sessions_to_evaluate(now, &touched).await?;
    let mut rows_by_session: BTreeMap<String, Vec<PaymentRow>> = BTreeMap::new();
    for row in payment_rows {
        rows_by_session
            .entry(row.session_id.clone())
            .or_default()
            .push(row);
    }
    let (mut evaluated, mut changed) = (0, 0);
    for session in sessions {
        let overrides = reconciled
            .get(&session.id)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let rows = rows_by_session.remove(&session.id).unwrap_or_default();
        evaluated += 1;
        if evaluate_loaded(store, session, &rows, &heads, now, overrides, base_url).await? {
            changed += 1;
        }
    }
    Ok((evaluated, changed))
}

/// Loads one session and evaluates it (the on-demand check).
async fn evaluate_one(
    store: &Store,
    session_id: &str,
    heads: &Heads,
    now: Timestamp,
    base_url: &str,
) -> ApiResult<()> {
    let Some(session) = store.session(session_id).await? else {
        return Ok(());
    };
    let rows = store.payment_rows(session_id).await?;
    evaluate_loaded(store, session, &rows, heads, now, &[], base_url)
        .await
        .map(|_| ())
}

/// Evaluates one session against its recorded payments (with `overrides` from a rescan)
/// and writes the change, if any, exactly once.
async fn evaluate_loaded(
    store: &Store,
    session: Session,
    rows: &[PaymentRow],
    heads: &Heads,
    now: Timestamp,
    overrides: &[(String, Payment)],
    base_url: &str,
) -> ApiResult<bool> {
    let session_id = session.id.clone();
    let recorded: Vec<Payment> = rows
        .iter()
        .map(PaymentRow::to_payment)
        .collect::<ApiResult<_>>()?;
    let mut current: Vec<Payment> = rows
        .iter()
        .zip(&recorded)
        .map(|(row, p)| {
            overrides
                .iter()
                .find(|(id, _)| *id == row.id)
                .map_or_else(|| p.clone(), |(_, o)| o.clone())
        })
        .collect();
    if session.status.is_final() {
        report_deep_reorgs(store, &session, rows, &recorded, &current, now).await?;
    }

    let (next, kinds) = match evaluate(&session, &current, heads, now) {
        Some(outcome) => {
            for updated in &outcome.payments {
                if let Some(p) = current.iter_mut().find(|p| p.same_transfer(updated)) {
                    *p = updated.clone();
                }
            }
            (outcome.session, outcome.events)
        }
        // Only payment rows changed (e.g. reorged dust): still a new version, no event.
        None if !overrides.is_empty() => (
            Session {
                version: session.version + 1,
                updated_at: now,
                ..session.clone()
            },
            Vec::new(),
        ),
        None => return Ok(false),
    };
    let updates: Vec<(String, Payment)> = rows
        .iter()
        .zip(&recorded)
        .zip(&current)
        .filter(|((_, before), after)| before != after)
        .map(|((row, _), after)| (row.id.clone(), after.clone()))
        .collect();
    let events = kinds
        .iter()
        .map(|kind| event(&next, *kind, &current, heads, base_url))
        .collect::<ApiResult<Vec<_>>>()?;
    let token = entropy::token("wt_", 16);
    let applied = store
        .apply_change(
            session.version,
            &next,
            &updates,
            &events,
            Some(kasse_shared::session::settling(&current)),
            &token,
        )
        .await?;
    if !applied {
        worker::console_log!(
            "watcher: session {session_id} changed under us; next run re-evaluates it"
        );
    }
    Ok(applied)
}

/// A counted payment reorged out under a final session went deeper than the confirmations.
/// Spec §4: the status stays; the operator learns of it in the log and in health.
async fn report_deep_reorgs(
    store: &Store,
    session: &Session,
    rows: &[PaymentRow],
    recorded: &[Payment],
    current: &[Payment],
    now: Timestamp,
) -> ApiResult<()> {
    for ((row, before), after) in rows.iter().zip(recorded).zip(current) {
        if before.counted
            && before.status != PaymentStatus::Reorged
            && after.status == PaymentStatus::Reorged
        {
            let note = format!(
                "{now}: payment {} of session {} ({}) reorged out of block {} deeper than the confirmations; the status stays {}",
                row.id,
                session.id,
                before.token,
                before.block_number,
                session.status.as_str(),
            );
            worker::console_error!("watcher: chain {}: {note}", before.chain_id);
            store.record_deep_reorg(before.chain_id, &note).await?;
        }
    }
    Ok(())
}

/// The on-demand check (spec §4): looks for this session's payments now, without waiting
/// for the cron. With `tx_hash`, only that transaction's receipt counts (status 1, in a
/// canonical block, a catalogue-token transfer to the address); without, the recent range
/// `(cursor − confirmations, head]` is scanned for this address alone. A check never moves
/// a chain cursor; an unknown hash changes nothing.
pub async fn check(
    env: &Env,
    store: &Store,
    session: &Session,
    tx_hash: Option<B256>,
    base_url: &str,
) -> ApiResult<()> {
    let now = Timestamp::from_unix_millis(Date::now().as_millis());
    let mut heads = store.heads().await?;
    let address = address_key(&session.address);
    let by_address = BTreeMap::from([(address.clone(), session.id.clone())]);
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
        let mut touched = BTreeSet::new();
        record_transfers(
            store,
            chain,
            &rpc,
            &by_address,
            transfers,
            now,
            &mut touched,
        )
        .await?;
        let native_watch = match store.watch_row(chain.chain_id, &address).await? {
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
            record_native(store, chain, credits, now, &mut touched).await?;
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
