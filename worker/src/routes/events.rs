//! `/v1/events` (secret key): the outbox, newest first, one event, and redelivery.

use kasse_shared::api::list;
use kasse_shared::error_code::ErrorCode;
use kasse_shared::ids::{EndpointId, EventId, SessionId};
use kasse_shared::session::EventType;
use kasse_shared::webhook;
use serde_json::{Value, json};
use worker::Response;

use crate::error::{ApiError, ApiResult};
use crate::http::auth::Caller;
use crate::http::{Cx, checked_cursor, json_response, list_response, owned};

/// The caller's event `id`: its id, body and session's id.
async fn owned_event(
    cx: &Cx<'_>,
    caller: &Caller,
    id: &str,
) -> ApiResult<(EventId, String, Option<SessionId>)> {
    owned("event", id, EventId::parse(id), async |id| {
        let found = cx
            .store
            .event(&caller.account_id, caller.livemode, &id)
            .await?;
        Ok(found.map(|(body, session_id)| (id, body, session_id)))
    })
    .await
}

/// `GET /v1/events`: newest first (in the order they were written); filters `session`
/// and `type`; cursors `starting_after` / `ending_before`.
pub(super) async fn list(cx: &mut Cx<'_>) -> ApiResult<Response> {
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
        let Some(event_id) = EventId::parse(id) else {
            return Ok(None);
        };
        let found = store
            .event(&caller.account_id, caller.livemode, &event_id)
            .await?;
        Ok(found.map(|_| id))
    })
    .await?;
    let kind = match filter("type") {
        None => None,
        Some(name) => match EventType::parse(name) {
            Some(kind) => Some(kind),
            // No event is of a type that does not exist.
            None => return list_response::<Value>("/v1/events", &[], false),
        },
    };
    let mut bodies = store
        .events(
            &caller.account_id,
            caller.livemode,
            filter("session"),
            kind,
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

pub(super) async fn retrieve(cx: &mut Cx<'_>, id: &str) -> ApiResult<Response> {
    let caller = cx.secret().await?;
    let (_, body, _) = owned_event(cx, &caller, id).await?;
    let event: Value = serde_json::from_str(&body).map_err(ApiError::internal)?;
    Ok(json_response(200, &event))
}

/// `POST /v1/events/{id}/redeliver`: sends the event again, with the same `webhook-id`
/// and the same body, to every enabled endpoint that asks for its type (or to `endpoint`
/// only). Answers 202 with the deliveries as scheduled; the attempt follows at once.
pub(super) async fn redeliver(cx: &mut Cx<'_>, id: &str) -> ApiResult<Response> {
    let caller = cx.secret().await?;
    let endpoint = webhook::parse_redeliver(&cx.body().await?)?;
    let (event_id, _, session_id) = owned_event(cx, &caller, id).await?;
    let store = &cx.store;
    let mut only = None;
    if let Some(endpoint) = endpoint.as_deref() {
        let row = match EndpointId::parse(endpoint) {
            Some(endpoint_id) => {
                store
                    .endpoint(&caller.account_id, caller.livemode, &endpoint_id)
                    .await?
            }
            None => None,
        };
        let Some(row) = row else {
            return Err(ApiError::no_such_param(
                "webhook endpoint",
                endpoint,
                "endpoint",
            ));
        };
        if !row.endpoint(cx.now).enabled {
            return Err(ApiError::invalid(
                ErrorCode::EndpointDisabled,
                "That webhook endpoint is disabled; enable it first.",
            )
            .with_param("endpoint"));
        }
        only = Some(row.id);
    }
    store
        .redeliver(
            &caller.account_id,
            caller.livemode,
            &event_id,
            only.as_ref(),
            cx.now,
        )
        .await?;
    // A sweep's event has no session: the next cron run sends it.
    if let Some(session_id) = &session_id {
        crate::outbox::note_written(session_id);
    }
    Ok(json_response(
        202,
        &json!({"object": "event_redelivery", "event": id, "endpoint": endpoint}),
    ))
}
