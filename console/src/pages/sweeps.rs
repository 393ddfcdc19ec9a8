//! Sweeps: the transactions `kasse` reported as moving money out of deposit addresses, as
//! the watcher verified them (status, chain, transaction with its explorer link, every
//! transfer), and what is still at deposit addresses per chain and token.

use serde::Deserialize;
use yew::prelude::*;

use crate::api::{Api, ApiError, query};
use crate::components::{
    Alert, CursorPager, DataTable, HashLink, MoneyCell, Page, StatusBadge, Time, address_url,
    tx_url,
};
use crate::hooks::{use_console, use_load};
use crate::objects::{Balances, ChainObject, List, explorer};
use crate::route::Route;

#[derive(Debug, Clone, PartialEq, Deserialize)]
struct Transfer {
    session: String,
    address: String,
    to: String,
    token: String,
    amount: String,
    amount_formatted: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
struct Sweep {
    id: String,
    status: String,
    chain_id: u64,
    chain: String,
    tx_hash: String,
    block_number: Option<u64>,
    failure_message: Option<String>,
    #[serde(default)]
    transfers: Vec<Transfer>,
    created_at: String,
    verified_at: Option<String>,
}

/// What the page reads once: the chains (for explorer links) and the balances.
struct Context {
    chains: Vec<ChainObject>,
    balances: Balances,
}

async fn context(api: Api) -> Result<Context, ApiError> {
    let chains = api.get::<List<ChainObject>>("/v1/chains").await?.data;
    let balances = api.get::<Balances>("/v1/balances").await?;
    Ok(Context { chains, balances })
}

const PAGE_SIZE: &str = "20";
const STATUSES: [&str; 3] = ["pending", "succeeded", "failed"];
const SWEEP_COLUMNS: &[&str] = &[
    "Sweep",
    "Status",
    "Chain",
    "Transaction",
    "Transfers",
    "Reported",
    "Verified",
];
const BALANCE_COLUMNS: &[&str] = &[
    "Chain",
    "Token",
    "Received",
    "Swept",
    "At deposit addresses",
];

#[function_component(Sweeps)]
pub fn sweeps() -> Html {
    let console = use_console();
    let status = use_state(String::new);
    // The page after a sweep (older); `None` is the newest page.
    let after = use_state(|| None::<String>);
    let known = use_load(console.api.clone(), context);
    let list = use_load(
        (console.api, (*status).clone(), (*after).clone()),
        |(api, status, after)| async move {
            let after = after.as_deref().unwrap_or_default();
            let path = format!(
                "/v1/sweeps{}",
                query(&[
                    ("limit", PAGE_SIZE),
                    ("status", &status),
                    ("starting_after", after)
                ])
            );
            api.get::<List<Sweep>>(&path).await
        },
    );
    let on_status = {
        let (status, after) = (status.clone(), after.clone());
        Callback::from(move |e: Event| {
            status.set(
                e.target_unchecked_into::<web_sys::HtmlSelectElement>()
                    .value(),
            );
            after.set(None);
        })
    };
    let chains: &[ChainObject] = known.state.ready().map_or(&[], |k| k.chains.as_slice());
    let next = list
        .state
        .ready()
        .filter(|l| l.has_more)
        .and_then(|l| l.data.last())
        .map(|last| last.id.clone());
    html! {
        <Page name="sweeps" title="Sweeps" loaded={known.state.is_done() && list.state.is_done()}>
            <p class="muted">
                { "kasse, the command-line tool you run on your own machine, moves payments from deposit addresses \
                   to your treasury and reports each transaction here; the watcher verifies it from its receipt." }
            </p>
            <Alert error={known.state.error().cloned()} />
            <h2 id="balances-title">{ "Still at deposit addresses" }</h2>
            if let Some(known) = known.state.ready() {
                { balances(&known.balances) }
            }
            <h2>{ "Reported sweeps" }</h2>
            <div class="fields">
                <div class="field narrow">
                    <label for="sweeps-status">{ "Status" }</label>
                    <select id="sweeps-status" onchange={on_status}>
                        <option value="" selected={status.is_empty()}>{ "Any" }</option>
                        { for STATUSES.iter().map(|s| html! {
                            <option value={*s} selected={*status == *s}>{ *s }</option>
                        }) }
                    </select>
                </div>
            </div>
            <Alert error={list.state.error().cloned()} />
            if let Some(page) = list.state.ready() {
                <DataTable label="Sweeps" columns={SWEEP_COLUMNS} empty="No sweeps reported yet.">
                    { for page.data.iter().map(|s| row(s, explorer(chains, s.chain_id))) }
                </DataTable>
            }
            <CursorPager label="Sweep pages" {after} {next} />
        </Page>
    }
}

fn balances(balances: &Balances) -> Html {
    html! {
        <DataTable label="Balances at deposit addresses" testid="balances" columns={BALANCE_COLUMNS}
            empty="Nothing received yet.">
            { for balances.data.iter().map(|b| html! {
                <tr key={format!("{}/{}", b.chain_id, b.token)} data-chain-id={b.chain_id.to_string()} data-token={b.token.clone()}>
                    <td>{ b.chain.clone() }</td>
                    <td>{ b.token.clone() }</td>
                    <MoneyCell base_units={b.received.clone()} formatted={b.received_formatted.clone()} />
                    <MoneyCell base_units={b.swept.clone()} formatted={b.swept_formatted.clone()} />
                    <MoneyCell base_units={b.at_deposit_addresses.clone()}
                        formatted={b.at_deposit_addresses_formatted.clone()} />
                </tr>
            }) }
        </DataTable>
    }
}

fn row(sweep: &Sweep, explorer: Option<&str>) -> Html {
    html! {
        <tr key={sweep.id.clone()} data-sweep-id={sweep.id.clone()} data-status={sweep.status.clone()}>
            <td><code>{ sweep.id.clone() }</code></td>
            <td class="wrap">
                <StatusBadge status={sweep.status.clone()} />
                if let Some(why) = &sweep.failure_message {
                    <div class="muted">{ why.clone() }</div>
                }
            </td>
            <td>{ sweep.chain.clone() }</td>
            <td class="wrap">
                <HashLink value={sweep.tx_hash.clone()} href={tx_url(explorer, &sweep.tx_hash)} />
                if let Some(block) = sweep.block_number {
                    <div class="muted">{ format!("Block {block}") }</div>
                }
            </td>
            <td class="wrap">
                if sweep.transfers.is_empty() {
                    <span class="muted">{ "—" }</span>
                } else {
                    <ul class="bare transfers">{ for sweep.transfers.iter().map(|t| transfer(t, explorer)) }</ul>
                }
            </td>
            <td><Time at={sweep.created_at.clone()} /></td>
            <td>
                if let Some(at) = &sweep.verified_at {
                    <Time at={at.clone()} />
                } else {
                    { "—" }
                }
            </td>
        </tr>
    }
}

fn transfer(transfer: &Transfer, explorer: Option<&str>) -> Html {
    let session = Route::Session(transfer.session.clone()).to_hash();
    html! {
        <li data-base-units={transfer.amount.clone()} data-token={transfer.token.clone()}>
            <strong>{ format!("{} {}", transfer.amount_formatted, transfer.token) }</strong>
            { " from " }<HashLink value={transfer.address.clone()} href={address_url(explorer, &transfer.address)} />
            { " to " }<HashLink value={transfer.to.clone()} href={address_url(explorer, &transfer.to)} />
            { " · session " }<a href={session}><code>{ transfer.session.clone() }</code></a>
        </li>
    }
}
