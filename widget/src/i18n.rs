//! The shopper's language: which one, and its catalogue, fetched from the deployment's
//! assets (`/i18n/{locale}.json`) when it is not English.

use std::rc::Rc;

use js_sys::{JSON, Reflect};
use kasse_shared::locale;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::strings::Catalogue;

/// The first of the browser's languages Kasse speaks.
pub fn browser_locale() -> Option<&'static str> {
    let languages = web_sys::window()?.navigator().languages();
    let tags: Vec<String> = languages.iter().filter_map(|l| l.as_string()).collect();
    locale::negotiate(tags.iter().map(String::as_str))
}

/// The catalogue of `locale` from the deployment at `api_base`.
pub async fn fetch(api_base: &str, locale: &'static str) -> Result<Rc<Catalogue>, JsValue> {
    let window = web_sys::window().ok_or(JsValue::NULL)?;
    let url = format!("{api_base}/i18n/{locale}.json");
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str(&url))
        .await?
        .dyn_into()?;
    if !response.ok() {
        return Err(JsValue::from(response.status()));
    }
    let text = JsFuture::from(response.text()?).await?;
    let texts = JSON::parse(&text.as_string().unwrap_or_default())?;
    Ok(Rc::new(Catalogue::new(locale, |key| {
        Reflect::get(&texts, &JsValue::from_str(key))
            .ok()
            .and_then(|v| v.as_string())
    })))
}
