//! A page's frame: `<section data-page>` with its one `<h1>`, marked `data-loaded="true"`
//! once its data has arrived (browsers and tests wait on it).

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct PageProps {
    /// `overview`, `sessions`, `session`, `links`, …: the section's `data-page`.
    pub name: AttrValue,
    pub title: AttrValue,
    /// The page's data arrived (or its request failed and the alert says why).
    pub loaded: bool,
    #[prop_or_default]
    pub children: Html,
}

#[function_component(Page)]
pub fn page(props: &PageProps) -> Html {
    html! {
        <section class="page" data-page={props.name.clone()}
            data-loaded={props.loaded.then_some("true")} aria-busy={(!props.loaded).then_some("true")}>
            <h1>{ props.title.clone() }</h1>
            if !props.loaded { <p class="muted" role="status">{ "Loading…" }</p> }
            { props.children.clone() }
        </section>
    }
}
