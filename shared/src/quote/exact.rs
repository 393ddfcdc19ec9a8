//! One stablecoin price followed end to end, at 6 decimals (Ethereum's USDT) and at 18
//! (BNB Smart Chain's): fiat cents → quote → what the shopper's page shows and the wallet
//! is asked to send (EIP-681 URI, transfer calldata) → the `Transfer` log that payment
//! leaves → the session's status at exactly that amount (`paid`), one base unit short
//! (`underpaid`), one cent over (still `paid`) and one base unit more (`overpaid`).

use alloy_primitives::{Address, B256, ChainId, U256};
use proptest::prelude::*;
use serde_json::json;

use super::stablecoin_quotes;
use crate::account::Settings;
use crate::api::view::shopper_view;
use crate::catalogue::{BUILTIN_JSON, Catalogue};
use crate::evm::{TRANSFER_TOPIC, parse_logs};
use crate::money::{Cents, parse_base_units};
use crate::session::{Heads, Payment, PaymentStatus, Quote, Session, Status, Transfer, evaluate};
use crate::shopper::{Branding, ShopperView};

/// `cents · 10^(decimals − 2)`, written out as digits rather than computed.
fn expected_amount(cents: u64, decimals: u8) -> U256 {
    let digits = format!("{cents}{}", "0".repeat(usize::from(decimals) - 2));
    U256::from_str_radix(&digits, 10).expect("decimal digits")
}

/// How a wallet shows `cents` of a dollar stablecoin: no trailing zeros, no exponent.
fn expected_formatted(cents: u64) -> String {
    match (cents / 100, cents % 100) {
        (whole, 0) => whole.to_string(),
        (whole, frac) if frac % 10 == 0 => format!("{whole}.{}", frac / 10),
        (whole, frac) => format!("{whole}.{frac:02}"),
    }
}

/// The only USDT quote of `chain_id` for `cents`.
fn usdt_quote(catalogue: &Catalogue, chain_id: ChainId, cents: u64) -> Quote {
    let only_usdt = Settings {
        enabled_options: vec![format!("{chain_id}:USDT")],
        ..Settings::default()
    };
    let quotes = stablecoin_quotes(
        catalogue,
        &[chain_id],
        true,
        &only_usdt,
        Cents(cents),
        crate::time::Timestamp(1),
    );
    assert_eq!(quotes.len(), 1, "{quotes:?}");
    quotes.into_iter().next().expect("one quote")
}

/// A session the shopper fixed to `quote`, with no under-payment tolerance.
pub(super) fn session_for(quote: &Quote) -> Session {
    let mut session = crate::session::tests::session(false);
    session.options = vec![quote.clone()];
    session.selected = Some(quote.clone());
    session.tolerance_bps = 0;
    session
}

/// What the shopper's page reads of `session` the moment it is created, before any payment.
pub(super) fn view_at_creation(catalogue: &Catalogue, session: &Session) -> ShopperView {
    shopper_view(
        session,
        &[],
        &Heads::new(),
        catalogue,
        Branding::default(),
        "https://pay.example",
        session.created_at,
    )
}

/// The log a token contract emits for a `transfer(to, amount)` whose calldata is `data`.
fn transfer_log(token: Address, data: &str) -> serde_json::Value {
    let recipient = &data[10..74];
    let amount = &data[74..];
    json!({
        "address": token.to_checksum(None),
        "topics": [TRANSFER_TOPIC, format!("0x{:0>64}", "bb"), format!("0x{recipient}")],
        "data": format!("0x{amount}"),
        "transactionHash": B256::repeat_byte(0x7a).to_string(),
        "logIndex": "0x0",
        "blockNumber": "0x64",
        "blockHash": B256::repeat_byte(0xbb).to_string(),
    })
}

/// The status a session reaches once a transfer of `amount` of its quote is confirmed,
/// counted or not by the rule the watcher applies (the token's 0.01 minimum).
pub(super) fn status_after(
    catalogue: &Catalogue,
    session: &Session,
    quote: &Quote,
    amount: U256,
) -> Status {
    let block = 100;
    let block_time = session.created_at.plus_secs(60);
    let minimum = catalogue
        .chain(quote.chain_id)
        .and_then(|c| c.token(&quote.token))
        .and_then(|t| parse_base_units(&t.min_amount));
    let transfer = Transfer {
        chain_id: quote.chain_id,
        token: &quote.token,
        amount,
        block_time,
    };
    let payment = Payment {
        chain_id: quote.chain_id,
        token: quote.token.clone(),
        tx_hash: Some(B256::repeat_byte(0x7a)),
        log_index: Some(0),
        block_number: block,
        block_hash: B256::repeat_byte(0xbb),
        block_time,
        amount,
        status: PaymentStatus::Detected,
        counted: session.counts(&transfer, minimum),
        repriced: None,
    };
    let head = block + u64::from(quote.confirmations_required);
    let heads = Heads::from([(quote.chain_id, head)]);
    let now = session.created_at.plus_secs(120);
    evaluate(session, &[payment], &heads, now).map_or(session.status, |o| o.session.status)
}

proptest! {
    #[test]
    fn a_stablecoin_price_is_exact_from_cents_to_status(
        cents in 1u64..=1_000_000_000_000,
        (chain_id, decimals) in prop_oneof![Just((1u64, 6u8)), Just((56, 18))],
    ) {
        let catalogue = Catalogue::parse(BUILTIN_JSON).expect("valid");
        let quote = usdt_quote(&catalogue, chain_id, cents);
        let amount = expected_amount(cents, decimals);
        let one_cent = expected_amount(1, decimals);
        prop_assert_eq!(quote.decimals, decimals);
        prop_assert_eq!(quote.amount, amount);
        prop_assert_eq!(quote.one_cent, one_cent);

        let session = session_for(&quote);
        let view = view_at_creation(&catalogue, &session);
        let shown = view.selected.expect("a selected option");
        prop_assert_eq!(&shown.amount, &amount.to_string());
        prop_assert_eq!(&shown.amount_formatted, &expected_formatted(cents));
        prop_assert_eq!(view.payment_amount.map(|p| p.formatted), Some(expected_formatted(cents)));

        // The URI carries the amount as a plain integer: no exponent, no point.
        let uri = view.payment_uri.expect("a payment URI");
        let token = quote.contract.expect("a token");
        prop_assert_eq!(
            &uri,
            &format!(
                "ethereum:{}@{chain_id}/transfer?address={}&uint256={amount}",
                token.to_checksum(None),
                session.address.to_checksum(None)
            )
        );
        let in_uri = uri.rsplit_once("uint256=").map(|(_, n)| n).unwrap_or_default();
        prop_assert!(in_uri.bytes().all(|b| b.is_ascii_digit()), "{}", in_uri);
        prop_assert_eq!(parse_base_units(in_uri), Some(amount));

        // What the wallet sends, and what the chain then logs, is that same integer.
        let sent = view.wallet_transaction.expect("a wallet transaction");
        let chain = catalogue.chain(chain_id).expect("listed");
        let logs = parse_logs(&chain.tokens, &[json!([transfer_log(token, &sent.data)])])
            .expect("a catalogue transfer");
        prop_assert_eq!(logs.len(), 1);
        prop_assert_eq!(logs[0].to, session.address);
        prop_assert_eq!(&logs[0].token, "USDT");
        let received = logs[0].amount;
        prop_assert_eq!(received, amount);

        let one = U256::from(1u8);
        let status = |amount| status_after(&catalogue, &session, &quote, amount);
        prop_assert_eq!(status(received), Status::Paid);
        // Short of a one-cent total is under the minimum that counts at all.
        let short = if cents == 1 { Status::Pending } else { Status::Underpaid };
        prop_assert_eq!(status(received - one), short);
        prop_assert_eq!(status(received + one_cent), Status::Paid);
        prop_assert_eq!(status(received + one_cent + one), Status::Overpaid);
    }
}

#[test]
fn eighteen_decimal_amounts_format_exactly() {
    let catalogue = Catalogue::parse(BUILTIN_JSON).expect("valid");
    for (cents, amount, formatted) in [
        (1, "10000000000000000", "0.01"),
        (10, "100000000000000000", "0.1"),
        (4999, "49990000000000000000", "49.99"),
        (99_999_999, "999999990000000000000000", "999999.99"),
        (
            1_000_000_000_000,
            "10000000000000000000000000000",
            "10000000000",
        ),
    ] {
        let quote = usdt_quote(&catalogue, 56, cents);
        assert_eq!(quote.amount.to_string(), amount);
        assert_eq!(
            crate::money::format_units(quote.amount, quote.decimals),
            formatted
        );
    }
    // A base unit is a payment too, shown in full rather than rounded to zero.
    assert_eq!(
        crate::money::format_units(U256::from(1u8), 18),
        "0.000000000000000001"
    );
}
