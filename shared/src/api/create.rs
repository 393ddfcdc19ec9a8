//! `POST /v1/checkout_sessions` parameters.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{ParamError, lines};
use crate::money::{AmountError, Cents, MAX_TOTAL, MIN_TOTAL};
use crate::order::{self, Discount, LineItem, TotalError};

/// What the shopper pays for: an amount or line items, after the discounts. A session
/// gets it from its request (ad-hoc mode) or from its payment link.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Order {
    pub currency: String,
    /// Before discounts: `amount`, or the sum of the lines.
    pub amount_subtotal: Cents,
    /// What the shopper pays: the subtotal after the discounts, in order.
    pub amount_total: Cents,
    pub line_items: Vec<LineItem>,
    pub discounts: Vec<Discount>,
}

/// Where a session's order comes from (seed 002's two modes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    AdHoc(Order),
    /// `payment_link: "plink_…"`: amount, items and URLs are the link's.
    Link(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateSession {
    pub source: Source,
    /// `chain_id` + `token`: the payment option fixed at creation.
    pub option: Option<(u64, String)>,
    pub success_url: Option<String>,
    pub cancel_url: Option<String>,
    pub return_url: Option<String>,
    pub customer_email: Option<String>,
    pub customer_id: Option<String>,
    pub description: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub expires_in: Option<u64>,
}

const FIELDS: &[&str] = &[
    "payment_link",
    "amount",
    "line_items",
    "discounts",
    "currency",
    "mode",
    "chain_id",
    "token",
    "success_url",
    "cancel_url",
    "return_url",
    "customer_email",
    "customer_id",
    "description",
    "metadata",
    "expires_in",
];

pub const MIN_EXPIRES_IN: u64 = 300;
pub const MAX_EXPIRES_IN: u64 = 86_400;

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

pub fn reject_unknown(map: &Map<String, Value>, allowed: &[&str]) -> Result<(), ParamError> {
    match map.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(unknown) => Err(ParamError::new(
            "parameter_unknown",
            unknown,
            format!("Received unknown parameter: {unknown}."),
        )),
        None => Ok(()),
    }
}

/// What a publishable key may send: the link and the shopper's email, nothing else.
const PUBLISHABLE_FIELDS: &[&str] = &["payment_link", "customer_email"];

/// Who is asking decides which fields may be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requester {
    SecretKey,
    /// May only start a session from a payment link (spec §2).
    PublishableKey,
}

/// The error code of a field a publishable key may not send; the worker answers it with a 403.
pub const PUBLISHABLE_RESTRICTED: &str = "publishable_key_restricted";

pub fn parse(
    body: &str,
    livemode: bool,
    requester: Requester,
) -> Result<CreateSession, ParamError> {
    parse_map(object(body)?, livemode, requester)
}

/// `POST /v1/public/payment_links/{id}/sessions`: the body may carry `customer_email`
/// (or be empty); the link is the path's.
pub fn parse_link_start(
    body: &str,
    link: &str,
    livemode: bool,
) -> Result<CreateSession, ParamError> {
    let mut map = if body.trim().is_empty() {
        Map::new()
    } else {
        object(body)?
    };
    reject_unknown(&map, &["customer_email"])?;
    map.insert("payment_link".into(), Value::String(link.to_owned()));
    parse_map(map, livemode, Requester::PublishableKey)
}

fn parse_map(
    map: Map<String, Value>,
    livemode: bool,
    requester: Requester,
) -> Result<CreateSession, ParamError> {
    reject_unknown(&map, FIELDS)?;
    if requester == Requester::PublishableKey {
        if let Some(field) = map
            .keys()
            .find(|k| !PUBLISHABLE_FIELDS.contains(&k.as_str()))
        {
            return Err(ParamError::new(
                PUBLISHABLE_RESTRICTED,
                field,
                format!(
                    "A publishable key may only send payment_link and customer_email; {field} comes from the payment link. Use a secret key on your server for ad-hoc sessions."
                ),
            ));
        }
        if map.get("payment_link").is_none_or(Value::is_null) {
            return Err(ParamError::new(
                PUBLISHABLE_RESTRICTED,
                "payment_link",
                "A publishable key may only create sessions from a payment link: send payment_link.",
            ));
        }
    }

    if let Some(mode) = map.get("mode") {
        match mode.as_str() {
            Some("payment") => {}
            Some("subscription") => {
                return Err(ParamError::new(
                    "mode_unsupported",
                    "mode",
                    "Subscriptions are not supported; use mode \"payment\".",
                ));
            }
            _ => {
                return Err(ParamError::new(
                    "parameter_invalid",
                    "mode",
                    "mode must be \"payment\".",
                ));
            }
        }
    }

    let source = match map.get("payment_link") {
        None | Some(Value::Null) => Source::AdHoc(parse_order(&map)?),
        Some(link) => {
            if let Some(field) = ORDER_FIELDS.iter().find(|f| map.contains_key(**f)) {
                return Err(ParamError::new(
                    "parameter_invalid",
                    field,
                    format!(
                        "A session from a payment link takes its {field} from the link; send payment_link alone or {field} alone."
                    ),
                ));
            }
            Source::Link(link_id(link)?)
        }
    };

    let option = parse_option(&map)?;

    let expires_in = match map.get("expires_in") {
        None | Some(Value::Null) => None,
        Some(v) => Some(crate::api::whole_number(v).filter(|s| (MIN_EXPIRES_IN..=MAX_EXPIRES_IN).contains(s)).ok_or_else(|| {
            ParamError::new(
                "parameter_invalid",
                "expires_in",
                format!("expires_in must be an integer number of seconds from {MIN_EXPIRES_IN} to {MAX_EXPIRES_IN}."),
            )
        })?),
    };

    let customer_email = optional_string(&map, "customer_email", 254)?;
    if let Some(email) = &customer_email {
        let valid = email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        }) && !email.chars().any(char::is_whitespace);
        if !valid {
            return Err(ParamError::new(
                "email_invalid",
                "customer_email",
                "customer_email is not a valid email address.",
            ));
        }
    }

    Ok(CreateSession {
        source,
        option,
        success_url: optional_url(&map, "success_url", livemode)?,
        cancel_url: optional_url(&map, "cancel_url", livemode)?,
        return_url: optional_url(&map, "return_url", livemode)?,
        customer_email,
        customer_id: optional_string(&map, "customer_id", 255)?,
        description: optional_string(&map, "description", 500)?,
        metadata: parse_metadata(map.get("metadata"))?,
        expires_in,
    })
}

/// The fields that make an order: a session from a payment link may send none of them.
pub const ORDER_FIELDS: &[&str] = &["amount", "line_items", "discounts", "currency"];

/// `amount` or `line_items` (+ `discounts`, `currency`): the exact totals.
pub fn parse_order(map: &Map<String, Value>) -> Result<Order, ParamError> {
    let (subtotal, currency, line_items) = match (map.get("amount"), map.get("line_items")) {
        (Some(_), Some(_)) => {
            return Err(ParamError::new(
                "parameter_invalid",
                "line_items",
                "Give amount or line_items, not both.",
            ));
        }
        (None, Some(lines)) => {
            let lines = lines::parse_line_items(lines)?;
            let subtotal = order::subtotal(&lines).ok_or_else(|| {
                ParamError::new(
                    "amount_out_of_range",
                    "line_items",
                    "The line items add up to too much.",
                )
            })?;
            (
                subtotal,
                parse_currency(map.get("currency"), "currency")?,
                lines,
            )
        }
        (amount, None) => {
            let (cents, currency) = parse_amount(amount)?;
            if map.get("currency").is_some_and(|c| !c.is_null())
                && parse_currency(map.get("currency"), "currency")? != currency
            {
                return Err(ParamError::new(
                    "parameter_invalid",
                    "currency",
                    "currency differs from amount.currency; give it once.",
                ));
            }
            (cents, currency, Vec::new())
        }
    };
    let offs = lines::parse_discounts(map.get("discounts"))?;
    let (discounts, amount) = order::apply_discounts(subtotal, &offs).map_err(|e| {
        let param = if !offs.is_empty() {
            "discounts"
        } else if line_items.is_empty() {
            "amount.value"
        } else {
            "line_items"
        };
        let message = match e {
            TotalError::TooSmall(t) => {
                format!("The total after discounts is {t}; it must be at least {MIN_TOTAL}.")
            }
            TotalError::TooLarge(t) => format!("The total is {t}; it must be at most {MAX_TOTAL}."),
        };
        ParamError::new("amount_out_of_range", param, message)
    })?;

    Ok(Order {
        currency,
        amount_subtotal: subtotal,
        amount_total: amount,
        line_items,
        discounts,
    })
}

/// A payment link id, as a parameter; whether it exists is the worker's question.
fn link_id(value: &Value) -> Result<String, ParamError> {
    match value.as_str() {
        Some(id) if crate::ids::is_id(id, "plink_") => Ok(id.to_owned()),
        // The same answer as for a well-formed id that does not exist.
        Some(id) => Err(ParamError::new(
            "resource_missing",
            "payment_link",
            format!("No such payment link: '{id}'."),
        )),
        None => Err(ParamError::new(
            "parameter_invalid",
            "payment_link",
            "payment_link must be a payment link id such as \"plink_…\".",
        )),
    }
}

/// `chain_id` + `token` (both or neither); the token upper-cased.
fn parse_option(map: &Map<String, Value>) -> Result<Option<(u64, String)>, ParamError> {
    let chain_id = match map.get("chain_id") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            crate::api::whole_number(v)
                .filter(|id| *id > 0)
                .ok_or_else(|| {
                    ParamError::new(
                        "parameter_invalid",
                        "chain_id",
                        "chain_id must be a positive integer, e.g. 8453.",
                    )
                })?,
        ),
    };
    let token = optional_string(map, "token", 16)?;
    match (chain_id, token) {
        (Some(c), Some(t)) => Ok(Some((c, t.to_ascii_uppercase()))),
        (None, None) => Ok(None),
        (Some(_), None) => Err(ParamError::new(
            "parameter_missing",
            "token",
            "chain_id needs token as well.",
        )),
        (None, Some(_)) => Err(ParamError::new(
            "parameter_missing",
            "chain_id",
            "token needs chain_id as well.",
        )),
    }
}

/// The body of a shopper's selection: `{"chain_id": 8453, "token": "USDC"}`.
pub fn parse_select(body: &str) -> Result<(u64, String), ParamError> {
    let map = object(body)?;
    reject_unknown(&map, &["chain_id", "token"])?;
    parse_option(&map)?.ok_or_else(|| {
        ParamError::new(
            "parameter_missing",
            "chain_id",
            "chain_id and token are required, e.g. {\"chain_id\": 8453, \"token\": \"USDC\"}.",
        )
    })
}

fn parse_amount(value: Option<&Value>) -> Result<(Cents, String), ParamError> {
    let Some(value) = value else {
        return Err(ParamError::new(
            "parameter_missing",
            "amount",
            "amount is required, e.g. {\"value\": \"49.99\", \"currency\": \"USD\"}.",
        ));
    };
    let Value::Object(amount) = value else {
        return Err(ParamError::new(
            "parameter_invalid",
            "amount",
            "amount must be an object: {\"value\": \"49.99\", \"currency\": \"USD\"}.",
        ));
    };
    if let Some(unknown) = amount.keys().find(|k| *k != "value" && *k != "currency") {
        return Err(ParamError::new(
            "parameter_unknown",
            &format!("amount.{unknown}"),
            format!("Received unknown parameter: amount.{unknown}."),
        ));
    }
    let cents = decimal(amount.get("value"), "amount.value", "49.99")?;
    if !(MIN_TOTAL..=MAX_TOTAL).contains(&cents) {
        return Err(ParamError::new(
            "amount_out_of_range",
            "amount.value",
            format!("amount.value must be from {MIN_TOTAL} to {MAX_TOTAL}; got {cents}."),
        ));
    }
    if amount.get("currency").is_none_or(Value::is_null) {
        return Err(ParamError::new(
            "parameter_missing",
            "amount.currency",
            "amount.currency is required: \"USD\".",
        ));
    }
    let currency = parse_currency(amount.get("currency"), "amount.currency")?;
    Ok((cents, currency))
}

/// A currency code, case-insensitive; only USD for now. Absent means USD.
fn parse_currency(value: Option<&Value>, param: &str) -> Result<String, ParamError> {
    match value {
        None | Some(Value::Null) => Ok("USD".to_owned()),
        Some(Value::String(c)) if c.eq_ignore_ascii_case("usd") => Ok("USD".to_owned()),
        Some(Value::String(c)) => Err(ParamError::new(
            "currency_unsupported",
            param,
            format!("Currency \"{c}\" is not supported; only USD is."),
        )),
        Some(_) => Err(ParamError::new(
            "parameter_invalid",
            param,
            format!("{param} must be a string: \"USD\"."),
        )),
    }
}

/// A fiat amount as a decimal string (`"49.99"`): never a JSON number, at most 2 decimals.
pub(super) fn decimal(
    value: Option<&Value>,
    param: &str,
    example: &str,
) -> Result<Cents, ParamError> {
    match value {
        None | Some(Value::Null) => Err(ParamError::new(
            "parameter_missing",
            param,
            format!("{param} is required, e.g. \"{example}\"."),
        )),
        Some(Value::Number(n)) => Err(ParamError::new(
            "amount_not_string",
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
            ParamError::new("amount_invalid", param, message)
        }),
        Some(_) => Err(ParamError::new(
            "amount_invalid",
            param,
            format!("{param} must be a decimal string such as \"{example}\"."),
        )),
    }
}

pub(crate) fn optional_string(
    map: &Map<String, Value>,
    key: &str,
    max: usize,
) -> Result<Option<String>, ParamError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Err(ParamError::new(
            "parameter_invalid",
            key,
            format!("{key} must not be empty; omit it instead."),
        )),
        Some(Value::String(s)) if s.chars().count() > max => Err(ParamError::new(
            "parameter_invalid",
            key,
            format!("{key} must be at most {max} characters."),
        )),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ParamError::new(
            "parameter_invalid",
            key,
            format!("{key} must be a string."),
        )),
    }
}

/// A boolean parameter. `null` is not one: the OpenAPI document says `boolean`.
pub(crate) fn optional_bool(
    map: &Map<String, Value>,
    key: &str,
) -> Result<Option<bool>, ParamError> {
    match map.get(key) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(ParamError::new(
            "parameter_invalid",
            key,
            format!("{key} must be true or false."),
        )),
    }
}

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
            "url_invalid",
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
                "parameter_invalid",
                "metadata",
                "metadata must be an object of string values.",
            ));
        }
    };
    if map.len() > METADATA_MAX_KEYS {
        return Err(ParamError::new(
            "metadata_invalid",
            "metadata",
            format!("metadata may have at most {METADATA_MAX_KEYS} keys."),
        ));
    }
    let mut out = BTreeMap::new();
    for (k, v) in map {
        let param = format!("metadata[{k}]");
        if k.is_empty() || k.chars().count() > METADATA_MAX_KEY {
            return Err(ParamError::new(
                "metadata_invalid",
                &param,
                format!("metadata keys must be 1–{METADATA_MAX_KEY} characters."),
            ));
        }
        let Value::String(s) = v else {
            return Err(ParamError::new(
                "metadata_invalid",
                &param,
                "metadata values must be strings.",
            ));
        };
        if s.chars().count() > METADATA_MAX_VALUE {
            return Err(ParamError::new(
                "metadata_invalid",
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

    fn err(body: &str) -> ParamError {
        parse(body, false, Requester::SecretKey).expect_err("should be refused")
    }

    #[test]
    fn select_bodies() {
        assert_eq!(
            parse_select(r#"{"chain_id":31337,"token":"eth"}"#),
            Ok((31337, "ETH".into()))
        );
        for (body, param) in [
            ("{}", "chain_id"),
            (r#"{"chain_id":1}"#, "token"),
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

    #[test]
    fn minimal_and_full_requests() {
        let ok = parse(
            r#"{"amount":{"value":"49.99","currency":"usd"}}"#,
            false,
            Requester::SecretKey,
        )
        .expect("valid");
        let Source::AdHoc(order) = &ok.source else {
            panic!("ad-hoc")
        };
        assert_eq!(order.amount_total, Cents(4999));
        assert_eq!(order.currency, "USD");
        assert_eq!(ok.option, None);

        let full = parse(
            r#"{"amount":{"value":"5","currency":"USD"},"mode":"payment","chain_id":31337,"token":"usdc",
                "success_url":"https://shop.example/ok?s={CHECKOUT_SESSION_ID}","cancel_url":"http://localhost:3000/c",
                "customer_email":"a@b.co","metadata":{"order":"42"},"expires_in":600}"#,
            false,
            Requester::SecretKey,
        )
        .expect("valid");
        assert_eq!(full.option, Some((31337, "USDC".into())));
        assert_eq!(full.metadata.get("order").map(String::as_str), Some("42"));
        assert_eq!(full.expires_in, Some(600));
    }

    #[test]
    fn refusals_name_the_parameter() {
        let cases = [
            ("", "invalid_json", None),
            ("{", "invalid_json", None),
            ("[]", "invalid_json", None),
            (
                r#"{"amount":{"value":"1","currency":"USD"},"colour":"red"}"#,
                "parameter_unknown",
                Some("colour"),
            ),
            (r#"{}"#, "parameter_missing", Some("amount")),
            (
                r#"{"amount":{"value":49.99,"currency":"USD"}}"#,
                "amount_not_string",
                Some("amount.value"),
            ),
            (
                r#"{"amount":{"value":"-1","currency":"USD"}}"#,
                "amount_invalid",
                Some("amount.value"),
            ),
            (
                r#"{"amount":{"value":"abc","currency":"USD"}}"#,
                "amount_invalid",
                Some("amount.value"),
            ),
            (
                r#"{"amount":{"value":"1.234","currency":"USD"}}"#,
                "amount_invalid",
                Some("amount.value"),
            ),
            (
                r#"{"amount":{"value":"0","currency":"USD"}}"#,
                "amount_out_of_range",
                Some("amount.value"),
            ),
            (
                r#"{"amount":{"value":"1000000","currency":"USD"}}"#,
                "amount_out_of_range",
                Some("amount.value"),
            ),
            (
                r#"{"amount":{"value":"1","currency":"EUR"}}"#,
                "currency_unsupported",
                Some("amount.currency"),
            ),
            (
                r#"{"amount":{"value":"1"}}"#,
                "parameter_missing",
                Some("amount.currency"),
            ),
            (
                r#"{"amount":{"value":"1","currency":"USD","x":1}}"#,
                "parameter_unknown",
                Some("amount.x"),
            ),
            (
                r#"{"amount":{"value":"1","currency":"USD"},"mode":"subscription"}"#,
                "mode_unsupported",
                Some("mode"),
            ),
            (
                r#"{"amount":{"value":"1","currency":"USD"},"chain_id":1}"#,
                "parameter_missing",
                Some("token"),
            ),
            (
                r#"{"amount":{"value":"1","currency":"USD"},"chain_id":"1","token":"USDC"}"#,
                "parameter_invalid",
                Some("chain_id"),
            ),
            (
                r#"{"amount":{"value":"1","currency":"USD"},"expires_in":10}"#,
                "parameter_invalid",
                Some("expires_in"),
            ),
            (
                r#"{"amount":{"value":"1","currency":"USD"},"success_url":"javascript:alert(1)"}"#,
                "url_invalid",
                Some("success_url"),
            ),
            (
                r#"{"amount":{"value":"1","currency":"USD"},"customer_email":"nope"}"#,
                "email_invalid",
                Some("customer_email"),
            ),
            (
                r#"{"amount":{"value":"1","currency":"USD"},"metadata":{"k":1}}"#,
                "metadata_invalid",
                Some("metadata[k]"),
            ),
        ];
        for (body, code, param) in cases {
            let e = err(body);
            assert_eq!(
                (e.code, e.param.as_deref()),
                (code, param),
                "{body}: {}",
                e.message
            );
            assert!(!e.message.is_empty());
        }
    }

    #[test]
    fn live_mode_needs_https() {
        let body =
            r#"{"amount":{"value":"1","currency":"USD"},"success_url":"http://shop.example/ok"}"#;
        assert!(parse(body, false, Requester::SecretKey).is_ok());
        assert_eq!(
            parse(body, true, Requester::SecretKey).map_err(|e| e.code),
            Err("url_invalid")
        );
    }

    #[test]
    fn metadata_limits() {
        let many: Map<String, Value> = (0..51)
            .map(|i| (format!("k{i}"), Value::from("v")))
            .collect();
        assert_eq!(
            parse_metadata(Some(&Value::Object(many))).map_err(|e| e.code),
            Err("metadata_invalid")
        );
        let long_key = serde_json::json!({ "k".repeat(41): "v" });
        assert!(parse_metadata(Some(&long_key)).is_err());
        let long_value = serde_json::json!({ "k": "v".repeat(501) });
        assert!(parse_metadata(Some(&long_value)).is_err());
    }

    #[test]
    fn link_mode_takes_the_order_from_the_link() {
        let link = "plink_0123456789abcdefghijABCD";
        let ok = parse(
            &format!(r#"{{"payment_link":"{link}","customer_email":"a@b.co"}}"#),
            false,
            Requester::PublishableKey,
        )
        .expect("valid");
        assert_eq!(ok.source, Source::Link(link.into()));
        assert_eq!(ok.customer_email.as_deref(), Some("a@b.co"));

        let with_amount =
            format!(r#"{{"payment_link":"{link}","amount":{{"value":"1","currency":"USD"}}}}"#);
        let e = parse(&with_amount, false, Requester::SecretKey).expect_err("both");
        assert_eq!(
            (e.code, e.param.as_deref()),
            ("parameter_invalid", Some("amount"))
        );
        let e = parse(r#"{"payment_link":"plink_x"}"#, false, Requester::SecretKey)
            .expect_err("malformed id");
        assert_eq!(e.code, "resource_missing");
    }

    #[test]
    fn publishable_keys_may_send_only_the_link_and_an_email() {
        let e = parse(
            r#"{"amount":{"value":"1","currency":"USD"}}"#,
            false,
            Requester::PublishableKey,
        )
        .expect_err("ad-hoc");
        assert_eq!(
            (e.code, e.param.as_deref()),
            (PUBLISHABLE_RESTRICTED, Some("amount"))
        );
        let e = parse(
            r#"{"payment_link":"plink_0123456789abcdefghijABCD","metadata":{"a":"b"}}"#,
            false,
            Requester::PublishableKey,
        )
        .expect_err("metadata");
        assert_eq!(e.param.as_deref(), Some("metadata"));
        let e = parse(
            r#"{"customer_email":"a@b.co"}"#,
            false,
            Requester::PublishableKey,
        )
        .expect_err("no link");
        assert_eq!(e.param.as_deref(), Some("payment_link"));
    }

    #[test]
    fn integers_may_be_written_as_floats_with_no_fraction() {
        use crate::api::whole_number;
        let n = |text: &str| whole_number(&serde_json::from_str(text).expect("json"));
        assert_eq!(n("31337"), Some(31337));
        assert_eq!(n("31337.0"), Some(31337));
        for refused in ["1.5", "-1", "-1.0", "1e-3", "\"7\"", "9007199254740993.0"] {
            assert_eq!(n(refused), None, "{refused}");
        }
        let ok = parse(
            r#"{"amount":{"value":"1","currency":"USD"},"chain_id":31337.0,"token":"USDC","expires_in":600.0}"#,
            false,
            Requester::SecretKey,
        )
        .expect("valid");
        assert_eq!(ok.option, Some((31337, "USDC".into())));
    }
}
