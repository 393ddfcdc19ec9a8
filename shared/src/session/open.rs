//! Opening a checkout session: whether a create request can be served, and the new session.
//!
//! The worker does the I/O between the two calls. It quotes the stablecoins and asks
//! [`check_request`] whether the request can be served at all; only then does it reserve a
//! derivation index and read the native coins' chains, so a refused request costs neither.
//! [`open`] then decides the session from what was read.

use std::collections::BTreeMap;
use std::fmt;

use alloy_primitives::{Address, U256};

use super::{Quote, Session, Status};
use crate::account::Settings;
use crate::catalogue::{Catalogue, Chain, ChainFamily};
use crate::ids::{AccountId, LinkId, SessionId};
use crate::link::PaymentLink;
use crate::order::Order;
use crate::time::Timestamp;
use crate::tron::TronAddress;

/// Where a session's order comes from: the request itself, or a payment link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    AdHoc(Order),
    /// `payment_link: "plink_…"`: amount, items and URLs are the link's.
    Link(LinkId),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateSession {
    pub source: Source,
    /// `chain_id` + `token`: the payment option fixed at creation.
    pub option: Option<(u64, String)>,
    pub success_url: Option<String>,
    pub cancel_url: Option<String>,
    pub return_url: Option<String>,
    pub customer_email: Option<String>,
    pub customer_id: Option<String>,
    pub description: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub expires_in: Option<u64>,
    /// The shopper's language, canonical (`pt-BR`); none lets the browser decide.
    pub locale: Option<&'static str>,
}

impl CreateSession {
    /// Link mode: the order is the link's; URLs and the description the request leaves
    /// out are the link's; metadata is the link's with the request's keys on top.
    pub fn inherit(&mut self, link: &PaymentLink) -> Order {
        let fill = |own: &mut Option<String>, from: &Option<String>| {
            if own.is_none() {
                own.clone_from(from);
            }
        };
        fill(&mut self.success_url, &link.success_url);
        fill(&mut self.cancel_url, &link.cancel_url);
        fill(&mut self.return_url, &link.return_url);
        fill(&mut self.description, &link.description);
        if self.locale.is_none() {
            self.locale = link.locale.as_deref().and_then(crate::locale::exact);
        }
        let own = std::mem::take(&mut self.metadata);
        self.metadata = link.metadata.clone();
        self.metadata.extend(own);
        link.order.clone()
    }
}

/// Why a create request gets no session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenError {
    /// The request fixes an option this merchant is not offered in this mode.
    OptionUnavailable {
        chain_id: u64,
        token: String,
        why: Unavailable,
    },
    /// No served chain has a token this account accepts in this mode.
    NoPaymentOptions,
    /// The request fixes a native coin that cannot be priced right now (`chain` is its
    /// chain's name).
    SelectedUnpriced { chain: String },
    /// Not one option could be priced: every one was a native coin without a price.
    NothingPriced,
}

/// Why a fixed option is not offered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unavailable {
    /// The chain is not in the catalogue.
    UnknownChain,
    /// The chain belongs to the other mode: a testnet for a live key, or the reverse.
    OtherMode { chain: String, testnet: bool },
    /// The catalogue lists no such token on the chain.
    UnknownToken { chain: String },
    /// The token exists, but the account does not accept it or the deployment does not
    /// serve its chain.
    NotEnabled { chain: String },
}

impl OpenError {
    /// The native coin of `chain_id`, fixed by a request or chosen by the shopper, has no
    /// usable price right now.
    pub fn unpriced(catalogue: &Catalogue, chain_id: u64) -> Self {
        Self::SelectedUnpriced {
            chain: catalogue
                .chain(chain_id)
                .map_or_else(|| chain_id.to_string(), |c| c.name.clone()),
        }
    }

    /// The request parameter at fault, if the request is.
    pub fn param(&self) -> Option<&'static str> {
        match self {
            Self::OptionUnavailable {
                why: Unavailable::UnknownChain,
                ..
            } => Some("chain_id"),
            Self::OptionUnavailable { .. } | Self::SelectedUnpriced { .. } => Some("token"),
            Self::NoPaymentOptions | Self::NothingPriced => None,
        }
    }
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OptionUnavailable {
                chain_id,
                token,
                why,
            } => match why {
                Unavailable::UnknownChain => {
                    write!(f, "Chain {chain_id} is not in the catalogue.")
                }
                Unavailable::OtherMode { chain, testnet } => {
                    let (chain_mode, key_mode) = if *testnet {
                        ("test", "live")
                    } else {
                        ("live", "test")
                    };
                    write!(f, "{chain} is a {chain_mode} chain; this is a {key_mode} key.")
                }
                Unavailable::UnknownToken { chain } => {
                    write!(f, "{token} is not accepted on {chain}.")
                }
                Unavailable::NotEnabled { chain } => write!(
                    f,
                    "{token} on {chain} is not enabled for this account or deployment."
                ),
            },
            Self::NoPaymentOptions => f.write_str(
                "No payment option is available in this mode: no served chain has a token this account accepts.",
            ),
            Self::SelectedUnpriced { chain } => write!(
                f,
                "The native coin on {chain} cannot be priced right now (no fresh feed price); try again shortly or choose a stablecoin."
            ),
            Self::NothingPriced => {
                f.write_str("No payment option can be priced right now; try again shortly.")
            }
        }
    }
}

/// Whether a request can be served, before anything is reserved or read: the option it
/// fixes (`chain_id`, `token`) must be one of the `stablecoins` or the native coin of one of
/// `native_chains` (the served chains whose native coin the account takes in this mode), and
/// there must be at least one of either.
pub fn check_request(
    catalogue: &Catalogue,
    livemode: bool,
    option: Option<&(u64, String)>,
    stablecoins: &[Quote],
    native_chains: &[&Chain],
) -> Result<(), OpenError> {
    if let Some((chain_id, token)) = option {
        let known = stablecoins.iter().any(|q| q.same_option(*chain_id, token))
            || native_chains
                .iter()
                .any(|c| c.chain_id == *chain_id && c.native_symbol.eq_ignore_ascii_case(token));
        if !known {
            return Err(OpenError::OptionUnavailable {
                chain_id: *chain_id,
                token: token.clone(),
                why: unavailable(catalogue, *chain_id, token, livemode),
            });
        }
    }
    if stablecoins.is_empty() && native_chains.is_empty() {
        return Err(OpenError::NoPaymentOptions);
    }
    Ok(())
}

/// Why `token` on `chain_id` is not offered to a key of this mode.
fn unavailable(catalogue: &Catalogue, chain_id: u64, token: &str, livemode: bool) -> Unavailable {
    match catalogue.chain(chain_id) {
        None => Unavailable::UnknownChain,
        Some(chain) if chain.testnet == livemode => Unavailable::OtherMode {
            chain: chain.name.clone(),
            testnet: chain.testnet,
        },
        Some(chain) if chain.token(token).is_none() => Unavailable::UnknownToken {
            chain: chain.name.clone(),
        },
        Some(chain) => Unavailable::NotEnabled {
            chain: chain.name.clone(),
        },
    }
}

/// Everything a new session is made of: what the worker read, reserved and drew at random.
#[derive(Debug, Clone)]
pub struct Opening<'a> {
    /// The new session's id (`cs_test_…` or `cs_live_…`).
    pub id: SessionId,
    /// The random part of the client secret.
    pub secret: String,
    pub account_id: AccountId,
    pub livemode: bool,
    /// The account's settings in this mode.
    pub settings: &'a Settings,
    /// The parsed request; in link mode after it [inherited](CreateSession::inherit) the
    /// link's fields.
    pub request: CreateSession,
    pub order: Order,
    /// The stablecoin options, as checked by [`check_request`].
    pub stablecoins: Vec<Quote>,
    /// The native coins that could be read and priced.
    pub natives: Vec<Quote>,
    /// The deposit address derived at `derivation_index`.
    pub address: Address,
    /// The Tron deposit address derived at `derivation_index` from the mode's Tron xpub, if
    /// it has one: without it no Tron option is offered.
    pub address_tron: Option<TronAddress>,
    pub derivation_index: u32,
    pub now: Timestamp,
}

/// The new session: pending, version 1, its options in catalogue order (only the fixed one
/// if the request fixed one), expiring after the request's `expires_in` or the account's
/// session lifetime, and watched for late payments for the account's grace period after.
pub fn open(catalogue: &Catalogue, opening: Opening<'_>) -> Result<Session, OpenError> {
    let Opening {
        id,
        secret,
        account_id,
        livemode,
        settings,
        request,
        order,
        stablecoins,
        natives,
        address,
        address_tron,
        derivation_index,
        now,
    } = opening;
    // A Tron option needs a Tron address to pay to.
    let stablecoins = stablecoins
        .into_iter()
        .filter(|q| address_tron.is_some() || !is_tron(catalogue, q.chain_id))
        .collect();
    let (options, selected) =
        priced_options(catalogue, request.option.as_ref(), stablecoins, natives)?;
    let address_tron =
        address_tron.filter(|_| options.iter().any(|q| is_tron(catalogue, q.chain_id)));
    let expires_at = now.plus_secs(request.expires_in.unwrap_or(settings.session_ttl_secs));
    Ok(Session {
        client_secret: format!("{id}_secret_{secret}"),
        id,
        account_id,
        livemode,
        payment_link: match request.source {
            Source::Link(link) => Some(link),
            Source::AdHoc(_) => None,
        },
        status: Status::Pending,
        version: 1,
        currency: order.currency,
        amount_subtotal: order.amount_subtotal,
        amount_total: order.amount_total,
        line_items: order.line_items,
        discounts: order.discounts,
        options,
        selected,
        address,
        address_tron,
        derivation_index,
        tolerance_bps: settings.underpayment_tolerance_bps,
        native_quote_secs: settings.native_quote_secs,
        quote_locked_at: None,
        amount_received: U256::ZERO,
        amount_pending: U256::ZERO,
        amount_excess: U256::ZERO,
        tx_hash: None,
        paid_at: None,
        expires_at,
        late_until: expires_at.plus_secs(settings.late_grace_secs),
        canceled_at: None,
        success_url: request.success_url,
        cancel_url: request.cancel_url,
        return_url: request.return_url,
        customer_email: request.customer_email,
        customer_id: request.customer_id,
        description: request.description,
        metadata: request.metadata,
        locale: request.locale.map(str::to_owned),
        created_at: now,
        updated_at: now,
        accessed_at: None,
        used_at: None,
        noticed: Default::default(),
    })
}

/// Whether `chain_id` is a Tron-family chain: its options are paid to the Tron address.
pub fn is_tron(catalogue: &Catalogue, chain_id: u64) -> bool {
    catalogue
        .chain(chain_id)
        .is_some_and(|c| c.family == ChainFamily::Tron)
}

/// The 20 bytes `session` is paid to on `chain_id`, as the chain's logs name them: its Tron
/// address's on a Tron chain (when it has one), its EVM address elsewhere.
pub fn deposit_address(catalogue: &Catalogue, session: &Session, chain_id: u64) -> Address {
    match session.address_tron {
        Some(tron) if is_tron(catalogue, chain_id) => tron.evm(),
        _ => session.address,
    }
}

/// Every priced option in catalogue order, and the fixed one: then the only option.
fn priced_options(
    catalogue: &Catalogue,
    option: Option<&(u64, String)>,
    stablecoins: Vec<Quote>,
    natives: Vec<Quote>,
) -> Result<(Vec<Quote>, Option<Quote>), OpenError> {
    let mut options = stablecoins;
    options.extend(natives);
    sort_options(catalogue, &mut options);
    let selected = match option {
        None => None,
        Some((chain_id, token)) => Some(
            options
                .iter()
                .find(|q| q.same_option(*chain_id, token))
                .cloned()
                .ok_or_else(|| OpenError::unpriced(catalogue, *chain_id))?,
        ),
    };
    if options.is_empty() {
        return Err(OpenError::NothingPriced);
    }
    Ok(match selected {
        Some(quote) => (vec![quote.clone()], Some(quote)),
        None => (options, None),
    })
}

/// Catalogue order: chains as listed, each chain's tokens, then its native coin.
fn sort_options(catalogue: &Catalogue, options: &mut [Quote]) {
    options.sort_by_key(|q| {
        let chain = catalogue
            .chains
            .iter()
            .position(|c| c.chain_id == q.chain_id);
        let token = catalogue
            .chain(q.chain_id)
            .and_then(|c| c.tokens.iter().position(|t| t.symbol == q.token));
        (chain, token.is_none(), token)
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Cents;
    use crate::quote::stablecoin_quotes;
    use crate::session::tests::{T0, catalogue, opening, usdc, usdt};

    /// A native-coin quote on `chain_id` (no contract), as a feed read would price it.
    fn native(chain_id: u64, token: &str) -> Quote {
        Quote {
            chain_id,
            token: token.into(),
            contract: None,
            decimals: 18,
            ..usdc(16_663_333_333_333_334)
        }
    }

    fn option(chain_id: u64, token: &str) -> Option<(u64, String)> {
        Some((chain_id, token.into()))
    }

    fn opened(
        settings: &Settings,
        edit: impl FnOnce(&mut Opening<'_>),
    ) -> Result<Session, OpenError> {
        let mut o = opening(settings, vec![usdc(49_990_000), usdt(49_990_000)]);
        edit(&mut o);
        open(&catalogue(), o)
    }

    #[test]
    fn options_come_in_catalogue_order() {
        let settings = Settings::default();
        let session = opened(&settings, |o| {
            o.stablecoins = vec![
                usdt(1),
                usdc(1),
                Quote {
                    chain_id: 11_155_111,
                    ..usdc(1)
                },
            ];
            o.natives = vec![native(31337, "ETH"), native(11_155_111, "ETH")];
        })
        .expect("opens");
        let order: Vec<(u64, &str)> = session
            .options
            .iter()
            .map(|q| (q.chain_id, q.token.as_str()))
            .collect();
        // Sepolia is listed before the local chain; a chain's tokens before its native coin.
        assert_eq!(
            order,
            [
                (11_155_111, "USDC"),
                (11_155_111, "ETH"),
                (31337, "USDC"),
                (31337, "USDT"),
                (31337, "ETH"),
            ]
        );
        assert_eq!(session.selected, None);
    }

    #[test]
    fn a_fixed_option_is_the_only_one_offered_and_is_selected() {
        let settings = Settings::default();
        let session = opened(&settings, |o| {
            o.request.option = option(31337, "usdt");
            o.natives = vec![native(31337, "ETH")];
        })
        .expect("opens");
        assert_eq!(session.options, [usdt(49_990_000)]);
        assert_eq!(session.selected, Some(usdt(49_990_000)));

        let native_fixed = opened(&settings, |o| {
            o.request.option = option(31337, "ETH");
            o.natives = vec![native(31337, "ETH")];
        })
        .expect("opens");
        assert_eq!(native_fixed.options, [native(31337, "ETH")]);
    }

    #[test]
    fn a_new_session_is_pending_and_carries_the_request() {
        let settings = Settings {
            underpayment_tolerance_bps: 50,
            native_quote_secs: 600,
            ..Settings::default()
        };
        let session = opened(&settings, |o| {
            o.request.success_url = Some("https://shop.example/ok".into());
            o.request.customer_email = Some("a@b.co".into());
            o.request.metadata.insert("order".into(), "42".into());
            o.derivation_index = 7;
        })
        .expect("opens");
        assert_eq!(session.status, Status::Pending);
        assert_eq!(session.version, 1);
        assert_eq!(
            session.client_secret,
            "cs_test_000000000000000000000001_secret_0123456789abcdefghijklmn"
        );
        assert_eq!(session.payment_link, None);
        assert_eq!(
            (session.amount_subtotal, session.amount_total),
            (Cents(4999), Cents(4999))
        );
        assert_eq!(session.currency, "USD");
        assert_eq!(
            (session.derivation_index, session.address),
            (7, Address::repeat_byte(0xaa))
        );
        assert_eq!(
            (session.tolerance_bps, session.native_quote_secs),
            (50, 600)
        );
        assert_eq!(
            session.success_url.as_deref(),
            Some("https://shop.example/ok")
        );
        assert_eq!(session.customer_email.as_deref(), Some("a@b.co"));
        assert_eq!(session.metadata["order"], "42");
        assert_eq!((session.created_at, session.updated_at), (T0, T0));
        assert_eq!(session.amount_received, U256::ZERO);
    }

    #[test]
    fn a_session_from_a_link_names_the_link() {
        let settings = Settings::default();
        let link = "plink_0123456789abcdefghijABCD";
        let session = opened(&settings, |o| {
            o.request.source = Source::Link(link.parse().unwrap())
        })
        .expect("opens");
        assert_eq!(session.payment_link.as_deref(), Some(link));
    }

    #[test]
    fn expiry_and_grace_come_from_the_settings_unless_the_request_says() {
        let settings = Settings {
            session_ttl_secs: 3_600,
            late_grace_secs: 600,
            ..Settings::default()
        };
        let default = opened(&settings, |_| {}).expect("opens");
        assert_eq!(default.expires_at, T0.plus_secs(3_600));
        assert_eq!(default.late_until, T0.plus_secs(3_600 + 600));

        let asked = opened(&settings, |o| o.request.expires_in = Some(300)).expect("opens");
        assert_eq!(asked.expires_at, T0.plus_secs(300));
        assert_eq!(asked.late_until, T0.plus_secs(300 + 600));
    }

    #[test]
    fn a_fixed_option_outside_the_offer_is_refused_with_the_reason() {
        let catalogue = catalogue();
        let settings = Settings {
            enabled_options: vec!["31337:USDC".into()],
            ..Settings::default()
        };
        // The deployment serves the local chain and Ethereum; in test mode the local
        // chain's native coin may be offered too.
        let served = [31337, 1];
        let anvil = catalogue.chain(31337).expect("the local chain");
        let check = |livemode: bool, chain_id: u64, token: &str| {
            let stablecoins =
                stablecoin_quotes(&catalogue, &served, livemode, &settings, Cents(4999), T0);
            let native_chains = if livemode { vec![] } else { vec![anvil] };
            check_request(
                &catalogue,
                livemode,
                option(chain_id, token).as_ref(),
                &stablecoins,
                &native_chains,
            )
            .map_err(|e| (e.param(), e.to_string()))
        };
        assert_eq!(check(false, 31337, "USDC"), Ok(()));
        assert_eq!(
            check(false, 31337, "ETH"),
            Ok(()),
            "the native coin of a chain read"
        );
        for (livemode, chain_id, token, param, message) in [
            (
                false,
                999,
                "USDC",
                "chain_id",
                "Chain 999 is not in the catalogue.",
            ),
            (
                false,
                1,
                "USDC",
                "token",
                "Ethereum is a live chain; this is a test key.",
            ),
            (
                true,
                31337,
                "USDC",
                "token",
                "Local (anvil) is a test chain; this is a live key.",
            ),
            (
                false,
                31337,
                "DAI",
                "token",
                "DAI is not accepted on Local (anvil).",
            ),
            (
                false,
                31337,
                "USDT",
                "token",
                "USDT on Local (anvil) is not enabled for this account or deployment.",
            ),
            // The catalogue's token lists hold stablecoins only: a native coin whose chain
            // was not read reads as a token the chain does not have.
            (
                false,
                11_155_111,
                "ETH",
                "token",
                "ETH is not accepted on Sepolia.",
            ),
        ] {
            assert_eq!(
                check(livemode, chain_id, token),
                Err((Some(param), message.to_owned())),
                "{chain_id} {token}"
            );
        }
    }

    #[test]
    fn a_request_with_nothing_to_offer_is_refused() {
        let catalogue = catalogue();
        let refused = check_request(&catalogue, false, None, &[], &[]).expect_err("nothing");
        assert_eq!(refused, OpenError::NoPaymentOptions);
        assert_eq!(refused.param(), None);
        assert_eq!(
            refused.to_string(),
            "No payment option is available in this mode: no served chain has a token this account accepts."
        );
        let anvil = catalogue.chain(31337).expect("the local chain");
        assert_eq!(
            check_request(&catalogue, false, None, &[], &[anvil]),
            Ok(())
        );
        assert_eq!(
            check_request(&catalogue, false, None, &[usdc(1)], &[]),
            Ok(())
        );
    }

    #[test]
    fn a_fixed_native_coin_that_could_not_be_priced_is_refused() {
        let settings = Settings::default();
        let refused = opened(&settings, |o| o.request.option = option(31337, "ETH"))
            .expect_err("no ETH price");
        assert_eq!(
            refused,
            OpenError::SelectedUnpriced {
                chain: "Local (anvil)".into()
            }
        );
        assert_eq!(refused.param(), Some("token"));
        assert_eq!(
            refused.to_string(),
            "The native coin on Local (anvil) cannot be priced right now (no fresh feed price); try again shortly or choose a stablecoin."
        );
    }

    #[test]
    fn nothing_priced_is_refused() {
        let settings = Settings::default();
        let refused = opened(&settings, |o| o.stablecoins.clear()).expect_err("no quotes");
        assert_eq!(refused, OpenError::NothingPriced);
        assert_eq!(refused.param(), None);
        assert_eq!(
            refused.to_string(),
            "No payment option can be priced right now; try again shortly."
        );
    }

    /// USDT on the Tron stand-in, as the stablecoin quotes would price it.
    fn tron_usdt() -> Quote {
        Quote {
            chain_id: 31339,
            ..usdt(49_990_000)
        }
    }

    #[test]
    fn a_tron_option_is_offered_only_with_a_tron_address_and_names_it() {
        let settings = Settings::default();
        let tron_address = TronAddress::from_evm(Address::repeat_byte(0xbb));
        let with = opened(&settings, |o| {
            o.stablecoins.push(tron_usdt());
            o.address_tron = Some(tron_address);
        })
        .expect("opens");
        assert_eq!(with.options.last(), Some(&tron_usdt()));
        assert_eq!(with.address_tron, Some(tron_address));
        assert_eq!(
            with.address,
            Address::repeat_byte(0xaa),
            "EVM address unchanged"
        );

        let without = opened(&settings, |o| o.stablecoins.push(tron_usdt())).expect("opens");
        assert!(without.options.iter().all(|q| q.chain_id != 31339));
        assert_eq!(without.address_tron, None);

        // A Tron xpub but no Tron option in the session: no Tron address shown.
        let evm_only = opened(&settings, |o| {
            o.stablecoins.push(tron_usdt());
            o.address_tron = Some(tron_address);
            o.request.option = option(31337, "USDC");
        })
        .expect("opens");
        assert_eq!(evm_only.address_tron, None);

        let fixed = opened(&settings, |o| {
            o.stablecoins.push(tron_usdt());
            o.request.option = option(31339, "USDT");
        });
        assert!(
            matches!(fixed, Err(OpenError::SelectedUnpriced { .. })),
            "{fixed:?}"
        );
    }
}
