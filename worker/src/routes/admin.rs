//! The operator's account routes (admin token): `POST /v1/admin/accounts` creates a
//! merchant account and its first keys; `POST /v1/admin/accounts/{id}/xpubs` registers a
//! mode's xpub on an existing account and issues that mode's first keys.

use kasse_shared::account::Settings;
use kasse_shared::error_code::ErrorCode;
use kasse_shared::ids::AccountId;
use kasse_shared::params::{ParamError, object, reject_unknown};
use serde_json::{Map, Value, json};
use worker::Response;

use crate::accounts::{account_written, checked_xpub, first_keys, xpub_immutable};
use crate::entropy::Csprng;
use crate::error::{ApiError, ApiResult};
use crate::http::{Cx, json_response};
use crate::store::NewXpub;

fn xpub_param(
    map: &Map<String, Value>,
    param: &str,
    livemode: bool,
) -> Result<Option<NewXpub>, ParamError> {
    match map.get(param) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(xpub)) => checked_xpub(xpub, param, livemode).map(Some),
        Some(_) => Err(ParamError::new(
            ErrorCode::ParameterInvalid,
            param,
            format!("{param} must be a string."),
        )),
    }
}

pub(super) async fn create_account(cx: &mut Cx<'_>) -> ApiResult<Response> {
    cx.admin()?;
    let map = object(&cx.body().await?)?;
    reject_unknown(&map, &["display_name", "xpub_test", "xpub_live"])?;
    let test = xpub_param(&map, "xpub_test", false)?;
    let live = xpub_param(&map, "xpub_live", true)?;
    if test.is_none() && live.is_none() {
        return Err(ParamError::new(
            ErrorCode::ParameterMissing,
            "xpub_test",
            "Give xpub_test, xpub_live or both.",
        )
        .into());
    }
    if let (Some(t), Some(l)) = (&test, &live)
        && t.node_id == l.node_id
    {
        return Err(ParamError::new(
            ErrorCode::XpubInUse,
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
                ErrorCode::ParameterInvalid,
                "display_name",
                "display_name must be 1–100 characters.",
            )
            .into());
        }
    }

    let account_id = AccountId::generate(&mut Csprng);
    let mut keys = Vec::new();
    let mut shown = Map::new();
    for xpub in test.iter().chain(live.iter()) {
        keys.extend(first_keys(xpub.livemode, &mut shown));
    }
    let xpubs: Vec<NewXpub> = test.into_iter().chain(live).collect();
    let now = cx.now;
    let write = cx
        .store
        .create_account(&account_id, &settings, &xpubs, &keys, now)
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
pub(super) async fn add_xpub(cx: &mut Cx<'_>, id: &str) -> ApiResult<Response> {
    cx.admin()?;
    let account_id = match AccountId::parse(id) {
        Some(account_id) if cx.store.account_exists(&account_id).await? => account_id,
        _ => return Err(ApiError::no_such("account", id)),
    };
    let account_id = &account_id;
    let map = object(&cx.body().await?)?;
    reject_unknown(&map, &["mode", "xpub"])?;
    let livemode = match map.get("mode") {
        Some(Value::String(mode)) if mode == "live" => true,
        Some(Value::String(mode)) if mode == "test" => false,
        None | Some(Value::Null) => {
            return Err(ParamError::new(
                ErrorCode::ParameterMissing,
                "mode",
                "Give mode: \"live\" or \"test\".",
            )
            .into());
        }
        Some(_) => {
            return Err(ParamError::new(
                ErrorCode::ParameterInvalid,
                "mode",
                "mode must be \"live\" or \"test\".",
            )
            .into());
        }
    };
    let xpub = xpub_param(&map, "xpub", livemode)?.ok_or_else(|| {
        ParamError::new(
            ErrorCode::ParameterMissing,
            "xpub",
            "Give the xpub of the mode's wallet account.",
        )
    })?;
    if cx.store.xpub(account_id, livemode).await?.is_some() {
        return Err(xpub_immutable("xpub"));
    }
    let mut shown = Map::new();
    let keys = first_keys(livemode, &mut shown);
    let now = cx.now;
    let write = cx.store.add_xpub(account_id, &xpub, &keys, now).await?;
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
