//! Tron addresses: the same 20-byte key hash as an EVM address, behind a `0x41` byte.
//!
//! Shoppers and wallets see the base58check form (`T…`, 34 characters; the checksum is the
//! first 4 bytes of a double SHA-256). Tron's Ethereum-compatible JSON-RPC takes the bare 20
//! bytes in log filters and topics, so every address converts both ways without loss.

use std::fmt;
use std::str::FromStr;

use alloy_primitives::Address;

/// The version byte of every mainnet (and testnet) Tron account and contract.
pub const PREFIX: u8 = 0x41;

/// Every `0x41`-prefixed address encodes to exactly this many base58 characters, so a string
/// of another length is refused before any decoding work.
const ENCODED_LEN: usize = 34;

/// A Tron address: `0x41` followed by the 20-byte key hash. Only built from an EVM address or
/// a checked base58 string, so the prefix is always right.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TronAddress([u8; 21]);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TronAddressError {
    /// Not 34 characters long.
    WrongLength(usize),
    /// A character outside the base58 alphabet (which has no `0`, `O`, `I` or `l`); `index`
    /// counts characters from 0.
    InvalidCharacter { character: char, index: usize },
    /// The last 4 bytes are not the checksum of the rest: a typo, or a truncated copy.
    BadChecksum,
    /// Checks out, but does not hold 21 bytes.
    WrongByteLength(usize),
    /// Checks out, but belongs to another network or coin.
    WrongPrefix(u8),
}

impl fmt::Display for TronAddressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WrongLength(n) => write!(
                f,
                "a Tron address is {ENCODED_LEN} characters starting with T; this one has {n}"
            ),
            Self::InvalidCharacter { character, index } => write!(
                f,
                "a Tron address is base58: {character:?} (character {} of {ENCODED_LEN}) is not allowed",
                index + 1
            ),
            Self::BadChecksum => {
                f.write_str("the Tron address's checksum does not match: check it for a typo")
            }
            Self::WrongByteLength(n) => {
                write!(f, "a Tron address holds 21 bytes; this one decodes to {n}")
            }
            Self::WrongPrefix(p) => write!(
                f,
                "a Tron address starts with byte 0x{PREFIX:02x} (T…); this one starts with 0x{p:02x}"
            ),
        }
    }
}

impl std::error::Error for TronAddressError {}

impl TronAddress {
    pub fn from_evm(address: Address) -> Self {
        let mut bytes = [0; 21];
        bytes[0] = PREFIX;
        bytes[1..].copy_from_slice(address.as_slice());
        Self(bytes)
    }

    /// The 20-byte form Tron's JSON-RPC uses in `eth_getLogs` addresses and topics.
    pub fn evm(&self) -> Address {
        Address::from_slice(&self.0[1..])
    }

    /// The 21 bytes, prefix first (Tron's HTTP API writes these as `41…` hex).
    pub fn to_bytes(self) -> [u8; 21] {
        self.0
    }
}

impl fmt::Display for TronAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&bs58::encode(self.0).with_check().into_string())
    }
}

impl fmt::Debug for TronAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TronAddress({self})")
    }
}

impl FromStr for TronAddress {
    type Err = TronAddressError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let chars = s.chars().count();
        if chars != ENCODED_LEN {
            return Err(TronAddressError::WrongLength(chars));
        }
        if let Some((index, character)) = s.chars().enumerate().find(|&(_, c)| !is_base58(c)) {
            return Err(TronAddressError::InvalidCharacter { character, index });
        }
        // Every character is valid and there are enough for a checksum, so the only way left
        // to fail is the checksum itself.
        let payload = bs58::decode(s)
            .with_check(None)
            .into_vec()
            .map_err(|_| TronAddressError::BadChecksum)?;
        let bytes: [u8; 21] = payload
            .as_slice()
            .try_into()
            .map_err(|_| TronAddressError::WrongByteLength(payload.len()))?;
        if bytes[0] != PREFIX {
            return Err(TronAddressError::WrongPrefix(bytes[0]));
        }
        Ok(Self(bytes))
    }
}

fn is_base58(c: char) -> bool {
    c.is_ascii_alphanumeric() && !matches!(c, '0' | 'O' | 'I' | 'l')
}

impl serde::Serialize for TronAddress {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for TronAddress {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests;
