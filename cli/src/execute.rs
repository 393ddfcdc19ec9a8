//! `kasse sweep` and `kasse wallet`: gathers the facts (API, chain, keys), checks them, prints
//! the plan with the chain's gas estimate of the very transactions it would send and, when
//! asked, sends them.

use std::collections::{BTreeSet, HashSet};
use std::io::{BufRead, IsTerminal, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use alloy::eips::BlockNumberOrTag;
use alloy::primitives::{Address, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::signers::local::PrivateKeySigner;
use kasse_shared::money::format_units;
use kasse_shared::sweep::may_sweep;
use kasse_shared::time::Timestamp;

use crate::api::{self, Api, Chain, Session};
use crate::chain::{self, rpc_error};
use crate::config::Settings;
use crate::plan::{self, Asset, Delegation, Facts, Holding, Plan, Prices, Route, Row};
use crate::{Result, SweepArgs, batch, eip3009, keys, sweeper, transfers};

/// A final session's deposit address with the key that controls it (checked to match).
pub(crate) struct Deposit {
    pub(crate) session: String,
    pub(crate) index: u32,
    pub(crate) key: PrivateKeySigner,
    /// Kasse still reads the address's native balance (see `Session::native_watched`).
    pub(crate) native_watched: bool,
}

/// What a run knows once its facts are gathered and checked.
pub(crate) struct Context<'a> {
    pub(crate) provider: &'a DynProvider,
    pub(crate) chain: &'a Chain,
    pub(crate) deposits: &'a [Deposit],
    pub(crate) sweeper: Address,
    pub(crate) treasury: Address,
    pub(crate) gas_wallet: Address,
    pub(crate) block_gas_limit: u64,
    /// Per catalogue token of the plan: its EIP-712 domain if it takes EIP-3009 relays.
    pub(crate) domains: Vec<Option<alloy::sol_types::Eip712Domain>>,
}

/// The transactions a plan sends, prepared (signed where they need a deposit key's
/// authorization) and estimated by the chain.
enum Prepared<'a> {
    Batches(Vec<batch::Batch>),
    Transfers(transfers::Prepared<'a>),
}

impl Prepared<'_> {
    fn addresses(&self) -> BTreeSet<Address> {
        match self {
            Self::Batches(batches) => batches.iter().flat_map(|b| b.addresses.clone()).collect(),
            Self::Transfers(t) => t.addresses(),
        }
    }
}

async fn prepare<'a>(context: &Context<'a>, plan: &Plan) -> Result<Prepared<'a>> {
    let rows: Vec<&Row> = plan.to_sweep().collect();
    match plan.route {
        Route::Eip7702 => batch::prepare(context, plan, &rows)
            .await
            .map(Prepared::Batches),
        Route::Transfers => transfers::prepare(context, plan, &rows)
            .await
            .map(Prepared::Transfers),
    }
}

/// Without EIP-7702, each token's EIP-712 domain if it takes EIP-3009 relays (marked on the
/// token too); with it, none is needed.
async fn relay_domains(
    provider: &DynProvider,
    chain: u64,
    route: Route,
    tokens: &mut [Asset],
) -> Vec<Option<alloy::sol_types::Eip712Domain>> {
    let mut domains = Vec::with_capacity(tokens.len());
    for token in tokens {
        let domain = match (route, token.contract) {
            (Route::Transfers, Some(contract)) => eip3009::domain(provider, chain, contract).await,
            _ => None,
        };
        token.relay = domain.is_some();
        domains.push(domain);
    }
    domains
}

/// The plan decided again with the chain's estimate of `prepared`, or with the measured
/// figures and the reason when the chain could not estimate.
fn with_estimates(plan: Plan, prepared: &Result<Prepared<'_>>) -> Plan {
    match prepared {
        Ok(Prepared::Batches(batches)) => {
            let shares = batch::shares(batches);
            plan.estimated(|h| shares.get(&h.address).cloned())
        }
        Ok(Prepared::Transfers(t)) => {
            let shares = t.shares();
            plan.estimated(|h| shares.get(&h.address).cloned())
        }
        Err(why) => Plan {
            gas_note: Some(why.clone()),
            ..plan
        },
    }
}

pub(crate) async fn sweep(settings: &Settings, args: &SweepArgs) -> Result<()> {
    let api = Api::from_env()?;
    let chain = api.chain(args.chain).await?;
    let route = if settings.eip7702(args.chain) {
        Route::Eip7702
    } else {
        Route::Transfers
    };
    let min_usd = match &args.min_usd {
        Some(text) => {
            kasse_shared::money::parse_units(text, plan::USD_DECIMALS).ok_or_else(|| {
                format!("--min-usd {text} is not an amount of dollars like 5 or 0.50")
            })?
        }
        None => U256::ZERO,
    };
    let (mut tokens, native_selected) = select_assets(&chain, &args.tokens)?;
    let sessions = api.sessions().await?;
    let keys = keys::load()?;
    let gas_wallet = keys.gas.address();
    refuse_deposit_address(&sessions, args.treasury, "the treasury")?;
    refuse_deposit_address(&sessions, gas_wallet, "the gas wallet")?;
    let deposits = final_deposits(&sessions, &keys.deposits, args.chain)?;
    let sweeper = sweeper::address(args.treasury, gas_wallet)?;

    let provider = chain::reader(settings, args.chain).await?;
    let domains = relay_domains(&provider, chain.chain_id, route, &mut tokens).await;
    let facts = Facts {
        chain_id: chain.chain_id,
        chain_name: &chain.name,
        route,
        tokens,
        native: Asset {
            symbol: chain.native_symbol.clone(),
            contract: None,
            decimals: chain.native_decimals,
            relay: false,
        },
        native_selected,
    };
    let plan = read_plan(&provider, &chain, facts, &deposits, sweeper, min_usd).await?;
    let block_gas_limit = provider
        .get_block_by_number(BlockNumberOrTag::Latest)
        .await
        .map_err(|e| rpc_error(chain.chain_id, "eth_getBlockByNumber", &e))?
        .ok_or_else(|| format!("chain {}: no latest block", chain.chain_id))?
        .header
        .gas_limit;
    let context = Context {
        provider: &provider,
        chain: &chain,
        deposits: &deposits,
        sweeper,
        treasury: args.treasury,
        gas_wallet,
        block_gas_limit,
        domains,
    };
    let mut prepared = prepare(&context, &plan).await;
    let plan = with_estimates(plan, &prepared);
    print!("{}", plan::render(&plan, args.treasury, sweeper));
    let count = plan.to_sweep().count();
    if count == 0 || !args.execute {
        if count > 0 {
            println!("This is a plan: nothing was sent. Run again with --execute to sweep.");
        }
        return Ok(());
    }
    if !args.yes && !confirmed(count, args.treasury)? {
        println!("Nothing was sent.");
        return Ok(());
    }
    let planned: BTreeSet<Address> = plan.to_sweep().map(|r| r.holding.address).collect();
    // The estimates may have changed which addresses are worth sweeping.
    if prepared.as_ref().map_or(true, |p| p.addresses() != planned) {
        prepared = prepare(&context, &plan).await;
    }
    let sender = chain::sender(settings, args.chain, &keys.gas).await?;
    match prepared? {
        Prepared::Batches(batches) => batch::send(&api, &sender, &plan, batches, &keys.gas).await,
        Prepared::Transfers(t) => {
            let run = crate::topup::Run {
                api: &api,
                settings,
                gas_price: plan.prices.gas_price,
            };
            transfers::send(&run, &sender, &plan, t, &keys.gas).await
        }
    }
}

pub(crate) fn key_of(deposits: &[Deposit], address: Address) -> Result<&PrivateKeySigner> {
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
            relay: false,
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
fn final_deposits(
    sessions: &[Session],
    keys: &keys::DepositKeys,
    chain_id: u64,
) -> Result<Vec<Deposit>> {
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
            native_watched: s.native_watched(chain_id, now),
        });
    }
    Ok(out)
}

/// The plan from the chain's balances now, its gas still by the measured figures.
async fn read_plan(
    provider: &DynProvider,
    chain: &Chain,
    facts: Facts<'_>,
    deposits: &[Deposit],
    sweeper: Address,
    min_usd: U256,
) -> Result<Plan> {
    let id = chain.chain_id;
    let addresses: Vec<Address> = deposits.iter().map(|d| d.key.address()).collect();
    let contracts: Vec<Address> = facts.tokens.iter().filter_map(|t| t.contract).collect();
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
            estimate: None,
            native_watched: deposits[i].native_watched,
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
    let prices = Prices {
        gas_price: U256::from(gas_price),
        native_usd,
        min_usd,
    };
    Ok(plan::build(facts, holdings, &prices))
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

/// `kasse wallet`: the gas wallet's address and what it holds on the chain.
pub(crate) async fn wallet(settings: &Settings, chain: u64) -> Result<()> {
    let gas = keys::gas_wallet()?;
    let served = Api::from_env()?.chain(chain).await?;
    let provider = chain::reader(settings, chain).await?;
    let balance = provider
        .get_balance(gas.address())
        .await
        .map_err(|e| rpc_error(chain, "eth_getBalance", &e))?;
    println!("Gas wallet: {}", gas.address());
    println!(
        "Balance on chain {chain}: {} {} ({balance} base units)",
        format_units(balance, served.native_decimals),
        served.native_symbol
    );
    Ok(())
}
