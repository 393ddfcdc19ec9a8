//! `/v1/checkout_sessions` (secret key) and `/v1/public/checkout_sessions` (client secret).

use std::collections::BTreeMap;

use alloy_primitives::Address;
use kasse_shared::account::{KeyKind, Settings};
use kasse_shared::api::create;
use kasse_shared::api::create::Requester;
use kasse_shared::session::open::{CreateSession, Source};
use kasse_shared::api::list;
use kasse_shared::params::{ParamError, object, reject_unknown};
use kasse_shared::api::select::parse_select;
use kasse_shared::api::view::{Audience, checkout_url, session_object, shopper_view};
use kasse_shared::catalogue::Chain;
use kasse_shared::hd::ExternalChain;
use kasse_shared::ids::{is_id, session_prefix};
use kasse_shared::money::Cents;
use kasse_shared::order::Order;
use kasse_shared::quote::stablecoin_quotes;
use kasse_shared::quote::{native_quote, offers_native};
use kasse_shared::session::Quote;
use kasse_shared::session::open::{self, OpenError, Opening};
use kasse_shared::session::select::{self, SelectError};
use kasse_shared::session::{self, CancelError, EventType, Session};
use kasse_shared::shopper::{ShopperView, StartedSession};
use kasse_shared::time::Timestamp;
use worker::{Date, Env, Request, Response};

use crate::auth::{self, Caller, secret_caller};
use crate::config;
use crate::entropy;
use crate::error::{ApiError, ApiResult, ErrorType};
use crate::http::{body_text, constant_time_eq, json_response, origin, query_pairs};
use crate::chain::native;
use crate::outbox::{self, event};
use crate::store::{Baseline, PriceRow, Store};

fn now() -> Timestamp {
    Timestamp::from_unix_millis(Date::now().as_millis())
}

/// `POST /v1/checkout_sessions`: ad-hoc (secret key) or from a payment link (secret or
/// publishable key). A publishable key gets the shopper's view, not the merchant's.
pub async fn create(mut req: Request, env: &Env) -> ApiResult<Response> {
    let store = Store::new(env)?;
    let caller = auth::caller(&req, &store).await?;
    let requester = match caller.kind {
        KeyKind::Secret => Requester::SecretKey,
        KeyKind::Publishable => Requester::PublishableKey,
    };
    let mut params = create::parse(&body_text(&mut req).await?, caller.livemode, requester)?;
    let base = config::base_url(env, Some(&origin(&req)?));
    let order = match &params.source {
        Source::AdHoc(order) => order.clone(),
        Source::Link(id) => {
            let link = store
                .link(&caller.account_id, caller.livemode, id)
                .await?
                .ok_or_else(|| {
                    ApiError::invalid("resource_missing", format!("No such payment link: '{id}'."))
                        .with_param("payment_link")
                })?;
            if !link.active {
                return Err(ApiError::invalid(
                    "payment_link_inactive",
                    format!("The payment link '{id}' is not active."),
                )
                .with_param("payment_link"));
            }
            if caller.kind == KeyKind::Publishable {
                limit_starts(&req, env, &store).await?;
            }
            params.inherit(&link)
        }
    };
    let merchant = Merchant {
        account_id: &caller.account_id,
        livemode: caller.livemode,
        settings: &caller.settings,
    };
    let session = open_session(env, &store, &merchant, params, order, &base).await?;
    match caller.kind {
        KeyKind::Secret => Ok(json_response(
            200,
            &session_object(
                &session,
                &[],
                &Default::default(),
                config::catalogue(),
                &base,
                Audience::SecretKey,
            ),
        )),
        KeyKind::Publishable => started_response(&store, &session, &base).await,
    }
}

/// Whom a session is opened for: an account in one mode, with its settings.
pub(crate) struct Merchant<'a> {
    pub account_id: &'a str,
    pub livemode: bool,
    pub settings: &'a Settings,
}

/// Sessions started without a secret key (publishable key, the link page) per client and
/// minute: each one reserves an address, so a script must not burn thousands. A client is
/// an IPv4 address or an IPv6 /64 (`client_ip::bucket`).
pub(crate) async fn limit_starts(req: &Request, env: &Env, store: &Store) -> ApiResult<()> {
    const WINDOW_MS: u64 = 60_000;
    let now_ms = Date::now().as_millis();
    let window = now_ms - now_ms % WINDOW_MS;
    let ip = req.headers().get("cf-connecting-ip")?.unwrap_or_default();
    let bucket = kasse_shared::client_ip::bucket(&ip);
    let hits = store.count_hit(&format!("start:{bucket}"), window).await?;
    if hits > config::starts_per_minute(env) {
        let retry = (window + WINDOW_MS - now_ms).div_ceil(1000);
        return Err(ApiError::new(
            429,
            ErrorType::RateLimitError,
            "rate_limited",
            "Too many checkout sessions were started from this address in the last minute; retry after the Retry-After delay.",
        )
        .with_retry_after(retry));
    }
    Ok(())
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
) -> ApiResult<Session> {
    let now = now();
    let catalogue = config::catalogue();
    let served = config::served_chains(env);
    let served_ids: Vec<u64> = served.iter().map(|(c, _)| c.chain_id).collect();
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

    let (address, index) = reserve_address(store, merchant).await?;
    let natives = open_native(
        env,
        &native_chains,
        merchant.settings,
        order.amount_total,
        address,
        now,
    )
    .await;
    let opening = Opening {
        id: entropy::id(session_prefix(merchant.livemode)),
        secret: entropy::token("", 24),
        account_id: merchant.account_id.to_owned(),
        livemode: merchant.livemode,
        settings: merchant.settings,
        request: params,
        order,
        stablecoins,
        natives: natives.quotes,
        address,
        derivation_index: index,
        now,
    };
    let session = open::open(catalogue, opening).map_err(open_error)?;
    let event = event(
        &session,
        EventType::Created,
        None,
        &[],
        &Default::default(),
        base,
    )?;
    let written = store
        .insert_session(
            &session,
            &natives.baselines,
            &natives.prices,
            &event,
            &entropy::token("wt_", 16),
        )
        .await?;
    if written.has_deliveries() {
        outbox::note_written(&session.id);
    }
    Ok(session)
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

/// The next deposit address of the merchant's xpub in its mode, and its derivation index.
async fn reserve_address(store: &Store, merchant: &Merchant<'_>) -> ApiResult<(Address, u32)> {
    let (xpub, index) = store
        .reserve_index(merchant.account_id, merchant.livemode)
        .await?
        .ok_or_else(|| {
            let mode = if merchant.livemode { "live" } else { "test" };
            ApiError::invalid(
                "account_mode_unconfigured",
                format!("This account has no {mode}-mode xpub."),
            )
        })?;
    let address = ExternalChain::from_xpub(&xpub)
        .ok()
        .and_then(|c| c.address(index))
        .ok_or_else(|| {
            ApiError::internal(format!("cannot derive index {index} of the stored xpub"))
        })?;
    Ok((address, index))
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
    settings: &Settings,
    amount: Cents,
    address: Address,
    now: Timestamp,
) -> NativeOpening {
    let reads = chains.iter().map(|(chain, url)| {
        let rpc = config::rpc(env, url.clone());
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
                updated_at: reading.round.updated_at.0,
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
fn price_unavailable(chain_id: u64) -> ApiError {
    open_error(OpenError::unpriced(config::catalogue(), chain_id))
}

/// The answer to a create request that gets no session: the request's fault (400), or
/// prices that cannot be read right now (503, worth a retry).
fn open_error(e: OpenError) -> ApiError {
    let message = e.to_string();
    let error = match &e {
        OpenError::OptionUnavailable { .. } => ApiError::invalid("option_unavailable", message),
        OpenError::NoPaymentOptions => ApiError::invalid("no_payment_options", message),
        OpenError::SelectedUnpriced { .. } | OpenError::NothingPriced => {
            ApiError::new(503, ErrorType::ApiError, "price_unavailable", message)
        }
    };
    match e.param() {
        Some(param) => error.with_param(param),
        None => error,
    }
}

/// The session if it exists and belongs to the caller's account and mode; else 404.
pub(crate) async fn owned_session(store: &Store, caller: &Caller, id: &str) -> ApiResult<Session> {
    let missing =
        || ApiError::not_found(format!("No such checkout session: '{id}'.")).with_param("id");
    if !is_id(id, session_prefix(caller.livemode)) {
        return Err(missing());
    }
    let session = store.session(id).await?.ok_or_else(missing)?;
    if session.account_id != caller.account_id || session.livemode != caller.livemode {
        return Err(missing());
    }
    Ok(session)
}

/// `GET /v1/checkout_sessions/{id}`: two round trips, the key and then the session with
/// its payments and the heads in one batch.
pub async fn retrieve(req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let store = Store::new(env)?;
    let caller = secret_caller(&req, &store).await?;
    let missing =
        || ApiError::not_found(format!("No such checkout session: '{id}'.")).with_param("id");
    if !is_id(id, session_prefix(caller.livemode)) {
        return Err(missing());
    }
    let (session, payments, heads) = store.session_in_full(id).await?.ok_or_else(missing)?;
    if session.account_id != caller.account_id || session.livemode != caller.livemode {
        return Err(missing());
    }
    let base = config::base_url(env, Some(&origin(&req)?));
    let object = session_object(
        &session,
        &payments,
        &heads,
        config::catalogue(),
        &base,
        Audience::SecretKey,
    );
    Ok(json_response(200, &object))
}

/// `GET /v1/checkout_sessions` (secret key): newest first, with spec §7's filters.
pub async fn list(req: Request, env: &Env) -> ApiResult<Response> {
    let store = Store::new(env)?;
    let caller = secret_caller(&req, &store).await?;
    let pairs = query_pairs(&req)?;
    let (page, filter) = list::parse_sessions(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
    let cursor = match page.cursor.named() {
        None => None,
        Some((id, param)) => {
            let unix = store
                .session_created_unix(&caller.account_id, caller.livemode, id)
                .await?
                .ok_or_else(|| {
                    ApiError::invalid(
                        "resource_missing",
                        format!("No such checkout session: '{id}'."),
                    )
                    .with_param(param)
                })?;
            Some((param == "starting_after", unix, id))
        }
    };
    let mut sessions = store
        .list_sessions(
            &caller.account_id,
            caller.livemode,
            &filter,
            cursor,
            page.limit + 1,
        )
        .await?;
    let has_more = page.trim(&mut sessions);
    let ids: Vec<&str> = sessions.iter().map(|s| s.id.as_str()).collect();
    let mut payments = store.payments_of(&ids).await?;
    let heads = store.heads().await?;
    let base = config::base_url(env, Some(&origin(&req)?));
    let data: Vec<serde_json::Value> = sessions
        .iter()
        .map(|s| {
            session_object(
                s,
                &payments.remove(&s.id).unwrap_or_default(),
                &heads,
                config::catalogue(),
                &base,
                Audience::SecretKey,
            )
        })
        .map(|o| serde_json::to_value(o).map_err(ApiError::internal))
        .collect::<ApiResult<_>>()?;
    Ok(json_response(
        200,
        &serde_json::json!({"object": "list", "data": data, "has_more": has_more, "url": "/v1/checkout_sessions"}),
    ))
}

/// `POST /v1/checkout_sessions/{id}/cancel` (secret key): only while no payment was seen.
pub async fn cancel(mut req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let store = Store::new(env)?;
    let caller = secret_caller(&req, &store).await?;
    let body = body_text(&mut req).await?;
    if !body.trim().is_empty() {
        reject_unknown(&object(&body)?, &[])?;
    }
    let base = config::base_url(env, Some(&origin(&req)?));
    // A payment or another writer may land between the read and the write; the write is
    // guarded on both, so a lost race is simply read again.
    for _ in 0..3 {
        let session = owned_session(&store, &caller, id).await?;
        let has_payments = !store.payment_rows(&session.id).await?.is_empty();
        let outcome = match session::cancel(&session, has_payments, now()) {
            Ok(Some(outcome)) => outcome,
            Ok(None) => return session_response(&store, &session, &base).await,
            Err(CancelError::HasPayments) => {
                return Err(ApiError::new(
                    409,
                    ErrorType::InvalidRequestError,
                    "session_has_payments",
                    "This checkout session has received a payment, so it cannot be canceled; refund the shopper from your wallet if needed.",
                ));
            }
            Err(CancelError::Closed(status)) => {
                return Err(ApiError::new(
                    409,
                    ErrorType::InvalidRequestError,
                    "session_closed",
                    format!(
                        "This checkout session is {} and cannot be canceled.",
                        status.as_str()
                    ),
                ));
            }
        };
        let canceled = outcome.session;
        let event = event(
            &canceled,
            EventType::Canceled,
            None,
            &[],
            &Default::default(),
            &base,
        )?;
        let written = store
            .cancel_session(
                session.version,
                &canceled,
                &event,
                &entropy::token("wt_", 16),
            )
            .await?;
        if written.has_deliveries() {
            outbox::note_written(&canceled.id);
        }
        if written.is_written() {
            return session_response(&store, &canceled, &base).await;
        }
    }
    Err(ApiError::new(
        409,
        ErrorType::InvalidRequestError,
        "session_busy",
        "The checkout session changed while it was being canceled; try again.",
    ))
}

/// The merchant's view of `session` with its payments as stored now.
pub(crate) async fn session_response(
    store: &Store,
    session: &Session,
    base: &str,
) -> ApiResult<Response> {
    let payments = store.payments(&session.id).await?;
    let heads = store.heads().await?;
    let object = session_object(
        session,
        &payments,
        &heads,
        config::catalogue(),
        base,
        Audience::SecretKey,
    );
    Ok(json_response(200, &object))
}

/// The shopper's view of `session` as stored now.
async fn view_of(store: &Store, session: &Session, base: &str) -> ApiResult<ShopperView> {
    let payments = store.payments(&session.id).await?;
    let heads = store.heads().await?;
    let branding = store
        .account_settings(&session.account_id, session.livemode)
        .await?
        .branding;
    Ok(shopper_view(
        session,
        &payments,
        &heads,
        config::catalogue(),
        branding,
        base,
        now(),
    ))
}

async fn shopper_response(store: &Store, session: &Session, base: &str) -> ApiResult<Response> {
    Ok(json_response(200, &view_of(store, session, base).await?))
}

/// A session started in a browser: the shopper's view, its client secret and hosted page.
pub(crate) async fn started_response(
    store: &Store,
    session: &Session,
    base: &str,
) -> ApiResult<Response> {
    let started = StartedSession {
        view: view_of(store, session, base).await?,
        client_secret: session.client_secret.clone(),
        checkout_url: checkout_url(base, session),
    };
    Ok(json_response(200, &started))
}

pub const CLIENT_SECRET_HEADER: &str = "kasse-client-secret";

/// The session a browser may see: the `Kasse-Client-Secret` header must be its client secret.
pub(crate) async fn public_session(req: &Request, store: &Store, id: &str) -> ApiResult<Session> {
    let missing =
        || ApiError::not_found(format!("No such checkout session: '{id}'.")).with_param("id");
    if !(is_id(id, session_prefix(false)) || is_id(id, session_prefix(true))) {
        return Err(missing());
    }
    let given = req.headers().get(CLIENT_SECRET_HEADER)?.ok_or_else(|| {
        ApiError::unauthenticated(
            "Send the session's client secret in the Kasse-Client-Secret header.",
        )
    })?;
    let session = store.session(id).await?.ok_or_else(missing)?;
    if !constant_time_eq(given.as_bytes(), session.client_secret.as_bytes()) {
        return Err(ApiError::unauthenticated(
            "The client secret does not match this checkout session.",
        ));
    }
    Ok(session)
}

/// `GET /v1/public/checkout_sessions/{id}`: the shopper view, with an ETag over all of it
/// but `server_time`, so a poll that finds nothing new is a bodiless 304.
pub async fn public_retrieve(req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let store = Store::new(env)?;
    let session = public_session(&req, &store, id).await?;
    let now = now();
    if session
        .accessed_at
        .is_none_or(|t| t.0.saturating_add(ACCESS_EVERY_SECS) <= now.0)
    {
        store.touch_session(&session.id, now).await?;
    }
    let base = config::base_url(env, Some(&origin(&req)?));
    let view = view_of(&store, &session, &base).await?;
    let tag = etag(&view)?;
    let fresh = req
        .headers()
        .get("if-none-match")?
        .is_some_and(|given| given.split(',').any(|t| t.trim() == tag || t.trim() == "*"));
    let mut response = if fresh {
        Response::empty()?.with_status(304)
    } else {
        json_response(200, &view)
    };
    response.headers_mut().set("etag", &tag)?;
    response.headers_mut().set("cache-control", "no-store")?;
    Ok(response)
}

/// `accessed_at` is written at most this often (spec §5).
const ACCESS_EVERY_SECS: u64 = 300;

/// A weak ETag: the view changes with every answer's `server_time`, nothing else counts.
fn etag(view: &ShopperView) -> ApiResult<String> {
    use sha2::{Digest, Sha256};
    let stable = ShopperView {
        server_time: Timestamp(0),
        ..view.clone()
    };
    let bytes = serde_json::to_vec(&stable).map_err(ApiError::internal)?;
    let digest = Sha256::digest(&bytes);
    Ok(format!(
        "W/\"{}\"",
        alloy_primitives::hex::encode(&digest[..12])
    ))
}

/// Optional `{"tx_hash": "0x…"}` body of a check.
fn parse_check(body: &str) -> ApiResult<Option<alloy_primitives::B256>> {
    if body.trim().is_empty() {
        return Ok(None);
    }
    let map = object(body)?;
    reject_unknown(&map, &["tx_hash"])?;
    match map.get("tx_hash") {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(h))
            if h.len() == 66
                && h.starts_with("0x")
                && h[2..].bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            Ok(h.parse().ok())
        }
        Some(_) => Err(ParamError::new(
            "parameter_invalid",
            "tx_hash",
            "tx_hash must be a 0x-prefixed 32-byte hex transaction hash.",
        )
        .into()),
    }
}

/// One check per session every 2 seconds (spec §4), measured from the last allowed one.
async fn check_rate_limit(store: &Store, session_id: &str) -> ApiResult<()> {
    const INTERVAL_MS: u64 = 2_000;
    if !store
        .allow_once_per(
            &format!("check:{session_id}"),
            Date::now().as_millis(),
            INTERVAL_MS,
        )
        .await?
    {
        return Err(ApiError::new(
            429,
            crate::error::ErrorType::RateLimitError,
            "rate_limited",
            "A check for this session ran in the last 2 seconds; retry after the Retry-After delay.",
        )
        .with_retry_after(INTERVAL_MS / 1000));
    }
    Ok(())
}

async fn run_check(
    env: &Env,
    store: &Store,
    session: &Session,
    tx_hash: Option<alloy_primitives::B256>,
    base: &str,
) -> ApiResult<()> {
    crate::checkout::check::check(env, store, session, tx_hash, base)
        .await
        .map_err(|e| {
            // Which node failed and how is for health's last_error, not for the caller.
            if e.code == "chain_unavailable" {
                ApiError {
                    message: "The chain could not be read just now; try again shortly.".into(),
                    ..e
                }
            } else {
                e
            }
        })
}

/// `POST /v1/checkout_sessions/{id}/check` (secret key): returns the updated session.
pub async fn check(mut req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let store = Store::new(env)?;
    let caller = secret_caller(&req, &store).await?;
    let session = owned_session(&store, &caller, id).await?;
    let tx_hash = parse_check(&body_text(&mut req).await?)?;
    check_rate_limit(&store, &session.id).await?;
    let base = config::base_url(env, Some(&origin(&req)?));
    run_check(env, &store, &session, tx_hash, &base).await?;
    let session = owned_session(&store, &caller, id).await?;
    session_response(&store, &session, &base).await
}

/// `POST /v1/public/checkout_sessions/{id}/check` (client secret): returns the shopper view.
pub async fn public_check(mut req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let store = Store::new(env)?;
    let session = public_session(&req, &store, id).await?;
    let tx_hash = parse_check(&body_text(&mut req).await?)?;
    check_rate_limit(&store, &session.id).await?;
    let base = config::base_url(env, Some(&origin(&req)?));
    run_check(env, &store, &session, tx_hash, &base).await?;
    let session = store
        .session(id)
        .await?
        .ok_or_else(|| ApiError::not_found("The session disappeared."))?;
    shopper_response(&store, &session, &base).await
}

/// `POST /v1/public/checkout_sessions/{id}/select` (client secret): the shopper picks the
/// option to pay with; its quote is locked (re-priced first if older than 15 minutes).
pub async fn public_select(mut req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let store = Store::new(env)?;
    let session = public_session(&req, &store, id).await?;
    let base = config::base_url(env, Some(&origin(&req)?));
    let (chain_id, token) = parse_select(&body_text(&mut req).await?)?;
    let has_payments = !store.payment_rows(&session.id).await?.is_empty();
    let now = now();
    let (quote, stale) =
        select::choose(&session, chain_id, &token, has_payments, now).map_err(|e| match e {
            SelectError::Closed(status) => ApiError::new(
                409,
                ErrorType::InvalidRequestError,
                "session_closed",
                format!("This session is {}: its payment option can no longer change.", status.as_str()),
            ),
            SelectError::PaymentSeen => ApiError::new(
                409,
                ErrorType::InvalidRequestError,
                "selection_locked",
                "A payment to this session was already seen: the option that counts can no longer change.",
            ),
            SelectError::NotOffered => ParamError::new(
                "option_unavailable",
                "token",
                format!("{token} on chain {chain_id} is not one of this session's payment options."),
            )
            .into(),
        })?;
    let quote = if stale {
        requote(env, &store, &session, quote, now).await?
    } else {
        quote
    };
    if let Some(next) = select::lock(&session, quote, now) {
        let token = entropy::token("wt_", 16);
        if !store
            .apply_change(session.version, &next, &[], &[], None, &token)
            .await?
            .is_written()
        {
            return Err(ApiError::new(
                409,
                ErrorType::InvalidRequestError,
                "session_changed",
                "The session changed while the option was being selected; retry.",
            ));
        }
    }
    let session = store
        .session(id)
        .await?
        .ok_or_else(|| ApiError::not_found("The session disappeared."))?;
    shopper_response(&store, &session, &base).await
}

/// A stale quote priced again: stablecoins only get a new timestamp, the native coin a
/// new price from the feed (the D1 cache if read in the last minute, else the chain).
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
    let reading = crate::watch::prices::current_reading(store, &config::rpc(env, url), chain, now)
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
