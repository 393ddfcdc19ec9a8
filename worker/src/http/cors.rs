//! CORS for the public routes (the shopper's browser): only the origins the account
//! allows, always with `Vary: Origin`. Preflights find the account from the id in the
//! path. Secret-key routes never send CORS headers, so a browser can never read their
//! answers cross-origin.

use kasse_shared::account::Settings;
use kasse_shared::ids::{LinkId, RefundId, SessionId};
use worker::Response;

use super::context::Cx;
use super::request;
use crate::error::ApiResult;

const ALLOW_METHODS: &str = "GET, POST";
const ALLOW_HEADERS: &str = "Authorization, Content-Type, Idempotency-Key, If-None-Match, Kasse-Client-Secret, Kasse-Claim-Secret";
const EXPOSE_HEADERS: &str = "ETag, Retry-After, Idempotent-Replayed";

/// The request's `Origin` if it is another origin that the account behind the path's
/// session, payment link or refund allows; `None` otherwise (same-origin calls need no
/// headers).
/// The account's settings come from the handler when it read them already.
pub(crate) async fn allowed_origin(cx: &Cx<'_>, segments: &[&str]) -> ApiResult<Option<String>> {
    let Some(origin) = cx.req.headers().get("origin")? else {
        return Ok(None);
    };
    if origin == request::origin(&cx.req)? {
        return Ok(None);
    }
    let settings = match cx.public_settings() {
        Some(settings) => Some(settings),
        None => match segments {
            ["v1", "public", "checkout_sessions", id, ..] => match SessionId::parse(id) {
                Some(id) => cx.store.settings_of_session(&id).await?,
                None => None,
            },
            ["v1", "public", "payment_links", id, ..] => match LinkId::parse(id) {
                Some(id) => cx.store.settings_of_link(&id).await?,
                None => None,
            },
            ["v1", "public", "refunds", id, ..] => match RefundId::parse(id) {
                Some(id) => cx.store.settings_of_refund(&id).await?,
                None => None,
            },
            _ => None,
        },
    };
    Ok(settings
        .is_some_and(|s| allows(&s, &origin))
        .then_some(origin))
}

/// Whether the account lets pages of `origin` read its public answers.
fn allows(settings: &Settings, origin: &str) -> bool {
    settings
        .allowed_origins
        .iter()
        .any(|o| o.eq_ignore_ascii_case(origin))
}

/// The answer to an `OPTIONS` preflight of a public route.
pub(crate) async fn preflight(cx: &Cx<'_>, segments: &[&str]) -> ApiResult<Response> {
    let mut response = Response::empty()?.with_status(204);
    let headers = response.headers_mut();
    headers.set("vary", "Origin")?;
    if let Some(origin) = allowed_origin(cx, segments).await? {
        headers.set("access-control-allow-origin", &origin)?;
        headers.set("access-control-allow-methods", ALLOW_METHODS)?;
        headers.set("access-control-allow-headers", ALLOW_HEADERS)?;
        headers.set("access-control-max-age", "600")?;
    }
    Ok(response)
}

/// Adds the CORS headers to a public route's answer.
pub(crate) fn decorate(response: &mut Response, origin: Option<&str>) {
    let headers = response.headers_mut();
    let _ = headers.append("vary", "Origin");
    if let Some(origin) = origin {
        let _ = headers.set("access-control-allow-origin", origin);
        let _ = headers.set("access-control-expose-headers", EXPOSE_HEADERS);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_origin_is_allowed_only_if_the_account_lists_it() {
        let settings = Settings {
            allowed_origins: vec!["https://shop.example".into()],
            ..Settings::default()
        };
        assert!(allows(&settings, "https://shop.example"));
        assert!(
            allows(&settings, "HTTPS://SHOP.EXAMPLE"),
            "origins compare in any case"
        );
        assert!(!allows(&settings, "https://shop.example:8443"));
        assert!(!allows(&settings, "https://evil.example"));
        assert!(!allows(&settings, "null"));
        assert!(!allows(&Settings::default(), "https://shop.example"));
    }
}
