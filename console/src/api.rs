//! The one way the console talks to Kasse: same-origin `fetch` with the console cookie
//! (never a key: the browser holds only the `HttpOnly` cookie), the mode in `Kasse-Mode`,
//! JSON read by the browser's own parser, and every refusal as the API's error object.
//! An answer that says the console session ended tells the frame, which shows the sign-in
//! form for that mode.

use gloo_net::http::{Request, RequestBuilder, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::RequestCredentials;
use yew::Callback;

use crate::model::Mode;
use crate::route::encode;

/// The header that picks which mode's console cookie a request is made with.
const MODE_HEADER: &str = "Kasse-Mode";

/// The code of the 401 that ends a console session (signed out, idle, key revoked).
const SESSION_ENDED: &str = "console_session_ended";

/// A refusal: the API's `{"error": {type, code, message, param}}`, or the network's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status; 0 when no answer arrived.
    pub status: u16,
    /// The API's `type` (`invalid_request_error`, …).
    pub kind: String,
    pub code: String,
    /// What the merchant reads: the API's own message.
    pub message: String,
    pub param: Option<String>,
}

impl ApiError {
    /// A failure that never reached the API, or an answer that was not Kasse's.
    pub fn local(message: impl Into<String>) -> Self {
        Self {
            status: 0,
            kind: "network_error".into(),
            code: "network_error".into(),
            message: message.into(),
            param: None,
        }
    }

    pub fn session_ended(&self) -> bool {
        self.status == 401 && self.code == SESSION_ENDED
    }
}

#[derive(serde::Deserialize)]
struct ErrorBody {
    error: ErrorFields,
}

#[derive(serde::Deserialize)]
struct ErrorFields {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    param: Option<String>,
}

/// The answer to a sign-in.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct ConsoleSession {
    pub account_id: String,
    pub livemode: bool,
    /// The key signed in with, redacted (`sk_test_…a1b2`).
    #[serde(default)]
    pub key: String,
}

/// The API as one mode's console session sees it. Cheap to clone; equal when the mode is,
/// so an effect that depends on it runs again when the mode changes.
#[derive(Clone)]
pub struct Api {
    pub mode: Mode,
    /// Told when an answer says this mode's console session has ended.
    ended: Callback<(Mode, String)>,
}

impl PartialEq for Api {
    fn eq(&self, other: &Self) -> bool {
        self.mode == other.mode
    }
}

impl Api {
    pub fn new(mode: Mode, ended: Callback<(Mode, String)>) -> Self {
        Self { mode, ended }
    }

    fn request(&self, builder: RequestBuilder) -> RequestBuilder {
        builder
            .header(MODE_HEADER, self.mode.as_str())
            .credentials(RequestCredentials::SameOrigin)
    }

    /// Sends, and turns any answer but a 2xx into its [`ApiError`].
    async fn send(&self, request: Result<Request, gloo_net::Error>) -> Result<Response, ApiError> {
        let request = request.map_err(|e| ApiError::local(e.to_string()))?;
        let response = request.send().await.map_err(|_| {
            ApiError::local("Kasse could not be reached. Check the connection and try again.")
        })?;
        if response.ok() {
            return Ok(response);
        }
        let error = refusal(response).await;
        if error.session_ended() {
            self.ended.emit((self.mode, error.message.clone()));
        }
        Err(error)
    }

    /// `GET` a JSON object, read as `T` (unknown fields are ignored).
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        from_value(self.get_value(path).await?)
    }

    /// `GET` a JSON value as the browser parsed it (for [`pretty`]).
    pub async fn get_value(&self, path: &str) -> Result<JsValue, ApiError> {
        let response = self.send(self.request(Request::get(path)).build()).await?;
        json_of(response).await
    }

    /// `GET` a text body (the CSV exports).
    pub async fn get_text(&self, path: &str) -> Result<String, ApiError> {
        let response = self.send(self.request(Request::get(path)).build()).await?;
        response
            .text()
            .await
            .map_err(|_| ApiError::local("The answer could not be read."))
    }

    /// `POST` `body` as JSON; the answer read as `T`.
    pub async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl Serialize,
    ) -> Result<T, ApiError> {
        let json = to_json(body)?;
        from_value(self.post_raw(path, Some(json)).await?)
    }

    /// `POST` `body` as JSON under an `Idempotency-Key`: the same key and body sent again
    /// (a retry after a lost answer) gets the first answer back instead of acting twice.
    pub async fn post_once<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl Serialize,
        idempotency_key: &str,
    ) -> Result<T, ApiError> {
        let request = self
            .request(Request::post(path))
            .header("Idempotency-Key", idempotency_key)
            .header("Content-Type", "application/json")
            .body(to_json(body)?);
        from_value(json_of(self.send(request).await?).await?)
    }

    /// `POST` with no body (cancel, check, revoke, redeliver to every endpoint).
    pub async fn post_empty<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        from_value(self.post_raw(path, None).await?)
    }

    async fn post_raw(&self, path: &str, json: Option<String>) -> Result<JsValue, ApiError> {
        let builder = self.request(Request::post(path));
        let request = match json {
            Some(json) => builder
                .header("Content-Type", "application/json")
                .body(json),
            None => builder.build(),
        };
        json_of(self.send(request).await?).await
    }

    /// Fetches `path` with the cookie and saves the body as a file, named as the answer's
    /// `Content-Disposition` says (else `fallback_name`).
    pub async fn download(&self, path: &str, fallback_name: &str) -> Result<(), ApiError> {
        let response = self.send(self.request(Request::get(path)).build()).await?;
        let name = response
            .headers()
            .get("content-disposition")
            .and_then(|d| attachment_name(&d))
            .unwrap_or_else(|| fallback_name.to_owned());
        let text = response
            .text()
            .await
            .map_err(|_| ApiError::local("The export could not be read."))?;
        save_file(&name, &text, "text/csv;charset=utf-8")
            .map_err(|()| ApiError::local("The browser refused to save the file."))
    }

    /// `POST /v1/console/sessions`: a console session for `api_key`, in the key's mode.
    pub async fn sign_in(&self, api_key: &str) -> Result<ConsoleSession, ApiError> {
        #[derive(Serialize)]
        struct Body<'a> {
            api_key: &'a str,
        }
        // Sign-in errors (a wrong key) are the form's to show, never an ended session.
        let request = self
            .request(Request::post("/v1/console/sessions"))
            .header("Content-Type", "application/json")
            .body(to_json(&Body { api_key })?)
            .map_err(|e| ApiError::local(e.to_string()))?;
        let response = request.send().await.map_err(|_| {
            ApiError::local("Kasse could not be reached. Check the connection and try again.")
        })?;
        if !response.ok() {
            return Err(refusal(response).await);
        }
        from_value(json_of(response).await?)
    }

    /// `DELETE /v1/console/sessions/current`: ends this mode's console session.
    pub async fn sign_out(&self) -> Result<(), ApiError> {
        let response = self
            .request(Request::delete("/v1/console/sessions/current"))
            .build()
            .map_err(|e| ApiError::local(e.to_string()))?
            .send()
            .await
            .map_err(|_| {
                ApiError::local("Kasse could not be reached. Check the connection and try again.")
            })?;
        if response.ok() {
            Ok(())
        } else {
            Err(refusal(response).await)
        }
    }
}

/// A query string: `?a=1&b=x%40y`, leaving out empty values; empty when nothing is left.
/// Names are written as given (`created[gte]`); values are percent-encoded.
pub fn query(pairs: &[(&str, &str)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// A new idempotency key: the browser's random UUID (a secure context always has one), or
/// the clock and `Math.random` where it has not.
pub fn new_idempotency_key() -> String {
    let uuid = js_sys::Reflect::get(&js_sys::global(), &"crypto".into())
        .ok()
        .filter(JsValue::is_object)
        .and_then(|crypto| {
            let make = js_sys::Reflect::get(&crypto, &"randomUUID".into()).ok()?;
            make.dyn_ref::<js_sys::Function>()?
                .call0(&crypto)
                .ok()?
                .as_string()
        });
    uuid.unwrap_or_else(|| {
        let random = js_sys::Math::random().to_string();
        format!(
            "console-{}-{}",
            js_sys::Date::now(),
            random.trim_start_matches("0.")
        )
    })
}

/// JSON indented by two spaces, as the browser writes it.
pub fn pretty(value: &JsValue) -> String {
    js_sys::JSON::stringify_with_replacer_and_space(value, &JsValue::NULL, &JsValue::from(2))
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default()
}

/// Reads a JSON value as `T`.
pub fn from_value<T: DeserializeOwned>(value: JsValue) -> Result<T, ApiError> {
    serde_wasm_bindgen::from_value(value)
        .map_err(|e| ApiError::local(format!("The answer was not understood: {e}")))
}

/// `T` as JSON text (maps as objects, numbers as numbers).
fn to_json(body: &impl Serialize) -> Result<String, ApiError> {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    body.serialize(&serializer)
        .ok()
        .and_then(|v| js_sys::JSON::stringify(&v).ok())
        .and_then(|s| s.as_string())
        .ok_or_else(|| ApiError::local("The request could not be written."))
}

/// The body as JSON, parsed by the browser (`null` for an empty body).
async fn json_of(response: Response) -> Result<JsValue, ApiError> {
    let text = response
        .text()
        .await
        .map_err(|_| ApiError::local("The answer could not be read."))?;
    if text.trim().is_empty() {
        return Ok(JsValue::NULL);
    }
    js_sys::JSON::parse(&text).map_err(|_| ApiError::local("The answer is not JSON."))
}

/// The error object of a refusal, or a plain description when the body is not one.
async fn refusal(response: Response) -> ApiError {
    let status = response.status();
    let parsed = match json_of(response).await {
        Ok(value) => serde_wasm_bindgen::from_value::<ErrorBody>(value).ok(),
        Err(_) => None,
    };
    match parsed {
        Some(ErrorBody { error }) => ApiError {
            status,
            kind: error.kind,
            code: error.code,
            message: error.message,
            param: error.param,
        },
        None => ApiError {
            status,
            ..ApiError::local(format!("Kasse answered HTTP {status}."))
        },
    }
}

/// `attachment; filename="payments-test-….csv"` → the file name.
fn attachment_name(disposition: &str) -> Option<String> {
    let (_, rest) = disposition.split_once("filename=")?;
    let name = rest.split(';').next()?.trim().trim_matches('"');
    (!name.is_empty() && !name.contains(['/', '\\'])).then(|| name.to_owned())
}

/// Saves `text` as a download named `name`, through a Blob URL (no data leaves the page).
fn save_file(name: &str, text: &str, mime: &str) -> Result<(), ()> {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(drop)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(drop)?;
    let document = web_sys::window().and_then(|w| w.document()).ok_or(())?;
    let link: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(drop)?
        .dyn_into()
        .map_err(drop)?;
    link.set_href(&url);
    link.set_download(name);
    link.click();
    // The download has started from the URL by then; it only holds the text in memory.
    gloo_timers::callback::Timeout::new(60_000, move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    })
    .forget();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_leaves_out_empty_values_and_encodes_the_rest() {
        assert_eq!(query(&[]), "");
        assert_eq!(query(&[("status", "")]), "");
        assert_eq!(
            query(&[
                ("created[gte]", "1700000000"),
                ("q", "a+b@x.io"),
                ("limit", "")
            ]),
            "?created[gte]=1700000000&q=a%2Bb%40x.io"
        );
    }

    #[test]
    fn the_attachment_name_is_read_from_content_disposition() {
        assert_eq!(
            attachment_name(r#"attachment; filename="payments-test-1-2.csv""#).as_deref(),
            Some("payments-test-1-2.csv")
        );
        assert_eq!(
            attachment_name("attachment; filename=x.csv; size=3").as_deref(),
            Some("x.csv")
        );
        assert_eq!(attachment_name("attachment"), None);
        assert_eq!(attachment_name(r#"attachment; filename="../x""#), None);
    }
}
