//! Installs whatever the commands need and is missing. Every check is cheap, so a second
//! run costs a few hundred milliseconds; nothing is installed twice.

use std::path::Path;

use crate::util::{Result, cargo_bin_dir, cmd, probe, root, run, step};

/// worker-build must match the `worker` crate's minor version (0.8 here).
const WORKER_BUILD_VERSION: &str = "0.8.7";
/// wrangler 4.86 is the last that runs on Node 20; newer needs Node 22.12.
const MIN_NODE: (u32, u32) = (20, 3);

pub(crate) struct Needs {
    /// Debian's Chromium, ChromeDriver and zbar (browser tests and QR decoding).
    pub browser: bool,
}

pub(crate) fn ensure(needs: &Needs) -> Result {
    ensure_wasm_target()?;
    ensure_node()?;
    ensure_npm_packages()?;
    ensure_cargo_tool(
        "worker-build",
        "worker-build",
        WORKER_BUILD_VERSION,
        &["--locked"],
    )?;
    // Without --locked: with it, one dependency is missing from the crates mirror.
    ensure_cargo_tool(
        "wasm-bindgen",
        "wasm-bindgen-cli",
        &locked_wasm_bindgen()?,
        &[],
    )?;
    if needs.browser {
        ensure_debian(&[
            ("chromium", "chromium"),
            ("chromedriver", "chromium-driver"),
            ("zbarimg", "zbar-tools"),
        ])?;
        ensure_schemathesis()?;
    }
    Ok(())
}

/// PyPI's schemathesis, pinned, in its own virtualenv under `.kasse/`.
pub(crate) const SCHEMATHESIS_VERSION: &str = "4.32.5";

pub(crate) fn schemathesis_bin() -> std::path::PathBuf {
    root().join(".kasse/venv/bin/schemathesis")
}

/// PyPI's `standardwebhooks`, the Python verifier merchants use (the e2e suite checks a
/// delivery with it, as the README's Python snippet does).
pub(crate) const STANDARDWEBHOOKS_PY_VERSION: &str = "1.1.0";

pub(crate) fn venv_python() -> std::path::PathBuf {
    root().join(".kasse/venv/bin/python")
}

fn ensure_schemathesis() -> Result {
    let wanted = format!("version {SCHEMATHESIS_VERSION}");
    let verifier = format!(
        "import importlib.metadata as m; assert m.version('standardwebhooks') == '{STANDARDWEBHOOKS_PY_VERSION}'"
    );
    if probe(schemathesis_bin(), &["--version"]).is_some_and(|v| v.contains(&wanted))
        && probe(venv_python(), &["-c", &verifier]).is_some()
    {
        return Ok(());
    }
    // Debian splits venv (and so pip inside a venv) out of python3.
    if probe("python3", &["-c", "import ensurepip, venv"]).is_none() {
        ensure_debian_packages(&["python3", "python3-venv"])?;
    }
    step(&format!(
        "Installing schemathesis {SCHEMATHESIS_VERSION} and standardwebhooks {STANDARDWEBHOOKS_PY_VERSION} (PyPI) into .kasse/venv"
    ));
    let venv = root().join(".kasse/venv");
    run(cmd("python3").arg("-m").arg("venv").arg(&venv))?;
    run(cmd(venv.join("bin/pip")).args([
        "install",
        "--quiet",
        "--disable-pip-version-check",
        &format!("schemathesis=={SCHEMATHESIS_VERSION}"),
        &format!("standardwebhooks=={STANDARDWEBHOOKS_PY_VERSION}"),
    ]))
}

fn ensure_wasm_target() -> Result {
    let installed = probe("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if installed
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        return Ok(());
    }
    step("Adding the wasm32-unknown-unknown Rust target");
    run(cmd("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
}

fn ensure_node() -> Result {
    let version = probe("node", &["--version"])
        .ok_or("Node.js is not installed; install Node 20.3 or newer")?;
    let mut parts = version
        .trim_start_matches('v')
        .split('.')
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    if (major, minor) < MIN_NODE {
        return Err(format!(
            "Node {version} is too old; wrangler needs {}.{} or newer",
            MIN_NODE.0, MIN_NODE.1
        ));
    }
    Ok(())
}

/// `npm ci` when node_modules does not match package-lock.json.
fn ensure_npm_packages() -> Result {
    let lock = std::fs::read(root().join("package-lock.json"))
        .map_err(|e| format!("package-lock.json: {e}"))?;
    let stamp_path = root().join("node_modules/.kasse-lock-stamp");
    let stamp = format!("{:016x}", fnv1a(&lock));
    if std::fs::read_to_string(&stamp_path).is_ok_and(|s| s == stamp) {
        return Ok(());
    }
    step("Installing npm packages (npm ci)");
    run(cmd("npm").args(["ci", "--no-audit", "--no-fund"]))?;
    std::fs::write(&stamp_path, stamp).map_err(|e| format!("{}: {e}", stamp_path.display()))
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The wasm-bindgen version in Cargo.lock: the CLI must equal it exactly.
pub(crate) fn locked_wasm_bindgen() -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock"))
        .map_err(|e| format!("Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\""
            && let Some(v) = lines.next().and_then(|l| l.strip_prefix("version = \""))
        {
            return Ok(v.trim_end_matches('"').to_owned());
        }
    }
    Err("Cargo.lock has no wasm-bindgen package".into())
}

fn ensure_cargo_tool(bin: &str, krate: &str, version: &str, extra: &[&str]) -> Result {
    let path = cargo_bin_dir().join(bin);
    let current = probe(&path, &["--version"]).unwrap_or_default();
    if current
        .split_whitespace()
        .any(|w| w.trim_start_matches('v') == version)
    {
        return Ok(());
    }
    step(&format!(
        "Installing {krate} {version} (cargo install; several minutes, once)"
    ));
    run(cmd("cargo")
        .args(["install", krate, "--version", version, "--force"])
        .args(extra))
}

/// Installs Debian packages whose command is missing.
pub(crate) fn ensure_debian(wanted: &[(&str, &str)]) -> Result {
    let missing: Vec<&str> = wanted
        .iter()
        .filter(|(bin, _)| !on_path(bin))
        .map(|(_, pkg)| *pkg)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    ensure_debian_packages(&missing)
}

fn ensure_debian_packages(missing: &[&str]) -> Result {
    step(&format!(
        "Installing Debian packages: {}",
        missing.join(" ")
    ));
    let sudo = if probe("id", &["-u"]).as_deref() == Some("0") {
        None
    } else {
        Some("sudo")
    };
    let apt = |args: &[&str]| {
        let mut c = match sudo {
            Some(s) => {
                let mut c = cmd(s);
                c.arg("apt-get");
                c
            }
            None => cmd("apt-get"),
        };
        c.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        run(&mut c)
    };
    apt(&["update", "-qq"])?;
    let mut args = vec!["install", "-y", "-qq"];
    args.extend(missing);
    apt(&args)
}

fn on_path(bin: &str) -> bool {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .any(|dir| is_file(&dir.join(bin)))
}

fn is_file(p: &Path) -> bool {
    p.is_file()
}
