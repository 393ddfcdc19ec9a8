//! The console's address is the URL fragment (`#/sessions?status=paid`): parsed and written
//! here by hand, as plain functions, so that every page can be linked, reloaded and tested.

/// The sessions list as the fragment describes it: the list API's filters, the search term
/// and the page's cursor. Empty values are absent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SessionsQuery {
    /// A search (`GET /v1/search?q=`) instead of the filtered list.
    pub q: Option<String>,
    /// A status, `open` or `completed`.
    pub status: Option<String>,
    pub customer_email: Option<String>,
    pub payment_link: Option<String>,
    /// Local calendar days (`YYYY-MM-DD`), both included.
    pub created_from: Option<String>,
    pub created_to: Option<String>,
    /// `true` or `false`.
    pub funded: Option<String>,
    pub starting_after: Option<String>,
    pub ending_before: Option<String>,
}

impl SessionsQuery {
    /// The fields in the order they are written, with their names in the fragment.
    fn fields(&self) -> [(&'static str, &Option<String>); 9] {
        [
            ("q", &self.q),
            ("status", &self.status),
            ("customer_email", &self.customer_email),
            ("payment_link", &self.payment_link),
            ("created_from", &self.created_from),
            ("created_to", &self.created_to),
            ("funded", &self.funded),
            ("starting_after", &self.starting_after),
            ("ending_before", &self.ending_before),
        ]
    }

    fn field_mut(&mut self, name: &str) -> Option<&mut Option<String>> {
        Some(match name {
            "q" => &mut self.q,
            "status" => &mut self.status,
            "customer_email" => &mut self.customer_email,
            "payment_link" => &mut self.payment_link,
            "created_from" => &mut self.created_from,
            "created_to" => &mut self.created_to,
            "funded" => &mut self.funded,
            "starting_after" => &mut self.starting_after,
            "ending_before" => &mut self.ending_before,
            _ => return None,
        })
    }

    /// Parses `status=paid&q=…`; unknown names and empty values are dropped.
    pub fn parse(query: &str) -> Self {
        let mut parsed = Self::default();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = decode(value);
            if let Some(field) = parsed.field_mut(&decode(name))
                && !value.is_empty()
            {
                *field = Some(value);
            }
        }
        parsed
    }

    /// `status=paid&q=…` (without `?`), empty when nothing is set.
    pub fn format(&self) -> String {
        self.fields()
            .iter()
            .filter_map(|(name, value)| value.as_deref().map(|v| (name, v)))
            .filter(|(_, v)| !v.is_empty())
            .map(|(name, v)| format!("{name}={}", encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The page before this one (newer sessions), given this page's first and last ids
    /// (newest first) and its `has_more`; `None` on the first page.
    pub fn previous(&self, first: Option<&str>, has_more: bool) -> Option<Self> {
        let cursor = match (&self.starting_after, &self.ending_before) {
            // Paging forward: there is a newer page as soon as a cursor brought us here.
            (Some(after), _) => first.unwrap_or(after),
            // Paging back: `has_more` says whether newer sessions remain.
            (None, Some(_)) if has_more => first?,
            _ => return None,
        };
        Some(Self {
            starting_after: None,
            ending_before: Some(cursor.to_owned()),
            ..self.clone()
        })
    }

    /// The page after this one (older sessions); `None` on the last page.
    pub fn next(&self, last: Option<&str>, has_more: bool) -> Option<Self> {
        let cursor = match (&self.ending_before, last) {
            // Paging back: the page we came from is older, so there is one.
            (Some(before), last) => last.unwrap_or(before),
            (None, Some(last)) if has_more => last,
            _ => return None,
        };
        Some(Self {
            starting_after: Some(cursor.to_owned()),
            ending_before: None,
            ..self.clone()
        })
    }
}

/// The refunds list's filters as the fragment writes them (`status=pending&session=cs_…`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RefundsQuery {
    pub status: Option<String>,
    pub session: Option<String>,
}

impl RefundsQuery {
    /// Parses `status=pending&session=…`; unknown names and empty values are dropped.
    pub fn parse(query: &str) -> Self {
        let mut parsed = Self::default();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = Some(decode(value)).filter(|v| !v.is_empty());
            match decode(name).as_str() {
                "status" => parsed.status = value,
                "session" => parsed.session = value,
                _ => {}
            }
        }
        parsed
    }

    /// `status=…&session=…` (without `?`), empty when nothing is set.
    pub fn format(&self) -> String {
        [("status", &self.status), ("session", &self.session)]
            .iter()
            .filter_map(|(name, value)| value.as_deref().map(|v| format!("{name}={}", encode(v))))
            .collect::<Vec<_>>()
            .join("&")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Overview,
    Sessions(SessionsQuery),
    Session(String),
    Links,
    Webhooks,
    Keys,
    Settings,
    Sweeps,
    Refunds(RefundsQuery),
    Refund(String),
    /// A fragment that names no page: the path as written.
    NotFound(String),
}

/// The navigation, in order: its label and the route it opens.
pub const NAV: [(&str, &str); 8] = [
    ("Overview", "#/"),
    ("Sessions", "#/sessions"),
    ("Payment links", "#/links"),
    ("Webhooks", "#/webhooks"),
    ("API keys", "#/keys"),
    ("Settings", "#/settings"),
    ("Sweeps", "#/sweeps"),
    ("Refunds", "#/refunds"),
];

impl Route {
    /// Parses a fragment, with or without its `#` (`#/sessions/cs_…`, `#/`, ``).
    pub fn parse(hash: &str) -> Self {
        let hash = hash.strip_prefix('#').unwrap_or(hash);
        let hash = hash.strip_prefix('/').unwrap_or(hash);
        let (path, query) = hash.split_once('?').unwrap_or((hash, ""));
        let path = path.trim_end_matches('/');
        let mut segments = path.split('/');
        match (segments.next(), segments.next(), segments.next()) {
            (Some(""), None, None) => Self::Overview,
            (Some("sessions"), None, None) => Self::Sessions(SessionsQuery::parse(query)),
            (Some("sessions"), Some(id), None) if !id.is_empty() => Self::Session(decode(id)),
            (Some("links"), None, None) => Self::Links,
            (Some("webhooks"), None, None) => Self::Webhooks,
            (Some("keys"), None, None) => Self::Keys,
            (Some("settings"), None, None) => Self::Settings,
            (Some("sweeps"), None, None) => Self::Sweeps,
            (Some("refunds"), None, None) => Self::Refunds(RefundsQuery::parse(query)),
            (Some("refunds"), Some(id), None) if !id.is_empty() => Self::Refund(decode(id)),
            _ => Self::NotFound(decode(path)),
        }
    }

    /// The fragment, with its `#`: `Route::parse(&r.to_hash()) == r` for every route.
    pub fn to_hash(&self) -> String {
        match self {
            Self::Overview => "#/".to_owned(),
            Self::Sessions(query) => match query.format() {
                q if q.is_empty() => "#/sessions".to_owned(),
                q => format!("#/sessions?{q}"),
            },
            Self::Session(id) => format!("#/sessions/{}", encode(id)),
            Self::Links => "#/links".to_owned(),
            Self::Webhooks => "#/webhooks".to_owned(),
            Self::Keys => "#/keys".to_owned(),
            Self::Settings => "#/settings".to_owned(),
            Self::Sweeps => "#/sweeps".to_owned(),
            Self::Refunds(query) => match query.format() {
                q if q.is_empty() => "#/refunds".to_owned(),
                q => format!("#/refunds?{q}"),
            },
            Self::Refund(id) => format!("#/refunds/{}", encode(id)),
            Self::NotFound(path) => format!("#/{}", encode_path(path)),
        }
    }

    /// The navigation entry this page belongs to (its `href` in [`NAV`]).
    pub fn nav_href(&self) -> Option<&'static str> {
        Some(match self {
            Self::Overview => "#/",
            Self::Sessions(_) | Self::Session(_) => "#/sessions",
            Self::Links => "#/links",
            Self::Webhooks => "#/webhooks",
            Self::Keys => "#/keys",
            Self::Settings => "#/settings",
            Self::Sweeps => "#/sweeps",
            Self::Refunds(_) | Self::Refund(_) => "#/refunds",
            Self::NotFound(_) => return None,
        })
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Like [`encode`], keeping the slashes of a path.
fn encode_path(path: &str) -> String {
    path.split('/').map(encode).collect::<Vec<_>>().join("/")
}

/// Undoes percent-encoding; a `%` not followed by two hex digits stays as it is, and bytes
/// that are not UTF-8 become U+FFFD. `+` is a plus (an email may hold one).
pub fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push(u8::try_from(hi * 16 + lo).unwrap_or(b'?'));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_parses_from_its_fragment() {
        assert_eq!(Route::parse(""), Route::Overview);
        assert_eq!(Route::parse("#"), Route::Overview);
        assert_eq!(Route::parse("#/"), Route::Overview);
        assert_eq!(
            Route::parse("#/sessions"),
            Route::Sessions(SessionsQuery::default())
        );
        assert_eq!(
            Route::parse("#/sessions/"),
            Route::Sessions(SessionsQuery::default())
        );
        assert_eq!(
            Route::parse("#/sessions/cs_123abc"),
            Route::Session("cs_123abc".into())
        );
        assert_eq!(Route::parse("#/links"), Route::Links);
        assert_eq!(Route::parse("#/webhooks"), Route::Webhooks);
        assert_eq!(Route::parse("#/keys"), Route::Keys);
        assert_eq!(Route::parse("#/settings"), Route::Settings);
        assert_eq!(Route::parse("#/sweeps"), Route::Sweeps);
        assert_eq!(Route::parse("/sweeps"), Route::Sweeps);
        assert_eq!(
            Route::parse("#/refunds"),
            Route::Refunds(RefundsQuery::default())
        );
        assert_eq!(
            Route::parse("#/refunds/re_test_1"),
            Route::Refund("re_test_1".into())
        );
    }

    #[test]
    fn the_refunds_filters_round_trip_through_the_fragment() {
        let route = Route::parse("#/refunds?status=pending&bogus=1&session=cs_test_9");
        let query = RefundsQuery {
            status: Some("pending".into()),
            session: Some("cs_test_9".into()),
        };
        assert_eq!(route, Route::Refunds(query));
        assert_eq!(
            route.to_hash(),
            "#/refunds?status=pending&session=cs_test_9"
        );
        assert_eq!(Route::parse(&route.to_hash()), route);
        assert_eq!(Route::parse("#/refunds?status=").to_hash(), "#/refunds");
        assert_eq!(
            Route::Refund("re_test_1".into()).nav_href(),
            Some("#/refunds")
        );
    }

    #[test]
    fn unknown_fragments_are_not_found() {
        assert_eq!(Route::parse("#/nope"), Route::NotFound("nope".into()));
        assert_eq!(
            Route::parse("#/sessions/cs_1/extra"),
            Route::NotFound("sessions/cs_1/extra".into())
        );
        assert_eq!(Route::parse("#/links/x"), Route::NotFound("links/x".into()));
    }

    #[test]
    fn the_sessions_query_holds_the_filters_and_the_search() {
        let route = Route::parse(
            "#/sessions?status=paid&q=shopper%2Btag%40example.com&funded=true&starting_after=cs_9&bogus=1&payment_link=",
        );
        let Route::Sessions(query) = route else {
            panic!("not the sessions page: {route:?}");
        };
        assert_eq!(query.status.as_deref(), Some("paid"));
        assert_eq!(query.q.as_deref(), Some("shopper+tag@example.com"));
        assert_eq!(query.funded.as_deref(), Some("true"));
        assert_eq!(query.starting_after.as_deref(), Some("cs_9"));
        assert_eq!(query.payment_link, None, "an empty value is absent");
        assert_eq!(query.ending_before, None);
    }

    #[test]
    fn a_plus_in_the_fragment_stays_a_plus() {
        let Route::Sessions(query) = Route::parse("#/sessions?customer_email=a+b@x.io") else {
            panic!("not the sessions page");
        };
        assert_eq!(query.customer_email.as_deref(), Some("a+b@x.io"));
    }

    #[test]
    fn routes_survive_a_round_trip() {
        let query = SessionsQuery {
            q: Some("0xAbC ?&=#/é".into()),
            status: Some("open".into()),
            customer_email: Some("a+b@example.com".into()),
            payment_link: Some("plink_1".into()),
            created_from: Some("2026-11-01".into()),
            created_to: Some("2026-11-30".into()),
            funded: Some("false".into()),
            starting_after: None,
            ending_before: Some("cs_2".into()),
        };
        for route in [
            Route::Overview,
            Route::Sessions(SessionsQuery::default()),
            Route::Sessions(query),
            Route::Session("cs_a/b".into()),
            Route::Links,
            Route::Webhooks,
            Route::Keys,
            Route::Settings,
            Route::Sweeps,
            Route::Refunds(RefundsQuery::default()),
            Route::Refund("re_a/b".into()),
            Route::NotFound("what/ever".into()),
        ] {
            assert_eq!(Route::parse(&route.to_hash()), route, "{}", route.to_hash());
        }
    }

    #[test]
    fn fragments_are_written_plainly() {
        assert_eq!(Route::Overview.to_hash(), "#/");
        assert_eq!(
            Route::Sessions(SessionsQuery::default()).to_hash(),
            "#/sessions"
        );
        let query = SessionsQuery {
            status: Some("paid".into()),
            q: Some("a@b.c".into()),
            ..SessionsQuery::default()
        };
        assert_eq!(
            Route::Sessions(query).to_hash(),
            "#/sessions?q=a%40b.c&status=paid"
        );
        assert_eq!(Route::Session("cs_1".into()).to_hash(), "#/sessions/cs_1");
    }

    fn page(after: Option<&str>, before: Option<&str>) -> SessionsQuery {
        SessionsQuery {
            status: Some("paid".into()),
            starting_after: after.map(str::to_owned),
            ending_before: before.map(str::to_owned),
            ..SessionsQuery::default()
        }
    }

    #[test]
    fn the_first_page_has_only_a_next_page_when_there_is_more() {
        let first = page(None, None);
        assert_eq!(first.previous(Some("cs_9"), true), None);
        assert_eq!(
            first.next(Some("cs_5"), true),
            Some(page(Some("cs_5"), None))
        );
        assert_eq!(first.next(Some("cs_5"), false), None);
        assert_eq!(first.next(None, false), None);
    }

    #[test]
    fn paging_forward_can_always_go_back() {
        let second = page(Some("cs_5"), None);
        assert_eq!(
            second.previous(Some("cs_4"), false),
            Some(page(None, Some("cs_4")))
        );
        assert_eq!(second.next(Some("cs_1"), false), None);
        assert_eq!(
            second.next(Some("cs_1"), true),
            Some(page(Some("cs_1"), None))
        );
        // An empty page past the end goes back to before its own cursor.
        assert_eq!(second.previous(None, false), Some(page(None, Some("cs_5"))));
    }

    #[test]
    fn paging_back_can_always_go_forward() {
        let back = page(None, Some("cs_4"));
        assert_eq!(
            back.next(Some("cs_5"), false),
            Some(page(Some("cs_5"), None))
        );
        assert_eq!(
            back.previous(Some("cs_9"), true),
            Some(page(None, Some("cs_9")))
        );
        assert_eq!(back.previous(Some("cs_9"), false), None, "the newest page");
        assert_eq!(back.next(None, false), Some(page(Some("cs_4"), None)));
    }

    #[test]
    fn decoding_tolerates_broken_escapes() {
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%zz%4"), "%zz%4");
        assert_eq!(decode("%C3%A9"), "é");
        assert_eq!(decode("%FF"), "\u{FFFD}");
        assert_eq!(encode("é a"), "%C3%A9%20a");
    }

    #[test]
    fn each_page_lights_its_navigation_entry() {
        assert_eq!(Route::Session("cs_1".into()).nav_href(), Some("#/sessions"));
        assert_eq!(Route::Overview.nav_href(), Some("#/"));
        assert_eq!(Route::NotFound("x".into()).nav_href(), None);
        for (_, href) in NAV {
            assert_eq!(Route::parse(href).nav_href(), Some(href));
        }
    }
}
