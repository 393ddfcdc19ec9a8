//! The feed's price now, for re-quotes and for native payments mined after their quote.

use std::collections::BTreeMap;

use alloy_primitives::ChainId;
use kasse_shared::account::Settings;
use kasse_shared::catalogue::Chain;
use kasse_shared::price::Round;
use kasse_shared::quote::{FeedReading, native_quote};
use kasse_shared::session::{Quote, Session};
use kasse_shared::time::Timestamp;

use crate::chain::native;
use crate::chain::rpc::Rpc;
use crate::error::ApiResult;
use crate::store::{PriceRow, Store};

/// How long a cached feed round may serve a re-quote or a late payment's valuation.
const PRICE_CACHE_SECS: u64 = 60;

/// The feed's price now: the D1 cache if it was read in the last minute, else the chain
/// (and then cached, if the sequencer was up). `None` if the chain cannot be priced now.
pub(crate) async fn current_reading(
    store: &Store,
    rpc: &Rpc,
    chain: &Chain,
    now: Timestamp,
) -> ApiResult<Option<FeedReading>> {
    if let Some(row) = store
        .cached_price(chain.chain_id, now, PRICE_CACHE_SECS)
        .await?
    {
        return Ok(Some(FeedReading {
            round: Round {
                answer: row.answer,
                updated_at: row.updated_at,
            },
            // Only rounds read while the sequencer was up are cached.
            sequencer_up: true,
        }));
    }
    let Ok(read) = native::open(rpc, chain, None, now).await else {
        return Ok(None);
    };
    if let Some(reading) = read.reading.filter(|r| r.sequencer_up) {
        let row = PriceRow {
            chain_id: chain.chain_id,
            answer: reading.round.answer,
            updated_at: reading.round.updated_at,
        };
        store.put_price(&row, now).await?;
    }
    Ok(read.reading)
}

/// The feed's price per chain, read at most once per run: what a native payment mined after
/// its quote is valued at.
#[derive(Default)]
pub(crate) struct Prices(BTreeMap<ChainId, Option<FeedReading>>);

impl Prices {
    /// `session`'s total at the price now, keeping `quote`'s confirmations; `None` when the
    /// chain cannot be priced now.
    pub(crate) async fn quote(
        &mut self,
        store: &Store,
        rpc: &Rpc,
        chain: &Chain,
        session: &Session,
        quote: &Quote,
        now: Timestamp,
    ) -> ApiResult<Option<Quote>> {
        let reading = match self.0.get(&chain.chain_id) {
            Some(reading) => *reading,
            None => {
                let reading = current_reading(store, rpc, chain, now).await?;
                self.0.insert(chain.chain_id, reading);
                reading
            }
        };
        Ok(reading.and_then(|r| {
            native_quote(chain, &Settings::default(), session.amount_total, r, now)
                .ok()
                .map(|q| Quote {
                    confirmations_required: quote.confirmations_required,
                    ..q
                })
        }))
    }
}
