//! The refund a shopper may ask for from the checkout, when the shop takes such requests.
//!
//! A shopper is offered a refund only where the session leaves money with the shop that it
//! did not ask for: what was paid beyond the amount due; everything, when too little
//! arrived and the grace window has closed, or the session expired with money received;
//! or a payment in a token or on a network the session did not count. One request per
//! session: while a shopper's request is still owed or paid there is no other offer, and a
//! canceled or failed one gives the offer back. The offer is never more than may still be
//! refunded, so what the merchant refunded already is not offered twice.

use alloy_primitives::{Address, ChainId, U256};

use super::{
    CreateRequest, PaidWith, Refund, RequestedBy, payment_refundable, refundable, settled, token_of,
};
use crate::catalogue::Catalogue;
use crate::ids::PaymentId;
use crate::session::{Heads, Session};
use crate::status::Status;
use crate::time::Timestamp;

/// A refund the shopper may request now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    /// The uncounted payment it gives back, when it gives one back.
    pub payment_id: Option<PaymentId>,
    pub chain_id: ChainId,
    pub token: String,
    pub decimals: u8,
    /// Base units of `token`; never 0.
    pub amount: U256,
}

impl Offer {
    /// The refund the shopper's request creates: exactly the offer, paid to `address`.
    pub fn request(&self, address: Address) -> CreateRequest {
        CreateRequest {
            amount: Some(self.amount),
            excess: false,
            payment: self.payment_id.clone(),
            reason: None,
            address: Some(address),
        }
    }
}

/// Why there is no offer: the message of the 409 `refund_not_available`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoOffer {
    /// The shop does not take refund requests from the checkout.
    RequestsOff,
    /// The shopper asked already and that refund is still owed or paid.
    AlreadyRequested,
    /// The session holds nothing the shopper may ask back (now).
    NothingToRefund,
}

impl NoOffer {
    pub fn message(self) -> &'static str {
        match self {
            Self::RequestsOff => {
                "This shop does not take refund requests here; contact the shop about a refund."
            }
            Self::AlreadyRequested => {
                "A refund of this payment was requested already; the shop will send it."
            }
            Self::NothingToRefund => "There is nothing to refund for this checkout now.",
        }
    }
}

/// What an offer is decided from: the session, its payments (oldest first) with their ids,
/// its refunds, the catalogue and chain heads, and the time.
#[derive(Debug, Clone, Copy)]
pub struct OfferBasis<'a> {
    pub session: &'a Session,
    pub payments: &'a [PaidWith<'a>],
    pub refunds: &'a [Refund],
    pub catalogue: &'a Catalogue,
    pub heads: &'a Heads,
    pub now: Timestamp,
}

/// The refund the shopper of `basis.session` may request now; `requests_on` is the
/// account's `refund_requests` setting.
pub fn refund_offer(basis: &OfferBasis<'_>, requests_on: bool) -> Result<Offer, NoOffer> {
    if !requests_on {
        return Err(NoOffer::RequestsOff);
    }
    let requested = basis
        .refunds
        .iter()
        .any(|r| r.requested_by == RequestedBy::Shopper && r.status.holds_amount());
    if requested {
        return Err(NoOffer::AlreadyRequested);
    }
    let supported = |o: &Offer| super::refunds_supported(basis.catalogue, o.chain_id);
    session_offer(basis)
        .filter(supported)
        .or_else(|| uncounted_offer(basis))
        .ok_or(NoOffer::NothingToRefund)
}

/// The offer in the selected token, from how the session ended.
fn session_offer(basis: &OfferBasis<'_>) -> Option<Offer> {
    let session = basis.session;
    let q = session.selected.as_ref()?;
    let left = refundable(session, basis.refunds, q.chain_id, &q.token);
    let amount = match session.status {
        Status::Overpaid => {
            // Refunds already made in this token are taken from the excess first: the
            // merchant refunding the excess leaves nothing more to offer.
            let taken = session.amount_received.saturating_sub(left);
            session.amount_excess.saturating_sub(taken).min(left)
        }
        Status::Underpaid if basis.now >= session.late_until => left,
        Status::Expired => left,
        _ => U256::ZERO,
    };
    (!amount.is_zero()).then(|| Offer {
        payment_id: None,
        chain_id: q.chain_id,
        token: q.token.clone(),
        decimals: q.decimals,
        amount,
    })
}

/// The oldest settled payment the session did not count that is not refunded in full yet:
/// all of what is left of it, in its own chain and token.
fn uncounted_offer(basis: &OfferBasis<'_>) -> Option<Offer> {
    let session = basis.session;
    basis.payments.iter().find_map(|paid| {
        let p = paid.payment;
        let head = basis.heads.get(&p.chain_id).copied();
        if p.counted
            || !settled(session, basis.catalogue, p, head)
            || !super::refunds_supported(basis.catalogue, p.chain_id)
        {
            return None;
        }
        let amount = payment_refundable(session, *paid, basis.refunds);
        let (_, decimals) = token_of(session, basis.catalogue, p.chain_id, &p.token)?;
        (!amount.is_zero()).then(|| Offer {
            payment_id: Some(paid.id.clone()),
            chain_id: p.chain_id,
            token: p.token.clone(),
            decimals,
            amount,
        })
    })
}

#[cfg(test)]
mod tests;
