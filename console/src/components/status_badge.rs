//! A status as a badge: its colour says how far it got, its text says which it is.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct StatusBadgeProps {
    /// A session, payment, delivery or sweep status as the API writes it (`paid_late`).
    pub status: AttrValue,
}

/// The badge's colour family.
fn tone(status: &str) -> &'static str {
    match status {
        "paid" | "paid_late" | "overpaid" | "confirmed" | "delivered" | "succeeded" | "active"
        | "enabled" | "ok" => "good",
        "detected" | "underpaid" | "pending" | "stalled" => "busy",
        "failed" | "reorged" | "disabled" | "failing" => "bad",
        _ => "plain",
    }
}

#[function_component(StatusBadge)]
pub fn status_badge(props: &StatusBadgeProps) -> Html {
    let status = props.status.as_str();
    html! {
        <span class={classes!("badge", tone(status))} data-status={props.status.clone()}>
            { status.replace('_', " ") }
        </span>
    }
}
