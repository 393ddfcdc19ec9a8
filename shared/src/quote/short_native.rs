//! One native price followed end to end, on the local chain (ETH at 18 decimals): fiat
//! cents and a feed answer → the short quote → what the shopper's page shows and the
//! wallet is asked to send (EIP-681 URI, transaction value) → the session's status at
//! exactly that amount (`paid`, not `overpaid`), at the unshortened amount and one base
//! unit short (`underpaid`), and one cent over (`overpaid` only past a cent).

use alloy_primitives::{I256, U256};
use proptest::prelude::*;

use super::exact::{session_for, status_after, view_at_creation};
use super::{FeedReading, native_quote};
use crate::account::Settings;
use crate::catalogue::{BUILTIN_JSON, Catalogue};
use crate::money::{Cents, parse_units};
use crate::price::Round;
use crate::session::Status;

/// The exact amount of `cents` at `price` (8 feed decimals) in wei, rounded up, and the
/// short one, both worked out here with plain integers: the exact amount rounded up to
/// the fewest fraction digits whose rounding is worth less than a cent.
fn expected(cents: u128, price: u128) -> (u128, u128) {
    let one_dollar = 10u128.pow(26);
    let exact = (cents * one_dollar).div_ceil(price * 100);
    let short = (0..=18)
        .map(|digits| exact.next_multiple_of(10u128.pow(18 - digits)))
        .find(|rounded| (rounded - exact) * price * 100 < one_dollar)
        .unwrap_or(exact);
    (exact, short)
}

/// How the short amount reads: whole ETH, no trailing zeros.
fn written(wei: u128) -> String {
    let (whole, fraction) = (wei / 10u128.pow(18), wei % 10u128.pow(18));
    let fraction = format!("{fraction:018}");
    match fraction.trim_end_matches('0') {
        "" => whole.to_string(),
        digits => format!("{whole}.{digits}"),
    }
}

#[test]
fn the_worked_examples() {
    let dollars = |d: u128| d * 100_000_000;
    assert_eq!(
        expected(2500, dollars(3000)),
        (8_333_333_333_333_334, 8_334_000_000_000_000)
    );
    assert_eq!(written(8_334_000_000_000_000), "0.008334");
    assert_eq!(expected(4999, dollars(2500)).1, 19_996_000_000_000_000);
}

proptest! {
    #[test]
    fn a_native_price_is_short_and_exact_from_cents_to_status(
        cents in 1u64..=99_999_999,
        price in 10_000_000u64..=1_000_000_000_000, // $0.10 to $10,000 with 8 decimals
    ) {
        let catalogue = Catalogue::parse(BUILTIN_JSON).expect("valid");
        let chain = catalogue.chain(31337).expect("local chain");
        let (exact, short) = expected(u128::from(cents), u128::from(price));
        let now = crate::session::tests::session(false).created_at;
        let reading = FeedReading {
            round: Round { answer: I256::try_from(price).expect("fits"), updated_at: now },
            sequencer_up: true,
        };
        let quote = native_quote(chain, &Settings::default(), Cents(cents), reading, now)
            .expect("a usable price");
        prop_assert_eq!(quote.amount, U256::from(short));
        let session = session_for(&quote);
        prop_assert_eq!(session.created_at, now);

        let view = view_at_creation(&catalogue, &session);
        let shown = view.selected.expect("a selected option");
        prop_assert_eq!(&shown.amount, &short.to_string());
        prop_assert_eq!(&shown.amount_formatted, &written(short));
        prop_assert_eq!(parse_units(&shown.amount_formatted, 18), Some(U256::from(short)));
        prop_assert_eq!(
            view.payment_uri,
            Some(format!("ethereum:{}@31337?value={short}", session.address.to_checksum(None)))
        );
        let sent = view.wallet_transaction.expect("a wallet transaction");
        prop_assert_eq!(sent.value_hex, format!("{short:#x}"));
        prop_assert_eq!(sent.to, session.address.to_checksum(None));

        let one = U256::from(1u8);
        let status = |amount| status_after(&catalogue, &session, &quote, amount);
        let amount = U256::from(short);
        prop_assert_eq!(status(amount), Status::Paid);
        // The session expects the short amount, not the exact one it was rounded from.
        if short > exact && U256::from(exact) >= quote.one_cent {
            prop_assert_eq!(status(U256::from(exact)), Status::Underpaid);
        }
        if amount - one >= quote.one_cent {
            prop_assert_eq!(status(amount - one), Status::Underpaid);
        }
        prop_assert_eq!(status(amount + quote.one_cent), Status::Paid);
        prop_assert_eq!(status(amount + quote.one_cent + one), Status::Overpaid);
    }
}
