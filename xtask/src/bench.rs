//! `cargo xtask bench`: what one watcher run costs at 10 … 10,000 open sessions, on the real
//! stack (workerd + D1 + anvil behind a counting proxy), and the native CPU time of the
//! pure decision core for the same number of sessions. Figures are printed, never asserted.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use alloy_primitives::{Address, U256};
use kasse_shared::account::Settings;
use kasse_shared::api::create::{self, Requester};
use kasse_shared::catalogue::{BUILTIN_JSON, Catalogue};
use kasse_shared::session::open::Source;
use kasse_shared::session::open::{Opening, open};
use kasse_shared::session::{Quote, Session, revise};
use kasse_shared::time::Timestamp;
use serde_json::{Value, json};

use crate::stack::{self, Stack};
use crate::util::{Result, http, step};
use crate::{build, setup};

const SIZES: [u64; 4] = [10, 100, 1_000, 10_000];
/// The stack's two local EVM chains.
const LOCAL_CHAIN: u64 = 31337;
const L2_CHAIN: u64 = 31338;
/// anvil's account #9, unlocked: the payer.
const PAYER: &str = "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720";
/// `mint(address,uint256)` of the test tokens.
const MINT: &str = "40c10f19";

struct Row {
    label: String,
    report: Value,
    /// Per chain, (HTTP requests, JSON-RPC calls) as its proxy counted them during the run.
    proxied: BTreeMap<u64, (u64, u64)>,
}

pub(crate) fn run() -> Result {
    setup::ensure(&setup::Needs { browser: false })?;
    build::all()?;
    // Timed before the stack starts, so no local chain or worker shares the CPU.
    let core = core_times()?;
    let stack = Stack::start(&stack::BENCH)?;
    let bench = Bench::new(&stack)?;

    step("Opening a template session (USDC, USDT and ETH on every local EVM chain)");
    let template = bench.api(
        "POST",
        "/v1/checkout_sessions",
        Some(&json!({"amount": {"value": "49.99", "currency": "USD"}})),
    )?;
    let id = template["id"].as_str().unwrap_or_default().to_owned();
    Stack::trigger_scheduled(&bench.base)?;

    let mut rows = Vec::new();
    let mut open = 1;
    for n in SIZES {
        step(&format!("{n} open sessions"));
        bench.api(
            "POST",
            &format!("/v1/test_helpers/checkout_sessions/{id}/clone"),
            Some(&json!({"count": n - open})),
        )?;
        open = n;
        // The first run after seeding sees new sessions; the measured one is a steady run.
        Stack::trigger_scheduled(&bench.base)?;
        bench.mine_all()?;
        rows.push(bench.measured_run(&format!("{n}"))?);
    }

    let evm: Vec<&BenchChain> = bench.chains.iter().filter(|c| c.family == "evm").collect();
    let each = 10 / u64::try_from(evm.len().max(1)).map_err(|e| e.to_string())?;
    step(&format!(
        "10,000 open sessions, {each} USDC and {each} ETH payments on each EVM chain arriving in the window"
    ));
    for chain in &evm {
        let amount = |token: &str| -> Result<U256> {
            let option = template["supported_tokens"]
                .as_array()
                .and_then(|o| {
                    o.iter()
                        .find(|t| t["token"] == token && t["chain_id"] == chain.id)
                })
                .and_then(|t| t["amount"].as_str())
                .ok_or_else(|| format!("the template has no {token} option on {}", chain.id))?;
            U256::from_str_radix(option, 10).map_err(|e| e.to_string())
        };
        let (usdc, eth) = (amount("USDC")?, amount("ETH")?);
        for i in 1..=each {
            let mint = format!(
                "0x{MINT}{:0>64}{:0>64}",
                format!("{i:x}"),
                format!("{usdc:x}")
            );
            chain.send(json!({"from": PAYER, "to": chain.usdc, "data": mint}))?;
            let to = format!("0x{:0>40x}", 100 + i);
            chain.send(json!({"from": PAYER, "to": to, "value": format!("{eth:#x}")}))?;
        }
    }
    let payments = 2 * each * u64::try_from(evm.len()).map_err(|e| e.to_string())?;
    rows.push(bench.measured_run(&format!("10,000 + {payments} payments"))?);

    print_table(&bench.chains, &rows);
    println!();
    print_core(&core);
    println!();
    bench.latency()?;
    println!();
    dense_window(&stack)
}

/// `cargo xtask bench dense`: 300 transfers to 300 sessions in one block, on its own stack.
pub(crate) fn dense() -> Result {
    setup::ensure(&setup::Needs { browser: false })?;
    build::all()?;
    let stack = Stack::start(&stack::BENCH)?;
    dense_window(&stack)
}

/// Runs until a block of 300 payments is paid (`xtask/bench-dense.mjs` prints the figures).
fn dense_window(stack: &Stack) -> Result {
    step("Dense window: 300 transfers to 300 sessions in one block");
    crate::util::run(
        crate::util::cmd("node")
            .arg("xtask/bench-dense.mjs")
            .env("KASSE_ENV", stack.dir.join("env.json")),
    )
}

struct Bench {
    base: String,
    secret_key: String,
    admin_token: String,
    /// The stack's local chains, in chain id order; the first is 31337.
    chains: Vec<BenchChain>,
}

/// One local chain of the bench stack.
struct BenchChain {
    id: u64,
    family: String,
    /// anvil itself, for the bench's own transactions.
    anvil: String,
    /// The counting proxy the worker reads the chain through.
    proxy: String,
    usdc: String,
}

impl Bench {
    fn new(stack: &Stack) -> Result<Self> {
        let info = &stack.info;
        let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        let chains = info["chains"]
            .as_object()
            .ok_or("the stack lists no chains")?
            .values()
            .map(|c| BenchChain {
                id: c["chain_id"].as_u64().unwrap_or_default(),
                family: s(&c["family"]),
                anvil: s(&c["rpc_url"]),
                proxy: s(&c["worker_rpc_url"]),
                usdc: s(&c["contracts"]["USDC"]),
            })
            .collect();
        Ok(Self {
            base: stack.base_url(),
            secret_key: s(&info["demo"]["secret_key"]),
            admin_token: s(&info["admin_token"]),
            chains,
        })
    }

    fn api(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value> {
        let auth = format!("Bearer {}", self.secret_key);
        let body = body.map(Value::to_string);
        let (status, text) = http(
            method,
            &format!("{}{path}", self.base),
            &[
                ("authorization", &auth),
                ("content-type", "application/json"),
            ],
            body.as_deref(),
        )?;
        if !(200..300).contains(&status) {
            return Err(format!("{method} {path}: {status} {text}"));
        }
        serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))
    }

    /// The first local chain (31337), where the latency samples are paid.
    fn local(&self) -> Result<&BenchChain> {
        self.chains
            .iter()
            .find(|c| c.id == LOCAL_CHAIN)
            .ok_or_else(|| "the stack has no chain 31337".to_owned())
    }

    fn mine_all(&self) -> Result {
        for chain in &self.chains {
            chain.rpc("evm_mine", json!([]))?;
        }
        Ok(())
    }

    fn measured_run(&self, label: &str) -> Result<Row> {
        let before = self.proxy_counts()?;
        Stack::trigger_scheduled(&self.base)?;
        let after = self.proxy_counts()?;
        let auth = format!("Bearer {}", self.admin_token);
        let (_, text) = http(
            "GET",
            &format!("{}/v1/health/chains", self.base),
            &[("authorization", &auth)],
            None,
        )?;
        let health: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        let proxied = after
            .iter()
            .map(|(id, (served, calls))| {
                let (s0, c0) = before.get(id).copied().unwrap_or_default();
                (*id, (served - s0, calls - c0))
            })
            .collect();
        Ok(Row {
            label: label.to_owned(),
            report: health["last_run"].clone(),
            proxied,
        })
    }

    /// Per chain, what its proxy has served so far: (HTTP requests, JSON-RPC calls).
    fn proxy_counts(&self) -> Result<BTreeMap<u64, (u64, u64)>> {
        self.chains
            .iter()
            .map(|c| {
                let (_, text) = http("GET", &format!("{}/__fault", c.proxy), &[], None)?;
                let v: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
                let n = |k: &str| v[k].as_u64().unwrap_or(0);
                Ok((c.id, (n("served"), n("calls"))))
            })
            .collect()
    }

    /// Payment mined at the required depth → `paid`, through the on-demand check.
    fn latency(&self) -> Result {
        let local = self.local()?;
        let mut samples = Vec::new();
        for _ in 0..5 {
            let s = self.api(
                "POST",
                "/v1/checkout_sessions",
                Some(&json!({"amount": {"value": "49.99", "currency": "USD"}, "chain_id": 31337, "token": "USDC"})),
            )?;
            let id = s["id"].as_str().unwrap_or_default();
            let address = s["address"]
                .as_str()
                .unwrap_or_default()
                .trim_start_matches("0x");
            let data = format!("0x{MINT}{address:0>64}{:0>64x}", 49_990_000u64);
            local.send(json!({"from": PAYER, "to": local.usdc, "data": data}))?;
            // The local chain needs 2 confirmations: the payment's block and one more.
            local.rpc("evm_mine", json!([]))?;
            let started = Instant::now();
            let checked = self.api("POST", &format!("/v1/checkout_sessions/{id}/check"), None)?;
            let elapsed = started.elapsed();
            if checked["status"] != "paid" {
                return Err(format!("check left {id} {}", checked["status"]));
            }
            samples.push(elapsed);
        }
        samples.sort();
        println!(
            "payment at depth → paid through POST …/check: median {} ms, max {} ms (5 samples; goal ≤ 3,000 ms)",
            samples[samples.len() / 2].as_millis(),
            samples[samples.len() - 1].as_millis()
        );
        Ok(())
    }
}

impl BenchChain {
    fn rpc(&self, method: &str, params: Value) -> Result<Value> {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let (_, text) = http(
            "POST",
            &self.anvil,
            &[("content-type", "application/json")],
            Some(&body.to_string()),
        )?;
        let reply: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        if let Some(e) = reply.get("error") {
            return Err(format!("chain {}: {method}: {e}", self.id));
        }
        Ok(reply["result"].clone())
    }

    fn send(&self, tx: Value) -> Result<Value> {
        self.rpc("eth_sendTransaction", json!([tx]))
    }
}

fn ms(d: Duration) -> String {
    format!("{}.{}", d.as_micros() / 1000, d.as_micros() % 1000 / 100)
}

/// The run table, Markdown: per chain the worker's count of HTTP requests and JSON-RPC
/// calls with the proxy's own count beside it, then the run's D1 work and wall time.
fn print_table(chains: &[BenchChain], rows: &[Row]) {
    let n = |v: &Value| v.as_u64().unwrap_or(0);
    let mut head = "| open sessions |".to_owned();
    for c in chains {
        head.push_str(&format!(
            " {} subrequests | {} JSON-RPC calls |",
            c.id, c.id
        ));
    }
    head.push_str(" D1 queries | rows read | rows written | evaluated | run ms |");
    println!();
    println!("{head}");
    println!("|{}", "---|".repeat(head.matches(" |").count()));
    for r in rows {
        let mut line = format!("| {} |", r.label);
        for c in chains {
            let ran = r.report["chains"]
                .as_array()
                .and_then(|runs| runs.iter().find(|run| run["chain_id"] == c.id));
            let (served, calls) = r.proxied.get(&c.id).copied().unwrap_or_default();
            match ran {
                Some(run) => line.push_str(&format!(
                    " {} ({served}) | {} ({calls}) |",
                    n(&run["subrequests"]),
                    n(&run["rpc_calls"])
                )),
                None => line.push_str(&format!(" – ({served}) | – ({calls}) |")),
            }
        }
        let report = &r.report;
        line.push_str(&format!(
            " {} | {} | {} | {} | {} |",
            n(&report["d1_queries"]),
            n(&report["d1_rows_read"]),
            n(&report["d1_rows_written"]),
            n(&report["sessions_evaluated"]),
            n(&report["wall_ms"]),
        ));
        println!("{line}");
    }
    println!();
    println!("subrequests / JSON-RPC calls: HTTP requests and calls to each chain per run as the");
    println!("worker counts them, in brackets as the chain's RPC proxy counted them (a chain the");
    println!("run did not read shows –). D1: queries and rows per run. run: wall time of the");
    println!("scheduled run inside workerd (local D1 and anvil). evaluated: sessions the run");
    println!("loaded (due, confirming or moved; at most 1,000 a run); the rest are skipped.");
}

/// The core table, Markdown: optimized build (what a deployment's CPU does) and xtask's
/// debug build side by side.
fn print_core(core: &[(u64, CoreTime, CoreTime)]) {
    println!(
        "| sessions all due | decode ms | evaluate ms | decode + evaluate ms | debug build: decode + evaluate ms |"
    );
    println!("|---|---|---|---|---|");
    for (n, optimized, debug) in core {
        println!(
            "| {n} | {} | {} | {} | {} |",
            ms(optimized.decode),
            ms(optimized.evaluate),
            ms(optimized.decode + optimized.evaluate),
            ms(debug.decode + debug.evaluate),
        );
    }
    println!();
    println!("Native CPU time of the decision core (best of 3): JSON-decoding the stored sessions");
    println!("and deciding them all due at once (the worst case, e.g. a mass expiry), offered on");
    println!(
        "both local EVM chains; measured by `cargo xtask bench core` built optimized (release"
    );
    println!("without LTO), beside the same in this debug build. Goal: ≤ 50 ms at 10,000.");
    println!("A run evaluates at most 1,000 sessions (the rest wait for the next run), so one");
    println!("run's share is at most the 1,000 row, however many sessions are open.");
}

/// The core's CPU times per size: (sessions, optimized, debug).
fn core_times() -> Result<Vec<(u64, CoreTime, CoreTime)>> {
    let optimized = optimized_core_times()?;
    SIZES
        .iter()
        .map(|&n| {
            let fast = optimized
                .get(&n)
                .copied()
                .ok_or_else(|| format!("bench core printed no figure for {n}"))?;
            Ok((n, fast, core_time(n)?))
        })
        .collect()
}

/// The decision core's native CPU time for `n` sessions all due at once (the worst case,
/// e.g. a mass expiry), best of 3 runs each.
#[derive(Debug, Clone, Copy)]
struct CoreTime {
    /// Decoding the stored documents as D1 returns them.
    decode: Duration,
    /// Deciding them with the pure core, as the watcher does.
    evaluate: Duration,
}

/// `cargo xtask bench core`: the decision core's CPU time at every size, one line each
/// (`sessions decode_ns evaluate_ns`), in whichever build runs it; `cargo xtask bench` reads
/// it from an optimized build.
pub(crate) fn core() -> Result {
    for n in SIZES {
        let t = core_time(n)?;
        println!("{n} {} {}", t.decode.as_nanos(), t.evaluate.as_nanos());
    }
    Ok(())
}

/// The core's CPU times from `cargo xtask bench core` built optimized, in a profile of its
/// own (release without LTO, so it builds in seconds, under `target/bench-core`): neither
/// the debug build the tests use nor the worker's release build is touched.
fn optimized_core_times() -> Result<BTreeMap<u64, CoreTime>> {
    step("Decision core: building xtask optimized and timing decode + evaluate");
    let out = crate::util::capture(crate::util::cmd("cargo").args([
        "run",
        "--quiet",
        "--profile",
        "bench-core",
        "--config",
        "profile.bench-core.inherits=\"release\"",
        "--config",
        "profile.bench-core.lto=false",
        "--config",
        "profile.bench-core.codegen-units=16",
        "--package",
        "xtask",
        "--",
        "bench",
        "core",
    ]))?;
    out.lines()
        .map(|line| {
            let fields: Vec<u64> = line
                .split_whitespace()
                .map(str::parse)
                .collect::<std::result::Result<_, _>>()
                .map_err(|e| format!("bench core printed {line:?}: {e}"))?;
            let [n, decode, evaluate] = fields[..] else {
                return Err(format!("bench core printed {line:?}"));
            };
            let nanos = Duration::from_nanos;
            Ok((
                n,
                CoreTime {
                    decode: nanos(decode),
                    evaluate: nanos(evaluate),
                },
            ))
        })
        .collect()
}

fn core_time(n: u64) -> Result<CoreTime> {
    // Just past every session's expiry: each one really moves (pending → expired).
    let now = Timestamp(1_800_001_801);
    let template = session()?;
    let docs: Vec<String> = (0..n)
        .map(|i| {
            let mut s = template.clone();
            s.id = format!("cs_test_bench{i:019}")
                .parse()
                .map_err(|e| format!("{e}"))?;
            s.address = Address::from_word(U256::from(i).into());
            s.derivation_index = u32::try_from(i).map_err(|e| e.to_string())?;
            serde_json::to_string(&s).map_err(|e| e.to_string())
        })
        .collect::<Result<_>>()?;
    let heads = BTreeMap::from([(LOCAL_CHAIN, 1_000), (L2_CHAIN, 1_000)]);
    let (mut decode, mut evaluate) = (Duration::MAX, Duration::MAX);
    for _ in 0..3 {
        let started = Instant::now();
        let sessions: Vec<Session> = docs
            .iter()
            .map(|d| serde_json::from_str(d).map_err(|e| e.to_string()))
            .collect::<Result<_>>()?;
        decode = decode.min(started.elapsed());
        let started = Instant::now();
        let mut changed = 0usize;
        for s in &sessions {
            if revise(s, &[], Vec::new(), &heads, now).is_some() {
                changed += 1;
            }
        }
        if changed != sessions.len() {
            return Err(format!("only {changed} of {n} sessions expired"));
        }
        evaluate = evaluate.min(started.elapsed());
    }
    Ok(CoreTime { decode, evaluate })
}

/// The session a typical create request opens: 49.99 USD with a success URL, the shopper's
/// email, a description and metadata, offering USDC, USDT and ETH on both local EVM chains
/// (6-decimal tokens on the first, 18-decimal ones on the L2), as the bench's stack does.
fn session() -> Result<Session> {
    const REQUEST: &str = r#"{"amount":{"value":"49.99","currency":"USD"},"success_url":"https://shop.example/ok","customer_email":"shopper@example.com","description":"Order 1001","metadata":{"order":"1001"}}"#;
    let t0 = Timestamp(1_800_000_000);
    let quote = |chain_id, token: &str, contract: Option<u8>, decimals: u8, amount: U256| Quote {
        chain_id,
        token: token.into(),
        contract: contract.map(Address::repeat_byte),
        decimals,
        amount,
        one_cent: U256::from(10u64).pow(U256::from(decimals - 2)),
        exchange_rate: if contract.is_some() {
            "1.00"
        } else {
            "3000.00"
        }
        .into(),
        quoted_at: t0,
        confirmations_required: 2,
    };
    let units = |cents: u64, decimals: u8| {
        U256::from(cents) * U256::from(10u64).pow(U256::from(decimals - 2))
    };
    let request = create::parse(REQUEST, false, Requester::SecretKey).map_err(|e| e.message)?;
    let Source::AdHoc(order) = request.source.clone() else {
        return Err("the bench request is ad hoc".into());
    };
    let eth = U256::from(16_663_333_333_333_334u64);
    let opening = Opening {
        id: "cs_test_bench0000000000000000000"
            .parse()
            .map_err(|e| format!("{e}"))?,
        secret: "x".repeat(24),
        account_id: "acct_bench0000000000000000000"
            .parse()
            .map_err(|e| format!("{e}"))?,
        livemode: false,
        settings: &Settings::default(),
        request,
        order,
        stablecoins: vec![
            quote(LOCAL_CHAIN, "USDC", Some(1), 6, units(4_999, 6)),
            quote(LOCAL_CHAIN, "USDT", Some(2), 6, units(4_999, 6)),
            quote(L2_CHAIN, "USDC", Some(3), 18, units(4_999, 18)),
            quote(L2_CHAIN, "USDT", Some(4), 18, units(4_999, 18)),
        ],
        natives: vec![
            quote(LOCAL_CHAIN, "ETH", None, 18, eth),
            quote(L2_CHAIN, "ETH", None, 18, eth),
        ],
        address: Address::ZERO,
        address_tron: None,
        derivation_index: 0,
        now: t0,
    };
    let catalogue = Catalogue::parse(BUILTIN_JSON).map_err(|e| e.to_string())?;
    open(&catalogue, opening).map_err(|e| e.to_string())
}

/// `cargo xtask bench widget`: size, navigation to QR, Lighthouse (`xtask/bench-widget.mjs`).
pub(crate) fn widget() -> Result {
    setup::ensure(&setup::Needs { browser: true })?;
    build::all()?;
    let stack = Stack::start(&stack::BENCH)?;
    step("Widget: size, time to QR (median of 10), Lighthouse");
    crate::util::run(
        crate::util::cmd("node")
            .arg("xtask/bench-widget.mjs")
            .env("KASSE_ENV", stack.dir.join("env.json")),
    )?;
    drop(stack);
    Ok(())
}

/// `cargo xtask bench console`: the console's bundle size and the time from navigation to
/// the sessions table of an account with 1,000 sessions (`xtask/bench-console.mjs`).
pub(crate) fn console() -> Result {
    setup::ensure(&setup::Needs { browser: true })?;
    build::all()?;
    let stack = Stack::start(&stack::BENCH)?;
    step("Console: bundle size, time to the sessions table at 1,000 sessions (median of 10)");
    crate::util::run(
        crate::util::cmd("node")
            .arg("xtask/bench-console.mjs")
            .env("KASSE_ENV", stack.dir.join("env.json")),
    )?;
    drop(stack);
    Ok(())
}

/// `cargo xtask bench webhooks`: deliveries per cron run with slow receivers, and the time
/// from a status change to the first attempt (`xtask/bench-webhooks.mjs` prints them).
pub(crate) fn webhooks() -> Result {
    setup::ensure(&setup::Needs { browser: false })?;
    build::all()?;
    let stack = Stack::start(&stack::BENCH)?;
    step("Webhooks: backlog per cron run, then time to first attempt");
    crate::util::run(
        crate::util::cmd("node")
            .arg("xtask/bench-webhooks.mjs")
            .env("KASSE_ENV", stack.dir.join("env.json")),
    )?;
    drop(stack);
    Ok(())
}

/// `cargo xtask bench sweep`: gas per swept address by batch size and path, and the wall time
/// of `kasse sweep --execute` over 100 paid sessions (`xtask/bench-sweep.mjs` prints them).
pub(crate) fn sweep() -> Result {
    setup::ensure(&setup::Needs { browser: false })?;
    build::all()?;
    let stack = Stack::start(&stack::BENCH)?;
    crate::util::run(crate::util::cmd("cargo").args(["build", "-p", "kasse-cli"]))?;
    step("Sweeps: gas per address by batch size and path; wall time of `kasse sweep`");
    crate::util::run(
        crate::util::cmd("node")
            .arg("xtask/bench-sweep.mjs")
            .env("KASSE_ENV", stack.dir.join("env.json"))
            .env("KASSE_CLI", crate::util::root().join("target/debug/kasse")),
    )?;
    drop(stack);
    Ok(())
}

/// `cargo xtask bench search`: `GET /v1/search` latency and D1 round trips, statements and
/// rows read by kind of term, at 100, 1,000 and 10,000 sessions (`xtask/bench-search.mjs`).
pub(crate) fn search() -> Result {
    setup::ensure(&setup::Needs { browser: false })?;
    build::all()?;
    let stack = Stack::start(&stack::BENCH)?;
    step("Search: latency and D1 cost by kind of term at 100 … 10,000 sessions");
    crate::util::run(
        crate::util::cmd("node")
            .arg("xtask/bench-search.mjs")
            .env("KASSE_ENV", stack.dir.join("env.json")),
    )?;
    drop(stack);
    Ok(())
}

/// `cargo xtask bench api`: throughput and latency of session create and retrieve under
/// wrk, beside the worker's cheapest route, on a local stack of its own; then the D1 round
/// trips and statements of each kind of request (`xtask/bench-d1.mjs`).
#[expect(
    clippy::float_arithmetic,
    reason = "wrk's rates and timings, never money"
)]
pub(crate) fn api() -> Result {
    setup::ensure(&setup::Needs { browser: false })?;
    setup::ensure_debian(&[("wrk", "wrk")])?;
    build::all()?;
    let stack = Stack::start(&stack::BENCH)?;
    let bench = Bench::new(&stack)?;
    let session = bench.api(
        "POST",
        "/v1/checkout_sessions",
        Some(&json!({"amount": {"value": "49.99", "currency": "USD"}})),
    )?;
    let id = session["id"].as_str().unwrap_or_default().to_owned();
    let script = stack.dir.join("wrk.lua");
    crate::util::write(
        &script,
        r#"-- KASSE_METHOD, KASSE_BODY and KASSE_KEY come from the environment.
wrk.method = os.getenv("KASSE_METHOD")
wrk.headers["Authorization"] = "Bearer " .. os.getenv("KASSE_KEY")
local body = os.getenv("KASSE_BODY")
if body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end
"#,
    )?;
    let create = r#"{"amount":{"value":"49.99","currency":"USD"},"chain_id":31337,"token":"USDC"}"#;
    let routes = [
        (
            "bare GET /v1/test_helpers/noop",
            "GET",
            "/v1/test_helpers/noop".to_owned(),
            "",
        ),
        (
            "GET /v1/checkout_sessions/{id}",
            "GET",
            format!("/v1/checkout_sessions/{id}"),
            "",
        ),
        (
            "POST /v1/checkout_sessions",
            "POST",
            "/v1/checkout_sessions".to_owned(),
            create,
        ),
    ];
    let mut rows = Vec::new();
    for (label, method, path, body) in routes {
        step(&format!("wrk: {label} (2 threads, 8 connections, 10 s)"));
        let out = crate::util::capture(
            crate::util::cmd("wrk")
                .args(["-t2", "-c8", "-d10s", "--latency", "-s"])
                .arg(&script)
                .arg(format!("{}{path}", bench.base))
                .env("KASSE_METHOD", method)
                .env("KASSE_KEY", &bench.secret_key)
                .env("KASSE_BODY", body),
        )?;
        rows.push((label, WrkFigures::parse(&out)?));
    }
    let bare = rows[0].1.requests_per_sec;
    println!();
    println!("| route | req/s | p50 ms | p99 ms | p99/p50 | of bare | non-2xx |");
    println!("|---|---|---|---|---|---|---|");
    for (label, f) in &rows {
        println!(
            "| {label} | {:.0} | {:.2} | {:.2} | {:.1} | {:.0} % | {} |",
            f.requests_per_sec,
            f.p50_ms,
            f.p99_ms,
            f.p99_ms / f.p50_ms,
            100.0 * f.requests_per_sec / bare,
            f.non_2xx
        );
    }
    println!();
    step("D1 round trips and statements per request");
    crate::util::run(
        crate::util::cmd("node")
            .arg("xtask/bench-d1.mjs")
            .env("KASSE_ENV", stack.dir.join("env.json")),
    )
}

/// What wrk --latency prints that the table needs (timings, not money).
struct WrkFigures {
    requests_per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
    non_2xx: u64,
}

impl WrkFigures {
    #[expect(clippy::float_arithmetic, reason = "wrk's timings, never money")]
    fn parse(out: &str) -> Result<Self> {
        let field = |prefix: &str| {
            out.lines()
                .map(str::trim)
                .find_map(|l| l.strip_prefix(prefix).map(str::trim))
                .map(str::to_owned)
        };
        let millis = |text: String| -> Result<f64> {
            let (number, unit) = text
                .find(|c: char| c.is_ascii_alphabetic())
                .map(|i| text.split_at(i))
                .ok_or_else(|| format!("wrk latency without a unit: {text}"))?;
            let n: f64 = number
                .parse()
                .map_err(|e| format!("wrk latency {text}: {e}"))?;
            Ok(match unit {
                "us" => n / 1000.0,
                "ms" => n,
                "s" => n * 1000.0,
                other => return Err(format!("wrk latency unit {other}")),
            })
        };
        let missing = |what: &str| format!("wrk printed no {what}:\n{out}");
        Ok(Self {
            requests_per_sec: field("Requests/sec:")
                .ok_or_else(|| missing("Requests/sec"))?
                .parse()
                .map_err(|e| format!("Requests/sec: {e}"))?,
            p50_ms: millis(field("50%").ok_or_else(|| missing("p50"))?)?,
            p99_ms: millis(field("99%").ok_or_else(|| missing("p99"))?)?,
            non_2xx: field("Non-2xx or 3xx responses:")
                .and_then(|n| n.parse().ok())
                .unwrap_or(0),
        })
    }
}
