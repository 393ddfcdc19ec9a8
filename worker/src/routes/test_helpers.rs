//! Routes that exist only when `KASSE_TEST_HELPERS` is `1` or `true` — never in a deploy.
//! Every one that touches data takes a secret test key: a live key is refused even where
//! the helpers are on, so no helper can bend live sessions, endpoints or the live cron.

use kasse_shared::api::view::{Audience, session_object};
use kasse_shared::error_code::ErrorCode;
use kasse_shared::ids::{EndpointId, SessionId};
use kasse_shared::params::{ParamError, object, reject_unknown};
use kasse_shared::session::Session;
use kasse_shared::time::Timestamp;
use serde::Deserialize;
use serde_json::json;
use worker::{Env, Response};

use crate::config;
use crate::entropy;
use crate::error::{ApiError, ApiResult};
use crate::http::auth::Caller;
use crate::http::{Cx, json_response, owned};

fn require_enabled(env: &Env) -> ApiResult<()> {
    if config::test_helpers_enabled(env) {
        Ok(())
    } else {
        Err(ApiError::route_not_found("POST", "/v1/test_helpers/…"))
    }
}

/// The caller of a helper that touches data: a secret key of test mode. A live key gets a
/// 403 before anything is read or written.
async fn test_caller(cx: &Cx<'_>) -> ApiResult<Caller> {
    require_enabled(cx.env)?;
    let caller = cx.secret().await?;
    if caller.livemode {
        return Err(ApiError::forbidden(
            ErrorCode::LivemodeNotAllowed,
            "Test helpers take test-mode keys (sk_test_…) only; they never act on live data.",
        ));
    }
    Ok(caller)
}

/// The caller's session `id`, or 404.
async fn test_session(cx: &Cx<'_>, caller: &Caller, id: &str) -> ApiResult<Session> {
    let parsed = SessionId::parse_in(id, caller.livemode);
    owned("checkout session", id, parsed, async |id| {
        Ok(cx
            .store
            .session(&id)
            .await?
            .filter(|s| s.account_id == caller.account_id && s.livemode == caller.livemode))
    })
    .await
}

/// The merchant's view of `session` with its payments as stored now.
async fn session_response(cx: &Cx<'_>, session: &Session) -> ApiResult<Response> {
    let payments = cx.store.payments(&session.id).await?;
    let heads = cx.store.heads().await?;
    let object = session_object(
        session,
        &payments,
        &heads,
        config::catalogue(),
        &cx.base()?,
        Audience::SecretKey,
    );
    Ok(json_response(200, &object))
}

/// `GET /v1/test_helpers/noop`: the cheapest route of this worker (routing and a JSON
/// answer, no I/O): the bench's baseline for the API routes.
pub(super) fn noop(cx: &mut Cx<'_>) -> ApiResult<Response> {
    require_enabled(cx.env)?;
    Ok(json_response(200, &json!({"object": "noop"})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SmokeBody {
    value: String,
}

/// Round-trips a value through D1: proves the binding works under workerd. It writes (one
/// `meta` row, always the same one), so it takes a secret test key like the other helpers.
pub(super) async fn smoke(cx: &mut Cx<'_>) -> ApiResult<Response> {
    test_caller(cx).await?;
    let map = object(&cx.body().await?)?;
    reject_unknown(&map, &["value"])?;
    let body: SmokeBody = serde_json::from_value(serde_json::Value::Object(map)).map_err(|e| {
        ApiError::invalid(
            ErrorCode::ParameterInvalid,
            format!("value must be a string: {e}"),
        )
        .with_param("value")
    })?;
    if body.value.is_empty() || body.value.len() > 200 {
        return Err(ApiError::invalid(
            ErrorCode::ParameterInvalid,
            "`value` must be 1–200 characters.",
        )
        .with_param("value"));
    }
    cx.store.put_meta("smoke", &body.value, cx.now).await?;
    Ok(json_response(
        200,
        &json!({
            "object": "smoke",
            "d1": cx.store.meta("smoke").await?,
            "at": cx.now,
        }),
    ))
}

/// At most 30 days per call.
const MAX_ADVANCE: u64 = 30 * 86_400;

/// The body of the advance helpers: `{"seconds": 1 … 30 days}`.
async fn advance_seconds(cx: &mut Cx<'_>) -> ApiResult<u64> {
    seconds_up_to(cx, MAX_ADVANCE).await
}

/// `{"seconds": 1 … max}`.
async fn seconds_up_to(cx: &mut Cx<'_>, max: u64) -> ApiResult<u64> {
    let map = object(&cx.body().await?)?;
    reject_unknown(&map, &["seconds"])?;
    Ok(map
        .get("seconds")
        .and_then(kasse_shared::params::whole_number)
        .filter(|s| (1..=max).contains(s))
        .ok_or_else(|| {
            ParamError::new(
                ErrorCode::ParameterInvalid,
                "seconds",
                format!("seconds must be an integer from 1 to {max}."),
            )
        })?)
}

/// `POST /v1/test_helpers/checkout_sessions/{id}/advance {seconds}`: time passes for one
/// session. Its timestamps move `seconds` into the past, so expiry and the grace window
/// arrive without waiting; the next watcher run applies them. No event: time passing is not
/// a business event, the transitions it causes are.
pub(super) async fn advance(cx: &mut Cx<'_>, id: &str) -> ApiResult<Response> {
    let caller = test_caller(cx).await?;
    let session = test_session(cx, &caller, id).await?;
    let seconds = advance_seconds(cx).await?;
    let back = |t: Timestamp| Timestamp(t.0.saturating_sub(seconds));
    let mut next = session.clone();
    next.created_at = back(next.created_at);
    next.expires_at = back(next.expires_at);
    next.late_until = back(next.late_until);
    for q in next.options.iter_mut().chain(next.selected.iter_mut()) {
        q.quoted_at = back(q.quoted_at);
    }
    next.version += 1;
    next.updated_at = cx.now;
    if !cx
        .store
        .apply_change(
            session.version,
            &next,
            &[],
            &[],
            None,
            &entropy::token("wt_", 16),
        )
        .await?
        .is_written()
    {
        return Err(ApiError::conflict(
            ErrorCode::SessionBusy,
            "The session changed meanwhile; retry.",
        ));
    }
    cx.store.rewatch_until(&next).await?;
    session_response(cx, &next).await
}

/// `POST /v1/test_helpers/checkout_sessions/{id}/age_events {seconds}`: the session's
/// events and their webhook deliveries move `seconds` (up to a year) into the past, as if
/// written then, so the retention purge can be tested without waiting 30 days. The
/// session itself is left as it is.
pub(super) async fn age_events(cx: &mut Cx<'_>, id: &str) -> ApiResult<Response> {
    const MAX_AGE: u64 = 366 * 86_400;
    let caller = test_caller(cx).await?;
    let session = test_session(cx, &caller, id).await?;
    let seconds = seconds_up_to(cx, MAX_AGE).await?;
    let events = cx.store.age_session_events(&session.id, seconds).await?;
    Ok(json_response(
        200,
        &json!({"id": session.id, "object": "aged_events", "events": events, "seconds": seconds}),
    ))
}

/// At most this many copies per call.
const MAX_CLONES: u64 = 10_000;

/// `POST /v1/test_helpers/checkout_sessions/{id}/clone {count}`: `count` copies of a
/// session, each with its own id and (synthetic) address and the same watch rows, written
/// in two statements. This is how `cargo xtask bench` opens 10,000 sessions in seconds.
pub(super) async fn clone(cx: &mut Cx<'_>, id: &str) -> ApiResult<Response> {
    let caller = test_caller(cx).await?;
    let session = test_session(cx, &caller, id).await?;
    let map = object(&cx.body().await?)?;
    reject_unknown(&map, &["count"])?;
    let count = map
        .get("count")
        .and_then(kasse_shared::params::whole_number)
        .filter(|n| (1..=MAX_CLONES).contains(n))
        .ok_or_else(|| {
            ParamError::new(
                ErrorCode::ParameterInvalid,
                "count",
                format!("count must be an integer from 1 to {MAX_CLONES}."),
            )
        })?;
    let address_json = format!(
        "\"address\":{}",
        serde_json::to_string(&session.address).map_err(ApiError::internal)?
    );
    let total = cx
        .store
        .clone_session(&session.id, &address_json, count)
        .await?;
    Ok(json_response(
        200,
        &json!({"object": "clones", "created": count, "total": total}),
    ))
}

/// `POST /v1/test_helpers/webhook_endpoints/{id}/advance {seconds}`: time passes for one
/// endpoint. Its pending deliveries fall due `seconds` sooner and a rotated-out secret
/// stops signing `seconds` sooner, so the retry schedule and the 24-hour rotation can be
/// tested without waiting.
pub(super) async fn advance_endpoint(cx: &mut Cx<'_>, id: &str) -> ApiResult<Response> {
    let caller = test_caller(cx).await?;
    let missing = || ApiError::no_such("webhook endpoint", id);
    let Some(endpoint_id) = EndpointId::parse(id) else {
        return Err(missing());
    };
    if cx
        .store
        .endpoint(&caller.account_id, caller.livemode, &endpoint_id)
        .await?
        .is_none()
    {
        return Err(missing());
    }
    let seconds = advance_seconds(cx).await?;
    if !cx
        .store
        .advance_endpoint(&caller.account_id, caller.livemode, &endpoint_id, seconds)
        .await?
    {
        return Err(missing());
    }
    Ok(json_response(
        200,
        &json!({"id": id, "object": "webhook_endpoint", "advanced_seconds": seconds}),
    ))
}
