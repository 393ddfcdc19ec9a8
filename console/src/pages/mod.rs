//! One page per route, one file each. A page is a function component that renders a
//! [`Page`](crate::components::Page) (its `data-page`, `<h1>` and `data-loaded`) and reads
//! the API through [`use_console`](crate::hooks::use_console) and
//! [`use_load`](crate::hooks::use_load). To add one: a variant in `route::Route` (parse and
//! `to_hash`), a file here, and an arm in [`view`].

mod keys;
mod links;
mod overview;
mod refund;
mod refunds;
mod session;
mod sessions;
mod settings;
mod sign_in;
mod sweeps;
mod webhooks;

use yew::prelude::*;

use crate::components::{Alert, Page};
use crate::route::Route;

pub use sign_in::SignInPage;

/// The page of `route`, inside the signed-in frame.
pub fn view(route: &Route) -> Html {
    match route {
        Route::Overview => html! { <overview::Overview /> },
        Route::Sessions(query) => html! { <sessions::Sessions query={query.clone()} /> },
        // Keyed by id: another session is a new page, with nothing of the last one.
        Route::Session(id) => html! { <session::SessionPage key={id.clone()} id={id.clone()} /> },
        Route::Links => html! { <links::Links /> },
        Route::Webhooks => html! { <webhooks::Webhooks /> },
        Route::Keys => html! { <keys::Keys /> },
        Route::Settings => html! { <settings::Settings /> },
        Route::Sweeps => html! { <sweeps::Sweeps /> },
        Route::Refunds(query) => {
            html! { <refunds::Refunds key={query.format()} query={query.clone()} /> }
        }
        // Keyed by id, like a session: another refund starts a new page.
        Route::Refund(id) => html! { <refund::RefundPage key={id.clone()} id={id.clone()} /> },
        Route::NotFound(path) => html! {
            <Page name="not-found" title="Page not found" loaded=true>
                <Alert message={AttrValue::from(format!("The console has no page at #/{path}."))} />
                <p><a href="#/">{ "Go to the overview" }</a></p>
            </Page>
        },
    }
}
