//! Builds the widget, the console and the worker into what wrangler serves.

use std::path::PathBuf;

use crate::util::{Result, cargo_bin_dir, cmd, file_size, gzip_size, node_bin, root, run, step};

const WASM_TARGET: &str = "wasm32-unknown-unknown";

pub(crate) fn widget_wasm() -> PathBuf {
    root().join("www/pkg/kasse_widget_bg.wasm")
}

pub(crate) fn console_wasm() -> PathBuf {
    root().join("www/pkg/console/kasse_console_bg.wasm")
}

pub(crate) fn worker_wasm() -> PathBuf {
    root().join("worker/build/index_bg.wasm")
}

/// Inputs of every wasm build: when none of a build's inputs is newer than its output, the
/// build is skipped (cargo would be a no-op, but wasm-bindgen and wasm-opt take seconds every
/// time). The shared crate embeds `chains.json`.
const COMMON_INPUTS: &[&str] = &["Cargo.toml", "Cargo.lock", "chains.json", "shared"];
const WORKER_INPUTS: &[&str] = &["worker/src", "worker/Cargo.toml"];
const WIDGET_INPUTS: &[&str] = &["widget"];
const CONSOLE_INPUTS: &[&str] = &["console"];

fn newest_mtime(path: &std::path::Path) -> Option<std::time::SystemTime> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.is_dir() {
        std::fs::read_dir(path)
            .ok()?
            .filter_map(|e| e.ok())
            .filter_map(|e| newest_mtime(&e.path()))
            .max()
    } else {
        meta.modified().ok()
    }
}

fn up_to_date(output: &std::path::Path, inputs: &[&str]) -> bool {
    let Some(built) = std::fs::metadata(output).and_then(|m| m.modified()).ok() else {
        return false;
    };
    COMMON_INPUTS
        .iter()
        .chain(inputs)
        .filter_map(|p| newest_mtime(&root().join(p)))
        .all(|t| t <= built)
}

/// Yew widget → `www/pkg/`.
pub(crate) fn widget() -> Result {
    if up_to_date(&widget_wasm(), WIDGET_INPUTS) {
        step("Widget is up to date");
        return Ok(());
    }
    step("Building the widget");
    yew_app("kasse-widget", WIDGET_PROFILE, &widget_wasm())
}

/// Yew merchant console → `www/pkg/console/` (its own bundle, loaded by `www/console.js`).
pub(crate) fn console() -> Result {
    if up_to_date(&console_wasm(), CONSOLE_INPUTS) {
        step("Console is up to date");
        return Ok(());
    }
    step("Building the console");
    yew_app("kasse-console", "release", &console_wasm())
}

/// The Cargo profile of the widget: every crate in it optimised for size, since a shopper
/// downloads it on a phone before they can pay (the release profile keeps speed for the
/// dependencies of the worker).
const WIDGET_PROFILE: &str = "widget";

/// One Yew crate → `wasm` and its glue beside it (wasm-bindgen `--target web`, then npm
/// binaryen's `wasm-opt -Oz`).
fn yew_app(package: &str, profile: &str, wasm: &std::path::Path) -> Result {
    run(cmd("cargo").args([
        "build",
        "--quiet",
        "--profile",
        profile,
        "--package",
        package,
        "--target",
        WASM_TARGET,
    ]))?;
    let raw = root()
        .join("target")
        .join(WASM_TARGET)
        .join(profile)
        .join(format!("{}.wasm", package.replace('-', "_")));
    let out = wasm.parent().ok_or("the wasm output has no directory")?;
    run(cmd(cargo_bin_dir().join("wasm-bindgen"))
        .args(["--target", "web", "--out-dir"])
        .arg(out)
        .arg(&raw))?;
    run(cmd(node_bin("wasm-opt"))
        .args([
            "-Oz",
            "--converge",
            "--strip-producers",
            "--strip-target-features",
        ])
        .arg(wasm)
        .arg("-o")
        .arg(wasm))
}

/// Rust worker → `worker/build/` through worker-build, with every binary it would
/// otherwise download pointed at one installed here.
pub(crate) fn worker() -> Result {
    if up_to_date(&worker_wasm(), WORKER_INPUTS)
        && root().join("worker/build/worker/shim.mjs").exists()
    {
        step("Worker is up to date");
        return Ok(());
    }
    step("Building the worker");
    run(
        worker_build_env(&mut cmd(cargo_bin_dir().join("worker-build")))
            .arg("--release")
            .current_dir(root().join("worker")),
    )
}

/// The environment under which worker-build (also run by `wrangler deploy`) works offline.
pub(crate) fn worker_build_env(c: &mut std::process::Command) -> &mut std::process::Command {
    c.env("WASM_BINDGEN_BIN", cargo_bin_dir().join("wasm-bindgen"))
        .env("WASM_OPT_BIN", node_bin("wasm-opt"))
        .env("ESBUILD_BIN", node_bin("esbuild"))
}

pub(crate) fn all() -> Result {
    widget()?;
    console()?;
    worker()?;
    report_sizes()
}

pub(crate) fn report_sizes() -> Result {
    for (name, path) in [
        ("widget wasm", widget_wasm()),
        ("console wasm", console_wasm()),
        ("worker wasm", worker_wasm()),
    ] {
        let (raw, gz) = (file_size(&path)?, gzip_size(&path)?);
        eprintln!("    {name}: {} raw, {} gzip", kib(raw), kib(gz));
    }
    Ok(())
}

fn kib(bytes: u64) -> String {
    format!("{}.{} KiB", bytes / 1024, bytes % 1024 * 10 / 1024)
}
