//! Checkout sessions: the JSON document with its indexed columns, inserted with its watch
//! rows and first event, read alone or with its payments, listed, and changed through
//! `changes` (every change is written exactly once).

use std::collections::BTreeMap;

use alloy_primitives::{BlockNumber, ChainId, U256};
use kasse_shared::account::Settings;
use kasse_shared::api::list::{Direction, SessionFilter};
use kasse_shared::api::sweeps::SweptRecord;
use kasse_shared::ids::{AccountId, PaymentId, SessionId};
use kasse_shared::refund::Refund;
use kasse_shared::session::watch::WatchedChain;
use kasse_shared::session::{Heads, Payment, Session};
use kasse_shared::time::Timestamp;
use serde::Deserialize;
use worker::D1Result;
use worker::wasm_bindgen::JsValue;

use super::accounts::KeyRow;
use super::bind::{Keyset, address_key, changes, flag, int, opt_text, text, time};
use super::events::{NewEvent, event_row};
use super::payments::{PAYMENT_COLUMNS, PaymentRow};
use super::prices::PriceRow;
use super::refunds::{REFUND_COLUMNS, RefundRow, refunds_of};
use super::{CallerKey, Change, SessionRefunds, Stmt, Store, Written};
use crate::error::{ApiError, ApiResult};

/// A native-coin baseline taken at creation: the balance at `block`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Baseline {
    pub block: BlockNumber,
    pub balance: U256,
}

/// A session as stored: its JSON document, and `accessed_at` kept beside it.
#[derive(Debug, Deserialize)]
pub(super) struct SessionRow {
    pub(super) data: String,
    #[serde(default)]
    pub(super) accessed_at: Option<String>,
}

impl SessionRow {
    pub(super) fn session(&self) -> ApiResult<Session> {
        let mut session: Session = serde_json::from_str(&self.data)
            .map_err(|e| ApiError::internal(format!("stored session: {e}")))?;
        session.accessed_at = self
            .accessed_at
            .as_deref()
            .and_then(Timestamp::parse_rfc3339);
        Ok(session)
    }
}

/// A session with its payments and the chain heads.
pub(crate) type SessionInFull = (Session, Vec<Payment>, Heads);

/// What a shopper's view of a session is built from.
pub(crate) struct ShopperReads {
    pub session: Session,
    pub payments: Vec<Payment>,
    /// The ids of `payments`, in their order.
    pub payment_ids: Vec<PaymentId>,
    /// The session's refunds, oldest first.
    pub refunds: Vec<Refund>,
    pub heads: Heads,
    pub settings: Settings,
}

/// The settings of a session's own account and mode.
const SETTINGS_OF_SESSION: &str = "SELECT a.settings FROM checkout_sessions s
     JOIN account_settings a ON a.account_id = s.account_id AND a.livemode = s.livemode
     WHERE s.id = ?1";

/// The session in full from the results of [`Store::in_full_stmts`].
fn in_full(results: &[D1Result]) -> ApiResult<Option<SessionInFull>> {
    let [session, payments, heads] = results else {
        return Err(ApiError::internal("session batch answered short"));
    };
    let Some(row) = session.results::<SessionRow>()?.into_iter().next() else {
        return Ok(None);
    };
    let payments = PaymentRow::payments(&payments.results::<PaymentRow>()?)?;
    Ok(Some((row.session()?, payments, heads_of(heads)?)))
}

/// The rows of `SELECT chain_id, head FROM chain_cursors`.
fn heads_of(result: &D1Result) -> ApiResult<Heads> {
    #[derive(Deserialize)]
    struct HeadRow {
        chain_id: u64,
        head: Option<u64>,
    }
    Ok(result
        .results::<HeadRow>()?
        .into_iter()
        .filter_map(|h| Some((h.chain_id, h.head?)))
        .collect())
}

/// What a page of merchant session objects needs besides the sessions: their payments by
/// session, the chain heads and what sweeps moved out of their addresses.
pub(crate) type PageReads = (
    BTreeMap<SessionId, Vec<Payment>>,
    Heads,
    Vec<SweptRecord>,
    SessionRefunds,
);

impl Store {
    /// Inserts a new session with its watch rows (one per chain of `watched`, with the
    /// native baseline where the native coin is watched) and its `session.created` event.
    /// Always `Written::Change`: a session that cannot be inserted is an error.
    pub(crate) async fn insert_session(
        &self,
        session: &Session,
        watched: &[WatchedChain],
        baselines: &BTreeMap<ChainId, Baseline>,
        prices: &[PriceRow],
        event: &NewEvent,
        write_token: &str,
    ) -> ApiResult<Written> {
        let data = serde_json::to_string(session).map_err(ApiError::internal)?;
        let address = address_key(&session.address);
        let created = session.created_at.to_string();
        let mut batch = vec![self.stmt(
            "INSERT INTO checkout_sessions (id, account_id, livemode, status, version, write_token, payment_link, address,
                 customer_email, data, created_at, created_unix, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?11)",
            &[
                text(&session.id),
                text(&session.account_id),
                flag(session.livemode),
                text(session.status.as_str()),
                int(session.version),
                text(write_token),
                opt_text(session.payment_link.as_deref()),
                text(&address),
                opt_text(session.customer_email.as_deref()),
                text(&data),
                text(&created),
                int(session.created_at.0),
            ],
        )?];
        for chain in watched {
            let chain_id = chain.chain_id;
            let baseline = baselines.get(&chain_id).filter(|_| chain.native);
            batch.push(self.stmt(
                "INSERT INTO watch (chain_id, address, session_id, watch_until_unix, native_baseline, native_baseline_block, due_unix,
                     baseline_block)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, COALESCE(?6, (SELECT head FROM chain_cursors WHERE chain_id = ?1)))",
                &[
                    int(chain_id),
                    text(&address_key(&chain.address)),
                    text(&session.id),
                    int(session.late_until.0),
                    opt_text(baseline.map(|b| b.balance.to_string()).as_deref()),
                    baseline.map_or(JsValue::NULL, |b| int(b.block)),
                    int(session.due().0),
                ],
            )?);
        }
        for price in prices {
            batch.push(self.price_stmt(price, session.created_at)?);
        }
        batch.push(self.events_stmt(&[event_row(session, event, write_token)])?);
        batch.push(self.fan_out_stmt(&[&event.id])?);
        match self.batch(batch).await {
            Ok(results) => Ok(Written::Change {
                deliveries: results.last().is_some_and(|r| changes(r) > 0),
            }),
            Err(e) if e.to_string().contains("checkout_sessions.address") => {
                Err(ApiError::internal(
                    "derived address already belongs to another session: two accounts share an xpub node",
                ))
            }
            Err(e) => Err(e.into()),
        }
    }

    pub(crate) async fn session(&self, id: &SessionId) -> ApiResult<Option<Session>> {
        let row: Option<SessionRow> = self
            .row(
                "SELECT data, accessed_at FROM checkout_sessions WHERE id = ?1",
                &[text(id)],
            )
            .await?;
        row.map(|r| r.session()).transpose()
    }

    /// A session with its payments and the chain heads, in one round trip (one batch of
    /// three reads): what every answer that shows a session needs.
    pub(crate) async fn session_in_full(&self, id: &SessionId) -> ApiResult<Option<SessionInFull>> {
        let results = self.batch(self.in_full_stmts(id)?).await?;
        in_full(&results)
    }

    /// The caller `key` names (as [`Store::caller`] reads it, an API key or a console
    /// session), the session `id` in full and what sweeps moved out of its address, in one
    /// round trip: a merchant's retrieve, decided in Rust once all are read.
    pub(crate) async fn session_in_full_with_caller(
        &self,
        key: &CallerKey,
        id: &SessionId,
        now: Timestamp,
    ) -> ApiResult<(
        Option<KeyRow>,
        Option<SessionInFull>,
        (Vec<SweptRecord>, SessionRefunds),
    )> {
        let mut batch = self.caller_stmts(key, now)?;
        let caller_statements = batch.len();
        batch.extend(self.in_full_stmts(id)?);
        let ids = serde_json::to_string(&[id]).map_err(ApiError::internal)?;
        batch.push(self.swept_stmt(&ids)?);
        batch.extend(self.session_refunds_stmts(&ids)?);
        let results = self.batch(batch).await?;
        let [session @ .., swept, refunds, payment_ids] =
            results.get(caller_statements..).unwrap_or_default()
        else {
            return Err(ApiError::internal("key and session batch answered short"));
        };
        let caller = super::console::caller_row(&results)?;
        Ok((
            caller,
            in_full(session)?,
            (
                super::sweeps::swept_records(swept)?,
                super::refunds::session_refunds(refunds, payment_ids)?,
            ),
        ))
    }

    /// What a page of the sessions `ids` needs to be shown ([`PageReads`]), in one round trip.
    pub(crate) async fn page_reads(&self, ids: &[&SessionId]) -> ApiResult<PageReads> {
        if ids.is_empty() {
            return Ok((
                BTreeMap::new(),
                Heads::new(),
                Vec::new(),
                SessionRefunds::default(),
            ));
        }
        let list = serde_json::to_string(ids).map_err(ApiError::internal)?;
        let mut batch = vec![
            self.stmt(
                &format!(
                    "SELECT {PAYMENT_COLUMNS} FROM payments WHERE session_id IN (SELECT value FROM json_each(?1))
                     ORDER BY block_number, log_index"
                ),
                &[text(&list)],
            )?,
            self.stmt("SELECT chain_id, head FROM chain_cursors", &[])?,
            self.swept_stmt(&list)?,
        ];
        batch.extend(self.session_refunds_stmts(&list)?);
        let results = self.batch(batch).await?;
        let [payments, heads, swept, refunds, payment_ids] = &results[..] else {
            return Err(ApiError::internal("page batch answered short"));
        };
        let mut by_session: BTreeMap<SessionId, Vec<Payment>> = BTreeMap::new();
        for row in payments.results::<PaymentRow>()? {
            let payment = row.payment()?.clone();
            by_session.entry(row.session_id).or_default().push(payment);
        }
        Ok((
            by_session,
            heads_of(heads)?,
            super::sweeps::swept_records(swept)?,
            super::refunds::session_refunds(refunds, payment_ids)?,
        ))
    }

    /// Everything a shopper's view of session `id` needs, in one round trip: the session in
    /// full, its refunds and its account's settings in its mode (the branding, whether
    /// shoppers may request refunds, and the origins CORS allows).
    pub(crate) async fn shopper_reads(&self, id: &SessionId) -> ApiResult<Option<ShopperReads>> {
        let mut batch = self.in_full_stmts(id)?;
        batch.push(self.stmt(
            &format!(
                "SELECT {REFUND_COLUMNS} FROM refunds WHERE session_id = ?1 ORDER BY created_unix, rowid"
            ),
            &[text(id)],
        )?);
        batch.push(self.stmt(SETTINGS_OF_SESSION, &[text(id)])?);
        let results = self.batch(batch).await?;
        let [full @ .., refunds, settings] = &results[..] else {
            return Err(ApiError::internal("shopper batch answered short"));
        };
        let Some((session, payments, heads)) = in_full(full)? else {
            return Ok(None);
        };
        let payment_rows = full.get(1).map(D1Result::results::<PaymentRow>);
        let payment_ids = payment_rows
            .transpose()?
            .unwrap_or_default()
            .into_iter()
            .map(|r| r.id)
            .collect();
        #[derive(Deserialize)]
        struct SettingsRow {
            settings: String,
        }
        let row = settings.results::<SettingsRow>()?.into_iter().next();
        let row = row
            .ok_or_else(|| ApiError::internal(format!("the account of session {id} is missing")))?;
        Ok(Some(ShopperReads {
            session,
            payments,
            payment_ids,
            refunds: refunds_of(refunds.results::<RefundRow>()?),
            heads,
            settings: serde_json::from_str(&row.settings).map_err(ApiError::internal)?,
        }))
    }

    /// The three reads of [`Store::session_in_full`], for a batch.
    fn in_full_stmts(&self, id: &SessionId) -> ApiResult<Vec<Stmt<'_>>> {
        Ok(vec![
            self.stmt(
                "SELECT data, accessed_at FROM checkout_sessions WHERE id = ?1",
                &[text(id)],
            )?,
            self.stmt(
                &format!(
                    "SELECT {PAYMENT_COLUMNS} FROM payments WHERE session_id = ?1 ORDER BY block_number, log_index"
                ),
                &[text(id)],
            )?,
            self.stmt("SELECT chain_id, head FROM chain_cursors", &[])?,
        ])
    }

    /// When the session `id` of this account and mode was created (a list cursor).
    pub(crate) async fn session_created(
        &self,
        account_id: &AccountId,
        livemode: bool,
        id: &SessionId,
    ) -> ApiResult<Option<Timestamp>> {
        #[derive(Deserialize)]
        struct Row {
            created_unix: u64,
        }
        let row: Option<Row> = self
            .row(
                "SELECT created_unix FROM checkout_sessions WHERE id = ?1 AND account_id = ?2 AND livemode = ?3",
                &[text(id), text(account_id), flag(livemode)],
            )
            .await?;
        Ok(row.map(|r| Timestamp(r.created_unix)))
    }

    /// One page of an account's sessions in one mode, newest first; `limit + 1` rows are
    /// read so the caller knows whether there are more. `cursor` is the creation time and
    /// id of the object to start after (older) or end before (newer).
    pub(crate) async fn list_sessions(
        &self,
        account_id: &AccountId,
        livemode: bool,
        filter: &SessionFilter,
        cursor: Option<(Direction, (Timestamp, &str))>,
        limit: u32,
    ) -> ApiResult<Vec<Session>> {
        let statuses = filter.statuses.as_ref().map(|list| {
            serde_json::to_string(&list.iter().map(|s| s.as_str()).collect::<Vec<_>>())
                .unwrap_or_default()
        });
        let page = Keyset::new(cursor);
        let rows: Vec<SessionRow> = self
            .rows(
                &format!(
                    "SELECT data, accessed_at FROM checkout_sessions
                     WHERE account_id = ?1 AND livemode = ?2
                       AND (?3 IS NULL OR status IN (SELECT value FROM json_each(?3)))
                       AND (?4 IS NULL OR payment_link = ?4)
                       AND (?5 IS NULL OR created_unix >= ?5)
                       AND (?6 IS NULL OR created_unix <= ?6)
                       AND (?7 IS NULL OR customer_email = ?7)
                       AND (?8 IS NULL OR funded = ?8)
                       AND {}",
                    page.sql("created_unix, id", "?9, ?10", "?11, ?12", "?13")
                ),
                &[
                    [
                        text(account_id),
                        flag(livemode),
                        opt_text(statuses.as_deref()),
                        opt_text(filter.payment_link.as_deref()),
                        filter.created_gte.map_or(JsValue::NULL, |t| int(t.0)),
                        filter.created_lte.map_or(JsValue::NULL, |t| int(t.0)),
                        opt_text(filter.customer_email.as_deref()),
                        filter.funded.map_or(JsValue::NULL, flag),
                    ]
                    .as_slice(),
                    &page.params(limit),
                ]
                .concat(),
            )
            .await?;
        let sessions = rows
            .iter()
            .map(SessionRow::session)
            .collect::<ApiResult<_>>()?;
        Ok(page.newest_first(sessions))
    }

    /// Records that a shopper opened the session, at most every five minutes and outside
    /// the document, so `version`, `updated_at` and the ETag stay as they are.
    pub(crate) async fn touch_session(&self, id: &SessionId, now: Timestamp) -> ApiResult<()> {
        self.exec(
            "UPDATE checkout_sessions SET accessed_at = ?2
             WHERE id = ?1 AND (accessed_at IS NULL OR accessed_at <= ?3)",
            &[
                text(id),
                time(now),
                time(Timestamp(now.0.saturating_sub(300))),
            ],
        )
        .await
    }

    /// Writes a session change with everything it causes, exactly once. Returns
    /// `Written::Nothing` if another writer changed the session first.
    pub(crate) async fn apply_change(
        &self,
        previous_version: u64,
        session: &Session,
        payment_updates: &[(PaymentId, Payment)],
        events: &[NewEvent],
        settling: Option<bool>,
        write_token: &str,
    ) -> ApiResult<Written> {
        self.write_change(Change {
            previous_version,
            session,
            payment_updates,
            events,
            settling,
            write_token,
            only_without_payments: false,
        })
        .await
    }

    /// Cancels a session with its event, only if it is still at `previous_version` and still
    /// has no payment rows at all. Returns `Written::Nothing` if either changed.
    pub(crate) async fn cancel_session(
        &self,
        previous_version: u64,
        session: &Session,
        event: &NewEvent,
        write_token: &str,
    ) -> ApiResult<Written> {
        self.write_change(Change {
            previous_version,
            session,
            payment_updates: &[],
            events: std::slice::from_ref(event),
            settling: None,
            write_token,
            only_without_payments: true,
        })
        .await
    }
}
