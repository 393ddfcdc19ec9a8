//! `POST /v1/admin/demo` parameters: the payment link the demo shop sells and the
//! publishable key it starts sessions with.

use crate::account::KeyKind;
use crate::error_code::ErrorCode;
use crate::params::{ParamError, object, optional_string, reject_unknown};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoConfig {
    pub publishable_key: String,
    pub payment_link: String,
}

pub fn parse(body: &str) -> Result<DemoConfig, ParamError> {
    let map = object(body)?;
    reject_unknown(&map, &["publishable_key", "payment_link"])?;
    let required = |name: &str| {
        optional_string(&map, name, 200)?.ok_or_else(|| {
            ParamError::new(
                ErrorCode::ParameterMissing,
                name,
                format!("{name} is required."),
            )
        })
    };
    let publishable_key = required("publishable_key")?;
    if !matches!(
        KeyKind::of_key(&publishable_key),
        Some((KeyKind::Publishable, _))
    ) {
        return Err(ParamError::new(
            ErrorCode::ParameterInvalid,
            "publishable_key",
            "publishable_key must be a publishable key (pk_test_… or pk_live_…); a secret key never goes into a page.",
        ));
    }
    Ok(DemoConfig {
        publishable_key,
        payment_link: required("payment_link")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_publishable_key_and_a_link() {
        let ok = parse(r#"{"publishable_key":"pk_test_abc","payment_link":"plink_x"}"#).unwrap();
        assert_eq!(ok.payment_link, "plink_x");
        let param = |body: &str| parse(body).unwrap_err().param.unwrap();
        assert_eq!(
            param(r#"{"publishable_key":"sk_test_abc","payment_link":"plink_x"}"#),
            "publishable_key"
        );
        assert_eq!(param(r#"{"payment_link":"plink_x"}"#), "publishable_key");
        assert_eq!(
            param(r#"{"publishable_key":"pk_test_abc"}"#),
            "payment_link"
        );
        assert_eq!(
            param(r#"{"publishable_key":"pk_test_abc","payment_link":"p","x":1}"#),
            "x"
        );
    }
}
