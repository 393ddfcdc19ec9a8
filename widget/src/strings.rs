//! Every text the shopper reads, by key, in the shopper's language.
//!
//! English is compiled in; every other language is a catalogue (`www/i18n/{locale}.json`,
//! one per locale, with the same keys as `en.json`) fetched when a shopper needs it. A key
//! is a [`Key`]: it renders as its text in the catalogue of the widget being drawn (the root
//! component installs it with [`install`] before its screens render), so screens write
//! `{ s::PAY_TITLE }` whatever the language. `{name}` in a text is a placeholder filled by
//! [`Key::fill`]; a catalogue keeps every placeholder of its English text.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use kasse_shared::error_code::ErrorCode;
use yew::html::IntoPropValue;
use yew::virtual_dom::AttrValue;

macro_rules! texts {
    ($($name:ident = $key:literal : $en:literal,)*) => {
        #[expect(non_camel_case_types, clippy::upper_case_acronyms, reason = "one variant per key, named as its constant")]
        #[derive(Clone, Copy)]
        enum Index { $($name),* }
        $(pub const $name: Key = Key(Index::$name as u16);)*
        /// Every key, in catalogue order.
        pub const KEYS: &[&str] = &[$($key),*];
        /// The English texts, in the order of [`KEYS`].
        pub const EN: &[&str] = &[$($en),*];
    };
}

texts! {
    WIDGET_LABEL = "widget_label": "Crypto checkout",
    LINKS_LABEL = "links_label": "Leave checkout",
    LOADING = "loading": "Loading checkout…",
    LOAD_FAILED = "load_failed": "We could not load this checkout. Check your connection and try again.",
    OFFLINE = "offline": "Could not refresh the status.",
    RETRY = "retry": "Try again",
    TEST_MODE = "test_mode": "Test mode: no real funds move.",
    TOTAL = "total": "Total {amount}",
    NUMBER_DECIMAL = "number_decimal": ".",
    NUMBER_GROUP = "number_group": ",",
    LABEL_VALUE = "label_value": "{label}: {value}",

    CHOOSE_TITLE = "choose_title": "Choose how to pay",
    ON_NETWORK = "on_network": "on {chain}",
    KEEP_CHOICE = "keep_choice": "Keep my current choice",
    CHANGE = "change": "Pay with another token or network",
    SELECT_LOCKED = "select_locked": "A payment is already on its way, so the token and network can no longer change.",
    SELECT_UNAVAILABLE = "select_unavailable": "That option is not available any more. Please choose another.",
    SELECT_CLOSED = "select_closed": "This checkout is closed.",
    SELECT_FAILED = "select_failed": "That did not work. Please try again.",

    PAY_TITLE = "pay_title": "Scan to pay",
    PAY_REST_TITLE = "pay_rest_title": "Scan to pay the rest",
    QR_LABEL = "qr_label": "QR code with the payment request for your wallet",
    QR_ADDRESS_LABEL = "qr_address_label": "QR code with the address to pay to",
    QR_MODES_LABEL = "qr_modes_label": "Paying from",
    QR_MODE_WALLET = "qr_mode_wallet": "Wallet app",
    QR_MODE_EXCHANGE = "qr_mode_exchange": "Exchange / address only",
    QR_EXCHANGE_NOTE = "qr_exchange_note": "This QR code holds only the address. Enter the amount yourself, exactly as shown, and choose this network.",
    AMOUNT = "amount": "Amount",
    TOKEN = "token": "Token",
    NETWORK = "network": "Network",
    SEND_EXACTLY = "send_exactly": "Send exactly",
    TO_ADDRESS = "to_address": "To this address",
    ONLY_ON = "only_on": "Send only on {chain}.",
    ONLY_ON_WARNING = "only_on_warning": "Funds sent on any other network do not pay this order.",
    EXPIRES_IN = "expires_in": "Expires in",
    COPY = "copy": "Copy",
    COPY_WHAT = "copy_what": "Copy {what}",
    COPIED = "copied": "Copied",
    OPEN_WALLET = "open_wallet": "Open in wallet",
    PAY_WITH_WALLET = "pay_with_wallet": "Pay with browser wallet",
    PAY_WITH = "pay_with": "Pay with {wallet}",
    WALLETS_LABEL = "wallets_label": "Browser wallets",
    TRON_QR_LABEL = "tron_qr_label": "QR code with the Tron address to pay to",
    TRON_NOTE = "tron_note": "Send it as a TRC-20 transfer from a Tron wallet; the network fee is paid in TRX.",
    OPEN_TRONLINK = "open_tronlink": "Open TronLink",
    WALLET_ASKING = "wallet_asking": "Confirm the payment in your wallet…",
    WALLET_SENT = "wallet_sent": "Sent. Waiting for the network to see it…",
    WALLET_REJECTED = "wallet_rejected": "You declined in your wallet. Nothing was sent.",
    WALLET_WRONG_CHAIN = "wallet_wrong_chain": "Your wallet could not switch to this network. Switch it yourself, then try again.",
    WALLET_NO_ACCOUNT = "wallet_no_account": "Your wallet did not share an account.",
    WALLET_FAILED = "wallet_failed": "The wallet could not send the payment. Please try again.",

    PAID_ALREADY = "paid_already": "Already paid?",
    PAID_ALREADY_HINT = "paid_already_hint": "Paste the transaction hash of your payment (0x followed by 64 characters) and we look for it.",
    TX_HASH = "tx_hash": "Transaction hash",
    CHECK_SUBMIT = "check_submit": "Look for my payment",
    CHECK_RUNNING = "check_running": "Looking for it…",
    CHECK_COUNTED = "check_counted": "Found: this payment counts for this checkout.",
    CHECK_PENDING = "check_pending": "Found: waiting for the network to confirm it.",
    CHECK_OTHER = "check_other": "Found, but this transaction does not pay this checkout. Check the address and the network you sent to.",
    CHECK_NOT_FOUND = "check_not_found": "Not found yet. If you just sent it, wait a minute and try again.",
    CHECK_INVALID = "check_invalid": "That is not a transaction hash: it starts with 0x, followed by 64 characters from 0–9 and a–f.",
    CHECK_FAILED = "check_failed": "We could not look for it just now. Please try again in a minute.",

    DETECTED_TITLE = "detected_title": "Payment detected",
    DETECTED_BODY = "detected_body": "Waiting for the network to confirm it. You can close this page.",
    CONFIRMATIONS = "confirmations": "Confirmations",
    UNDERPAID_TITLE = "underpaid_title": "Partly paid",
    UNDERPAID_BODY = "underpaid_body": "We received less than the total: send the remaining {amount} below to complete your order.",
    SUCCESS_TITLE = "success_title": "Payment received",
    SUCCESS_BODY = "success_body": "Thank you! Your payment is confirmed.",
    PAID_LATE_BODY = "paid_late_body": "Thank you! Your payment arrived after the deadline and was accepted.",
    OVERPAID_BODY = "overpaid_body": "Thank you! You sent more than the total; the shop has been told about the difference.",
    CONTINUE = "continue": "Continue",
    REDIRECTING = "redirecting": "Taking you back to the shop…",
    RECEIPT_TITLE = "receipt_title": "Receipt",
    RECEIPT_PAID_TO = "receipt_paid_to": "Paid to",
    RECEIPT_TIME = "receipt_time": "Time",
    RECEIPT_TRANSACTION = "receipt_transaction": "Transaction",
    RECEIPT_REFERENCE = "receipt_reference": "Reference",
    RECEIPT_VIEW = "receipt_view": "View on {explorer}",
    RECEIPT_PRINT = "receipt_print": "Print receipt",
    EXPIRED_TITLE = "expired_title": "This checkout has expired",
    EXPIRED_BODY = "expired_body": "No payment arrived in time. If you sent one, it is still recorded; contact the shop.",
    START_AGAIN = "start_again": "Start again",
    CANCELED_TITLE = "canceled_title": "This checkout was canceled",
    CANCELED_BODY = "canceled_body": "The shop canceled this payment request. Nothing was charged.",
    FAILED_TITLE = "failed_title": "This checkout is closed",
    FAILED_BODY = "failed_body": "It can no longer be paid. Please contact the shop.",
    WRONG_NETWORK = "wrong_network": "A payment of {amount} arrived on {chain}, a network this checkout does not take, so it does not pay this order: contact the shop to get it back.",

    REFUND_OFFERED = "refund_offered": "You can ask the shop to send back {amount} on {chain}.",
    REFUND_REQUEST = "refund_request": "Request a refund",
    REFUND_AMOUNT = "refund_amount": "Refund",
    REFUND_ADDRESS = "refund_address": "Your address on {chain}",
    REFUND_HINT = "refund_hint": "Use an address you control on {chain}.",
    REFUND_EXCHANGE_WARNING = "refund_exchange_warning": "Exchange deposit addresses may not credit refunds.",
    REFUND_SUBMIT = "refund_submit": "Send refund request",
    REFUND_SENDING = "refund_sending": "Sending…",
    REFUND_UNANSWERED = "refund_unanswered": "We could not reach the server. Check your connection and try again.",
    REFUND_REQUESTED = "refund_requested": "Refund of {amount} requested to {address}. The shop will send it.",
    REFUND_SENT = "refund_sent": "Refunded: {amount} sent to {address}.",
    REFUND_TRANSACTION = "refund_transaction": "Transaction",
    REFUND_DECLINED = "refund_declined": "The shop declined this refund.",
    REFUND_FAILED = "refund_failed": "The shop's refund transaction did not go through. Please contact the shop.",

    BACK_TO_SHOP = "back_to_shop": "Back to shop",
    CANCEL = "cancel": "Cancel",
}

/// One text of the shopper's language.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Key(u16);

/// The texts of one locale.
#[derive(Debug, PartialEq)]
pub struct Catalogue {
    pub locale: &'static str,
    /// In the order of [`KEYS`]; none for English, which is compiled in.
    texts: Option<Vec<String>>,
}

impl Default for Catalogue {
    fn default() -> Self {
        Self::english()
    }
}

impl Catalogue {
    pub const fn english() -> Self {
        Self {
            locale: kasse_shared::locale::DEFAULT,
            texts: None,
        }
    }

    /// The catalogue of `locale` from its texts by key; a key it lacks reads in English
    /// (the catalogue tests keep every locale complete).
    pub fn new(locale: &'static str, mut text_of: impl FnMut(&str) -> Option<String>) -> Self {
        let texts = KEYS
            .iter()
            .zip(EN)
            .map(|(key, en)| text_of(key).unwrap_or_else(|| (*en).to_owned()))
            .collect();
        Self {
            locale,
            texts: Some(texts),
        }
    }

    fn text(&self, key: Key) -> &str {
        let i = usize::from(key.0);
        match &self.texts {
            Some(texts) => texts.get(i).map_or("", String::as_str),
            None => EN.get(i).copied().unwrap_or(""),
        }
    }

    pub fn is_rtl(&self) -> bool {
        kasse_shared::locale::is_rtl(self.locale)
    }
}

thread_local! {
    static CURRENT: RefCell<Rc<Catalogue>> = RefCell::new(Rc::new(Catalogue::english()));
}

/// Makes `catalogue` the one keys read from, until the next call: each widget installs its
/// own before it renders (renders never interleave).
pub fn install(catalogue: &Rc<Catalogue>) {
    CURRENT.with(|current| {
        if !Rc::ptr_eq(&current.borrow(), catalogue) {
            *current.borrow_mut() = Rc::clone(catalogue);
        }
    });
}

fn with_text<R>(key: Key, f: impl FnOnce(&str) -> R) -> R {
    CURRENT.with(|current| f(current.borrow().text(key)))
}

impl Key {
    /// The text with each `{name}` replaced by its value.
    pub fn fill(self, values: &[(&str, &str)]) -> String {
        with_text(self, |text| fill(text, values))
    }

    pub fn text(self) -> String {
        with_text(self, str::to_owned)
    }
}

/// `text` with each `{name}` of `values` replaced.
pub fn fill(text: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(text.len() + 32);
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after
            .find('}')
            .and_then(|close| Some((values.iter().find(|(n, _)| *n == &after[..close])?, close)))
        {
            Some(((_, value), close)) => {
                out.push_str(value);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Yew renders a text child through `Display`.
impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        with_text(*self, |text| f.write_str(text))
    }
}

impl IntoPropValue<AttrValue> for Key {
    fn into_prop_value(self) -> AttrValue {
        AttrValue::from(self.text())
    }
}

impl IntoPropValue<yew::virtual_dom::VNode> for Key {
    fn into_prop_value(self) -> yew::virtual_dom::VNode {
        yew::virtual_dom::VNode::from(self.text())
    }
}

impl IntoPropValue<Option<AttrValue>> for Key {
    fn into_prop_value(self) -> Option<AttrValue> {
        Some(AttrValue::from(self.text()))
    }
}

/// A decimal amount (`1234.5`, as the API writes it) as the shopper's locale writes numbers
/// (`1.234,5` in German). What the copy buttons copy stays the API's own text.
pub fn number(decimal: &str) -> String {
    with_text(NUMBER_GROUP, |group| {
        with_text(NUMBER_DECIMAL, |point| {
            kasse_shared::locale::write_number(decimal, group, point)
        })
    })
}

/// An amount and its token or currency, as the shopper reads it (`49,99 USDC`).
pub fn money(decimal: &str, unit: &str) -> String {
    format!("{} {unit}", number(decimal))
}

/// `label` and its value as one line, punctuated as the locale does (`Refund: 5 USDC`,
/// `Remboursement : 5 USDC`).
pub fn label_value(label: Key, value: &str) -> String {
    LABEL_VALUE.fill(&[("label", &label.text()), ("value", value)])
}

/// The text before and after the value in `label`'s line, for a value marked up apart.
pub fn around_value(label: Key) -> (String, String) {
    let line = LABEL_VALUE.fill(&[("label", &label.text())]);
    match line.split_once("{value}") {
        Some((before, after)) => (before.to_owned(), after.to_owned()),
        None => (line, String::new()),
    }
}

/// Why the server refused a selection, in the shopper's words.
pub fn select_refused(code: ErrorCode) -> Key {
    match code {
        ErrorCode::SelectionLocked => SELECT_LOCKED,
        ErrorCode::OptionUnavailable => SELECT_UNAVAILABLE,
        ErrorCode::SessionClosed => SELECT_CLOSED,
        _ => SELECT_FAILED,
    }
}

#[cfg(test)]
mod tests;
