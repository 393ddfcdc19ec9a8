//! JSON answers: one object, or a list in the one envelope every list route shares.

use serde::Serialize;
use serde_json::Value;
use worker::{Headers, Response};

use crate::error::{ApiError, ApiResult};

/// The headers of every JSON answer.
fn json_headers() -> Headers {
    [
        ("content-type", "application/json; charset=utf-8"),
        ("cache-control", "no-store"),
    ]
    .into_iter()
    .collect()
}

/// A JSON response. Serialising our own types cannot fail; if it somehow does, the
/// client still gets a JSON error rather than a bare 500.
pub(crate) fn json_response<T: Serialize>(status: u16, body: &T) -> Response {
    let text = serde_json::to_string(body).unwrap_or_else(|_| {
        r#"{"error":{"type":"api_error","code":"internal_error","message":"Response could not be encoded.","param":null}}"#
            .to_owned()
    });
    json_text(status, json_headers(), text)
}

/// A JSON answer kept as text (an idempotent replay), marked as replayed.
pub(crate) fn replayed(status: u16, text: String) -> Response {
    let headers = json_headers();
    let _ = headers.set("idempotent-replayed", "true");
    json_text(status, headers, text)
}

/// An answer with these headers and this body, as it is.
pub(crate) fn json_text(status: u16, headers: Headers, text: String) -> Response {
    Response::builder()
        .with_status(status)
        .with_headers(headers)
        .fixed(text.into_bytes())
}

/// `{"object": "list", "data": […], "has_more": …, "url": …}`: one page of a list.
pub(crate) fn list_response<T: Serialize>(
    url: &str,
    data: &[T],
    has_more: bool,
) -> ApiResult<Response> {
    Ok(json_response(200, &list_envelope(url, data, has_more)?))
}

/// The envelope of a list page. Each item goes through a JSON value, so its keys come in
/// the same (sorted) order on every list.
fn list_envelope<T: Serialize>(url: &str, data: &[T], has_more: bool) -> ApiResult<Value> {
    let data = data
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<Vec<_>, _>>()
        .map_err(ApiError::internal)?;
    Ok(serde_json::json!({"object": "list", "data": data, "has_more": has_more, "url": url}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Item {
        zeta: u8,
        alpha: &'static str,
    }

    #[test]
    fn a_list_page_has_the_one_envelope_with_sorted_keys() {
        let page = list_envelope(
            "/v1/things",
            &[Item {
                zeta: 1,
                alpha: "a",
            }],
            true,
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&page).unwrap(),
            r#"{"data":[{"alpha":"a","zeta":1}],"has_more":true,"object":"list","url":"/v1/things"}"#
        );
        let empty = list_envelope::<Item>("/v1/api_keys", &[], false).unwrap();
        assert_eq!(
            serde_json::to_string(&empty).unwrap(),
            r#"{"data":[],"has_more":false,"object":"list","url":"/v1/api_keys"}"#
        );
    }
}
