//! `POST /v1/refunds/{id}/submit` (secret key): the merchant reports the transaction that
//! sent a pending refund, and it is verified at once from one JSON-RPC batch (the head,
//! the receipt and the transaction). Not mined yet: the hash is kept and the watcher reads
//! it again. Reverted: the refund failed. Mined without paying the refund: refused, nothing
//! kept. Paying it: the transfer is recorded, and the refund succeeded if it is deep enough
//! already (else the watcher finishes it).

use alloy_primitives::TxHash;
use kasse_shared::api::refunds::refund_object;
use kasse_shared::catalogue::Chain;
use kasse_shared::error_code::ErrorCode;
use kasse_shared::ids::RefundId;
use kasse_shared::money::format_units;
use kasse_shared::refund::{Refund, RefundStatus};
use kasse_shared::refund_verify::{
    Mismatch, Submitted, parse_submission, read_submitted, required_confirmations, submit as decide,
};
use serde_json::json;
use worker::Response;

use crate::chain::rpc::{Call, quantity, receipt_call, transaction_call};
use crate::config;
use crate::error::{ApiError, ApiResult, chain_error};
use crate::http::{Cx, json_response, owned};
use crate::outbox;

pub(super) async fn submit(cx: &mut Cx<'_>, id: &str) -> ApiResult<Response> {
    let caller = cx.secret().await?;
    let refund = owned("refund", id, RefundId::parse(id), async |id| {
        let found = cx.store.refund(&id).await?;
        Ok(found.filter(|r| r.account_id == caller.account_id && r.livemode == caller.livemode))
    })
    .await?;
    let hash = parse_submission(&cx.body().await?)?;
    if refund.status != RefundStatus::Pending {
        return Err(not_pending(&refund));
    }
    let (chain, head, submitted) = read(cx, &refund, hash).await?;
    let settings = cx
        .store
        .account_settings(&refund.account_id, refund.livemode)
        .await?;
    let required = required_confirmations(chain, &settings);
    let change = decide(&refund, hash, submitted, head, required, cx.now)
        .map_err(|why| mismatch(&refund, chain, why))?;
    let after = &change.refund;
    let confirmations = after.block_number.map(|_| after.confirmations(Some(head)));
    let event = change
        .event
        .map(|kind| outbox::refund_event_at(after, kind, confirmations))
        .transpose()?;
    if !cx
        .store
        .change_refund(after, event.as_ref(), cx.now)
        .await?
    {
        return Err(ApiError::conflict(
            ErrorCode::RefundConflict,
            "The refund changed while the transaction was being verified; read it again.",
        ));
    }
    if event.is_some() {
        outbox::note_written(&refund.session_id);
    }
    let object = refund_object(after, config::catalogue(), &cx.base()?, true, confirmations);
    Ok(json_response(200, &object))
}

fn not_pending(refund: &Refund) -> ApiError {
    let why = match refund.status {
        RefundStatus::RequiresAddress => "it has no address yet",
        RefundStatus::Succeeded => "it succeeded already",
        RefundStatus::Canceled => "it was canceled",
        RefundStatus::Failed => "it failed",
        RefundStatus::Pending => "it changed",
    };
    ApiError::conflict(
        ErrorCode::RefundNotPending,
        format!(
            "Refund {} is {}: a transaction can be reported only while it is pending ({why}).",
            refund.id,
            refund.status.as_str()
        ),
    )
}

/// The refund's chain, its head and what the receipt and transaction of `hash` say, from
/// one batch.
async fn read(
    cx: &Cx<'_>,
    refund: &Refund,
    hash: TxHash,
) -> ApiResult<(&'static Chain, u64, Submitted)> {
    let Some((chain, url)) = config::served_chains(cx.env)
        .into_iter()
        .find(|(c, _)| c.chain_id == refund.chain_id)
    else {
        return Err(chain_error(format!(
            "Chain {} is not served by this deployment just now; the refund cannot be verified.",
            refund.chain_id
        )));
    };
    let rpc = config::rpc(cx.env, chain, url);
    let calls = [
        Call {
            method: "eth_blockNumber",
            params: json!([]),
        },
        receipt_call(hash),
        transaction_call(hash),
    ];
    let answers = rpc.batch(&calls).await.map_err(|e| {
        worker::console_warn!("refund {}: reading {hash}: {e}", refund.id);
        chain_error("The chain could not be read just now; try again.")
    })?;
    let head = quantity(&answers[0])?;
    let submitted = read_submitted(refund, chain, &answers[1], &answers[2]).map_err(|e| {
        worker::console_warn!("refund {}: reading {hash}: {e}", refund.id);
        chain_error("The chain answered with a malformed receipt; try again.")
    })?;
    Ok((chain, head, submitted))
}

/// The 400 of a mined transaction that does not pay the refund, saying what it needs.
fn mismatch(refund: &Refund, chain: &Chain, why: Mismatch) -> ApiError {
    let amount = |a| format!("{} {}", format_units(a, refund.decimals), refund.token);
    let to = refund
        .address
        .map_or_else(|| "its address".to_owned(), |a| a.to_checksum(None));
    let found = match why {
        Mismatch::NoTransfer => format!("it sends no {} to {to}", refund.token),
        Mismatch::OtherAmount(a) => format!("it sends {} ({a} base units)", amount(a)),
        Mismatch::MinedBefore(block) => format!(
            "it was mined in block {block}, before the refund was created (block {})",
            refund.created_block
        ),
    };
    ApiError::invalid(
        ErrorCode::RefundTransferMismatch,
        format!(
            "The transaction does not pay refund {}: {found}. It needs exactly {} ({} base units) to {to} on {}.",
            refund.id,
            amount(refund.amount),
            refund.amount,
            chain.name
        ),
    )
    .with_param("tx_hash")
}
