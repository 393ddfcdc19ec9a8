//! The on-demand check: looks for one session's payments now, without waiting for the
//! cron. It runs the watcher's steps for the one address: read the head, find the
//! session's transfers and native credits, record them, and evaluate the session.

use alloy_primitives::B256;
use kasse_shared::catalogue::Chain;
use kasse_shared::scan::rescan_from;
use kasse_shared::session::Session;
use kasse_shared::time::Timestamp;
use worker::{Date, Env};

use crate::chain::native::{Credit, check_credits};
use crate::chain::rpc::{Rpc, read_head};
use crate::chain::tokens::{receipt_transfers, transfer_logs};
use crate::config;
use crate::error::ApiResult;
use crate::store::{Store, address_key};
use crate::watch::Failures;
use crate::watch::evaluate::evaluate_one;
use crate::watch::record::{ByAddress, native_watch, record_native, record_transfers};

/// With `tx_hash`, only that transaction's receipt counts (status 1, in a canonical block
/// after the session's creation, a catalogue-token transfer to the address); without, the
/// recent range `(cursor − confirmations, head]` is scanned for this address alone. A check
/// never moves a chain cursor; an unknown hash changes nothing, and so does any check once
/// the session's grace window has ended (a payment still confirming then is the cron's).
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
        let checking = Checking {
            store,
            chain,
            rpc: &rpc,
            session,
            now,
        };
        let cursor = cursors
            .iter()
            .find(|c| c.chain_id == chain.chain_id)
            .and_then(|c| c.cursor);
        let head = checking.chain(cursor, tx_hash).await?;
        heads.insert(chain.chain_id, head);
    }
    evaluate_one(store, &session.id, &heads, now, base_url).await
}

/// One chain of one session's check.
struct Checking<'a> {
    store: &'a Store,
    chain: &'a Chain,
    rpc: &'a Rpc,
    session: &'a Session,
    now: Timestamp,
}

impl Checking<'_> {
    /// Records the session's payments on this chain; returns the head it read.
    async fn chain(&self, cursor: Option<u64>, tx_hash: Option<B256>) -> ApiResult<u64> {
        let (store, chain, rpc, session, now) =
            (self.store, self.chain, self.rpc, self.session, self.now);
        let head = read_head(rpc, chain.chain_id).await?;
        // The head is a fact anyone may record; the cursor is the cron's alone.
        store
            .record_head(chain.chain_id, head, &now.to_string())
            .await?;
        let from = rescan_from(cursor, head, chain.min_confirmations);
        let address = address_key(&session.address);
        let transfers = match tx_hash {
            Some(hash) => receipt_transfers(rpc, chain, hash, session.address).await?,
            None => transfer_logs(rpc, chain, std::slice::from_ref(&address), from, head).await?,
        };
        let token_found = !transfers.is_empty();
        let watch = store.watch_row(chain.chain_id, &address).await?;
        let baseline = watch.as_ref().and_then(|w| w.baseline_block);
        let by_address = ByAddress::from([(address, (session.id.clone(), baseline))]);
        let mut failures = Failures::default();
        record_transfers(
            store,
            chain,
            rpc,
            &by_address,
            transfers,
            now,
            &mut failures,
        )
        .await?;
        let native = match watch {
            Some(row) => native_watch(&row)?,
            None => None,
        };
        // A hash that proved a token transfer is not also a native payment.
        if let Some(watched) = native.filter(|_| !(token_found && tx_hash.is_some())) {
            let credits = check_credits(rpc, chain, &watched, from, head, tx_hash)
                .await?
                .into_iter()
                .map(|payment| Credit {
                    session_id: session.id.clone(),
                    address: session.address,
                    payment,
                })
                .collect();
            record_native(store, chain, rpc, credits, now, &mut failures).await?;
        }
        Ok(head)
    }
}
