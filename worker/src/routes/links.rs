//! Payment links: `/v1/payment_links` (secret key) and the publishable-key start
//! `POST /v1/public/payment_links/{id}/sessions`. The link's own page is `link_page`.

use kasse_shared::api::create;
use kasse_shared::api::links::{self as parse, NewLink};
use kasse_shared::api::list;
use kasse_shared::error_code::ErrorCode;
use kasse_shared::ids::LinkId;
use kasse_shared::link::PaymentLink;
use worker::Response;

use crate::checkout::open::{Closed, from_link, limit_starts, startable};
use crate::checkout::view;
use crate::entropy::Csprng;
use crate::error::{ApiError, ApiResult};
use crate::http::auth::Caller;
use crate::http::{Cx, checked_cursor, json_response, list_response, owned};
use crate::store::Store;

fn link_response(link: &PaymentLink, base: &str) -> Response {
    json_response(200, &link.object(base))
}

/// The link if it is the caller's (account and mode); else the same 404 as a missing one.
async fn owned_link(store: &Store, caller: &Caller, id: &str) -> ApiResult<PaymentLink> {
    owned("payment link", id, LinkId::parse(id), async |id| {
        store.link(&caller.account_id, caller.livemode, &id).await
    })
    .await
}

/// `POST /v1/payment_links`.
pub(super) async fn create(cx: &mut Cx<'_>) -> ApiResult<Response> {
    let caller = cx.secret().await?;
    let NewLink {
        order,
        active,
        description,
        metadata,
        success_url,
        cancel_url,
        return_url,
        locale,
    } = parse::parse_create(&cx.body().await?, caller.livemode)?;
    let link = PaymentLink {
        id: LinkId::generate(&mut Csprng),
        object: "payment_link".into(),
        account_id: caller.account_id.clone(),
        livemode: caller.livemode,
        active,
        order,
        description,
        metadata,
        success_url,
        cancel_url,
        return_url,
        locale: locale.map(str::to_owned),
        created_at: cx.now,
        updated_at: cx.now,
    };
    cx.store.insert_link(&link).await?;
    Ok(link_response(&link, &cx.base()?))
}

/// `GET /v1/payment_links/{id}`.
pub(super) async fn retrieve(cx: &mut Cx<'_>, id: &str) -> ApiResult<Response> {
    let caller = cx.secret().await?;
    let link = owned_link(&cx.store, &caller, id).await?;
    Ok(link_response(&link, &cx.base()?))
}

/// `POST /v1/payment_links/{id}`: active flag, description, metadata and URLs. The order
/// itself never changes: sessions already started from the link must match it.
pub(super) async fn update(cx: &mut Cx<'_>, id: &str) -> ApiResult<Response> {
    let caller = cx.secret().await?;
    let link = owned_link(&cx.store, &caller, id).await?;
    let next = parse::parse_update(&cx.body().await?, caller.livemode)?.apply(&link, cx.now)?;
    if next != link {
        cx.store.update_link(&next).await?;
    }
    Ok(link_response(&next, &cx.base()?))
}

/// `GET /v1/payment_links`: newest first; `active=true|false` filters.
pub(super) async fn list(cx: &mut Cx<'_>) -> ApiResult<Response> {
    let caller = cx.secret().await?;
    let pairs = cx.query()?;
    let (page, filters) = list::parse_page(
        pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        &["active"],
    )?;
    let active = match filters.iter().find(|(k, _)| k == "active") {
        None => None,
        Some((_, v)) if v == "true" => Some(true),
        Some((_, v)) if v == "false" => Some(false),
        Some(_) => {
            return Err(ApiError::invalid(
                ErrorCode::ParameterInvalid,
                "active must be true or false.",
            )
            .with_param("active"));
        }
    };
    let store = &cx.store;
    let cursor = checked_cursor(&page.cursor, "payment link", async |id| {
        let Some(link_id) = LinkId::parse(id) else {
            return Ok(None);
        };
        let created = store
            .link_created(&caller.account_id, caller.livemode, &link_id)
            .await?;
        Ok(created.map(|t| (t, id)))
    })
    .await?;
    let mut links = store
        .list_links(
            &caller.account_id,
            caller.livemode,
            active,
            cursor,
            page.limit + 1,
        )
        .await?;
    let has_more = page.trim(&mut links);
    let base = cx.base()?;
    let data: Vec<_> = links.iter().map(|l| l.object(&base)).collect();
    list_response("/v1/payment_links", &data, has_more)
}

/// `POST /v1/public/payment_links/{id}/sessions` (publishable key of the link's account
/// and mode): `{customer_email?}` → the started session.
pub(super) async fn public_start(cx: &mut Cx<'_>, id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    let missing = || ApiError::no_such("payment link", id);
    // A malformed body is refused whatever state the link is in; the link is the path's,
    // so an id that cannot be one is a 404 like any other missing link.
    let params = create::parse_link_start(&cx.body().await?, id, caller.livemode).map_err(|e| {
        if e.param.as_deref() == Some("payment_link") {
            missing()
        } else {
            ApiError::from(e)
        }
    })?;
    let store = &cx.store;
    let link = match startable(store, id).await? {
        Ok(link) if link.account_id == caller.account_id && link.livemode == caller.livemode => {
            link
        }
        Ok(_) | Err(Closed::Missing) => return Err(missing()),
        Err(Closed::Inactive) => {
            // Only a well-formed id can name an inactive link.
            let link = match LinkId::parse(id) {
                Some(id) => store.link(&caller.account_id, caller.livemode, &id).await?,
                None => None,
            };
            return Err(match link {
                Some(_) => ApiError::new(
                    410,
                    crate::error::ErrorType::InvalidRequestError,
                    ErrorCode::PaymentLinkInactive,
                    format!("The payment link '{id}' is no longer active."),
                )
                .with_param("id"),
                None => missing(),
            });
        }
    };
    limit_starts(store, cx.env, &cx.client_bucket()?, cx.now).await?;
    let base = cx.base()?;
    let session = from_link(cx.env, store, &link, params, &base, cx.now).await?;
    let started = view::started(store, &session, &base, cx.now).await?;
    Ok(json_response(200, &started))
}
