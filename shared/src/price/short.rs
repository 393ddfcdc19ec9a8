//! Short native amounts: a feed-priced quote such as `0.008333333333333334 ETH` is hard
//! to read and to type, so it is rounded **up** to the fewest fraction digits whose
//! rounding adds less than one cent at the quote's price (`0.008334 ETH`).
//!
//! Rounding up keeps the merchant whole; staying under a cent keeps the shopper's extra
//! below what the session counts as an overpayment. The rounded amount *is* the quote:
//! the amount shown, the payment URI and what the watcher expects are all the same integer.
//!
//! The rule is measured against the exact amount, so it is applied once, to the exact
//! amount: shortening an already shortened amount again could add a second rounding on
//! top of the first and, together, a cent or more (see the tests).

use alloy_primitives::U256;

/// `exact` base units of a coin with `decimals`, rounded up to the fewest fraction digits
/// (0 to `decimals`) whose rounding is worth strictly less than one cent at `price`
/// (USD per whole coin, with `feed_decimals`).
///
/// - An amount that already has few digits is returned as it is (rounding it adds nothing).
/// - When even one base unit is worth a cent or more, only full precision adds less than
///   a cent, so the exact amount is returned.
/// - Zero stays zero; a zero price gives no measure of a cent, so the amount stays exact;
///   a rounding that would not fit in 256 bits is skipped for a finer one.
pub fn short_native_amount(exact: U256, decimals: u8, price: U256, feed_decimals: u8) -> U256 {
    let Some(one_dollar) = power_of_ten(u32::from(decimals) + u32::from(feed_decimals)) else {
        return exact;
    };
    if price.is_zero() {
        return exact;
    }
    (0..=decimals)
        .find_map(|digits| {
            let rounded = round_up(exact, decimals - digits)?;
            worth_less_than_a_cent(rounded - exact, price, one_dollar).then_some(rounded)
        })
        .unwrap_or(exact)
}

/// `amount` rounded up to a multiple of `10^dropped_digits`; `None` if that overflows.
fn round_up(amount: U256, dropped_digits: u8) -> Option<U256> {
    let step = power_of_ten(u32::from(dropped_digits))?;
    let (steps, rest) = amount.div_rem(step);
    if rest.is_zero() {
        Some(amount)
    } else {
        steps.checked_add(U256::from(1u8))?.checked_mul(step)
    }
}

/// Whether `units` base units are worth less than a cent: `units · price / one_dollar`
/// dollars, where `one_dollar` is `10^(decimals + feed_decimals)`. A product too large
/// for 256 bits is worth more than any cent that fits.
fn worth_less_than_a_cent(units: U256, price: U256, one_dollar: U256) -> bool {
    units
        .checked_mul(price)
        .and_then(|value| value.checked_mul(U256::from(100u8)))
        .is_some_and(|hundredths| hundredths < one_dollar)
}

fn power_of_ten(exponent: u32) -> Option<U256> {
    U256::from(10u8).checked_pow(U256::from(exponent))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::{Cents, format_units};
    use crate::price::native_amount;
    use proptest::prelude::*;

    /// A USD price with 8 feed decimals, from dollars and cents: `usd(3000, 0)` = $3,000.00.
    fn usd(dollars: u64, cents: u64) -> U256 {
        U256::from(dollars * 100 + cents) * U256::from(1_000_000u64)
    }

    /// Worked by hand: the fiat amount in cents, the coin's decimals, the price, the exact
    /// quote (rounded up to the base unit) and the short one.
    #[test]
    fn worked_examples() {
        let table: [(u64, u8, U256, &str, &str); 8] = [
            // $25 / $3,000 = 0.008333… ETH; one cent is 0.00000333… ETH.
            // 5 digits: 0.00834 adds 0.00000666… ETH = $0.02, a cent or more.
            // 6 digits: 0.008334 adds 0.000000666… ETH = $0.002, less than a cent.
            (2500, 18, usd(3000, 0), "0.008333333333333334", "0.008334"),
            // $49.99 / $3,000 = 0.016663333… ETH: 0.01667 adds $0.02, 0.016664 adds $0.002.
            (4999, 18, usd(3000, 0), "0.016663333333333334", "0.016664"),
            // $49.99 / $2,500 = 0.019996 ETH exactly: 0.02 would add 0.000004 ETH, exactly
            // $0.01, which is not less than a cent, so the exact amount stays.
            (4999, 18, usd(2500, 0), "0.019996", "0.019996"),
            // $25 / $2,500 = 0.01 ETH: already short.
            (2500, 18, usd(2500, 0), "0.01", "0.01"),
            // $49.99 / $1,500 = 0.0333266… ETH: 0.03333 adds 0.00000333… ETH = $0.005;
            // 0.0334 would add 0.0000733… ETH = $0.11.
            (4999, 18, usd(1500, 0), "0.033326666666666667", "0.03333"),
            // $10 / $2,512.34 = 0.003980352… ETH; one cent is 0.00000398… ETH.
            // 0.00399 adds 0.0000096… ETH = $0.024; 0.003981 adds 0.00000064… ETH = $0.0016.
            (1000, 18, usd(2512, 34), "0.003980352977702063", "0.003981"),
            // A 6-decimal coin at $0.30: $10.01 = 33.3666…, 33.366667 rounded up to the
            // base unit; one cent is 0.0333… of it. 34 adds 0.633333 ($0.19); 33.4 adds
            // 0.033333, $0.0099999: less than a cent.
            (1001, 6, usd(0, 30), "33.366667", "33.4"),
            // At $0.25, $49.99 = 199.96 exactly: 200 would add 0.04, exactly a cent.
            (4999, 6, usd(0, 25), "199.96", "199.96"),
        ];
        for (cents, decimals, price, exact, short) in table {
            let quote = native_amount(Cents(cents), decimals, price, 8).expect("priced");
            let shortened = short_native_amount(quote, decimals, price, 8);
            assert_eq!(
                (
                    format_units(quote, decimals),
                    format_units(shortened, decimals)
                ),
                (exact.to_owned(), short.to_owned()),
                "{cents} cents at {price}"
            );
        }
    }

    #[test]
    fn a_price_so_high_that_one_base_unit_is_worth_a_cent_keeps_full_precision() {
        // A 2-decimal coin at $10,000: one base unit (0.01) is worth $100.
        let price = usd(10_000, 0);
        assert_eq!(
            short_native_amount(U256::from(12_345u64), 2, price, 8),
            U256::from(12_345u64)
        );
    }

    #[test]
    fn zero_amounts_prices_and_overflow() {
        let price = usd(3000, 0);
        assert_eq!(short_native_amount(U256::ZERO, 18, price, 8), U256::ZERO);
        let exact = U256::from(8_333_333_333_333_334u64);
        assert_eq!(short_native_amount(exact, 18, U256::ZERO, 8), exact);
        // Rounding the largest amount up to fewer digits overflows; full precision fits.
        assert_eq!(short_native_amount(U256::MAX, 18, price, 8), U256::MAX);
        // A scale beyond 256 bits cannot measure a cent: the amount stays exact.
        assert_eq!(short_native_amount(exact, 70, price, 8), exact);
    }

    /// Why the rule shortens the exact amount once: a second shortening is measured from
    /// the first result, not from the exact amount, and the two roundings together can
    /// reach a cent.
    #[test]
    fn shortening_twice_could_add_a_cent_so_the_quote_is_shortened_once() {
        // At $2,400 one cent is 0.0000041666… ETH.
        let price = usd(2400, 0);
        let exact = U256::from(10_005_800_000_000_000u64); // 0.0100058
        // 0.01001 would add 0.0000042 ETH ($0.01008); 0.010006 adds 0.0000002 ETH.
        let once = short_native_amount(exact, 18, price, 8);
        assert_eq!(format_units(once, 18), "0.010006");
        // From 0.010006, 0.01001 adds only 0.000004 ETH ($0.0096)…
        let twice = short_native_amount(once, 18, price, 8);
        assert_eq!(format_units(twice, 18), "0.01001");
        // …but from the exact amount it is a cent or more.
        assert!(!worth_less_than_a_cent(
            twice - exact,
            price,
            U256::from(10u8).pow(U256::from(26u8))
        ));
    }

    /// Fraction digits of `amount` once trailing zeros are dropped.
    fn fraction_digits(amount: U256, decimals: u8) -> u8 {
        let mut digits = decimals;
        let mut rest = amount;
        let ten = U256::from(10u8);
        while digits > 0 && (rest % ten).is_zero() {
            rest /= ten;
            digits -= 1;
        }
        digits
    }

    /// What rounding `exact` up to `digits` fraction digits adds, valued in hundredths of a
    /// cent's scale (`< 10^(decimals + 8)` means less than a cent); `None` on overflow.
    fn rounding_in_hundredths(exact: U256, decimals: u8, digits: u8, price: U256) -> Option<U256> {
        let rounded = round_up(exact, decimals - digits)?;
        (rounded - exact)
            .checked_mul(price)?
            .checked_mul(U256::from(100u8))
    }

    fn amounts() -> impl Strategy<Value = U256> {
        prop_oneof![
            any::<u128>().prop_map(U256::from),
            any::<u64>().prop_map(U256::from),
            (0u64..1_000_000).prop_map(U256::from),
        ]
    }

    proptest! {
        /// For any amount, price and decimals the short amount is never less than the exact
        /// one, adds less than a cent, and has as few digits as that allows: one digit fewer
        /// would add a cent or more.
        #[test]
        fn short_amounts_are_the_shortest_rounding_up_under_a_cent(
            exact in amounts(),
            price in 1u64..=100_000_000_000_000, // up to $1,000,000 with 8 decimals
            decimals in 0u8..=24,
        ) {
            let price = U256::from(price);
            let short = short_native_amount(exact, decimals, price, 8);
            let one_dollar = U256::from(10u8).pow(U256::from(u32::from(decimals) + 8));
            prop_assert!(short >= exact);
            let added = (short - exact) * price * U256::from(100u8);
            prop_assert!(added < one_dollar, "adds {} of {}", added, one_dollar);
            let digits = fraction_digits(short, decimals);
            if digits > 0 {
                let coarser = rounding_in_hundredths(exact, decimals, digits - 1, price);
                prop_assert!(
                    coarser.is_none_or(|v| v >= one_dollar),
                    "{} digits would do for {}", digits - 1, exact
                );
            }
        }

        /// Quotes of whole cents at feed prices: shortening never lowers a quote below the
        /// fiat amount and never shows less coin for more money.
        #[test]
        fn short_quotes_cover_the_total_and_grow_with_it(
            cents in 1u64..=99_999_999,
            more in 0u64..=1_000,
            price in 1u64..=100_000_000_000_000,
            decimals in prop_oneof![Just(6u8), Just(18u8)],
        ) {
            let price = U256::from(price);
            let short = |cents| {
                let exact = native_amount(Cents(cents), decimals, price, 8).expect("fits");
                (exact, short_native_amount(exact, decimals, price, 8))
            };
            let (exact, amount) = short(cents);
            let scale = U256::from(10u8).pow(U256::from(u32::from(decimals) + 8));
            prop_assert!(amount * price * U256::from(100u8) >= U256::from(cents) * scale);
            prop_assert!(amount >= exact);
            prop_assert!(short(cents + more).1 >= amount);
        }
    }
}
