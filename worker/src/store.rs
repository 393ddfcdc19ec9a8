//! Every D1 and KV access of the worker. Handlers and the watcher never write SQL.

use serde::Deserialize;
use worker::wasm_bindgen::JsValue;
use worker::{D1Database, Env};

use crate::config;

/// Binds an integer that is not money (block numbers, chain ids, versions). D1 takes
/// JavaScript numbers; these stay far below 2^53, where that conversion is exact.
fn int(n: u64) -> JsValue {
    debug_assert!(n < (1 << 53));
    #[allow(clippy::cast_precision_loss)]
    JsValue::from_f64(n as f64)
}

fn text(s: &str) -> JsValue {
    JsValue::from_str(s)
}

pub struct Store {
    db: D1Database,
}

#[derive(Debug, Deserialize)]
pub struct CursorRow {
    pub chain_id: u64,
    pub head: Option<u64>,
    pub cursor: Option<u64>,
    pub last_error: Option<String>,
    pub checked_at: String,
}

impl Store {
    pub fn new(env: &Env) -> worker::Result<Self> {
        Ok(Self {
            db: config::db(env)?,
        })
    }

    /// Records a successful look at a chain's head.
    pub async fn record_head(&self, chain_id: u64, head: u64, now: &str) -> worker::Result<()> {
        self.db
            .prepare(
                "INSERT INTO chain_cursors (chain_id, head, last_error, checked_at) VALUES (?1, ?2, NULL, ?3)
                 ON CONFLICT (chain_id) DO UPDATE SET head = excluded.head, last_error = NULL, checked_at = excluded.checked_at",
            )
            .bind(&[int(chain_id), int(head), text(now)])?
            .run()
            .await?;
        Ok(())
    }

    /// Records a failed run; the head and cursor stay as they were.
    pub async fn record_chain_error(
        &self,
        chain_id: u64,
        error: &str,
        now: &str,
    ) -> worker::Result<()> {
        self.db
            .prepare(
                "INSERT INTO chain_cursors (chain_id, last_error, checked_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (chain_id) DO UPDATE SET last_error = excluded.last_error, checked_at = excluded.checked_at",
            )
            .bind(&[int(chain_id), text(error), text(now)])?
            .run()
            .await?;
        Ok(())
    }

    pub async fn cursors(&self) -> worker::Result<Vec<CursorRow>> {
        self.db
            .prepare("SELECT chain_id, head, cursor, last_error, checked_at FROM chain_cursors ORDER BY chain_id")
            .all()
            .await?
            .results()
    }

    pub async fn put_meta(&self, key: &str, value: &str, now: &str) -> worker::Result<()> {
        self.db
            .prepare(
                "INSERT INTO meta (key, value, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            )
            .bind(&[text(key), text(value), text(now)])?
            .run()
            .await?;
        Ok(())
    }

    pub async fn meta(&self, key: &str) -> worker::Result<Option<String>> {
        self.db
            .prepare("SELECT value FROM meta WHERE key = ?1")
            .bind(&[text(key)])?
            .first(Some("value"))
            .await
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
