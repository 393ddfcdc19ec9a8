//! `GET /v1/health` (public liveness) and `GET /v1/health/chains` (operator view of the watcher).

use kasse_shared::health::{ChainHealth, RunReport, url_host};
use serde_json::json;
use worker::Response;

use crate::config;
use crate::error::ApiResult;
use crate::http::{Cx, json_response};

pub(super) async fn overview(cx: &mut Cx<'_>) -> ApiResult<Response> {
    let last_run = cx
        .store
        .meta("last_run")
        .await?
        .and_then(|json| serde_json::from_str::<RunReport>(&json).ok())
        .map(|run| run.at);
    Ok(json_response(
        200,
        &json!({
            "object": "health",
            "status": "ok",
            "version": env!("CARGO_PKG_VERSION"),
            "last_scheduled_run": last_run,
        }),
    ))
}

pub(super) async fn chains(cx: &mut Cx<'_>) -> ApiResult<Response> {
    cx.admin()?;
    let rows = cx.store.cursors().await?;
    let last_run: Option<RunReport> = cx
        .store
        .meta("last_run")
        .await?
        .and_then(|json| serde_json::from_str(&json).ok());
    let data: Vec<ChainHealth> = config::catalogue()
        .chains
        .iter()
        .map(|chain| {
            let row = rows.iter().find(|r| r.chain_id == chain.chain_id);
            let head = row.and_then(|r| r.head);
            let cursor = row.and_then(|r| r.cursor);
            ChainHealth {
                chain_id: chain.chain_id,
                name: chain.name.clone(),
                head,
                cursor,
                lag: ChainHealth::lag_of(head, cursor),
                rpc_host: config::rpc_url(cx.env, chain)
                    .and_then(|url| url_host(&url).map(str::to_owned)),
                last_error: row.and_then(|r| r.last_error.clone()),
                checked_at: row.map(|r| r.checked_at),
                scan_range: row
                    .and_then(|r| r.scan_range)
                    .unwrap_or(chain.rpc_limits.max_log_range),
                deep_reorg: row.and_then(|r| r.deep_reorg.clone()),
                sessions_failed: last_run
                    .as_ref()
                    .and_then(|run| run.chains.iter().find(|c| c.chain_id == chain.chain_id))
                    .map_or(0, |c| c.sessions_failed),
            }
        })
        .collect();
    Ok(json_response(
        200,
        &json!({"object": "list", "data": data, "has_more": false, "last_run": last_run}),
    ))
}
