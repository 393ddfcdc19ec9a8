//! Sweeps: moving what landed at deposit addresses to the merchant's treasury. The
//! merchant's own tool sends the transactions and reports them; here is what decides which
//! sessions may be emptied, what a reported transaction moved out of which addresses, and
//! the balances per chain and token.

use std::collections::{BTreeMap, BTreeSet};

use alloy_primitives::{Address, B256, BlockNumber, TxHash, U256};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::catalogue::Chain;
use crate::evm::{TRANSFER_TOPIC, hex_u64, hex_u256};
use crate::ids::{SessionId, SweepId};
use crate::status::Status;
use crate::time::Timestamp;

/// keccak256("Swept(address,address,uint256)"): the sweeper's event, emitted at the address
/// it empties; `token` zero stands for the native coin.
pub const SWEPT_TOPIC: &str = "0x7b09c29f9106defeccc9ac3b823f3aad0b470d120e5df7aed033b5c43a4bf718";

/// A reported transaction that no node knows this long after the report never will: it was
/// dropped or replaced, or the hash is wrong.
pub const NOT_FOUND_AFTER_SECS: u64 = 3_600;

/// Whether a session's deposit address may be emptied now. A session is swept only once its
/// outcome can no longer change: a terminal status, or its late-payment grace is over and no
/// counted payment is still confirming (a `detected` session stays watched until it is
/// final, and moving its money out would hide the payment the watcher is still counting).
pub fn may_sweep(status: Status, late_until: Timestamp, now: Timestamp) -> bool {
    status.is_final() || (now > late_until && status != Status::Detected)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SweepStatus {
    Pending,
    Succeeded,
    Failed,
}

impl SweepStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        [Self::Pending, Self::Succeeded, Self::Failed]
            .into_iter()
            .find(|s| s.as_str() == name)
    }
}

/// Why a sweep failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureCode {
    TransactionReverted,
    TransactionNotFound,
    NoDepositTransfers,
}

impl FailureCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TransactionReverted => "transaction_reverted",
            Self::TransactionNotFound => "transaction_not_found",
            Self::NoDepositTransfers => "no_deposit_transfers",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        [
            Self::TransactionReverted,
            Self::TransactionNotFound,
            Self::NoDepositTransfers,
        ]
        .into_iter()
        .find(|c| c.as_str() == name)
    }

    pub fn message(self) -> &'static str {
        match self {
            Self::TransactionReverted => "The transaction reverted: nothing moved.",
            Self::TransactionNotFound => {
                "No node knows the transaction an hour after it was reported: it was dropped or replaced, or the hash is wrong."
            }
            Self::NoDepositTransfers => {
                "The transaction moved nothing out of a deposit address of this account and mode."
            }
        }
    }
}

/// A reported sweep as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sweep {
    pub id: SweepId,
    pub livemode: bool,
    pub chain_id: u64,
    pub tx_hash: TxHash,
    pub status: SweepStatus,
    pub block_number: Option<BlockNumber>,
    pub failure: Option<FailureCode>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub verified_at: Option<Timestamp>,
}

/// One move of value out of an address, read from a mined transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    pub from: Address,
    pub to: Address,
    /// The catalogue symbol; the native coin's symbol for the coin.
    pub token: String,
    /// The token's contract; `None` for the native coin.
    pub contract: Option<Address>,
    pub amount: U256,
    /// The log that shows it; `None` for a plain transaction's value.
    pub log_index: Option<u64>,
}

/// A move out of a deposit address, with the session that address belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweptTransfer {
    pub session_id: SessionId,
    pub moved: Move,
}

/// What a reported transaction's receipt says now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading {
    /// Not mined yet, or not yet confirmed: read again next run.
    Wait,
    /// Unknown to the node for too long.
    NotFound,
    /// Mined, confirmed and reverted.
    Reverted { block_number: BlockNumber },
    /// Mined, confirmed and successful, with every move out of an address it shows.
    Mined {
        block_number: BlockNumber,
        moves: Vec<Move>,
    },
}

/// Reads the answers to `eth_getTransactionReceipt` and `eth_getTransactionByHash` for a
/// transaction reported at `reported_at`, with the chain's head at `head`. An answer that
/// is not shaped like a receipt or transaction is an error (the node is at fault, not the
/// sweep).
pub fn read_transaction(
    chain: &Chain,
    receipt: &Value,
    transaction: &Value,
    head: BlockNumber,
    reported_at: Timestamp,
    now: Timestamp,
) -> Result<Reading, String> {
    if receipt.is_null() {
        let overdue = now.0 >= reported_at.0.saturating_add(NOT_FOUND_AFTER_SECS);
        return Ok(if overdue {
            Reading::NotFound
        } else {
            Reading::Wait
        });
    }
    let block_number = hex_u64(&receipt["blockNumber"])?;
    let confirmations = head.checked_sub(block_number).map_or(0, |d| d + 1);
    if confirmations < u64::from(chain.min_confirmations.max(1)) {
        return Ok(Reading::Wait);
    }
    match receipt["status"].as_str() {
        Some("0x1") => {}
        Some("0x0") => return Ok(Reading::Reverted { block_number }),
        _ => return Err(format!("a receipt without a status: {receipt}")),
    }
    let mut moves = Vec::new();
    for log in receipt["logs"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        moves.extend(log_move(chain, log)?);
    }
    if !transaction.is_null() {
        moves.extend(value_move(chain, transaction)?);
    }
    Ok(Reading::Mined {
        block_number,
        moves,
    })
}

/// The move one receipt log shows, if it shows one: a catalogue token's `Transfer`, or the
/// sweeper's `Swept` of the native coin (emitted at the address it emptied).
fn log_move(chain: &Chain, log: &Value) -> Result<Option<Move>, String> {
    let topic = |i: usize| -> Result<Option<B256>, String> {
        log["topics"]
            .get(i)
            .and_then(Value::as_str)
            .map(|t| t.parse::<B256>().map_err(|e| format!("bad topic {t}: {e}")))
            .transpose()
    };
    let address = |word: B256| Address::from_slice(&word[12..]);
    let emitter: Address = log["address"]
        .as_str()
        .and_then(|a| a.parse().ok())
        .ok_or_else(|| format!("a log without an address: {log}"))?;
    let (Some(kind), Some(first), Some(second)) = (topic(0)?, topic(1)?, topic(2)?) else {
        return Ok(None);
    };
    let data = log["data"].as_str().unwrap_or_default();
    let data_word = || {
        let digits = data.strip_prefix("0x").unwrap_or(data);
        if digits.len() != 64 {
            return Err(format!("a log whose data is not one word: {log}"));
        }
        U256::from_str_radix(digits, 16).map_err(|e| format!("bad log data {data}: {e}"))
    };
    let log_index = Some(hex_u64(&log["logIndex"])?);
    let kind = format!("{kind:#x}");
    if kind == TRANSFER_TOPIC {
        let Some(token) = chain.tokens.iter().find(|t| t.contract == emitter) else {
            return Ok(None);
        };
        return Ok(Some(Move {
            from: address(first),
            to: address(second),
            token: token.symbol.clone(),
            contract: Some(token.contract),
            amount: data_word()?,
            log_index,
        }));
    }
    if kind == SWEPT_TOPIC && address(first) == Address::ZERO {
        return Ok(Some(Move {
            from: emitter,
            to: address(second),
            token: chain.native_symbol.clone(),
            contract: None,
            amount: data_word()?,
            log_index,
        }));
    }
    Ok(None)
}

/// A transaction's own value, moved from its sender to its recipient.
fn value_move(chain: &Chain, transaction: &Value) -> Result<Option<Move>, String> {
    let value = hex_u256(&transaction["value"])?;
    let to = transaction["to"].as_str().and_then(|a| a.parse().ok());
    let (Some(to), false) = (to, value.is_zero()) else {
        return Ok(None);
    };
    let from: Address = transaction["from"]
        .as_str()
        .and_then(|a| a.parse().ok())
        .ok_or_else(|| format!("a transaction without a sender: {transaction}"))?;
    Ok(Some(Move {
        from,
        to,
        token: chain.native_symbol.clone(),
        contract: None,
        amount: value,
        log_index: None,
    }))
}

/// The addresses a reading moved value out of: the candidates to look up as deposit
/// addresses.
pub fn senders(reading: &Reading) -> Vec<Address> {
    let Reading::Mined { moves, .. } = reading else {
        return Vec::new();
    };
    let set: BTreeSet<Address> = moves.iter().map(|m| m.from).collect();
    set.into_iter().collect()
}

/// What verification decided for a pending sweep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Succeeded {
        block_number: BlockNumber,
        transfers: Vec<SweptTransfer>,
    },
    Failed {
        block_number: Option<BlockNumber>,
        failure: FailureCode,
    },
}

/// The decision on a reading, given which of its senders are deposit addresses of the
/// sweep's account and mode (and their sessions); `None` while it must wait. Only moves
/// out of those addresses count: anything else the transaction did is not the merchant's
/// deposits.
pub fn decide(reading: Reading, deposits: &BTreeMap<Address, SessionId>) -> Option<Decision> {
    match reading {
        Reading::Wait => None,
        Reading::NotFound => Some(Decision::Failed {
            block_number: None,
            failure: FailureCode::TransactionNotFound,
        }),
        Reading::Reverted { block_number } => Some(Decision::Failed {
            block_number: Some(block_number),
            failure: FailureCode::TransactionReverted,
        }),
        Reading::Mined {
            block_number,
            moves,
        } => {
            let transfers: Vec<SweptTransfer> = moves
                .into_iter()
                .filter(|m| !m.amount.is_zero())
                .filter_map(|moved| {
                    let session_id = deposits.get(&moved.from)?.clone();
                    Some(SweptTransfer { session_id, moved })
                })
                .collect();
            Some(if transfers.is_empty() {
                Decision::Failed {
                    block_number: Some(block_number),
                    failure: FailureCode::NoDepositTransfers,
                }
            } else {
                Decision::Succeeded {
                    block_number,
                    transfers,
                }
            })
        }
    }
}

/// What landed at deposit addresses and what left them, for one chain and token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Balance {
    pub received: U256,
    pub swept: U256,
}

impl Balance {
    /// Still at the deposit addresses. Never below zero: a sweep may move more than was
    /// recorded (money sent outside any session), which is not a debt.
    pub fn at_deposit_addresses(&self) -> U256 {
        self.received.saturating_sub(self.swept)
    }
}

/// The balances per key (chain and token) from the received and swept amounts; `None` if
/// a sum overflows (it cannot for real tokens, and then no figure is better than a wrong one).
pub fn balances<K: Ord>(
    received: impl IntoIterator<Item = (K, U256)>,
    swept: impl IntoIterator<Item = (K, U256)>,
) -> Option<BTreeMap<K, Balance>> {
    let mut out: BTreeMap<K, Balance> = BTreeMap::new();
    for (key, amount) in received {
        let entry = out.entry(key).or_default();
        entry.received = entry.received.checked_add(amount)?;
    }
    for (key, amount) in swept {
        let entry = out.entry(key).or_default();
        entry.swept = entry.swept.checked_add(amount)?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUSES: [Status; 9] = [
        Status::Pending,
        Status::Detected,
        Status::Underpaid,
        Status::Overpaid,
        Status::Paid,
        Status::PaidLate,
        Status::Expired,
        Status::Canceled,
        Status::Failed,
    ];

    #[test]
    fn terminal_sessions_may_be_swept_at_once_and_the_others_after_their_grace() {
        let late_until = Timestamp(1_000);
        for status in STATUSES {
            let before = may_sweep(status, late_until, Timestamp(999));
            let at = may_sweep(status, late_until, Timestamp(1_000));
            let after = may_sweep(status, late_until, Timestamp(1_001));
            let terminal = matches!(
                status,
                Status::Overpaid
                    | Status::Paid
                    | Status::PaidLate
                    | Status::Canceled
                    | Status::Failed
            );
            assert_eq!(before, terminal, "{status:?} before late_until");
            assert_eq!(at, terminal, "{status:?} at late_until");
            assert_eq!(
                after,
                status != Status::Detected,
                "{status:?} after late_until"
            );
        }
    }

    mod reading {
        use alloy_primitives::{Address, U256};
        use serde_json::{Value, json};

        use super::super::*;
        use crate::catalogue::{BUILTIN_JSON, Catalogue, Chain};

        fn local() -> Chain {
            let catalogue = Catalogue::parse(BUILTIN_JSON).expect("valid");
            catalogue.chain(31337).expect("the local chain").clone()
        }

        fn word(a: Address) -> String {
            format!("0x{:0>64}", format!("{a:x}"))
        }

        fn log(emitter: Address, topics: [String; 3], amount: u64, index: u64) -> Value {
            json!({
                "address": format!("{emitter:#x}"),
                "topics": topics,
                "data": format!("0x{amount:064x}"),
                "logIndex": format!("{index:#x}"),
            })
        }

        fn receipt(status: &str, block: u64, logs: Vec<Value>) -> Value {
            json!({"status": status, "blockNumber": format!("{block:#x}"), "logs": logs})
        }

        fn no_value() -> Value {
            json!({"from": format!("{:#x}", Address::repeat_byte(0x99)), "to": null, "value": "0x0"})
        }

        const T: Timestamp = Timestamp(1_000_000);

        #[test]
        fn token_transfers_and_native_swept_logs_are_moves_out_of_their_senders() {
            let chain = local();
            let usdc = chain.tokens.iter().find(|t| t.symbol == "USDC").unwrap();
            let (deposit, treasury) = (Address::repeat_byte(1), Address::repeat_byte(2));
            let stranger = Address::repeat_byte(3);
            let logs = vec![
                log(
                    usdc.contract,
                    [TRANSFER_TOPIC.into(), word(deposit), word(treasury)],
                    1_250_000,
                    0,
                ),
                // The sweeper's Swept of a token repeats the Transfer: not a move of its own.
                log(
                    deposit,
                    [SWEPT_TOPIC.into(), word(usdc.contract), word(treasury)],
                    1_250_000,
                    1,
                ),
                log(
                    deposit,
                    [SWEPT_TOPIC.into(), word(Address::ZERO), word(treasury)],
                    7,
                    2,
                ),
                // A contract outside the catalogue is no token of ours.
                log(
                    stranger,
                    [TRANSFER_TOPIC.into(), word(deposit), word(treasury)],
                    5,
                    3,
                ),
            ];
            let reading =
                read_transaction(&chain, &receipt("0x1", 10, logs), &no_value(), 20, T, T).unwrap();
            let Reading::Mined {
                block_number,
                moves,
            } = &reading
            else {
                panic!("{reading:?}");
            };
            assert_eq!(*block_number, 10);
            assert_eq!(moves.len(), 2);
            assert_eq!(
                (moves[0].token.as_str(), moves[0].amount),
                ("USDC", U256::from(1_250_000))
            );
            assert_eq!(moves[0].contract, Some(usdc.contract));
            assert_eq!(
                (moves[1].token.as_str(), moves[1].amount),
                ("ETH", U256::from(7))
            );
            assert_eq!(
                (moves[1].from, moves[1].to, moves[1].contract),
                (deposit, treasury, None)
            );
            assert_eq!(senders(&reading), [deposit]);

            let session: SessionId = format!("cs_test_{}", "a".repeat(24)).parse().unwrap();
            let mine = BTreeMap::from([(deposit, session.clone())]);
            let Some(Decision::Succeeded { transfers, .. }) = decide(reading.clone(), &mine) else {
                panic!("a move out of a deposit address succeeds");
            };
            assert_eq!(transfers.len(), 2);
            assert!(transfers.iter().all(|t| t.session_id == session));
            assert_eq!(
                decide(reading, &BTreeMap::new()),
                Some(Decision::Failed {
                    block_number: Some(10),
                    failure: FailureCode::NoDepositTransfers
                })
            );
        }

        #[test]
        fn a_plain_transaction_moves_its_value_from_its_sender() {
            let chain = local();
            let (deposit, to) = (Address::repeat_byte(1), Address::repeat_byte(2));
            let tx =
                json!({"from": format!("{deposit:#x}"), "to": format!("{to:#x}"), "value": "0x2a"});
            let reading =
                read_transaction(&chain, &receipt("0x1", 10, vec![]), &tx, 20, T, T).unwrap();
            let Reading::Mined { moves, .. } = reading else {
                panic!("{reading:?}")
            };
            assert_eq!(moves.len(), 1);
            assert_eq!(
                (moves[0].from, moves[0].to, moves[0].amount),
                (deposit, to, U256::from(42))
            );
            assert_eq!(moves[0].log_index, None);
        }

        #[test]
        fn unmined_unconfirmed_reverted_and_lost_transactions() {
            let chain = local();
            let confirmations = u64::from(chain.min_confirmations.max(1));
            let mined = receipt("0x1", 100, vec![]);
            let wait = |r: &Value, head, now| {
                read_transaction(&chain, r, &no_value(), head, T, now).unwrap()
            };
            assert_eq!(wait(&mined, 100 + confirmations - 2, T), Reading::Wait);
            assert!(matches!(
                wait(&mined, 100 + confirmations - 1, T),
                Reading::Mined { .. }
            ));
            assert_eq!(
                wait(&receipt("0x0", 100, vec![]), 200, T),
                Reading::Reverted { block_number: 100 }
            );
            let hour = T.plus_secs(NOT_FOUND_AFTER_SECS);
            assert_eq!(
                wait(&Value::Null, 200, Timestamp(hour.0 - 1)),
                Reading::Wait
            );
            assert_eq!(wait(&Value::Null, 200, hour), Reading::NotFound);
            assert_eq!(
                decide(Reading::NotFound, &BTreeMap::new()),
                Some(Decision::Failed {
                    block_number: None,
                    failure: FailureCode::TransactionNotFound
                })
            );
            assert_eq!(decide(Reading::Wait, &BTreeMap::new()), None);
            assert!(
                read_transaction(&chain, &json!({"blockNumber": "0x1"}), &no_value(), 9, T, T)
                    .is_err()
            );
        }

        #[test]
        fn balances_sum_exactly_and_never_go_below_zero() {
            let received = [
                (("a", 1), U256::from(5)),
                (("a", 1), U256::from(7)),
                (("b", 1), U256::from(1)),
            ];
            let swept = [(("a", 1), U256::from(12)), (("b", 1), U256::from(3))];
            let sums = balances(received, swept).unwrap();
            assert_eq!(sums[&("a", 1)].at_deposit_addresses(), U256::ZERO);
            assert_eq!(sums[&("a", 1)].received, U256::from(12));
            assert_eq!(sums[&("b", 1)].at_deposit_addresses(), U256::ZERO);
            assert_eq!(balances([(1, U256::MAX), (1, U256::from(1))], []), None);
        }
    }
}
