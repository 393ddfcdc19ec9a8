//! The top-up path, for chains without EIP-7702: each deposit key sends its own transfers.
//! An address holding no native coin gets, before each transfer, exactly the gas that transfer
//! may cost from the gas wallet; an address holding native coin pays its gas from it and sends
//! the rest, because a top-up landing there would read as a late payment to a session that
//! accepts the native coin. Tokens reach the treasury whole; what a gas limit did not use
//! stays at the address (too little to be worth moving).

use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, U256};
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
struct Move<'a> {
    key: &'a PrivateKeySigner,
    request: TransactionRequest,
    /// Sends the address's native coin less this transfer's gas.
    native_rest: bool,
    /// The address holds native coin and pays its own gas (no top-up).
    self_funded: bool,
    gas: u64,
    what: String,
}

/// The shell's view of the run: the API to report to, the settings that name the RPC.
pub(crate) struct Run<'a> {
    pub(crate) api: &'a Api,
    pub(crate) settings: &'a Settings,
    pub(crate) treasury: Address,
}

pub(crate) async fn send(
    run: &Run<'_>,
    gas_wallet: &DynProvider,
    plan: &Plan,
    rows: &[(&Row, &PrivateKeySigner)],
    gas_key: &PrivateKeySigner,
) -> Result<()> {
    let id = plan.chain_id;
    let fees = gas_wallet
        .estimate_eip1559_fees()
        .await
        .map_err(|e| rpc_error(id, "fee estimation", &e))?;
    let fee = U256::from(fees.max_fee_per_gas);
    let moves = prepare(gas_wallet, plan, rows, run.treasury, fee).await?;
    let needed = moves
        .iter()
        .filter(|m| !m.self_funded)
        .fold(U256::ZERO, |sum, m| {
            sum.saturating_add(fee.saturating_mul(U256::from(m.gas + NATIVE_TRANSFER_GAS)))
        });
    let balance = gas_wallet
        .get_balance(gas_key.address())
        .await
        .map_err(|e| rpc_error(id, "eth_getBalance", &e))?;
    let native = &plan.native;
    if balance < needed {
        return Err(format!(
            "the gas wallet {} holds {} {} but the top-ups may cost up to {} {}: fund it (see `kasse wallet --chain {id}`); nothing was sent",
            gas_key.address(),
            format_units(balance, native.decimals),
            native.symbol,
            format_units(needed, native.decimals),
            native.symbol
        ));
    }
    let count = moves.len();
    for (n, m) in moves.into_iter().enumerate() {
        let address = m.key.address();
        let upfront = fee.saturating_mul(U256::from(m.gas));
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
                .with_max_fee_per_gas(fees.max_fee_per_gas)
                .with_max_priority_fee_per_gas(fees.max_priority_fee_per_gas);
            mined(gas_wallet, id, top_up, "the top-up").await?;
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
            .with_max_fee_per_gas(fees.max_fee_per_gas)
            .with_max_priority_fee_per_gas(fees.max_priority_fee_per_gas);
        let (hash, used, paid) = mined(&deposit, id, request, "the transfer").await?;
        let reported = run.api.report_sweep(id, hash).await;
        println!(
            "Transfer {}/{count}: {hash} moved {} from {address}; gas used {used}, fee {} {}",
            n + 1,
            what,
            format_units(paid, native.decimals),
            native.symbol
        );
        match reported {
            Ok(sweep) => println!("Reported to Kasse as {}", sweep.id),
            Err(e) => {
                return Err(format!(
                    "{hash} was sent and mined, but reporting it failed: {e}"
                ));
            }
        }
    }
    Ok(())
}

/// Sends `request` and waits for it to succeed; returns its hash, gas used and fee.
async fn mined(
    provider: &DynProvider,
    chain: u64,
    request: TransactionRequest,
    what: &str,
) -> Result<(alloy::primitives::B256, u64, U256)> {
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

/// Each row's transfers, with their gas estimated as the deposit address would send them.
async fn prepare<'a>(
    provider: &DynProvider,
    plan: &Plan,
    rows: &[(&Row, &'a PrivateKeySigner)],
    treasury: Address,
    fee: U256,
) -> Result<Vec<Move<'a>>> {
    let id = plan.chain_id;
    let mut out = Vec::new();
    for &(row, key) in rows {
        let from = row.holding.address;
        let mut moves = Vec::new();
        for (token, &amount) in plan.tokens.iter().zip(&row.holding.tokens) {
            let Some(contract) = token.contract.filter(|_| !amount.is_zero()) else {
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
        let mut estimated = Vec::with_capacity(moves.len());
        for (probe, request, native_rest, what) in moves {
            let gas = provider
                .estimate_gas(probe)
                .await
                .map_err(|e| rpc_error(id, &format!("estimating the transfer of {what}"), &e))?;
            estimated.push(Move {
                key,
                request,
                native_rest,
                self_funded: false,
                gas,
                what,
            });
        }
        // An address whose native coin covers all its gas pays it; one holding less (what an
        // earlier top-up left) gets top-ups for its tokens and keeps that remainder.
        let cost = estimated.iter().fold(U256::ZERO, |sum, m| {
            sum.saturating_add(fee.saturating_mul(U256::from(m.gas)))
        });
        let self_funded = !row.holding.native.is_zero() && row.holding.native > cost;
        estimated.retain(|m| self_funded || !m.native_rest);
        for m in &mut estimated {
            m.self_funded = self_funded;
        }
        out.extend(estimated);
    }
    Ok(out)
}
