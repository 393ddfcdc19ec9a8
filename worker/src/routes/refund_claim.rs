//! `/v1/public/refunds/{id}…`: what the claim page (`/r/{id}#{claim_secret}`) calls, with
//! the refund's claim secret in `Kasse-Claim-Secret`. The secret opens this one refund:
//! the shopper reads what is owed and gives the address once. Nothing here moves money.

use kasse_shared::account::Settings;
use kasse_shared::api::refund_claim::{
    AddressProblem, claim_object, network_name, parse_claim, with_address,
};
use kasse_shared::error_code::ErrorCode;
use kasse_shared::ids::RefundId;
use kasse_shared::refund::Refund;
use kasse_shared::session::EventType;
use worker::{Request, Response};

use crate::config;
use crate::error::{ApiError, ApiResult};
use crate::http::request::constant_time_eq;
use crate::http::{Cx, json_response};
use crate::outbox;
use crate::store::AddressWrite;

/// The header the claim page sends the refund's claim secret in.
pub(crate) const CLAIM_SECRET_HEADER: &str = "kasse-claim-secret";

/// How often a claim is tried again when the refund changed between its read and its write
/// for some other reason than an address (a merchant's change that left it waiting).
const ATTEMPTS: usize = 3;

/// `GET /v1/public/refunds/{id}` (claim secret): the refund as its shopper may see it.
pub(super) async fn retrieve(cx: &mut Cx<'_>, id: &str) -> ApiResult<Response> {
    let (refund, settings) = claimed(cx, id).await?;
    Ok(answer(&refund, &settings))
}

/// `POST /v1/public/refunds/{id}/address` (claim secret): gives the refund the address
/// it is paid to, once: it becomes `pending` with its `refund.pending` event, in one batch.
pub(super) async fn set_address(cx: &mut Cx<'_>, id: &str) -> ApiResult<Response> {
    let (mut refund, settings) = claimed(cx, id).await?;
    let network = network_name(&refund, config::catalogue());
    let address = parse_claim(&cx.body().await?, &network)?;
    for _ in 0..ATTEMPTS {
        let after = with_address(&refund, address, cx.now).map_err(|set| already(set.message()))?;
        let event = outbox::refund_event(&after, EventType::RefundPending)?;
        match cx.store.set_refund_address(&refund, &after, &event).await? {
            AddressWrite::Set => {
                outbox::note_written(&refund.session_id);
                return Ok(answer(&after, &settings));
            }
            AddressWrite::DepositAddress => {
                return Err(AddressProblem::DepositAddress.error(&network).into());
            }
            AddressWrite::Lost => {
                let (now, _) = cx
                    .store
                    .refund_for_claim(&refund.id)
                    .await?
                    .ok_or_else(|| ApiError::no_such("refund", id))?;
                refund = now;
            }
        }
    }
    Err(ApiError::conflict(
        ErrorCode::RefundConflict,
        "The refund changed while its address was being saved; try again.",
    ))
}

/// The refund `id` and its account's settings, when the request holds its claim secret:
/// 404 for an id that names no refund, 401 for a missing or wrong secret, as the session's
/// public routes answer. The settings are kept for CORS either way.
async fn claimed(cx: &Cx<'_>, id: &str) -> ApiResult<(Refund, Settings)> {
    let Some(refund_id) = RefundId::parse(id) else {
        return Err(ApiError::no_such("refund", id));
    };
    let given = claim_secret(&cx.req)?;
    let Some((refund, settings)) = cx.store.refund_for_claim(&refund_id).await? else {
        return Err(ApiError::no_such("refund", id));
    };
    cx.keep_public_settings(&settings);
    if !constant_time_eq(given.as_bytes(), refund.claim_secret.as_bytes()) {
        return Err(ApiError::unauthenticated(
            "The claim secret does not match this refund.",
        ));
    }
    Ok((refund, settings))
}

/// The claim secret a browser sends; a request without one is a 401.
fn claim_secret(req: &Request) -> ApiResult<String> {
    req.headers().get(CLAIM_SECRET_HEADER)?.ok_or_else(|| {
        ApiError::unauthenticated(
            "Send the refund's claim secret (the part of its link after #) in the Kasse-Claim-Secret header.",
        )
    })
}

/// The 409 of a refund that takes no address any more.
fn already(message: &str) -> ApiError {
    ApiError::conflict(ErrorCode::RefundAddressSet, message)
}

fn answer(refund: &Refund, settings: &Settings) -> Response {
    let object = claim_object(refund, config::catalogue(), &settings.branding.display_name);
    let mut response = json_response(200, &object);
    let _ = response.headers_mut().set("cache-control", "no-store");
    response
}
