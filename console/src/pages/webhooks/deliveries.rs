//! One endpoint's deliveries, newest first, each with every attempt: when, the HTTP status
//! (or that none came), how long it took and the error. Older pages by cursor.

use serde::Deserialize;
use yew::prelude::*;

use crate::api::query;
use crate::components::{Alert, DataTable, StatusBadge, Time};
use crate::hooks::{use_console, use_load};
use crate::objects::{AttemptObject, List};

#[derive(Debug, Clone, PartialEq, Deserialize)]
struct Delivery {
    id: String,
    event: String,
    event_type: String,
    status: String,
    next_attempt_at: Option<String>,
    attempts: Vec<AttemptObject>,
    created_at: String,
}

/// Which page of the log: the newest, or the one after a delivery (older).
#[derive(Debug, Clone, PartialEq, Default)]
enum Cursor {
    #[default]
    Newest,
    After(String),
}

const PAGE_SIZE: &str = "20";
const COLUMNS: &[&str] = &["Event", "Status", "Created", "Next attempt", "Attempts"];

#[derive(Properties, PartialEq)]
pub(super) struct DeliveriesProps {
    pub(super) endpoint: AttrValue,
    pub(super) url: AttrValue,
}

#[function_component(Deliveries)]
pub(super) fn deliveries(props: &DeliveriesProps) -> Html {
    let api = use_console().api;
    let cursor = use_state(Cursor::default);
    let log = use_load(
        (api, props.endpoint.clone(), (*cursor).clone()),
        |(api, endpoint, cursor)| async move {
            let after = match &cursor {
                Cursor::Newest => "",
                Cursor::After(id) => id.as_str(),
            };
            let path = format!(
                "/v1/webhook_endpoints/{endpoint}/deliveries{}",
                query(&[("limit", PAGE_SIZE), ("starting_after", after)])
            );
            api.get::<List<Delivery>>(&path).await
        },
    );
    let older = log
        .state
        .ready()
        .filter(|l| l.has_more)
        .and_then(|l| l.data.last())
        .map(|last| {
            let (cursor, id) = (cursor.clone(), last.id.clone());
            Callback::from(move |_: MouseEvent| cursor.set(Cursor::After(id.clone())))
        });
    let newest = (*cursor != Cursor::Newest).then(|| {
        let cursor = cursor.clone();
        Callback::from(move |_: MouseEvent| cursor.set(Cursor::Newest))
    });
    let refresh = log.reload.reform(|_: MouseEvent| ());
    html! {
        <section class="panel" id="deliveries" aria-labelledby="deliveries-title"
            data-endpoint-id={props.endpoint.clone()} data-loaded={log.state.is_done().then_some("true")}>
            <h2 id="deliveries-title">{ "Deliveries to " }<code>{ props.url.clone() }</code></h2>
            <div class="actions">
                <button type="button" class="secondary" onclick={refresh}>{ "Refresh" }</button>
                if let Some(onclick) = newest {
                    <button type="button" class="secondary" {onclick}>{ "Newest" }</button>
                }
                if let Some(onclick) = older {
                    <button type="button" class="secondary" {onclick}>{ "Older" }</button>
                }
            </div>
            <Alert error={log.state.error().cloned()} />
            if !log.state.is_done() {
                <p class="muted" role="status">{ "Loading…" }</p>
            }
            if let Some(list) = log.state.ready() {
                <DataTable label="Deliveries" columns={COLUMNS} empty="No deliveries yet.">
                    { for list.data.iter().map(row) }
                </DataTable>
            }
        </section>
    }
}

fn row(delivery: &Delivery) -> Html {
    html! {
        <tr key={delivery.id.clone()} data-delivery-id={delivery.id.clone()} data-event-id={delivery.event.clone()}>
            <td>
                <code>{ delivery.event_type.clone() }</code>
                <div class="muted"><code>{ delivery.event.clone() }</code></div>
            </td>
            <td><StatusBadge status={delivery.status.clone()} /></td>
            <td><Time at={delivery.created_at.clone()} /></td>
            <td>
                if let Some(at) = &delivery.next_attempt_at {
                    <Time at={at.clone()} />
                } else {
                    { "—" }
                }
            </td>
            <td class="wrap">
                if delivery.attempts.is_empty() {
                    <span class="muted">{ "None yet" }</span>
                } else {
                    <ol class="bare attempts">{ for delivery.attempts.iter().map(attempt) }</ol>
                }
            </td>
        </tr>
    }
}

fn attempt(attempt: &AttemptObject) -> Html {
    let latency = attempt
        .latency_ms
        .map(|ms| format!(" ({ms} ms)"))
        .unwrap_or_default();
    html! {
        <li data-attempt={attempt.attempt.to_string()}
            data-status-code={attempt.status_code.map(|c| c.to_string())}>
            { format!("#{} ", attempt.attempt) }<Time at={attempt.at.clone()} />
            { format!(" — {}{latency}", attempt.outcome()) }
        </li>
    }
}
