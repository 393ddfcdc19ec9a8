//! The price cache: the last feed round read per chain.

use alloy_primitives::{ChainId, I256};
use kasse_shared::time::Timestamp;
use serde::Deserialize;

use super::bind::{int, text};
use super::{Stmt, Store};
use crate::config;
use crate::error::ApiResult;

/// A feed round as the D1 price cache keeps it.
pub(crate) struct PriceRow {
    pub chain_id: ChainId,
    pub answer: I256,
    /// When the feed's round was updated.
    pub updated_at: Timestamp,
}

impl Store {
    /// Caches `price`, read at `now`.
    pub(super) fn price_stmt(&self, price: &PriceRow, now: Timestamp) -> ApiResult<Stmt<'_>> {
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
                int(price.updated_at.0),
                int(now.0),
            ],
        )
    }

    /// Caches a feed round read outside a session write (a re-quote).
    pub(crate) async fn put_price(&self, price: &PriceRow, now: Timestamp) -> ApiResult<()> {
        self.price_stmt(price, now)?.run().await?;
        Ok(())
    }

    /// The cached round of a chain's feed if it was read at most `max_age_secs` ago.
    pub(crate) async fn cached_price(
        &self,
        chain_id: ChainId,
        now: Timestamp,
        max_age_secs: u64,
    ) -> ApiResult<Option<PriceRow>> {
        #[derive(Deserialize)]
        struct Row {
            answer: String,
            updated_at_unix: u64,
        }
        let row: Option<Row> = self
            .row(
                "SELECT answer, updated_at_unix FROM prices WHERE chain_id = ?1 AND read_at_unix >= ?2",
                &[int(chain_id), int(now.0.saturating_sub(max_age_secs))],
            )
            .await?;
        Ok(row.and_then(|r| {
            Some(PriceRow {
                chain_id,
                answer: r.answer.parse().ok()?,
                updated_at: Timestamp(r.updated_at_unix),
            })
        }))
    }
}
