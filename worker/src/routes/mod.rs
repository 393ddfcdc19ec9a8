//! The top of the request path: one route table ([`ROUTES`]) from which dispatch, the
//! `Allow` header of a 405 and the public (CORS) routes all follow, and the handlers, one
//! module per resource. `/api/v1/…` is an alias of `/v1/…`.

mod account;
mod admin;
mod balances;
mod chains;
mod console;
mod demo;
mod events;
mod exports;
mod health;
mod link_page;
mod links;
mod pages;
mod public;
mod refund_claim;
mod refund_submit;
mod refunds;
mod search;
mod sessions;
mod sweeps;
mod test_helpers;
mod webhooks;

use kasse_shared::time::UnixMillis;
use worker::{Date, Env, Method, Request, Response};

use crate::config;
use crate::error::{ApiError, ApiResult};
use crate::http::idempotency::{self, Begin};
use crate::http::request::check_length;
use crate::http::{Cx, cors};

use Method::{Delete, Get, Head, Post};

/// What answers a route: one variant per handler, dispatched by an exhaustive `match`,
/// so every row of the table has a handler and every handler a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Handler {
    Health,
    HealthChains,
    AdminCreateAccount,
    AdminAddXpub,
    AdminDemo,
    Demo,
    SessionCreate,
    SessionList,
    SessionRetrieve,
    SessionCancel,
    SessionCheck,
    PublicSession,
    PublicCheck,
    PublicSelect,
    PublicRefundRequest,
    PublicRefund,
    PublicRefundAddress,
    Account,
    AccountUpdate,
    ApiKeys,
    ApiKeyCreate,
    ApiKeyRevoke,
    LinkCreate,
    LinkList,
    LinkRetrieve,
    LinkUpdate,
    LinkStart,
    LinkPage,
    LinkPageStart,
    Events,
    Event,
    EventRedeliver,
    EndpointCreate,
    Endpoints,
    Endpoint,
    EndpointUpdate,
    EndpointDelete,
    EndpointRotate,
    EndpointDeliveries,
    Chains,
    SweepCreate,
    SweepList,
    SweepRetrieve,
    RefundCreate,
    RefundList,
    RefundRetrieve,
    RefundCancel,
    RefundSubmit,
    Balances,
    ExportPayments,
    ExportSessions,
    Search,
    ConsoleSignIn,
    ConsoleSignOut,
    TestNoop,
    TestSmoke,
    TestAdvance,
    TestClone,
    TestAgeEvents,
    TestAdvanceEndpoint,
    CheckoutPage,
    RefundPage,
}

/// One path: its pattern (`{id}` matches any one segment), whether a shopper's browser
/// calls it from the merchant's pages (CORS), and the handler of each method it answers,
/// in the order its `Allow` header lists them.
struct Route {
    path: &'static str,
    public: bool,
    methods: &'static [(Method, Handler)],
}

const fn api(path: &'static str, methods: &'static [(Method, Handler)]) -> Route {
    Route {
        path,
        public: false,
        methods,
    }
}

const fn public(path: &'static str, methods: &'static [(Method, Handler)]) -> Route {
    Route {
        path,
        public: true,
        methods,
    }
}

use Handler as H;

/// Every route of the worker.
#[rustfmt::skip]
static ROUTES: &[Route] = &[
    api("/v1/health", &[(Get, H::Health)]),
    api("/v1/health/chains", &[(Get, H::HealthChains)]),
    api("/v1/admin/accounts", &[(Post, H::AdminCreateAccount)]),
    api("/v1/admin/accounts/{id}/xpubs", &[(Post, H::AdminAddXpub)]),
    api("/v1/admin/demo", &[(Post, H::AdminDemo)]),
    api("/v1/demo", &[(Get, H::Demo)]),
    api("/v1/checkout_sessions", &[(Get, H::SessionList), (Post, H::SessionCreate)]),
    api("/v1/checkout_sessions/{id}", &[(Get, H::SessionRetrieve)]),
    api("/v1/checkout_sessions/{id}/cancel", &[(Post, H::SessionCancel)]),
    api("/v1/checkout_sessions/{id}/check", &[(Post, H::SessionCheck)]),
    api("/v1/checkout_sessions/{id}/refunds", &[(Post, H::RefundCreate)]),
    public("/v1/public/checkout_sessions/{id}", &[(Get, H::PublicSession)]),
    public("/v1/public/checkout_sessions/{id}/check", &[(Post, H::PublicCheck)]),
    public("/v1/public/checkout_sessions/{id}/select", &[(Post, H::PublicSelect)]),
    public(
        "/v1/public/checkout_sessions/{id}/refund_request",
        &[(Post, H::PublicRefundRequest)],
    ),
    public("/v1/public/refunds/{id}", &[(Get, H::PublicRefund)]),
    public("/v1/public/refunds/{id}/address", &[(Post, H::PublicRefundAddress)]),
    api("/v1/account", &[(Get, H::Account), (Post, H::AccountUpdate)]),
    api("/v1/api_keys", &[(Get, H::ApiKeys), (Post, H::ApiKeyCreate)]),
    api("/v1/api_keys/{id}/revoke", &[(Post, H::ApiKeyRevoke)]),
    api("/v1/payment_links", &[(Get, H::LinkList), (Post, H::LinkCreate)]),
    api("/v1/payment_links/{id}", &[(Get, H::LinkRetrieve), (Post, H::LinkUpdate)]),
    public("/v1/public/payment_links/{id}/sessions", &[(Post, H::LinkStart)]),
    api("/l/{id}", &[(Get, H::LinkPage), (Head, H::LinkPage), (Post, H::LinkPageStart)]),
    api("/v1/events", &[(Get, H::Events)]),
    api("/v1/events/{id}", &[(Get, H::Event)]),
    api("/v1/events/{id}/redeliver", &[(Post, H::EventRedeliver)]),
    api("/v1/webhook_endpoints", &[(Get, H::Endpoints), (Post, H::EndpointCreate)]),
    api("/v1/webhook_endpoints/{id}", &[(Get, H::Endpoint), (Post, H::EndpointUpdate), (Delete, H::EndpointDelete)]),
    api("/v1/webhook_endpoints/{id}/rotate_secret", &[(Post, H::EndpointRotate)]),
    api("/v1/webhook_endpoints/{id}/deliveries", &[(Get, H::EndpointDeliveries)]),
    api("/v1/chains", &[(Get, H::Chains)]),
    api("/v1/sweeps", &[(Get, H::SweepList), (Post, H::SweepCreate)]),
    api("/v1/sweeps/{id}", &[(Get, H::SweepRetrieve)]),
    api("/v1/refunds", &[(Get, H::RefundList)]),
    api("/v1/refunds/{id}", &[(Get, H::RefundRetrieve)]),
    api("/v1/refunds/{id}/cancel", &[(Post, H::RefundCancel)]),
    api("/v1/refunds/{id}/submit", &[(Post, H::RefundSubmit)]),
    api("/v1/balances", &[(Get, H::Balances)]),
    api("/v1/exports/payments.csv", &[(Get, H::ExportPayments)]),
    api("/v1/exports/sessions.csv", &[(Get, H::ExportSessions)]),
    api("/v1/search", &[(Get, H::Search)]),
    api("/v1/console/sessions", &[(Post, H::ConsoleSignIn)]),
    api("/v1/console/sessions/current", &[(Delete, H::ConsoleSignOut)]),
    api("/v1/test_helpers/noop", &[(Get, H::TestNoop)]),
    api("/v1/test_helpers/smoke", &[(Post, H::TestSmoke)]),
    api("/v1/test_helpers/checkout_sessions/{id}/advance", &[(Post, H::TestAdvance)]),
    api("/v1/test_helpers/checkout_sessions/{id}/clone", &[(Post, H::TestClone)]),
    api("/v1/test_helpers/checkout_sessions/{id}/age_events", &[(Post, H::TestAgeEvents)]),
    api("/v1/test_helpers/webhook_endpoints/{id}/advance", &[(Post, H::TestAdvanceEndpoint)]),
    api("/c/{id}", &[(Get, H::CheckoutPage), (Head, H::CheckoutPage)]),
    api("/r/{id}", &[(Get, H::RefundPage), (Head, H::RefundPage)]),
];

impl Route {
    /// The `{id}` segment if `segments` are this route's path.
    fn matches<'p>(&self, segments: &[&'p str]) -> Option<Option<&'p str>> {
        let pattern = self.path.trim_start_matches('/').split('/');
        if pattern.clone().count() != segments.len() {
            return None;
        }
        let mut id = None;
        for (want, got) in pattern.zip(segments) {
            if want == "{id}" {
                id = Some(*got);
            } else if want != *got {
                return None;
            }
        }
        Some(id)
    }

    fn handler(&self, method: &Method) -> Option<Handler> {
        self.methods
            .iter()
            .find(|(m, _)| m == method)
            .map(|(_, handler)| *handler)
    }

    /// The `Allow` header of a 405.
    fn allow(&self) -> String {
        let names: Vec<&str> = self.methods.iter().map(|(m, _)| m.as_ref()).collect();
        names.join(", ")
    }
}

/// A path's segments, with `/api/v1/…` read as `/v1/…`.
fn segments(path: &str) -> Vec<&str> {
    let trimmed = path
        .strip_prefix("/api")
        .filter(|rest| rest.starts_with("/v1/"))
        .unwrap_or(path);
    trimmed.trim_matches('/').split('/').collect()
}

/// The route whose path `segments` are, with its `{id}`.
fn find<'p>(segments: &[&'p str]) -> Option<(&'static Route, Option<&'p str>)> {
    ROUTES
        .iter()
        .find_map(|route| Some((route, route.matches(segments)?)))
}

/// The 404 of an unknown path, or the 405 of a known path asked with another method.
fn unrouted(found: Option<&Route>, method: &str, path: &str) -> ApiError {
    match found {
        Some(route) => ApiError::method_not_allowed(method, path, &route.allow()),
        None => ApiError::route_not_found(method, path),
    }
}

pub(crate) async fn dispatch(req: Request, env: &Env) -> Response {
    let path = req.path();
    let method = req.method();
    let segments = segments(&path);
    let found = find(&segments);
    // workers-rs reads any method it does not know (QUERY, PROPFIND, …) as GET.
    let raw = req.inner().method();
    if !raw.eq_ignore_ascii_case(method.as_ref()) {
        return unrouted(found.map(|(r, _)| r), &raw, &path).into_response();
    }
    let mut cx = match Cx::new(req, env, UnixMillis(Date::now().as_millis())) {
        Ok(cx) => cx,
        Err(error) => return error.into_response(),
    };
    let public = found.is_some_and(|(route, _)| route.public);
    let mut response = if public && method == Method::Options {
        respond(cors::preflight(&cx, &segments).await)
    } else {
        let response = handle(&mut cx, &method, &segments, found, &path).await;
        if public {
            with_cors(&cx, &segments, response).await
        } else {
            response
        }
    };
    if config::test_helpers_enabled(env) {
        let usage = cx.store.usage();
        let figures = format!(
            "round_trips={}, statements={}, rows_read={}",
            usage.round_trips, usage.queries, usage.rows_read
        );
        let _ = response.headers_mut().set("kasse-d1-usage", &figures);
    }
    response
}

/// A public route's answer with its CORS headers, decided from the settings the handler
/// read if it did (else they are read now).
async fn with_cors(cx: &Cx<'_>, segments: &[&str], mut response: Response) -> Response {
    match cors::allowed_origin(cx, segments).await {
        Ok(origin) => {
            cors::decorate(&mut response, origin.as_deref());
            response
        }
        Err(error) => error.into_response(),
    }
}

/// Routes the request; every POST goes through `Idempotency-Key` handling. A body
/// announced over 64 KB is refused first, before any credential or idempotency work.
async fn handle(
    cx: &mut Cx<'_>,
    method: &Method,
    segments: &[&str],
    found: Option<(&'static Route, Option<&str>)>,
    path: &str,
) -> Response {
    if let Err(error) = check_length(&cx.req) {
        return error.into_response();
    }
    if *method != Method::Post {
        return respond(route(cx, method, found, path).await);
    }
    match idempotency::begin(cx, segments).await {
        Ok(Begin::Untracked) => respond(route(cx, method, found, path).await),
        Ok(Begin::Answered(response)) => response,
        Ok(Begin::Fresh(claim)) => {
            let response = respond(route(cx, method, found, path).await);
            claim.finish(cx, response).await
        }
        Err(error) => error.into_response(),
    }
}

fn respond(result: ApiResult<Response>) -> Response {
    result.unwrap_or_else(|error| error.into_response())
}

async fn route(
    cx: &mut Cx<'_>,
    method: &Method,
    found: Option<(&'static Route, Option<&str>)>,
    path: &str,
) -> ApiResult<Response> {
    let Some((route, id)) = found else {
        return Err(ApiError::route_not_found(method.as_ref(), path));
    };
    let Some(handler) = route.handler(method) else {
        return Err(unrouted(Some(route), method.as_ref(), path));
    };
    call(cx, handler, id.unwrap_or_default()).await
}

/// Runs a route's handler; `id` is the path's `{id}` (empty where it has none).
async fn call(cx: &mut Cx<'_>, handler: Handler, id: &str) -> ApiResult<Response> {
    match handler {
        H::Health => health::overview(cx).await,
        H::HealthChains => health::chains(cx).await,
        H::AdminCreateAccount => admin::create_account(cx).await,
        H::AdminAddXpub => admin::add_xpub(cx, id).await,
        H::AdminDemo => demo::configure(cx).await,
        H::Demo => demo::retrieve(cx).await,
        H::SessionCreate => sessions::create(cx).await,
        H::SessionList => sessions::list(cx).await,
        H::SessionRetrieve => sessions::retrieve(cx, id).await,
        H::SessionCancel => sessions::cancel(cx, id).await,
        H::SessionCheck => sessions::check(cx, id).await,
        H::PublicSession => public::retrieve(cx, id).await,
        H::PublicCheck => public::check(cx, id).await,
        H::PublicSelect => public::select(cx, id).await,
        H::PublicRefundRequest => refunds::shopper_request(cx, id).await,
        H::PublicRefund => refund_claim::retrieve(cx, id).await,
        H::PublicRefundAddress => refund_claim::set_address(cx, id).await,
        H::Account => account::retrieve(cx).await,
        H::AccountUpdate => account::update(cx).await,
        H::ApiKeys => account::list(cx).await,
        H::ApiKeyCreate => account::create(cx).await,
        H::ApiKeyRevoke => account::revoke(cx, id).await,
        H::LinkCreate => links::create(cx).await,
        H::LinkList => links::list(cx).await,
        H::LinkRetrieve => links::retrieve(cx, id).await,
        H::LinkUpdate => links::update(cx, id).await,
        H::LinkStart => links::public_start(cx, id).await,
        H::LinkPage => link_page::show(cx, id).await,
        H::LinkPageStart => link_page::start(cx, id).await,
        H::Events => events::list(cx).await,
        H::Event => events::retrieve(cx, id).await,
        H::EventRedeliver => events::redeliver(cx, id).await,
        H::EndpointCreate => webhooks::create(cx).await,
        H::Endpoints => webhooks::list(cx).await,
        H::Endpoint => webhooks::retrieve(cx, id).await,
        H::EndpointUpdate => webhooks::update(cx, id).await,
        H::EndpointDelete => webhooks::delete(cx, id).await,
        H::EndpointRotate => webhooks::rotate(cx, id).await,
        H::EndpointDeliveries => webhooks::deliveries(cx, id).await,
        H::Chains => chains::list(cx).await,
        H::SweepCreate => sweeps::create(cx).await,
        H::SweepList => sweeps::list(cx).await,
        H::SweepRetrieve => sweeps::retrieve(cx, id).await,
        H::RefundCreate => refunds::create(cx, id).await,
        H::RefundList => refunds::list(cx).await,
        H::RefundRetrieve => refunds::retrieve(cx, id).await,
        H::RefundCancel => refunds::cancel(cx, id).await,
        H::RefundSubmit => refund_submit::submit(cx, id).await,
        H::Balances => balances::retrieve(cx).await,
        H::ExportPayments => exports::payments(cx).await,
        H::ExportSessions => exports::sessions(cx).await,
        H::Search => search::search(cx).await,
        H::ConsoleSignIn => console::sign_in(cx).await,
        H::ConsoleSignOut => console::sign_out(cx).await,
        H::TestNoop => test_helpers::noop(cx),
        H::TestSmoke => test_helpers::smoke(cx).await,
        H::TestAdvance => test_helpers::advance(cx, id).await,
        H::TestClone => test_helpers::clone(cx, id).await,
        H::TestAgeEvents => test_helpers::age_events(cx, id).await,
        H::TestAdvanceEndpoint => test_helpers::advance_endpoint(cx, id).await,
        H::CheckoutPage => pages::checkout(cx, id).await,
        H::RefundPage => pages::refund(cx, id).await,
    }
}

#[cfg(test)]
mod tests;
