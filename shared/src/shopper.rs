//! What the shopper's browser sees of a session: the body of
//! `GET /v1/public/checkout_sessions/{id}`. Plain strings and numbers only, so the widget
//! uses these very types without pulling in U256 or any crypto.

use serde::{Deserialize, Serialize};

use crate::status::Status;
use crate::time::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentAmount {
    pub value: String,
    pub formatted: String,
    pub decimals: u8,
    pub token: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopperOption {
    pub chain_id: u64,
    pub chain: String,
    pub token: String,
    pub amount: String,
    pub amount_formatted: String,
    pub decimals: u8,
    pub native: bool,
    /// Where to pay this option: the session's EVM address, or its Tron `T…` address.
    #[serde(default)]
    pub address: String,
    /// A Tron option: paid by address and amount from a Tron wallet (no EIP-681 URI, no
    /// browser-wallet transaction).
    #[serde(default)]
    pub tron: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmations {
    pub current: u64,
    pub required: u32,
}

/// Transaction fields for the browser wallet (EIP-1193 `eth_sendTransaction`), so the
/// widget never needs to encode calldata or handle U256 itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalletTransaction {
    pub chain_id_hex: String,
    pub to: String,
    pub value_hex: String,
    pub data: String,
}

/// What the shopper's browser may see of a session (`GET /v1/public/checkout_sessions/{id}`).
/// No metadata, customer id or derivation index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopperView {
    pub id: String,
    pub object: String,
    pub status: Status,
    pub livemode: bool,
    pub currency: String,
    pub amount_total: String,
    pub description: Option<String>,
    pub options: Vec<ShopperOption>,
    pub selected: Option<ShopperOption>,
    pub address: String,
    /// The Tron deposit address (`T…`) when a Tron option is offered.
    #[serde(default)]
    pub address_tron: Option<String>,
    pub payment_amount: Option<PaymentAmount>,
    /// EIP-681 URI for what is still owed (the whole amount, or the remainder when
    /// underpaid); none for a Tron option, which has no such URI.
    pub payment_uri: Option<String>,
    pub wallet_transaction: Option<WalletTransaction>,
    pub amount_received: Option<String>,
    pub amount_pending: Option<String>,
    pub amount_remaining: Option<String>,
    pub confirmations: Option<Confirmations>,
    /// Every transfer recorded at the address and still on its chain, oldest first.
    #[serde(default)]
    pub payments: Vec<ShopperPayment>,
    pub expires_at: Timestamp,
    pub late_until: Timestamp,
    pub server_time: Timestamp,
    pub success_url: Option<String>,
    pub cancel_url: Option<String>,
    pub return_url: Option<String>,
    /// The payment link's page, for starting again after expiry (link mode only).
    #[serde(default)]
    pub restart_url: Option<String>,
    pub branding: Branding,
    /// The refund the shopper may ask for now, when the shop takes refund requests.
    #[serde(default)]
    pub refund_offer: Option<RefundOffer>,
    /// The newest refund the shopper asked for, whatever became of it.
    #[serde(default)]
    pub shopper_refund: Option<ShopperRefund>,
    /// The language the merchant chose for this session (one of `locale::SUPPORTED`); none
    /// lets the shopper's browser decide.
    #[serde(default)]
    pub locale: Option<String>,
    /// What the shopper paid, once the session is paid (`paid`, `paid_late`, `overpaid`).
    #[serde(default)]
    pub receipt: Option<Receipt>,
    /// The answer to a check that named a transaction; only in that check's response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<CheckAnswer>,
}

/// A paid session's receipt: what was received, where, when, for whom and by which
/// transactions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// The shop's display name.
    pub merchant: String,
    /// What the shop knows the order by: the session id.
    pub reference: String,
    /// Base units received, as a decimal string.
    pub amount: String,
    pub amount_formatted: String,
    pub token: String,
    pub decimals: u8,
    pub chain_id: u64,
    pub chain: String,
    /// When the session became paid.
    pub paid_at: Timestamp,
    /// The transactions of the payments that count, oldest first, each once.
    pub transactions: Vec<ReceiptTransaction>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptTransaction {
    pub tx_hash: String,
    /// The transaction's page on the chain's explorer; none for a chain without one.
    pub url: Option<String>,
}

/// What a check found of the transaction it named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckAnswer {
    pub tx_hash: String,
    pub result: CheckResult,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckResult {
    /// It pays this checkout and counts (confirmed, or still confirming: the status says).
    Counted,
    /// It pays this checkout's address but does not count; its payment's `reason` says why.
    NotCounted,
    /// It is on a chain this checkout watches, but pays nothing to its address.
    NotThisCheckout,
    /// No such transaction on those chains (yet).
    NotFound,
}

/// A transfer to the session's address, as its shopper may see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopperPayment {
    pub chain_id: u64,
    pub chain: String,
    pub token: String,
    /// Base units, as a decimal string.
    pub amount: String,
    pub amount_formatted: String,
    pub decimals: u8,
    pub tx_hash: Option<String>,
    pub counted: bool,
    /// Why it does not count (`network_mismatch`, `not_offered`, `not_selected`,
    /// `after_grace`, `below_minimum`); `None` when it does.
    pub reason: Option<String>,
}

/// A refund the shopper may request (`POST …/refund_request`): what, in which token, on
/// which chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundOffer {
    /// Base units, as a decimal string.
    pub amount: String,
    pub amount_formatted: String,
    pub token: String,
    pub decimals: u8,
    pub chain_id: u64,
    pub chain: String,
}

/// A refund the shopper requested, as they may see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopperRefund {
    pub id: String,
    /// `pending`, `succeeded`, `canceled` or `failed` (a requested refund has its address).
    pub status: String,
    /// Base units, as a decimal string.
    pub amount: String,
    pub amount_formatted: String,
    pub token: String,
    pub chain_id: u64,
    pub chain: String,
    /// EIP-55.
    pub address: String,
    /// The transfer that pays it, once one is recorded.
    pub tx_hash: Option<String>,
}

/// A session a browser started from a payment link (publishable key): what the shopper
/// may see, plus what the widget needs to follow it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartedSession {
    #[serde(flatten)]
    pub view: ShopperView,
    pub client_secret: String,
    pub checkout_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Branding {
    pub display_name: String,
    pub logo_url: Option<String>,
    pub accent_color: Option<String>,
}
