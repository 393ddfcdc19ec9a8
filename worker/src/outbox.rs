//! The outbox's request side: the event a session change causes, and the sessions whose
//! writes fanned out webhook deliveries, which a finished request sends right away.
//!
//! The store only reports what it wrote; the callers that wrote note it here, so the
//! store never calls up into the sender.

use std::cell::RefCell;

use kasse_shared::api::refunds::refund_object;
use kasse_shared::api::sweeps::sweep_object;
use kasse_shared::api::view::{Audience, PaymentObject, payment_object, session_object};
use kasse_shared::api::{EventData, EventObject};
use kasse_shared::ids::{EventId, SessionId};
use kasse_shared::refund::{Refund, RefundStatus};
use kasse_shared::session::{EventType, Heads, Payment, Session};
use kasse_shared::sweep::{Sweep, SweepStatus, SweptTransfer};
use kasse_shared::time::Timestamp;

use crate::config;
use crate::entropy::Csprng;
use crate::error::{ApiError, ApiResult};
use crate::store::NewEvent;

thread_local! {
    /// Sessions whose events were written since the last `take_written`: what a finished
    /// request should send right away. Any sender may take them; the leases make that safe.
    static WRITTEN: RefCell<Vec<SessionId>> = const { RefCell::new(Vec::new()) };
}

/// Remembers that a committed write fanned out deliveries for `session_id`.
pub(crate) fn note_written(session_id: &SessionId) {
    WRITTEN.with(|w| {
        let mut w = w.borrow_mut();
        if !w.contains(session_id) {
            w.push(session_id.clone());
        }
    });
}

/// The sessions noted since the last call, in the order first noted.
pub(crate) fn take_written() -> Vec<SessionId> {
    WRITTEN.with(|w| std::mem::take(&mut *w.borrow_mut()))
}

/// The event of a change with no payment in it (a session opened or canceled): the
/// session object as it now stands, with no payments and no heads.
pub(crate) fn status_event(
    session: &Session,
    kind: EventType,
    base_url: &str,
) -> ApiResult<NewEvent> {
    event(session, kind, None, &[], &Heads::default(), base_url)
}

/// An outbox event for `session` as it is now; its body is frozen here.
/// A payment event names the transfer that caused it (`cause`).
pub(crate) fn event(
    session: &Session,
    kind: EventType,
    cause: Option<&Payment>,
    payments: &[Payment],
    heads: &Heads,
    base_url: &str,
) -> ApiResult<NewEvent> {
    let object = session_object(
        session,
        payments,
        heads,
        config::catalogue(),
        base_url,
        Audience::Webhook,
    );
    let cause_key = cause.map(Payment::key).unwrap_or_default();
    let payment = cause.map(|p| payment_object(session, p, heads));
    frozen(
        kind,
        session.updated_at,
        session.livemode,
        object,
        payment,
        cause_key,
    )
}

/// The event of a sweep's decision: the sweep object as decided, frozen here. It names no
/// session (a sweep may empty many), so it is sent by the cron's `send_due`.
pub(crate) fn sweep_event(sweep: &Sweep, transfers: &[SweptTransfer]) -> ApiResult<NewEvent> {
    let kind = match sweep.status {
        SweepStatus::Succeeded => EventType::SweepSucceeded,
        SweepStatus::Failed | SweepStatus::Pending => EventType::SweepFailed,
    };
    let object = sweep_object(sweep, transfers, config::catalogue());
    frozen(
        kind,
        sweep.updated_at,
        sweep.livemode,
        object,
        None,
        sweep.id.to_string(),
    )
}

/// The type of event a refund's status is announced by (`refund.created` is raised on
/// creation, whatever the status).
pub(crate) fn refund_event_type(status: RefundStatus) -> EventType {
    match status {
        RefundStatus::RequiresAddress => EventType::RefundCreated,
        RefundStatus::Pending => EventType::RefundPending,
        RefundStatus::Succeeded => EventType::RefundSucceeded,
        RefundStatus::Canceled => EventType::RefundCanceled,
        RefundStatus::Failed => EventType::RefundFailed,
    }
}

/// An event of `refund` as the change leaves it: the refund object (without its claim
/// link), frozen here. Its cause names the refund and the type, so each is written once
/// (see `Store::refund_event_stmts`).
pub(crate) fn refund_event(refund: &Refund, kind: EventType) -> ApiResult<NewEvent> {
    refund_event_at(refund, kind, None)
}

/// [`refund_event`] with the depth of the refund's recorded transfer, when the change
/// read the chain's head (verification does).
pub(crate) fn refund_event_at(
    refund: &Refund,
    kind: EventType,
    confirmations: Option<u64>,
) -> ApiResult<NewEvent> {
    let object = refund_object(refund, config::catalogue(), "", false, confirmations);
    let cause = format!("{}:{}", refund.id, kind.as_str());
    frozen(
        kind,
        refund.updated_at,
        refund.livemode,
        object,
        None,
        cause,
    )
}

/// An event whose body is serialised now and never again: what was true when it happened
/// is what every delivery and `GET /v1/events/{id}` shows.
fn frozen<T: serde::Serialize>(
    kind: EventType,
    created_at: Timestamp,
    livemode: bool,
    object: T,
    payment: Option<PaymentObject>,
    cause: String,
) -> ApiResult<NewEvent> {
    let id = EventId::generate(&mut Csprng);
    let body = EventObject {
        id: id.clone(),
        object: "event".into(),
        kind,
        created_at,
        livemode,
        data: EventData { object, payment },
    };
    Ok(NewEvent {
        id,
        kind,
        cause,
        body: serde_json::to_string(&body).map_err(ApiError::internal)?,
    })
}

#[cfg(test)]
mod tests {
    use kasse_shared::ids::SessionId;

    use super::{note_written, take_written};

    #[test]
    fn noted_sessions_are_taken_once_each_in_order() {
        let id = |c: &str| -> SessionId { format!("cs_test_{}", c.repeat(24)).parse().unwrap() };
        let (b, a) = (id("b"), id("a"));
        note_written(&b);
        note_written(&a);
        note_written(&b);
        assert_eq!(take_written(), [b, a]);
        assert!(take_written().is_empty());
    }
}
