//! The API's objects as the console reads them: only the fields it shows, every other one
//! ignored, so a newer server does not break an older console. Times stay RFC 3339 strings
//! and amounts base-unit strings, exactly as they arrive.

use serde::Deserialize;

/// The API's list envelope.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct List<T> {
    pub data: Vec<T>,
    #[serde(default)]
    pub has_more: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SessionObject {
    pub id: String,
    pub status: String,
    pub livemode: bool,
    pub currency: String,
    pub amount_total: String,
    #[serde(default)]
    pub chain_id: Option<u64>,
    #[serde(default)]
    pub chain: Option<String>,
    #[serde(default)]
    pub selected_token: Option<String>,
    #[serde(default)]
    pub payment_amount: Option<PaymentAmount>,
    #[serde(default)]
    pub supported_tokens: Vec<TokenOption>,
    pub address: String,
    #[serde(default)]
    pub confirmations_required: Option<u32>,
    #[serde(default)]
    pub amount_received: String,
    #[serde(default)]
    pub amount_pending: String,
    #[serde(default)]
    pub payments: Vec<PaymentObject>,
    #[serde(default)]
    pub paid_at: Option<String>,
    #[serde(default)]
    pub expires_at: Option<String>,
    #[serde(default)]
    pub canceled_at: Option<String>,
    #[serde(default)]
    pub customer_email: Option<String>,
    #[serde(default)]
    pub customer_id: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub payment_link: Option<String>,
    #[serde(default)]
    pub url: String,
    pub version: u64,
    #[serde(default)]
    pub created_at: String,
    #[serde(default)]
    pub swept: Option<Vec<SweptObject>>,
    /// What the shopper paid beyond the amount due, in base units of the selected token.
    #[serde(default)]
    pub amount_excess: String,
    /// What succeeded refunds sent back in the selected token, in its base units.
    #[serde(default)]
    pub amount_refunded: Option<String>,
    /// The session's refund ids, oldest first.
    #[serde(default)]
    pub refunds: Vec<String>,
}

impl SessionObject {
    /// The decimals of `token` on `chain_id`, from the options the session offered.
    pub fn decimals_of(&self, chain_id: u64, token: &str) -> Option<u8> {
        self.supported_tokens
            .iter()
            .find(|o| o.chain_id == chain_id && o.token.eq_ignore_ascii_case(token))
            .map(|o| o.decimals)
    }
}

/// What the shopper was asked to pay, in the chosen token.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PaymentAmount {
    pub value: String,
    pub formatted: String,
    pub decimals: u8,
    pub token: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TokenOption {
    pub chain_id: u64,
    pub token: String,
    pub decimals: u8,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PaymentObject {
    /// `pay_…`: what a refund of this one payment names.
    #[serde(default)]
    pub id: Option<String>,
    pub chain_id: u64,
    pub token: String,
    #[serde(default)]
    pub tx_hash: Option<String>,
    #[serde(default)]
    pub log_index: Option<u64>,
    pub block_number: u64,
    pub amount: String,
    pub confirmations: u64,
    pub status: String,
    pub counted: bool,
    /// Why it does not count (`network_mismatch`, `not_offered`, `not_selected`,
    /// `after_grace`, `below_minimum`); `None` when it does.
    #[serde(default)]
    pub reason: Option<String>,
}

impl PaymentObject {
    /// Whether it counts, and if not why, in the merchant's words.
    pub fn counted_label(&self) -> &'static str {
        match (self.counted, self.reason.as_deref()) {
            (true, _) => "yes",
            (false, Some("network_mismatch")) => "no: a network this session does not take",
            (false, Some("not_offered")) => "no: a token this session does not take",
            (false, Some("not_selected")) => "no: another option was chosen",
            (false, Some("after_grace")) => "no: after the grace window",
            (false, Some("below_minimum")) => "no: below the minimum",
            (false, _) => "no",
        }
    }
}

/// A refund: what goes back to the shopper, from the merchant's treasury.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RefundObject {
    pub id: String,
    /// `requires_address`, `pending`, `succeeded`, `canceled` or `failed`.
    pub status: String,
    pub session: String,
    #[serde(default)]
    pub payment: Option<String>,
    pub chain_id: u64,
    pub chain: String,
    pub token: String,
    /// EIP-55; `None` for the native coin.
    #[serde(default)]
    pub contract_address: Option<String>,
    pub decimals: u8,
    pub amount: String,
    pub amount_formatted: String,
    /// EIP-55; `None` while it waits for the shopper's.
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    /// `merchant` or `shopper`.
    pub requested_by: String,
    /// The shopper's claim page, while it waits for an address.
    #[serde(default)]
    pub claim_url: Option<String>,
    #[serde(default)]
    pub transaction: Option<RefundTransaction>,
    #[serde(default)]
    pub submitted_hash: Option<String>,
    #[serde(default)]
    pub failure_message: Option<String>,
    pub created_at: String,
    #[serde(default)]
    pub succeeded_at: Option<String>,
    #[serde(default)]
    pub canceled_at: Option<String>,
}

impl RefundObject {
    /// No status follows this one.
    pub fn is_final(&self) -> bool {
        matches!(self.status.as_str(), "succeeded" | "canceled" | "failed")
    }

    /// Takes up part of what the session may refund (not canceled or failed).
    pub fn holds_amount(&self) -> bool {
        !matches!(self.status.as_str(), "canceled" | "failed")
    }

    /// The merchant may still call it off: no matching transfer is recorded yet.
    pub fn cancelable(&self) -> bool {
        matches!(self.status.as_str(), "requires_address" | "pending") && self.transaction.is_none()
    }

    /// The merchant's wallet may pay it: it has an address, and no transaction is known
    /// yet (a second one would pay it twice).
    pub fn sendable(&self) -> bool {
        self.status == "pending" && self.transaction.is_none() && self.submitted_hash.is_none()
    }

    pub fn by_shopper(&self) -> bool {
        self.requested_by == "shopper"
    }
}

#[cfg(test)]
impl RefundObject {
    /// A pending USDC refund of `amount` on the local chain to anvil's account #8, as the
    /// API would send it; tests change what they need.
    pub fn sample(amount: &str) -> Self {
        Self {
            id: "re_test_1".into(),
            status: "pending".into(),
            session: "cs_test_1".into(),
            payment: None,
            chain_id: 31_337,
            chain: "Local (anvil)".into(),
            token: "USDC".into(),
            contract_address: Some("0x5FbDB2315678afecb367f032d93F642f64180aa3".into()),
            decimals: 6,
            amount: amount.into(),
            amount_formatted: String::new(),
            address: Some("0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f".into()),
            reason: None,
            requested_by: "merchant".into(),
            claim_url: None,
            transaction: None,
            submitted_hash: None,
            failure_message: None,
            created_at: String::new(),
            succeeded_at: None,
            canceled_at: None,
        }
    }
}

/// The transfer recorded as paying a refund.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RefundTransaction {
    pub tx_hash: String,
    pub block_number: u64,
    pub confirmations: u64,
}

/// A verified move out of the session's address.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SweptObject {
    pub sweep: String,
    pub chain_id: u64,
    pub token: String,
    pub amount: String,
    pub amount_formatted: String,
    pub tx_hash: String,
    pub swept_at: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ChainObject {
    pub chain_id: u64,
    pub name: String,
    /// No trailing slash; `None` for a local chain.
    #[serde(default)]
    pub explorer_url: Option<String>,
    pub native_symbol: String,
    pub native_decimals: u8,
    pub min_confirmations: u32,
    #[serde(default)]
    pub native_usd_price: Option<String>,
    #[serde(default)]
    pub tokens: Vec<ChainToken>,
    #[serde(default)]
    pub watcher: Option<Watcher>,
}

/// Whether the watcher reads a chain: `ok`, `failing`, `stalled` or `unknown`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Watcher {
    pub status: String,
    #[serde(default)]
    pub head: Option<u64>,
    #[serde(default)]
    pub lag: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ChainToken {
    pub symbol: String,
    pub decimals: u8,
}

/// The explorer of `chain_id`, when the chain has one.
pub fn explorer(chains: &[ChainObject], chain_id: u64) -> Option<&str> {
    chains
        .iter()
        .find(|c| c.chain_id == chain_id)
        .and_then(|c| c.explorer_url.as_deref())
        .filter(|url| !url.is_empty())
}

/// The decimals of `token` on `chain_id` as the catalogue knows them.
pub fn catalogue_decimals(chains: &[ChainObject], chain_id: u64, token: &str) -> Option<u8> {
    let chain = chains.iter().find(|c| c.chain_id == chain_id)?;
    if chain.native_symbol.eq_ignore_ascii_case(token) {
        return Some(chain.native_decimals);
    }
    chain
        .tokens
        .iter()
        .find(|t| t.symbol.eq_ignore_ascii_case(token))
        .map(|t| t.decimals)
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct EventObject {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub created_at: String,
    #[serde(default)]
    pub data: EventData,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct EventData {
    /// The session's snapshot (or the sweep): only its version and status are read.
    #[serde(default)]
    pub object: Option<Snapshot>,
    /// The transfer behind a payment event.
    #[serde(default)]
    pub payment: Option<PaymentObject>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct Snapshot {
    #[serde(default)]
    pub version: Option<u64>,
    #[serde(default)]
    pub status: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct EndpointObject {
    pub id: String,
    pub url: String,
    #[serde(default)]
    pub events: Vec<String>,
    #[serde(default)]
    pub description: Option<String>,
    pub enabled: bool,
}

impl EndpointObject {
    /// The endpoint asks for events of type `kind`.
    pub fn wants(&self, kind: &str) -> bool {
        self.events.iter().any(|e| e == "*" || e == kind)
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DeliveryObject {
    pub id: String,
    pub event: String,
    pub endpoint: String,
    pub status: String,
    #[serde(default)]
    pub next_attempt_at: Option<String>,
    #[serde(default)]
    pub attempts: Vec<AttemptObject>,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AttemptObject {
    pub attempt: u32,
    pub at: String,
    #[serde(default)]
    pub status_code: Option<u16>,
    #[serde(default)]
    pub latency_ms: Option<u64>,
    #[serde(default)]
    pub error: Option<String>,
}

impl AttemptObject {
    pub fn succeeded(&self) -> bool {
        self.status_code.is_some_and(|c| (200..300).contains(&c))
    }

    /// What came back: the status code, or why nothing did.
    pub fn outcome(&self) -> String {
        match (self.status_code, &self.error) {
            (Some(code), Some(error)) => format!("HTTP {code}: {error}"),
            (Some(code), None) => format!("HTTP {code}"),
            (None, Some(error)) => error.clone(),
            (None, None) => "no answer".to_owned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Balances {
    pub data: Vec<Balance>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Balance {
    pub chain_id: u64,
    pub chain: String,
    pub token: String,
    pub decimals: u8,
    pub received: String,
    pub received_formatted: String,
    pub swept: String,
    pub swept_formatted: String,
    pub at_deposit_addresses: String,
    pub at_deposit_addresses_formatted: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Health {
    #[serde(default)]
    pub last_scheduled_run: Option<String>,
}
