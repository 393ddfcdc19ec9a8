//! Who is calling: API keys (hashed lookup), the deployment's admin token, and a
//! session's client secret (the shopper's browser).

use kasse_shared::account::{KeyKind, Settings};
use kasse_shared::error_code::ErrorCode;
use kasse_shared::ids::{AccountId, SessionId};
use kasse_shared::session::Session;
use worker::{Env, Request};

use super::request::{bearer_token, constant_time_eq};
use crate::config;
use crate::error::{ApiError, ApiResult};
use crate::store::{KeyRow, Store};

/// The header a browser sends a session's client secret in.
pub(crate) const CLIENT_SECRET_HEADER: &str = "kasse-client-secret";

/// An authenticated API-key holder: one account in one mode.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub account_id: AccountId,
    pub livemode: bool,
    pub kind: KeyKind,
    pub settings: Settings,
}

/// The request's API key, if it sends one that looks like a Kasse key (not yet looked up).
pub(crate) fn api_key(req: &Request) -> ApiResult<String> {
    let key = bearer_token(req.headers()).ok_or_else(|| {
        ApiError::unauthenticated("Send your API key as `Authorization: Bearer sk_test_…`.")
    })?;
    if KeyKind::of_key(&key).is_none() {
        return Err(ApiError::unauthenticated(
            "That is not a Kasse API key (they start with sk_ or pk_).",
        ));
    }
    Ok(key)
}

/// The caller a key row names; an unknown or revoked key (no row) is a 401.
pub(crate) fn caller_of(row: Option<KeyRow>) -> ApiResult<Caller> {
    let row = row.ok_or_else(|| ApiError::unauthenticated("Invalid API key provided."))?;
    let settings = serde_json::from_str(&row.settings).map_err(ApiError::internal)?;
    Ok(Caller {
        account_id: row.account_id,
        livemode: row.livemode,
        kind: row.kind,
        settings,
    })
}

/// A caller with a secret key; publishable keys may only start sessions from payment links.
pub(crate) fn require_secret(caller: Caller) -> ApiResult<Caller> {
    if caller.kind != KeyKind::Secret {
        return Err(ApiError::forbidden(
            ErrorCode::SecretKeyRequired,
            "This request needs a secret key (sk_…); publishable keys may only create sessions from payment links.",
        ));
    }
    Ok(caller)
}

pub(crate) fn require_admin(req: &Request, env: &Env) -> ApiResult<()> {
    let expected = config::admin_token(env).ok_or_else(|| {
        ApiError::unauthenticated(
            "This deployment has no ADMIN_TOKEN; set it with `wrangler secret put ADMIN_TOKEN`.",
        )
    })?;
    let given = bearer_token(req.headers()).ok_or_else(|| {
        ApiError::unauthenticated("Send the admin token as `Authorization: Bearer <token>`.")
    })?;
    if constant_time_eq(given.as_bytes(), expected.as_bytes()) {
        Ok(())
    } else {
        Err(ApiError::unauthenticated("The admin token is not valid."))
    }
}

/// The client secret a browser sends; a request without one is a 401.
pub(crate) fn client_secret(req: &Request) -> ApiResult<String> {
    req.headers().get(CLIENT_SECRET_HEADER)?.ok_or_else(|| {
        ApiError::unauthenticated(
            "Send the session's client secret in the Kasse-Client-Secret header.",
        )
    })
}

/// The session `id` as its browser may see it (404 if missing): `given` must be its
/// client secret.
pub(crate) fn shopper_session(
    session: Option<Session>,
    id: &str,
    given: &str,
) -> ApiResult<Session> {
    let session = session.ok_or_else(|| ApiError::no_such("checkout session", id))?;
    check_client_secret(&session, given)?;
    Ok(session)
}

/// Whether `given` is the session's client secret (401 if not).
pub(crate) fn check_client_secret(session: &Session, given: &str) -> ApiResult<()> {
    if !constant_time_eq(given.as_bytes(), session.client_secret.as_bytes()) {
        return Err(ApiError::unauthenticated(
            "The client secret does not match this checkout session.",
        ));
    }
    Ok(())
}

/// The session a browser may see: the `Kasse-Client-Secret` header must be its client secret.
pub(crate) async fn public_session(req: &Request, store: &Store, id: &str) -> ApiResult<Session> {
    let Some(session_id) = SessionId::parse(id) else {
        return Err(ApiError::no_such("checkout session", id));
    };
    let given = client_secret(req)?;
    let session = store
        .session(&session_id)
        .await?
        .ok_or_else(|| ApiError::no_such("checkout session", id))?;
    check_client_secret(&session, &given)?;
    Ok(session)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: &str = "acct_000000000000000000000001";

    fn row(kind: KeyKind, livemode: bool) -> KeyRow {
        KeyRow {
            account_id: ACCOUNT.parse().unwrap(),
            livemode,
            kind,
            settings: serde_json::to_string(&Settings::default()).unwrap(),
        }
    }

    #[test]
    fn an_unknown_or_revoked_key_is_a_401() {
        let error = caller_of(None).expect_err("no row");
        assert_eq!((error.status, error.code), (401, ErrorCode::InvalidApiKey));
    }

    #[test]
    fn a_key_row_names_its_account_mode_and_kind() {
        let caller = caller_of(Some(row(KeyKind::Secret, true))).unwrap();
        assert_eq!(
            (caller.account_id.as_str(), caller.livemode, caller.kind),
            (ACCOUNT, true, KeyKind::Secret)
        );
        assert!(require_secret(caller).is_ok());
        let public = caller_of(Some(row(KeyKind::Publishable, false))).unwrap();
        assert_eq!(
            (public.livemode, public.kind),
            (false, KeyKind::Publishable)
        );
        let error = require_secret(public).expect_err("a publishable key");
        assert_eq!(
            (error.status, error.code),
            (403, ErrorCode::SecretKeyRequired)
        );
    }

    #[test]
    fn only_ids_of_sessions_can_name_a_public_session() {
        let random = "a".repeat(kasse_shared::ids::RANDOM_CHARS);
        let is_session_id = |id: &str| SessionId::parse(id).is_some();
        assert!(is_session_id(&format!("cs_test_{random}")));
        assert!(is_session_id(&format!("cs_live_{random}")));
        assert!(!is_session_id(&format!("cs_other_{random}")));
        assert!(!is_session_id(&format!("plink_{random}")));
        assert!(!is_session_id("cs_test_short"));
        assert!(!is_session_id(""));
    }
}
