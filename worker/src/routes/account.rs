//! `/v1/account` (settings) and `/v1/api_keys` (secret key of the account).

use kasse_shared::account::{KeyKind, Settings, parse_update};
use kasse_shared::api::ParamError;
use kasse_shared::api::create::{object, reject_unknown};
use kasse_shared::time::Timestamp;
use serde_json::{Map, Value, json};
use worker::{Date, Env, Request, Response};

use super::admin::{checked_xpub, first_keys, new_key};
use crate::auth::{Caller, secret_caller};
use crate::config;
use crate::error::{ApiError, ApiResult, ErrorType};
use crate::http::{body_text, json_response};
use crate::store::{KeyInfo, NewXpub, Store};

fn now() -> String {
    Timestamp::from_unix_millis(Date::now().as_millis()).to_string()
}

/// The account as its owner sees it: settings at the top level (the shape `POST` takes),
/// each mode's xpub and how many addresses it has handed out.
async fn account_object(store: &Store, caller: &Caller) -> ApiResult<Value> {
    let row = store
        .account(&caller.account_id)
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
    out.append(&mut object);
    let xpubs = store.xpubs(&caller.account_id).await?;
    for livemode in [false, true] {
        let xpub = xpubs.iter().find(|x| (x.livemode != 0) == livemode);
        let name = if livemode { "live" } else { "test" };
        out.insert(
            format!("xpub_{name}"),
            xpub.as_ref().map_or(Value::Null, |x| json!(x.xpub)),
        );
        out.insert(
            format!("addresses_issued_{name}"),
            json!(xpub.map_or(0, |x| x.next_index)),
        );
    }
    out.insert("created_at".into(), json!(row.created_at));
    out.insert("updated_at".into(), json!(row.updated_at));
    Ok(Value::Object(out))
}

pub async fn retrieve(req: Request, env: &Env) -> ApiResult<Response> {
    let store = Store::new(env)?;
    let caller = secret_caller(&req, &store).await?;
    Ok(json_response(200, &account_object(&store, &caller).await?))
}

/// `POST /v1/account`: settings (either mode's secret key: they are the account's), and
/// an xpub for a mode that has none yet, which also issues that mode's first keys, shown
/// once in `keys`. An xpub that is set never changes.
pub async fn update(mut req: Request, env: &Env) -> ApiResult<Response> {
    let store = Store::new(env)?;
    let caller = secret_caller(&req, &store).await?;
    let update = parse_update(
        &body_text(&mut req).await?,
        &caller.settings,
        config::catalogue(),
    )?;
    let existing = store.xpubs(&caller.account_id).await?;
    let mut xpubs: Vec<NewXpub> = Vec::new();
    for (given, livemode, param) in [
        (&update.xpub_test, false, "xpub_test"),
        (&update.xpub_live, true, "xpub_live"),
    ] {
        let Some(given) = given else { continue };
        match existing.iter().find(|x| (x.livemode != 0) == livemode) {
            Some(x) if x.xpub == *given => {}
            Some(_) => {
                return Err(ParamError::new(
                    "xpub_immutable",
                    param,
                    format!("This account's {param} is set and cannot change: sessions already derive addresses from it. Create a new account for another wallet."),
                )
                .into());
            }
            None => xpubs.push(checked_xpub(given, param, livemode)?),
        }
    }
    let mut shown = Map::new();
    let keys: Vec<_> = xpubs
        .iter()
        .flat_map(|x| first_keys(x.livemode, &mut shown))
        .collect();
    store
        .update_account(&caller.account_id, &update.settings, &xpubs, &keys, &now())
        .await?;
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
