//! Every D1 access of the worker, one file per aggregate, each with its SQL and its row
//! types. Handlers and the watcher never write SQL. The store answers with what it read
//! or wrote; it never decides an HTTP answer and never calls up into the senders.
//!
//! Exactly-once rule: a session change is one `db.batch` (atomic): the `UPDATE … WHERE
//! id = ? AND version = ?` that sets a fresh `write_token`, then every row the change
//! causes (payment updates, events) inserted only `WHERE EXISTS` a session row carrying
//! that token. A run that lost the race updates nothing and so writes nothing.

use std::cell::Cell;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use worker::wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, D1Result, Env};

use crate::config;
use crate::error::ApiResult;

mod accounts;
mod bind;
mod chain;
mod changes;
mod columns;
mod console;
mod events;
mod exports;
mod idempotency;
mod links;
mod meta;
mod payments;
mod prices;
mod rate_limits;
mod refund_claims;
mod refund_watch;
mod refunds;
mod retention;
mod search;
mod sessions;
mod sweeps;
mod test_helpers;
mod watch;
mod webhooks;
pub(crate) use accounts::{AccountWrite, KeyInfo, KeyRow, NewKey, NewXpub, TronXpub, XpubRow};
pub(crate) use bind::address_key;
pub(crate) use changes::{Change, Written};
pub(crate) use console::{CONSOLE_IDLE_SECS, CallerKey};
pub(crate) use events::NewEvent;
pub(crate) use exports::ExportKey;
pub(crate) use idempotency::{IDEMPOTENCY_TTL_SECS, IdempotencyRecord};
pub(crate) use payments::{NewPayment, PaymentRow};
pub(crate) use prices::PriceRow;
pub(crate) use refund_claims::AddressWrite;
pub(crate) use refund_watch::WatchedRefund;
pub(crate) use refunds::{REFUND_COLUMNS, RefundBasis, RefundRow, SessionRefunds};
pub(crate) use sessions::{Baseline, SessionInFull, ShopperReads};
pub(crate) use sweeps::{PendingSweep, SweepInFull};
pub(crate) use watch::{Candidate, WatchRow};
pub(crate) use webhooks::{AttemptRecord, Claimed, EndpointRow, Scope};

pub(crate) struct Store {
    db: D1Database,
    usage: Cell<D1Usage>,
}

/// What this store's queries cost, from D1's own result metadata: the figures the bench
/// prints and `GET /v1/health/chains` shows for the last scheduled run.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub(crate) struct D1Usage {
    /// Statements run (a batch of N counts N).
    pub queries: u64,
    /// Trips to D1: one per `all`/`run`, one per batch whatever its size.
    pub round_trips: u64,
    pub rows_read: u64,
    pub rows_written: u64,
}

/// A prepared statement that reports its cost to the store that made it.
pub(crate) struct Stmt<'a> {
    inner: D1PreparedStatement,
    usage: &'a Cell<D1Usage>,
}

/// Counts one trip to D1 (a single statement or a whole batch).
fn note_trip(usage: &Cell<D1Usage>) {
    let mut u = usage.get();
    u.round_trips += 1;
    usage.set(u);
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
    pub(crate) async fn all(&self) -> worker::Result<D1Result> {
        note_trip(self.usage);
        let result = self.inner.all().await?;
        note(self.usage, &result);
        Ok(result)
    }

    pub(crate) async fn run(&self) -> worker::Result<D1Result> {
        note_trip(self.usage);
        let result = self.inner.run().await?;
        note(self.usage, &result);
        Ok(result)
    }

    /// The first row (or one column of it), like D1's `first`, but with its cost counted.
    pub(crate) async fn first<T: for<'de> Deserialize<'de>>(
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
    pub(crate) fn new(env: &Env) -> worker::Result<Self> {
        Ok(Self {
            db: config::db(env)?,
            usage: Cell::default(),
        })
    }

    /// D1 usage of every query this store ran so far.
    pub(crate) fn usage(&self) -> D1Usage {
        self.usage.get()
    }

    fn stmt(&self, sql: &str, args: &[JsValue]) -> ApiResult<Stmt<'_>> {
        Ok(Stmt {
            inner: self.db.prepare(sql).bind(args)?,
            usage: &self.usage,
        })
    }

    /// Runs one statement for what it writes.
    async fn exec(&self, sql: &str, args: &[JsValue]) -> ApiResult<()> {
        self.stmt(sql, args)?.run().await?;
        Ok(())
    }

    /// Runs one statement; how many rows it changed.
    async fn changed(&self, sql: &str, args: &[JsValue]) -> ApiResult<usize> {
        let result = self.stmt(sql, args)?.run().await?;
        Ok(result.meta()?.and_then(|m| m.changes).unwrap_or(0))
    }

    /// Every row one query reads.
    async fn rows<T: DeserializeOwned>(&self, sql: &str, args: &[JsValue]) -> ApiResult<Vec<T>> {
        Ok(self.stmt(sql, args)?.all().await?.results()?)
    }

    /// The first row one query reads, if any.
    async fn row<T: DeserializeOwned>(&self, sql: &str, args: &[JsValue]) -> ApiResult<Option<T>> {
        Ok(self.stmt(sql, args)?.first(None).await?)
    }

    /// Whether one statement returns a row (an upsert whose condition held, say).
    async fn returns_row(&self, sql: &str, args: &[JsValue]) -> ApiResult<bool> {
        let row: Option<serde_json::Value> = self.row(sql, args).await?;
        Ok(row.is_some())
    }

    /// One column of the first row one query reads, if any.
    async fn value<T: DeserializeOwned>(
        &self,
        sql: &str,
        args: &[JsValue],
        column: &str,
    ) -> ApiResult<Option<T>> {
        Ok(self.stmt(sql, args)?.first(Some(column)).await?)
    }

    /// Runs statements as one atomic D1 batch: one round trip, each statement counted.
    async fn batch(&self, statements: Vec<Stmt<'_>>) -> worker::Result<Vec<D1Result>> {
        note_trip(&self.usage);
        let results = self
            .db
            .batch(statements.into_iter().map(|s| s.inner).collect())
            .await?;
        for result in &results {
            note(&self.usage, result);
        }
        Ok(results)
    }
}
