//! Kasse's checkout widget. The loader (`www/kasse.js`) imports the wasm-bindgen glue and
//! calls [`mount`] for each `data-kasse-session` element.

mod app;
mod model;
mod strings;

use wasm_bindgen::prelude::*;

/// A mounted widget; `unmount()` removes it from the page.
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
/// `api_base` with the session's `client_secret`.
#[wasm_bindgen]
pub fn mount(
    element: web_sys::Element,
    session: String,
    client_secret: String,
    api_base: String,
) -> WidgetHandle {
    let props = app::CheckoutProps {
        session: session.into(),
        client_secret: client_secret.into(),
        api_base: api_base.trim_end_matches('/').to_owned().into(),
    };
    WidgetHandle {
        app: Some(yew::Renderer::<app::Checkout>::with_root_and_props(element, props).render()),
    }
}
