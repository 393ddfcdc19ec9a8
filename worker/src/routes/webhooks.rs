//! `/v1/webhook_endpoints` (secret key): endpoints, their secrets and their deliveries.

use kasse_shared::api::list;
use kasse_shared::ids::is_id;
use kasse_shared::time::Timestamp;
use kasse_shared::webhook::{self, Endpoint, MAX_ENDPOINTS, PREVIOUS_SECRET_SECS, Secret};
use serde_json::{Value, json};
use worker::{Date, Env, Request, Response};

use super::checked_cursor;
use crate::auth::{Caller, secret_caller};
use crate::entropy::{self, Csprng};
use crate::error::{ApiError, ApiResult};
use crate::http::{body_text, json_response, query_pairs};
use crate::store::{EndpointRow, Store};

const PREFIX: &str = "we_";

fn now() -> Timestamp {
    Timestamp::from_unix_millis(Date::now().as_millis())
}

/// The endpoint if it is the caller's (account and mode); else the same 404 as a missing one.
async fn owned(store: &Store, caller: &Caller, id: &str) -> ApiResult<EndpointRow> {
    let missing =
        || ApiError::not_found(format!("No such webhook endpoint: '{id}'.")).with_param("id");
    if !is_id(id, PREFIX) {
        return Err(missing());
    }
    store
        .endpoint(&caller.account_id, caller.livemode, id)
        .await?
        .ok_or_else(missing)
}

pub async fn create(mut req: Request, env: &Env) -> ApiResult<Response> {
    let store = Store::new(env)?;
    let caller = secret_caller(&req, &store).await?;
    let new = webhook::parse_create(&body_text(&mut req).await?, caller.livemode)?;
    let count = store
        .count_endpoints(&caller.account_id, caller.livemode)
        .await?;
    if count >= MAX_ENDPOINTS as u64 {
        return Err(ApiError::invalid(
            "endpoint_limit",
            format!(
                "An account may have at most {MAX_ENDPOINTS} webhook endpoints per mode; delete one first."
            ),
        ));
    }
    let secret = Secret::generate(&mut Csprng);
    let now = now();
    let mut endpoint = Endpoint {
        id: entropy::id(PREFIX),
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

pub async fn retrieve(req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let store = Store::new(env)?;
    let caller = secret_caller(&req, &store).await?;
    let row = owned(&store, &caller, id).await?;
    Ok(json_response(200, &row.object(now())?))
}

/// `POST /v1/webhook_endpoints/{id}`: url, events, description, enabled.
pub async fn update(mut req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let store = Store::new(env)?;
    let caller = secret_caller(&req, &store).await?;
    let row = owned(&store, &caller, id).await?;
    let now = now();
    let current = row.object(now)?;
    let next =
        webhook::parse_update(&body_text(&mut req).await?, caller.livemode)?.apply(&current, now);
    if next != current {
        store.update_endpoint(&caller.account_id, &next).await?;
    }
    Ok(json_response(200, &next))
}

pub async fn delete(req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let store = Store::new(env)?;
    let caller = secret_caller(&req, &store).await?;
    owned(&store, &caller, id).await?;
    store
        .delete_endpoint(&caller.account_id, caller.livemode, id)
        .await?;
    Ok(json_response(
        200,
        &json!({"id": id, "object": "webhook_endpoint", "deleted": true}),
    ))
}

/// `POST /v1/webhook_endpoints/{id}/rotate_secret`: a new secret, shown once; the old one
/// keeps signing for 24 hours beside it, so receivers can switch without losing events.
pub async fn rotate(mut req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let store = Store::new(env)?;
    let caller = secret_caller(&req, &store).await?;
    let body = body_text(&mut req).await?;
    if !body.trim().is_empty() {
        let map = kasse_shared::params::object(&body)?;
        kasse_shared::params::reject_unknown(&map, &[])?;
    }
    let now = now();
    let mut endpoint = owned(&store, &caller, id).await?.object(now)?;
    let secret = Secret::generate(&mut Csprng);
    let previous_until = now.plus_secs(PREVIOUS_SECRET_SECS);
    store
        .rotate_secret(&caller.account_id, id, &secret, previous_until, now)
        .await?;
    endpoint.previous_secret_expires_at = Some(previous_until);
    endpoint.updated_at = now;
    endpoint.secret = Some(secret.encoded());
    Ok(json_response(200, &endpoint))
}

/// `GET /v1/webhook_endpoints`: newest first.
pub async fn list(req: Request, env: &Env) -> ApiResult<Response> {
    let store = Store::new(env)?;
    let caller = secret_caller(&req, &store).await?;
    let pairs = query_pairs(&req)?;
    let (page, _) = list::parse_page(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())), &[])?;
    let cursor = checked_cursor(&page.cursor, "webhook endpoint", async |id| {
        Ok(is_id(id, PREFIX)
            && store
                .endpoint(&caller.account_id, caller.livemode, id)
                .await?
                .is_some())
    })
    .await?;
    let mut rows = store
        .list_endpoints(&caller.account_id, caller.livemode, cursor, page.limit + 1)
        .await?;
    let has_more = page.trim(&mut rows);
    let now = now();
    let data = rows
        .iter()
        .map(|r| r.object(now))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(json_response(
        200,
        &json!({"object": "list", "data": data, "has_more": has_more, "url": "/v1/webhook_endpoints"}),
    ))
}

/// `GET /v1/webhook_endpoints/{id}/deliveries`: newest first, each with every attempt
/// (time, status code, latency, error); `event` filters.
pub async fn deliveries(req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let store = Store::new(env)?;
    let caller = secret_caller(&req, &store).await?;
    let endpoint = owned(&store, &caller, id).await?;
    let pairs = query_pairs(&req)?;
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
        async |delivery| store.has_delivery(&endpoint.id, delivery).await,
    )
    .await?;
    let mut rows = store
        .deliveries(&endpoint.id, event, cursor, page.limit + 1)
        .await?;
    let has_more = page.trim(&mut rows);
    let data: Vec<Value> = rows
        .iter()
        .map(|d| serde_json::to_value(d).map_err(ApiError::internal))
        .collect::<ApiResult<_>>()?;
    Ok(json_response(
        200,
        &json!({"object": "list", "data": data, "has_more": has_more, "url": format!("/v1/webhook_endpoints/{id}/deliveries")}),
    ))
}
