//! Payment links: a fixed order that anyone with its URL can start a session from. The
//! link is the merchant's; each session it starts is the shopper's.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::{AccountId, LinkId};
use crate::order::Order;
use crate::time::Timestamp;

/// A payment link as stored (the `data` column) and, with its `url`, as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentLink {
    pub id: LinkId,
    pub object: String,
    pub account_id: AccountId,
    pub livemode: bool,
    pub active: bool,
    #[serde(flatten)]
    pub order: Order,
    pub description: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub success_url: Option<String>,
    pub cancel_url: Option<String>,
    pub return_url: Option<String>,
    /// The language its sessions' shoppers get (one of `locale::SUPPORTED`); none lets each
    /// shopper's browser decide.
    #[serde(default)]
    pub locale: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The wire object: the link and its public page.
#[derive(Debug, Clone, Serialize)]
pub struct LinkObject<'a> {
    #[serde(flatten)]
    pub link: &'a PaymentLink,
    pub url: String,
}

/// `{BASE}/l/{id}`: the public page whose POST starts a session.
pub fn page_url(base_url: &str, id: &str) -> String {
    format!("{}/l/{id}", base_url.trim_end_matches('/'))
}

impl PaymentLink {
    pub fn object(&self, base_url: &str) -> LinkObject<'_> {
        LinkObject {
            link: self,
            url: page_url(base_url, &self.id),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::money::Cents;

    pub(crate) fn link() -> PaymentLink {
        PaymentLink {
            id: "plink_0123456789abcdefghijABCD".parse().unwrap(),
            object: "payment_link".into(),
            account_id: "acct_0123456789abcdefghijABCD".parse().unwrap(),
            livemode: false,
            active: true,
            order: Order {
                currency: "USD".into(),
                amount_subtotal: Cents(2500),
                amount_total: Cents(2500),
                line_items: Vec::new(),
                discounts: Vec::new(),
            },
            description: Some("Poster".into()),
            metadata: [
                ("sku".into(), "P-1".into()),
                ("campaign".into(), "fall".into()),
            ]
            .into_iter()
            .collect(),
            success_url: Some("https://shop.example/ok".into()),
            cancel_url: None,
            return_url: Some("https://shop.example/".into()),
            locale: Some("de".into()),
            created_at: Timestamp(1_700_000_000),
            updated_at: Timestamp(1_700_000_000),
        }
    }

    #[test]
    fn stored_form_round_trips_and_the_object_has_its_url() {
        let l = link();
        let text = serde_json::to_string(&l).expect("encodes");
        assert!(text.contains(r#""amount_total":"25.00""#), "{text}");
        assert_eq!(
            serde_json::from_str::<PaymentLink>(&text).expect("decodes"),
            l
        );
        let object = serde_json::to_value(l.object("https://pay.example/")).expect("encodes");
        assert_eq!(
            object["url"],
            "https://pay.example/l/plink_0123456789abcdefghijABCD"
        );
        assert_eq!(object["object"], "payment_link");
    }
}
