//! `Idempotency-Key` on any POST (spec §7). The key is claimed in D1 (`in_progress`)
//! before the work, so a concurrent repeat gets 409; a finished one replays the stored
//! 2xx/4xx response when the request is the same (fingerprint: SHA-256 of method, path and
//! raw body), and a different request under the same key is a 409. 5xx answers are not
//! stored: the key is released and the client may retry. Records live 24 hours.

use kasse_shared::account::{KeyKind, key_hash};
use worker::{Env, Headers, Request, Response};

use crate::error::{ApiError, ApiResult, ErrorType};
use crate::http::{MAX_BODY, bearer_token};
use crate::store::{IdempotencyRecord, Store};

pub const HEADER: &str = "idempotency-key";
pub const TTL_SECS: u64 = 24 * 60 * 60;
const MAX_KEY_LEN: usize = 255;

/// A claimed key: the request runs, then `finish` stores (or releases) its answer.
pub struct Claim {
    scope: String,
    livemode: bool,
    key: String,
}

pub enum Begin {
    /// No key, or nothing to scope it to (the route answers 401 itself).
    Untracked,
    Fresh(Claim),
    Answered(Response),
}

/// Who the key belongs to: an API key's account and mode, the admin, or one session's
/// browser (scoped by a hash of its client secret, so no one else can poison the key).
async fn scope(req: &Request, store: &Store, path: &str) -> ApiResult<Option<(String, bool)>> {
    // A session's browser calls are the client secret's, whatever else is sent.
    if path.contains("/public/checkout_sessions/") {
        let secret = req
            .headers()
            .get(crate::routes::sessions::CLIENT_SECRET_HEADER)?;
        return Ok(secret.map(|s| (format!("browser:{}", &key_hash(&s)[..32]), false)));
    }
    let Some(token) = bearer_token(req.headers()) else {
        return Ok(None);
    };
    if KeyKind::of_key(&token).is_some() {
        return Ok(store
            .key(&key_hash(&token))
            .await?
            .map(|row| (row.account_id, row.livemode != 0)));
    }
    if path.ends_with("/admin/accounts") {
        return Ok(Some((format!("admin:{}", &key_hash(&token)[..16]), false)));
    }
    Ok(None)
}

pub async fn begin(req: &Request, env: &Env, now_unix: u64) -> ApiResult<Begin> {
    let Some(key) = req.headers().get(HEADER)? else {
        return Ok(Begin::Untracked);
    };
    if key.is_empty()
        || key.len() > MAX_KEY_LEN
        || !key.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
    {
        return Err(ApiError::invalid(
            "idempotency_key_invalid",
            format!("Idempotency-Key must be 1 to {MAX_KEY_LEN} printable ASCII characters, e.g. a UUID."),
        )
        .with_param("Idempotency-Key"));
    }
    let body = req.clone()?.bytes().await?;
    if body.len() > MAX_BODY {
        // The route refuses it (413); nothing worth remembering.
        return Ok(Begin::Untracked);
    }
    let store = Store::new(env)?;
    let path = req.path();
    let Some((scope, livemode)) = scope(req, &store, &path).await? else {
        return Ok(Begin::Untracked);
    };
    let fingerprint = kasse_shared::api::fingerprint(req.method().as_ref(), &path, &body);
    if store
        .claim_idempotency(&scope, livemode, &key, &fingerprint, now_unix, TTL_SECS)
        .await?
    {
        return Ok(Begin::Fresh(Claim {
            scope,
            livemode,
            key,
        }));
    }
    let Some(record) = store.idempotency_record(&scope, livemode, &key).await? else {
        return Err(in_progress());
    };
    if record.fingerprint != fingerprint {
        return Err(ApiError::new(
            409,
            ErrorType::IdempotencyError,
            "idempotency_key_reused",
            "This Idempotency-Key was used for a different request (method, path or body); use a new key for a new request.",
        )
        .with_param("Idempotency-Key"));
    }
    match record {
        IdempotencyRecord {
            response_status: Some(status),
            response_body: Some(body),
            ..
        } => Ok(Begin::Answered(replay(status, body, true))),
        _ => Err(in_progress()),
    }
}

fn in_progress() -> ApiError {
    ApiError::new(
        409,
        ErrorType::IdempotencyError,
        "idempotency_in_progress",
        "A request with this Idempotency-Key is still in progress; retry after it finishes.",
    )
    .with_param("Idempotency-Key")
    .with_retry_after(1)
}

fn replay(status: u16, body: String, replayed: bool) -> Response {
    let headers: Headers = [
        ("content-type", "application/json; charset=utf-8"),
        ("cache-control", "no-store"),
    ]
    .into_iter()
    .collect();
    if replayed {
        let _ = headers.set("idempotent-replayed", "true");
    }
    rebuilt(status, headers, body)
}

fn rebuilt(status: u16, headers: Headers, body: String) -> Response {
    Response::builder()
        .with_status(status)
        .with_headers(headers)
        .fixed(body.into_bytes())
}

impl Claim {
    /// Stores a 2xx/4xx answer for replay; releases the key after a 5xx.
    pub async fn finish(self, env: &Env, mut response: Response) -> Response {
        let status = response.status_code();
        let stored = async {
            let store = Store::new(env)?;
            if status >= 500 {
                store
                    .release_idempotency(&self.scope, self.livemode, &self.key)
                    .await?;
                return Ok::<_, ApiError>(None);
            }
            let headers = response.headers().clone();
            let body = response.text().await?;
            store
                .finish_idempotency(&self.scope, self.livemode, &self.key, status, &body)
                .await?;
            Ok(Some((headers, body)))
        }
        .await;
        match stored {
            Ok(None) => response,
            Ok(Some((headers, body))) => rebuilt(status, headers, body),
            Err(e) => {
                worker::console_error!("idempotency: could not record the answer: {}", e.message);
                e.into_response()
            }
        }
    }
}
