//! The lifecycle, row by row.

use alloy_primitives::B256;

use super::open::{Opening, open};
use super::*;
use crate::account::Settings;
use crate::api::create::{Requester, parse};
use crate::catalogue::{BUILTIN_JSON, Catalogue};
use crate::session::open::Source;

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

/// A 49.99 USD ad-hoc request and what the worker would read for it on the local chain
/// (its USDC and USDT quoted at [`T0`], no native coin), opened with `settings`.
pub(crate) fn opening(settings: &Settings, stablecoins: Vec<Quote>) -> Opening<'_> {
    let request = parse(
        r#"{"amount":{"value":"49.99","currency":"USD"}}"#,
        false,
        Requester::SecretKey,
    )
    .expect("a valid request");
    let Source::AdHoc(order) = request.source.clone() else {
        unreachable!("an ad-hoc request")
    };
    Opening {
        id: "cs_test_000000000000000000000001".parse().unwrap(),
        secret: "0123456789abcdefghijklmn".into(),
        account_id: "acct_000000000000000000000001".parse().unwrap(),
        livemode: false,
        settings,
        request,
        order,
        stablecoins,
        natives: Vec::new(),
        address: Address::repeat_byte(0xaa),
        address_tron: None,
        derivation_index: 0,
        now: T0,
    }
}

pub(crate) fn catalogue() -> Catalogue {
    Catalogue::parse(BUILTIN_JSON).expect("the built-in catalogue")
}

/// A pending session offering USDC and USDT; with `selected`, the shopper chose USDC (both
/// stay offered, as after a selection).
pub(crate) fn session(selected: bool) -> Session {
    let settings = Settings::default();
    let options = vec![usdc(49_990_000), usdt(49_990_000)];
    let mut session = open(&catalogue(), opening(&settings, options)).expect("opens");
    session.selected = selected.then(|| usdc(49_990_000));
    session
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
        repriced: None,
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
fn every_event_type_parses_from_its_name_and_nothing_else_does() {
    for kind in EventType::ALL {
        assert_eq!(EventType::parse(kind.as_str()), Some(kind));
        let json = serde_json::to_string(&kind).expect("encodes");
        assert_eq!(json, format!("\"{}\"", kind.as_str()));
    }
    for unknown in ["", "*", "paid", "session.PAID", "session.paid "] {
        assert_eq!(EventType::parse(unknown), None, "{unknown:?}");
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
    assert!(out.events.is_empty());
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
fn two_unexpected_transfers_in_one_change_raise_one_event_each() {
    let s = session(true);
    let first = pay("USDT", 1, 100, T0.plus_secs(30));
    let second = Payment {
        log_index: Some(1),
        ..pay("USDT", 1, 100, T0.plus_secs(30))
    };
    let out = run(&s, &[first.clone(), second.clone()], 110, T0.plus_secs(60)).expect("changes");
    assert_eq!(
        out.events,
        vec![EventType::PaymentUnexpected, EventType::PaymentUnexpected]
    );
    let causes: std::collections::BTreeSet<&str> =
        out.events.iter().map(|e| e.cause.as_str()).collect();
    assert_eq!(
        causes,
        [first.key().as_str(), second.key().as_str()].into(),
        "each event names its own transfer, so both are unique per version, type and cause"
    );
}

#[test]
fn two_payments_after_close_in_one_change_raise_one_event_each() {
    let s = session(true);
    let mut payments = vec![pay("USDC", 49_990_000, 100, T0.plus_secs(30))];
    let paid = run(&s, &payments, 110, T0.plus_secs(60)).expect("changes");
    apply(&mut payments, &paid);
    for log in [1, 2] {
        payments.push(Payment {
            log_index: Some(log),
            ..pay("USDC", 5_000_000, 120, T0.plus_secs(300))
        });
    }
    let after = run(&paid.session, &payments, 130, T0.plus_secs(400)).expect("changes");
    assert_eq!(
        after.events,
        vec![EventType::PaymentAfterClose, EventType::PaymentAfterClose]
    );
    assert_ne!(after.events[0].cause, after.events[1].cause);
    assert_eq!(after.session.amount_excess, U256::from(10_000_000u64));
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

#[test]
fn which_transfers_count_by_option_amount_and_time() {
    let transfer = |token, amount: u64, block_time| Transfer {
        chain_id: 31337,
        token,
        amount: U256::from(amount),
        block_time,
    };
    let min = Some(U256::from(10_000u64));
    let selected = session(true);
    let open = session(false);
    let rows: [(&str, &Session, Transfer<'_>, bool); 8] = [
        (
            "the selected option",
            &selected,
            transfer("USDC", 5, T0.plus_secs(60)),
            false,
        ),
        (
            "the selected option, above the minimum",
            &selected,
            transfer("USDC", 10_000, T0.plus_secs(60)),
            true,
        ),
        (
            "another option after selection",
            &selected,
            transfer("USDT", 10_000, T0.plus_secs(60)),
            false,
        ),
        (
            "any offered option before selection",
            &open,
            transfer("USDT", 10_000, T0.plus_secs(60)),
            true,
        ),
        (
            "a token not offered",
            &open,
            transfer("DAI", 10_000, T0.plus_secs(60)),
            false,
        ),
        ("zero", &open, transfer("USDC", 0, T0.plus_secs(60)), false),
        (
            "mined in the grace window",
            &selected,
            transfer("USDC", 10_000, Timestamp(LATE.0 - 1)),
            true,
        ),
        (
            "mined after late_until",
            &selected,
            transfer("USDC", 10_000, LATE),
            false,
        ),
    ];
    for (what, session, t, counts) in rows {
        assert_eq!(session.counts(&t, min), counts, "{what}");
    }
}

#[test]
fn a_transfer_mined_before_creation_predates_the_session() {
    let s = session(true);
    assert!(
        s.predates(Timestamp(T0.0 - CLOCK_MARGIN_SECS - 1)),
        "an old deposit to a reused address"
    );
    assert!(
        !s.predates(Timestamp(T0.0 - CLOCK_MARGIN_SECS)),
        "a chain clock a little behind ours still stamps the shopper's payment as the session's"
    );
    assert!(!s.predates(T0), "the second of creation is the session's");
    assert!(!s.predates(T0.plus_secs(1)));
}

pub(super) fn eth(amount: u64, quoted_at: Timestamp) -> Quote {
    Quote {
        chain_id: 31337,
        token: "ETH".into(),
        contract: None,
        decimals: 18,
        amount: U256::from(amount),
        one_cent: U256::from(10u64),
        exchange_rate: "3000.00".into(),
        quoted_at,
        confirmations_required: 3,
    }
}

fn native_session(quote_secs: u64) -> Session {
    Session {
        options: vec![usdc(49_990_000), eth(1_000_000, T0)],
        selected: Some(eth(1_000_000, T0)),
        native_quote_secs: quote_secs,
        ..session(false)
    }
}

fn native_pay(amount: u64, block: u64, time: Timestamp, repriced: Option<Quote>) -> Payment {
    Payment {
        token: "ETH".into(),
        tx_hash: None,
        log_index: None,
        repriced,
        ..pay("ETH", amount, block, time)
    }
}

#[test]
fn a_native_quote_is_honoured_until_quote_valid_until_and_never_past_expiry() {
    let s = native_session(1800);
    let q = s.selected.clone().expect("selected");
    assert_eq!(s.quote_valid_until(&q), Some(T0.plus_secs(1800)));
    assert_eq!(
        native_session(86_400).quote_valid_until(&q),
        Some(EXPIRES),
        "never past expires_at"
    );
    assert_eq!(s.quote_valid_until(&usdc(1)), None, "stablecoins are 1:1");
    assert!(!s.past_quote(&q, T0.plus_secs(1800)));
    assert!(s.past_quote(&q, T0.plus_secs(1801)));
    assert!(
        !s.past_quote(&usdc(1), LATE),
        "a stablecoin payment is never repriced"
    );
}

/// (what, quote secs, mined at, paid, repriced total, status, amount due, excess)
type Row = (
    &'static str,
    u64,
    Timestamp,
    u64,
    Option<u64>,
    Status,
    u64,
    u64,
);

#[test]
fn native_payments_after_the_quote_are_valued_at_the_price_when_detected() {
    // (what, quote secs, mined at, paid, repriced total, status, amount due, excess)
    let rows: [Row; 6] = [
        (
            "on time at the locked quote",
            1800,
            T0.plus_secs(60),
            1_000_000,
            None,
            Status::Paid,
            1_000_000,
            0,
        ),
        (
            "late, the price fell: the locked amount is short",
            1800,
            EXPIRES.plus_secs(100),
            1_000_000,
            Some(2_000_000),
            Status::Underpaid,
            2_000_000,
            0,
        ),
        (
            "late, the total at the new price is paid",
            1800,
            EXPIRES.plus_secs(100),
            2_000_000,
            Some(2_000_000),
            Status::PaidLate,
            2_000_000,
            0,
        ),
        (
            "past the quote, before expiry, paid at the new price",
            600,
            T0.plus_secs(900),
            2_000_000,
            Some(2_000_000),
            Status::Paid,
            2_000_000,
            0,
        ),
        (
            "late, the price rose: the locked amount overpays",
            1800,
            EXPIRES.plus_secs(100),
            1_000_000,
            Some(500_000),
            Status::Overpaid,
            500_000,
            500_000,
        ),
        (
            "late within tolerance at the new price",
            1800,
            EXPIRES.plus_secs(100),
            1_990_000,
            Some(2_000_000),
            Status::PaidLate,
            2_000_000,
            0,
        ),
    ];
    for (what, secs, mined, paid, repriced, status, due, excess) in rows {
        let s = Session {
            tolerance_bps: 50,
            ..native_session(secs)
        };
        let quote = repriced.map(|amount| Quote {
            exchange_rate: "1500.00".into(),
            ..eth(amount, mined.plus_secs(20))
        });
        let payments = [native_pay(paid, 100, mined, quote)];
        let out = run(&s, &payments, 110, mined.plus_secs(30)).expect(what);
        assert_eq!(out.session.status, status, "{what}");
        let selected = out.session.selected.clone().expect("selected");
        assert_eq!(selected.amount, U256::from(due), "{what}: the amount due");
        assert_eq!(
            out.session.amount_excess,
            U256::from(excess),
            "{what}: excess"
        );
        let mut applied = payments.to_vec();
        apply(&mut applied, &out);
        assert_eq!(
            run(&out.session, &applied, 120, mined.plus_secs(60)),
            None,
            "{what}: deciding again changes nothing"
        );
    }
}

#[test]
fn a_top_up_after_underpaying_at_a_new_price_completes_at_that_price() {
    let s = native_session(1800);
    let repriced = Quote {
        exchange_rate: "1500.00".into(),
        ..eth(2_000_000, EXPIRES.plus_secs(120))
    };
    let mut payments = vec![native_pay(
        1_000_000,
        100,
        EXPIRES.plus_secs(100),
        Some(repriced.clone()),
    )];
    let under = run(&s, &payments, 110, EXPIRES.plus_secs(130)).expect("changes");
    assert_eq!(under.session.status, Status::Underpaid);
    assert_eq!(
        under
            .session
            .selected
            .as_ref()
            .map(|q| q.amount - under.session.amount_received),
        Some(U256::from(1_000_000u64)),
        "the remainder at the new price"
    );
    apply(&mut payments, &under);
    payments.push(native_pay(
        1_000_000,
        120,
        EXPIRES.plus_secs(200),
        Some(repriced),
    ));
    let done = run(&under.session, &payments, 130, EXPIRES.plus_secs(230)).expect("changes");
    assert_eq!(done.session.status, Status::PaidLate);
}

#[test]
fn stablecoin_payments_are_never_repriced() {
    let s = session(true);
    let late = [pay("USDC", 49_990_000, 150, EXPIRES.plus_secs(600))];
    let out = run(&s, &late, 160, EXPIRES.plus_secs(700)).expect("changes");
    assert_eq!(out.session.status, Status::PaidLate);
    assert_eq!(out.session.selected, s.selected);
}

#[test]
fn late_dust_never_reprices_a_session_its_on_time_payments_cover() {
    let s = native_session(1800);
    let halved = Quote {
        exchange_rate: "1500.00".into(),
        ..eth(2_000_000, EXPIRES.plus_secs(120))
    };
    let payments = [
        native_pay(1_000_000, 100, T0.plus_secs(60), None),
        native_pay(100, 101, EXPIRES.plus_secs(100), Some(halved)),
    ];
    // Head 101: the on-time payment has 2 of 3 confirmations.
    let out = run(&s, &payments, 101, EXPIRES.plus_secs(130)).expect("changes");
    assert_eq!(out.session.status, Status::Detected);
    assert_eq!(out.session.selected, s.selected, "the locked price stays");

    // Decided: a late payment is only excess at the price the session was decided at.
    let mut paid_payments = payments.to_vec();
    let paid = run(&s, &paid_payments[..1], 110, T0.plus_secs(300)).expect("changes");
    assert_eq!(paid.session.status, Status::Paid);
    apply(&mut paid_payments, &paid);
    let after = run(&paid.session, &paid_payments, 120, EXPIRES.plus_secs(200)).expect("changes");
    assert_eq!(after.session.status, Status::Paid);
    assert_eq!(after.session.selected, s.selected);
    assert_eq!(after.session.amount_excess, U256::from(100u64));
}

#[test]
fn the_honoured_window_runs_from_the_lock() {
    let s = native_session(600);
    let q = s.selected.clone().expect("selected");
    let locked = select::lock(
        &Session {
            selected: None,
            ..s
        },
        q.clone(),
        T0.plus_secs(840),
    )
    .expect("locks");
    assert_eq!(
        locked.quote_valid_until(&q),
        Some(T0.plus_secs(1440)),
        "a 14-minute-old quote locked now is honoured for native_quote_secs from now"
    );
}

#[test]
fn a_change_notices_a_bounded_number_of_transfers_and_the_next_the_rest() {
    let s = session(true);
    let dust: Vec<Payment> = (0..25u64)
        .map(|i| Payment {
            log_index: Some(i),
            counted: false,
            ..pay("USDT", 1, 100, T0.plus_secs(30))
        })
        .collect();
    let mut current = s;
    let mut events = 0;
    for _ in 0..3 {
        assert!(unnoticed(&current, &dust));
        let out = run(&current, &dust, 110, T0.plus_secs(60)).expect("changes");
        assert!(out.events.len() <= MAX_NOTICES_PER_CHANGE);
        events += out.events.len();
        current = out.session;
    }
    assert_eq!(events, 25, "one event per transfer over three versions");
    assert!(!unnoticed(&current, &dust));
    assert_eq!(run(&current, &dust, 120, T0.plus_secs(90)), None);
}

#[test]
fn event_snapshots_carry_every_counted_payment_and_the_latest_uncounted_ones() {
    let mut payments: Vec<Payment> = (0..50u64)
        .map(|i| Payment {
            log_index: Some(i),
            counted: false,
            ..pay("USDT", 1, 100 + i, T0.plus_secs(30))
        })
        .collect();
    payments.push(pay("USDC", 49_990_000, 120, T0.plus_secs(40)));
    let kept = snapshot_payments(&payments);
    assert_eq!(kept.len(), SNAPSHOT_UNCOUNTED + 1);
    assert!(
        kept.iter().any(|p| p.counted),
        "the counted payment is always there"
    );
    assert_eq!(
        kept.iter()
            .filter(|p| !p.counted)
            .map(|p| p.block_number)
            .min(),
        Some(130),
        "the latest 20 of the uncounted"
    );
    assert_eq!(
        snapshot_payments(&payments[45..]).len(),
        6,
        "fewer are all kept"
    );
}

#[test]
fn a_late_native_payment_without_a_price_counts_for_nothing_until_priced() {
    let s = native_session(1800);
    let unpriced = [native_pay(2_000_000, 100, EXPIRES.plus_secs(100), None)];
    assert!(awaits_price(&s, &unpriced[0]));
    assert!(
        run(&s, &unpriced, 110, EXPIRES.plus_secs(130)).is_none_or(|out| out
            .session
            .amount_received
            .is_zero()
            && !out.session.status.is_paid()),
        "not valued at the stale quote"
    );
    let priced = [native_pay(
        2_000_000,
        100,
        EXPIRES.plus_secs(100),
        Some(eth(2_000_000, EXPIRES.plus_secs(200))),
    )];
    assert!(!awaits_price(&s, &priced[0]));
    let out = run(&s, &priced, 110, EXPIRES.plus_secs(230)).expect("changes");
    assert_eq!(out.session.status, Status::PaidLate);
    assert!(
        !awaits_price(&s, &native_pay(1_000_000, 100, T0.plus_secs(60), None)),
        "an on-time payment needs no new price"
    );
}

/// A transfer of `token` on the local L2 (31338), which the test sessions do not offer,
/// recorded as the watcher records it: not counted.
fn on_l2(token: &str, amount: u64, block: u64) -> Payment {
    Payment {
        chain_id: 31338,
        counted: false,
        ..pay(token, amount, block, T0.plus_secs(30))
    }
}

#[test]
fn a_wrong_network_payment_without_a_selection_is_unexpected_at_once_and_selects_nothing() {
    let s = session(false);
    let wrong = on_l2("USDC", 49_990_000, 100);
    assert!(unnoticed(&s, std::slice::from_ref(&wrong)));
    let out = run(&s, std::slice::from_ref(&wrong), 110, T0.plus_secs(60)).expect("noticed");
    assert_eq!(out.events, vec![EventType::PaymentUnexpected]);
    assert_eq!(out.events[0].cause, wrong.key());
    assert_eq!(out.session.selected, None);
    assert_eq!(out.session.status, Status::Pending);
    assert_eq!(out.session.amount_received, U256::ZERO);
    assert_eq!(out.session.amount_pending, U256::ZERO);
    assert_eq!(out.session.used_at, None);
    assert!(out.payments.is_empty(), "it stays uncounted, as recorded");
    assert!(!unnoticed(&out.session, std::slice::from_ref(&wrong)));
    assert_eq!(
        run(
            &out.session,
            std::slice::from_ref(&wrong),
            120,
            T0.plus_secs(90)
        ),
        None,
        "raised once"
    );

    // The shopper then pays the offered option: it counts, and the old transfer raises nothing more.
    let paid = pay("USDC", 49_990_000, 101, T0.plus_secs(40));
    let out = run(&out.session, &[wrong, paid], 120, T0.plus_secs(90)).expect("paid");
    assert_eq!(out.events, vec![EventType::Paid]);
    assert_eq!(out.session.amount_received, U256::from(49_990_000u64));
}

#[test]
fn a_wrong_network_payment_after_a_selection_is_unexpected_once() {
    let s = session(true);
    let wrong = on_l2("USDC", 49_990_000, 100);
    let out = run(&s, std::slice::from_ref(&wrong), 110, T0.plus_secs(60)).expect("noticed");
    assert_eq!(out.events, vec![EventType::PaymentUnexpected]);
    assert_eq!(out.session.status, Status::Pending);
    assert_eq!(run(&out.session, &[wrong], 120, T0.plus_secs(90)), None);
}

#[test]
fn a_wrong_network_payment_to_an_expired_session_is_unexpected_and_changes_no_status() {
    let mut s = session(false);
    s.status = Status::Expired;
    let wrong = on_l2("USDT", 5, 100);
    let out = run(&s, &[wrong], 110, EXPIRES.plus_secs(60)).expect("noticed");
    assert_eq!(out.events, vec![EventType::PaymentUnexpected]);
    assert_eq!(out.session.status, Status::Expired);
}

#[test]
fn more_wrong_network_payments_than_one_change_notices_are_noticed_by_the_next() {
    let wrong: Vec<Payment> = (0..15u64)
        .map(|i| Payment {
            log_index: Some(i),
            ..on_l2("USDC", 1, 100)
        })
        .collect();
    let first = run(&session(false), &wrong, 110, T0.plus_secs(60)).expect("noticed");
    assert_eq!(first.events.len(), MAX_NOTICES_PER_CHANGE);
    assert!(unnoticed(&first.session, &wrong));
    let second = run(&first.session, &wrong, 110, T0.plus_secs(60)).expect("the rest");
    assert_eq!(second.events.len(), 5);
    assert!(!unnoticed(&second.session, &wrong));
}

#[test]
fn an_uncounted_payment_on_an_offered_chain_waits_for_the_selection() {
    let dust = Payment {
        counted: false,
        ..pay("USDC", 1, 100, T0.plus_secs(30))
    };
    assert!(!unnoticed(&session(false), std::slice::from_ref(&dust)));
}

#[test]
fn why_a_payment_does_not_count() {
    let undecided = session(false);
    let chose_usdc = session(true);
    let mut usdc_only = session(false);
    usdc_only.options.retain(|q| q.token == "USDC");
    let uncounted = |token: &str, block_time: Timestamp| Payment {
        counted: false,
        ..pay(token, 1, 100, block_time)
    };
    let early = T0.plus_secs(30);
    for (session, payment, reason) in [
        (&undecided, pay("USDC", 49_990_000, 100, early), None),
        (
            &undecided,
            on_l2("USDC", 49_990_000, 100),
            Some(Uncounted::NetworkMismatch),
        ),
        (
            &chose_usdc,
            on_l2("USDC", 49_990_000, 100),
            Some(Uncounted::NetworkMismatch),
        ),
        (
            &usdc_only,
            uncounted("USDT", early),
            Some(Uncounted::NotOffered),
        ),
        (
            &chose_usdc,
            uncounted("USDT", early),
            Some(Uncounted::NotSelected),
        ),
        (
            &chose_usdc,
            uncounted("USDC", LATE.plus_secs(1)),
            Some(Uncounted::AfterGrace),
        ),
        (
            &chose_usdc,
            uncounted("USDC", early),
            Some(Uncounted::BelowMinimum),
        ),
        (
            &undecided,
            uncounted("USDT", early),
            Some(Uncounted::BelowMinimum),
        ),
    ] {
        assert_eq!(
            session.uncounted_reason(&payment),
            reason,
            "{} {} on {}",
            payment.amount,
            payment.token,
            payment.chain_id
        );
    }
    let names: Vec<String> = [
        Uncounted::NetworkMismatch,
        Uncounted::NotOffered,
        Uncounted::NotSelected,
        Uncounted::AfterGrace,
        Uncounted::BelowMinimum,
    ]
    .into_iter()
    .map(|r| {
        let json = serde_json::to_string(&r).expect("encodes");
        assert_eq!(json, format!("\"{}\"", r.as_str()));
        r.as_str().to_owned()
    })
    .collect();
    assert_eq!(
        names,
        [
            "network_mismatch",
            "not_offered",
            "not_selected",
            "after_grace",
            "below_minimum"
        ]
    );
}
