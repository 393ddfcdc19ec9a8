//! The merchant's cancel: only while the session has no payment rows at all.

use super::{EventType, Outcome, Raised, Session};
use crate::status::Status;
use crate::time::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelError {
    /// A payment was seen (counted or not): the money must be accounted for, not dropped.
    HasPayments,
    /// Decided already (paid, failed…): nothing left to cancel.
    Closed(Status),
}

/// Cancels `session`; `None` when it is canceled already (cancelling twice is harmless).
pub fn cancel(
    session: &Session,
    has_payments: bool,
    now: Timestamp,
) -> Result<Option<Outcome>, CancelError> {
    if session.status == Status::Canceled {
        return Ok(None);
    }
    if has_payments {
        return Err(CancelError::HasPayments);
    }
    if session.status.is_final() {
        return Err(CancelError::Closed(session.status));
    }
    Ok(Some(Outcome {
        session: Session {
            status: Status::Canceled,
            canceled_at: Some(now),
            version: session.version + 1,
            updated_at: now,
            ..session.clone()
        },
        events: vec![Raised::status(EventType::Canceled)],
        payments: Vec::new(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::tests::session;

    #[test]
    fn an_open_or_expired_session_without_payments_cancels_once() {
        for status in [Status::Pending, Status::Expired] {
            let s = Session {
                status,
                ..session(false)
            };
            let now = Timestamp(s.created_at.0 + 60);
            let out = cancel(&s, false, now).unwrap().unwrap();
            assert_eq!(out.session.status, Status::Canceled);
            assert_eq!(out.session.canceled_at, Some(now));
            assert_eq!(out.session.version, s.version + 1);
            assert_eq!(out.events, vec![EventType::Canceled]);
            assert_eq!(
                cancel(&out.session, false, now).unwrap(),
                None,
                "twice is harmless"
            );
        }
    }

    #[test]
    fn payment_rows_or_a_decided_status_refuse() {
        let s = session(false);
        assert_eq!(
            cancel(&s, true, s.created_at),
            Err(CancelError::HasPayments)
        );
        let paid = Session {
            status: Status::Paid,
            ..session(false)
        };
        assert_eq!(
            cancel(&paid, true, s.created_at),
            Err(CancelError::HasPayments)
        );
        let failed = Session {
            status: Status::Failed,
            ..session(false)
        };
        assert_eq!(
            cancel(&failed, false, s.created_at),
            Err(CancelError::Closed(Status::Failed))
        );
    }
}
