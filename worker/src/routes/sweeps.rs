//! `/v1/sweeps` (secret key): transactions the merchant's tool sent to move deposits to the
//! treasury, reported here and verified by the watcher.

use kasse_shared::api::sweeps::{self, SweepObject, sweep_object};
use kasse_shared::catalogue::ChainFamily;
use kasse_shared::error_code::ErrorCode;
use kasse_shared::ids::SweepId;
use worker::Response;

use crate::config;
use crate::entropy::Csprng;
use crate::error::{ApiError, ApiResult};
use crate::http::{Cx, checked_cursor, json_response, list_response, owned};
use crate::store::SweepInFull;

fn object((sweep, transfers): &SweepInFull) -> SweepObject {
    sweep_object(sweep, transfers, config::catalogue())
}

/// `POST /v1/sweeps`: the same chain and hash reported again is the same sweep.
pub(super) async fn create(cx: &mut Cx<'_>) -> ApiResult<Response> {
    let caller = cx.secret().await?;
    let report = sweeps::parse_report(&cx.body().await?)?;
    // Sweeps are verified from EVM receipts; Tron chains are left out like in GET /v1/chains.
    let served = config::served_chains(cx.env).into_iter().any(|(chain, _)| {
        chain.chain_id == report.chain_id
            && chain.testnet != caller.livemode
            && chain.family == ChainFamily::Evm
    });
    if !served {
        let mode = if caller.livemode { "live" } else { "test" };
        return Err(ApiError::invalid(
            ErrorCode::ChainUnsupported,
            format!(
                "Chain {} is not one Kasse verifies sweeps on in {mode} mode; GET /v1/chains lists those it does.",
                report.chain_id
            ),
        )
        .with_param("chain_id"));
    }
    let found = cx
        .store
        .report_sweep(
            &caller.account_id,
            caller.livemode,
            report.chain_id,
            &report.tx_hash,
            &SweepId::generate(&mut Csprng),
            cx.now,
        )
        .await?;
    Ok(json_response(200, &object(&found)))
}

pub(super) async fn retrieve(cx: &mut Cx<'_>, id: &str) -> ApiResult<Response> {
    let caller = cx.secret().await?;
    let found = owned("sweep", id, SweepId::parse(id), async |id| {
        cx.store
            .sweep(&caller.account_id, caller.livemode, &id)
            .await
    })
    .await?;
    Ok(json_response(200, &object(&found)))
}

/// `GET /v1/sweeps`: newest first; filters `chain_id` and `status`.
pub(super) async fn list(cx: &mut Cx<'_>) -> ApiResult<Response> {
    let caller = cx.secret().await?;
    let pairs = cx.query()?;
    let store = &cx.store;
    let (page, filter) = sweeps::parse_list(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
    let cursor = checked_cursor(&page.cursor, "sweep", async |id| {
        let Some(sweep_id) = SweepId::parse(id) else {
            return Ok(None);
        };
        let found = store
            .sweep(&caller.account_id, caller.livemode, &sweep_id)
            .await?;
        Ok(found.map(|_| id))
    })
    .await?;
    let mut rows = store
        .list_sweeps(
            &caller.account_id,
            caller.livemode,
            &filter,
            cursor,
            page.limit + 1,
        )
        .await?;
    let has_more = page.trim(&mut rows);
    let data: Vec<SweepObject> = rows.iter().map(object).collect();
    list_response("/v1/sweeps", &data, has_more)
}
