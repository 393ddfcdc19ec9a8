//! The chain catalogue: which chains and tokens Kasse accepts, and how to read them.
//!
//! The catalogue is data (`chains.json` at the repository root), not code: the worker
//! embeds the file at build time and parses it here. RPC URLs are secrets and are never
//! in the file; a chain names the variable that holds its URL.

use alloy_primitives::{Address, ChainId};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    pub chains: Vec<Chain>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chain {
    pub chain_id: ChainId,
    pub name: String,
    /// How addresses are written and the chain is read; EVM unless the file says otherwise.
    #[serde(default)]
    pub family: ChainFamily,
    /// The chain's block explorer (`https://…`, no trailing slash), under which
    /// `/tx/{hash}` and `/address/{address}` are pages; none for a local chain.
    #[serde(default)]
    pub explorer_url: Option<String>,
    /// `false` for mainnets: only live-mode sessions may use them.
    pub testnet: bool,
    pub native_symbol: String,
    pub native_decimals: u8,
    /// Name of the worker variable (a wrangler secret in production) holding the RPC URL.
    pub rpc_url_var: String,
    /// Blocks a payment needs, counting its own; on a `confirm_by: "finalized"` chain they
    /// count from the chain's finalized block instead of its head, so 1 means "finalized".
    pub min_confirmations: u32,
    /// What confirms a payment: a count of blocks under the head, or the chain's own
    /// `finalized` block.
    #[serde(default)]
    pub confirm_by: ConfirmBy,
    /// A Tron chain may write it in its base58check `T…` form.
    #[serde(deserialize_with = "chain_address")]
    pub multicall3: Address,
    pub price_feed: Option<PriceFeed>,
    /// Oldest feed round, in seconds, this chain's native quotes accept, whatever the feed's
    /// heartbeat (default [`DEFAULT_MAX_PRICE_AGE_SECS`]); see [`crate::price::max_round_age_secs`].
    #[serde(default = "default_max_price_age_secs")]
    pub max_price_age_secs: u64,
    pub sequencer_uptime_feed: Option<Address>,
    pub tokens: Vec<Token>,
    /// What the chain's RPC provider accepts per call and per batch.
    #[serde(default)]
    pub rpc_limits: RpcLimits,
    /// The header carrying the provider's API key, and the variable (a secret) holding it.
    #[serde(default)]
    pub rpc_api_key: Option<RpcApiKey>,
    /// Where the addresses above come from (issuer or Chainlink documentation).
    #[serde(default)]
    pub sources: Vec<String>,
}

/// A chain family: its address form, its derivation path and how it is read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChainFamily {
    /// `0x…` addresses from m/44'/60'; the same key is the same address on every EVM chain.
    #[default]
    Evm,
    /// Base58check `T…` addresses from m/44'/195', read through Tron's Ethereum-compatible
    /// JSON-RPC.
    Tron,
}

/// What makes a payment final on a chain.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfirmBy {
    /// `min_confirmations` blocks under the head.
    #[default]
    Confirmations,
    /// The block the chain itself calls `finalized` (Tron's solidified block, Polygon's
    /// milestone, BNB Smart Chain's fast finality): a payment at or under it is confirmed,
    /// with `min_confirmations` counted from it.
    Finalized,
}

/// An API key the provider wants in a header (TronGrid's `TRON-PRO-API-KEY`). The key is a
/// secret: only the name of the variable holding it is in the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RpcApiKey {
    pub header: String,
    pub var: String,
}

/// An address written `0x…` (EIP-55) or, on a Tron chain, as base58check `T…`: both name the
/// same 20 bytes, the form Tron's JSON-RPC reads.
fn chain_address<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Address, D::Error> {
    let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
    if text.starts_with('T') {
        let tron: crate::tron::TronAddress = text.parse().map_err(serde::de::Error::custom)?;
        Ok(tron.evm())
    } else {
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Provider limits. The defaults suit the common hosted providers; a chain whose
/// provider is stricter overrides them in `chains.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RpcLimits {
    /// Addresses per `eth_getLogs` topic OR-list and per Multicall3 balance call.
    pub max_addresses_per_call: usize,
    /// Most blocks one run scans (catch-up after an outage is spread over runs).
    pub max_log_range: u64,
    /// Most JSON-RPC calls in one HTTP batch; 1 means no batch at all: each call is its own
    /// request with a single JSON-RPC object as its body (TronGrid refuses arrays).
    pub max_batch: usize,
    /// Most bytes of JSON in one HTTP batch: providers cap request bodies (anvil at about
    /// 2 MB), and 10,000 Multicall3 balance reads are about 4.5 MB of calldata.
    pub max_batch_bytes: usize,
}

impl Default for RpcLimits {
    fn default() -> Self {
        Self {
            max_addresses_per_call: 500,
            max_log_range: 2_000,
            max_batch: 500,
            max_batch_bytes: 1_500_000,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceFeed {
    pub address: Address,
    pub decimals: u8,
    /// The feed's documented heartbeat: the longest it goes without a new round.
    pub heartbeat_secs: u64,
    /// Where the address, decimals and heartbeat come from, and which of them no primary
    /// document confirms. Required: a feed nobody can trace is not priced from.
    pub source: String,
}

/// A checkout never prices from a round older than an hour unless a chain says otherwise:
/// a feed whose heartbeat is a day long may legitimately sit still that long, but an
/// hour-old answer from it cannot be told apart from one whose updates have stopped.
pub const DEFAULT_MAX_PRICE_AGE_SECS: u64 = 3_600;

fn default_max_price_age_secs() -> u64 {
    DEFAULT_MAX_PRICE_AGE_SECS
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Token {
    pub symbol: String,
    /// A Tron chain may write it in its base58check `T…` form.
    #[serde(deserialize_with = "chain_address")]
    pub contract: Address,
    pub decimals: u8,
    /// Smallest payment that counts, in base units (a decimal integer string).
    pub min_amount: String,
    /// Who issues the token and where its address and decimals are published. Required: a
    /// wrong contract or decimal count takes real money, so every one names its evidence.
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogueError {
    Json(String),
    DuplicateChain(ChainId),
    DuplicateToken {
        chain_id: ChainId,
        symbol: String,
    },
    BadMinAmount {
        chain_id: ChainId,
        symbol: String,
    },
    /// `max_price_age_secs` of 0 would refuse every round.
    BadMaxPriceAge(u64),
    /// An explorer URL that is not a bare `https://` origin or path without a trailing
    /// slash, so links built from it would break.
    BadExplorerUrl(ChainId),
    /// A Tron chain with a price feed: its native coin cannot be offered, because Tron's
    /// JSON-RPC reads balances at `latest` only and native TRX transfers emit no logs.
    TronNativeCoin(ChainId),
    /// A token or price feed whose `source` is blank.
    MissingSource {
        chain_id: ChainId,
        /// `token USDT` or `price feed`.
        what: String,
    },
}

impl std::fmt::Display for CatalogueError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Json(e) => write!(f, "catalogue is not valid JSON of the expected shape: {e}"),
            Self::DuplicateChain(id) => write!(f, "chain {id} appears twice"),
            Self::DuplicateToken { chain_id, symbol } => {
                write!(f, "token {symbol} appears twice on chain {chain_id}")
            }
            Self::BadMinAmount { chain_id, symbol } => {
                write!(
                    f,
                    "min_amount of {symbol} on chain {chain_id} is not a base-unit integer"
                )
            }
            Self::BadMaxPriceAge(id) => {
                write!(f, "max_price_age_secs of chain {id} must be at least 1")
            }
            Self::BadExplorerUrl(id) => {
                write!(
                    f,
                    "explorer_url of chain {id} must start with https:// and not end with /"
                )
            }
            Self::TronNativeCoin(id) => write!(
                f,
                "chain {id} is a Tron chain: its native coin cannot be offered, so it has no price feed"
            ),
            Self::MissingSource { chain_id, what } => {
                write!(f, "the {what} of chain {chain_id} cites no source")
            }
        }
    }
}

impl Catalogue {
    pub fn parse(json: &str) -> Result<Self, CatalogueError> {
        let catalogue: Self =
            serde_json::from_str(json).map_err(|e| CatalogueError::Json(e.to_string()))?;
        let mut seen = Vec::new();
        for chain in &catalogue.chains {
            if seen.contains(&chain.chain_id) {
                return Err(CatalogueError::DuplicateChain(chain.chain_id));
            }
            seen.push(chain.chain_id);
            if chain.family == ChainFamily::Tron && chain.price_feed.is_some() {
                return Err(CatalogueError::TronNativeCoin(chain.chain_id));
            }
            if chain.max_price_age_secs == 0 {
                return Err(CatalogueError::BadMaxPriceAge(chain.chain_id));
            }
            if chain
                .explorer_url
                .as_deref()
                .is_some_and(|url| !explorer_url_ok(url))
            {
                return Err(CatalogueError::BadExplorerUrl(chain.chain_id));
            }
            if chain
                .price_feed
                .as_ref()
                .is_some_and(|feed| feed.source.trim().is_empty())
            {
                return Err(CatalogueError::MissingSource {
                    chain_id: chain.chain_id,
                    what: "price feed".into(),
                });
            }
            let mut symbols = Vec::new();
            for token in &chain.tokens {
                let symbol = token.symbol.to_ascii_uppercase();
                if symbols.contains(&symbol) {
                    return Err(CatalogueError::DuplicateToken {
                        chain_id: chain.chain_id,
                        symbol: token.symbol.clone(),
                    });
                }
                symbols.push(symbol);
                let digits_only = !token.min_amount.is_empty()
                    && token.min_amount.bytes().all(|b| b.is_ascii_digit());
                if !digits_only {
                    return Err(CatalogueError::BadMinAmount {
                        chain_id: chain.chain_id,
                        symbol: token.symbol.clone(),
                    });
                }
                if token.source.trim().is_empty() {
                    return Err(CatalogueError::MissingSource {
                        chain_id: chain.chain_id,
                        what: format!("token {}", token.symbol),
                    });
                }
            }
        }
        Ok(catalogue)
    }

    pub fn chain(&self, chain_id: ChainId) -> Option<&Chain> {
        self.chains.iter().find(|c| c.chain_id == chain_id)
    }
}

/// An explorer URL links can be appended to: `https://`, a host, no trailing slash, no
/// query, fragment or whitespace.
fn explorer_url_ok(url: &str) -> bool {
    url.strip_prefix("https://").is_some_and(|rest| {
        !rest.is_empty()
            && !rest.ends_with('/')
            && !rest.starts_with('/')
            && rest
                .bytes()
                .all(|b| b.is_ascii_graphic() && !matches!(b, b'?' | b'#' | b'"' | b'<' | b'>'))
    })
}

impl Chain {
    /// How many blocks under `latest` a run rescans, so a reorg of anything not yet
    /// confirmed is seen: the confirmations, counted from `confirmed` (the head
    /// confirmations count from: `latest`, or the finalized block on a chain confirmed by
    /// finality, which may lag it by many blocks).
    pub fn rescan_depth(&self, latest: u64, confirmed: u64) -> u32 {
        let lag = u32::try_from(latest.saturating_sub(confirmed)).unwrap_or(u32::MAX);
        self.min_confirmations.saturating_add(lag)
    }

    pub fn token(&self, symbol: &str) -> Option<&Token> {
        self.tokens
            .iter()
            .find(|t| t.symbol.eq_ignore_ascii_case(symbol))
    }
}

/// The catalogue shipped in this repository.
pub const BUILTIN_JSON: &str = include_str!("../../chains.json");

#[cfg(test)]
mod tests;
