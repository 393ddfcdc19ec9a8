//! The ETag of the shopper's view: a poll that finds nothing new gets a bodiless 304.

use sha2::{Digest, Sha256};

use crate::shopper::ShopperView;
use crate::time::Timestamp;

/// A weak ETag over the whole view but `server_time`, which changes with every answer
/// and says nothing about the session.
pub fn shopper_etag(view: &ShopperView) -> String {
    let stable = ShopperView {
        server_time: Timestamp(0),
        ..view.clone()
    };
    // Plain strings, numbers and options: serialising them cannot fail.
    let bytes = serde_json::to_vec(&stable).unwrap_or_default();
    let digest = Sha256::digest(&bytes);
    format!("W/\"{}\"", alloy_primitives::hex::encode(&digest[..12]))
}

/// Whether an `If-None-Match` header names `tag` (or is `*`): the client's copy is current.
pub fn matches(if_none_match: &str, tag: &str) -> bool {
    if_none_match
        .split(',')
        .map(str::trim)
        .any(|given| given == tag || given == "*")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::view::shopper_view;
    use crate::catalogue::{BUILTIN_JSON, Catalogue};
    use crate::session::Heads;
    use crate::session::tests::session;
    use crate::shopper::Branding;
    use crate::status::Status;

    fn view() -> ShopperView {
        let catalogue = Catalogue::parse(BUILTIN_JSON).expect("built-in");
        shopper_view(
            &session(false),
            &[],
            &Heads::default(),
            &catalogue,
            Branding::default(),
            "https://pay.example",
            Timestamp(1_800_000_000),
        )
    }

    #[test]
    fn the_tag_is_weak_and_names_96_bits_of_the_digest() {
        let tag = shopper_etag(&view());
        let hex = tag
            .strip_prefix("W/\"")
            .and_then(|t| t.strip_suffix('"'))
            .expect("W/\"…\"");
        assert_eq!(hex.len(), 24);
        assert!(hex.bytes().all(|b| b.is_ascii_hexdigit()), "{tag}");
    }

    #[test]
    fn the_server_time_does_not_change_the_tag() {
        let earlier = view();
        let later = ShopperView {
            server_time: earlier.server_time.plus_secs(60),
            ..earlier.clone()
        };
        assert_eq!(shopper_etag(&earlier), shopper_etag(&later));
    }

    #[test]
    fn any_other_change_does() {
        let before = view();
        let tag = shopper_etag(&before);
        let paid = ShopperView {
            status: Status::Paid,
            ..before.clone()
        };
        let rebranded = ShopperView {
            branding: Branding {
                display_name: "Another shop".into(),
                ..before.branding.clone()
            },
            ..before.clone()
        };
        let in_german = ShopperView {
            locale: Some("de".into()),
            ..before
        };
        assert_ne!(tag, shopper_etag(&paid));
        assert_ne!(tag, shopper_etag(&rebranded));
        assert_ne!(tag, shopper_etag(&in_german));
    }

    #[test]
    fn if_none_match_takes_a_list_or_a_star() {
        let tag = "W/\"abc\"";
        assert!(matches("W/\"abc\"", tag));
        assert!(matches("\"x\", W/\"abc\"", tag));
        assert!(matches(" W/\"abc\" ,\"y\"", tag));
        assert!(matches("*", tag));
        assert!(!matches("W/\"abd\"", tag));
        assert!(!matches("\"abc\"", tag), "a strong tag is another tag");
        assert!(!matches("", tag));
    }
}
