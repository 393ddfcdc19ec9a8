//! Transfers a deposit key sends itself, for chains without EIP-7702 and tokens without
//! EIP-3009. An address holding no native coin gets, before each transfer, exactly the gas
//! that transfer costs from the gas wallet; an address holding native coin pays its gas from it
//! and sends the rest, because a top-up landing there would read as a late payment to a
//! session that accepts the native coin.
//!
//! Every transaction a deposit key sends is priced by a fixed gas price (a legacy transaction)
//! with its gas limit at the chain's estimate: the fee is then exactly what the address holds
//! for it, so a topped-up address ends with nothing and a native transfer empties its address.

use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, B256, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol;
use alloy::sol_types::SolCall;
use kasse_shared::money::format_units;

use crate::Result;
use crate::api::Api;
use crate::chain::{self, rpc_error};
use crate::config::Settings;
use crate::plan::{NATIVE_TRANSFER_GAS, Plan, Row};

sol! {
    interface ITransfer {
        function transfer(address to, uint256 amount) external;
    }
}

/// One transfer a deposit key sends: a token's whole balance, or the native coin.
pub(crate) struct Move<'a> {
    pub(crate) key: &'a PrivateKeySigner,
    request: TransactionRequest,
    /// Sends the address's native coin less this transfer's gas.
    pub(crate) native_rest: bool,
    /// The address holds native coin that pays its own gas (no top-up).
    self_funded: bool,
    pub(crate) gas: u64,
    what: String,
}

/// The shell's view of the run: the API to report to, the settings that name the RPC.
pub(crate) struct Run<'a> {
    pub(crate) api: &'a Api,
    pub(crate) settings: &'a Settings,
    pub(crate) gas_price: U256,
}

/// The moves to send once the plan has decided who pays: an address paying its own gas moves
/// its native coin last; one that does not keeps it (what an earlier top-up left).
pub(crate) fn decided<'a>(moves: Vec<Move<'a>>, rows: &[&Row]) -> Vec<Move<'a>> {
    moves
        .into_iter()
        .filter_map(|mut m| {
            let row = rows.iter().find(|r| r.holding.address == m.key.address())?;
            m.self_funded = row.self_funded;
            (row.self_funded || !m.native_rest).then_some(m)
        })
        .collect()
}

/// What the gas wallet spends on the top-ups of `moves`, at most.
pub(crate) fn needed(moves: &[Move<'_>], gas_price: U256) -> U256 {
    moves
        .iter()
        .filter(|m| !m.self_funded)
        .fold(U256::ZERO, |sum, m| {
            sum.saturating_add(gas_price.saturating_mul(U256::from(m.gas + NATIVE_TRANSFER_GAS)))
        })
}

pub(crate) async fn send(
    run: &Run<'_>,
    gas_wallet: &DynProvider,
    plan: &Plan,
    moves: Vec<Move<'_>>,
    gas_key: &PrivateKeySigner,
) -> Result<()> {
    let id = plan.chain_id;
    let native = &plan.native;
    let price = run.gas_price;
    let count = moves.len();
    for (n, m) in moves.into_iter().enumerate() {
        let address = m.key.address();
        let upfront = price.saturating_mul(U256::from(m.gas));
        let held = gas_wallet
            .get_balance(address)
            .await
            .map_err(|e| rpc_error(id, "eth_getBalance", &e))?;
        if held < upfront {
            if m.self_funded {
                return Err(format!(
                    "{address} holds too little native coin for the gas of moving {}; nothing more was sent",
                    m.what
                ));
            }
            let top_up = TransactionRequest::default()
                .with_from(gas_key.address())
                .with_to(address)
                .with_value(upfront - held)
                .with_gas_price(price.to::<u128>());
            let (hash, ..) = mined(gas_wallet, id, top_up, "the top-up").await?;
            println!(
                "Top-up {}/{count}: {hash} sent {} {} to {address}",
                n + 1,
                format_units(upfront - held, native.decimals),
                native.symbol
            );
        }
        let mut request = m.request;
        let mut what = m.what;
        if m.native_rest {
            let rest = held - upfront;
            if rest.is_zero() {
                continue;
            }
            request = request.with_value(rest);
            what = format!("{} {}", format_units(rest, native.decimals), native.symbol);
        }
        let deposit = chain::sender(run.settings, id, m.key).await?;
        let request = request
            .with_gas_limit(m.gas)
            .with_gas_price(price.to::<u128>());
        let (hash, used, paid) = mined(&deposit, id, request, "the transfer").await?;
        let reported = run.api.report_sweep(id, hash).await;
        println!(
            "Transfer {}/{count}: {hash} moved {} from {address}; gas used {used}, fee {} {}",
            n + 1,
            what,
            format_units(paid, native.decimals),
            native.symbol
        );
        crate::api::announce_report(hash, reported)?;
    }
    Ok(())
}

/// Sends `request` and waits for it to succeed; returns its hash, gas used and fee.
pub(crate) async fn mined(
    provider: &DynProvider,
    chain: u64,
    request: TransactionRequest,
    what: &str,
) -> Result<(B256, u64, U256)> {
    let pending = provider
        .send_transaction(request)
        .await
        .map_err(|e| rpc_error(chain, &format!("sending {what}"), &e))?;
    let hash = *pending.tx_hash();
    let receipt = pending
        .get_receipt()
        .await
        .map_err(|e| rpc_error(chain, &format!("waiting for {hash}"), &e))?;
    if !receipt.status() {
        return Err(format!("{what} {hash} failed on chain {chain} (reverted)"));
    }
    let fee = U256::from(receipt.gas_used).saturating_mul(U256::from(receipt.effective_gas_price));
    Ok((hash, receipt.gas_used, fee))
}

/// Each row's own transfers (tokens not relayed, then the native coin), with their gas
/// estimated as the deposit address would send them.
pub(crate) async fn prepare<'a>(
    provider: &DynProvider,
    plan: &Plan,
    rows: &[(&Row, &'a PrivateKeySigner)],
    treasury: Address,
) -> Result<Vec<Move<'a>>> {
    let id = plan.chain_id;
    let mut out = Vec::new();
    for &(row, key) in rows {
        let from = row.holding.address;
        let mut moves = Vec::new();
        for (token, &amount) in plan.tokens.iter().zip(&row.holding.tokens) {
            let Some(contract) = token.contract.filter(|_| !amount.is_zero() && !token.relay)
            else {
                continue;
            };
            let call = ITransfer::transferCall {
                to: treasury,
                amount,
            };
            let request = TransactionRequest::default()
                .with_from(from)
                .with_to(contract)
                .with_input(call.abi_encode());
            let what = format!("{} {}", format_units(amount, token.decimals), token.symbol);
            moves.push((request.clone(), request, false, what));
        }
        if !row.holding.native.is_zero() {
            let request = TransactionRequest::default()
                .with_from(from)
                .with_to(treasury);
            // Estimated with all it holds; the value sent is that less the gas.
            let probe = request.clone().with_value(row.holding.native);
            let what = format!("the {} left", plan.native.symbol);
            moves.push((probe, request, true, what));
        }
        for (probe, request, native_rest, what) in moves {
            let gas = provider
                .estimate_gas(probe)
                .await
                .map_err(|e| rpc_error(id, &format!("estimating the transfer of {what}"), &e))?;
            out.push(Move {
                key,
                request,
                native_rest,
                self_funded: false,
                gas,
                what,
            });
        }
    }
    Ok(out)
}
