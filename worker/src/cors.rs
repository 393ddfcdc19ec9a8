//! CORS for the public routes (spec §8): only the origins the account allows, always with
//! `Vary: Origin`. Preflights find the account from the id in the path. Secret-key routes
//! never send CORS headers, so a browser can never read their answers cross-origin.

use worker::{Env, Request, Response};

use crate::error::ApiResult;
use crate::store::Store;

const ALLOW_METHODS: &str = "GET, POST";
const ALLOW_HEADERS: &str =
    "Authorization, Content-Type, Idempotency-Key, If-None-Match, Kasse-Client-Secret";
const EXPOSE_HEADERS: &str = "ETag, Retry-After, Idempotent-Replayed";

/// `/v1/public/…`: the routes a shopper's browser calls.
pub fn is_public(segments: &[&str]) -> bool {
    matches!(segments, ["v1", "public", ..])
}

/// The request's `Origin` if it is another origin that the account behind the path's
/// session or payment link allows; `None` otherwise (same-origin calls need no headers).
pub async fn allowed_origin(
    req: &Request,
    env: &Env,
    segments: &[&str],
) -> ApiResult<Option<String>> {
    let Some(origin) = req.headers().get("origin")? else {
        return Ok(None);
    };
    if origin == crate::http::origin(req)? {
        return Ok(None);
    }
    let store = Store::new(env)?;
    let settings = match segments {
        ["v1", "public", "checkout_sessions", id, ..] => store.settings_of_session(id).await?,
        ["v1", "public", "payment_links", id, ..] => store.settings_of_link(id).await?,
        _ => None,
    };
    Ok(settings
        .filter(|s| {
            s.allowed_origins
                .iter()
                .any(|o| o.eq_ignore_ascii_case(&origin))
        })
        .map(|_| origin))
}

/// The answer to an `OPTIONS` preflight of a public route.
pub async fn preflight(req: &Request, env: &Env, segments: &[&str]) -> ApiResult<Response> {
    let mut response = Response::empty()?.with_status(204);
    let headers = response.headers_mut();
    headers.set("vary", "Origin")?;
    if let Some(origin) = allowed_origin(req, env, segments).await? {
        headers.set("access-control-allow-origin", &origin)?;
        headers.set("access-control-allow-methods", ALLOW_METHODS)?;
        headers.set("access-control-allow-headers", ALLOW_HEADERS)?;
        headers.set("access-control-max-age", "600")?;
    }
    Ok(response)
}

/// Adds the CORS headers to a public route's answer.
pub fn decorate(response: &mut Response, origin: Option<&str>) {
    let headers = response.headers_mut();
    let _ = headers.append("vary", "Origin");
    if let Some(origin) = origin {
        let _ = headers.set("access-control-allow-origin", origin);
        let _ = headers.set("access-control-expose-headers", EXPOSE_HEADERS);
    }
}
