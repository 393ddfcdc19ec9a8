//! Sweeps: moving what landed at deposit addresses to the merchant's treasury.

use crate::status::Status;
use crate::time::Timestamp;

/// Whether a session's deposit address may be emptied now. A session is swept only once its
/// outcome can no longer change: a terminal status, or its late-payment grace is over and no
/// counted payment is still confirming (a `detected` session stays watched until it is
/// final, and moving its money out would hide the payment the watcher is still counting).
pub fn may_sweep(status: Status, late_until: Timestamp, now: Timestamp) -> bool {
    status.is_final() || (now > late_until && status != Status::Detected)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUSES: [Status; 9] = [
        Status::Pending,
        Status::Detected,
        Status::Underpaid,
        Status::Overpaid,
        Status::Paid,
        Status::PaidLate,
        Status::Expired,
        Status::Canceled,
        Status::Failed,
    ];

    #[test]
    fn terminal_sessions_may_be_swept_at_once_and_the_others_after_their_grace() {
        let late_until = Timestamp(1_000);
        for status in STATUSES {
            let before = may_sweep(status, late_until, Timestamp(999));
            let at = may_sweep(status, late_until, Timestamp(1_000));
            let after = may_sweep(status, late_until, Timestamp(1_001));
            let terminal = matches!(
                status,
                Status::Overpaid | Status::Paid | Status::PaidLate | Status::Canceled | Status::Failed
            );
            assert_eq!(before, terminal, "{status:?} before late_until");
            assert_eq!(at, terminal, "{status:?} at late_until");
            assert_eq!(after, status != Status::Detected, "{status:?} after late_until");
        }
    }
}
