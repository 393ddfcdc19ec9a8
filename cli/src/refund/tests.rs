use alloy::primitives::{Address, B256, Bytes, Log, LogData, U256, address};
use alloy::sol_types::SolEvent;
use kasse_shared::api::refunds::RefundObject;
use serde_json::{Value, json};

use super::payout::{self, Coin, IRefundToken, Payout};

const SHOPPER: Address = address!("23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f");
const TREASURY: Address = address!("14dC79964da2C08b23698B3D3cc7Ca32193d9955");
const USDC: Address = address!("5FbDB2315678afecb367f032d93F642f64180aa3");
const ETH: Coin<'static> = Coin {
    symbol: "ETH",
    decimals: 18,
};

/// A pending 1.5 USDC refund on the local chain as the API writes it, with `changes` on top.
fn refund(changes: Value) -> RefundObject {
    let mut object = json!({
        "id": "re_test_000000000000000000000001",
        "object": "refund",
        "livemode": false,
        "session": "cs_test_000000000000000000000001",
        "payment": null,
        "chain_id": 31337,
        "chain": "Local (anvil)",
        "token": "USDC",
        "contract_address": USDC.to_checksum(None),
        "decimals": 6,
        "amount": "1500000",
        "amount_formatted": "1.5",
        "address": SHOPPER.to_checksum(None),
        "status": "pending",
        "reason": "returned",
        "requested_by": "shopper",
        "claim_url": null,
        "transaction": null,
        "submitted_hash": null,
        "failure_code": null,
        "failure_message": null,
        "created_at": "2026-11-30T18:00:00Z",
        "updated_at": "2026-11-30T18:00:00Z",
        "succeeded_at": null,
        "canceled_at": null,
        "version": 2
    });
    if let (Some(base), Some(extra)) = (object.as_object_mut(), changes.as_object()) {
        for (k, v) in extra {
            base.insert(k.clone(), v.clone());
        }
    }
    serde_json::from_value(object).expect("a refund object")
}

fn native() -> RefundObject {
    refund(json!({
        "token": "ETH",
        "contract_address": null,
        "decimals": 18,
        "amount": "250000000000000000",
        "amount_formatted": "0.25",
    }))
}

fn usdc_payout() -> Payout {
    Payout::of(&refund(json!({}))).expect("payable")
}

const HASH: &str = "0x1111111111111111111111111111111111111111111111111111111111111111";

#[test]
fn a_pending_token_refund_pays_exactly_its_amount_to_its_address_with_erc20_transfer() {
    let payout = usdc_payout();
    assert_eq!(
        payout,
        Payout {
            chain_id: 31337,
            chain: "Local (anvil)".into(),
            to: SHOPPER,
            amount: U256::from(1_500_000u64),
            contract: Some(USDC),
            token: "USDC".into(),
            decimals: 6,
        }
    );
    let expected = format!(
        "0xa9059cbb000000000000000000000000{}{:064x}",
        alloy::hex::encode(SHOPPER),
        1_500_000u64
    );
    let data = payout.calldata().expect("a token transfer has call data");
    assert_eq!(data.to_string(), expected);
    let request = payout.request(TREASURY);
    assert_eq!(request.from, Some(TREASURY));
    assert_eq!(request.to, Some(USDC.into()));
    assert_eq!(request.input.input(), Some(&data));
    assert_eq!(request.value, None, "no native coin rides along");
}

#[test]
fn a_native_refund_is_a_plain_transfer_of_its_amount() {
    let payout = Payout::of(&native()).expect("payable");
    assert_eq!(payout.contract, None);
    assert_eq!(payout.calldata(), None);
    let request = payout.request(TREASURY);
    assert_eq!(request.to, Some(SHOPPER.into()));
    assert_eq!(request.value, Some(U256::from(250_000_000_000_000_000u64)));
    assert_eq!(request.input.input(), None);
    assert!(
        payout
            .describe()
            .contains("as a plain ETH transfer (value 250000000000000000)")
    );
}

#[test]
fn only_a_pending_refund_without_a_transfer_is_paid() {
    let cases = [
        (
            json!({"status": "requires_address", "address": null}),
            "has no address yet (requires_address)",
        ),
        (
            json!({"status": "succeeded", "transaction": {"tx_hash": HASH, "log_index": 0, "block_number": 9, "confirmations": 2}}),
            &format!("is succeeded: it was paid already by {HASH}") as &str,
        ),
        (
            json!({"status": "canceled"}),
            "is canceled: it must not be paid",
        ),
        (
            json!({"status": "failed", "failure_code": "transaction_reverted"}),
            "is failed (transaction_reverted): create a new refund",
        ),
        (
            json!({"transaction": {"tx_hash": HASH, "log_index": 0, "block_number": 9, "confirmations": 1}}),
            &format!("already has its transfer {HASH} recorded (1 confirmation)") as &str,
        ),
        (
            json!({"submitted_hash": HASH}),
            &format!("already has the transaction {HASH} reported") as &str,
        ),
    ];
    for (changes, why) in cases {
        let refused = Payout::of(&refund(changes.clone())).expect_err("refused");
        assert!(
            refused.starts_with("refund re_test_000000000000000000000001 "),
            "{refused}"
        );
        assert!(refused.contains(why), "{changes}: {refused}");
        assert!(refused.ends_with("nothing was sent"), "{refused}");
        assert!(!refused.contains('\n'), "one line: {refused}");
    }
}

#[test]
fn malformed_answers_from_the_api_are_refused_not_paid() {
    for (changes, why) in [
        (json!({"address": null}), "is pending but has no address"),
        (
            json!({"address": "0x1234"}),
            "address 0x1234 is not an address",
        ),
        (
            json!({"contract_address": "USDC"}),
            "contract_address USDC is not an address",
        ),
        (json!({"amount": "0"}), "amount 0 is not a positive integer"),
        (
            json!({"amount": "1.5"}),
            "amount 1.5 is not a positive integer",
        ),
        (
            json!({"amount": "-1"}),
            "amount -1 is not a positive integer",
        ),
        (json!({"amount": ""}), "amount  is not a positive integer"),
    ] {
        let refused = Payout::of(&refund(changes.clone())).expect_err("refused");
        assert!(refused.contains(why), "{changes}: {refused}");
    }
}

#[test]
fn a_treasury_short_of_the_token_is_told_the_shortfall() {
    let payout = usdc_payout();
    assert_eq!(
        payout.check_balance(TREASURY, U256::from(1_500_000u64)),
        Ok(())
    );
    let refused = payout
        .check_balance(TREASURY, U256::from(1_200_000u64))
        .expect_err("short");
    assert_eq!(
        refused,
        format!(
            "the treasury {TREASURY} holds 1.2 USDC but the refund needs 1.5 USDC: 0.3 USDC (300000 base units) short; fund the treasury; nothing was sent"
        )
    );
    let itself = payout
        .check_balance(SHOPPER, U256::MAX)
        .expect_err("itself");
    assert!(itself.contains("is the treasury itself"), "{itself}");
}

#[test]
fn gas_is_checked_in_the_native_coin_and_a_native_refund_needs_amount_plus_gas() {
    let fee = U256::from(30_000_000_000_000u64); // 0.00003 ETH
    let payout = usdc_payout();
    assert_eq!(payout.check_gas(TREASURY, fee, fee, &ETH), Ok(()));
    let refused = payout
        .check_gas(TREASURY, fee - U256::from(1), fee, &ETH)
        .expect_err("short of gas");
    assert_eq!(
        refused,
        format!(
            "the treasury {TREASURY} holds 0.000029999999999999 ETH but the transfer's gas may cost up to 0.00003 ETH: 0.000000000000000001 ETH short; fund the treasury; nothing was sent"
        )
    );

    let payout = Payout::of(&native()).expect("payable");
    let amount = U256::from(250_000_000_000_000_000u64);
    assert_eq!(payout.check_gas(TREASURY, amount + fee, fee, &ETH), Ok(()));
    let refused = payout
        .check_gas(TREASURY, amount, fee, &ETH)
        .expect_err("no room for gas");
    assert_eq!(
        refused,
        format!(
            "the treasury {TREASURY} holds 0.25 ETH but the refund (0.25 ETH) and its gas (up to 0.00003 ETH) need 0.25003 ETH: 0.00003 ETH short; fund the treasury; nothing was sent"
        )
    );
}

#[test]
fn a_token_that_answers_nothing_or_true_is_accepted_and_false_is_refused() {
    let word = |v: u64| U256::from(v).to_be_bytes::<32>().to_vec();
    assert_eq!(
        payout::check_answer(&[], "USDT"),
        Ok(()),
        "no-bool tokens like USDT"
    );
    assert_eq!(payout::check_answer(&word(1), "USDC"), Ok(()));
    let refused = payout::check_answer(&word(0), "USDC").expect_err("false");
    assert!(refused.contains("answers false"), "{refused}");
    assert!(payout::check_answer(&word(2), "USDC").is_err());
    assert!(payout::check_answer(&[1, 2, 3], "USDC").is_err());
    assert!(payout::check_answer(&[word(1), word(1)].concat(), "USDC").is_err());
}

fn transfer_log(contract: Address, from: Address, to: Address, value: u64) -> Log {
    let event = IRefundToken::Transfer {
        from,
        to,
        value: U256::from(value),
    };
    Log {
        address: contract,
        data: LogData::new_unchecked(
            vec![
                IRefundToken::Transfer::SIGNATURE_HASH,
                B256::left_padding_from(from.as_slice()),
                B256::left_padding_from(to.as_slice()),
            ],
            Bytes::from(event.value.to_be_bytes::<32>().to_vec()),
        ),
    }
}

#[test]
fn the_receipt_must_hold_the_exact_transfer_of_the_token_to_the_address() {
    let payout = usdc_payout();
    let good = transfer_log(USDC, TREASURY, SHOPPER, 1_500_000);
    assert!(payout.paid_by(TREASURY, std::slice::from_ref(&good)));
    let other = Address::with_last_byte(7);
    for wrong in [
        transfer_log(USDC, TREASURY, SHOPPER, 1_499_999),
        transfer_log(other, TREASURY, SHOPPER, 1_500_000),
        transfer_log(USDC, TREASURY, other, 1_500_000),
        transfer_log(USDC, other, SHOPPER, 1_500_000),
    ] {
        assert!(!payout.paid_by(TREASURY, &[wrong]));
    }
    assert!(!payout.paid_by(TREASURY, &[]));
}

#[test]
fn without_yes_it_asks_on_a_terminal_and_refuses_without_one() {
    assert_eq!(payout::must_ask(true, false), Ok(false));
    assert_eq!(payout::must_ask(true, true), Ok(false));
    assert_eq!(payout::must_ask(false, true), Ok(true));
    let refused = payout::must_ask(false, false).expect_err("no terminal");
    assert!(
        refused.contains("stdin is not a terminal: add --yes"),
        "{refused}"
    );
}

#[test]
fn the_printout_names_everything_the_merchant_checks_before_paying() {
    let text = payout::describe_refund(&refund(json!({})));
    for line in [
        "Refund re_test_000000000000000000000001",
        "  Status        pending",
        "  Amount        1.5 USDC (1500000 base units)",
        &format!("  Token         USDC at {USDC}") as &str,
        "  Chain         Local (anvil) (31337)",
        &format!("  Address       {SHOPPER}") as &str,
        "  Requested by  shopper",
        "  Reason        returned",
        "  Session       cs_test_000000000000000000000001",
    ] {
        assert!(text.lines().any(|l| l == line), "{line:?} in\n{text}");
    }
    let plan = usdc_payout().describe();
    assert!(
        plan.starts_with(&format!(
            "To send: 1.5 USDC (1500000 base units) to {SHOPPER} on Local (anvil) (chain 31337),"
        )),
        "{plan}"
    );
    assert!(
        plan.contains(&format!(
            "transfer({SHOPPER}, 1500000) to the USDC contract {USDC}"
        )),
        "{plan}"
    );
}

#[test]
fn the_status_after_reporting_says_what_happens_next() {
    let recorded = json!({"tx_hash": HASH, "log_index": 0, "block_number": 9, "confirmations": 1});
    let id = "re_test_000000000000000000000001";
    assert_eq!(
        payout::status_line(&refund(json!({"transaction": recorded}))),
        format!(
            "Refund {id}: pending, Kasse recorded {HASH} (1 confirmation); it succeeds once the transfer is deep enough."
        )
    );
    let deep = json!({"tx_hash": HASH, "log_index": 0, "block_number": 9, "confirmations": 2});
    assert_eq!(
        payout::status_line(&refund(json!({"status": "succeeded", "transaction": deep}))),
        format!("Refund {id}: succeeded, paid by {HASH} (2 confirmations).")
    );
    assert_eq!(
        payout::status_line(&refund(json!({"submitted_hash": HASH}))),
        format!("Refund {id}: pending, Kasse keeps {HASH} and verifies it once it is mined.")
    );
    assert!(
        payout::status_line(&refund(
            json!({"status": "failed", "failure_message": "The submitted transaction reverted."})
        ))
        .ends_with("failed, The submitted transaction reverted.")
    );
}

#[test]
fn the_gas_limit_leaves_a_fifth_more_room() {
    assert_eq!(payout::gas_limit(50_000), 60_000);
    assert_eq!(payout::gas_limit(u64::MAX), u64::MAX);
}

#[test]
fn a_balance_answer_is_one_word() {
    let request = payout::balance_request(USDC, TREASURY);
    assert_eq!(request.to, Some(USDC.into()));
    let data = request.input.input().expect("call data").to_string();
    assert_eq!(
        data,
        format!(
            "0x70a08231000000000000000000000000{}",
            alloy::hex::encode(TREASURY)
        )
    );
    let word = U256::from(42u64).to_be_bytes::<32>();
    assert_eq!(payout::balance_of(&word), Some(U256::from(42u64)));
    assert_eq!(payout::balance_of(&[1, 2]), None);
}
