//! Search: a page of an account's sessions in one mode that one term names. Each kind of
//! term has its own query, and each is answered from an index (see `0012_search.sql`);
//! the e2e suite checks every plan with `EXPLAIN QUERY PLAN`.
//!
//! The unary `+` on `account_id` and `livemode` keeps SQLite from reading the whole
//! account's sessions through the list index and filtering them: those two columns are
//! checked on the few rows the term's own index finds.

use kasse_shared::api::list::Direction;
use kasse_shared::api::search::SearchTerm;
use kasse_shared::ids::AccountId;
use kasse_shared::session::Session;
use kasse_shared::time::Timestamp;

use super::Store;
use super::bind::{Keyset, flag, text};
use super::sessions::SessionRow;
use crate::error::ApiResult;

const BY_ID: &str = "SELECT data, accessed_at FROM checkout_sessions
     WHERE id = ?3 AND +account_id = ?1 AND +livemode = ?2";
const BY_ADDRESS: &str = "SELECT data, accessed_at FROM checkout_sessions
     WHERE address = ?3 AND +account_id = ?1 AND +livemode = ?2";
const BY_TX_HASH: &str = "SELECT data, accessed_at FROM checkout_sessions
     WHERE id IN (SELECT session_id FROM payments WHERE tx_hash = ?3) AND +account_id = ?1 AND +livemode = ?2";
const BY_EMAIL: &str = "SELECT data, accessed_at FROM checkout_sessions
     WHERE account_id = ?1 AND livemode = ?2 AND lower(customer_email) = ?3";

fn query_of(term: &SearchTerm) -> &'static str {
    match term {
        SearchTerm::SessionId(_) => BY_ID,
        SearchTerm::Address(_) => BY_ADDRESS,
        SearchTerm::TxHash(_) => BY_TX_HASH,
        SearchTerm::Email(_) => BY_EMAIL,
    }
}

impl Store {
    /// The sessions of this account and mode that `term` names, newest first, `limit` of
    /// them from `cursor` (the creation time and id of the object to run from).
    pub(crate) async fn search_sessions(
        &self,
        account_id: &AccountId,
        livemode: bool,
        term: &SearchTerm,
        cursor: Option<(Direction, (Timestamp, &str))>,
        limit: u32,
    ) -> ApiResult<Vec<Session>> {
        let page = Keyset::new(cursor);
        let sql = format!(
            "{} AND {}",
            query_of(term),
            page.sql("created_unix, id", "?4, ?5", "?6, ?7", "?8")
        );
        let args = [
            [text(account_id), flag(livemode), text(term.value())].as_slice(),
            &page.params(limit),
        ]
        .concat();
        let rows: Vec<SessionRow> = self.rows(&sql, &args).await?;
        let sessions = rows
            .iter()
            .map(SessionRow::session)
            .collect::<ApiResult<_>>()?;
        Ok(page.newest_first(sessions))
    }
}
