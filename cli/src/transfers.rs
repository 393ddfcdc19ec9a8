//! The route for chains without EIP-7702: tokens that take EIP-3009 authorizations are relayed
//! by the gas wallet (the deposit address needs no gas), then each remaining token moves by a
//! transfer its deposit key sends after an exact gas top-up, and native coin pays its own gas.

use std::collections::{BTreeSet, HashMap};

use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, U256};
use alloy::providers::DynProvider;
use alloy::signers::local::PrivateKeySigner;
use kasse_shared::money::format_units;

use crate::Result;
use crate::chain;
use crate::eip3009;
use crate::execute::{Context, key_of};
use crate::plan::{Estimate, Plan, Row};
use crate::topup::{self, Move, Run};

/// The relay batches and the deposit keys' own transfers of a plan, estimated.
pub(crate) struct Prepared<'a> {
    relays: Vec<eip3009::Batch>,
    moves: Vec<Move<'a>>,
}

impl Prepared<'_> {
    pub(crate) fn addresses(&self) -> BTreeSet<Address> {
        self.relays
            .iter()
            .flat_map(|b| b.from.iter().copied())
            .chain(self.moves.iter().map(|m| m.key.address()))
            .collect()
    }

    /// Each address's share of the relay batches (per authorization it signed, the remainder
    /// on a batch's first) and the estimates of its own transfers.
    pub(crate) fn shares(&self) -> HashMap<Address, Estimate> {
        let mut relay: HashMap<Address, u64> = HashMap::new();
        for b in &self.relays {
            let n = b.from.len().max(1) as u64;
            for (i, from) in b.from.iter().enumerate() {
                let share = b.gas / n + if i == 0 { b.gas % n } else { 0 };
                *relay.entry(*from).or_default() += share;
            }
        }
        let mut out: HashMap<Address, Estimate> = HashMap::new();
        for address in self.addresses() {
            let own = self.moves.iter().filter(|m| m.key.address() == address);
            out.insert(
                address,
                Estimate::Transfers {
                    relay: relay.get(&address).copied().unwrap_or(0),
                    tokens: own
                        .clone()
                        .filter(|m| !m.native_rest)
                        .map(|m| m.gas)
                        .collect(),
                    native: own.filter(|m| m.native_rest).map(|m| m.gas).sum(),
                },
            );
        }
        out
    }
}

pub(crate) async fn prepare<'a>(
    context: &Context<'a>,
    plan: &Plan,
    rows: &[&Row],
) -> Result<Prepared<'a>> {
    let mut relayed = Vec::new();
    let mut keyed: Vec<(&Row, &'a PrivateKeySigner)> = Vec::new();
    for &row in rows {
        let key = key_of(context.deposits, row.holding.address)?;
        keyed.push((row, key));
        for ((token, amount), domain) in plan
            .tokens
            .iter()
            .zip(&row.holding.tokens)
            .zip(&context.domains)
        {
            if let (Some(contract), Some(domain)) = (token.contract, domain)
                && !amount.is_zero()
            {
                relayed.push(eip3009::Transfer {
                    key,
                    token: contract,
                    domain,
                    amount: *amount,
                });
            }
        }
    }
    let relays = if relayed.is_empty() {
        Vec::new()
    } else {
        eip3009::prepare(
            context.provider,
            plan.chain_id,
            context.chain.multicall3,
            context.gas_wallet,
            context.treasury,
            &relayed,
            context.block_gas_limit,
        )
        .await?
    };
    let moves = topup::prepare(context.provider, plan, &keyed, context.treasury).await?;
    Ok(Prepared { relays, moves })
}

pub(crate) async fn send(
    run: &Run<'_>,
    gas_wallet: &DynProvider,
    plan: &Plan,
    prepared: Prepared<'_>,
    gas_key: &PrivateKeySigner,
) -> Result<()> {
    let id = plan.chain_id;
    let price = run.gas_price;
    let rows: Vec<&Row> = plan.to_sweep().collect();
    let moves = topup::decided(prepared.moves, &rows);
    let relays = prepared.relays;
    let needed = relays.iter().fold(topup::needed(&moves, price), |sum, b| {
        sum.saturating_add(price.saturating_mul(U256::from(limit(b.gas))))
    });
    chain::ensure_funded(
        gas_wallet,
        id,
        gas_key.address(),
        needed,
        &plan.native,
        "the relays and top-ups",
    )
    .await?;
    let native = &plan.native;
    let count = relays.len();
    for (n, batch) in relays.into_iter().enumerate() {
        let request = batch
            .request
            .with_gas_limit(limit(batch.gas))
            .with_gas_price(price.to::<u128>());
        let (hash, used, paid) = topup::mined(gas_wallet, id, request, "the relay").await?;
        let reported = run.api.report_sweep(id, hash).await;
        let from: Vec<String> = batch.from.iter().map(ToString::to_string).collect();
        let transfers = batch.from.len() as u64;
        println!(
            "Relay {}/{count}: {hash} moved {transfers} EIP-3009 transfers from {}; gas used {used} (estimated {}), {} per transfer, fee {} {}",
            n + 1,
            from.join(" "),
            batch.gas,
            used / transfers.max(1),
            format_units(paid, native.decimals),
            native.symbol
        );
        crate::api::announce_report(hash, reported)?;
    }
    topup::send(run, gas_wallet, plan, moves, gas_key).await
}

/// The gas limit sent for a relay's estimate: room for a state change between estimate and
/// inclusion; unused gas is not paid.
fn limit(estimate: u64) -> u64 {
    estimate.saturating_add(estimate / 5)
}
