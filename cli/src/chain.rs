//! Reading a chain through the merchant's own RPC: balances by Multicall3 in chunks, code
//! (delegations) by JSON-RPC batches.

use alloy::network::EthereumWallet;
use alloy::primitives::{Address, Bytes, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol;
use alloy::sol_types::SolCall;

use crate::Result;
use crate::config::Settings;

sol! {
    interface IMulticall3 {
        struct Call3 {
            address target;
            bool allowFailure;
            bytes callData;
        }
        struct Result {
            bool success;
            bytes returnData;
        }
        function aggregate3(Call3[] calldata calls) external payable returns (Result[] memory returnData);
        function getEthBalance(address addr) external view returns (uint256 balance);
    }

    interface IERC20 {
        function balanceOf(address owner) external view returns (uint256 balance);
    }
}

/// Calls per `aggregate3`: far below any RPC's call gas cap.
const CALLS_PER_MULTICALL: usize = 300;
/// Requests per JSON-RPC batch.
const REQUESTS_PER_BATCH: usize = 100;

/// A provider on the merchant's RPC for `chain`, checked to serve that chain.
pub(crate) async fn reader(settings: &Settings, chain: u64) -> Result<DynProvider> {
    let provider = ProviderBuilder::new()
        .connect_http(settings.rpc_url(chain)?)
        .erased();
    check_chain(&provider, chain).await?;
    Ok(provider)
}

/// A provider that signs and sends as the gas wallet.
pub(crate) async fn sender(
    settings: &Settings,
    chain: u64,
    gas: &PrivateKeySigner,
) -> Result<DynProvider> {
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(gas.clone()))
        .connect_http(settings.rpc_url(chain)?)
        .erased();
    check_chain(&provider, chain).await?;
    Ok(provider)
}

async fn check_chain(provider: &DynProvider, chain: u64) -> Result<()> {
    let served = provider
        .get_chain_id()
        .await
        .map_err(|e| rpc_error(chain, "eth_chainId", &e))?;
    if served != chain {
        return Err(format!(
            "KASSE_RPC_{chain} serves chain {served}, not chain {chain}"
        ));
    }
    Ok(())
}

/// One line for an RPC failure, without the URL (it may hold the provider's key).
/// Stops before anything is sent when the gas wallet holds less than `needed` for `what`.
pub(crate) async fn ensure_funded(
    provider: &DynProvider,
    chain: u64,
    gas_wallet: Address,
    needed: U256,
    native: &crate::plan::Asset,
    what: &str,
) -> crate::Result<()> {
    let balance = provider
        .get_balance(gas_wallet)
        .await
        .map_err(|e| rpc_error(chain, "eth_getBalance", &e))?;
    if balance < needed {
        return Err(format!(
            "the gas wallet {gas_wallet} holds {} {} but {what} may cost up to {} {}: fund it (see `kasse wallet --chain {chain}`); nothing was sent",
            kasse_shared::money::format_units(balance, native.decimals),
            native.symbol,
            kasse_shared::money::format_units(needed, native.decimals),
            native.symbol
        ));
    }
    Ok(())
}

pub(crate) fn rpc_error(chain: u64, method: &str, e: &dyn std::fmt::Display) -> String {
    let text = e.to_string();
    let first = text.lines().next().unwrap_or_default();
    let clean = match first.find("http") {
        Some(at) => format!("{}…", &first[..at]),
        None => first.to_owned(),
    };
    format!("chain {chain}: {method} failed: {clean}")
}

/// What each address holds now: its balance of each token (in `tokens`' order) and of the
/// native coin.
pub(crate) async fn balances(
    provider: &DynProvider,
    chain: u64,
    multicall: Address,
    addresses: &[Address],
    tokens: &[Address],
) -> Result<Vec<(Vec<U256>, U256)>> {
    let per_address = tokens.len() + 1;
    let addresses_per_call = (CALLS_PER_MULTICALL / per_address).max(1);
    let mut out = Vec::with_capacity(addresses.len());
    for chunk in addresses.chunks(addresses_per_call) {
        let mut calls = Vec::with_capacity(chunk.len() * per_address);
        for &owner in chunk {
            for &token in tokens {
                calls.push(IMulticall3::Call3 {
                    target: token,
                    allowFailure: false,
                    callData: IERC20::balanceOfCall { owner }.abi_encode().into(),
                });
            }
            calls.push(IMulticall3::Call3 {
                target: multicall,
                allowFailure: false,
                callData: IMulticall3::getEthBalanceCall { addr: owner }
                    .abi_encode()
                    .into(),
            });
        }
        let request = TransactionRequest::default()
            .to(multicall)
            .input(IMulticall3::aggregate3Call { calls }.abi_encode().into());
        let answer = provider
            .call(request)
            .await
            .map_err(|e| rpc_error(chain, "Multicall3 aggregate3", &e))?;
        let results = IMulticall3::aggregate3Call::abi_decode_returns(&answer)
            .map_err(|e| format!("chain {chain}: Multicall3 answered something unexpected: {e}"))?;
        let words: Vec<U256> = results
            .iter()
            .map(|r| {
                r.returnData
                    .get(..32)
                    .map(U256::from_be_slice)
                    .ok_or_else(|| format!("chain {chain}: a balance read returned no value"))
            })
            .collect::<Result<_>>()?;
        for holding in words.chunks(per_address) {
            let (native, token_balances) = holding.split_last().ok_or("empty holding")?;
            out.push((token_balances.to_vec(), *native));
        }
    }
    Ok(out)
}

/// Each address's code now (empty for a plain account, `0xef0100‖delegate` once delegated).
pub(crate) async fn codes(
    provider: &DynProvider,
    chain: u64,
    addresses: &[Address],
) -> Result<Vec<Bytes>> {
    let mut out = Vec::with_capacity(addresses.len());
    for chunk in addresses.chunks(REQUESTS_PER_BATCH) {
        let client = provider.client();
        let mut batch = alloy::rpc::client::BatchRequest::new(client);
        let mut waiters = Vec::with_capacity(chunk.len());
        for address in chunk {
            let waiter = batch
                .add_call::<_, Bytes>("eth_getCode", &(address, "latest"))
                .map_err(|e| rpc_error(chain, "eth_getCode", &e))?;
            waiters.push(waiter);
        }
        batch
            .send()
            .await
            .map_err(|e| rpc_error(chain, "eth_getCode", &e))?;
        for waiter in waiters {
            out.push(
                waiter
                    .await
                    .map_err(|e| rpc_error(chain, "eth_getCode", &e))?,
            );
        }
    }
    Ok(out)
}
