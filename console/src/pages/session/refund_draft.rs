//! The Refund form as a pure reducer, the `POST /v1/checkout_sessions/{id}/refunds` body it
//! becomes, and what the session may still refund in its selected token. Amounts are typed
//! in whole tokens and sent as exact base units; the API decides whether they fit.

use std::rc::Rc;

use serde::Serialize;
use yew::Reducible;

use crate::api::ApiError;
use crate::money;
use crate::objects::{RefundObject, SessionObject};

/// What the refund gives back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum What {
    /// Everything the session may still refund in its selected token (the API's default).
    #[default]
    Everything,
    /// Only what was paid beyond the amount due.
    Excess,
    /// An amount the merchant types, in whole tokens.
    Amount,
    /// One recorded payment, in its own chain and token.
    Payment,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RefundDraft {
    pub what: What,
    pub amount: String,
    /// `pay_…`.
    pub payment: String,
    pub address: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DraftEdit {
    What(What),
    Amount(String),
    Payment(String),
    Address(String),
    Reason(String),
}

/// The create body; absent fields are left out.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct CreateBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excess: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

/// A refusal of the form's own, beside the field it names, as the API's would be.
fn refused(param: &str, message: String) -> ApiError {
    ApiError {
        status: 400,
        kind: "invalid_request_error".into(),
        code: "parameter_invalid".into(),
        message,
        param: Some(param.into()),
    }
}

fn given(text: &str) -> Option<String> {
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

impl RefundDraft {
    /// The body to send; a typed amount is read in whole `token`s of `decimals` places.
    pub fn body(&self, token: &str, decimals: u8) -> Result<CreateBody, ApiError> {
        let mut body = CreateBody {
            reason: given(&self.reason),
            address: given(&self.address),
            ..CreateBody::default()
        };
        match self.what {
            What::Everything => {}
            What::Excess => body.excess = Some(true),
            What::Amount => {
                let amount = money::parse_units(&self.amount, decimals).ok_or_else(|| {
                    refused(
                        "amount",
                        format!(
                            "Enter the amount in {token}, such as 1.5 (at most {decimals} decimal places)."
                        ),
                    )
                })?;
                body.amount = Some(amount);
            }
            What::Payment => {
                let payment = given(&self.payment).ok_or_else(|| {
                    refused("payment", "Choose the payment to refund.".to_owned())
                })?;
                body.payment = Some(payment);
            }
        }
        Ok(body)
    }
}

impl Reducible for RefundDraft {
    type Action = DraftEdit;

    fn reduce(self: Rc<Self>, edit: DraftEdit) -> Rc<Self> {
        let mut next = (*self).clone();
        match edit {
            DraftEdit::What(what) => next.what = what,
            DraftEdit::Amount(text) => next.amount = text,
            DraftEdit::Payment(id) => next.payment = id,
            DraftEdit::Address(text) => next.address = text,
            DraftEdit::Reason(text) => next.reason = text,
        }
        Rc::new(next)
    }
}

/// What the session may still refund in its selected token, in base units: what it
/// received there less every refund in that chain and token not canceled or failed.
/// `None` before an option was chosen.
pub fn refundable(session: &SessionObject, refunds: &[RefundObject]) -> Option<String> {
    let (chain_id, token) = (session.chain_id?, session.selected_token.as_deref()?);
    let held = refunds
        .iter()
        .filter(|r| r.holds_amount() && r.chain_id == chain_id && r.token == token)
        .try_fold("0".to_owned(), |sum, r| money::add(&sum, &r.amount))?;
    // More held than received cannot happen; shown as nothing left rather than an error.
    Some(money::sub(&session.amount_received, &held).unwrap_or_else(|| "0".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(edits: impl IntoIterator<Item = DraftEdit>) -> RefundDraft {
        edits
            .into_iter()
            .fold(Rc::new(RefundDraft::default()), Reducible::reduce)
            .as_ref()
            .clone()
    }

    #[test]
    fn everything_is_the_apis_default_and_sends_only_what_was_given() {
        assert_eq!(draft([]).body("USDC", 6), Ok(CreateBody::default()));
        let body = draft([
            DraftEdit::Address(" 0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f ".into()),
            DraftEdit::Reason("Damaged in transit".into()),
        ])
        .body("USDC", 6)
        .expect("a body");
        assert_eq!(
            body.address.as_deref(),
            Some("0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f")
        );
        assert_eq!(body.reason.as_deref(), Some("Damaged in transit"));
        assert_eq!((body.amount, body.excess, body.payment), (None, None, None));
    }

    #[test]
    fn a_typed_amount_goes_as_exact_base_units() {
        let six = draft([
            DraftEdit::What(What::Amount),
            DraftEdit::Amount("0.5".into()),
        ]);
        assert_eq!(
            six.body("USDC", 6).expect("ok").amount.as_deref(),
            Some("500000")
        );
        let eighteen = draft([
            DraftEdit::What(What::Amount),
            DraftEdit::Amount("0.000000000000000001".into()),
        ]);
        assert_eq!(
            eighteen.body("ETH", 18).expect("ok").amount.as_deref(),
            Some("1")
        );
        let bad = Rc::new(six).reduce(DraftEdit::Amount("0.0000001".into()));
        let error = bad.body("USDC", 6).expect_err("too many places");
        assert_eq!(error.param.as_deref(), Some("amount"));
        assert!(error.message.contains("at most 6 decimal places"));
    }

    #[test]
    fn the_excess_and_a_payment_are_named_as_the_api_takes_them() {
        let excess = draft([DraftEdit::Amount("3".into()), DraftEdit::What(What::Excess)]);
        assert_eq!(
            excess.body("USDC", 6),
            Ok(CreateBody {
                excess: Some(true),
                ..CreateBody::default()
            })
        );
        let unchosen = draft([DraftEdit::What(What::Payment)]).body("USDC", 6);
        assert_eq!(
            unchosen.expect_err("no payment").param.as_deref(),
            Some("payment")
        );
        let chosen = draft([
            DraftEdit::What(What::Payment),
            DraftEdit::Payment("pay_1".into()),
        ]);
        assert_eq!(
            chosen.body("USDC", 6).expect("ok").payment.as_deref(),
            Some("pay_1")
        );
    }

    fn refund(status: &str, token: &str, amount: &str) -> RefundObject {
        RefundObject {
            status: status.into(),
            token: token.into(),
            ..RefundObject::sample(amount)
        }
    }

    fn session(received: &str) -> SessionObject {
        let json = format!(
            r#"{{"id":"cs_test_1","status":"overpaid","livemode":false,"currency":"USD","amount_total":"49.99",
            "chain_id":31337,"selected_token":"USDC","address":"0x0","version":1,"amount_received":"{received}"}}"#
        );
        serde_json::from_str(&json).expect("a session")
    }

    #[test]
    fn what_is_refundable_leaves_out_canceled_and_failed_refunds_and_other_tokens() {
        let s = session("50490000");
        assert_eq!(refundable(&s, &[]).as_deref(), Some("50490000"));
        let refunds = [
            refund("succeeded", "USDC", "500000"),
            refund("pending", "USDC", "1"),
            refund("canceled", "USDC", "49990000"),
            refund("failed", "USDC", "7"),
            refund("requires_address", "ETH", "1000"),
        ];
        assert_eq!(refundable(&s, &refunds).as_deref(), Some("49989999"));
        let unchosen = SessionObject {
            chain_id: None,
            ..s
        };
        assert_eq!(refundable(&unchosen, &refunds), None);
    }
}
