//! A value the shopper may copy (the amount, the address), with a button that says when it
//! did.

use yew::prelude::*;

use crate::strings as s;

#[derive(Properties, PartialEq)]
pub struct CopyableProps {
    pub label: AttrValue,
    /// What goes to the clipboard.
    pub value: AttrValue,
    /// What the shopper reads.
    pub display: AttrValue,
}

#[function_component(Copyable)]
pub fn copyable(props: &CopyableProps) -> Html {
    let copied = use_state(|| false);
    let onclick = {
        let value = props.value.clone();
        let copied = copied.clone();
        Callback::from(move |_| {
            if let Some(window) = web_sys::window() {
                let _ = window.navigator().clipboard().write_text(&value);
                copied.set(true);
            }
        })
    };
    html! {
        <div class="kasse-copy">
            <span class="kasse-label">{ &props.label }</span>
            <code>{ &props.display }</code>
            <button type="button" {onclick} aria-label={s::COPY_WHAT.fill(&[("what", &props.label)])}>
                { if *copied { s::COPIED } else { s::COPY } }
            </button>
            <span class="kasse-sr" role="status">{ if *copied { s::COPIED.text() } else { String::new() } }</span>
        </div>
    }
}
