//! `/v1/search` (secret key): the sessions a session id, deposit address, payment tx hash
//! or customer email names, in the key's account and mode only.

use kasse_shared::api::search::parse_search;
use kasse_shared::ids::SessionId;
use worker::Response;

use crate::checkout::view;
use crate::error::ApiResult;
use crate::http::{Cx, checked_cursor, list_response};

/// `GET /v1/search?q=…`: a list page of merchant session objects, newest first, as
/// `GET /v1/checkout_sessions` shows them. A term of another account or mode finds
/// nothing, like a term nobody used.
pub(super) async fn search(cx: &mut Cx<'_>) -> ApiResult<Response> {
    let caller = cx.secret().await?;
    let pairs = cx.query()?;
    let (page, term) = parse_search(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
    let store = &cx.store;
    let cursor = checked_cursor(&page.cursor, "checkout session", async |id| {
        let Some(session_id) = SessionId::parse(id) else {
            return Ok(None);
        };
        let created = store
            .session_created(&caller.account_id, caller.livemode, &session_id)
            .await?;
        Ok(created.map(|t| (t, id)))
    })
    .await?;
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
