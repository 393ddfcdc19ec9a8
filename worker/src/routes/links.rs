//! Payment links: `/v1/payment_links` (secret key), the publishable-key start
//! `POST /v1/public/payment_links/{id}/sessions`, and the public page `/l/{id}`.

use kasse_shared::api::create;
use kasse_shared::session::open::CreateSession;
use kasse_shared::api::links::{self as parse, NewLink};
use kasse_shared::api::list;
use kasse_shared::ids::is_id;
use kasse_shared::link::PaymentLink;
use kasse_shared::time::Timestamp;
use serde_json::{Value, json};
use worker::{Date, Env, Headers, Request, Response};

use super::sessions::{Merchant, limit_starts, open_session, started_response};
use crate::auth::{self, Caller, secret_caller};
use crate::config;
use crate::entropy;
use crate::error::{ApiError, ApiResult, ErrorType};
use crate::http::{body_text, json_response, origin, query_pairs};
use crate::store::Store;

const PREFIX: &str = "plink_";

fn now() -> Timestamp {
    Timestamp::from_unix_millis(Date::now().as_millis())
}

fn base(req: &Request, env: &Env) -> ApiResult<String> {
    Ok(config::base_url(env, Some(&origin(req)?)))
}

fn link_response(link: &PaymentLink, base: &str) -> Response {
    json_response(200, &link.object(base))
}

/// The link if it is the caller's (account and mode); else the same 404 as a missing one.
async fn owned_link(store: &Store, caller: &Caller, id: &str) -> ApiResult<PaymentLink> {
    let missing = || ApiError::not_found(format!("No such payment link: '{id}'.")).with_param("id");
    if !is_id(id, PREFIX) {
        return Err(missing());
    }
    store
        .link(&caller.account_id, caller.livemode, id)
        .await?
        .ok_or_else(missing)
}

pub async fn create(mut req: Request, env: &Env) -> ApiResult<Response> {
    let store = Store::new(env)?;
    let caller = secret_caller(&req, &store).await?;
    let NewLink {
        order,
        active,
        description,
        metadata,
        success_url,
        cancel_url,
        return_url,
    } = parse::parse_create(&body_text(&mut req).await?, caller.livemode)?;
    let now = now();
    let link = PaymentLink {
        id: entropy::id(PREFIX),
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
        created_at: now,
        updated_at: now,
    };
    store.insert_link(&link).await?;
    Ok(link_response(&link, &base(&req, env)?))
}

pub async fn retrieve(req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let store = Store::new(env)?;
    let caller = secret_caller(&req, &store).await?;
    let link = owned_link(&store, &caller, id).await?;
    Ok(link_response(&link, &base(&req, env)?))
}

/// `POST /v1/payment_links/{id}`: active flag, description, metadata and URLs. The order
/// itself never changes: sessions already started from the link must match it.
pub async fn update(mut req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let store = Store::new(env)?;
    let caller = secret_caller(&req, &store).await?;
    let link = owned_link(&store, &caller, id).await?;
    let next =
        parse::parse_update(&body_text(&mut req).await?, caller.livemode)?.apply(&link, now())?;
    if next != link {
        store.update_link(&next).await?;
    }
    Ok(link_response(&next, &base(&req, env)?))
}

/// `GET /v1/payment_links`: newest first; `active=true|false` filters.
pub async fn list(req: Request, env: &Env) -> ApiResult<Response> {
    let store = Store::new(env)?;
    let caller = secret_caller(&req, &store).await?;
    let pairs = query_pairs(&req)?;
    let (page, filters) = list::parse_page(
        pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        &["active"],
    )?;
    let active = match filters.iter().find(|(k, _)| k == "active") {
        None => None,
        Some((_, v)) if v == "true" => Some(true),
        Some((_, v)) if v == "false" => Some(false),
        Some(_) => {
            return Err(
                ApiError::invalid("parameter_invalid", "active must be true or false.")
                    .with_param("active"),
            );
        }
    };
    let cursor = match page.cursor.named() {
        None => None,
        Some((id, param)) => {
            let unix = store
                .link_created_unix(&caller.account_id, caller.livemode, id)
                .await?
                .ok_or_else(|| {
                    ApiError::invalid("resource_missing", format!("No such payment link: '{id}'."))
                        .with_param(param)
                })?;
            Some((param == "starting_after", unix, id))
        }
    };
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
    let base = base(&req, env)?;
    let data: Vec<Value> = links
        .iter()
        .map(|l| serde_json::to_value(l.object(&base)).map_err(ApiError::internal))
        .collect::<ApiResult<_>>()?;
    Ok(json_response(
        200,
        &json!({"object": "list", "data": data, "has_more": has_more, "url": "/v1/payment_links"}),
    ))
}

/// Why a link cannot start a session now.
enum Closed {
    Missing,
    Inactive,
}

/// The link behind a public URL, whoever owns it, if it may start a session.
async fn startable(store: &Store, id: &str) -> ApiResult<Result<PaymentLink, Closed>> {
    if !is_id(id, PREFIX) {
        return Ok(Err(Closed::Missing));
    }
    Ok(match store.public_link(id).await? {
        None => Err(Closed::Missing),
        Some(link) if !link.active => Err(Closed::Inactive),
        Some(link) => Ok(link),
    })
}

/// Opens a session from `link` for its account: what the page and the publishable key share.
async fn start(
    env: &Env,
    store: &Store,
    link: &PaymentLink,
    mut params: CreateSession,
    base: &str,
) -> ApiResult<kasse_shared::session::Session> {
    let settings = store
        .account_settings(&link.account_id, link.livemode)
        .await?;
    let order = params.inherit(link);
    let merchant = Merchant {
        account_id: &link.account_id,
        livemode: link.livemode,
        settings: &settings,
    };
    open_session(env, store, &merchant, params, order, base).await
}

/// `POST /v1/public/payment_links/{id}/sessions` (publishable key of the link's account
/// and mode): `{customer_email?}` → the started session.
pub async fn public_start(mut req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let store = Store::new(env)?;
    let caller = auth::caller(&req, &store).await?;
    let missing = || ApiError::not_found(format!("No such payment link: '{id}'.")).with_param("id");
    // A malformed body is refused whatever state the link is in; the link is the path's,
    // so an id that cannot be one is a 404 like any other missing link.
    let params = create::parse_link_start(&body_text(&mut req).await?, id, caller.livemode)
        .map_err(|e| {
            if e.param.as_deref() == Some("payment_link") {
                missing()
            } else {
                ApiError::from(e)
            }
        })?;
    let link = match startable(&store, id).await? {
        Ok(link) if link.account_id == caller.account_id && link.livemode == caller.livemode => {
            link
        }
        Ok(_) | Err(Closed::Missing) => return Err(missing()),
        Err(Closed::Inactive) => {
            let link = store.link(&caller.account_id, caller.livemode, id).await?;
            return Err(match link {
                Some(_) => ApiError::new(
                    410,
                    ErrorType::InvalidRequestError,
                    "payment_link_inactive",
                    format!("The payment link '{id}' is no longer active."),
                )
                .with_param("id"),
                None => missing(),
            });
        }
    };
    limit_starts(&req, env, &store).await?;
    let base = base(&req, env)?;
    let session = start(env, &store, &link, params, &base).await?;
    started_response(&store, &session, &base).await
}

// ----- the public page -----------------------------------------------------------------------

/// The page is our own markup and inline style only; the form posts back to us.
const PAGE_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; \
    form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// `same-origin`: no referrer leaves for other sites (the logo's host learns nothing),
/// while the page's own form post carries its real `Origin` (under `no-referrer` it would
/// be `null`), which is what a browser without `Sec-Fetch-Site` is judged by.
fn html(status: u16, body: String) -> Response {
    let headers: Headers = [
        ("content-type", "text/html; charset=utf-8"),
        ("content-security-policy", PAGE_CSP),
        ("referrer-policy", "same-origin"),
        ("cache-control", "no-store"),
        ("x-content-type-options", "nosniff"),
        ("x-robots-tag", "noindex"),
    ]
    .into_iter()
    .collect();
    Response::builder()
        .with_status(status)
        .with_headers(headers)
        .fixed(body.into_bytes())
}

fn closed_page(closed: &Closed) -> Response {
    match closed {
        Closed::Missing => html(
            404,
            page::message(
                "Link not found",
                "This payment link does not exist. Check the address, or ask the shop for a new link.",
            ),
        ),
        Closed::Inactive => html(
            410,
            page::message(
                "This link is no longer active",
                "The shop has closed this payment link, so it cannot take payments any more. Ask the shop for a new link; nothing was charged.",
            ),
        ),
    }
}

/// `GET /l/{id}`: shows what is for sale and a pay button. Viewing never starts a
/// session, so link unfurlers and mail scanners burn no addresses.
pub async fn page(env: &Env, id: &str) -> ApiResult<Response> {
    let store = Store::new(env)?;
    Ok(match startable(&store, id).await? {
        Err(closed) => closed_page(&closed),
        Ok(link) => {
            let branding = store
                .account_settings(&link.account_id, link.livemode)
                .await?
                .branding;
            html(200, page::link(&link, &branding))
        }
    })
}

/// Whether a form post to `/l/{id}` may start a session: it must come from our own page,
/// so another site cannot make its visitors' browsers start sessions (each reserves an
/// address) from their own IPs. Browsers say where a request comes from in
/// `Sec-Fetch-Site`: `same-origin` is our page, `none` the user's own doing (a typed URL,
/// a bookmark); `same-site`, `cross-site` and anything else are refused. A browser that
/// does not send it sends `Origin` with a form post, which must then be one of ours (`null`,
/// from a sandboxed or opaque page, is not). A request with neither header is no browser
/// acting for a page (curl, a server): it passes here and meets the per-client limit.
fn from_own_page(fetch_site: Option<&str>, origin: Option<&str>, own: &[String]) -> bool {
    match (fetch_site.map(str::trim), origin.map(str::trim)) {
        (Some(site), _) => {
            site.eq_ignore_ascii_case("same-origin") || site.eq_ignore_ascii_case("none")
        }
        (None, Some(origin)) => own.iter().any(|o| o.eq_ignore_ascii_case(origin)),
        (None, None) => true,
    }
}

/// The origins this worker's pages are served from: the one the request reached, and
/// `PUBLIC_BASE_URL`'s when it is set.
fn own_origins(req: &Request, env: &Env) -> ApiResult<Vec<String>> {
    let mut own = vec![origin(req)?];
    if let Ok(public) = worker::Url::parse(&config::base_url(env, None))
        && public.origin().is_tuple()
    {
        own.push(public.origin().ascii_serialization());
    }
    Ok(own)
}

/// `POST /l/{id}`: starts a session and sends the browser to its hosted page (303).
pub async fn page_start(req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let store = Store::new(env)?;
    let link = match startable(&store, id).await? {
        Err(closed) => return Ok(closed_page(&closed)),
        Ok(link) => link,
    };
    let headers = req.headers();
    if !from_own_page(
        headers.get("sec-fetch-site")?.as_deref(),
        headers.get("origin")?.as_deref(),
        &own_origins(&req, env)?,
    ) {
        return Ok(html(
            403,
            page::message(
                "Start the checkout from the payment page",
                "This checkout was sent here from another website, so it was not started. Open the shop's payment link itself and press the button there.",
            ),
        ));
    }
    if let Err(e) = limit_starts(&req, env, &store).await {
        let mut response = html(
            429,
            page::message(
                "Too many attempts",
                "Too many checkouts were started from your network in the last minute. Wait a minute, then go back and press the button again.",
            ),
        );
        if let Some(secs) = e.retry_after {
            response
                .headers_mut()
                .set("retry-after", &secs.to_string())?;
        }
        return Ok(response);
    }
    let base = base(&req, env)?;
    let params = create::parse_link_start("", id, link.livemode)?;
    let session = match start(env, &store, &link, params, &base).await {
        Ok(session) => session,
        Err(e) => {
            worker::console_warn!("link {id}: no session: {} {}", e.code, e.message);
            return Ok(html(
                503,
                page::message(
                    "Checkout is unavailable",
                    "The checkout could not be started just now. Nothing was charged; please try again in a minute.",
                ),
            ));
        }
    };
    let location = kasse_shared::api::view::checkout_url(&base, &session);
    let mut response = Response::empty()?.with_status(303);
    response.headers_mut().set("location", &location)?;
    response.headers_mut().set("cache-control", "no-store")?;
    response
        .headers_mut()
        .set("referrer-policy", "no-referrer")?;
    Ok(response)
}

/// The markup of the public pages: escaped text in one small template.
mod page {
    use kasse_shared::link::PaymentLink;
    use kasse_shared::money::Cents;
    use kasse_shared::shopper::Branding;

    pub fn escape(text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&#39;"),
                c => out.push(c),
            }
        }
        out
    }

    fn money(cents: Cents, currency: &str) -> String {
        if currency == "USD" {
            format!("${cents}")
        } else {
            format!("{cents} {}", escape(currency))
        }
    }

    /// `#rrggbb` only: anything else could break out of the style attribute.
    fn accent(branding: &Branding) -> &str {
        branding
            .accent_color
            .as_deref()
            .filter(|c| {
                c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit())
            })
            .unwrap_or("#4f46e5")
    }

    const STYLE: &str = "body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;\
        background:#f6f7f9;color:#1f2430}main{max-width:28rem;margin:3rem auto;padding:2rem;\
        background:#fff;border-radius:12px;box-shadow:0 1px 4px rgba(0,0,0,.08)}\
        h1{font-size:1.4rem;margin:.25rem 0 1rem}.merchant{color:#4b5262;margin:0;display:flex;\
        align-items:center;gap:.5rem}.merchant img{height:28px;width:auto}ul{list-style:none;\
        padding:0;margin:0 0 1rem}li{display:flex;justify-content:space-between;gap:1rem;\
        padding:.4rem 0;border-bottom:1px solid #eceef2}.total{display:flex;\
        justify-content:space-between;font-size:1.15rem;margin:1rem 0 1.5rem}\
        button{width:100%;padding:.85rem;font:inherit;font-weight:600;color:#fff;\
        background:var(--accent);border:0;border-radius:8px;cursor:pointer}\
        button:focus-visible{outline:3px solid #1f2430;outline-offset:2px}\
        .note{color:#4b5262;font-size:.875rem;margin-top:1rem}\
        @media (max-width:30rem){main{margin:0;border-radius:0;min-height:100vh}}";

    fn document(title: &str, accent: &str, body: &str) -> String {
        format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <meta name=\"robots\" content=\"noindex\"><title>{}</title>\
             <style>{STYLE}</style></head><body style=\"--accent:{accent}\"><main>{body}</main></body></html>",
            escape(title)
        )
    }

    pub fn message(title: &str, text: &str) -> String {
        document(
            title,
            "#4f46e5",
            &format!("<h1>{}</h1><p>{}</p>", escape(title), escape(text)),
        )
    }

    pub fn link(link: &PaymentLink, branding: &Branding) -> String {
        let order = &link.order;
        let title = link
            .description
            .clone()
            .or_else(|| order.line_items.first().map(|l| l.name.clone()))
            .unwrap_or_else(|| "Payment".into());
        let mut body = String::new();
        body.push_str("<p class=\"merchant\">");
        if let Some(logo) = branding
            .logo_url
            .as_deref()
            .filter(|u| u.starts_with("https://"))
        {
            body.push_str(&format!("<img src=\"{}\" alt=\"\">", escape(logo)));
        }
        body.push_str(&format!(
            "{}</p><h1>{}</h1>",
            escape(&branding.display_name),
            escape(&title)
        ));
        if !order.line_items.is_empty() || !order.discounts.is_empty() {
            body.push_str("<ul>");
            for line in &order.line_items {
                body.push_str(&format!(
                    "<li><span>{} × {}</span><span>{}</span></li>",
                    escape(&line.name),
                    line.quantity,
                    money(line.amount_total, &order.currency)
                ));
            }
            for discount in &order.discounts {
                body.push_str(&format!(
                    "<li><span>{}</span><span>−{}</span></li>",
                    escape(&discount.name),
                    money(discount.amount, &order.currency)
                ));
            }
            body.push_str("</ul>");
        }
        body.push_str(&format!(
            "<p class=\"total\"><span>Total</span><strong>{}</strong></p>\
             <form method=\"post\" action=\"/l/{}\"><button type=\"submit\">Pay with crypto</button></form>\
             <p class=\"note\">You choose the network and token on the next page. Your payment address is made only when you press the button.</p>",
            money(order.amount_total, &order.currency),
            escape(&link.id)
        ));
        document(
            &format!("{title} · {}", branding.display_name),
            accent(branding),
            &body,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::from_own_page;

    #[test]
    fn link_form_posts_are_taken_only_from_our_own_page() {
        let own = [
            "https://pay.example".to_owned(),
            "http://127.0.0.1:8787".to_owned(),
        ];
        for (site, origin, allowed) in [
            (Some("same-origin"), None, true),
            (Some("same-origin"), Some("null"), true), // Sec-Fetch-Site decides
            (Some("none"), None, true),
            (Some("Same-Origin"), None, true),
            (Some("cross-site"), None, false),
            (Some("cross-site"), Some("https://pay.example"), false),
            (Some("same-site"), Some("https://shop.pay.example"), false),
            (Some(""), None, false),
            (Some("bogus"), None, false),
            (None, Some("https://pay.example"), true),
            (None, Some("HTTP://127.0.0.1:8787"), true),
            (None, Some("https://evil.example"), false),
            (None, Some("https://pay.example.evil.example"), false),
            (None, Some("http://pay.example"), false),
            (None, Some("https://pay.example:444"), false),
            (None, Some("null"), false),
            (None, Some(""), false),
            (None, None, true),
        ] {
            assert_eq!(
                from_own_page(site, origin, &own),
                allowed,
                "Sec-Fetch-Site {site:?}, Origin {origin:?}"
            );
        }
    }
}
