//! Reconciling recorded payments with a fresh rescan of the chain, and what the changed
//! payments make of their session.
//!
//! Every run rescans (cursor − confirmations − margin, head]. A recorded token payment in
//! that window that the rescan no longer finds was reorged out; one marked reorged that the
//! rescan finds again was re-included (possibly in another block). Native credits are
//! reconciled by balance (`crate::native`), not here.

use std::ops::RangeInclusive;

use super::{
    Heads, Payment, PaymentStatus, Raised, Session, awaits_price, evaluate, settling, unnoticed,
};
use crate::time::Timestamp;

/// The payments whose recorded state differs from the chain, as they should now be.
pub fn reconcile(
    recorded: &[Payment],
    rescanned: &[Payment],
    window: &RangeInclusive<u64>,
) -> Vec<Payment> {
    let mut changed = Vec::new();
    for p in recorded.iter().filter(|p| p.log_index.is_some()) {
        match rescanned.iter().find(|r| p.same_transfer(r)) {
            Some(found)
                if p.status == PaymentStatus::Reorged || found.block_hash != p.block_hash =>
            {
                changed.push(Payment {
                    block_number: found.block_number,
                    block_hash: found.block_hash,
                    block_time: found.block_time,
                    status: PaymentStatus::Detected,
                    ..p.clone()
                });
            }
            None if p.status != PaymentStatus::Reorged && window.contains(&p.block_number) => {
                changed.push(Payment {
                    status: PaymentStatus::Reorged,
                    ..p.clone()
                });
            }
            _ => {}
        }
    }
    changed
}

/// Whether a payment went from `before` to `after` by a reorg deeper than its
/// confirmations: it counted, the rescan lost it, and its session is already final. The
/// status stays (a final status is never taken back); the operator is told instead.
pub fn deep_reorg(session: &Session, before: &Payment, after: &Payment) -> bool {
    session.status.is_final()
        && before.counted
        && before.status != PaymentStatus::Reorged
        && after.status == PaymentStatus::Reorged
}

/// A session's next version, decided from its payments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    pub session: Session,
    /// Every payment as it is after the change, in the order given.
    pub payments: Vec<Payment>,
    pub events: Vec<Raised>,
    /// Whether the next run must decide the session again: a payment is still confirming,
    /// more transfers arrived than one change notices, or one waits for a price.
    pub settling: bool,
}

/// Decides `session` against its payments as they are now (`current`: the recorded ones
/// with this run's rescan and prices applied) and as they were recorded. `evaluate`
/// decides the status and events; when it changes nothing but payment rows changed (dust
/// reorged out, a price found), the rows still need a new version, and it raises no event.
/// `None` when nothing changed at all.
pub fn revise(
    session: &Session,
    recorded: &[Payment],
    mut current: Vec<Payment>,
    heads: &Heads,
    now: Timestamp,
) -> Option<Revision> {
    let (next, events) = match evaluate(session, &current, heads, now) {
        Some(outcome) => {
            for updated in &outcome.payments {
                if let Some(p) = current.iter_mut().find(|p| p.same_transfer(updated)) {
                    *p = updated.clone();
                }
            }
            (outcome.session, outcome.events)
        }
        None if current != recorded => (
            Session {
                version: session.version + 1,
                updated_at: now,
                ..session.clone()
            },
            Vec::new(),
        ),
        None => return None,
    };
    Some(Revision {
        settling: settling(&current)
            || unnoticed(&next, &current)
            || current.iter().any(|p| awaits_price(&next, p)),
        session: next,
        payments: current,
        events,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::tests::session;
    use crate::status::Status;
    use alloy_primitives::{B256, U256};

    fn p(tx: u8, block: u64, hash: u8, status: PaymentStatus) -> Payment {
        Payment {
            chain_id: 31337,
            token: "USDC".into(),
            tx_hash: Some(B256::repeat_byte(tx)),
            log_index: Some(0),
            block_number: block,
            block_hash: B256::repeat_byte(hash),
            block_time: Timestamp(1000 + block),
            amount: U256::from(5u8),
            status,
            counted: true,
            repriced: None,
        }
    }

    #[test]
    fn unchanged_payments_stay() {
        let recorded = [
            p(1, 10, 1, PaymentStatus::Detected),
            p(2, 11, 2, PaymentStatus::Confirmed),
        ];
        assert!(reconcile(&recorded, &recorded, &(5..=20)).is_empty());
    }

    #[test]
    fn missing_from_the_window_is_reorged_out() {
        let recorded = [p(1, 10, 1, PaymentStatus::Detected)];
        let changed = reconcile(&recorded, &[], &(5..=20));
        assert_eq!(changed.len(), 1);
        assert_eq!(changed[0].status, PaymentStatus::Reorged);
    }

    #[test]
    fn outside_the_window_is_not_judged() {
        let recorded = [p(1, 3, 1, PaymentStatus::Confirmed)];
        assert!(reconcile(&recorded, &[], &(5..=20)).is_empty());
    }

    #[test]
    fn found_again_is_restored_with_its_new_block() {
        let recorded = [p(1, 10, 1, PaymentStatus::Reorged)];
        let again = [p(1, 12, 9, PaymentStatus::Detected)];
        let changed = reconcile(&recorded, &again, &(5..=20));
        assert_eq!(changed.len(), 1);
        assert_eq!(
            (
                changed[0].status,
                changed[0].block_number,
                changed[0].block_hash
            ),
            (PaymentStatus::Detected, 12, B256::repeat_byte(9))
        );
    }

    #[test]
    fn moved_to_another_block_restarts_its_confirmations() {
        let recorded = [p(1, 10, 1, PaymentStatus::Confirmed)];
        let moved = [p(1, 11, 7, PaymentStatus::Detected)];
        let changed = reconcile(&recorded, &moved, &(5..=20));
        assert_eq!(
            (changed[0].status, changed[0].block_number),
            (PaymentStatus::Detected, 11)
        );
    }

    #[test]
    fn already_reorged_and_still_missing_is_left_alone() {
        let recorded = [p(1, 10, 1, PaymentStatus::Reorged)];
        assert!(reconcile(&recorded, &[], &(5..=20)).is_empty());
    }

    fn final_session() -> Session {
        Session {
            status: Status::Paid,
            ..session(true)
        }
    }

    #[test]
    fn a_counted_payment_lost_under_a_final_session_is_a_deep_reorg() {
        let before = p(1, 10, 1, PaymentStatus::Confirmed);
        let after = Payment {
            status: PaymentStatus::Reorged,
            ..before.clone()
        };
        assert!(deep_reorg(&final_session(), &before, &after));
        assert!(
            !deep_reorg(&session(true), &before, &after),
            "an open session is simply re-evaluated"
        );
        let uncounted = Payment {
            counted: false,
            ..before.clone()
        };
        assert!(!deep_reorg(&final_session(), &uncounted, &after));
        assert!(
            !deep_reorg(&final_session(), &after, &after),
            "already reorged: reported once"
        );
        assert!(!deep_reorg(&final_session(), &before, &before));
    }

    fn heads() -> Heads {
        Heads::from([(31337, 100)])
    }

    fn usdc(amount: u64, status: PaymentStatus, counted: bool) -> Payment {
        Payment {
            amount: U256::from(amount),
            block_time: session(true).created_at.plus_secs(30),
            counted,
            ..p(1, 90, 1, status)
        }
    }

    #[test]
    fn nothing_changed_is_no_revision() {
        let s = session(true);
        let now = s.created_at.plus_secs(60);
        assert_eq!(revise(&s, &[], Vec::new(), &heads(), now), None);
        let dust = [usdc(1, PaymentStatus::Detected, false)];
        let noticed = Session {
            noticed: dust.iter().map(Payment::key).collect(),
            ..s
        };
        assert_eq!(revise(&noticed, &dust, dust.to_vec(), &heads(), now), None);
    }

    #[test]
    fn only_payment_rows_changed_is_a_new_version_without_events() {
        let dust = usdc(1, PaymentStatus::Detected, false);
        let s = Session {
            noticed: [dust.key()].into(),
            ..session(true)
        };
        let now = s.created_at.plus_secs(60);
        let reorged = Payment {
            status: PaymentStatus::Reorged,
            ..dust.clone()
        };
        let revision = revise(&s, &[dust], vec![reorged.clone()], &heads(), now)
            .expect("the row needs a version");
        assert_eq!(revision.session.version, s.version + 1);
        assert_eq!(revision.session.updated_at, now);
        assert_eq!(revision.session.status, s.status);
        assert!(revision.events.is_empty());
        assert_eq!(revision.payments, [reorged]);
        assert!(!revision.settling);
    }

    #[test]
    fn the_lifecycle_decides_and_its_payment_updates_are_applied() {
        let s = session(true);
        let paid = usdc(49_990_000, PaymentStatus::Detected, true);
        let now = s.created_at.plus_secs(60);
        let recorded = [paid.clone()];
        let revision =
            revise(&s, &recorded, vec![paid.clone()], &heads(), now).expect("paid and confirmed");
        assert_eq!(revision.session.status, Status::Paid);
        assert!(!revision.events.is_empty());
        assert_eq!(revision.payments[0].status, PaymentStatus::Confirmed);
        assert!(!revision.settling, "confirmed: nothing left to wait for");

        let young = Heads::from([(31337, 90)]);
        let detected = revise(&s, &recorded, vec![paid], &young, now).expect("detected");
        assert_eq!(detected.session.status, Status::Detected);
        assert!(detected.settling, "still confirming");
    }
}
