//! `kasse refund`: pays a pending refund from the merchant's treasury. It reads the refund
//! from Kasse, prints it and what it would send, and with `--execute` sends exactly the
//! amount from the treasury key (after checking the treasury's balance, its gas and the
//! token's answer), waits for the receipt and reports the hash so Kasse verifies it on chain.

mod payout;
#[cfg(test)]
mod tests;

use std::io::{BufRead, IsTerminal, Write};

use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, B256, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::TransactionRequest;
use clap::Args;
use kasse_shared::ids::RefundId;
use kasse_shared::money::format_units;

use crate::api::Api;
use crate::chain::{self, rpc_error};
use crate::config::Settings;
use crate::{Result, keys};
use payout::{Coin, Payout};

#[derive(Args)]
pub(crate) struct RefundArgs {
    /// The refund to pay (re_test_… or re_live_…).
    #[arg(value_name = "REFUND")]
    refund: String,
    /// Send the refund from the treasury (without it, only what would be sent is printed).
    #[arg(long)]
    execute: bool,
    /// With --execute: do not ask for confirmation.
    #[arg(long)]
    yes: bool,
    /// Only report a transaction already sent for this refund (e.g. after a failed report).
    #[arg(long, value_name = "TX_HASH", conflicts_with_all = ["execute", "yes"])]
    submit: Option<B256>,
}

pub(crate) async fn run(settings: &Settings, args: &RefundArgs) -> Result<()> {
    let id = RefundId::parse(&args.refund).ok_or_else(|| {
        format!(
            "{} is not a refund id (re_test_… or re_live_…)",
            args.refund
        )
    })?;
    let api = Api::from_env()?;
    if let Some(hash) = args.submit {
        println!(
            "{}",
            payout::status_line(&api.submit_refund(&id, hash).await?)
        );
        return Ok(());
    }
    let refund = api.refund(&id).await?;
    print!("{}", payout::describe_refund(&refund));
    let payout = Payout::of(&refund)?;
    // Without the merchant's own RPC for its chain the refund cannot be paid from here: say
    // so now, not after the plan.
    settings.rpc_url(payout.chain_id)?;
    print!("{}", payout.describe());
    if !args.execute {
        println!(
            "This is a plan: nothing was sent. Run again with --execute to send it from the treasury."
        );
        return Ok(());
    }
    let ask = payout::must_ask(args.yes, std::io::stdin().is_terminal())?;
    let treasury = keys::treasury_wallet()?;
    let chain = api.chain(payout.chain_id).await?;
    let coin = Coin {
        symbol: &chain.native_symbol,
        decimals: chain.native_decimals,
    };
    let payer = Payer {
        refund: &id,
        treasury: treasury.address(),
        coin: &coin,
    };
    let provider = chain::sender(settings, payout.chain_id, &treasury).await?;
    let request = prepare(&provider, &payout, &payer).await?;
    if ask && !confirmed(&payout, payer.treasury)? {
        println!("Nothing was sent.");
        return Ok(());
    }
    let hash = send(&provider, &payout, &payer, request).await?;
    let reported = api.submit_refund(&id, hash).await.map_err(|e| {
        format!(
            "{hash} was sent and mined, but reporting it failed: {e}; report it with `kasse refund {} --submit {hash}`",
            id.as_str()
        )
    })?;
    println!("{}", payout::status_line(&reported));
    Ok(())
}

/// Who pays a refund: the treasury, in the chain's native coin for gas.
struct Payer<'a> {
    refund: &'a RefundId,
    treasury: Address,
    coin: &'a Coin<'a>,
}

/// The transaction that pays `payout` from the treasury, priced and checked: the treasury
/// holds the amount and the gas, and the token accepts the transfer.
async fn prepare(
    provider: &DynProvider,
    payout: &Payout,
    payer: &Payer<'_>,
) -> Result<TransactionRequest> {
    let id = payout.chain_id;
    let (treasury, coin) = (payer.treasury, payer.coin);
    let native = provider
        .get_balance(treasury)
        .await
        .map_err(|e| rpc_error(id, "eth_getBalance", &e))?;
    let request = payout.request(treasury);
    let held = match payout.contract {
        Some(contract) => token_balance(provider, id, contract, treasury).await?,
        None => native,
    };
    payout.check_balance(treasury, held)?;
    if payout.contract.is_some() {
        let answer = provider.call(request.clone()).await.map_err(|e| {
            format!(
                "{}; nothing was sent",
                rpc_error(
                    id,
                    &format!("the {} transfer from the treasury", payout.token),
                    &e
                )
            )
        })?;
        payout::check_answer(&answer, &payout.token)?;
    }
    let estimate = provider
        .estimate_gas(request.clone())
        .await
        .map_err(|e| rpc_error(id, "estimating the refund transfer", &e))?;
    let price = provider
        .get_gas_price()
        .await
        .map_err(|e| rpc_error(id, "eth_gasPrice", &e))?;
    let limit = payout::gas_limit(estimate);
    let max_fee = U256::from(limit).saturating_mul(U256::from(price));
    payout.check_gas(treasury, native, max_fee, coin)?;
    let holds = match payout.contract {
        Some(_) => format!(
            "{} {} and {} {}",
            format_units(held, payout.decimals),
            payout.token,
            format_units(native, coin.decimals),
            coin.symbol
        ),
        None => format!("{} {}", format_units(native, coin.decimals), coin.symbol),
    };
    println!(
        "From the treasury {treasury}, which holds {holds}; gas up to {} {}",
        format_units(max_fee, coin.decimals),
        coin.symbol
    );
    Ok(request.with_gas_limit(limit).with_gas_price(price))
}

async fn token_balance(
    provider: &DynProvider,
    chain: u64,
    contract: Address,
    owner: Address,
) -> Result<U256> {
    let answer = provider
        .call(payout::balance_request(contract, owner))
        .await
        .map_err(|e| rpc_error(chain, "balanceOf", &e))?;
    payout::balance_of(&answer)
        .ok_or_else(|| format!("chain {chain}: the token {contract} answered balanceOf with something that is not a balance"))
}

fn confirmed(payout: &Payout, treasury: Address) -> Result<bool> {
    print!(
        "Send {} {} to {} from {treasury}? [y/N] ",
        format_units(payout.amount, payout.decimals),
        payout.token,
        payout.to
    );
    std::io::stdout().flush().map_err(|e| e.to_string())?;
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the answer: {e}"))?;
    Ok(["y", "yes"].contains(&line.trim().to_ascii_lowercase().as_str()))
}

/// Sends the transfer and waits until it is mined and has moved the refund; returns its hash.
async fn send(
    provider: &DynProvider,
    payout: &Payout,
    payer: &Payer<'_>,
    request: TransactionRequest,
) -> Result<B256> {
    let id = payout.chain_id;
    let coin = payer.coin;
    let pending = provider
        .send_transaction(request)
        .await
        .map_err(|e| rpc_error(id, "sending the refund transfer", &e))?;
    let hash = *pending.tx_hash();
    println!("Sent {hash}; waiting for it to be mined");
    let receipt = pending.get_receipt().await.map_err(|e| {
        format!(
            "{}; once {hash} is mined, report it with `kasse refund {} --submit {hash}`",
            rpc_error(id, &format!("waiting for {hash}"), &e),
            payer.refund.as_str()
        )
    })?;
    if !receipt.status() {
        return Err(format!(
            "the refund transfer {hash} reverted on chain {id}: nothing moved and the refund is still pending"
        ));
    }
    let logs: Vec<_> = receipt
        .inner
        .logs()
        .iter()
        .map(|l| l.inner.clone())
        .collect();
    if payout.contract.is_some() && !payout.paid_by(payer.treasury, &logs) {
        return Err(format!(
            "{hash} was mined but moved no {} {} to {}: the token answered without transferring; nothing was reported",
            format_units(payout.amount, payout.decimals),
            payout.token,
            payout.to
        ));
    }
    let fee = U256::from(receipt.gas_used).saturating_mul(U256::from(receipt.effective_gas_price));
    println!(
        "Mined in block {}: gas used {}, fee {} {}",
        receipt.block_number.unwrap_or_default(),
        receipt.gas_used,
        format_units(fee, coin.decimals),
        coin.symbol
    );
    Ok(hash)
}
