//! Reading what EVM JSON-RPC nodes answer: ERC-20 `Transfer` logs (the `eth_getLogs`
//! filter that finds them, and the logs themselves), receipts, block headers and hex
//! quantities. The worker sends the calls; everything here is plain data in, data out.

use alloy_primitives::{Address, B256, BlockHash, BlockNumber, TxHash, U256};
use serde_json::{Value, json};

use crate::catalogue::Token;

/// keccak256("Transfer(address,address,uint256)")
pub const TRANSFER_TOPIC: &str =
    "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";

/// An ERC-20 transfer of a catalogue token, as one log shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferLog {
    pub token: String,
    pub to: Address,
    pub amount: U256,
    pub tx_hash: TxHash,
    pub log_index: u64,
    pub block_number: BlockNumber,
    pub block_hash: BlockHash,
}

/// A 20-byte address as a 32-byte topic (left-padded with zeros).
fn address_topic(address: &str) -> String {
    format!("0x{:0>64}", address.trim_start_matches("0x"))
}

/// The `eth_getLogs` params that find `tokens`' transfers to `addresses` in the blocks
/// `from..=to`: one filter per `per_call` addresses (an OR-list in `topics[2]`), none for
/// no address.
pub fn transfer_log_filters(
    tokens: &[Token],
    addresses: &[String],
    per_call: usize,
    from: BlockNumber,
    to: BlockNumber,
) -> Vec<Value> {
    let contracts: Vec<String> = tokens
        .iter()
        .map(|t| format!("{:#x}", t.contract))
        .collect();
    addresses
        .chunks(per_call.max(1))
        .map(|chunk| {
            let topics: Vec<String> = chunk.iter().map(|a| address_topic(a)).collect();
            json!([{
                "fromBlock": format!("{from:#x}"),
                "toBlock": format!("{to:#x}"),
                "address": contracts,
                "topics": [TRANSFER_TOPIC, null, topics],
            }])
        })
        .collect()
}

/// One log as a transfer of a token in `tokens`; `None` for a log of another contract or
/// one that is not shaped like an ERC-20 `Transfer` (no recipient topic, data that is not
/// one hex word, a field missing or malformed). `topics[0]` is not checked: the filter
/// asked for it, and a receipt's logs are filtered by [`receipt_transfers`].
fn parse_transfer(tokens: &[Token], log: &Value) -> Option<TransferLog> {
    let contract: Address = log["address"].as_str()?.parse().ok()?;
    let token = tokens
        .iter()
        .find(|t| t.contract == contract)?
        .symbol
        .clone();
    let to_topic: B256 = log["topics"].get(2)?.as_str()?.parse().ok()?;
    let data = log["data"].as_str()?.strip_prefix("0x")?;
    Some(TransferLog {
        token,
        to: Address::from_slice(&to_topic[12..]),
        amount: U256::from_str_radix(if data.is_empty() { "0" } else { data }, 16).ok()?,
        tx_hash: log["transactionHash"].as_str()?.parse().ok()?,
        log_index: hex_u64(&log["logIndex"]).ok()?,
        block_number: hex_u64(&log["blockNumber"]).ok()?,
        block_hash: log["blockHash"].as_str()?.parse().ok()?,
    })
}

/// The transfers in `eth_getLogs` answers (one array of logs per call). Logs a reorg
/// removed are skipped; any other log that is not a catalogue-token transfer makes the
/// whole answer malformed (the filter asked for nothing else), and the text says why.
pub fn parse_logs(tokens: &[Token], answers: &[Value]) -> Result<Vec<TransferLog>, String> {
    let mut transfers = Vec::new();
    for logs in answers {
        let logs = logs
            .as_array()
            .ok_or_else(|| "eth_getLogs returned a non-array".to_owned())?;
        for log in logs {
            if log["removed"].as_bool() == Some(true) {
                continue;
            }
            transfers
                .push(parse_transfer(tokens, log).ok_or_else(|| format!("malformed log: {log}"))?);
        }
    }
    Ok(transfers)
}

/// The catalogue-token transfers to `to` in a receipt of a successful transaction; none
/// for an unknown transaction (`null`) or a reverted one. Other logs are ignored.
pub fn receipt_transfers(tokens: &[Token], receipt: &Value, to: Address) -> Vec<TransferLog> {
    if receipt.is_null() || receipt["status"].as_str() != Some("0x1") {
        return Vec::new();
    }
    receipt["logs"]
        .as_array()
        .map(|logs| {
            logs.iter()
                .filter(|l| l["topics"].get(0).and_then(Value::as_str) == Some(TRANSFER_TOPIC))
                .filter_map(|l| parse_transfer(tokens, l))
                .filter(|t| t.to == to)
                .collect()
        })
        .unwrap_or_default()
}

/// A JSON-RPC quantity (`"0x1a"`) as a `U256` (balances, values); the error says what was
/// wrong with it.
pub fn hex_u256(value: &Value) -> Result<U256, String> {
    let text = value
        .as_str()
        .ok_or_else(|| format!("expected a hex quantity, got {value}"))?;
    let digits = text
        .strip_prefix("0x")
        .ok_or_else(|| format!("quantity without 0x: {text}"))?;
    U256::from_str_radix(digits, 16).map_err(|e| format!("bad quantity {text}: {e}"))
}

/// A JSON-RPC quantity (`"0x1a"`) as a `u64` (block numbers, times, ids).
pub fn hex_u64(value: &Value) -> Result<u64, String> {
    u64::try_from(hex_u256(value)?).map_err(|_| format!("quantity out of range: {value}"))
}

/// A block as `eth_getBlockByNumber` answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub hash: BlockHash,
    pub time: crate::time::Timestamp,
    /// (hash, to, value) of each transaction; empty unless read in full.
    pub transactions: Vec<(TxHash, Option<Address>, U256)>,
}

/// The hash of a block header.
pub fn header_hash(header: &Value) -> Result<BlockHash, String> {
    header["hash"]
        .as_str()
        .and_then(|h| h.parse().ok())
        .ok_or_else(|| format!("malformed block header: {header}"))
}

/// A block with its transactions when `full` (the answer to a `full` read lists them as
/// objects); the error quotes at most the first 200 characters of the block.
pub fn parse_block(block: &Value, full: bool) -> Result<Block, String> {
    let malformed = || {
        let text: String = block.to_string().chars().take(200).collect();
        format!("malformed block: {text}")
    };
    let transactions = if full {
        block["transactions"]
            .as_array()
            .ok_or_else(malformed)?
            .iter()
            .map(|tx| {
                let hash: TxHash = tx["hash"].as_str()?.parse().ok()?;
                let to: Option<Address> = tx["to"].as_str().and_then(|t| t.parse().ok());
                Some((hash, to, hex_u256(&tx["value"]).ok()?))
            })
            .collect::<Option<Vec<_>>>()
            .ok_or_else(malformed)?
    } else {
        Vec::new()
    };
    Ok(Block {
        hash: header_hash(block)?,
        time: crate::time::Timestamp(
            hex_u64(&block["timestamp"]).map_err(|e| format!("malformed response: {e}"))?,
        ),
        transactions,
    })
}

/// A plain coin transfer to `to` that a transaction hash proves: the transaction sends
/// value to `to` and its receipt says it succeeded. The block it was mined in, by number
/// and (if the receipt gives one) hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProvenBlock {
    pub number: BlockNumber,
    pub hash: Option<BlockHash>,
}

/// What a transaction and its receipt prove about a coin payment to `to`: `Ok(None)` when
/// the transaction sends nothing to `to` or did not succeed; an error only when a
/// successful receipt has no readable block number.
pub fn coin_payment_block(
    tx: &Value,
    receipt: &Value,
    to: Address,
) -> Result<Option<ProvenBlock>, String> {
    let recipient: Option<Address> = tx["to"].as_str().and_then(|t| t.parse().ok());
    let value = hex_u256(&tx["value"]).unwrap_or_default();
    if recipient != Some(to) || value.is_zero() || receipt["status"].as_str() != Some("0x1") {
        return Ok(None);
    }
    Ok(Some(ProvenBlock {
        number: hex_u64(&receipt["blockNumber"])?,
        hash: receipt["blockHash"].as_str().and_then(|h| h.parse().ok()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const USDC: Address = Address::repeat_byte(0x11);
    const PAYEE: Address = Address::repeat_byte(0xaa);

    fn tokens() -> Vec<Token> {
        vec![Token {
            symbol: "USDC".into(),
            contract: USDC,
            decimals: 6,
            min_amount: "1".into(),
            source: "a test token".into(),
        }]
    }

    /// A transfer of 1.5 USDC to `PAYEE`, as a node returns it.
    fn log() -> Value {
        json!({
            "address": format!("{USDC:#x}"),
            "topics": [
                TRANSFER_TOPIC,
                address_topic(&format!("{:#x}", Address::repeat_byte(0xbb))),
                address_topic(&format!("{PAYEE:#x}")),
            ],
            "data": "0x000000000000000000000000000000000000000000000000000000000016e360",
            "blockNumber": "0x1a",
            "blockHash": format!("{}", B256::repeat_byte(0x0b)),
            "transactionHash": format!("{}", B256::repeat_byte(0x0c)),
            "logIndex": "0x3",
            "removed": false,
        })
    }

    fn with(field: &str, value: Value) -> Value {
        let mut log = log();
        log[field] = value;
        log
    }

    #[test]
    fn a_transfer_log_parses() {
        assert_eq!(
            parse_transfer(&tokens(), &log()),
            Some(TransferLog {
                token: "USDC".into(),
                to: PAYEE,
                amount: U256::from(1_500_000u32),
                tx_hash: B256::repeat_byte(0x0c),
                log_index: 3,
                block_number: 26,
                block_hash: B256::repeat_byte(0x0b),
            })
        );
    }

    #[test]
    fn the_topic_is_the_event_signature_hash() {
        assert_eq!(
            TRANSFER_TOPIC,
            alloy_primitives::keccak256("Transfer(address,address,uint256)").to_string()
        );
        assert_eq!(
            address_topic("0xAbC0000000000000000000000000000000000001"),
            "0x000000000000000000000000AbC0000000000000000000000000000000000001"
        );
    }

    #[test]
    fn empty_data_is_a_zero_amount() {
        let parsed = parse_transfer(&tokens(), &with("data", json!("0x"))).expect("parses");
        assert_eq!(parsed.amount, U256::ZERO);
    }

    #[test]
    fn malformed_logs_are_refused() {
        let topics = |n: usize| json!(log()["topics"].as_array().expect("topics")[..n].to_vec());
        let refused = [
            ("two topics: no recipient", with("topics", topics(2))),
            ("no topics", with("topics", json!([]))),
            ("data without 0x", with("data", json!("16e360"))),
            ("data that is not hex", with("data", json!("0xzz"))),
            (
                "data longer than one word",
                with("data", json!(format!("0x{}", "1".repeat(65)))),
            ),
            (
                "a token we do not watch",
                with(
                    "address",
                    json!(format!("{:#x}", Address::repeat_byte(0x99))),
                ),
            ),
            (
                "a contract that is not an address",
                with("address", json!("0x1234")),
            ),
            (
                "a block number without 0x",
                with("blockNumber", json!("26")),
            ),
            (
                "a block number as a JSON number",
                with("blockNumber", json!(26)),
            ),
            ("no log index", with("logIndex", Value::Null)),
            (
                "a short transaction hash",
                with("transactionHash", json!("0x0c")),
            ),
            ("a short block hash", with("blockHash", json!("0x0b"))),
        ];
        for (what, log) in refused {
            assert_eq!(parse_transfer(&tokens(), &log), None, "{what}");
        }
    }

    #[test]
    fn the_first_topic_is_left_to_the_filter() {
        // eth_getLogs was asked for `Transfer` logs only; a receipt is filtered by it.
        let other = with(
            "topics",
            json!(["0x01", null, address_topic(&format!("{PAYEE:#x}"))]),
        );
        assert!(parse_transfer(&tokens(), &other).is_some());
    }

    #[test]
    fn logs_answers_skip_removed_logs_and_refuse_malformed_ones() {
        let removed = with("removed", json!(true));
        let answers = [json!([log(), removed]), json!([])];
        assert_eq!(parse_logs(&tokens(), &answers).expect("parses").len(), 1);
        // A removed log is skipped before it is read, malformed or not.
        let removed_garbage = json!({"removed": true});
        assert_eq!(
            parse_logs(&tokens(), &[json!([removed_garbage])]),
            Ok(Vec::new())
        );
        assert_eq!(
            parse_logs(&tokens(), &[json!({"not": "an array"})]),
            Err("eth_getLogs returned a non-array".to_owned())
        );
        let unknown = with(
            "address",
            json!(format!("{:#x}", Address::repeat_byte(0x99))),
        );
        let refused = parse_logs(&tokens(), &[json!([log(), unknown])]).expect_err("refused");
        assert!(refused.starts_with("malformed log: {"), "{refused}");
    }

    #[test]
    fn log_filters_take_the_addresses_in_chunks() {
        let addresses: Vec<String> = (1..=5u8)
            .map(|i| format!("{:#x}", Address::repeat_byte(i)))
            .collect();
        let filters = transfer_log_filters(&tokens(), &addresses, 2, 16, 255);
        assert_eq!(filters.len(), 3);
        assert_eq!(
            filters[0],
            json!([{
                "fromBlock": "0x10",
                "toBlock": "0xff",
                "address": [format!("{USDC:#x}")],
                "topics": [TRANSFER_TOPIC, null, [address_topic(&addresses[0]), address_topic(&addresses[1])]],
            }])
        );
        assert_eq!(
            filters[2][0]["topics"][2],
            json!([address_topic(&addresses[4])])
        );
        assert!(transfer_log_filters(&tokens(), &[], 2, 1, 2).is_empty());
        assert_eq!(
            transfer_log_filters(&tokens(), &addresses, 0, 1, 2).len(),
            5,
            "at least one per call"
        );
    }

    #[test]
    fn receipts_count_only_successful_transfers_to_the_address() {
        let receipt = |status: &str, logs: Vec<Value>| json!({"status": status, "logs": logs});
        let to_someone_else = {
            let mut l = log();
            l["topics"][2] = json!(address_topic(&format!("{:#x}", Address::repeat_byte(0xcc))));
            l
        };
        let approval = with(
            "topics",
            json!([
                "0x8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925",
                null,
                address_topic(&format!("{PAYEE:#x}"))
            ]),
        );
        let ok = receipt(
            "0x1",
            vec![log(), to_someone_else, approval, json!({"garbage": 1})],
        );
        assert_eq!(receipt_transfers(&tokens(), &ok, PAYEE).len(), 1);
        assert!(receipt_transfers(&tokens(), &receipt("0x0", vec![log()]), PAYEE).is_empty());
        assert!(receipt_transfers(&tokens(), &Value::Null, PAYEE).is_empty());
        assert!(receipt_transfers(&tokens(), &json!({"status": "0x1"}), PAYEE).is_empty());
    }

    #[test]
    fn quantities_are_0x_hex() {
        assert_eq!(hex_u64(&json!("0x1a")), Ok(26));
        assert_eq!(hex_u256(&json!("0x")), Ok(U256::ZERO));
        assert_eq!(
            hex_u64(&json!(26)),
            Err("expected a hex quantity, got 26".to_owned())
        );
        assert_eq!(
            hex_u64(&json!("1a")),
            Err("quantity without 0x: 1a".to_owned())
        );
        assert!(
            hex_u64(&json!("0xzz"))
                .expect_err("bad")
                .starts_with("bad quantity 0xzz: ")
        );
        assert_eq!(
            hex_u64(&json!("0x10000000000000000")),
            Err("quantity out of range: \"0x10000000000000000\"".to_owned())
        );
    }

    #[test]
    fn blocks_parse_with_or_without_transactions() {
        let hash = B256::repeat_byte(0x0b);
        let tx = json!({"hash": format!("{}", B256::repeat_byte(1)), "to": format!("{PAYEE:#x}"), "value": "0x5"});
        let creation =
            json!({"hash": format!("{}", B256::repeat_byte(2)), "to": null, "value": "0x0"});
        let block =
            json!({"hash": format!("{hash}"), "timestamp": "0x64", "transactions": [tx, creation]});
        let full = parse_block(&block, true).expect("parses");
        assert_eq!((full.hash, full.time.0), (hash, 100));
        assert_eq!(
            full.transactions,
            vec![
                (B256::repeat_byte(1), Some(PAYEE), U256::from(5u8)),
                (B256::repeat_byte(2), None, U256::ZERO)
            ]
        );
        assert!(
            parse_block(&block, false)
                .expect("parses")
                .transactions
                .is_empty()
        );
        let hashes_only =
            json!({"hash": format!("{hash}"), "timestamp": "0x64", "transactions": ["0x01"]});
        assert!(
            parse_block(&hashes_only, true)
                .expect_err("refused")
                .starts_with("malformed block: ")
        );
        assert!(
            parse_block(&json!({"timestamp": "0x64"}), false)
                .expect_err("refused")
                .starts_with("malformed block header: ")
        );
        assert_eq!(
            parse_block(&json!({"hash": format!("{hash}"), "timestamp": 100}), false),
            Err("malformed response: expected a hex quantity, got 100".to_owned())
        );
        let long = json!({"hash": "x".repeat(500), "transactions": 1});
        assert_eq!(
            parse_block(&long, true).expect_err("refused").len(),
            "malformed block: ".len() + 200
        );
        // Quoted by characters: a cut never falls inside one.
        let wide = json!({"hash": "é".repeat(500), "transactions": 1});
        let quoted = parse_block(&wide, true).expect_err("refused");
        assert_eq!(quoted.chars().count(), "malformed block: ".len() + 200);
    }

    #[test]
    fn a_coin_payment_needs_value_to_the_address_and_success() {
        let tx = |to: Address, value: &str| json!({"to": format!("{to:#x}"), "value": value});
        let receipt = json!({"status": "0x1", "blockNumber": "0x20", "blockHash": format!("{}", B256::repeat_byte(7))});
        assert_eq!(
            coin_payment_block(&tx(PAYEE, "0x5"), &receipt, PAYEE),
            Ok(Some(ProvenBlock {
                number: 32,
                hash: Some(B256::repeat_byte(7))
            }))
        );
        assert_eq!(
            coin_payment_block(&tx(USDC, "0x5"), &receipt, PAYEE),
            Ok(None),
            "to another address"
        );
        assert_eq!(
            coin_payment_block(&tx(PAYEE, "0x0"), &receipt, PAYEE),
            Ok(None),
            "no value"
        );
        assert_eq!(
            coin_payment_block(&tx(PAYEE, "5"), &receipt, PAYEE),
            Ok(None),
            "unreadable value"
        );
        let reverted = json!({"status": "0x0", "blockNumber": "0x20"});
        assert_eq!(
            coin_payment_block(&tx(PAYEE, "0x5"), &reverted, PAYEE),
            Ok(None),
            "reverted"
        );
        assert_eq!(
            coin_payment_block(&Value::Null, &Value::Null, PAYEE),
            Ok(None),
            "unknown"
        );
        let pending = json!({"status": "0x1", "blockNumber": null});
        assert!(coin_payment_block(&tx(PAYEE, "0x5"), &pending, PAYEE).is_err());
    }
}
