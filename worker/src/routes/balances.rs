//! `GET /v1/balances` (secret key): per chain and token of the key's mode, what was received
//! at deposit addresses, what sweeps moved out, and what is still there.

use kasse_shared::api::sweeps::{BalanceObject, BalancesObject, balance_object};
use kasse_shared::error_code::ErrorCode;
use kasse_shared::params::ParamError;
use kasse_shared::sweep::balances;
use worker::Response;

use crate::config;
use crate::error::{ApiError, ApiResult};
use crate::http::{Cx, json_response};

pub(super) async fn retrieve(cx: &mut Cx<'_>) -> ApiResult<Response> {
    let caller = cx.secret().await?;
    if let Some((key, _)) = cx.query()?.first() {
        return Err(ParamError::new(
            ErrorCode::ParameterUnknown,
            key,
            format!("Received unknown parameter: {key}."),
        )
        .into());
    }
    let (received, swept) = cx
        .store
        .balance_amounts(&caller.account_id, caller.livemode)
        .await?;
    let sums = balances(received, swept)
        .ok_or_else(|| ApiError::internal("a balance overflowed 256 bits"))?;
    let catalogue = config::catalogue();
    let data: Vec<BalanceObject> = sums
        .iter()
        .filter_map(|((chain_id, token), balance)| {
            let chain = catalogue.chain(*chain_id)?;
            Some(balance_object(chain, token, balance))
        })
        .collect();
    Ok(json_response(
        200,
        &BalancesObject {
            object: "balances",
            livemode: caller.livemode,
            data,
        },
    ))
}
