//! How typed values read from D1 columns, one helper per column kind, for
//! `#[serde(with = …)]`. Money is decimal TEXT (never a number: D1 numbers are doubles);
//! flags are D1 integers, where anything but 0 is set; JSON documents are TEXT. Hashes and
//! addresses (0x-hex TEXT) and times (RFC 3339 TEXT) need no helper: their own serde reads
//! exactly what the store writes.

/// A `U256` kept as a decimal string (`"49990000"`): amounts and balances.
pub(super) mod decimal {
    use alloy_primitives::U256;
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer};

    pub(in crate::store) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<U256, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        kasse_shared::money::parse_base_units(&text)
            .ok_or_else(|| D::Error::custom(format!("not a decimal amount: {text:?}")))
    }
}

/// A boolean kept as a D1 integer.
pub(super) mod flag {
    use serde::{Deserialize, Deserializer};

    pub(in crate::store) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        Ok(i64::deserialize(d)? != 0)
    }
}

/// A value kept as its JSON text.
pub(super) mod json_text {
    use serde::de::{DeserializeOwned, Error as _};
    use serde::{Deserialize, Deserializer};

    pub(in crate::store) fn deserialize<'de, D, T>(d: D) -> Result<T, D::Error>
    where
        D: Deserializer<'de>,
        T: DeserializeOwned,
    {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        serde_json::from_str(&text).map_err(D::Error::custom)
    }
}

/// An optional value kept as its JSON text (NULL for none).
pub(super) mod opt_json_text {
    use serde::de::{DeserializeOwned, Error as _};
    use serde::{Deserialize, Deserializer};

    pub(in crate::store) fn deserialize<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: DeserializeOwned,
    {
        Option::<std::borrow::Cow<'de, str>>::deserialize(d)?
            .map(|text| serde_json::from_str(&text).map_err(D::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::U256;
    use serde::Deserialize;
    use serde_json::{Value, json};

    #[derive(Debug, Deserialize, PartialEq)]
    struct Row {
        #[serde(with = "super::decimal")]
        amount: U256,
        #[serde(with = "super::flag")]
        counted: bool,
        #[serde(default, with = "super::opt_json_text")]
        doc: Option<Vec<u8>>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Required {
        #[serde(with = "super::json_text")]
        list: Vec<String>,
    }

    fn read(value: Value) -> Result<Row, String> {
        Row::deserialize(&value).map_err(|e| e.to_string())
    }

    #[test]
    fn columns_read_into_their_types() {
        assert_eq!(
            read(json!({"amount": "49990000", "counted": 1, "doc": "[1,2]"})),
            Ok(Row {
                amount: U256::from(49_990_000u32),
                counted: true,
                doc: Some(vec![1, 2]),
            })
        );
        let row = read(json!({"amount": "0", "counted": 0, "doc": null})).expect("readable");
        assert_eq!(
            (row.amount, row.counted, row.doc),
            (U256::ZERO, false, None)
        );
    }

    #[test]
    fn a_missing_json_column_is_none_and_any_nonzero_flag_is_set() {
        let row = read(json!({"amount": "1", "counted": 2})).expect("readable");
        assert!(row.counted);
        assert_eq!(row.doc, None);
    }

    #[test]
    fn money_reads_only_as_a_decimal_string() {
        let largest = U256::MAX.to_string();
        assert_eq!(
            read(json!({"amount": largest, "counted": 0})).map(|r| r.amount),
            Ok(U256::MAX)
        );
        for bad in [
            json!(5),
            json!("0x5"),
            json!("-5"),
            json!(" 5"),
            json!(""),
            json!("5.0"),
        ] {
            assert!(
                read(json!({"amount": bad, "counted": 0})).is_err(),
                "{bad} is not an amount"
            );
        }
    }

    #[test]
    fn a_malformed_json_column_does_not_read() {
        let err = read(json!({"amount": "1", "counted": 0, "doc": "[1,"})).expect_err("malformed");
        assert!(err.contains("EOF"), "{err}");
        assert!(Required::deserialize(&json!({"list": "[\"a\""})).is_err());
        assert!(Required::deserialize(&json!({"list": null})).is_err());
    }

    #[test]
    fn a_required_json_column_reads_its_document() {
        assert_eq!(
            Required::deserialize(&json!({"list": "[\"*\"]"})).expect("readable"),
            Required {
                list: vec!["*".to_owned()]
            }
        );
    }
}
