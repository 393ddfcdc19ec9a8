//! `kasse sweep` and `kasse wallet`: gathers the facts (API, chain, keys), checks them, prints
//! the plan and, when asked, sends the batches.

use std::collections::HashSet;
use std::io::{BufRead, IsTerminal, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use alloy::eips::BlockNumberOrTag;
use alloy::eips::eip7702::{Authorization, SignedAuthorization};
use alloy::network::TransactionBuilder;
use alloy::network::TransactionBuilder7702;
use alloy::primitives::{Address, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::TransactionRequest;
use alloy::signers::SignerSync;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol;
use alloy::sol_types::SolCall;
use kasse_shared::money::format_units;
use kasse_shared::sweep::may_sweep;
use kasse_shared::time::Timestamp;

use crate::api::{self, Api, Chain, Session};
use crate::chain::{self, rpc_error};
use crate::config::Settings;
use crate::plan::{self, Asset, Delegation, Holding, Path, Plan, Prices, Row};
use crate::{Result, SweepArgs, keys, sweeper, topup};

sol! {
    interface ISweeper {
        function sweepAll(address[] calldata deposits, address[] calldata tokens) external;
    }
}

/// A final session's deposit address with the key that controls it (checked to match).
struct Deposit {
    session: String,
    index: u32,
    key: PrivateKeySigner,
}

pub(crate) async fn sweep(settings: &Settings, args: &SweepArgs) -> Result<()> {
    let api = Api::from_env()?;
    let chain = api.chain(args.chain).await?;
    let path = if settings.eip7702(args.chain) {
        Path::Eip7702
    } else {
        Path::TopUp
    };
    let min_usd = match &args.min_usd {
        Some(text) => {
            kasse_shared::money::parse_units(text, plan::USD_DECIMALS).ok_or_else(|| {
                format!("--min-usd {text} is not an amount of dollars like 5 or 0.50")
            })?
        }
        None => U256::ZERO,
    };
    let (tokens, native_selected) = select_assets(&chain, &args.tokens)?;
    let sessions = api.sessions().await?;
    let keys = keys::load()?;
    let gas_wallet = keys.gas.address();
    refuse_deposit_address(&sessions, args.treasury, "the treasury")?;
    refuse_deposit_address(&sessions, gas_wallet, "the gas wallet")?;
    let deposits = final_deposits(&sessions, &keys.deposits)?;
    let sweeper = sweeper::address(args.treasury, gas_wallet)?;

    let provider = chain::reader(settings, args.chain).await?;
    let plan = read_plan(
        &provider,
        &chain,
        path,
        tokens,
        native_selected,
        &deposits,
        sweeper,
        min_usd,
    )
    .await?;
    print!("{}", plan::render(&plan, args.treasury, sweeper));
    let rows: Vec<&Row> = plan.to_sweep().collect();
    if rows.is_empty() || !args.execute {
        if !rows.is_empty() {
            println!("This is a plan: nothing was sent. Run again with --execute to sweep.");
        }
        return Ok(());
    }
    if !args.yes && !confirmed(rows.len(), args.treasury)? {
        println!("Nothing was sent.");
        return Ok(());
    }
    let sender = chain::sender(settings, args.chain, &keys.gas).await?;
    match plan.path {
        Path::Eip7702 => send(&api, &sender, &plan, &rows, &deposits, sweeper, &keys.gas).await,
        Path::TopUp => {
            let keyed = rows
                .iter()
                .map(|&r| Ok((r, key_of(&deposits, r.holding.address)?)))
                .collect::<Result<Vec<_>>>()?;
            let run = topup::Run {
                api: &api,
                settings,
                treasury: args.treasury,
            };
            topup::send(&run, &sender, &plan, &keyed, &keys.gas).await
        }
    }
}

fn key_of(deposits: &[Deposit], address: Address) -> Result<&PrivateKeySigner> {
    deposits
        .iter()
        .find(|d| d.key.address() == address)
        .map(|d| &d.key)
        .ok_or_else(|| format!("the planned address {address} has no key"))
}

/// The chain's catalogue tokens named by `--token` (all without it), and whether addresses
/// holding only the native coin are swept.
fn select_assets(chain: &Chain, wanted: &[String]) -> Result<(Vec<Asset>, bool)> {
    let known: Vec<&str> = chain
        .tokens
        .iter()
        .map(|t| t.symbol.as_str())
        .chain([chain.native_symbol.as_str()])
        .collect();
    for w in wanted {
        if !known.iter().any(|k| k.eq_ignore_ascii_case(w)) {
            return Err(format!(
                "chain {} has no token {w} (it has {})",
                chain.chain_id,
                known.join(", ")
            ));
        }
    }
    let named = |s: &str| wanted.is_empty() || wanted.iter().any(|w| w.eq_ignore_ascii_case(s));
    let tokens = chain
        .tokens
        .iter()
        .filter(|t| named(&t.symbol))
        .map(|t| Asset {
            symbol: t.symbol.clone(),
            contract: Some(t.contract_address),
            decimals: t.decimals,
        })
        .collect();
    Ok((tokens, named(&chain.native_symbol)))
}

fn refuse_deposit_address(sessions: &[Session], address: Address, what: &str) -> Result<()> {
    match sessions.iter().find(|s| s.address == address) {
        Some(s) => Err(format!(
            "{what} {address} is the deposit address of session {}: choose an address outside the deposit keys",
            s.id
        )),
        None => Ok(()),
    }
}

/// Every session that may be swept now, with its deposit key; stops at the first session whose
/// address the mnemonic does not derive, before anything is signed.
fn final_deposits(sessions: &[Session], keys: &keys::DepositKeys) -> Result<Vec<Deposit>> {
    let now = Timestamp(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|_| "the system clock is before 1970")?
            .as_secs(),
    );
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for s in sessions
        .iter()
        .filter(|s| may_sweep(s.status, s.late_until, now))
    {
        if !seen.insert(s.address) {
            continue;
        }
        let index = s.derivation_index.ok_or_else(|| {
            format!("session {} has no derivation_index: is KASSE_API_KEY a secret key of this account?", s.id)
        })?;
        let key = keys.key(index)?;
        if key.address() != s.address {
            return Err(format!(
                "session {} (index {index}): Kasse has deposit address {} but the mnemonic derives {}: wrong mnemonic or KASSE_DEPOSIT_PATH; nothing was signed",
                s.id,
                s.address,
                key.address()
            ));
        }
        out.push(Deposit {
            session: s.id.clone(),
            index,
            key,
        });
    }
    Ok(out)
}

#[expect(clippy::too_many_arguments, reason = "the facts a plan is built from")]
async fn read_plan(
    provider: &DynProvider,
    chain: &Chain,
    path: Path,
    tokens: Vec<Asset>,
    native_selected: bool,
    deposits: &[Deposit],
    sweeper: Address,
    min_usd: U256,
) -> Result<Plan> {
    let id = chain.chain_id;
    let addresses: Vec<Address> = deposits.iter().map(|d| d.key.address()).collect();
    let contracts: Vec<Address> = tokens.iter().filter_map(|t| t.contract).collect();
    let balances = chain::balances(provider, id, chain.multicall3, &addresses, &contracts).await?;
    let holding: Vec<usize> = balances
        .iter()
        .enumerate()
        .filter(|(_, (t, n))| t.iter().any(|a| !a.is_zero()) || !n.is_zero())
        .map(|(i, _)| i)
        .collect();
    let held: Vec<Address> = holding.iter().map(|&i| addresses[i]).collect();
    let codes = chain::codes(provider, id, &held).await?;
    let holdings = holding
        .iter()
        .zip(codes)
        .map(|(&i, code)| Holding {
            session: deposits[i].session.clone(),
            index: deposits[i].index,
            address: addresses[i],
            tokens: balances[i].0.clone(),
            native: balances[i].1,
            delegation: Delegation::of(&code, sweeper),
        })
        .collect();
    let gas_price = provider
        .get_gas_price()
        .await
        .map_err(|e| rpc_error(id, "eth_gasPrice", &e))?;
    let native_usd = match &chain.native_usd_price {
        Some(p) => Some(api::decimal_to_units(p, plan::USD_DECIMALS).ok_or_else(|| {
            format!("the API's native_usd_price {p} for chain {id} is not a decimal")
        })?),
        None => None,
    };
    let native = Asset {
        symbol: chain.native_symbol.clone(),
        contract: None,
        decimals: chain.native_decimals,
    };
    let prices = Prices {
        gas_price: U256::from(gas_price),
        native_usd,
        min_usd,
    };
    Ok(plan::build(
        id,
        &chain.name,
        path,
        tokens,
        native,
        native_selected,
        holdings,
        &prices,
    ))
}

fn confirmed(count: usize, treasury: Address) -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        return Err(
            "--execute asks for confirmation, and stdin is not a terminal: add --yes".into(),
        );
    }
    print!("Sweep {count} addresses to {treasury}? [y/N] ");
    std::io::stdout().flush().map_err(|e| e.to_string())?;
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| format!("cannot read the answer: {e}"))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}

/// One prepared transaction: its addresses, their authorizations and the call.
struct Batch {
    addresses: Vec<Address>,
    authorizations: usize,
    request: TransactionRequest,
    gas: u64,
}

async fn send(
    api: &Api,
    provider: &DynProvider,
    plan: &Plan,
    rows: &[&Row],
    deposits: &[Deposit],
    sweeper: Address,
    gas_key: &PrivateKeySigner,
) -> Result<()> {
    let id = plan.chain_id;
    if provider
        .get_code_at(sweeper)
        .await
        .map_err(|e| rpc_error(id, "eth_getCode", &e))?
        .is_empty()
    {
        return Err(format!(
            "the sweeper {sweeper} is not deployed on chain {id}: run `kasse sweeper deploy --chain {id} --treasury …` first; nothing was sent"
        ));
    }
    let block = provider
        .get_block_by_number(BlockNumberOrTag::Latest)
        .await
        .map_err(|e| rpc_error(id, "eth_getBlockByNumber", &e))?
        .ok_or_else(|| format!("chain {id}: no latest block"))?;
    let per_batch = usize::try_from(block.header.gas_limit / 2 / plan::GAS_PER_ADDRESS)
        .unwrap_or(usize::MAX)
        .max(1);

    let mut batches = Vec::new();
    for chunk in rows.chunks(per_batch) {
        batches.push(prepare(provider, plan, chunk, deposits, sweeper, gas_key.address()).await?);
    }
    let fees = provider
        .estimate_eip1559_fees()
        .await
        .map_err(|e| rpc_error(id, "fee estimation", &e))?;
    let needed = batches.iter().fold(U256::ZERO, |sum, b| {
        sum.saturating_add(U256::from(b.gas).saturating_mul(U256::from(fees.max_fee_per_gas)))
    });
    let balance = provider
        .get_balance(gas_key.address())
        .await
        .map_err(|e| rpc_error(id, "eth_getBalance", &e))?;
    let native = &plan.native;
    if balance < needed {
        return Err(format!(
            "the gas wallet {} holds {} {} but the sweep may cost up to {} {}: fund it (see `kasse wallet --chain {id}`); nothing was sent",
            gas_key.address(),
            format_units(balance, native.decimals),
            native.symbol,
            format_units(needed, native.decimals),
            native.symbol
        ));
    }

    let count = batches.len();
    for (n, batch) in batches.into_iter().enumerate() {
        let request = batch
            .request
            .with_gas_limit(batch.gas)
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
            "Batch {}/{count}: {hash} swept {}; gas used {}, {} per address, fee {} {}",
            n + 1,
            addresses.join(" "),
            receipt.gas_used,
            receipt.gas_used / batch.addresses.len() as u64,
            format_units(fee, native.decimals),
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

/// Signs the authorizations a chunk needs and builds its call, with its gas estimated.
async fn prepare(
    provider: &DynProvider,
    plan: &Plan,
    chunk: &[&Row],
    deposits: &[Deposit],
    sweeper: Address,
    gas_wallet: Address,
) -> Result<Batch> {
    let id = plan.chain_id;
    let mut authorizations: Vec<SignedAuthorization> = Vec::new();
    for row in chunk
        .iter()
        .filter(|r| r.holding.delegation.needs_authorization())
    {
        let key = key_of(deposits, row.holding.address)?;
        let nonce = provider
            .get_transaction_count(row.holding.address)
            .await
            .map_err(|e| rpc_error(id, "eth_getTransactionCount", &e))?;
        let authorization = Authorization {
            chain_id: U256::from(id),
            address: sweeper,
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
        .with_from(gas_wallet)
        .with_to(sweeper)
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
        // Room for a state change between estimate and inclusion; unused gas is not paid.
        gas: gas.saturating_add(gas / 5),
    })
}

/// `kasse wallet`: the gas wallet's address and what it holds on the chain.
pub(crate) async fn wallet(settings: &Settings, chain: u64) -> Result<()> {
    let gas = keys::gas_wallet()?;
    let provider = chain::reader(settings, chain).await?;
    let balance = provider
        .get_balance(gas.address())
        .await
        .map_err(|e| rpc_error(chain, "eth_getBalance", &e))?;
    println!("Gas wallet: {}", gas.address());
    println!(
        "Balance on chain {chain}: {} (native coin, {balance} wei)",
        format_units(balance, 18)
    );
    Ok(())
}
