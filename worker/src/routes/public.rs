//! `/v1/public/checkout_sessions/{id}…`: what the shopper's browser calls, with the
//! session's client secret in `Kasse-Client-Secret`.

use kasse_shared::api::check::{check_answer, parse_check};
use kasse_shared::api::etag;
use kasse_shared::api::select::parse_select;
use kasse_shared::ids::SessionId;
use kasse_shared::shopper::ShopperView;
use worker::Response;

use crate::checkout::{check, select, view};
use crate::error::{ApiError, ApiResult};
use crate::http::auth::{client_secret, public_session, shopper_session};
use crate::http::{Cx, json_response};

/// `GET /v1/public/checkout_sessions/{id}`: the shopper view, with an ETag over all of it
/// but `server_time`, so a poll that finds nothing new is a bodiless 304. One round trip
/// reads the session, its payments, the heads and the account's settings (which CORS then
/// reuses); the client secret is checked once they are read.
pub(super) async fn retrieve(cx: &mut Cx<'_>, id: &str) -> ApiResult<Response> {
    let Some(session_id) = SessionId::parse(id) else {
        return Err(ApiError::no_such("checkout session", id));
    };
    let given = client_secret(&cx.req)?;
    let Some(mut reads) = cx.store.shopper_reads(&session_id).await? else {
        return Err(ApiError::no_such("checkout session", id));
    };
    cx.keep_public_settings(&reads.settings);
    reads.session = shopper_session(Some(reads.session), id, &given)?;
    let base = cx.base()?;
    let view = view::shopper_visit(&cx.store, &reads, &base, cx.now).await?;
    tagged(cx, &view)
}

/// The view with its ETag: a bodiless 304 when the client's copy is current.
fn tagged(cx: &Cx<'_>, view: &ShopperView) -> ApiResult<Response> {
    let tag = etag::shopper_etag(view);
    let fresh = cx
        .req
        .headers()
        .get("if-none-match")?
        .is_some_and(|given| etag::matches(&given, &tag));
    let mut response = if fresh {
        Response::empty()?.with_status(304)
    } else {
        json_response(200, view)
    };
    response.headers_mut().set("etag", &tag)?;
    response.headers_mut().set("cache-control", "no-store")?;
    Ok(response)
}

/// `POST /v1/public/checkout_sessions/{id}/check` (client secret): returns the shopper view,
/// with what became of the transaction the check named (`check`) if it named one.
pub(super) async fn check(cx: &mut Cx<'_>, id: &str) -> ApiResult<Response> {
    let session = public_session(&cx.req, &cx.store, id).await?;
    let tx_hash = parse_check(&cx.body().await?)?;
    check::limit_checks(&cx.store, &session.id, cx.now_ms()).await?;
    let base = cx.base()?;
    let seen = check::run_check(cx.env, &cx.store, &session, tx_hash, &base, cx.now).await?;
    let reads = view::shopper_reads_now(&cx.store, &session.id).await?;
    cx.keep_public_settings(&reads.settings);
    let answer = ShopperView {
        check: tx_hash.map(|hash| check_answer(hash, &reads.payments, seen)),
        ..view::shopper_of(&reads, &base, cx.now)
    };
    Ok(json_response(200, &answer))
}

/// `POST /v1/public/checkout_sessions/{id}/select` (client secret): the shopper picks the
/// option to pay with; its quote is locked (priced again first if it has gone stale).
pub(super) async fn select(cx: &mut Cx<'_>, id: &str) -> ApiResult<Response> {
    let session = public_session(&cx.req, &cx.store, id).await?;
    let base = cx.base()?;
    let option = parse_select(&cx.body().await?)?;
    select::select(cx.env, &cx.store, &session, option, cx.now).await?;
    shopper_answer(cx, &session.id, &base).await
}

/// The shopper's view of session `id` as this request left it.
async fn shopper_answer(cx: &Cx<'_>, id: &SessionId, base: &str) -> ApiResult<Response> {
    let reads = view::shopper_reads_now(&cx.store, id).await?;
    cx.keep_public_settings(&reads.settings);
    Ok(json_response(200, &view::shopper_of(&reads, base, cx.now)))
}
