//! Request routing. Paths are matched on their segments; `/api/v1/…` is an alias of `/v1/…`.

mod account;
mod admin;
mod demo;
mod events;
mod health;
mod links;
mod pages;
pub(crate) mod sessions;
mod test_helpers;
mod webhooks;

use worker::{Env, Method, Request, Response};

use crate::cors;
use crate::error::{ApiError, ApiResult};
use crate::idempotency::{self, Begin};

pub async fn dispatch(req: Request, env: &Env) -> Response {
    let path = req.path();
    let method = req.method();
    let trimmed = path
        .strip_prefix("/api")
        .filter(|rest| rest.starts_with("/v1/"))
        .unwrap_or(&path);
    let segments: Vec<&str> = trimmed.trim_matches('/').split('/').collect();
    // workers-rs reads any method it does not know (QUERY, PROPFIND, …) as GET.
    let raw = req.inner().method();
    if !raw.eq_ignore_ascii_case(method.as_ref()) {
        return match methods(&segments) {
            Some(allow) => ApiError::method_not_allowed(&raw, &path, allow),
            None => ApiError::route_not_found(&raw, &path),
        }
        .into_response();
    }
    if !cors::is_public(&segments) {
        return handle(&method, &segments, req, env).await;
    }
    if method == Method::Options {
        return respond(cors::preflight(&req, env, &segments).await);
    }
    let origin = match cors::allowed_origin(&req, env, &segments).await {
        Ok(origin) => origin,
        Err(error) => return error.into_response(),
    };
    let mut response = handle(&method, &segments, req, env).await;
    cors::decorate(&mut response, origin.as_deref());
    response
}

/// Routes the request; every POST goes through `Idempotency-Key` handling. A body
/// announced over 64 KB is refused first, before any credential or idempotency work.
async fn handle(method: &Method, segments: &[&str], req: Request, env: &Env) -> Response {
    if let Err(error) = crate::http::check_length(&req) {
        return error.into_response();
    }
    if *method != Method::Post {
        return respond(route(method, segments, req, env).await);
    }
    let now_unix = worker::Date::now().as_millis() / 1000;
    match idempotency::begin(req, segments, env, now_unix).await {
        Ok(Begin::Untracked(req)) => respond(route(method, segments, req, env).await),
        Ok(Begin::Answered(response)) => response,
        Ok(Begin::Fresh(claim, req)) => {
            let response = respond(route(method, segments, req, env).await);
            claim.finish(env, response).await
        }
        Err(error) => error.into_response(),
    }
}

/// A list's cursor, once `exists(id)` says its object is the caller's:
/// `(starting_after, id)`, or a 400 `resource_missing` naming the parameter.
pub(crate) async fn checked_cursor<'a>(
    cursor: &'a kasse_shared::api::list::Cursor,
    what: &str,
    exists: impl AsyncFnOnce(&'a str) -> ApiResult<bool>,
) -> ApiResult<Option<(bool, &'a str)>> {
    let Some((id, param)) = cursor.named() else {
        return Ok(None);
    };
    if !exists(id).await? {
        return Err(
            ApiError::invalid("resource_missing", format!("No such {what}: '{id}'."))
                .with_param(param),
        );
    }
    Ok(Some((param == "starting_after", id)))
}

fn respond(result: ApiResult<Response>) -> Response {
    result.unwrap_or_else(|error| error.into_response())
}

async fn route(method: &Method, segments: &[&str], req: Request, env: &Env) -> ApiResult<Response> {
    use Method::{Get, Post};
    match (method, segments) {
        (Get, ["v1", "health"]) => health::overview(env).await,
        (Get, ["v1", "health", "chains"]) => health::chains(&req, env).await,
        (Post, ["v1", "admin", "accounts"]) => admin::create_account(req, env).await,
        (Post, ["v1", "admin", "accounts", id, "xpubs"]) => admin::add_xpub(req, env, id).await,
        (Post, ["v1", "admin", "demo"]) => demo::configure(req, env).await,
        (Get, ["v1", "demo"]) => demo::retrieve(req, env).await,
        (Post, ["v1", "checkout_sessions"]) => sessions::create(req, env).await,
        (Get, ["v1", "checkout_sessions"]) => sessions::list(req, env).await,
        (Get, ["v1", "checkout_sessions", id]) => sessions::retrieve(req, env, id).await,
        (Post, ["v1", "checkout_sessions", id, "cancel"]) => sessions::cancel(req, env, id).await,
        (Post, ["v1", "checkout_sessions", id, "check"]) => sessions::check(req, env, id).await,
        (Post, ["v1", "public", "checkout_sessions", id, "check"]) => {
            sessions::public_check(req, env, id).await
        }
        (Post, ["v1", "public", "checkout_sessions", id, "select"]) => {
            sessions::public_select(req, env, id).await
        }
        (Get, ["v1", "account"]) => account::retrieve(req, env).await,
        (Post, ["v1", "account"]) => account::update(req, env).await,
        (Get, ["v1", "api_keys"]) => account::list(req, env).await,
        (Post, ["v1", "api_keys"]) => account::create(req, env).await,
        (Post, ["v1", "api_keys", id, "revoke"]) => account::revoke(req, env, id).await,
        (Post, ["v1", "payment_links"]) => links::create(req, env).await,
        (Get, ["v1", "payment_links"]) => links::list(req, env).await,
        (Get, ["v1", "payment_links", id]) => links::retrieve(req, env, id).await,
        (Post, ["v1", "payment_links", id]) => links::update(req, env, id).await,
        (Post, ["v1", "public", "payment_links", id, "sessions"]) => {
            links::public_start(req, env, id).await
        }
        (Get | Method::Head, ["l", id]) => links::page(env, id).await,
        (Post, ["l", id]) => links::page_start(req, env, id).await,
        (Get, ["v1", "events"]) => events::list(req, env).await,
        (Get, ["v1", "events", id]) => events::retrieve(req, env, id).await,
        (Post, ["v1", "events", id, "redeliver"]) => events::redeliver(req, env, id).await,
        (Post, ["v1", "webhook_endpoints"]) => webhooks::create(req, env).await,
        (Get, ["v1", "webhook_endpoints"]) => webhooks::list(req, env).await,
        (Get, ["v1", "webhook_endpoints", id]) => webhooks::retrieve(req, env, id).await,
        (Post, ["v1", "webhook_endpoints", id]) => webhooks::update(req, env, id).await,
        (Method::Delete, ["v1", "webhook_endpoints", id]) => webhooks::delete(req, env, id).await,
        (Post, ["v1", "webhook_endpoints", id, "rotate_secret"]) => {
            webhooks::rotate(req, env, id).await
        }
        (Get, ["v1", "webhook_endpoints", id, "deliveries"]) => {
            webhooks::deliveries(req, env, id).await
        }
        (Get, ["v1", "public", "checkout_sessions", id]) => {
            sessions::public_retrieve(req, env, id).await
        }
        (Get, ["v1", "test_helpers", "noop"]) => test_helpers::noop(env),
        (Post, ["v1", "test_helpers", "smoke"]) => test_helpers::smoke(req, env).await,
        (Post, ["v1", "test_helpers", "checkout_sessions", id, "advance"]) => {
            test_helpers::advance(req, env, id).await
        }
        (Post, ["v1", "test_helpers", "checkout_sessions", id, "clone"]) => {
            test_helpers::clone(req, env, id).await
        }
        (Post, ["v1", "test_helpers", "checkout_sessions", id, "age_events"]) => {
            test_helpers::age_events(req, env, id).await
        }
        (Post, ["v1", "test_helpers", "webhook_endpoints", id, "advance"]) => {
            test_helpers::advance_endpoint(req, env, id).await
        }
        (Get | Method::Head, ["c", session_id]) => pages::checkout(session_id, env).await,
        _ => Err(match methods(segments) {
            Some(allow) => ApiError::method_not_allowed(method.as_ref(), &req.path(), allow),
            None => ApiError::route_not_found(method.as_ref(), &req.path()),
        }),
    }
}

/// The methods each path of `route` answers, for the 405 and its `Allow` header.
fn methods(segments: &[&str]) -> Option<&'static str> {
    Some(match segments {
        ["v1", "health" | "events" | "demo"]
        | ["v1", "health", "chains"]
        | ["v1", "events", _]
        | ["v1", "webhook_endpoints", _, "deliveries"]
        | ["v1", "checkout_sessions", _]
        | ["v1", "public", "checkout_sessions", _] => "GET",
        [
            "v1",
            "checkout_sessions" | "account" | "api_keys" | "payment_links" | "webhook_endpoints",
        ]
        | ["v1", "payment_links", _] => "GET, POST",
        ["v1", "webhook_endpoints", _] => "GET, POST, DELETE",
        ["v1", "admin", "accounts" | "demo"]
        | ["v1", "admin", "accounts", _, "xpubs"]
        | ["v1", "checkout_sessions", _, "cancel" | "check"]
        | ["v1", "public", "checkout_sessions", _, "check" | "select"]
        | ["v1", "public", "payment_links", _, "sessions"]
        | ["v1", "api_keys", _, "revoke"]
        | ["v1", "events", _, "redeliver"]
        | ["v1", "webhook_endpoints", _, "rotate_secret"]
        | [
            "v1",
            "test_helpers",
            "smoke" | "checkout_sessions" | "webhook_endpoints",
            ..,
        ] => "POST",
        ["v1", "test_helpers", "noop"] => "GET",
        ["l", _] => "GET, HEAD, POST",
        ["c", _] => "GET, HEAD",
        _ => return None,
    })
}
