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
use kasse_shared::session::{Quote, Session, evaluate};
use kasse_shared::time::Timestamp;
use serde_json::{Value, json};

use crate::stack::{self, Stack};
use crate::util::{Result, http, step};
use crate::{build, setup};

const SIZES: [u64; 4] = [10, 100, 1_000, 10_000];
/// anvil's account #9, unlocked: the payer.
const PAYER: &str = "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720";
/// `mint(address,uint256)` of the test tokens.
const MINT: &str = "40c10f19";

struct Row {
    label: String,
    report: Value,
    proxy_requests: u64,
    proxy_calls: u64,
    core: Option<(Duration, Duration)>,
}

pub(crate) fn run() -> Result {
    setup::ensure(&setup::Needs { browser: false })?;
    build::all()?;
    let stack = Stack::start(&stack::BENCH)?;
    let bench = Bench::new(&stack)?;

    step("Opening a template session (USDC, USDT and ETH on the local chain)");
    let template = bench.api(
        "POST",
        "/v1/checkout_sessions",
        Some(&json!({"amount": {"value": "49.99", "currency": "USD"}})),
    )?;
    let id = template["id"].as_str().unwrap_or_default().to_owned();
    let eth_amount = template["supported_tokens"]
        .as_array()
        .and_then(|o| o.iter().find(|t| t["token"] == "ETH"))
        .and_then(|t| t["amount"].as_str())
        .ok_or("the template has no ETH option")?
        .to_owned();
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
        bench.rpc("evm_mine", json!([]))?;
        rows.push(bench.measured_run(&format!("{n}"), Some(core_time(n)?))?);
    }

    step("10,000 open sessions, 10 USDC and 10 ETH payments arriving in the window");
    for i in 1..=10u64 {
        let usdc = format!("0x{MINT}{:0>64}{:0>64x}", format!("{i:x}"), 49_990_000u64);
        bench.send(json!({"from": PAYER, "to": bench.usdc, "data": usdc}))?;
        let to = format!("0x{:0>40x}", 100 + i);
        let value = format!(
            "{:#x}",
            U256::from_str_radix(&eth_amount, 10).map_err(|e| e.to_string())?
        );
        bench.send(json!({"from": PAYER, "to": to, "value": value}))?;
    }
    rows.push(bench.measured_run("10,000 + 20 payments", None)?);

    print_table(&rows);
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
    anvil: String,
    proxy: String,
    usdc: String,
}

impl Bench {
    fn new(stack: &Stack) -> Result<Self> {
        let info = &stack.info;
        let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        Ok(Self {
            base: stack.base_url(),
            secret_key: s(&info["demo"]["secret_key"]),
            admin_token: s(&info["admin_token"]),
            anvil: s(&info["rpc_url"]),
            proxy: s(&info["worker_rpc_url"]),
            usdc: s(&info["contracts"]["USDC"]),
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
            return Err(format!("{method}: {e}"));
        }
        Ok(reply["result"].clone())
    }

    fn send(&self, tx: Value) -> Result<Value> {
        self.rpc("eth_sendTransaction", json!([tx]))
    }

    fn proxy_counts(&self) -> Result<(u64, u64)> {
        let (_, text) = http("GET", &format!("{}/__fault", self.proxy), &[], None)?;
        let v: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        Ok((
            v["served"].as_u64().unwrap_or(0),
            v["calls"].as_u64().unwrap_or(0),
        ))
    }

    fn measured_run(&self, label: &str, core: Option<(Duration, Duration)>) -> Result<Row> {
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
        Ok(Row {
            label: label.to_owned(),
            report: health["last_run"].clone(),
            proxy_requests: after.0 - before.0,
            proxy_calls: after.1 - before.1,
            core,
        })
    }

    /// Payment mined at the required depth → `paid`, through the on-demand check.
    fn latency(&self) -> Result {
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
            self.send(json!({"from": PAYER, "to": self.usdc, "data": data}))?;
            // The local chain needs 2 confirmations: the payment's block and one more.
            self.rpc("evm_mine", json!([]))?;
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

fn ms(d: Duration) -> String {
    format!("{}.{}", d.as_micros() / 1000, d.as_micros() % 1000 / 100)
}

fn print_table(rows: &[Row]) {
    println!();
    println!(
        "{:<22} {:>6} {:>6} {:>7} {:>7} {:>7} {:>10} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "open sessions",
        "subreq",
        "proxy",
        "rpc",
        "proxy",
        "d1 q",
        "rows read",
        "rows wrt",
        "evaluated",
        "run ms",
        "core ms",
        "decode ms"
    );
    for r in rows {
        let chain = &r.report["chains"][0];
        let n = |v: &Value| v.as_u64().unwrap_or(0);
        println!(
            "{:<22} {:>6} {:>6} {:>7} {:>7} {:>7} {:>10} {:>9} {:>9} {:>9} {:>9} {:>9}",
            r.label,
            n(&chain["subrequests"]),
            r.proxy_requests,
            n(&chain["rpc_calls"]),
            r.proxy_calls,
            n(&r.report["d1_queries"]),
            n(&r.report["d1_rows_read"]),
            n(&r.report["d1_rows_written"]),
            n(&r.report["sessions_evaluated"]),
            n(&r.report["wall_ms"]),
            r.core.map_or_else(|| "-".to_owned(), |(_, core)| ms(core)),
            r.core
                .map_or_else(|| "-".to_owned(), |(decode, _)| ms(decode)),
        );
    }
    println!();
    println!("subreq/rpc: HTTP requests and JSON-RPC calls to the chain per run (worker's count;");
    println!(
        "proxy: the same, counted independently by the RPC proxy). d1: queries and rows per run."
    );
    println!("run: wall time of the scheduled run inside workerd (local D1 and anvil).");
    println!(
        "evaluated: sessions the run loaded (due, confirming or moved); the rest are skipped."
    );
    println!("core / decode: native CPU time to evaluate / JSON-decode that many sessions all due");
    println!("at once (the worst case, e.g. a mass expiry), best of 3.");
}

/// Native CPU time for `n` watched sessions all due at once (the worst case, e.g. a mass
/// expiry): (decoding the stored documents as D1 returns them, evaluating them with the
/// pure core). Best of 3 runs each.
fn core_time(n: u64) -> Result<(Duration, Duration)> {
    // Just past every session's expiry: each one really moves (pending → expired).
    let now = Timestamp(1_800_001_801);
    let docs: Vec<String> = (0..n)
        .map(|i| session(i).and_then(|s| serde_json::to_string(&s).map_err(|e| e.to_string())))
        .collect::<Result<_>>()?;
    let heads = BTreeMap::from([(31337, 1_000)]);
    let (mut decode, mut core) = (Duration::MAX, Duration::MAX);
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
            if evaluate(s, &[], &heads, now).is_some() {
                changed += 1;
            }
        }
        if changed != sessions.len() {
            return Err(format!("only {changed} of {n} sessions expired"));
        }
        core = core.min(started.elapsed());
    }
    Ok((decode, core))
}

/// The session a typical create request opens: 49.99 USD with a success URL, the shopper's
/// email, a description and metadata, offering USDC, USDT and ETH on the local chain.
fn session(i: u64) -> Result<Session> {
    const REQUEST: &str = r#"{"amount":{"value":"49.99","currency":"USD"},"success_url":"https://shop.example/ok","customer_email":"shopper@example.com","description":"Order 1001","metadata":{"order":"1001"}}"#;
    let t0 = Timestamp(1_800_000_000);
    let quote = |token: &str, contract: Option<Address>, decimals: u8, amount: u64| Quote {
        chain_id: 31337,
        token: token.into(),
        contract,
        decimals,
        amount: U256::from(amount),
        one_cent: U256::from(10_000u64),
        exchange_rate: "1.00".into(),
        quoted_at: t0,
        confirmations_required: 2,
    };
    let request = create::parse(REQUEST, false, Requester::SecretKey).map_err(|e| e.message)?;
    let Source::AdHoc(order) = request.source.clone() else {
        return Err("the bench request is ad hoc".into());
    };
    let opening = Opening {
        id: format!("cs_test_bench{i:019}")
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
            quote("USDC", Some(Address::repeat_byte(1)), 6, 49_990_000),
            quote("USDT", Some(Address::repeat_byte(2)), 6, 49_990_000),
        ],
        natives: vec![quote("ETH", None, 18, 16_663_333_333_333_334)],
        address: Address::from_word(U256::from(i).into()),
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
