use proptest::prelude::*;

use super::*;
use crate::hd::ExternalChain;

fn hex21(hex: &str) -> [u8; 21] {
    alloy_primitives::hex::decode(hex)
        .expect("hex")
        .try_into()
        .expect("21 bytes")
}

fn parse(text: &str) -> Result<TronAddress, TronAddressError> {
    text.parse()
}

/// Published base58 ↔ hex pairs, each also confirmed by TronWeb 6.5.1
/// (`TronWeb.address.toHex` / `fromHex`, see tests/vectors/tron.mjs).
const PUBLISHED: [(&str, &str); 7] = [
    // USDT (TRC-20) contract; hex from TronWeb, pair recorded in ../shared/reviews/chains.md.
    (
        "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
        "41a614f803b6fd780986a42c78ec9c7f77e6ded13c",
    ),
    // Multicall3 on Tron, 0x32a4F47A74a6810BD0bF861CABAb99656a75DE9E (../shared/reviews/chains.md).
    (
        "TEazPvZwDjDtFeJupyo7QunvnrnUjPH8ED",
        "4132a4f47a74a6810bd0bf861cabab99656a75de9e",
    ),
    // tronprotocol documentation, wallet-cli `encoding convert` example.
    (
        "TBhCfAytTEh52WFL6HYr64i2nmc3u3TCUp",
        "4112e94f5a3c88b17d2f6e0b9a45cd310f8e7a6d29",
    ),
    // iexbase/tron-api-python, examples/hex.py.
    (
        "TT67rPNwgmpeimvHUMVzFfKsjL9GZ1wGw8",
        "41bbc8c05f1b09839e72db044a6aa57e2a5d414a10",
    ),
    // CryptoTron::AddrTools (CPAN) synopsis.
    (
        "TQHgMpVzWkhSsRB4BzZgmV8uW4cFL8eaBr",
        "419d1015e669c2df831003c5c54ceb48da613d9979",
    ),
    // The lowest and highest key hashes, from TronWeb `address.fromHex`.
    (
        "T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb",
        "410000000000000000000000000000000000000000",
    ),
    (
        "TZJozAg1ruapycCicgz31GxvYJ1FraLjZa",
        "41ffffffffffffffffffffffffffffffffffffffff",
    ),
];

#[test]
fn published_addresses_convert_both_ways() {
    for (base58, hex) in PUBLISHED {
        let parsed = parse(base58).expect(base58);
        assert_eq!(parsed.to_bytes(), hex21(hex), "{base58}");
        let from_evm = TronAddress::from_evm(Address::from_slice(&hex21(hex)[1..]));
        assert_eq!(from_evm.to_string(), base58);
        assert_eq!(from_evm, parsed);
    }
}

#[test]
fn the_evm_form_is_the_key_hash_without_the_prefix() {
    let multicall: Address = "0x32a4F47A74a6810BD0bF861CABAb99656a75DE9E"
        .parse()
        .expect("address");
    let tron = parse("TEazPvZwDjDtFeJupyo7QunvnrnUjPH8ED").expect("valid");
    assert_eq!(tron.evm(), multicall);
    assert_eq!(
        TronAddress::from_evm(multicall).to_string(),
        "TEazPvZwDjDtFeJupyo7QunvnrnUjPH8ED"
    );
}

/// From TronWeb 6.5.1 `TronWeb.fromMnemonic(mnemonic, "m/44'/195'/0'/0/i")` (derived from
/// the private key) and ethers 6.17.0 for the xpubs; regenerate with tests/vectors/tron.mjs.
struct Wallet {
    account_xpub: &'static str,
    external_xpub: &'static str,
    addresses: [(&'static str, &'static str); 3],
}

const WALLETS: [Wallet; 2] = [
    // abandon ×11 about
    Wallet {
        account_xpub: "xpub6D1AabNHCupeiLM65ZR9UStMhJ1vCpyV4XbZdyhMZBiJXALQtmn9p42VTQckoHVn8WNqS7dqnJokZHAHcHGoaQgmv8D45oNUKx6DZMNZBCd",
        external_xpub: "xpub6EuK4CZWW5urEHdwAVDdDw327danAtccFcrXYvgf1DHrPXRwErt36xStQ2PNhn4hpwzPbzJ8pJVpewgChRnSs59q5Ay61GCfQZKUe71gbLq",
        addresses: [
            (
                "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH",
                "41c8599111f29c1e1e061265b4af93ea1f274ad78a",
            ),
            (
                "TSeJkUh4Qv67VNFwY8LaAxERygNdy6NQZK",
                "41b6e708a39781c96bd399c7657780ff9fe9f052a8",
            ),
            (
                "TYJPRrdB5APNeRs4R7fYZSwW3TcrTKw2gx",
                "41f4f35fff5ca9ee43aca2c57ded9d9ec66ac42dd0",
            ),
        ],
    },
    // test ×11 junk (anvil's mnemonic)
    Wallet {
        account_xpub: "xpub6BuRy7ZmkGfP2RWhoor1kWB1w9DvrtmJbFBvnC1bQ4SB5NbCHTyQYCJSXZtxDbFyHTmC7wkU2he3nYYdpZ3Vf6qUAkXSnL6RPif4BDtDEKr",
        external_xpub: "xpub6FGfJkAgwSdiFiFcxWt2rurqZu8YjuEmKfsxLVBrQwr1ZjHpqYEXR9w52uCGyMdmsatMr7VXgNLuoHyFKtK8LZDCVbrMetUGeTLXvWk8y4W",
        addresses: [
            (
                "TWer2Ygk5TEheHp3TPuYeqxmB6SsGZmaL6",
                "41e2e1a54926527fbb4e4420de4c6bab82beaee24d",
            ),
            (
                "TPjjvMwjPoDC32V2dGDYTkLH4E5LAtBZ6C",
                "419705bf55c3dcc6d277ebb8fe2a68762268822ba2",
            ),
            (
                "TB7mhtkvfhsRBRhe5FuRa4tFXSEyGDe4eA",
                "410c96c0e10bb5e7e7edacf82ad00e3d60790351da",
            ),
        ],
    },
];

#[test]
fn derives_tronweb_addresses_from_the_account_xpub_and_its_external_chain() {
    for wallet in &WALLETS {
        for xpub in [wallet.account_xpub, wallet.external_xpub] {
            let chain = ExternalChain::from_xpub(xpub).expect("valid xpub");
            for (index, (base58, hex)) in (0..).zip(wallet.addresses) {
                let address = chain.tron_address(index).expect("index in range");
                assert_eq!(address.to_string(), base58, "{xpub} /0/{index}");
                assert_eq!(address.to_bytes(), hex21(hex));
                assert_eq!(Some(address.evm()), chain.address(index));
            }
        }
    }
}

#[test]
fn refuses_a_wrong_length() {
    let usdt = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t";
    assert_eq!(parse(""), Err(TronAddressError::WrongLength(0)));
    assert_eq!(parse(&usdt[..33]), Err(TronAddressError::WrongLength(33)));
    assert_eq!(
        parse(&format!("{usdt}1")),
        Err(TronAddressError::WrongLength(35))
    );
    assert_eq!(
        parse(&format!(" {usdt}")),
        Err(TronAddressError::WrongLength(35))
    );
    // The hex form is an address, but not the one shoppers are shown.
    assert_eq!(
        parse("41a614f803b6fd780986a42c78ec9c7f77e6ded13c"),
        Err(TronAddressError::WrongLength(42))
    );
}

#[test]
fn refuses_characters_outside_base58() {
    // 0, O, I and l are left out of the alphabet because they are easily confused.
    for bad in ['0', 'O', 'I', 'l', '+', 'é'] {
        let text: String = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
            .chars()
            .enumerate()
            .map(|(i, c)| if i == 5 { bad } else { c })
            .collect();
        assert_eq!(
            parse(&text),
            Err(TronAddressError::InvalidCharacter {
                character: bad,
                index: 5
            })
        );
    }
}

#[test]
fn refuses_a_wrong_checksum() {
    // The last character carries checksum bits only.
    assert_eq!(
        parse("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u"),
        Err(TronAddressError::BadChecksum)
    );
    // Two neighbouring characters swapped, the classic copy-by-hand slip.
    assert_eq!(
        parse("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLjt6"),
        Err(TronAddressError::BadChecksum)
    );
}

#[test]
fn refuses_a_checked_string_of_another_prefix_or_size() {
    let encode = |bytes: &[u8]| {
        let text = bs58::encode(bytes).with_check().into_string();
        assert_eq!(text.len(), 34, "the case must get past the length check");
        text
    };
    let mut bitcoin_style = [0xff; 21];
    bitcoin_style[0] = 0x00;
    assert_eq!(
        parse(&encode(&bitcoin_style)),
        Err(TronAddressError::WrongPrefix(0x00))
    );
    let mut other = [0x11; 21];
    other[0] = 0x42;
    assert_eq!(
        parse(&encode(&other)),
        Err(TronAddressError::WrongPrefix(0x42))
    );
    let mut long = [0x00; 22];
    long[1] = 0x01;
    assert_eq!(
        parse(&encode(&long)),
        Err(TronAddressError::WrongByteLength(22))
    );
}

#[test]
fn errors_say_what_is_wrong() {
    assert_eq!(
        TronAddressError::WrongPrefix(0).to_string(),
        "a Tron address starts with byte 0x41 (T…); this one starts with 0x00"
    );
    assert_eq!(
        TronAddressError::WrongLength(33).to_string(),
        "a Tron address is 34 characters starting with T; this one has 33"
    );
    assert_eq!(
        parse("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj60")
            .map_err(|e| e.to_string())
            .err()
            .as_deref(),
        Some("a Tron address is base58: '0' (character 34 of 34) is not allowed")
    );
}

#[test]
fn serializes_as_the_base58_string() {
    let usdt = parse("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t").expect("valid");
    let json = serde_json::to_string(&usdt).expect("serializes");
    assert_eq!(json, "\"TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t\"");
    assert_eq!(
        serde_json::from_str::<TronAddress>(&json).expect("deserializes"),
        usdt
    );
    let error = serde_json::from_str::<TronAddress>("\"TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u\"")
        .expect_err("bad checksum");
    assert!(error.to_string().contains("checksum"), "{error}");
}

const ALPHABET: &str = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

proptest! {
    #[test]
    fn base58_round_trips(key_hash in any::<[u8; 20]>()) {
        let address = TronAddress::from_evm(Address::from(key_hash));
        let text = address.to_string();
        prop_assert!(text.starts_with('T'), "{}", text);
        prop_assert_eq!(text.len(), 34);
        prop_assert_eq!(parse(&text), Ok(address));
        prop_assert_eq!(address.evm(), Address::from(key_hash));
    }

    #[test]
    fn any_single_character_change_is_refused(
        key_hash in any::<[u8; 20]>(),
        position in 0usize..34,
        replacement in 0usize..57,
    ) {
        let text = TronAddress::from_evm(Address::from(key_hash)).to_string();
        let original = text.as_bytes()[position];
        // Pick among the 57 alphabet characters that differ from the original.
        let others: Vec<u8> = ALPHABET.bytes().filter(|&c| c != original).collect();
        let mut changed = text.into_bytes();
        changed[position] = others[replacement];
        let changed = String::from_utf8(changed).expect("ascii");
        let result = parse(&changed);
        if changed.starts_with('1') {
            // A leading '1' is a zero byte: the decoded size changes before the checksum.
            prop_assert!(result.is_err(), "{} accepted", changed);
        } else {
            prop_assert_eq!(result, Err(TronAddressError::BadChecksum), "{}", changed);
        }
    }
}
