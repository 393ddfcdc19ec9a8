//! Deposit addresses from a merchant's xpub by non-hardened BIP32 derivation.
//!
//! An account-level xpub (depth 3, m/44'/60'/n') derives child 0 (the external chain) and
//! then the index; an external-chain xpub (depth 4, m/44'/60'/n'/0) derives the index
//! directly. Other depths are refused: an address the merchant's wallet would not show is
//! money they cannot find. No private key is ever involved.

use std::str::FromStr;

use alloy_primitives::{Address, keccak256};
use bip32::{ChildNumber, PublicKey as _, XPub};

use crate::tron::TronAddress;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XpubError {
    Malformed,
    UnsupportedDepth(u8),
}

impl std::fmt::Display for XpubError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Malformed => f.write_str("not a valid extended public key (xpub…)"),
            Self::UnsupportedDepth(d) => write!(
                f,
                "the xpub is at depth {d}; use the account-level key (m/44'/60'/0', depth 3) or its external chain (m/44'/60'/0'/0, depth 4)"
            ),
        }
    }
}

/// The node whose children are deposit addresses (m/44'/60'/n'/0).
#[derive(Clone)]
pub struct ExternalChain(XPub);

impl ExternalChain {
    pub fn from_xpub(xpub: &str) -> Result<Self, XpubError> {
        let key = XPub::from_str(xpub.trim()).map_err(|_| XpubError::Malformed)?;
        match key.attrs().depth {
            3 => key
                .derive_child(ChildNumber(0))
                .map(Self)
                .map_err(|_| XpubError::Malformed),
            4 => Ok(Self(key)),
            d => Err(XpubError::UnsupportedDepth(d)),
        }
    }

    /// Identifies the node regardless of how the xpub was written (depth 3 or 4): the
    /// compressed public key, hex. Two accounts may never share it.
    pub fn node_id(&self) -> String {
        alloy_primitives::hex::encode(self.0.public_key().to_bytes())
    }

    /// The deposit address at `index` (non-hardened, so `index < 2^31`).
    pub fn address(&self, index: u32) -> Option<Address> {
        if index >= ChildNumber::HARDENED_FLAG {
            return None;
        }
        let child = self.0.derive_child(ChildNumber(index)).ok()?;
        let point = child.public_key().to_sec1_point(false);
        let hash = keccak256(&point.as_bytes()[1..]);
        Some(Address::from_slice(&hash[12..]))
    }

    /// The Tron deposit address at `index`, for an xpub of m/44'/195'/n' (or its external
    /// chain): Tron hashes the key exactly as Ethereum does, only the prefix differs.
    pub fn tron_address(&self, index: u32) -> Option<TronAddress> {
        self.address(index).map(TronAddress::from_evm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Test vectors from ../shared/toolchain.md (checked there against ethers and bip_utils).
    const ABANDON_ACCOUNT: &str = "xpub6DCoCpSuQZB2jawqnGMEPS63ePKWkwWPH4TU45Q7LPXWuNd8TMtVxRrgjtEshuqpK3mdhaWHPFsBngh5GFZaM6si3yZdUsT8ddYM3PwnATt";
    const ABANDON_EXTERNAL: &str = "xpub6EF8jXqFeFEW5bwMU7RpQtHkzE4KJxcqJtvkCjJumzW8CPpacXkb92ek4WzLQXjL93HycJwTPUAcuNxCqFPKKU5m5Z2Vq4nCyh5CyPeBFFr";
    const ABANDON_ADDRESSES: [&str; 5] = [
        "0x9858EfFD232B4033E47d90003D41EC34EcaEda94",
        "0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0",
        "0xb6716976A3ebe8D39aCEB04372f22Ff8e6802D7A",
        "0xF3f50213C1d2e255e4B2bAD430F8A38EEF8D718E",
        "0x51cA8ff9f1C0a99f88E86B8112eA3237F55374cA",
    ];
    const JUNK_ACCOUNT: &str = "xpub6Ce9NcJvTk36xtLSrJLZqE7wtgA5deCeYs7rSQtreh4cj6ByPtrg9sD7V2FNFLPnf8heNP3FGkeV9qwfzvZNSd54JoNXVsXFYSYwHsnJxqP";
    const JUNK_EXTERNAL: &str = "xpub6DyUKdwoLWmUJ4Tn9Bbsdtx7B5Ws18mEN19e5HT52ikE53FiUheSQXrZUNPovqfyKmw4579A1Mm3GXXKM39N64uooBfJ4tNAzFsEbodRTx4";
    const JUNK_ADDRESSES: [&str; 5] = [
        "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
        "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
        "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
        "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
    ];

    fn addresses(xpub: &str) -> Vec<String> {
        let chain = ExternalChain::from_xpub(xpub).expect("valid xpub");
        (0..5)
            .map(|i| chain.address(i).expect("index in range").to_checksum(None))
            .collect()
    }

    #[test]
    fn derives_the_vectors_from_both_depths() {
        assert_eq!(addresses(ABANDON_ACCOUNT), ABANDON_ADDRESSES);
        assert_eq!(addresses(ABANDON_EXTERNAL), ABANDON_ADDRESSES);
        assert_eq!(addresses(JUNK_ACCOUNT), JUNK_ADDRESSES);
        assert_eq!(addresses(JUNK_EXTERNAL), JUNK_ADDRESSES);
    }

    #[test]
    fn node_id_is_the_same_for_both_depths_and_differs_across_wallets() {
        let id = |x| {
            ExternalChain::from_xpub(x)
                .map(|c| c.node_id())
                .unwrap_or_default()
        };
        assert_eq!(id(ABANDON_ACCOUNT), id(ABANDON_EXTERNAL));
        assert_eq!(id(JUNK_ACCOUNT), id(JUNK_EXTERNAL));
        assert_ne!(id(ABANDON_ACCOUNT), id(JUNK_ACCOUNT));
        assert_eq!(id(ABANDON_ACCOUNT).len(), 66);
    }

    #[test]
    fn refuses_bad_keys_and_depths() {
        assert!(matches!(
            ExternalChain::from_xpub("xpub123"),
            Err(XpubError::Malformed)
        ));
        assert!(matches!(
            ExternalChain::from_xpub(""),
            Err(XpubError::Malformed)
        ));
        // Flip one character: the base58check checksum fails.
        let mut broken = ABANDON_ACCOUNT.to_owned();
        broken.replace_range(20..21, if &broken[20..21] == "a" { "b" } else { "a" });
        assert!(matches!(
            ExternalChain::from_xpub(&broken),
            Err(XpubError::Malformed)
        ));
        // m/44'/60'/0'/0/0 is depth 5: derive it from the depth-4 key to get one.
        let depth4 = XPub::from_str(ABANDON_EXTERNAL).expect("valid");
        let depth5 = depth4
            .derive_child(ChildNumber(0))
            .expect("derivable")
            .to_string(bip32::Prefix::XPUB);
        assert_eq!(
            ExternalChain::from_xpub(&depth5).err(),
            Some(XpubError::UnsupportedDepth(5))
        );
    }

    #[test]
    fn hardened_indices_are_out_of_range() {
        let chain = ExternalChain::from_xpub(ABANDON_EXTERNAL).expect("valid");
        assert!(chain.address(ChildNumber::HARDENED_FLAG).is_none());
        assert!(chain.address(ChildNumber::HARDENED_FLAG - 1).is_some());
    }
}
