use super::*;

#[test]
fn builtin_catalogue_parses_and_has_the_local_chain() {
    let catalogue = Catalogue::parse(BUILTIN_JSON).expect("chains.json is valid");
    let local = catalogue.chain(31337).expect("local chain is listed");
    assert!(local.testnet);
    assert_eq!(local.token("usdc").map(|t| t.decimals), Some(6));
    assert_eq!(local.token("USDT").map(|t| t.decimals), Some(6));
    assert_eq!(
        local.multicall3.to_checksum(None),
        "0xcA11bde05977b3631167028862bE2a173976CA11"
    );
}

/// Every address in the file, in a field or quoted in a note, is written in its EIP-55
/// checksum form (a typo in a mixed-case address fails the checksum), and no address
/// plays two roles on a chain.
#[test]
fn every_address_is_checksummed_and_none_collide() {
    let text = BUILTIN_JSON.as_bytes();
    let mut addresses = Vec::new();
    for start in 0..text.len().saturating_sub(1) {
        if &text[start..start + 2] != b"0x" {
            continue;
        }
        let hex = text[start + 2..]
            .iter()
            .take_while(|b| b.is_ascii_hexdigit())
            .count();
        if hex == 40 {
            addresses.push(&BUILTIN_JSON[start..start + 42]);
        }
    }
    assert!(addresses.len() > 20, "found {} addresses", addresses.len());
    for a in &addresses {
        assert!(
            Address::parse_checksummed(a, None).is_ok(),
            "{a} is not in EIP-55 checksum form"
        );
    }
    let catalogue = Catalogue::parse(BUILTIN_JSON).expect("valid");
    for chain in &catalogue.chains {
        let mut roles: Vec<Address> = chain.tokens.iter().map(|t| t.contract).collect();
        roles.push(chain.multicall3);
        roles.extend(chain.price_feed.as_ref().map(|f| f.address));
        roles.extend(chain.sequencer_uptime_feed);
        let mut unique = roles.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(
            unique.len(),
            roles.len(),
            "an address plays two roles on {}",
            chain.name
        );
        assert!(!chain.sources.is_empty(), "{} cites no source", chain.name);
    }
}

/// The decimals each stablecoin has: BNB Smart Chain's Binance-Peg USDT and USDC, and
/// the second local chain's that stand in for them, have 18, every other one 6.
fn expected_decimals(chain_id: ChainId, symbol: &str) -> u8 {
    match (chain_id, symbol) {
        (56 | 31338, "USDT" | "USDC") => 18,
        _ => 6,
    }
}

/// Every token and feed names its evidence, is written in its EIP-55 form where it is
/// declared, has the decimals its chain is known for, and counts nothing under 0.01.
#[test]
fn every_token_and_feed_cites_a_source_is_checksummed_and_has_its_decimals() {
    let catalogue = Catalogue::parse(BUILTIN_JSON).expect("valid");
    let mut eighteen = Vec::new();
    for chain in &catalogue.chains {
        // A Tron chain writes its addresses as Tron does (base58check), every other one
        // in EIP-55 form.
        let declared = |field: &str, address: Address| {
            let written = match chain.family {
                ChainFamily::Evm => address.to_checksum(None),
                ChainFamily::Tron => crate::tron::TronAddress::from_evm(address).to_string(),
            };
            let text = format!(r#""{field}": "{written}""#);
            assert!(
                BUILTIN_JSON.contains(&text),
                "{field} {address} on {} is not written in its family's form",
                chain.name
            );
        };
        declared("multicall3", chain.multicall3);
        if let Some(feed) = &chain.price_feed {
            assert!(
                feed.source.len() > 20,
                "feed on {}: {}",
                chain.name,
                feed.source
            );
            assert_eq!(feed.decimals, 8, "USD feeds answer in 8 decimals");
            declared("address", feed.address);
        }
        for token in &chain.tokens {
            let what = format!("{} on {}", token.symbol, chain.name);
            assert!(token.source.len() > 20, "{what} cites {:?}", token.source);
            declared("contract", token.contract);
            assert_eq!(
                token.decimals,
                expected_decimals(chain.chain_id, &token.symbol),
                "{what}"
            );
            // 0.01 of a unit, written out independently of the quoting code.
            let cent = format!("1{}", "0".repeat(usize::from(token.decimals) - 2));
            assert_eq!(token.min_amount, cent, "{what}: minimum is not 0.01");
            assert_eq!(
                crate::money::stablecoin_amount(crate::money::Cents(1), token.decimals)
                    .map(|a| a.to_string()),
                Some(cent),
                "{what}: a one-cent quote is the minimum"
            );
            if token.decimals == 18 {
                eighteen.push((chain.chain_id, token.symbol.as_str()));
            }
        }
    }
    assert_eq!(
        eighteen,
        [(56, "USDC"), (56, "USDT"), (31338, "USDC"), (31338, "USDT")]
    );
}

#[test]
fn a_token_or_feed_without_a_source_is_refused() {
    let token = r#""tokens":[{"symbol":"USDC","decimals":6,"min_amount":"10000",
        "contract":"0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"SOURCE}]"#;
    let feed = r#""price_feed":{"decimals":8,"heartbeat_secs":3600,
        "address":"0x5f4eC3Df9cbd43714FE2740f5E3616155c5b8419"SOURCE}"#;
    for (absent, present, what) in [
        (r#""tokens":[]"#, token, "token USDC"),
        (r#""price_feed":null"#, feed, "price feed"),
    ] {
        let with = |source: &str| {
            let json = one_chain("").replace(absent, &present.replace("SOURCE", source));
            Catalogue::parse(&json)
        };
        assert!(with(r#","source":"the issuer's list""#).is_ok(), "{what}");
        assert!(
            matches!(with(""), Err(CatalogueError::Json(m)) if m.contains("source")),
            "{what}"
        );
        for blank in [r#","source":"""#, r#","source":"  ""#] {
            assert_eq!(
                with(blank),
                Err(CatalogueError::MissingSource {
                    chain_id: 1,
                    what: what.into()
                })
            );
        }
    }
}

#[test]
fn the_built_in_catalogue_has_seven_mainnets_and_the_test_chains() {
    let catalogue = Catalogue::parse(BUILTIN_JSON).expect("valid");
    let mainnets = catalogue.chains.iter().filter(|c| !c.testnet).count();
    assert_eq!(mainnets, 7);
    for (id, testnet) in [
        (1, false),
        (8453, false),
        (42161, false),
        (10, false),
        (137, false),
        (56, false),
        (11155111, true),
        (84532, true),
        (31337, true),
    ] {
        let chain = catalogue
            .chain(id)
            .unwrap_or_else(|| panic!("chain {id} missing"));
        assert_eq!(chain.testnet, testnet, "{}", chain.name);
        assert!(chain.token("USDC").is_some(), "USDC on {}", chain.name);
        assert_eq!(chain.rpc_url_var, format!("RPC_URL_{id}"));
    }
    assert_eq!(
        catalogue.chain(137).map(|c| c.native_symbol.as_str()),
        Some("POL")
    );
    // USDT where Tether's token is, or USDT0 (which Tether's docs call USDT there), or
    // BNB Smart Chain's Binance-Peg one; not the bridged copies on Base and OP Mainnet.
    for (id, usdt) in [
        (1, "0xdAC17F958D2ee523a2206206994597C13D831ec7"),
        (42161, "0xFd086bC7CD5C481DCC9C85ebE478A1C0b69FCbb9"),
        (137, "0xc2132D05D31c914a87C6611C10748AEb04B58e8F"),
        (56, "0x55d398326f99059fF775485246999027B3197955"),
    ] {
        let token = catalogue.chain(id).and_then(|c| c.token("USDT"));
        assert_eq!(
            token.map(|t| t.contract.to_checksum(None)).as_deref(),
            Some(usdt),
            "USDT on {id}"
        );
    }
    for id in [8453, 10] {
        assert!(
            catalogue
                .chain(id)
                .is_some_and(|c| c.token("USDT").is_none())
        );
    }
    let bsc = catalogue.chain(56).expect("BNB Smart Chain");
    assert_eq!(
        (bsc.native_symbol.as_str(), bsc.native_decimals),
        ("BNB", 18)
    );
    assert_eq!(
        bsc.price_feed
            .as_ref()
            .map(|f| f.address.to_checksum(None))
            .as_deref(),
        Some("0x0567F2323251f0Aab15c8dFb1967E4e8A7D42aeE")
    );
    assert_eq!(bsc.sequencer_uptime_feed, None, "not a rollup");
    // No native feed where Chainlink's own documentation does not confirm one.
    for id in [8453, 137] {
        assert!(catalogue.chain(id).is_some_and(|c| c.price_feed.is_none()));
    }

    for l2 in [8453, 42161, 10] {
        assert!(
            catalogue
                .chain(l2)
                .is_some_and(|c| c.sequencer_uptime_feed.is_some()),
            "sequencer feed on {l2}"
        );
    }
}

/// Polygon PoS has reorged deeper than 64 blocks (120 in December 2022, 157 in February
/// 2023, before milestones bounded rewinds), and BNB Smart Chain's fast finality can
/// stall into a natural finality of hundreds of blocks: no block count is safe on
/// either, so both wait for the block the chain calls finalized, as Tron does. Every
/// other chain counts blocks.
#[test]
fn polygon_bnb_and_tron_confirm_by_their_finalized_block() {
    let catalogue = Catalogue::parse(BUILTIN_JSON).expect("valid");
    let finalized: Vec<ChainId> = catalogue
        .chains
        .iter()
        .filter(|c| c.confirm_by == ConfirmBy::Finalized)
        .map(|c| c.chain_id)
        .collect();
    assert_eq!(finalized, [137, 56, 728_126_428, 31339]);
    for id in finalized {
        let chain = catalogue.chain(id).expect("listed");
        assert_eq!(
            chain.min_confirmations, 1,
            "{}: finalized is enough",
            chain.name
        );
    }
    assert_eq!(
        catalogue
            .chain(1)
            .map(|c| (c.confirm_by, c.min_confirmations)),
        Some((ConfirmBy::Confirmations, 12))
    );
}

/// Tether's USDT on Tron, checked by its base58check (a typo fails the checksum) and by
/// its 20-byte form, written out independently of the conversion; read one call per
/// request with TronGrid's key header, at most 5,000 blocks per `eth_getLogs`; no TRX.
#[test]
fn tron_offers_tethers_usdt_and_is_read_as_trongrid_allows() {
    let catalogue = Catalogue::parse(BUILTIN_JSON).expect("valid");
    let tron = catalogue.chain(728_126_428).expect("Tron is listed");
    assert_eq!((tron.family, tron.testnet), (ChainFamily::Tron, false));
    assert_eq!(format!("{:#x}", tron.chain_id), "0x2b6653dc");
    let usdt = tron.token("USDT").expect("USDT on Tron");
    let written: crate::tron::TronAddress = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
        .parse()
        .expect("checksum holds");
    assert_eq!(usdt.contract, written.evm());
    assert_eq!(
        usdt.contract.to_checksum(None),
        "0xa614f803B6FD780986A42c78Ec9c7f77e6DeD13C"
    );
    assert_eq!((usdt.decimals, usdt.min_amount.as_str()), (6, "10000"));
    assert!(usdt.source.contains("tetherto/wdk-docs"), "{}", usdt.source);
    assert_eq!(tron.tokens.len(), 1, "USDT only");
    assert_eq!(
        tron.multicall3.to_checksum(None),
        "0x32a4F47A74a6810BD0bF861CABAb99656a75DE9E"
    );
    assert!(tron.price_feed.is_none(), "TRX is not offered");
    for chain in [tron, catalogue.chain(31339).expect("the Tron stand-in")] {
        assert_eq!(chain.family, ChainFamily::Tron);
        assert_eq!(chain.rpc_limits.max_batch, 1, "{}: no batches", chain.name);
        assert_eq!(chain.rpc_limits.max_log_range, 5_000, "{}", chain.name);
        let key = chain.rpc_api_key.as_ref().expect("an API key header");
        assert_eq!(key.header, "TRON-PRO-API-KEY");
        assert_eq!(key.var, format!("RPC_API_KEY_{}", chain.chain_id));
    }
    let local = catalogue.chain(31339).expect("the Tron stand-in");
    assert!(local.testnet);
    assert_eq!(
        local
            .token("USDT")
            .map(|t| (t.contract.to_checksum(None), t.decimals)),
        Some(("0x663F3ad617193148711d28f5334eE4Ed07016602".to_owned(), 6))
    );
    // No other chain sends an API key or refuses batches.
    for chain in catalogue
        .chains
        .iter()
        .filter(|c| c.family == ChainFamily::Evm)
    {
        assert!(chain.rpc_api_key.is_none(), "{}", chain.name);
        assert!(chain.rpc_limits.max_batch > 1, "{}", chain.name);
    }
}

/// On a chain confirmed by finality a payment is confirmed once its block is at or under
/// the finalized block: counted from that block, its one confirmation. The rescan
/// reaches down to it, however far it lags the head; a chain that counts blocks is
/// rescanned by its count.
#[test]
fn finalized_confirmation_counts_from_the_finalized_block() {
    let catalogue = Catalogue::parse(BUILTIN_JSON).expect("valid");
    let tron = catalogue.chain(31339).expect("the Tron stand-in");
    // anvil's finalized block is 64 under its head.
    assert_eq!(tron.rescan_depth(200, 136), 65);
    assert_eq!(tron.rescan_depth(10, 10), 1);
    let ethereum = catalogue.chain(1).expect("Ethereum");
    assert_eq!(ethereum.rescan_depth(200, 200), 12);
    let confirmations = |block: u64, finalized: u64| {
        let payment = crate::session::Payment {
            chain_id: 31339,
            token: "USDT".into(),
            tx_hash: None,
            log_index: None,
            block_number: block,
            block_hash: Default::default(),
            block_time: crate::time::Timestamp(1_800_000_000),
            amount: alloy_primitives::U256::from(10_000u32),
            status: crate::session::PaymentStatus::Detected,
            counted: true,
            repriced: None,
        };
        payment.confirmations(Some(finalized))
    };
    let required = u64::from(tron.min_confirmations);
    assert!(
        confirmations(136, 136) >= required,
        "at the finalized block"
    );
    assert!(confirmations(100, 136) >= required, "under it");
    assert!(
        confirmations(137, 136) < required,
        "one above it is not final"
    );
}

#[test]
fn a_tron_address_with_a_typo_or_a_tron_price_feed_is_refused() {
    let tron = |contract: &str, feed: &str| {
        one_chain(r#","family":"tron""#)
            .replace(
                r#""tokens":[]"#,
                &format!(
                    r#""tokens":[{{"symbol":"USDT","decimals":6,"min_amount":"10000",
                    "contract":"{contract}","source":"Tether's own list"}}]"#
                ),
            )
            .replace(r#""price_feed":null"#, feed)
    };
    let good = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t";
    let parsed = Catalogue::parse(&tron(good, r#""price_feed":null"#)).expect("valid");
    assert_eq!(
        parsed.chains[0].tokens[0].contract.to_checksum(None),
        "0xa614f803B6FD780986A42c78Ec9c7f77e6DeD13C"
    );
    let typo = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u";
    assert!(matches!(
        Catalogue::parse(&tron(typo, r#""price_feed":null"#)),
        Err(CatalogueError::Json(m)) if m.contains("checksum")
    ));
    let feed = r#""price_feed":{"decimals":8,"heartbeat_secs":3600,"source":"a feed list",
        "address":"0x5f4eC3Df9cbd43714FE2740f5E3616155c5b8419"}"#;
    assert_eq!(
        Catalogue::parse(&tron(good, feed)),
        Err(CatalogueError::TronNativeCoin(1))
    );
}

/// Whatever a feed's heartbeat, no built-in chain prices from a round older than an hour.
#[test]
fn no_builtin_chain_accepts_a_price_older_than_an_hour() {
    let catalogue = Catalogue::parse(BUILTIN_JSON).expect("valid");
    let mut with_feed = 0;
    for chain in &catalogue.chains {
        assert!(chain.max_price_age_secs <= 3_600, "cap of {}", chain.name);
        if let Some(limit) = crate::price::max_round_age_secs(chain) {
            with_feed += 1;
            assert!(
                limit <= 3_600,
                "{} accepts {limit} s old prices",
                chain.name
            );
        }
    }
    assert!(with_feed >= 5, "only {with_feed} chains have a feed");
    // Arbitrum One's feed has a one-day heartbeat: the cap is what holds it to an hour.
    let arbitrum = catalogue.chain(42161).expect("Arbitrum One");
    assert_eq!(
        arbitrum.price_feed.as_ref().map(|f| f.heartbeat_secs),
        Some(86_400)
    );
    assert_eq!(crate::price::max_round_age_secs(arbitrum), Some(3_600));
}

fn one_chain(extra: &str) -> String {
    format!(
        r#"{{"chains":[{{"chain_id":1,"name":"a","testnet":false,"native_symbol":"ETH",
        "native_decimals":18,"rpc_url_var":"RPC_URL_1","min_confirmations":1,
        "multicall3":"0xcA11bde05977b3631167028862bE2a173976CA11",
        "price_feed":null,"sequencer_uptime_feed":null,"tokens":[]{extra}}}]}}"#
    )
}

#[test]
fn max_price_age_defaults_to_an_hour_and_zero_is_refused() {
    let parsed = |extra: &str| Catalogue::parse(&one_chain(extra));
    let age = |extra: &str| parsed(extra).map(|c| c.chains[0].max_price_age_secs);
    assert_eq!(age(""), Ok(DEFAULT_MAX_PRICE_AGE_SECS));
    assert_eq!(DEFAULT_MAX_PRICE_AGE_SECS, 3_600);
    assert_eq!(age(r#","max_price_age_secs":600"#), Ok(600));
    assert_eq!(
        age(r#","max_price_age_secs":0"#),
        Err(CatalogueError::BadMaxPriceAge(1))
    );
    assert!(matches!(
        age(r#","max_price_age_secs":-1"#),
        Err(CatalogueError::Json(_))
    ));
}

#[test]
fn every_public_chain_names_its_explorer_and_the_local_chain_none() {
    let catalogue = Catalogue::parse(BUILTIN_JSON).expect("valid");
    for (id, explorer) in [
        (1, Some("https://etherscan.io")),
        (8453, Some("https://basescan.org")),
        (42161, Some("https://arbiscan.io")),
        (10, Some("https://optimistic.etherscan.io")),
        (137, Some("https://polygonscan.com")),
        (56, Some("https://bscscan.com")),
        (11155111, Some("https://sepolia.etherscan.io")),
        (84532, Some("https://sepolia.basescan.org")),
        (31337, None),
    ] {
        let chain = catalogue.chain(id).expect("listed");
        assert_eq!(chain.explorer_url.as_deref(), explorer, "{}", chain.name);
    }
}

#[test]
fn an_explorer_url_is_optional_and_must_take_paths_appended() {
    let url =
        |extra: &str| Catalogue::parse(&one_chain(extra)).map(|c| c.chains[0].explorer_url.clone());
    assert_eq!(url(""), Ok(None));
    assert_eq!(url(r#","explorer_url":null"#), Ok(None));
    assert_eq!(
        url(r#","explorer_url":"https://scan.example/l2""#),
        Ok(Some("https://scan.example/l2".to_owned()))
    );
    for bad in [
        "http://scan.example",
        "https://scan.example/",
        "https://",
        "https:///x",
        "https://scan.example/?q=1",
        "https://scan example",
        "javascript:alert(1)",
    ] {
        assert_eq!(
            url(&format!(r#","explorer_url":"{bad}""#)),
            Err(CatalogueError::BadExplorerUrl(1)),
            "{bad}"
        );
    }
}

#[test]
fn duplicate_chains_are_refused() {
    let one = r#"{"chain_id":1,"name":"a","testnet":false,"native_symbol":"ETH","native_decimals":18,
        "rpc_url_var":"RPC_URL_1","min_confirmations":1,
        "multicall3":"0xcA11bde05977b3631167028862bE2a173976CA11",
        "price_feed":null,"sequencer_uptime_feed":null,"tokens":[]}"#;
    let json = format!(r#"{{"chains":[{one},{one}]}}"#);
    assert_eq!(
        Catalogue::parse(&json),
        Err(CatalogueError::DuplicateChain(1))
    );
}

#[test]
fn unknown_fields_are_refused() {
    let err = Catalogue::parse(r#"{"chains":[],"extra":1}"#).unwrap_err();
    assert!(
        matches!(err, CatalogueError::Json(ref m) if m.contains("extra")),
        "{err:?}"
    );
}
