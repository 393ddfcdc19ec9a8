//! The demo shop's configuration: which payment link `/demo` sells and the publishable
//! key it starts sessions with. Set by the operator (`POST /v1/admin/demo`), read by the
//! page (`GET /v1/demo`). Only public things are stored: a publishable key is meant to be
//! in pages, and no secret key ever is.

use kasse_shared::account::key_hash;
use kasse_shared::api::demo::{self, DemoConfig};
use kasse_shared::link::{PaymentLink, page_url};
use kasse_shared::time::Timestamp;
use serde_json::{Value, json};
use worker::{Date, Env, Request, Response};

use crate::auth::require_admin;
use crate::config;
use crate::error::{ApiError, ApiResult};
use crate::http::{body_text, json_response, origin};
use crate::store::Store;

const META_KEY: &str = "demo";

#[derive(serde::Serialize, serde::Deserialize)]
struct Demo {
    publishable_key: String,
    payment_link: String,
}

fn body(demo: &Demo, link: &PaymentLink, base: &str) -> Value {
    json!({
        "object": "demo",
        "publishable_key": demo.publishable_key,
        "payment_link": {
            "id": link.id,
            "url": page_url(base, &link.id),
            "active": link.active,
            "description": link.description,
            "currency": link.order.currency,
            "amount_subtotal": link.order.amount_subtotal,
            "amount_total": link.order.amount_total,
            "line_items": link.order.line_items,
            "discounts": link.order.discounts,
        },
    })
}

/// `POST /v1/admin/demo {publishable_key, payment_link}` (admin token).
pub async fn configure(mut req: Request, env: &Env) -> ApiResult<Response> {
    require_admin(&req, env)?;
    let DemoConfig {
        publishable_key,
        payment_link,
    } = demo::parse(&body_text(&mut req).await?)?;
    let demo = Demo {
        publishable_key,
        payment_link,
    };
    let invalid_key = || {
        ApiError::invalid(
            "parameter_invalid",
            "publishable_key is not an active key of this deployment.",
        )
        .with_param("publishable_key")
    };
    let store = Store::new(env)?;
    let key = store
        .key(&key_hash(&demo.publishable_key))
        .await?
        .ok_or_else(invalid_key)?;
    let link = store
        .public_link(&demo.payment_link)
        .await?
        .filter(|l| l.account_id == key.account_id && l.livemode == (key.livemode != 0))
        .ok_or_else(|| {
            ApiError::invalid(
                "resource_missing",
                "No such payment link for that key's account and mode.",
            )
            .with_param("payment_link")
        })?;
    let now = Timestamp::from_unix_millis(Date::now().as_millis()).to_string();
    let stored = serde_json::to_string(&demo).map_err(ApiError::internal)?;
    store.put_meta(META_KEY, &stored, &now).await?;
    let base = config::base_url(env, Some(&origin(&req)?));
    Ok(json_response(200, &body(&demo, &link, &base)))
}

/// `GET /v1/demo` (public): what the demo page sells and the key it starts sessions with.
pub async fn retrieve(req: Request, env: &Env) -> ApiResult<Response> {
    let store = Store::new(env)?;
    let missing = || {
        ApiError::not_found(
            "This deployment has no demo shop; an operator sets one with POST /v1/admin/demo.",
        )
    };
    let stored = store.meta(META_KEY).await?.ok_or_else(missing)?;
    let demo: Demo = serde_json::from_str(&stored).map_err(ApiError::internal)?;
    let link = store
        .public_link(&demo.payment_link)
        .await?
        .ok_or_else(missing)?;
    let base = config::base_url(env, Some(&origin(&req)?));
    Ok(json_response(200, &body(&demo, &link, &base)))
}
