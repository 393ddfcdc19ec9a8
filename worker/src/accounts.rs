//! Accounts and their keys, shared by the operator's routes and the merchant's own: a
//! checked xpub, a mode's first keys, a fresh key, and what an account write that the
//! store refused means for the client.

use kasse_shared::account::{KeyKind, key_hash, redact};
use kasse_shared::error_code::ErrorCode;
use kasse_shared::hd::{ExternalChain, XpubError};
use kasse_shared::ids::KeyId;
use kasse_shared::params::ParamError;
use serde_json::{Map, Value};

use crate::entropy::{self, Csprng};
use crate::error::{ApiError, ApiResult};
use crate::store::{AccountWrite, NewKey, NewXpub, TronXpub};

/// An xpub that derives addresses: depth 3 or 4, public version, good checksum.
pub(crate) fn checked_xpub(xpub: &str, param: &str, livemode: bool) -> Result<NewXpub, ParamError> {
    let chain = ExternalChain::from_xpub(xpub)
        .map_err(|e| ParamError::new(ErrorCode::XpubInvalid, param, format!("{param}: {e}.")))?;
    Ok(NewXpub {
        livemode,
        xpub: xpub.trim().to_owned(),
        node_id: chain.node_id(),
        tron: None,
    })
}

/// A Tron xpub that derives addresses: the account-level key of m/44'/195'/n' (depth 3) or
/// its external chain (depth 4), public version, good checksum. It must not be the mode's
/// EVM xpub (`evm_node`): Tron wallets show the addresses of m/44'/195', not m/44'/60'.
pub(crate) fn checked_tron_xpub(
    xpub: &str,
    param: &str,
    evm_node: Option<&str>,
) -> Result<TronXpub, ParamError> {
    let invalid = |message: String| ParamError::new(ErrorCode::XpubInvalid, param, message);
    let chain = ExternalChain::from_xpub(xpub).map_err(|e| match e {
        XpubError::UnsupportedDepth(d) => invalid(format!(
            "{param}: the xpub is at depth {d}; use the account-level key (m/44'/195'/0', depth 3) or its external chain (m/44'/195'/0'/0, depth 4)."
        )),
        e => invalid(format!("{param}: {e}.")),
    })?;
    let node_id = chain.node_id();
    if evm_node == Some(node_id.as_str()) {
        return Err(invalid(format!(
            "{param} is this mode's EVM xpub; export the Tron account's xpub (m/44'/195'/0') from the wallet."
        )));
    }
    Ok(TronXpub {
        xpub: xpub.trim().to_owned(),
        node_id,
    })
}

/// The answer to a second xpub for a mode: sessions already derive addresses from the first.
pub(crate) fn xpub_immutable(param: &str) -> ApiError {
    ApiError::conflict(
        ErrorCode::XpubImmutable,
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
            ErrorCode::XpubInUse,
            "This xpub (or its external chain) is already registered to an account; use a dedicated wallet account.",
        ),
        AccountWrite::XpubSet => ApiError::conflict(
            ErrorCode::XpubImmutable,
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
        id: KeyId::generate(&mut Csprng),
        livemode,
        kind,
        hash: key_hash(&key),
        redacted: redact(&key),
    };
    (row, key)
}
