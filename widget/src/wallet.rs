//! The browser wallet (EIP-1193 `window.ethereum`): accounts, the chain, the transfer. The
//! server prepared the transaction fields (`wallet_transaction`), so nothing here encodes
//! calldata or handles U256.

use js_sys::{Array, Function, Object, Promise, Reflect};
use kasse_shared::shopper::WalletTransaction;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::strings as s;

/// `window.ethereum`, if the browser has a wallet.
fn provider() -> Option<Object> {
    let window = web_sys::window()?;
    Reflect::get(&window, &"ethereum".into())
        .ok()
        .filter(|p| p.is_object())
        .map(JsCast::unchecked_into)
}

pub fn available() -> bool {
    provider().is_some()
}

/// EIP-1193 error codes: the user rejected; the chain is unknown to the wallet.
const USER_REJECTED: i32 = 4001;

async fn request(provider: &Object, method: &str, params: Array) -> Result<JsValue, JsValue> {
    let args = Object::new();
    Reflect::set(&args, &"method".into(), &method.into())?;
    Reflect::set(&args, &"params".into(), &params)?;
    let call: Function = Reflect::get(provider, &"request".into())?.dyn_into()?;
    let promise: Promise = call.call1(provider, &args)?.dyn_into()?;
    JsFuture::from(promise).await
}

fn code_of(error: &JsValue) -> Option<i32> {
    Reflect::get(error, &"code".into())
        .ok()?
        .as_f64()
        .filter(|c| c.fract() == 0.0 && c.abs() < 1e6)
        .map(|c| {
            #[expect(clippy::cast_possible_truncation, reason = "an integral error code")]
            let code = c as i32;
            code
        })
}

fn object(pairs: &[(&str, &str)]) -> Result<Object, JsValue> {
    let o = Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &(*k).into(), &(*v).into())?;
    }
    Ok(o)
}

/// Asks the wallet to send `tx`: accounts, then the chain (switching if needed), then
/// `eth_sendTransaction`. Returns the transaction hash, or what to tell the shopper.
pub async fn pay(tx: &WalletTransaction) -> Result<String, &'static str> {
    let provider = provider().ok_or(s::WALLET_FAILED)?;
    let rejected = |e: &JsValue| {
        if code_of(e) == Some(USER_REJECTED) {
            s::WALLET_REJECTED
        } else {
            s::WALLET_FAILED
        }
    };
    let accounts = request(&provider, "eth_requestAccounts", Array::new())
        .await
        .map_err(|e| rejected(&e))?;
    let from = Array::from(&accounts)
        .get(0)
        .as_string()
        .ok_or(s::WALLET_NO_ACCOUNT)?;
    let chain = request(&provider, "eth_chainId", Array::new())
        .await
        .map_err(|e| rejected(&e))?
        .as_string()
        .unwrap_or_default();
    if !chain.eq_ignore_ascii_case(&tx.chain_id_hex) {
        let target = object(&[("chainId", &tx.chain_id_hex)]).map_err(|_| s::WALLET_FAILED)?;
        request(&provider, "wallet_switchEthereumChain", Array::of1(&target))
            .await
            .map_err(|e| match code_of(&e) {
                Some(USER_REJECTED) => s::WALLET_REJECTED,
                _ => s::WALLET_WRONG_CHAIN,
            })?;
    }
    let call = object(&[
        ("from", &from),
        ("to", &tx.to),
        ("value", &tx.value_hex),
        ("data", &tx.data),
        ("chainId", &tx.chain_id_hex),
    ])
    .map_err(|_| s::WALLET_FAILED)?;
    request(&provider, "eth_sendTransaction", Array::of1(&call))
        .await
        .map_err(|e| rejected(&e))?
        .as_string()
        .filter(|h| h.starts_with("0x") && h.len() == 66)
        .ok_or(s::WALLET_FAILED)
}
