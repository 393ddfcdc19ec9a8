//! A session as its readers see it now: the merchant's object and the shopper's view, read
//! from the store and built by the core's view functions.

use kasse_shared::api::refund_claim::shopper_refund_fields;
use kasse_shared::api::sweeps::{SweptRecord, swept_object};
use kasse_shared::api::view::{
    Audience, SessionObject, amount_refunded, checkout_url, session_object, shopper_view,
};
use kasse_shared::ids::{PaymentId, SessionId};
use kasse_shared::refund::offer::OfferBasis;
use kasse_shared::refund::{PaidWith, Refund};
use kasse_shared::session::{Heads, Payment, Session};
use kasse_shared::shopper::{ShopperView, StartedSession};
use kasse_shared::time::Timestamp;

use crate::config;
use crate::error::{ApiError, ApiResult};
use crate::store::{SessionRefunds, ShopperReads, Store};

/// How often a shopper's visit is recorded in `accessed_at`: at most once per this many
/// seconds, so polling does not write on every request.
const ACCESS_EVERY_SECS: u64 = 300;

/// The merchant's object of `session` with the payments, heads, sweep records and refunds
/// given (those of other sessions are skipped).
pub(crate) fn merchant_object(
    session: &Session,
    payments: &[Payment],
    heads: &Heads,
    (swept, refunds): (&[SweptRecord], &SessionRefunds),
    base: &str,
) -> SessionObject {
    let catalogue = config::catalogue();
    let mut object = session_object(
        session,
        payments,
        heads,
        catalogue,
        base,
        Audience::SecretKey,
    );
    object.swept = Some(
        swept
            .iter()
            .filter(|r| r.session_id == session.id)
            .map(|r| swept_object(r, catalogue))
            .collect(),
    );
    for (shown, payment) in object.payments.iter_mut().zip(payments) {
        shown.id = refunds.payment_id(&session.id, payment).cloned();
    }
    object.amount_refunded = Some(amount_refunded(session, refunds.of(&session.id)).to_string());
    object.refunds = Some(refunds.of(&session.id).map(|r| r.id.clone()).collect());
    object
}

/// The merchant's object of `session` with its payments as stored now.
pub(crate) async fn merchant_view(
    store: &Store,
    session: &Session,
    base: &str,
) -> ApiResult<SessionObject> {
    let payments = store.payments(&session.id).await?;
    let heads = store.heads().await?;
    let swept = store.swept_of(&[&session.id]).await?;
    let refunds = store.refunds_of_sessions(&[&session.id]).await?;
    Ok(merchant_object(
        session,
        &payments,
        &heads,
        (&swept, &refunds),
        base,
    ))
}

/// The merchant's objects of a page of sessions, each with its payments as stored now.
pub(crate) async fn merchant_page(
    store: &Store,
    sessions: &[Session],
    base: &str,
) -> ApiResult<Vec<SessionObject>> {
    let ids: Vec<&SessionId> = sessions.iter().map(|s| &s.id).collect();
    let (mut payments, heads, swept, refunds) = store.page_reads(&ids).await?;
    Ok(sessions
        .iter()
        .map(|s| {
            let payments = payments.remove(&s.id).unwrap_or_default();
            merchant_object(s, &payments, &heads, (&swept, &refunds), base)
        })
        .collect())
}

/// The shopper's view built from what [`Store::shopper_reads`] read, with the refund the
/// shopper may request and the one they requested.
pub(crate) fn shopper_of(reads: &ShopperReads, base: &str, now: Timestamp) -> ShopperView {
    let catalogue = config::catalogue();
    let paid = reads.payment_ids.iter().zip(&reads.payments);
    let (refund_offer, shopper_refund) = with_offer_basis(
        (&reads.session, paid, &reads.refunds),
        &reads.heads,
        now,
        |basis| shopper_refund_fields(basis, reads.settings.refund_requests),
    );
    ShopperView {
        refund_offer,
        shopper_refund,
        ..shopper_view(
            &reads.session,
            &reads.payments,
            &reads.heads,
            catalogue,
            reads.settings.branding.clone(),
            base,
            now,
        )
    }
}

/// `decide` run on what the refund a shopper of `session` may request is decided from: its
/// payments with their ids (oldest first) and its refunds, the chain heads and the time.
pub(crate) fn with_offer_basis<'a, R>(
    (session, payments, refunds): (
        &Session,
        impl Iterator<Item = (&'a PaymentId, &'a Payment)>,
        &[Refund],
    ),
    heads: &Heads,
    now: Timestamp,
    decide: impl FnOnce(&OfferBasis<'_>) -> R,
) -> R {
    let paid: Vec<PaidWith<'_>> = payments
        .map(|(id, payment)| PaidWith { id, payment })
        .collect();
    decide(&OfferBasis {
        session,
        payments: &paid,
        refunds,
        catalogue: config::catalogue(),
        heads,
        now,
    })
}

/// What the shopper's view of session `id` is built from, as stored now (one round trip),
/// after a change this request made: the session was read before, so it is only missing
/// if it was deleted meanwhile.
pub(crate) async fn shopper_reads_now(store: &Store, id: &SessionId) -> ApiResult<ShopperReads> {
    store
        .shopper_reads(id)
        .await?
        .ok_or_else(|| ApiError::not_found("The session disappeared."))
}

/// A session started in a browser: the shopper's view, its client secret and hosted page.
pub(crate) async fn started(
    store: &Store,
    session: &Session,
    base: &str,
    now: Timestamp,
) -> ApiResult<StartedSession> {
    let reads = shopper_reads_now(store, &session.id).await?;
    Ok(StartedSession {
        view: shopper_of(&reads, base, now),
        client_secret: session.client_secret.clone(),
        checkout_url: checkout_url(base, session),
    })
}

/// Whether a shopper's visit at `now` should be recorded: the last one recorded (if any)
/// is at least five minutes old.
pub(crate) fn visit_due(accessed_at: Option<Timestamp>, now: Timestamp) -> bool {
    accessed_at.is_none_or(|t| t.0.saturating_add(ACCESS_EVERY_SECS) <= now.0)
}

/// What a shopper's poll sees: the view of what was read, with the visit recorded if due
/// (a write at most every five minutes, outside the document).
pub(crate) async fn shopper_visit(
    store: &Store,
    reads: &ShopperReads,
    base: &str,
    now: Timestamp,
) -> ApiResult<ShopperView> {
    if visit_due(reads.session.accessed_at, now) {
        store.touch_session(&reads.session.id, now).await?;
    }
    Ok(shopper_of(reads, base, now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_visit_is_recorded_at_most_every_five_minutes() {
        let now = Timestamp(1_800_000_000);
        assert!(visit_due(None, now), "never recorded");
        for (ago, due) in [
            (0, false),
            (1, false),
            (299, false),
            (300, true),
            (3_600, true),
        ] {
            assert_eq!(
                visit_due(Some(Timestamp(now.0 - ago)), now),
                due,
                "{ago} s ago"
            );
        }
        assert!(
            !visit_due(Some(now.plus_secs(10)), now),
            "a visit recorded by a clock ahead of this one"
        );
    }
}
