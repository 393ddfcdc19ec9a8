//! Kasse's checkout widget. The loader (`www/kasse.js`) imports the wasm-bindgen glue and
//! calls [`mount`] for each widget, inside a shadow root it owns.

#![expect(
    unreachable_pub,
    reason = "Yew's `#[function_component]` exposes each component's props in a `pub` item, so components and props stay `pub` inside these private modules"
)]

mod actions;
mod api;
mod app;
mod components;
mod hooks;
mod model;
mod screens;
mod strings;
mod wallet;

use wasm_bindgen::prelude::*;

/// A mounted widget; `unmount()` removes it and stops its timers and requests.
#[wasm_bindgen]
pub struct WidgetHandle {
    app: Option<yew::AppHandle<app::Checkout>>,
}

#[wasm_bindgen]
impl WidgetHandle {
    pub fn unmount(&mut self) {
        if let Some(app) = self.app.take() {
            app.destroy();
        }
    }
}

/// Mounts the checkout for `session` inside `element`, talking to the Kasse deployment at
/// `api_base` with the session's `client_secret`. `on_status(status)` is called with every
/// status the widget shows; `redirect_on_success` follows `success_url` after a payment
/// (the hosted page).
#[wasm_bindgen]
pub fn mount(
    element: web_sys::Element,
    session: String,
    client_secret: String,
    api_base: String,
    on_status: js_sys::Function,
    redirect_on_success: bool,
) -> WidgetHandle {
    let props = app::CheckoutProps {
        session: session.into(),
        client_secret: client_secret.into(),
        api_base: api_base.trim_end_matches('/').to_owned().into(),
        on_status: yew::Callback::from(move |status: String| {
            let _ = on_status.call1(&JsValue::NULL, &JsValue::from_str(&status));
        }),
        redirect_on_success,
    };
    WidgetHandle {
        app: Some(yew::Renderer::<app::Checkout>::with_root_and_props(element, props).render()),
    }
}
