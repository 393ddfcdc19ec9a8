//! Routes that exist only when `KASSE_TEST_HELPERS` is set — never in a deploy.

use kasse_shared::time::Timestamp;
use serde::Deserialize;
use serde_json::json;
use worker::{Date, Env, Request, Response};

use crate::config;
use crate::error::{ApiError, ApiResult};
use crate::http::json_response;
use crate::store::{Cache, Store};

fn require_enabled(env: &Env) -> ApiResult<()> {
    if config::test_helpers_enabled(env) {
        Ok(())
    } else {
        Err(ApiError::route_not_found("POST", "/v1/test_helpers/…"))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SmokeBody {
    value: String,
}

/// Round-trips a value through D1 and KV: proves both bindings work under workerd.
pub async fn smoke(mut req: Request, env: &Env) -> ApiResult<Response> {
    require_enabled(env)?;
    let body: SmokeBody = serde_json::from_str(&req.text().await?).map_err(|e| {
        ApiError::invalid(
            "invalid_json",
            format!("Body must be {{\"value\": \"…\"}}: {e}"),
        )
    })?;
    if body.value.is_empty() || body.value.len() > 200 {
        return Err(
            ApiError::invalid("parameter_invalid", "`value` must be 1–200 characters.")
                .with_param("value"),
        );
    }
    let now = Timestamp::from_unix_millis(Date::now().as_millis()).to_string();
    let store = Store::new(env)?;
    store.put_meta("smoke", &body.value, &now).await?;
    let cache = Cache::new(env)?;
    cache.put("smoke", &body.value, 60).await?;
    Ok(json_response(
        200,
        &json!({
            "object": "smoke",
            "d1": store.meta("smoke").await?,
            "kv": cache.get("smoke").await?,
            "at": now,
        }),
    ))
}
