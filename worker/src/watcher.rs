//! The scheduled run: reads each served chain over JSON-RPC and records what it saw.
//!
//! An RPC failure changes nothing but the chain's `last_error`; the next run retries.

use kasse_shared::health::url_host;
use kasse_shared::time::Timestamp;
use serde_json::json;
use worker::{Date, Env};

use crate::config;
use crate::rpc::{self, Call, RpcError};
use crate::store::Store;

pub async fn run(env: &Env) {
    let now = Timestamp::from_unix_millis(Date::now().as_millis()).to_string();
    let store = match Store::new(env) {
        Ok(store) => store,
        Err(e) => return worker::console_error!("watcher: no database binding: {e}"),
    };
    for (chain, url) in config::served_chains(env) {
        let host = url_host(&url).unwrap_or("(unparseable URL)");
        let outcome = match read_head(&url, chain.chain_id).await {
            Ok(head) => store.record_head(chain.chain_id, head, &now).await,
            Err(e) => {
                let message = format!("{host}: {e}");
                worker::console_warn!("watcher: chain {}: {message}", chain.chain_id);
                store
                    .record_chain_error(chain.chain_id, &message, &now)
                    .await
            }
        };
        if let Err(e) = outcome {
            worker::console_error!("watcher: chain {}: could not record: {e}", chain.chain_id);
        }
    }
    if let Err(e) = store.put_meta("last_scheduled_run", &now, &now).await {
        worker::console_error!("watcher: could not record the run: {e}");
    }
}

/// Head block of the chain behind `url`, after checking that it is the chain we expect.
async fn read_head(url: &str, expected_chain_id: u64) -> Result<u64, RpcError> {
    let calls = [
        Call {
            method: "eth_chainId",
            params: json!([]),
        },
        Call {
            method: "eth_blockNumber",
            params: json!([]),
        },
    ];
    let results = rpc::batch(url, &calls).await?;
    let chain_id = rpc::quantity(&results[0])?;
    if chain_id != expected_chain_id {
        return Err(RpcError::Malformed(format!(
            "RPC serves chain {chain_id}, expected {expected_chain_id}"
        )));
    }
    rpc::quantity(&results[1])
}
