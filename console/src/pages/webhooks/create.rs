//! The form that adds an endpoint: its URL, every event or a chosen few, a description.

use serde::Serialize;
use yew::prelude::*;

use super::Endpoint;
use crate::components::{Alert, FieldError, focus_first_invalid, names_field};
use crate::hooks::{use_console, use_task};

/// Every event type an endpoint may ask for, in the order the README lists them.
const EVENT_TYPES: [&str; 14] = [
    "session.created",
    "session.detected",
    "session.paid",
    "session.paid_late",
    "session.underpaid",
    "session.overpaid",
    "session.expired",
    "session.canceled",
    "session.failed",
    "session.updated",
    "session.payment_unexpected",
    "session.payment_after_close",
    "sweep.succeeded",
    "sweep.failed",
];

#[derive(Serialize)]
struct CreateBody {
    url: String,
    events: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
}

#[derive(Properties, PartialEq)]
pub(super) struct CreateEndpointProps {
    pub(super) on_created: Callback<Endpoint>,
}

#[function_component(CreateEndpoint)]
pub(super) fn create_endpoint(props: &CreateEndpointProps) -> Html {
    let api = use_console().api;
    let url = use_state(String::new);
    let description = use_state(String::new);
    let all = use_state(|| true);
    let chosen = use_state(Vec::<&'static str>::new);
    let task = use_task();
    use_effect_with(task.error.clone(), |error| {
        if error.is_some() {
            focus_first_invalid("[data-page=\"webhooks\"] form");
        }
    });
    let onsubmit = {
        let (url, description, all, chosen) = (
            url.clone(),
            description.clone(),
            all.clone(),
            chosen.clone(),
        );
        let (task, done) = (task.clone(), props.on_created.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let events = if *all {
                vec!["*"]
            } else {
                // In the list's order, whatever order they were ticked in.
                EVENT_TYPES
                    .into_iter()
                    .filter(|t| chosen.contains(t))
                    .collect()
            };
            let body = CreateBody {
                url: url.trim().to_owned(),
                events,
                description: Some(description.trim().to_owned()).filter(|d| !d.is_empty()),
            };
            let (api, done) = (api.clone(), done.clone());
            let (url, description) = (url.clone(), description.clone());
            task.run(
                async move { api.post::<Endpoint>("/v1/webhook_endpoints", &body).await },
                move |endpoint| {
                    url.set(String::new());
                    description.set(String::new());
                    done.emit(endpoint);
                },
            );
        })
    };
    let error = task.error.clone();
    let (url_error, events_error) = (
        names_field(error.as_ref(), "url"),
        names_field(error.as_ref(), "events"),
    );
    let other_error = error.clone().filter(|_| !url_error && !events_error);
    html! {
        <form class="panel" aria-label="Add a webhook endpoint" novalidate=true {onsubmit}>
            <h2>{ "Add an endpoint" }</h2>
            <div class="fields">
                <div class="field">
                    <label for="endpoint-url">{ "URL" }</label>
                    <input id="endpoint-url" type="url" autocomplete="off"
                        placeholder="https://shop.example/kasse" value={(*url).clone()}
                        aria-invalid={url_error.then_some("true")}
                        aria-describedby={url_error.then_some("endpoint-url-error")}
                        oninput={text_input(&url)} />
                    <FieldError id="endpoint-url-error" field="url" error={error.clone()} />
                </div>
                <div class="field">
                    <label for="endpoint-description">{ "Description (optional)" }</label>
                    <input id="endpoint-description" type="text" autocomplete="off"
                        value={(*description).clone()} oninput={text_input(&description)} />
                </div>
            </div>
            <fieldset class="events" aria-describedby={events_error.then_some("endpoint-events-error")}>
                <legend>{ "Events" }</legend>
                <label class="check">
                    <input type="checkbox" checked={*all} onchange={{
                        let all = all.clone();
                        Callback::from(move |e: Event| all.set(checked(&e)))
                    }} />
                    { " All events, including those added later" }
                </label>
                if !*all {
                    <div class="checks">
                        { for EVENT_TYPES.iter().map(|t| event_box(t, &chosen)) }
                    </div>
                }
                <FieldError id="endpoint-events-error" field="events" error={error.clone()} />
            </fieldset>
            <div class="actions">
                <button type="submit">{ "Add endpoint" }</button>
                <span class="muted" role="status">{ if task.busy { "Adding…" } else { "" } }</span>
            </div>
            <Alert error={other_error} />
        </form>
    }
}

fn event_box(event: &'static str, chosen: &UseStateHandle<Vec<&'static str>>) -> Html {
    let onchange = {
        let chosen = chosen.clone();
        Callback::from(move |e: Event| {
            let mut next: Vec<&'static str> =
                chosen.iter().copied().filter(|t| *t != event).collect();
            if checked(&e) {
                next.push(event);
            }
            chosen.set(next);
        })
    };
    html! {
        <label class="check">
            <input type="checkbox" checked={chosen.contains(&event)} {onchange} />
            { " " }<code>{ event }</code>
        </label>
    }
}

fn checked(e: &Event) -> bool {
    e.target_unchecked_into::<web_sys::HtmlInputElement>()
        .checked()
}

fn text_input(state: &UseStateHandle<String>) -> Callback<InputEvent> {
    let state = state.clone();
    Callback::from(move |e: InputEvent| {
        state.set(
            e.target_unchecked_into::<web_sys::HtmlInputElement>()
                .value(),
        );
    })
}
