//! A minimal EVM JSON-RPC client over `fetch`, batching calls into one subrequest.

use kasse_shared::catalogue::RpcLimits;
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;

use futures_util::future::{Either, select};
use worker::{AbortController, Delay, Fetch, Headers, Method, Request, RequestInit};

#[derive(Debug)]
pub enum RpcError {
    Transport(String),
    Timeout(Duration),
    Status(u16),
    Malformed(String),
    Node { code: i64, message: String },
    WrongChain { served: u64, expected: u64 },
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

pub struct Call {
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
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Sends `calls` as one JSON-RPC batch and returns their results in call order. A provider
/// that does not answer within `timeout` is cut off: the run goes on with the next chain.
pub async fn batch_with_timeout(
    url: &str,
    calls: &[Call],
    timeout: Duration,
) -> Result<Vec<Value>, RpcError> {
    let body: Vec<Value> = calls
        .iter()
        .enumerate()
        .map(|(id, c)| json!({"jsonrpc": "2.0", "id": id, "method": c.method, "params": c.params}))
        .collect();
    let headers: Headers = [("content-type", "application/json")].into_iter().collect();
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(Value::Array(body).to_string().into()));
    let request =
        Request::new_with_init(url, &init).map_err(|e| RpcError::Transport(e.to_string()))?;
    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = Fetch::Request(request);
    let sent = Box::pin(fetch.send_with_signal(&signal));
    let mut response = match select(sent, Box::pin(Delay::from(timeout))).await {
        Either::Left((result, _)) => result.map_err(|e| RpcError::Transport(e.to_string()))?,
        Either::Right(((), _)) => {
            controller.abort();
            return Err(RpcError::Timeout(timeout));
        }
    };
    let status = response.status_code();
    if !(200..300).contains(&status) {
        return Err(RpcError::Status(status));
    }
    let text = response
        .text()
        .await
        .map_err(|e| RpcError::Transport(e.to_string()))?;
    let mut replies: Vec<Reply> =
        serde_json::from_str(&text).map_err(|e| RpcError::Malformed(e.to_string()))?;
    if replies.len() != calls.len() {
        return Err(RpcError::Malformed(format!(
            "{} replies to {} calls",
            replies.len(),
            calls.len()
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
pub struct Rpc {
    pub url: String,
    pub timeout: Duration,
    /// (HTTP requests, JSON-RPC calls) sent so far.
    pub sent: std::cell::Cell<(u64, u64)>,
}

impl Rpc {
    pub async fn batch(&self, calls: &[Call]) -> Result<Vec<Value>, RpcError> {
        let (requests, sent_calls) = self.sent.get();
        self.sent
            .set((requests + 1, sent_calls + calls.len() as u64));
        batch_with_timeout(&self.url, calls, self.timeout).await
    }

    /// Like [`Rpc::batch`], in as few batches as the provider's limits allow: at most
    /// `max_batch` calls and about `max_batch_bytes` of JSON each.
    pub async fn batches(
        &self,
        calls: &[Call],
        limits: &RpcLimits,
    ) -> Result<Vec<Value>, RpcError> {
        let mut results = Vec::with_capacity(calls.len());
        for range in chunk_ranges(calls, limits) {
            results.extend(self.batch(&calls[range]).await?);
        }
        Ok(results)
    }
}

/// Consecutive ranges of `calls` within the limits (a single oversized call gets its own).
fn chunk_ranges(calls: &[Call], limits: &RpcLimits) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, call) in calls.iter().enumerate() {
        // The envelope ({"jsonrpc":"2.0","id":…,"method":…}) adds ~60 bytes to the params.
        let size = call.params.to_string().len() + call.method.len() + 60;
        let full = i > start
            && (i - start >= limits.max_batch.max(1) || bytes + size > limits.max_batch_bytes);
        if full {
            ranges.push(start..i);
            (start, bytes) = (i, 0);
        }
        bytes += size;
    }
    if start < calls.len() {
        ranges.push(start..calls.len());
    }
    ranges
}

/// Parses a JSON-RPC quantity (`"0x1a"`) into a `U256` (balances, values).
pub fn u256(value: &Value) -> Result<alloy_primitives::U256, RpcError> {
    let text = value
        .as_str()
        .ok_or_else(|| RpcError::Malformed(format!("expected a hex quantity, got {value}")))?;
    let digits = text
        .strip_prefix("0x")
        .ok_or_else(|| RpcError::Malformed(format!("quantity without 0x: {text}")))?;
    alloy_primitives::U256::from_str_radix(digits, 16)
        .map_err(|e| RpcError::Malformed(format!("bad quantity {text}: {e}")))
}

/// Parses a JSON-RPC quantity (`"0x1a"`) into a `u64` (block numbers, times, ids).
pub fn quantity(value: &Value) -> Result<u64, RpcError> {
    u64::try_from(u256(value)?)
        .map_err(|_| RpcError::Malformed(format!("quantity out of range: {value}")))
}

/// `eth_chainId`: sent first in a batch whose answers must come from the expected chain.
pub fn chain_id_call() -> Call {
    Call {
        method: "eth_chainId",
        params: json!([]),
    }
}

/// Checks an `eth_chainId` answer against the chain we meant to read.
pub fn expect_chain(answer: &Value, expected: u64) -> Result<(), RpcError> {
    let served = quantity(answer)?;
    if served == expected {
        Ok(())
    } else {
        Err(RpcError::WrongChain { served, expected })
    }
}

/// `eth_getBalance` of `address` at `block`.
pub fn balance_call(address: &alloy_primitives::Address, block: u64) -> Call {
    Call {
        method: "eth_getBalance",
        params: json!([
            address.to_string().to_ascii_lowercase(),
            format!("{block:#x}")
        ]),
    }
}

/// `eth_getBlockByNumber`, with full transactions or only their hashes.
pub fn block_call(number: u64, full: bool) -> Call {
    Call {
        method: "eth_getBlockByNumber",
        params: json!([format!("{number:#x}"), full]),
    }
}

/// `eth_call` to `to` with `data`, at `block` (`None`: latest).
pub fn eth_call(to: alloy_primitives::Address, data: String, block: Option<u64>) -> Call {
    let at = block.map_or_else(|| "latest".to_owned(), |b| format!("{b:#x}"));
    Call {
        method: "eth_call",
        params: json!([{"to": to.to_string(), "data": data}, at]),
    }
}
