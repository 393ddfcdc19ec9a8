//! Deployment facts kept by key: the last scheduled run's report, the demo shop's setup and
//! the smoke test's value.

use kasse_shared::time::Timestamp;

use super::Store;
use super::bind::{text, time};
use crate::error::ApiResult;

impl Store {
    pub(crate) async fn put_meta(&self, key: &str, value: &str, now: Timestamp) -> ApiResult<()> {
        self.exec(
            "INSERT INTO meta (key, value, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            &[text(key), text(value), time(now)],
        )
        .await
    }

    pub(crate) async fn meta(&self, key: &str) -> ApiResult<Option<String>> {
        self.value(
            "SELECT value FROM meta WHERE key = ?1",
            &[text(key)],
            "value",
        )
        .await
    }
}
