//! Hosted pages served from the `ASSETS` binding with the headers they need.

use worker::{Headers, Response};

use crate::config;
use crate::error::{ApiError, ApiResult};
use crate::http::Cx;

/// The hosted checkout page: `/c/{id}#{client_secret}`. The page itself is static; the
/// secret travels in the fragment, which browsers never send to the server.
const CHECKOUT_CSP: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; connect-src 'self'; \
    base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pub(super) async fn checkout(cx: &mut Cx<'_>, session_id: &str) -> ApiResult<Response> {
    if !session_id.starts_with("cs_") {
        return Err(ApiError::not_found(format!(
            "No checkout session {session_id}."
        )));
    }
    let assets = cx.env.assets(config::ASSETS_BINDING)?;
    let page = assets
        .fetch("https://assets.invalid/checkout", None)
        .await?;
    let status = page.status_code();
    if status != 200 {
        return Err(ApiError::internal(format!(
            "checkout page asset answered {status}"
        )));
    }
    let headers: Headers = [
        ("content-type", "text/html; charset=utf-8"),
        ("content-security-policy", CHECKOUT_CSP),
        ("referrer-policy", "no-referrer"),
        ("cache-control", "no-store"),
        ("x-content-type-options", "nosniff"),
    ]
    .into_iter()
    .collect();
    Ok(page.with_headers(headers))
}
