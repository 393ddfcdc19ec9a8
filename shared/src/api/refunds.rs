//! Refunds on the wire: the create body, the list filters, and the `refund` object.

use alloy_primitives::{Address, BlockNumber};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::list::{self, Page};
use crate::catalogue::Catalogue;
use crate::error_code::ErrorCode;
use crate::ids::{PaymentId, RefundId, SessionId};
use crate::money::{format_units, parse_base_units};
use crate::params::{ParamError, object, reject_unknown};
use crate::refund::{CreateRequest, Refund, RefundStatus, RequestedBy};
use crate::time::Timestamp;

/// Longest `reason`, in characters.
pub const MAX_REASON_CHARS: usize = 500;

fn invalid(param: &str, message: impl Into<String>) -> ParamError {
    ParamError::new(ErrorCode::ParameterInvalid, param, message)
}

/// An EVM address that can receive a refund: `0x` and 40 hex digits, whose mixed case (if
/// any) is its EIP-55 checksum, and not the zero address (nothing sent there can move).
pub fn evm_address(text: &str) -> Option<Address> {
    let digits = text.strip_prefix("0x")?;
    if digits.len() != 40 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mixed = digits.bytes().any(|b| b.is_ascii_lowercase())
        && digits.bytes().any(|b| b.is_ascii_uppercase());
    let address = if mixed {
        Address::parse_checksummed(text, None).ok()?
    } else {
        text.parse().ok()?
    };
    (!address.is_zero()).then_some(address)
}

/// An optional string parameter: absent and `null` are none.
fn opt_str<'a>(
    map: &'a serde_json::Map<String, Value>,
    param: &str,
) -> Result<Option<&'a str>, ParamError> {
    match map.get(param) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(invalid(param, format!("{param} must be a string."))),
    }
}

/// The base-unit amount: a decimal integer string (a JSON number is refused, as money
/// always is).
fn amount(value: Option<&Value>) -> Result<Option<alloy_primitives::U256>, ParamError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(_)) => Err(ParamError::new(
            ErrorCode::AmountNotString,
            "amount",
            "amount must be a string of base units, such as \"1500000\" (1.5 USDC), not a JSON number.",
        )),
        Some(Value::String(s)) => parse_base_units(s).map(Some).ok_or_else(|| {
            invalid(
                "amount",
                "amount must be a whole number of the token's base units, such as \"1500000\" for 1.5 USDC.",
            )
        }),
        Some(_) => Err(invalid("amount", "amount must be a string of base units.")),
    }
}

/// `POST /v1/checkout_sessions/{id}/refunds`: every field optional; an empty body is `{}`.
pub fn parse_create(body: &str) -> Result<CreateRequest, ParamError> {
    if body.trim().is_empty() {
        return Ok(CreateRequest::default());
    }
    let map = object(body)?;
    reject_unknown(&map, &["amount", "excess", "payment", "reason", "address"])?;
    let amount = amount(map.get("amount"))?;
    let excess = match map.get("excess") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(invalid("excess", "excess must be true or false.")),
    };
    let payment = opt_str(&map, "payment")?
        .map(|id| {
            PaymentId::parse(id).ok_or_else(|| {
                invalid(
                    "payment",
                    "payment must be the id of one of the session's payments (pay_…).",
                )
            })
        })
        .transpose()?;
    if excess && (amount.is_some() || payment.is_some()) {
        return Err(invalid(
            "excess",
            "excess refunds what was paid beyond the amount due: it takes neither amount nor payment.",
        ));
    }
    let reason = opt_str(&map, "reason")?.map(str::to_owned);
    if reason
        .as_ref()
        .is_some_and(|r| r.chars().count() > MAX_REASON_CHARS)
    {
        return Err(invalid(
            "reason",
            format!("reason is at most {MAX_REASON_CHARS} characters."),
        ));
    }
    let address = opt_str(&map, "address")?
        .map(|text| {
            evm_address(text).ok_or_else(|| {
                invalid(
                    "address",
                    "address must be an EVM address: 0x and 40 hex digits (checksummed if in mixed case), not the zero address.",
                )
            })
        })
        .transpose()?;
    Ok(CreateRequest {
        amount,
        excess,
        payment,
        reason,
        address,
    })
}

/// `GET /v1/refunds` filters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RefundFilter {
    pub session: Option<SessionId>,
    pub status: Option<RefundStatus>,
}

pub fn parse_list<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<(Page, RefundFilter), ParamError> {
    let (page, rest) = list::parse_page(pairs, &["session", "status"])?;
    let mut filter = RefundFilter::default();
    for (key, value) in rest {
        if key == "session" {
            filter.session = Some(SessionId::parse(&value).ok_or_else(|| {
                invalid(
                    "session",
                    "session must be a checkout session id (cs_test_… or cs_live_…).",
                )
            })?);
        } else {
            filter.status = Some(RefundStatus::parse(&value).ok_or_else(|| {
                invalid(
                    "status",
                    "status must be one of requires_address, pending, succeeded, canceled, failed.",
                )
            })?);
        }
    }
    Ok((page, filter))
}

/// The transfer recorded as paying a refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundTransaction {
    pub tx_hash: String,
    pub log_index: Option<u64>,
    pub block_number: BlockNumber,
    pub confirmations: u64,
}

/// The `refund` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundObject {
    pub id: RefundId,
    pub object: String,
    pub livemode: bool,
    pub session: SessionId,
    pub payment: Option<PaymentId>,
    pub chain_id: u64,
    pub chain: String,
    pub token: String,
    pub contract_address: Option<String>,
    pub decimals: u8,
    pub amount: String,
    pub amount_formatted: String,
    pub address: Option<String>,
    pub status: RefundStatus,
    pub reason: Option<String>,
    pub requested_by: RequestedBy,
    /// The shopper's claim page with the claim secret in its fragment: secret-key views of
    /// a refund still waiting for its address only.
    pub claim_url: Option<String>,
    pub transaction: Option<RefundTransaction>,
    pub submitted_hash: Option<String>,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub succeeded_at: Option<Timestamp>,
    pub canceled_at: Option<Timestamp>,
    pub version: u64,
}

/// The claim page of a refund, opened by the secret in its fragment (never sent to a server).
pub fn claim_url(base_url: &str, refund: &Refund) -> String {
    format!(
        "{}/r/{}#{}",
        base_url.trim_end_matches('/'),
        refund.id,
        refund.claim_secret
    )
}

/// The `refund` object. `with_claim_url` only for secret-key answers (never events);
/// `confirmations` of the recorded transfer, if the chain's head is known.
pub fn refund_object(
    refund: &Refund,
    catalogue: &Catalogue,
    base_url: &str,
    with_claim_url: bool,
    confirmations: Option<u64>,
) -> RefundObject {
    let transaction = match (refund.tx_hash, refund.block_number) {
        (Some(hash), Some(block_number)) => Some(RefundTransaction {
            tx_hash: format!("{hash:#x}"),
            log_index: refund.log_index,
            block_number,
            confirmations: confirmations.unwrap_or(0),
        }),
        _ => None,
    };
    let claimable = with_claim_url && refund.status == RefundStatus::RequiresAddress;
    RefundObject {
        id: refund.id.clone(),
        object: "refund".into(),
        livemode: refund.livemode,
        session: refund.session_id.clone(),
        payment: refund.payment_id.clone(),
        chain_id: refund.chain_id,
        chain: catalogue
            .chain(refund.chain_id)
            .map_or_else(|| format!("Chain {}", refund.chain_id), |c| c.name.clone()),
        token: refund.token.clone(),
        contract_address: refund.contract_address.map(|a| a.to_checksum(None)),
        decimals: refund.decimals,
        amount: refund.amount.to_string(),
        amount_formatted: format_units(refund.amount, refund.decimals),
        address: refund.address.map(|a| a.to_checksum(None)),
        status: refund.status,
        reason: refund.reason.clone(),
        requested_by: refund.requested_by,
        claim_url: claimable.then(|| claim_url(base_url, refund)),
        transaction,
        submitted_hash: refund.submitted_hash.map(|h| format!("{h:#x}")),
        failure_code: refund.failure_code.map(|c| c.as_str().to_owned()),
        failure_message: refund.failure_message.clone(),
        created_at: refund.created_at,
        updated_at: refund.updated_at,
        succeeded_at: refund.succeeded_at,
        canceled_at: refund.canceled_at,
        version: refund.version,
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::U256;

    use super::*;

    fn refused(body: &str) -> (ErrorCode, Option<String>) {
        let e = parse_create(body).expect_err("refused");
        (e.code, e.param)
    }

    #[test]
    fn every_field_is_optional_and_an_empty_body_is_the_default() {
        assert_eq!(parse_create(""), Ok(CreateRequest::default()));
        assert_eq!(parse_create("{}"), Ok(CreateRequest::default()));
        let full = parse_create(
            r#"{"amount":"115792089237316195423570985008687907853269984665640564039457584007913129639935","reason":"Damaged","address":"0xa0ee7a142d267c1f36714e4a8f75612f20a79720","payment":"pay_AAAAAAAAAAAAAAAAAAAAAAAA"}"#,
        )
        .expect("parses");
        assert_eq!(full.amount, Some(U256::MAX));
        assert_eq!(full.reason.as_deref(), Some("Damaged"));
        assert_eq!(
            full.address.map(|a| a.to_checksum(None)).as_deref(),
            Some("0xa0Ee7A142d267C1f36714E4a8F75612F20a79720")
        );
        assert!(parse_create(r#"{"excess":true}"#).expect("parses").excess);
    }

    #[test]
    fn refusals_name_their_parameter() {
        let p = |s: &str| Some(s.to_owned());
        assert_eq!(
            refused(r#"{"amount":5}"#),
            (ErrorCode::AmountNotString, p("amount"))
        );
        for amount in ["1.5", "-1", " 1", "0x10", "", "1e6"] {
            let body = format!(r#"{{"amount":"{amount}"}}"#);
            assert_eq!(
                refused(&body),
                (ErrorCode::ParameterInvalid, p("amount")),
                "{amount}"
            );
        }
        assert_eq!(
            refused(r#"{"excess":1}"#),
            (ErrorCode::ParameterInvalid, p("excess"))
        );
        assert_eq!(
            refused(r#"{"excess":true,"amount":"1"}"#),
            (ErrorCode::ParameterInvalid, p("excess"))
        );
        assert_eq!(
            refused(r#"{"payment":"cs_test_x"}"#),
            (ErrorCode::ParameterInvalid, p("payment"))
        );
        let long = format!(r#"{{"reason":"{}"}}"#, "é".repeat(501));
        assert_eq!(refused(&long), (ErrorCode::ParameterInvalid, p("reason")));
        assert!(parse_create(&format!(r#"{{"reason":"{}"}}"#, "é".repeat(500))).is_ok());
        for address in [
            "0x0000000000000000000000000000000000000000",
            "0xA0ee7A142d267C1f36714E4a8F75612F20a79720",
            "a0ee7a142d267c1f36714e4a8f75612f20a79720",
            "0xa0ee7a142d267c1f36714e4a8f75612f20a7972",
            "TJRabPrwbZy45sbavfcjinPJC18kjpRTv8",
            "vitalik.eth",
        ] {
            let body = format!(r#"{{"address":"{address}"}}"#);
            assert_eq!(
                refused(&body),
                (ErrorCode::ParameterInvalid, p("address")),
                "{address}"
            );
        }
        assert_eq!(
            refused(r#"{"colour":"red"}"#),
            (ErrorCode::ParameterUnknown, p("colour"))
        );
        assert_eq!(refused("[]").0, ErrorCode::InvalidJson);
    }

    #[test]
    fn list_filters_read_a_session_and_a_status() {
        let (_, filter) = parse_list([
            ("session", "cs_test_AAAAAAAAAAAAAAAAAAAAAAAA"),
            ("status", "requires_address"),
        ])
        .expect("parses");
        assert_eq!(filter.status, Some(RefundStatus::RequiresAddress));
        assert!(filter.session.is_some());
        for (key, value) in [("status", "lost"), ("session", "re_test_x")] {
            let e = parse_list([(key, value)]).expect_err("refused");
            assert_eq!(e.param.as_deref(), Some(key));
        }
    }
}
