//! `/v1/search` (secret key): the sessions a session id, deposit address, payment tx hash
//! or customer email names, in the key's account and mode only.

use kasse_shared::api::search::parse_search;
use worker::Response;

use crate::checkout::view;
use crate::error::ApiResult;
use crate::http::{Cx, list_response, session_cursor};

/// `GET /v1/search?q=…`: a list page of merchant session objects, newest first, as
/// `GET /v1/checkout_sessions` shows them. A term of another account or mode finds
/// nothing, like a term nobody used.
pub(super) async fn search(cx: &mut Cx<'_>) -> ApiResult<Response> {
    let caller = cx.secret().await?;
    let pairs = cx.query()?;
    let (page, term) = parse_search(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
    let store = &cx.store;
    let cursor = session_cursor(store, &caller, &page.cursor).await?;
    let mut sessions = store
        .search_sessions(
            &caller.account_id,
            caller.livemode,
            &term,
            cursor,
            page.limit + 1,
        )
        .await?;
    let has_more = page.trim(&mut sessions);
    let data = view::merchant_page(store, &sessions, &cx.base()?).await?;
    list_response("/v1/search", &data, has_more)
}
