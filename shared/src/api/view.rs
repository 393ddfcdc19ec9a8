//! Response objects: the merchant's `checkout_session` and the shopper's `ShopperView`.

use std::collections::BTreeMap;

use alloy_primitives::{Address, BlockNumber, ChainId, U256};
use serde::{Deserialize, Serialize};

use crate::api::receipt::receipt;
use crate::catalogue::{Catalogue, ChainFamily};
use crate::eip681::payment_uri;
use crate::ids::{AccountId, LinkId, PaymentId, RefundId, SessionId};
use crate::money::format_units;
use crate::session::{Heads, Payment, PaymentStatus, Quote, Session, Status, Uncounted};
use crate::shopper::{
    Branding, Confirmations, PaymentAmount, ShopperOption, ShopperPayment, ShopperView,
    WalletTransaction,
};
use crate::time::Timestamp;
use crate::tron::TronAddress;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenOption {
    pub chain_id: ChainId,
    pub chain: String,
    pub token: String,
    /// The token contract, `0x…`, or `T…` on a Tron chain; `None` for a native coin.
    pub contract_address: Option<String>,
    pub decimals: u8,
    pub amount: String,
    pub amount_formatted: String,
    pub exchange_rate: String,
    pub quoted_at: Timestamp,
    /// Where to pay this option: the session's EVM address, or its Tron `T…` address.
    #[serde(default)]
    pub address: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentObject {
    /// `pay_…`: what a refund of this payment names. Secret-key views (the worker fills it
    /// from the payment rows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<PaymentId>,
    pub chain_id: ChainId,
    pub token: String,
    pub tx_hash: Option<String>,
    pub log_index: Option<u64>,
    pub block_number: BlockNumber,
    pub block_hash: String,
    pub amount: String,
    pub confirmations: u64,
    pub status: PaymentStatus,
    pub counted: bool,
    /// Why it does not count; `None` when it does.
    pub reason: Option<Uncounted>,
}

/// The `checkout_session` object of the merchant API and of webhook snapshots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionObject {
    pub id: SessionId,
    pub object: String,
    pub account_id: AccountId,
    pub payment_link: Option<LinkId>,
    pub mode: String,
    pub status: Status,
    pub livemode: bool,
    pub currency: String,
    pub amount_subtotal: String,
    pub amount_total: String,
    pub line_items: Vec<crate::order::LineItem>,
    pub discounts: Vec<crate::order::Discount>,
    pub supported_tokens: Vec<TokenOption>,
    pub chain_id: Option<ChainId>,
    pub chain: Option<String>,
    pub selected_token: Option<String>,
    pub payment_amount: Option<PaymentAmount>,
    pub exchange_rate: Option<String>,
    /// For the native coin: native payments mined until then are valued at this quote;
    /// later ones at the price read when they are detected. `null` for stablecoins.
    pub quote_valid_until: Option<Timestamp>,
    pub address: String,
    /// The Tron deposit address (`T…`) when a Tron option is offered, else `None`.
    #[serde(default)]
    pub address_tron: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub derivation_index: Option<u32>,
    pub payment_uri: Option<String>,
    pub confirmations_required: Option<u32>,
    pub amount_received: String,
    pub amount_pending: String,
    pub amount_excess: String,
    pub payments: Vec<PaymentObject>,
    pub tx_hash: Option<String>,
    pub paid_at: Option<Timestamp>,
    pub expires_at: Timestamp,
    pub late_until: Timestamp,
    pub canceled_at: Option<Timestamp>,
    pub success_url: Option<String>,
    pub cancel_url: Option<String>,
    pub return_url: Option<String>,
    pub url: String,
    pub checkout_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    pub customer_email: Option<String>,
    pub customer_id: Option<String>,
    pub description: Option<String>,
    pub metadata: BTreeMap<String, String>,
    /// The shopper's language the merchant chose; none lets the browser decide.
    pub locale: Option<String>,
    pub version: u64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub accessed_at: Option<Timestamp>,
    pub used_at: Option<Timestamp>,
    /// What verified sweeps moved out of the session's address: secret-key views only (the
    /// worker fills it from the sweep records; never in event snapshots).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swept: Option<Vec<crate::api::sweeps::SweptObject>>,
    /// What succeeded refunds sent back in the selected token, in its base units ("0" when
    /// none): secret-key views only, like `swept`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_refunded: Option<String>,
    /// The session's refunds, oldest first: secret-key views only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refunds: Option<Vec<RefundId>>,
}

/// What succeeded refunds of a session sent back in its selected token (zero without a
/// selection): the amount is never summed across tokens.
pub fn amount_refunded<'a>(
    session: &Session,
    refunds: impl IntoIterator<Item = &'a crate::refund::Refund>,
) -> U256 {
    let Some(q) = &session.selected else {
        return U256::ZERO;
    };
    refunds
        .into_iter()
        .filter(|r| {
            r.status == crate::refund::RefundStatus::Succeeded
                && q.same_option(r.chain_id, &r.token)
        })
        .fold(U256::ZERO, |sum, r| sum.saturating_add(r.amount))
}

/// Who is looking: what a view may contain depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Secret-key API calls: everything, including `client_secret` and `derivation_index`.
    SecretKey,
    /// Event and webhook snapshots: everything but the client secret (a browser
    /// capability), which appears neither as `client_secret` nor in the `url` fragment.
    /// They travel to receivers, queues and log sinks the merchant may not control.
    Webhook,
}

fn chain_name(catalogue: &Catalogue, chain_id: ChainId) -> String {
    catalogue
        .chain(chain_id)
        .map_or_else(|| format!("Chain {chain_id}"), |c| c.name.clone())
}

fn family(catalogue: &Catalogue, chain_id: ChainId) -> ChainFamily {
    catalogue
        .chain(chain_id)
        .map_or_else(ChainFamily::default, |c| c.family)
}

/// `address` as `chain_id`'s family writes it: EIP-55, or base58check on Tron.
fn written(catalogue: &Catalogue, chain_id: ChainId, address: Address) -> String {
    match family(catalogue, chain_id) {
        ChainFamily::Evm => address.to_checksum(None),
        ChainFamily::Tron => TronAddress::from_evm(address).to_string(),
    }
}

/// Where `session` is paid on `chain_id`: its Tron address on a Tron chain (a session
/// offers a Tron option only with one), its EVM address elsewhere.
fn pay_to(catalogue: &Catalogue, session: &Session, chain_id: ChainId) -> String {
    match family(catalogue, chain_id) {
        ChainFamily::Evm => session.address.to_checksum(None),
        ChainFamily::Tron => session
            .address_tron
            .map(|a| a.to_string())
            .unwrap_or_default(),
    }
}

/// The EIP-681 URI paying `amount` of `q`, on an EVM chain only.
fn evm_payment_uri(
    catalogue: &Catalogue,
    session: &Session,
    q: &Quote,
    amount: U256,
) -> Option<String> {
    (family(catalogue, q.chain_id) == ChainFamily::Evm)
        .then(|| payment_uri(q.chain_id, q.contract, session.address, amount))
}

fn token_option(catalogue: &Catalogue, session: &Session, q: &Quote) -> TokenOption {
    TokenOption {
        chain_id: q.chain_id,
        chain: chain_name(catalogue, q.chain_id),
        token: q.token.clone(),
        contract_address: q.contract.map(|a| written(catalogue, q.chain_id, a)),
        decimals: q.decimals,
        amount: q.amount.to_string(),
        amount_formatted: format_units(q.amount, q.decimals),
        exchange_rate: q.exchange_rate.clone(),
        quoted_at: q.quoted_at,
        address: pay_to(catalogue, session, q.chain_id),
    }
}

/// `{CHECKOUT_SESSION_ID}` in a success URL becomes the session id.
pub fn success_url(session: &Session) -> Option<String> {
    session
        .success_url
        .as_ref()
        .map(|u| u.replace("{CHECKOUT_SESSION_ID}", &session.id))
}

/// The hosted page with the client secret in the fragment: a link a shopper can open.
pub fn checkout_url(base_url: &str, session: &Session) -> String {
    format!("{}#{}", page_url(base_url, session), session.client_secret)
}

/// The hosted page's address alone, without the secret that opens it.
pub fn page_url(base_url: &str, session: &Session) -> String {
    format!("{}/c/{}", base_url.trim_end_matches('/'), session.id)
}

/// One payment of `session` as the API shows it, with its confirmations at `heads`.
pub fn payment_object(session: &Session, p: &Payment, heads: &Heads) -> PaymentObject {
    PaymentObject {
        id: None,
        chain_id: p.chain_id,
        token: p.token.clone(),
        tx_hash: p.tx_hash.map(|h| h.to_string()),
        log_index: p.log_index,
        block_number: p.block_number,
        block_hash: p.block_hash.to_string(),
        amount: p.amount.to_string(),
        confirmations: if p.status == PaymentStatus::Reorged {
            0
        } else {
            p.confirmations(heads.get(&p.chain_id).copied())
        },
        status: p.status,
        counted: p.counted,
        reason: session.uncounted_reason(p),
    }
}

/// The decimals of a payment's token: the session's quote for it, else the catalogue's.
fn payment_decimals(catalogue: &Catalogue, session: &Session, p: &Payment) -> u8 {
    if let Some(q) = session.option(p.chain_id, &p.token) {
        return q.decimals;
    }
    let chain = catalogue.chain(p.chain_id);
    chain
        .and_then(|c| c.token(&p.token).map(|t| t.decimals))
        .or_else(|| chain.map(|c| c.native_decimals))
        .unwrap_or(18)
}

/// One payment of `session` as its shopper sees it: where, what and whether it counts.
fn shopper_payment(catalogue: &Catalogue, session: &Session, p: &Payment) -> ShopperPayment {
    let decimals = payment_decimals(catalogue, session, p);
    ShopperPayment {
        chain_id: p.chain_id,
        chain: chain_name(catalogue, p.chain_id),
        token: p.token.clone(),
        amount: p.amount.to_string(),
        amount_formatted: format_units(p.amount, decimals),
        decimals,
        tx_hash: p.tx_hash.map(|h| h.to_string()),
        counted: p.counted,
        reason: session.uncounted_reason(p).map(|r| r.as_str().to_owned()),
    }
}

pub fn session_object(
    session: &Session,
    payments: &[Payment],
    heads: &Heads,
    catalogue: &Catalogue,
    base_url: &str,
    audience: Audience,
) -> SessionObject {
    let sel = session.selected.as_ref();
    let url = match audience {
        Audience::SecretKey => checkout_url(base_url, session),
        Audience::Webhook => page_url(base_url, session),
    };
    SessionObject {
        id: session.id.clone(),
        object: "checkout_session".into(),
        account_id: session.account_id.clone(),
        payment_link: session.payment_link.clone(),
        mode: "payment".into(),
        status: session.status,
        livemode: session.livemode,
        currency: session.currency.clone(),
        amount_subtotal: session.amount_subtotal.to_string(),
        amount_total: session.amount_total.to_string(),
        line_items: session.line_items.clone(),
        discounts: session.discounts.clone(),
        supported_tokens: session
            .options
            .iter()
            .map(|q| token_option(catalogue, session, q))
            .collect(),
        chain_id: sel.map(|q| q.chain_id),
        chain: sel.map(|q| chain_name(catalogue, q.chain_id)),
        selected_token: sel.map(|q| q.token.clone()),
        payment_amount: sel.map(payment_amount),
        exchange_rate: sel.map(|q| q.exchange_rate.clone()),
        quote_valid_until: sel.and_then(|q| session.quote_valid_until(q)),
        address: session.address.to_checksum(None),
        address_tron: session.address_tron.map(|a| a.to_string()),
        derivation_index: Some(session.derivation_index),
        payment_uri: sel.and_then(|q| evm_payment_uri(catalogue, session, q, q.amount)),
        confirmations_required: sel.map(|q| q.confirmations_required),
        amount_received: session.amount_received.to_string(),
        amount_pending: session.amount_pending.to_string(),
        amount_excess: session.amount_excess.to_string(),
        payments: payments
            .iter()
            .map(|p| payment_object(session, p, heads))
            .collect(),
        tx_hash: session.tx_hash.map(|h| h.to_string()),
        paid_at: session.paid_at,
        expires_at: session.expires_at,
        late_until: session.late_until,
        canceled_at: session.canceled_at,
        success_url: success_url(session),
        cancel_url: session.cancel_url.clone(),
        return_url: session.return_url.clone(),
        checkout_url: url.clone(),
        url,
        client_secret: (audience == Audience::SecretKey).then(|| session.client_secret.clone()),
        customer_email: session.customer_email.clone(),
        customer_id: session.customer_id.clone(),
        description: session.description.clone(),
        metadata: session.metadata.clone(),
        locale: session.locale.clone(),
        version: session.version,
        created_at: session.created_at,
        updated_at: session.updated_at,
        accessed_at: session.accessed_at,
        used_at: session.used_at,
        swept: None,
        amount_refunded: None,
        refunds: None,
    }
}

fn shopper_option(catalogue: &Catalogue, session: &Session, q: &Quote) -> ShopperOption {
    ShopperOption {
        chain_id: q.chain_id,
        chain: chain_name(catalogue, q.chain_id),
        token: q.token.clone(),
        amount: q.amount.to_string(),
        amount_formatted: format_units(q.amount, q.decimals),
        decimals: q.decimals,
        native: q.contract.is_none(),
        address: pay_to(catalogue, session, q.chain_id),
        tron: family(catalogue, q.chain_id) == ChainFamily::Tron,
    }
}

fn payment_amount(q: &Quote) -> PaymentAmount {
    PaymentAmount {
        value: q.amount.to_string(),
        formatted: format_units(q.amount, q.decimals),
        decimals: q.decimals,
        token: q.token.clone(),
    }
}

/// How deep the least confirmed counted payment of `q` still confirming is; with none
/// confirming, all the way once something was received, else nothing yet.
fn confirmations(
    session: &Session,
    payments: &[Payment],
    heads: &Heads,
    q: &Quote,
) -> Confirmations {
    let head = heads.get(&q.chain_id).copied();
    let current = payments
        .iter()
        .filter(|p| {
            p.counted && p.status == PaymentStatus::Detected && q.same_option(p.chain_id, &p.token)
        })
        .map(|p| p.confirmations(head))
        .min()
        .unwrap_or(if session.amount_received > U256::ZERO {
            u64::from(q.confirmations_required)
        } else {
            0
        });
    Confirmations {
        current,
        required: q.confirmations_required,
    }
}

/// The transaction a browser wallet sends to pay `amount` of `q` to the session's address:
/// a token `transfer`, or the coin itself.
fn wallet_transaction(session: &Session, q: &Quote, amount: U256) -> WalletTransaction {
    match q.contract {
        Some(token) => WalletTransaction {
            chain_id_hex: format!("{:#x}", q.chain_id),
            to: token.to_checksum(None),
            value_hex: "0x0".into(),
            data: crate::abi::erc20_transfer(session.address, amount),
        },
        None => WalletTransaction {
            chain_id_hex: format!("{:#x}", q.chain_id),
            to: session.address.to_checksum(None),
            value_hex: format!("{amount:#x}"),
            data: "0x".into(),
        },
    }
}

pub fn shopper_view(
    session: &Session,
    payments: &[Payment],
    heads: &Heads,
    catalogue: &Catalogue,
    branding: Branding,
    base_url: &str,
    now: Timestamp,
) -> ShopperView {
    let sel = session.selected.as_ref();
    let owed = sel.map(|q| {
        let remaining = q
            .amount
            .saturating_sub(session.amount_received)
            .saturating_sub(session.amount_pending);
        (q, remaining)
    });
    let open = !session.status.is_final() && session.status != Status::Expired;
    let uri_amount = owed.filter(|(_, rem)| open && *rem > U256::ZERO);
    ShopperView {
        id: session.id.to_string(),
        object: "checkout_session.shopper_view".into(),
        status: session.status,
        livemode: session.livemode,
        currency: session.currency.clone(),
        amount_total: session.amount_total.to_string(),
        description: session.description.clone(),
        options: session
            .options
            .iter()
            .map(|q| shopper_option(catalogue, session, q))
            .collect(),
        selected: sel.map(|q| shopper_option(catalogue, session, q)),
        address: session.address.to_checksum(None),
        address_tron: session.address_tron.map(|a| a.to_string()),
        payment_amount: sel.map(payment_amount),
        payment_uri: uri_amount.and_then(|(q, rem)| evm_payment_uri(catalogue, session, q, rem)),
        // A browser wallet pays EVM chains only; a Tron option is paid from a Tron wallet.
        wallet_transaction: uri_amount
            .filter(|(q, _)| family(catalogue, q.chain_id) == ChainFamily::Evm)
            .map(|(q, rem)| wallet_transaction(session, q, rem)),
        amount_received: owed.map(|(q, _)| format_units(session.amount_received, q.decimals)),
        amount_pending: owed.map(|(q, _)| format_units(session.amount_pending, q.decimals)),
        amount_remaining: owed.map(|(q, rem)| format_units(rem, q.decimals)),
        confirmations: sel.map(|q| confirmations(session, payments, heads, q)),
        payments: payments
            .iter()
            .filter(|p| p.status != PaymentStatus::Reorged)
            .map(|p| shopper_payment(catalogue, session, p))
            .collect(),
        expires_at: session.expires_at,
        late_until: session.late_until,
        server_time: now,
        success_url: success_url(session),
        cancel_url: session.cancel_url.clone(),
        return_url: session.return_url.clone(),
        restart_url: session
            .payment_link
            .as_deref()
            .map(|link| crate::link::page_url(base_url, link)),
        // Read from the session's refunds and the account's settings by the caller.
        refund_offer: None,
        shopper_refund: None,
        locale: session.locale.clone(),
        receipt: receipt(session, payments, catalogue, &branding.display_name),
        check: None,
        branding,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::tests::session;

    fn object(audience: Audience) -> SessionObject {
        let catalogue = Catalogue::parse(crate::catalogue::BUILTIN_JSON).expect("built-in");
        let mut s = session(true);
        s.client_secret = "cs_secret_do_not_leak".into();
        session_object(
            &s,
            &[],
            &Heads::default(),
            &catalogue,
            "https://pay.example/",
            audience,
        )
    }

    #[test]
    fn snapshots_carry_the_page_url_without_the_client_secret() {
        let snapshot = object(Audience::Webhook);
        let page = "https://pay.example/c/cs_test_000000000000000000000001";
        assert_eq!(snapshot.url, page);
        assert_eq!(snapshot.checkout_url, page);
        assert_eq!(snapshot.client_secret, None);
        let body = serde_json::to_string(&snapshot).expect("serialises");
        assert!(!body.contains("cs_secret_do_not_leak"), "{body}");
        assert!(!body.contains('#'), "no fragment anywhere: {body}");
    }

    #[test]
    fn amount_refunded_sums_succeeded_refunds_of_the_selected_token_only() {
        let s = session(true);
        let refund = |token: &str, amount: &str, status: &str| -> crate::refund::Refund {
            serde_json::from_value(serde_json::json!({
                "id": "re_test_AAAAAAAAAAAAAAAAAAAAAAAA", "account_id": s.account_id,
                "livemode": false, "session_id": s.id, "payment_id": null, "chain_id": 31337,
                "token": token, "contract_address": null, "decimals": 6, "amount": amount,
                "address": null, "status": status, "reason": null, "requested_by": "merchant",
                "claim_secret": "x", "created_block": 1, "tx_hash": null, "log_index": null,
                "block_number": null, "block_hash": null, "submitted_hash": null,
                "failure_code": null, "failure_message": null,
                "created_at": "2027-01-15T08:00:00Z", "updated_at": "2027-01-15T08:00:00Z",
                "succeeded_at": null, "canceled_at": null, "version": 1
            }))
            .expect("a refund")
        };
        let refunds = [
            refund("USDC", "0x1", "succeeded"),
            refund("USDC", "0x2", "succeeded"),
            refund("USDC", "0x4", "pending"),
            refund("USDT", "0x8", "succeeded"),
        ];
        assert_eq!(amount_refunded(&s, &refunds), U256::from(3u8));
        assert_eq!(amount_refunded(&session(false), &refunds), U256::ZERO);
    }

    #[test]
    fn a_wrong_network_payment_says_why_to_the_merchant_and_the_shopper() {
        let catalogue = Catalogue::parse(crate::catalogue::BUILTIN_JSON).expect("built-in");
        let s = session(true);
        // 49.99 in the local L2's 18-decimal USDC, which the session does not offer.
        let amount = U256::from(4_999u64) * U256::from(10u64).pow(U256::from(16u64));
        let payment = Payment {
            chain_id: 31338,
            token: "USDC".into(),
            tx_hash: Some(alloy_primitives::B256::repeat_byte(0x01)),
            log_index: Some(0),
            block_number: 7,
            block_hash: alloy_primitives::B256::repeat_byte(0x02),
            block_time: s.created_at,
            amount,
            status: PaymentStatus::Detected,
            counted: false,
            repriced: None,
        };
        let heads = Heads::from([(31338, 8)]);
        let merchant = payment_object(&s, &payment, &heads);
        assert_eq!(merchant.reason, Some(Uncounted::NetworkMismatch));
        assert_eq!(merchant.confirmations, 2);
        let json = serde_json::to_value(&merchant).expect("serialises");
        assert_eq!(json["reason"], "network_mismatch");
        assert_eq!(json["amount"], "49990000000000000000");

        let counted = Payment {
            chain_id: 31337,
            counted: true,
            ..payment.clone()
        };
        let json = serde_json::to_value(payment_object(&s, &counted, &heads)).expect("serialises");
        assert_eq!(json["reason"], serde_json::Value::Null, "present, and null");

        let view = shopper_view(
            &s,
            &[payment],
            &heads,
            &catalogue,
            Branding::default(),
            "https://pay.example",
            s.created_at,
        );
        let [shown] = view.payments.as_slice() else {
            panic!("one payment: {:?}", view.payments)
        };
        assert_eq!(shown.chain, "Local L2 (anvil)");
        assert_eq!(shown.amount_formatted, "49.99");
        assert_eq!(shown.decimals, 18);
        assert_eq!(shown.reason.as_deref(), Some("network_mismatch"));
        assert!(!shown.counted);
    }

    #[test]
    fn the_secret_key_view_carries_the_openable_url() {
        let merchant = object(Audience::SecretKey);
        let openable =
            "https://pay.example/c/cs_test_000000000000000000000001#cs_secret_do_not_leak";
        assert_eq!(merchant.url, openable);
        assert_eq!(merchant.checkout_url, openable);
        assert_eq!(
            merchant.client_secret.as_deref(),
            Some("cs_secret_do_not_leak")
        );
    }
}
