//! Export pages: an account's sessions in one mode created in a range, oldest first, a
//! page at a time by the key (`created_unix`, `id`), alone or with their payments. Each
//! page is one round trip whatever the export's size.

use kasse_shared::api::exports::ExportRange;
use kasse_shared::ids::AccountId;
use kasse_shared::session::{Payment, Session};
use worker::wasm_bindgen::JsValue;

use super::Store;
use super::bind::{flag, int, opt_text, text};
use super::payments::{PAYMENT_COLUMNS, PaymentRow};
use super::sessions::SessionRow;
use crate::error::{ApiError, ApiResult};

/// Where the next page starts: after the session created at `.0` with id `.1`.
pub(crate) type ExportKey = (u64, String);

/// One page of sessions with the key to read the next page after.
pub(crate) struct ExportPage<T> {
    pub rows: Vec<T>,
    pub last: Option<ExportKey>,
}

/// The sessions of one page: the account's in its mode, created in the range, after the
/// key, oldest first. Parameters: ?1 account, ?2 mode, ?3 and ?4 the range, ?5 and ?6 the
/// key (NULL on the first page), ?7 the page size.
const PAGE_OF_SESSIONS: &str = "SELECT id, created_unix, data, accessed_at FROM checkout_sessions
     WHERE account_id = ?1 AND livemode = ?2
       AND (?3 IS NULL OR created_unix >= ?3)
       AND (?4 IS NULL OR created_unix <= ?4)
       AND (?5 IS NULL OR (created_unix, id) > (?5, ?6))
     ORDER BY created_unix, id LIMIT ?7";

#[derive(serde::Deserialize)]
struct ExportRow {
    id: String,
    created_unix: u64,
    data: String,
    #[serde(default)]
    accessed_at: Option<String>,
}

impl Store {
    fn page_args(
        account_id: &AccountId,
        livemode: bool,
        range: &ExportRange,
        after: Option<&ExportKey>,
        limit: u32,
    ) -> [JsValue; 7] {
        [
            text(account_id),
            flag(livemode),
            range.created_gte.map_or(JsValue::NULL, |t| int(t.0)),
            range.created_lte.map_or(JsValue::NULL, |t| int(t.0)),
            after.map_or(JsValue::NULL, |(t, _)| int(*t)),
            opt_text(after.map(|(_, id)| id.as_str())),
            int(u64::from(limit)),
        ]
    }

    /// Up to `limit` sessions after `after`.
    pub(crate) async fn export_sessions(
        &self,
        account_id: &AccountId,
        livemode: bool,
        range: &ExportRange,
        after: Option<&ExportKey>,
        limit: u32,
    ) -> ApiResult<ExportPage<Session>> {
        let args = Self::page_args(account_id, livemode, range, after, limit);
        let rows: Vec<ExportRow> = self.rows(PAGE_OF_SESSIONS, &args).await?;
        page(rows, Ok)
    }

    /// Up to `limit` sessions after `after`, each with its payments in chain order; the
    /// sessions and the payments are read in one batch, so they agree.
    pub(crate) async fn export_payments(
        &self,
        account_id: &AccountId,
        livemode: bool,
        range: &ExportRange,
        after: Option<&ExportKey>,
        limit: u32,
    ) -> ApiResult<ExportPage<(Session, Vec<Payment>)>> {
        let args = Self::page_args(account_id, livemode, range, after, limit);
        let payments_sql = format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments
             WHERE session_id IN (SELECT id FROM ({PAGE_OF_SESSIONS}))
             ORDER BY session_id, block_number, log_index"
        );
        let results = self
            .batch(vec![
                self.stmt(PAGE_OF_SESSIONS, &args)?,
                self.stmt(&payments_sql, &args)?,
            ])
            .await?;
        let [sessions, payments] = &results[..] else {
            return Err(ApiError::internal("export batch answered short"));
        };
        let payments = payments.results::<PaymentRow>()?;
        page(sessions.results::<ExportRow>()?, |session| {
            let own = payments
                .iter()
                .filter(|p| p.session_id == session.id)
                .map(|p| p.payment().cloned())
                .collect::<ApiResult<_>>()?;
            Ok((session, own))
        })
    }
}

/// The page of `rows`, each read into its session and then into what `each` makes of it.
fn page<T>(
    rows: Vec<ExportRow>,
    each: impl Fn(Session) -> ApiResult<T>,
) -> ApiResult<ExportPage<T>> {
    let last = rows.last().map(|r| (r.created_unix, r.id.clone()));
    let rows = rows
        .into_iter()
        .map(|r| {
            let stored = SessionRow {
                data: r.data,
                accessed_at: r.accessed_at,
            };
            each(stored.session()?)
        })
        .collect::<ApiResult<_>>()?;
    Ok(ExportPage { rows, last })
}
