//! Webhook endpoints: the shown mode's endpoints, a new one (its signing secret shown once),
//! rotating a secret (the new one shown once; the old one still signs for a day), turning an
//! endpoint off and on, and each endpoint's deliveries with every attempt.

mod create;
mod deliveries;

use serde::{Deserialize, Serialize};
use yew::prelude::*;

use crate::components::{Alert, DataTable, Page, SecretOnce, StatusBadge, Time};
use crate::hooks::{use_console, use_load, use_task};
use crate::objects::List;

use create::CreateEndpoint;
use deliveries::Deliveries;

#[derive(Debug, Clone, PartialEq, Deserialize)]
struct Endpoint {
    id: String,
    url: String,
    events: Vec<String>,
    description: Option<String>,
    enabled: bool,
    previous_secret_expires_at: Option<String>,
    created_at: String,
    /// Only in the answers to create and rotate.
    #[serde(default)]
    secret: Option<String>,
}

#[derive(Serialize)]
struct Enabled {
    enabled: bool,
}

/// A signing secret the API has just shown, and what it is for.
#[derive(Clone, PartialEq)]
struct Shown {
    label: String,
    secret: String,
}

const COLUMNS: &[&str] = &["Endpoint", "Events", "Status", "Created", "Actions"];

/// A mode has at most 16 endpoints: one page holds them all.
const LIST_PATH: &str = "/v1/webhook_endpoints?limit=100";

#[function_component(Webhooks)]
pub fn webhooks() -> Html {
    let console = use_console();
    let endpoints = use_load(console.api.clone(), |api| async move {
        api.get::<List<Endpoint>>(LIST_PATH).await
    });
    let shown = use_state(|| None::<Shown>);
    let open = use_state(|| None::<String>);
    let task = use_task();
    let show_secret = {
        let (shown, reload) = (shown.clone(), endpoints.reload.clone());
        Callback::from(move |(label, endpoint): (String, Endpoint)| {
            if let Some(secret) = endpoint.secret {
                shown.set(Some(Shown { label, secret }));
            }
            reload.emit(());
        })
    };
    let on_created = show_secret
        .reform(|endpoint: Endpoint| (format!("Signing secret of {}", endpoint.url), endpoint));
    let on_rotate = {
        let (api, task, show) = (console.api.clone(), task.clone(), show_secret);
        Callback::from(move |endpoint: Endpoint| {
            let (api, show) = (api.clone(), show.clone());
            let path = format!("/v1/webhook_endpoints/{}/rotate_secret", endpoint.id);
            task.run(
                async move { api.post_empty::<Endpoint>(&path).await },
                move |rotated| {
                    let label = format!(
                        "New signing secret of {} (the previous one also signs for 24 hours)",
                        rotated.url
                    );
                    show.emit((label, rotated));
                },
            );
        })
    };
    let on_toggle = {
        let (api, task, reload) = (console.api, task.clone(), endpoints.reload.clone());
        Callback::from(move |endpoint: Endpoint| {
            let (api, reload) = (api.clone(), reload.clone());
            let path = format!("/v1/webhook_endpoints/{}", endpoint.id);
            let body = Enabled {
                enabled: !endpoint.enabled,
            };
            task.run(
                async move { api.post::<Endpoint>(&path, &body).await },
                move |_| reload.emit(()),
            );
        })
    };
    let on_open = {
        let open = open.clone();
        Callback::from(move |id: String| {
            open.set(if open.as_deref() == Some(id.as_str()) {
                None
            } else {
                Some(id)
            });
        })
    };
    let handlers = RowHandlers {
        rotate: on_rotate,
        toggle: on_toggle,
        open: on_open,
    };
    let list = endpoints.state.ready();
    let rows = list.map(|list| {
        list.data
            .iter()
            .map(|e| row(e, open.as_deref() == Some(e.id.as_str()), &handlers))
            .collect::<Vec<Html>>()
    });
    let opened = list.and_then(|l| {
        l.data
            .iter()
            .find(|e| open.as_deref() == Some(e.id.as_str()))
    });
    html! {
        <Page name="webhooks" title="Webhooks" loaded={endpoints.state.is_done()}>
            <p class="muted">
                { "Kasse POSTs every change of a session to these URLs, signed with the endpoint's secret \
                   (Standard Webhooks). A failed delivery is retried for about 28 hours." }
            </p>
            <Alert error={endpoints.state.error().cloned()} />
            <CreateEndpoint {on_created} />
            if let Some(shown) = &*shown {
                <SecretOnce label={shown.label.clone()} secret={shown.secret.clone()} />
            }
            <Alert error={task.error} />
            if let Some(rows) = rows {
                <DataTable label="Webhook endpoints" columns={COLUMNS}
                    empty="No endpoints yet: add one above.">{ for rows }</DataTable>
            }
            if let Some(endpoint) = opened {
                <Deliveries key={endpoint.id.clone()} endpoint={endpoint.id.clone()} url={endpoint.url.clone()} />
            }
        </Page>
    }
}

struct RowHandlers {
    rotate: Callback<Endpoint>,
    toggle: Callback<Endpoint>,
    open: Callback<String>,
}

fn row(endpoint: &Endpoint, open: bool, on: &RowHandlers) -> Html {
    let events = if endpoint.events.iter().any(|e| e == "*") {
        "All events".to_owned()
    } else {
        endpoint.events.join(", ")
    };
    let (rotate, toggle) = (endpoint.clone(), endpoint.clone());
    let id = endpoint.id.clone();
    html! {
        <tr key={endpoint.id.clone()} data-endpoint-id={endpoint.id.clone()} data-enabled={endpoint.enabled.to_string()}>
            <td>
                <code>{ endpoint.url.clone() }</code>
                if let Some(description) = &endpoint.description {
                    <div class="muted">{ description.clone() }</div>
                }
                <div class="muted"><code>{ endpoint.id.clone() }</code></div>
                if let Some(until) = &endpoint.previous_secret_expires_at {
                    <div class="muted">{ "Previous secret signs until " }<Time at={until.clone()} /></div>
                }
            </td>
            <td class="wrap">{ events }</td>
            <td><StatusBadge status={if endpoint.enabled { "enabled" } else { "disabled" }} /></td>
            <td><Time at={endpoint.created_at.clone()} /></td>
            <td>
                <div class="actions">
                    <button type="button" class="secondary"
                        onclick={on.rotate.reform(move |_: MouseEvent| rotate.clone())}>{ "Rotate secret" }</button>
                    <button type="button" class="secondary"
                        onclick={on.toggle.reform(move |_: MouseEvent| toggle.clone())}>
                        { if endpoint.enabled { "Disable" } else { "Enable" } }
                    </button>
                    <button type="button" class="secondary" aria-expanded={open.to_string()}
                        onclick={on.open.reform(move |_: MouseEvent| id.clone())}>
                        { "Deliveries" }
                    </button>
                </div>
            </td>
        </tr>
    }
}
