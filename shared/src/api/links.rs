//! `POST /v1/payment_links` and `POST /v1/payment_links/{id}` parameters.

use crate::error_code::ErrorCode;
use std::collections::BTreeMap;

use serde_json::Value;

use super::create::{ORDER_FIELDS, parse_locale, parse_order};
use crate::link::PaymentLink;
use crate::order::Order;
use crate::params::{
    METADATA_MAX_KEYS, ParamError, object, optional_bool, optional_string, optional_url,
    parse_metadata, reject_unknown,
};
use crate::time::Timestamp;

/// A new link, before it has an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLink {
    pub order: Order,
    pub active: bool,
    pub description: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub success_url: Option<String>,
    pub cancel_url: Option<String>,
    pub return_url: Option<String>,
    pub locale: Option<&'static str>,
}

const URL_FIELDS: [&str; 3] = ["success_url", "cancel_url", "return_url"];

pub fn parse_create(body: &str, livemode: bool) -> Result<NewLink, ParamError> {
    let map = object(body)?;
    let mut allowed = ORDER_FIELDS.to_vec();
    allowed.extend(["active", "description", "metadata", "locale"]);
    allowed.extend(URL_FIELDS);
    reject_unknown(&map, &allowed)?;
    Ok(NewLink {
        locale: parse_locale(&map)?,
        order: parse_order(&map)?,
        active: optional_bool(&map, "active")?.unwrap_or(true),
        description: optional_string(&map, "description", 500)?,
        metadata: parse_metadata(map.get("metadata"))?,
        success_url: optional_url(&map, "success_url", livemode)?,
        cancel_url: optional_url(&map, "cancel_url", livemode)?,
        return_url: optional_url(&map, "return_url", livemode)?,
    })
}

/// What an update changes; `None` leaves a field as it is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LinkUpdate {
    pub active: Option<bool>,
    /// `Some(None)`: cleared with `null`.
    pub description: Option<Option<String>>,
    /// Stripe's rule: keys are set one by one; an empty value removes its key; `null`
    /// removes them all.
    pub metadata: Option<Option<BTreeMap<String, String>>>,
    pub urls: [Option<Option<String>>; 3],
    /// `Some(None)`: cleared with `null` (each shopper's browser decides again).
    pub locale: Option<Option<&'static str>>,
}

pub fn parse_update(body: &str, livemode: bool) -> Result<LinkUpdate, ParamError> {
    let map = object(body)?;
    if let Some(field) = ORDER_FIELDS.iter().find(|f| map.contains_key(**f)) {
        return Err(ParamError::new(
            ErrorCode::ParameterImmutable,
            field,
            format!(
                "A payment link's {field} cannot change (sessions already started from it must match it); create a new link and deactivate this one."
            ),
        ));
    }
    let mut allowed = vec!["active", "description", "metadata", "locale"];
    allowed.extend(URL_FIELDS);
    reject_unknown(&map, &allowed)?;
    let clearable = |key: &str, value: Result<Option<String>, ParamError>| match map.get(key) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(_) => value.map(Some),
    };
    Ok(LinkUpdate {
        active: optional_bool(&map, "active")?,
        locale: match parse_locale(&map)? {
            None if map.contains_key("locale") => Some(None),
            None => None,
            given => Some(given),
        },
        description: clearable("description", optional_string(&map, "description", 500))?,
        metadata: match map.get("metadata") {
            None => None,
            Some(Value::Null) => Some(None),
            Some(v) => Some(Some(parse_metadata(Some(v))?)),
        },
        urls: [
            clearable(URL_FIELDS[0], optional_url(&map, URL_FIELDS[0], livemode))?,
            clearable(URL_FIELDS[1], optional_url(&map, URL_FIELDS[1], livemode))?,
            clearable(URL_FIELDS[2], optional_url(&map, URL_FIELDS[2], livemode))?,
        ],
    })
}

impl LinkUpdate {
    /// The link after the update; refused if the metadata would grow past its limit.
    pub fn apply(self, link: &PaymentLink, now: Timestamp) -> Result<PaymentLink, ParamError> {
        let mut next = link.clone();
        if let Some(active) = self.active {
            next.active = active;
        }
        if let Some(description) = self.description {
            next.description = description;
        }
        if let Some(locale) = self.locale {
            next.locale = locale.map(str::to_owned);
        }
        match self.metadata {
            None => {}
            Some(None) => next.metadata.clear(),
            Some(Some(changes)) => {
                for (k, v) in changes {
                    if v.is_empty() {
                        next.metadata.remove(&k);
                    } else {
                        next.metadata.insert(k, v);
                    }
                }
                if next.metadata.len() > METADATA_MAX_KEYS {
                    return Err(ParamError::new(
                        ErrorCode::MetadataInvalid,
                        "metadata",
                        format!("metadata may have at most {METADATA_MAX_KEYS} keys."),
                    ));
                }
            }
        }
        let [success, cancel, ret] = self.urls;
        for (field, change) in [
            (&mut next.success_url, success),
            (&mut next.cancel_url, cancel),
            (&mut next.return_url, ret),
        ] {
            if let Some(value) = change {
                *field = value;
            }
        }
        if next != *link {
            next.updated_at = now;
        }
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Cents;

    #[test]
    fn create_takes_an_order_and_defaults_to_active() {
        let l = parse_create(
            r#"{"line_items":[{"name":"Poster","quantity":2,"unit_amount":"12.50"}],"discounts":[{"name":"Fall","percent_off":"10"}],"description":"Posters"}"#,
            false,
        )
        .expect("valid");
        assert!(l.active);
        assert_eq!(l.locale, None);
        assert_eq!(l.order.amount_subtotal, Cents(2500));
        assert_eq!(l.order.amount_total, Cents(2250));
        for (body, param) in [
            (r#"{}"#, "amount"),
            (
                r#"{"amount":{"value":"1","currency":"USD"},"active":"yes"}"#,
                "active",
            ),
            (
                r#"{"amount":{"value":"1","currency":"USD"},"customer_email":"a@b.co"}"#,
                "customer_email",
            ),
            (
                r#"{"amount":{"value":"1","currency":"USD"},"success_url":"ftp://x"}"#,
                "success_url",
            ),
        ] {
            assert_eq!(
                parse_create(body, false)
                    .err()
                    .and_then(|e| e.param)
                    .as_deref(),
                Some(param),
                "{body}"
            );
        }
        assert_eq!(
            parse_create(
                r#"{"amount":{"value":"1","currency":"USD"},"cancel_url":"http://shop.example"}"#,
                true
            )
            .map_err(|e| e.code),
            Err(ErrorCode::UrlInvalid)
        );
    }

    #[test]
    fn updates_change_only_what_they_name() {
        let link = crate::link::tests::link();
        let same = parse_update("{}", false)
            .expect("empty")
            .apply(&link, Timestamp(1))
            .expect("ok");
        assert_eq!(same, link, "nothing changed, not even updated_at");

        let next = parse_update(
            r#"{"active":false,"description":null,"metadata":{"sku":"","new":"1"},"return_url":null,"locale":"pt-br"}"#,
            false,
        )
        .expect("valid")
        .apply(&link, Timestamp(2_000_000_000))
        .expect("ok");
        assert!(!next.active);
        assert_eq!(next.description, None);
        assert_eq!(next.return_url, None);
        assert_eq!(next.locale.as_deref(), Some("pt-BR"));
        let cleared = parse_update(r#"{"locale":null}"#, false)
            .expect("valid")
            .apply(&next, Timestamp(2_000_000_001))
            .expect("ok");
        assert_eq!(cleared.locale, None);
        assert_eq!(
            parse_update(r#"{"locale":"klingon"}"#, false)
                .err()
                .and_then(|e| e.param)
                .as_deref(),
            Some("locale")
        );
        assert_eq!(next.success_url, link.success_url);
        assert_eq!(
            next.metadata.keys().map(String::as_str).collect::<Vec<_>>(),
            ["campaign", "new"]
        );
        assert_eq!(next.updated_at, Timestamp(2_000_000_000));

        let e = parse_update(r#"{"amount":{"value":"1","currency":"USD"}}"#, false)
            .expect_err("immutable");
        assert_eq!(
            (e.code, e.param.as_deref()),
            (ErrorCode::ParameterImmutable, Some("amount"))
        );
    }
}
