//! The body of an on-demand check (`POST /v1/checkout_sessions/{id}/check` and its public
//! twin): empty, `{}`, or `{"tx_hash": "0x…"}` naming the transaction to look at.

use crate::error_code::ErrorCode;
use alloy_primitives::B256;
use serde_json::Value;

use crate::params::{ParamError, object, reject_unknown};
use crate::session::{Payment, PaymentStatus};
use crate::shopper::{CheckAnswer, CheckResult};

/// The transaction hash a check names, if any. An empty body, `{}` and `"tx_hash": null`
/// all mean "scan the recent blocks"; a hash must be `0x` and 64 hex digits.
pub fn parse_check(body: &str) -> Result<Option<B256>, ParamError> {
    if body.trim().is_empty() {
        return Ok(None);
    }
    let map = object(body)?;
    reject_unknown(&map, &["tx_hash"])?;
    match map.get("tx_hash") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(h)) if is_hash(h) => Ok(h.parse().ok()),
        Some(_) => Err(ParamError::new(
            ErrorCode::ParameterInvalid,
            "tx_hash",
            "tx_hash must be a 0x-prefixed 32-byte hex transaction hash.",
        )),
    }
}

fn is_hash(text: &str) -> bool {
    text.len() == 66 && text.starts_with("0x") && text[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// What a check found of transaction `hash`, from the session's payments after the check
/// recorded what it could, and whether the transaction was seen on a chain the session is
/// watched on. A payment of it decides (counted if any of its transfers counts); without
/// one, a transaction seen pays someone else, and one not seen is not found (yet).
pub fn check_answer(hash: B256, payments: &[Payment], seen: bool) -> CheckAnswer {
    let mut of_hash = payments
        .iter()
        .filter(|p| p.tx_hash == Some(hash) && p.status != PaymentStatus::Reorged)
        .peekable();
    let result = if of_hash.peek().is_none() {
        if seen {
            CheckResult::NotThisCheckout
        } else {
            CheckResult::NotFound
        }
    } else if of_hash.any(|p| p.counted) {
        CheckResult::Counted
    } else {
        CheckResult::NotCounted
    };
    CheckAnswer {
        tx_hash: hash.to_string(),
        result,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_body_or_no_hash_scans_the_recent_blocks() {
        for body in ["", "  \n", "{}", r#"{"tx_hash":null}"#] {
            assert_eq!(parse_check(body), Ok(None), "{body:?}");
        }
    }

    #[test]
    fn a_hash_of_either_case_is_read() {
        let lower = format!("0x{}", "ab".repeat(32));
        let upper = format!("0x{}", "AB".repeat(32));
        let expected: B256 = lower.parse().unwrap();
        for hash in [lower, upper] {
            let body = format!(r#"{{"tx_hash":"{hash}"}}"#);
            assert_eq!(parse_check(&body), Ok(Some(expected)), "{body}");
        }
    }

    #[test]
    fn a_malformed_hash_names_tx_hash() {
        let short = format!("0x{}", "ab".repeat(31));
        let long = format!("0x{}", "ab".repeat(33));
        let unprefixed = "ab".repeat(33);
        let not_hex = format!("0x{}", "zz".repeat(32));
        for value in [
            format!("\"{short}\""),
            format!("\"{long}\""),
            format!("\"{unprefixed}\""),
            format!("\"{not_hex}\""),
            "\"\"".to_owned(),
            "12".to_owned(),
            "true".to_owned(),
            "[]".to_owned(),
        ] {
            let error = parse_check(&format!(r#"{{"tx_hash":{value}}}"#)).unwrap_err();
            assert_eq!(
                (error.code, error.param.as_deref()),
                (ErrorCode::ParameterInvalid, Some("tx_hash")),
                "{value}"
            );
        }
    }

    fn payment(tx: u8, counted: bool, status: PaymentStatus) -> Payment {
        Payment {
            chain_id: 31337,
            token: "USDC".into(),
            tx_hash: Some(B256::repeat_byte(tx)),
            log_index: Some(0),
            block_number: 10,
            block_hash: B256::repeat_byte(0xbb),
            block_time: crate::time::Timestamp(1_800_000_000),
            amount: alloy_primitives::U256::from(49_990_000u64),
            status,
            counted,
            repriced: None,
        }
    }

    fn result(tx: u8, payments: &[Payment], seen: bool) -> CheckResult {
        let answer = check_answer(B256::repeat_byte(tx), payments, seen);
        assert_eq!(answer.tx_hash, B256::repeat_byte(tx).to_string());
        answer.result
    }

    #[test]
    fn a_counted_payment_of_the_transaction_is_counted_whether_or_not_confirmed() {
        let confirmed = [payment(1, true, PaymentStatus::Confirmed)];
        let confirming = [
            payment(1, false, PaymentStatus::Detected),
            payment(1, true, PaymentStatus::Detected),
        ];
        assert_eq!(result(1, &confirmed, true), CheckResult::Counted);
        assert_eq!(result(1, &confirming, false), CheckResult::Counted);
    }

    #[test]
    fn a_payment_of_the_transaction_that_does_not_count_is_not_counted() {
        let wrong_network = [
            payment(2, true, PaymentStatus::Confirmed),
            payment(1, false, PaymentStatus::Confirmed),
        ];
        assert_eq!(result(1, &wrong_network, true), CheckResult::NotCounted);
        assert_eq!(result(1, &wrong_network, false), CheckResult::NotCounted);
    }

    #[test]
    fn a_transaction_seen_without_a_payment_here_is_not_this_checkout() {
        let others = [payment(2, true, PaymentStatus::Confirmed)];
        assert_eq!(result(1, &others, true), CheckResult::NotThisCheckout);
        assert_eq!(result(1, &[], true), CheckResult::NotThisCheckout);
    }

    #[test]
    fn a_transaction_not_seen_nor_recorded_is_not_found() {
        let reorged = [payment(1, true, PaymentStatus::Reorged)];
        assert_eq!(result(1, &[], false), CheckResult::NotFound);
        assert_eq!(result(1, &reorged, false), CheckResult::NotFound);
    }

    #[test]
    fn the_answer_is_written_as_the_api_documents() {
        let answer = check_answer(B256::repeat_byte(0xab), &[], true);
        let json = serde_json::to_value(&answer).expect("serialises");
        assert_eq!(json["result"], "not_this_checkout");
        assert_eq!(json["tx_hash"], format!("0x{}", "ab".repeat(32)));
    }

    #[test]
    fn other_fields_and_bodies_that_are_not_objects_are_refused() {
        let unknown = parse_check(r#"{"hash":"0x"}"#).unwrap_err();
        assert_eq!(
            (unknown.code, unknown.param.as_deref()),
            (ErrorCode::ParameterUnknown, Some("hash"))
        );
        for body in ["[]", "not json", "null"] {
            assert!(parse_check(body).is_err(), "{body}");
        }
    }
}
