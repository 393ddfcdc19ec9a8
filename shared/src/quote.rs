//! Pricing a fiat amount in every accepted option. A quote fixes the amount for its
//! option; a native quote is honoured for a while (see `Session::quote_valid_until`).
//!
//! Catalogue tokens are USD stablecoins and quote 1:1, exactly: cents → base units by a
//! power of ten, no rounding. The native coin is priced from the chain's feed, rounded up
//! to the base unit and then to the fewest fraction digits that add less than a cent
//! ([`crate::price`]); without a usable price it is not offered. That short amount is the
//! quote: what the shopper sees, the payment URI, the wallet's transaction and what the
//! session expects.

use alloy_primitives::{ChainId, U256};

use crate::account::Settings;
use crate::catalogue::{Catalogue, Chain};
use crate::money::{Cents, stablecoin_amount};
use crate::price::{
    PriceError, Round, native_amount, price_string, short_native_amount, usable_price,
};
use crate::session::Quote;
use crate::time::Timestamp;

/// A price as read from a chain's feed, with the sequencer's state on L2s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedReading {
    pub round: Round,
    /// `true` on chains without a sequencer feed.
    pub sequencer_up: bool,
}

/// The native-coin option of `chain` for `amount` at the feed's price, or why there is none.
pub fn native_quote(
    chain: &Chain,
    settings: &Settings,
    amount: Cents,
    reading: FeedReading,
    now: Timestamp,
) -> Result<Quote, PriceError> {
    let feed = chain.price_feed.as_ref().ok_or(PriceError::NoFeed)?;
    let price = usable_price(reading.round, chain, reading.sequencer_up, now)?;
    let priced = |cents| native_amount(cents, chain.native_decimals, price, feed.decimals);
    let (Some(exact), Some(one_cent)) = (priced(amount), priced(Cents(1))) else {
        return Err(PriceError::NotPositive);
    };
    let value = short_native_amount(exact, chain.native_decimals, price, feed.decimals);
    Ok(Quote {
        chain_id: chain.chain_id,
        token: chain.native_symbol.clone(),
        contract: None,
        decimals: chain.native_decimals,
        amount: value,
        one_cent: one_cent.max(U256::from(1u8)),
        exchange_rate: price_string(price, feed.decimals),
        quoted_at: now,
        confirmations_required: confirmations_required(chain, settings),
    })
}

/// Whether the account takes `chain`'s native coin and the chain can price it.
pub fn offers_native(chain: &Chain, settings: &Settings, livemode: bool) -> bool {
    chain.testnet != livemode
        && chain.price_feed.is_some()
        && settings.accepts(chain.chain_id, &chain.native_symbol)
}

pub fn confirmations_required(chain: &Chain, settings: &Settings) -> u32 {
    chain.min_confirmations.saturating_add(
        settings
            .extra_confirmations
            .get(&chain.chain_id)
            .copied()
            .unwrap_or(0),
    )
}

/// Every stablecoin option of the `served` chains that suits the mode and the account.
pub fn stablecoin_quotes(
    catalogue: &Catalogue,
    served: &[ChainId],
    livemode: bool,
    settings: &Settings,
    amount: Cents,
    now: Timestamp,
) -> Vec<Quote> {
    let mut quotes = Vec::new();
    for chain in catalogue
        .chains
        .iter()
        .filter(|c| c.testnet != livemode && served.contains(&c.chain_id))
    {
        for token in chain
            .tokens
            .iter()
            .filter(|t| settings.accepts(chain.chain_id, &t.symbol))
        {
            let (Some(value), Some(one_cent)) = (
                stablecoin_amount(amount, token.decimals),
                stablecoin_amount(Cents(1), token.decimals),
            ) else {
                continue;
            };
            quotes.push(Quote {
                chain_id: chain.chain_id,
                token: token.symbol.clone(),
                contract: Some(token.contract),
                decimals: token.decimals,
                amount: value,
                one_cent,
                exchange_rate: "1.00".into(),
                quoted_at: now,
                confirmations_required: confirmations_required(chain, settings),
            });
        }
    }
    quotes
}

#[cfg(test)]
mod exact;

#[cfg(test)]
mod short_native;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::BUILTIN_JSON;
    use alloy_primitives::U256;

    #[test]
    fn local_chain_quotes_usdc_and_usdt_exactly() {
        let catalogue = Catalogue::parse(BUILTIN_JSON).expect("valid");
        let quotes = stablecoin_quotes(
            &catalogue,
            &[31337],
            false,
            &Settings::default(),
            Cents(4999),
            Timestamp(1),
        );
        let symbols: Vec<&str> = quotes.iter().map(|q| q.token.as_str()).collect();
        assert_eq!(symbols, ["USDC", "USDT"]);
        assert!(
            quotes
                .iter()
                .all(|q| q.amount == U256::from(49_990_000u64) && q.exchange_rate == "1.00")
        );
        assert_eq!(quotes[0].confirmations_required, 2);
    }

    fn reading(answer: i64, age: u64, now: Timestamp) -> FeedReading {
        FeedReading {
            round: Round {
                answer: alloy_primitives::I256::try_from(answer).unwrap_or_default(),
                updated_at: Timestamp(now.0 - age),
            },
            sequencer_up: true,
        }
    }

    #[test]
    fn native_quote_prices_from_the_feed_and_rounds_up() {
        let catalogue = Catalogue::parse(BUILTIN_JSON).expect("valid");
        let local = catalogue.chain(31337).expect("local chain");
        let now = Timestamp(1_800_000_000);
        let q = native_quote(
            local,
            &Settings::default(),
            Cents(4999),
            reading(3000_00000000, 60, now),
            now,
        )
        .expect("usable price");
        assert_eq!(
            (
                q.token.as_str(),
                q.contract,
                q.decimals,
                q.exchange_rate.as_str()
            ),
            ("ETH", None, 18, "3000.00")
        );
        // $49.99 at $3,000 is 0.016663333… ETH, shown and asked for as 0.016664 ETH: the
        // rounding adds 0.000000666… ETH, $0.002.
        assert_eq!(q.amount, U256::from(16_664_000_000_000_000u64));
        assert_eq!(q.one_cent, U256::from(3_333_333_333_334u64));
        assert_eq!(
            native_quote(
                local,
                &Settings::default(),
                Cents(4999),
                reading(3000_00000000, 90_000, now),
                now
            ),
            Err(PriceError::Stale { age_secs: 90_000 })
        );
        let no_feed = Chain {
            price_feed: None,
            ..local.clone()
        };
        assert!(!offers_native(&no_feed, &Settings::default(), false));
        assert!(offers_native(local, &Settings::default(), false));
        assert!(!offers_native(local, &Settings::default(), true));
    }

    #[test]
    fn mode_served_chains_and_settings_filter() {
        let catalogue = Catalogue::parse(BUILTIN_JSON).expect("valid");
        let s = Settings::default();
        assert!(
            stablecoin_quotes(&catalogue, &[31337], true, &s, Cents(100), Timestamp(1)).is_empty()
        );
        assert!(stablecoin_quotes(&catalogue, &[], false, &s, Cents(100), Timestamp(1)).is_empty());
        let only_usdt = Settings {
            enabled_options: vec!["31337:USDT".into()],
            ..Settings::default()
        };
        let q = stablecoin_quotes(
            &catalogue,
            &[31337],
            false,
            &only_usdt,
            Cents(100),
            Timestamp(1),
        );
        assert_eq!(q.len(), 1);
        let extra = Settings {
            extra_confirmations: [(31337, 3)].into(),
            ..Settings::default()
        };
        assert_eq!(
            stablecoin_quotes(
                &catalogue,
                &[31337],
                false,
                &extra,
                Cents(100),
                Timestamp(1)
            )[0]
            .confirmations_required,
            5
        );
    }
}
