//! The few contract calls Kasse makes, ABI-encoded by hand: Multicall3's `aggregate3`,
//! `getEthBalance` and `getBlockNumber`, a Chainlink feed's `latestRoundData`, and the
//! ERC-20 `transfer` a browser wallet sends. Five fixed shapes do not justify a full ABI
//! crate in the worker.

use alloy_primitives::{Address, I256, Selector, U256, hex};

use crate::time::Timestamp;

const AGGREGATE3: Selector = Selector::new([0x82, 0xad, 0x56, 0xcb]);
const GET_ETH_BALANCE: Selector = Selector::new([0x4d, 0x23, 0x01, 0xcc]);
const GET_BLOCK_NUMBER: Selector = Selector::new([0x42, 0xcb, 0xb1, 0x5c]);
const TRANSFER: Selector = Selector::new([0xa9, 0x05, 0x9c, 0xbb]);
const LATEST_ROUND_DATA: Selector = Selector::new([0xfe, 0xaf, 0x96, 0x8c]);

/// One call inside `aggregate3`; failures are allowed and reported per call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call3 {
    pub target: Address,
    pub call_data: Vec<u8>,
}

impl Call3 {
    pub fn eth_balance(multicall: Address, of: Address) -> Self {
        let mut call_data = GET_ETH_BALANCE.to_vec();
        call_data.extend_from_slice(&word_address(of));
        Self {
            target: multicall,
            call_data,
        }
    }

    pub fn block_number(multicall: Address) -> Self {
        Self {
            target: multicall,
            call_data: GET_BLOCK_NUMBER.to_vec(),
        }
    }

    pub fn latest_round(feed: Address) -> Self {
        Self {
            target: feed,
            call_data: LATEST_ROUND_DATA.to_vec(),
        }
    }
}

/// ERC-20 `transfer(to, amount)` calldata as a 0x-prefixed hex string.
pub fn erc20_transfer(to: Address, amount: U256) -> String {
    let mut out = TRANSFER.to_vec();
    out.extend_from_slice(&word_address(to));
    out.extend_from_slice(&word(amount));
    format!("0x{}", hex::encode(out))
}

/// `aggregate3(calls)` calldata as a 0x-prefixed hex string, ready for `eth_call`.
pub fn aggregate3(calls: &[Call3]) -> String {
    let mut out = AGGREGATE3.to_vec();
    out.extend_from_slice(&word(U256::from(32u8)));
    out.extend_from_slice(&word(U256::from(calls.len())));
    // Each element is a dynamic tuple (address, bool, bytes): heads are offsets from the
    // start of the element area, then the elements follow in order.
    let encoded: Vec<Vec<u8>> = calls.iter().map(encode_call3).collect();
    let mut offset = 32 * calls.len();
    for element in &encoded {
        out.extend_from_slice(&word(U256::from(offset)));
        offset += element.len();
    }
    for element in encoded {
        out.extend_from_slice(&element);
    }
    format!("0x{}", hex::encode(out))
}

fn encode_call3(call: &Call3) -> Vec<u8> {
    let mut out = Vec::with_capacity(160 + call.call_data.len());
    out.extend_from_slice(&word_address(call.target));
    out.extend_from_slice(&word(U256::from(1u8))); // allowFailure
    out.extend_from_slice(&word(U256::from(96u8)));
    out.extend_from_slice(&word(U256::from(call.call_data.len())));
    out.extend_from_slice(&call.call_data);
    out.resize(out.len().next_multiple_of(32), 0);
    out
}

/// Decodes `aggregate3`'s `(bool success, bytes returnData)[]`; a failed call is `None`.
pub fn decode_aggregate3(hex_data: &str) -> Option<Vec<Option<Vec<u8>>>> {
    let data = hex::decode(hex_data.trim_start_matches("0x")).ok()?;
    let array = read_usize(&data, 0)?;
    let count = read_usize(&data, array)?;
    let elements = array.checked_add(32)?;
    (0..count)
        .map(|i| {
            let start = elements.checked_add(read_usize(&data, elements + 32 * i)?)?;
            let success = read_word(&data, start)? == U256::from(1u8);
            let bytes_at = start.checked_add(read_usize(&data, start + 32)?)?;
            let len = read_usize(&data, bytes_at)?;
            let body = data.get(bytes_at + 32..bytes_at.checked_add(32)?.checked_add(len)?)?;
            Some(success.then(|| body.to_vec()))
        })
        .collect()
}

/// A single `uint256` return value (balances, block numbers, timestamps).
pub fn decode_uint(data: &[u8]) -> Option<U256> {
    (data.len() == 32).then(|| U256::from_be_slice(data))
}

/// `latestRoundData()`'s `(roundId, answer, startedAt, updatedAt, answeredInRound)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoundData {
    pub answer: I256,
    pub started_at: Timestamp,
    pub updated_at: Timestamp,
}

pub fn decode_round(data: &[u8]) -> Option<RoundData> {
    if data.len() != 160 {
        return None;
    }
    let answer = I256::from_raw(read_word(data, 32)?);
    let time = |at| u64::try_from(read_word(data, at)?).ok().map(Timestamp);
    let (started_at, updated_at) = (time(64)?, time(96)?);
    Some(RoundData {
        answer,
        started_at,
        updated_at,
    })
}

fn word(value: U256) -> [u8; 32] {
    value.to_be_bytes()
}

fn word_address(a: Address) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[12..].copy_from_slice(a.as_slice());
    w
}

fn read_word(data: &[u8], at: usize) -> Option<U256> {
    Some(U256::from_be_slice(data.get(at..at.checked_add(32)?)?))
}

fn read_usize(data: &[u8], at: usize) -> Option<usize> {
    usize::try_from(read_word(data, at)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{address, keccak256};

    #[test]
    fn selectors_are_the_signatures_hashes() {
        for (selector, signature) in [
            (AGGREGATE3, "aggregate3((address,bool,bytes)[])"),
            (GET_ETH_BALANCE, "getEthBalance(address)"),
            (GET_BLOCK_NUMBER, "getBlockNumber()"),
            (TRANSFER, "transfer(address,uint256)"),
            (LATEST_ROUND_DATA, "latestRoundData()"),
        ] {
            assert_eq!(selector, keccak256(signature)[..4], "{signature}");
        }
    }

    #[test]
    fn aggregate3_encoding_matches_solidity() {
        // Reference from ethers' Interface.encodeFunctionData("aggregate3", [[[mc, true,
        // "0x42cbb15c"]]]) for one call to getBlockNumber().
        let mc = address!("cA11bde05977b3631167028862bE2a173976CA11");
        let expected = concat!(
            "0x82ad56cb",
            "0000000000000000000000000000000000000000000000000000000000000020",
            "0000000000000000000000000000000000000000000000000000000000000001",
            "0000000000000000000000000000000000000000000000000000000000000020",
            "000000000000000000000000ca11bde05977b3631167028862be2a173976ca11",
            "0000000000000000000000000000000000000000000000000000000000000001",
            "0000000000000000000000000000000000000000000000000000000000000060",
            "0000000000000000000000000000000000000000000000000000000000000004",
            "42cbb15c00000000000000000000000000000000000000000000000000000000",
        );
        assert_eq!(aggregate3(&[Call3::block_number(mc)]), expected);
    }

    #[test]
    fn transfer_calldata_is_abi_encoded() {
        let to = address!("9858EfFD232B4033E47d90003D41EC34EcaEda94");
        let data = erc20_transfer(to, U256::from(49_990_000u64));
        assert_eq!(data.len(), 2 + 8 + 64 + 64);
        assert!(data.starts_with(
            "0xa9059cbb0000000000000000000000009858effd232b4033e47d90003d41ec34ecaeda94"
        ));
        assert_eq!(&data[74..], format!("{:0>64}", "2fac970"));
    }

    #[test]
    fn results_decode_with_failures() {
        // [(true, uint256 7), (false, "")]
        let data = concat!(
            "0x",
            "0000000000000000000000000000000000000000000000000000000000000020",
            "0000000000000000000000000000000000000000000000000000000000000002",
            "0000000000000000000000000000000000000000000000000000000000000040",
            "00000000000000000000000000000000000000000000000000000000000000c0",
            "0000000000000000000000000000000000000000000000000000000000000001",
            "0000000000000000000000000000000000000000000000000000000000000040",
            "0000000000000000000000000000000000000000000000000000000000000020",
            "0000000000000000000000000000000000000000000000000000000000000007",
            "0000000000000000000000000000000000000000000000000000000000000000",
            "0000000000000000000000000000000000000000000000000000000000000040",
            "0000000000000000000000000000000000000000000000000000000000000000",
        );
        let results = decode_aggregate3(data).expect("well-formed");
        assert_eq!(results.len(), 2);
        assert_eq!(
            results[0].as_deref().and_then(decode_uint),
            Some(U256::from(7u8))
        );
        assert_eq!(results[1], None);
    }

    #[test]
    fn truncated_or_garbage_results_are_refused() {
        assert_eq!(decode_aggregate3("0x"), None);
        assert_eq!(decode_aggregate3("0xzz"), None);
        let huge_count = concat!(
            "0x",
            "0000000000000000000000000000000000000000000000000000000000000020",
            "00000000000000000000000000000000000000000000000000000000ffffffff",
        );
        assert_eq!(decode_aggregate3(huge_count), None);
    }

    #[test]
    fn rounds_decode_signed_answers() {
        let mut data = vec![0u8; 160];
        data[32..64].copy_from_slice(&I256::MINUS_ONE.to_be_bytes::<32>());
        data[95] = 5;
        data[127] = 9;
        assert_eq!(
            decode_round(&data),
            Some(RoundData {
                answer: I256::MINUS_ONE,
                started_at: Timestamp(5),
                updated_at: Timestamp(9)
            })
        );
        assert_eq!(decode_round(&data[..64]), None);
        data[64..72].fill(0xff);
        assert_eq!(decode_round(&data), None, "a start past u64 is no time");
    }
}
