//! Where a session's deposit address is watched, and for what.
//!
//! An address derived from the merchant's xpub is the same key on every EVM chain, so a
//! shopper who sends the session's token on the wrong EVM network has still paid the
//! merchant. The address is therefore watched for the catalogue's tokens on every served
//! EVM chain of the session's mode, not only on the chains it offers; those transfers are
//! recorded (never counted) so the merchant can see, return or sweep them. The native coin
//! is watched only where it may be offered, because that needs a balance baseline read at
//! creation.

use alloy_primitives::{Address, ChainId};

use super::Session;
use crate::catalogue::{Catalogue, ChainFamily};

/// One chain a session's deposit address is watched on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchedChain {
    pub chain_id: ChainId,
    /// The address as the chain's logs name it (20 bytes).
    pub address: Address,
    /// Whether the native coin is watched here too: only on a chain the session offers.
    pub native: bool,
}

/// The chains `session`'s address is watched on, given the chains this deployment serves:
/// its offered chains first (in the order of its options), then every other served EVM
/// chain of its mode (testnets for a test session, mainnets for a live one) that lists
/// tokens, token transfers only.
pub fn watched_chains(
    catalogue: &Catalogue,
    served: &[ChainId],
    session: &Session,
) -> Vec<WatchedChain> {
    let mut watched: Vec<WatchedChain> = Vec::new();
    for q in &session.options {
        if watched.iter().all(|w| w.chain_id != q.chain_id) {
            // A Tron option is watched at the Tron address's 20 bytes, tokens only (TRX is
            // not offered).
            let tron = catalogue
                .chain(q.chain_id)
                .is_some_and(|c| c.family == ChainFamily::Tron);
            let address = match (tron, session.address_tron) {
                (false, _) => session.address,
                (true, Some(tron)) => tron.evm(),
                (true, None) => continue,
            };
            watched.push(WatchedChain {
                chain_id: q.chain_id,
                address,
                native: !tron,
            });
        }
    }
    let rescue = catalogue.chains.iter().filter(|chain| {
        chain.family == ChainFamily::Evm
            && chain.testnet != session.livemode
            && !chain.tokens.is_empty()
            && served.contains(&chain.chain_id)
            && !session.offers_chain(chain.chain_id)
    });
    watched.extend(rescue.map(|chain| WatchedChain {
        chain_id: chain.chain_id,
        address: session.address,
        native: false,
    }));
    watched
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::tests::{catalogue, session, usdc};

    fn ids(watched: &[WatchedChain]) -> Vec<(ChainId, bool)> {
        watched.iter().map(|w| (w.chain_id, w.native)).collect()
    }

    #[test]
    fn a_test_session_is_watched_for_tokens_on_every_served_testnet() {
        let s = session(false);
        let watched = watched_chains(&catalogue(), &[31337, 31338, 1], &s);
        assert_eq!(ids(&watched), vec![(31337, true), (31338, false)]);
        assert!(watched.iter().all(|w| w.address == s.address));
    }

    #[test]
    fn a_chain_the_deployment_does_not_serve_is_not_watched() {
        let watched = watched_chains(&catalogue(), &[31337], &session(false));
        assert_eq!(ids(&watched), vec![(31337, true)]);
    }

    #[test]
    fn a_live_session_is_watched_on_mainnets_only() {
        let mut s = session(false);
        s.livemode = true;
        s.options = vec![usdc(1)];
        s.options[0].chain_id = 1;
        let watched = watched_chains(&catalogue(), &[31337, 31338, 1], &s);
        assert_eq!(ids(&watched), vec![(1, true)]);
    }

    #[test]
    fn each_offered_chain_is_watched_once_with_its_native_coin() {
        let mut s = session(false);
        let mut on_l2 = usdc(1);
        on_l2.chain_id = 31338;
        s.options.push(on_l2);
        let watched = watched_chains(&catalogue(), &[31338, 31337], &s);
        assert_eq!(ids(&watched), vec![(31337, true), (31338, true)]);
    }

    #[test]
    fn a_tron_chain_is_never_watched_for_rescue() {
        let mut catalogue = catalogue();
        for chain in &mut catalogue.chains {
            if chain.chain_id == 31338 {
                chain.family = ChainFamily::Tron;
            }
        }
        let watched = watched_chains(&catalogue, &[31337, 31338], &session(false));
        assert_eq!(ids(&watched), vec![(31337, true)]);
    }

    #[test]
    fn an_offered_tron_chain_is_watched_at_the_tron_address_for_tokens_only() {
        let mut s = session(false);
        let tron = crate::tron::TronAddress::from_evm(Address::repeat_byte(0xbb));
        s.address_tron = Some(tron);
        let mut on_tron = usdc(1);
        on_tron.chain_id = 31339;
        s.options.push(on_tron);
        let watched = watched_chains(&catalogue(), &[31337, 31339], &s);
        assert_eq!(ids(&watched), vec![(31337, true), (31339, false)]);
        assert_eq!(watched[1].address, Address::repeat_byte(0xbb));
        assert_eq!(watched[0].address, s.address);
    }
}
