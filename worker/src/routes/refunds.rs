//! Refunds (secret key): `POST /v1/checkout_sessions/{id}/refunds`, `GET /v1/refunds`,
//! `GET /v1/refunds/{id}` and `POST /v1/refunds/{id}/cancel`; and the shopper's request
//! from the checkout, `POST /v1/public/checkout_sessions/{id}/refund_request`, which goes
//! through the same guarded create. The worker decides and records; the merchant's own
//! tools send the money.

use kasse_shared::api::refund_claim::{
    AddressProblem, address_field, chain_name, parse_refund_address, shopper_refund_object,
};
use kasse_shared::api::refunds::{self, RefundObject, refund_object};
use kasse_shared::error_code::ErrorCode;
use kasse_shared::ids::{RefundId, SessionId};
use kasse_shared::params::{self, reject_unknown};
use kasse_shared::refund::offer::{Offer, refund_offer};
use kasse_shared::refund::{
    self, CreateRequest, PaidWith, Planned, Refund, RefundStatus, RequestedBy,
};
use kasse_shared::session::{EventType, Session};
use kasse_shared::time::Timestamp;
use worker::Response;

use crate::chain::rpc::read_head;
use crate::checkout::view::with_offer_basis;
use crate::config;
use crate::entropy::Csprng;
use crate::error::{ApiError, ApiResult, chain_error};
use crate::http::auth::{Caller, check_client_secret, client_secret};
use crate::http::{Cx, checked_cursor, json_response, list_response, owned};
use crate::outbox::{self, refund_event};
use crate::store::{RefundBasis, Store};

/// Creates that lose the race to another refund of the same session are decided again
/// this many times before the caller is told to retry.
const CREATE_ATTEMPTS: usize = 3;

/// The secret-key view of a refund, with its claim link and its transfer's depth.
fn view(refund: &Refund, base: &str, head: Option<u64>) -> RefundObject {
    let confirmations = refund.block_number.map(|_| refund.confirmations(head));
    refund_object(refund, config::catalogue(), base, true, confirmations)
}

/// The caller's refund `id`, or the 404 (the same for another account's or mode's).
async fn owned_refund(cx: &Cx<'_>, caller: &Caller, id: &str) -> ApiResult<Refund> {
    owned("refund", id, RefundId::parse(id), async |id| {
        let found = cx.store.refund(&id).await?;
        Ok(found.filter(|r| r.account_id == caller.account_id && r.livemode == caller.livemode))
    })
    .await
}

/// The head the refund's chain had when it was created: the one the watcher last
/// recorded, else read from the chain now.
async fn created_block(cx: &Cx<'_>, basis: &RefundBasis, chain_id: u64) -> ApiResult<u64> {
    if let Some(head) = basis.heads.get(&chain_id) {
        return Ok(*head);
    }
    let chain = config::catalogue()
        .chain(chain_id)
        .ok_or_else(|| ApiError::internal(format!("chain {chain_id} left the catalogue")))?;
    let url = config::rpc_url(cx.env, chain)
        .ok_or_else(|| chain_error(format!("no RPC URL for chain {chain_id}")))?;
    read_head(&config::rpc(cx.env, chain, url), chain_id)
        .await
        .map_err(|e| {
            worker::console_warn!("refund: reading the head of chain {chain_id}: {e}");
            chain_error("The chain could not be read just now; try again.")
        })
}

/// The refund a plan becomes, created now by `requested_by`.
fn new_refund(
    cx: &Cx<'_>,
    basis: &RefundBasis,
    (plan, requested_by): (Planned, RequestedBy),
    request: &CreateRequest,
    block: u64,
) -> Refund {
    let session = &basis.session;
    Refund {
        id: RefundId::generate(session.livemode, &mut Csprng),
        account_id: session.account_id.clone(),
        livemode: session.livemode,
        session_id: session.id.clone(),
        payment_id: plan.payment_id,
        chain_id: plan.chain_id,
        token: plan.token,
        contract_address: plan.contract_address,
        decimals: plan.decimals,
        amount: plan.amount,
        address: plan.address,
        status: plan.status,
        reason: request.reason.clone(),
        requested_by,
        claim_secret: refund::new_claim_secret(&mut Csprng),
        created_block: block,
        tx_hash: None,
        log_index: None,
        block_number: None,
        block_hash: None,
        submitted_hash: None,
        failure_code: None,
        failure_message: None,
        created_at: cx.now,
        updated_at: cx.now,
        succeeded_at: None,
        canceled_at: None,
        version: 1,
    }
}

/// Decides one attempt at a refund by `requested_by` from what was read; `Ok(None)` when
/// another refund of the session was written in between (decide again).
async fn attempt(
    cx: &Cx<'_>,
    basis: &RefundBasis,
    (request, requested_by): (&CreateRequest, RequestedBy),
    address_is_deposit: bool,
) -> ApiResult<Option<Refund>> {
    let paid: Vec<PaidWith<'_>> = basis
        .payments
        .iter()
        .map(|(id, payment)| PaidWith { id, payment })
        .collect();
    let plan = refund::decide_create(
        &basis.session,
        &paid,
        &basis.refunds,
        request,
        (config::catalogue(), &basis.heads),
        address_is_deposit,
    )?;
    let block = created_block(cx, basis, plan.chain_id).await?;
    let refund = new_refund(cx, basis, (plan, requested_by), request, block);
    let created = refund_event(&refund, EventType::RefundCreated)?;
    let pending = refund_event(&refund, outbox::refund_event_type(RefundStatus::Pending))?;
    let events: Vec<_> = if refund.status == RefundStatus::Pending {
        vec![&created, &pending]
    } else {
        vec![&created]
    };
    let written = cx
        .store
        .insert_refund(&refund, basis.refund_seq, &events)
        .await?;
    Ok(written.then_some(refund))
}

/// Whether `address` is one of the account's own deposit addresses in this mode.
async fn is_deposit(store: &Store, caller: &Caller, request: &CreateRequest) -> ApiResult<bool> {
    let Some(address) = request.address else {
        return Ok(false);
    };
    let found = store
        .deposit_sessions(&caller.account_id, caller.livemode, &[address])
        .await?;
    Ok(!found.is_empty())
}

/// `POST /v1/checkout_sessions/{id}/refunds`: decided from the session's payments and
/// refunds, written only if no other refund of it was written meanwhile.
pub(super) async fn create(cx: &mut Cx<'_>, id: &str) -> ApiResult<Response> {
    let caller = cx.secret().await?;
    let request = refunds::parse_create(&cx.body().await?)?;
    let session_id = SessionId::parse_in(id, caller.livemode);
    let address_is_deposit = is_deposit(&cx.store, &caller, &request).await?;
    for _ in 0..CREATE_ATTEMPTS {
        let basis = owned("checkout session", id, session_id.clone(), async |sid| {
            let found = cx.store.refund_basis(&sid).await?;
            Ok(found.filter(|b| b.session.account_id == caller.account_id))
        })
        .await?;
        let merchant = (&request, RequestedBy::Merchant);
        if let Some(refund) = attempt(cx, &basis, merchant, address_is_deposit).await? {
            outbox::note_written(&refund.session_id);
            let head = basis.heads.get(&refund.chain_id).copied();
            return Ok(json_response(201, &view(&refund, &cx.base()?, head)));
        }
    }
    Err(ApiError::conflict(
        ErrorCode::RefundConflict,
        "Other refunds of this session were being created at the same time; try again.",
    ))
}

pub(super) async fn retrieve(cx: &mut Cx<'_>, id: &str) -> ApiResult<Response> {
    let caller = cx.secret().await?;
    let refund = owned_refund(cx, &caller, id).await?;
    let head = cx.store.heads().await?.get(&refund.chain_id).copied();
    Ok(json_response(200, &view(&refund, &cx.base()?, head)))
}

/// `GET /v1/refunds`: newest first; filters `session` and `status`.
pub(super) async fn list(cx: &mut Cx<'_>) -> ApiResult<Response> {
    let caller = cx.secret().await?;
    let pairs = cx.query()?;
    let (page, filter) = refunds::parse_list(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
    let store = &cx.store;
    let cursor = checked_cursor(&page.cursor, "refund", async |id| {
        let Some(refund_id) = RefundId::parse(id) else {
            return Ok(None);
        };
        let found = store.refund(&refund_id).await?;
        Ok(found
            .filter(|r| r.account_id == caller.account_id && r.livemode == caller.livemode)
            .map(|_| id))
    })
    .await?;
    let mut rows = store
        .list_refunds(
            &caller.account_id,
            caller.livemode,
            &filter,
            cursor,
            page.limit + 1,
        )
        .await?;
    let has_more = page.trim(&mut rows);
    let heads = store.heads().await?;
    let base = cx.base()?;
    let data: Vec<RefundObject> = rows
        .iter()
        .map(|r| view(r, &base, heads.get(&r.chain_id).copied()))
        .collect();
    list_response("/v1/refunds", &data, has_more)
}

/// `POST /v1/refunds/{id}/cancel`: only while it waits for its address or its transfer.
pub(super) async fn cancel(cx: &mut Cx<'_>, id: &str) -> ApiResult<Response> {
    let caller = cx.secret().await?;
    let body = cx.body().await?;
    if !body.trim().is_empty() {
        reject_unknown(&params::object(&body)?, &[])?;
    }
    let seen = owned_refund(cx, &caller, id).await?;
    refund::decide_cancel(&seen)
        .map_err(|message| ApiError::conflict(ErrorCode::RefundNotCancelable, message))?;
    let now = cx.now;
    let canceled = Refund {
        status: RefundStatus::Canceled,
        canceled_at: Some(now),
        updated_at: now,
        version: seen.version + 1,
        ..seen.clone()
    };
    let event = refund_event(&canceled, EventType::RefundCanceled)?;
    if !cx.store.cancel_refund(&seen, &canceled, &[&event]).await? {
        let now_stored = owned_refund(cx, &caller, id).await?;
        let message = refund::decide_cancel(&now_stored)
            .err()
            .unwrap_or_else(|| "The refund changed meanwhile; try again.".to_owned());
        return Err(ApiError::conflict(ErrorCode::RefundNotCancelable, message));
    }
    outbox::note_written(&canceled.session_id);
    Ok(json_response(200, &view(&canceled, &cx.base()?, None)))
}

/// `POST /v1/public/checkout_sessions/{id}/refund_request` (client secret): the shopper
/// asks for the refund their view offers, to their own address. It is created `pending`
/// through the same guarded write as the merchant's, so of concurrent requests one is
/// written and the others find it and are refused. The body is checked before whether
/// there is anything to request: bad input is a 400 either way.
pub(super) async fn shopper_request(cx: &mut Cx<'_>, id: &str) -> ApiResult<Response> {
    let Some(session_id) = SessionId::parse(id) else {
        return Err(ApiError::no_such("checkout session", id));
    };
    let given = client_secret(&cx.req)?;
    let mut basis = requester_basis(cx, &session_id, &given).await?;
    let body = cx.body().await?;
    let offered = shopper_offer(&basis, cx.now);
    let network = request_network(&basis.session, offered.as_ref().ok());
    let text = address_field(&body, &network)?;
    let address = parse_refund_address(&text).map_err(|p| p.error(&network))?;
    let mut offer = offered?;
    if cx
        .store
        .is_deposit_address(&basis.session.account_id, &address)
        .await?
    {
        return Err(AddressProblem::DepositAddress.error(&network).into());
    }
    for _ in 0..CREATE_ATTEMPTS {
        let request = offer.request(address);
        let shopper = (&request, RequestedBy::Shopper);
        if let Some(refund) = attempt(cx, &basis, shopper, false).await? {
            outbox::note_written(&refund.session_id);
            let object = shopper_refund_object(&refund, config::catalogue());
            let mut response = json_response(201, &object);
            response.headers_mut().set("cache-control", "no-store")?;
            return Ok(response);
        }
        basis = requester_basis(cx, &session_id, &given).await?;
        offer = shopper_offer(&basis, cx.now)?;
    }
    Err(ApiError::conflict(
        ErrorCode::RefundConflict,
        "Other refunds of this session were being created at the same time; try again.",
    ))
}

/// What the shopper's request of session `id` is decided from, when `given` is its client
/// secret (404 and 401 as the session's other public routes answer). The account's
/// settings are kept for CORS.
async fn requester_basis(cx: &Cx<'_>, id: &SessionId, given: &str) -> ApiResult<RefundBasis> {
    let Some(basis) = cx.store.refund_basis(id).await? else {
        return Err(ApiError::no_such("checkout session", id));
    };
    cx.keep_public_settings(&basis.settings);
    check_client_secret(&basis.session, given)?;
    Ok(basis)
}

/// The refund the shopper of `basis` may request now, or the 409 that says why none.
fn shopper_offer(basis: &RefundBasis, now: Timestamp) -> ApiResult<Offer> {
    let paid = basis.payments.iter().map(|(id, payment)| (id, payment));
    let on = basis.settings.refund_requests;
    with_offer_basis(
        (&basis.session, paid, &basis.refunds),
        &basis.heads,
        now,
        |offer_basis| refund_offer(offer_basis, on),
    )
    .map_err(|none| ApiError::conflict(ErrorCode::RefundNotAvailable, none.message()))
}

/// The network an address error names: the offer's, else the session's own.
fn request_network(session: &Session, offer: Option<&Offer>) -> String {
    let chain = offer.map(|o| o.chain_id).or_else(|| {
        let quote = session.selected.as_ref().or(session.options.first());
        quote.map(|q| q.chain_id)
    });
    chain.map_or_else(
        || "the shop's network".to_owned(),
        |id| chain_name(config::catalogue(), id),
    )
}
