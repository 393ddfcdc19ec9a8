//! The sessions list: the list API's filters, the search (session id, deposit address, tx
//! hash or customer email), pages of 20, and CSV exports of a date range. Everything the
//! list shows is in the fragment, so a filtered page can be linked and reloaded.

use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::api::{Api, ApiError, query};
use crate::clock;
use crate::components::{Alert, DataTable, Page, StatusBadge, Time};
use crate::hooks::{Console, use_console, use_load, use_task};
use crate::money;
use crate::objects::{List, SessionObject};
use crate::route::{Route, SessionsQuery};

const PAGE_SIZE: &str = "20";

/// The status filter's choices: the coarse groups, then every status.
const STATUSES: [(&str, &str); 12] = [
    ("", "Any status"),
    ("open", "Open (pending, detected, underpaid)"),
    ("completed", "Completed (paid, paid late, overpaid)"),
    ("pending", "Pending"),
    ("detected", "Detected"),
    ("underpaid", "Underpaid"),
    ("paid", "Paid"),
    ("paid_late", "Paid late"),
    ("overpaid", "Overpaid"),
    ("expired", "Expired"),
    ("canceled", "Canceled"),
    ("failed", "Failed"),
];

#[derive(Properties, PartialEq)]
pub struct SessionsProps {
    pub query: SessionsQuery,
}

/// The local days of the query as the API's `created[gte]` / `created[lte]` (Unix seconds).
fn created_range(from: Option<&str>, to: Option<&str>) -> (String, String) {
    let gte = from.and_then(|d| clock::local_day_start(d, false));
    let lte = to.and_then(clock::local_day_end);
    (
        gte.map(|t| t.to_string()).unwrap_or_default(),
        lte.map(|t| t.to_string()).unwrap_or_default(),
    )
}

/// The page the query describes: a search when it has `q`, else the filtered list.
async fn load_page(api: Api, q: SessionsQuery) -> Result<List<SessionObject>, ApiError> {
    let after = q.starting_after.as_deref().unwrap_or_default();
    let before = q.ending_before.as_deref().unwrap_or_default();
    let path = if let Some(term) = &q.q {
        format!(
            "/v1/search{}",
            query(&[
                ("q", term),
                ("limit", PAGE_SIZE),
                ("starting_after", after),
                ("ending_before", before),
            ])
        )
    } else {
        let (gte, lte) = created_range(q.created_from.as_deref(), q.created_to.as_deref());
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        format!(
            "/v1/checkout_sessions{}",
            query(&[
                ("limit", PAGE_SIZE),
                ("status", &text(&q.status)),
                ("customer_email", &text(&q.customer_email)),
                ("payment_link", &text(&q.payment_link)),
                ("created[gte]", &gte),
                ("created[lte]", &lte),
                ("funded", &text(&q.funded)),
                ("starting_after", after),
                ("ending_before", before),
            ])
        )
    };
    api.get(&path).await
}

/// The value of the form control `id`.
pub(super) fn value_of(id: &str) -> String {
    let element = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id));
    let Some(element) = element else {
        return String::new();
    };
    if let Some(input) = element.dyn_ref::<web_sys::HtmlInputElement>() {
        input.value().trim().to_owned()
    } else if let Some(select) = element.dyn_ref::<web_sys::HtmlSelectElement>() {
        select.value()
    } else {
        String::new()
    }
}

fn some(text: String) -> Option<String> {
    (!text.is_empty()).then_some(text)
}

#[function_component(Sessions)]
pub fn sessions(props: &SessionsProps) -> Html {
    let console = use_console();
    let api = console.api.clone();
    let page = use_load(props.query.clone(), move |q| load_page(api, q));
    let q = &props.query;
    let searching = q.q.is_some();
    let title = match &q.q {
        Some(term) => format!("Sessions matching “{term}”"),
        None => "Sessions".to_owned(),
    };
    html! {
        <Page name="sessions" title={title} loaded={page.state.is_done()}>
            { search_form(&console, q) }
            { filter_form(&console, q, searching) }
            <Alert error={page.state.error().cloned()} />
            if let Some(list) = page.state.ready() {
                { rows(list) }
                { pager(&console, q, list) }
            }
            <ExportForm />
        </Page>
    }
}

fn search_form(console: &Console, q: &SessionsQuery) -> Html {
    let onsubmit = {
        let console = console.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let query = SessionsQuery {
                q: some(value_of("session-search")),
                ..SessionsQuery::default()
            };
            console.go(&Route::Sessions(query));
        })
    };
    html! {
        <form class="panel" role="search" {onsubmit}>
            <div class="fields">
                <div class="field">
                    <input id="session-search" type="search" aria-label="Search sessions"
                        placeholder="Session id, deposit address, tx hash or customer email"
                        value={q.q.clone().unwrap_or_default()} />
                </div>
                <button type="submit">{ "Search" }</button>
                if q.q.is_some() { <a href="#/sessions">{ "Clear search" }</a> }
            </div>
        </form>
    }
}

fn filter_form(console: &Console, q: &SessionsQuery, searching: bool) -> Html {
    let onsubmit = {
        let console = console.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let query = SessionsQuery {
                status: some(value_of("filter-status")),
                customer_email: some(value_of("filter-email")),
                payment_link: some(value_of("filter-link")),
                created_from: some(value_of("filter-from")),
                created_to: some(value_of("filter-to")),
                funded: some(value_of("filter-funded")),
                ..SessionsQuery::default()
            };
            console.go(&Route::Sessions(query));
        })
    };
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let status = text(&q.status);
    let funded = text(&q.funded);
    html! {
        <form class="panel" aria-label="Filter sessions" {onsubmit}>
            if searching { <p class="muted">{ "A search ignores the filters; applying them ends the search." }</p> }
            <div class="fields">
                <div class="field">
                    <label for="filter-status">{ "Status" }</label>
                    <select id="filter-status">
                        { for STATUSES.iter().map(|(value, label)| html! {
                            <option value={*value} selected={status == *value}>{ *label }</option>
                        }) }
                    </select>
                </div>
                <div class="field">
                    <label for="filter-email">{ "Email" }</label>
                    <input id="filter-email" type="email" value={text(&q.customer_email)} />
                </div>
                <div class="field">
                    <label for="filter-link">{ "Payment link id" }</label>
                    <input id="filter-link" type="text" placeholder="plink_…" value={text(&q.payment_link)} />
                </div>
                <div class="field">
                    <label for="filter-from">{ "Created on or after" }</label>
                    <input id="filter-from" type="date" value={text(&q.created_from)} />
                </div>
                <div class="field">
                    <label for="filter-to">{ "Created on or before" }</label>
                    <input id="filter-to" type="date" value={text(&q.created_to)} />
                </div>
                <div class="field">
                    <label for="filter-funded">{ "Funded" }</label>
                    <select id="filter-funded">
                        <option value="" selected={funded.is_empty()}>{ "Either" }</option>
                        <option value="true" selected={funded == "true"}>{ "Received a payment" }</option>
                        <option value="false" selected={funded == "false"}>{ "No payment yet" }</option>
                    </select>
                </div>
            </div>
            <div class="actions">
                <button type="submit">{ "Apply filters" }</button>
                <a href="#/sessions">{ "Clear filters" }</a>
            </div>
        </form>
    }
}

/// What the session received, in whole tokens of the option chosen.
fn received(session: &SessionObject) -> String {
    match &session.payment_amount {
        Some(amount) => {
            let value = money::format_units(&session.amount_received, amount.decimals)
                .unwrap_or_else(|| session.amount_received.clone());
            format!("{value} {}", amount.token)
        }
        None => "—".to_owned(),
    }
}

fn rows(list: &List<SessionObject>) -> Html {
    const COLUMNS: &[&str] = &[
        "Session", "Status", "Amount", "Received", "Chain", "Customer", "Created",
    ];
    html! {
        <DataTable label="Sessions" testid="sessions" columns={COLUMNS} empty="No session matches.">
            { for list.data.iter().map(|s| html! {
                <tr data-session-id={s.id.clone()} data-status={s.status.clone()}>
                    <td><a href={Route::Session(s.id.clone()).to_hash()}><code>{ &s.id }</code></a></td>
                    <td><StatusBadge status={s.status.clone()} /></td>
                    <td class="num">{ format!("{} {}", s.amount_total, s.currency) }</td>
                    <td class="num" data-base-units={s.amount_received.clone()}>{ received(s) }</td>
                    <td>{ s.chain.clone().unwrap_or_else(|| "—".to_owned()) }</td>
                    <td>{ s.customer_email.clone().unwrap_or_default() }</td>
                    <td><Time at={s.created_at.clone()} /></td>
                </tr>
            }) }
        </DataTable>
    }
}

fn pager(console: &Console, q: &SessionsQuery, list: &List<SessionObject>) -> Html {
    let first = list.data.first().map(|s| s.id.as_str());
    let last = list.data.last().map(|s| s.id.as_str());
    let button = |label: &'static str, to: Option<SessionsQuery>| {
        let console = console.clone();
        let disabled = to.is_none();
        let onclick = Callback::from(move |_: MouseEvent| {
            if let Some(to) = &to {
                console.go(&Route::Sessions(to.clone()));
            }
        });
        html! { <button type="button" class="secondary" {disabled} {onclick}>{ label }</button> }
    };
    html! {
        <nav class="actions" aria-label="Pages of sessions">
            { button("Previous", q.previous(first, list.has_more)) }
            { button("Next", q.next(last, list.has_more)) }
        </nav>
    }
}

/// The CSV exports of a range of local days, downloaded with the console cookie.
#[function_component(ExportForm)]
fn export_form() -> Html {
    let api = use_console().api;
    let task = use_task();
    let export = |kind: &'static str| {
        let (api, task) = (api.clone(), task.clone());
        Callback::from(move |_: MouseEvent| {
            let (from, to) = (some(value_of("export-from")), some(value_of("export-to")));
            let (gte, lte) = created_range(from.as_deref(), to.as_deref());
            let path = format!(
                "/v1/exports/{kind}.csv{}",
                query(&[("created[gte]", &gte), ("created[lte]", &lte)])
            );
            let api = api.clone();
            let fallback = format!("{kind}-{}.csv", api.mode.as_str());
            task.run(async move { api.download(&path, &fallback).await }, |()| ());
        })
    };
    html! {
        <section class="panel" aria-labelledby="export-title">
            <h2 id="export-title">{ "Export" }</h2>
            <p class="muted">
                { "CSV (RFC 4180) of the sessions created in the range, both days included; leave a day empty for an open end." }
            </p>
            <form aria-label="Export" onsubmit={Callback::from(|e: SubmitEvent| e.prevent_default())}>
                <div class="fields">
                    <div class="field">
                        <span aria-hidden="true">{ "From" }</span>
                        <input id="export-from" type="date" aria-label="From" />
                    </div>
                    <div class="field">
                        <span aria-hidden="true">{ "To" }</span>
                        <input id="export-to" type="date" aria-label="To" />
                    </div>
                </div>
                <div class="actions">
                    <button type="button" disabled={task.busy} onclick={export("payments")}>{ "Export payments (CSV)" }</button>
                    <button type="button" disabled={task.busy} onclick={export("sessions")}>{ "Export sessions (CSV)" }</button>
                </div>
                <Alert error={task.error.clone()} />
            </form>
        </section>
    }
}
