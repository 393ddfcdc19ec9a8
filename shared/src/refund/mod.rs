//! Refunds: money a merchant sends back from its own treasury to a shopper. Kasse holds no
//! key and moves nothing: it records what is owed to which address, decides how much may
//! still be refunded, and verifies on-chain that exactly that amount arrived.

use alloy_primitives::{Address, BlockHash, BlockNumber, ChainId, TxHash, U256};
use serde::{Deserialize, Serialize};

use crate::catalogue::{Catalogue, ChainFamily};
use crate::error_code::ErrorCode;
use crate::ids::{AccountId, Entropy, PaymentId, RefundId, SessionId, random_base62};
use crate::money::format_units;
use crate::params::ParamError;
use crate::session::{Heads, Payment, PaymentStatus, Session};
use crate::time::Timestamp;

pub mod offer;

/// Where a refund stands. `succeeded`, `canceled` and `failed` are final (a reorg that
/// removes the matching transfer takes a refund back to `pending` before it succeeded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    /// No address yet: the shopper gives one through the claim link (or the merchant).
    RequiresAddress,
    /// Waiting for a transfer of exactly the amount to the address.
    Pending,
    Succeeded,
    Canceled,
    Failed,
}

impl RefundStatus {
    pub const ALL: [Self; 5] = [
        Self::RequiresAddress,
        Self::Pending,
        Self::Succeeded,
        Self::Canceled,
        Self::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::RequiresAddress => "requires_address",
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Canceled => "canceled",
            Self::Failed => "failed",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Whether the refund's amount is still owed or paid: it then counts against what may
    /// be refunded. Canceled and failed refunds give their amount back.
    pub fn holds_amount(self) -> bool {
        !matches!(self, Self::Canceled | Self::Failed)
    }

    /// Whether nothing can change it any more.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Succeeded | Self::Canceled | Self::Failed)
    }
}

/// Who asked for the refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestedBy {
    Merchant,
    Shopper,
}

impl RequestedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Merchant => "merchant",
            Self::Shopper => "shopper",
        }
    }
}

/// Why a refund failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundFailure {
    /// The submitted transaction was mined and reverted: nothing moved.
    TransactionReverted,
}

impl RefundFailure {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TransactionReverted => "transaction_reverted",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Self::TransactionReverted => {
                "The submitted transaction reverted: nothing was sent. Create a new refund to try again."
            }
        }
    }
}

/// A refund as stored: one field per column of `refunds`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    pub id: RefundId,
    pub account_id: AccountId,
    pub livemode: bool,
    pub session_id: SessionId,
    /// The recorded payment it refunds, when it refunds one.
    pub payment_id: Option<PaymentId>,
    pub chain_id: ChainId,
    /// The catalogue's symbol (the native coin's for the coin).
    pub token: String,
    /// `None` for the native coin.
    pub contract_address: Option<Address>,
    pub decimals: u8,
    pub amount: U256,
    /// `None` while `requires_address`.
    pub address: Option<Address>,
    pub status: RefundStatus,
    pub reason: Option<String>,
    pub requested_by: RequestedBy,
    /// Opens the claim page for this refund alone; compared in constant time.
    pub claim_secret: String,
    /// The chain's head when the refund was created: only transfers mined later pay it.
    pub created_block: BlockNumber,
    /// The matching transfer, once one is recorded (or the submitted transaction).
    pub tx_hash: Option<TxHash>,
    /// `None` for a native transfer.
    pub log_index: Option<u64>,
    pub block_number: Option<BlockNumber>,
    pub block_hash: Option<BlockHash>,
    /// What the merchant reported having sent, if anything.
    pub submitted_hash: Option<TxHash>,
    pub failure_code: Option<RefundFailure>,
    pub failure_message: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub succeeded_at: Option<Timestamp>,
    pub canceled_at: Option<Timestamp>,
    pub version: u64,
}

/// Characters of a claim secret (base62, about 190 bits).
pub const CLAIM_SECRET_CHARS: usize = 32;

/// A new claim secret.
pub fn new_claim_secret(entropy: &mut impl Entropy) -> String {
    random_base62(entropy, CLAIM_SECRET_CHARS)
}

impl Refund {
    /// How deep its recorded transfer is at the chain's `head` (0 without one).
    pub fn confirmations(&self, head: Option<BlockNumber>) -> u64 {
        match (self.block_number, head) {
            (Some(block), Some(head)) if head >= block => head - block + 1,
            _ => 0,
        }
    }
}

/// A refund the merchant asked for (`POST /v1/checkout_sessions/{id}/refunds`), as parsed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CreateRequest {
    /// Base units of the refund's token; the whole refundable amount when absent.
    pub amount: Option<U256>,
    /// Refund what was paid beyond the amount due (`amount_excess`).
    pub excess: bool,
    /// Refund this recorded payment, in its own chain and token.
    pub payment: Option<PaymentId>,
    pub reason: Option<String>,
    pub address: Option<Address>,
}

/// A recorded payment with its id.
#[derive(Debug, Clone, Copy)]
pub struct PaidWith<'a> {
    pub id: &'a PaymentId,
    pub payment: &'a Payment,
}

/// What a create decided: the refund to write (the caller gives it its id, claim secret,
/// block and times).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub payment_id: Option<PaymentId>,
    pub chain_id: ChainId,
    pub token: String,
    pub contract_address: Option<Address>,
    pub decimals: u8,
    pub amount: U256,
    pub address: Option<Address>,
    pub status: RefundStatus,
}

/// The amount that refunds of `chain_id`/`token` still owed or paid take up.
fn held(refunds: &[Refund], keep: impl Fn(&Refund) -> bool) -> U256 {
    refunds
        .iter()
        .filter(|r| r.status.holds_amount() && keep(r))
        .fold(U256::ZERO, |sum, r| sum.saturating_add(r.amount))
}

/// What may still be refunded of a session in `token` on `chain_id`: what it received in
/// that token (its `amount_received` for the selected option; only counted, confirmed
/// payments count, and only the selected option's payments are counted) less every refund
/// in that token not canceled or failed.
pub fn refundable(session: &Session, refunds: &[Refund], chain_id: ChainId, token: &str) -> U256 {
    let received = match &session.selected {
        Some(q) if q.same_option(chain_id, token) => session.amount_received,
        _ => U256::ZERO,
    };
    let taken = held(refunds, |r| r.chain_id == chain_id && r.token == token);
    received.saturating_sub(taken)
}

/// Whether a payment is final enough to refund: confirmed, or (a payment the session did
/// not count, which the lifecycle never marks confirmed) as deep at the chain's `head` as
/// its token asks of a payment (the session's quote for it, else the chain's minimum).
pub fn settled(
    session: &Session,
    catalogue: &Catalogue,
    payment: &Payment,
    head: Option<BlockNumber>,
) -> bool {
    match payment.status {
        PaymentStatus::Confirmed => true,
        PaymentStatus::Reorged => false,
        PaymentStatus::Detected => {
            let required = session
                .option(payment.chain_id, &payment.token)
                .map(|q| q.confirmations_required)
                .or_else(|| {
                    catalogue
                        .chain(payment.chain_id)
                        .map(|c| c.min_confirmations)
                })
                .unwrap_or(u32::MAX);
            !payment.counted && payment.confirmations(head) >= u64::from(required.max(1))
        }
    }
}

/// What may still be refunded of one (settled) payment: its amount less the refunds of
/// that payment not canceled or failed; for a payment the session counted, never more
/// than the session's own refundable amount in that token either (which other refunds of
/// the session may already have taken).
pub fn payment_refundable(session: &Session, paid: PaidWith<'_>, refunds: &[Refund]) -> U256 {
    let p = paid.payment;
    let left = p
        .amount
        .saturating_sub(held(refunds, |r| r.payment_id.as_ref() == Some(paid.id)));
    if p.counted {
        left.min(refundable(session, refunds, p.chain_id, &p.token))
    } else {
        left
    }
}

/// The contract and decimals of `token` on `chain_id`: the session's quote for it if it has
/// one, else the catalogue's.
/// Whether Kasse prepares refunds on `chain_id`: EVM chains only. A Tron refund is a TRC-20
/// transfer signed by a Tron key, which neither the CLI nor the console's browser wallet
/// sends, and the claim page takes only `0x…` addresses.
pub fn refunds_supported(catalogue: &Catalogue, chain_id: ChainId) -> bool {
    catalogue
        .chain(chain_id)
        .is_some_and(|c| c.family == ChainFamily::Evm)
}

fn token_of(
    session: &Session,
    catalogue: &Catalogue,
    chain_id: ChainId,
    token: &str,
) -> Option<(Option<Address>, u8)> {
    if let Some(q) = session.option(chain_id, token) {
        return Some((q.contract, q.decimals));
    }
    let chain = catalogue.chain(chain_id)?;
    if chain.native_symbol == token {
        return Some((None, chain.native_decimals));
    }
    chain
        .tokens
        .iter()
        .find(|t| t.symbol == token)
        .map(|t| (Some(t.contract), t.decimals))
}

/// The 400 for a refund of more than `refundable` (formatted, and in base units).
fn exceeds(param: &str, refundable: U256, decimals: u8, token: &str) -> ParamError {
    let message = if refundable.is_zero() {
        format!("Nothing is left to refund in {token}: the refundable amount is 0.")
    } else {
        format!(
            "The refund is more than is left to refund: at most {} {token} ({refundable} base units).",
            format_units(refundable, decimals)
        )
    };
    ParamError::new(ErrorCode::RefundExceedsRefundable, param, message)
}

/// Decides a merchant's refund of `session`, given its payments and its refunds so far:
/// the token, the amount (never more than may still be refunded) and whether it waits for
/// an address. `address_is_deposit`: the given address is one of the account's own
/// deposit addresses (refused: the money would come back to the shop).
pub fn decide_create(
    session: &Session,
    payments: &[PaidWith<'_>],
    refunds: &[Refund],
    request: &CreateRequest,
    (catalogue, heads): (&Catalogue, &Heads),
    address_is_deposit: bool,
) -> Result<Planned, ParamError> {
    if address_is_deposit {
        return Err(ParamError::new(
            ErrorCode::ParameterInvalid,
            "address",
            "address is one of this account's own deposit addresses: the refund would come back to the shop.",
        ));
    }
    let (chain_id, token, refundable, param) = match &request.payment {
        Some(id) => {
            let paid = payments.iter().find(|p| p.id == id).ok_or_else(|| {
                ParamError::new(
                    ErrorCode::ResourceMissing,
                    "payment",
                    format!("No such payment of this session: '{id}'."),
                )
            })?;
            let p = paid.payment;
            if !settled(session, catalogue, p, heads.get(&p.chain_id).copied()) {
                return Err(ParamError::new(
                    ErrorCode::RefundExceedsRefundable,
                    "payment",
                    format!(
                        "Payment {id} is {}: it can be refunded once it is confirmed.",
                        match p.status {
                            PaymentStatus::Detected => "still confirming",
                            _ => "no longer on the chain (reorged)",
                        }
                    ),
                ));
            }
            (
                p.chain_id,
                p.token.clone(),
                payment_refundable(session, *paid, refunds),
                "payment",
            )
        }
        None => {
            let Some(q) = &session.selected else {
                return Err(ParamError::new(
                    ErrorCode::RefundExceedsRefundable,
                    "amount",
                    "Nothing is left to refund: the session received nothing.",
                ));
            };
            let refundable = refundable(session, refunds, q.chain_id, &q.token);
            (q.chain_id, q.token.clone(), refundable, "amount")
        }
    };
    if !refunds_supported(catalogue, chain_id) {
        return Err(ParamError::new(
            ErrorCode::RefundNotAvailable,
            param,
            format!(
                "Kasse does not prepare refunds on {} yet: send the {token} back from your own wallet there.",
                catalogue
                    .chain(chain_id)
                    .map_or("this chain", |c| c.name.as_str())
            ),
        ));
    }
    let (contract_address, decimals) =
        token_of(session, catalogue, chain_id, &token).ok_or_else(|| {
            ParamError::new(
                ErrorCode::ParameterInvalid,
                param,
                format!("{token} on chain {chain_id} is not in this deployment's catalogue."),
            )
        })?;
    let (amount, param) = match (request.amount, request.excess) {
        (Some(amount), _) => (amount, "amount"),
        (None, true) => (session.amount_excess, "excess"),
        (None, false) => (refundable, param),
    };
    if amount.is_zero() && !refundable.is_zero() {
        return Err(ParamError::new(
            ErrorCode::AmountTooSmall,
            param,
            format!("{param} must be more than 0."),
        ));
    }
    if amount > refundable || refundable.is_zero() {
        return Err(exceeds(param, refundable, decimals, &token));
    }
    Ok(Planned {
        payment_id: request.payment.clone(),
        chain_id,
        token,
        contract_address,
        decimals,
        amount,
        address: request.address,
        status: if request.address.is_some() {
            RefundStatus::Pending
        } else {
            RefundStatus::RequiresAddress
        },
    })
}

/// Why a refund cannot be canceled: the message of the 409.
pub fn decide_cancel(refund: &Refund) -> Result<(), String> {
    match refund.status {
        RefundStatus::Pending if refund.block_number.is_some() => Err(
            "A transfer paying the refund is recorded and confirming: it can no longer be canceled."
                .to_owned(),
        ),
        RefundStatus::RequiresAddress | RefundStatus::Pending => Ok(()),
        status => Err(format!(
            "The refund is {}: only a refund waiting for its address or its transfer can be canceled.",
            status.as_str()
        )),
    }
}

#[cfg(test)]
mod tests;
