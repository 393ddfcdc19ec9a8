//! Sweeps, balances and chains on the wire: the report a sweeping tool sends, the list
//! filters, and the objects the API answers with.

use alloy_primitives::{Address, TxHash, U256};
use serde::Serialize;
use serde_json::Value;

use crate::api::list::{self, Page};
use crate::catalogue::{Catalogue, Chain};
use crate::error_code::ErrorCode;
use crate::health::WatcherStatus;
use crate::ids::{SessionId, SweepId};
use crate::money::format_units;
use crate::params::{ParamError, object, reject_unknown, whole_number};
use crate::sweep::{Balance, FailureCode, Sweep, SweepStatus, SweptTransfer};
use crate::time::Timestamp;

/// `POST /v1/sweeps`: a transaction the merchant's tool sent on a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub chain_id: u64,
    pub tx_hash: TxHash,
}

/// A chain id: a positive whole number small enough to store exactly.
fn chain_id(value: &Value) -> Option<u64> {
    whole_number(value).filter(|n| (1..1 << 53).contains(n))
}

/// A transaction hash: `0x` and 64 hex digits.
pub fn tx_hash(text: &str) -> Option<TxHash> {
    let digits = text.strip_prefix("0x")?;
    if digits.len() != 64 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    text.parse().ok()
}

pub fn parse_report(body: &str) -> Result<Report, ParamError> {
    let map = object(body)?;
    reject_unknown(&map, &["chain_id", "tx_hash"])?;
    let missing = |param: &str, what: &str| {
        ParamError::new(
            ErrorCode::ParameterMissing,
            param,
            format!("{param} is required: {what}."),
        )
    };
    let chain_id = match map.get("chain_id") {
        None | Some(Value::Null) => {
            return Err(missing("chain_id", "the chain the transaction was sent on"));
        }
        Some(v) => chain_id(v).ok_or_else(|| {
            ParamError::new(
                ErrorCode::ParameterInvalid,
                "chain_id",
                "chain_id must be a positive whole number, such as 8453.",
            )
        })?,
    };
    let tx_hash = match map.get("tx_hash") {
        None | Some(Value::Null) => return Err(missing("tx_hash", "the hash of the transaction")),
        Some(v) => v.as_str().and_then(tx_hash).ok_or_else(|| {
            ParamError::new(
                ErrorCode::ParameterInvalid,
                "tx_hash",
                "tx_hash must be 0x followed by 64 hex digits.",
            )
        })?,
    };
    Ok(Report { chain_id, tx_hash })
}

/// `GET /v1/sweeps` filters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SweepFilter {
    pub chain_id: Option<u64>,
    pub status: Option<SweepStatus>,
}

pub fn parse_list<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<(Page, SweepFilter), ParamError> {
    let (page, rest) = list::parse_page(pairs, &["chain_id", "status"])?;
    let mut filter = SweepFilter::default();
    for (key, value) in rest {
        if key == "chain_id" {
            let id = value
                .parse::<u64>()
                .ok()
                .filter(|n| (1..1 << 53).contains(n));
            filter.chain_id = Some(id.ok_or_else(|| {
                ParamError::new(
                    ErrorCode::ParameterInvalid,
                    "chain_id",
                    "chain_id must be a positive whole number, such as 8453.",
                )
            })?);
        } else {
            filter.status = Some(SweepStatus::parse(&value).ok_or_else(|| {
                ParamError::new(
                    ErrorCode::ParameterInvalid,
                    "status",
                    "status must be one of pending, succeeded, failed.",
                )
            })?);
        }
    }
    Ok((page, filter))
}

/// The decimals of `token` on `chain`: the native coin's or a catalogue token's.
fn decimals(chain: Option<&Chain>, token: &str, contract: Option<&Address>) -> u8 {
    let Some(chain) = chain else { return 18 };
    match contract {
        None => chain.native_decimals,
        Some(contract) => chain
            .tokens
            .iter()
            .find(|t| &t.contract == contract || t.symbol == token)
            .map_or(18, |t| t.decimals),
    }
}

/// One move out of a deposit address, as a sweep lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransferObject {
    pub session: SessionId,
    pub address: String,
    pub to: String,
    pub token: String,
    pub contract_address: Option<String>,
    pub decimals: u8,
    pub amount: String,
    pub amount_formatted: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SweepObject {
    pub id: SweepId,
    pub object: &'static str,
    pub livemode: bool,
    pub chain_id: u64,
    pub chain: String,
    pub tx_hash: TxHash,
    pub status: SweepStatus,
    pub block_number: Option<u64>,
    pub failure_code: Option<FailureCode>,
    pub failure_message: Option<&'static str>,
    pub transfers: Vec<TransferObject>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub verified_at: Option<Timestamp>,
}

pub fn sweep_object(
    sweep: &Sweep,
    transfers: &[SweptTransfer],
    catalogue: &Catalogue,
) -> SweepObject {
    let chain = catalogue.chain(sweep.chain_id);
    SweepObject {
        id: sweep.id.clone(),
        object: "sweep",
        livemode: sweep.livemode,
        chain_id: sweep.chain_id,
        chain: chain.map(|c| c.name.clone()).unwrap_or_default(),
        tx_hash: sweep.tx_hash,
        status: sweep.status,
        block_number: sweep.block_number,
        failure_code: sweep.failure,
        failure_message: sweep.failure.map(FailureCode::message),
        transfers: transfers
            .iter()
            .map(|t| {
                let m = &t.moved;
                let decimals = decimals(chain, &m.token, m.contract.as_ref());
                TransferObject {
                    session: t.session_id.clone(),
                    address: m.from.to_checksum(None),
                    to: m.to.to_checksum(None),
                    token: m.token.clone(),
                    contract_address: m.contract.map(|c| c.to_checksum(None)),
                    decimals,
                    amount: m.amount.to_string(),
                    amount_formatted: format_units(m.amount, decimals),
                }
            })
            .collect(),
        created_at: sweep.created_at,
        updated_at: sweep.updated_at,
        verified_at: sweep.verified_at,
    }
}

/// What a session's `swept` lists: one verified move out of its address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct SweptObject {
    pub sweep: SweepId,
    pub chain_id: u64,
    pub token: String,
    pub amount: String,
    pub amount_formatted: String,
    pub tx_hash: TxHash,
    pub swept_at: Timestamp,
}

/// One succeeded sweep's transfer out of a session's address, as the store reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweptRecord {
    pub sweep: SweepId,
    pub session_id: SessionId,
    pub chain_id: u64,
    pub token: String,
    pub contract: Option<Address>,
    pub amount: U256,
    pub tx_hash: TxHash,
    pub swept_at: Timestamp,
}

pub fn swept_object(record: &SweptRecord, catalogue: &Catalogue) -> SweptObject {
    let chain = catalogue.chain(record.chain_id);
    let decimals = decimals(chain, &record.token, record.contract.as_ref());
    SweptObject {
        sweep: record.sweep.clone(),
        chain_id: record.chain_id,
        token: record.token.clone(),
        amount: record.amount.to_string(),
        amount_formatted: format_units(record.amount, decimals),
        tx_hash: record.tx_hash,
        swept_at: record.swept_at,
    }
}

/// A feed answer with all of the feed's decimals (`200000000000` at 8 → `"2000.00000000"`).
pub fn feed_price(answer: U256, decimals: u8) -> String {
    let digits = format!("{answer:0>width$}", width = usize::from(decimals) + 1);
    let (whole, fraction) = digits.split_at(digits.len() - usize::from(decimals));
    if fraction.is_empty() {
        whole.to_owned()
    } else {
        format!("{whole}.{fraction}")
    }
}

/// A token a chain accepts, as `GET /v1/chains` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainTokenObject {
    pub symbol: String,
    pub contract_address: String,
    pub decimals: u8,
}

/// A served chain, without its RPC URL (a secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainObject {
    pub object: &'static str,
    pub chain_id: u64,
    pub name: String,
    /// Where `/tx/{hash}` and `/address/{address}` pages of the chain are; null for a
    /// local chain.
    pub explorer_url: Option<String>,
    pub native_symbol: String,
    pub native_decimals: u8,
    pub min_confirmations: u32,
    pub multicall3: String,
    pub native_usd_price: Option<String>,
    pub tokens: Vec<ChainTokenObject>,
    /// Whether the watcher is reading the chain.
    pub watcher: WatcherStatus,
}

pub fn chain_object(
    chain: &Chain,
    native_usd_price: Option<String>,
    watcher: WatcherStatus,
) -> ChainObject {
    ChainObject {
        object: "chain",
        chain_id: chain.chain_id,
        name: chain.name.clone(),
        explorer_url: chain.explorer_url.clone(),
        native_symbol: chain.native_symbol.clone(),
        native_decimals: chain.native_decimals,
        min_confirmations: chain.min_confirmations,
        multicall3: chain.multicall3.to_checksum(None),
        native_usd_price,
        watcher,
        tokens: chain
            .tokens
            .iter()
            .map(|t| ChainTokenObject {
                symbol: t.symbol.clone(),
                contract_address: t.contract.to_checksum(None),
                decimals: t.decimals,
            })
            .collect(),
    }
}

/// One chain and token's balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BalanceObject {
    pub chain_id: u64,
    pub chain: String,
    pub token: String,
    pub contract_address: Option<String>,
    pub decimals: u8,
    pub received: String,
    pub received_formatted: String,
    pub swept: String,
    pub swept_formatted: String,
    pub at_deposit_addresses: String,
    pub at_deposit_addresses_formatted: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BalancesObject {
    pub object: &'static str,
    pub livemode: bool,
    pub data: Vec<BalanceObject>,
}

/// The balance of `token` (a symbol) on `chain`.
pub fn balance_object(chain: &Chain, token: &str, balance: &Balance) -> BalanceObject {
    let found = chain.tokens.iter().find(|t| t.symbol == token);
    let decimals = found.map_or(chain.native_decimals, |t| t.decimals);
    let units = |amount: U256| (amount.to_string(), format_units(amount, decimals));
    let (received, received_formatted) = units(balance.received);
    let (swept, swept_formatted) = units(balance.swept);
    let (at_deposit_addresses, at_deposit_addresses_formatted) =
        units(balance.at_deposit_addresses());
    BalanceObject {
        chain_id: chain.chain_id,
        chain: chain.name.clone(),
        token: token.to_owned(),
        contract_address: found.map(|t| t.contract.to_checksum(None)),
        decimals,
        received,
        received_formatted,
        swept,
        swept_formatted,
        at_deposit_addresses,
        at_deposit_addresses_formatted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_needs_a_chain_id_and_a_full_hash() {
        let hash = format!("0x{}", "aB".repeat(32));
        let ok = parse_report(&format!(r#"{{"chain_id":31337,"tx_hash":"{hash}"}}"#)).unwrap();
        assert_eq!(ok.chain_id, 31337);
        assert_eq!(format!("{:#x}", ok.tx_hash), hash.to_lowercase());
        let param = |body: &str| parse_report(body).unwrap_err().param.unwrap();
        assert_eq!(param(&format!(r#"{{"tx_hash":"{hash}"}}"#)), "chain_id");
        assert_eq!(
            param(&format!(r#"{{"chain_id":0,"tx_hash":"{hash}"}}"#)),
            "chain_id"
        );
        assert_eq!(
            param(&format!(r#"{{"chain_id":"1","tx_hash":"{hash}"}}"#)),
            "chain_id"
        );
        assert_eq!(param(r#"{"chain_id":1,"tx_hash":"0x12"}"#), "tx_hash");
        assert_eq!(
            param(&format!(r#"{{"chain_id":1,"tx_hash":"{}"}}"#, &hash[2..])),
            "tx_hash"
        );
        assert_eq!(
            param(&format!(r#"{{"chain_id":1,"tx_hash":"{hash}","x":1}}"#)),
            "x"
        );
    }

    #[test]
    fn a_feed_price_keeps_all_its_decimals() {
        assert_eq!(
            feed_price(U256::from(200_000_000_000u64), 8),
            "2000.00000000"
        );
        assert_eq!(feed_price(U256::from(5u8), 8), "0.00000005");
        assert_eq!(feed_price(U256::from(42u8), 0), "42");
    }

    #[test]
    fn a_chain_object_names_its_explorer_or_null() {
        let catalogue = crate::catalogue::Catalogue::parse(crate::catalogue::BUILTIN_JSON)
            .expect("the built-in catalogue");
        let object = |id| {
            let chain = catalogue.chain(id).expect("listed");
            let watcher = WatcherStatus::of(None, None, false, None, Timestamp(0));
            serde_json::to_value(chain_object(chain, None, watcher)).expect("serialises")
        };
        assert_eq!(
            object(1)["explorer_url"],
            serde_json::json!("https://etherscan.io")
        );
        let local = object(31337);
        assert!(local["explorer_url"].is_null(), "{local}");
    }

    #[test]
    fn list_filters_are_a_chain_and_a_status() {
        let (_, f) = parse_list([("chain_id", "8453"), ("status", "failed")]).unwrap();
        assert_eq!(f.chain_id, Some(8453));
        assert_eq!(f.status, Some(SweepStatus::Failed));
        assert_eq!(
            parse_list([("status", "done")]).unwrap_err().param.unwrap(),
            "status"
        );
        assert_eq!(
            parse_list([("chain_id", "-1")]).unwrap_err().param.unwrap(),
            "chain_id"
        );
    }
}
