//! A paid session's receipt, as its shopper sees it: what arrived, on which network, when,
//! for which shop and order, and the transactions that paid it.

use crate::catalogue::Catalogue;
use crate::money::format_units;
use crate::session::{Payment, PaymentStatus, Session};
use crate::shopper::{Receipt, ReceiptTransaction};

/// The receipt of `session` once it is paid (`paid`, `paid_late`, `overpaid`), else none.
/// Its transactions are those of the payments that count, oldest first, each once (one
/// transaction may carry several transfers); `merchant` is the shop's display name.
pub fn receipt(
    session: &Session,
    payments: &[Payment],
    catalogue: &Catalogue,
    merchant: &str,
) -> Option<Receipt> {
    if !session.status.is_paid() {
        return None;
    }
    let paid_with = session.selected.as_ref()?;
    let counted: Vec<&Payment> = payments
        .iter()
        .filter(|p| p.counted && p.status != PaymentStatus::Reorged)
        .collect();
    // A session records when it became paid; one that somehow did not is dated by its
    // newest counted payment.
    let paid_at = session
        .paid_at
        .or_else(|| counted.iter().map(|p| p.block_time).max())
        .unwrap_or(session.updated_at);
    let mut transactions: Vec<ReceiptTransaction> = Vec::new();
    for p in counted {
        let Some(hash) = p.tx_hash.map(|h| h.to_string()) else {
            continue;
        };
        if transactions.iter().all(|t| t.tx_hash != hash) {
            transactions.push(ReceiptTransaction {
                url: transaction_url(catalogue, p.chain_id, &hash),
                tx_hash: hash,
            });
        }
    }
    let chain = catalogue.chain(paid_with.chain_id);
    Some(Receipt {
        merchant: merchant.to_owned(),
        reference: session.id.to_string(),
        amount: session.amount_received.to_string(),
        amount_formatted: format_units(session.amount_received, paid_with.decimals),
        token: paid_with.token.clone(),
        decimals: paid_with.decimals,
        chain_id: paid_with.chain_id,
        chain: chain.map_or_else(
            || format!("Chain {}", paid_with.chain_id),
            |c| c.name.clone(),
        ),
        paid_at,
        transactions,
    })
}

/// The page of transaction `hash` on `chain_id`'s explorer; none for a chain without one.
fn transaction_url(catalogue: &Catalogue, chain_id: u64, hash: &str) -> Option<String> {
    let explorer = catalogue.chain(chain_id)?.explorer_url.as_deref()?;
    Some(format!("{explorer}/tx/{hash}"))
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{B256, U256};

    use super::*;
    use crate::session::Status;
    use crate::session::tests::session;
    use crate::time::Timestamp;

    const PAID_AT: Timestamp = Timestamp(1_800_000_300);

    fn catalogue() -> Catalogue {
        Catalogue::parse(crate::catalogue::BUILTIN_JSON).expect("built-in")
    }

    /// 49.99 USDC (6 decimals) on `chain_id`, in transaction `tx` (a repeated byte).
    fn payment(chain_id: u64, tx: u8, block: u64, counted: bool) -> Payment {
        Payment {
            chain_id,
            token: "USDC".into(),
            tx_hash: Some(B256::repeat_byte(tx)),
            log_index: Some(0),
            block_number: block,
            block_hash: B256::repeat_byte(0xbb),
            block_time: Timestamp(1_800_000_000 + block),
            amount: U256::from(24_995_000u64),
            status: PaymentStatus::Confirmed,
            counted,
            repriced: None,
        }
    }

    /// A session that chose USDC on `chain_id` and received 49.99 of it.
    fn paid(status: Status, chain_id: u64) -> Session {
        let mut s = session(true);
        if let Some(q) = s.selected.as_mut() {
            q.chain_id = chain_id;
        }
        s.status = status;
        s.amount_received = U256::from(49_990_000u64);
        s.paid_at = Some(PAID_AT);
        s
    }

    #[test]
    fn only_a_paid_session_has_a_receipt() {
        let payments = [payment(31337, 1, 100, true)];
        for status in [Status::Paid, Status::PaidLate, Status::Overpaid] {
            let s = paid(status, 31337);
            assert!(
                receipt(&s, &payments, &catalogue(), "Shop").is_some(),
                "{status:?}"
            );
        }
        for status in [
            Status::Pending,
            Status::Detected,
            Status::Underpaid,
            Status::Expired,
            Status::Canceled,
            Status::Failed,
        ] {
            let s = paid(status, 31337);
            assert_eq!(
                receipt(&s, &payments, &catalogue(), "Shop"),
                None,
                "{status:?}"
            );
        }
    }

    #[test]
    fn the_receipt_lists_each_counted_transaction_once_without_a_link_on_a_local_chain() {
        let s = paid(Status::Paid, 31337);
        let mut second_log = payment(31337, 1, 100, true);
        second_log.log_index = Some(1);
        let mut reorged = payment(31337, 4, 101, true);
        reorged.status = PaymentStatus::Reorged;
        let payments = [
            payment(31337, 1, 100, true),
            second_log,
            payment(31338, 2, 100, false),
            reorged,
            payment(31337, 3, 102, true),
        ];
        let r = receipt(&s, &payments, &catalogue(), "Poster Shop").expect("paid");
        assert_eq!(r.merchant, "Poster Shop");
        assert_eq!(r.reference, s.id.to_string());
        assert_eq!(
            (r.amount.as_str(), r.amount_formatted.as_str()),
            ("49990000", "49.99")
        );
        assert_eq!((r.token.as_str(), r.decimals), ("USDC", 6));
        assert_eq!((r.chain_id, r.chain.as_str()), (31337, "Local (anvil)"));
        assert_eq!(r.paid_at, PAID_AT);
        let hashes: Vec<(String, Option<String>)> = r
            .transactions
            .into_iter()
            .map(|t| (t.tx_hash, t.url))
            .collect();
        assert_eq!(
            hashes,
            [
                (B256::repeat_byte(1).to_string(), None),
                (B256::repeat_byte(3).to_string(), None),
            ]
        );
    }

    #[test]
    fn a_chain_with_an_explorer_links_each_transaction() {
        let s = paid(Status::Overpaid, 8453);
        let r = receipt(&s, &[payment(8453, 7, 5, true)], &catalogue(), "Shop").expect("paid");
        let hash = B256::repeat_byte(7).to_string();
        assert_eq!(r.chain, "Base");
        assert_eq!(
            r.transactions[0].url.as_deref(),
            Some(format!("https://basescan.org/tx/{hash}").as_str())
        );
    }

    #[test]
    fn without_a_recorded_paid_time_the_newest_counted_payment_dates_it() {
        let mut s = paid(Status::Paid, 31337);
        s.paid_at = None;
        let payments = [
            payment(31337, 1, 100, true),
            payment(31337, 2, 140, true),
            payment(31337, 3, 900, false),
        ];
        let r = receipt(&s, &payments, &catalogue(), "Shop").expect("paid");
        assert_eq!(r.paid_at, Timestamp(1_800_000_140));
    }
}
