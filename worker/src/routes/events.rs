//! `/v1/events` (secret key): the outbox, newest first, one event, and redelivery.

use kasse_shared::api::list;
use kasse_shared::error_code::ErrorCode;
use kasse_shared::ids::is_id;
use kasse_shared::webhook;
use serde_json::{Value, json};
use worker::Response;

use crate::error::{ApiError, ApiResult};
use crate::http::auth::Caller;
use crate::http::{Cx, checked_cursor, json_response, list_response, owned};

const PREFIX: &str = "evt_";

/// The caller's event `id`: its body and its session's id.
async fn owned_event(cx: &Cx<'_>, caller: &Caller, id: &str) -> ApiResult<(String, String)> {
    owned("event", id, is_id(id, PREFIX), async || {
        cx.store
            .event(&caller.account_id, caller.livemode, id)
            .await
    })
    .await
}

/// `GET /v1/events`: newest first (in the order they were written); filters `session`
/// and `type`; cursors `starting_after` / `ending_before`.
pub async fn list(cx: &mut Cx<'_>) -> ApiResult<Response> {
    let caller = cx.secret().await?;
    let pairs = cx.query()?;
    let store = &cx.store;
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
    list_response("/v1/events", &data, has_more)
}

pub async fn retrieve(cx: &mut Cx<'_>, id: &str) -> ApiResult<Response> {
    let caller = cx.secret().await?;
    let (body, _) = owned_event(cx, &caller, id).await?;
    let event: Value = serde_json::from_str(&body).map_err(ApiError::internal)?;
    Ok(json_response(200, &event))
}

/// `POST /v1/events/{id}/redeliver`: sends the event again, with the same `webhook-id`
/// and the same body, to every enabled endpoint that asks for its type (or to `endpoint`
/// only). Answers 202 with the deliveries as scheduled; the attempt follows at once.
pub async fn redeliver(cx: &mut Cx<'_>, id: &str) -> ApiResult<Response> {
    let caller = cx.secret().await?;
    let endpoint = webhook::parse_redeliver(&cx.body().await?)?;
    let (_, session_id) = owned_event(cx, &caller, id).await?;
    let store = &cx.store;
    if let Some(endpoint) = endpoint.as_deref() {
        let row = if is_id(endpoint, "we_") {
            store
                .endpoint(&caller.account_id, caller.livemode, endpoint)
                .await?
        } else {
            None
        };
        let Some(row) = row else {
            return Err(ApiError::no_such_param(
                "webhook endpoint",
                endpoint,
                "endpoint",
            ));
        };
        if !row.object(cx.now)?.enabled {
            return Err(ApiError::invalid(
                ErrorCode::EndpointDisabled,
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
            cx.now,
        )
        .await?;
    crate::outbox::note_written(&session_id);
    Ok(json_response(
        202,
        &json!({"object": "event_redelivery", "event": id, "endpoint": endpoint}),
    ))
}
