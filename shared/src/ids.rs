//! Object ids: a type prefix and 24 base62 characters from a CSPRNG (~143 bits).
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
pub fn new_id(prefix: &str, entropy: &mut impl Entropy) -> String {
    format!("{prefix}{}", random_base62(entropy, RANDOM_CHARS))
}

/// Whether `id` has `prefix` followed by exactly 24 base62 characters.
pub fn is_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix).is_some_and(|rest| {
        rest.len() == RANDOM_CHARS && rest.bytes().all(|b| b.is_ascii_alphanumeric())
    })
}

/// The prefix of a checkout session id in a mode.
pub fn session_prefix(livemode: bool) -> &'static str {
    if livemode { "cs_live_" } else { "cs_test_" }
}

#[cfg(test)]
pub(crate) mod testing {
    use super::Entropy;

    /// Deterministic bytes for tests (xorshift); never used outside tests.
    pub struct FakeEntropy(pub u64);

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
