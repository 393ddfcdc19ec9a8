//! Sending a refund from the merchant's browser wallet (EIP-1193 `window.ethereum`): its
//! account, its chain (switched to the refund's when it differs), then one transaction of
//! exactly the refund's amount. The transaction's fields are built here from the refund
//! object, as pure functions: an ERC-20 `transfer(address, uint256)` call, or a native
//! transfer's value. Amounts go from the API's decimal string straight to 256-bit
//! big-endian words; no float or machine integer ever holds one.

use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::money;
use crate::objects::RefundObject;

/// The selector of ERC-20 `transfer(address,uint256)`.
const TRANSFER_SELECTOR: &str = "a9059cbb";

/// EIP-1193: the user declined the request.
const USER_REJECTED: i32 = 4001;
/// EIP-3326: the wallet does not know the chain it was asked to switch to.
const UNKNOWN_CHAIN: i32 = 4902;

/// `amount` (base units, decimal) as one 256-bit big-endian word in 64 hex digits; `None`
/// when it is not base units or does not fit in 256 bits.
pub fn amount_word(amount: &str) -> Option<String> {
    if !money::is_base_units(amount) {
        return None;
    }
    let mut word = [0_u8; 32];
    for digit in amount.bytes().map(|b| b - b'0') {
        // word = word * 10 + digit, from the lowest byte up; a carry out of the top byte
        // means the amount does not fit.
        let mut carry = u16::from(digit);
        for byte in word.iter_mut().rev() {
            let next = u16::from(*byte) * 10 + carry;
            *byte = (next & 0xff) as u8;
            carry = next >> 8;
        }
        if carry != 0 {
            return None;
        }
    }
    Some(word.iter().map(|b| format!("{b:02x}")).collect())
}

/// An address as an ABI word: 12 zero bytes, then its 20 bytes (lowercase hex); `None`
/// unless it is `0x` and 40 hex digits. The checksum was the API's to check.
pub fn address_word(address: &str) -> Option<String> {
    let digits = address.strip_prefix("0x")?;
    (digits.len() == 40 && digits.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| format!("{:0>64}", digits.to_ascii_lowercase()))
}

/// The calldata of ERC-20 `transfer(to, amount)`.
pub fn transfer_data(to: &str, amount: &str) -> Option<String> {
    Some(format!(
        "0x{TRANSFER_SELECTOR}{}{}",
        address_word(to)?,
        amount_word(amount)?
    ))
}

/// An amount as a JSON-RPC quantity: `0x` and hex digits without leading zeros (`0x0`).
pub fn quantity(amount: &str) -> Option<String> {
    let word = amount_word(amount)?;
    let digits = word.trim_start_matches('0');
    Some(format!(
        "0x{}",
        if digits.is_empty() { "0" } else { digits }
    ))
}

/// The fields of the transaction that pays a refund (all but `from`, the wallet's account).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payout {
    /// The chain as `eth_chainId` and `wallet_switchEthereumChain` write it (`0x7a69`).
    pub chain_id_hex: String,
    /// The token's contract, or the shopper for the native coin.
    pub to: String,
    /// `None` for a native transfer.
    pub data: Option<String>,
    pub value: String,
}

impl Payout {
    /// The transaction that sends exactly `refund.amount` of its token to its address;
    /// `None` while it has no address or when its fields do not read as they must.
    pub fn of(refund: &RefundObject) -> Option<Self> {
        let address = refund.address.as_deref()?;
        let chain_id_hex = format!("{:#x}", refund.chain_id);
        Some(match refund.contract_address.as_deref() {
            Some(contract) => {
                address_word(contract)?;
                Self {
                    chain_id_hex,
                    to: contract.to_owned(),
                    data: Some(transfer_data(address, &refund.amount)?),
                    value: "0x0".to_owned(),
                }
            }
            None => {
                address_word(address)?;
                Self {
                    chain_id_hex,
                    to: address.to_owned(),
                    data: None,
                    value: quantity(&refund.amount)?,
                }
            }
        })
    }
}

/// Why the wallet sent nothing (or what it said), in words for the merchant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalletError {
    NoWallet,
    NoAccount,
    Declined,
    SwitchDeclined,
    UnknownChain,
    /// Anything else the wallet answered, with its own message.
    Failed(String),
}

impl WalletError {
    /// `chain` is the refund's chain name, `chain_id` its id.
    pub fn message(&self, chain: &str, chain_id: u64) -> String {
        match self {
            Self::NoWallet => {
                "No browser wallet was found. Install one (such as MetaMask), or pay \
                               the refund with kasse refund --execute."
                    .to_owned()
            }
            Self::NoAccount => {
                "The wallet gave no account to send from. Unlock it and try again.".to_owned()
            }
            Self::Declined => "You declined in your wallet. Nothing was sent.".to_owned(),
            Self::SwitchDeclined => {
                format!("You declined switching your wallet to {chain}. Nothing was sent.")
            }
            Self::UnknownChain => format!(
                "Your wallet does not know {chain} (chain id {chain_id}). Add that network to the \
                 wallet, then try again. Nothing was sent."
            ),
            Self::Failed(said) => format!("The wallet did not send the refund: {said}"),
        }
    }
}

/// `window.ethereum`, if the browser has a wallet.
fn provider() -> Option<Object> {
    let window = web_sys::window()?;
    Reflect::get(&window, &"ethereum".into())
        .ok()
        .filter(JsValue::is_object)
        .map(JsCast::unchecked_into)
}

async fn request(provider: &Object, method: &str, params: Array) -> Result<JsValue, JsValue> {
    let args = Object::new();
    Reflect::set(&args, &"method".into(), &method.into())?;
    Reflect::set(&args, &"params".into(), &params)?;
    let call: Function = Reflect::get(provider, &"request".into())?.dyn_into()?;
    let promise: Promise = call.call1(provider, &args)?.dyn_into()?;
    JsFuture::from(promise).await
}

fn code_of(error: &JsValue) -> Option<i32> {
    let code = Reflect::get(error, &"code".into()).ok()?.as_f64()?;
    (code.fract() == 0.0 && code.abs() < 1e6).then(|| {
        #[expect(clippy::cast_possible_truncation, reason = "an integral error code")]
        let code = code as i32;
        code
    })
}

/// What a wallet's refusal means: declined by the merchant, or anything else in its words.
fn refused(error: &JsValue) -> WalletError {
    if code_of(error) == Some(USER_REJECTED) {
        return WalletError::Declined;
    }
    let said = Reflect::get(error, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .filter(|m| !m.trim().is_empty())
        .unwrap_or_else(|| "it gave no reason.".to_owned());
    WalletError::Failed(said)
}

fn object(pairs: &[(&str, &str)]) -> Result<Object, WalletError> {
    let o = Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &(*k).into(), &(*v).into())
            .map_err(|_| WalletError::Failed("the request could not be written.".to_owned()))?;
    }
    Ok(o)
}

/// Asks the wallet to send `payout`: its account, then its chain (switching when it is on
/// another), then `eth_sendTransaction`. Returns the transaction hash.
pub async fn send(payout: &Payout) -> Result<String, WalletError> {
    let provider = provider().ok_or(WalletError::NoWallet)?;
    let accounts = request(&provider, "eth_requestAccounts", Array::new())
        .await
        .map_err(|e| refused(&e))?;
    let from = Array::from(&accounts)
        .get(0)
        .as_string()
        .ok_or(WalletError::NoAccount)?;
    let chain = request(&provider, "eth_chainId", Array::new())
        .await
        .map_err(|e| refused(&e))?
        .as_string()
        .unwrap_or_default();
    if !chain.eq_ignore_ascii_case(&payout.chain_id_hex) {
        let target = object(&[("chainId", &payout.chain_id_hex)])?;
        request(&provider, "wallet_switchEthereumChain", Array::of1(&target))
            .await
            .map_err(|e| match code_of(&e) {
                Some(USER_REJECTED) => WalletError::SwitchDeclined,
                Some(UNKNOWN_CHAIN) => WalletError::UnknownChain,
                _ => refused(&e),
            })?;
    }
    let mut fields = vec![
        ("from", from.as_str()),
        ("to", payout.to.as_str()),
        ("value", payout.value.as_str()),
    ];
    if let Some(data) = &payout.data {
        fields.push(("data", data));
    }
    let call = object(&fields)?;
    request(&provider, "eth_sendTransaction", Array::of1(&call))
        .await
        .map_err(|e| refused(&e))?
        .as_string()
        .filter(|h| {
            h.len() == 66 && h.starts_with("0x") && h[2..].bytes().all(|b| b.is_ascii_hexdigit())
        })
        .ok_or_else(|| WalletError::Failed("it answered without a transaction hash.".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHOPPER: &str = "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f";

    #[test]
    fn a_6_decimal_transfer_is_exactly_its_calldata() {
        // 1.5 USDC to the shopper: selector, address word, amount word (0x16e360 = 1500000).
        assert_eq!(
            transfer_data(SHOPPER, "1500000").as_deref(),
            Some(
                "0xa9059cbb\
                 00000000000000000000000023618e81e3f5cdf7f54c3d65f7fbc0abf5b21e8f\
                 000000000000000000000000000000000000000000000000000000000016e360"
            )
        );
    }

    #[test]
    fn an_18_decimal_transfer_keeps_every_digit() {
        // 1.000000000000000001 tokens: 10^18 + 1 = 0x0de0b6b3a7640001.
        assert_eq!(
            transfer_data(SHOPPER, "1000000000000000001").as_deref(),
            Some(
                "0xa9059cbb\
                 00000000000000000000000023618e81e3f5cdf7f54c3d65f7fbc0abf5b21e8f\
                 0000000000000000000000000000000000000000000000000de0b6b3a7640001"
            )
        );
    }

    #[test]
    fn a_checksummed_and_a_lowercase_address_give_the_same_calldata() {
        let lower = SHOPPER.to_ascii_lowercase();
        assert_eq!(
            transfer_data(SHOPPER, "49990000"),
            transfer_data(&lower, "49990000")
        );
        assert_eq!(
            address_word(&lower).as_deref(),
            Some("00000000000000000000000023618e81e3f5cdf7f54c3d65f7fbc0abf5b21e8f")
        );
        for bad in [
            "23618e81e3f5cdf7f54c3d65f7fbc0abf5b21e8f",
            "0x1234",
            "0xzz618e81e3f5cdf7f54c3d65f7fbc0abf5b21e8f",
        ] {
            assert_eq!(transfer_data(bad, "1"), None, "{bad}");
        }
    }

    #[test]
    fn amounts_fill_256_bits_and_no_more() {
        let max = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
        assert_eq!(amount_word(max).as_deref(), Some("f".repeat(64).as_str()));
        let over = "115792089237316195423570985008687907853269984665640564039457584007913129639936";
        assert_eq!(amount_word(over), None);
        assert_eq!(amount_word("0").as_deref(), Some("0".repeat(64).as_str()));
        assert_eq!(amount_word("1.5"), None);
        assert_eq!(amount_word(""), None);
    }

    #[test]
    fn native_values_are_quantities_without_leading_zeros() {
        assert_eq!(quantity("0").as_deref(), Some("0x0"));
        assert_eq!(quantity("255").as_deref(), Some("0xff"));
        assert_eq!(
            quantity("1000000000000000000").as_deref(),
            Some("0xde0b6b3a7640000")
        );
    }

    fn refund(contract: Option<&str>, amount: &str) -> RefundObject {
        let sample = RefundObject::sample(amount);
        match contract {
            Some(contract) => RefundObject {
                contract_address: Some(contract.to_owned()),
                ..sample
            },
            None => RefundObject {
                token: "ETH".into(),
                contract_address: None,
                decimals: 18,
                ..sample
            },
        }
    }

    #[test]
    fn a_token_refund_calls_the_contract_and_a_native_one_sends_value() {
        let usdc = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
        assert_eq!(
            Payout::of(&refund(Some(usdc), "500000")),
            Some(Payout {
                chain_id_hex: "0x7a69".into(),
                to: usdc.into(),
                data: transfer_data(SHOPPER, "500000"),
                value: "0x0".into(),
            })
        );
        assert_eq!(
            Payout::of(&refund(None, "1000000000000000000")),
            Some(Payout {
                chain_id_hex: "0x7a69".into(),
                to: SHOPPER.into(),
                data: None,
                value: "0xde0b6b3a7640000".into(),
            })
        );
        let waiting = RefundObject {
            address: None,
            ..refund(Some(usdc), "1")
        };
        assert_eq!(
            Payout::of(&waiting),
            None,
            "no address yet: nothing to send"
        );
    }
}
