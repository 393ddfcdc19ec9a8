//! Reconciling recorded token payments with a fresh rescan of the chain.
//!
//! Every run rescans (cursor − confirmations − margin, head]. A recorded token payment in
//! that window that the rescan no longer finds was reorged out; one marked reorged that the
//! rescan finds again was re-included (possibly in another block). Native credits are
//! reconciled by balance, not here.

use std::ops::RangeInclusive;

use super::{Payment, PaymentStatus};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;
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
}
