//! Reads the server's JSON answers into the shared shopper types: the browser parses the
//! text, a few property lookups fill the structs. Serde's generated visitors, its error
//! messages and the float formatting they drag in would be a large share of the widget.
//!
//! Field for field the rules are serde's for these types: a missing or mistyped required
//! field makes the whole answer unreadable; an optional one may be absent or `null`, but
//! not of another type; a defaulted list may be absent.

use kasse_shared::error_code::ErrorCode;
use kasse_shared::shopper::{
    Branding, CheckAnswer, CheckResult, Confirmations, PaymentAmount, Receipt, ReceiptTransaction,
    RefundOffer, ShopperOption, ShopperPayment, ShopperRefund, ShopperView, WalletTransaction,
};
use kasse_shared::status::Status;
use kasse_shared::time::Timestamp;

/// A parsed JSON value, as much of it as the readers look at.
pub trait Json: Sized {
    /// The member `key` of an object; none when it is absent or `null`.
    fn field(&self, key: &str) -> Option<Self>;
    fn text(&self) -> Option<String>;
    /// A whole, non-negative number that JSON carries exactly.
    fn whole(&self) -> Option<u64>;
    fn flag(&self) -> Option<bool>;
    fn items(&self) -> Option<Vec<Self>>;
}

/// A type the widget reads from an answer.
pub trait Read: Sized {
    fn read<J: Json>(json: &J) -> Option<Self>;
}

fn text<J: Json>(json: &J, key: &str) -> Option<String> {
    json.field(key)?.text()
}

fn whole<J: Json>(json: &J, key: &str) -> Option<u64> {
    json.field(key)?.whole()
}

fn small<J: Json, N: TryFrom<u64>>(json: &J, key: &str) -> Option<N> {
    N::try_from(whole(json, key)?).ok()
}

fn flag<J: Json>(json: &J, key: &str) -> Option<bool> {
    json.field(key)?.flag()
}

fn time<J: Json>(json: &J, key: &str) -> Option<Timestamp> {
    Timestamp::parse_rfc3339(&text(json, key)?)
}

fn one<J: Json, T: Read>(json: &J, key: &str) -> Option<T> {
    T::read(&json.field(key)?)
}

/// Absent or `null` is `Some(None)`; present but unreadable is `None`.
fn maybe<J: Json, T>(json: &J, key: &str, read: impl FnOnce(&J) -> Option<T>) -> Option<Option<T>> {
    match json.field(key) {
        None => Some(None),
        Some(value) => read(&value).map(Some),
    }
}

fn maybe_text<J: Json>(json: &J, key: &str) -> Option<Option<String>> {
    maybe(json, key, J::text)
}

fn maybe_one<J: Json, T: Read>(json: &J, key: &str) -> Option<Option<T>> {
    maybe(json, key, T::read)
}

/// A list whose every item reads.
fn items<J: Json, T: Read>(value: &J) -> Option<Vec<T>> {
    value.items()?.iter().map(T::read).collect()
}

/// A list that may be absent: then empty.
fn list<J: Json, T: Read>(json: &J, key: &str) -> Option<Vec<T>> {
    Some(maybe(json, key, items)?.unwrap_or_default())
}

/// A required list whose every item reads.
fn all<J: Json, T: Read>(json: &J, key: &str) -> Option<Vec<T>> {
    items(&json.field(key)?)
}

fn text_or_empty<J: Json>(json: &J, key: &str) -> Option<String> {
    Some(maybe_text(json, key)?.unwrap_or_default())
}

fn flag_or_false<J: Json>(json: &J, key: &str) -> Option<bool> {
    Some(maybe(json, key, J::flag)?.unwrap_or_default())
}

/// The value among `all` whose wire name is `name`.
fn named<T: Copy>(all: &[(T, &str)], name: &str) -> Option<T> {
    all.iter()
        .find(|(_, wire)| *wire == name)
        .map(|&(value, _)| value)
}

impl Read for Status {
    fn read<J: Json>(json: &J) -> Option<Self> {
        use Status::*;
        let all = [
            Pending, Detected, Underpaid, Overpaid, Paid, PaidLate, Expired, Canceled, Failed,
        ];
        named(&all.map(|status| (status, status.as_str())), &json.text()?)
    }
}

impl Read for CheckResult {
    fn read<J: Json>(json: &J) -> Option<Self> {
        use CheckResult::*;
        let all = [
            (Counted, "counted"),
            (NotCounted, "not_counted"),
            (NotThisCheckout, "not_this_checkout"),
            (NotFound, "not_found"),
        ];
        named(&all, &json.text()?)
    }
}

/// `Read` for structs whose JSON members are named as their fields, each read by the
/// function named beside it.
macro_rules! readers {
    ($($name:ident { $($field:ident: $how:ident),* $(,)? })*) => {$(
        impl Read for $name {
            fn read<J: Json>(json: &J) -> Option<Self> {
                Some(Self { $($field: $how(json, stringify!($field))?),* })
            }
        }
    )*};
}

readers! {
    ShopperOption {
        chain_id: whole, chain: text, token: text, amount: text, amount_formatted: text,
        decimals: small, native: flag, address: text_or_empty, tron: flag_or_false,
    }
    PaymentAmount { value: text, formatted: text, decimals: small, token: text }
    WalletTransaction { chain_id_hex: text, to: text, value_hex: text, data: text }
    Confirmations { current: whole, required: small }
    ShopperPayment {
        chain_id: whole, chain: text, token: text, amount: text, amount_formatted: text,
        decimals: small, tx_hash: maybe_text, counted: flag, reason: maybe_text,
    }
    Branding { display_name: text, logo_url: maybe_text, accent_color: maybe_text }
    RefundOffer {
        amount: text, amount_formatted: text, token: text, decimals: small, chain_id: whole,
        chain: text,
    }
    ShopperRefund {
        id: text, status: text, amount: text, amount_formatted: text, token: text,
        chain_id: whole, chain: text, address: text, tx_hash: maybe_text,
    }
    ReceiptTransaction { tx_hash: text, url: maybe_text }
    Receipt {
        merchant: text, reference: text, amount: text, amount_formatted: text, token: text,
        decimals: small, chain_id: whole, chain: text, paid_at: time, transactions: all,
    }
    CheckAnswer { tx_hash: text, result: one }
    ShopperView {
        id: text, object: text, status: one, livemode: flag, currency: text,
        amount_total: text, description: maybe_text, options: all, selected: maybe_one,
        address: text, address_tron: maybe_text, payment_amount: maybe_one,
        payment_uri: maybe_text, wallet_transaction: maybe_one, amount_received: maybe_text,
        amount_pending: maybe_text, amount_remaining: maybe_text, confirmations: maybe_one,
        payments: list, expires_at: time, late_until: time, server_time: time,
        success_url: maybe_text, cancel_url: maybe_text, return_url: maybe_text,
        restart_url: maybe_text, branding: one, refund_offer: maybe_one,
        shopper_refund: maybe_one, locale: maybe_text, receipt: maybe_one, check: maybe_one,
    }
}

/// `{"error": {"code": …, "message": …}}`: all the widget reads of a refusal. A code this
/// build does not know is `unknown`; the message may be absent.
pub fn error<J: Json>(json: &J) -> Option<(ErrorCode, String)> {
    let error = json.field("error")?;
    let Ok(code) = text(&error, "code")?.parse::<ErrorCode>();
    Some((code, maybe_text(&error, "message")?.unwrap_or_default()))
}

impl Json for wasm_bindgen::JsValue {
    fn field(&self, key: &str) -> Option<Self> {
        let value = js_sys::Reflect::get(self, &Self::from_str(key)).ok()?;
        (!value.is_undefined() && !value.is_null()).then_some(value)
    }

    fn text(&self) -> Option<String> {
        self.as_string()
    }

    #[expect(
        clippy::cast_possible_truncation,
        reason = "JS numbers are doubles: the cast is checked to give back the same number"
    )]
    fn whole(&self) -> Option<u64> {
        const EXACT: f64 = 9_007_199_254_740_991.0;
        let number = self.as_f64()?;
        let whole = number as u64;
        ((0.0..=EXACT).contains(&number) && whole as f64 == number).then_some(whole)
    }

    fn flag(&self) -> Option<bool> {
        self.as_bool()
    }

    fn items(&self) -> Option<Vec<Self>> {
        use wasm_bindgen::JsCast;
        Some(self.dyn_ref::<js_sys::Array>()?.iter().collect())
    }
}

#[cfg(test)]
mod tests;
