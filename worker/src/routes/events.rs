//! `/v1/events` (secret key): the outbox, newest first, one event, and redelivery.

use kasse_shared::api::list;
use kasse_shared::ids::is_id;
use kasse_shared::time::Timestamp;
use kasse_shared::webhook;
use serde_json::{Value, json};
use worker::{Date, Env, Request, Response};

use super::checked_cursor;
use crate::auth::{Caller, secret_caller};
use crate::error::{ApiError, ApiResult};
use crate::http::{body_text, json_response, query_pairs};
use crate::store::Store;

const PREFIX: &str = "evt_";

fn missing(id: &str) -> ApiError {
    ApiError::not_found(format!("No such event: '{id}'.")).with_param("id")
}

async fn owned(store: &Store, caller: &Caller, id: &str) -> ApiResult<(String, String)> {
    if !is_id(id, PREFIX) {
        return Err(missing(id));
    }
    store
        .event(&caller.account_id, caller.livemode, id)
        .await?
        .ok_or_else(|| missing(id))
}

/// `GET /v1/events`: newest first (in the order they were written); filters `session`
/// and `type`; cursors `starting_after` / `ending_before`.
pub async fn list(req: Request, env: &Env) -> ApiResult<Response> {
    let store = Store::new(env)?;
    let caller = secret_caller(&req, &store).await?;
    let pairs = query_pairs(&req)?;
    let (page, filters) = list::parse_page(
        pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        &["session", "type"],
    )?;
    let filter = |name: &str| {
        filters
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let cursor = checked_cursor(&page.cursor, "event", async |id| {
        Ok(is_id(id, PREFIX)
            && store
                .has_event(&caller.account_id, caller.livemode, id)
                .await?)
    })
    .await?;
    let mut bodies = store
        .events(
            &caller.account_id,
            caller.livemode,
            filter("session"),
            filter("type"),
            cursor,
            page.limit + 1,
        )
        .await?;
    let has_more = page.trim(&mut bodies);
    let data: Vec<Value> = bodies
        .iter()
        .map(|b| serde_json::from_str(b).map_err(ApiError::internal))
        .collect::<ApiResult<_>>()?;
    Ok(json_response(
        200,
        &json!({"object": "list", "data": data, "has_more": has_more, "url": "/v1/events"}),
    ))
}

pub async fn retrieve(req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let store = Store::new(env)?;
    let caller = secret_caller(&req, &store).await?;
    let (body, _) = owned(&store, &caller, id).await?;
    let event: Value = serde_json::from_str(&body).map_err(ApiError::internal)?;
    Ok(json_response(200, &event))
}

/// `POST /v1/events/{id}/redeliver`: sends the event again, with the same `webhook-id`
/// and the same body, to every enabled endpoint that asks for its type (or to `endpoint`
/// only). Answers 202 with the deliveries as scheduled; the attempt follows at once.
pub async fn redeliver(mut req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let store = Store::new(env)?;
    let caller = secret_caller(&req, &store).await?;
    let endpoint = webhook::parse_redeliver(&body_text(&mut req).await?)?;
    let (_, session_id) = owned(&store, &caller, id).await?;
    if let Some(endpoint) = endpoint.as_deref() {
        let row = if is_id(endpoint, "we_") {
            store
                .endpoint(&caller.account_id, caller.livemode, endpoint)
                .await?
        } else {
            None
        };
        let Some(row) = row else {
            return Err(ApiError::invalid(
                "resource_missing",
                format!("No such webhook endpoint: '{endpoint}'."),
            )
            .with_param("endpoint"));
        };
        if !row.object(now())?.enabled {
            return Err(ApiError::invalid(
                "endpoint_disabled",
                "That webhook endpoint is disabled; enable it first.",
            )
            .with_param("endpoint"));
        }
    }
    store
        .redeliver(
            &caller.account_id,
            caller.livemode,
            id,
            endpoint.as_deref(),
            now(),
        )
        .await?;
    crate::outbox::note_written(&session_id);
    Ok(json_response(
        202,
        &json!({"object": "event_redelivery", "event": id, "endpoint": endpoint}),
    ))
}

fn now() -> Timestamp {
    Timestamp::from_unix_millis(Date::now().as_millis())
}
