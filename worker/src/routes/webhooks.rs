//! `/v1/webhook_endpoints` (secret key): endpoints, their secrets and their deliveries.

use kasse_shared::api::list;
use kasse_shared::error_code::ErrorCode;
use kasse_shared::ids::{DeliveryId, EndpointId};
use kasse_shared::webhook::{self, Endpoint, MAX_ENDPOINTS, PREVIOUS_SECRET_SECS, Secret};
use serde_json::json;
use worker::Response;

use crate::entropy::Csprng;
use crate::error::{ApiError, ApiResult};
use crate::http::auth::Caller;
use crate::http::{Cx, checked_cursor, json_response, list_response, owned};
use crate::store::EndpointRow;

/// The endpoint if it is the caller's (account and mode); else the same 404 as a missing one.
async fn owned_endpoint(cx: &Cx<'_>, caller: &Caller, id: &str) -> ApiResult<EndpointRow> {
    owned("webhook endpoint", id, EndpointId::parse(id), async |id| {
        cx.store
            .endpoint(&caller.account_id, caller.livemode, &id)
            .await
    })
    .await
}

pub(super) async fn create(cx: &mut Cx<'_>) -> ApiResult<Response> {
    let caller = cx.secret().await?;
    let new = webhook::parse_create(&cx.body().await?, caller.livemode)?;
    let store = &cx.store;
    let count = store
        .count_endpoints(&caller.account_id, caller.livemode)
        .await?;
    if count >= MAX_ENDPOINTS as u64 {
        return Err(ApiError::invalid(
            ErrorCode::EndpointLimit,
            format!(
                "An account may have at most {MAX_ENDPOINTS} webhook endpoints per mode; delete one first."
            ),
        ));
    }
    let secret = Secret::generate(&mut Csprng);
    let now = cx.now;
    let mut endpoint = Endpoint {
        id: EndpointId::generate(&mut Csprng),
        object: "webhook_endpoint".to_owned(),
        url: new.url,
        events: new.events,
        description: new.description,
        enabled: new.enabled,
        livemode: caller.livemode,
        secret: None,
        previous_secret_expires_at: None,
        created_at: now,
        updated_at: now,
    };
    store
        .insert_endpoint(&caller.account_id, &endpoint, &secret)
        .await?;
    endpoint.secret = Some(secret.encoded());
    Ok(json_response(200, &endpoint))
}

pub(super) async fn retrieve(cx: &mut Cx<'_>, id: &str) -> ApiResult<Response> {
    let caller = cx.secret().await?;
    let row = owned_endpoint(cx, &caller, id).await?;
    Ok(json_response(200, &row.endpoint(cx.now)))
}

/// `POST /v1/webhook_endpoints/{id}`: url, events, description, enabled.
pub(super) async fn update(cx: &mut Cx<'_>, id: &str) -> ApiResult<Response> {
    let caller = cx.secret().await?;
    let row = owned_endpoint(cx, &caller, id).await?;
    let now = cx.now;
    let current = row.endpoint(now);
    let next = webhook::parse_update(&cx.body().await?, caller.livemode)?.apply(&current, now);
    if next != current {
        cx.store.update_endpoint(&caller.account_id, &next).await?;
    }
    Ok(json_response(200, &next))
}

pub(super) async fn delete(cx: &mut Cx<'_>, id: &str) -> ApiResult<Response> {
    let caller = cx.secret().await?;
    let row = owned_endpoint(cx, &caller, id).await?;
    cx.store
        .delete_endpoint(&caller.account_id, caller.livemode, &row.id)
        .await?;
    Ok(json_response(
        200,
        &json!({"id": id, "object": "webhook_endpoint", "deleted": true}),
    ))
}

/// `POST /v1/webhook_endpoints/{id}/rotate_secret`: a new secret, shown once; the old one
/// keeps signing for 24 hours beside it, so receivers can switch without losing events.
pub(super) async fn rotate(cx: &mut Cx<'_>, id: &str) -> ApiResult<Response> {
    let caller = cx.secret().await?;
    let body = cx.body().await?;
    if !body.trim().is_empty() {
        let map = kasse_shared::params::object(&body)?;
        kasse_shared::params::reject_unknown(&map, &[])?;
    }
    let now = cx.now;
    let mut endpoint = owned_endpoint(cx, &caller, id).await?.endpoint(now);
    let secret = Secret::generate(&mut Csprng);
    let previous_until = now.plus_secs(PREVIOUS_SECRET_SECS);
    cx.store
        .rotate_secret(
            &caller.account_id,
            &endpoint.id,
            &secret,
            previous_until,
            now,
        )
        .await?;
    endpoint.previous_secret_expires_at = Some(previous_until);
    endpoint.updated_at = now;
    endpoint.secret = Some(secret.encoded());
    Ok(json_response(200, &endpoint))
}

/// `GET /v1/webhook_endpoints`: newest first.
pub(super) async fn list(cx: &mut Cx<'_>) -> ApiResult<Response> {
    let caller = cx.secret().await?;
    let pairs = cx.query()?;
    let store = &cx.store;
    let (page, _) = list::parse_page(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())), &[])?;
    let cursor = checked_cursor(&page.cursor, "webhook endpoint", async |id| {
        let Some(endpoint_id) = EndpointId::parse(id) else {
            return Ok(None);
        };
        let found = store
            .endpoint(&caller.account_id, caller.livemode, &endpoint_id)
            .await?;
        Ok(found.map(|_| id))
    })
    .await?;
    let mut rows = store
        .list_endpoints(&caller.account_id, caller.livemode, cursor, page.limit + 1)
        .await?;
    let has_more = page.trim(&mut rows);
    let data: Vec<_> = rows.iter().map(|r| r.endpoint(cx.now)).collect();
    list_response("/v1/webhook_endpoints", &data, has_more)
}

/// `GET /v1/webhook_endpoints/{id}/deliveries`: newest first, each with every attempt
/// (time, status code, latency, error); `event` filters.
pub(super) async fn deliveries(cx: &mut Cx<'_>, id: &str) -> ApiResult<Response> {
    let caller = cx.secret().await?;
    let endpoint = owned_endpoint(cx, &caller, id).await?;
    let pairs = cx.query()?;
    let store = &cx.store;
    let (page, filters) = list::parse_page(
        pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        &["event"],
    )?;
    let event = filters
        .iter()
        .find(|(k, _)| k == "event")
        .map(|(_, v)| v.as_str());
    let cursor = checked_cursor(
        &page.cursor,
        "delivery of this endpoint",
        async |delivery| {
            let Some(delivery_id) = DeliveryId::parse(delivery) else {
                return Ok(None);
            };
            let found = store.has_delivery(&endpoint.id, &delivery_id).await?;
            Ok(found.then_some(delivery))
        },
    )
    .await?;
    let mut rows = store
        .deliveries(&endpoint.id, event, cursor, page.limit + 1)
        .await?;
    let has_more = page.trim(&mut rows);
    list_response(
        &format!("/v1/webhook_endpoints/{id}/deliveries"),
        &rows,
        has_more,
    )
}
