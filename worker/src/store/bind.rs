//! How values bind to D1 parameters, and what a statement's result says.

use alloy_primitives::Address;
use kasse_shared::api::list::Direction;
use kasse_shared::time::Timestamp;
use worker::D1Result;
use worker::wasm_bindgen::JsValue;

use crate::error::{ApiError, ApiResult};

/// Binds an integer that is not money (block numbers, chain ids, versions, unix times,
/// counts, 0/1 flags). D1 takes JavaScript numbers; these stay far below 2^53, where that
/// conversion is exact. Money never comes here: amounts, balances and feed answers bind
/// as decimal TEXT through `text` (and are never compared or summed in SQL).
pub(super) fn int(n: u64) -> JsValue {
    debug_assert!(n < (1 << 53));
    JsValue::from_f64(n as f64)
}

/// One page of a list read newest first by a two-column key (a time, then a tiebreak):
/// the rows older than the `after` cursor, or the rows newer than the `before` cursor.
/// Those are read upwards, nearest first, and turned round by [`Keyset::newest_first`].
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Keyset<C> {
    pub(super) after: Option<C>,
    pub(super) before: Option<C>,
}

impl<C> Keyset<C> {
    /// The page that runs from the cursor `c` in its direction (the first page without one).
    pub(super) fn new(cursor: Option<(Direction, C)>) -> Self {
        match cursor {
            Some((Direction::After, c)) => Self {
                after: Some(c),
                before: None,
            },
            Some((Direction::Before, c)) => Self {
                after: None,
                before: Some(c),
            },
            None => Self {
                after: None,
                before: None,
            },
        }
    }

    /// The end of a page's `WHERE`, after an `AND`: the key columns `key` (`created_unix,
    /// id`) compared with each cursor's key, given as SQL (its bound parameters, or a
    /// subquery by id) whose first parameter is NULL when that cursor is absent; then the
    /// order by the key and `LIMIT limit`.
    pub(super) fn sql(&self, key: &str, after: &str, before: &str, limit: &str) -> String {
        let order = if self.before.is_some() { "ASC" } else { "DESC" };
        let ordered = key
            .split(", ")
            .map(|column| format!("{column} {order}"))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "({} IS NULL OR ({key}) < ({after}))
             AND ({} IS NULL OR ({key}) > ({before}))
             ORDER BY {ordered} LIMIT {limit}",
            first_param(after),
            first_param(before),
        )
    }

    /// The page's rows, newest first.
    pub(super) fn newest_first<R>(&self, mut rows: Vec<R>) -> Vec<R> {
        if self.before.is_some() {
            rows.reverse();
        }
        rows
    }
}

impl Keyset<(Timestamp, &str)> {
    /// The page's parameters, bound after the query's own, for cursors bound as their key
    /// (a creation time, bound as unix seconds, and an id): the `after` cursor's two and
    /// the `before` cursor's two (NULL where there is no such cursor), then the limit.
    pub(super) fn params(&self, limit: u32) -> [JsValue; 5] {
        let unix = |c: Option<(Timestamp, &str)>| c.map_or(JsValue::NULL, |(t, _)| int(t.0));
        let id = |c: Option<(Timestamp, &str)>| opt_text(c.map(|(_, id)| id));
        [
            unix(self.after),
            id(self.after),
            unix(self.before),
            id(self.before),
            int(u64::from(limit)),
        ]
    }
}

/// The first numbered parameter (`?N`) in `sql`.
fn first_param(sql: &str) -> &str {
    let Some(start) = sql.find('?') else {
        debug_assert!(false, "a cursor's SQL binds a parameter: {sql}");
        return "NULL";
    };
    let digits = sql[start + 1..]
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(sql.len() - start - 1);
    &sql[start..=start + digits]
}

pub(super) fn text(s: &str) -> JsValue {
    JsValue::from_str(s)
}

/// Binds a time as the RFC 3339 TEXT every `…_at` column keeps.
pub(super) fn time(t: Timestamp) -> JsValue {
    JsValue::from_str(&t.to_string())
}

pub(super) fn opt_text(s: Option<&str>) -> JsValue {
    s.map_or(JsValue::NULL, JsValue::from_str)
}

/// Rows a statement changed, from D1's result metadata.
pub(super) fn changes(result: &D1Result) -> usize {
    result
        .meta()
        .ok()
        .flatten()
        .and_then(|m| m.changes)
        .unwrap_or(0)
}

pub(super) fn flag(b: bool) -> JsValue {
    int(u64::from(b))
}

pub(crate) fn address_key(a: &Address) -> String {
    format!("{a:#x}")
}

pub(super) fn json_text(rows: &[serde_json::Value]) -> ApiResult<String> {
    serde_json::to_string(rows).map_err(ApiError::internal)
}

#[cfg(test)]
mod tests {
    use kasse_shared::api::list::Direction::{After, Before};

    use super::{Keyset, first_param};

    #[test]
    fn a_cursor_starts_after_or_ends_before() {
        assert_eq!(
            Keyset::new(Some((After, 7))),
            Keyset {
                after: Some(7),
                before: None
            }
        );
        assert_eq!(
            Keyset::new(Some((Before, 7))),
            Keyset {
                after: None,
                before: Some(7)
            }
        );
        assert_eq!(
            Keyset::<u8>::new(None),
            Keyset {
                after: None,
                before: None
            }
        );
    }

    #[test]
    fn only_a_page_ending_before_a_cursor_is_read_upwards_and_turned_round() {
        assert_eq!(
            Keyset::new(Some((After, ()))).newest_first(vec![3, 2, 1]),
            [3, 2, 1]
        );
        assert_eq!(
            Keyset::<()>::new(None).newest_first(vec![3, 2, 1]),
            [3, 2, 1]
        );
        assert_eq!(
            Keyset::new(Some((Before, ()))).newest_first(vec![1, 2, 3]),
            [3, 2, 1]
        );
    }

    #[test]
    fn bound_cursors_compare_the_key_and_order_by_it() {
        let sql =
            Keyset::new(Some((After, ()))).sql("created_unix, id", "?9, ?10", "?11, ?12", "?13");
        assert_eq!(
            squeeze(&sql),
            "(?9 IS NULL OR (created_unix, id) < (?9, ?10)) \
             AND (?11 IS NULL OR (created_unix, id) > (?11, ?12)) \
             ORDER BY created_unix DESC, id DESC LIMIT ?13"
        );
    }

    #[test]
    fn cursors_by_id_read_their_key_and_a_page_before_one_reads_upwards() {
        let sql = Keyset::new(Some((Before, ()))).sql(
            "d.created_unix, d.rowid",
            "SELECT created_unix, rowid FROM webhook_deliveries WHERE id = ?3",
            "SELECT created_unix, rowid FROM webhook_deliveries WHERE id = ?4",
            "?5",
        );
        assert_eq!(
            squeeze(&sql),
            "(?3 IS NULL OR (d.created_unix, d.rowid) < (SELECT created_unix, rowid FROM webhook_deliveries WHERE id = ?3)) \
             AND (?4 IS NULL OR (d.created_unix, d.rowid) > (SELECT created_unix, rowid FROM webhook_deliveries WHERE id = ?4)) \
             ORDER BY d.created_unix ASC, d.rowid ASC LIMIT ?5"
        );
    }

    #[test]
    fn the_first_parameter_is_found_whatever_follows_it() {
        assert_eq!(first_param("?9, ?10"), "?9");
        assert_eq!(first_param("SELECT x FROM t WHERE id = ?12"), "?12");
        assert_eq!(first_param("?3)"), "?3");
    }

    fn squeeze(sql: &str) -> String {
        sql.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}
