use alloy_primitives::B256;

use super::*;
use crate::ids::testing::FakeEntropy;
use crate::session::tests::{catalogue, session};

pub(super) const ETH: u64 = 1_000_000_000_000_000_000;

pub(super) fn paid(token: &str, amount: U256, counted: bool, log: u64) -> Payment {
    Payment {
        chain_id: 31337,
        token: token.into(),
        tx_hash: Some(B256::repeat_byte(0x0c)),
        log_index: Some(log),
        block_number: 100,
        block_hash: B256::repeat_byte(0x0b),
        block_time: Timestamp(1_800_000_000),
        amount,
        status: PaymentStatus::Confirmed,
        counted,
        repriced: None,
    }
}

/// A USDC session (49.99 due) that received `received` base units.
pub(super) fn received(received: u64) -> Session {
    let mut s = session(true);
    s.amount_received = U256::from(received);
    s.amount_excess = U256::from(received.saturating_sub(49_990_000));
    s
}

pub(super) fn refund_of(s: &Session, token: &str, amount: U256, status: RefundStatus) -> Refund {
    let mut e = FakeEntropy(u64::from(status as u8) + amount.to::<u64>());
    Refund {
        id: RefundId::generate(false, &mut e),
        account_id: s.account_id.clone(),
        livemode: false,
        session_id: s.id.clone(),
        payment_id: None,
        chain_id: 31337,
        token: token.into(),
        contract_address: None,
        decimals: 6,
        amount,
        address: None,
        status,
        reason: None,
        requested_by: RequestedBy::Merchant,
        claim_secret: new_claim_secret(&mut e),
        created_block: 1,
        tx_hash: None,
        log_index: None,
        block_number: None,
        block_hash: None,
        submitted_hash: None,
        failure_code: None,
        failure_message: None,
        created_at: Timestamp(1_800_000_000),
        updated_at: Timestamp(1_800_000_000),
        succeeded_at: None,
        canceled_at: None,
        version: 1,
    }
}

fn decide(
    s: &Session,
    payments: &[(PaymentId, Payment)],
    refunds: &[Refund],
    request: CreateRequest,
) -> Result<Planned, ParamError> {
    let paid: Vec<PaidWith<'_>> = payments
        .iter()
        .map(|(id, payment)| PaidWith { id, payment })
        .collect();
    let heads = Heads::from([(31337, 100)]);
    decide_create(s, &paid, refunds, &request, (&catalogue(), &heads), false)
}

pub(super) fn pay_id(n: u8) -> PaymentId {
    PaymentId::parse(&format!(
        "pay_{}",
        char::from(b'A' + n).to_string().repeat(24)
    ))
    .expect("a payment id")
}

#[test]
fn refundable_is_what_was_received_less_refunds_still_owed_or_paid() {
    let s = received(60_000_000);
    let usdc = |n: u64, status| refund_of(&s, "USDC", U256::from(n), status);
    let refunds = [
        usdc(10_010_000, RefundStatus::Succeeded),
        usdc(1_000_000, RefundStatus::Pending),
        usdc(2_000_000, RefundStatus::RequiresAddress),
        usdc(7_000_000, RefundStatus::Canceled),
        usdc(9_000_000, RefundStatus::Failed),
        refund_of(&s, "USDT", U256::from(5_000_000u64), RefundStatus::Pending),
    ];
    assert_eq!(
        refundable(&s, &refunds, 31337, "USDC"),
        U256::from(60_000_000u64 - 10_010_000 - 1_000_000 - 2_000_000)
    );
    assert_eq!(refundable(&s, &refunds, 31337, "USDT"), U256::ZERO);
    assert_eq!(refundable(&s, &refunds, 8453, "USDC"), U256::ZERO);
    assert_eq!(refundable(&session(false), &[], 31337, "USDC"), U256::ZERO);
}

#[test]
fn the_default_refunds_everything_left_and_excess_the_overpayment_exactly() {
    let s = received(60_000_000);
    let all = decide(&s, &[], &[], CreateRequest::default()).expect("decides");
    assert_eq!(all.amount, U256::from(60_000_000u64));
    assert_eq!((all.token.as_str(), all.decimals), ("USDC", 6));
    assert_eq!(all.contract_address, Some(Address::repeat_byte(0x11)));
    assert_eq!(all.status, RefundStatus::RequiresAddress);
    let excess = CreateRequest {
        excess: true,
        ..CreateRequest::default()
    };
    assert_eq!(
        decide(&s, &[], &[], excess.clone()).map(|p| p.amount),
        Ok(U256::from(10_010_000u64))
    );
    let taken = [refund_of(
        &s,
        "USDC",
        U256::from(55_000_000u64),
        RefundStatus::Pending,
    )];
    let left = decide(&s, &[], &taken, CreateRequest::default()).expect("decides");
    assert_eq!(left.amount, U256::from(5_000_000u64));
    let e = decide(&s, &[], &taken, excess).expect_err("more than is left");
    assert_eq!(
        (e.code, e.param.as_deref()),
        (ErrorCode::RefundExceedsRefundable, Some("excess"))
    );
    assert_eq!(
        e.message,
        "The refund is more than is left to refund: at most 5 USDC (5000000 base units)."
    );
}

#[test]
fn an_amount_over_what_is_left_or_of_nothing_is_refused_and_zero_is_too_small() {
    let s = received(49_990_000);
    let amount = |n: u64| CreateRequest {
        amount: Some(U256::from(n)),
        address: Some(Address::repeat_byte(0x42)),
        ..CreateRequest::default()
    };
    let exact = decide(&s, &[], &[], amount(49_990_000)).expect("all of it");
    assert_eq!(exact.status, RefundStatus::Pending);
    assert_eq!(exact.address, Some(Address::repeat_byte(0x42)));
    let over = decide(&s, &[], &[], amount(49_990_001)).expect_err("one unit over");
    assert_eq!(over.code, ErrorCode::RefundExceedsRefundable);
    assert!(
        over.message.contains("49.99 USDC (49990000 base units)"),
        "{}",
        over.message
    );
    let zero = decide(&s, &[], &[], amount(0)).expect_err("zero");
    assert_eq!(
        (zero.code, zero.param.as_deref()),
        (ErrorCode::AmountTooSmall, Some("amount"))
    );
    let nothing = decide(&received(0), &[], &[], CreateRequest::default()).expect_err("nothing");
    assert_eq!(nothing.code, ErrorCode::RefundExceedsRefundable);
    assert_eq!(
        nothing.message,
        "Nothing is left to refund in USDC: the refundable amount is 0."
    );
    let unselected = decide(&session(false), &[], &[], CreateRequest::default());
    assert_eq!(
        unselected.map_err(|e| e.code),
        Err(ErrorCode::RefundExceedsRefundable)
    );
}

#[test]
fn a_payment_is_refunded_in_its_own_token_at_18_decimals_exactly() {
    let s = received(0);
    let wei = U256::from(ETH) + U256::from(123_456_789u64);
    let payments = [(pay_id(0), paid("ETH", wei, false, 1))];
    let by_payment = |amount: Option<u64>| CreateRequest {
        payment: Some(pay_id(0)),
        amount: amount.map(U256::from),
        ..CreateRequest::default()
    };
    let plan = decide(&s, &payments, &[], by_payment(None)).expect("the whole payment");
    assert_eq!(plan.amount, wei);
    assert_eq!(
        (plan.token.as_str(), plan.decimals, plan.contract_address),
        ("ETH", 18, None)
    );
    assert_eq!(plan.payment_id, Some(pay_id(0)));
    let mut taken = refund_of(&s, "ETH", U256::from(ETH), RefundStatus::Succeeded);
    taken.payment_id = Some(pay_id(0));
    let rest = decide(&s, &payments, &[taken.clone()], by_payment(None)).expect("the rest");
    assert_eq!(rest.amount, U256::from(123_456_789u64));
    let over =
        decide(&s, &payments, &[taken], by_payment(Some(123_456_790))).expect_err("one wei over");
    assert_eq!(
        (over.code, over.param.as_deref()),
        (ErrorCode::RefundExceedsRefundable, Some("amount"))
    );
    assert!(
        over.message
            .contains("0.000000000123456789 ETH (123456789 base units)"),
        "{}",
        over.message
    );
    let missing = CreateRequest {
        payment: Some(pay_id(1)),
        ..CreateRequest::default()
    };
    let e = decide(&s, &payments, &[], missing).expect_err("not this session's");
    assert_eq!(
        (e.code, e.param.as_deref()),
        (ErrorCode::ResourceMissing, Some("payment"))
    );
}

#[test]
fn a_counted_payment_refund_never_exceeds_what_the_session_has_left() {
    let s = received(49_990_000);
    let payments = [(pay_id(0), paid("USDC", U256::from(49_990_000u64), true, 1))];
    let whole = [refund_of(
        &s,
        "USDC",
        U256::from(40_000_000u64),
        RefundStatus::Pending,
    )];
    let request = CreateRequest {
        payment: Some(pay_id(0)),
        ..CreateRequest::default()
    };
    let plan = decide(&s, &payments, &whole, request).expect("decides");
    assert_eq!(plan.amount, U256::from(9_990_000u64));
}

#[test]
fn a_payment_is_refundable_once_settled_an_uncounted_one_by_its_depth() {
    let s = received(0);
    let c = catalogue();
    let mut p = paid("ETH", U256::from(ETH), false, 1);
    p.status = PaymentStatus::Detected;
    // The local chain asks 2 confirmations; the payment is in block 100.
    assert!(!settled(&s, &c, &p, Some(100)));
    assert!(settled(&s, &c, &p, Some(101)));
    assert!(!settled(&s, &c, &p, None));
    let mut counted = p.clone();
    counted.counted = true;
    assert!(
        !settled(&s, &c, &counted, Some(200)),
        "a counted one waits for the lifecycle"
    );
    counted.status = PaymentStatus::Confirmed;
    assert!(settled(&s, &c, &counted, None));
    let mut reorged = p.clone();
    reorged.status = PaymentStatus::Reorged;
    assert!(!settled(&s, &c, &reorged, Some(200)));
    let payments = [(pay_id(0), p)];
    let request = CreateRequest {
        payment: Some(pay_id(0)),
        ..CreateRequest::default()
    };
    let paid: Vec<PaidWith<'_>> = payments
        .iter()
        .map(|(id, payment)| PaidWith { id, payment })
        .collect();
    let young = Heads::from([(31337, 100)]);
    let e = decide_create(&s, &paid, &[], &request, (&c, &young), false).expect_err("young");
    assert_eq!(
        (e.code, e.param.as_deref()),
        (ErrorCode::RefundExceedsRefundable, Some("payment"))
    );
    assert!(e.message.contains("once it is confirmed"), "{}", e.message);
    let deep = Heads::from([(31337, 101)]);
    let plan = decide_create(&s, &paid, &[], &request, (&c, &deep), false).expect("deep");
    assert_eq!(plan.amount, U256::from(ETH));
}

#[test]
fn a_deposit_address_is_refused() {
    let s = received(49_990_000);
    let heads = Heads::new();
    let e = decide_create(
        &s,
        &[],
        &[],
        &CreateRequest::default(),
        (&catalogue(), &heads),
        true,
    )
    .expect_err("refused");
    assert_eq!(
        (e.code, e.param.as_deref()),
        (ErrorCode::ParameterInvalid, Some("address"))
    );
}

#[test]
fn only_refunds_waiting_for_an_address_or_an_unrecorded_transfer_cancel() {
    let s = received(49_990_000);
    for status in RefundStatus::ALL {
        let r = refund_of(&s, "USDC", U256::from(1u8), status);
        let open = matches!(
            status,
            RefundStatus::RequiresAddress | RefundStatus::Pending
        );
        assert_eq!(decide_cancel(&r).is_ok(), open, "{status:?}");
        assert_eq!(RefundStatus::parse(status.as_str()), Some(status));
    }
    let mut recorded = refund_of(&s, "USDC", U256::from(1u8), RefundStatus::Pending);
    recorded.block_number = Some(7);
    assert!(decide_cancel(&recorded).is_err());
    assert_eq!(recorded.confirmations(Some(9)), 3);
    assert_eq!(recorded.confirmations(Some(6)), 0);
    assert_eq!(recorded.confirmations(None), 0);
}
