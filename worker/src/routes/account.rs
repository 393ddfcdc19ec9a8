//! `/v1/account` (settings) and `/v1/api_keys` (secret key of the account).

use kasse_shared::account::{KeyKind, Settings, parse_update};
use kasse_shared::params::{ParamError, object, reject_unknown};
use kasse_shared::time::Timestamp;
use serde_json::{Map, Value, json};
use worker::{Date, Env, Request, Response};

use super::admin::{account_written, checked_xpub, first_keys, new_key, xpub_immutable};
use crate::auth::{Caller, secret_caller};
use crate::config;
use crate::error::{ApiError, ApiResult, ErrorType};
use crate::http::{body_text, json_response};
use crate::store::{KeyInfo, Store};

fn now() -> String {
    Timestamp::from_unix_millis(Date::now().as_millis()).to_string()
}

/// The account as the caller's mode sees it: that mode's settings at the top level (the
/// shape `POST` takes), that mode's xpub and how many addresses it has handed out. Nothing
/// of the other mode: a test key never learns the live xpub or settings.
async fn account_object(store: &Store, caller: &Caller) -> ApiResult<Value> {
    let row = store
        .account(&caller.account_id, caller.livemode)
        .await?
        .ok_or_else(|| ApiError::internal("the caller's account is missing"))?;
    let settings: Settings = serde_json::from_str(&row.settings).map_err(ApiError::internal)?;
    let mut object = match serde_json::to_value(&settings).map_err(ApiError::internal)? {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let mut out = Map::new();
    out.insert("id".into(), json!(caller.account_id));
    out.insert("object".into(), json!("account"));
    out.insert("livemode".into(), json!(caller.livemode));
    out.append(&mut object);
    let xpub = store.xpub(&caller.account_id, caller.livemode).await?;
    let name = if caller.livemode { "live" } else { "test" };
    out.insert(
        format!("xpub_{name}"),
        xpub.as_ref().map_or(Value::Null, |x| json!(x.xpub)),
    );
    out.insert(
        format!("addresses_issued_{name}"),
        json!(xpub.map_or(0, |x| x.next_index)),
    );
    out.insert("created_at".into(), json!(row.created_at));
    out.insert("updated_at".into(), json!(row.updated_at));
    Ok(Value::Object(out))
}

pub async fn retrieve(req: Request, env: &Env) -> ApiResult<Response> {
    let store = Store::new(env)?;
    let caller = secret_caller(&req, &store).await?;
    Ok(json_response(200, &account_object(&store, &caller).await?))
}

/// `POST /v1/account`: the settings of the caller's mode, and that mode's xpub if it has
/// none yet (which also issues that mode's first keys, shown once in `keys`). A key acts on
/// its own mode only: the other mode's xpub is refused (403) and nothing is written. An
/// xpub that is set never changes.
pub async fn update(mut req: Request, env: &Env) -> ApiResult<Response> {
    let store = Store::new(env)?;
    let caller = secret_caller(&req, &store).await?;
    let update = parse_update(
        &body_text(&mut req).await?,
        &caller.settings,
        config::catalogue(),
    )?;
    if let Some(param) = update.other_mode_xpub(caller.livemode) {
        let (mine, other) = if caller.livemode {
            ("Live", "test")
        } else {
            ("Test", "live")
        };
        return Err(ApiError::new(
            403,
            ErrorType::PermissionError,
            "livemode_mismatch",
            format!("{mine} keys act on {} mode only: {param} belongs to {other} mode. The operator registers a mode's xpub (POST /v1/admin/accounts/{{id}}/xpubs).", mine.to_ascii_lowercase()),
        )
        .with_param(param));
    }
    let (given, param) = update.own_xpub(caller.livemode);
    let mut xpub = None;
    if let Some(given) = given {
        match store.xpub(&caller.account_id, caller.livemode).await? {
            Some(x) if x.xpub == given => {}
            Some(_) => return Err(xpub_immutable(param)),
            None => xpub = Some(checked_xpub(given, param, caller.livemode)?),
        }
    }
    let mut shown = Map::new();
    let keys = match &xpub {
        Some(x) => first_keys(x.livemode, &mut shown),
        None => Vec::new(),
    };
    let write = store
        .update_account(
            &caller.account_id,
            caller.livemode,
            &update.settings,
            xpub.as_ref(),
            &keys,
            &now(),
        )
        .await?;
    account_written(write, Some(param))?;
    let mut object = account_object(&store, &caller).await?;
    if !shown.is_empty()
        && let Value::Object(map) = &mut object
    {
        // Shown once: only their SHA-256 hashes are stored.
        map.insert("keys".into(), Value::Object(shown));
    }
    Ok(json_response(200, &object))
}

fn key_object(key: &KeyInfo) -> Value {
    json!({
        "id": key.id,
        "object": "api_key",
        "kind": key.kind,
        "livemode": key.livemode != 0,
        "redacted": key.redacted,
        "created_at": key.created_at,
        "revoked_at": key.revoked_at,
    })
}

/// `GET /v1/api_keys`: the keys of the caller's mode, redacted.
pub async fn list(req: Request, env: &Env) -> ApiResult<Response> {
    let store = Store::new(env)?;
    let caller = secret_caller(&req, &store).await?;
    let data: Vec<Value> = store
        .keys(&caller.account_id, caller.livemode)
        .await?
        .iter()
        .map(key_object)
        .collect();
    Ok(json_response(
        200,
        &json!({"object": "list", "data": data, "has_more": false, "url": "/v1/api_keys"}),
    ))
}

/// `POST /v1/api_keys {"kind": "secret" | "publishable"}`: a new key in the caller's mode,
/// shown once.
pub async fn create(mut req: Request, env: &Env) -> ApiResult<Response> {
    let store = Store::new(env)?;
    let caller = secret_caller(&req, &store).await?;
    let map = object(&body_text(&mut req).await?)?;
    reject_unknown(&map, &["kind"])?;
    let kind = match map.get("kind").and_then(Value::as_str) {
        Some("secret") => KeyKind::Secret,
        Some("publishable") => KeyKind::Publishable,
        _ => {
            return Err(ParamError::new(
                "parameter_invalid",
                "kind",
                "kind must be \"secret\" or \"publishable\".",
            )
            .into());
        }
    };
    let (row, key) = new_key(kind, caller.livemode);
    let now = now();
    store.insert_key(&caller.account_id, &row, &now).await?;
    let info = KeyInfo {
        id: row.id,
        kind: kind.as_str().into(),
        livemode: u8::from(caller.livemode),
        redacted: row.redacted,
        created_at: now,
        revoked_at: None,
    };
    let mut object = key_object(&info);
    object["key"] = Value::String(key);
    Ok(json_response(200, &object))
}

/// `POST /v1/api_keys/{id}/revoke`: at once (keys are looked up in D1 on every request).
/// Revoking twice returns the key unchanged; the mode's last secret key stays.
pub async fn revoke(mut req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let store = Store::new(env)?;
    let caller = secret_caller(&req, &store).await?;
    let body = body_text(&mut req).await?;
    if !body.trim().is_empty() {
        reject_unknown(&object(&body)?, &[])?;
    }
    let find = |keys: Vec<KeyInfo>| keys.into_iter().find(|k| k.id == id);
    let key = find(store.keys(&caller.account_id, caller.livemode).await?)
        .ok_or_else(|| ApiError::not_found(format!("No such API key: '{id}'.")).with_param("id"))?;
    if key.revoked_at.is_none()
        && !store
            .revoke_key(&caller.account_id, caller.livemode, id, &now())
            .await?
    {
        return Err(ApiError::new(
            409,
            ErrorType::InvalidRequestError,
            "last_secret_key",
            "This is the last active secret key of this mode; create another secret key first.",
        ));
    }
    let key = find(store.keys(&caller.account_id, caller.livemode).await?)
        .ok_or_else(|| ApiError::internal("revoked key disappeared"))?;
    Ok(json_response(200, &key_object(&key)))
}
