//! The console's navigation: plain links to the fragments, the current page marked.

use yew::prelude::*;

use crate::route::{NAV, Route};

#[derive(Properties, PartialEq)]
pub struct NavProps {
    pub route: Route,
}

#[function_component(Nav)]
pub fn nav(props: &NavProps) -> Html {
    let current = props.route.nav_href();
    html! {
        <nav class="nav" aria-label="Console">
            <ul>
                { for NAV.iter().map(|(label, href)| html! {
                    <li>
                        <a href={*href} aria-current={(current == Some(*href)).then_some("page")}>{ *label }</a>
                    </li>
                }) }
            </ul>
        </nav>
    }
}
