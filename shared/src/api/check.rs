//! The body of an on-demand check (`POST /v1/checkout_sessions/{id}/check` and its public
//! twin): empty, `{}`, or `{"tx_hash": "0x…"}` naming the transaction to look at.

use crate::error_code::ErrorCode;
use alloy_primitives::B256;
use serde_json::Value;

use crate::params::{ParamError, object, reject_unknown};

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
