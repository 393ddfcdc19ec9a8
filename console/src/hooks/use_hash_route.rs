//! Following the address bar: every change of the fragment (a link, Back, a typed URL)
//! becomes the frame's route.

use yew::prelude::*;

use crate::model::{Action, Shell};
use crate::route::Route;

#[hook]
pub fn use_hash_route(shell: &UseReducerHandle<Shell>) {
    let shell = shell.clone();
    use_effect_with((), move |()| {
        let listener = web_sys::window().map(|window| {
            let location = window.location();
            gloo_events::EventListener::new(&window, "hashchange", move |_| {
                let hash = location.hash().unwrap_or_default();
                shell.dispatch(Action::Navigate(Route::parse(&hash)));
                // A new page starts at its top, as a page load would.
                if let Some(window) = web_sys::window() {
                    window.scroll_to_with_x_and_y(0.0, 0.0);
                }
            })
        });
        move || drop(listener)
    });
}
