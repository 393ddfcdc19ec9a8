//! The lifecycle, row by row.

use super::*;

pub(super) const T0: Timestamp = Timestamp(1_800_000_000);
const EXPIRES: Timestamp = Timestamp(1_800_001_800); // T0 + 30 min
const LATE: Timestamp = Timestamp(1_800_088_200); // EXPIRES + 24 h

pub(super) fn usdc(amount: u64) -> Quote {
    Quote {
        chain_id: 31337,
        token: "USDC".into(),
        contract: Some(Address::repeat_byte(0x11)),
        decimals: 6,
        amount: U256::from(amount),
        one_cent: U256::from(10_000u64),
        exchange_rate: "1.00".into(),
        quoted_at: T0,
        confirmations_required: 3,
    }
}

pub(super) fn usdt(amount: u64) -> Quote {
    Quote {
        token: "USDT".into(),
        contract: Some(Address::repeat_byte(0x22)),
        ..usdc(amount)
    }
}

pub(crate) fn session(selected: bool) -> Session {
    Session {
        id: "cs_test_000000000000000000000001".into(),
        account_id: "acct_1".into(),
        livemode: false,
        payment_link: None,
        status: Status::Pending,
        version: 1,
        currency: "USD".into(),
        amount_subtotal: Cents(4999),
        amount_total: Cents(4999),
        line_items: Vec::new(),
        discounts: Vec::new(),
        options: vec![usdc(49_990_000), usdt(49_990_000)],
        selected: selected.then(|| usdc(49_990_000)),
        address: Address::repeat_byte(0xaa),
        derivation_index: 0,
        client_secret: "secret".into(),
        tolerance_bps: 0,
        amount_received: U256::ZERO,
        amount_pending: U256::ZERO,
        amount_excess: U256::ZERO,
        tx_hash: None,
        paid_at: None,
        expires_at: EXPIRES,
        late_until: LATE,
        canceled_at: None,
        success_url: None,
        cancel_url: None,
        return_url: None,
        customer_email: None,
        customer_id: None,
        description: None,
        metadata: BTreeMap::new(),
        created_at: T0,
        updated_at: T0,
        accessed_at: None,
        used_at: None,
        noticed: Default::default(),
    }
}

fn pay(token: &str, amount: u64, block: u64, time: Timestamp) -> Payment {
    Payment {
        chain_id: 31337,
        token: token.into(),
        tx_hash: Some(B256::repeat_byte(u8::try_from(block % 256).unwrap_or(0))),
        log_index: Some(0),
        block_number: block,
        block_hash: B256::repeat_byte(0xbb),
        block_time: time,
        amount: U256::from(amount),
        status: PaymentStatus::Detected,
        counted: true,
    }
}

fn heads(head: u64) -> Heads {
    Heads::from([(31337, head)])
}

fn run(s: &Session, payments: &[Payment], head: u64, now: Timestamp) -> Option<Outcome> {
    evaluate(s, payments, &heads(head), now)
}

/// Applies an outcome's payment updates, as the worker's batch does.
fn apply(payments: &mut [Payment], outcome: &Outcome) {
    for updated in &outcome.payments {
        for p in payments.iter_mut() {
            if p.same_transfer(updated) {
                *p = updated.clone();
            }
        }
    }
}

#[test]
fn nothing_happens_without_payments_before_expiry() {
    assert_eq!(run(&session(true), &[], 100, T0.plus_secs(60)), None);
}

#[test]
fn exact_payment_goes_detected_then_paid_once() {
    let s = session(true);
    let mut payments = vec![pay("USDC", 49_990_000, 100, T0.plus_secs(30))];

    let detected = run(&s, &payments, 101, T0.plus_secs(40)).expect("changes");
    assert_eq!(detected.session.status, Status::Detected);
    assert_eq!(detected.events, vec![EventType::Detected]);
    assert_eq!(detected.session.version, 2);
    assert_eq!(detected.session.amount_pending, U256::from(49_990_000u64));
    assert_eq!(detected.session.amount_received, U256::ZERO);
    assert_eq!(detected.session.used_at, Some(T0.plus_secs(40)));
    assert!(detected.session.tx_hash.is_some());

    // Same head again: nothing to write, nothing to emit.
    assert_eq!(
        run(&detected.session, &payments, 101, T0.plus_secs(45)),
        None
    );

    let paid = run(&detected.session, &payments, 102, T0.plus_secs(50)).expect("changes");
    assert_eq!(paid.session.status, Status::Paid);
    assert_eq!(paid.events, vec![EventType::Paid]);
    assert_eq!(paid.session.amount_received, U256::from(49_990_000u64));
    assert_eq!(paid.session.amount_pending, U256::ZERO);
    assert_eq!(paid.session.paid_at, Some(T0.plus_secs(50)));
    assert_eq!(paid.payments.len(), 1);
    assert_eq!(paid.payments[0].status, PaymentStatus::Confirmed);
    apply(&mut payments, &paid);

    // Paid is final: more blocks change nothing.
    assert_eq!(run(&paid.session, &payments, 200, T0.plus_secs(600)), None);
}

#[test]
fn a_payment_deep_enough_at_first_sight_goes_straight_to_paid() {
    let out = run(
        &session(true),
        &[pay("USDC", 49_990_000, 100, T0.plus_secs(30))],
        110,
        T0.plus_secs(60),
    )
    .expect("changes");
    assert_eq!(out.session.status, Status::Paid);
    assert_eq!(out.events, vec![EventType::Paid]);
}

#[test]
fn expiry_with_nothing_counted() {
    let out = run(&session(true), &[], 100, EXPIRES).expect("changes");
    assert_eq!(out.session.status, Status::Expired);
    assert_eq!(out.events, vec![EventType::Expired]);
    let unselected = run(&session(false), &[], 100, EXPIRES).expect("changes");
    assert_eq!(unselected.session.status, Status::Expired);
}

#[test]
fn payment_in_the_grace_window_is_paid_late() {
    let expired = run(&session(true), &[], 100, EXPIRES)
        .expect("changes")
        .session;
    let late = [pay("USDC", 49_990_000, 150, EXPIRES.plus_secs(600))];
    let out = run(&expired, &late, 160, EXPIRES.plus_secs(700)).expect("changes");
    assert_eq!(out.session.status, Status::PaidLate);
    assert_eq!(out.events, vec![EventType::PaidLate]);
}

#[test]
fn a_payment_mined_before_expiry_but_confirmed_after_is_paid() {
    let out = run(
        &session(true),
        &[pay(
            "USDC",
            49_990_000,
            100,
            EXPIRES
                .plus_secs(0)
                .0
                .checked_sub(5)
                .map(Timestamp)
                .unwrap_or(T0),
        )],
        105,
        EXPIRES.plus_secs(120),
    )
    .expect("changes");
    assert_eq!(out.session.status, Status::Paid);
}

#[test]
fn underpayment_then_top_up() {
    let s = session(true);
    let mut payments = vec![pay("USDC", 20_000_000, 100, T0.plus_secs(30))];
    let under = run(&s, &payments, 110, T0.plus_secs(60)).expect("changes");
    assert_eq!(under.session.status, Status::Underpaid);
    assert_eq!(under.events, vec![EventType::Underpaid]);
    assert_eq!(under.session.amount_received, U256::from(20_000_000u64));
    apply(&mut payments, &under);

    payments.push(Payment {
        log_index: Some(1),
        ..pay("USDC", 29_990_000, 111, T0.plus_secs(90))
    });
    let detected = run(&under.session, &payments, 111, T0.plus_secs(95)).expect("changes");
    assert_eq!(detected.session.status, Status::Detected);
    assert_eq!(detected.events, vec![EventType::Detected]);

    let paid = run(&detected.session, &payments, 113, T0.plus_secs(120)).expect("changes");
    assert_eq!(paid.session.status, Status::Paid);
    assert_eq!(paid.session.amount_received, U256::from(49_990_000u64));
}

#[test]
fn tolerance_accepts_a_small_shortfall() {
    let s = Session {
        tolerance_bps: 10,
        ..session(true)
    }; // 0.1 %
    let short = [pay("USDC", 49_950_000, 100, T0.plus_secs(30))]; // 0.08 % short
    let out = run(&s, &short, 110, T0.plus_secs(60)).expect("changes");
    assert_eq!(out.session.status, Status::Paid);
}

#[test]
fn more_than_a_cent_over_is_overpaid_with_excess() {
    let out = run(
        &session(true),
        &[pay("USDC", 50_000_001, 100, T0.plus_secs(30))],
        110,
        T0.plus_secs(60),
    )
    .expect("changes");
    assert_eq!(out.session.status, Status::Overpaid);
    assert_eq!(out.events, vec![EventType::Overpaid]);
    assert_eq!(out.session.amount_excess, U256::from(10_001u64));

    let within_a_cent = run(
        &session(true),
        &[pay("USDC", 50_000_000, 100, T0.plus_secs(30))],
        110,
        T0.plus_secs(60),
    )
    .expect("changes");
    assert_eq!(within_a_cent.session.status, Status::Paid);
    assert_eq!(within_a_cent.session.amount_excess, U256::from(10_000u64));
}

#[test]
fn reorged_payment_moves_back_with_session_updated() {
    let s = session(true);
    let mut payments = vec![pay("USDC", 49_990_000, 100, T0.plus_secs(30))];
    let detected = run(&s, &payments, 101, T0.plus_secs(40))
        .expect("changes")
        .session;
    payments[0].status = PaymentStatus::Reorged;
    let back = run(&detected, &payments, 101, T0.plus_secs(50)).expect("changes");
    assert_eq!(back.session.status, Status::Pending);
    assert_eq!(back.events, vec![EventType::Updated]);
    assert_eq!(back.session.amount_pending, U256::ZERO);
}

#[test]
fn first_counted_payment_selects_its_option() {
    let out = run(
        &session(false),
        &[pay("USDT", 49_990_000, 100, T0.plus_secs(30))],
        110,
        T0.plus_secs(60),
    )
    .expect("changes");
    assert_eq!(
        out.session.selected.as_ref().map(|q| q.token.as_str()),
        Some("USDT")
    );
    assert_eq!(out.session.status, Status::Paid);
}

#[test]
fn uncounted_dust_changes_no_status_and_emits_nothing() {
    let dust = Payment {
        counted: false,
        ..pay("USDC", 1, 100, T0.plus_secs(30))
    };
    assert_eq!(
        run(
            &session(false),
            std::slice::from_ref(&dust),
            110,
            T0.plus_secs(60)
        ),
        None
    );
    let out = run(
        &session(true),
        std::slice::from_ref(&dust),
        110,
        T0.plus_secs(60),
    )
    .expect("the transfer is noticed");
    assert_eq!(out.session.status, Status::Pending);
    assert_eq!(out.events, vec![]);
    assert_eq!(out.session.amount_received, U256::ZERO);
    assert_eq!(
        run(&out.session, &[dust], 120, T0.plus_secs(90)),
        None,
        "noticed once"
    );
}

#[test]
fn another_token_after_selection_is_unexpected_once_and_not_counted() {
    let s = session(true);
    let usdt = pay("USDT", 49_990_000, 100, T0.plus_secs(30));
    let out = run(&s, std::slice::from_ref(&usdt), 110, T0.plus_secs(60)).expect("changes");
    assert_eq!(out.events, vec![EventType::PaymentUnexpected]);
    assert_eq!(out.session.status, Status::Pending);
    assert_eq!(out.payments.len(), 1);
    assert!(!out.payments[0].counted);
    let recorded = Payment {
        counted: false,
        ..usdt
    };
    assert_eq!(run(&out.session, &[recorded], 120, T0.plus_secs(90)), None);
}

#[test]
fn the_second_option_paid_before_selection_becomes_unexpected() {
    let first = pay("USDT", 49_990_000, 100, T0.plus_secs(30));
    let second = Payment {
        log_index: Some(1),
        ..pay("USDC", 49_990_000, 101, T0.plus_secs(31))
    };
    let out = run(&session(false), &[first, second], 110, T0.plus_secs(60)).expect("changes");
    assert_eq!(
        out.session.selected.as_ref().map(|q| q.token.as_str()),
        Some("USDT")
    );
    assert_eq!(out.session.status, Status::Paid);
    assert_eq!(
        out.events,
        vec![EventType::PaymentUnexpected, EventType::Paid]
    );
    assert!(out.payments.iter().any(|p| p.token == "USDC" && !p.counted));
}

#[test]
fn a_payment_after_close_is_recorded_as_excess_with_its_own_event() {
    let s = session(true);
    let mut payments = vec![pay("USDC", 49_990_000, 100, T0.plus_secs(30))];
    let paid = run(&s, &payments, 110, T0.plus_secs(60)).expect("changes");
    assert_eq!(paid.session.status, Status::Paid);
    apply(&mut payments, &paid);
    payments.push(Payment {
        log_index: Some(1),
        ..pay("USDC", 5_000_000, 120, T0.plus_secs(300))
    });
    let after = run(&paid.session, &payments, 130, T0.plus_secs(400)).expect("changes");
    assert_eq!(
        after.session.status,
        Status::Paid,
        "a closed session keeps its status"
    );
    assert_eq!(after.events, vec![EventType::PaymentAfterClose]);
    assert_eq!(after.session.amount_excess, U256::from(5_000_000u64));
    apply(&mut payments, &after);
    assert_eq!(run(&after.session, &payments, 140, T0.plus_secs(500)), None);
}

#[test]
fn statuses_serialise_in_snake_case() {
    assert_eq!(
        serde_json::to_string(&Status::PaidLate).ok().as_deref(),
        Some("\"paid_late\"")
    );
    assert_eq!(
        serde_json::to_string(&EventType::PaymentAfterClose)
            .ok()
            .as_deref(),
        Some("\"session.payment_after_close\"")
    );
    for s in [
        Status::Pending,
        Status::Detected,
        Status::Underpaid,
        Status::Overpaid,
        Status::Paid,
        Status::PaidLate,
        Status::Expired,
        Status::Canceled,
        Status::Failed,
    ] {
        assert_eq!(
            serde_json::to_string(&s).ok(),
            Some(format!("\"{}\"", s.as_str()))
        );
    }
}
