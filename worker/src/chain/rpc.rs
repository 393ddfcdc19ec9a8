//! A minimal EVM JSON-RPC client over `fetch`, batching calls into one subrequest where the
//! provider takes batches, one call per request where it does not (Tron).

use std::time::Duration;

use alloy_primitives::{Address, BlockNumber, ChainId, TxHash, U256};
use kasse_shared::catalogue::{ConfirmBy, RpcLimits};
use kasse_shared::evm;
use kasse_shared::scan::{call_size, chunk_ranges};
use serde::Deserialize;
use serde_json::{Value, json};
use worker::{Headers, Method, Request, RequestInit};

use crate::error::{ApiError, chain_error};
use crate::fetch::{FetchError, fetch_with_timeout};

#[derive(Debug)]
pub(crate) enum RpcError {
    Transport(String),
    Timeout(Duration),
    Status(u16),
    Malformed(String),
    Node { code: i64, message: String },
    WrongChain { served: ChainId, expected: ChainId },
}

impl std::fmt::Display for RpcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Transport(e) => write!(f, "transport error: {e}"),
            Self::Timeout(d) => write!(f, "no answer within {} ms", d.as_millis()),
            Self::Status(s) => write!(f, "HTTP {s}"),
            Self::Malformed(e) => write!(f, "malformed response: {e}"),
            Self::Node { code, message } => write!(f, "node error {code}: {message}"),
            Self::WrongChain { served, expected } => {
                write!(f, "RPC serves chain {served}, expected {expected}")
            }
        }
    }
}

impl From<RpcError> for ApiError {
    fn from(e: RpcError) -> Self {
        chain_error(e)
    }
}

pub(crate) struct Call {
    pub method: &'static str,
    pub params: Value,
}

#[derive(Deserialize)]
struct Reply {
    id: u64,
    /// `null` is a valid result (e.g. the receipt of an unknown transaction).
    #[serde(default)]
    result: Value,
    error: Option<NodeError>,
}

#[derive(Deserialize)]
struct NodeError {
    code: i64,
    message: String,
}

/// How long one batch may take unless `RPC_TIMEOUT_MS` says otherwise.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Sends `calls` as one JSON-RPC batch and returns their results in call order. A provider
/// that does not answer within `timeout` is cut off: the run goes on with the next chain.
async fn batch_with_timeout(
    endpoint: &Endpoint<'_>,
    calls: &[Call],
    timeout: Duration,
) -> Result<Vec<Value>, RpcError> {
    let body: Vec<Value> = calls
        .iter()
        .enumerate()
        .map(|(id, c)| request_object(id, c))
        .collect();
    let text = post(endpoint, Value::Array(body), timeout).await?;
    let replies: Vec<Reply> =
        serde_json::from_str(&text).map_err(|e| RpcError::Malformed(e.to_string()))?;
    in_call_order(replies, calls.len())
}

/// Sends one call as a JSON-RPC object of its own (no array): what a provider that refuses
/// batches accepts.
async fn single_with_timeout(
    endpoint: &Endpoint<'_>,
    call: &Call,
    timeout: Duration,
) -> Result<Value, RpcError> {
    let text = post(endpoint, request_object(0, call), timeout).await?;
    let reply: Reply =
        serde_json::from_str(&text).map_err(|e| RpcError::Malformed(e.to_string()))?;
    in_call_order(vec![reply], 1).map(|mut results| results.remove(0))
}

fn request_object(id: usize, call: &Call) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": call.method, "params": call.params})
}

/// Where requests go: the URL and the provider's API key header, both secrets.
struct Endpoint<'a> {
    url: &'a str,
    api_key: Option<&'a (String, String)>,
}

/// POSTs `body` and returns the response text of a 2xx answer.
async fn post(endpoint: &Endpoint<'_>, body: Value, timeout: Duration) -> Result<String, RpcError> {
    let headers: Headers = [("content-type", "application/json")].into_iter().collect();
    if let Some((name, key)) = endpoint.api_key {
        headers
            .set(name, key)
            .map_err(|_| RpcError::Transport(format!("the API key header {name} is not valid")))?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(body.to_string().into()));
    let request = Request::new_with_init(endpoint.url, &init)
        .map_err(|e| RpcError::Transport(e.to_string()))?;
    let mut response = fetch_with_timeout(request, timeout)
        .await
        .map_err(|e| match e {
            FetchError::Failed(e) => RpcError::Transport(e.to_string()),
            FetchError::TimedOut => RpcError::Timeout(timeout),
        })?;
    let status = response.status_code();
    if !(200..300).contains(&status) {
        return Err(RpcError::Status(status));
    }
    response
        .text()
        .await
        .map_err(|e| RpcError::Transport(e.to_string()))
}

/// The results of a batch's replies, in call order (replies may come in any order).
fn in_call_order(mut replies: Vec<Reply>, calls: usize) -> Result<Vec<Value>, RpcError> {
    if replies.len() != calls {
        return Err(RpcError::Malformed(format!(
            "{} replies to {calls} calls",
            replies.len(),
        )));
    }
    replies.sort_by_key(|r| r.id);
    replies
        .into_iter()
        .enumerate()
        .map(|(i, reply)| {
            if reply.id != i as u64 {
                return Err(RpcError::Malformed(format!(
                    "reply ids do not match call ids at {i}"
                )));
            }
            match reply.error {
                Some(e) => Err(RpcError::Node {
                    code: e.code,
                    message: e.message,
                }),
                None => Ok(reply.result),
            }
        })
        .collect()
}

/// One chain's JSON-RPC endpoint (a secret URL) and how long to wait for it.
pub(crate) struct Rpc {
    pub url: String,
    pub timeout: Duration,
    /// (HTTP requests, JSON-RPC calls) sent so far.
    pub sent: std::cell::Cell<(u64, u64)>,
    /// The provider takes no batches: every call is its own request.
    pub unbatched: bool,
    /// The provider's API key: (header, key). A secret, like the URL.
    pub api_key: Option<(String, String)>,
    /// What confirms a payment on this chain (see [`read_head`]).
    pub confirm_by: ConfirmBy,
}

impl Rpc {
    /// Sends `calls` in one batch, or one request per call to a provider that takes no
    /// batches; the results come back in call order either way.
    pub(crate) async fn batch(&self, calls: &[Call]) -> Result<Vec<Value>, RpcError> {
        let endpoint = Endpoint {
            url: &self.url,
            api_key: self.api_key.as_ref(),
        };
        let (requests, sent_calls) = self.sent.get();
        let calls_now = calls.len() as u64;
        if !self.unbatched {
            self.sent.set((requests + 1, sent_calls + calls_now));
            return batch_with_timeout(&endpoint, calls, self.timeout).await;
        }
        self.sent
            .set((requests + calls_now, sent_calls + calls_now));
        let mut results = Vec::with_capacity(calls.len());
        for call in calls {
            results.push(single_with_timeout(&endpoint, call, self.timeout).await?);
        }
        Ok(results)
    }

    /// Like [`Rpc::batch`], in as few batches as the provider's limits allow: at most
    /// `max_batch` calls and about `max_batch_bytes` of JSON each.
    pub(crate) async fn batches(
        &self,
        calls: &[Call],
        limits: &RpcLimits,
    ) -> Result<Vec<Value>, RpcError> {
        let sizes: Vec<usize> = calls
            .iter()
            .map(|c| call_size(c.method, &c.params))
            .collect();
        let mut results = Vec::with_capacity(calls.len());
        for range in chunk_ranges(&sizes, limits) {
            results.extend(self.batch(&calls[range]).await?);
        }
        Ok(results)
    }
}

/// The head that confirms payments on the chain behind `rpc`, after checking that it is the
/// chain we expect: its latest block, or on a chain confirmed by finality its `finalized`
/// block (confirmations count from there).
pub(crate) async fn read_head(rpc: &Rpc, chain_id: ChainId) -> Result<BlockNumber, RpcError> {
    read_heads(rpc, chain_id).await.map(|heads| heads.confirmed)
}

/// A chain's latest block and the head confirmations count from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ChainHeads {
    pub latest: BlockNumber,
    /// `latest`, or the `finalized` block on a chain confirmed by finality.
    pub confirmed: BlockNumber,
}

/// The chain's latest block, and its finalized one where that confirms payments, after
/// checking that it is the chain we expect.
pub(crate) async fn read_heads(rpc: &Rpc, chain_id: ChainId) -> Result<ChainHeads, RpcError> {
    let mut calls = vec![
        chain_id_call(),
        Call {
            method: "eth_blockNumber",
            params: json!([]),
        },
    ];
    if rpc.confirm_by == ConfirmBy::Finalized {
        calls.push(Call {
            method: "eth_getBlockByNumber",
            params: json!(["finalized", false]),
        });
    }
    let results = rpc.batch(&calls).await?;
    expect_chain(&results[0], chain_id)?;
    let latest = quantity(&results[1])?;
    let confirmed = match results.get(2) {
        Some(block) => finalized_number(block)?.min(latest),
        None => latest,
    };
    Ok(ChainHeads { latest, confirmed })
}

/// The number of the `finalized` block; a chain too young to have one answers `null`
/// (nothing is final yet) or block 0.
fn finalized_number(block: &Value) -> Result<BlockNumber, RpcError> {
    match block {
        Value::Null => Ok(0),
        block => quantity(&block["number"]),
    }
}

/// Parses a JSON-RPC quantity (`"0x1a"`) into a `U256` (balances, values).
pub(crate) fn u256(value: &Value) -> Result<U256, RpcError> {
    evm::hex_u256(value).map_err(RpcError::Malformed)
}

/// Parses a JSON-RPC quantity (`"0x1a"`) into a `u64` (block numbers, times, ids).
pub(crate) fn quantity(value: &Value) -> Result<u64, RpcError> {
    evm::hex_u64(value).map_err(RpcError::Malformed)
}

/// `eth_chainId`: sent first in a batch whose answers must come from the expected chain.
pub(crate) fn chain_id_call() -> Call {
    Call {
        method: "eth_chainId",
        params: json!([]),
    }
}

/// Checks an `eth_chainId` answer against the chain we meant to read.
pub(crate) fn expect_chain(answer: &Value, expected: ChainId) -> Result<(), RpcError> {
    let served = quantity(answer)?;
    if served == expected {
        Ok(())
    } else {
        Err(RpcError::WrongChain { served, expected })
    }
}

/// `eth_getBalance` of `address` at `block`.
pub(crate) fn balance_call(address: &Address, block: BlockNumber) -> Call {
    Call {
        method: "eth_getBalance",
        params: json!([
            address.to_string().to_ascii_lowercase(),
            format!("{block:#x}")
        ]),
    }
}

/// `eth_getBlockByNumber`, with full transactions or only their hashes.
pub(crate) fn block_call(number: BlockNumber, full: bool) -> Call {
    Call {
        method: "eth_getBlockByNumber",
        params: json!([format!("{number:#x}"), full]),
    }
}

/// `eth_call` to `to` with `data`, at `block` (`None`: latest).
pub(crate) fn eth_call(to: Address, data: String, block: Option<BlockNumber>) -> Call {
    let at = block.map_or_else(|| "latest".to_owned(), |b| format!("{b:#x}"));
    Call {
        method: "eth_call",
        params: json!([{"to": to.to_string(), "data": data}, at]),
    }
}

/// `eth_call` to `to` with `data` at `block`, with `overrides` as the call's state override
/// (the third parameter geth, Erigon, Nethermind, Reth and anvil accept).
pub(crate) fn eth_call_with_override(
    to: Address,
    data: String,
    block: BlockNumber,
    overrides: Value,
) -> Call {
    Call {
        method: "eth_call",
        params: json!([{"to": to.to_string(), "data": data}, format!("{block:#x}"), overrides]),
    }
}

/// `eth_getTransactionReceipt` of `hash`.
pub(crate) fn receipt_call(hash: TxHash) -> Call {
    Call {
        method: "eth_getTransactionReceipt",
        params: json!([hash.to_string()]),
    }
}

/// `eth_getTransactionByHash` of `hash`.
pub(crate) fn transaction_call(hash: TxHash) -> Call {
    Call {
        method: "eth_getTransactionByHash",
        params: json!([hash.to_string()]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(id: u64, result: Value) -> Reply {
        Reply {
            id,
            result,
            error: None,
        }
    }

    #[test]
    fn replies_come_back_in_call_order() {
        let replies = vec![
            reply(1, json!("b")),
            reply(0, json!("a")),
            reply(2, Value::Null),
        ];
        let results = in_call_order(replies, 3).expect("complete");
        assert_eq!(results, [json!("a"), json!("b"), Value::Null]);
    }

    #[test]
    fn short_or_mismatched_batches_are_malformed() {
        let short = in_call_order(vec![reply(0, json!(1))], 2);
        assert!(matches!(short, Err(RpcError::Malformed(m)) if m == "1 replies to 2 calls"));
        let skipped = in_call_order(vec![reply(0, json!(1)), reply(2, json!(1))], 2);
        assert!(matches!(skipped, Err(RpcError::Malformed(_))));
    }

    #[test]
    fn a_node_error_fails_the_batch() {
        let failing = Reply {
            id: 0,
            result: Value::Null,
            error: Some(NodeError {
                code: -32000,
                message: "header not found".into(),
            }),
        };
        let err = in_call_order(vec![failing], 1).expect_err("node error");
        assert_eq!(err.to_string(), "node error -32000: header not found");
    }

    #[test]
    fn the_chain_id_must_match() {
        assert!(expect_chain(&json!("0x7a69"), 31337).is_ok());
        let wrong = expect_chain(&json!("0x1"), 31337).expect_err("wrong chain");
        assert_eq!(wrong.to_string(), "RPC serves chain 1, expected 31337");
        let malformed = quantity(&json!(5)).expect_err("not hex");
        assert_eq!(
            malformed.to_string(),
            "malformed response: expected a hex quantity, got 5"
        );
    }

    #[test]
    fn the_finalized_block_is_read_by_its_number_and_none_yet_is_block_0() {
        let block = json!({"number": "0x24", "hash": "0xab"});
        assert_eq!(finalized_number(&block).expect("a block"), 36);
        assert_eq!(finalized_number(&Value::Null).expect("none yet"), 0);
        assert!(matches!(
            finalized_number(&json!({"hash": "0xab"})),
            Err(RpcError::Malformed(_))
        ));
    }

    #[test]
    fn an_unbatched_call_is_a_single_json_rpc_object() {
        let call = Call {
            method: "eth_blockNumber",
            params: json!([]),
        };
        let body = request_object(0, &call);
        assert!(body.is_object(), "never an array: {body}");
        assert_eq!(
            body,
            json!({"jsonrpc": "2.0", "id": 0, "method": "eth_blockNumber", "params": []})
        );
    }

    #[test]
    fn calls_carry_hex_block_numbers() {
        assert_eq!(block_call(255, true).params, json!(["0xff", true]));
        let address = Address::repeat_byte(0xab);
        assert_eq!(
            balance_call(&address, 16).params,
            json!([format!("0x{}", "ab".repeat(20)), "0x10"])
        );
        assert_eq!(
            eth_call(address, "0x".into(), None).params[1],
            json!("latest")
        );
    }
}
