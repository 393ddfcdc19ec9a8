//! Who is calling: API keys (hashed lookup), the merchant console's sign-in cookie, the
//! deployment's admin token, and a session's client secret (the shopper's browser).
//!
//! **The console's cookie.** A request without `Authorization` that names a mode
//! (`Kasse-Mode: test|live`) or carries a console cookie acts with the cookie
//! `kasse_console_<mode>`: the secret key the console signed in with, for as long as that
//! key is active, the session has not been signed out, and it was used within 12 hours.
//! A browser sends cookies with requests that other sites make, so such a request may only
//! change something when the browser says it came from our own page (`same_origin`).

use kasse_shared::account::{KeyKind, Settings, key_hash};
use kasse_shared::error_code::ErrorCode;
use kasse_shared::ids::{AccountId, SessionId};
use kasse_shared::session::Session;
use worker::{Env, Method, Request};

use super::request::{bearer_token, constant_time_eq};
use crate::config;
use crate::error::{ApiError, ApiResult, ErrorType};
use crate::store::{CallerKey, KeyRow, Store};

/// The header a browser sends a session's client secret in.
pub(crate) const CLIENT_SECRET_HEADER: &str = "kasse-client-secret";

/// The header the console names its mode in (`test` when absent).
pub(crate) const MODE_HEADER: &str = "kasse-mode";

/// Random base62 characters of a console token: about 256 bits.
pub(crate) const CONSOLE_TOKEN_CHARS: usize = 43;

/// How a caller proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Credential {
    /// An API key in `Authorization: Bearer`.
    ApiKey,
    /// The console's cookie, acting as the secret key it was signed in with.
    Console,
}

/// An authenticated caller: one account in one mode.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub account_id: AccountId,
    pub livemode: bool,
    pub kind: KeyKind,
    pub settings: Settings,
    pub credential: Credential,
}

/// The request's API key, if it sends one that looks like a Kasse key (not yet looked up).
pub(crate) fn api_key(req: &Request) -> ApiResult<String> {
    let key = bearer_token(req.headers()).ok_or_else(|| {
        ApiError::unauthenticated("Send your API key as `Authorization: Bearer sk_test_…`.")
    })?;
    if KeyKind::of_key(&key).is_none() {
        return Err(ApiError::unauthenticated(
            "That is not a Kasse API key (they start with sk_ or pk_).",
        ));
    }
    Ok(key)
}

/// What a request presents to prove who it is, before anything is looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Presented {
    ApiKey(String),
    /// A console request: the mode it names and that mode's cookie token, if it sent one.
    Console {
        livemode: bool,
        token: Option<String>,
    },
}

impl Presented {
    /// What to look up; `None` for a console request without its mode's cookie (there is
    /// nothing to look up: its session has ended, or never began).
    pub(crate) fn lookup(&self) -> Option<CallerKey> {
        match self {
            Self::ApiKey(key) => Some(CallerKey::ApiKey {
                hash: key_hash(key),
            }),
            Self::Console { livemode, token } => token.as_ref().map(|t| CallerKey::Console {
                hash: key_hash(t),
                livemode: *livemode,
            }),
        }
    }
}

/// The credential a request presents: its `Authorization` if it has one; else the console
/// cookie of the mode it names, if it names a mode or carries a console cookie; else the
/// 401 that asks for an API key.
pub(crate) fn presented(req: &Request) -> ApiResult<Presented> {
    let headers = req.headers();
    if !headers.has("authorization")? {
        let mode = headers.get(MODE_HEADER)?;
        let cookies = headers.get("cookie")?;
        if let Some(console) = console_presented(mode.as_deref(), cookies.as_deref())? {
            return Ok(console);
        }
    }
    api_key(req).map(Presented::ApiKey)
}

/// A console request's credential; `None` when the request names no mode and carries no
/// console cookie (an API client that left out its key).
fn console_presented(mode: Option<&str>, cookies: Option<&str>) -> ApiResult<Option<Presented>> {
    let cookies = cookies.unwrap_or_default();
    let any_cookie = [false, true]
        .iter()
        .any(|&live| cookie(cookies, cookie_name(live)).is_some());
    if mode.is_none() && !any_cookie {
        return Ok(None);
    }
    let livemode = console_mode(mode)?;
    let token = cookie(cookies, cookie_name(livemode)).filter(|t| is_console_token(t));
    Ok(Some(Presented::Console {
        livemode,
        token: token.map(str::to_owned),
    }))
}

/// The mode a `Kasse-Mode` value names (absent: test); any other value is a 400.
pub(crate) fn console_mode(value: Option<&str>) -> ApiResult<bool> {
    match value.map(str::trim) {
        None | Some("test") => Ok(false),
        Some("live") => Ok(true),
        Some(_) => Err(ApiError::invalid(
            ErrorCode::ParameterInvalid,
            "Kasse-Mode must be `test` or `live`.",
        )
        .with_param("Kasse-Mode")),
    }
}

/// The console's cookie of a mode: one per mode, so test and live are signed in apart.
pub(crate) fn cookie_name(livemode: bool) -> &'static str {
    if livemode {
        "kasse_console_live"
    } else {
        "kasse_console_test"
    }
}

/// The value of the cookie `name` in a `Cookie` header (`a=1; b=2`), if set and not empty.
pub(crate) fn cookie<'c>(cookies: &'c str, name: &str) -> Option<&'c str> {
    cookies
        .split(';')
        .filter_map(|pair| pair.split_once('='))
        .find(|(n, _)| n.trim() == name)
        .map(|(_, value)| value.trim().trim_matches('"'))
        .filter(|value| !value.is_empty())
}

/// Whether a cookie's value has the shape of a token we issue; any other is not looked up.
fn is_console_token(value: &str) -> bool {
    value.len() == CONSOLE_TOKEN_CHARS && value.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The request's console token of the mode it names, if it sends one.
pub(crate) fn console_token(req: &Request) -> ApiResult<Option<String>> {
    let headers = req.headers();
    let livemode = console_mode(headers.get(MODE_HEADER)?.as_deref())?;
    let cookies = headers.get("cookie")?.unwrap_or_default();
    Ok(cookie(&cookies, cookie_name(livemode))
        .filter(|t| is_console_token(t))
        .map(str::to_owned))
}

/// The 401 of a console request whose session is gone.
pub(crate) fn console_session_ended() -> ApiError {
    ApiError::new(
        401,
        ErrorType::AuthenticationError,
        ErrorCode::ConsoleSessionEnded,
        "Your console session has ended (signed out, expired, or its key was revoked). Sign in again.",
    )
}

/// Whether a request may act with the console's cookie although it changes something:
/// only when the browser says it comes from our own origin. `Sec-Fetch-Site` says so
/// directly (`same-site`, `cross-site` and `none`, a typed URL, are refused); a browser
/// without it sends `Origin`, which must then be ours. A request with neither is refused:
/// every browser that runs the console sends one of them.
pub(crate) fn same_origin(fetch_site: Option<&str>, origin: Option<&str>, own: &[String]) -> bool {
    match (fetch_site.map(str::trim), origin.map(str::trim)) {
        (Some(site), _) => site.eq_ignore_ascii_case("same-origin"),
        (None, Some(origin)) => own.iter().any(|o| o.eq_ignore_ascii_case(origin)),
        (None, None) => false,
    }
}

/// Whether a method may change something (anything but GET and HEAD).
pub(crate) fn changes_state(method: &Method) -> bool {
    !matches!(method, Method::Get | Method::Head)
}

/// A 403 `cross_site_request` unless the request comes from one of the `own` origins.
pub(crate) fn require_same_origin(req: &Request, own: &[String]) -> ApiResult<()> {
    let headers = req.headers();
    let site = headers.get("sec-fetch-site")?;
    let origin = headers.get("origin")?;
    if same_origin(site.as_deref(), origin.as_deref(), own) {
        return Ok(());
    }
    Err(ApiError::forbidden(
        ErrorCode::CrossSiteRequest,
        "This request signs in, signs out or acts with the console's cookie, so it must come from the console's own page; it came from another site (or did not say where from) and was refused.",
    ))
}

/// The caller a looked-up row names; no row (an unknown or revoked key, a console session
/// that ended) is a 401 of the credential's kind.
pub(crate) fn caller_of(key: &CallerKey, row: Option<KeyRow>) -> ApiResult<Caller> {
    let credential = match key {
        CallerKey::ApiKey { .. } => Credential::ApiKey,
        CallerKey::Console { .. } => Credential::Console,
    };
    let row = row.ok_or_else(|| match credential {
        Credential::ApiKey => ApiError::unauthenticated("Invalid API key provided."),
        Credential::Console => console_session_ended(),
    })?;
    let settings = serde_json::from_str(&row.settings).map_err(ApiError::internal)?;
    Ok(Caller {
        account_id: row.account_id,
        livemode: row.livemode,
        kind: row.kind,
        settings,
        credential,
    })
}

/// A caller with a secret key; publishable keys may only start sessions from payment links.
pub(crate) fn require_secret(caller: Caller) -> ApiResult<Caller> {
    if caller.kind != KeyKind::Secret {
        return Err(ApiError::forbidden(
            ErrorCode::SecretKeyRequired,
            "This request needs a secret key (sk_…); publishable keys may only create sessions from payment links.",
        ));
    }
    Ok(caller)
}

pub(crate) fn require_admin(req: &Request, env: &Env) -> ApiResult<()> {
    let expected = config::admin_token(env).ok_or_else(|| {
        ApiError::unauthenticated(
            "This deployment has no ADMIN_TOKEN; set it with `wrangler secret put ADMIN_TOKEN`.",
        )
    })?;
    let given = bearer_token(req.headers()).ok_or_else(|| {
        ApiError::unauthenticated("Send the admin token as `Authorization: Bearer <token>`.")
    })?;
    if constant_time_eq(given.as_bytes(), expected.as_bytes()) {
        Ok(())
    } else {
        Err(ApiError::unauthenticated("The admin token is not valid."))
    }
}

/// The client secret a browser sends; a request without one is a 401.
pub(crate) fn client_secret(req: &Request) -> ApiResult<String> {
    req.headers().get(CLIENT_SECRET_HEADER)?.ok_or_else(|| {
        ApiError::unauthenticated(
            "Send the session's client secret in the Kasse-Client-Secret header.",
        )
    })
}

/// The session `id` as its browser may see it (404 if missing): `given` must be its
/// client secret.
pub(crate) fn shopper_session(
    session: Option<Session>,
    id: &str,
    given: &str,
) -> ApiResult<Session> {
    let session = session.ok_or_else(|| ApiError::no_such("checkout session", id))?;
    check_client_secret(&session, given)?;
    Ok(session)
}

/// Whether `given` is the session's client secret (401 if not).
pub(crate) fn check_client_secret(session: &Session, given: &str) -> ApiResult<()> {
    if !constant_time_eq(given.as_bytes(), session.client_secret.as_bytes()) {
        return Err(ApiError::unauthenticated(
            "The client secret does not match this checkout session.",
        ));
    }
    Ok(())
}

/// The session a browser may see: the `Kasse-Client-Secret` header must be its client secret.
pub(crate) async fn public_session(req: &Request, store: &Store, id: &str) -> ApiResult<Session> {
    let Some(session_id) = SessionId::parse(id) else {
        return Err(ApiError::no_such("checkout session", id));
    };
    let given = client_secret(req)?;
    let session = store
        .session(&session_id)
        .await?
        .ok_or_else(|| ApiError::no_such("checkout session", id))?;
    check_client_secret(&session, &given)?;
    Ok(session)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: &str = "acct_000000000000000000000001";

    fn row(kind: KeyKind, livemode: bool) -> KeyRow {
        KeyRow {
            account_id: ACCOUNT.parse().unwrap(),
            livemode,
            kind,
            settings: serde_json::to_string(&Settings::default()).unwrap(),
        }
    }

    fn api_key(key: &str) -> CallerKey {
        CallerKey::ApiKey {
            hash: key_hash(key),
        }
    }

    fn console(livemode: bool) -> CallerKey {
        CallerKey::Console {
            hash: key_hash(TOKEN),
            livemode,
        }
    }

    const TOKEN: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456";

    #[test]
    fn an_unknown_or_revoked_key_is_a_401_and_an_ended_console_session_another() {
        let error = caller_of(&api_key("sk_test_x"), None).expect_err("no row");
        assert_eq!((error.status, error.code), (401, ErrorCode::InvalidApiKey));
        let error = caller_of(&console(false), None).expect_err("no row");
        assert_eq!(
            (error.status, error.kind, error.code),
            (
                401,
                ErrorType::AuthenticationError,
                ErrorCode::ConsoleSessionEnded
            )
        );
        assert_eq!(
            error.message,
            "Your console session has ended (signed out, expired, or its key was revoked). Sign in again."
        );
    }

    #[test]
    fn a_key_row_names_its_account_mode_kind_and_credential() {
        let caller = caller_of(&api_key("sk_live_x"), Some(row(KeyKind::Secret, true))).unwrap();
        assert_eq!(
            (
                caller.account_id.as_str(),
                caller.livemode,
                caller.kind,
                caller.credential
            ),
            (ACCOUNT, true, KeyKind::Secret, Credential::ApiKey)
        );
        assert!(require_secret(caller).is_ok());
        let public = caller_of(
            &api_key("pk_test_x"),
            Some(row(KeyKind::Publishable, false)),
        )
        .unwrap();
        assert_eq!(
            (public.livemode, public.kind),
            (false, KeyKind::Publishable)
        );
        let error = require_secret(public).expect_err("a publishable key");
        assert_eq!(
            (error.status, error.code),
            (403, ErrorCode::SecretKeyRequired)
        );
        let signed_in = caller_of(&console(false), Some(row(KeyKind::Secret, false))).unwrap();
        assert_eq!(signed_in.credential, Credential::Console);
    }

    #[test]
    fn a_cookie_is_read_by_its_exact_name() {
        let header = format!("theme=dark; kasse_console_test={TOKEN};kasse_console_live= ; x=1");
        assert_eq!(cookie(&header, "kasse_console_test"), Some(TOKEN));
        assert_eq!(
            cookie(&header, "kasse_console_live"),
            None,
            "empty is unset"
        );
        assert_eq!(cookie(&header, "theme"), Some("dark"));
        assert_eq!(cookie(&header, "console_test"), None);
        assert_eq!(cookie("", "kasse_console_test"), None);
        assert_eq!(cookie("kasse_console_test", "kasse_console_test"), None);
        assert_eq!(cookie(r#"a="quoted""#, "a"), Some("quoted"));
        assert_eq!(cookie("a=1; a=2", "a"), Some("1"), "the first of two");
    }

    #[test]
    fn a_request_without_authorization_is_a_console_request_when_it_names_a_mode_or_has_a_cookie() {
        let with = |mode: Option<&str>, cookies: Option<&str>| console_presented(mode, cookies);
        assert_eq!(
            with(None, None).ok(),
            Some(None),
            "an API client without its key"
        );
        assert_eq!(with(None, Some("theme=dark")).ok(), Some(None));
        let test_cookie = format!("kasse_console_test={TOKEN}");
        let live_cookie = format!("kasse_console_live={TOKEN}");
        let console = |livemode, token: Option<&str>| {
            Some(Some(Presented::Console {
                livemode,
                token: token.map(str::to_owned),
            }))
        };
        assert_eq!(
            with(None, Some(&test_cookie)).ok(),
            console(false, Some(TOKEN))
        );
        assert_eq!(with(Some("test"), None).ok(), console(false, None));
        assert_eq!(
            with(Some("live"), Some(&test_cookie)).ok(),
            console(true, None),
            "the test cookie never acts in live mode"
        );
        assert_eq!(
            with(Some("live"), Some(&live_cookie)).ok(),
            console(true, Some(TOKEN))
        );
        assert_eq!(
            with(None, Some(&live_cookie)).ok(),
            console(false, None),
            "no Kasse-Mode is test mode"
        );
        let forged = format!("kasse_console_test={}", "é".repeat(20));
        assert_eq!(
            with(Some("test"), Some(&forged)).ok(),
            console(false, None),
            "a value we never issued is not looked up"
        );
        assert_eq!(
            with(Some("test"), Some("kasse_console_test=short")).ok(),
            console(false, None)
        );
        for bad in ["LIVE", "prod", ""] {
            let error = with(Some(bad), Some(&test_cookie)).expect_err("a bad mode");
            assert_eq!(
                (error.status, error.code),
                (400, ErrorCode::ParameterInvalid),
                "{bad}"
            );
            assert_eq!(error.param.as_deref(), Some("Kasse-Mode"));
        }
    }

    #[test]
    fn a_console_request_looks_up_its_tokens_hash_in_its_mode_or_nothing() {
        let presented = Presented::Console {
            livemode: true,
            token: Some(TOKEN.to_owned()),
        };
        assert_eq!(presented.lookup(), Some(console(true)));
        let no_cookie = Presented::Console {
            livemode: false,
            token: None,
        };
        assert_eq!(no_cookie.lookup(), None);
        assert_eq!(
            Presented::ApiKey("sk_test_1".into()).lookup(),
            Some(api_key("sk_test_1"))
        );
        assert_ne!(key_hash(TOKEN), TOKEN, "only the hash is looked up");
    }

    #[test]
    fn only_our_own_origin_may_change_things_with_the_cookie() {
        let own = [
            "http://127.0.0.1:8787".to_owned(),
            "https://pay.example".to_owned(),
        ];
        let allows = |site, origin| same_origin(site, origin, &own);
        assert!(allows(Some("same-origin"), None));
        assert!(
            allows(Some("Same-Origin"), Some("https://evil.example")),
            "the browser's own word wins"
        );
        for site in ["same-site", "cross-site", "none", ""] {
            assert!(!allows(Some(site), Some("https://pay.example")), "{site}");
        }
        assert!(allows(None, Some("https://pay.example")));
        assert!(allows(None, Some("http://127.0.0.1:8787")));
        assert!(!allows(None, Some("https://evil.example")));
        assert!(!allows(None, Some("https://pay.example:8443")));
        assert!(!allows(None, Some("null")));
        assert!(
            !allows(None, None),
            "a request that says nothing is refused"
        );
        assert!(changes_state(&Method::Post) && changes_state(&Method::Delete));
        assert!(!changes_state(&Method::Get) && !changes_state(&Method::Head));
    }

    #[test]
    fn only_ids_of_sessions_can_name_a_public_session() {
        let random = "a".repeat(kasse_shared::ids::RANDOM_CHARS);
        let is_session_id = |id: &str| SessionId::parse(id).is_some();
        assert!(is_session_id(&format!("cs_test_{random}")));
        assert!(is_session_id(&format!("cs_live_{random}")));
        assert!(!is_session_id(&format!("cs_other_{random}")));
        assert!(!is_session_id(&format!("plink_{random}")));
        assert!(!is_session_id("cs_test_short"));
        assert!(!is_session_id(""));
    }
}
