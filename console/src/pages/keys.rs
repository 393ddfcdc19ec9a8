//! API keys: the shown mode's keys, redacted; a new key shown once; revoking one after the
//! merchant confirms it. Revoking the key this console signed in with ends the console
//! session: the next call answers `console_session_ended` and the frame shows the sign-in
//! form with that message.

use serde::{Deserialize, Serialize};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::components::{Alert, DataTable, Page, SecretOnce, StatusBadge, Time};
use crate::hooks::{use_console, use_load, use_task};
use crate::objects::List;

#[derive(Debug, Clone, PartialEq, Deserialize)]
struct ApiKey {
    id: String,
    kind: String,
    livemode: bool,
    redacted: String,
    created_at: String,
    revoked_at: Option<String>,
}

/// The answer to a create: the only time the whole key is shown.
#[derive(Debug, Clone, PartialEq, Deserialize)]
struct NewKey {
    kind: String,
    key: String,
}

#[derive(Serialize)]
struct CreateBody<'a> {
    kind: &'a str,
}

const COLUMNS: &[&str] = &["Key", "Kind", "Mode", "Created", "Status", "Actions"];

#[function_component(Keys)]
pub fn keys() -> Html {
    let console = use_console();
    let keys = use_load(console.api.clone(), |api| async move {
        api.get::<List<ApiKey>>("/v1/api_keys").await
    });
    let created = use_state(|| None::<NewKey>);
    let confirming = use_state(|| None::<String>);
    let revoke_task = use_task();
    // The confirmation closes once the list shows the key revoked (not before: until then
    // its row would offer "Revoke" again).
    let revoked = confirming.as_ref().is_some_and(|id| {
        keys.state.ready().is_some_and(|list| {
            list.data
                .iter()
                .any(|k| &k.id == id && k.revoked_at.is_some())
        })
    });
    use_confirm_focus(&confirming, revoked);
    let on_created = {
        let (created, reload) = (created.clone(), keys.reload.clone());
        Callback::from(move |key: NewKey| {
            created.set(Some(key));
            reload.emit(());
        })
    };
    let on_revoke = {
        let (api, task) = (console.api.clone(), revoke_task.clone());
        let reload = keys.reload.clone();
        Callback::from(move |id: String| {
            let (api, reload) = (api.clone(), reload.clone());
            let path = format!("/v1/api_keys/{id}/revoke");
            task.run(
                async move { api.post_empty::<ApiKey>(&path).await },
                // When it was this console's own key, this read is what signs it out.
                move |_| reload.emit(()),
            );
        })
    };
    let rows = keys.state.ready().map(|list| {
        list.data
            .iter()
            .map(|key| {
                let asking = confirming.as_deref() == Some(key.id.as_str());
                row(key, asking, &confirming, &on_revoke)
            })
            .collect::<Vec<Html>>()
    });
    html! {
        <Page name="keys" title="API keys" loaded={keys.state.is_done()}>
            <p class="muted">
                { format!("The keys of {} mode. A secret key can do everything the API allows; a publishable key \
                    only starts sessions from payment links in a browser. Revoking a key stops it at once — \
                    revoking the key this console signed in with signs the console out.", console.mode.as_str()) }
            </p>
            <Alert error={keys.state.error().cloned()} />
            <CreateKey {on_created} />
            if let Some(key) = &*created {
                <SecretOnce label={format!("New {} key", key.kind)} secret={key.key.clone()} />
            }
            <Alert error={revoke_task.error} />
            if let Some(rows) = rows {
                <DataTable label="API keys" columns={COLUMNS}>{ for rows }</DataTable>
            }
        </Page>
    }
}

/// Keeps the keyboard in place around the confirmation: the question's "Cancel" takes the
/// focus when it appears, the key's "Revoke" gets it back when it is cancelled, and the
/// table once the key is revoked (its row has no button left).
#[hook]
fn use_confirm_focus(confirming: &UseStateHandle<Option<String>>, revoked: bool) {
    let last = use_mut_ref(|| None::<String>);
    let handle = confirming.clone();
    use_effect_with(((**confirming).clone(), revoked), move |(now, revoked)| {
        let target = if *revoked {
            handle.set(None);
            last.replace(None);
            Some("[data-page=\"keys\"] .table-scroll".to_owned())
        } else {
            let target = match now {
                Some(_) => Some("#revoke-cancel".to_owned()),
                None => last.borrow().as_ref().map(|id| format!("#revoke-{id}")),
            };
            last.replace(now.clone());
            target
        };
        let element = target.and_then(|selector| {
            let document = web_sys::window()?.document()?;
            document.query_selector(&selector).ok().flatten()
        });
        if let Some(element) = element.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
            let _ = element.focus();
        }
    });
}

fn row(
    key: &ApiKey,
    asking: bool,
    confirming: &UseStateHandle<Option<String>>,
    on_revoke: &Callback<String>,
) -> Html {
    let status = if key.revoked_at.is_some() {
        "revoked"
    } else {
        "active"
    };
    let actions = if key.revoked_at.is_some() {
        html! {}
    } else if asking {
        let cancel = {
            let confirming = confirming.clone();
            Callback::from(move |_: MouseEvent| confirming.set(None))
        };
        let id = key.id.clone();
        html! {
            <div class="actions confirm" role="group" aria-label={format!("Revoke {}?", key.redacted)}>
                <span>{ format!("Revoke {}? Requests with it fail at once.", key.redacted) }</span>
                <button type="button" class="danger" id="revoke-confirm"
                    onclick={on_revoke.reform(move |_: MouseEvent| id.clone())}>{ "Yes, revoke" }</button>
                <button type="button" class="secondary" id="revoke-cancel" onclick={cancel}>{ "Cancel" }</button>
            </div>
        }
    } else {
        let ask = {
            let (confirming, id) = (confirming.clone(), key.id.clone());
            Callback::from(move |_: MouseEvent| confirming.set(Some(id.clone())))
        };
        html! {
            <button type="button" class="danger" id={format!("revoke-{}", key.id)} onclick={ask}
                aria-label={format!("Revoke {}", key.redacted)}>{ "Revoke" }</button>
        }
    };
    html! {
        <tr key={key.id.clone()} data-key-id={key.id.clone()} data-kind={key.kind.clone()}>
            <td><code>{ key.redacted.clone() }</code></td>
            <td>{ key.kind.clone() }</td>
            <td>{ if key.livemode { "live" } else { "test" } }</td>
            <td><Time at={key.created_at.clone()} /></td>
            <td>
                <StatusBadge status={status} />
                if let Some(at) = &key.revoked_at {
                    { " " }<Time at={at.clone()} />
                }
            </td>
            <td>{ actions }</td>
        </tr>
    }
}

#[derive(Properties, PartialEq)]
struct CreateKeyProps {
    on_created: Callback<NewKey>,
}

/// Creates a key of the chosen kind in the shown mode.
#[function_component(CreateKey)]
fn create_key(props: &CreateKeyProps) -> Html {
    let api = use_console().api;
    let kind = use_state(|| "secret".to_owned());
    let task = use_task();
    let onchange = {
        let kind = kind.clone();
        Callback::from(move |e: Event| {
            kind.set(
                e.target_unchecked_into::<web_sys::HtmlSelectElement>()
                    .value(),
            );
        })
    };
    let onsubmit = {
        let (api, kind, task, done) = (api, kind.clone(), task.clone(), props.on_created.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let (api, kind) = (api.clone(), (*kind).clone());
            let done = done.clone();
            task.run(
                async move {
                    api.post::<NewKey>("/v1/api_keys", &CreateBody { kind: &kind })
                        .await
                },
                move |key| done.emit(key),
            );
        })
    };
    html! {
        <form class="panel" aria-label="Create an API key" {onsubmit}>
            <div class="fields">
                <div class="field narrow">
                    <label for="key-kind">{ "Kind" }</label>
                    <select id="key-kind" {onchange}>
                        <option value="secret" selected={*kind == "secret"}>{ "Secret" }</option>
                        <option value="publishable" selected={*kind == "publishable"}>{ "Publishable" }</option>
                    </select>
                </div>
                <button type="submit">{ "Create key" }</button>
            </div>
            <Alert error={task.error.clone()} />
        </form>
    }
}
