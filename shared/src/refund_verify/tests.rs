use serde_json::json;

use super::*;
use crate::catalogue::{BUILTIN_JSON, Catalogue};
use crate::ids::{AccountId, RefundId, SessionId};
use crate::refund::RequestedBy;

const SHOPPER: Address = Address::repeat_byte(0x5a);
const CREATED: BlockNumber = 100;
/// 1.5 USDC (6 decimals).
const USDC_AMOUNT: u64 = 1_500_000;
/// 0.0123 ETH (18 decimals).
const ETH_AMOUNT: u64 = 12_300_000_000_000_000;

fn local() -> Chain {
    let catalogue = Catalogue::parse(BUILTIN_JSON).expect("valid");
    catalogue.chain(31337).expect("local chain").clone()
}

fn contract(chain: &Chain, symbol: &str) -> Address {
    chain.token(symbol).expect("a catalogue token").contract
}

fn refund(token: &str) -> Refund {
    let chain = local();
    let native = token == chain.native_symbol;
    Refund {
        id: RefundId::parse("re_test_000000000000000000000001").expect("an id"),
        account_id: AccountId::parse("acct_000000000000000000000001").expect("an id"),
        livemode: false,
        session_id: SessionId::parse("cs_test_000000000000000000000001").expect("an id"),
        payment_id: None,
        chain_id: 31337,
        token: token.into(),
        contract_address: (!native).then(|| contract(&chain, token)),
        decimals: if native { 18 } else { 6 },
        amount: U256::from(if native { ETH_AMOUNT } else { USDC_AMOUNT }),
        address: Some(SHOPPER),
        status: RefundStatus::Pending,
        reason: None,
        requested_by: RequestedBy::Merchant,
        claim_secret: "s".repeat(32),
        created_block: CREATED,
        tx_hash: None,
        log_index: None,
        block_number: None,
        block_hash: None,
        submitted_hash: None,
        failure_code: None,
        failure_message: None,
        created_at: Timestamp(1_000),
        updated_at: Timestamp(1_000),
        succeeded_at: None,
        canceled_at: None,
        version: 1,
    }
}

fn log(token: &str, to: Address, amount: u64, block: BlockNumber) -> TransferLog {
    TransferLog {
        token: token.into(),
        to,
        amount: U256::from(amount),
        tx_hash: B256::repeat_byte(0x0c),
        log_index: 3,
        block_number: block,
        block_hash: B256::repeat_byte(u8::try_from(block % 251).expect("small")),
    }
}

fn with_recorded(mut r: Refund, t: RecordedTransfer) -> Refund {
    r.tx_hash = Some(t.tx_hash);
    r.log_index = t.log_index;
    r.block_number = Some(t.block_number);
    r.block_hash = Some(t.block_hash);
    r
}

#[test]
fn only_the_exact_transfer_after_creation_pays_a_token_refund() {
    let chain = local();
    let r = refund("USDC");
    assert!(log_pays(
        &r,
        &chain,
        &log("USDC", SHOPPER, USDC_AMOUNT, CREATED + 1)
    ));
    let refused = [
        (
            "one base unit less",
            log("USDC", SHOPPER, USDC_AMOUNT - 1, CREATED + 1),
        ),
        (
            "one base unit more",
            log("USDC", SHOPPER, USDC_AMOUNT + 1, CREATED + 1),
        ),
        (
            "another token",
            log("USDT", SHOPPER, USDC_AMOUNT, CREATED + 1),
        ),
        (
            "another recipient",
            log("USDC", Address::repeat_byte(1), USDC_AMOUNT, CREATED + 1),
        ),
        (
            "in the creation block",
            log("USDC", SHOPPER, USDC_AMOUNT, CREATED),
        ),
        (
            "before creation",
            log("USDC", SHOPPER, USDC_AMOUNT, CREATED - 1),
        ),
    ];
    for (what, l) in refused {
        assert!(!log_pays(&r, &chain, &l), "{what}");
    }
    let eth = refund("ETH");
    assert!(
        !log_pays(&eth, &chain, &log("USDC", SHOPPER, ETH_AMOUNT, CREATED + 1)),
        "a native refund is never paid by a log"
    );
}

#[test]
fn confirmations_are_the_chains_and_the_accounts_extra() {
    let chain = local();
    let mut settings = Settings::default();
    assert_eq!(
        required_confirmations(&chain, &settings),
        chain.min_confirmations
    );
    settings.extra_confirmations.insert(31337, 3);
    assert_eq!(
        required_confirmations(&chain, &settings),
        chain.min_confirmations + 3
    );
    settings.extra_confirmations = [(1, 7)].into_iter().collect();
    assert_eq!(
        required_confirmations(&chain, &settings),
        chain.min_confirmations,
        "another chain's extra does not apply"
    );
    let t = RecordedTransfer::of_log(&log("USDC", SHOPPER, 1, 10));
    assert_eq!(
        (t.confirmations(9), t.confirmations(10), t.confirmations(14)),
        (0, 1, 5)
    );
}

fn receipt(status: &str, logs: Vec<Value>, block: BlockNumber) -> Value {
    json!({
        "status": status,
        "transactionHash": format!("{}", B256::repeat_byte(0x0c)),
        "blockNumber": format!("{block:#x}"),
        "blockHash": format!("{}", B256::repeat_byte(0x0b)),
        "logs": logs,
    })
}

fn transfer_log(token: Address, to: Address, amount: u64, block: BlockNumber) -> Value {
    let topic = |a: Address| format!("0x{:0>64}", hex_digits(a));
    json!({
        "address": format!("{token:#x}"),
        "topics": [evm::TRANSFER_TOPIC, topic(Address::repeat_byte(0xee)), topic(to)],
        "data": format!("0x{amount:064x}"),
        "blockNumber": format!("{block:#x}"),
        "blockHash": format!("{}", B256::repeat_byte(0x0b)),
        "transactionHash": format!("{}", B256::repeat_byte(0x0c)),
        "logIndex": "0x2",
    })
}

fn hex_digits(a: Address) -> String {
    format!("{a:x}")
}

#[test]
fn a_token_receipt_is_read_for_the_refund() {
    let chain = local();
    let r = refund("USDC");
    let (usdc, usdt) = (contract(&chain, "USDC"), contract(&chain, "USDT"));
    let tx = json!({"to": format!("{usdc:#x}"), "value": "0x0"});
    let read = |status: &str, logs: Vec<Value>, block: BlockNumber| {
        read_submitted(&r, &chain, &receipt(status, logs, block), &tx).expect("readable")
    };
    let exact = transfer_log(usdc, SHOPPER, USDC_AMOUNT, CREATED + 1);
    assert_eq!(
        read("0x1", vec![exact], CREATED + 1),
        Submitted::Matches(RecordedTransfer {
            tx_hash: B256::repeat_byte(0x0c),
            log_index: Some(2),
            block_number: CREATED + 1,
            block_hash: B256::repeat_byte(0x0b),
        })
    );
    assert_eq!(read("0x0", vec![], CREATED + 1), Submitted::Reverted);
    assert_eq!(
        read_submitted(&r, &chain, &Value::Null, &tx),
        Ok(Submitted::NotMined)
    );
    let pending = json!({"status": null, "blockNumber": null});
    assert_eq!(
        read_submitted(&r, &chain, &pending, &tx),
        Ok(Submitted::NotMined)
    );
    assert_eq!(
        read(
            "0x1",
            vec![transfer_log(usdc, SHOPPER, USDC_AMOUNT - 1, CREATED + 1)],
            CREATED + 1
        ),
        Submitted::Mismatch(Mismatch::OtherAmount(U256::from(USDC_AMOUNT - 1)))
    );
    assert_eq!(
        read(
            "0x1",
            vec![transfer_log(usdt, SHOPPER, USDC_AMOUNT, CREATED + 1)],
            CREATED + 1
        ),
        Submitted::Mismatch(Mismatch::NoTransfer),
        "USDT does not pay a USDC refund"
    );
    assert_eq!(
        read(
            "0x1",
            vec![transfer_log(
                usdc,
                Address::repeat_byte(3),
                USDC_AMOUNT,
                CREATED + 1
            )],
            CREATED + 1
        ),
        Submitted::Mismatch(Mismatch::NoTransfer)
    );
    assert_eq!(
        read(
            "0x1",
            vec![transfer_log(usdc, SHOPPER, USDC_AMOUNT, CREATED)],
            CREATED
        ),
        Submitted::Mismatch(Mismatch::MinedBefore(CREATED))
    );
    let garbled = json!({"blockNumber": "0x65", "status": "yes"});
    assert!(read_submitted(&r, &chain, &garbled, &tx).is_err());
}

#[test]
fn a_native_receipt_is_read_from_the_transactions_value() {
    let chain = local();
    let r = refund("ETH");
    let tx =
        |to: Address, value: u64| json!({"to": format!("{to:#x}"), "value": format!("{value:#x}")});
    let mined = receipt("0x1", vec![], CREATED + 2);
    assert_eq!(
        read_submitted(&r, &chain, &mined, &tx(SHOPPER, ETH_AMOUNT)),
        Ok(Submitted::Matches(RecordedTransfer {
            tx_hash: B256::repeat_byte(0x0c),
            log_index: None,
            block_number: CREATED + 2,
            block_hash: B256::repeat_byte(0x0b),
        }))
    );
    assert_eq!(
        read_submitted(&r, &chain, &mined, &tx(SHOPPER, ETH_AMOUNT + 1)),
        Ok(Submitted::Mismatch(Mismatch::OtherAmount(U256::from(
            ETH_AMOUNT + 1
        ))))
    );
    assert_eq!(
        read_submitted(&r, &chain, &mined, &tx(Address::repeat_byte(9), ETH_AMOUNT)),
        Ok(Submitted::Mismatch(Mismatch::NoTransfer))
    );
    assert_eq!(
        read_submitted(&r, &chain, &mined, &tx(SHOPPER, 0)),
        Ok(Submitted::Mismatch(Mismatch::NoTransfer)),
        "no value sends nothing"
    );
    let early = receipt("0x1", vec![], CREATED);
    assert_eq!(
        read_submitted(&r, &chain, &early, &tx(SHOPPER, ETH_AMOUNT)),
        Ok(Submitted::Mismatch(Mismatch::MinedBefore(CREATED)))
    );
    // A USDC transfer of the same amount in the receipt does not pay an ETH refund.
    let usdc = contract(&chain, "USDC");
    let token_tx = json!({"to": format!("{usdc:#x}"), "value": "0x0"});
    let with_log = receipt(
        "0x1",
        vec![transfer_log(usdc, SHOPPER, ETH_AMOUNT, CREATED + 1)],
        CREATED + 1,
    );
    assert_eq!(
        read_submitted(&r, &chain, &with_log, &token_tx),
        Ok(Submitted::Mismatch(Mismatch::NoTransfer))
    );
}

#[test]
fn the_logs_record_then_confirm_a_token_refund() {
    let chain = local();
    let r = refund("USDC");
    let paying = log("USDC", SHOPPER, USDC_AMOUNT, CREATED + 5);
    let t = RecordedTransfer::of_log(&paying);
    let logs = [log("USDC", SHOPPER, USDC_AMOUNT + 1, CREATED + 4), paying];
    // Found at 1 confirmation of 2: recorded.
    assert_eq!(
        watch_logs(&r, &chain, &logs, &(CREATED..=CREATED + 5), 2),
        Some(Step::Record(t))
    );
    // Found already deep enough: recorded and succeeded at once.
    assert_eq!(
        watch_logs(&r, &chain, &logs, &(CREATED..=CREATED + 6), 2),
        Some(Step::Succeed(t))
    );
    let recorded = with_recorded(r.clone(), t);
    assert_eq!(
        watch_logs(&recorded, &chain, &logs, &(CREATED..=CREATED + 5), 2),
        None,
        "unchanged until it is deep enough"
    );
    assert_eq!(
        watch_logs(&recorded, &chain, &logs, &(CREATED..=CREATED + 10), 6),
        Some(Step::Succeed(t)),
        "2 of the chain's and 4 extra: 6 at block + 5"
    );
    assert_eq!(
        watch_logs(&recorded, &chain, &logs, &(CREATED..=CREATED + 9), 6),
        None
    );
    assert_eq!(
        watch_logs(&r, &chain, &logs[..1], &(CREATED..=CREATED + 9), 2),
        None,
        "the wrong amount never records anything"
    );
}

#[test]
fn a_recorded_transfer_the_logs_lose_is_cleared_or_moved() {
    let chain = local();
    let paying = log("USDC", SHOPPER, USDC_AMOUNT, CREATED + 5);
    let recorded = with_recorded(refund("USDC"), RecordedTransfer::of_log(&paying));
    assert_eq!(
        watch_logs(&recorded, &chain, &[], &(CREATED..=CREATED + 5), 2),
        Some(Step::Clear),
        "reorged out"
    );
    let mut moved = paying.clone();
    moved.block_number = CREATED + 6;
    moved.block_hash = B256::repeat_byte(0x77);
    assert_eq!(
        watch_logs(
            &recorded,
            &chain,
            &[moved.clone()],
            &(CREATED..=CREATED + 6),
            2
        ),
        Some(Step::Record(RecordedTransfer::of_log(&moved))),
        "mined again in another block: its confirmations start again"
    );
    let mut rehashed = paying.clone();
    rehashed.block_hash = B256::repeat_byte(0x78);
    assert_eq!(
        watch_logs(
            &recorded,
            &chain,
            &[rehashed.clone()],
            &(CREATED..=CREATED + 5),
            2
        ),
        Some(Step::Record(RecordedTransfer::of_log(&rehashed))),
        "the same height with another hash"
    );
    assert_eq!(
        watch_logs(&recorded, &chain, &[], &(CREATED + 10..=CREATED + 20), 2),
        Some(Step::Succeed(RecordedTransfer::of_log(&paying))),
        "below the window it stands as recorded"
    );
}

#[test]
fn a_receipt_rechecked_each_run() {
    let eth = refund("ETH");
    let t = RecordedTransfer {
        tx_hash: B256::repeat_byte(0x0c),
        log_index: None,
        block_number: CREATED + 1,
        block_hash: B256::repeat_byte(0x0b),
    };
    assert_eq!(
        watch_receipt(&eth, Submitted::NotMined, CREATED + 3, 2),
        None
    );
    assert_eq!(
        watch_receipt(&eth, Submitted::Matches(t), CREATED + 1, 2),
        Some(Step::Record(t))
    );
    assert_eq!(
        watch_receipt(&eth, Submitted::Matches(t), CREATED + 2, 2),
        Some(Step::Succeed(t))
    );
    assert_eq!(
        watch_receipt(&eth, Submitted::Reverted, CREATED + 2, 2),
        Some(Step::Fail)
    );
    assert_eq!(
        watch_receipt(
            &eth,
            Submitted::Mismatch(Mismatch::NoTransfer),
            CREATED + 2,
            2
        ),
        Some(Step::Forget)
    );
    let recorded = with_recorded(eth, t);
    assert_eq!(
        watch_receipt(&recorded, Submitted::Matches(t), CREATED + 1, 2),
        None
    );
    assert_eq!(
        watch_receipt(&recorded, Submitted::NotMined, CREATED + 1, 2),
        Some(Step::Clear),
        "the transaction left the chain"
    );
    let elsewhere = RecordedTransfer {
        block_hash: B256::repeat_byte(0x99),
        ..t
    };
    assert_eq!(
        watch_receipt(&recorded, Submitted::Matches(elsewhere), CREATED + 1, 2),
        Some(Step::Record(elsewhere)),
        "a changed block hash restarts its confirmations"
    );
}
#[test]
fn a_submission_keeps_the_hash_fails_or_records() {
    let r = refund("USDC");
    let hash = B256::repeat_byte(0x0c);
    let now = Timestamp(2_000);
    let t = RecordedTransfer {
        tx_hash: hash,
        log_index: Some(2),
        block_number: CREATED + 1,
        block_hash: B256::repeat_byte(0x0b),
    };
    let waiting = submit(&r, hash, Submitted::NotMined, CREATED + 1, 2, now).expect("kept");
    assert_eq!(waiting.event, None);
    assert_eq!(waiting.refund.submitted_hash, Some(hash));
    assert_eq!(waiting.refund.status, RefundStatus::Pending);
    assert_eq!(
        (waiting.refund.version, waiting.refund.updated_at),
        (2, now)
    );
    assert_eq!(waiting.refund.tx_hash, None);

    let recorded = submit(&r, hash, Submitted::Matches(t), CREATED + 1, 2, now).expect("ok");
    assert_eq!(recorded.event, None);
    assert_eq!(recorded.refund.status, RefundStatus::Pending);
    assert_eq!(super::recorded(&recorded.refund), Some(t));

    let done = submit(&r, hash, Submitted::Matches(t), CREATED + 2, 2, now).expect("ok");
    assert_eq!(done.event, Some(EventType::RefundSucceeded));
    assert_eq!(done.refund.status, RefundStatus::Succeeded);
    assert_eq!(done.refund.succeeded_at, Some(now));
    assert_eq!(
        done.refund.amount,
        U256::from(USDC_AMOUNT),
        "the amount never moves"
    );

    let failed = submit(&r, hash, Submitted::Reverted, CREATED + 2, 2, now).expect("ok");
    assert_eq!(failed.event, Some(EventType::RefundFailed));
    assert_eq!(failed.refund.status, RefundStatus::Failed);
    assert_eq!(
        failed.refund.failure_code,
        Some(RefundFailure::TransactionReverted)
    );
    assert_eq!(failed.refund.submitted_hash, Some(hash));

    let why = Mismatch::OtherAmount(U256::from(USDC_AMOUNT - 1));
    assert_eq!(
        submit(&r, hash, Submitted::Mismatch(why), CREATED + 2, 2, now),
        Err(why)
    );
}

#[test]
fn clearing_and_forgetting_take_the_transfer_away() {
    let t = RecordedTransfer {
        tx_hash: B256::repeat_byte(0x0c),
        log_index: None,
        block_number: CREATED + 1,
        block_hash: B256::repeat_byte(0x0b),
    };
    let mut r = with_recorded(refund("ETH"), t);
    r.submitted_hash = Some(t.tx_hash);
    let cleared = apply(&r, Step::Clear, Timestamp(3_000));
    assert_eq!(cleared.event, None);
    assert_eq!(cleared.refund.status, RefundStatus::Pending);
    assert_eq!(recorded(&cleared.refund), None);
    assert_eq!(
        cleared.refund.submitted_hash,
        Some(t.tx_hash),
        "read again next run"
    );
    let forgotten = apply(&r, Step::Forget, Timestamp(3_000));
    assert_eq!(recorded(&forgotten.refund), None);
    assert_eq!(forgotten.refund.submitted_hash, None);
}

#[test]
fn a_submission_names_one_hash() {
    let hash = format!("0x{}", "ab".repeat(32));
    assert_eq!(
        parse_submission(&format!(r#"{{"tx_hash":"{hash}"}}"#)),
        Ok(hash.parse().expect("a hash"))
    );
    let refused = [
        ("{}", ErrorCode::ParameterMissing, "tx_hash"),
        (
            r#"{"tx_hash":null}"#,
            ErrorCode::ParameterMissing,
            "tx_hash",
        ),
        (
            r#"{"tx_hash":"0x12"}"#,
            ErrorCode::ParameterInvalid,
            "tx_hash",
        ),
        (r#"{"tx_hash":12}"#, ErrorCode::ParameterInvalid, "tx_hash"),
        (
            r#"{"tx_hash":"0xab","chain_id":1}"#,
            ErrorCode::ParameterUnknown,
            "chain_id",
        ),
    ];
    for (body, code, param) in refused {
        let e = parse_submission(body).expect_err(body);
        assert_eq!((e.code, e.param.as_deref()), (code, Some(param)), "{body}");
    }
}
