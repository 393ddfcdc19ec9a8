use super::*;

fn asset(symbol: &str, decimals: u8) -> Asset {
    Asset {
        symbol: symbol.into(),
        contract: None,
        decimals,
        relay: false,
    }
}

fn holding(index: u32, usdc: u64, wei: u64) -> Holding {
    Holding {
        session: format!("cs_test_{index}"),
        index,
        address: Address::with_last_byte(u8::try_from(index).unwrap_or(0)),
        tokens: vec![U256::from(usdc)],
        native: U256::from(wei),
        delegation: Delegation::None,
        estimate: None,
        native_watched: false,
    }
}

fn prices(min_usd: u64) -> Prices {
    Prices {
        // 1 gwei: 38,600 gas is 0.0000386 ETH, at 2,000 USD 0.0772 USD.
        gas_price: U256::from(1_000_000_000u64),
        native_usd: Some(U256::from(2_000u64) * U256::from(100_000_000u64)),
        min_usd: U256::from(min_usd),
    }
}

fn plan_of(holdings: Vec<Holding>, p: &Prices) -> Plan {
    build(
        Facts {
            chain_id: 31337,
            chain_name: "Local",
            route: Route::Eip7702,
            tokens: vec![asset("USDC", 6)],
            native: asset("ETH", 18),
            native_selected: true,
        },
        holdings,
        p,
    )
}

#[test]
fn empty_addresses_are_no_rows_and_cheap_ones_are_skipped_with_the_reason() {
    let plan = plan_of(
        vec![
            holding(0, 0, 0),
            holding(1, 49_990_000, 0),
            holding(2, 50_000, 0),
            holding(3, 0, 1_000_000_000),
        ],
        &prices(0),
    );
    let decisions: Vec<_> = plan
        .rows
        .iter()
        .map(|r| (r.holding.index, r.decision.clone()))
        .collect();
    assert_eq!(
        decisions,
        vec![
            (1, Decision::Sweep),
            (
                2,
                Decision::Skip("worth 0.05 USD, not more than its gas (0.0772 USD)".into())
            ),
            (
                3,
                Decision::Skip("worth 0.000002 USD, not more than its gas (0.0772 USD)".into())
            ),
        ]
    );
    assert_eq!(plan.rows[0].gas, U256::from(38_600_000_000_000u64));
    assert_eq!(plan.rows[0].gas_usd, Some(U256::from(7_720_000u64)));
}

#[test]
fn min_usd_counts_tokens_and_native_at_the_price_exactly() {
    // 5 USDC + 0.001 ETH (2 USD) = 7 USD.
    let h = holding(4, 5_000_000, 1_000_000_000_000_000);
    let at_seven = plan_of(vec![h.clone()], &prices(700_000_000));
    assert_eq!(at_seven.rows[0].worth_usd, Some(U256::from(700_000_000u64)));
    assert_eq!(at_seven.rows[0].decision, Decision::Sweep);
    let above = plan_of(vec![h], &prices(700_000_001));
    assert_eq!(
        above.rows[0].decision,
        Decision::Skip("worth 7 USD, below --min-usd 7.00000001".into())
    );
}

fn transfers_plan(holdings: Vec<Holding>) -> Plan {
    let mut usdc = asset("USDC", 6);
    usdc.relay = true;
    build(
        Facts {
            chain_id: 31337,
            chain_name: "Local",
            route: Route::Transfers,
            tokens: vec![usdc, asset("USDT", 6)],
            native: asset("ETH", 18),
            native_selected: true,
        },
        holdings,
        &prices(0),
    )
}

fn held(index: u32, usdc: u64, usdt: u64, wei: u64) -> Holding {
    Holding {
        tokens: vec![U256::from(usdc), U256::from(usdt)],
        ..holding(index, 0, wei)
    }
}

#[test]
fn an_address_kasse_still_watches_for_the_native_coin_gets_no_gas_top_up() {
    const ETH: u64 = 1_000_000_000_000_000;
    let watched = |h: Holding| Holding {
        native_watched: true,
        ..h
    };
    let plan = transfers_plan(vec![
        watched(held(1, 5_000_000, 0, 0)),
        watched(held(2, 0, 5_000_000, 0)),
        watched(held(3, 0, 5_000_000, ETH)),
        held(4, 0, 5_000_000, 0),
    ]);
    let decisions: Vec<(&str, &Decision)> = plan
        .rows
        .iter()
        .map(|r| (r.path.as_str(), &r.decision))
        .collect();
    let top_up_skipped = Decision::Skip(
        "needs a gas top-up, which Kasse would record as a payment until late_until".into(),
    );
    assert_eq!(
        decisions,
        vec![
            ("eip-3009", &Decision::Sweep),
            ("top-up", &top_up_skipped),
            ("own-gas", &Decision::Sweep),
            ("top-up", &Decision::Sweep),
        ]
    );
}

#[test]
fn without_eip7702_each_address_takes_the_path_its_tokens_allow_and_its_native_coin_pays_if_it_can()
{
    const ETH: u64 = 1_000_000_000_000_000;
    let plan = transfers_plan(vec![
        held(1, 5_000_000, 0, 0),
        held(2, 0, 5_000_000, 0),
        held(3, 0, 0, ETH),
        held(4, 5_000_000, 5_000_000, 0),
        held(5, 0, 5_000_000, ETH),
        held(6, 5_000_000, 0, ETH),
        held(7, 0, 5_000_000, 1_000),
        held(8, 0, 0, 1_000_000_000),
    ]);
    let paths: Vec<(&str, u64, bool)> = plan
        .rows
        .iter()
        .map(|r| (r.path.as_str(), r.gas_units, r.self_funded))
        .collect();
    assert_eq!(
        paths,
        vec![
            ("eip-3009", RELAY_GAS, false),
            ("top-up", TOKEN_TRANSFER_GAS + NATIVE_TRANSFER_GAS, false),
            ("own-gas", NATIVE_TRANSFER_GAS, true),
            (
                "eip-3009+top-up",
                RELAY_GAS + TOKEN_TRANSFER_GAS + NATIVE_TRANSFER_GAS,
                false
            ),
            ("own-gas", TOKEN_TRANSFER_GAS + NATIVE_TRANSFER_GAS, true),
            ("eip-3009+own-gas", RELAY_GAS + NATIVE_TRANSFER_GAS, true),
            // Dust a top-up left: too little to pay, so the token gets a top-up again.
            ("top-up", TOKEN_TRANSFER_GAS + NATIVE_TRANSFER_GAS, false),
            ("own-gas", NATIVE_TRANSFER_GAS, false),
        ]
    );
    assert_eq!(
        plan.rows[7].decision,
        Decision::Skip("worth 0.000002 USD, not more than its gas (0.042 USD)".into())
    );
}

#[test]
fn the_chains_estimates_replace_the_measured_figures() {
    let plan = transfers_plan(vec![held(1, 5_000_000, 5_000_000, 0)]).estimated(|_| {
        Some(Estimate::Transfers {
            relay: 40_000,
            tokens: vec![50_000],
            native: 0,
        })
    });
    assert_eq!(
        plan.rows[0].gas_units,
        40_000 + 50_000 + NATIVE_TRANSFER_GAS
    );
    assert!(plan.rows[0].holding.estimate.is_some());
    let batch = plan_of(vec![holding(1, 5_000_000, 0)], &prices(0))
        .estimated(|_| Some(Estimate::Batch(41_234)));
    assert_eq!(batch.rows[0].gas_units, 41_234);
    assert_eq!(batch.rows[0].gas, U256::from(41_234_000_000_000u64));
    assert_eq!(batch.rows[0].path, "7702");
}

#[test]
fn delegations_are_read_from_code() {
    let sweeper = Address::with_last_byte(7);
    let mut ours = vec![0xef, 0x01, 0x00];
    ours.extend_from_slice(sweeper.as_slice());
    let mut other = vec![0xef, 0x01, 0x00];
    other.extend_from_slice(Address::with_last_byte(8).as_slice());
    assert_eq!(Delegation::of(&[], sweeper), Delegation::None);
    assert_eq!(Delegation::of(&ours, sweeper), Delegation::ToSweeper);
    assert_eq!(Delegation::of(&other, sweeper), Delegation::Elsewhere);
    assert_eq!(Delegation::of(&[0x60, 0x80], sweeper), Delegation::Contract);
}

#[test]
fn the_rendered_plan_names_each_row_and_the_totals() {
    let plan = plan_of(
        vec![holding(1, 49_990_000, 0), holding(2, 50_000, 0)],
        &prices(0),
    );
    let text = render(
        &plan,
        Address::with_last_byte(9),
        Address::with_last_byte(7),
    );
    assert!(text.contains("cs_test_1"), "{text}");
    assert!(text.contains("49.99"), "{text}");
    assert!(text.contains("Total to sweep: 1 addresses (1 to authorize), 49.99 USDC, 0 ETH (worth 49.99 USD); gas about 0.0000386 ETH (0.0772 USD)"), "{text}");
    assert!(
        text.contains("Gas: 38600 units, from measured figures\n"),
        "{text}"
    );
    assert!(text.contains("Skipped: 1 addresses"), "{text}");
}
