//! `GET /v1/events` (secret key): the outbox, newest first.

use serde_json::{Value, json};
use worker::{Env, Request, Response};

use crate::auth::secret_caller;
use crate::error::{ApiError, ApiResult};
use crate::http::json_response;
use crate::store::Store;

pub async fn list(req: Request, env: &Env) -> ApiResult<Response> {
    let store = Store::new(env)?;
    let caller = secret_caller(&req, &store).await?;
    let url = req.url()?;
    let (mut session, mut kind, mut limit) = (None, None, 10u32);
    for (key, value) in url.query_pairs() {
        match key.as_ref() {
            "session" => session = Some(value.into_owned()),
            "type" => kind = Some(value.into_owned()),
            "limit" => {
                limit = value
                    .parse()
                    .ok()
                    .filter(|l| (1..=100).contains(l))
                    .ok_or_else(|| {
                        ApiError::invalid(
                            "parameter_invalid",
                            "limit must be an integer from 1 to 100.",
                        )
                        .with_param("limit")
                    })?;
            }
            other => {
                return Err(ApiError::invalid(
                    "parameter_unknown",
                    format!("Received unknown parameter: {other}."),
                )
                .with_param(other));
            }
        }
    }
    let bodies = store
        .events(
            &caller.account_id,
            caller.livemode,
            session.as_deref(),
            kind.as_deref(),
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
