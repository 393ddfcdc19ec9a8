//! The shopper's choice of option, and how long its quote holds.
//!
//! A quote younger than [`QUOTE_LOCK_SECS`] is locked as it is; an older one is re-priced
//! by the caller (stablecoins only get a new timestamp, the native coin a new feed price)
//! and then locked. The choice may change until the first payment arrives.

use super::{Quote, Session, Status};
use crate::time::Timestamp;

/// How long a quote holds once quoted: 15 minutes.
pub const QUOTE_LOCK_SECS: u64 = 15 * 60;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectError {
    /// The session is paid, canceled or failed.
    Closed(Status),
    /// A payment already arrived: the option that counts can no longer change.
    PaymentSeen,
    /// Not one of the session's options.
    NotOffered,
}

/// The option to lock for `chain_id` + `token`, and whether its quote must be re-priced.
pub fn choose(
    session: &Session,
    chain_id: u64,
    token: &str,
    has_payments: bool,
    now: Timestamp,
) -> Result<(Quote, bool), SelectError> {
    if session.status.is_final() {
        return Err(SelectError::Closed(session.status));
    }
    let option = session
        .option(chain_id, token)
        .ok_or(SelectError::NotOffered)?;
    let reselecting = session
        .selected
        .as_ref()
        .is_some_and(|s| !s.same_option(chain_id, token));
    if (reselecting || session.selected.is_none()) && has_payments {
        return Err(SelectError::PaymentSeen);
    }
    // Re-selecting the locked option keeps its lock; a new choice starts from the offer.
    let current = match &session.selected {
        Some(s) if s.same_option(chain_id, token) => s,
        _ => option,
    };
    let stale = now.0.saturating_sub(current.quoted_at.0) >= QUOTE_LOCK_SECS;
    Ok((current.clone(), stale))
}

/// `session` with `quote` locked as its selection (and as its offer of that option).
/// `None` if nothing changes.
pub fn lock(session: &Session, quote: Quote, now: Timestamp) -> Option<Session> {
    if session.selected.as_ref() == Some(&quote) {
        return None;
    }
    let mut next = session.clone();
    for option in &mut next.options {
        if option.same_option(quote.chain_id, &quote.token) {
            *option = quote.clone();
        }
    }
    next.selected = Some(quote);
    next.quote_locked_at = Some(now);
    next.version = session.version + 1;
    next.updated_at = now;
    Some(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::tests::{T0, session, usdc, usdt};

    const AMOUNT: u64 = 49_990_000;

    #[test]
    fn a_fresh_quote_is_locked_as_it_is() {
        let s = session(false);
        let (q, stale) = choose(&s, 31337, "USDC", false, T0.plus_secs(899)).expect("ok");
        assert!(!stale);
        let locked = lock(&s, q.clone(), T0.plus_secs(899)).expect("changes");
        assert_eq!(locked.selected, Some(q));
        assert_eq!(locked.version, s.version + 1);
        let again = locked.selected.clone().expect("set");
        assert_eq!(lock(&locked, again, T0.plus_secs(900)), None);
    }

    #[test]
    fn an_old_quote_must_be_repriced() {
        let s = session(false);
        let (_, stale) = choose(&s, 31337, "USDC", false, T0.plus_secs(900)).expect("ok");
        assert!(stale);
    }

    #[test]
    fn refusals() {
        let mut s = session(false);
        assert_eq!(
            choose(&s, 1, "USDC", false, T0),
            Err(SelectError::NotOffered)
        );
        assert_eq!(
            choose(&s, 31337, "USDC", true, T0),
            Err(SelectError::PaymentSeen)
        );
        s.selected = Some(usdt(AMOUNT));
        assert_eq!(
            choose(&s, 31337, "USDC", true, T0),
            Err(SelectError::PaymentSeen)
        );
        // The locked option itself may be chosen again, even after a payment.
        assert!(choose(&s, 31337, "usdt", true, T0).is_ok());
        s.status = Status::Paid;
        assert_eq!(
            choose(&s, 31337, "USDT", false, T0),
            Err(SelectError::Closed(Status::Paid))
        );
    }

    #[test]
    fn locking_replaces_the_offer_too() {
        let s = session(false);
        let q = Quote {
            quoted_at: T0.plus_secs(5_000),
            ..usdc(AMOUNT)
        };
        let next = lock(&s, q.clone(), T0.plus_secs(5_000)).expect("changes");
        assert!(next.options.contains(&q));
        assert_eq!(next.options.len(), s.options.len());
    }
}
