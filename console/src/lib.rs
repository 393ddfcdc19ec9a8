//! Kasse's merchant console, served at `/console`. `www/console.js` imports the
//! wasm-bindgen glue and calls [`mount`] on `#console`. It talks to the same REST API as a
//! merchant's server, authenticated by the `HttpOnly` console cookie that signing in with a
//! secret key sets; the key itself never stays in the browser.

#![expect(
    unreachable_pub,
    reason = "Yew's `#[function_component]` exposes each component's props in a `pub` item, so components and props stay `pub` inside these private modules"
)]

mod api;
mod app;
mod clock;
mod components;
mod csv;
mod figures;
mod frame;
mod hooks;
mod model;
mod money;
mod objects;
mod pages;
mod route;
mod wallet;

use wasm_bindgen::prelude::*;

/// Renders the console into `element` (the page's `#console`).
#[wasm_bindgen]
pub fn mount(element: web_sys::Element) {
    yew::Renderer::<app::App>::with_root(element).render();
}
