//! Routes that exist only when `KASSE_TEST_HELPERS` is `1` or `true` — never in a deploy.
//! Every one that touches data takes a secret test key: a live key is refused even where
//! the helpers are on, so no helper can bend live sessions, endpoints or the live cron.

use kasse_shared::time::Timestamp;
use serde::Deserialize;
use serde_json::json;
use worker::{Date, Env, Request, Response};

use crate::auth::{Caller, secret_caller};
use crate::config;
use crate::entropy;
use crate::error::{ApiError, ApiResult, ErrorType};
use crate::http::{body_text, json_response, origin};
use crate::routes::sessions::{owned_session, session_response};
use crate::store::Store;
use kasse_shared::params::{ParamError, object, reject_unknown};

fn require_enabled(env: &Env) -> ApiResult<()> {
    if config::test_helpers_enabled(env) {
        Ok(())
    } else {
        Err(ApiError::route_not_found("POST", "/v1/test_helpers/…"))
    }
}

/// The caller of a helper that touches data: a secret key of test mode. A live key gets a
/// 403 before anything is read or written.
async fn test_caller(req: &Request, store: &Store) -> ApiResult<Caller> {
    let caller = secret_caller(req, store).await?;
    if caller.livemode {
        return Err(ApiError::new(
            403,
            ErrorType::PermissionError,
            "livemode_not_allowed",
            "Test helpers take test-mode keys (sk_test_…) only; they never act on live data.",
        ));
    }
    Ok(caller)
}

/// `GET /v1/test_helpers/noop`: the cheapest route of this worker (routing and a JSON
/// answer, no I/O): the bench's baseline for the API routes.
pub fn noop(env: &Env) -> ApiResult<Response> {
    require_enabled(env)?;
    Ok(json_response(200, &json!({"object": "noop"})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SmokeBody {
    value: String,
}

/// Round-trips a value through D1: proves the binding works under workerd. It writes (one
/// `meta` row, always the same one), so it takes a secret test key like the other helpers.
pub async fn smoke(mut req: Request, env: &Env) -> ApiResult<Response> {
    require_enabled(env)?;
    let store = Store::new(env)?;
    test_caller(&req, &store).await?;
    let map = object(&body_text(&mut req).await?)?;
    reject_unknown(&map, &["value"])?;
    let body: SmokeBody = serde_json::from_value(serde_json::Value::Object(map)).map_err(|e| {
        ApiError::invalid("parameter_invalid", format!("value must be a string: {e}"))
            .with_param("value")
    })?;
    if body.value.is_empty() || body.value.len() > 200 {
        return Err(
            ApiError::invalid("parameter_invalid", "`value` must be 1–200 characters.")
                .with_param("value"),
        );
    }
    let now = Timestamp::from_unix_millis(Date::now().as_millis()).to_string();
    store.put_meta("smoke", &body.value, &now).await?;
    Ok(json_response(
        200,
        &json!({
            "object": "smoke",
            "d1": store.meta("smoke").await?,
            "at": now,
        }),
    ))
}

/// At most 30 days per call.
const MAX_ADVANCE: u64 = 30 * 86_400;

/// The body of the advance helpers: `{"seconds": 1 … 30 days}`.
async fn advance_seconds(req: &mut Request) -> ApiResult<u64> {
    seconds_up_to(req, MAX_ADVANCE).await
}

/// `{"seconds": 1 … max}`.
async fn seconds_up_to(req: &mut Request, max: u64) -> ApiResult<u64> {
    let map = object(&body_text(req).await?)?;
    reject_unknown(&map, &["seconds"])?;
    Ok(map
        .get("seconds")
        .and_then(kasse_shared::params::whole_number)
        .filter(|s| (1..=max).contains(s))
        .ok_or_else(|| {
            ParamError::new(
                "parameter_invalid",
                "seconds",
                format!("seconds must be an integer from 1 to {max}."),
            )
        })?)
}

/// `POST /v1/test_helpers/checkout_sessions/{id}/advance {seconds}`: time passes for one
/// session. Its timestamps move `seconds` into the past, so expiry and the grace window
/// arrive without waiting; the next watcher run applies them. No event: time passing is not
/// a business event, the transitions it causes are.
pub async fn advance(mut req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    require_enabled(env)?;
    let store = Store::new(env)?;
    let caller = test_caller(&req, &store).await?;
    let session = owned_session(&store, &caller, id).await?;
    let seconds = advance_seconds(&mut req).await?;
    let back = |t: Timestamp| Timestamp(t.0.saturating_sub(seconds));
    let mut next = session.clone();
    next.created_at = back(next.created_at);
    next.expires_at = back(next.expires_at);
    next.late_until = back(next.late_until);
    for q in next.options.iter_mut().chain(next.selected.iter_mut()) {
        q.quoted_at = back(q.quoted_at);
    }
    next.version += 1;
    next.updated_at = Timestamp::from_unix_millis(Date::now().as_millis());
    if !store
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
        return Err(ApiError::new(
            409,
            ErrorType::InvalidRequestError,
            "session_busy",
            "The session changed meanwhile; retry.",
        ));
    }
    store.rewatch_until(&next).await?;
    let base = config::base_url(env, Some(&origin(&req)?));
    session_response(&store, &next, &base).await
}

/// `POST /v1/test_helpers/checkout_sessions/{id}/age_events {seconds}`: the session's
/// events and their webhook deliveries move `seconds` (up to a year) into the past, as if
/// written then, so the retention purge can be tested without waiting 30 days. The
/// session itself is left as it is.
pub async fn age_events(mut req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    const MAX_AGE: u64 = 366 * 86_400;
    require_enabled(env)?;
    let store = Store::new(env)?;
    let caller = test_caller(&req, &store).await?;
    let session = owned_session(&store, &caller, id).await?;
    let seconds = seconds_up_to(&mut req, MAX_AGE).await?;
    let events = store.age_session_events(&session.id, seconds).await?;
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
pub async fn clone(mut req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    require_enabled(env)?;
    let store = Store::new(env)?;
    let caller = test_caller(&req, &store).await?;
    let session = owned_session(&store, &caller, id).await?;
    let map = object(&body_text(&mut req).await?)?;
    reject_unknown(&map, &["count"])?;
    let count = map
        .get("count")
        .and_then(kasse_shared::params::whole_number)
        .filter(|n| (1..=MAX_CLONES).contains(n))
        .ok_or_else(|| {
            ParamError::new(
                "parameter_invalid",
                "count",
                format!("count must be an integer from 1 to {MAX_CLONES}."),
            )
        })?;
    let address_json = format!(
        "\"address\":{}",
        serde_json::to_string(&session.address).map_err(ApiError::internal)?
    );
    let total = store
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
pub async fn advance_endpoint(mut req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    require_enabled(env)?;
    let store = Store::new(env)?;
    let caller = test_caller(&req, &store).await?;
    let missing =
        || ApiError::not_found(format!("No such webhook endpoint: '{id}'.")).with_param("id");
    if store
        .endpoint(&caller.account_id, caller.livemode, id)
        .await?
        .is_none()
    {
        return Err(missing());
    }
    let seconds = advance_seconds(&mut req).await?;
    if !store
        .advance_endpoint(&caller.account_id, caller.livemode, id, seconds)
        .await?
    {
        return Err(missing());
    }
    Ok(crate::http::json_response(
        200,
        &serde_json::json!({"id": id, "object": "webhook_endpoint", "advanced_seconds": seconds}),
    ))
}
