//! What a request carries: its bearer token, its body (at most 64 KB, read once), its
//! origin and its query string.

use kasse_shared::error_code::ErrorCode;
use worker::{Headers, Request};

use crate::error::{ApiError, ApiResult, ErrorType};

/// The bearer token of an `Authorization` header, if any.
pub(crate) fn bearer_token(headers: &Headers) -> Option<String> {
    bearer(headers.get("authorization").ok().flatten().as_deref()?)
}

/// The token of an `Authorization` value `Bearer <token>` (the scheme in any case).
fn bearer(value: &str) -> Option<String> {
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// Equality that takes the same time whatever the first differing byte.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// JSON bodies are limited to 64 KB.
pub(crate) const MAX_BODY: usize = 64 * 1024;

fn too_large() -> ApiError {
    ApiError::new(
        413,
        ErrorType::InvalidRequestError,
        ErrorCode::BodyTooLarge,
        "Request bodies are limited to 64 KB.",
    )
}

/// Refuses a request whose `Content-Length` announces more than 64 KB, before anything
/// else is done for it (no credential check, no idempotency record, no read).
pub(crate) fn check_length(req: &Request) -> ApiResult<()> {
    let announced = req.headers().get("content-length").ok().flatten();
    match announced.and_then(|v| v.trim().parse::<u64>().ok()) {
        Some(n) if n > MAX_BODY as u64 => Err(too_large()),
        _ => Ok(()),
    }
}

/// Reads a request body chunk by chunk and stops as soon as it passes 64 KB (a body sent
/// without a length, or one longer than announced, is never buffered beyond the cap).
pub(crate) async fn read_body(req: &mut Request) -> ApiResult<Vec<u8>> {
    check_length(req)?;
    if req.inner().body().is_none() {
        return Ok(Vec::new());
    }
    collect_capped(req.stream()?, MAX_BODY).await
}

/// Collects a body from its chunks; refuses it (413) at the first chunk that takes it past
/// `cap`, and pulls no chunk after that one.
async fn collect_capped<S, E>(mut chunks: S, cap: usize) -> ApiResult<Vec<u8>>
where
    S: futures_util::Stream<Item = Result<Vec<u8>, E>> + Unpin,
    ApiError: From<E>,
{
    use futures_util::StreamExt;
    let mut bytes = Vec::new();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk?;
        if bytes.len() + chunk.len() > cap {
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// The same request with its body already read: the routes read it again from memory.
pub(crate) fn with_body(req: &Request, body: &[u8]) -> ApiResult<Request> {
    let mut init = worker::RequestInit::new();
    init.with_method(req.method())
        .with_headers(req.headers().clone());
    if !body.is_empty() {
        init.with_body(Some(worker::js_sys::Uint8Array::from(body).into()));
    }
    Ok(Request::new_with_init(req.url()?.as_str(), &init)?)
}

/// A body as text; one that is not UTF-8 is refused like malformed JSON.
pub(crate) fn utf8(bytes: Vec<u8>) -> ApiResult<String> {
    String::from_utf8(bytes)
        .map_err(|_| ApiError::invalid(ErrorCode::InvalidJson, "The request body is not UTF-8."))
}

/// `https://kasse.example` — the origin this request reached, for URLs we hand out.
pub(crate) fn origin(req: &Request) -> ApiResult<String> {
    Ok(req.url()?.origin().ascii_serialization())
}

/// The query string's pairs, decoded, in order.
pub(crate) fn query_pairs(req: &Request) -> ApiResult<Vec<(String, String)>> {
    Ok(req
        .url()?
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::testing::ready;
    use std::cell::Cell;

    /// `count` chunks of `size` bytes, counting how many were pulled.
    fn chunks(
        size: usize,
        count: usize,
        pulled: &Cell<usize>,
    ) -> impl futures_util::Stream<Item = Result<Vec<u8>, ApiError>> + Unpin + '_ {
        futures_util::stream::iter((0..count).map(move |_| {
            pulled.set(pulled.get() + 1);
            Ok(vec![b' '; size])
        }))
    }

    #[test]
    fn the_bearer_token_is_read_from_its_scheme_in_any_case() {
        assert_eq!(bearer("Bearer sk_test_1").as_deref(), Some("sk_test_1"));
        assert_eq!(bearer("bearer  sk_test_1 ").as_deref(), Some("sk_test_1"));
        assert_eq!(bearer("BEARER sk_test_1").as_deref(), Some("sk_test_1"));
        assert_eq!(bearer("Basic dXNlcjpwYXNz"), None);
        assert_eq!(bearer("Bearer"), None);
        assert_eq!(bearer("sk_test_1"), None);
    }

    #[test]
    fn equal_bytes_compare_equal_whatever_their_length() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(constant_time_eq(b"", b""));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret2"));
        assert!(!constant_time_eq(b"", b"x"));
    }

    #[test]
    fn a_body_that_is_not_utf8_is_refused_as_invalid_json() {
        assert_eq!(utf8(b"{}".to_vec()).ok().as_deref(), Some("{}"));
        let error = utf8(vec![0xff, 0xfe]).expect_err("not UTF-8");
        assert_eq!((error.status, error.code), (400, ErrorCode::InvalidJson));
    }

    #[test]
    fn a_100_mb_body_is_refused_after_pulling_no_more_than_the_cap() {
        let pulled = Cell::new(0);
        // 100 MB in 16 KB chunks, as a chunked upload would arrive.
        let result = ready(collect_capped(chunks(16 * 1024, 6_400, &pulled), MAX_BODY));
        let error = result.expect_err("over the cap");
        assert_eq!((error.status, error.code), (413, ErrorCode::BodyTooLarge));
        assert_eq!(
            pulled.get(),
            MAX_BODY / (16 * 1024) + 1,
            "stops at the chunk past the cap"
        );
    }

    #[test]
    fn a_body_up_to_the_cap_is_read_whole() {
        let pulled = Cell::new(0);
        let body =
            ready(collect_capped(chunks(1024, 64, &pulled), MAX_BODY)).expect("64 KB is allowed");
        assert_eq!(body.len(), MAX_BODY);
        let pulled = Cell::new(0);
        let result = ready(collect_capped(chunks(1024, 65, &pulled), MAX_BODY));
        assert_eq!(result.map(|b| b.len()).map_err(|e| e.status), Err(413));
    }
}
