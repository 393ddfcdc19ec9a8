//! One session, everything about it: the facts, its timeline from its events (each with its
//! time, version and webhook deliveries, which can be sent again), its payments with
//! confirmations and explorer links, what sweeps moved out of its address, and the session
//! object itself, and its refunds. "Cancel session", "Check now" and "Refund" act on it.

mod refund_draft;
mod refund_form;

use std::collections::HashMap;

use gloo_timers::callback::Timeout;
use serde::de::IgnoredAny;
use yew::prelude::*;

use crate::api::{self, Api, ApiError, query};
use crate::components::{
    Alert, DataTable, HashLink, MoneyCell, Page, StatusBadge, Time, address_url, tx_url,
};
use crate::hooks::{use_console, use_load, use_task};
use crate::money;
use crate::objects::{
    ChainObject, DeliveryObject, EndpointObject, EventObject, List, PaymentObject, RefundObject,
    SessionObject, catalogue_decimals, explorer,
};
use crate::route::{Route, encode};

use super::refunds::status_cell;
use refund_form::{PaymentChoice, RefundForm, Selected};

/// The session and all the page shows with it.
struct Found {
    session: SessionObject,
    /// The session object as the API sent it, indented.
    snapshot: String,
    /// Oldest first.
    events: Vec<EventObject>,
    chains: Vec<ChainObject>,
    endpoints: Vec<EndpointObject>,
    /// Per event id, its deliveries to every endpoint.
    deliveries: HashMap<String, Vec<DeliveryObject>>,
    /// Newest first.
    refunds: Vec<RefundObject>,
}

impl Found {
    fn explorer(&self, chain_id: u64) -> Option<&str> {
        explorer(&self.chains, chain_id)
    }

    fn decimals(&self, chain_id: u64, token: &str) -> Option<u8> {
        self.session
            .decimals_of(chain_id, token)
            .or_else(|| catalogue_decimals(&self.chains, chain_id, token))
    }

    /// A payment's amount in whole tokens (in base units when the decimals are unknown).
    fn amount(&self, p: &PaymentObject) -> String {
        self.decimals(p.chain_id, &p.token)
            .and_then(|d| money::format_units(&p.amount, d))
            .map_or_else(
                || format!("{} base units", p.amount),
                |a| format!("{a} {}", p.token),
            )
    }

    fn chain_name(&self, chain_id: u64) -> String {
        self.chains
            .iter()
            .find(|c| c.chain_id == chain_id)
            .map_or_else(|| format!("Chain {chain_id}"), |c| c.name.clone())
    }

    /// What the Refund form refunds in by default: the selected token, what is left of it.
    fn selected(&self) -> Option<Selected> {
        let s = &self.session;
        let amount = s.payment_amount.as_ref()?;
        Some(Selected {
            token: amount.token.clone(),
            decimals: amount.decimals,
            chain: self.chain_name(s.chain_id?),
            refundable: refund_draft::refundable(s, &self.refunds)?,
            excess: Some(s.amount_excess.clone())
                .filter(|e| money::is_base_units(e))
                .unwrap_or_else(|| "0".to_owned()),
        })
    }

    /// Every recorded payment, counted or not, as the Refund form lists them.
    fn payment_choices(&self) -> Vec<PaymentChoice> {
        self.session
            .payments
            .iter()
            .filter_map(|p| {
                let id = p.id.clone()?;
                let tx = p
                    .tx_hash
                    .as_deref()
                    .map_or("internal transfer", |h| &h[..h.len().min(10)]);
                let counted = if p.counted { "counted" } else { "not counted" };
                let counted = match p.reason.as_deref() {
                    Some("network_mismatch") => "not counted: wrong network",
                    _ => counted,
                };
                Some(PaymentChoice {
                    label: format!(
                        "{} on {} · {tx}… · {} · {counted}",
                        self.amount(p),
                        self.chain_name(p.chain_id),
                        p.status
                    ),
                    id,
                })
            })
            .collect()
    }

    fn endpoint_url<'a>(&'a self, id: &'a str) -> &'a str {
        self.endpoints
            .iter()
            .find(|e| e.id == id)
            .map_or(id, |e| e.url.as_str())
    }
}

async fn load(api: Api, id: AttrValue) -> Result<Found, ApiError> {
    let path = format!("/v1/checkout_sessions/{}", encode(&id));
    let value = api.get_value(&path).await?;
    let snapshot = api::pretty(&value);
    let session: SessionObject = api::from_value(value)?;
    let events: List<EventObject> = api
        .get(&format!(
            "/v1/events{}",
            query(&[("session", &session.id), ("limit", "100")])
        ))
        .await?;
    let mut events = events.data;
    events.reverse();
    let chains: List<ChainObject> = api.get("/v1/chains").await?;
    let endpoints: List<EndpointObject> = api
        .get(&format!(
            "/v1/webhook_endpoints{}",
            query(&[("limit", "100")])
        ))
        .await?;
    let asks = events.iter().flat_map(|event| {
        endpoints
            .data
            .iter()
            .filter(|endpoint| endpoint.wants(&event.kind))
            .map(|endpoint| deliveries(api.clone(), endpoint.id.clone(), event.id.clone()))
    });
    let refunds: List<RefundObject> = api
        .get(&format!(
            "/v1/refunds{}",
            query(&[("session", &session.id), ("limit", "100")])
        ))
        .await?;
    let mut by_event: HashMap<String, Vec<DeliveryObject>> = HashMap::new();
    for answer in futures_util::future::join_all(asks).await {
        for delivery in answer? {
            by_event
                .entry(delivery.event.clone())
                .or_default()
                .push(delivery);
        }
    }
    Ok(Found {
        session,
        snapshot,
        events,
        chains: chains.data,
        endpoints: endpoints.data,
        deliveries: by_event,
        refunds: refunds.data,
    })
}

async fn deliveries(
    api: Api,
    endpoint: String,
    event: String,
) -> Result<Vec<DeliveryObject>, ApiError> {
    let path = format!(
        "/v1/webhook_endpoints/{endpoint}/deliveries{}",
        query(&[("event", &event), ("limit", "100")])
    );
    Ok(api.get::<List<DeliveryObject>>(&path).await?.data)
}

#[derive(Properties, PartialEq)]
pub struct SessionProps {
    pub id: AttrValue,
}

#[function_component(SessionPage)]
pub fn session_page(props: &SessionProps) -> Html {
    let api = use_console().api;
    let page = {
        let api = api.clone();
        use_load(props.id.clone(), move |id| load(api, id))
    };
    let action = use_task();
    let notice = use_state(|| None::<&'static str>);
    let refunding = use_state(|| false);
    let open_refund = {
        let refunding = refunding.clone();
        Callback::from(move |_: MouseEvent| refunding.set(true))
    };
    let close_refund = {
        let refunding = refunding.clone();
        Callback::from(move |()| refunding.set(false))
    };
    // Runs a session action, then reads the page again (the old one stays meanwhile).
    let act = |path: String, said: &'static str| {
        let (api, action, reload, notice) = (
            api.clone(),
            action.clone(),
            page.reload.clone(),
            notice.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            let (api, path, reload, notice) =
                (api.clone(), path.clone(), reload.clone(), notice.clone());
            action.run(
                async move { api.post_empty::<IgnoredAny>(&path).await },
                move |_| {
                    notice.set(Some(said));
                    reload.emit(());
                },
            );
        })
    };
    let id = encode(&props.id);
    let cancel = act(
        format!("/v1/checkout_sessions/{id}/cancel"),
        "The session was canceled.",
    );
    let check = act(
        format!("/v1/checkout_sessions/{id}/check"),
        "Checked the chain for payments just now.",
    );
    let redeliver = {
        let (api, action, reload, notice) = (
            api.clone(),
            action.clone(),
            page.reload.clone(),
            notice.clone(),
        );
        Callback::from(move |event_id: String| {
            let (api, reload, notice) = (api.clone(), reload.clone(), notice.clone());
            let path = format!("/v1/events/{}/redeliver", encode(&event_id));
            action.run(
                async move { api.post_empty::<IgnoredAny>(&path).await },
                move |_| {
                    notice.set(Some("Sent again: the new attempts show below in a moment."));
                    // The attempt goes out right after the answer: read again once it had time.
                    for ms in [1_500, 4_000] {
                        let reload = reload.clone();
                        Timeout::new(ms, move || reload.emit(())).forget();
                    }
                },
            );
        })
    };
    html! {
        <Page name="session" title={format!("Session {}", props.id)} loaded={page.state.is_done()}>
            <Alert error={page.state.error().cloned()} />
            if let Some(found) = page.state.ready() {
                { facts(found, &action.busy, cancel, check, (!*refunding).then_some(open_refund)) }
                <Alert error={action.error.clone()} />
                if let Some(said) = *notice { <p class="muted" role="status">{ said }</p> }
                if *refunding {
                    <RefundForm session={props.id.clone()} selected={found.selected()}
                        payments={found.payment_choices()} on_close={close_refund} />
                }
                { refunds(found) }
                { timeline(found, action.busy, &redeliver) }
                { payments(found) }
                { swept(found) }
                <section class="panel" aria-labelledby="snapshot-title">
                    <h2 id="snapshot-title">{ "Session object" }</h2>
                    <pre data-testid="snapshot" tabindex="0" aria-labelledby="snapshot-title">{ &found.snapshot }</pre>
                </section>
            }
        </Page>
    }
}

fn fact(label: &str, value: Html) -> Html {
    html! { <><dt>{ label.to_owned() }</dt><dd>{ value }</dd></> }
}

fn text(value: &Option<String>) -> Html {
    match value {
        Some(v) if !v.is_empty() => html! { v.clone() },
        _ => html! { <span class="muted">{ "—" }</span> },
    }
}

fn time(value: &Option<String>) -> Html {
    match value {
        Some(at) => html! { <Time at={at.clone()} /> },
        None => html! { <span class="muted">{ "—" }</span> },
    }
}

fn facts(
    found: &Found,
    busy: &bool,
    cancel: Callback<MouseEvent>,
    check: Callback<MouseEvent>,
    refund: Option<Callback<MouseEvent>>,
) -> Html {
    let s = &found.session;
    let open = !matches!(
        s.status.as_str(),
        "paid" | "paid_late" | "overpaid" | "canceled" | "failed"
    );
    let option = match (&s.payment_amount, &s.chain) {
        (Some(amount), Some(chain)) => {
            html! { format!("{} {} on {chain}", amount.formatted, amount.token) }
        }
        _ => html! { <span class="muted">{ "not chosen yet" }</span> },
    };
    let received = match &s.payment_amount {
        Some(amount) => {
            let value = money::format_units(&s.amount_received, amount.decimals)
                .unwrap_or_else(|| s.amount_received.clone());
            html! { <span data-base-units={s.amount_received.clone()}>{ format!("{value} {}", amount.token) }</span> }
        }
        None => html! { <span class="muted">{ "—" }</span> },
    };
    let refunded = match (&s.payment_amount, &s.amount_refunded) {
        (Some(amount), Some(units)) => {
            let value =
                money::format_units(units, amount.decimals).unwrap_or_else(|| units.clone());
            html! { <span data-testid="amount-refunded" data-base-units={units.clone()}>{ format!("{value} {}", amount.token) }</span> }
        }
        _ => html! { <span class="muted">{ "—" }</span> },
    };
    let refundable = !s.payments.is_empty();
    let address_href = s
        .chain_id
        .and_then(|c| address_url(found.explorer(c), &s.address));
    html! {
        <section class="panel" aria-labelledby="facts-title">
            <h2 id="facts-title">{ "Summary" }</h2>
            <dl class="facts">
                { fact("Status", html! { <StatusBadge status={s.status.clone()} /> }) }
                { fact("Amount", html! { format!("{} {}", s.amount_total, s.currency) }) }
                { fact("To pay", option) }
                { fact("Received", received) }
                { fact("Refunded", refunded) }
                { fact("Deposit address", html! { <HashLink value={s.address.clone()} href={address_href} /> }) }
                { fact("Customer email", text(&s.customer_email)) }
                { fact("Customer id", text(&s.customer_id)) }
                { fact("Description", text(&s.description)) }
                { fact("Payment link", text(&s.payment_link)) }
                { fact("Created", time(&Some(s.created_at.clone()))) }
                { fact("Expires", time(&s.expires_at)) }
                { fact("Paid", time(&s.paid_at)) }
                { fact("Canceled", time(&s.canceled_at)) }
                { fact("Version", html! { s.version }) }
            </dl>
            <div class="actions">
                <button type="button" disabled={*busy} onclick={check}>{ "Check now" }</button>
                if let (true, Some(refund)) = (refundable, refund) {
                    <button type="button" class="secondary" onclick={refund}>{ "Refund" }</button>
                }
                if open {
                    <button type="button" class="danger" disabled={*busy} onclick={cancel}>{ "Cancel session" }</button>
                }
            </div>
        </section>
    }
}

fn timeline(found: &Found, busy: bool, redeliver: &Callback<String>) -> Html {
    html! {
        <section class="panel" aria-labelledby="timeline-title">
            <h2 id="timeline-title">{ "Timeline" }</h2>
            if found.events.is_empty() {
                <p class="muted">{ "No events (they are kept 30 days)." }</p>
            }
            <ol class="timeline" data-testid="timeline">
                { for found.events.iter().map(|event| event_item(found, event, busy, redeliver)) }
            </ol>
        </section>
    }
}

fn event_item(
    found: &Found,
    event: &EventObject,
    busy: bool,
    redeliver: &Callback<String>,
) -> Html {
    let snapshot = event.data.object.as_ref();
    let version = snapshot.and_then(|o| o.version);
    let deliveries = found
        .deliveries
        .get(&event.id)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let wanted = found
        .endpoints
        .iter()
        .any(|e| e.enabled && e.wants(&event.kind));
    let onclick = {
        let (redeliver, id) = (redeliver.clone(), event.id.clone());
        Callback::from(move |_: MouseEvent| redeliver.emit(id.clone()))
    };
    html! {
        <li data-event-type={event.kind.clone()} data-event-id={event.id.clone()}
            data-version={version.map(|v| v.to_string())}>
            <div>
                <span class="event-type">{ &event.kind }</span>{ " · " }
                <Time at={event.created_at.clone()} />
                if let Some(v) = version { { " · " }<span class="version">{ format!("version {v}") }</span> }
            </div>
            if let Some(payment) = &event.data.payment {
                <div class="muted">{ format!("Transfer of {}", found.amount(payment)) }</div>
            }
            if deliveries.is_empty() {
                <p class="muted">{ "No webhook deliveries." }</p>
            } else {
                <ul class="deliveries">
                    { for deliveries.iter().map(|d| delivery_item(found, d)) }
                </ul>
            }
            if wanted {
                <button type="button" class="secondary" disabled={busy} {onclick}
                    aria-describedby={format!("evt-{}", event.id)}>{ "Redeliver" }</button>
                <span id={format!("evt-{}", event.id)} class="visually-hidden">{ format!("{} to every enabled endpoint that wants it", event.kind) }</span>
            }
        </li>
    }
}

fn delivery_item(found: &Found, d: &DeliveryObject) -> Html {
    html! {
        <li data-delivery-id={d.id.clone()} data-endpoint-id={d.endpoint.clone()} data-attempts={d.attempts.len().to_string()}>
            <StatusBadge status={d.status.clone()} />{ " to " }<code>{ found.endpoint_url(&d.endpoint) }</code>
            if let Some(next) = &d.next_attempt_at { { " · next attempt " }<Time at={next.clone()} /> }
            <ol class="attempts">
                { for d.attempts.iter().map(|a| html! {
                    <li data-attempt={a.attempt.to_string()} data-status-code={a.status_code.map(|c| c.to_string())}>
                        { format!("Attempt {} · ", a.attempt) }<Time at={a.at.clone()} />
                        { format!(" · {}", a.outcome()) }
                        if let Some(ms) = a.latency_ms { { format!(" · {ms} ms") } }
                    </li>
                }) }
            </ol>
        </li>
    }
}

fn payments(found: &Found) -> Html {
    const COLUMNS: &[&str] = &[
        "Amount",
        "Chain",
        "Transaction",
        "Block",
        "Confirmations",
        "Status",
        "Counted",
    ];
    let required = found.session.confirmations_required;
    html! {
        <section class="panel" aria-labelledby="payments-title">
            <h2 id="payments-title">{ "Payments" }</h2>
            <DataTable label="Payments" testid="payments" columns={COLUMNS} empty="No payment has arrived.">
                { for found.session.payments.iter().map(|p| {
                    let chain = found.chains.iter().find(|c| c.chain_id == p.chain_id)
                        .map_or_else(|| format!("Chain {}", p.chain_id), |c| c.name.clone());
                    let tx = match &p.tx_hash {
                        Some(hash) => html! { <HashLink value={hash.clone()} href={tx_url(found.explorer(p.chain_id), hash)} /> },
                        None => html! { <span class="muted">{ "internal transfer" }</span> },
                    };
                    let confirmations = match required {
                        Some(r) => format!("{} of {r}", p.confirmations),
                        None => p.confirmations.to_string(),
                    };
                    html! {
                        <tr data-tx-hash={p.tx_hash.clone()} data-base-units={p.amount.clone()}>
                            <td class="num">{ found.amount(p) }</td>
                            <td>{ chain }</td>
                            <td>{ tx }</td>
                            <td class="num">{ p.block_number }</td>
                            <td class="num" data-confirmations={p.confirmations.to_string()}>{ confirmations }</td>
                            <td><StatusBadge status={p.status.clone()} /></td>
                            <td data-reason={p.reason.clone()}>{ p.counted_label() }</td>
                        </tr>
                    }
                }) }
            </DataTable>
        </section>
    }
}

fn refunds(found: &Found) -> Html {
    const COLUMNS: &[&str] = &["Refund", "Status", "Amount", "To", "Created"];
    html! {
        <section class="panel" aria-labelledby="refunds-title">
            <h2 id="refunds-title">{ "Refunds" }</h2>
            <DataTable label="Refunds of this session" testid="session-refunds" columns={COLUMNS}
                empty="No refunds.">
                { for found.refunds.iter().map(|r| html! {
                    <tr data-refund-id={r.id.clone()} data-status={r.status.clone()}>
                        <td><a href={Route::Refund(r.id.clone()).to_hash()}><code>{ &r.id }</code></a></td>
                        { status_cell(r) }
                        <MoneyCell base_units={r.amount.clone()} formatted={format!("{} {}", r.amount_formatted, r.token)} />
                        <td>{ match &r.address {
                            Some(a) => html! { <HashLink value={a.clone()} /> },
                            None => html! { <span class="muted">{ "waiting for the shopper" }</span> },
                        } }</td>
                        <td><Time at={r.created_at.clone()} /></td>
                    </tr>
                }) }
            </DataTable>
        </section>
    }
}

fn swept(found: &Found) -> Html {
    const COLUMNS: &[&str] = &["Sweep", "Amount", "Transaction", "Swept"];
    let swept = found.session.swept.as_deref().unwrap_or_default();
    html! {
        <section class="panel" aria-labelledby="swept-title">
            <h2 id="swept-title">{ "Swept" }</h2>
            <DataTable label="Sweeps out of this address" testid="swept" columns={COLUMNS}
                empty="Nothing has been swept from this address.">
                { for swept.iter().map(|s| html! {
                    <tr data-sweep-id={s.sweep.clone()}>
                        <td><a href="#/sweeps"><code>{ &s.sweep }</code></a></td>
                        <td class="num" data-base-units={s.amount.clone()}>{ format!("{} {}", s.amount_formatted, s.token) }</td>
                        <td><HashLink value={s.tx_hash.clone()} href={tx_url(found.explorer(s.chain_id), &s.tx_hash)} /></td>
                        <td><Time at={s.swept_at.clone()} /></td>
                    </tr>
                }) }
            </DataTable>
        </section>
    }
}
