//! `line_items` and `discounts` of a create request or a payment link.

use crate::error_code::ErrorCode;
use serde_json::{Map, Value};

use crate::money::Cents;
use crate::order::{LineItem, MAX_DISCOUNTS, MAX_LINE_ITEMS, MAX_QUANTITY, Off, Percent};
use crate::params::{ParamError, decimal, whole_number};

fn entries<'a>(value: &'a Value, param: &str, max: usize) -> Result<&'a Vec<Value>, ParamError> {
    match value {
        Value::Array(list) if list.is_empty() => Err(ParamError::new(
            ErrorCode::ParameterInvalid,
            param,
            format!("{param} must not be empty; omit it instead."),
        )),
        Value::Array(list) if list.len() > max => Err(ParamError::new(
            ErrorCode::ParameterInvalid,
            param,
            format!("{param} takes at most {max} entries."),
        )),
        Value::Array(list) => Ok(list),
        _ => Err(ParamError::new(
            ErrorCode::ParameterInvalid,
            param,
            format!("{param} must be an array of objects."),
        )),
    }
}

fn fields<'a>(
    value: &'a Value,
    param: &str,
    allowed: &[&str],
) -> Result<&'a Map<String, Value>, ParamError> {
    let Value::Object(map) = value else {
        return Err(ParamError::new(
            ErrorCode::ParameterInvalid,
            param,
            format!("{param} must be an object."),
        ));
    };
    if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
        let name = format!("{param}.{unknown}");
        return Err(ParamError::new(
            ErrorCode::ParameterUnknown,
            &name,
            format!("Received unknown parameter: {name}."),
        ));
    }
    Ok(map)
}

fn name(map: &Map<String, Value>, param: &str, max: usize) -> Result<String, ParamError> {
    let key = format!("{param}.name");
    match map.get("name") {
        Some(Value::String(s)) if !s.trim().is_empty() && s.chars().count() <= max => Ok(s.clone()),
        None | Some(Value::Null) => Err(ParamError::new(
            ErrorCode::ParameterMissing,
            &key,
            format!("{key} is required."),
        )),
        _ => Err(ParamError::new(
            ErrorCode::ParameterInvalid,
            &key,
            format!("{key} must be a non-empty string of at most {max} characters."),
        )),
    }
}

/// `[{name, quantity, unit_amount}]`: exact lines (`unit_amount` a decimal string).
pub fn parse_line_items(value: &Value) -> Result<Vec<LineItem>, ParamError> {
    let list = entries(value, "line_items", MAX_LINE_ITEMS)?;
    list.iter()
        .enumerate()
        .map(|(i, item)| {
            let param = format!("line_items[{i}]");
            let map = fields(item, &param, &["name", "quantity", "unit_amount"])?;
            let name = name(map, &param, 250)?;
            let quantity_param = format!("{param}.quantity");
            let quantity = match map.get("quantity") {
                None | Some(Value::Null) => 1,
                Some(q) => whole_number(q)
                    .and_then(|q| u32::try_from(q).ok())
                    .filter(|q| (1..=MAX_QUANTITY).contains(q))
                    .ok_or_else(|| {
                        ParamError::new(
                            ErrorCode::ParameterInvalid,
                            &quantity_param,
                            format!(
                                "{quantity_param} must be an integer from 1 to {MAX_QUANTITY}."
                            ),
                        )
                    })?,
            };
            let unit_param = format!("{param}.unit_amount");
            let unit = decimal(map.get("unit_amount"), &unit_param, "19.99")?;
            if unit == Cents(0) {
                return Err(ParamError::new(
                    ErrorCode::AmountOutOfRange,
                    &unit_param,
                    format!("{unit_param} must be more than 0."),
                ));
            }
            LineItem::new(name, quantity, unit).ok_or_else(|| {
                ParamError::new(
                    ErrorCode::AmountOutOfRange,
                    &unit_param,
                    format!("{param} is too large."),
                )
            })
        })
        .collect()
}

/// `[{name, amount_off | percent_off}]`, applied in order to the running total.
pub fn parse_discounts(value: Option<&Value>) -> Result<Vec<(String, Off)>, ParamError> {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Ok(Vec::new());
    };
    let list = entries(value, "discounts", MAX_DISCOUNTS)?;
    list.iter()
        .enumerate()
        .map(|(i, item)| {
            let param = format!("discounts[{i}]");
            let map = fields(item, &param, &["name", "amount_off", "percent_off"])?;
            let name = name(map, &param, 100)?;
            let given = |k: &str| map.get(k).is_some_and(|v| !v.is_null());
            let off = match (given("amount_off"), given("percent_off")) {
                (true, false) => {
                    let key = format!("{param}.amount_off");
                    let cents = decimal(map.get("amount_off"), &key, "5.00")?;
                    if cents == Cents(0) {
                        return Err(ParamError::new(
                            ErrorCode::AmountOutOfRange,
                            &key,
                            format!("{key} must be more than 0."),
                        ));
                    }
                    Off::Amount(cents)
                }
                (false, true) => {
                    let key = format!("{param}.percent_off");
                    // A number is fine here (it is not money), read from its text exactly.
                    let text = match map.get("percent_off") {
                        Some(Value::String(s)) => s.clone(),
                        Some(Value::Number(n)) => n.to_string(),
                        _ => String::new(),
                    };
                    Off::Percent(Percent::parse(&text).ok_or_else(|| {
                        ParamError::new(
                            ErrorCode::ParameterInvalid,
                            &key,
                            format!("{key} must be a percentage above 0 and at most 100, with at most 2 decimals, e.g. \"12.5\"."),
                        )
                    })?)
                }
                _ => {
                    return Err(ParamError::new(
                        ErrorCode::ParameterInvalid,
                        &param,
                        format!("{param} needs exactly one of amount_off or percent_off."),
                    ));
                }
            };
            Ok((name, off))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lines_parse_exactly() {
        let lines = parse_line_items(&json!([
            {"name": "Mug", "quantity": 3, "unit_amount": "19.99"},
            {"name": "Card", "unit_amount": "5"}
        ]))
        .unwrap();
        assert_eq!(lines[0].amount_total, Cents(5997));
        assert_eq!(lines[1].quantity, 1);
        assert_eq!(lines[1].amount_total, Cents(500));
    }

    #[test]
    fn bad_lines_name_the_parameter() {
        for (body, param, code) in [
            (json!([]), "line_items", ErrorCode::ParameterInvalid),
            (json!({}), "line_items", ErrorCode::ParameterInvalid),
            (
                json!([{"name": "A", "unit_amount": 19.99}]),
                "line_items[0].unit_amount",
                ErrorCode::AmountNotString,
            ),
            (
                json!([{"name": "A", "unit_amount": "1.999"}]),
                "line_items[0].unit_amount",
                ErrorCode::AmountInvalid,
            ),
            (
                json!([{"name": "A", "unit_amount": "0"}]),
                "line_items[0].unit_amount",
                ErrorCode::AmountOutOfRange,
            ),
            (
                json!([{"name": "A", "unit_amount": "1", "quantity": 0}]),
                "line_items[0].quantity",
                ErrorCode::ParameterInvalid,
            ),
            (
                json!([{"name": "A", "unit_amount": "1", "quantity": 10_001}]),
                "line_items[0].quantity",
                ErrorCode::ParameterInvalid,
            ),
            (
                json!([{"name": "A", "unit_amount": "1", "quantity": 1.5}]),
                "line_items[0].quantity",
                ErrorCode::ParameterInvalid,
            ),
            (
                json!([{"unit_amount": "1"}]),
                "line_items[0].name",
                ErrorCode::ParameterMissing,
            ),
            (
                json!([{"name": "A", "unit_amount": "1", "sku": "x"}]),
                "line_items[0].sku",
                ErrorCode::ParameterUnknown,
            ),
        ] {
            let e = parse_line_items(&body).unwrap_err();
            assert_eq!((e.param.as_deref(), e.code), (Some(param), code), "{body}");
        }
    }

    #[test]
    fn discounts_take_one_kind_each() {
        let d = parse_discounts(Some(&json!([
            {"name": "TEN", "percent_off": "10"},
            {"name": "HALF", "percent_off": 12.5},
            {"name": "FIVE", "amount_off": "5.00"}
        ])))
        .unwrap();
        assert_eq!(d[0].1, Off::Percent(Percent(1000)));
        assert_eq!(d[1].1, Off::Percent(Percent(1250)));
        assert_eq!(d[2].1, Off::Amount(Cents(500)));
        for (body, param) in [
            (json!([{"name": "X"}]), "discounts[0]"),
            (
                json!([{"name": "X", "amount_off": "1", "percent_off": "1"}]),
                "discounts[0]",
            ),
            (
                json!([{"name": "X", "percent_off": "0"}]),
                "discounts[0].percent_off",
            ),
            (
                json!([{"name": "X", "percent_off": "100.5"}]),
                "discounts[0].percent_off",
            ),
            (
                json!([{"name": "X", "amount_off": 5}]),
                "discounts[0].amount_off",
            ),
        ] {
            let e = parse_discounts(Some(&body)).unwrap_err();
            assert_eq!(e.param.as_deref(), Some(param), "{body}");
        }
    }
}
