//! The shopper's browser wallets (EIP-1193 providers): the one the merchant mounted the widget
//! with, else every wallet the browser announces (EIP-6963), else `window.ethereum`; and the
//! payment with the chosen one: accounts, the chain, the transfer. The server prepared the
//! transaction fields (`wallet_transaction`), so nothing here encodes calldata or handles U256.

use gloo_events::EventListener;
use js_sys::{Array, Function, Object, Promise, Reflect};
use kasse_shared::shopper::WalletTransaction;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::strings as s;

/// A wallet the shopper may pay with: its EIP-1193 provider (`P`, an object with `request`)
/// and how to show it.
#[derive(Clone, PartialEq, Debug)]
pub struct Choice<P = Object> {
    pub provider: P,
    /// What the wallet calls itself; `None` shows it as the browser wallet.
    pub name: Option<String>,
    /// Its icon, a `data:image/…` URI.
    pub icon: Option<String>,
    /// Its reverse-DNS id (`io.metamask`); empty for a wallet that was not announced.
    pub rdns: String,
    /// The id of its announcement, unique for the page's lifetime; empty if not announced.
    uuid: String,
}

/// The merchant's provider, if `provider` is one (the loader checked it has `request`): shown
/// as `name`, or as the browser wallet without one.
pub fn merchant(provider: JsValue, name: String) -> Option<Choice> {
    let provider = as_provider(provider)?;
    let name = Some(name.trim().to_owned()).filter(|n| !n.is_empty());
    Some(Choice {
        provider,
        name,
        icon: None,
        rdns: String::new(),
        uuid: String::new(),
    })
}

fn as_provider(value: JsValue) -> Option<Object> {
    Reflect::get(&value, &"request".into())
        .ok()
        .filter(JsValue::is_function)?;
    Some(value.unchecked_into())
}

/// `window.ethereum`, if the browser has one.
fn browser() -> Option<Choice> {
    let window: JsValue = web_sys::window()?.into();
    let provider = as_provider(Reflect::get(&window, &"ethereum".into()).ok()?)?;
    Some(Choice {
        provider,
        name: None,
        icon: None,
        rdns: String::new(),
        uuid: String::new(),
    })
}

/// The wallets to offer: the merchant's, else the announced ones, else `window.ethereum`
/// (which is usually one of the announced wallets, under another name).
pub fn offered(merchant: Option<&Choice>, announced: &[Choice]) -> Vec<Choice> {
    match merchant {
        Some(wallet) => vec![wallet.clone()],
        None if announced.is_empty() => browser().into_iter().collect(),
        None => announced.to_vec(),
    }
}

/// The wallet an `eip6963:announceProvider` event announces, if it is one: a provider with
/// `request`, a name and an id. An icon that is not an image data URI is left out: the EIP
/// asks for one, and anything else would load from elsewhere or fall foul of the page's CSP.
fn announced(event: &web_sys::Event) -> Option<Choice> {
    let detail = Reflect::get(event, &"detail".into()).ok()?;
    let info = Reflect::get(&detail, &"info".into()).ok()?;
    let provider = as_provider(Reflect::get(&detail, &"provider".into()).ok()?)?;
    let text = |field: &str| {
        Reflect::get(&info, &field.into())
            .ok()?
            .as_string()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
    };
    Some(Choice {
        provider,
        name: Some(text("name")?),
        icon: text("icon").filter(|i| i.starts_with("data:image/")),
        rdns: text("rdns").unwrap_or_default(),
        uuid: text("uuid")?,
    })
}

/// Adds an announced wallet to `wallets`. Wallets announce themselves again at every request
/// (and one may come back with a new id): a wallet with the same id or the same rdns as one
/// listed replaces it in its place, so each shows once and the list keeps its order.
pub fn merge<P>(wallets: &mut Vec<Choice<P>>, wallet: Choice<P>) {
    let same =
        |w: &Choice<P>| w.uuid == wallet.uuid || (!w.rdns.is_empty() && w.rdns == wallet.rdns);
    match wallets.iter().position(same) {
        Some(i) => wallets[i] = wallet,
        None => wallets.push(wallet),
    }
}

/// Listens for the wallets the browser announces, hands each to `found`, and asks every
/// wallet to announce itself (those that did before the widget listened). Dropping the
/// listener stops listening.
pub fn discover(found: impl Fn(Choice) + 'static) -> Option<EventListener> {
    let window = web_sys::window()?;
    let listener = EventListener::new(&window, "eip6963:announceProvider", move |event| {
        if let Some(wallet) = announced(event) {
            found(wallet);
        }
    });
    let request = web_sys::Event::new("eip6963:requestProvider").ok()?;
    window.dispatch_event(&request).ok()?;
    Some(listener)
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

/// Asks `provider` to send `tx`: accounts, then the chain (switching if needed), then
/// `eth_sendTransaction`. Returns the transaction hash, or what to tell the shopper.
pub async fn pay(provider: &Object, tx: &WalletTransaction) -> Result<String, s::Key> {
    let rejected = |e: &JsValue| {
        if code_of(e) == Some(USER_REJECTED) {
            s::WALLET_REJECTED
        } else {
            s::WALLET_FAILED
        }
    };
    let accounts = request(provider, "eth_requestAccounts", Array::new())
        .await
        .map_err(|e| rejected(&e))?;
    let from = Array::from(&accounts)
        .get(0)
        .as_string()
        .ok_or(s::WALLET_NO_ACCOUNT)?;
    let chain = request(provider, "eth_chainId", Array::new())
        .await
        .map_err(|e| rejected(&e))?
        .as_string()
        .unwrap_or_default();
    if !chain.eq_ignore_ascii_case(&tx.chain_id_hex) {
        let target = object(&[("chainId", &tx.chain_id_hex)]).map_err(|_| s::WALLET_FAILED)?;
        request(provider, "wallet_switchEthereumChain", Array::of1(&target))
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
    request(provider, "eth_sendTransaction", Array::of1(&call))
        .await
        .map_err(|e| rejected(&e))?
        .as_string()
        .filter(|h| h.starts_with("0x") && h.len() == 66)
        .ok_or(s::WALLET_FAILED)
}

#[cfg(test)]
mod tests {
    use super::{Choice, merge};

    fn wallet(uuid: &str, rdns: &str, name: &str) -> Choice<()> {
        Choice {
            provider: (),
            name: Some(name.to_owned()),
            icon: None,
            rdns: rdns.to_owned(),
            uuid: uuid.to_owned(),
        }
    }

    fn names(wallets: &[Choice<()>]) -> Vec<&str> {
        wallets.iter().filter_map(|w| w.name.as_deref()).collect()
    }

    #[test]
    fn announced_wallets_are_listed_once_each_in_the_order_they_came() {
        let mut wallets = Vec::new();
        merge(&mut wallets, wallet("u1", "io.metamask", "MetaMask"));
        merge(&mut wallets, wallet("u2", "io.rabby", "Rabby"));
        merge(&mut wallets, wallet("u1", "io.metamask", "MetaMask"));
        assert_eq!(names(&wallets), ["MetaMask", "Rabby"]);
        // A wallet that comes back under a new id replaces itself, in its place.
        merge(&mut wallets, wallet("u3", "io.metamask", "MetaMask 2"));
        assert_eq!(names(&wallets), ["MetaMask 2", "Rabby"]);
        assert_eq!(wallets[0].uuid, "u3");
    }

    #[test]
    fn wallets_without_rdns_are_told_apart_by_their_id() {
        let mut wallets = Vec::new();
        merge(&mut wallets, wallet("u1", "", "One"));
        merge(&mut wallets, wallet("u2", "", "Two"));
        merge(&mut wallets, wallet("u2", "", "Two again"));
        assert_eq!(names(&wallets), ["One", "Two again"]);
    }
}
