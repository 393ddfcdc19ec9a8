//! Opening a session: from a create request (ad hoc or from a payment link) or from a
//! link's public page, with the per-client limit on sessions started without a secret key.

use kasse_shared::error_code::ErrorCode;
use std::collections::BTreeMap;

use alloy_primitives::Address;
use kasse_shared::catalogue::{Chain, ChainFamily};
use kasse_shared::hd::ExternalChain;
use kasse_shared::ids::{LinkId, SessionId};
use kasse_shared::link::PaymentLink;
use kasse_shared::money::Cents;
use kasse_shared::order::Order;
use kasse_shared::quote::{native_quote, offers_native, stablecoin_quotes};
use kasse_shared::session::open::{self, CreateSession, OpenError, Opening, Source};
use kasse_shared::session::watch::{WatchedChain, watched_chains};
use kasse_shared::session::{EventType, Quote, Session};
use kasse_shared::time::{Timestamp, UnixMillis};
use kasse_shared::tron::TronAddress;
use worker::Env;

use super::Merchant;
use crate::chain::native;
use crate::config;
use crate::entropy::{self, Csprng};
use crate::error::{ApiError, ApiResult, ErrorType};
use crate::outbox::{self, status_event};
use crate::store::{Baseline, PriceRow, Store};

/// Opens the session a create request asks for. One from a payment link inherits the
/// link's order and must name an active link of the merchant's; `start_limit` is the
/// client's bucket when the caller is a browser (publishable key), whose starts count
/// against the per-client limit once the link is known to be startable.
pub(crate) async fn create(
    env: &Env,
    store: &Store,
    merchant: &Merchant<'_>,
    mut params: CreateSession,
    start_limit: Option<&str>,
    base: &str,
    now: Timestamp,
) -> ApiResult<Session> {
    let order = match &params.source {
        Source::AdHoc(order) => order.clone(),
        Source::Link(id) => {
            let link = store
                .link(merchant.account_id, merchant.livemode, id)
                .await?
                .ok_or_else(|| {
                    ApiError::invalid(
                        ErrorCode::ResourceMissing,
                        format!("No such payment link: '{id}'."),
                    )
                    .with_param("payment_link")
                })?;
            if !link.active {
                return Err(ApiError::invalid(
                    ErrorCode::PaymentLinkInactive,
                    format!("The payment link '{id}' is not active."),
                )
                .with_param("payment_link"));
            }
            if let Some(bucket) = start_limit {
                limit_starts(store, env, bucket, now).await?;
            }
            params.inherit(&link)
        }
    };
    open_session(env, store, merchant, params, order, base, now).await
}

/// Why a link cannot start a session now.
pub(crate) enum Closed {
    Missing,
    Inactive,
}

/// The link behind a public URL, whoever owns it, if it may start a session.
pub(crate) async fn startable(store: &Store, id: &str) -> ApiResult<Result<PaymentLink, Closed>> {
    let Some(id) = LinkId::parse(id) else {
        return Ok(Err(Closed::Missing));
    };
    Ok(match store.public_link(&id).await? {
        None => Err(Closed::Missing),
        Some(link) if !link.active => Err(Closed::Inactive),
        Some(link) => Ok(link),
    })
}

/// Opens a session from `link` for its account: what the page and the publishable key share.
pub(crate) async fn from_link(
    env: &Env,
    store: &Store,
    link: &PaymentLink,
    mut params: CreateSession,
    base: &str,
    now: Timestamp,
) -> ApiResult<Session> {
    let settings = store
        .account_settings(&link.account_id, link.livemode)
        .await?;
    let order = params.inherit(link);
    let merchant = Merchant {
        account_id: &link.account_id,
        livemode: link.livemode,
        settings: &settings,
    };
    open_session(env, store, &merchant, params, order, base, now).await
}

/// Sessions started without a secret key (publishable key, the link page) per client and
/// minute: each one reserves an address, so a script must not burn thousands. `bucket` is
/// the client as `client_ip::bucket` counts it: an IPv4 address or an IPv6 /64.
pub(crate) async fn limit_starts(
    store: &Store,
    env: &Env,
    bucket: &str,
    now: Timestamp,
) -> ApiResult<()> {
    let (window, retry) = start_window(now);
    let hits = store.count_hit(&format!("start:{bucket}"), window).await?;
    if hits > config::starts_per_minute(env) {
        return Err(ApiError::rate_limited(
            "Too many checkout sessions were started from this address in the last minute; retry after the Retry-After delay.",
            retry,
        ));
    }
    Ok(())
}

/// The minute a start at `now` counts in (its first millisecond, the counter's window) and
/// the seconds until the next one begins (the `Retry-After` of a refused start).
fn start_window(now: Timestamp) -> (UnixMillis, u64) {
    const WINDOW_MS: u64 = 60_000;
    let now_ms = now.millis().0;
    let window = now_ms - now_ms % WINDOW_MS;
    (
        UnixMillis(window),
        (window + WINDOW_MS - now_ms).div_ceil(1000),
    )
}

/// Quotes every option, reserves the address and writes the session with its
/// `session.created` event: the part of creation every route shares.
pub(crate) async fn open_session(
    env: &Env,
    store: &Store,
    merchant: &Merchant<'_>,
    params: CreateSession,
    order: Order,
    base: &str,
    now: Timestamp,
) -> ApiResult<Session> {
    let catalogue = config::catalogue();
    let served = config::served_chains(env);
    let tron = offers_tron(store, merchant, &served).await?;
    // A Tron chain is offered only to a mode with a Tron xpub to derive its address from.
    let served_ids: Vec<u64> = served
        .iter()
        .filter(|(c, _)| tron || c.family != ChainFamily::Tron)
        .map(|(c, _)| c.chain_id)
        .collect();
    let stablecoins = stablecoin_quotes(
        catalogue,
        &served_ids,
        merchant.livemode,
        merchant.settings,
        order.amount_total,
        now,
    );
    let native_chains = native_chains(served, merchant, params.option.as_ref());
    // Checked before any write or chain read: a refused request reserves no address.
    let readable: Vec<&Chain> = native_chains.iter().map(|(c, _)| *c).collect();
    open::check_request(
        catalogue,
        merchant.livemode,
        params.option.as_ref(),
        &stablecoins,
        &readable,
    )
    .map_err(open_error)?;

    let (address, address_tron, index) = reserve_address(store, merchant).await?;
    let NativeOpening {
        quotes,
        baselines,
        prices,
    } = open_native(
        env,
        &native_chains,
        merchant.settings,
        order.amount_total,
        address,
        now,
    )
    .await;
    let opening = Opening {
        id: SessionId::generate(merchant.livemode, &mut Csprng),
        secret: entropy::token("", 24),
        account_id: merchant.account_id.to_owned(),
        livemode: merchant.livemode,
        settings: merchant.settings,
        request: params,
        order,
        stablecoins,
        natives: quotes,
        address,
        address_tron,
        derivation_index: index,
        now,
    };
    let session = open::open(catalogue, opening).map_err(open_error)?;
    let watched = watched_chains(catalogue, &served_ids, &session);
    write_opened(store, &session, &watched, &baselines, &prices, base).await?;
    Ok(session)
}

/// Writes a new session with its `session.created` event, and what creation learnt of the
/// native coins: their baseline balances and the prices to cache.
async fn write_opened(
    store: &Store,
    session: &Session,
    watched: &[WatchedChain],
    baselines: &BTreeMap<u64, Baseline>,
    prices: &[PriceRow],
    base: &str,
) -> ApiResult<()> {
    let event = status_event(session, EventType::Created, base)?;
    let written = store
        .insert_session(
            session,
            watched,
            baselines,
            prices,
            &event,
            &entropy::token("wt_", 16),
        )
        .await?;
    if written.has_deliveries() {
        outbox::note_written(&session.id);
    }
    Ok(())
}

/// The served chains whose native coin may be offered, each with its RPC URL: the account
/// takes the coin in this mode, and the request fixes no option on another chain. Each one
/// is read at creation for a price and a baseline balance.
fn native_chains(
    served: Vec<(&'static Chain, String)>,
    merchant: &Merchant<'_>,
    option: Option<&(u64, String)>,
) -> Vec<(&'static Chain, String)> {
    served
        .into_iter()
        .filter(|(c, _)| offers_native(c, merchant.settings, merchant.livemode))
        .filter(|(c, _)| option.is_none_or(|(id, _)| *id == c.chain_id))
        .collect()
}

/// Whether the merchant's mode can be offered a Tron option: this deployment serves a Tron
/// chain of the mode, and the mode has a Tron xpub (read only when there is such a chain).
async fn offers_tron(
    store: &Store,
    merchant: &Merchant<'_>,
    served: &[(&'static Chain, String)],
) -> ApiResult<bool> {
    let tron_served = served
        .iter()
        .any(|(c, _)| c.family == ChainFamily::Tron && c.testnet != merchant.livemode);
    if !tron_served {
        return Ok(false);
    }
    let xpub = store.xpub(merchant.account_id, merchant.livemode).await?;
    Ok(xpub.is_some_and(|x| x.xpub_tron.is_some()))
}

/// The next deposit address of the merchant's xpub in its mode, the Tron address at the
/// same index if the mode has a Tron xpub, and the index.
async fn reserve_address(
    store: &Store,
    merchant: &Merchant<'_>,
) -> ApiResult<(Address, Option<TronAddress>, u32)> {
    let reserved = store
        .reserve_index(merchant.account_id, merchant.livemode)
        .await?
        .ok_or_else(|| {
            let mode = if merchant.livemode { "live" } else { "test" };
            ApiError::invalid(
                ErrorCode::AccountModeUnconfigured,
                format!("This account has no {mode}-mode xpub."),
            )
        })?;
    let index = reserved.idx;
    let underivable =
        || ApiError::internal(format!("cannot derive index {index} of the stored xpub"));
    let address = ExternalChain::from_xpub(&reserved.xpub)
        .ok()
        .and_then(|c| c.address(index))
        .ok_or_else(underivable)?;
    let address_tron = match &reserved.xpub_tron {
        Some(xpub) => Some(
            ExternalChain::from_xpub(xpub)
                .ok()
                .and_then(|c| c.tron_address(index))
                .ok_or_else(underivable)?,
        ),
        None => None,
    };
    Ok((address, address_tron, index))
}

/// What creation learnt of the native coins: quotes, baselines and prices to cache.
#[derive(Default)]
struct NativeOpening {
    quotes: Vec<Quote>,
    baselines: BTreeMap<u64, Baseline>,
    prices: Vec<PriceRow>,
}

/// Reads every native-capable chain at once: head, the new address's balance and the
/// feed, in one `eth_call` per chain. A chain that cannot be read or priced is left out
/// (its native coin is neither offered nor watched); stablecoins never depend on it.
async fn open_native(
    env: &Env,
    chains: &[(&'static Chain, String)],
    settings: &kasse_shared::account::Settings,
    amount: Cents,
    address: Address,
    now: Timestamp,
) -> NativeOpening {
    let reads = chains.iter().map(|(chain, url)| {
        let rpc = config::rpc(env, chain, url.clone());
        async move { (*chain, native::open(&rpc, chain, Some(address), now).await) }
    });
    let mut opening = NativeOpening::default();
    for (chain, read) in futures_util::future::join_all(reads).await {
        let read = match read {
            Ok(read) => read,
            Err(e) => {
                worker::console_warn!("create: chain {} unreadable: {}", chain.chain_id, e.message);
                continue;
            }
        };
        if let Some(balance) = read.balance {
            opening.baselines.insert(
                chain.chain_id,
                Baseline {
                    block: read.block,
                    balance,
                },
            );
        }
        let Some(reading) = read.reading else {
            continue;
        };
        // The cache serves re-quotes, which trust it only if the sequencer was up.
        if reading.sequencer_up {
            opening.prices.push(PriceRow {
                chain_id: chain.chain_id,
                answer: reading.round.answer,
                updated_at: reading.round.updated_at,
            });
        }
        match native_quote(chain, settings, amount, reading, now) {
            Ok(quote) => opening.quotes.push(quote),
            Err(e) => worker::console_warn!("create: no {} quote: {e}", chain.native_symbol),
        }
    }
    opening
}

/// The 503 for a native coin that cannot be priced right now.
pub(super) fn price_unavailable(chain_id: u64) -> ApiError {
    open_error(OpenError::unpriced(config::catalogue(), chain_id))
}

/// The answer to a create request that gets no session: the request's fault (400), or
/// prices that cannot be read right now (503, worth a retry).
fn open_error(e: OpenError) -> ApiError {
    let message = e.to_string();
    let error = match &e {
        OpenError::OptionUnavailable { .. } => {
            ApiError::invalid(ErrorCode::OptionUnavailable, message)
        }
        OpenError::NoPaymentOptions => ApiError::invalid(ErrorCode::NoPaymentOptions, message),
        OpenError::SelectedUnpriced { .. } | OpenError::NothingPriced => ApiError::new(
            503,
            ErrorType::ApiError,
            ErrorCode::PriceUnavailable,
            message,
        ),
    };
    match e.param() {
        Some(param) => error.with_param(param),
        None => error,
    }
}

#[cfg(test)]
mod tests {
    use kasse_shared::session::open::Unavailable;

    use super::*;

    #[test]
    fn starts_count_per_clock_minute_and_retry_when_the_next_begins() {
        // 1_800_000_000 s is a whole number of minutes since the epoch.
        let minute = Timestamp(1_800_000_000);
        assert_eq!(start_window(minute), (minute.millis(), 60));
        assert_eq!(start_window(minute.plus_secs(1)), (minute.millis(), 59));
        assert_eq!(start_window(minute.plus_secs(59)), (minute.millis(), 1));
        assert_eq!(
            start_window(minute.plus_secs(60)),
            (minute.plus_secs(60).millis(), 60)
        );
    }

    #[test]
    fn a_refused_opening_is_the_requests_fault_or_a_503_worth_a_retry() {
        let unavailable = |why| OpenError::OptionUnavailable {
            chain_id: 8453,
            token: "USDT".into(),
            why,
        };
        let base = || "Base".to_owned();
        for (error, status, code, param) in [
            (
                unavailable(Unavailable::UnknownChain),
                400,
                ErrorCode::OptionUnavailable,
                Some("chain_id"),
            ),
            (
                unavailable(Unavailable::UnknownToken { chain: base() }),
                400,
                ErrorCode::OptionUnavailable,
                Some("token"),
            ),
            (
                OpenError::NoPaymentOptions,
                400,
                ErrorCode::NoPaymentOptions,
                None,
            ),
            (
                OpenError::SelectedUnpriced { chain: base() },
                503,
                ErrorCode::PriceUnavailable,
                Some("token"),
            ),
            (
                OpenError::NothingPriced,
                503,
                ErrorCode::PriceUnavailable,
                None,
            ),
        ] {
            let message = error.to_string();
            let answer = open_error(error);
            assert_eq!(
                (answer.status, answer.code, answer.param.as_deref()),
                (status, code, param),
                "{message}"
            );
            assert_eq!(answer.message, message);
        }
    }
}
