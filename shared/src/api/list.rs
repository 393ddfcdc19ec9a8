//! List parameters every list shares (`limit`, `starting_after`, `ending_before`) and the
//! session list's filters.

use crate::error_code::ErrorCode;
use crate::params::ParamError;
use crate::status::Status;
use crate::time::Timestamp;

pub const DEFAULT_LIMIT: u32 = 10;
pub const MAX_LIMIT: u32 = 100;

/// Which page: newest first, after (older than) or before (newer than) a known object.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Cursor {
    #[default]
    First,
    StartingAfter(String),
    EndingBefore(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub limit: u32,
    pub cursor: Cursor,
}

impl Default for Page {
    fn default() -> Self {
        Self {
            limit: DEFAULT_LIMIT,
            cursor: Cursor::First,
        }
    }
}

/// Which way a page runs from its cursor's object, lists being newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `starting_after`: the objects older than it.
    After,
    /// `ending_before`: the objects newer than it.
    Before,
}

impl Direction {
    /// The query parameter that names a cursor running this way.
    pub fn param(self) -> &'static str {
        match self {
            Self::After => "starting_after",
            Self::Before => "ending_before",
        }
    }
}

impl Cursor {
    /// The way the page runs and the object id it runs from, unless this is the first page.
    pub fn named(&self) -> Option<(Direction, &str)> {
        match self {
            Self::First => None,
            Self::StartingAfter(id) => Some((Direction::After, id)),
            Self::EndingBefore(id) => Some((Direction::Before, id)),
        }
    }
}

/// `GET /v1/checkout_sessions` filters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SessionFilter {
    /// The statuses to keep; a coarse status (`open`, `completed`) stands for several.
    pub statuses: Option<Vec<Status>>,
    pub payment_link: Option<String>,
    pub created_gte: Option<Timestamp>,
    pub created_lte: Option<Timestamp>,
    pub customer_email: Option<String>,
    pub funded: Option<bool>,
}

/// `status` as a list filter: one status of the lifecycle, or a coarse one: `open` (not yet
/// paid, still payable) or `completed` (paid, on time, late or over).
pub fn statuses(value: &str) -> Option<Vec<Status>> {
    use Status::*;
    Some(match value {
        "open" => vec![Pending, Detected, Underpaid],
        "completed" => vec![Paid, PaidLate, Overpaid],
        "pending" => vec![Pending],
        "detected" => vec![Detected],
        "underpaid" => vec![Underpaid],
        "overpaid" => vec![Overpaid],
        "paid" => vec![Paid],
        "paid_late" => vec![PaidLate],
        "expired" => vec![Expired],
        "canceled" => vec![Canceled],
        "failed" => vec![Failed],
        _ => return None,
    })
}

/// The last second of year 9999: no real time is later.
const LATEST_UNIX: u64 = 253_402_300_799;

/// `created[gte]=…`: unix seconds (up to year 9999) or RFC 3339.
pub fn instant(value: &str) -> Option<Timestamp> {
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return value
            .parse()
            .ok()
            .filter(|s| *s <= LATEST_UNIX)
            .map(Timestamp);
    }
    Timestamp::parse_rfc3339(value)
}

/// Reads the page parameters every list shares; returns `false` for a key it does not know.
/// An empty value (`?starting_after=`, as forms send) means the parameter is absent; an
/// empty `limit` is still not a number.
const PAGE_KEYS: [&str; 2] = ["starting_after", "ending_before"];
const SESSION_FILTERS: [&str; 6] = [
    "status",
    "payment_link",
    "customer_email",
    "funded",
    "created[gte]",
    "created[lte]",
];

fn page_param(page: &mut Page, key: &str, value: &str) -> Result<bool, ParamError> {
    match key {
        "limit" => {
            page.limit = value
                .parse()
                .ok()
                .filter(|l| (1..=MAX_LIMIT).contains(l))
                .ok_or_else(|| {
                    ParamError::new(
                        ErrorCode::ParameterInvalid,
                        "limit",
                        format!("limit must be an integer from 1 to {MAX_LIMIT}."),
                    )
                })?;
        }
        "starting_after" | "ending_before" => {
            if page.cursor != Cursor::First {
                return Err(ParamError::new(
                    ErrorCode::ParameterInvalid,
                    key,
                    "Give starting_after or ending_before, not both.",
                ));
            }
            if value.is_empty() || value.len() > 64 {
                return Err(ParamError::new(
                    ErrorCode::ParameterInvalid,
                    key,
                    format!("{key} must be the id of an object from a previous page."),
                ));
            }
            page.cursor = if key == "starting_after" {
                Cursor::StartingAfter(value.to_owned())
            } else {
                Cursor::EndingBefore(value.to_owned())
            };
        }
        _ => return Ok(false),
    }
    Ok(true)
}

fn unknown(key: &str) -> ParamError {
    ParamError::new(
        ErrorCode::ParameterUnknown,
        key,
        format!("Received unknown parameter: {key}."),
    )
}

/// Parses the query of `GET /v1/checkout_sessions`.
pub fn parse_sessions<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<(Page, SessionFilter), ParamError> {
    let mut page = Page::default();
    let mut filter = SessionFilter::default();
    for (key, value) in pairs {
        // An empty value is an absent filter (as a form sends it), except for a boolean:
        // `funded=` says neither true nor false.
        if value.is_empty()
            && key != "funded"
            && (PAGE_KEYS.contains(&key) || SESSION_FILTERS.contains(&key))
        {
            continue;
        }
        if page_param(&mut page, key, value)? {
            continue;
        }
        match key {
            "status" => {
                filter.statuses = Some(statuses(value).ok_or_else(|| {
                    ParamError::new(
                        ErrorCode::ParameterInvalid,
                        "status",
                        "status must be open, completed, expired or canceled, or one of pending, detected, underpaid, overpaid, paid, paid_late, failed.",
                    )
                })?);
            }
            "payment_link" => filter.payment_link = Some(value.to_owned()),
            "customer_email" => filter.customer_email = Some(value.to_owned()),
            "funded" => {
                filter.funded = Some(match value {
                    "true" => true,
                    "false" => false,
                    _ => {
                        return Err(ParamError::new(
                            ErrorCode::ParameterInvalid,
                            "funded",
                            "funded must be true or false.",
                        ));
                    }
                });
            }
            "created[gte]" | "created[lte]" => {
                let at = instant(value).ok_or_else(|| {
                    ParamError::new(
                        ErrorCode::ParameterInvalid,
                        key,
                        format!("{key} must be unix seconds or an RFC 3339 time such as 2026-01-31T12:00:00Z."),
                    )
                })?;
                if key == "created[gte]" {
                    filter.created_gte = Some(at);
                } else {
                    filter.created_lte = Some(at);
                }
            }
            _ => return Err(unknown(key)),
        }
    }
    Ok((page, filter))
}

/// Parses a list query that takes only the page parameters and the `extra` keys, which
/// are returned as given.
impl Page {
    /// Lists read `limit + 1` rows; this drops the extra one (the row furthest from the
    /// cursor) and says whether it was there, i.e. `has_more`.
    pub fn trim<T>(&self, rows: &mut Vec<T>) -> bool {
        let has_more = rows.len() > self.limit as usize;
        if has_more {
            if matches!(self.cursor, Cursor::EndingBefore(_)) {
                rows.remove(0);
            } else {
                rows.pop();
            }
        }
        has_more
    }
}

pub fn parse_page<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    extra: &[&str],
) -> Result<(Page, Vec<(String, String)>), ParamError> {
    let mut page = Page::default();
    let mut rest = Vec::new();
    for (key, value) in pairs {
        if value.is_empty() && (PAGE_KEYS.contains(&key) || extra.contains(&key)) {
            continue;
        }
        if page_param(&mut page, key, value)? {
            continue;
        }
        if !extra.contains(&key) {
            return Err(unknown(key));
        }
        rest.push((key.to_owned(), value.to_owned()));
    }
    Ok((page, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(query: &[(&'static str, &'static str)]) -> Result<(Page, SessionFilter), ParamError> {
        parse_sessions(query.iter().copied())
    }

    #[test]
    fn defaults_are_ten_newest_first() {
        let (page, filter) = parse(&[]).unwrap();
        assert_eq!(
            page,
            Page {
                limit: 10,
                cursor: Cursor::First
            }
        );
        assert_eq!(filter, SessionFilter::default());
    }

    #[test]
    fn a_cursor_names_its_object_its_direction_and_the_parameter_that_gave_it() {
        let after = parse(&[("starting_after", "cs_1")]).unwrap().0.cursor;
        assert_eq!(after.named(), Some((Direction::After, "cs_1")));
        let before = parse(&[("ending_before", "cs_2")]).unwrap().0.cursor;
        assert_eq!(before.named(), Some((Direction::Before, "cs_2")));
        assert_eq!(Cursor::First.named(), None);
        assert_eq!(Direction::After.param(), "starting_after");
        assert_eq!(Direction::Before.param(), "ending_before");
    }

    #[test]
    fn coarse_statuses_stand_for_fine_ones() {
        use Status::*;
        let open = parse(&[("status", "open")]).unwrap().1.statuses.unwrap();
        assert_eq!(open, vec![Pending, Detected, Underpaid]);
        let done = parse(&[("status", "completed")])
            .unwrap()
            .1
            .statuses
            .unwrap();
        assert_eq!(done, vec![Paid, PaidLate, Overpaid]);
        let late = parse(&[("status", "paid_late")])
            .unwrap()
            .1
            .statuses
            .unwrap();
        assert_eq!(late, vec![PaidLate]);
        assert_eq!(
            parse(&[("status", "done")]).unwrap_err().param.as_deref(),
            Some("status")
        );
    }

    #[test]
    fn created_takes_unix_seconds_or_rfc3339() {
        let (_, f) = parse(&[
            ("created[gte]", "1700000000"),
            ("created[lte]", "2026-01-31T12:00:00Z"),
        ])
        .unwrap();
        assert_eq!(f.created_gte, Some(Timestamp(1_700_000_000)));
        assert_eq!(
            f.created_lte,
            Timestamp::parse_rfc3339("2026-01-31T12:00:00Z")
        );
        let e = parse(&[("created[gte]", "yesterday")]).unwrap_err();
        assert_eq!(e.param.as_deref(), Some("created[gte]"));
        assert!(
            parse(&[("created[gte]", "9007199254740993")]).is_err(),
            "beyond any real time"
        );
    }

    #[test]
    fn bad_pages_are_named() {
        for (key, value) in [
            ("limit", "0"),
            ("limit", "101"),
            ("limit", "ten"),
            ("funded", "yes"),
            ("funded", ""),
        ] {
            let e = parse(&[(key, value)]).unwrap_err();
            assert_eq!(e.param.as_deref(), Some(key), "{key}={value}");
            assert_eq!(e.code, ErrorCode::ParameterInvalid);
        }
        let both = parse(&[("starting_after", "cs_a"), ("ending_before", "cs_b")]).unwrap_err();
        assert_eq!(both.param.as_deref(), Some("ending_before"));
        assert_eq!(
            parse(&[("colour", "red")]).unwrap_err().code,
            ErrorCode::ParameterUnknown
        );
    }

    #[test]
    fn a_page_takes_only_its_extra_keys() {
        let (page, rest) =
            parse_page([("limit", "3"), ("type", "session.paid")], &["type"]).unwrap();
        assert_eq!(page.limit, 3);
        assert_eq!(rest, vec![("type".to_owned(), "session.paid".to_owned())]);
        assert!(parse_page([("status", "open")], &["type"]).is_err());
    }

    #[test]
    fn empty_values_are_absent_but_unknown_keys_are_not() {
        let (page, filter) = parse(&[("starting_after", ""), ("status", "")]).unwrap();
        assert_eq!(page, Page::default());
        assert_eq!(filter, SessionFilter::default());
        assert_eq!(
            parse(&[("limit", "")]).unwrap_err().param.as_deref(),
            Some("limit")
        );
        assert_eq!(
            parse(&[("colour", "")]).unwrap_err().param.as_deref(),
            Some("colour")
        );
        let (page, rest) = parse_page([("ending_before", ""), ("type", "")], &["type"]).unwrap();
        assert_eq!((page, rest), (Page::default(), vec![]));
    }

    #[test]
    fn trim_drops_the_row_furthest_from_the_cursor() {
        let page = |cursor| Page { limit: 2, cursor };
        let mut rows = vec![1, 2, 3];
        assert!(page(Cursor::First).trim(&mut rows));
        assert_eq!(rows, [1, 2]);
        let mut rows = vec![1, 2, 3];
        assert!(page(Cursor::EndingBefore("x".into())).trim(&mut rows));
        assert_eq!(rows, [2, 3]);
        let mut rows = vec![1, 2];
        assert!(!page(Cursor::First).trim(&mut rows));
        assert_eq!(rows, [1, 2]);
    }
}
