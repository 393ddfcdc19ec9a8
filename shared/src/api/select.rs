//! A payment option as a request names it, `chain_id` + `token`: fixed by a create request,
//! or chosen by the shopper (`POST /v1/public/checkout_sessions/{id}/select`).

use crate::error_code::ErrorCode;
use serde_json::{Map, Value};

use crate::params::{ParamError, object, optional_string, reject_unknown, whole_number};

/// The body of a shopper's selection: `{"chain_id": 8453, "token": "USDC"}`.
pub fn parse_select(body: &str) -> Result<(u64, String), ParamError> {
    let map = object(body)?;
    reject_unknown(&map, &["chain_id", "token"])?;
    parse_option(&map)?.ok_or_else(|| {
        ParamError::new(
            ErrorCode::ParameterMissing,
            "chain_id",
            "chain_id and token are required, e.g. {\"chain_id\": 8453, \"token\": \"USDC\"}.",
        )
    })
}

/// `chain_id` + `token` (both or neither); the token upper-cased.
pub(super) fn parse_option(map: &Map<String, Value>) -> Result<Option<(u64, String)>, ParamError> {
    let chain_id = match map.get("chain_id") {
        None | Some(Value::Null) => None,
        Some(v) => Some(whole_number(v).filter(|id| *id > 0).ok_or_else(|| {
            ParamError::new(
                ErrorCode::ParameterInvalid,
                "chain_id",
                "chain_id must be a positive integer, e.g. 8453.",
            )
        })?),
    };
    let token = optional_string(map, "token", 16)?;
    match (chain_id, token) {
        (Some(c), Some(t)) => Ok(Some((c, t.to_ascii_uppercase()))),
        (None, None) => Ok(None),
        (Some(_), None) => Err(ParamError::new(
            ErrorCode::ParameterMissing,
            "token",
            "chain_id needs token as well.",
        )),
        (None, Some(_)) => Err(ParamError::new(
            ErrorCode::ParameterMissing,
            "chain_id",
            "token needs chain_id as well.",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_bodies() {
        assert_eq!(
            parse_select(r#"{"chain_id":31337,"token":"eth"}"#),
            Ok((31337, "ETH".into()))
        );
        assert_eq!(
            parse_select(r#"{"chain_id":31337.0,"token":"USDC"}"#),
            Ok((31337, "USDC".into()))
        );
        for (body, param) in [
            ("{}", "chain_id"),
            (r#"{"chain_id":1}"#, "token"),
            (r#"{"token":"USDC"}"#, "chain_id"),
            (r#"{"chain_id":0,"token":"USDC"}"#, "chain_id"),
            (r#"{"chain_id":"1","token":"USDC"}"#, "chain_id"),
            (r#"{"chain_id":1,"token":"USDC","x":1}"#, "x"),
        ] {
            assert_eq!(
                parse_select(body).err().and_then(|e| e.param).as_deref(),
                Some(param),
                "{body}"
            );
        }
    }
}
