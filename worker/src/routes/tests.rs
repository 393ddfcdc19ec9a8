use kasse_shared::error_code::ErrorCode;
use std::collections::BTreeSet;

use super::*;

fn found(path: &str) -> Option<(&'static Route, Option<&str>)> {
    find(&segments(path))
}

fn handler(method: Method, path: &str) -> Option<(Handler, Option<&str>)> {
    let (route, id) = found(path)?;
    Some((route.handler(&method)?, id))
}

fn allow(path: &str) -> Option<String> {
    found(path).map(|(route, _)| route.allow())
}

#[test]
fn every_route_is_in_openapi_and_every_openapi_path_is_a_route() {
    let spec: serde_json::Value =
        serde_json::from_str(include_str!("../../../www/openapi.json")).expect("openapi.json");
    let verbs = ["get", "post", "delete", "put", "patch", "head", "options"];
    let documented: BTreeSet<(String, String)> = spec["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            let item = item.as_object().expect("a path item");
            item.keys()
                .filter(|k| verbs.contains(&k.as_str()))
                .map(|verb| (path.clone(), verb.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    // HEAD is GET without its body: OpenAPI describes the GET.
    let routed: BTreeSet<(String, String)> = ROUTES
        .iter()
        .flat_map(|route| route.methods.iter().map(move |(m, _)| (route, m)))
        .filter(|(_, method)| **method != Head)
        .map(|(route, method)| (route.path.to_owned(), method.as_ref().to_ascii_lowercase()))
        .collect();
    let undescribed: Vec<_> = routed.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(
        undescribed.is_empty(),
        "routes missing from openapi.json: {undescribed:?}"
    );
    assert!(
        unrouted.is_empty(),
        "openapi.json paths with no route: {unrouted:?}"
    );
}

#[test]
fn paths_match_their_route_with_the_id() {
    assert_eq!(
        handler(Get, "/v1/checkout_sessions/cs_test_1"),
        Some((H::SessionRetrieve, Some("cs_test_1")))
    );
    assert_eq!(
        handler(Post, "/v1/checkout_sessions/cs_test_1/cancel"),
        Some((H::SessionCancel, Some("cs_test_1")))
    );
    assert_eq!(
        handler(Get, "/v1/checkout_sessions"),
        Some((H::SessionList, None))
    );
    assert_eq!(
        handler(Post, "/v1/checkout_sessions"),
        Some((H::SessionCreate, None))
    );
    assert_eq!(
        handler(Delete, "/v1/webhook_endpoints/we_1"),
        Some((H::EndpointDelete, Some("we_1")))
    );
    assert_eq!(
        handler(Post, "/v1/admin/accounts/acct_1/xpubs"),
        Some((H::AdminAddXpub, Some("acct_1")))
    );
    // A trailing slash is the same path.
    assert_eq!(handler(Get, "/v1/events/"), Some((H::Events, None)));
}

#[test]
fn api_v1_is_an_alias_of_v1_and_nothing_else_is() {
    assert_eq!(
        handler(Get, "/api/v1/payment_links/plink_1"),
        Some((H::LinkRetrieve, Some("plink_1")))
    );
    assert_eq!(handler(Get, "/api/v1/health"), Some((H::Health, None)));
    assert!(found("/api/l/plink_1").is_none());
    assert!(found("/api").is_none());
    assert!(found("/apiv1/health").is_none());
}

#[test]
fn head_is_answered_on_the_pages_only() {
    assert_eq!(
        handler(Head, "/l/plink_1"),
        Some((H::LinkPage, Some("plink_1")))
    );
    assert_eq!(
        handler(Get, "/l/plink_1"),
        Some((H::LinkPage, Some("plink_1")))
    );
    assert_eq!(
        handler(Post, "/l/plink_1"),
        Some((H::LinkPageStart, Some("plink_1")))
    );
    assert_eq!(
        handler(Head, "/c/cs_test_1"),
        Some((H::CheckoutPage, Some("cs_test_1")))
    );
    assert_eq!(
        handler(Head, "/r/re_test_1"),
        Some((H::RefundPage, Some("re_test_1")))
    );
    assert_eq!(handler(Head, "/v1/health"), None);
    assert_eq!(handler(Head, "/v1/checkout_sessions/cs_test_1"), None);
}

#[test]
fn an_unknown_path_is_a_404_and_a_wrong_method_a_405_with_allow() {
    for path in [
        "/",
        "/v1",
        "/v1/nope",
        "/v1/checkout_sessions/cs_1/nope",
        "/v1/public",
        "/v1/public/checkout_sessions",
        "/c",
        "/c/cs_1/extra",
        "/l",
    ] {
        assert!(found(path).is_none(), "{path}");
        let error = unrouted(None, "GET", path);
        assert_eq!(
            (error.status, error.code),
            (404, ErrorCode::RouteNotFound),
            "{path}"
        );
        assert_eq!(error.allow, None);
    }
    let (route, _) = found("/v1/webhook_endpoints/we_1").expect("a route");
    let error = unrouted(Some(route), "PUT", "/v1/webhook_endpoints/we_1");
    assert_eq!(
        (error.status, error.code),
        (405, ErrorCode::MethodNotAllowed)
    );
    assert_eq!(error.allow.as_deref(), Some("GET, POST, DELETE"));
    assert_eq!(
        error.message,
        "PUT is not allowed on /v1/webhook_endpoints/we_1; it answers GET, POST, DELETE."
    );
}

#[test]
fn allow_lists_every_method_of_the_path_in_order() {
    for (path, methods) in [
        ("/v1/health", "GET"),
        ("/v1/health/chains", "GET"),
        ("/v1/events", "GET"),
        ("/v1/demo", "GET"),
        ("/v1/events/evt_1", "GET"),
        ("/v1/webhook_endpoints/we_1/deliveries", "GET"),
        ("/v1/checkout_sessions/cs_1", "GET"),
        ("/v1/public/checkout_sessions/cs_1", "GET"),
        ("/v1/checkout_sessions", "GET, POST"),
        ("/v1/account", "GET, POST"),
        ("/v1/api_keys", "GET, POST"),
        ("/v1/payment_links", "GET, POST"),
        ("/v1/webhook_endpoints", "GET, POST"),
        ("/v1/payment_links/plink_1", "GET, POST"),
        ("/v1/webhook_endpoints/we_1", "GET, POST, DELETE"),
        ("/v1/admin/accounts", "POST"),
        ("/v1/admin/demo", "POST"),
        ("/v1/admin/accounts/acct_1/xpubs", "POST"),
        ("/v1/checkout_sessions/cs_1/cancel", "POST"),
        ("/v1/checkout_sessions/cs_1/check", "POST"),
        ("/v1/public/checkout_sessions/cs_1/check", "POST"),
        ("/v1/public/checkout_sessions/cs_1/select", "POST"),
        ("/v1/public/checkout_sessions/cs_1/refund_request", "POST"),
        ("/v1/public/payment_links/plink_1/sessions", "POST"),
        ("/v1/api_keys/key_1/revoke", "POST"),
        ("/v1/events/evt_1/redeliver", "POST"),
        ("/v1/webhook_endpoints/we_1/rotate_secret", "POST"),
        ("/v1/test_helpers/smoke", "POST"),
        ("/v1/test_helpers/checkout_sessions/cs_1/advance", "POST"),
        ("/v1/test_helpers/checkout_sessions/cs_1/clone", "POST"),
        ("/v1/test_helpers/checkout_sessions/cs_1/age_events", "POST"),
        ("/v1/test_helpers/webhook_endpoints/we_1/advance", "POST"),
        ("/v1/test_helpers/noop", "GET"),
        ("/l/plink_1", "GET, HEAD, POST"),
        ("/c/cs_1", "GET, HEAD"),
    ] {
        assert_eq!(allow(path).as_deref(), Some(methods), "{path}");
    }
}

#[test]
fn the_public_routes_are_the_shoppers_and_only_they_get_cors() {
    let public: Vec<&str> = ROUTES.iter().filter(|r| r.public).map(|r| r.path).collect();
    assert_eq!(
        public,
        [
            "/v1/public/checkout_sessions/{id}",
            "/v1/public/checkout_sessions/{id}/check",
            "/v1/public/checkout_sessions/{id}/select",
            "/v1/public/checkout_sessions/{id}/refund_request",
            "/v1/public/refunds/{id}",
            "/v1/public/refunds/{id}/address",
            "/v1/public/payment_links/{id}/sessions",
        ]
    );
    for route in ROUTES {
        assert_eq!(
            route.public,
            route.path.starts_with("/v1/public/"),
            "{}",
            route.path
        );
    }
}

#[test]
fn the_table_has_one_row_per_path_and_one_handler_per_method() {
    let paths: BTreeSet<&str> = ROUTES.iter().map(|r| r.path).collect();
    assert_eq!(paths.len(), ROUTES.len(), "a path listed twice");
    for route in ROUTES {
        let methods: BTreeSet<&str> = route.methods.iter().map(|(m, _)| m.as_ref()).collect();
        assert_eq!(methods.len(), route.methods.len(), "{}", route.path);
        assert!(route.path.starts_with('/'), "{}", route.path);
        assert!(
            route.path.matches("{id}").count() <= 1,
            "one id per path: {}",
            route.path
        );
        // Every pattern matches itself, with its id.
        let example = route.path.replace("{id}", "x_1");
        let (matched, id) = found(&example).expect("a route matches its own path");
        assert_eq!(matched.path, route.path);
        assert_eq!(id.is_some(), route.path.contains("{id}"));
    }
}
