//! The operator's account routes (admin token): `POST /v1/admin/accounts` creates a
//! merchant account and its first keys; `POST /v1/admin/accounts/{id}/xpubs` registers a
//! mode's xpub on an existing account and issues that mode's first keys.

use kasse_shared::account::{KeyKind, Settings, key_hash, redact};
use kasse_shared::params::{ParamError, object, reject_unknown};
use kasse_shared::hd::ExternalChain;
use kasse_shared::time::Timestamp;
use serde_json::{Map, Value, json};
use worker::{Date, Env, Request, Response};

use crate::auth::require_admin;
use crate::entropy;
use crate::error::{ApiError, ApiResult, ErrorType};
use crate::http::{body_text, json_response};
use crate::store::{AccountWrite, NewKey, NewXpub, Store};

fn xpub_param(
    map: &Map<String, Value>,
    param: &str,
    livemode: bool,
) -> Result<Option<NewXpub>, ParamError> {
    match map.get(param) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(xpub)) => checked_xpub(xpub, param, livemode).map(Some),
        Some(_) => Err(ParamError::new(
            "parameter_invalid",
            param,
            format!("{param} must be a string."),
        )),
    }
}

/// An xpub that derives addresses: depth 3 or 4, public version, good checksum.
pub(crate) fn checked_xpub(xpub: &str, param: &str, livemode: bool) -> Result<NewXpub, ParamError> {
    let chain = ExternalChain::from_xpub(xpub)
        .map_err(|e| ParamError::new("xpub_invalid", param, format!("{param}: {e}.")))?;
    Ok(NewXpub {
        livemode,
        xpub: xpub.trim().to_owned(),
        node_id: chain.node_id(),
    })
}

/// The answer to a second xpub for a mode: sessions already derive addresses from the first.
pub(crate) fn xpub_immutable(param: &str) -> ApiError {
    ApiError::new(
        409,
        ErrorType::InvalidRequestError,
        "xpub_immutable",
        "This mode's xpub is set and cannot change: sessions already derive addresses from it. Create a new account for another wallet.",
    )
    .with_param(param)
}

/// The answer to an account write the store refused for an xpub; `param` names the
/// request's xpub parameter where there is one.
pub(crate) fn account_written(write: AccountWrite, param: Option<&str>) -> ApiResult<()> {
    let error = match write {
        AccountWrite::Written => return Ok(()),
        AccountWrite::XpubInUse => ApiError::invalid(
            "xpub_in_use",
            "This xpub (or its external chain) is already registered to an account; use a dedicated wallet account.",
        ),
        AccountWrite::XpubSet => ApiError::new(
            409,
            ErrorType::InvalidRequestError,
            "xpub_immutable",
            "This mode already has an xpub; xpubs cannot be changed.",
        ),
    };
    Err(match param {
        Some(param) => error.with_param(param),
        None => error,
    })
}

/// A secret and a publishable key for `livemode`: the rows to store (hashes only) and
/// the keys to show once, named `sk_test`, `pk_test`, ….
pub(crate) fn first_keys(livemode: bool, shown: &mut Map<String, Value>) -> Vec<NewKey> {
    [KeyKind::Secret, KeyKind::Publishable]
        .into_iter()
        .map(|kind| {
            let (row, key) = new_key(kind, livemode);
            shown.insert(
                kind.prefix(livemode).trim_end_matches('_').to_owned(),
                Value::String(key),
            );
            row
        })
        .collect()
}

/// A fresh key: its row (hash and redacted form) and the key itself, to show once.
pub(crate) fn new_key(kind: KeyKind, livemode: bool) -> (NewKey, String) {
    let key = entropy::token(kind.prefix(livemode), 32);
    let row = NewKey {
        id: entropy::id("key_"),
        livemode,
        kind,
        hash: key_hash(&key),
        redacted: redact(&key),
    };
    (row, key)
}

pub async fn create_account(mut req: Request, env: &Env) -> ApiResult<Response> {
    require_admin(&req, env)?;
    let map = object(&body_text(&mut req).await?)?;
    reject_unknown(&map, &["display_name", "xpub_test", "xpub_live"])?;
    let test = xpub_param(&map, "xpub_test", false)?;
    let live = xpub_param(&map, "xpub_live", true)?;
    if test.is_none() && live.is_none() {
        return Err(ParamError::new(
            "parameter_missing",
            "xpub_test",
            "Give xpub_test, xpub_live or both.",
        )
        .into());
    }
    if let (Some(t), Some(l)) = (&test, &live)
        && t.node_id == l.node_id
    {
        return Err(ParamError::new(
            "xpub_in_use",
            "xpub_live",
            "Live and test mode must use different wallet accounts.",
        )
        .into());
    }
    let mut settings = Settings::default();
    match map.get("display_name") {
        None | Some(Value::Null) => {}
        Some(Value::String(name)) if !name.is_empty() && name.chars().count() <= 100 => {
            settings.branding.display_name = name.clone()
        }
        Some(_) => {
            return Err(ParamError::new(
                "parameter_invalid",
                "display_name",
                "display_name must be 1–100 characters.",
            )
            .into());
        }
    }

    let account_id = entropy::id("acct_");
    let mut keys = Vec::new();
    let mut shown = Map::new();
    for xpub in test.iter().chain(live.iter()) {
        keys.extend(first_keys(xpub.livemode, &mut shown));
    }
    let xpubs: Vec<NewXpub> = test.into_iter().chain(live).collect();
    let now = Timestamp::from_unix_millis(Date::now().as_millis()).to_string();
    let write = Store::new(env)?
        .create_account(&account_id, &settings, &xpubs, &keys, &now)
        .await?;
    account_written(write, None)?;
    Ok(json_response(
        200,
        &json!({
            "object": "account",
            "id": account_id,
            "display_name": settings.branding.display_name,
            "livemode_enabled": xpubs.iter().any(|x| x.livemode),
            "testmode_enabled": xpubs.iter().any(|x| !x.livemode),
            "created_at": now,
            // Shown once: only their SHA-256 hashes are stored.
            "keys": shown,
        }),
    ))
}

/// `POST /v1/admin/accounts/{id}/xpubs {mode, xpub}`: registers the xpub of a mode that has
/// none yet and returns that mode's first secret and publishable keys, once. This is how
/// an account created for test mode gets live mode: test keys cannot register a live xpub.
pub async fn add_xpub(mut req: Request, env: &Env, account_id: &str) -> ApiResult<Response> {
    require_admin(&req, env)?;
    let store = Store::new(env)?;
    if !store.account_exists(account_id).await? {
        return Err(
            ApiError::not_found(format!("No such account: '{account_id}'.")).with_param("id"),
        );
    }
    let map = object(&body_text(&mut req).await?)?;
    reject_unknown(&map, &["mode", "xpub"])?;
    let livemode = match map.get("mode") {
        Some(Value::String(mode)) if mode == "live" => true,
        Some(Value::String(mode)) if mode == "test" => false,
        None | Some(Value::Null) => {
            return Err(ParamError::new(
                "parameter_missing",
                "mode",
                "Give mode: \"live\" or \"test\".",
            )
            .into());
        }
        Some(_) => {
            return Err(ParamError::new(
                "parameter_invalid",
                "mode",
                "mode must be \"live\" or \"test\".",
            )
            .into());
        }
    };
    let xpub = xpub_param(&map, "xpub", livemode)?.ok_or_else(|| {
        ParamError::new(
            "parameter_missing",
            "xpub",
            "Give the xpub of the mode's wallet account.",
        )
    })?;
    if store.xpub(account_id, livemode).await?.is_some() {
        return Err(xpub_immutable("xpub"));
    }
    let mut shown = Map::new();
    let keys = first_keys(livemode, &mut shown);
    let now = Timestamp::from_unix_millis(Date::now().as_millis()).to_string();
    let write = store.add_xpub(account_id, &xpub, &keys, &now).await?;
    account_written(write, Some("xpub"))?;
    Ok(json_response(
        200,
        &json!({
            "object": "account",
            "id": account_id,
            "livemode": livemode,
            "xpub": xpub.xpub,
            "created_at": now,
            // Shown once: only their SHA-256 hashes are stored.
            "keys": shown,
        }),
    ))
}
