//! A merchant's cancel: only while no payment was seen.

use kasse_shared::error_code::ErrorCode;
use kasse_shared::session::{self, CancelError, EventType, Session};
use kasse_shared::time::Timestamp;

use super::{Merchant, owned_session};
use crate::entropy;
use crate::error::{ApiError, ApiResult};
use crate::outbox::{self, status_event};
use crate::store::Store;

/// How often a cancel that lost a race is read and tried again before a 409.
const ATTEMPTS: usize = 3;

/// Cancels the merchant's session `id` and returns it as it now is (a session canceled
/// already is returned as it is). A payment or another writer may land between the read
/// and the write; the write is guarded on both, so a lost race is simply read again.
pub(crate) async fn cancel(
    store: &Store,
    merchant: &Merchant<'_>,
    id: &str,
    base: &str,
    now: Timestamp,
) -> ApiResult<Session> {
    for _ in 0..ATTEMPTS {
        let session = owned_session(store, merchant, id).await?;
        let has_payments = !store.payment_rows(&session.id).await?.is_empty();
        let canceled = match session::cancel(&session, has_payments, now) {
            Ok(Some(outcome)) => outcome.session,
            Ok(None) => return Ok(session),
            Err(e) => return Err(cancel_error(e)),
        };
        if try_write(store, session.version, &canceled, base).await? {
            return Ok(canceled);
        }
    }
    Err(ApiError::conflict(
        ErrorCode::SessionBusy,
        "The checkout session changed while it was being canceled; try again.",
    ))
}

/// Writes the canceled session with its `session.canceled` event if the stored one is
/// still at `version` with no payment; whether it was.
async fn try_write(store: &Store, version: u64, canceled: &Session, base: &str) -> ApiResult<bool> {
    let event = status_event(canceled, EventType::Canceled, base)?;
    let written = store
        .cancel_session(version, canceled, &event, &entropy::token("wt_", 16))
        .await?;
    if written.has_deliveries() {
        outbox::note_written(&canceled.id);
    }
    Ok(written.is_written())
}

/// Why a session cannot be canceled: a payment was seen, or it is closed already.
fn cancel_error(e: CancelError) -> ApiError {
    match e {
        CancelError::HasPayments => ApiError::conflict(
            ErrorCode::SessionHasPayments,
            "This checkout session has received a payment, so it cannot be canceled; refund the shopper from your wallet if needed.",
        ),
        CancelError::Closed(status) => ApiError::conflict(
            ErrorCode::SessionClosed,
            format!(
                "This checkout session is {} and cannot be canceled.",
                status.as_str()
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use kasse_shared::status::Status;

    use super::*;

    #[test]
    fn a_refused_cancel_is_a_conflict_that_says_why() {
        let paid = cancel_error(CancelError::HasPayments);
        assert_eq!(
            (paid.status, paid.code),
            (409, ErrorCode::SessionHasPayments)
        );
        let closed = cancel_error(CancelError::Closed(Status::Paid));
        assert_eq!(
            (closed.status, closed.code),
            (409, ErrorCode::SessionClosed)
        );
        assert_eq!(
            closed.message,
            "This checkout session is paid and cannot be canceled."
        );
    }
}
