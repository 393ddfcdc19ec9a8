//! `/v1/console/sessions`: the merchant console's sign-in and sign-out. Signing in trades a
//! secret key for a random token in an `HttpOnly; SameSite=Strict` cookie of its mode (the
//! key itself is never kept by the browser); D1 keeps only the token's SHA-256 hash. From
//! then on the cookie acts as that key on every secret-key route (`http::auth`). Both
//! routes only answer the console's own page: a sign-in another site triggers could sign
//! the merchant into the attacker's account.

use kasse_shared::account::{KeyKind, key_hash};
use kasse_shared::error_code::ErrorCode;
use kasse_shared::params::{ParamError, object, reject_unknown};
use serde_json::{Value, json};
use worker::Response;

use crate::entropy;
use crate::error::{ApiError, ApiResult};
use crate::http::auth::{self, CONSOLE_TOKEN_CHARS};
use crate::http::{Cx, json_response};
use crate::store::CONSOLE_IDLE_SECS;

/// `POST /v1/console/sessions {"api_key": "sk_…"}`: a console session of the key's mode,
/// set as that mode's cookie. 401 for an unknown or revoked key, 403 for a publishable one.
pub(super) async fn sign_in(cx: &mut Cx<'_>) -> ApiResult<Response> {
    auth::require_same_origin(&cx.req, &cx.own_origins()?)?;
    let key = parse_sign_in(&cx.body().await?)?;
    if KeyKind::of_key(&key).is_none() {
        return Err(ApiError::unauthenticated(
            "That is not a Kasse API key (they start with sk_ or pk_).",
        ));
    }
    let token = entropy::token("", CONSOLE_TOKEN_CHARS);
    let found = cx
        .store
        .sign_in(&key_hash(&key), &key_hash(&token), cx.now)
        .await?
        .ok_or_else(|| ApiError::unauthenticated("Invalid API key provided."))?;
    if found.kind != KeyKind::Secret {
        return Err(ApiError::forbidden(
            ErrorCode::SecretKeyRequired,
            "The console signs in with a secret key (sk_…); a publishable key can only start sessions from payment links.",
        ));
    }
    let mut response = json_response(
        201,
        &json!({
            "object": "console_session",
            "account_id": found.account_id,
            "livemode": found.livemode,
            "key": found.redacted,
            "idle_timeout": CONSOLE_IDLE_SECS,
        }),
    );
    let cookie = set_cookie(found.livemode, Some(&token), is_https(cx)?);
    response.headers_mut().set("set-cookie", &cookie)?;
    Ok(response)
}

/// `DELETE /v1/console/sessions/current`: ends the console session of the mode the request
/// names (`Kasse-Mode`) and clears its cookie; 200 whether or not there was one.
pub(super) async fn sign_out(cx: &mut Cx<'_>) -> ApiResult<Response> {
    auth::require_same_origin(&cx.req, &cx.own_origins()?)?;
    let livemode = auth::console_mode(cx.req.headers().get(auth::MODE_HEADER)?.as_deref())?;
    if let Some(token) = auth::console_token(&cx.req)? {
        cx.store
            .end_console_session(&key_hash(&token), livemode)
            .await?;
    }
    let mut response = json_response(
        200,
        &json!({"object": "console_session", "livemode": livemode, "signed_out": true}),
    );
    let cookie = set_cookie(livemode, None, is_https(cx)?);
    response.headers_mut().set("set-cookie", &cookie)?;
    Ok(response)
}

/// The key a sign-in's body names.
fn parse_sign_in(body: &str) -> Result<String, ParamError> {
    let map = object(body)?;
    reject_unknown(&map, &["api_key"])?;
    match map.get("api_key") {
        Some(Value::String(key)) if !key.trim().is_empty() => Ok(key.trim().to_owned()),
        None | Some(Value::Null | Value::String(_)) => Err(ParamError::new(
            ErrorCode::ParameterMissing,
            "api_key",
            "Send the secret key to sign in with as `api_key`.",
        )),
        Some(_) => Err(ParamError::new(
            ErrorCode::ParameterInvalid,
            "api_key",
            "api_key must be a string, e.g. \"sk_test_…\".",
        )),
    }
}

/// Whether the request reached us over https (then the cookie is `Secure`).
fn is_https(cx: &Cx<'_>) -> ApiResult<bool> {
    Ok(cx.req.url()?.scheme() == "https")
}

/// The `Set-Cookie` of a mode's console cookie: the token, or without one the cookie's
/// removal. A session cookie (no `Max-Age`): the browser drops it when it closes, and the
/// server ends it after 12 idle hours whatever the browser keeps.
fn set_cookie(livemode: bool, token: Option<&str>, secure: bool) -> String {
    let name = auth::cookie_name(livemode);
    let mut cookie = match token {
        Some(token) => format!("{name}={token}; Path=/; HttpOnly; SameSite=Strict"),
        None => format!("{name}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    };
    if secure {
        cookie.push_str("; Secure");
    }
    cookie
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_http_only_strict_and_secure_on_https() {
        assert_eq!(
            set_cookie(false, Some("tok"), false),
            "kasse_console_test=tok; Path=/; HttpOnly; SameSite=Strict"
        );
        assert_eq!(
            set_cookie(true, Some("tok"), true),
            "kasse_console_live=tok; Path=/; HttpOnly; SameSite=Strict; Secure"
        );
        let cleared = set_cookie(true, None, true);
        assert_eq!(
            cleared,
            "kasse_console_live=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Secure"
        );
        assert!(!set_cookie(false, Some("tok"), true).contains("Max-Age"));
    }

    #[test]
    fn a_sign_in_names_its_key_as_a_string() {
        assert_eq!(
            parse_sign_in(r#"{"api_key": " sk_test_abc "}"#)
                .ok()
                .as_deref(),
            Some("sk_test_abc")
        );
        let refused = |body: &str| {
            let e = parse_sign_in(body).expect_err(body);
            (e.code, e.param)
        };
        let param = Some("api_key".to_owned());
        assert_eq!(refused("{}"), (ErrorCode::ParameterMissing, param.clone()));
        assert_eq!(
            refused(r#"{"api_key": ""}"#),
            (ErrorCode::ParameterMissing, param.clone())
        );
        assert_eq!(
            refused(r#"{"api_key": null}"#),
            (ErrorCode::ParameterMissing, param.clone())
        );
        assert_eq!(
            refused(r#"{"api_key": 42}"#),
            (ErrorCode::ParameterInvalid, param)
        );
        assert_eq!(
            refused(r#"{"api_key": "sk_test_1", "mode": "live"}"#),
            (ErrorCode::ParameterUnknown, Some("mode".to_owned()))
        );
        assert_eq!(refused("{").0, ErrorCode::InvalidJson);
    }
}
