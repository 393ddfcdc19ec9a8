//! Payment links: the shown mode's links, newest first, a page at a time; a new link (one
//! amount, or line items and discounts); each link's URL to copy or as a QR code; turning a
//! link off (its page answers 410 and starts nothing) and on again.

mod create;
mod draft;
mod qr;

use serde::{Deserialize, Serialize};
use yew::prelude::*;

use crate::api::query;
use crate::components::{Alert, CopyButton, DataTable, Page, StatusBadge, Time};
use crate::hooks::{use_console, use_load, use_task};
use crate::objects::List;

use create::CreateLink;
use qr::Qr;

#[derive(Debug, Clone, PartialEq, Deserialize)]
struct LineItem {
    name: String,
    quantity: u32,
    unit_amount: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
struct Discount {
    name: String,
    amount_off: Option<String>,
    percent_off: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
struct Link {
    id: String,
    active: bool,
    currency: String,
    amount_total: String,
    #[serde(default)]
    line_items: Vec<LineItem>,
    #[serde(default)]
    discounts: Vec<Discount>,
    description: Option<String>,
    url: String,
    created_at: String,
}

#[derive(Serialize)]
struct Active {
    active: bool,
}

/// Which page of the list: the newest, the one after a link (older) or before it (newer).
#[derive(Debug, Clone, PartialEq, Default)]
enum Cursor {
    #[default]
    Newest,
    After(String),
    Before(String),
}

/// The list's filter on `active`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Shown {
    #[default]
    All,
    Active,
    Inactive,
}

impl Shown {
    fn param(self) -> &'static str {
        match self {
            Self::All => "",
            Self::Active => "true",
            Self::Inactive => "false",
        }
    }
}

const PAGE_SIZE: &str = "20";
const COLUMNS: &[&str] = &["Link", "Price", "Status", "Created", "Actions"];

fn list_path(shown: Shown, cursor: &Cursor) -> String {
    let (after, before) = match cursor {
        Cursor::Newest => ("", ""),
        Cursor::After(id) => (id.as_str(), ""),
        Cursor::Before(id) => ("", id.as_str()),
    };
    format!(
        "/v1/payment_links{}",
        query(&[
            ("limit", PAGE_SIZE),
            ("active", shown.param()),
            ("starting_after", after),
            ("ending_before", before),
        ])
    )
}

#[function_component(Links)]
pub fn links() -> Html {
    let console = use_console();
    let shown = use_state(Shown::default);
    let cursor = use_state(Cursor::default);
    let list = use_load(
        (console.api.clone(), *shown, (*cursor).clone()),
        |(api, shown, cursor)| async move { api.get::<List<Link>>(&list_path(shown, &cursor)).await },
    );
    let created = use_state(|| None::<Link>);
    let qr_open = use_state(|| None::<String>);
    let task = use_task();
    let on_created = {
        let (created, cursor, reload) = (created.clone(), cursor.clone(), list.reload.clone());
        Callback::from(move |link: Link| {
            created.set(Some(link));
            // The new link heads the first page.
            if *cursor == Cursor::Newest {
                reload.emit(());
            } else {
                cursor.set(Cursor::Newest);
            }
        })
    };
    let on_active = {
        let (api, task, reload) = (console.api, task.clone(), list.reload.clone());
        Callback::from(move |(id, active): (String, bool)| {
            let (api, reload) = (api.clone(), reload.clone());
            let path = format!("/v1/payment_links/{id}");
            task.run(
                async move { api.post::<Link>(&path, &Active { active }).await },
                move |_| reload.emit(()),
            );
        })
    };
    let on_qr = {
        let qr_open = qr_open.clone();
        Callback::from(move |id: String| {
            qr_open.set(if qr_open.as_deref() == Some(id.as_str()) {
                None
            } else {
                Some(id)
            });
        })
    };
    let on_shown = {
        let (shown, cursor) = (shown.clone(), cursor.clone());
        Callback::from(move |e: Event| {
            let value = e
                .target_unchecked_into::<web_sys::HtmlSelectElement>()
                .value();
            shown.set(match value.as_str() {
                "active" => Shown::Active,
                "inactive" => Shown::Inactive,
                _ => Shown::All,
            });
            cursor.set(Cursor::Newest);
        })
    };
    let page = list.state.ready();
    let rows = page.map(|page| {
        page.data
            .iter()
            .map(|link| {
                let open = qr_open.as_deref() == Some(link.id.as_str());
                row(link, open, &on_active, &on_qr)
            })
            .collect::<Vec<Html>>()
    });
    html! {
        <Page name="links" title="Payment links" loaded={list.state.is_done()}>
            <p class="muted">
                { "A payment link is a page anyone can open to pay a fixed order: each visit that pays starts \
                   its own checkout session. Share its URL or QR code." }
            </p>
            <CreateLink {on_created} />
            if let Some(link) = &*created {
                <p class="panel" role="status" data-created-link={link.id.clone()}>
                    { "Created " }<a href={link.url.clone()} target="_blank" rel="noopener noreferrer">{ link.url.clone() }</a>
                    { " " }<CopyButton text={link.url.clone()} label="Copy URL" />
                </p>
            }
            <h2>{ "Links" }</h2>
            <div class="fields">
                <div class="field narrow">
                    <label for="links-shown">{ "Show" }</label>
                    <select id="links-shown" onchange={on_shown}>
                        <option value="all" selected={*shown == Shown::All}>{ "All links" }</option>
                        <option value="active" selected={*shown == Shown::Active}>{ "Active" }</option>
                        <option value="inactive" selected={*shown == Shown::Inactive}>{ "Inactive" }</option>
                    </select>
                </div>
            </div>
            <Alert error={list.state.error().cloned()} />
            <Alert error={task.error} />
            if let Some(rows) = rows {
                <DataTable label="Payment links" columns={COLUMNS} empty="No payment links yet.">{ for rows }</DataTable>
            }
            { pager(page, &cursor) }
        </Page>
    }
}

fn row(
    link: &Link,
    qr_open: bool,
    on_active: &Callback<(String, bool)>,
    on_qr: &Callback<String>,
) -> Html {
    let (id, toggle_to) = (link.id.clone(), !link.active);
    let qr_id = link.id.clone();
    html! {
        <key={link.id.clone()}>
            <tr data-link-id={link.id.clone()} data-active={link.active.to_string()}>
                <td>
                    <a href={link.url.clone()} target="_blank" rel="noopener noreferrer"><code>{ link.id.clone() }</code></a>
                    if let Some(description) = &link.description {
                        <div class="muted">{ description.clone() }</div>
                    }
                </td>
                <td>{ price(link) }</td>
                <td><StatusBadge status={if link.active { "active" } else { "inactive" }} /></td>
                <td><Time at={link.created_at.clone()} /></td>
                <td>
                    <div class="actions">
                        <CopyButton text={link.url.clone()} label="Copy URL" />
                        <button type="button" class="secondary" aria-expanded={qr_open.to_string()}
                            onclick={on_qr.reform(move |_: MouseEvent| qr_id.clone())}>{ "QR" }</button>
                        <button type="button" class={if link.active { "danger" } else { "secondary" }}
                            onclick={on_active.reform(move |_: MouseEvent| (id.clone(), toggle_to))}>
                            { if link.active { "Deactivate" } else { "Reactivate" } }
                        </button>
                    </div>
                </td>
            </tr>
            if qr_open {
                <tr class="qr-row">
                    <td colspan={COLUMNS.len().to_string()}><Qr url={link.url.clone()} /></td>
                </tr>
            }
        </>
    }
}

/// The total, and the order it is made of when it has line items or discounts.
fn price(link: &Link) -> Html {
    let lines = link.line_items.iter().map(|l| {
        html! { <li>{ format!("{} × {} at {}", l.quantity, l.name, l.unit_amount) }</li> }
    });
    let discounts = link.discounts.iter().map(|d| {
        let off = match (&d.percent_off, &d.amount_off) {
            (Some(percent), _) => format!("−{percent}%"),
            (None, Some(amount)) => format!("−{amount}"),
            (None, None) => String::new(),
        };
        html! { <li>{ format!("{} {off}", d.name) }</li> }
    });
    html! {
        <>
            <strong>{ format!("{} {}", link.amount_total, link.currency) }</strong>
            if !link.line_items.is_empty() || !link.discounts.is_empty() {
                <ul class="bare order">{ for lines }{ for discounts }</ul>
            }
        </>
    }
}

/// "Previous" (newer links) and "Next" (older), when there are any.
fn pager(page: Option<&List<Link>>, cursor: &UseStateHandle<Cursor>) -> Html {
    let Some(page) = page else {
        return Html::default();
    };
    let (first, last) = (page.data.first(), page.data.last());
    let newer = match &**cursor {
        Cursor::Newest => false,
        Cursor::After(_) => true,
        Cursor::Before(_) => page.has_more,
    };
    let older = match &**cursor {
        Cursor::Before(_) => true,
        _ => page.has_more,
    };
    let previous = first.filter(|_| newer).map(|l| {
        let (cursor, id) = (cursor.clone(), l.id.clone());
        Callback::from(move |_: MouseEvent| cursor.set(Cursor::Before(id.clone())))
    });
    let next = last.filter(|_| older).map(|l| {
        let (cursor, id) = (cursor.clone(), l.id.clone());
        Callback::from(move |_: MouseEvent| cursor.set(Cursor::After(id.clone())))
    });
    if previous.is_none() && next.is_none() {
        return Html::default();
    }
    html! {
        <nav class="actions" aria-label="Payment link pages">
            <button type="button" class="secondary" disabled={previous.is_none()}
                onclick={previous.unwrap_or_default()}>{ "Previous" }</button>
            <button type="button" class="secondary" disabled={next.is_none()}
                onclick={next.unwrap_or_default()}>{ "Next" }</button>
        </nav>
    }
}
