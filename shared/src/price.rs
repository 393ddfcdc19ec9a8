//! Native-coin pricing from a Chainlink-style feed.
//!
//! A round is usable only if its answer is positive, it is not from the future, it is no
//! older than [`max_round_age_secs`] (the feed's heartbeat, capped by the chain's
//! `max_price_age_secs`) and (on L2s) the sequencer is up. The quote rounds up to
//! the base unit, so the merchant never receives less than the fiat amount at that price:
//! `ceil(cents · 10^(decimals + feed_decimals) / (price · 100))`. A quote carries that amount
//! shortened ([`short_native_amount`]): rounded up again, to the fewest fraction digits
//! that add less than a cent.

mod short;

use alloy_primitives::{I256, U256};

pub use short::short_native_amount;

use crate::catalogue::Chain;
use crate::money::Cents;
use crate::time::Timestamp;

/// A feed answer as read from `latestRoundData()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub answer: I256,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceError {
    NotPositive,
    FromTheFuture,
    Stale {
        age_secs: u64,
    },
    SequencerDown,
    /// The chain has no price feed in the catalogue.
    NoFeed,
}

impl std::fmt::Display for PriceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotPositive => write!(f, "the feed's answer is not a positive price"),
            Self::FromTheFuture => write!(f, "the feed's round is dated in the future"),
            Self::Stale { age_secs } => {
                write!(
                    f,
                    "the feed's last round is {age_secs} s old, older than the chain accepts"
                )
            }
            Self::SequencerDown => write!(f, "the L2 sequencer is down or just restarted"),
            Self::NoFeed => write!(f, "the chain has no price feed"),
        }
    }
}

/// The oldest a round of `chain`'s feed may be and still price a quote: the feed's
/// heartbeat, but never more than the chain's `max_price_age_secs` (an hour unless the
/// catalogue says otherwise). `None` when the chain has no feed.
pub fn max_round_age_secs(chain: &Chain) -> Option<u64> {
    chain
        .price_feed
        .as_ref()
        .map(|feed| feed.heartbeat_secs.min(chain.max_price_age_secs))
}

/// The usable price of a round of `chain`'s feed, or why there is none.
pub fn usable_price(
    round: Round,
    chain: &Chain,
    sequencer_up: bool,
    now: Timestamp,
) -> Result<U256, PriceError> {
    let max_age_secs = max_round_age_secs(chain).ok_or(PriceError::NoFeed)?;
    if !sequencer_up {
        return Err(PriceError::SequencerDown);
    }
    if round.answer <= I256::ZERO {
        return Err(PriceError::NotPositive);
    }
    if round.updated_at > now {
        return Err(PriceError::FromTheFuture);
    }
    let age_secs = now.0 - round.updated_at.0;
    if age_secs > max_age_secs {
        return Err(PriceError::Stale { age_secs });
    }
    Ok(round.answer.into_raw())
}

/// Chainlink's advice for L2 sequencer feeds: answer 0 means up, and prices are trusted
/// only an hour after the sequencer came back (`startedAt`), once feeds have caught up.
pub const SEQUENCER_GRACE_SECS: u64 = 3_600;

/// Whether an L2 sequencer-uptime round says the sequencer is up and past its grace period.
pub fn sequencer_up(answer: I256, started_at: Timestamp, now: Timestamp) -> bool {
    answer.is_zero() && now.0.saturating_sub(started_at.0) >= SEQUENCER_GRACE_SECS
}

/// Base units of the native coin worth `cents` at `price` (with `feed_decimals`), rounded up.
/// `None` on a zero price or overflow.
pub fn native_amount(
    cents: Cents,
    native_decimals: u8,
    price: U256,
    feed_decimals: u8,
) -> Option<U256> {
    let scale = U256::from(10u8).checked_pow(U256::from(
        u32::from(native_decimals) + u32::from(feed_decimals),
    ))?;
    let numerator = U256::from(cents.0).checked_mul(scale)?;
    let denominator = price.checked_mul(U256::from(100u8))?;
    if denominator.is_zero() {
        return None;
    }
    let (quotient, remainder) = numerator.div_rem(denominator);
    if remainder.is_zero() {
        Some(quotient)
    } else {
        quotient.checked_add(U256::from(1u8))
    }
}

/// The price as a 2-decimal USD string for `exchange_rate` (`"3000.00"`), truncated.
pub fn price_string(price: U256, feed_decimals: u8) -> String {
    let cents = if feed_decimals >= 2 {
        price / U256::from(10u8).pow(U256::from(feed_decimals - 2))
    } else {
        price * U256::from(10u8).pow(U256::from(2 - feed_decimals))
    };
    let hundred = U256::from(100u8);
    format!("{}.{:02}", cents / hundred, (cents % hundred).to::<u64>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::{BUILTIN_JSON, Catalogue};
    use proptest::prelude::*;

    const NOW: Timestamp = Timestamp(1_800_000_000);

    /// A chain whose feed has `heartbeat` and, if given, the chain a `max_price_age_secs`.
    fn chain(heartbeat: u64, max_price_age: Option<u64>) -> Chain {
        let cap = max_price_age.map_or(String::new(), |s| format!(r#","max_price_age_secs":{s}"#));
        let json = format!(
            r#"{{"chains":[{{"chain_id":1,"name":"a","testnet":false,"native_symbol":"ETH",
            "native_decimals":18,"rpc_url_var":"RPC_URL_1","min_confirmations":1,
            "multicall3":"0xcA11bde05977b3631167028862bE2a173976CA11",
            "price_feed":{{"address":"0x5f4eC3Df9cbd43714FE2740f5E3616155c5b8419",
                "decimals":8,"heartbeat_secs":{heartbeat},"source":"a test feed"}},
            "sequencer_uptime_feed":null,"tokens":[]{cap}}}]}}"#
        );
        let mut catalogue = Catalogue::parse(&json).expect("valid test chain");
        catalogue.chains.remove(0)
    }

    fn round(answer: i64, age: u64) -> Round {
        Round {
            answer: I256::try_from(answer).unwrap_or(I256::ZERO),
            updated_at: Timestamp(NOW.0 - age),
        }
    }

    #[test]
    fn usable_rounds_and_every_refusal() {
        let hourly = chain(3600, None);
        assert_eq!(
            usable_price(round(3000_00000000, 60), &hourly, true, NOW),
            Ok(U256::from(3000_00000000u64))
        );
        assert_eq!(
            usable_price(round(0, 60), &hourly, true, NOW),
            Err(PriceError::NotPositive)
        );
        assert_eq!(
            usable_price(round(-5, 60), &hourly, true, NOW),
            Err(PriceError::NotPositive)
        );
        assert_eq!(
            usable_price(round(3000, 3601), &hourly, true, NOW),
            Err(PriceError::Stale { age_secs: 3601 })
        );
        assert_eq!(
            usable_price(round(3000, 3600), &hourly, true, NOW).map(|_| ()),
            Ok(())
        );
        let future = Round {
            answer: I256::try_from(3000).unwrap_or(I256::ZERO),
            updated_at: NOW.plus_secs(1),
        };
        assert_eq!(
            usable_price(future, &hourly, true, NOW),
            Err(PriceError::FromTheFuture)
        );
        assert_eq!(
            usable_price(round(3000, 60), &hourly, false, NOW),
            Err(PriceError::SequencerDown)
        );
        let no_feed = Chain {
            price_feed: None,
            ..hourly
        };
        assert_eq!(
            usable_price(round(3000, 60), &no_feed, true, NOW),
            Err(PriceError::NoFeed)
        );
    }

    /// A round may be as old as the shorter of the feed's heartbeat and the chain's
    /// `max_price_age_secs` (an hour when the catalogue gives none), and not a second older.
    #[test]
    fn staleness_is_the_shorter_of_heartbeat_and_max_price_age() {
        // (heartbeat, max_price_age_secs, expected limit)
        let table: [(u64, Option<u64>, u64); 7] = [
            (1_200, None, 1_200),           // heartbeat shorter than the default cap
            (86_400, None, 3_600),          // a one-day heartbeat is stale after an hour
            (3_600, None, 3_600),           // heartbeat equal to the default cap
            (3_600, Some(600), 600),        // a chain's own cap below the heartbeat
            (600, Some(1_800), 600),        // heartbeat below the chain's own cap
            (86_400, Some(7_200), 7_200),   // a chain may allow more than the default
            (86_400, Some(86_400), 86_400), // cap and heartbeat equal
        ];
        for (heartbeat, cap, limit) in table {
            let chain = chain(heartbeat, cap);
            let case = format!("heartbeat {heartbeat}, max_price_age_secs {cap:?}");
            assert_eq!(max_round_age_secs(&chain), Some(limit), "{case}");
            assert_eq!(
                usable_price(round(3000, limit), &chain, true, NOW),
                Ok(U256::from(3000u64)),
                "{case}: a round exactly {limit} s old is usable"
            );
            assert_eq!(
                usable_price(round(3000, limit + 1), &chain, true, NOW),
                Err(PriceError::Stale {
                    age_secs: limit + 1
                }),
                "{case}: one second more is stale"
            );
        }
    }

    /// The local chain's test feed declares a one-day heartbeat; its quotes still refuse a
    /// round older than an hour.
    #[test]
    fn the_builtin_local_feed_is_stale_after_an_hour() {
        let catalogue = Catalogue::parse(BUILTIN_JSON).expect("valid");
        let local = catalogue.chain(31337).expect("local chain");
        assert_eq!(
            local.price_feed.as_ref().map(|f| f.heartbeat_secs),
            Some(86_400)
        );
        assert!(usable_price(round(3000, 3_600), local, true, NOW).is_ok());
        assert_eq!(
            usable_price(round(3000, 3_601), local, true, NOW),
            Err(PriceError::Stale { age_secs: 3_601 })
        );
    }

    #[test]
    fn sequencer_must_be_up_for_an_hour() {
        let up = I256::ZERO;
        let down = I256::ONE;
        assert!(sequencer_up(up, Timestamp(NOW.0 - 3_600), NOW));
        assert!(!sequencer_up(up, Timestamp(NOW.0 - 3_599), NOW));
        assert!(!sequencer_up(down, Timestamp(NOW.0 - 90_000), NOW));
        assert!(!sequencer_up(up, NOW.plus_secs(10), NOW));
    }

    #[test]
    fn native_amounts_round_up_to_the_wei() {
        // $49.99 at $3000.00 (8 feed decimals) = 0.016663333… ETH → rounded up.
        let price = U256::from(3000_00000000u64);
        assert_eq!(
            native_amount(Cents(4999), 18, price, 8),
            Some(U256::from(16_663_333_333_333_334u64))
        );
        // Exact division stays exact: $30.00 at $3000 = 0.01 ETH.
        assert_eq!(
            native_amount(Cents(3000), 18, price, 8),
            Some(U256::from(10_000_000_000_000_000u64))
        );
        assert_eq!(native_amount(Cents(1), 18, U256::ZERO, 8), None);
    }

    #[test]
    fn exchange_rate_strings() {
        assert_eq!(price_string(U256::from(3000_12345678u64), 8), "3000.12");
        assert_eq!(price_string(U256::from(5u8), 0), "5.00");
    }

    proptest! {
        /// The quote is the smallest amount worth at least the fiat total: paying it never
        /// short-changes the merchant, and one base unit less would.
        #[test]
        fn native_quote_is_the_least_sufficient_amount(
            cents in 1u64..=99_999_999,
            price in 1u64..=100_000_000_000_000, // up to $1,000,000 with 8 decimals
            decimals in 0u8..=18,
        ) {
            let price = U256::from(price);
            let amount = native_amount(Cents(cents), decimals, price, 8).expect("fits");
            let scale = U256::from(10u8).pow(U256::from(u32::from(decimals) + 8));
            let owed = U256::from(cents) * scale;
            prop_assert!(amount * price * U256::from(100u8) >= owed);
            if amount > U256::ZERO {
                prop_assert!((amount - U256::from(1u8)) * price * U256::from(100u8) < owed);
            }
        }
    }
}
