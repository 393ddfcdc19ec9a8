//! Native balances through one `eth_call` to a contract that exists only for that call: its
//! runtime code travels as a state override at [`READER`], the calldata is the addresses
//! packed 20 bytes each, and the answer is their balances 32 bytes each, in the same order.
//! Against Multicall3's `aggregate3` + `getEthBalance` that is 20 bytes of calldata per
//! address instead of 224, and no ABI to walk in the answer.

use alloy_primitives::{Address, U256, address, hex};

/// Where the override places the reader: an address nothing lives at ("Kasse" in ASCII).
pub const READER: Address = address!("0000000000000000000000000000004b61737365");

/// Runtime code compiled from `xtask/chain/contracts/BalanceReader.sol` by
/// `xtask/chain/artifact.mjs`; a test holds it equal to the artifact.
pub const RUNTIME: &str = concat!(
    "0x6080604052348015600f57600080fd5b506014360615601d57600080fd5b6014360460005b818110156041",
    "57601481023560601c31600582901b526001016024565b508060051b6000f3fea2646970667358221220ef9e",
    "02e2bf558683ab0f65fa081d9863780dc13e201cb7c81bd0bc2d1a35eb8264736f6c63430008250033",
);

/// Bytes of calldata each address costs.
pub const BYTES_PER_ADDRESS: usize = 20;

/// The reader's calldata for `addresses`, as a 0x-prefixed hex string.
pub fn encode(addresses: &[Address]) -> String {
    let mut out = Vec::with_capacity(addresses.len() * BYTES_PER_ADDRESS);
    for a in addresses {
        out.extend_from_slice(a.as_slice());
    }
    format!("0x{}", hex::encode(out))
}

/// Why an answer is not `count` balances.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    NotHex,
    /// The answer's length in bytes, when it is not 32 per address asked.
    WrongLength {
        expected: usize,
        got: usize,
    },
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotHex => f.write_str("the balance reader's answer is not hex"),
            Self::WrongLength { expected, got } => write!(
                f,
                "the balance reader answered {got} bytes where {expected} were due"
            ),
        }
    }
}

/// The balances in an answer to a call for `count` addresses. A provider that ignored the
/// override answers `0x` (no code at the reader), which is an error here, not zero balances.
pub fn decode(hex_data: &str, count: usize) -> Result<Vec<U256>, DecodeError> {
    let data = hex::decode(hex_data.trim_start_matches("0x")).map_err(|_| DecodeError::NotHex)?;
    let expected = count.saturating_mul(32);
    if data.len() != expected {
        return Err(DecodeError::WrongLength {
            expected,
            got: data.len(),
        });
    }
    Ok(data.chunks_exact(32).map(U256::from_be_slice).collect())
}

/// The state override that places the reader: `{ "<READER>": { "code": RUNTIME } }`.
pub fn state_override() -> serde_json::Value {
    serde_json::json!({ format!("0x{}", hex::encode(READER)): { "code": RUNTIME } })
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Address = address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    const B: Address = address!("70997970C51812dc3A010C7d01b50e0d17dc79C8");
    const C: Address = address!("3C44CdDdB6a900fa2b585dd299e03d12FA4293BC");

    #[test]
    fn runtime_is_the_artifact() {
        let artifact = include_str!("../contracts/BalanceReader.runtime.hex");
        assert_eq!(
            RUNTIME,
            format!("0x{}", artifact.trim()),
            "run `node xtask/chain/artifact.mjs` and copy the runtime code here"
        );
    }

    #[test]
    fn calldata_is_the_addresses_packed() {
        assert_eq!(encode(&[]), "0x");
        assert_eq!(encode(&[A]), "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266");
        assert_eq!(
            encode(&[A, B, C]),
            concat!(
                "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266",
                "70997970c51812dc3a010c7d01b50e0d17dc79c8",
                "3c44cdddb6a900fa2b585dd299e03d12fa4293bc",
            )
        );
        assert_eq!(encode(&[A, B, C]).len(), 2 + 2 * 3 * BYTES_PER_ADDRESS);
    }

    #[test]
    fn answers_decode_in_order() {
        assert_eq!(decode("0x", 0), Ok(vec![]));
        let answer = format!("0x{:0>64}{:0>64}{:0>64}", "0", "1", "de0b6b3a7640000");
        assert_eq!(
            decode(&answer, 3),
            Ok(vec![
                U256::ZERO,
                U256::from(1u8),
                U256::from(1_000_000_000_000_000_000u64)
            ])
        );
    }

    #[test]
    fn malformed_answers_are_errors() {
        // A provider that dropped the override: no code at the reader, empty answer.
        assert_eq!(
            decode("0x", 2),
            Err(DecodeError::WrongLength {
                expected: 64,
                got: 0
            })
        );
        let one = format!("0x{:0>64}", "7");
        assert_eq!(
            decode(&one, 2),
            Err(DecodeError::WrongLength {
                expected: 64,
                got: 32
            })
        );
        assert_eq!(
            decode(&format!("{one}00"), 1),
            Err(DecodeError::WrongLength {
                expected: 32,
                got: 33
            })
        );
        assert_eq!(decode("0xzz", 1), Err(DecodeError::NotHex));
        assert_eq!(decode("0x0", 0), Err(DecodeError::NotHex));
        assert!(decode("0x", usize::MAX).is_err());
    }

    #[test]
    fn override_places_the_runtime_at_the_reader() {
        let value = state_override();
        assert_eq!(
            value["0x0000000000000000000000000000004b61737365"]["code"],
            RUNTIME
        );
        assert_eq!(value.as_object().map(|o| o.len()), Some(1));
    }
}
