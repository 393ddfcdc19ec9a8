//! The checkout services between the routes and the store: what a route asks of a
//! session, done with the store, the chains and the watcher's steps. A service never sees
//! the request: it is given the store, whom it acts for, the request's clock reading and
//! base URL, and returns domain values or wire objects for the route to answer with.

pub(crate) mod cancel;
pub(crate) mod check;
pub(crate) mod open;
pub(crate) mod select;
pub(crate) mod view;

use kasse_shared::account::Settings;
use kasse_shared::ids::{AccountId, SessionId};
use kasse_shared::session::Session;

use crate::error::{ApiError, ApiResult};
use crate::store::Store;

/// Whom a session is opened or read for: an account in one mode, with its settings.
#[derive(Clone, Copy)]
pub(crate) struct Merchant<'a> {
    pub account_id: &'a AccountId,
    pub livemode: bool,
    pub settings: &'a Settings,
}

/// The 404 for a session the caller may not see, whether or not it exists.
pub(crate) fn no_such_session(id: &str) -> ApiError {
    ApiError::no_such("checkout session", id)
}

/// Whether `session` is the merchant's (account and mode).
pub(crate) fn is_owner(merchant: &Merchant<'_>, session: &Session) -> bool {
    session.account_id == *merchant.account_id && session.livemode == merchant.livemode
}

/// `id` if it can name a session of the merchant's mode at all (no read needed to refuse).
pub(crate) fn may_name(merchant: &Merchant<'_>, id: &str) -> Option<SessionId> {
    SessionId::parse_in(id, merchant.livemode)
}

/// The session if it exists and belongs to the merchant's account and mode; else 404.
pub(crate) async fn owned_session(
    store: &Store,
    merchant: &Merchant<'_>,
    id: &str,
) -> ApiResult<Session> {
    let Some(session_id) = may_name(merchant, id) else {
        return Err(no_such_session(id));
    };
    let session = store
        .session(&session_id)
        .await?
        .ok_or_else(|| no_such_session(id))?;
    if !is_owner(merchant, &session) {
        return Err(no_such_session(id));
    }
    Ok(session)
}
