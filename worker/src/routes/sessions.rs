//! `/v1/checkout_sessions` (secret key; a publishable key may start one from a payment link).

use kasse_shared::account::KeyKind;
use kasse_shared::api::check::parse_check;
use kasse_shared::api::create::{self, Requester};
use kasse_shared::api::list;
use kasse_shared::api::sweeps::SweptRecord;
use kasse_shared::ids::SessionId;
use kasse_shared::params::{object, reject_unknown};
use worker::Response;

use crate::checkout::{Merchant, cancel, check, is_owner, may_name, open, owned_session, view};
use crate::error::ApiResult;
use crate::http::auth::{self, Caller};
use crate::http::{Cx, json_response, list_response, owned, session_cursor};
use crate::store::{SessionInFull, SessionRefunds};

fn merchant(caller: &Caller) -> Merchant<'_> {
    Merchant {
        account_id: &caller.account_id,
        livemode: caller.livemode,
        settings: &caller.settings,
    }
}

/// `POST /v1/checkout_sessions`: ad-hoc (secret key) or from a payment link (secret or
/// publishable key). A publishable key gets the shopper's view, not the merchant's.
pub(super) async fn create(cx: &mut Cx<'_>) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    let requester = match caller.kind {
        KeyKind::Secret => Requester::SecretKey,
        KeyKind::Publishable => Requester::PublishableKey,
    };
    let params = create::parse(&cx.body().await?, caller.livemode, requester)?;
    let base = cx.base()?;
    let start_limit = match caller.kind {
        KeyKind::Secret => None,
        KeyKind::Publishable => Some(cx.client_bucket()?),
    };
    let (store, now) = (&cx.store, cx.now);
    let merchant = merchant(&caller);
    let session = open::create(
        cx.env,
        store,
        &merchant,
        params,
        start_limit.as_deref(),
        &base,
        now,
    )
    .await?;
    Ok(match caller.kind {
        KeyKind::Secret => json_response(
            200,
            &view::merchant_object(
                &session,
                &[],
                &Default::default(),
                (&[], &Default::default()),
                &base,
            ),
        ),
        KeyKind::Publishable => {
            json_response(200, &view::started(store, &session, &base, now).await?)
        }
    })
}

/// `GET /v1/checkout_sessions/{id}`: the session with its payments and the heads.
pub(super) async fn retrieve(cx: &mut Cx<'_>, id: &str) -> ApiResult<Response> {
    let (caller, found, swept) = secret_and_session(cx, id).await?;
    let merchant = merchant(&caller);
    let (session, payments, heads) = owned(
        "checkout session",
        id,
        may_name(&merchant, id),
        async |_| Ok(found.filter(|(session, _, _)| is_owner(&merchant, session))),
    )
    .await?;
    let (swept, refunds) = match swept {
        Some(read) => read,
        None => (
            cx.store.swept_of(&[&session.id]).await?,
            cx.store.refunds_of_sessions(&[&session.id]).await?,
        ),
    };
    let object =
        view::merchant_object(&session, &payments, &heads, (&swept, &refunds), &cx.base()?);
    Ok(json_response(200, &object))
}

/// The secret key's (or console cookie's) caller and the session `id` in full. While the
/// caller is not known yet, both are read in one round trip; the answer is then decided as
/// if read in turn (the key's 401 or 403 before anything about the session).
async fn secret_and_session(
    cx: &Cx<'_>,
    id: &str,
) -> ApiResult<(
    Caller,
    Option<SessionInFull>,
    Option<(Vec<SweptRecord>, SessionRefunds)>,
)> {
    if cx.caller_known().is_none()
        && let Some(session_id) = SessionId::parse(id)
    {
        let key = cx.caller_key()?;
        let (row, found, swept) = cx
            .store
            .session_in_full_with_caller(&key, &session_id, cx.now)
            .await?;
        let caller = auth::require_secret(cx.know_caller(auth::caller_of(&key, row))?)?;
        return Ok((caller, found, Some(swept)));
    }
    let caller = cx.secret().await?;
    let found = match may_name(&merchant(&caller), id) {
        Some(session_id) => cx.store.session_in_full(&session_id).await?,
        None => None,
    };
    Ok((caller, found, None))
}

/// `GET /v1/checkout_sessions` (secret key): newest first, filtered by status, customer and
/// payment link.
pub(super) async fn list(cx: &mut Cx<'_>) -> ApiResult<Response> {
    let caller = cx.secret().await?;
    let pairs = cx.query()?;
    let (page, filter) = list::parse_sessions(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
    let store = &cx.store;
    let cursor = session_cursor(store, &caller, &page.cursor).await?;
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
    let data = view::merchant_page(store, &sessions, &cx.base()?).await?;
    list_response("/v1/checkout_sessions", &data, has_more)
}

/// `POST /v1/checkout_sessions/{id}/cancel` (secret key): only while no payment was seen.
pub(super) async fn cancel(cx: &mut Cx<'_>, id: &str) -> ApiResult<Response> {
    let caller = cx.secret().await?;
    let body = cx.body().await?;
    if !body.trim().is_empty() {
        reject_unknown(&object(&body)?, &[])?;
    }
    let base = cx.base()?;
    let session = cancel::cancel(&cx.store, &merchant(&caller), id, &base, cx.now).await?;
    Ok(json_response(
        200,
        &view::merchant_view(&cx.store, &session, &base).await?,
    ))
}

/// `POST /v1/checkout_sessions/{id}/check` (secret key): returns the updated session.
pub(super) async fn check(cx: &mut Cx<'_>, id: &str) -> ApiResult<Response> {
    let caller = cx.secret().await?;
    let merchant = merchant(&caller);
    let session = owned_session(&cx.store, &merchant, id).await?;
    let tx_hash = parse_check(&cx.body().await?)?;
    check::limit_checks(&cx.store, &session.id, cx.now_ms()).await?;
    let base = cx.base()?;
    check::run_check(cx.env, &cx.store, &session, tx_hash, &base, cx.now).await?;
    let session = owned_session(&cx.store, &merchant, id).await?;
    Ok(json_response(
        200,
        &view::merchant_view(&cx.store, &session, &base).await?,
    ))
}
