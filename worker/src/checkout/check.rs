//! The on-demand check: looks for one session's payments now, without waiting for the
//! cron. It runs the watcher's steps for the one address: read the head, find the
//! session's transfers and native credits, record them, and evaluate the session.

use alloy_primitives::B256;
use kasse_shared::catalogue::Chain;
use kasse_shared::error_code::ErrorCode;
use kasse_shared::scan::rescan_from;
use kasse_shared::session::Session;
use kasse_shared::session::open::deposit_address;
use kasse_shared::session::watch::watched_chains;
use kasse_shared::time::{Timestamp, UnixMillis};
use worker::Env;

use crate::chain::native::{Credit, check_credits};
use crate::chain::rpc::{Rpc, read_head};
use crate::chain::tokens::{receipt_transfers, transfer_logs};
use crate::config;
use crate::error::{ApiError, ApiResult};
use crate::store::{Store, address_key};
use crate::watch::Failures;
use crate::watch::evaluate::evaluate_one;
use crate::watch::record::{ByAddress, native_watch, record_native, record_transfers};

/// How often one session may be checked: once per this many milliseconds, measured from
/// the last check allowed.
const CHECK_EVERY_MS: u64 = 2_000;

/// One check per session every 2 seconds: each one reads the chains. `now` is the
/// request's clock in milliseconds (the interval is shorter than a few seconds, so whole
/// seconds would let checks through early).
pub(crate) async fn limit_checks(
    store: &Store,
    session_id: &str,
    now: UnixMillis,
) -> ApiResult<()> {
    if !store
        .allow_once_per(&format!("check:{session_id}"), now, CHECK_EVERY_MS)
        .await?
    {
        return Err(ApiError::rate_limited(
            "A check for this session ran in the last 2 seconds; retry after the Retry-After delay.",
            CHECK_EVERY_MS / 1000,
        ));
    }
    Ok(())
}

/// Which node failed and how is for health's `last_error`, not for the caller: a chain
/// that cannot be read gets a plain message; any other error is left as it is.
fn plain_chain_error(e: ApiError) -> ApiError {
    if e.code == ErrorCode::ChainUnavailable {
        ApiError {
            message: "The chain could not be read just now; try again shortly.".into(),
            ..e
        }
    } else {
        e
    }
}

/// With `tx_hash`, only that transaction's receipt counts (status 1, in a canonical block
/// after the session's creation, a catalogue-token transfer to the address), looked up on
/// every chain the address is watched on; without, the recent range
/// `(cursor − confirmations, head]` of the selected (else the offered) chains is scanned for
/// this address alone. A check never moves a chain cursor; an unknown hash changes nothing,
/// and so does any check once the session's grace window has ended (a payment still
/// confirming then is the cron's). A chain the session is paid on that cannot be read
/// answers with a plain message (`plain_chain_error`); one read only for wrong-network
/// payments is then left to the cron. Returns whether a chain read had the transaction
/// `tx_hash` names.
pub(crate) async fn run_check(
    env: &Env,
    store: &Store,
    session: &Session,
    tx_hash: Option<B256>,
    base_url: &str,
    now: Timestamp,
) -> ApiResult<bool> {
    if now >= session.late_until {
        return Ok(false);
    }
    let mut heads = store.heads().await?;
    let cursors = store.cursors().await?;
    let mut seen = false;
    let paid_on = scanned_chains(session);
    for (chain, url) in checked_chains(env, session, tx_hash.is_some()) {
        let rpc = config::rpc(env, chain, url);
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
        let (head, found) = match checking.chain(cursor, tx_hash).await {
            Ok(read) => read,
            Err(e)
                if e.code == ErrorCode::ChainUnavailable && !paid_on.contains(&chain.chain_id) =>
            {
                continue;
            }
            Err(e) => return Err(plain_chain_error(e)),
        };
        seen |= found;
        heads.insert(chain.chain_id, head);
    }
    evaluate_one(store, &session.id, &heads, now, base_url)
        .await
        .map_err(plain_chain_error)?;
    Ok(seen)
}

/// The chains a scan reads: the selected option's, else the offered ones.
fn scanned_chains(session: &Session) -> Vec<u64> {
    match &session.selected {
        Some(q) => vec![q.chain_id],
        None => session.options.iter().map(|q| q.chain_id).collect(),
    }
}

/// The served chains a check reads: for a named transaction every chain the session's
/// address is watched on, so one sent on another network is found (and recorded) too; for a
/// scan [`scanned_chains`].
fn checked_chains(env: &Env, session: &Session, by_hash: bool) -> Vec<(&'static Chain, String)> {
    let served = config::served_chains(env);
    let chain_ids: Vec<u64> = if by_hash {
        let ids: Vec<u64> = served.iter().map(|(c, _)| c.chain_id).collect();
        watched_chains(config::catalogue(), &ids, session)
            .iter()
            .map(|w| w.chain_id)
            .collect()
    } else {
        scanned_chains(session)
    };
    served
        .into_iter()
        .filter(|(c, _)| chain_ids.contains(&c.chain_id))
        .collect()
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
    /// Records the session's payments on this chain; returns the head it read and whether
    /// the chain has the transaction `tx_hash` names.
    async fn chain(&self, cursor: Option<u64>, tx_hash: Option<B256>) -> ApiResult<(u64, bool)> {
        let (store, chain, rpc, session, now) =
            (self.store, self.chain, self.rpc, self.session, self.now);
        let head = read_head(rpc, chain.chain_id).await?;
        // The head is a fact anyone may record; the cursor is the cron's alone.
        store.record_head(chain.chain_id, head, now).await?;
        let from = rescan_from(cursor, head, chain.min_confirmations);
        // On a Tron chain the session is paid at its Tron address's 20 bytes.
        let deposit = deposit_address(config::catalogue(), session, chain.chain_id);
        let address = address_key(&deposit);
        let (seen, transfers) = match tx_hash {
            Some(hash) => match receipt_transfers(rpc, chain, hash, deposit).await? {
                Some(transfers) => (true, transfers),
                None => (false, Vec::new()),
            },
            None => {
                let logs = transfer_logs(rpc, chain, std::slice::from_ref(&address), from, head);
                (false, logs.await?)
            }
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
                    address: deposit,
                    payment,
                })
                .collect();
            record_native(store, chain, rpc, credits, now, &mut failures).await?;
        }
        Ok((head, seen))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::chain_error;

    #[test]
    fn an_unreadable_chain_is_reported_without_the_nodes_details() {
        let node = chain_error("http://10.0.0.7:8545 answered 502");
        let plain = plain_chain_error(node);
        assert_eq!(
            (plain.status, plain.code),
            (503, ErrorCode::ChainUnavailable)
        );
        assert_eq!(
            plain.message,
            "The chain could not be read just now; try again shortly."
        );
        let other = plain_chain_error(ApiError::invalid(ErrorCode::ParameterInvalid, "as it was"));
        assert_eq!(
            (other.code, other.message.as_str()),
            (ErrorCode::ParameterInvalid, "as it was")
        );
    }
}
