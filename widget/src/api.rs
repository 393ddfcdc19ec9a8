//! The public calls the widget makes, authenticated by the session's client secret: read
//! the shopper view, select an option, ask for a check, request a refund.

use kasse_shared::error_code::ErrorCode;
use kasse_shared::shopper::ShopperView;
use yew::AttrValue;

/// Where the session lives and how to reach it.
#[derive(Clone)]
pub struct Api {
    /// Origin of the Kasse deployment, e.g. `https://pay.example` (no trailing slash).
    pub base: AttrValue,
    pub session: AttrValue,
    pub client_secret: AttrValue,
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

/// The bodies the widget sends, typed (no `serde_json::Value` in the bundle).
#[derive(serde::Serialize)]
#[serde(untagged)]
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
}

/// `{"error": {"code": …, "message": …}}`: all the widget reads of an error.
#[derive(serde::Deserialize)]
struct ErrorBody {
    error: ErrorFields,
}

#[derive(serde::Deserialize)]
struct ErrorFields {
    code: ErrorCode,
    #[serde(default)]
    message: String,
}

impl Api {
    fn view_url(&self) -> String {
        format!("{}/v1/public/checkout_sessions/{}", self.base, self.session)
    }

    /// The shopper view; `NotModified` when it still has the ETag `etag`.
    pub async fn fetch_view(&self, etag: Option<&str>) -> Result<Fetched, String> {
        let mut request = gloo_net::http::Request::get(&self.view_url())
            .header("Kasse-Client-Secret", &self.client_secret);
        if let Some(tag) = etag {
            request = request.header("If-None-Match", tag);
        }
        let response = request.send().await.map_err(|e| e.to_string())?;
        if response.status() == 304 {
            return Ok(Fetched::NotModified);
        }
        if !response.ok() {
            return Err(format!("HTTP {}", response.status()));
        }
        let etag = response.headers().get("etag");
        let view = read_json::<ShopperView>(response).await?;
        Ok(Fetched::View {
            view: Box::new(view),
            etag,
        })
    }

    /// A public POST: `select` and `check` answer with the shopper view, `refund_request`
    /// with the refund it created.
    pub async fn post<T: serde::de::DeserializeOwned>(
        &self,
        body: &Body<'_>,
    ) -> Result<T, PostError> {
        let response = self.send(body).await?;
        read_json::<T>(response)
            .await
            .map_err(|_| PostError::Unanswered)
    }

    /// Sends `body` to its route; an answer that is not a success becomes the error it says.
    async fn send(&self, body: &Body<'_>) -> Result<gloo_net::http::Response, PostError> {
        let url = format!("{}/{}", self.view_url(), body.action());
        let json = serde_wasm_bindgen::to_value(body)
            .ok()
            .and_then(|v| js_sys::JSON::stringify(&v).ok())
            .and_then(|s| s.as_string())
            .ok_or(PostError::Unanswered)?;
        let response = gloo_net::http::Request::post(&url)
            .header("Kasse-Client-Secret", &self.client_secret)
            .header("Content-Type", "application/json")
            .body(json)
            .map_err(|_| PostError::Unanswered)?
            .send()
            .await
            .map_err(|_| PostError::Unanswered)?;
        if response.ok() {
            return Ok(response);
        }
        let status = response.status();
        let (code, message) = read_json::<ErrorBody>(response)
            .await
            .map_or((ErrorCode::Unknown, String::new()), |e| {
                (e.error.code, e.error.message)
            });
        Err(PostError::Refused {
            status,
            code,
            message,
        })
    }
}

/// Parses a JSON body with the browser's parser, then maps it with serde.
async fn read_json<T: serde::de::DeserializeOwned>(
    response: gloo_net::http::Response,
) -> Result<T, String> {
    let promise = web_sys::Response::from(response)
        .json()
        .map_err(|_| "the body is not JSON".to_owned())?;
    let value = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(|_| "the body is not JSON".to_owned())?;
    serde_wasm_bindgen::from_value(value).map_err(|e| e.to_string())
}
