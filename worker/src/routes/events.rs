//! `GET /v1/events` (secret key): the outbox, newest first.

use serde_json::{Value, json};
use worker::{Env, Request, Response};

use crate::auth::secret_caller;
use crate::error::{ApiError, ApiResult};
use crate::http::{json_response, query_pairs};
use crate::store::Store;
use kasse_shared::api::list::{self, Cursor};

pub async fn list(req: Request, env: &Env) -> ApiResult<Response> {
    let store = Store::new(env)?;
    let caller = secret_caller(&req, &store).await?;
    let pairs = query_pairs(&req)?;
    let (page, filters) = list::parse_page(
        pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        &["session", "type"],
    )?;
    if page.cursor != Cursor::First {
        // Event pagination arrives with the webhooks issue.
        return Err(ApiError::invalid(
            "parameter_unsupported",
            "Events are listed newest first without cursors for now; narrow with session or type.",
        )
        .with_param(page.cursor.named().map_or("starting_after", |(_, p)| p)));
    }
    let filter = |name: &str| {
        filters
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let limit = page.limit;
    let bodies = store
        .events(
            &caller.account_id,
            caller.livemode,
            filter("session"),
            filter("type"),
            limit + 1,
        )
        .await?;
    let has_more = bodies.len() > limit as usize;
    let data: Vec<Value> = bodies
        .iter()
        .take(limit as usize)
        .map(|b| serde_json::from_str(b).map_err(ApiError::internal))
        .collect::<ApiResult<_>>()?;
    Ok(json_response(
        200,
        &json!({"object": "list", "data": data, "has_more": has_more}),
    ))
}
