//! Merchant account settings and API keys.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::api::view::Branding;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub session_ttl_secs: u64,
    pub late_grace_secs: u64,
    pub underpayment_tolerance_bps: u32,
    /// Confirmations on top of the catalogue's minimum, per chain id.
    pub extra_confirmations: std::collections::BTreeMap<u64, u32>,
    /// `chain_id:TOKEN` pairs the account accepts; empty means every catalogue option.
    pub enabled_options: Vec<String>,
    pub allowed_origins: Vec<String>,
    pub branding: Branding,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            session_ttl_secs: 30 * 60,
            late_grace_secs: 24 * 3600,
            underpayment_tolerance_bps: 0,
            extra_confirmations: std::collections::BTreeMap::new(),
            enabled_options: Vec::new(),
            allowed_origins: Vec::new(),
            branding: Branding {
                display_name: "Kasse merchant".into(),
                logo_url: None,
                accent_color: None,
            },
        }
    }
}

impl Settings {
    pub fn accepts(&self, chain_id: u64, token: &str) -> bool {
        self.enabled_options.is_empty()
            || self
                .enabled_options
                .iter()
                .any(|o| o.eq_ignore_ascii_case(&format!("{chain_id}:{token}")))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    Secret,
    Publishable,
}

impl KeyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Secret => "secret",
            Self::Publishable => "publishable",
        }
    }

    pub fn prefix(self, livemode: bool) -> &'static str {
        match (self, livemode) {
            (Self::Secret, false) => "sk_test_",
            (Self::Secret, true) => "sk_live_",
            (Self::Publishable, false) => "pk_test_",
            (Self::Publishable, true) => "pk_live_",
        }
    }

    /// The kind and mode a key claims by its prefix (the database decides whether it is valid).
    pub fn of_key(key: &str) -> Option<(Self, bool)> {
        [
            (Self::Secret, false),
            (Self::Secret, true),
            (Self::Publishable, false),
            (Self::Publishable, true),
        ]
        .into_iter()
        .find(|(kind, live)| key.starts_with(kind.prefix(*live)))
    }
}

/// Keys are stored as this hash only: a database leak does not leak keys. Keys carry
/// ~190 bits of randomness, so a plain SHA-256 (no salt, no stretching) is enough.
pub fn key_hash(key: &str) -> String {
    alloy_primitives::hex::encode(Sha256::digest(key.as_bytes()))
}

/// `sk_test_…a1b2`: enough to recognise a key in a listing, useless to an attacker.
pub fn redact(key: &str) -> String {
    let prefix_len = key
        .find('_')
        .and_then(|i| key[i + 1..].find('_').map(|j| i + j + 2))
        .unwrap_or(0);
    let tail = key.get(key.len().saturating_sub(4)..).unwrap_or("");
    format!("{}…{tail}", &key[..prefix_len])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_prefixes_and_redaction() {
        assert_eq!(
            KeyKind::of_key("sk_test_abc"),
            Some((KeyKind::Secret, false))
        );
        assert_eq!(
            KeyKind::of_key("pk_live_abc"),
            Some((KeyKind::Publishable, true))
        );
        assert_eq!(KeyKind::of_key("whsec_abc"), None);
        assert_eq!(redact("sk_test_0123456789abcdef"), "sk_test_…cdef");
        assert_eq!(key_hash("sk_test_x").len(), 64);
        assert_ne!(key_hash("sk_test_x"), key_hash("sk_test_y"));
    }

    #[test]
    fn settings_default_and_option_filter() {
        let s: Settings = serde_json::from_str("{}").expect("defaults");
        assert_eq!(s.session_ttl_secs, 1800);
        assert!(s.accepts(31337, "USDC"));
        let only = Settings {
            enabled_options: vec!["8453:USDC".into()],
            ..Settings::default()
        };
        assert!(only.accepts(8453, "usdc"));
        assert!(!only.accepts(8453, "USDT"));
    }
}
