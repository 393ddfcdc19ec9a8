//! The demo shop's configuration: which payment link `/demo` sells and the publishable
//! key it starts sessions with. Set by the operator (`POST /v1/admin/demo`), read by the
//! page (`GET /v1/demo`). Only public things are stored: a publishable key is meant to be
//! in pages, and no secret key ever is.

use kasse_shared::account::key_hash;
use kasse_shared::api::demo::{self, DemoConfig};
use kasse_shared::error_code::ErrorCode;
use kasse_shared::ids::LinkId;
use kasse_shared::link::{PaymentLink, page_url};
use serde_json::{Value, json};
use worker::Response;

use crate::error::{ApiError, ApiResult};
use crate::http::{Cx, json_response};

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
pub(super) async fn configure(cx: &mut Cx<'_>) -> ApiResult<Response> {
    cx.admin()?;
    let DemoConfig {
        publishable_key,
        payment_link,
    } = demo::parse(&cx.body().await?)?;
    let demo = Demo {
        publishable_key,
        payment_link,
    };
    let invalid_key = || {
        ApiError::invalid(
            ErrorCode::ParameterInvalid,
            "publishable_key is not an active key of this deployment.",
        )
        .with_param("publishable_key")
    };
    let store = &cx.store;
    let key = store
        .key(&key_hash(&demo.publishable_key))
        .await?
        .ok_or_else(invalid_key)?;
    let link = match LinkId::parse(&demo.payment_link) {
        Some(id) => store.public_link(&id).await?,
        None => None,
    };
    let link = link
        .filter(|l| l.account_id == key.account_id && l.livemode == key.livemode)
        .ok_or_else(|| {
            ApiError::invalid(
                ErrorCode::ResourceMissing,
                "No such payment link for that key's account and mode.",
            )
            .with_param("payment_link")
        })?;
    let stored = serde_json::to_string(&demo).map_err(ApiError::internal)?;
    store.put_meta(META_KEY, &stored, cx.now).await?;
    Ok(json_response(200, &body(&demo, &link, &cx.base()?)))
}

/// `GET /v1/demo` (public): what the demo page sells and the key it starts sessions with.
pub(super) async fn retrieve(cx: &mut Cx<'_>) -> ApiResult<Response> {
    let store = &cx.store;
    let missing = || {
        ApiError::not_found(
            "This deployment has no demo shop; an operator sets one with POST /v1/admin/demo.",
        )
    };
    let stored = store.meta(META_KEY).await?.ok_or_else(missing)?;
    let demo: Demo = serde_json::from_str(&stored).map_err(ApiError::internal)?;
    let link = match LinkId::parse(&demo.payment_link) {
        Some(id) => store.public_link(&id).await?,
        None => None,
    };
    let link = link.ok_or_else(missing)?;
    Ok(json_response(200, &body(&demo, &link, &cx.base()?)))
}
