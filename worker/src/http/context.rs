//! One context per request, built once by dispatch: the environment, the request, ONE
//! store (so every D1 query of the request is counted in one place), one clock read, and
//! what the request learns once and may need twice (the caller behind its API key or
//! console cookie, its body, the settings that decide CORS).

use std::cell::{OnceCell, RefCell};

use kasse_shared::account::Settings;
use kasse_shared::api::list::{Cursor, Direction};
use kasse_shared::ids::SessionId;
use kasse_shared::time::{Timestamp, UnixMillis};
use worker::{Env, Request};

use super::auth::{self, Caller, Presented};
use super::request;
use crate::config;
use crate::error::{ApiError, ApiResult};
use crate::store::{CallerKey, Store};

pub(crate) struct Cx<'a> {
    pub env: &'a Env,
    /// The body may already have been read (by the idempotency layer) and put back.
    pub req: Request,
    pub store: Store,
    pub now: Timestamp,
    /// The same clock read, in milliseconds (for the per-second rate limits).
    now_ms: UnixMillis,
    /// The caller behind the request's API key or console cookie, looked up at most once.
    caller: OnceCell<ApiResult<Caller>>,
    /// The body, once read (at most 64 KB).
    body: Option<Vec<u8>>,
    /// The settings of the account behind a public route's session or link, once read.
    public_settings: RefCell<Option<Settings>>,
}

impl<'a> Cx<'a> {
    pub(crate) fn new(req: Request, env: &'a Env, now_ms: UnixMillis) -> ApiResult<Self> {
        Ok(Self {
            env,
            req,
            store: Store::new(env)?,
            now: now_ms.timestamp(),
            now_ms,
            caller: OnceCell::new(),
            body: None,
            public_settings: RefCell::new(None),
        })
    }

    /// The request's clock read in milliseconds.
    pub(crate) fn now_ms(&self) -> UnixMillis {
        self.now_ms
    }

    /// The client a per-client limit counts this request against: an IPv4 address or an
    /// IPv6 /64 (`client_ip::bucket`).
    pub(crate) fn client_bucket(&self) -> ApiResult<String> {
        let ip = self
            .req
            .headers()
            .get("cf-connecting-ip")?
            .unwrap_or_default();
        Ok(kasse_shared::client_ip::bucket(&ip))
    }

    /// `https://kasse.example`: where the URLs this request hands out point.
    pub(crate) fn base(&self) -> ApiResult<String> {
        Ok(config::base_url(
            self.env,
            Some(&request::origin(&self.req)?),
        ))
    }

    /// The caller of a secret or publishable key, or of the console's cookie (one D1 round
    /// trip per request, however often asked: idempotency and the handler share it).
    pub(crate) async fn caller(&self) -> ApiResult<Caller> {
        if let Some(known) = self.caller.get() {
            return known.clone();
        }
        let found = async {
            let key = self.caller_key()?;
            auth::caller_of(&key, self.store.caller(&key, self.now).await?)
        }
        .await;
        self.caller.get_or_init(|| found).clone()
    }

    /// What the request's credential names, to be looked up: its API key, or its console
    /// cookie. Every request that acts with the cookie passes here, so here the cookie may
    /// only change something from our own origin (403 `cross_site_request`); a console
    /// request without its mode's cookie is a 401 `console_session_ended`.
    pub(crate) fn caller_key(&self) -> ApiResult<CallerKey> {
        let presented = auth::presented(&self.req)?;
        if matches!(presented, Presented::Console { .. }) && auth::changes_state(&self.req.method())
        {
            auth::require_same_origin(&self.req, &self.own_origins()?)?;
        }
        presented.lookup().ok_or_else(auth::console_session_ended)
    }

    /// The origins this deployment's pages are served from: the one the request reached,
    /// and `PUBLIC_BASE_URL`'s when it is set.
    pub(crate) fn own_origins(&self) -> ApiResult<Vec<String>> {
        let mut own = vec![request::origin(&self.req)?];
        if let Ok(public) = worker::Url::parse(&config::base_url(self.env, None))
            && public.origin().is_tuple()
        {
            own.push(public.origin().ascii_serialization());
        }
        Ok(own)
    }

    /// The caller of a secret key (403 `secret_key_required` for a publishable key).
    pub(crate) async fn secret(&self) -> ApiResult<Caller> {
        auth::require_secret(self.caller().await?)
    }

    /// The caller if its key was already looked up in this request.
    pub(crate) fn caller_known(&self) -> Option<ApiResult<Caller>> {
        self.caller.get().cloned()
    }

    /// Records the caller a handler found with its own read (batched with its object), for
    /// the rest of the request.
    pub(crate) fn know_caller(&self, found: ApiResult<Caller>) -> ApiResult<Caller> {
        self.caller.get_or_init(|| found).clone()
    }

    /// The admin token.
    pub(crate) fn admin(&self) -> ApiResult<()> {
        auth::require_admin(&self.req, self.env)
    }

    /// The body as text (at most 64 KB), read from the network once.
    pub(crate) async fn body(&mut self) -> ApiResult<String> {
        request::utf8(self.body_bytes().await?.to_vec())
    }

    /// The body's bytes, read once.
    pub(crate) async fn body_bytes(&mut self) -> ApiResult<&[u8]> {
        if self.body.is_none() {
            self.body = Some(request::read_body(&mut self.req).await?);
        }
        Ok(self.body.as_deref().unwrap_or_default())
    }

    /// The query string's pairs, decoded, in order.
    pub(crate) fn query(&self) -> ApiResult<Vec<(String, String)>> {
        request::query_pairs(&self.req)
    }

    /// Keeps the account settings a public route's handler read, so CORS need not read
    /// them again.
    pub(crate) fn keep_public_settings(&self, settings: &Settings) {
        *self.public_settings.borrow_mut() = Some(settings.clone());
    }

    /// The account settings a handler kept for CORS, if any.
    pub(crate) fn public_settings(&self) -> Option<Settings> {
        self.public_settings.borrow().clone()
    }
}

/// The caller's object `id`, read by its `parsed` id, or the 404 that names its kind
/// (`what`): the same answer for an id of the wrong shape (`parsed` is `None`, nothing is
/// read), a missing object and another account's object.
pub(crate) async fn owned<I, T>(
    what: &str,
    id: &str,
    parsed: Option<I>,
    read: impl AsyncFnOnce(I) -> ApiResult<Option<T>>,
) -> ApiResult<T> {
    let Some(parsed) = parsed else {
        return Err(ApiError::no_such(what, id));
    };
    read(parsed)
        .await?
        .ok_or_else(|| ApiError::no_such(what, id))
}

/// A list's cursor, once `find(id)` finds its object among the caller's and reads the key
/// the list pages by: the page's direction and that key, or a 400 `resource_missing` naming
/// the parameter.
pub(crate) async fn checked_cursor<'a, K>(
    cursor: &'a Cursor,
    what: &str,
    find: impl AsyncFnOnce(&'a str) -> ApiResult<Option<K>>,
) -> ApiResult<Option<(Direction, K)>> {
    let Some((direction, id)) = cursor.named() else {
        return Ok(None);
    };
    let Some(key) = find(id).await? else {
        return Err(ApiError::no_such_param(what, id, direction.param()));
    };
    Ok(Some((direction, key)))
}

/// A session list's cursor (the list and the search page the same way): the named session
/// among the caller's, as its creation time and id, or a 400 naming the parameter.
pub(crate) async fn session_cursor<'a>(
    store: &Store,
    caller: &Caller,
    cursor: &'a Cursor,
) -> ApiResult<Option<(Direction, (Timestamp, &'a str))>> {
    checked_cursor(cursor, "checkout session", async |id| {
        let Some(session_id) = SessionId::parse(id) else {
            return Ok(None);
        };
        let created = store
            .session_created(&caller.account_id, caller.livemode, &session_id)
            .await?;
        Ok(created.map(|t| (t, id)))
    })
    .await
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::http::testing::ready;
    use kasse_shared::error_code::ErrorCode;

    #[test]
    fn an_object_that_is_not_the_callers_is_the_same_404_as_a_missing_one() {
        let found = ready(owned("webhook endpoint", "we_1", Some(1), async |id| {
            Ok(Some(id + 6))
        }));
        assert_eq!(found.ok(), Some(7));
        for (well_formed, read) in [(true, None), (false, Some(7))] {
            let mut asked = false;
            let parsed = well_formed.then_some("we_1");
            let error = ready(owned("webhook endpoint", "we_1", parsed, async |_| {
                asked = true;
                Ok(read)
            }))
            .expect_err("404");
            assert_eq!(
                (error.status, error.code),
                (404, ErrorCode::ResourceMissing)
            );
            assert_eq!(error.message, "No such webhook endpoint: 'we_1'.");
            assert_eq!(error.param.as_deref(), Some("id"));
            assert_eq!(asked, well_formed, "an id of the wrong shape is not read");
        }
    }

    #[test]
    fn a_cursor_that_names_no_object_of_the_caller_is_a_400_on_its_parameter() {
        let none = ready(checked_cursor(&Cursor::First, "event", async |id| {
            Ok(Some(id))
        }));
        assert_eq!(none.ok(), Some(None));
        let after = Cursor::StartingAfter("evt_1".into());
        let ok = ready(checked_cursor(&after, "event", async |id| Ok(Some(id))));
        assert_eq!(ok.ok(), Some(Some((Direction::After, "evt_1"))));
        let before = Cursor::EndingBefore("cs_1".into());
        let keyed = ready(checked_cursor(&before, "checkout session", async |id| {
            Ok(Some((Timestamp(7), id)))
        }));
        assert_eq!(
            keyed.ok(),
            Some(Some((Direction::Before, (Timestamp(7), "cs_1"))))
        );
        let before = Cursor::EndingBefore("evt_2".into());
        let error =
            ready(checked_cursor(&before, "event", async |_| Ok(None::<&str>))).expect_err("400");
        assert_eq!(
            (error.status, error.code),
            (400, ErrorCode::ResourceMissing)
        );
        assert_eq!(error.param.as_deref(), Some("ending_before"));
        assert_eq!(error.message, "No such event: 'evt_2'.");
    }
}
