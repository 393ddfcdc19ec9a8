//! `GET /v1/search?q=…`: what the text in the search box is, decided from its shape alone,
//! so each kind is looked up through its own index and nothing is ever matched loosely.

use crate::api::list::{Page, parse_page};
use crate::error_code::ErrorCode;
use crate::ids::SessionId;
use crate::params::ParamError;

/// The longest `q` read; anything searchable is far shorter.
pub const MAX_QUERY_CHARS: usize = 200;

const SEARCHABLE: &str = "q must be a checkout session id (cs_test_… or cs_live_…), a deposit address (0x and 40 hex digits), a payment's transaction hash (0x and 64 hex digits) or a customer email.";

/// What `q` names, in the form it is stored in: hex lowercase, and the email lowercase in
/// ASCII only, as SQLite's `lower()` folds it (the index is on `lower(customer_email)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchTerm {
    SessionId(SessionId),
    Address(String),
    TxHash(String),
    Email(String),
}

impl SearchTerm {
    /// The value compared with the stored column.
    pub fn value(&self) -> &str {
        match self {
            Self::SessionId(id) => id.as_str(),
            Self::Address(s) | Self::TxHash(s) | Self::Email(s) => s,
        }
    }
}

fn invalid(message: impl Into<String>) -> ParamError {
    ParamError::new(ErrorCode::ParameterInvalid, "q", message)
}

/// `0x` and `digits` hex digits in any case, lowercased.
fn hex_of_length(q: &str, digits: usize) -> Option<String> {
    let hex = q.strip_prefix("0x").or_else(|| q.strip_prefix("0X"))?;
    (hex.len() == digits && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| format!("0x{}", hex.to_ascii_lowercase()))
}

/// An address as a customer would type it: something before one `@`, a dotted domain
/// after it, no spaces or quotes.
fn looks_like_email(q: &str) -> bool {
    let Some((local, domain)) = q.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !q
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '<' | '>'))
}

/// Reads `q` exactly as given (the OpenAPI document's pattern says the same); a form
/// trims what a paste brought around it before sending.
pub fn parse_term(q: &str) -> Result<SearchTerm, ParamError> {
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(invalid(format!(
            "q is at most {MAX_QUERY_CHARS} characters. {SEARCHABLE}"
        )));
    }
    if let Some(id) = SessionId::parse(q) {
        return Ok(SearchTerm::SessionId(id));
    }
    if let Some(address) = hex_of_length(q, 40) {
        return Ok(SearchTerm::Address(address));
    }
    if let Some(hash) = hex_of_length(q, 64) {
        return Ok(SearchTerm::TxHash(hash));
    }
    if looks_like_email(q) {
        return Ok(SearchTerm::Email(q.to_ascii_lowercase()));
    }
    Err(invalid(SEARCHABLE))
}

/// Parses the query of `GET /v1/search`: `q` and the page parameters every list takes.
pub fn parse_search<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<(Page, SearchTerm), ParamError> {
    let (page, rest) = parse_page(pairs, &["q"])?;
    let mut terms = rest.iter().map(|(_, value)| value.as_str());
    let (Some(q), None) = (terms.next(), terms.next()) else {
        return Err(if rest.is_empty() {
            ParamError::new(
                ErrorCode::ParameterMissing,
                "q",
                format!("Give q, what to search for. {SEARCHABLE}"),
            )
        } else {
            invalid("Give q once.")
        });
    };
    Ok((page, parse_term(q)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::list::Cursor;

    const ID: &str = "cs_test_AAAAAAAAAAAAAAAAAAAAAAAA";

    fn term(q: &str) -> SearchTerm {
        parse_term(q).unwrap()
    }

    fn refused(q: &str) -> ParamError {
        parse_term(q).unwrap_err()
    }

    #[test]
    fn each_kind_is_told_by_its_shape() {
        assert_eq!(
            term(ID),
            SearchTerm::SessionId(SessionId::parse(ID).unwrap())
        );
        assert_eq!(
            term(&format!("0x{}", "Ab".repeat(20))),
            SearchTerm::Address(format!("0x{}", "ab".repeat(20)))
        );
        assert_eq!(
            term(&format!("0X{}", "CD".repeat(32))),
            SearchTerm::TxHash(format!("0x{}", "cd".repeat(32)))
        );
        assert_eq!(
            term("Ada.Lovelace@Example.COM"),
            SearchTerm::Email("ada.lovelace@example.com".into())
        );
        assert_eq!(
            term("cs_live_BBBBBBBBBBBBBBBBBBBBBBBB").value(),
            "cs_live_BBBBBBBBBBBBBBBBBBBBBBBB"
        );
    }

    #[test]
    fn an_email_folds_only_ascii_as_the_index_does() {
        // SQLite's lower() leaves É as it is; so must the term, or it would never match.
        assert_eq!(term("ÉLISE@Exemple.fr").value(), "Élise@exemple.fr");
    }

    #[test]
    fn anything_else_says_what_can_be_searched() {
        let long = "a".repeat(MAX_QUERY_CHARS - 12) + "@example.com";
        assert!(matches!(term(&long), SearchTerm::Email(_)));
        for q in [
            "hello",
            "0x123",
            "' OR 1=1 --",
            "cs_test_short",
            &format!("0x{}", "g".repeat(40)),
            &format!("0x{}", "a".repeat(41)),
            "a@b",
            "@example.com",
            "a b@example.com",
            "a@@example.com",
            "a@example.com\n",
            "a\u{7}@example.com",
            " cs_test_AAAAAAAAAAAAAAAAAAAAAAAA",
            "",
            "   ",
            &format!("{long}x"),
        ] {
            let error = refused(q);
            assert_eq!(error.code, ErrorCode::ParameterInvalid, "{q}");
            assert_eq!(error.param.as_deref(), Some("q"), "{q}");
            assert!(
                error.message.contains("deposit address"),
                "{q}: {}",
                error.message
            );
        }
        assert!(refused(&format!("{long}x")).message.contains("at most 200"));
    }

    #[test]
    fn q_is_required_once_beside_the_page_parameters() {
        let (page, found) =
            parse_search([("q", ID), ("limit", "5"), ("starting_after", ID)]).unwrap();
        assert_eq!(page.limit, 5);
        assert_eq!(page.cursor, Cursor::StartingAfter(ID.into()));
        assert_eq!(found.value(), ID);
        for query in [vec![], vec![("q", "")], vec![("limit", "3")]] {
            let error = parse_search(query).unwrap_err();
            assert_eq!(error.code, ErrorCode::ParameterMissing);
            assert_eq!(error.param.as_deref(), Some("q"));
        }
        let twice = parse_search([("q", ID), ("q", ID)]).unwrap_err();
        assert_eq!(twice.code, ErrorCode::ParameterInvalid);
        let unknown = parse_search([("q", ID), ("status", "paid")]).unwrap_err();
        assert_eq!(unknown.code, ErrorCode::ParameterUnknown);
        let limit = parse_search([("q", ID), ("limit", "101")]).unwrap_err();
        assert_eq!(limit.param.as_deref(), Some("limit"));
    }
}
