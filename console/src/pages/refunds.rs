//! Refunds: every refund of the mode, newest first, filtered by status and session (both in
//! the fragment, so "Refunds to send" on the overview links to `?status=pending`); refunds
//! a shopper asked for carry a "Shopper request" badge.

use yew::prelude::*;

use crate::api::{Api, ApiError, query};
use crate::components::{
    Alert, CursorPager, DataTable, HashLink, MoneyCell, Page, StatusBadge, Time,
};
use crate::hooks::{Console, use_console, use_load};
use crate::objects::{List, RefundObject};
use crate::route::{RefundsQuery, Route};

use super::sessions::value_of;

const PAGE_SIZE: &str = "20";

/// The status filter's choices.
const STATUSES: [(&str, &str); 6] = [
    ("", "Any status"),
    ("requires_address", "Requires address"),
    ("pending", "Pending (to send)"),
    ("succeeded", "Succeeded"),
    ("canceled", "Canceled"),
    ("failed", "Failed"),
];

const COLUMNS: &[&str] = &[
    "Refund", "Status", "Amount", "Chain", "To", "Session", "Created",
];

#[derive(Properties, PartialEq)]
pub struct RefundsProps {
    pub query: RefundsQuery,
}

async fn load_page(
    api: Api,
    filters: RefundsQuery,
    after: Option<String>,
) -> Result<List<RefundObject>, ApiError> {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let path = format!(
        "/v1/refunds{}",
        query(&[
            ("limit", PAGE_SIZE),
            ("status", &text(&filters.status)),
            ("session", &text(&filters.session)),
            ("starting_after", &text(&after)),
        ])
    );
    api.get(&path).await
}

#[function_component(Refunds)]
pub fn refunds(props: &RefundsProps) -> Html {
    let console = use_console();
    // The page after a refund (older); `None` is the newest page. The page is keyed by its
    // filters, so new filters start on the newest page.
    let after = use_state(|| None::<String>);
    let list = use_load(
        (console.api.clone(), props.query.clone(), (*after).clone()),
        |(api, filters, after)| load_page(api, filters, after),
    );
    let next = list
        .state
        .ready()
        .filter(|l| l.has_more)
        .and_then(|l| l.data.last())
        .map(|last| last.id.clone());
    html! {
        <Page name="refunds" title="Refunds" loaded={list.state.is_done()}>
            <p class="muted">
                { "Refunds go back from your own treasury: open a pending one and send it with your browser \
                   wallet (or kasse refund --execute); Kasse checks the transfer on-chain." }
            </p>
            { filter_form(&console, &props.query) }
            <Alert error={list.state.error().cloned()} />
            if let Some(page) = list.state.ready() {
                <DataTable label="Refunds" testid="refunds" columns={COLUMNS} empty="No refund matches.">
                    { for page.data.iter().map(row) }
                </DataTable>
            }
            <CursorPager label="Pages of refunds" {after} {next} />
        </Page>
    }
}

fn filter_form(console: &Console, q: &RefundsQuery) -> Html {
    let onsubmit = {
        let console = console.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let given = |id| Some(value_of(id)).filter(|v| !v.is_empty());
            console.go(&Route::Refunds(RefundsQuery {
                status: given("refunds-status"),
                session: given("refunds-session"),
            }));
        })
    };
    let status = q.status.clone().unwrap_or_default();
    html! {
        <form class="panel" aria-label="Filter refunds" {onsubmit}>
            <div class="fields">
                <div class="field narrow">
                    <label for="refunds-status">{ "Status" }</label>
                    <select id="refunds-status">
                        { for STATUSES.iter().map(|(value, label)| html! {
                            <option value={*value} selected={status == *value}>{ *label }</option>
                        }) }
                    </select>
                </div>
                <div class="field">
                    <label for="refunds-session">{ "Session id" }</label>
                    <input id="refunds-session" type="text" placeholder="cs_…" autocomplete="off"
                        value={q.session.clone().unwrap_or_default()} />
                </div>
            </div>
            <div class="actions">
                <button type="submit">{ "Apply filters" }</button>
                <a href="#/refunds">{ "Clear filters" }</a>
            </div>
        </form>
    }
}

/// "Shopper request" next to the status of a refund the shopper asked for.
pub fn requested_by(refund: &RefundObject) -> Html {
    if refund.by_shopper() {
        html! { <span class="badge plain" data-requested-by="shopper">{ "Shopper request" }</span> }
    } else {
        Html::default()
    }
}

/// The status badge, and the shopper's request when it was one.
pub fn status_cell(refund: &RefundObject) -> Html {
    html! {
        <td class="wrap">
            <StatusBadge status={refund.status.clone()} />{ " " }{ requested_by(refund) }
        </td>
    }
}

fn row(refund: &RefundObject) -> Html {
    html! {
        <tr key={refund.id.clone()} data-refund-id={refund.id.clone()} data-status={refund.status.clone()}
            data-requested-by={refund.requested_by.clone()}>
            <td><a href={Route::Refund(refund.id.clone()).to_hash()}><code>{ &refund.id }</code></a></td>
            { status_cell(refund) }
            <MoneyCell base_units={refund.amount.clone()}
                formatted={format!("{} {}", refund.amount_formatted, refund.token)} />
            <td>{ &refund.chain }</td>
            <td>{ match &refund.address {
                Some(address) => html! { <HashLink value={address.clone()} /> },
                None => html! { <span class="muted">{ "waiting for the shopper" }</span> },
            } }</td>
            <td><a href={Route::Session(refund.session.clone()).to_hash()}><code>{ &refund.session }</code></a></td>
            <td><Time at={refund.created_at.clone()} /></td>
        </tr>
    }
}
