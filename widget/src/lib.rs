//! Kasse's checkout widget. The loader (`www/kasse.js`) imports the wasm-bindgen glue and
//! calls [`mount`] for each `data-kasse-session` element.

mod app;

use wasm_bindgen::prelude::*;

/// A mounted widget; dropping it without `unmount()` leaves it on the page.
#[wasm_bindgen]
pub struct WidgetHandle {
    app: Option<yew::AppHandle<app::Checkout>>,
}

#[wasm_bindgen]
impl WidgetHandle {
    /// Removes the widget from the page.
    pub fn unmount(&mut self) {
        if let Some(app) = self.app.take() {
            app.destroy();
        }
    }
}

/// Mounts the widget for `session` inside `element`.
#[wasm_bindgen]
pub fn mount(element: web_sys::Element, session: String) -> WidgetHandle {
    let props = app::CheckoutProps { session };
    WidgetHandle {
        app: Some(yew::Renderer::<app::Checkout>::with_root_and_props(element, props).render()),
    }
}
