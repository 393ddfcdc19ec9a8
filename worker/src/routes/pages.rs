//! Hosted pages served from the `ASSETS` binding with the headers they need.

use worker::{Headers, Response};

use crate::config;
use crate::error::{ApiError, ApiResult};
use crate::http::Cx;

/// The hosted checkout page: `/c/{id}#{client_secret}`. The page itself is static; the
/// secret travels in the fragment, which browsers never send to the server. Its two inline
/// scripts, allowed by their hashes, start reading the view and loading the wasm as the
/// page arrives, before its other scripts have downloaded.
const CHECKOUT_CSP: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval' \
    'sha256-j7fknlyUy1Q1kTUiyi6oQao3IDVda/bMVL0Tj1YPL8s=' 'sha256-pK4DmDoUIHrlEUrCldMjUDOpRUOHhvJ2sF9xGKGishw='; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; connect-src 'self'; \
    base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The refund claim page: `/r/{id}#{claim_secret}`, static like the checkout page. It is
/// plain script and stylesheets of our own: no WebAssembly, no inline style, no images
/// from elsewhere.
const REFUND_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
    frame-ancestors 'none'";

pub(super) async fn checkout(cx: &mut Cx<'_>, session_id: &str) -> ApiResult<Response> {
    if !session_id.starts_with("cs_") {
        return Err(ApiError::not_found(format!(
            "No checkout session {session_id}."
        )));
    }
    hosted(cx, "checkout", CHECKOUT_CSP).await
}

pub(super) async fn refund(cx: &mut Cx<'_>, refund_id: &str) -> ApiResult<Response> {
    if !refund_id.starts_with("re_") {
        return Err(ApiError::not_found(format!("No refund {refund_id}.")));
    }
    hosted(cx, "refund", REFUND_CSP).await
}

/// The static page `name` (`www/{name}.html`) with its policy: never cached, never framed,
/// and no referrer, so the id in the address is not passed on to other sites.
async fn hosted(cx: &Cx<'_>, name: &str, csp: &str) -> ApiResult<Response> {
    let assets = cx.env.assets(config::ASSETS_BINDING)?;
    let page = assets
        .fetch(format!("https://assets.invalid/{name}"), None)
        .await?;
    let status = page.status_code();
    if status != 200 {
        return Err(ApiError::internal(format!(
            "{name} page asset answered {status}"
        )));
    }
    let headers: Headers = [
        ("content-type", "text/html; charset=utf-8"),
        ("content-security-policy", csp),
        ("referrer-policy", "no-referrer"),
        ("cache-control", "no-store"),
        ("x-content-type-options", "nosniff"),
    ]
    .into_iter()
    .collect();
    Ok(page.with_headers(headers))
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use sha2::{Digest, Sha256};

    use super::CHECKOUT_CSP;

    /// The inline scripts of `html`, as the browser hashes them.
    fn inline_scripts(html: &str) -> Vec<&str> {
        html.split("<script")
            .skip(1)
            .filter_map(|tag| {
                let (attributes, rest) = tag.split_once('>')?;
                let (body, _) = rest.split_once("</script>")?;
                (!attributes.contains("src=")).then_some(body)
            })
            .collect()
    }

    #[test]
    fn the_checkout_policy_allows_exactly_the_pages_inline_scripts() {
        let scripts = inline_scripts(include_str!("../../../www/checkout.html"));
        assert_eq!(scripts.len(), 2, "the view read and the wasm start");
        for script in &scripts {
            let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(script));
            assert!(
                CHECKOUT_CSP.contains(&format!("'sha256-{hash}'")),
                "the policy lacks 'sha256-{hash}' for {script}"
            );
        }
        assert_eq!(CHECKOUT_CSP.matches("'sha256-").count(), scripts.len());
        let script_src = CHECKOUT_CSP
            .split(';')
            .find(|directive| directive.trim().starts_with("script-src"))
            .expect("a script-src directive");
        assert!(!script_src.contains("'unsafe-inline'"), "{script_src}");
    }
}
