//! `Idempotency-Key` on any POST under `/v1/`.
//!
//! **Who owns a key.** A key lives in the space of the caller that sent it, and the caller
//! must have proved who it is before anything is written:
//! - a secret key: its account and mode (`secret:<account>`); the key must exist and be
//!   unrevoked. The console's cookie acts as the secret key it signed in with and shares
//!   that space; its answers are sealed under the cookie's token;
//! - a publishable key: its account and mode, in a space of its own (`publishable:<account>`),
//!   so a public key can neither claim a secret key's keys nor see their answers;
//! - a session's browser (`/v1/public/checkout_sessions/{id}/…`): that one session
//!   (`session:<id>`), and only when `Kasse-Client-Secret` is the session's client secret;
//! - the admin token on `/v1/admin/…`: the `admin` space.
//!
//! A request that proves nothing (no credential, an unknown or revoked key, a wrong client
//! secret) is not tracked at all: it writes no record and gets the route's own 401 or 404.
//! The caller's kind is also part of the fingerprint (SHA-256 of kind, method, path and raw
//! body), so an answer can never be replayed to another kind of caller.
//!
//! **Claim, run, keep.** The key is claimed in D1 (`in_progress`) before the work, so a
//! concurrent repeat gets 409 `idempotency_in_progress`; a different request under a used
//! key is 409 `idempotency_key_reused`. A 2xx/4xx answer is kept for 24 hours; after a 5xx
//! the key is released and the client may retry.
//!
//! **Sealed answers.** No answer is kept in plain text if it could carry a secret (a new API
//! key, a webhook secret, a session's client secret, an account's first keys):
//! - answers to a secret key, a client secret or the admin token are sealed with
//!   AES-256-GCM under a key derived (HKDF-SHA256) from the caller's raw credential; the
//!   record's own identity (scope, key, fingerprint, status) is the associated data. Only
//!   the same raw credential can open it, so a replay returns the answer only to the caller
//!   that sent the first request. Another secret key of the same account shares the key
//!   space (a retry after a key rotation never runs twice) but cannot open the answer: it
//!   gets 409 `idempotency_replay_unavailable`;
//! - a publishable key is public, so nothing sealed under it would be secret: its success
//!   answers (a started session with its client secret) are not kept, and a repeat gets 409
//!   `idempotency_replay_unavailable`. Its error answers carry no secret and are kept as
//!   they are.
//!
//! The body is read here (at most 64 KB, after the credential check) and handed on to the
//! route in memory, so it is read from the network once.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use kasse_shared::error_code::ErrorCode;
use worker::Response;

use super::auth;
use super::context::Cx;
use super::request::{bearer_token, with_body};
use super::response::{json_text, replayed};
use crate::error::{ApiError, ApiResult, ErrorType};
use crate::store::{IDEMPOTENCY_TTL_SECS, IdempotencyRecord};

pub(crate) const HEADER: &str = "idempotency-key";
const MAX_KEY_LEN: usize = 255;

/// How a caller's answers are kept.
enum Keep {
    /// Sealed under this key (derived from the caller's raw credential).
    Sealed([u8; 32]),
    /// A publishable key: error answers in plain text, success answers not at all.
    Public,
}

/// An authenticated caller: which kind, whose key space, and how its answers are kept.
struct Owner {
    kind: &'static str,
    scope: String,
    livemode: bool,
    keep: Keep,
}

/// A claimed key: the request runs, then `finish` stores (or releases) its answer.
pub(crate) struct Claim {
    owner: Owner,
    key: String,
    fingerprint: String,
}

pub(crate) enum Begin {
    /// No key, or a caller that proved nothing (the route answers 401/404 itself).
    Untracked,
    /// A fresh claim; the request's body has been read and is kept on the context.
    Fresh(Claim),
    Answered(Response),
}

/// A refusal the route will give itself (`Ok(None)`: the request proves nothing), or a
/// failure on our side (an error).
fn proves_nothing<T>(result: ApiResult<T>) -> ApiResult<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(e) if e.status < 500 => Ok(None),
        Err(e) => Err(e),
    }
}

/// The owner of a request's key, once its credential is proven; `None` when it proves
/// nothing (the route then refuses it), or when the path is not an API call.
async fn owner(cx: &Cx<'_>, segments: &[&str]) -> ApiResult<Option<Owner>> {
    match segments {
        ["v1", "public", "checkout_sessions", id, ..] => {
            let Some(secret) = cx.req.headers().get(auth::CLIENT_SECRET_HEADER)? else {
                return Ok(None);
            };
            let found = auth::public_session(&cx.req, &cx.store, id).await;
            let Some(session) = proves_nothing(found)? else {
                return Ok(None);
            };
            let scope = format!("session:{}", session.id);
            let keep = Keep::Sealed(answer_key(&secret, &scope));
            Ok(Some(Owner {
                kind: "session",
                scope,
                livemode: session.livemode,
                keep,
            }))
        }
        ["v1", "admin", ..] => {
            if cx.admin().is_err() {
                return Ok(None);
            }
            let Some(token) = bearer_token(cx.req.headers()) else {
                return Ok(None);
            };
            let scope = "admin".to_owned();
            let keep = Keep::Sealed(answer_key(&token, &scope));
            Ok(Some(Owner {
                kind: "admin",
                scope,
                livemode: false,
                keep,
            }))
        }
        // Signing in and out writes nothing another try could repeat, and a kept answer
        // would lack the cookie it set.
        ["v1", "console", ..] => Ok(None),
        ["v1", ..] => {
            // The handler asks for the same caller: the key is read once for both.
            let Some(caller) = proves_nothing(cx.caller().await)? else {
                return Ok(None);
            };
            let credential = match caller.credential {
                auth::Credential::ApiKey => bearer_token(cx.req.headers()),
                auth::Credential::Console => auth::console_token(&cx.req)?,
            };
            let Some(credential) = credential else {
                return Ok(None);
            };
            Ok(Some(key_owner(&caller, &credential)))
        }
        _ => Ok(None),
    }
}

/// The key space of an API key's (or console cookie's) caller: secret and publishable keys
/// apart; `credential` is the raw key or token, what answers are sealed under.
fn key_owner(caller: &auth::Caller, credential: &str) -> Owner {
    if caller.kind == kasse_shared::account::KeyKind::Secret {
        let scope = format!("secret:{}", caller.account_id);
        let keep = Keep::Sealed(answer_key(credential, &scope));
        Owner {
            kind: "secret",
            scope,
            livemode: caller.livemode,
            keep,
        }
    } else {
        Owner {
            kind: "publishable",
            scope: format!("publishable:{}", caller.account_id),
            livemode: caller.livemode,
            keep: Keep::Public,
        }
    }
}

/// The request's `Idempotency-Key`, if it sends one; a malformed one is a 400.
fn idempotency_key(cx: &Cx<'_>) -> ApiResult<Option<String>> {
    let Some(key) = cx.req.headers().get(HEADER)? else {
        return Ok(None);
    };
    if key.is_empty()
        || key.len() > MAX_KEY_LEN
        || !key.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
    {
        return Err(ApiError::invalid(
            ErrorCode::IdempotencyKeyInvalid,
            format!("Idempotency-Key must be 1 to {MAX_KEY_LEN} printable ASCII characters, e.g. a UUID."),
        )
        .with_param("Idempotency-Key"));
    }
    Ok(Some(key))
}

pub(crate) async fn begin(cx: &mut Cx<'_>, segments: &[&str]) -> ApiResult<Begin> {
    let Some(key) = idempotency_key(cx)? else {
        return Ok(Begin::Untracked);
    };
    let Some(owner) = owner(cx, segments).await? else {
        return Ok(Begin::Untracked);
    };
    let path = cx.req.path();
    let body = cx.body_bytes().await?.to_vec();
    // Put back for handlers that read the request itself.
    cx.req = with_body(&cx.req, &body)?;
    let fingerprint =
        kasse_shared::api::fingerprint(owner.kind, cx.req.method().as_ref(), &path, &body);
    let claimed = cx
        .store
        .claim_idempotency(
            &owner.scope,
            owner.livemode,
            &key,
            &fingerprint,
            cx.now,
            IDEMPOTENCY_TTL_SECS,
        )
        .await?;
    if claimed {
        return Ok(Begin::Fresh(Claim {
            owner,
            key,
            fingerprint,
        }));
    }
    let record = cx
        .store
        .idempotency_record(&owner.scope, owner.livemode, &key)
        .await?;
    replay(&owner, &key, &fingerprint, record).map(Begin::Answered)
}

/// The answer kept for a used key, to the caller that may read it; else the 409 that says
/// why not.
fn replay(
    owner: &Owner,
    key: &str,
    fingerprint: &str,
    record: Option<IdempotencyRecord>,
) -> ApiResult<Response> {
    let Some(record) = record else {
        return Err(in_progress());
    };
    if record.fingerprint != fingerprint {
        return Err(ApiError::new(
            409,
            ErrorType::IdempotencyError,
            ErrorCode::IdempotencyKeyReused,
            "This Idempotency-Key was used for a different request (method, path or body); use a new key for a new request.",
        )
        .with_param("Idempotency-Key"));
    }
    let IdempotencyRecord {
        response_status: Some(status),
        answer: Some(answer),
        response_body,
        ..
    } = record
    else {
        return Err(in_progress());
    };
    match (answer.as_str(), response_body, &owner.keep) {
        ("plain", Some(body), _) => Ok(replayed(status, body)),
        ("sealed", Some(sealed), Keep::Sealed(secret)) => {
            let aad = associated_data(&owner.scope, owner.livemode, key, fingerprint, status);
            match open(secret, &aad, &sealed).and_then(|b| String::from_utf8(b).ok()) {
                Some(body) => Ok(replayed(status, body)),
                None => Err(unavailable(
                    "The answer to this Idempotency-Key is sealed for the credential that sent the first request; retry with that credential, or use a new key.",
                )),
            }
        }
        ("withheld", ..) => Err(unavailable(
            "The first request with this Idempotency-Key succeeded, but its answer carries a client secret, which is never kept for a publishable key; use a new key to start another session.",
        )),
        _ => Err(unavailable(
            "The answer to this Idempotency-Key cannot be replayed to this caller; use a new key.",
        )),
    }
}

fn in_progress() -> ApiError {
    ApiError::new(
        409,
        ErrorType::IdempotencyError,
        ErrorCode::IdempotencyInProgress,
        "A request with this Idempotency-Key is still in progress; retry after it finishes.",
    )
    .with_param("Idempotency-Key")
    .with_retry_after(1)
}

fn unavailable(message: &str) -> ApiError {
    ApiError::new(
        409,
        ErrorType::IdempotencyError,
        ErrorCode::IdempotencyReplayUnavailable,
        message,
    )
    .with_param("Idempotency-Key")
}

impl Claim {
    /// Keeps a 2xx/4xx answer for replay (sealed, plain or withheld, see the module
    /// docs); releases the key after a 5xx.
    pub(crate) async fn finish(self, cx: &Cx<'_>, mut response: Response) -> Response {
        let status = response.status_code();
        let stored = async {
            if status >= 500 {
                let Owner {
                    scope, livemode, ..
                } = &self.owner;
                cx.store
                    .release_idempotency(scope, *livemode, &self.key)
                    .await?;
                return Ok::<_, ApiError>(None);
            }
            let headers = response.headers().clone();
            let body = response.text().await?;
            self.keep(cx, status, &body).await?;
            Ok(Some((headers, body)))
        }
        .await;
        match stored {
            Ok(None) => response,
            Ok(Some((headers, body))) => json_text(status, headers, body),
            Err(e) => {
                worker::console_error!("idempotency: could not record the answer: {}", e.message);
                e.into_response()
            }
        }
    }

    /// Records the answer as this caller keeps it.
    async fn keep(&self, cx: &Cx<'_>, status: u16, body: &str) -> ApiResult<()> {
        let Self {
            owner,
            key,
            fingerprint,
        } = self;
        let (answer, kept) = match &owner.keep {
            Keep::Sealed(secret) => {
                let aad = associated_data(&owner.scope, owner.livemode, key, fingerprint, status);
                let mut nonce = [0u8; NONCE_LEN];
                kasse_shared::ids::Entropy::fill(&mut crate::entropy::Csprng, &mut nonce);
                ("sealed", Some(seal(secret, &nonce, &aad, body.as_bytes())?))
            }
            Keep::Public if status < 400 => ("withheld", None),
            Keep::Public => ("plain", Some(body.to_owned())),
        };
        cx.store
            .finish_idempotency(
                &owner.scope,
                owner.livemode,
                key,
                status,
                answer,
                kept.as_deref(),
            )
            .await
    }
}

// ----- sealing ---------------------------------------------------------------------------

const NONCE_LEN: usize = 12;
/// Fixed salt of the answer-key derivation; a new scheme gets a new label.
const KDF_SALT: &[u8] = b"kasse idempotency answer v1";

/// The key that seals a caller's answers: HKDF-SHA256 of its raw credential, bound to the
/// key space. The credential itself is never stored.
fn answer_key(credential: &str, scope: &str) -> [u8; 32] {
    let kdf = hkdf::Hkdf::<sha2::Sha256>::new(Some(KDF_SALT), credential.as_bytes());
    let mut key = [0u8; 32];
    // 32 bytes is far below HKDF-SHA256's limit (255 × 32), so expand cannot fail.
    if kdf.expand(scope.as_bytes(), &mut key).is_err() {
        unreachable!("HKDF-SHA256 yields 32 bytes");
    }
    key
}

/// What a sealed answer is bound to: the record it belongs to, so a sealed body copied
/// into another record (another key, request or status) does not open.
fn associated_data(
    scope: &str,
    livemode: bool,
    key: &str,
    fingerprint: &str,
    status: u16,
) -> Vec<u8> {
    format!(
        "{scope}\n{}\n{}\n{fingerprint}\n{status}\n{key}",
        u8::from(livemode),
        key.len()
    )
    .into_bytes()
}

/// `base64(nonce ‖ AES-256-GCM(plaintext))`.
fn seal(
    key: &[u8; 32],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    plaintext: &[u8],
) -> ApiResult<String> {
    use aes_gcm::aead::{Aead, KeyInit, Payload};
    let cipher = aes_gcm::Aes256Gcm::new(&(*key).into());
    let sealed = cipher
        .encrypt(
            &(*nonce).into(),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| ApiError::internal("the answer could not be sealed"))?;
    let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
    out.extend_from_slice(nonce);
    out.extend_from_slice(&sealed);
    Ok(B64.encode(out))
}

/// The plaintext of a sealed answer, or `None` when this key (or this record) is not the
/// one it was sealed for.
fn open(key: &[u8; 32], aad: &[u8], sealed: &str) -> Option<Vec<u8>> {
    use aes_gcm::aead::{Aead, KeyInit, Payload};
    let bytes = B64.decode(sealed).ok()?;
    if bytes.len() < NONCE_LEN {
        return None;
    }
    let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().ok()?;
    let cipher = aes_gcm::Aes256Gcm::new(&(*key).into());
    cipher
        .decrypt(
            &nonce.into(),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SK: &str = "sk_test_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const OTHER_SK: &str = "sk_test_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    const ANSWER: &str = r#"{"key":"sk_test_minted_secret"}"#;

    fn aad(status: u16) -> Vec<u8> {
        associated_data("secret:acct_1", false, "new-key", "f1", status)
    }

    #[test]
    fn a_sealed_answer_opens_only_with_the_same_credential() {
        let key = answer_key(SK, "secret:acct_1");
        let sealed = seal(&key, &[7; NONCE_LEN], &aad(200), ANSWER.as_bytes()).unwrap();
        assert!(!sealed.contains("sk_test"), "no plain text at rest");
        assert_eq!(
            open(&key, &aad(200), &sealed).as_deref(),
            Some(ANSWER.as_bytes())
        );
        let other = answer_key(OTHER_SK, "secret:acct_1");
        assert_eq!(open(&other, &aad(200), &sealed), None);
    }

    #[test]
    fn a_sealed_answer_is_bound_to_its_record_and_key_space() {
        let key = answer_key(SK, "secret:acct_1");
        let sealed = seal(&key, &[7; NONCE_LEN], &aad(200), ANSWER.as_bytes()).unwrap();
        assert_eq!(open(&key, &aad(400), &sealed), None, "another status");
        let elsewhere = associated_data("secret:acct_1", false, "other-key", "f1", 200);
        assert_eq!(open(&key, &elsewhere, &sealed), None, "another key");
        // The same credential in another space derives another key.
        assert_ne!(
            answer_key(SK, "secret:acct_1"),
            answer_key(SK, "session:cs_1")
        );
        assert_eq!(open(&key, &aad(200), "not base64!"), None);
        assert_eq!(open(&key, &aad(200), "AAAA"), None, "shorter than a nonce");
    }

    #[test]
    fn fresh_nonces_give_fresh_ciphertexts() {
        let key = answer_key(SK, "secret:acct_1");
        let a = seal(&key, &[1; NONCE_LEN], &aad(200), ANSWER.as_bytes()).unwrap();
        let b = seal(&key, &[2; NONCE_LEN], &aad(200), ANSWER.as_bytes()).unwrap();
        assert_ne!(a, b);
    }
}
