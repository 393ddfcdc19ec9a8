//! `/v1/account` (settings) and `/v1/api_keys` (secret key of the account).

use kasse_shared::account::{AccountUpdate, KeyKind, Settings, parse_update};
use kasse_shared::error_code::ErrorCode;
use kasse_shared::hd::ExternalChain;
use kasse_shared::params::{ParamError, object, reject_unknown};
use serde_json::{Map, Value, json};
use worker::Response;

use crate::accounts::{
    account_written, checked_tron_xpub, checked_xpub, first_keys, new_key, xpub_immutable,
};
use crate::config;
use crate::error::{ApiError, ApiResult};
use crate::http::auth::Caller;
use crate::http::{Cx, json_response, list_response};
use crate::store::{KeyInfo, NewXpub, Store, TronXpub, XpubRow};

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
        format!("xpub_tron_{name}"),
        json!(xpub.as_ref().and_then(|x| x.xpub_tron.as_ref())),
    );
    out.insert(
        format!("addresses_issued_{name}"),
        json!(xpub.map_or(0, |x| x.next_index)),
    );
    out.insert("created_at".into(), json!(row.created_at));
    out.insert("updated_at".into(), json!(row.updated_at));
    Ok(Value::Object(out))
}

pub(super) async fn retrieve(cx: &mut Cx<'_>) -> ApiResult<Response> {
    let caller = cx.secret().await?;
    Ok(json_response(
        200,
        &account_object(&cx.store, &caller).await?,
    ))
}

/// `POST /v1/account`: the settings of the caller's mode, and that mode's xpub if it has
/// none yet (which also issues that mode's first keys, shown once in `keys`). A key acts on
/// its own mode only: the other mode's xpub is refused (403) and nothing is written. An
/// xpub that is set never changes.
pub(super) async fn update(cx: &mut Cx<'_>) -> ApiResult<Response> {
    let caller = cx.secret().await?;
    let update = parse_update(&cx.body().await?, &caller.settings, config::catalogue())?;
    if let Some(param) = update.other_mode_xpub(caller.livemode) {
        let (mine, other) = if caller.livemode {
            ("Live", "test")
        } else {
            ("Test", "live")
        };
        return Err(ApiError::forbidden(
            ErrorCode::LivemodeMismatch,
            format!("{mine} keys act on {} mode only: {param} belongs to {other} mode. The operator registers a mode's xpub (POST /v1/admin/accounts/{{id}}/xpubs).", mine.to_ascii_lowercase()),
        )
        .with_param(param));
    }
    let (given, param) = update.own_xpub(caller.livemode);
    let stored = cx.store.xpub(&caller.account_id, caller.livemode).await?;
    let mut xpub = None;
    if let Some(given) = given {
        match &stored {
            Some(x) if x.xpub == given => {}
            Some(_) => return Err(xpub_immutable(param)),
            None => xpub = Some(checked_xpub(given, param, caller.livemode)?),
        }
    }
    let tron = tron_update(&update, caller.livemode, stored.as_ref(), xpub.as_ref())?;
    let mut shown = Map::new();
    let keys = match &xpub {
        Some(x) => first_keys(x.livemode, &mut shown),
        None => Vec::new(),
    };
    let write = cx
        .store
        .update_account(
            &caller.account_id,
            caller.livemode,
            &update.settings,
            xpub.as_ref(),
            tron.as_ref(),
            &keys,
            cx.now,
        )
        .await?;
    account_written(write, Some(param))?;
    if let Some(tron) = &tron {
        tron_written(&cx.store, &caller, &tron.xpub).await?;
    }
    let mut object = account_object(&cx.store, &caller).await?;
    if !shown.is_empty()
        && let Value::Object(map) = &mut object
    {
        // Shown once: only their SHA-256 hashes are stored.
        map.insert("keys".into(), Value::Object(shown));
    }
    Ok(json_response(200, &object))
}

/// The Tron xpub an update registers for the caller's mode: none when it sends none or the
/// one already set; refused when the mode has another one, or no EVM xpub (`stored`, or
/// `new` in the same update) to share its derivation index with.
fn tron_update(
    update: &AccountUpdate,
    livemode: bool,
    stored: Option<&XpubRow>,
    new: Option<&NewXpub>,
) -> ApiResult<Option<TronXpub>> {
    let (Some(given), param) = update.own_tron_xpub(livemode) else {
        return Ok(None);
    };
    let evm = match (stored, new) {
        (Some(row), _) => {
            match &row.xpub_tron {
                Some(set) if set == given => return Ok(None),
                Some(_) => return Err(xpub_immutable(param)),
                None => {}
            }
            ExternalChain::from_xpub(&row.xpub)
                .map(|c| c.node_id())
                .map_err(ApiError::internal)?
        }
        (None, Some(new)) => new.node_id.clone(),
        (None, None) => {
            let evm = update.own_xpub(livemode).1;
            return Err(ParamError::new(
                ErrorCode::ParameterMissing,
                evm,
                format!("{param} needs this mode's EVM xpub ({evm}) first: a session's Tron address is derived at its EVM address's index."),
            )
            .into());
        }
    };
    Ok(Some(checked_tron_xpub(given, param, Some(&evm))?))
}

/// After the write: the mode's Tron xpub is `given`, or a concurrent update set another
/// one first and this one is refused.
async fn tron_written(store: &Store, caller: &Caller, given: &str) -> ApiResult<()> {
    let stored = store.xpub(&caller.account_id, caller.livemode).await?;
    if stored.and_then(|x| x.xpub_tron).as_deref() == Some(given) {
        Ok(())
    } else {
        let param = if caller.livemode {
            "xpub_tron_live"
        } else {
            "xpub_tron_test"
        };
        Err(xpub_immutable(param))
    }
}

fn key_object(key: &KeyInfo) -> Value {
    json!({
        "id": key.id,
        "object": "api_key",
        "kind": key.kind,
        "livemode": key.livemode,
        "redacted": key.redacted,
        "created_at": key.created_at,
        "revoked_at": key.revoked_at,
    })
}

/// `GET /v1/api_keys`: the keys of the caller's mode, redacted.
pub(super) async fn list(cx: &mut Cx<'_>) -> ApiResult<Response> {
    let caller = cx.secret().await?;
    let data: Vec<Value> = cx
        .store
        .keys(&caller.account_id, caller.livemode)
        .await?
        .iter()
        .map(key_object)
        .collect();
    list_response("/v1/api_keys", &data, false)
}

/// `POST /v1/api_keys {"kind": "secret" | "publishable"}`: a new key in the caller's mode,
/// shown once.
pub(super) async fn create(cx: &mut Cx<'_>) -> ApiResult<Response> {
    let caller = cx.secret().await?;
    let map = object(&cx.body().await?)?;
    reject_unknown(&map, &["kind"])?;
    let kind = match map.get("kind").and_then(Value::as_str) {
        Some("secret") => KeyKind::Secret,
        Some("publishable") => KeyKind::Publishable,
        _ => {
            return Err(ParamError::new(
                ErrorCode::ParameterInvalid,
                "kind",
                "kind must be \"secret\" or \"publishable\".",
            )
            .into());
        }
    };
    let (row, key) = new_key(kind, caller.livemode);
    cx.store
        .insert_key(&caller.account_id, &row, cx.now)
        .await?;
    let info = KeyInfo {
        id: row.id,
        kind,
        livemode: caller.livemode,
        redacted: row.redacted,
        created_at: cx.now,
        revoked_at: None,
    };
    let mut object = key_object(&info);
    object["key"] = Value::String(key);
    Ok(json_response(200, &object))
}

/// `POST /v1/api_keys/{id}/revoke`: at once (keys are looked up in D1 on every request).
/// Revoking twice returns the key unchanged; the mode's last secret key stays.
pub(super) async fn revoke(cx: &mut Cx<'_>, id: &str) -> ApiResult<Response> {
    let caller = cx.secret().await?;
    let body = cx.body().await?;
    if !body.trim().is_empty() {
        reject_unknown(&object(&body)?, &[])?;
    }
    let store = &cx.store;
    let find = |keys: Vec<KeyInfo>| keys.into_iter().find(|k| k.id == id);
    let key = find(store.keys(&caller.account_id, caller.livemode).await?)
        .ok_or_else(|| ApiError::no_such("API key", id))?;
    if key.revoked_at.is_none()
        && !store
            .revoke_key(&caller.account_id, caller.livemode, &key.id, cx.now)
            .await?
    {
        return Err(ApiError::conflict(
            ErrorCode::LastSecretKey,
            "This is the last active secret key of this mode; create another secret key first.",
        ));
    }
    let key = find(store.keys(&caller.account_id, caller.livemode).await?)
        .ok_or_else(|| ApiError::internal("revoked key disappeared"))?;
    Ok(json_response(200, &key_object(&key)))
}
