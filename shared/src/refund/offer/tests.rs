use alloy_primitives::{Address, U256};

use super::*;
use crate::refund::tests::{ETH, paid, pay_id, received, refund_of};
use crate::refund::{RefundStatus, decide_create};
use crate::session::tests::catalogue;
use crate::session::{Payment, PaymentStatus, Quote};

fn offer_at(
    s: &Session,
    payments: &[(PaymentId, Payment)],
    refunds: &[Refund],
    on: bool,
    now: Timestamp,
) -> Result<Offer, NoOffer> {
    let paid: Vec<PaidWith<'_>> = payments
        .iter()
        .map(|(id, payment)| PaidWith { id, payment })
        .collect();
    let catalogue = catalogue();
    let heads = Heads::from([(31337, 100)]);
    let basis = OfferBasis {
        session: s,
        payments: &paid,
        refunds,
        catalogue: &catalogue,
        heads: &heads,
        now,
    };
    refund_offer(&basis, on)
}

/// The offer while the session's grace window is still open.
fn offer(
    s: &Session,
    payments: &[(PaymentId, Payment)],
    refunds: &[Refund],
) -> Result<Offer, NoOffer> {
    offer_at(s, payments, refunds, true, s.expires_at)
}

fn in_status(mut s: Session, status: Status) -> Session {
    s.status = status;
    s
}

/// A refund the shopper requested.
fn requested(s: &Session, amount: u64, status: RefundStatus) -> Refund {
    Refund {
        requested_by: RequestedBy::Shopper,
        address: Some(Address::repeat_byte(0x42)),
        ..refund_of(s, "USDC", U256::from(amount), status)
    }
}

fn usdc(amount: u64) -> Offer {
    Offer {
        payment_id: None,
        chain_id: 31337,
        token: "USDC".into(),
        decimals: 6,
        amount: U256::from(amount),
    }
}

#[test]
fn an_overpaid_session_offers_its_excess_less_what_was_refunded_of_it() {
    let s = in_status(received(60_000_000), Status::Overpaid);
    assert_eq!(offer(&s, &[], &[]), Ok(usdc(10_010_000)));
    let part = [refund_of(
        &s,
        "USDC",
        U256::from(4_000_000u64),
        RefundStatus::Succeeded,
    )];
    assert_eq!(offer(&s, &[], &part), Ok(usdc(6_010_000)));
    let whole = [refund_of(
        &s,
        "USDC",
        U256::from(10_010_000u64),
        RefundStatus::Pending,
    )];
    assert_eq!(offer(&s, &[], &whole), Err(NoOffer::NothingToRefund));
}

#[test]
fn an_underpaid_session_offers_what_it_received_only_once_its_grace_window_closed() {
    let s = in_status(received(20_000_000), Status::Underpaid);
    let before = offer_at(&s, &[], &[], true, Timestamp(s.late_until.0 - 1));
    assert_eq!(before, Err(NoOffer::NothingToRefund));
    let after = offer_at(&s, &[], &[], true, s.late_until);
    assert_eq!(after, Ok(usdc(20_000_000)));
}

#[test]
fn an_expired_session_offers_what_it_counted_and_nothing_without_it() {
    let with = in_status(received(12_345_678), Status::Expired);
    assert_eq!(offer(&with, &[], &[]), Ok(usdc(12_345_678)));
    let without = in_status(received(0), Status::Expired);
    assert_eq!(offer(&without, &[], &[]), Err(NoOffer::NothingToRefund));
}

#[test]
fn a_paid_or_open_session_offers_nothing() {
    for status in [
        Status::Paid,
        Status::PaidLate,
        Status::Pending,
        Status::Detected,
    ] {
        let s = in_status(received(49_990_000), status);
        assert_eq!(
            offer(&s, &[], &[]),
            Err(NoOffer::NothingToRefund),
            "{status:?}"
        );
    }
}

#[test]
fn an_uncounted_payment_is_offered_in_its_own_token_oldest_not_yet_refunded_first() {
    let s = in_status(received(49_990_000), Status::Paid);
    let wei = U256::from(ETH) + U256::from(123_456_789u64);
    let payments = [
        (pay_id(0), paid("USDC", U256::from(49_990_000u64), true, 0)),
        (pay_id(1), paid("ETH", U256::from(ETH), false, 1)),
        (pay_id(2), paid("ETH", wei, false, 2)),
    ];
    let first = offer(&s, &payments, &[]).expect("the first uncounted payment");
    assert_eq!(
        first,
        Offer {
            payment_id: Some(pay_id(1)),
            chain_id: 31337,
            token: "ETH".into(),
            decimals: 18,
            amount: U256::from(ETH),
        }
    );
    let mut merchant = refund_of(&s, "ETH", U256::from(ETH), RefundStatus::Pending);
    merchant.payment_id = Some(pay_id(1));
    let next = offer(&s, &payments, &[merchant]).expect("the next one");
    assert_eq!(next.payment_id, Some(pay_id(2)));
    assert_eq!(next.amount, wei, "18 decimals, exact");
}

#[test]
fn a_payment_still_confirming_is_not_offered() {
    let s = in_status(received(49_990_000), Status::Paid);
    let mut shallow = paid("ETH", U256::from(ETH), false, 1);
    shallow.status = PaymentStatus::Detected;
    // Head 100, mined in 100: one confirmation of the three the chain asks for.
    let payments = [(pay_id(1), shallow)];
    assert_eq!(offer(&s, &payments, &[]), Err(NoOffer::NothingToRefund));
}

#[test]
fn one_shopper_request_at_a_time_and_a_canceled_or_failed_one_gives_the_offer_back() {
    let s = in_status(received(60_000_000), Status::Overpaid);
    for status in [RefundStatus::Pending, RefundStatus::Succeeded] {
        let asked = [requested(&s, 10_010_000, status)];
        assert_eq!(
            offer(&s, &[], &asked),
            Err(NoOffer::AlreadyRequested),
            "{status:?}"
        );
    }
    for status in [RefundStatus::Canceled, RefundStatus::Failed] {
        let asked = [requested(&s, 10_010_000, status)];
        assert_eq!(offer(&s, &[], &asked), Ok(usdc(10_010_000)), "{status:?}");
    }
}

#[test]
fn no_offer_while_the_shop_takes_no_requests() {
    let s = in_status(received(60_000_000), Status::Overpaid);
    let off = offer_at(&s, &[], &[], false, s.expires_at);
    assert_eq!(off, Err(NoOffer::RequestsOff));
    assert!(
        NoOffer::RequestsOff
            .message()
            .contains("does not take refund requests")
    );
}

#[test]
fn an_18_decimal_excess_is_offered_exactly() {
    let mut s = in_status(received(0), Status::Overpaid);
    let due = U256::from(ETH);
    let eth = Quote {
        token: "ETH".into(),
        contract: None,
        decimals: 18,
        amount: due,
        ..s.options[0].clone()
    };
    s.options.push(eth.clone());
    s.selected = Some(eth);
    s.amount_received = due + U256::from(ETH / 2) + U256::from(7u8);
    s.amount_excess = U256::from(ETH / 2) + U256::from(7u8);
    let got = offer(&s, &[], &[]).expect("the excess");
    assert_eq!(got.amount, U256::from(500_000_000_000_000_007u64));
    assert_eq!((got.token.as_str(), got.decimals), ("ETH", 18));
}

#[test]
fn the_request_of_an_offer_creates_exactly_the_offer_at_once() {
    let s = in_status(received(60_000_000), Status::Overpaid);
    let heads = Heads::from([(31337, 100)]);
    let to = Address::repeat_byte(0x42);
    let offered = offer(&s, &[], &[]).expect("the excess");
    let plan = decide_create(
        &s,
        &[],
        &[],
        &offered.request(to),
        (&catalogue(), &heads),
        false,
    )
    .expect("creates");
    assert_eq!(plan.amount, U256::from(10_010_000u64));
    assert_eq!(plan.address, Some(to));
    assert_eq!(plan.status, RefundStatus::Pending);
    assert_eq!(plan.payment_id, None);

    let wei = U256::from(ETH) + U256::from(1u8);
    let payments = [(pay_id(3), paid("ETH", wei, false, 1))];
    let paid_with: Vec<PaidWith<'_>> = payments
        .iter()
        .map(|(id, payment)| PaidWith { id, payment })
        .collect();
    let wrong_token = in_status(received(49_990_000), Status::Paid);
    let offered = offer(&wrong_token, &payments, &[]).expect("the ETH payment");
    let plan = decide_create(
        &wrong_token,
        &paid_with,
        &[],
        &offered.request(to),
        (&catalogue(), &heads),
        false,
    )
    .expect("creates");
    assert_eq!((plan.amount, plan.token.as_str()), (wei, "ETH"));
    assert_eq!(plan.payment_id, Some(pay_id(3)));
}
