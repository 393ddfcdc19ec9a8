//! "Newest" and "Older" under a list paged by a cursor (each page starts after the last id
//! of the one before): absent on a list of one page.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct CursorPagerProps {
    /// Names the navigation: "Pages of refunds".
    pub label: AttrValue,
    /// The page shown: after this id, or the newest when `None`.
    pub after: UseStateHandle<Option<String>>,
    /// The last id of the page shown, when more follow it.
    pub next: Option<String>,
}

#[function_component(CursorPager)]
pub fn cursor_pager(props: &CursorPagerProps) -> Html {
    if props.after.is_none() && props.next.is_none() {
        return Html::default();
    }
    let go = |to: Option<String>| {
        let after = props.after.clone();
        Callback::from(move |_: MouseEvent| after.set(to.clone()))
    };
    html! {
        <nav class="actions" aria-label={props.label.clone()}>
            <button type="button" class="secondary" disabled={props.after.is_none()}
                onclick={go(None)}>{ "Newest" }</button>
            <button type="button" class="secondary" disabled={props.next.is_none()}
                onclick={go(props.next.clone())}>{ "Older" }</button>
        </nav>
    }
}
