//! `GET /v1/chains` (secret key): the chains this deployment serves in the key's mode, for
//! the merchant's own tools and the console, with whether the watcher is reading each.
//! Never an RPC URL or the watcher's error text: those can hold secrets.

use alloy_primitives::U256;
use kasse_shared::api::sweeps::{ChainObject, chain_object, feed_price};
use kasse_shared::catalogue::ChainFamily;
use kasse_shared::health::WatcherStatus;
use worker::Response;

use crate::config;
use crate::error::ApiResult;
use crate::http::{Cx, list_response};

pub(super) async fn list(cx: &mut Cx<'_>) -> ApiResult<Response> {
    let caller = cx.secret().await?;
    let cursors = cx.store.cursors().await?;
    let mut data: Vec<ChainObject> = Vec::new();
    for (chain, _) in config::served_chains(cx.env) {
        // The merchant's tools sweep and refund EVM chains; a Tron deposit is swept from a
        // Tron wallet (it needs TRX for energy), so Tron chains are not listed to them.
        if chain.testnet == caller.livemode || chain.family == ChainFamily::Tron {
            continue;
        }
        let price = match &chain.price_feed {
            None => None,
            Some(feed) => cx
                .store
                .cached_price(chain.chain_id, cx.now, chain.max_price_age_secs)
                .await?
                .and_then(|row| U256::try_from(row.answer).ok())
                .map(|answer| feed_price(answer, feed.decimals)),
        };
        let cursor = cursors.iter().find(|c| c.chain_id == chain.chain_id);
        let watcher = WatcherStatus::of(
            cursor.and_then(|c| c.head),
            cursor.and_then(|c| c.cursor),
            cursor.is_some_and(|c| c.last_error.is_some()),
            cursor.map(|c| c.checked_at),
            cx.now,
        );
        data.push(chain_object(chain, price, watcher));
    }
    list_response("/v1/chains", &data, false)
}
