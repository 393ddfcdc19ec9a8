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
mod i18n;
mod icons;
mod model;
mod read;
mod screens;
mod strings;
mod wallet;

use wasm_bindgen::prelude::*;

/// A first-fit free list that merges neighbours: the widget's heap is small and short-lived
/// (a page's checkout), and dlmalloc's size classes and bins were 2 KB of the download.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());

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
/// (the hosted page). `locale` is the merchant's choice of language (empty: the session's
/// or the browser's); `on_locale(locale, rtl)` is called with each language the widget shows.
/// `provider` is the merchant's EIP-1193 provider, shown as `provider_name` (empty: as the
/// browser wallet), or `undefined`: then the widget offers the browser's wallets.
/// `first_view` is the loader's `fetch` of the view (a `Promise<Response>`), begun while the
/// wasm loaded, or `undefined`.
#[wasm_bindgen]
#[expect(
    clippy::too_many_arguments,
    reason = "the loader's one call into the widget"
)]
pub fn mount(
    element: web_sys::Element,
    session: String,
    client_secret: String,
    api_base: String,
    on_status: js_sys::Function,
    redirect_on_success: bool,
    locale: String,
    on_locale: js_sys::Function,
    provider: JsValue,
    provider_name: String,
    first_view: JsValue,
) -> WidgetHandle {
    let props = app::CheckoutProps {
        session: session.into(),
        client_secret: client_secret.into(),
        api_base: api_base.trim_end_matches('/').to_owned().into(),
        on_status: yew::Callback::from(move |status: String| {
            let _ = on_status.call1(&JsValue::NULL, &JsValue::from_str(&status));
        }),
        redirect_on_success,
        locale: kasse_shared::locale::matching(&locale),
        on_locale: yew::Callback::from(move |(locale, rtl): (&'static str, bool)| {
            let _ = on_locale.call2(
                &JsValue::NULL,
                &JsValue::from_str(locale),
                &JsValue::from_bool(rtl),
            );
        }),
        provider: wallet::merchant(provider, provider_name),
        first_view: api::FirstView::new(first_view.dyn_into().ok()),
    };
    WidgetHandle {
        app: Some(yew::Renderer::<app::Checkout>::with_root_and_props(element, props).render()),
    }
}
