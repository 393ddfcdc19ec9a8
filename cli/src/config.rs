//! Where the CLI finds its deployment, key, RPCs and wallet: the environment first, then an
//! optional TOML file for per-chain settings.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::Result;

pub(crate) const DEFAULT_DEPOSIT_PATH: &str = "m/44'/60'/0'/0";
/// An account no xpub given to Kasse covers (those are `m/44'/60'/0'`), so the gas wallet is
/// never a deposit address.
pub(crate) const DEFAULT_GAS_WALLET_PATH: &str = "m/44'/60'/1'/0/0";
/// The account after the gas wallet's: the treasury that pays refunds is neither a deposit
/// address nor the gas wallet.
pub(crate) const DEFAULT_TREASURY_PATH: &str = "m/44'/60'/2'/0/0";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    chains: BTreeMap<String, ChainFile>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChainFile {
    rpc: Option<String>,
    eip7702: Option<bool>,
}

pub(crate) struct Settings {
    chains: BTreeMap<u64, ChainFile>,
}

impl Settings {
    pub(crate) fn load(path: Option<&Path>) -> Result<Self> {
        let Some(path) = path else {
            return Ok(Self {
                chains: BTreeMap::new(),
            });
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the config file {}: {e}", path.display()))?;
        let file: File = toml::from_str(&text).map_err(|e| {
            let first = e.to_string().lines().next().unwrap_or_default().to_owned();
            format!("the config file {} is not valid: {first}", path.display())
        })?;
        let mut chains = BTreeMap::new();
        for (id, chain) in file.chains {
            let id: u64 = id.parse().map_err(|_| {
                format!(
                    "the config file {}: [chains.{id}] is not a chain id",
                    path.display()
                )
            })?;
            chains.insert(id, chain);
        }
        Ok(Self { chains })
    }

    /// The merchant's own RPC for `chain`: Kasse never hands out the worker's.
    pub(crate) fn rpc_url(&self, chain: u64) -> Result<reqwest::Url> {
        let name = format!("KASSE_RPC_{chain}");
        let url = var(&name)
            .or_else(|| self.chains.get(&chain).and_then(|c| c.rpc.clone()))
            .ok_or_else(|| {
                format!(
                    "no RPC for chain {chain}: set {name} (or [chains.{chain}] rpc in --config)"
                )
            })?;
        // The URL may carry a provider's API key: it is never echoed.
        reqwest::Url::parse(&url).map_err(|_| format!("{name} is not a valid URL"))
    }

    /// Whether the chain runs EIP-7702 (type-4 transactions); on unless the config file says not.
    pub(crate) fn eip7702(&self, chain: u64) -> bool {
        self.chains
            .get(&chain)
            .and_then(|c| c.eip7702)
            .unwrap_or(true)
    }
}

/// A set, non-empty environment variable.
pub(crate) fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

pub(crate) fn required(name: &str, what: &str) -> Result<String> {
    var(name).ok_or_else(|| format!("{name} is not set: {what}"))
}
