//! The overview: what was received today, in 7 and in 30 days per chain and token (summed
//! exactly from the payments export, so it equals the sum of the export's rows), sessions by
//! status (from the sessions export), what is still at deposit addresses, the chains and the
//! watcher, the webhook endpoints that are failing, and the refunds waiting to be sent.

use kasse_shared::time::Timestamp;
use yew::prelude::*;

use crate::api::{Api, ApiError, query};
use crate::clock;
use crate::components::{Alert, DataTable, MoneyCell, Page, StatusBadge, Time};
use crate::csv::Table;
use crate::figures::{self, Received, Starts, Window};
use crate::hooks::{Load, use_console, use_load};
use crate::objects::{
    Balances, ChainObject, DeliveryObject, EndpointObject, Health, List, RefundObject, Watcher,
};
use crate::route::{RefundsQuery, Route, SessionsQuery};

const MONTH: u64 = 30 * 86_400;
/// The cron runs every minute: ten minutes without a run means it is not running.
const WATCHER_LATE_SECS: u64 = 600;

/// The received table and the balances it was completed with.
struct Money {
    received: Vec<Received>,
    balances: Balances,
}

struct ChainsAndWatcher {
    chains: Vec<ChainObject>,
    health: Health,
}

/// An endpoint whose recent deliveries are failing, and its latest failure.
struct Failing {
    endpoint: EndpointObject,
    delivery: DeliveryObject,
}

async fn load_money(api: Api) -> Result<Money, ApiError> {
    let now = clock::now();
    let starts = Starts::at(now, clock::local_midnight());
    let since = now.saturating_sub(MONTH).to_string();
    let csv = api
        .get_text(&format!(
            "/v1/exports/payments.csv{}",
            query(&[("created[gte]", &since)])
        ))
        .await?;
    let bad = |e: crate::csv::CsvError| {
        ApiError::local(format!("The payments export could not be read: {}", e.0))
    };
    let received = figures::received(&Table::parse(&csv).map_err(bad)?, &starts).map_err(bad)?;
    let balances: Balances = api.get("/v1/balances").await?;
    let received = figures::with_options(
        received,
        balances
            .data
            .iter()
            .map(|b| (b.chain_id, b.chain.as_str(), b.token.as_str(), b.decimals)),
    );
    Ok(Money { received, balances })
}

async fn load_statuses(api: Api) -> Result<Vec<(String, u64)>, ApiError> {
    let since = clock::now().saturating_sub(MONTH).to_string();
    let csv = api
        .get_text(&format!(
            "/v1/exports/sessions.csv{}",
            query(&[("created[gte]", &since)])
        ))
        .await?;
    Table::parse(&csv)
        .and_then(|t| figures::by_status(&t))
        .map_err(|e| ApiError::local(format!("The sessions export could not be read: {}", e.0)))
}

async fn load_chains(api: Api) -> Result<ChainsAndWatcher, ApiError> {
    let chains: List<ChainObject> = api.get("/v1/chains").await?;
    let health: Health = api.get("/v1/health").await?;
    Ok(ChainsAndWatcher {
        chains: chains.data,
        health,
    })
}

/// Endpoints whose recent deliveries failed for good, or are being retried after a failure.
async fn load_failing(api: Api) -> Result<Vec<Failing>, ApiError> {
    let endpoints: List<EndpointObject> = api
        .get(&format!(
            "/v1/webhook_endpoints{}",
            query(&[("limit", "100")])
        ))
        .await?;
    let recent = endpoints
        .data
        .into_iter()
        .filter(|e| e.enabled)
        .map(|endpoint| {
            let api = api.clone();
            async move {
                let path = format!(
                    "/v1/webhook_endpoints/{}/deliveries{}",
                    endpoint.id,
                    query(&[("limit", "10")])
                );
                let deliveries: List<DeliveryObject> = api.get(&path).await?;
                let failing = deliveries.data.into_iter().find(|d| {
                    d.status == "failed"
                        || (d.status == "pending"
                            && d.attempts.last().is_some_and(|a| !a.succeeded()))
                });
                Ok::<_, ApiError>(failing.map(|delivery| Failing { endpoint, delivery }))
            }
        });
    let found = futures_util::future::join_all(recent).await;
    found.into_iter().filter_map(Result::transpose).collect()
}

/// The most pending refunds counted one by one; past it the figure says "100+".
const REFUNDS_COUNTED: usize = 100;

/// How many refunds have their address and wait for the merchant to send them, and
/// whether there are more than were counted.
async fn load_to_send(api: Api) -> Result<(usize, bool), ApiError> {
    let limit = REFUNDS_COUNTED.to_string();
    let pending: List<RefundObject> = api
        .get(&format!(
            "/v1/refunds{}",
            query(&[("status", "pending"), ("limit", &limit)])
        ))
        .await?;
    Ok((pending.data.len(), pending.has_more))
}

#[function_component(Overview)]
pub fn overview() -> Html {
    let api = use_console().api;
    let money = use_load(api.clone(), load_money);
    let statuses = use_load(api.clone(), load_statuses);
    let chains = use_load(api.clone(), load_chains);
    let failing = use_load(api.clone(), load_failing);
    let to_send = use_load(api, load_to_send);
    let loaded = to_send.state.is_done()
        && money.state.is_done()
        && statuses.state.is_done()
        && chains.state.is_done()
        && failing.state.is_done();
    html! {
        <Page name="overview" title="Overview" {loaded}>
            <section class="panel" aria-labelledby="received-title">
                <h2 id="received-title">{ "Received" }</h2>
                <p class="muted">
                    { "Confirmed payments that count towards their session, by when they were mined: \
                       today (since local midnight), the last 7 and the last 30 days." }
                </p>
                { received_view(&money.state) }
            </section>
            <section class="panel" aria-labelledby="to-send-title">
                <h2 id="to-send-title">{ "Refunds to send" }</h2>
                { to_send_view(&to_send.state) }
            </section>
            <section class="panel" aria-labelledby="status-title">
                <h2 id="status-title">{ "Sessions by status (last 30 days)" }</h2>
                { statuses_view(&statuses.state) }
            </section>
            <section class="panel" aria-labelledby="balances-title">
                <h2 id="balances-title">{ "At deposit addresses" }</h2>
                <p class="muted">{ "Confirmed payments not yet moved out by a sweep." }</p>
                { balances_view(&money.state) }
            </section>
            <section class="panel" aria-labelledby="chains-title">
                <h2 id="chains-title">{ "Chains" }</h2>
                { chains_view(&chains.state) }
            </section>
            <section class="panel" aria-labelledby="webhooks-title">
                <h2 id="webhooks-title">{ "Failing webhook endpoints" }</h2>
                { failing_view(&failing.state) }
            </section>
        </Page>
    }
}

fn received_view(state: &Load<Money>) -> Html {
    let Some(money) = state.ready() else {
        return html! { <Alert error={state.error().cloned()} /> };
    };
    const COLUMNS: &[&str] = &["Chain", "Token", "Today", "7 days", "30 days"];
    html! {
        <DataTable label="Received per chain and token" testid="received" columns={COLUMNS}
            empty="Nothing received yet.">
            { for money.received.iter().map(|row| html! {
                <tr data-chain-id={row.chain_id.to_string()} data-token={row.token.clone()}>
                    <td>{ &row.chain }</td>
                    <td>{ &row.token }</td>
                    { for Window::ALL.iter().map(|w| html! {
                        <MoneyCell window={w.name()} base_units={row.sum(*w).to_owned()}
                            formatted={row.formatted(*w)} />
                    }) }
                </tr>
            }) }
        </DataTable>
    }
}

fn to_send_view(state: &Load<(usize, bool)>) -> Html {
    let Some((count, more)) = state.ready().copied() else {
        return html! { <Alert error={state.error().cloned()} /> };
    };
    let href = Route::Refunds(RefundsQuery {
        status: Some("pending".to_owned()),
        session: None,
    })
    .to_hash();
    let figure = if more {
        format!("{count}+")
    } else {
        count.to_string()
    };
    let said = match (count, more) {
        (0, _) => "No refund is waiting to be sent.".to_owned(),
        (1, false) => "1 refund has its address and waits for you to send it.".to_owned(),
        _ => format!("{figure} refunds have their address and wait for you to send them."),
    };
    html! {
        <p data-testid="refunds-to-send" data-count={count.to_string()}>
            <strong>{ figure }</strong>{ " " }
            <a href={href}>{ said }</a>
        </p>
    }
}

fn statuses_view(state: &Load<Vec<(String, u64)>>) -> Html {
    let Some(counts) = state.ready() else {
        return html! { <Alert error={state.error().cloned()} /> };
    };
    if counts.is_empty() {
        return html! { <p class="muted" data-testid="by-status">{ "No sessions in the last 30 days." }</p> };
    }
    html! {
        <ul class="stats" data-testid="by-status">
            { for counts.iter().map(|(status, count)| {
                let href = Route::Sessions(SessionsQuery {
                    status: Some(status.clone()),
                    ..SessionsQuery::default()
                })
                .to_hash();
                html! {
                    <li data-status={status.clone()} data-count={count.to_string()}>
                        <strong>{ count }</strong>
                        <a href={href}><StatusBadge status={status.clone()} /></a>
                    </li>
                }
            }) }
        </ul>
    }
}

fn balances_view(state: &Load<Money>) -> Html {
    let Some(money) = state.ready() else {
        return html! { <Alert error={state.error().cloned()} /> };
    };
    const COLUMNS: &[&str] = &[
        "Chain",
        "Token",
        "At deposit addresses",
        "Received",
        "Swept",
    ];
    html! {
        <DataTable label="Balances at deposit addresses" testid="balances" columns={COLUMNS}
            empty="Nothing has been received at a deposit address yet.">
            { for money.balances.data.iter().map(|b| html! {
                <tr data-chain-id={b.chain_id.to_string()} data-token={b.token.clone()}>
                    <td>{ &b.chain }</td>
                    <td>{ &b.token }</td>
                    <MoneyCell base_units={b.at_deposit_addresses.clone()} formatted={b.at_deposit_addresses_formatted.clone()} />
                    <MoneyCell base_units={b.received.clone()} formatted={b.received_formatted.clone()} />
                    <MoneyCell base_units={b.swept.clone()} formatted={b.swept_formatted.clone()} />
                </tr>
            }) }
        </DataTable>
    }
}

fn chains_view(state: &Load<ChainsAndWatcher>) -> Html {
    let Some(found) = state.ready() else {
        return html! { <Alert error={state.error().cloned()} /> };
    };
    const COLUMNS: &[&str] = &[
        "Chain",
        "Chain id",
        "Confirmations",
        "Tokens",
        "Native price (USD)",
        "Watcher",
        "Explorer",
    ];
    let watcher = watcher_note(found.health.last_scheduled_run.as_deref());
    html! {
        <>
            { watcher }
            <DataTable label="Chains served in this mode" testid="chains" columns={COLUMNS}
                empty="No chain is served in this mode.">
                { for found.chains.iter().map(|c| html! {
                    <tr data-chain-id={c.chain_id.to_string()}>
                        <td>{ &c.name }</td>
                        <td>{ c.chain_id }</td>
                        <td class="num">{ c.min_confirmations }</td>
                        <td>{ chain_tokens(c) }</td>
                        <td>{ c.native_usd_price.clone().unwrap_or_else(|| "—".to_owned()) }</td>
                        <td>{ watcher_cell(c.watcher.as_ref()) }</td>
                        <td>{ match &c.explorer_url {
                            Some(url) => html! { <a href={url.clone()} target="_blank" rel="noopener noreferrer">{ url }</a> },
                            None => html! { <span class="muted">{ "none (local)" }</span> },
                        } }</td>
                    </tr>
                }) }
            </DataTable>
        </>
    }
}

/// When the watcher last ran; a warning (not an error: nothing failed here) when it has not
/// run for a while, since no payment is detected until it does.
fn watcher_note(last_run: Option<&str>) -> Html {
    let since = last_run
        .and_then(Timestamp::parse_rfc3339)
        .map(|t| clock::now().saturating_sub(t.0));
    match (last_run, since) {
        (Some(at), Some(secs)) if secs <= WATCHER_LATE_SECS => html! {
            <p data-testid="watcher">{ "The watcher last ran at " }<Time at={at.to_owned()} />{ "." }</p>
        },
        (Some(at), _) => html! {
            <p class="warning" data-testid="watcher">
                { "The watcher last ran at " }<Time at={at.to_owned()} />
                { ", over 10 minutes ago: new payments are not detected until it runs again." }
            </p>
        },
        (None, _) => html! {
            <p class="warning" data-testid="watcher">{ "The watcher has not run yet: no payment is detected until it does." }</p>
        },
    }
}

/// The watcher on one chain: its state, and how far behind the head its scan is.
fn watcher_cell(watcher: Option<&Watcher>) -> Html {
    let Some(w) = watcher else {
        return html! { "—" };
    };
    let position = match (w.head, w.lag) {
        (Some(head), Some(lag)) => format!(" block {head}, {lag} behind"),
        (Some(head), None) => format!(" block {head}"),
        _ => String::new(),
    };
    html! { <><StatusBadge status={w.status.clone()} />{ position }</> }
}

fn chain_tokens(chain: &ChainObject) -> String {
    std::iter::once(chain.native_symbol.as_str())
        .chain(chain.tokens.iter().map(|t| t.symbol.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn failing_view(state: &Load<Vec<Failing>>) -> Html {
    let Some(failing) = state.ready() else {
        return html! { <Alert error={state.error().cloned()} /> };
    };
    const COLUMNS: &[&str] = &["Endpoint", "Delivery", "Last attempt", "Next attempt"];
    html! {
        <DataTable label="Failing webhook endpoints" testid="failing-endpoints" columns={COLUMNS}
            empty="Every enabled endpoint is receiving its webhooks.">
            { for failing.iter().map(|f| {
                let last = f.delivery.attempts.last();
                html! {
                    <tr data-endpoint-id={f.endpoint.id.clone()}>
                        <td><a href="#/webhooks">{ &f.endpoint.url }</a></td>
                        <td><StatusBadge status={f.delivery.status.clone()} /></td>
                        <td>{ match last {
                            Some(a) => html! { <><Time at={a.at.clone()} />{ " — " }{ a.outcome() }</> },
                            None => html! { "—" },
                        } }</td>
                        <td>{ match &f.delivery.next_attempt_at {
                            Some(at) => html! { <Time at={at.clone()} /> },
                            None => html! { "—" },
                        } }</td>
                    </tr>
                }
            }) }
        </DataTable>
    }
}
