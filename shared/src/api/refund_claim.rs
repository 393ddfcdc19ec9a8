//! The shopper's side of a refund: the address they give on the claim page
//! (`POST /v1/public/refunds/{id}/address`), checked before anything is stored, and the
//! `refund_claim` object the page reads.
//!
//! A refund is paid on an EVM chain, so the only address that can receive it is 20 bytes
//! written as `0x` and 40 hex digits. Shoppers paste whatever their wallet or exchange
//! shows them, so a refusal names what they pasted when it can tell (a Tron, Bitcoin or
//! Solana address, an ENS name, a transaction hash) and which network's address is needed.
//! A mixed-case address carries an EIP-55 checksum and must pass it (one mistyped letter
//! would send the refund where nobody can spend it); all-lower or all-upper case carries
//! none and is accepted. The zero address is refused: nothing sent there can ever move.

use alloy_primitives::{Address, ChainId};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::catalogue::Catalogue;
use crate::error_code::ErrorCode;
use crate::ids::RefundId;
use crate::money::format_units;
use crate::params::{ParamError, object, reject_unknown};
use crate::refund::offer::{Offer, OfferBasis, refund_offer};
use crate::refund::{Refund, RefundStatus, RequestedBy};
use crate::shopper::{RefundOffer, ShopperRefund};
use crate::time::Timestamp;

/// `GET /v1/public/refunds/{id}`: what the shopper holding the claim link may know. Never
/// the claim secret, the session, the payment, the reason or any transaction detail: the
/// link is shared by mail and chat, so it shows what is owed, on which network, by whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundClaim {
    pub id: RefundId,
    /// Always `"refund_claim"`.
    pub object: String,
    pub status: RefundStatus,
    pub chain_id: ChainId,
    /// The chain's name, as the shopper's wallet knows it.
    pub chain: String,
    pub token: String,
    /// Base units, as a decimal string.
    pub amount: String,
    pub amount_formatted: String,
    pub decimals: u8,
    /// EIP-55, once given.
    pub address: Option<String>,
    pub merchant: ClaimMerchant,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimMerchant {
    pub display_name: String,
}

/// The name of the chain a refund is paid on (its id when the catalogue no longer has it).
pub fn network_name(refund: &Refund, catalogue: &Catalogue) -> String {
    chain_name(catalogue, refund.chain_id)
}

/// The name of chain `chain_id` (its id when the catalogue no longer has it).
pub fn chain_name(catalogue: &Catalogue, chain_id: ChainId) -> String {
    catalogue
        .chain(chain_id)
        .map_or_else(|| format!("chain {chain_id}"), |c| c.name.clone())
}

/// The shopper view's `refund_offer` of `offer`.
pub fn offer_object(offer: &Offer, catalogue: &Catalogue) -> RefundOffer {
    RefundOffer {
        amount: offer.amount.to_string(),
        amount_formatted: format_units(offer.amount, offer.decimals),
        token: offer.token.clone(),
        decimals: offer.decimals,
        chain_id: offer.chain_id,
        chain: chain_name(catalogue, offer.chain_id),
    }
}

/// The shopper view's `shopper_refund` of a refund the shopper requested.
pub fn shopper_refund_object(refund: &Refund, catalogue: &Catalogue) -> ShopperRefund {
    ShopperRefund {
        id: refund.id.to_string(),
        status: refund.status.as_str().to_owned(),
        amount: refund.amount.to_string(),
        amount_formatted: format_units(refund.amount, refund.decimals),
        token: refund.token.clone(),
        chain_id: refund.chain_id,
        chain: chain_name(catalogue, refund.chain_id),
        address: refund
            .address
            .map(|a| a.to_checksum(None))
            .unwrap_or_default(),
        tx_hash: refund.tx_hash.map(|h| h.to_string()),
    }
}

/// What the shopper view shows of refunds: the refund the shopper may request now (only
/// when the shop takes requests, `requests_on`), and the newest one they requested, if
/// any (shown even after the shop stops taking requests: it is still theirs).
pub fn shopper_refund_fields(
    basis: &OfferBasis<'_>,
    requests_on: bool,
) -> (Option<RefundOffer>, Option<ShopperRefund>) {
    let offer = refund_offer(basis, requests_on).ok();
    let requested = basis
        .refunds
        .iter()
        .rev()
        .find(|r| r.requested_by == RequestedBy::Shopper);
    (
        offer.map(|o| offer_object(&o, basis.catalogue)),
        requested.map(|r| shopper_refund_object(r, basis.catalogue)),
    )
}

/// The claim view of `refund`, for a merchant shown as `display_name`.
pub fn claim_object(refund: &Refund, catalogue: &Catalogue, display_name: &str) -> RefundClaim {
    RefundClaim {
        id: refund.id.clone(),
        object: "refund_claim".into(),
        status: refund.status,
        chain_id: refund.chain_id,
        chain: network_name(refund, catalogue),
        token: refund.token.clone(),
        amount: refund.amount.to_string(),
        amount_formatted: format_units(refund.amount, refund.decimals),
        decimals: refund.decimals,
        address: refund.address.map(|a| a.to_checksum(None)),
        merchant: ClaimMerchant {
            display_name: display_name.to_owned(),
        },
    }
}

/// Why a refund takes no address from its claim link: it has one, or it is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressSet(pub RefundStatus);

impl AddressSet {
    /// The 409 `refund_address_set`'s message.
    pub fn message(self) -> &'static str {
        match self.0 {
            RefundStatus::Canceled => "This refund was canceled, so it takes no address.",
            RefundStatus::Failed => {
                "This refund failed, so it takes no address. Contact the shop about it."
            }
            _ => {
                "This refund already has its address, and it cannot be changed here. If it is wrong, contact the shop at once."
            }
        }
    }
}

/// The refund as giving it `address` at `now` leaves it: `pending`, one version on. Only a
/// refund that `requires_address` takes one, and only once.
pub fn with_address(
    refund: &Refund,
    address: Address,
    now: Timestamp,
) -> Result<Refund, AddressSet> {
    if refund.status != RefundStatus::RequiresAddress || refund.address.is_some() {
        return Err(AddressSet(refund.status));
    }
    Ok(Refund {
        address: Some(address),
        status: RefundStatus::Pending,
        version: refund.version + 1,
        updated_at: now,
        ..refund.clone()
    })
}

/// Another kind of address than the chain's, recognised by its shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Tron,
    Bitcoin,
    Solana,
    Ens,
}

impl Family {
    /// How the shopper would call it, with its article.
    fn named(self) -> &'static str {
        match self {
            Self::Tron => "a Tron address",
            Self::Bitcoin => "a Bitcoin address",
            Self::Solana => "a Solana address",
            Self::Ens => "an ENS name",
        }
    }
}

/// Why a given address cannot receive a refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressProblem {
    Empty,
    /// The address of another network (or a name, which is not an address at all).
    OtherFamily(Family),
    /// Forty hex digits without the `0x` in front.
    MissingPrefix,
    /// `0x` and 64 hex digits: a transaction hash, pasted by mistake.
    TransactionHash,
    /// `0x` and only hex digits, but not 40 of them.
    WrongLength(usize),
    /// `0x` followed by something that is not hex.
    NotHex,
    /// Mixed case that does not match the EIP-55 checksum: a typo.
    Checksum,
    Zero,
    /// One of the shop's own deposit addresses: the refund would go back to the shop.
    DepositAddress,
    /// Anything else.
    Unrecognised,
}

impl AddressProblem {
    /// What the shopper reads, for a refund paid on the chain called `network`.
    pub fn message(&self, network: &str) -> String {
        let starts_with_0x =
            format!("This refund is paid on {network}; enter an address that starts with 0x");
        match self {
            Self::Empty => format!(
                "Enter the address that should receive the refund on {network}: 0x followed by 40 hexadecimal characters."
            ),
            Self::OtherFamily(Family::Ens) => format!(
                "{starts_with_0x} (an ENS name is not accepted: enter the 0x address it points to)."
            ),
            Self::OtherFamily(family) => {
                format!("{starts_with_0x} ({} cannot receive it).", family.named())
            }
            Self::MissingPrefix => format!(
                "An address on {network} starts with 0x; add 0x in front of the 40 characters."
            ),
            Self::TransactionHash => format!(
                "This looks like a transaction hash, not an address. {starts_with_0x} and 40 hexadecimal characters after it."
            ),
            Self::WrongLength(digits) => format!(
                "An address on {network} is 0x followed by 40 hexadecimal characters; this one has {digits}. Copy it again from your wallet."
            ),
            Self::NotHex => format!(
                "An address on {network} is 0x followed by 40 hexadecimal characters (0-9 and a-f); this one has other characters. Copy it again from your wallet."
            ),
            Self::Checksum => "This address has a typo: its capital letters do not match its checksum (EIP-55). Copy it again from your wallet.".to_owned(),
            Self::Zero => "The zero address cannot receive a refund: anything sent there is lost. Enter your own address.".to_owned(),
            Self::DepositAddress => "This is one of the shop's own payment addresses, so the refund would go back to the shop. Enter your own address.".to_owned(),
            Self::Unrecognised => format!("{starts_with_0x} and 40 hexadecimal characters after it."),
        }
    }

    /// The 400 `address_invalid` on `address` that says it.
    pub fn error(&self, network: &str) -> ParamError {
        ParamError::new(ErrorCode::AddressInvalid, "address", self.message(network))
    }
}

/// The address that can receive a refund, read from what the shopper typed or pasted
/// (surrounding spaces ignored). It returns the 20 bytes; write them checksummed with
/// `to_checksum(None)`.
pub fn parse_refund_address(text: &str) -> Result<Address, AddressProblem> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AddressProblem::Empty);
    }
    let Some(digits) = text.strip_prefix("0x") else {
        return Err(without_prefix(text));
    };
    if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AddressProblem::NotHex);
    }
    match digits.len() {
        40 => {}
        64 => return Err(AddressProblem::TransactionHash),
        n => return Err(AddressProblem::WrongLength(n)),
    }
    let mixed_case = digits.bytes().any(|b| b.is_ascii_lowercase())
        && digits.bytes().any(|b| b.is_ascii_uppercase());
    let address = if mixed_case {
        Address::parse_checksummed(text, None).map_err(|_| AddressProblem::Checksum)?
    } else {
        text.parse::<Address>()
            .map_err(|_| AddressProblem::Unrecognised)?
    };
    if address.is_zero() {
        return Err(AddressProblem::Zero);
    }
    Ok(address)
}

/// What an address without `0x` is: another network's, a name, or 40 bare hex digits.
fn without_prefix(text: &str) -> AddressProblem {
    if text.len() == 40 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return AddressProblem::MissingPrefix;
    }
    family_of(text).map_or(AddressProblem::Unrecognised, AddressProblem::OtherFamily)
}

/// The network whose address `text` looks like, if it looks like one.
pub fn family_of(text: &str) -> Option<Family> {
    let lower = text.to_ascii_lowercase();
    if lower.ends_with(".eth") && lower.len() > 4 && !lower.contains(char::is_whitespace) {
        return Some(Family::Ens);
    }
    let bech32 = |rest: &str| {
        (8..=87).contains(&rest.len())
            && rest.bytes().all(|b| b.is_ascii_alphanumeric())
            && (rest == rest.to_ascii_lowercase() || rest == rest.to_ascii_uppercase())
    };
    if (lower.starts_with("bc1") || lower.starts_with("tb1")) && bech32(&text[3..]) {
        return Some(Family::Bitcoin);
    }
    if !is_base58(text) {
        return None;
    }
    match (text.as_bytes()[0], text.len()) {
        (b'T', 34) => Some(Family::Tron),
        (b'1' | b'3', 26..=35) => Some(Family::Bitcoin),
        (_, 32..=44) => Some(Family::Solana),
        _ => None,
    }
}

/// Whether `text` is made of Bitcoin's base58 alphabet only (no 0, O, I or l).
fn is_base58(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() && !matches!(b, b'0' | b'O' | b'I' | b'l'))
}

/// The body of `POST /v1/public/refunds/{id}/address`: `{"address": "0x…"}`, for a refund
/// paid on the chain called `network`.
pub fn parse_claim(body: &str, network: &str) -> Result<Address, ParamError> {
    let text = address_field(body, network)?;
    parse_refund_address(&text).map_err(|p| p.error(network))
}

/// The `address` text of a `{"address": "…"}` body, for a refund paid on the chain called
/// `network` (a shopper's request, `POST …/refund_request`, takes the same body): checked
/// as a field here, as an address by [`parse_refund_address`].
pub fn address_field(body: &str, network: &str) -> Result<String, ParamError> {
    let map = object(body)?;
    reject_unknown(&map, &["address"])?;
    match map.get("address") {
        None | Some(Value::Null) => Err(ParamError::new(
            ErrorCode::ParameterMissing,
            "address",
            format!(
                "Send the address that should receive the refund on {network}: {{\"address\": \"0x…\"}}."
            ),
        )),
        Some(Value::String(text)) => Ok(text.clone()),
        Some(_) => Err(ParamError::new(
            ErrorCode::ParameterInvalid,
            "address",
            "address must be a string: 0x followed by 40 hexadecimal characters.",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::BUILTIN_JSON;
    use crate::refund::RequestedBy;
    use alloy_primitives::U256;

    fn refund(status: RefundStatus, chain_id: ChainId, decimals: u8, amount: U256) -> Refund {
        let at = Timestamp(1_800_000_000);
        Refund {
            id: "re_test_AAAAAAAAAAAAAAAAAAAAAAAA".parse().unwrap(),
            account_id: "acct_AAAAAAAAAAAAAAAAAAAAAAAA".parse().unwrap(),
            livemode: false,
            session_id: "cs_test_AAAAAAAAAAAAAAAAAAAAAAAA".parse().unwrap(),
            payment_id: None,
            chain_id,
            token: "USDC".into(),
            contract_address: Some(Address::repeat_byte(0xab)),
            decimals,
            amount,
            address: None,
            status,
            reason: Some("kept by the merchant".into()),
            requested_by: RequestedBy::Merchant,
            claim_secret: "s3cr3t".into(),
            created_block: 7,
            tx_hash: None,
            log_index: None,
            block_number: None,
            block_hash: None,
            submitted_hash: None,
            failure_code: None,
            failure_message: None,
            created_at: at,
            updated_at: at,
            succeeded_at: None,
            canceled_at: None,
            version: 3,
        }
    }

    #[test]
    fn the_claim_shows_amount_token_network_and_shop_and_nothing_else() {
        let catalogue = Catalogue::parse(BUILTIN_JSON).unwrap();
        let six = refund(
            RefundStatus::RequiresAddress,
            8453,
            6,
            U256::from(1_500_000u64),
        );
        let claim = claim_object(&six, &catalogue, "Bäckerei Müller");
        let json = serde_json::to_value(&claim).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "id": "re_test_AAAAAAAAAAAAAAAAAAAAAAAA",
                "object": "refund_claim",
                "status": "requires_address",
                "chain_id": 8453,
                "chain": "Base",
                "token": "USDC",
                "amount": "1500000",
                "amount_formatted": "1.5",
                "decimals": 6,
                "address": null,
                "merchant": {"display_name": "Bäckerei Müller"},
            })
        );
        let text = json.to_string();
        for kept in ["s3cr3t", "cs_test_", "kept by the merchant", "acct_"] {
            assert!(!text.contains(kept), "the claim leaks {kept}");
        }
        let wei = U256::from(1_234_567_890_123_456_789u128);
        let mut eighteen = refund(RefundStatus::Pending, 999_999, 18, wei);
        eighteen.address = Some(CHECKSUMMED[0].parse().unwrap());
        let claim = claim_object(&eighteen, &catalogue, "Shop");
        assert_eq!(
            (claim.amount.as_str(), claim.amount_formatted.as_str()),
            ("1234567890123456789", "1.234567890123456789")
        );
        assert_eq!(claim.chain, "chain 999999", "a chain no longer served");
        assert_eq!(claim.address.as_deref(), Some(CHECKSUMMED[0]));
    }

    #[test]
    fn only_a_refund_that_requires_its_address_takes_one_once() {
        let now = Timestamp(1_800_003_600);
        let address: Address = CHECKSUMMED[1].parse().unwrap();
        let before = refund(RefundStatus::RequiresAddress, 8453, 6, U256::from(5u8));
        let after = with_address(&before, address, now).expect("takes it");
        assert_eq!(after.status, RefundStatus::Pending);
        assert_eq!(after.address, Some(address));
        assert_eq!((after.version, after.updated_at), (4, now));
        assert_eq!(
            Refund {
                address: None,
                status: RefundStatus::RequiresAddress,
                version: 3,
                updated_at: before.updated_at,
                ..after.clone()
            },
            before,
            "nothing else changes"
        );
        assert_eq!(
            with_address(&after, address, now),
            Err(AddressSet(RefundStatus::Pending))
        );
        for status in [
            RefundStatus::Succeeded,
            RefundStatus::Canceled,
            RefundStatus::Failed,
        ] {
            let over = refund(status, 8453, 6, U256::from(5u8));
            let refused = with_address(&over, address, now).expect_err("over");
            assert_eq!(refused, AddressSet(status));
        }
        assert!(
            AddressSet(RefundStatus::Canceled)
                .message()
                .contains("canceled")
        );
        assert!(
            AddressSet(RefundStatus::Pending)
                .message()
                .contains("already has")
        );
    }

    /// The EIP-55 examples from the proposal itself.
    const CHECKSUMMED: [&str; 4] = [
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    ];

    #[test]
    fn a_checksummed_address_is_read_as_it_is() {
        for text in CHECKSUMMED {
            let address = parse_refund_address(text).expect(text);
            assert_eq!(address.to_checksum(None), text);
        }
    }

    #[test]
    fn all_lower_or_all_upper_case_is_accepted_and_comes_back_checksummed() {
        for text in CHECKSUMMED {
            let digits = &text[2..];
            for given in [
                format!("0x{}", digits.to_ascii_lowercase()),
                format!("0x{}", digits.to_ascii_uppercase()),
                format!("  0x{}\n", digits.to_ascii_lowercase()),
            ] {
                let address = parse_refund_address(&given).expect(&given);
                assert_eq!(address.to_checksum(None), text, "{given:?}");
            }
        }
    }

    #[test]
    fn one_letter_in_the_wrong_case_fails_the_checksum() {
        // The first address with its first letter's case flipped: still mixed case.
        let typo = "0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
        assert_eq!(parse_refund_address(typo), Err(AddressProblem::Checksum));
        let message = AddressProblem::Checksum.message("Base");
        assert!(message.contains("typo"), "{message}");
    }

    #[test]
    fn the_zero_address_is_refused_in_any_case() {
        let zero = format!("0x{}", "0".repeat(40));
        assert_eq!(parse_refund_address(&zero), Err(AddressProblem::Zero));
    }

    #[test]
    fn other_networks_are_named_in_the_message() {
        let cases = [
            ("TJRabPrwbZy45sbavfcjinPJC18kjpRTv8", Family::Tron),
            (
                "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
                Family::Bitcoin,
            ),
            (
                "BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ",
                Family::Bitcoin,
            ),
            ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", Family::Bitcoin),
            ("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", Family::Bitcoin),
            (
                "7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV",
                Family::Solana,
            ),
            ("vitalik.eth", Family::Ens),
            ("Shop.Base.ETH", Family::Ens),
        ];
        for (text, family) in cases {
            assert_eq!(
                parse_refund_address(text),
                Err(AddressProblem::OtherFamily(family)),
                "{text}"
            );
        }
        assert_eq!(
            AddressProblem::OtherFamily(Family::Tron).message("Base"),
            "This refund is paid on Base; enter an address that starts with 0x (a Tron address cannot receive it)."
        );
        assert_eq!(
            AddressProblem::OtherFamily(Family::Bitcoin).message("Local (anvil)"),
            "This refund is paid on Local (anvil); enter an address that starts with 0x (a Bitcoin address cannot receive it)."
        );
        let ens = AddressProblem::OtherFamily(Family::Ens).message("Ethereum");
        assert!(
            ens.contains("Ethereum") && ens.contains("ENS name"),
            "{ens}"
        );
    }

    #[test]
    fn malformed_hex_says_what_is_wrong() {
        let digits = "5aaeb6053f3e94c9b9a09f33669435e7ef1beaed";
        let cases = [
            ("", AddressProblem::Empty),
            ("   ", AddressProblem::Empty),
            (digits, AddressProblem::MissingPrefix),
            ("0x", AddressProblem::WrongLength(0)),
            (
                &format!("0x{}", &digits[..39]),
                AddressProblem::WrongLength(39),
            ),
            (&format!("0x{digits}00"), AddressProblem::WrongLength(42)),
            (
                &format!("0x{}", "ab".repeat(32)),
                AddressProblem::TransactionHash,
            ),
            (&format!("0x{}zz", &digits[..38]), AddressProblem::NotHex),
            (&format!("0x {digits}"), AddressProblem::NotHex),
            (&format!("0X{digits}"), AddressProblem::Unrecognised),
            ("hello world", AddressProblem::Unrecognised),
            ("T123", AddressProblem::Unrecognised),
        ];
        for (text, problem) in cases {
            assert_eq!(parse_refund_address(text), Err(problem), "{text:?}");
        }
        assert_eq!(
            AddressProblem::WrongLength(39).message("Base"),
            "An address on Base is 0x followed by 40 hexadecimal characters; this one has 39. Copy it again from your wallet."
        );
    }

    #[test]
    fn every_refusal_names_the_network_or_the_fix() {
        let problems = [
            AddressProblem::Empty,
            AddressProblem::MissingPrefix,
            AddressProblem::TransactionHash,
            AddressProblem::WrongLength(3),
            AddressProblem::NotHex,
            AddressProblem::Unrecognised,
            AddressProblem::OtherFamily(Family::Solana),
        ];
        for problem in problems {
            let message = problem.message("Polygon PoS");
            assert!(message.contains("Polygon PoS"), "{problem:?}: {message}");
            assert!(message.contains("0x"), "{problem:?}: {message}");
        }
        let error = AddressProblem::Zero.error("Base");
        assert_eq!(
            (error.code, error.param.as_deref()),
            (ErrorCode::AddressInvalid, Some("address"))
        );
    }

    #[test]
    fn a_claim_body_takes_one_address_string() {
        let good = format!(r#"{{"address": "{}"}}"#, CHECKSUMMED[0]);
        assert_eq!(
            parse_claim(&good, "Base").map(|a| a.to_checksum(None)),
            Ok(CHECKSUMMED[0].to_owned())
        );
        let cases = [
            ("", ErrorCode::InvalidJson, None),
            ("[]", ErrorCode::InvalidJson, None),
            ("{}", ErrorCode::ParameterMissing, Some("address")),
            (
                r#"{"address": null}"#,
                ErrorCode::ParameterMissing,
                Some("address"),
            ),
            (
                r#"{"address": 7}"#,
                ErrorCode::ParameterInvalid,
                Some("address"),
            ),
            (
                r#"{"address": "vitalik.eth"}"#,
                ErrorCode::AddressInvalid,
                Some("address"),
            ),
            (
                r#"{"address": "0x12"}"#,
                ErrorCode::AddressInvalid,
                Some("address"),
            ),
            (
                r#"{"address": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "amount": "1"}"#,
                ErrorCode::ParameterUnknown,
                Some("amount"),
            ),
        ];
        for (body, code, param) in cases {
            let error = parse_claim(body, "Base").expect_err(body);
            assert_eq!(
                (error.code, error.param.as_deref()),
                (code, param),
                "{body}"
            );
        }
    }
}
