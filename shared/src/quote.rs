//! Pricing a fiat amount in every accepted option (spec §2, "Quotes and rate lock").
//!
//! Catalogue tokens are USD stablecoins and quote 1:1, exactly: cents → base units by a
//! power of ten, no rounding. (The native coin, priced from a feed, joins in the chain
//! watcher issue.)

use crate::account::Settings;
use crate::catalogue::{Catalogue, Chain};
use crate::money::{Cents, stablecoin_amount};
use crate::session::Quote;
use crate::time::Timestamp;

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
    served: &[u64],
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
