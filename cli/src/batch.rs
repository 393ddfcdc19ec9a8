//! The EIP-7702 route: each deposit key signs one authorization delegating its address to the
//! sweeper, and the gas wallet sends batches that carry the authorizations and call `sweep` on
//! each address, as many per transaction as half a block's gas holds.

use std::collections::HashMap;

use alloy::eips::eip7702::{Authorization, SignedAuthorization};
use alloy::network::{TransactionBuilder, TransactionBuilder7702};
use alloy::primitives::{Address, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::TransactionRequest;
use alloy::signers::SignerSync;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol;
use alloy::sol_types::SolCall;
use kasse_shared::money::format_units;

use crate::Result;
use crate::api::Api;
use crate::chain::{self, rpc_error};
use crate::execute::{Context, key_of};
use crate::plan::{Estimate, Plan, Row};

sol! {
    interface ISweeper {
        function sweepAll(address[] calldata deposits, address[] calldata tokens) external;
    }
}

/// Addresses estimated together to learn the gas of one, before the batches are sized.
const PROBE: usize = 10;

/// One prepared transaction: its addresses, their authorizations and the call, with the
/// chain's estimate of its gas.
pub(crate) struct Batch {
    pub(crate) addresses: Vec<Address>,
    authorizations: usize,
    request: TransactionRequest,
    pub(crate) gas: u64,
}

/// Each address's share of its batch's estimate (the remainder on the first), so the shares
/// add up to the estimates.
pub(crate) fn shares(batches: &[Batch]) -> HashMap<Address, Estimate> {
    let mut out = HashMap::new();
    for b in batches {
        let n = b.addresses.len().max(1) as u64;
        for (i, address) in b.addresses.iter().enumerate() {
            let share = b.gas / n + if i == 0 { b.gas % n } else { 0 };
            out.insert(*address, Estimate::Batch(share));
        }
    }
    out
}

/// The batches of `rows`: a first batch's estimate gives the gas of one address, which sizes
/// the batches to half the block gas limit; each batch is then signed and estimated.
pub(crate) async fn prepare(
    context: &Context<'_>,
    plan: &Plan,
    rows: &[&Row],
) -> Result<Vec<Batch>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    // Without the sweeper's code the call would "succeed" as a plain call and estimate nothing.
    check_deployed(context.provider, plan.chain_id, context.sweeper).await?;
    let probe = one(context, plan, &rows[..rows.len().min(PROBE)]).await?;
    let per_address = (probe.gas / probe.addresses.len() as u64).max(1);
    // Room for a state change between estimate and inclusion.
    let per_batch = usize::try_from(context.block_gas_limit / 2 / (per_address + per_address / 5))
        .unwrap_or(usize::MAX)
        .max(1);
    if rows.len() <= PROBE && rows.len() <= per_batch {
        return Ok(vec![probe]);
    }
    let mut batches = Vec::new();
    for chunk in rows.chunks(per_batch) {
        batches.push(one(context, plan, chunk).await?);
    }
    Ok(batches)
}

async fn check_deployed(provider: &DynProvider, id: u64, sweeper: Address) -> Result<()> {
    let code = provider
        .get_code_at(sweeper)
        .await
        .map_err(|e| rpc_error(id, "eth_getCode", &e))?;
    if code.is_empty() {
        return Err(format!(
            "the sweeper {sweeper} is not deployed on chain {id}: run `kasse sweeper deploy --chain {id} --treasury …` first; nothing was sent"
        ));
    }
    Ok(())
}

pub(crate) async fn send(
    api: &Api,
    provider: &DynProvider,
    plan: &Plan,
    batches: Vec<Batch>,
    gas_key: &PrivateKeySigner,
) -> Result<()> {
    let id = plan.chain_id;
    let fees = provider
        .estimate_eip1559_fees()
        .await
        .map_err(|e| rpc_error(id, "fee estimation", &e))?;
    let needed = batches.iter().fold(U256::ZERO, |sum, b| {
        sum.saturating_add(
            U256::from(limit(b.gas)).saturating_mul(U256::from(fees.max_fee_per_gas)),
        )
    });
    chain::ensure_funded(
        provider,
        id,
        gas_key.address(),
        needed,
        &plan.native,
        "the sweep",
    )
    .await?;
    let native = &plan.native;

    let count = batches.len();
    for (n, batch) in batches.into_iter().enumerate() {
        let request = batch
            .request
            .with_gas_limit(limit(batch.gas))
            .with_max_fee_per_gas(fees.max_fee_per_gas)
            .with_max_priority_fee_per_gas(fees.max_priority_fee_per_gas);
        let pending = provider
            .send_transaction(request)
            .await
            .map_err(|e| rpc_error(id, "sending the sweep", &e))?;
        let hash = *pending.tx_hash();
        println!(
            "Batch {}/{count}: sent {hash} ({} addresses, {} authorizations)",
            n + 1,
            batch.addresses.len(),
            batch.authorizations
        );
        let reported = api.report_sweep(id, hash).await;
        let receipt = pending
            .get_receipt()
            .await
            .map_err(|e| rpc_error(id, &format!("waiting for {hash}"), &e))?;
        if !receipt.status() {
            return Err(format!(
                "the sweep transaction {hash} failed on chain {id} (reverted)"
            ));
        }
        let fee =
            U256::from(receipt.gas_used).saturating_mul(U256::from(receipt.effective_gas_price));
        let addresses: Vec<String> = batch.addresses.iter().map(ToString::to_string).collect();
        println!(
            "Batch {}/{count}: {hash} swept {}; gas used {} (estimated {}), {} per address, fee {} {}",
            n + 1,
            addresses.join(" "),
            receipt.gas_used,
            batch.gas,
            receipt.gas_used / batch.addresses.len() as u64,
            format_units(fee, native.decimals),
            native.symbol
        );
        crate::api::announce_report(hash, reported)?;
    }
    Ok(())
}

/// The gas limit sent for an estimate: room for a state change between estimate and
/// inclusion; unused gas is not paid.
fn limit(estimate: u64) -> u64 {
    estimate.saturating_add(estimate / 5)
}

/// Signs the authorizations a chunk needs and builds its call, with its gas estimated.
async fn one(context: &Context<'_>, plan: &Plan, chunk: &[&Row]) -> Result<Batch> {
    let id = plan.chain_id;
    let provider = context.provider;
    let mut authorizations: Vec<SignedAuthorization> = Vec::new();
    for row in chunk
        .iter()
        .filter(|r| r.holding.delegation.needs_authorization())
    {
        let key = key_of(context.deposits, row.holding.address)?;
        let nonce = provider
            .get_transaction_count(row.holding.address)
            .await
            .map_err(|e| rpc_error(id, "eth_getTransactionCount", &e))?;
        let authorization = Authorization {
            chain_id: U256::from(id),
            address: context.sweeper,
            nonce,
        };
        let signature = key
            .sign_hash_sync(&authorization.signature_hash())
            .map_err(|_| format!("cannot sign the authorization of {}", row.holding.address))?;
        authorizations.push(authorization.into_signed(signature));
    }
    // Only the tokens some address of the batch holds: each listed token costs a read per address.
    let tokens: Vec<Address> = plan
        .tokens
        .iter()
        .enumerate()
        .filter(|(i, _)| chunk.iter().any(|r| !r.holding.tokens[*i].is_zero()))
        .filter_map(|(_, t)| t.contract)
        .collect();
    let addresses: Vec<Address> = chunk.iter().map(|r| r.holding.address).collect();
    let call = ISweeper::sweepAllCall {
        deposits: addresses.clone(),
        tokens,
    };
    let count = authorizations.len();
    let mut request = TransactionRequest::default()
        .with_from(context.gas_wallet)
        .with_to(context.sweeper)
        .with_input(call.abi_encode());
    if !authorizations.is_empty() {
        request = request.with_authorization_list(authorizations);
    }
    let gas = provider
        .estimate_gas(request.clone())
        .await
        .map_err(|e| rpc_error(id, "estimating the sweep's gas", &e))?;
    Ok(Batch {
        addresses,
        authorizations: count,
        request,
        gas,
    })
}
