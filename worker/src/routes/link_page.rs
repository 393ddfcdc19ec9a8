//! The payment link's public page, `/l/{id}`: what is for sale and a pay button, and the
//! form post that starts a session and sends the browser on to its hosted page.

use kasse_shared::api::create;
use kasse_shared::api::view::checkout_url;
use worker::{Headers, Response};

use crate::checkout::open::{Closed, from_link, limit_starts, startable};
use crate::config;
use crate::error::ApiResult;
use crate::http::Cx;
use crate::http::request::origin;

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
pub(super) async fn show(cx: &mut Cx<'_>, id: &str) -> ApiResult<Response> {
    let store = &cx.store;
    Ok(match startable(store, id).await? {
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
fn own_origins(cx: &Cx<'_>) -> ApiResult<Vec<String>> {
    let mut own = vec![origin(&cx.req)?];
    if let Ok(public) = worker::Url::parse(&config::base_url(cx.env, None))
        && public.origin().is_tuple()
    {
        own.push(public.origin().ascii_serialization());
    }
    Ok(own)
}

/// `POST /l/{id}`: starts a session and sends the browser to its hosted page (303).
pub(super) async fn start(cx: &mut Cx<'_>, id: &str) -> ApiResult<Response> {
    let link = match startable(&cx.store, id).await? {
        Err(closed) => return Ok(closed_page(&closed)),
        Ok(link) => link,
    };
    let headers = cx.req.headers();
    if !from_own_page(
        headers.get("sec-fetch-site")?.as_deref(),
        headers.get("origin")?.as_deref(),
        &own_origins(cx)?,
    ) {
        return Ok(html(
            403,
            page::message(
                "Start the checkout from the payment page",
                "This checkout was sent here from another website, so it was not started. Open the shop's payment link itself and press the button there.",
            ),
        ));
    }
    if let Err(e) = limit_starts(&cx.store, cx.env, &cx.client_bucket()?, cx.now).await {
        return too_many_starts(e.retry_after);
    }
    let base = cx.base()?;
    let params = create::parse_link_start("", id, link.livemode)?;
    match from_link(cx.env, &cx.store, &link, params, &base, cx.now).await {
        Ok(session) => see_other(&checkout_url(&base, &session)),
        Err(e) => {
            worker::console_warn!("link {id}: no session: {} {}", e.code, e.message);
            Ok(html(
                503,
                page::message(
                    "Checkout is unavailable",
                    "The checkout could not be started just now. Nothing was charged; please try again in a minute.",
                ),
            ))
        }
    }
}

/// The page for a client over the start limit, with when to try again.
fn too_many_starts(retry_after: Option<u64>) -> ApiResult<Response> {
    let mut response = html(
        429,
        page::message(
            "Too many attempts",
            "Too many checkouts were started from your network in the last minute. Wait a minute, then go back and press the button again.",
        ),
    );
    if let Some(secs) = retry_after {
        response
            .headers_mut()
            .set("retry-after", &secs.to_string())?;
    }
    Ok(response)
}

/// The redirect to a started session's hosted page; the page's URL carries the client
/// secret in its fragment, so no referrer may leave with it.
fn see_other(location: &str) -> ApiResult<Response> {
    let mut response = Response::empty()?.with_status(303);
    response.headers_mut().set("location", location)?;
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

    pub(super) fn escape(text: &str) -> String {
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

    pub(super) fn message(title: &str, text: &str) -> String {
        document(
            title,
            "#4f46e5",
            &format!("<h1>{}</h1><p>{}</p>", escape(title), escape(text)),
        )
    }

    pub(super) fn link(link: &PaymentLink, branding: &Branding) -> String {
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
    use super::page::{escape, link, message};
    use kasse_shared::link::PaymentLink;
    use kasse_shared::money::Cents;
    use kasse_shared::order::{LineItem, Order};
    use kasse_shared::shopper::Branding;
    use kasse_shared::time::Timestamp;

    #[test]
    fn markup_characters_are_escaped() {
        assert_eq!(
            escape(r#"<a href="x" title='y'>&amp;</a>"#),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;"
        );
        assert_eq!(escape("Café · 5 × 2"), "Café · 5 × 2");
        assert_eq!(escape(""), "");
    }

    #[test]
    fn a_message_page_escapes_its_title_and_text() {
        let page = message("<script>", "a & b");
        assert!(page.contains("<title>&lt;script&gt;</title>"), "{page}");
        assert!(
            page.contains("<h1>&lt;script&gt;</h1><p>a &amp; b</p>"),
            "{page}"
        );
        assert!(!page.contains("<script>"), "{page}");
    }

    fn sample_link(description: &str) -> PaymentLink {
        let total = Cents(1250);
        PaymentLink {
            id: "plink_0123456789abcdefghijABCD".parse().expect("a link id"),
            object: "payment_link".into(),
            account_id: "acct_000000000000000000000001".parse().unwrap(),
            livemode: false,
            active: true,
            order: Order {
                currency: "USD".into(),
                amount_subtotal: total,
                amount_total: total,
                line_items: vec![LineItem {
                    name: "<b>Tea</b>".into(),
                    quantity: 1,
                    unit_amount: total,
                    amount_total: total,
                }],
                discounts: Vec::new(),
            },
            description: Some(description.into()),
            metadata: Default::default(),
            success_url: None,
            cancel_url: None,
            return_url: None,
            created_at: Timestamp(1_800_000_000),
            updated_at: Timestamp(1_800_000_000),
        }
    }

    #[test]
    fn the_link_page_escapes_what_the_merchant_wrote_and_keeps_only_a_safe_accent() {
        let branding = Branding {
            display_name: "Shop & Co".into(),
            logo_url: Some("http://insecure.example/logo.png".into()),
            accent_color: Some("red;background:url(x)".into()),
        };
        let page = link(&sample_link("\"><script>alert(1)</script>"), &branding);
        assert!(!page.contains("<script>"), "{page}");
        assert!(page.contains("&quot;&gt;&lt;script&gt;"), "{page}");
        assert!(page.contains("&lt;b&gt;Tea&lt;/b&gt;"), "{page}");
        assert!(page.contains("Shop &amp; Co"), "{page}");
        assert!(page.contains("<strong>$12.50</strong>"), "{page}");
        assert!(!page.contains("<img"), "only https logos: {page}");
        assert!(
            page.contains("--accent:#4f46e5"),
            "the default accent: {page}"
        );
        assert!(
            page.contains("action=\"/l/plink_0123456789abcdefghijABCD\""),
            "{page}"
        );
        let branded = Branding {
            logo_url: Some("https://cdn.example/logo.png".into()),
            accent_color: Some("#12ab9F".into()),
            ..branding
        };
        let page = link(&sample_link("Tea"), &branded);
        assert!(
            page.contains("<img src=\"https://cdn.example/logo.png\""),
            "{page}"
        );
        assert!(page.contains("--accent:#12ab9F"), "{page}");
    }

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
