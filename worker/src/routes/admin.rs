//! The operator's account routes (admin token): `POST /v1/admin/accounts` creates a
//! merchant account and its first keys; `POST /v1/admin/accounts/{id}/xpubs` registers a
//! mode's xpub on an existing account and issues that mode's first keys. Each mode's Tron
//! xpub (m/44'/195'/n') is registered with its EVM xpub, or later with `POST /v1/account`.

use kasse_shared::account::Settings;
use kasse_shared::error_code::ErrorCode;
use kasse_shared::ids::AccountId;
use kasse_shared::params::{ParamError, object, reject_unknown};
use serde_json::{Map, Value, json};
use worker::Response;

use crate::accounts::{
    account_written, checked_tron_xpub, checked_xpub, first_keys, xpub_immutable,
};
use crate::entropy::Csprng;
use crate::error::{ApiError, ApiResult};
use crate::http::{Cx, json_response};
use crate::store::NewXpub;

fn xpub_param(
    map: &Map<String, Value>,
    param: &str,
    livemode: bool,
) -> Result<Option<NewXpub>, ParamError> {
    string_param(map, param)?
        .map(|xpub| checked_xpub(xpub, param, livemode))
        .transpose()
}

fn string_param<'a>(
    map: &'a Map<String, Value>,
    param: &str,
) -> Result<Option<&'a str>, ParamError> {
    match map.get(param) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ParamError::new(
            ErrorCode::ParameterInvalid,
            param,
            format!("{param} must be a string."),
        )),
    }
}

/// The Tron xpub `param` of `map`, registered with `xpub` (the same mode's EVM xpub, which
/// it needs: a session's Tron address is derived at its EVM address's index).
fn with_tron(
    map: &Map<String, Value>,
    param: &str,
    xpub: Option<&mut NewXpub>,
    evm_param: &str,
) -> Result<(), ParamError> {
    let Some(tron) = string_param(map, param)? else {
        return Ok(());
    };
    let Some(xpub) = xpub else {
        return Err(ParamError::new(
            ErrorCode::ParameterMissing,
            evm_param,
            format!(
                "{param} needs {evm_param}: a mode's Tron xpub is registered with its EVM xpub."
            ),
        ));
    };
    xpub.tron = Some(checked_tron_xpub(tron, param, Some(&xpub.node_id))?);
    Ok(())
}

/// Live and test mode derive from different wallet accounts, EVM and Tron alike: a test
/// session must never hand out an address the live books count.
fn distinct_modes(test: &NewXpub, live: &NewXpub) -> Result<(), ParamError> {
    let tron_node = |x: &NewXpub| x.tron.as_ref().map(|t| t.node_id.clone());
    let same_tron = tron_node(test).is_some() && tron_node(test) == tron_node(live);
    if test.node_id != live.node_id && !same_tron {
        return Ok(());
    }
    let param = if same_tron {
        "xpub_tron_live"
    } else {
        "xpub_live"
    };
    Err(ParamError::new(
        ErrorCode::XpubInUse,
        param,
        "Live and test mode must use different wallet accounts.",
    ))
}

pub(super) async fn create_account(cx: &mut Cx<'_>) -> ApiResult<Response> {
    cx.admin()?;
    let map = object(&cx.body().await?)?;
    reject_unknown(
        &map,
        &[
            "display_name",
            "xpub_test",
            "xpub_live",
            "xpub_tron_test",
            "xpub_tron_live",
        ],
    )?;
    let mut test = xpub_param(&map, "xpub_test", false)?;
    let mut live = xpub_param(&map, "xpub_live", true)?;
    with_tron(&map, "xpub_tron_test", test.as_mut(), "xpub_test")?;
    with_tron(&map, "xpub_tron_live", live.as_mut(), "xpub_live")?;
    if test.is_none() && live.is_none() {
        return Err(ParamError::new(
            ErrorCode::ParameterMissing,
            "xpub_test",
            "Give xpub_test, xpub_live or both.",
        )
        .into());
    }
    if let (Some(t), Some(l)) = (&test, &live) {
        distinct_modes(t, l)?;
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
    reject_unknown(&map, &["mode", "xpub", "xpub_tron"])?;
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
    let mut xpub = xpub_param(&map, "xpub", livemode)?.ok_or_else(|| {
        ParamError::new(
            ErrorCode::ParameterMissing,
            "xpub",
            "Give the xpub of the mode's wallet account.",
        )
    })?;
    with_tron(&map, "xpub_tron", Some(&mut xpub), "xpub")?;
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
            "xpub_tron": xpub.tron.as_ref().map(|t| &t.xpub),
            "created_at": now,
            // Shown once: only their SHA-256 hashes are stored.
            "keys": shown,
        }),
    ))
}
