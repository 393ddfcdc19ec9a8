//! `POST /v1/checkout_sessions` parameters.

use crate::error_code::ErrorCode;
use serde_json::{Map, Value};

use super::lines;
use super::select::parse_option;
use crate::ids::LinkId;
use crate::locale;
use crate::money::{Cents, MAX_TOTAL, MIN_TOTAL};
use crate::order::{self, Order, TotalError};
use crate::params::{
    ParamError, decimal, object, optional_string, optional_url, parse_metadata, reject_unknown,
    whole_number,
};
use crate::session::open::{CreateSession, Source};

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
    "locale",
];

pub const MIN_EXPIRES_IN: u64 = 300;
pub const MAX_EXPIRES_IN: u64 = 86_400;

/// What a publishable key may send: the link and the shopper's email, nothing else.
const PUBLISHABLE_FIELDS: &[&str] = &["payment_link", "customer_email"];

/// Who is asking decides which fields may be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requester {
    SecretKey,
    /// May only start a session from a payment link, never an ad-hoc order.
    PublishableKey,
}

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
                ErrorCode::PublishableKeyRestricted,
                field,
                format!(
                    "A publishable key may only send payment_link and customer_email; {field} comes from the payment link. Use a secret key on your server for ad-hoc sessions."
                ),
            ));
        }
        if map.get("payment_link").is_none_or(Value::is_null) {
            return Err(ParamError::new(
                ErrorCode::PublishableKeyRestricted,
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
                    ErrorCode::ModeUnsupported,
                    "mode",
                    "Subscriptions are not supported; use mode \"payment\".",
                ));
            }
            _ => {
                return Err(ParamError::new(
                    ErrorCode::ParameterInvalid,
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
                    ErrorCode::ParameterInvalid,
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
        Some(v) => Some(whole_number(v).filter(|s| (MIN_EXPIRES_IN..=MAX_EXPIRES_IN).contains(s)).ok_or_else(|| {
            ParamError::new(
                ErrorCode::ParameterInvalid,
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
                ErrorCode::EmailInvalid,
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
        locale: parse_locale(&map)?,
    })
}

/// `locale`: one of the supported locales, in any case (`pt-br`), answered as written there
/// (`pt-BR`); absent or `null` lets the shopper's browser decide.
pub fn parse_locale(map: &Map<String, Value>) -> Result<Option<&'static str>, ParamError> {
    match map.get("locale") {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_str()
            .and_then(locale::exact)
            .map(Some)
            .ok_or_else(|| {
                ParamError::new(
                    ErrorCode::ParameterInvalid,
                    "locale",
                    format!(
                        "locale must be one of {} (or null to follow the shopper's browser).",
                        locale::SUPPORTED.join(", ")
                    ),
                )
            }),
    }
}

/// The fields that make an order: a session from a payment link may send none of them.
pub const ORDER_FIELDS: &[&str] = &["amount", "line_items", "discounts", "currency"];

/// `amount` or `line_items` (+ `discounts`, `currency`): the exact totals.
pub fn parse_order(map: &Map<String, Value>) -> Result<Order, ParamError> {
    let (subtotal, currency, line_items) = match (map.get("amount"), map.get("line_items")) {
        (Some(_), Some(_)) => {
            return Err(ParamError::new(
                ErrorCode::ParameterInvalid,
                "line_items",
                "Give amount or line_items, not both.",
            ));
        }
        (None, Some(lines)) => {
            let lines = lines::parse_line_items(lines)?;
            let subtotal = order::subtotal(&lines).ok_or_else(|| {
                ParamError::new(
                    ErrorCode::AmountOutOfRange,
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
                    ErrorCode::ParameterInvalid,
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
        ParamError::new(ErrorCode::AmountOutOfRange, param, message)
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
fn link_id(value: &Value) -> Result<LinkId, ParamError> {
    match value.as_str().map(|id| (id, LinkId::parse(id))) {
        Some((_, Some(id))) => Ok(id),
        // The same answer as for a well-formed id that does not exist.
        Some((id, None)) => Err(ParamError::new(
            ErrorCode::ResourceMissing,
            "payment_link",
            format!("No such payment link: '{id}'."),
        )),
        None => Err(ParamError::new(
            ErrorCode::ParameterInvalid,
            "payment_link",
            "payment_link must be a payment link id such as \"plink_…\".",
        )),
    }
}

fn parse_amount(value: Option<&Value>) -> Result<(Cents, String), ParamError> {
    let Some(value) = value else {
        return Err(ParamError::new(
            ErrorCode::ParameterMissing,
            "amount",
            "amount is required, e.g. {\"value\": \"49.99\", \"currency\": \"USD\"}.",
        ));
    };
    let Value::Object(amount) = value else {
        return Err(ParamError::new(
            ErrorCode::ParameterInvalid,
            "amount",
            "amount must be an object: {\"value\": \"49.99\", \"currency\": \"USD\"}.",
        ));
    };
    if let Some(unknown) = amount.keys().find(|k| *k != "value" && *k != "currency") {
        return Err(ParamError::new(
            ErrorCode::ParameterUnknown,
            &format!("amount.{unknown}"),
            format!("Received unknown parameter: amount.{unknown}."),
        ));
    }
    let cents = decimal(amount.get("value"), "amount.value", "49.99")?;
    if !(MIN_TOTAL..=MAX_TOTAL).contains(&cents) {
        return Err(ParamError::new(
            ErrorCode::AmountOutOfRange,
            "amount.value",
            format!("amount.value must be from {MIN_TOTAL} to {MAX_TOTAL}; got {cents}."),
        ));
    }
    if amount.get("currency").is_none_or(Value::is_null) {
        return Err(ParamError::new(
            ErrorCode::ParameterMissing,
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
            ErrorCode::CurrencyUnsupported,
            param,
            format!("Currency \"{c}\" is not supported; only USD is."),
        )),
        Some(_) => Err(ParamError::new(
            ErrorCode::ParameterInvalid,
            param,
            format!("{param} must be a string: \"USD\"."),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(body: &str) -> ParamError {
        parse(body, false, Requester::SecretKey).expect_err("should be refused")
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
            ("", ErrorCode::InvalidJson, None),
            ("{", ErrorCode::InvalidJson, None),
            ("[]", ErrorCode::InvalidJson, None),
            (
                r#"{"amount":{"value":"1","currency":"USD"},"colour":"red"}"#,
                ErrorCode::ParameterUnknown,
                Some("colour"),
            ),
            (r#"{}"#, ErrorCode::ParameterMissing, Some("amount")),
            (
                r#"{"amount":{"value":49.99,"currency":"USD"}}"#,
                ErrorCode::AmountNotString,
                Some("amount.value"),
            ),
            (
                r#"{"amount":{"value":"-1","currency":"USD"}}"#,
                ErrorCode::AmountInvalid,
                Some("amount.value"),
            ),
            (
                r#"{"amount":{"value":"abc","currency":"USD"}}"#,
                ErrorCode::AmountInvalid,
                Some("amount.value"),
            ),
            (
                r#"{"amount":{"value":"1.234","currency":"USD"}}"#,
                ErrorCode::AmountInvalid,
                Some("amount.value"),
            ),
            (
                r#"{"amount":{"value":"0","currency":"USD"}}"#,
                ErrorCode::AmountOutOfRange,
                Some("amount.value"),
            ),
            (
                r#"{"amount":{"value":"1000000","currency":"USD"}}"#,
                ErrorCode::AmountOutOfRange,
                Some("amount.value"),
            ),
            (
                r#"{"amount":{"value":"1","currency":"EUR"}}"#,
                ErrorCode::CurrencyUnsupported,
                Some("amount.currency"),
            ),
            (
                r#"{"amount":{"value":"1"}}"#,
                ErrorCode::ParameterMissing,
                Some("amount.currency"),
            ),
            (
                r#"{"amount":{"value":"1","currency":"USD","x":1}}"#,
                ErrorCode::ParameterUnknown,
                Some("amount.x"),
            ),
            (
                r#"{"amount":{"value":"1","currency":"USD"},"mode":"subscription"}"#,
                ErrorCode::ModeUnsupported,
                Some("mode"),
            ),
            (
                r#"{"amount":{"value":"1","currency":"USD"},"chain_id":1}"#,
                ErrorCode::ParameterMissing,
                Some("token"),
            ),
            (
                r#"{"amount":{"value":"1","currency":"USD"},"chain_id":"1","token":"USDC"}"#,
                ErrorCode::ParameterInvalid,
                Some("chain_id"),
            ),
            (
                r#"{"amount":{"value":"1","currency":"USD"},"expires_in":10}"#,
                ErrorCode::ParameterInvalid,
                Some("expires_in"),
            ),
            (
                r#"{"amount":{"value":"1","currency":"USD"},"success_url":"javascript:alert(1)"}"#,
                ErrorCode::UrlInvalid,
                Some("success_url"),
            ),
            (
                r#"{"amount":{"value":"1","currency":"USD"},"customer_email":"nope"}"#,
                ErrorCode::EmailInvalid,
                Some("customer_email"),
            ),
            (
                r#"{"amount":{"value":"1","currency":"USD"},"metadata":{"k":1}}"#,
                ErrorCode::MetadataInvalid,
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
    fn a_locale_is_matched_in_any_case_and_kept_as_written_in_the_list() {
        let with = |value: &str| {
            parse(
                &format!(r#"{{"amount":{{"value":"1","currency":"USD"}},"locale":{value}}}"#),
                false,
                Requester::SecretKey,
            )
        };
        assert_eq!(with(r#""pt-br""#).map(|r| r.locale), Ok(Some("pt-BR")));
        assert_eq!(with(r#""ZH-cn""#).map(|r| r.locale), Ok(Some("zh-CN")));
        assert_eq!(with(r#""ar""#).map(|r| r.locale), Ok(Some("ar")));
        assert_eq!(with("null").map(|r| r.locale), Ok(None));
        for refused in [r#""xx""#, r#""pt""#, r#""de-AT""#, r#""""#, "7", "[]"] {
            let e = with(refused).expect_err(refused);
            assert_eq!(
                (e.code, e.param.as_deref()),
                (ErrorCode::ParameterInvalid, Some("locale")),
                "{refused}"
            );
            assert!(e.message.contains("en, de, fr"), "{}", e.message);
            assert!(e.message.contains("pt-BR") && e.message.contains("zh-CN"));
        }
    }

    #[test]
    fn live_mode_needs_https() {
        let body =
            r#"{"amount":{"value":"1","currency":"USD"},"success_url":"http://shop.example/ok"}"#;
        assert!(parse(body, false, Requester::SecretKey).is_ok());
        assert_eq!(
            parse(body, true, Requester::SecretKey).map_err(|e| e.code),
            Err(ErrorCode::UrlInvalid)
        );
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
        assert_eq!(ok.source, Source::Link(link.parse().unwrap()));
        assert_eq!(ok.customer_email.as_deref(), Some("a@b.co"));

        let with_amount =
            format!(r#"{{"payment_link":"{link}","amount":{{"value":"1","currency":"USD"}}}}"#);
        let e = parse(&with_amount, false, Requester::SecretKey).expect_err("both");
        assert_eq!(
            (e.code, e.param.as_deref()),
            (ErrorCode::ParameterInvalid, Some("amount"))
        );
        let e = parse(r#"{"payment_link":"plink_x"}"#, false, Requester::SecretKey)
            .expect_err("malformed id");
        assert_eq!(e.code, ErrorCode::ResourceMissing);
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
            (ErrorCode::PublishableKeyRestricted, Some("amount"))
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
        let ok = parse(
            r#"{"amount":{"value":"1","currency":"USD"},"chain_id":31337.0,"token":"USDC","expires_in":600.0}"#,
            false,
            Requester::SecretKey,
        )
        .expect("valid");
        assert_eq!(ok.option, Some((31337, "USDC".into())));
        assert_eq!(ok.expires_in, Some(600));
    }

    #[test]
    fn a_session_inherits_what_it_does_not_say() {
        let mut req = parse(
            r#"{"payment_link":"plink_0123456789abcdefghijABCD","return_url":"https://shop.example/back","metadata":{"campaign":"winter"}}"#,
            false,
            Requester::SecretKey,
        )
        .expect("valid");
        assert!(matches!(req.source, Source::Link(_)));
        let order = req.inherit(&crate::link::tests::link());
        assert_eq!(order.amount_total, Cents(2500));
        assert_eq!(req.success_url.as_deref(), Some("https://shop.example/ok"));
        assert_eq!(req.return_url.as_deref(), Some("https://shop.example/back"));
        assert_eq!(req.description.as_deref(), Some("Poster"));
        assert_eq!(req.metadata["campaign"], "winter");
        assert_eq!(req.metadata["sku"], "P-1");
        assert_eq!(req.locale, Some("de"), "the link's locale");

        let mut own = parse(
            r#"{"payment_link":"plink_0123456789abcdefghijABCD","locale":"JA"}"#,
            false,
            Requester::SecretKey,
        )
        .expect("valid");
        own.inherit(&crate::link::tests::link());
        assert_eq!(own.locale, Some("ja"), "the request's own locale wins");
    }
}
