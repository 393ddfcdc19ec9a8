//! `cargo xtask <command>`: Kasse's dev automation. See `cargo xtask help`.

mod bench;
mod build;
mod setup;
mod stack;
mod test;
#[cfg(test)]
mod tidy;
mod util;

use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;

use stack::Stack;
use util::{Result, step};

const USAGE: &str = "\
cargo xtask <command>

  dev      install what is missing, build, start anvil + contracts + wrangler dev,
           run the watcher every 5 s; Ctrl-C stops everything
  test     install what is missing (incl. Chromium), build, run every suite
  pay      pay a session on a local chain (needs `dev` running):
           cargo xtask pay <session id> [--amount 49.99] [--token USDC] [--chain 31338|31339]
  account  create a merchant account through the admin API and print its keys once:
           KASSE_ADMIN_TOKEN=… cargo xtask account create --url https://pay.example.com \\
             --name \"My shop\" --xpub-test xpub… [--xpub-live xpub…] [--xpub-tron-test xpub…]
           or register a mode's xpub on an account (its keys, once):
           cargo xtask account xpub --account acct_… --mode live --xpub xpub…
  bench    one watcher run at 10 … 10,000 open sessions: subrequests and JSON-RPC calls
           per local chain, D1 queries and rows, wall time, native core CPU (optimized);
           check latency
  bench api  session create and retrieve under wrk beside a bare route: req/s, p50, p99;
           then D1 round trips and statements per request (create, retrieve, views, check)
  bench dense  300 transfers to 300 sessions in one block: runs until all are paid,
           D1 queries per run and per payment, run time (also the end of `bench`)
  bench webhooks  deliveries per cron run with 1/4/16 endpoints answering in 200 ms;
           time from a status change to the first attempt
  bench widget  widget size raw and gzip, navigation to QR (median of 10), Lighthouse
  bench sweep  gas per swept address with 1, 10 and 100 addresses per EIP-7702
           transaction against top-up-then-transfer; wall time of `kasse sweep` over 100
  bench search  GET /v1/search latency (p50, p90) and D1 round trips, statements, rows
           read by kind of term (id, address, tx hash, email) at 100 … 10,000 sessions
  bench console  console bundle size raw and gzip, navigation to the sessions table of
           an account with 1,000 sessions (median of 10)
  bench core  native CPU time to decode and decide 10 … 10,000 sessions all due at once,
           in whichever build runs it (`bench` runs it optimized)
  build    build the widget, the console and the worker, print their sizes
  setup    only install what is missing
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("dev") => dev(),
        Some("pay") => util::run(
            util::cmd("node")
                .arg("xtask/chain/pay.mjs")
                .args(&args[1..]),
        ),
        Some("account") => util::run(util::cmd("node").arg("xtask/account.mjs").args(&args[1..])),
        Some("test") => return test::run(),
        Some("bench") if args.get(1).map(String::as_str) == Some("api") => bench::api(),
        Some("bench") if args.get(1).map(String::as_str) == Some("webhooks") => bench::webhooks(),
        Some("bench") if args.get(1).map(String::as_str) == Some("widget") => bench::widget(),
        Some("bench") if args.get(1).map(String::as_str) == Some("dense") => bench::dense(),
        Some("bench") if args.get(1).map(String::as_str) == Some("sweep") => bench::sweep(),
        Some("bench") if args.get(1).map(String::as_str) == Some("search") => bench::search(),
        Some("bench") if args.get(1).map(String::as_str) == Some("console") => bench::console(),
        Some("bench") if args.get(1).map(String::as_str) == Some("core") => bench::core(),
        Some("bench") => bench::run(),
        Some("build") => {
            setup::ensure(&setup::Needs { browser: false }).and_then(|()| build::all())
        }
        Some("setup") => setup::ensure(&setup::Needs { browser: true }),
        Some("help" | "--help" | "-h") | None => {
            print!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(format!("unknown command `{other}`\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\x1b[1;31merror:\x1b[0m {e}");
            ExitCode::FAILURE
        }
    }
}

fn dev() -> Result {
    setup::ensure(&setup::Needs { browser: false })?;
    build::all()?;
    let (stop_tx, stop_rx) = mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = stop_tx.send(());
    })
    .map_err(|e| format!("cannot handle Ctrl-C: {e}"))?;

    let mut stack = Stack::start(&stack::DEV)?;
    let info_path = util::root().join(".kasse/dev.json");
    util::write(
        &info_path,
        &serde_json::to_string_pretty(&stack.info).unwrap_or_default(),
    )?;
    let base = stack.base_url();
    let info = &stack.info;
    println!();
    println!("  Kasse is running (local chains {}).", chain_ids(info));
    println!("  API            {base}/v1  (OpenAPI: {base}/openapi.json)");
    println!("  Health         {base}/v1/health");
    println!("  Checkout page  {base}/c/<session id>#<client secret>");
    for (id, chain) in info["chains"].as_object().into_iter().flatten() {
        println!(
            "  Chain {id:<8} {}",
            chain["rpc_url"].as_str().unwrap_or_default()
        );
        for (name, address) in chain["contracts"].as_object().into_iter().flatten() {
            println!("    {name:<12} {}", address.as_str().unwrap_or_default());
        }
    }
    println!(
        "  Admin token    {}",
        info["admin_token"].as_str().unwrap_or_default()
    );
    let demo = &info["demo"];
    let field = |k: &str| demo[k].as_str().unwrap_or_default().to_owned();
    println!("  Demo account   {} (test mode)", field("account_id"));
    println!("  Secret key     {}", field("secret_key"));
    println!("  Publishable    {}", field("publishable_key"));
    println!("  Payment link   {}", field("payment_link_url"));
    println!("  Demo shop      {}", field("shop_url"));
    println!(
        "  Console        {}  (sign in with the secret key)",
        field("console_url")
    );
    println!("  Written to     {}", info_path.display());
    println!("  Logs           {}", stack.dir.display());
    println!();
    println!("  Try it:");
    println!(
        "    curl -s {base}/v1/checkout_sessions -H 'Authorization: Bearer {}' \\",
        info["demo"]["secret_key"].as_str().unwrap_or_default()
    );
    println!(
        "      -d '{{\"amount\":{{\"value\":\"49.99\",\"currency\":\"USD\"}},\"chain_id\":31337,\"token\":\"USDC\"}}'"
    );
    println!("    then open its checkout_url and run: cargo xtask pay <session id>");
    let cli = stack.demo_cli()?;
    let cli = cli
        .strip_prefix(util::root())
        .unwrap_or(&cli)
        .display()
        .to_string();
    println!(
        "  Sweep the demo's paid sessions to a local treasury ({}), with no gas at any deposit address:",
        stack::DEMO_TREASURY
    );
    println!("    {cli} sweeper deploy --chain 31337 && {cli} sweep --chain 31337 --execute --yes");
    println!();
    println!("  The watcher runs every 5 s. Press Ctrl-C to stop.");

    let mut refreshed = std::time::Instant::now();
    loop {
        match stop_rx.recv_timeout(Duration::from_secs(5)) {
            Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if let Err(e) = Stack::trigger_scheduled(&base) {
                    eprintln!("watcher run failed: {e}");
                }
                if refreshed.elapsed() > Duration::from_secs(600) {
                    refreshed = std::time::Instant::now();
                    if let Err(e) = stack::refresh_price_feeds(&stack.info) {
                        eprintln!("price feed refresh failed: {e}");
                    }
                }
            }
        }
    }
    step("Stopping");
    stack.stop();
    Ok(())
}

/// The stack's chain ids, comma-separated.
fn chain_ids(info: &serde_json::Value) -> String {
    let ids: Vec<&String> = info["chains"]
        .as_object()
        .into_iter()
        .flat_map(|c| c.keys())
        .collect();
    ids.iter()
        .map(|id| id.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
