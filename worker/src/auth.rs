//! Who is calling: API keys (hashed lookup) and the deployment's admin token.

use kasse_shared::account::{KeyKind, Settings, key_hash};
use worker::{Env, Request};

use crate::config;
use crate::error::{ApiError, ApiResult, ErrorType};
use crate::http::{bearer_token, constant_time_eq};
use crate::store::Store;

/// An authenticated API-key holder: one account in one mode.
pub struct Caller {
    pub account_id: String,
    pub livemode: bool,
    pub kind: KeyKind,
    pub settings: Settings,
}

pub async fn caller(req: &Request, store: &Store) -> ApiResult<Caller> {
    let key = bearer_token(req.headers()).ok_or_else(|| {
        ApiError::unauthenticated("Send your API key as `Authorization: Bearer sk_test_…`.")
    })?;
    if KeyKind::of_key(&key).is_none() {
        return Err(ApiError::unauthenticated(
            "That is not a Kasse API key (they start with sk_ or pk_).",
        ));
    }
    let row = store
        .key(&key_hash(&key))
        .await?
        .ok_or_else(|| ApiError::unauthenticated("Invalid API key provided."))?;
    let kind = if row.kind == "secret" {
        KeyKind::Secret
    } else {
        KeyKind::Publishable
    };
    let settings = serde_json::from_str(&row.settings).map_err(ApiError::internal)?;
    Ok(Caller {
        account_id: row.account_id,
        livemode: row.livemode != 0,
        kind,
        settings,
    })
}

/// A caller with a secret key; publishable keys may only start sessions from payment links.
pub async fn secret_caller(req: &Request, store: &Store) -> ApiResult<Caller> {
    let caller = caller(req, store).await?;
    if caller.kind != KeyKind::Secret {
        return Err(ApiError::new(
            403,
            ErrorType::PermissionError,
            "secret_key_required",
            "This request needs a secret key (sk_…); publishable keys may only create sessions from payment links.",
        ));
    }
    Ok(caller)
}

pub fn require_admin(req: &Request, env: &Env) -> ApiResult<()> {
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
