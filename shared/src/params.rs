//! The JSON parameter toolkit every request parser shares: the body as an object, unknown
//! fields refused, optional strings, booleans and URLs, whole numbers, fiat amounts and
//! metadata, each refusal naming its parameter. It depends on nothing else in `api`.

use crate::error_code::ErrorCode;
use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::money::{AmountError, Cents};

/// A client error in a request, before any I/O: becomes a 400 `invalid_request_error`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamError {
    pub code: ErrorCode,
    pub message: String,
    pub param: Option<String>,
}

impl ParamError {
    pub fn new(code: ErrorCode, param: &str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            param: Some(param.to_owned()),
        }
    }

    pub fn invalid_json(message: impl Into<String>) -> Self {
        Self {
            code: ErrorCode::InvalidJson,
            message: message.into(),
            param: None,
        }
    }
}

/// A count, id or duration given as a JSON number. JSON Schema (and so OpenAPI clients)
/// count `2.0` as the integer 2, so it is read as one; fractions and negatives are not.
/// Never used for money, which is always a decimal string.
pub fn whole_number(value: &Value) -> Option<u64> {
    let number = value.as_number()?;
    if let Some(n) = number.as_u64() {
        return Some(n);
    }
    // A float prints as `2.0`; anything with a fraction, a sign or an exponent is refused.
    let text = number.to_string();
    text.strip_suffix(".0")?
        .parse::<u64>()
        .ok()
        .filter(|n| *n < 1 << 53)
}

/// Parses a JSON object body into an object map, or says exactly what is wrong with it.
pub fn object(body: &str) -> Result<Map<String, Value>, ParamError> {
    if body.trim().is_empty() {
        return Err(ParamError::invalid_json(
            "The request body is empty; send a JSON object.",
        ));
    }
    match serde_json::from_str::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ParamError::invalid_json(
            "The request body must be a JSON object.",
        )),
        Err(e) => Err(ParamError::invalid_json(format!(
            "The request body is not valid JSON: {e}."
        ))),
    }
}

/// Refuses the first field that is not in `allowed`, naming it.
pub fn reject_unknown(map: &Map<String, Value>, allowed: &[&str]) -> Result<(), ParamError> {
    match map.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(unknown) => Err(ParamError::new(
            ErrorCode::ParameterUnknown,
            unknown,
            format!("Received unknown parameter: {unknown}."),
        )),
        None => Ok(()),
    }
}

/// A fiat amount as a decimal string (`"49.99"`): never a JSON number, at most 2 decimals.
pub(crate) fn decimal(
    value: Option<&Value>,
    param: &str,
    example: &str,
) -> Result<Cents, ParamError> {
    match value {
        None | Some(Value::Null) => Err(ParamError::new(
            ErrorCode::ParameterMissing,
            param,
            format!("{param} is required, e.g. \"{example}\"."),
        )),
        Some(Value::Number(n)) => Err(ParamError::new(
            ErrorCode::AmountNotString,
            param,
            format!(
                "{param} must be a decimal string such as \"{n}\", not a JSON number: numbers lose precision."
            ),
        )),
        Some(Value::String(s)) => Cents::parse(s).map_err(|e| {
            let message = match e {
                AmountError::Malformed => format!(
                    "{param} must be a plain decimal string such as \"{example}\"; got \"{s}\"."
                ),
                AmountError::TooManyDecimals => {
                    format!("{param} has more than 2 decimals: \"{s}\".")
                }
                AmountError::TooLarge => format!("{param} is too large: \"{s}\"."),
            };
            ParamError::new(ErrorCode::AmountInvalid, param, message)
        }),
        Some(_) => Err(ParamError::new(
            ErrorCode::AmountInvalid,
            param,
            format!("{param} must be a decimal string such as \"{example}\"."),
        )),
    }
}

/// An optional parameter: absent is `None`; `read` takes a present value, and one it
/// cannot take is refused as not being `what` ("a string", "true or false").
fn optional<'m, T>(
    map: &'m Map<String, Value>,
    key: &str,
    what: &str,
    read: impl FnOnce(&'m Value) -> Option<T>,
) -> Result<Option<T>, ParamError> {
    match map.get(key) {
        None => Ok(None),
        Some(value) => read(value).map(Some).ok_or_else(|| {
            ParamError::new(
                ErrorCode::ParameterInvalid,
                key,
                format!("{key} must be {what}."),
            )
        }),
    }
}

/// A text parameter of 1 to `max` characters; `null` is the same as leaving it out.
pub(crate) fn optional_string(
    map: &Map<String, Value>,
    key: &str,
    max: usize,
) -> Result<Option<String>, ParamError> {
    if map.get(key).is_some_and(Value::is_null) {
        return Ok(None);
    }
    let Some(text) = optional(map, key, "a string", Value::as_str)? else {
        return Ok(None);
    };
    if text.is_empty() {
        return Err(ParamError::new(
            ErrorCode::ParameterInvalid,
            key,
            format!("{key} must not be empty; omit it instead."),
        ));
    }
    if text.chars().count() > max {
        return Err(ParamError::new(
            ErrorCode::ParameterInvalid,
            key,
            format!("{key} must be at most {max} characters."),
        ));
    }
    Ok(Some(text.to_owned()))
}

/// A boolean parameter. `null` is not one: the OpenAPI document says `boolean`.
pub(crate) fn optional_bool(
    map: &Map<String, Value>,
    key: &str,
) -> Result<Option<bool>, ParamError> {
    optional(map, key, "true or false", Value::as_bool)
}

/// A redirect URL: http(s) with a host, https only in live mode.
pub(crate) fn optional_url(
    map: &Map<String, Value>,
    key: &str,
    livemode: bool,
) -> Result<Option<String>, ParamError> {
    let Some(url) = optional_string(map, key, 2048)? else {
        return Ok(None);
    };
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://").filter(|_| !livemode));
    let host_ok = rest.is_some_and(|r| {
        let host = r.split(['/', '?', '#']).next().unwrap_or("");
        !host.is_empty() && !host.contains(char::is_whitespace)
    });
    if !host_ok || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        let scheme = if livemode {
            "an https URL (live mode)"
        } else {
            "an http(s) URL"
        };
        return Err(ParamError::new(
            ErrorCode::UrlInvalid,
            key,
            format!("{key} must be {scheme} with a host."),
        ));
    }
    Ok(Some(url))
}

pub const METADATA_MAX_KEYS: usize = 50;
pub const METADATA_MAX_KEY: usize = 40;
pub const METADATA_MAX_VALUE: usize = 500;

pub fn parse_metadata(value: Option<&Value>) -> Result<BTreeMap<String, String>, ParamError> {
    let map = match value {
        None | Some(Value::Null) => return Ok(BTreeMap::new()),
        Some(Value::Object(map)) => map,
        Some(_) => {
            return Err(ParamError::new(
                ErrorCode::ParameterInvalid,
                "metadata",
                "metadata must be an object of string values.",
            ));
        }
    };
    if map.len() > METADATA_MAX_KEYS {
        return Err(ParamError::new(
            ErrorCode::MetadataInvalid,
            "metadata",
            format!("metadata may have at most {METADATA_MAX_KEYS} keys."),
        ));
    }
    let mut out = BTreeMap::new();
    for (k, v) in map {
        let param = format!("metadata[{k}]");
        if k.is_empty() || k.chars().count() > METADATA_MAX_KEY {
            return Err(ParamError::new(
                ErrorCode::MetadataInvalid,
                &param,
                format!("metadata keys must be 1–{METADATA_MAX_KEY} characters."),
            ));
        }
        let Value::String(s) = v else {
            return Err(ParamError::new(
                ErrorCode::MetadataInvalid,
                &param,
                "metadata values must be strings.",
            ));
        };
        if s.chars().count() > METADATA_MAX_VALUE {
            return Err(ParamError::new(
                ErrorCode::MetadataInvalid,
                &param,
                format!("metadata values must be at most {METADATA_MAX_VALUE} characters."),
            ));
        }
        out.insert(k.clone(), s.clone());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(json: &str) -> Map<String, Value> {
        object(json).expect("an object")
    }

    #[test]
    fn bodies_that_are_not_one_json_object_are_refused() {
        for body in ["", "  ", "{", "[]", "1"] {
            let e = object(body).expect_err(body);
            assert_eq!((e.code, e.param), (ErrorCode::InvalidJson, None), "{body}");
        }
        let e = reject_unknown(&map(r#"{"a":1,"b":2}"#), &["a"]).expect_err("b");
        assert_eq!(
            (e.code, e.param.as_deref()),
            (ErrorCode::ParameterUnknown, Some("b"))
        );
    }

    #[test]
    fn optional_strings_and_booleans() {
        let m = map(r#"{"s":"x","null":null,"empty":"","long":"xyz","n":1,"b":true}"#);
        assert_eq!(optional_string(&m, "s", 2), Ok(Some("x".into())));
        assert_eq!(optional_string(&m, "absent", 2), Ok(None));
        assert_eq!(optional_string(&m, "null", 2), Ok(None));
        let refusal = |r: Result<Option<String>, ParamError>| r.expect_err("refused").message;
        assert_eq!(
            refusal(optional_string(&m, "empty", 2)),
            "empty must not be empty; omit it instead."
        );
        assert_eq!(
            refusal(optional_string(&m, "long", 2)),
            "long must be at most 2 characters."
        );
        assert_eq!(refusal(optional_string(&m, "n", 2)), "n must be a string.");

        assert_eq!(optional_bool(&m, "b"), Ok(Some(true)));
        assert_eq!(optional_bool(&m, "absent"), Ok(None));
        for key in ["null", "s", "n"] {
            let e = optional_bool(&m, key).expect_err(key);
            assert_eq!(
                (e.code, e.message),
                (
                    ErrorCode::ParameterInvalid,
                    format!("{key} must be true or false.")
                )
            );
        }
    }

    #[test]
    fn urls_need_a_host_and_https_in_live_mode() {
        let m = map(
            r#"{"plain":"http://shop.example/ok","secure":"https://shop.example/ok?x=1","bad":"javascript:alert(1)","hostless":"https:///x"}"#,
        );
        assert_eq!(
            optional_url(&m, "plain", false),
            Ok(Some("http://shop.example/ok".into()))
        );
        assert_eq!(
            optional_url(&m, "plain", true).map_err(|e| e.message),
            Err("plain must be an https URL (live mode) with a host.".into())
        );
        assert!(optional_url(&m, "secure", true).is_ok());
        for key in ["bad", "hostless"] {
            assert_eq!(
                optional_url(&m, key, false).map_err(|e| e.code),
                Err(ErrorCode::UrlInvalid),
                "{key}"
            );
        }
    }

    #[test]
    fn amounts_are_decimal_strings() {
        let cents = |json: &str| {
            decimal(
                Some(&serde_json::from_str(json).expect("json")),
                "p",
                "1.00",
            )
        };
        assert_eq!(cents(r#""49.99""#), Ok(Cents(4999)));
        assert_eq!(
            cents("49.99").map_err(|e| e.code),
            Err(ErrorCode::AmountNotString)
        );
        for refused in [r#""1.234""#, r#""abc""#, r#""-1""#, "true"] {
            assert_eq!(
                cents(refused).map_err(|e| e.code),
                Err(ErrorCode::AmountInvalid),
                "{refused}"
            );
        }
        assert_eq!(
            decimal(None, "p", "1.00").map_err(|e| e.code),
            Err(ErrorCode::ParameterMissing)
        );
    }

    #[test]
    fn integers_may_be_written_as_floats_with_no_fraction() {
        let n = |text: &str| whole_number(&serde_json::from_str(text).expect("json"));
        assert_eq!(n("31337"), Some(31337));
        assert_eq!(n("31337.0"), Some(31337));
        for refused in ["1.5", "-1", "-1.0", "1e-3", "\"7\"", "9007199254740993.0"] {
            assert_eq!(n(refused), None, "{refused}");
        }
    }

    #[test]
    fn metadata_limits() {
        let many: Map<String, Value> = (0..51)
            .map(|i| (format!("k{i}"), Value::from("v")))
            .collect();
        assert_eq!(
            parse_metadata(Some(&Value::Object(many))).map_err(|e| e.code),
            Err(ErrorCode::MetadataInvalid)
        );
        let long_key = serde_json::json!({ "k".repeat(41): "v" });
        assert!(parse_metadata(Some(&long_key)).is_err());
        let long_value = serde_json::json!({ "k": "v".repeat(501) });
        assert!(parse_metadata(Some(&long_value)).is_err());
    }
}
