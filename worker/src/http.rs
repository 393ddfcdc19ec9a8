//! Small HTTP helpers shared by the handlers.

use serde::Serialize;
use worker::{Headers, Response};

/// A JSON response. Serialising our own types cannot fail; if it somehow does, the
/// client still gets a JSON error rather than a bare 500.
pub fn json_response<T: Serialize>(status: u16, body: &T) -> Response {
    let text = serde_json::to_string(body).unwrap_or_else(|_| {
        r#"{"error":{"type":"api_error","code":"internal_error","message":"Response could not be encoded.","param":null}}"#
            .to_owned()
    });
    let headers: Headers = [
        ("content-type", "application/json; charset=utf-8"),
        ("cache-control", "no-store"),
    ]
    .into_iter()
    .collect();
    Response::builder()
        .with_status(status)
        .with_headers(headers)
        .fixed(text.into_bytes())
}

/// The bearer token of an `Authorization` header, if any.
pub fn bearer_token(headers: &Headers) -> Option<String> {
    let value = headers.get("authorization").ok().flatten()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// Equality that takes the same time whatever the first differing byte.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// JSON bodies are limited to 64 KB.
pub const MAX_BODY: usize = 64 * 1024;

/// Reads a request body as text, refusing oversized ones.
pub async fn body_text(req: &mut worker::Request) -> crate::error::ApiResult<String> {
    let bytes = req.bytes().await?;
    if bytes.len() > MAX_BODY {
        return Err(crate::error::ApiError::new(
            413,
            crate::error::ErrorType::InvalidRequestError,
            "body_too_large",
            "Request bodies are limited to 64 KB.",
        ));
    }
    String::from_utf8(bytes).map_err(|_| {
        crate::error::ApiError::invalid("invalid_json", "The request body is not UTF-8.")
    })
}

/// `https://kasse.example` — the origin this request reached, for URLs we hand out.
pub fn origin(req: &worker::Request) -> crate::error::ApiResult<String> {
    Ok(req.url()?.origin().ascii_serialization())
}

/// The query string's pairs, decoded, in order.
pub fn query_pairs(req: &worker::Request) -> crate::error::ApiResult<Vec<(String, String)>> {
    Ok(req
        .url()?
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect())
}
