//! A time from the API (RFC 3339, UTC) in the merchant's local time, machine-readable in
//! `datetime` and in UTC in the tooltip.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct TimeProps {
    /// RFC 3339, as the API writes it.
    pub at: AttrValue,
}

/// `2026-11-30 14:05:09` in local time; the input as it is when it is not a time.
pub fn local(at: &str) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(at));
    if date.get_time().is_nan() {
        return at.to_owned();
    }
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        date.get_full_year(),
        date.get_month() + 1,
        date.get_date(),
        date.get_hours(),
        date.get_minutes(),
        date.get_seconds()
    )
}

#[function_component(Time)]
pub fn time(props: &TimeProps) -> Html {
    html! {
        <time datetime={props.at.clone()} title={props.at.clone()}>{ local(&props.at) }</time>
    }
}
