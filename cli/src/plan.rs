//! The sweep plan: which deposit addresses move, what each holds, what its share of the gas
//! costs and why an address is left alone. Pure: the shell reads the chain and the API and
//! hands the facts in.

use std::fmt::Write as _;

use alloy::primitives::{Address, U256};
use kasse_shared::money::format_units;

/// US dollar amounts are integers of 10⁻⁸ dollars, the precision of the worker's price.
pub(crate) const USD_DECIMALS: u8 = 8;
/// Gas one address of an EIP-7702 batch cost when measured on the local chain (its
/// authorization, the call into it and its transfers: 771,502 gas for 20 addresses with 20
/// authorizations); used only when the chain cannot estimate the batch.
pub(crate) const GAS_PER_ADDRESS: u64 = 38_600;
/// One `transferWithAuthorization` relayed inside a batch, measured the same way; used only
/// when the chain cannot estimate the batch.
pub(crate) const RELAY_GAS: u64 = 45_000;
/// An ERC-20 `transfer` of a whole balance, by its holder.
pub(crate) const TOKEN_TRANSFER_GAS: u64 = 65_000;
/// A plain native transfer.
pub(crate) const NATIVE_TRANSFER_GAS: u64 = 21_000;

/// How a chain's deposit addresses are swept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    /// Each address delegates to the sweeper; the gas wallet's batches move everything.
    Eip7702,
    /// No EIP-7702 on the chain: tokens that take EIP-3009 authorizations are relayed by the
    /// gas wallet, other tokens get an exact gas top-up (or the address's own native coin pays)
    /// and their deposit key sends them.
    Transfers,
}

/// The gas of one address, as the chain estimated it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Estimate {
    /// Its share of an EIP-7702 batch.
    Batch(u64),
    /// Without EIP-7702: its share of the relay batches, each transfer its key sends (per
    /// token held that is not relayed) and its native transfer (0 when it holds none).
    Transfers {
        relay: u64,
        tokens: Vec<u64>,
        native: u64,
    },
}

/// What moving one address costs, and whether it pays its own gas.
struct Cost {
    units: u64,
    self_funded: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Delegation {
    /// A plain account: the sweep carries an authorization signed by its key.
    None,
    /// Already runs the sweeper: no authorization needed.
    ToSweeper,
    /// Delegated to other code: a new authorization replaces it.
    Elsewhere,
    /// Holds code that is no delegation: never touched.
    Contract,
}

impl Delegation {
    pub(crate) fn of(code: &[u8], sweeper: Address) -> Self {
        match code {
            [] => Self::None,
            [0xef, 0x01, 0x00, target @ ..] if target == sweeper.as_slice() => Self::ToSweeper,
            [0xef, 0x01, 0x00, target @ ..] if target.len() == 20 => Self::Elsewhere,
            _ => Self::Contract,
        }
    }

    pub(crate) fn needs_authorization(self) -> bool {
        matches!(self, Self::None | Self::Elsewhere)
    }
}

/// A token of the plan: a catalogue token, or the native coin (`contract` `None`).
#[derive(Debug, Clone)]
pub(crate) struct Asset {
    pub(crate) symbol: String,
    pub(crate) contract: Option<Address>,
    pub(crate) decimals: u8,
    /// The token takes EIP-3009 `transferWithAuthorization` (only used without EIP-7702).
    pub(crate) relay: bool,
}

/// What one session's deposit address holds now.
#[derive(Debug, Clone)]
pub(crate) struct Holding {
    pub(crate) session: String,
    pub(crate) index: u32,
    pub(crate) address: Address,
    /// Per catalogue token of the plan, in the plan's order.
    pub(crate) tokens: Vec<U256>,
    pub(crate) native: U256,
    pub(crate) delegation: Delegation,
    /// The chain's estimate of its gas; `None` until estimated (the measured constants apply).
    pub(crate) estimate: Option<Estimate>,
    /// Kasse still reads its native balance: a gas top-up would be recorded as a payment.
    pub(crate) native_watched: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Prices {
    /// Wei per gas now.
    pub(crate) gas_price: U256,
    /// 10⁻⁸ dollars per whole native coin; `None` when the worker has no reading.
    pub(crate) native_usd: Option<U256>,
    /// 10⁻⁸ dollars; an address worth less is skipped.
    pub(crate) min_usd: U256,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    Sweep,
    Skip(String),
}

#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub(crate) holding: Holding,
    /// How its money moves: `7702`, or `eip-3009`, `top-up`, `own-gas` joined by `+`.
    pub(crate) path: String,
    /// Without EIP-7702: its native coin pays the gas of its own transfers (no top-up).
    pub(crate) self_funded: bool,
    /// Its share of the gas, in units and in wei.
    pub(crate) gas_units: u64,
    pub(crate) gas: U256,
    pub(crate) gas_usd: Option<U256>,
    /// What it holds in dollars; `None` when it holds native coin and there is no price.
    pub(crate) worth_usd: Option<U256>,
    pub(crate) decision: Decision,
}

#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub(crate) chain_id: u64,
    pub(crate) route: Route,
    pub(crate) chain_name: String,
    /// Catalogue tokens swept, in the order of each holding's `tokens`.
    pub(crate) tokens: Vec<Asset>,
    pub(crate) native: Asset,
    pub(crate) native_selected: bool,
    pub(crate) prices: Prices,
    pub(crate) rows: Vec<Row>,
    /// Why the gas comes from measured constants rather than the chain's estimate, if it does.
    pub(crate) gas_note: Option<String>,
}

impl Plan {
    pub(crate) fn to_sweep(&self) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(|r| r.decision == Decision::Sweep)
    }

    /// The same plan decided again with the chain's estimates of each address's gas.
    pub(crate) fn estimated(self, mut estimates: impl FnMut(&Holding) -> Option<Estimate>) -> Self {
        let holdings = self
            .rows
            .into_iter()
            .map(|r| {
                let mut holding = r.holding;
                holding.estimate = estimates(&holding).or(holding.estimate);
                holding
            })
            .collect();
        build(
            Facts {
                chain_id: self.chain_id,
                chain_name: &self.chain_name,
                route: self.route,
                tokens: self.tokens,
                native: self.native,
                native_selected: self.native_selected,
            },
            holdings,
            &self.prices,
        )
    }
}

/// What a plan knows of the chain, besides the holdings and prices.
pub(crate) struct Facts<'a> {
    pub(crate) chain_id: u64,
    pub(crate) chain_name: &'a str,
    pub(crate) route: Route,
    pub(crate) tokens: Vec<Asset>,
    pub(crate) native: Asset,
    pub(crate) native_selected: bool,
}

/// An address's gas and path on `route`: the chain's estimate where there is one, else the
/// measured constants. Without EIP-7702 an address pays its own gas when its native coin
/// covers all its transfers; otherwise each token transfer gets a top-up first and the native
/// coin (what an earlier top-up left) stays.
fn cost(route: Route, tokens: &[Asset], holding: &Holding, gas_price: U256) -> (Cost, String) {
    if route == Route::Eip7702 {
        let units = match holding.estimate {
            Some(Estimate::Batch(units)) => units,
            _ => GAS_PER_ADDRESS,
        };
        let cost = Cost {
            units,
            self_funded: false,
        };
        return (cost, "7702".into());
    }
    let held = |relay: bool| {
        holding
            .tokens
            .iter()
            .zip(tokens)
            .filter(move |(a, t)| !a.is_zero() && t.relay == relay)
            .count()
    };
    let (relayed, sent) = (held(true), held(false));
    let (relay, transfers, native) = match &holding.estimate {
        Some(Estimate::Transfers {
            relay,
            tokens,
            native,
        }) => (*relay, tokens.clone(), *native),
        _ => (
            RELAY_GAS.saturating_mul(relayed as u64),
            vec![TOKEN_TRANSFER_GAS; sent],
            if holding.native.is_zero() {
                0
            } else {
                NATIVE_TRANSFER_GAS
            },
        ),
    };
    let own: u64 = transfers.iter().sum::<u64>().saturating_add(native);
    let self_funded =
        !holding.native.is_zero() && holding.native > gas_price.saturating_mul(U256::from(own));
    let units = if self_funded {
        relay.saturating_add(own)
    } else if sent == 0 && relayed == 0 {
        // Only native coin too little for its own transfer (what a top-up left): its cost is
        // that transfer, which the plan then finds not worth it.
        native
    } else {
        let top_ups = NATIVE_TRANSFER_GAS.saturating_mul(transfers.len() as u64);
        relay
            .saturating_add(transfers.iter().sum())
            .saturating_add(top_ups)
    };
    let mut parts: Vec<&str> = Vec::new();
    if relayed > 0 {
        parts.push("eip-3009");
    }
    if self_funded || (sent == 0 && relayed == 0) {
        parts.push("own-gas");
    } else if sent > 0 {
        parts.push("top-up");
    }
    (Cost { units, self_funded }, parts.join("+"))
}

/// Catalogue tokens are US-dollar stablecoins: one whole token is one dollar.
fn token_usd(amount: U256, decimals: u8) -> U256 {
    rescale(amount, decimals, USD_DECIMALS)
}

fn native_usd(wei: U256, decimals: u8, price: U256) -> Option<U256> {
    let scale = U256::from(10u8).checked_pow(U256::from(decimals))?;
    Some(wei.checked_mul(price)? / scale)
}

/// `amount` of `from` decimals in `to` decimals, cut (never rounded up).
fn rescale(amount: U256, from: u8, to: u8) -> U256 {
    let ten = U256::from(10u8);
    if from >= to {
        amount / ten.pow(U256::from(from - to))
    } else {
        amount.saturating_mul(ten.pow(U256::from(to - from)))
    }
}

/// Builds the plan from each holding: an address holding nothing of the plan's assets is no
/// row; the others are swept unless worth less than `min_usd` or than their gas.
pub(crate) fn build(facts: Facts<'_>, holdings: Vec<Holding>, prices: &Prices) -> Plan {
    let Facts {
        chain_id,
        chain_name,
        route,
        tokens,
        native,
        native_selected,
    } = facts;
    let rows = holdings
        .into_iter()
        .filter(|h| {
            h.tokens.iter().any(|a| !a.is_zero()) || (native_selected && !h.native.is_zero())
        })
        .map(|holding| {
            let (cost, path) = cost(route, &tokens, &holding, prices.gas_price);
            let gas = prices.gas_price.saturating_mul(U256::from(cost.units));
            let gas_usd = prices
                .native_usd
                .and_then(|p| native_usd(gas, native.decimals, p));
            let tokens_usd = holding
                .tokens
                .iter()
                .zip(&tokens)
                .fold(U256::ZERO, |sum, (amount, t)| {
                    sum.saturating_add(token_usd(*amount, t.decimals))
                });
            let worth_usd = if holding.native.is_zero() {
                Some(tokens_usd)
            } else {
                prices
                    .native_usd
                    .and_then(|p| native_usd(holding.native, native.decimals, p))
                    .map(|n| n.saturating_add(tokens_usd))
            };
            let decision = if holding.native_watched && !cost.self_funded && path.contains("top-up")
            {
                // The watcher reads this address's native balance until `late_until`: a top-up
                // would show as a payment to the session (and an event to the merchant).
                Decision::Skip(
                    "needs a gas top-up, which Kasse would record as a payment until late_until"
                        .into(),
                )
            } else {
                decide(&holding, worth_usd, gas, gas_usd, prices.min_usd)
            };
            Row {
                holding,
                path,
                self_funded: cost.self_funded,
                gas_units: cost.units,
                gas,
                gas_usd,
                worth_usd,
                decision,
            }
        })
        .collect();
    Plan {
        chain_id,
        route,
        chain_name: chain_name.to_owned(),
        tokens,
        native,
        native_selected,
        prices: prices.clone(),
        rows,
        gas_note: None,
    }
}

fn decide(
    holding: &Holding,
    worth_usd: Option<U256>,
    gas: U256,
    gas_usd: Option<U256>,
    min_usd: U256,
) -> Decision {
    if holding.delegation == Delegation::Contract {
        return Decision::Skip("holds contract code".into());
    }
    if let Some(worth) = worth_usd {
        if worth < min_usd {
            return Decision::Skip(format!(
                "worth {} USD, below --min-usd {}",
                usd(worth),
                usd(min_usd)
            ));
        }
        if let Some(gas_usd) = gas_usd
            && worth <= gas_usd
        {
            return Decision::Skip(format!(
                "worth {} USD, not more than its gas ({} USD)",
                usd(worth),
                usd(gas_usd)
            ));
        }
    }
    // Without a native price, an address holding only native coin is compared in wei.
    let tokens_empty = holding.tokens.iter().all(|a| a.is_zero());
    if gas_usd.is_none() && tokens_empty && holding.native <= gas {
        return Decision::Skip("holds less native coin than its gas".into());
    }
    Decision::Sweep
}

fn usd(amount: U256) -> String {
    format_units(amount, USD_DECIMALS)
}

fn opt_usd(amount: Option<U256>) -> String {
    amount.map_or_else(|| "?".into(), usd)
}

/// The plan as the merchant reads it: one row per address, then the totals.
pub(crate) fn render(plan: &Plan, treasury: Address, sweeper: Address) -> String {
    let mut out = String::new();
    let how = match plan.route {
        Route::Eip7702 => format!("through sweeper {sweeper}"),
        Route::Transfers => {
            "by EIP-3009 relays, gas top-ups and transfers (no EIP-7702 on this chain)".to_owned()
        }
    };
    let _ = writeln!(
        out,
        "Sweep plan for chain {} ({}) to treasury {treasury} {how}",
        plan.chain_id, plan.chain_name
    );
    if plan.rows.is_empty() {
        let _ = writeln!(
            out,
            "Nothing to sweep: no final session's deposit address holds anything."
        );
        return out;
    }
    let native = &plan.native.symbol;
    let mut header: Vec<String> = vec!["SESSION".into(), "INDEX".into(), "ADDRESS".into()];
    header.extend(plan.tokens.iter().map(|t| t.symbol.clone()));
    header.extend([
        native.clone(),
        "PATH".into(),
        format!("GAS_{native}"),
        "GAS_USD".into(),
        "ACTION".into(),
    ]);
    let mut table = vec![header];
    for row in &plan.rows {
        let h = &row.holding;
        let mut cells = vec![
            h.session.clone(),
            h.index.to_string(),
            h.address.to_string(),
        ];
        cells.extend(
            h.tokens
                .iter()
                .zip(&plan.tokens)
                .map(|(a, t)| format_units(*a, t.decimals)),
        );
        cells.extend([
            format_units(h.native, plan.native.decimals),
            row.path.clone(),
            format_units(row.gas, plan.native.decimals),
            opt_usd(row.gas_usd),
            match &row.decision {
                Decision::Sweep => "sweep".into(),
                Decision::Skip(why) => format!("skip: {why}"),
            },
        ]);
        table.push(cells);
    }
    let widths: Vec<usize> = (0..table[0].len())
        .map(|c| {
            table
                .iter()
                .map(|r| r[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for cells in &table {
        let last = cells.len() - 1;
        let line: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i == last {
                    c.clone()
                } else {
                    format!("{c:<w$}", w = widths[i])
                }
            })
            .collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
    }
    out.push_str(&totals(plan));
    if plan.to_sweep().next().is_none() {
        let _ = writeln!(
            out,
            "Nothing to sweep: every address holding something is skipped."
        );
    }
    out
}

fn totals(plan: &Plan) -> String {
    let swept: Vec<&Row> = plan.to_sweep().collect();
    let skipped = plan.rows.len() - swept.len();
    let mut parts: Vec<String> = plan
        .tokens
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let sum = swept
                .iter()
                .fold(U256::ZERO, |s, r| s.saturating_add(r.holding.tokens[i]));
            format!("{} {}", format_units(sum, t.decimals), t.symbol)
        })
        .collect();
    let native_sum = swept
        .iter()
        .fold(U256::ZERO, |s, r| s.saturating_add(r.holding.native));
    parts.push(format!(
        "{} {}",
        format_units(native_sum, plan.native.decimals),
        plan.native.symbol
    ));
    let gas = swept
        .iter()
        .fold(U256::ZERO, |s, r| s.saturating_add(r.gas));
    let gas_usd = swept
        .iter()
        .try_fold(U256::ZERO, |s, r| r.gas_usd.map(|g| s.saturating_add(g)));
    let worth = swept
        .iter()
        .try_fold(U256::ZERO, |s, r| r.worth_usd.map(|w| s.saturating_add(w)));
    let authorizations = swept
        .iter()
        .filter(|r| plan.route == Route::Eip7702 && r.holding.delegation.needs_authorization())
        .count();
    let units = swept.iter().map(|r| r.gas_units).sum::<u64>();
    let source = match &plan.gas_note {
        _ if swept.iter().all(|r| r.holding.estimate.is_some()) => {
            "estimated by the chain".to_owned()
        }
        None => "from measured figures".to_owned(),
        Some(why) => format!("from measured figures, the chain could not estimate it: {why}"),
    };
    format!(
        "Total to sweep: {} addresses ({authorizations} to authorize), {} (worth {} USD); \
         gas about {} {} ({} USD)\nGas: {units} units, {source}\nSkipped: {skipped} addresses\n",
        swept.len(),
        parts.join(", "),
        opt_usd(worth),
        format_units(gas, plan.native.decimals),
        plan.native.symbol,
        opt_usd(gas_usd),
    )
}

#[cfg(test)]
mod tests;
