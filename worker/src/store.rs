//! Every D1 and KV access of the worker. Handlers and the watcher never write SQL.
//!
//! Exactly-once rule: a session change is one `db.batch` (atomic): the `UPDATE … WHERE
//! id = ? AND version = ?` that sets a fresh `write_token`, then every row the change
//! causes (payment updates, events) inserted only `WHERE EXISTS` a session row carrying
//! that token. A run that lost the race updates nothing and so writes nothing.

use std::collections::BTreeMap;

use alloy_primitives::{Address, B256, U256};
use kasse_shared::api::list::SessionFilter;
use kasse_shared::session::{Heads, Payment, PaymentStatus, Session};
use kasse_shared::time::Timestamp;
use serde::Deserialize;
use std::cell::Cell;
use worker::wasm_bindgen::JsValue;

use worker::{D1Database, D1PreparedStatement, D1Result, Env};

use crate::config;
use crate::error::{ApiError, ApiResult};

mod accounts;
mod changes;
mod idempotency;
mod links;
mod retention;
mod watch;
mod webhooks;
pub use accounts::{KeyInfo, NewKey, NewXpub};
pub use changes::Change;
pub use idempotency::IdempotencyRecord;
pub use watch::Candidate;
pub use webhooks::{AttemptRecord, Claimed, EndpointRow, Scope};

/// Binds an integer that is not money (block numbers, chain ids, versions, unix times,
/// counts, 0/1 flags). D1 takes JavaScript numbers; these stay far below 2^53, where that
/// conversion is exact. Money never comes here: amounts, balances and feed answers bind
/// as decimal TEXT through `text` (and are never compared or summed in SQL).
fn int(n: u64) -> JsValue {
    debug_assert!(n < (1 << 53));
    #[allow(clippy::cast_precision_loss)]
    JsValue::from_f64(n as f64)
}

/// A list cursor as the queries bind it: what to start after (older), what to end before
/// (newer), and the order to read in. Ending before a cursor reads the nearest newer rows
/// upwards; the caller turns them round.
fn page_bounds<T>(cursor: Option<(bool, T)>) -> (Option<T>, Option<T>, &'static str) {
    match cursor {
        Some((true, c)) => (Some(c), None, "DESC"),
        Some((false, c)) => (None, Some(c), "ASC"),
        None => (None, None, "DESC"),
    }
}

fn text(s: &str) -> JsValue {
    JsValue::from_str(s)
}

fn opt_text(s: Option<&str>) -> JsValue {
    s.map_or(JsValue::NULL, JsValue::from_str)
}

/// Rows a statement changed, from D1's result metadata.
fn changes(result: &D1Result) -> usize {
    result
        .meta()
        .ok()
        .flatten()
        .and_then(|m| m.changes)
        .unwrap_or(0)
}

fn flag(b: bool) -> JsValue {
    int(u64::from(b))
}

fn payment_status(s: PaymentStatus) -> &'static str {
    match s {
        PaymentStatus::Detected => "detected",
        PaymentStatus::Confirmed => "confirmed",
        PaymentStatus::Reorged => "reorged",
    }
}

pub fn address_key(a: &Address) -> String {
    format!("{a:#x}")
}

pub struct Store {
    db: D1Database,
    usage: Cell<D1Usage>,
}

#[derive(Debug, Deserialize)]
pub struct CursorRow {
    pub chain_id: u64,
    pub head: Option<u64>,
    pub cursor: Option<u64>,
    pub last_error: Option<String>,
    pub checked_at: String,
    pub scan_range: Option<u64>,
    pub deep_reorg: Option<String>,
}

/// A JSON document row: a session (with `accessed_at`, kept beside the document) or a link.
#[derive(Debug, Deserialize)]
struct SessionRow {
    data: String,
    #[serde(default)]
    accessed_at: Option<String>,
}

impl SessionRow {
    fn session(&self) -> ApiResult<Session> {
        let mut session: Session = serde_json::from_str(&self.data)
            .map_err(|e| ApiError::internal(format!("stored session: {e}")))?;
        session.accessed_at = self
            .accessed_at
            .as_deref()
            .and_then(Timestamp::parse_rfc3339);
        Ok(session)
    }
}

#[derive(Debug, Deserialize)]
pub struct PaymentRow {
    pub id: String,
    pub session_id: String,
    pub chain_id: u64,
    pub token: String,
    pub address: String,
    pub tx_hash: Option<String>,
    pub log_index: Option<u64>,
    pub block_number: u64,
    pub block_hash: String,
    pub block_time: String,
    pub amount: String,
    pub status: PaymentStatus,
    pub counted: u8,
    /// JSON of the quote a late native payment is valued at, if any.
    #[serde(default)]
    pub repriced: Option<String>,
}

impl PaymentRow {
    pub fn to_payment(&self) -> ApiResult<Payment> {
        let bad = |what: &str| {
            ApiError::internal(format!("payment {}: stored {what} is malformed", self.id))
        };
        Ok(Payment {
            chain_id: self.chain_id,
            token: self.token.clone(),
            tx_hash: self
                .tx_hash
                .as_deref()
                .map(str::parse::<B256>)
                .transpose()
                .map_err(|_| bad("tx_hash"))?,
            log_index: self.log_index,
            block_number: self.block_number,
            block_hash: self.block_hash.parse().map_err(|_| bad("block_hash"))?,
            block_time: Timestamp::parse_rfc3339(&self.block_time)
                .ok_or_else(|| bad("block_time"))?,
            amount: kasse_shared::money::parse_base_units(&self.amount)
                .ok_or_else(|| bad("amount"))?,
            status: self.status,
            counted: self.counted != 0,
            repriced: self
                .repriced
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .map_err(|_| bad("repriced"))?,
        })
    }
}

const PAYMENT_COLUMNS: &str = "id, session_id, chain_id, token, address, tx_hash, log_index, block_number, block_hash, block_time, amount, status, counted, repriced";

/// A transfer the watcher found, to be recorded once.
pub struct NewPayment {
    pub session_id: String,
    pub payment: Payment,
    pub address: Address,
}

#[derive(Debug, Deserialize)]
pub struct WatchRow {
    pub address: String,
    pub session_id: String,
    /// Balance and block of the baseline; `None` when the native coin is not watched.
    pub native_baseline: Option<String>,
    pub native_baseline_block: Option<u64>,
    /// The chain's head at the session's creation (see the migration): transfers up to it
    /// are not the session's.
    #[serde(default)]
    pub baseline_block: Option<u64>,
}

impl WatchRow {
    /// The native-coin watch of this row, if the session has one on this chain.
    pub fn native(&self) -> ApiResult<Option<crate::native::Watched>> {
        let (Some(balance), Some(block)) = (&self.native_baseline, self.native_baseline_block)
        else {
            return Ok(None);
        };
        let bad = || ApiError::internal(format!("watch row of {} is malformed", self.session_id));
        Ok(Some(crate::native::Watched {
            session_id: self.session_id.clone(),
            address: self.address.parse().map_err(|_| bad())?,
            baseline: kasse_shared::money::parse_base_units(balance).ok_or_else(bad)?,
            baseline_block: block,
        }))
    }
}

/// A native-coin baseline taken at creation: the balance at `block`.
#[derive(Debug, Clone, Copy)]
pub struct Baseline {
    pub block: u64,
    pub balance: U256,
}

/// A feed round to cache (spec §5: the price cache lives in D1).
pub struct PriceRow {
    pub chain_id: u64,
    pub answer: alloy_primitives::I256,
    pub updated_at: u64,
}

/// An event to insert with a session change: its id, type, cause (the transfer's key for
/// a payment event, else empty) and frozen body.
pub struct NewEvent {
    pub id: String,
    pub kind: &'static str,
    pub cause: String,
    pub body: String,
}

/// What this store's queries cost, from D1's own result metadata: the figures the bench
/// prints and `GET /v1/health/chains` shows for the last scheduled run.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct D1Usage {
    pub queries: u64,
    pub rows_read: u64,
    pub rows_written: u64,
}

/// A prepared statement that reports its cost to the store that made it.
pub struct Stmt<'a> {
    inner: D1PreparedStatement,
    usage: &'a Cell<D1Usage>,
}

fn note(usage: &Cell<D1Usage>, result: &D1Result) {
    let meta = result.meta().ok().flatten();
    let mut u = usage.get();
    u.queries += 1;
    u.rows_read += meta.as_ref().and_then(|m| m.rows_read).unwrap_or(0) as u64;
    u.rows_written += meta.as_ref().and_then(|m| m.rows_written).unwrap_or(0) as u64;
    usage.set(u);
}

impl Stmt<'_> {
    pub async fn all(&self) -> worker::Result<D1Result> {
        let result = self.inner.all().await?;
        note(self.usage, &result);
        Ok(result)
    }

    pub async fn run(&self) -> worker::Result<D1Result> {
        let result = self.inner.run().await?;
        note(self.usage, &result);
        Ok(result)
    }

    /// The first row (or one column of it), like D1's `first`, but with its cost counted.
    pub async fn first<T: for<'de> Deserialize<'de>>(
        &self,
        column: Option<&str>,
    ) -> worker::Result<Option<T>> {
        let rows: Vec<serde_json::Value> = self.all().await?.results()?;
        let Some(row) = rows.into_iter().next() else {
            return Ok(None);
        };
        let value = match column {
            Some(c) => row.get(c).cloned().unwrap_or(serde_json::Value::Null),
            None => row,
        };
        serde_json::from_value(value)
            .map(Some)
            .map_err(|e| worker::Error::RustError(e.to_string()))
    }
}

impl Store {
    pub fn new(env: &Env) -> worker::Result<Self> {
        Ok(Self {
            db: config::db(env)?,
            usage: Cell::default(),
        })
    }

    /// D1 usage of every query this store ran so far.
    pub fn usage(&self) -> D1Usage {
        self.usage.get()
    }

    fn stmt(&self, sql: &str, args: &[JsValue]) -> ApiResult<Stmt<'_>> {
        Ok(Stmt {
            inner: self.db.prepare(sql).bind(args)?,
            usage: &self.usage,
        })
    }

    /// Runs statements as one atomic D1 batch, counting each.
    async fn batch(&self, statements: Vec<Stmt<'_>>) -> worker::Result<Vec<D1Result>> {
        let results = self
            .db
            .batch(statements.into_iter().map(|s| s.inner).collect())
            .await?;
        for result in &results {
            note(&self.usage, result);
        }
        Ok(results)
    }

    // ----- chain cursors and deployment facts -------------------------------------------

    /// Records a successful look at a chain's head.
    pub async fn record_head(&self, chain_id: u64, head: u64, now: &str) -> ApiResult<()> {
        self.stmt(
            "INSERT INTO chain_cursors (chain_id, head, last_error, checked_at) VALUES (?1, ?2, NULL, ?3)
             ON CONFLICT (chain_id) DO UPDATE SET head = excluded.head, last_error = NULL, checked_at = excluded.checked_at",
            &[int(chain_id), int(head), text(now)],
        )?
        .run()
        .await?;
        Ok(())
    }

    /// Records a failed run; the head and cursor stay as they were.
    pub async fn record_chain_error(&self, chain_id: u64, error: &str, now: &str) -> ApiResult<()> {
        self.stmt(
            "INSERT INTO chain_cursors (chain_id, last_error, checked_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (chain_id) DO UPDATE SET last_error = excluded.last_error, checked_at = excluded.checked_at",
            &[int(chain_id), text(error), text(now)],
        )?
        .run()
        .await?;
        Ok(())
    }

    /// Moves a chain's cursor from `from` to `to`, only if no other run moved it meanwhile,
    /// and sets how far the next run may move it.
    pub async fn advance_cursor(
        &self,
        chain_id: u64,
        from: Option<u64>,
        to: u64,
        scan_range: u64,
    ) -> ApiResult<bool> {
        let result = self
            .stmt(
                "UPDATE chain_cursors SET cursor = ?3, scan_range = ?4 WHERE chain_id = ?1 AND cursor IS ?2",
                &[int(chain_id), from.map_or(JsValue::NULL, int), int(to), int(scan_range)],
            )?
            .run()
            .await?;
        Ok(result.meta()?.and_then(|m| m.changes).unwrap_or(0) == 1)
    }

    /// After a failed scan: the next run moves the cursor at most `scan_range` blocks.
    pub async fn narrow_scan(&self, chain_id: u64, scan_range: u64) -> ApiResult<()> {
        self.stmt(
            "UPDATE chain_cursors SET scan_range = ?2 WHERE chain_id = ?1",
            &[int(chain_id), int(scan_range)],
        )?
        .run()
        .await?;
        Ok(())
    }

    /// Remembers a reorg deeper than the confirmations under a final session (shown in health).
    pub async fn record_deep_reorg(&self, chain_id: u64, note: &str) -> ApiResult<()> {
        self.stmt(
            "UPDATE chain_cursors SET deep_reorg = ?2 WHERE chain_id = ?1",
            &[int(chain_id), text(note)],
        )?
        .run()
        .await?;
        Ok(())
    }

    pub async fn cursors(&self) -> ApiResult<Vec<CursorRow>> {
        Ok(self
            .stmt("SELECT chain_id, head, cursor, last_error, checked_at, scan_range, deep_reorg FROM chain_cursors ORDER BY chain_id", &[])?
            .all()
            .await?
            .results()?)
    }

    pub async fn heads(&self) -> ApiResult<Heads> {
        Ok(self
            .cursors()
            .await?
            .into_iter()
            .filter_map(|c| Some((c.chain_id, c.head?)))
            .collect())
    }

    pub async fn put_meta(&self, key: &str, value: &str, now: &str) -> ApiResult<()> {
        self.stmt(
            "INSERT INTO meta (key, value, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            &[text(key), text(value), text(now)],
        )?
        .run()
        .await?;
        Ok(())
    }

    pub async fn meta(&self, key: &str) -> ApiResult<Option<String>> {
        Ok(self
            .stmt("SELECT value FROM meta WHERE key = ?1", &[text(key)])?
            .first(Some("value"))
            .await?)
    }

    // ----- sessions --------------------------------------------------------------------------

    /// Inserts a new session with its watch rows and its `session.created` event.
    pub async fn insert_session(
        &self,
        session: &Session,
        baselines: &BTreeMap<u64, Baseline>,
        prices: &[PriceRow],
        event: &NewEvent,
        write_token: &str,
    ) -> ApiResult<()> {
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
        let mut chains: Vec<u64> = session.options.iter().map(|q| q.chain_id).collect();
        chains.dedup();
        for chain_id in chains {
            let baseline = baselines.get(&chain_id);
            batch.push(self.stmt(
                "INSERT INTO watch (chain_id, address, session_id, watch_until_unix, native_baseline, native_baseline_block, due_unix,
                     baseline_block)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, COALESCE(?6, (SELECT head FROM chain_cursors WHERE chain_id = ?1)))",
                &[
                    int(chain_id),
                    text(&address),
                    text(&session.id),
                    int(session.late_until.0),
                    opt_text(baseline.map(|b| b.balance.to_string()).as_deref()),
                    baseline.map_or(JsValue::NULL, |b| int(b.block)),
                    int(session.due().0),
                ],
            )?);
        }
        for price in prices {
            batch.push(self.price_stmt(price, session.created_at.0)?);
        }
        batch.push(self.events_stmt(&[changes::event_row(session, event, write_token)])?);
        batch.push(self.fan_out_stmt(&[event.id.as_str()])?);
        match self.batch(batch).await {
            Ok(results) => {
                if results.last().is_some_and(|r| changes(r) > 0) {
                    crate::webhooks::note_written(&session.id);
                }
                Ok(())
            }
            Err(e) if e.to_string().contains("checkout_sessions.address") => {
                Err(ApiError::internal(
                    "derived address already belongs to another session: two accounts share an xpub node",
                ))
            }
            Err(e) => Err(e.into()),
        }
    }

    pub async fn session(&self, id: &str) -> ApiResult<Option<Session>> {
        let row: Option<SessionRow> = self
            .stmt(
                "SELECT data, accessed_at FROM checkout_sessions WHERE id = ?1",
                &[text(id)],
            )?
            .first(None)
            .await?;
        row.map(|r| r.session()).transpose()
    }

    /// A session with its payments and the chain heads, in one round trip (one batch of
    /// three reads): what every answer that shows a session needs.
    pub async fn session_in_full(
        &self,
        id: &str,
    ) -> ApiResult<Option<(Session, Vec<Payment>, Heads)>> {
        #[derive(Deserialize)]
        struct HeadRow {
            chain_id: u64,
            head: Option<u64>,
        }
        let results = self
            .batch(vec![
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
            .await?;
        let [session, payments, heads] = results.as_slice() else {
            return Err(ApiError::internal("session batch answered short"));
        };
        let Some(row) = session.results::<SessionRow>()?.into_iter().next() else {
            return Ok(None);
        };
        let payments = payments
            .results::<PaymentRow>()?
            .iter()
            .map(PaymentRow::to_payment)
            .collect::<ApiResult<Vec<_>>>()?;
        let heads = heads
            .results::<HeadRow>()?
            .into_iter()
            .filter_map(|h| Some((h.chain_id, h.head?)))
            .collect();
        Ok(Some((row.session()?, payments, heads)))
    }

    pub async fn payment_rows(&self, session_id: &str) -> ApiResult<Vec<PaymentRow>> {
        Ok(self
            .stmt(
                &format!(
                    "SELECT {PAYMENT_COLUMNS} FROM payments WHERE session_id = ?1 ORDER BY block_number, log_index"
                ),
                &[text(session_id)],
            )?
            .all()
            .await?
            .results()?)
    }

    pub async fn payments(&self, session_id: &str) -> ApiResult<Vec<Payment>> {
        self.payment_rows(session_id)
            .await?
            .iter()
            .map(PaymentRow::to_payment)
            .collect()
    }

    /// When the session `id` of this account and mode was created (a list cursor).
    pub async fn session_created_unix(
        &self,
        account_id: &str,
        livemode: bool,
        id: &str,
    ) -> ApiResult<Option<u64>> {
        #[derive(Deserialize)]
        struct Row {
            created_unix: u64,
        }
        let row: Option<Row> = self
            .stmt(
                "SELECT created_unix FROM checkout_sessions WHERE id = ?1 AND account_id = ?2 AND livemode = ?3",
                &[text(id), text(account_id), flag(livemode)],
            )?
            .first(None)
            .await?;
        Ok(row.map(|r| r.created_unix))
    }

    /// One page of an account's sessions in one mode, newest first; `limit + 1` rows are
    /// read so the caller knows whether there are more. `cursor` is `(created_unix, id)`
    /// of the object to start after (older) or end before (newer).
    pub async fn list_sessions(
        &self,
        account_id: &str,
        livemode: bool,
        filter: &SessionFilter,
        cursor: Option<(bool, u64, &str)>,
        limit: u32,
    ) -> ApiResult<Vec<Session>> {
        let statuses = filter.statuses.as_ref().map(|list| {
            serde_json::to_string(&list.iter().map(|s| s.as_str()).collect::<Vec<_>>())
                .unwrap_or_default()
        });
        let (after, before, order) =
            page_bounds(cursor.map(|(after, unix, id)| (after, (unix, id))));
        let rows: Vec<SessionRow> = self
            .stmt(
                &format!(
                    "SELECT data, accessed_at FROM checkout_sessions
                     WHERE account_id = ?1 AND livemode = ?2
                       AND (?3 IS NULL OR status IN (SELECT value FROM json_each(?3)))
                       AND (?4 IS NULL OR payment_link = ?4)
                       AND (?5 IS NULL OR created_unix >= ?5)
                       AND (?6 IS NULL OR created_unix <= ?6)
                       AND (?7 IS NULL OR customer_email = ?7)
                       AND (?8 IS NULL OR funded = ?8)
                       AND (?9 IS NULL OR (created_unix, id) < (?9, ?10))
                       AND (?11 IS NULL OR (created_unix, id) > (?11, ?12))
                     ORDER BY created_unix {order}, id {order} LIMIT ?13"
                ),
                &[
                    text(account_id),
                    flag(livemode),
                    opt_text(statuses.as_deref()),
                    opt_text(filter.payment_link.as_deref()),
                    filter.created_gte.map_or(JsValue::NULL, |t| int(t.0)),
                    filter.created_lte.map_or(JsValue::NULL, |t| int(t.0)),
                    opt_text(filter.customer_email.as_deref()),
                    filter.funded.map_or(JsValue::NULL, flag),
                    after.map_or(JsValue::NULL, |(u, _)| int(u)),
                    opt_text(after.map(|(_, id)| id)),
                    before.map_or(JsValue::NULL, |(u, _)| int(u)),
                    opt_text(before.map(|(_, id)| id)),
                    int(u64::from(limit)),
                ],
            )?
            .all()
            .await?
            .results()?;
        let mut sessions = rows
            .iter()
            .map(SessionRow::session)
            .collect::<ApiResult<Vec<Session>>>()?;
        if before.is_some() {
            sessions.reverse();
        }
        Ok(sessions)
    }

    /// The payments of several sessions at once, by session id.
    pub async fn payments_of(&self, ids: &[&str]) -> ApiResult<BTreeMap<String, Vec<Payment>>> {
        let mut by_session: BTreeMap<String, Vec<Payment>> = BTreeMap::new();
        if ids.is_empty() {
            return Ok(by_session);
        }
        let list = serde_json::to_string(ids).map_err(ApiError::internal)?;
        let rows: Vec<PaymentRow> = self
            .stmt(
                &format!(
                    "SELECT {PAYMENT_COLUMNS} FROM payments WHERE session_id IN (SELECT value FROM json_each(?1))
                     ORDER BY block_number, log_index"
                ),
                &[text(&list)],
            )?
            .all()
            .await?
            .results()?;
        for row in rows {
            by_session
                .entry(row.session_id.clone())
                .or_default()
                .push(row.to_payment()?);
        }
        Ok(by_session)
    }

    /// Deletes up to 500 rate-limit counters whose window started before `before_ms`.
    pub async fn purge_rate_limits(&self, before_ms: u64) -> ApiResult<()> {
        self.stmt(
            "DELETE FROM rate_limits WHERE rowid IN
               (SELECT rowid FROM rate_limits WHERE window_unix < ?1 LIMIT 500)",
            &[int(before_ms)],
        )?
        .run()
        .await?;
        Ok(())
    }

    /// Allows one event per `interval_ms` for `key`, atomically: the upsert only takes
    /// effect (and returns a row) when the last allowed event is old enough.
    pub async fn allow(&self, key: &str, now_ms: u64, interval_ms: u64) -> ApiResult<bool> {
        #[derive(Deserialize)]
        struct Row {
            #[allow(dead_code, reason = "only whether a row comes back matters")]
            count: u64,
        }
        let row: Option<Row> = self
            .stmt(
                "INSERT INTO rate_limits (key, window_unix, count) VALUES (?1, ?2, 1)
                 ON CONFLICT (key) DO UPDATE SET window_unix = excluded.window_unix, count = rate_limits.count + 1
                   WHERE rate_limits.window_unix <= excluded.window_unix - ?3
                 RETURNING count",
                &[text(key), int(now_ms), int(interval_ms)],
            )?
            .first(None)
            .await?;
        Ok(row.is_some())
    }

    /// Records that a shopper opened the session, at most every five minutes and outside
    /// the document, so `version`, `updated_at` and the ETag stay as they are.
    pub async fn touch_session(&self, id: &str, now: Timestamp) -> ApiResult<()> {
        self.stmt(
            "UPDATE checkout_sessions SET accessed_at = ?2
             WHERE id = ?1 AND (accessed_at IS NULL OR accessed_at <= ?3)",
            &[
                text(id),
                text(&now.to_string()),
                text(&Timestamp(now.0.saturating_sub(300)).to_string()),
            ],
        )?
        .run()
        .await?;
        Ok(())
    }

    // ----- watcher ---------------------------------------------------------------------------

    /// The watch row of one address on one chain.
    pub async fn watch_row(&self, chain_id: u64, address: &str) -> ApiResult<Option<WatchRow>> {
        Ok(self
            .stmt(
                "SELECT address, session_id, native_baseline, native_baseline_block, baseline_block FROM watch
                 WHERE chain_id = ?1 AND address = ?2",
                &[int(chain_id), text(address)],
            )?
            .first(None)
            .await?)
    }

    /// Native credits of a chain recorded in the blocks `from..=to`.
    pub async fn native_payments(
        &self,
        chain_id: u64,
        from: u64,
        to: u64,
    ) -> ApiResult<Vec<PaymentRow>> {
        Ok(self
            .stmt(
                &format!(
                    "SELECT {PAYMENT_COLUMNS} FROM payments
                     WHERE chain_id = ?1 AND log_index IS NULL AND block_number BETWEEN ?2 AND ?3"
                ),
                &[int(chain_id), int(from), int(to)],
            )?
            .all()
            .await?
            .results()?)
    }

    fn price_stmt(&self, price: &PriceRow, now_unix: u64) -> ApiResult<Stmt<'_>> {
        let decimals = config::catalogue()
            .chain(price.chain_id)
            .and_then(|c| c.price_feed.as_ref())
            .map_or(0, |f| f.decimals);
        self.stmt(
            "INSERT INTO prices (chain_id, answer, feed_decimals, updated_at_unix, read_at_unix) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (chain_id) DO UPDATE SET answer = excluded.answer, feed_decimals = excluded.feed_decimals,
                 updated_at_unix = excluded.updated_at_unix, read_at_unix = excluded.read_at_unix",
            &[
                int(price.chain_id),
                text(&price.answer.to_string()),
                int(u64::from(decimals)),
                int(price.updated_at),
                int(now_unix),
            ],
        )
    }

    /// Caches a feed round read outside a session write (a re-quote).
    pub async fn put_price(&self, price: &PriceRow, now_unix: u64) -> ApiResult<()> {
        self.price_stmt(price, now_unix)?.run().await?;
        Ok(())
    }

    /// The cached round of a chain's feed if it was read at most `max_age_secs` ago.
    pub async fn cached_price(
        &self,
        chain_id: u64,
        now_unix: u64,
        max_age_secs: u64,
    ) -> ApiResult<Option<PriceRow>> {
        #[derive(Deserialize)]
        struct Row {
            answer: String,
            updated_at_unix: u64,
        }
        let row: Option<Row> = self
            .stmt(
                "SELECT answer, updated_at_unix FROM prices WHERE chain_id = ?1 AND read_at_unix >= ?2",
                &[int(chain_id), int(now_unix.saturating_sub(max_age_secs))],
            )?
            .first(None)
            .await?;
        Ok(row.and_then(|r| {
            Some(PriceRow {
                chain_id,
                answer: r.answer.parse().ok()?,
                updated_at: r.updated_at_unix,
            })
        }))
    }

    /// Test helper: `count` copies of a session and its watch rows (ids `cs_test_bench…`,
    /// addresses `0x000…n`). Returns how many clones exist now.
    pub async fn clone_session(&self, id: &str, address_json: &str, count: u64) -> ApiResult<u64> {
        #[derive(Deserialize)]
        struct Count {
            n: u64,
        }
        let start = self
            .stmt(
                "SELECT COUNT(*) AS n FROM checkout_sessions WHERE id LIKE 'cs_test_bench%'",
                &[],
            )?
            .first::<Count>(None)
            .await?
            .map_or(0, |c| c.n)
            + 1;
        let end = start + count - 1;
        let numbers =
            "WITH RECURSIVE n(i) AS (SELECT ?2 UNION ALL SELECT i + 1 FROM n WHERE i < ?3)";
        let sessions = format!(
            "{numbers}
             INSERT INTO checkout_sessions (id, account_id, livemode, status, version, write_token, payment_link, address,
                 customer_email, funded, data, created_at, created_unix, updated_at)
             SELECT 'cs_test_bench' || printf('%019d', i), account_id, livemode, status, version, write_token, payment_link,
                 printf('0x%040x', i), customer_email, funded,
                 replace(replace(data, ?1, 'cs_test_bench' || printf('%019d', i)), ?4, '\"address\":\"' || printf('0x%040x', i) || '\"'),
                 created_at, created_unix, updated_at
             FROM checkout_sessions, n WHERE id = ?1"
        );
        let watch = format!(
            "{numbers}
             INSERT INTO watch (chain_id, address, session_id, watch_until_unix, native_baseline, native_baseline_block, due_unix, settling)
             SELECT chain_id, printf('0x%040x', i), 'cs_test_bench' || printf('%019d', i), watch_until_unix,
                 native_baseline, native_baseline_block, due_unix, settling
             FROM watch, n WHERE session_id = ?1"
        );
        let args = [text(id), int(start), int(end), text(address_json)];
        self.batch(vec![
            self.stmt(&sessions, &args)?,
            self.stmt(&watch, &args[..3])?,
        ])
        .await?;
        Ok(end)
    }

    /// Moves a session's watch rows to its (shifted) `late_until`.
    pub async fn rewatch_until(&self, session: &Session) -> ApiResult<()> {
        self.stmt(
            "UPDATE watch SET watch_until_unix = ?2 WHERE session_id = ?1",
            &[text(&session.id), int(session.late_until.0)],
        )?
        .run()
        .await?;
        Ok(())
    }
}

/// Read-mostly cache in KV. Never the source of truth.
pub struct Cache {
    kv: worker::KvStore,
}

impl Cache {
    pub fn new(env: &Env) -> worker::Result<Self> {
        Ok(Self {
            kv: config::cache(env)?,
        })
    }

    pub async fn put(&self, key: &str, value: &str, ttl_secs: u64) -> worker::Result<()> {
        self.kv
            .put(key, value)?
            .expiration_ttl(ttl_secs)
            .execute()
            .await?;
        Ok(())
    }

    pub async fn get(&self, key: &str) -> worker::Result<Option<String>> {
        Ok(self.kv.get(key).text().await?)
    }
}
