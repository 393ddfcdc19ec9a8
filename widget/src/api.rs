//! The public calls the widget makes, authenticated by the session's client secret: read
//! the shopper view, select an option, ask for a check, request a refund. Straight on the
//! browser's `fetch` and JSON parser: no HTTP or serde crate in the widget's wasm.

use std::cell::RefCell;
use std::rc::Rc;

use kasse_shared::error_code::ErrorCode;
use kasse_shared::shopper::ShopperView;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use yew::AttrValue;

use crate::read::{self, Read};

/// Where the session lives and how to reach it.
#[derive(Clone)]
pub struct Api {
    /// Origin of the Kasse deployment, e.g. `https://pay.example` (no trailing slash).
    pub base: AttrValue,
    pub session: AttrValue,
    pub client_secret: AttrValue,
    pub first_view: FirstView,
}

/// The loader's read of the view (a `Promise<Response>`), started while the wasm was still
/// loading: the first read of the view takes it instead of asking again.
#[derive(Clone, Default)]
pub struct FirstView(Rc<RefCell<Option<js_sys::Promise>>>);

impl FirstView {
    pub fn new(promise: Option<js_sys::Promise>) -> Self {
        Self(Rc::new(RefCell::new(promise)))
    }

    fn take(&self) -> Option<js_sys::Promise> {
        self.0.borrow_mut().take()
    }
}

impl PartialEq for FirstView {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

pub enum Fetched {
    View {
        view: Box<ShopperView>,
        /// The view's ETag, to send back as `If-None-Match`.
        etag: Option<String>,
    },
    NotModified,
}

/// Why a POST did not answer with a view.
pub enum PostError {
    /// No answer, or an answer that could not be read.
    Unanswered,
    /// The server refused, with its status, error code and message.
    Refused {
        status: u16,
        code: ErrorCode,
        message: String,
    },
}

/// The bodies the widget sends.
pub enum Body<'a> {
    Select { chain_id: u64, token: &'a str },
    Check { tx_hash: Option<&'a str> },
    RefundRequest { address: &'a str },
}

impl Body<'_> {
    /// The route the body goes to.
    fn action(&self) -> &'static str {
        match self {
            Self::Select { .. } => "select",
            Self::Check { .. } => "check",
            Self::RefundRequest { .. } => "refund_request",
        }
    }

    /// The body as JSON text.
    fn json(&self) -> String {
        match self {
            Self::Select { chain_id, token } => {
                format!(
                    r#"{{"chain_id":{chain_id},"token":{}}}"#,
                    json_string(token)
                )
            }
            Self::Check { tx_hash: None } => r#"{"tx_hash":null}"#.to_owned(),
            Self::Check {
                tx_hash: Some(hash),
            } => format!(r#"{{"tx_hash":{}}}"#, json_string(hash)),
            Self::RefundRequest { address } => {
                format!(r#"{{"address":{}}}"#, json_string(address))
            }
        }
    }
}

/// `text` as a JSON string: quoted, with quotes, backslashes and control characters escaped.
fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => {
                out.push_str("\\u00");
                out.push(hex_digit(u32::from(c) >> 4));
                out.push(hex_digit(u32::from(c) & 0xf));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn hex_digit(nibble: u32) -> char {
    char::from_digit(nibble, 16).unwrap_or('0')
}

impl Api {
    fn view_url(&self) -> String {
        format!("{}/v1/public/checkout_sessions/{}", self.base, self.session)
    }

    /// The shopper view; `NotModified` when it still has the ETag `etag`.
    pub async fn fetch_view(&self, etag: Option<&str>) -> Result<Fetched, String> {
        let response = match self.first_view.take() {
            Some(started) => JsFuture::from(started).await.and_then(JsCast::dyn_into),
            None => self.request("GET", &self.view_url(), etag, None).await,
        }
        .map_err(|_| "the view did not arrive".to_owned())?;
        if response.status() == 304 {
            return Ok(Fetched::NotModified);
        }
        if !response.ok() {
            return Err(format!("HTTP {}", response.status()));
        }
        let etag = response.headers().get("etag").ok().flatten();
        let view = read_json::<ShopperView>(&response)
            .await
            .ok_or_else(|| "the view could not be read".to_owned())?;
        Ok(Fetched::View {
            view: Box::new(view),
            etag,
        })
    }

    /// A public POST: `select` and `check` answer with the shopper view, `refund_request`
    /// with the refund it created.
    pub async fn post<T: Read>(&self, body: &Body<'_>) -> Result<T, PostError> {
        let url = format!("{}/{}", self.view_url(), body.action());
        let response = self
            .request("POST", &url, None, Some(&body.json()))
            .await
            .map_err(|_| PostError::Unanswered)?;
        if response.ok() {
            return read_json::<T>(&response).await.ok_or(PostError::Unanswered);
        }
        let status = response.status();
        let (code, message) = match json(&response).await {
            Some(answer) => read::error(&answer).unwrap_or((ErrorCode::Unknown, String::new())),
            None => (ErrorCode::Unknown, String::new()),
        };
        Err(PostError::Refused {
            status,
            code,
            message,
        })
    }

    /// One call to the public API with the client secret; `etag` goes as `If-None-Match`,
    /// `body` as JSON.
    async fn request(
        &self,
        method: &str,
        url: &str,
        etag: Option<&str>,
        body: Option<&str>,
    ) -> Result<web_sys::Response, JsValue> {
        let headers = web_sys::Headers::new()?;
        headers.set("Kasse-Client-Secret", &self.client_secret)?;
        if let Some(tag) = etag {
            headers.set("If-None-Match", tag)?;
        }
        let init = web_sys::RequestInit::new();
        init.set_method(method);
        if let Some(json) = body {
            headers.set("Content-Type", "application/json")?;
            init.set_body(&JsValue::from_str(json));
        }
        init.set_headers(&headers);
        let window = web_sys::window().ok_or(JsValue::NULL)?;
        JsFuture::from(window.fetch_with_str_and_init(url, &init))
            .await?
            .dyn_into()
    }
}

/// The body parsed by the browser; none when it is not JSON.
async fn json(response: &web_sys::Response) -> Option<JsValue> {
    JsFuture::from(response.json().ok()?).await.ok()
}

async fn read_json<T: Read>(response: &web_sys::Response) -> Option<T> {
    T::read(&json(response).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_the_json_the_server_reads() {
        let parse =
            |body: Body<'_>| serde_json::from_str::<serde_json::Value>(&body.json()).unwrap();
        let select = Body::Select {
            chain_id: 31_337,
            token: "US\"DC\\\n\u{1}é",
        };
        assert_eq!(
            parse(select),
            serde_json::json!({"chain_id": 31_337, "token": "US\"DC\\\n\u{1}é"})
        );
        assert_eq!(
            parse(Body::Check { tx_hash: None }),
            serde_json::json!({"tx_hash": null})
        );
        assert_eq!(
            parse(Body::Check {
                tx_hash: Some("0xab")
            }),
            serde_json::json!({"tx_hash": "0xab"})
        );
        assert_eq!(
            parse(Body::RefundRequest { address: "0x3C44" }),
            serde_json::json!({"address": "0x3C44"})
        );
        assert_eq!(json_string("a\u{1f}b"), r#""a\u001fb""#);
    }
}
