//! Object ids: a type prefix and 24 base62 characters from a CSPRNG (~143 bits), one type
//! per kind of object ([`SessionId`], [`LinkId`], [`EventId`], …), so that an id of one
//! kind cannot be handed to a lookup of another.
//!
//! `shared` does no I/O, so randomness comes in through [`Entropy`], which the shell
//! implements over the platform CSPRNG (`crypto.getRandomValues` on workerd).

/// A source of cryptographically secure random bytes.
pub trait Entropy {
    fn fill(&mut self, buf: &mut [u8]);
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
pub const RANDOM_CHARS: usize = 24;

/// `len` base62 characters, uniformly distributed (bytes ≥ 248 are rejected to avoid
/// modulo bias).
pub fn random_base62(entropy: &mut impl Entropy, len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 32];
    while out.len() < len {
        entropy.fill(&mut buf);
        for &b in &buf {
            if b < 248 && out.len() < len {
                out.push(char::from(BASE62[usize::from(b % 62)]));
            }
        }
    }
    out
}

/// A new id such as `cs_test_…`: `prefix` (including its trailing `_`) + 24 base62 characters.
fn new_id(prefix: &str, entropy: &mut impl Entropy) -> String {
    format!("{prefix}{}", random_base62(entropy, RANDOM_CHARS))
}

/// Whether `id` has `prefix` followed by exactly 24 base62 characters.
fn is_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix).is_some_and(|rest| {
        rest.len() == RANDOM_CHARS && rest.bytes().all(|b| b.is_ascii_alphanumeric())
    })
}

/// The prefix of a checkout session id in a mode.
fn session_prefix(livemode: bool) -> &'static str {
    if livemode { "cs_live_" } else { "cs_test_" }
}

/// A string that does not have the shape of the id it was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotAnId(pub &'static str);

impl std::fmt::Display for NotAnId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "not a {} id", self.0)
    }
}

impl std::error::Error for NotAnId {}

/// Declares an id type, in the manner of alloy's `wrap_fixed_bytes!`: a `String` newtype
/// that reads as `str`, prints and serialises as the bare id, and is made from outside
/// text only by [`FromStr`](std::str::FromStr) or `parse`, which check one of its prefixes
/// and the 24 random characters. The compiler then keeps one kind of id from reaching a
/// lookup of another. Deserialising does not check: stored documents and rows hold ids
/// Kasse itself made.
macro_rules! id_type {
    ($(#[$attr:meta])* $name:ident, $what:literal, [$($prefix:literal),+ $(,)?]) => {
        $(#[$attr])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The prefixes an id of this kind starts with (with their trailing `_`).
            pub const PREFIXES: &'static [&'static str] = &[$($prefix),+];

            /// `id` if it has the shape of this kind of id.
            pub fn parse(id: &str) -> Option<Self> {
                Self::PREFIXES
                    .iter()
                    .any(|prefix| is_id(id, prefix))
                    .then(|| Self(id.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = NotAnId;

            fn from_str(id: &str) -> Result<Self, NotAnId> {
                Self::parse(id).ok_or(NotAnId($what))
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }
    };
}

id_type!(
    /// A checkout session's id: `cs_test_…` or `cs_live_…`, by its mode. A link id does
    /// not reach a session lookup:
    ///
    /// ```compile_fail
    /// use kasse_shared::ids::{LinkId, SessionId};
    /// fn session(_id: &SessionId) {}
    /// let link: LinkId = "plink_0123456789abcdefghijABCD".parse().unwrap();
    /// session(&link);
    /// ```
    SessionId,
    "checkout session",
    ["cs_test_", "cs_live_"]
);

impl SessionId {
    /// A new session id of the mode.
    pub fn generate(livemode: bool, entropy: &mut impl Entropy) -> Self {
        Self(new_id(session_prefix(livemode), entropy))
    }

    /// `id` if it has the shape of a session id of this mode.
    pub fn parse_in(id: &str, livemode: bool) -> Option<Self> {
        is_id(id, session_prefix(livemode)).then(|| Self(id.to_owned()))
    }
}

id_type!(
    /// A payment link's id: `plink_…`.
    LinkId,
    "payment link",
    ["plink_"]
);

impl LinkId {
    pub fn generate(entropy: &mut impl Entropy) -> Self {
        Self(new_id("plink_", entropy))
    }
}

id_type!(
    /// An event's id: `evt_…`.
    EventId,
    "event",
    ["evt_"]
);

impl EventId {
    pub fn generate(entropy: &mut impl Entropy) -> Self {
        Self(new_id("evt_", entropy))
    }
}

id_type!(
    /// A webhook endpoint's id: `we_…`.
    EndpointId,
    "webhook endpoint",
    ["we_"]
);

impl EndpointId {
    pub fn generate(entropy: &mut impl Entropy) -> Self {
        Self(new_id("we_", entropy))
    }
}

id_type!(
    /// An account's id: `acct_…`.
    AccountId,
    "account",
    ["acct_"]
);

impl AccountId {
    pub fn generate(entropy: &mut impl Entropy) -> Self {
        Self(new_id("acct_", entropy))
    }
}

id_type!(
    /// A webhook delivery's id: `whd_…` (made by the store as it fans an event out).
    DeliveryId,
    "webhook delivery",
    ["whd_"]
);

id_type!(
    /// An API key's id: `key_…` (never the key itself).
    KeyId,
    "API key",
    ["key_"]
);

impl KeyId {
    pub fn generate(entropy: &mut impl Entropy) -> Self {
        Self(new_id("key_", entropy))
    }
}

id_type!(
    /// A reported sweep's id: `sw_…`.
    SweepId,
    "sweep",
    ["sw_"]
);

impl SweepId {
    pub fn generate(entropy: &mut impl Entropy) -> Self {
        Self(new_id("sw_", entropy))
    }
}

id_type!(
    /// A recorded payment's id: `pay_…`.
    PaymentId,
    "payment",
    ["pay_"]
);

impl PaymentId {
    pub fn generate(entropy: &mut impl Entropy) -> Self {
        Self(new_id("pay_", entropy))
    }
}

id_type!(
    /// A refund's id: `re_test_…` or `re_live_…`, by its mode.
    RefundId,
    "refund",
    ["re_test_", "re_live_"]
);

impl RefundId {
    /// A new refund id of the mode.
    pub fn generate(livemode: bool, entropy: &mut impl Entropy) -> Self {
        let prefix = if livemode { "re_live_" } else { "re_test_" };
        Self(new_id(prefix, entropy))
    }

    /// Whether the id is of a live-mode refund.
    pub fn is_live(&self) -> bool {
        self.0.starts_with("re_live_")
    }
}

#[cfg(test)]
pub(crate) mod testing {
    use super::Entropy;

    /// Deterministic bytes for tests (xorshift); never used outside tests.
    pub(crate) struct FakeEntropy(pub u64);

    impl Entropy for FakeEntropy {
        fn fill(&mut self, buf: &mut [u8]) {
            for b in buf {
                self.0 ^= self.0 << 13;
                self.0 ^= self.0 >> 7;
                self.0 ^= self.0 << 17;
                *b = self.0.to_le_bytes()[0];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::FakeEntropy;
    use super::*;

    #[test]
    fn ids_have_prefix_and_24_base62_chars() {
        let mut e = FakeEntropy(42);
        let id = new_id("cs_test_", &mut e);
        assert!(is_id(&id, "cs_test_"), "{id}");
        assert_ne!(id, new_id("cs_test_", &mut e));
    }

    #[test]
    fn is_id_rejects_wrong_shapes() {
        assert!(!is_id("cs_test_abc", "cs_test_"));
        assert!(!is_id("cs_live_AAAAAAAAAAAAAAAAAAAAAAAA", "cs_test_"));
        assert!(!is_id("cs_test_AAAAAAAAAAAAAAAAAAAAAAA-", "cs_test_"));
        assert!(is_id("cs_test_AAAAAAAAAAAAAAAAAAAAAAAA", "cs_test_"));
    }

    #[test]
    fn an_id_type_reads_only_ids_of_its_own_kind() {
        let random = "A".repeat(RANDOM_CHARS);
        let test = format!("cs_test_{random}");
        let live = format!("cs_live_{random}");
        let link = format!("plink_{random}");
        assert_eq!(SessionId::parse(&test).as_deref(), Some(test.as_str()));
        assert_eq!(SessionId::parse(&live).as_deref(), Some(live.as_str()));
        assert_eq!(SessionId::parse(&link), None);
        assert_eq!(LinkId::parse(&test), None);
        assert_eq!(link.parse::<LinkId>().map(String::from), Ok(link.clone()));
        assert_eq!(
            "plink_short".parse::<LinkId>(),
            Err(NotAnId("payment link"))
        );
        assert_eq!(NotAnId("payment link").to_string(), "not a payment link id");
        assert_eq!(
            SessionId::parse_in(&live, true).as_deref(),
            Some(live.as_str())
        );
        assert_eq!(SessionId::parse_in(&live, false), None);
    }

    #[test]
    fn ids_serialise_as_the_bare_string_and_print_as_it() {
        let mut e = FakeEntropy(7);
        let id = SessionId::generate(true, &mut e);
        assert!(id.starts_with("cs_live_"), "{id}");
        let json = serde_json::to_string(&id).expect("encodes");
        assert_eq!(json, format!("\"{id}\""));
        let back: SessionId = serde_json::from_str(&json).expect("decodes");
        assert_eq!(back, id);
        assert_eq!(back.to_string(), id.as_str());
        assert!(LinkId::generate(&mut e).starts_with("plink_"));
    }

    #[test]
    fn rejection_keeps_every_symbol_reachable() {
        struct Bytes(u8);
        impl Entropy for Bytes {
            fn fill(&mut self, buf: &mut [u8]) {
                for b in buf {
                    *b = self.0;
                    self.0 = self.0.wrapping_add(1);
                }
            }
        }
        let s = random_base62(&mut Bytes(0), 248);
        for c in BASE62 {
            assert!(s.as_bytes().contains(c));
        }
        assert!(!s.is_empty());
    }
}
