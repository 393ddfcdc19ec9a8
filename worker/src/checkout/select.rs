//! The shopper's choice of payment option: its quote is locked, priced again first if it
//! has gone stale.

use kasse_shared::error_code::ErrorCode;
use kasse_shared::params::ParamError;
use kasse_shared::quote::native_quote;
use kasse_shared::session::select::{self, SelectError};
use kasse_shared::session::{Quote, Session};
use kasse_shared::time::Timestamp;
use worker::Env;

use super::open::price_unavailable;
use crate::config;
use crate::entropy;
use crate::error::{ApiError, ApiResult};
use crate::store::Store;
use crate::watch::prices::current_reading;

/// Locks `token` on `chain_id` as the option `session` is paid with (re-priced first if
/// its quote is older than the session allows). Returns nothing: a lost race with another
/// writer is a 409, and the caller reads the session as it is now.
pub(crate) async fn select(
    env: &Env,
    store: &Store,
    session: &Session,
    (chain_id, token): (u64, String),
    now: Timestamp,
) -> ApiResult<()> {
    let has_payments = !store.payment_rows(&session.id).await?.is_empty();
    let (quote, stale) = select::choose(session, chain_id, &token, has_payments, now)
        .map_err(|e| select_error(e, chain_id, &token))?;
    let quote = if stale {
        requote(env, store, session, quote, now).await?
    } else {
        quote
    };
    let Some(next) = select::lock(session, quote, now) else {
        return Ok(());
    };
    let token = entropy::token("wt_", 16);
    if !store
        .apply_change(session.version, &next, &[], &[], None, &token)
        .await?
        .is_written()
    {
        return Err(ApiError::conflict(
            ErrorCode::SessionChanged,
            "The session changed while the option was being selected; retry.",
        ));
    }
    Ok(())
}

/// Why the shopper cannot pick this option: the session is closed (409), a payment already
/// fixed the option (409), or it is not one of the session's options (400).
fn select_error(e: SelectError, chain_id: u64, token: &str) -> ApiError {
    match e {
        SelectError::Closed(status) => ApiError::conflict(
            ErrorCode::SessionClosed,
            format!(
                "This session is {}: its payment option can no longer change.",
                status.as_str()
            ),
        ),
        SelectError::PaymentSeen => ApiError::conflict(
            ErrorCode::SelectionLocked,
            "A payment to this session was already seen: the option that counts can no longer change.",
        ),
        SelectError::NotOffered => ParamError::new(
            ErrorCode::OptionUnavailable,
            "token",
            format!("{token} on chain {chain_id} is not one of this session's payment options."),
        )
        .into(),
    }
}

/// A stale quote priced again: stablecoins only get a new timestamp, the native coin a
/// new price from the feed (the D1 cache if read in the last minute, else the chain, whose
/// reading then refreshes the cache).
async fn requote(
    env: &Env,
    store: &Store,
    session: &Session,
    old: Quote,
    now: Timestamp,
) -> ApiResult<Quote> {
    if old.contract.is_some() {
        return Ok(Quote {
            quoted_at: now,
            ..old
        });
    }
    let chain = config::catalogue()
        .chain(old.chain_id)
        .ok_or_else(|| price_unavailable(old.chain_id))?;
    let url = config::rpc_url(env, chain).ok_or_else(|| price_unavailable(chain.chain_id))?;
    let reading = current_reading(store, &config::rpc(env, chain, url), chain, now)
        .await?
        .ok_or_else(|| price_unavailable(chain.chain_id))?;
    let settings = store
        .account_settings(&session.account_id, session.livemode)
        .await?;
    native_quote(chain, &settings, session.amount_total, reading, now)
        .map(|q| Quote {
            confirmations_required: old.confirmations_required,
            ..q
        })
        .map_err(|_| price_unavailable(chain.chain_id))
}

#[cfg(test)]
mod tests {
    use kasse_shared::status::Status;

    use super::*;

    #[test]
    fn a_refused_selection_says_why() {
        for (error, status, code, param) in [
            (
                SelectError::Closed(Status::Expired),
                409,
                ErrorCode::SessionClosed,
                None,
            ),
            (
                SelectError::PaymentSeen,
                409,
                ErrorCode::SelectionLocked,
                None,
            ),
            (
                SelectError::NotOffered,
                400,
                ErrorCode::OptionUnavailable,
                Some("token"),
            ),
        ] {
            let answer = select_error(error, 8453, "USDT");
            assert_eq!(
                (answer.status, answer.code, answer.param.as_deref()),
                (status, code, param)
            );
        }
        let closed = select_error(SelectError::Closed(Status::Expired), 8453, "USDT");
        assert_eq!(
            closed.message,
            "This session is expired: its payment option can no longer change."
        );
        let missing = select_error(SelectError::NotOffered, 8453, "USDT");
        assert_eq!(
            missing.message,
            "USDT on chain 8453 is not one of this session's payment options."
        );
    }
}
