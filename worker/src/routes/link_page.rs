//! The payment link's public page, `/l/{id}`: what is for sale and a pay button, and the
//! form post that starts a session and sends the browser on to its hosted page. Both speak
//! the shopper's language: the page's `?locale=`, else the browser's `Accept-Language`,
//! else English.

use kasse_shared::api::create;
use kasse_shared::api::view::checkout_url;
use kasse_shared::locale;
use worker::{Headers, Response};

use crate::checkout::open::{Closed, from_link, limit_starts, startable};
use crate::config;
use crate::error::ApiResult;
use crate::http::Cx;
use crate::http::request::origin;

use texts::Texts;

/// The page is our own markup and inline style only; the form posts back to us.
const PAGE_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; \
    form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// `same-origin`: no referrer leaves for other sites (the logo's host learns nothing),
/// while the page's own form post carries its real `Origin` (under `no-referrer` it would
/// be `null`), which is what a browser without `Sec-Fetch-Site` is judged by. The page's
/// language follows `Accept-Language`, so a cache must keep one copy per header.
fn html(status: u16, body: String) -> Response {
    let headers: Headers = [
        ("content-type", "text/html; charset=utf-8"),
        ("content-security-policy", PAGE_CSP),
        ("referrer-policy", "same-origin"),
        ("cache-control", "no-store"),
        ("vary", "Accept-Language"),
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

/// The languages a request asks a page for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Language {
    /// What `?locale=` names, when Kasse speaks it (`de`, `pt-br`, `de-AT`). It is kept in
    /// the form's address, so the pages after the button and the session speak it too.
    asked: Option<&'static str>,
    /// The first language of `Accept-Language` Kasse speaks.
    browser: Option<&'static str>,
}

impl Language {
    fn choose(asked: Option<&str>, accept_language: Option<&str>) -> Self {
        Self {
            asked: asked.and_then(locale::matching),
            browser: accept_language
                .and_then(|header| locale::negotiate(locale::accept_language(header))),
        }
    }

    /// The locale to show: the address's, else the one the merchant gave the link (when
    /// the page is a link's), else the browser's, else English.
    fn locale(&self, link_locale: Option<&str>) -> &'static str {
        self.asked
            .or_else(|| link_locale.and_then(locale::exact))
            .or(self.browser)
            .unwrap_or(locale::DEFAULT)
    }

    fn of(cx: &Cx<'_>) -> ApiResult<Self> {
        let query = cx.query()?;
        let asked = query
            .iter()
            .find(|(k, _)| k == "locale")
            .map(|(_, v)| v.as_str());
        let accept_language = cx.req.headers().get("accept-language")?;
        Ok(Self::choose(asked, accept_language.as_deref()))
    }
}

fn closed_page(closed: &Closed, texts: &Texts) -> Response {
    match closed {
        Closed::Missing => html(
            404,
            page::message(texts, "link_missing_title", "link_missing_body"),
        ),
        Closed::Inactive => html(
            410,
            page::message(texts, "link_inactive_title", "link_inactive_body"),
        ),
    }
}

/// `GET /l/{id}`: shows what is for sale and a pay button. Viewing never starts a
/// session, so link unfurlers and mail scanners burn no addresses.
pub(super) async fn show(cx: &mut Cx<'_>, id: &str) -> ApiResult<Response> {
    let language = Language::of(cx)?;
    let store = &cx.store;
    Ok(match startable(store, id).await? {
        Err(closed) => closed_page(&closed, &Texts::of(language.locale(None))),
        Ok(link) => {
            let branding = store
                .account_settings(&link.account_id, link.livemode)
                .await?
                .branding;
            let texts = Texts::of(language.locale(link.locale.as_deref()));
            html(200, page::link(&link, &branding, &texts, language.asked))
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
    let language = Language::of(cx)?;
    let link = match startable(&cx.store, id).await? {
        Err(closed) => return Ok(closed_page(&closed, &Texts::of(language.locale(None)))),
        Ok(link) => link,
    };
    let texts = Texts::of(language.locale(link.locale.as_deref()));
    let headers = cx.req.headers();
    if !from_own_page(
        headers.get("sec-fetch-site")?.as_deref(),
        headers.get("origin")?.as_deref(),
        &own_origins(cx)?,
    ) {
        return Ok(html(
            403,
            page::message(&texts, "link_foreign_title", "link_foreign_body"),
        ));
    }
    if let Err(e) = limit_starts(&cx.store, cx.env, &cx.client_bucket()?, cx.now).await {
        return too_many_starts(e.retry_after, &texts);
    }
    let base = cx.base()?;
    let mut params = create::parse_link_start("", id, link.livemode)?;
    params.locale = language.asked;
    match from_link(cx.env, &cx.store, &link, params, &base, cx.now).await {
        Ok(session) => see_other(&checkout_url(&base, &session)),
        Err(e) => {
            worker::console_warn!("link {id}: no session: {} {}", e.code, e.message);
            Ok(html(
                503,
                page::message(&texts, "link_unavailable_title", "link_unavailable_body"),
            ))
        }
    }
}

/// The page for a client over the start limit, with when to try again.
fn too_many_starts(retry_after: Option<u64>, texts: &Texts) -> ApiResult<Response> {
    let mut response = html(
        429,
        page::message(texts, "link_too_many_title", "link_too_many_body"),
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

/// The catalogues the widget reads (`www/i18n/{locale}.json`), compiled in: the pages here
/// read their `link_…` texts and the locale's number separators from them.
mod texts {
    use std::collections::HashMap;

    use kasse_shared::locale;

    macro_rules! catalogues {
        ($($code:literal),* $(,)?) => {
            [$(($code, include_str!(concat!("../../../www/i18n/", $code, ".json")))),*]
        };
    }

    /// Every locale's catalogue, by code.
    pub(super) const CATALOGUES: [(&str, &str); 17] = catalogues![
        "en", "de", "fr", "es", "it", "pt-BR", "nl", "pl", "tr", "ru", "uk", "ja", "ko", "zh-CN",
        "vi", "id", "ar",
    ];

    /// The texts of one locale, English where it lacks a key.
    pub(super) struct Texts {
        pub(super) locale: &'static str,
        by_key: HashMap<String, String>,
    }

    impl Texts {
        /// The texts of `locale`, or English when it has no catalogue.
        pub(super) fn of(locale: &'static str) -> Self {
            let catalogue = |code: &str| {
                CATALOGUES
                    .iter()
                    .find(|(c, _)| *c == code)
                    .map(|(_, json)| *json)
            };
            let english = catalogue(locale::DEFAULT).unwrap_or("{}");
            match catalogue(locale) {
                Some(own) => Self::read(locale, english, own),
                None => Self::read(locale::DEFAULT, english, english),
            }
        }

        /// The texts of `locale` from its catalogue `own` over the `english` one.
        pub(super) fn read(locale: &'static str, english: &str, own: &str) -> Self {
            let parse = |json: &str| serde_json::from_str::<HashMap<String, String>>(json);
            let mut by_key = parse(english).unwrap_or_default();
            if own != english {
                by_key.extend(parse(own).unwrap_or_default());
            }
            Self { locale, by_key }
        }

        /// The text of `key`; the key itself if no catalogue has it, so a missing text shows.
        pub(super) fn get<'a>(&'a self, key: &'a str) -> &'a str {
            self.by_key.get(key).map_or(key, String::as_str)
        }

        /// The text of `key` with its `{name}` replaced by `value`.
        pub(super) fn fill(&self, key: &str, name: &str, value: &str) -> String {
            self.get(key).replace(&format!("{{{name}}}"), value)
        }

        pub(super) fn dir(&self) -> &'static str {
            if locale::is_rtl(self.locale) {
                "rtl"
            } else {
                "ltr"
            }
        }

        /// A decimal as the API writes it (`1234.50`) as this locale writes numbers
        /// (`1.234,50` in German).
        pub(super) fn number(&self, decimal: &str) -> String {
            locale::write_number(
                decimal,
                self.get("number_group"),
                self.get("number_decimal"),
            )
        }
    }
}

/// The markup of the public pages: escaped text in one small template.
mod page {
    use kasse_shared::link::PaymentLink;
    use kasse_shared::money::Cents;
    use kasse_shared::shopper::Branding;

    use super::texts::Texts;

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

    /// An amount of the order's currency, as the shopper's locale writes it.
    fn money(cents: Cents, currency: &str, texts: &Texts) -> String {
        let amount = texts.number(&cents.to_string());
        if currency == "USD" {
            escape(&texts.fill("link_usd", "amount", &amount))
        } else {
            format!("{} {}", escape(&amount), escape(currency))
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

    fn document(texts: &Texts, title: &str, accent: &str, body: &str) -> String {
        format!(
            "<!doctype html><html lang=\"{}\" dir=\"{}\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <meta name=\"robots\" content=\"noindex\"><title>{}</title>\
             <style>{STYLE}</style></head><body style=\"--accent:{accent}\"><main>{body}</main></body></html>",
            texts.locale,
            texts.dir(),
            escape(title)
        )
    }

    /// A page that only says something: the texts of `title` and `text`.
    pub(super) fn message(texts: &Texts, title: &str, text: &str) -> String {
        let title = texts.get(title);
        document(
            texts,
            title,
            "#4f46e5",
            &format!(
                "<h1>{}</h1><p>{}</p>",
                escape(title),
                escape(texts.get(text))
            ),
        )
    }

    /// The link's page; its form keeps the locale the address asked for, if any.
    pub(super) fn link(
        link: &PaymentLink,
        branding: &Branding,
        texts: &Texts,
        asked: Option<&str>,
    ) -> String {
        let order = &link.order;
        let title = link
            .description
            .clone()
            .or_else(|| order.line_items.first().map(|l| l.name.clone()))
            .unwrap_or_else(|| texts.get("link_payment").to_owned());
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
                    money(line.amount_total, &order.currency, texts)
                ));
            }
            for discount in &order.discounts {
                body.push_str(&format!(
                    "<li><span>{}</span><span>−{}</span></li>",
                    escape(&discount.name),
                    money(discount.amount, &order.currency, texts)
                ));
            }
            body.push_str("</ul>");
        }
        let action = match asked {
            Some(locale) => format!("/l/{}?locale={}", link.id, locale),
            None => format!("/l/{}", link.id),
        };
        body.push_str(&format!(
            "<p class=\"total\"><span>{}</span><strong>{}</strong></p>\
             <form method=\"post\" action=\"{}\"><button type=\"submit\">{}</button></form>\
             <p class=\"note\">{}</p>",
            escape(texts.get("link_total")),
            money(order.amount_total, &order.currency, texts),
            escape(&action),
            escape(texts.get("link_pay")),
            escape(texts.get("link_note")),
        ));
        document(
            texts,
            &format!("{title} · {}", branding.display_name),
            accent(branding),
            &body,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::page::{escape, link, message};
    use super::texts::{CATALOGUES, Texts};
    use super::{Language, from_own_page};
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
        let page = message(&Texts::of("en"), "<script>", "a & b");
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
            locale: None,
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
        let english = Texts::of("en");
        let page = link(
            &sample_link("\"><script>alert(1)</script>"),
            &branding,
            &english,
            None,
        );
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
        let page = link(&sample_link("Tea"), &branded, &english, None);
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
    #[test]
    fn the_address_wins_then_the_link_s_locale_then_the_browser_then_english() {
        let chosen = |asked, header, link| Language::choose(asked, header).locale(link);
        assert_eq!(chosen(Some("ja"), Some("fr;q=0.9, de"), Some("it")), "ja");
        assert_eq!(chosen(None, Some("fr;q=0.9, de"), Some("it")), "it");
        assert_eq!(chosen(None, Some("fr;q=0.9, de"), None), "de");
        assert_eq!(chosen(Some("pt-br"), None, None), "pt-BR");
        assert_eq!(
            Language::choose(Some("de-AT"), None),
            Language {
                asked: Some("de"),
                browser: None
            }
        );
        // What Kasse does not speak is no choice: the next one decides.
        assert_eq!(chosen(Some("xx"), Some("fr;q=0.9, de"), Some("xx")), "de");
        assert_eq!(chosen(Some("xx"), Some("fr;q=0.9, de"), None), "de");
        assert_eq!(chosen(None, Some("nb-NO, sv;q=0.8"), None), "en");
        assert_eq!(chosen(None, None, None), "en");
        assert_eq!(chosen(Some(""), Some("ar-EG"), None), "ar");
    }

    /// A German catalogue over the compiled-in English one.
    fn german() -> Texts {
        let english = CATALOGUES[0].1;
        let german = r#"{"number_decimal": ",", "number_group": ".", "link_usd": "{amount} $",
            "link_pay": "Mit Krypto bezahlen", "link_total": "Gesamt <b>"}"#;
        Texts::read("de", english, german)
    }

    #[test]
    fn numbers_keep_every_digit_and_take_the_locale_s_separators() {
        let english = Texts::of("en");
        assert_eq!(english.number("1234567.89"), "1,234,567.89");
        assert_eq!(english.number("999.00"), "999.00");
        assert_eq!(english.number("0.05"), "0.05");
        assert_eq!(german().number("1234567.89"), "1.234.567,89");
        assert_eq!(german().number("-1.5"), "-1.5");
    }

    #[test]
    fn the_link_page_speaks_the_shopper_s_language_and_keeps_an_asked_locale_in_its_form() {
        let branding = Branding {
            display_name: "Laden".into(),
            logo_url: None,
            accent_color: None,
        };
        let mut sample = sample_link("Tee");
        sample.order.amount_total = Cents(123_450);
        let page = link(&sample, &branding, &german(), Some("de"));
        assert!(
            page.starts_with("<!doctype html><html lang=\"de\" dir=\"ltr\">"),
            "{page}"
        );
        assert!(page.contains("<strong>1.234,50 $</strong>"), "{page}");
        assert!(page.contains(">Mit Krypto bezahlen</button>"), "{page}");
        assert!(page.contains("<span>Gesamt &lt;b&gt;</span>"), "{page}");
        // What the German catalogue lacks reads in English.
        assert!(page.contains("You choose the network and token"), "{page}");
        assert!(
            page.contains("action=\"/l/plink_0123456789abcdefghijABCD?locale=de\""),
            "{page}"
        );

        let arabic = Texts::read("ar", CATALOGUES[0].1, "{}");
        let page = link(&sample, &branding, &arabic, None);
        assert!(
            page.starts_with("<!doctype html><html lang=\"ar\" dir=\"rtl\">"),
            "{page}"
        );
        assert!(
            page.contains("action=\"/l/plink_0123456789abcdefghijABCD\""),
            "{page}"
        );
    }

    #[test]
    fn every_locale_has_its_catalogue_compiled_in_with_the_link_page_s_texts() {
        let codes: Vec<&str> = CATALOGUES.iter().map(|(code, _)| *code).collect();
        assert_eq!(codes, kasse_shared::locale::SUPPORTED);
        assert_eq!(CATALOGUES[0].0, kasse_shared::locale::DEFAULT);
        for (code, json) in CATALOGUES {
            let texts = Texts::read("xx", CATALOGUES[0].1, json);
            for key in [
                "link_pay",
                "link_total",
                "link_usd",
                "number_decimal",
                "number_group",
            ] {
                assert_ne!(texts.get(key), key, "{code}.json has {key}");
            }
            assert!(
                serde_json::from_str::<std::collections::HashMap<String, String>>(json).is_ok(),
                "{code}.json is a flat object of texts"
            );
        }
        let page = message(&Texts::of("en"), "link_missing_title", "link_missing_body");
        assert!(page.contains("<html lang=\"en\" dir=\"ltr\">"), "{page}");
        assert!(page.contains("<h1>Link not found</h1>"), "{page}");
    }
}
