//! Recording what the chain shows: token transfers and native credits become payment rows,
//! each counted as its session's options say. Used by the run and by the on-demand check.

use std::collections::{BTreeMap, BTreeSet};

use alloy_primitives::{BlockHash, BlockNumber};
use kasse_shared::catalogue::Chain;
use kasse_shared::evm::TransferLog;
use kasse_shared::ids::{PaymentId, SessionId};
use kasse_shared::money::parse_base_units;
use kasse_shared::session::{Payment, PaymentStatus, Session, Transfer};
use kasse_shared::time::Timestamp;

use super::failures::Failures;
use super::prices::Prices;
use crate::chain::native::{Credit, Recorded, Watched};
use crate::chain::rpc::Rpc;
use crate::chain::tokens::block_times;
use crate::entropy::Csprng;
use crate::error::{ApiError, ApiResult};
use crate::store::{NewPayment, PaymentRow, Store, WatchRow, address_key};

/// Watched addresses → (session id, the chain's head at the session's creation).
pub(crate) type ByAddress = BTreeMap<String, (SessionId, Option<BlockNumber>)>;

/// The native-coin watch of a watch row, if the session has one on this chain.
pub(crate) fn native_watch(row: &WatchRow) -> ApiResult<Option<Watched>> {
    let (Some(balance), Some(block)) = (&row.native_baseline, row.native_baseline_block) else {
        return Ok(None);
    };
    let bad = || ApiError::internal(format!("watch row of {} is malformed", row.session_id));
    Ok(Some(Watched {
        session_id: row.session_id.clone(),
        address: row.address.parse().map_err(|_| bad())?,
        baseline: parse_base_units(balance).ok_or_else(bad)?,
        baseline_block: block,
    }))
}

/// A recorded native credit as the chain layer compares it with the chain.
pub(crate) fn recorded_credit(row: &PaymentRow) -> ApiResult<Recorded> {
    Ok(Recorded {
        id: row.id.clone(),
        session_id: row.session_id.clone(),
        address: row.address()?,
        payment: row.payment()?.clone(),
    })
}

/// Loads the sessions `ids` in one query. A session whose document cannot be read is left
/// out (and counted as failed): its transfers are recorded uncounted rather than lost.
async fn load_sessions(
    store: &Store,
    chain: &Chain,
    ids: BTreeSet<&SessionId>,
    failures: &mut Failures,
) -> ApiResult<BTreeMap<SessionId, Session>> {
    let ids: Vec<&SessionId> = ids.into_iter().collect();
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
pub(crate) async fn record_native(
    store: &Store,
    chain: &Chain,
    rpc: &Rpc,
    credits: Vec<Credit>,
    now: Timestamp,
    failures: &mut Failures,
) -> ApiResult<()> {
    if credits.is_empty() {
        return Ok(());
    }
    let ids = credits.iter().map(|c| &c.session_id).collect();
    let sessions = load_sessions(store, chain, ids, failures).await?;
    let mut prices = Prices::default();
    let mut found = Vec::with_capacity(credits.len());
    for Credit {
        session_id,
        address,
        mut payment,
    } in credits
    {
        if let Some(session) = sessions.get(&session_id) {
            value_native(store, chain, rpc, &mut prices, session, &mut payment, now).await?;
        }
        found.push(NewPayment {
            session_id,
            address,
            payment,
        });
    }
    let recorded = store
        .record_payments(&found, &mut || PaymentId::generate(&mut Csprng), now)
        .await?;
    failures.unrecorded(chain.chain_id, recorded.failed);
    Ok(())
}

/// Whether a new native credit counts for `session`, and its price when it came after its
/// option's quote stopped being honoured. Found while the chain cannot be priced, it counts
/// for nothing until a later run prices it (`Prices` in the evaluation).
async fn value_native(
    store: &Store,
    chain: &Chain,
    rpc: &Rpc,
    prices: &mut Prices,
    session: &Session,
    payment: &mut Payment,
    now: Timestamp,
) -> ApiResult<()> {
    let found = Transfer {
        chain_id: chain.chain_id,
        token: &chain.native_symbol,
        amount: payment.amount,
        block_time: payment.block_time,
    };
    payment.counted = session.counts(&found, None);
    let quote = match &session.selected {
        Some(q) => q
            .same_option(chain.chain_id, &chain.native_symbol)
            .then_some(q),
        None => session.option(chain.chain_id, &chain.native_symbol),
    };
    let Some(quote) = quote.filter(|q| session.past_quote(q, payment.block_time)) else {
        return Ok(());
    };
    payment.repriced = prices.quote(store, rpc, chain, session, quote, now).await?;
    if payment.repriced.is_none() && payment.counted {
        worker::console_warn!(
            "watcher: session {}: a native payment after its quote cannot be priced now; it waits for a price",
            session.id
        );
    }
    Ok(())
}

/// Records new token transfers to watched addresses and returns every transfer the scan
/// found as a payment (for the rescan's reconciliation). Transfers in or before a
/// session's baseline block, or mined before it was created, are someone else's.
pub(crate) async fn record_transfers(
    store: &Store,
    chain: &Chain,
    rpc: &Rpc,
    by_address: &ByAddress,
    transfers: Vec<TransferLog>,
    now: Timestamp,
    failures: &mut Failures,
) -> ApiResult<Vec<Payment>> {
    let transfers: Vec<TransferLog> = transfers
        .into_iter()
        .filter(|t| !t.amount.is_zero())
        .collect();
    if transfers.is_empty() {
        return Ok(Vec::new());
    }
    let blocks: BTreeMap<BlockNumber, BlockHash> = transfers
        .iter()
        .map(|t| (t.block_number, t.block_hash))
        .collect();
    let times = block_times(rpc, chain, &blocks).await?;
    let ids = transfers
        .iter()
        .filter_map(|t| by_address.get(&address_key(&t.to)))
        .map(|(id, _)| id)
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
        found.push(NewPayment {
            session_id: session_id.clone(),
            address: t.to,
            payment: token_payment(chain, session, t, block_time),
        });
    }
    let recorded = store
        .record_payments(&found, &mut || PaymentId::generate(&mut Csprng), now)
        .await?;
    failures.unrecorded(chain.chain_id, recorded.failed);
    Ok(found.into_iter().map(|f| f.payment).collect())
}

/// A token transfer as a detected payment, counted as `session` (if it could be read) says.
fn token_payment(
    chain: &Chain,
    session: Option<&Session>,
    t: TransferLog,
    block_time: Timestamp,
) -> Payment {
    let min = chain
        .token(&t.token)
        .and_then(|tk| parse_base_units(&tk.min_amount));
    let counted = session.is_some_and(|s| {
        s.counts(
            &Transfer {
                chain_id: chain.chain_id,
                token: &t.token,
                amount: t.amount,
                block_time,
            },
            min,
        )
    });
    Payment {
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
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{Address, U256};

    use super::*;

    // The refusals build an `ApiError`, which logs through the Workers console: they are
    // covered where that exists, by the e2e suite.
    const ADDRESS: &str = "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const SESSION: &str = "cs_test_000000000000000000000001";

    fn watch_row(native_baseline: Option<&str>, native_baseline_block: Option<u64>) -> WatchRow {
        WatchRow {
            address: ADDRESS.into(),
            session_id: SESSION.parse().expect("a session id"),
            native_baseline: native_baseline.map(str::to_owned),
            native_baseline_block,
            baseline_block: Some(7),
        }
    }

    #[test]
    fn a_row_with_a_baseline_is_watched_natively() {
        let watched = native_watch(&watch_row(Some("1000"), Some(9)))
            .expect("readable")
            .expect("watched");
        assert_eq!(watched.session_id, SESSION);
        assert_eq!(watched.address, Address::repeat_byte(0xaa));
        assert_eq!(watched.baseline, U256::from(1000u32));
        assert_eq!(watched.baseline_block, 9);
    }

    #[test]
    fn a_row_without_both_halves_of_a_baseline_is_not() {
        for row in [
            watch_row(None, None),
            watch_row(Some("1000"), None),
            watch_row(None, Some(9)),
        ] {
            assert!(native_watch(&row).expect("readable").is_none());
        }
    }

    /// A payment row as D1 answers it.
    fn payment_row(address: &str, amount: &str) -> PaymentRow {
        serde_json::from_value(serde_json::json!({
            "id": "pay_1",
            "session_id": SESSION,
            "chain_id": 31337,
            "token": "ETH",
            "address": address,
            "tx_hash": null,
            "log_index": null,
            "block_number": 12,
            "block_hash": format!("0x{}", "0b".repeat(32)),
            "block_time": "2027-01-15T08:00:00Z",
            "amount": amount,
            "status": "detected",
            "counted": 1,
            "repriced": null,
        }))
        .expect("the ids read")
    }

    #[test]
    fn a_recorded_credit_keeps_its_ids_and_payment() {
        let credit = recorded_credit(&payment_row(ADDRESS, "5")).expect("readable");
        assert_eq!(
            (credit.id.as_str(), credit.session_id.as_str()),
            ("pay_1", SESSION)
        );
        assert_eq!(credit.address, Address::repeat_byte(0xaa));
        assert_eq!(credit.payment.block_number, 12);
        assert_eq!(credit.payment.amount, U256::from(5u8));
        assert!(credit.payment.counted);
        assert_eq!(
            credit.payment.block_time.to_string(),
            "2027-01-15T08:00:00Z"
        );
        assert_eq!(credit.payment.status, PaymentStatus::Detected);
    }
}
