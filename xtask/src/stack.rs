//! The local stack: anvil with the test contracts, D1 migrated, and `wrangler dev` serving
//! the built worker. Each process runs in its own process group and is stopped by PID.

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::util::{
    Result, capture, cmd, http, node_bin, random_hex, root, run, step, wait_until, write,
};

pub(crate) struct Ports {
    pub anvil: u16,
    pub worker: u16,
    pub inspector: u16,
}

/// One named stack (`dev` or `test`) with its own ports and state under `.kasse/<name>/`.
pub(crate) struct Profile {
    pub name: &'static str,
    pub ports: Ports,
    /// Seconds between blocks; `None` mines only on transactions (tests mine explicitly).
    pub block_time: Option<u32>,
    /// Port of the fault-injecting RPC proxy the worker talks through (tests only).
    pub rpc_proxy: Option<u16>,
    /// How long the worker waits for the chain (tests keep it short to test timeouts).
    pub rpc_timeout_ms: u32,
}

pub(crate) const DEV: Profile = Profile {
    name: "dev",
    ports: Ports {
        anvil: 8545,
        worker: 8787,
        inspector: 9229,
    },
    block_time: Some(2),
    rpc_proxy: None,
    rpc_timeout_ms: 10_000,
};
pub(crate) const TEST: Profile = Profile {
    name: "test",
    ports: Ports {
        anvil: 18545,
        worker: 18787,
        inspector: 19229,
    },
    block_time: None,
    rpc_proxy: Some(18546),
    rpc_timeout_ms: 2_000,
};

/// `cargo xtask bench`: its own ports, blocks on demand, the counting proxy in front of anvil.
pub(crate) const BENCH: Profile = Profile {
    name: "bench",
    ports: Ports {
        anvil: 28545,
        worker: 28787,
        inspector: 29229,
    },
    block_time: None,
    rpc_proxy: Some(28546),
    rpc_timeout_ms: 30_000,
};

pub(crate) struct Stack {
    children: Vec<(&'static str, Child)>,
    pub info: Value,
    pub dir: PathBuf,
}

impl Stack {
    pub(crate) fn base_url(&self) -> String {
        self.info["worker_url"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub(crate) fn start(profile: &Profile) -> Result<Self> {
        let dir = root().join(".kasse").join(profile.name);
        stop_leftovers(&dir);
        let _ = std::fs::remove_dir_all(dir.join("state"));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut stack = Self {
            children: Vec::new(),
            info: Value::Null,
            dir: dir.clone(),
        };

        let mut chains = serde_json::Map::new();
        let mut vars = String::new();
        for (offset, chain) in local_chains()?.iter().enumerate() {
            let started = stack.start_chain(profile, chain, offset)?;
            vars.push_str(&format!(
                "{}={}\n",
                chain.rpc_url_var, started.worker_rpc_url
            ));
            if let Some((var, key)) = &started.api_key {
                vars.push_str(&format!("{var}={key}\n"));
            }
            chains.insert(chain.chain_id.to_string(), started.info);
        }
        let first = chains
            .get(&LOCAL_CHAIN.to_string())
            .cloned()
            .ok_or("chains.json has no local chain 31337")?;
        let admin_token = random_hex()?;
        let config = write_wrangler_config(&dir)?;
        write(
            &dir.join("dev.vars"),
            &format!(
                "ADMIN_TOKEN={admin_token}\n{vars}KASSE_TEST_HELPERS=1\nRPC_TIMEOUT_MS={}\n",
                profile.rpc_timeout_ms
            ),
        )?;

        step("Applying D1 migrations (local)");
        let state = dir.join("state");
        run(cmd(node_bin("wrangler"))
            .args(["d1", "migrations", "apply", "DB", "--local", "--config"])
            .arg(&config)
            .arg("--persist-to")
            .arg(&state)
            .stdout(Stdio::null()))?;

        let worker_url = format!("http://127.0.0.1:{}", profile.ports.worker);
        step(&format!("Starting wrangler dev on {worker_url}"));
        let wrangler = spawn_logged(
            cmd(node_bin("wrangler"))
                .args([
                    "dev",
                    "--test-scheduled",
                    "--ip",
                    "127.0.0.1",
                    "--show-interactive-dev-session=false",
                ])
                .args(["--port", &profile.ports.worker.to_string()])
                .args(["--inspector-port", &profile.ports.inspector.to_string()])
                .arg("--config")
                .arg(&config)
                .arg("--env-file")
                .arg(dir.join("dev.vars"))
                .arg("--persist-to")
                .arg(&state),
            &dir.join("wrangler.log"),
        )?;
        stack.adopt("wrangler", wrangler)?;
        let health = format!("{worker_url}/v1/health");
        wait_until("wrangler dev", Duration::from_secs(90), || {
            matches!(http("GET", &health, &[], None), Ok((200, _)))
        })
        .map_err(|e| format!("{e}; see {}", dir.join("wrangler.log").display()))?;

        // The dev demo also takes USDT on the Tron stand-in; the test stack's demo account
        // stays EVM-only, and the Tron suite registers its own Tron wallets.
        let tron = (profile.name == DEV.name).then_some(DEMO_TRON_XPUB);
        let demo = seed_demo_account(&worker_url, &admin_token, tron)?;
        stack.info = json!({
            "worker_url": worker_url,
            "checkout_page_example": format!("{worker_url}/c/cs_test_example"),
            "openapi": format!("{worker_url}/openapi.json"),
            "admin_token": admin_token,
            "rpc_url": first["rpc_url"],
            "worker_rpc_url": first["worker_rpc_url"],
            "chain_id": LOCAL_CHAIN,
            "contracts": first["contracts"],
            "chains": chains,
            "demo": demo,
            "state_dir": state,
            "logs": { "anvil": dir.join("anvil-31337.log"), "wrangler": dir.join("wrangler.log") },
        });
        write(
            &dir.join("env.json"),
            &serde_json::to_string_pretty(&stack.info).unwrap_or_default(),
        )?;
        Ok(stack)
    }

    fn adopt(&mut self, name: &'static str, child: Child) -> Result {
        let pids = self.dir.join("pids");
        let mut list = std::fs::read_to_string(&pids).unwrap_or_default();
        list.push_str(&format!("{name} {}\n", child.id()));
        write(&pids, &list)?;
        self.children.push((name, child));
        Ok(())
    }

    /// Starts one local chain's anvil (ports offset by 10 per chain), deploys its contracts
    /// and, when the profile has one, the RPC proxy the worker reads it through. A chain
    /// whose catalogue entry names an API key header gets a fresh key the proxy demands.
    fn start_chain(
        &mut self,
        profile: &Profile,
        chain: &LocalChain,
        offset: usize,
    ) -> Result<StartedChain> {
        let shift = u16::try_from(offset * 10).map_err(|e| e.to_string())?;
        let chain_id = chain.chain_id;
        let rpc_url = format!("http://127.0.0.1:{}", profile.ports.anvil + shift);
        step(&format!("Starting anvil for chain {chain_id} on {rpc_url}"));
        let mut anvil = cmd(node_bin("anvil"));
        anvil
            .args(["--host", "127.0.0.1", "--chain-id", &chain_id.to_string()])
            .args(["--port", &(profile.ports.anvil + shift).to_string()]);
        let anvil = spawn_logged(&mut anvil, &self.dir.join(format!("anvil-{chain_id}.log")))?;
        self.adopt("anvil", anvil)?;
        wait_until("anvil", Duration::from_secs(20), || {
            rpc_chain_id(&rpc_url).is_some()
        })?;

        step(&format!("Deploying chain {chain_id}'s local contracts"));
        let deployed = capture(cmd("node").arg("xtask/chain/deploy.mjs").arg(&rpc_url))?;
        let deployed: Value =
            serde_json::from_str(&deployed).map_err(|e| format!("deploy output: {e}"))?;
        // Deploy under automine (instant), then produce blocks on a timer like a real chain.
        if let Some(secs) = profile.block_time {
            rpc(&rpc_url, "evm_setIntervalMining", &format!("[{secs}]"))?;
        }

        let api_key = match &chain.api_key {
            Some((header, var)) => Some((header.clone(), var.clone(), random_hex()?)),
            None => None,
        };
        // The worker reads the chain through the proxy when the profile has one.
        let worker_rpc_url = match profile.rpc_proxy {
            None => rpc_url.clone(),
            Some(port) => {
                let port = port + shift;
                let mut proxy = cmd("node");
                proxy
                    .arg("tests/support/rpc-proxy.mjs")
                    .arg(port.to_string())
                    .arg(&rpc_url);
                if chain.family == "tron" {
                    proxy.arg("--no-batch");
                }
                if let Some((header, _, key)) = &api_key {
                    proxy.args(["--api-key", &format!("{header}={key}")]);
                }
                let proxy = spawn_logged(
                    &mut proxy,
                    &self.dir.join(format!("rpc-proxy-{chain_id}.log")),
                )?;
                self.adopt("rpc-proxy", proxy)?;
                let url = format!("http://127.0.0.1:{port}");
                wait_until("rpc proxy", Duration::from_secs(10), || {
                    matches!(
                        http("GET", &format!("{url}/__fault"), &[], None),
                        Ok((200, _))
                    )
                })?;
                url
            }
        };
        Ok(StartedChain {
            info: json!({
                "chain_id": chain_id,
                "family": chain.family,
                "rpc_url": rpc_url,
                "worker_rpc_url": worker_rpc_url,
                "contracts": deployed["contracts"],
                "api_key": api_key.as_ref().map(|(header, _, key)| json!({"header": header, "key": key})),
            }),
            worker_rpc_url,
            api_key: api_key.map(|(_, var, key)| (var, key)),
        })
    }

    /// Calls the scheduled handler once, as the cron trigger would.
    pub(crate) fn trigger_scheduled(base_url: &str) -> Result {
        match http(
            "GET",
            &format!("{base_url}/__scheduled?cron=*+*+*+*+*"),
            &[],
            None,
        )? {
            (200, _) => Ok(()),
            (status, body) => Err(format!("/__scheduled answered {status}: {body}")),
        }
    }

    pub(crate) fn stop(&mut self) {
        for (name, mut child) in self.children.drain(..).rev() {
            kill_group(child.id());
            let _ = child.wait();
            eprintln!("    stopped {name}");
        }
        let _ = std::fs::remove_file(self.dir.join("pids"));
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.stop();
    }
}

fn spawn_logged(c: &mut std::process::Command, log: &Path) -> Result<Child> {
    let out = File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    // A process group of its own: Ctrl-C reaches only xtask, which then stops each group
    // (wrangler's workerd children included) by PID.
    c.stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0)
        .spawn()
        .map_err(|e| format!("spawn: {e}"))
}

/// Sends SIGTERM to the process group led by `pid` (our children lead their own groups).
/// A direct `kill(2)`: shelling out to `kill -TERM -<pid>` lets procps parse the pid as an
/// option, and a misparse to `-1` signals every process on the machine.
fn kill_group(pid: u32) {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return;
    };
    if pid > 1 {
        #[expect(
            unsafe_code,
            reason = "kill(2) with a negative pid (a process group) has no safe wrapper in std"
        )]
        // SAFETY: kill(2) takes plain integers and has no memory-safety preconditions.
        unsafe {
            libc::kill(-pid, libc::SIGTERM);
        }
    }
}

/// Stops processes a previous run left behind (e.g. after `kill -9` of xtask).
fn stop_leftovers(dir: &Path) {
    let Ok(list) = std::fs::read_to_string(dir.join("pids")) else {
        return;
    };
    for (name, pid) in list.lines().filter_map(|l| l.split_once(' ')) {
        let Ok(pid) = pid.trim().parse::<u32>() else {
            continue;
        };
        // Only if the pid still runs what we started: pids are reused.
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if String::from_utf8_lossy(&cmdline).contains(name) {
            kill_group(pid);
        }
    }
    std::thread::sleep(Duration::from_millis(500));
    let _ = std::fs::remove_file(dir.join("pids"));
}

/// The first local chain: the one examples, the demo and most tests use.
pub(crate) const LOCAL_CHAIN: u64 = 31337;

/// Chain ids the stacks run as local anvil chains, when chains.json lists them.
const LOCAL_CHAIN_IDS: [u64; 3] = [31337, 31338, 31339];

/// A local chain as chains.json describes it.
struct LocalChain {
    chain_id: u64,
    family: String,
    rpc_url_var: String,
    /// The header and the worker variable of the provider's API key, if it wants one.
    api_key: Option<(String, String)>,
}

struct StartedChain {
    info: Value,
    worker_rpc_url: String,
    /// The worker variable holding the API key, and the key.
    api_key: Option<(String, String)>,
}

/// The local chains chains.json lists, in chain id order.
fn local_chains() -> Result<Vec<LocalChain>> {
    let text = std::fs::read_to_string(root().join("chains.json"))
        .map_err(|e| format!("chains.json: {e}"))?;
    let catalogue: Value = serde_json::from_str(&text).map_err(|e| format!("chains.json: {e}"))?;
    let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    Ok(catalogue["chains"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| {
            c["chain_id"]
                .as_u64()
                .is_some_and(|id| LOCAL_CHAIN_IDS.contains(&id))
        })
        .map(|c| LocalChain {
            chain_id: c["chain_id"].as_u64().unwrap_or_default(),
            family: c["family"].as_str().unwrap_or("evm").to_owned(),
            rpc_url_var: s(&c["rpc_url_var"]),
            api_key: c["rpc_api_key"]
                .is_object()
                .then(|| (s(&c["rpc_api_key"]["header"]), s(&c["rpc_api_key"]["var"]))),
        })
        .collect())
}

/// The "abandon … about" test mnemonic's account-level xpub (m/44'/60'/0'): its addresses
/// hold nothing on anvil, unlike anvil's own funded accounts.
pub(crate) const DEMO_XPUB: &str = "xpub6DCoCpSuQZB2jawqnGMEPS63ePKWkwWPH4TU45Q7LPXWuNd8TMtVxRrgjtEshuqpK3mdhaWHPFsBngh5GFZaM6si3yZdUsT8ddYM3PwnATt";

/// The same mnemonic's Tron account xpub (m/44'/195'/0'): the demo takes USDT on the Tron
/// stand-in too.
const DEMO_TRON_XPUB: &str = "xpub6D1AabNHCupeiLM65ZR9UStMhJ1vCpyV4XbZdyhMZBiJXALQtmn9p42VTQckoHVn8WNqS7dqnJokZHAHcHGoaQgmv8D45oNUKx6DZMNZBCd";

/// The mnemonic behind [`DEMO_XPUB`]: public, so only for the local chain.
const DEMO_MNEMONIC: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
/// The demo mnemonic's m/44'/60'/1'/0/0, the `kasse` CLI's default gas wallet path.
const DEMO_GAS_WALLET: &str = "0x78839F6054d7ed13918bAe0473BA31b1Ca9D7265";
/// Where the local example sweeps to: an address nobody funds, so it holds exactly what was swept.
pub(crate) const DEMO_TREASURY: &str = "0x000000000000000000000000000000000000c0DE";

impl Stack {
    /// Funds the demo's gas wallet and writes `<dir>/kasse`, a wrapper that runs the `kasse`
    /// CLI (built on first use) against this stack as the demo merchant. Returns its path.
    pub(crate) fn demo_cli(&self) -> Result<PathBuf> {
        let rpc_url = self.info["rpc_url"].as_str().unwrap_or_default();
        for chain in self.info["chains"]
            .as_object()
            .into_iter()
            .flat_map(|c| c.values())
        {
            rpc(
                chain["rpc_url"].as_str().unwrap_or_default(),
                "anvil_setBalance",
                &format!(r#"["{DEMO_GAS_WALLET}", "0x56bc75e2d63100000"]"#),
            )?;
        }
        let mnemonic = self.dir.join("demo-mnemonic");
        write(&mnemonic, DEMO_MNEMONIC)?;
        let wrapper = self.dir.join("kasse");
        let script = format!(
            "#!/bin/sh\n# The demo merchant's `kasse` against the local stack (written by `cargo xtask dev`).\n\
             export KASSE_URL='{url}' KASSE_API_KEY='{key}' KASSE_RPC_31337='{rpc_url}' \\\n  \
             KASSE_RPC_31338='{l2_url}' \\\n  \
             KASSE_MNEMONIC_FILE='{mnemonic}' KASSE_TREASURY='{DEMO_TREASURY}'\n\
             exec cargo run -q --manifest-path '{manifest}' -p kasse-cli -- \"$@\"\n",
            url = self.base_url(),
            key = self.info["demo"]["secret_key"].as_str().unwrap_or_default(),
            l2_url = self.info["chains"]["31338"]["rpc_url"]
                .as_str()
                .unwrap_or_default(),
            mnemonic = mnemonic.display(),
            manifest = root().join("Cargo.toml").display(),
        );
        write(&wrapper, &script)?;
        make_executable(&wrapper)?;
        Ok(wrapper)
    }
}

fn make_executable(path: &Path) -> Result {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Creates the demo merchant account through the admin API, as an operator would, with a
/// Tron xpub when `tron` gives one.
fn seed_demo_account(worker_url: &str, admin_token: &str, tron: Option<&str>) -> Result<Value> {
    let body = json!({
        "display_name": "Kasse demo shop",
        "xpub_test": DEMO_XPUB,
        "xpub_tron_test": tron,
    })
    .to_string();
    let auth = format!("Bearer {admin_token}");
    let (status, text) = http(
        "POST",
        &format!("{worker_url}/v1/admin/accounts"),
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
        ],
        Some(&body),
    )?;
    if status != 200 {
        return Err(format!(
            "seeding the demo account failed ({status}): {text}"
        ));
    }
    let account: Value =
        serde_json::from_str(&text).map_err(|e| format!("admin API answer: {e}"))?;
    let secret_key = account["keys"]["sk_test"].as_str().unwrap_or_default();
    let link = json!({
        "line_items": [{ "name": "Kasse T-shirt", "quantity": 1, "unit_amount": "25.00" }],
        "description": "Kasse T-shirt",
        "return_url": format!("{worker_url}/"),
    })
    .to_string();
    let auth = format!("Bearer {secret_key}");
    let (status, text) = http(
        "POST",
        &format!("{worker_url}/v1/payment_links"),
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
        ],
        Some(&link),
    )?;
    if status != 200 {
        return Err(format!(
            "seeding the demo payment link failed ({status}): {text}"
        ));
    }
    let link: Value = serde_json::from_str(&text).map_err(|e| format!("links API answer: {e}"))?;
    // The demo shop at /demo sells this link with the publishable key.
    let demo = json!({
        "publishable_key": account["keys"]["pk_test"],
        "payment_link": link["id"],
    })
    .to_string();
    let auth = format!("Bearer {admin_token}");
    let (status, text) = http(
        "POST",
        &format!("{worker_url}/v1/admin/demo"),
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
        ],
        Some(&demo),
    )?;
    if status != 200 {
        return Err(format!(
            "configuring the demo shop failed ({status}): {text}"
        ));
    }
    Ok(json!({
        "shop_url": format!("{worker_url}/demo"),
        "console_url": format!("{worker_url}/console"),
        "account_id": account["id"],
        "xpub_test": DEMO_XPUB,
        "xpub_tron_test": tron,
        "secret_key": secret_key,
        "publishable_key": account["keys"]["pk_test"],
        "payment_link": link["id"],
        "payment_link_url": link["url"],
    }))
}

/// Re-sends each local price feed's current answer, so its round stays younger than the
/// catalogue's maximum price age (an hour) while `cargo xtask dev` runs for longer.
pub(crate) fn refresh_price_feeds(info: &serde_json::Value) -> Result {
    for chain in info["chains"]
        .as_object()
        .into_iter()
        .flat_map(|c| c.values())
    {
        let url = chain["rpc_url"].as_str().ok_or("no rpc_url")?;
        let feeds = chain["contracts"].as_object().into_iter().flatten();
        for (_, feed) in feeds.filter(|(label, _)| label.ends_with("/USD")) {
            refresh_price_feed(url, feed.as_str().unwrap_or_default())?;
        }
    }
    Ok(())
}

fn refresh_price_feed(url: &str, feed: &str) -> Result {
    let round = rpc(
        url,
        "eth_call",
        &format!(r#"[{{"to":"{feed}","data":"0xfeaf968c"}},"latest"]"#),
    )?;
    let reply: serde_json::Value = serde_json::from_str(&round).map_err(|e| e.to_string())?;
    let words = reply["result"]
        .as_str()
        .unwrap_or_default()
        .trim_start_matches("0x");
    let answer = words.get(64..128).ok_or("latestRoundData answered short")?;
    // Anyone may call the test feed's `setAnswer(int256)`, which stamps the current block;
    // anvil's account #0 is funded on every local chain.
    rpc(
        url,
        "eth_sendTransaction",
        &format!(
            r#"[{{"from":"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266","to":"{feed}","data":"0x99213cd8{answer}"}}]"#
        ),
    )?;
    Ok(())
}

fn rpc(url: &str, method: &str, params: &str) -> Result<String> {
    let body = format!(r#"{{"jsonrpc":"2.0","id":1,"method":"{method}","params":{params}}}"#);
    match http(
        "POST",
        url,
        &[("content-type", "application/json")],
        Some(&body),
    )? {
        (200, text) if !text.contains("\"error\"") => Ok(text),
        (status, text) => Err(format!("{method} failed ({status}): {text}")),
    }
}

fn rpc_chain_id(url: &str) -> Option<String> {
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}"#;
    let (status, text) = http(
        "POST",
        url,
        &[("content-type", "application/json")],
        Some(body),
    )
    .ok()?;
    (status == 200).then_some(text)
}

/// wrangler.toml without `[build]` (the worker is already built) and with absolute paths,
/// so `wrangler dev` starts in seconds instead of rebuilding.
fn write_wrangler_config(dir: &Path) -> Result<PathBuf> {
    let text = std::fs::read_to_string(root().join("wrangler.toml"))
        .map_err(|e| format!("wrangler.toml: {e}"))?;
    let mut config: toml::Table = text.parse().map_err(|e| format!("wrangler.toml: {e}"))?;
    config.remove("build");
    let abs = |rel: &str| root().join(rel).to_string_lossy().into_owned();
    let main = config
        .get("main")
        .and_then(|v| v.as_str())
        .ok_or("wrangler.toml has no main")?
        .to_owned();
    config.insert("main".into(), abs(&main).into());
    if let Some(assets) = config.get_mut("assets").and_then(|a| a.as_table_mut()) {
        let d = assets
            .get("directory")
            .and_then(|v| v.as_str())
            .unwrap_or("www")
            .to_owned();
        assets.insert("directory".into(), abs(&d).into());
    }
    if let Some(dbs) = config
        .get_mut("d1_databases")
        .and_then(|d| d.as_array_mut())
    {
        for db in dbs.iter_mut().filter_map(|d| d.as_table_mut()) {
            let m = db
                .get("migrations_dir")
                .and_then(|v| v.as_str())
                .unwrap_or("migrations")
                .to_owned();
            db.insert("migrations_dir".into(), abs(&m).into());
        }
    }
    let path = dir.join("wrangler.toml");
    let body = toml::to_string(&config).map_err(|e| e.to_string())?;
    write(
        &path,
        &format!("# Generated by `cargo xtask` from wrangler.toml; do not edit.\n{body}"),
    )?;
    Ok(path)
}
