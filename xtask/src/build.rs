//! Builds the widget and the worker into what wrangler serves.

use std::path::PathBuf;

use crate::util::{Result, cargo_bin_dir, cmd, file_size, gzip_size, node_bin, root, run, step};

const WASM_TARGET: &str = "wasm32-unknown-unknown";

pub(crate) fn widget_wasm() -> PathBuf {
    root().join("www/pkg/kasse_widget_bg.wasm")
}

pub(crate) fn worker_wasm() -> PathBuf {
    root().join("worker/build/index_bg.wasm")
}

/// Inputs of both wasm builds: when none is newer than an output, the build is skipped
/// (cargo would be a no-op, but wasm-bindgen and wasm-opt take seconds every time).
const INPUTS: &[&str] = &[
    "Cargo.toml",
    "Cargo.lock",
    "chains.json",
    "shared",
    "worker/src",
    "worker/Cargo.toml",
    "widget",
];

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

fn up_to_date(output: &std::path::Path) -> bool {
    let Some(built) = std::fs::metadata(output).and_then(|m| m.modified()).ok() else {
        return false;
    };
    INPUTS
        .iter()
        .filter_map(|p| newest_mtime(&root().join(p)))
        .all(|t| t <= built)
}

/// Yew widget → `www/pkg/` (wasm-bindgen `--target web`, then npm binaryen's `wasm-opt -Oz`).
pub(crate) fn widget() -> Result {
    if up_to_date(&widget_wasm()) {
        step("Widget is up to date");
        return Ok(());
    }
    step("Building the widget");
    run(cmd("cargo").args([
        "build",
        "--quiet",
        "--release",
        "--package",
        "kasse-widget",
        "--target",
        WASM_TARGET,
    ]))?;
    let raw = root()
        .join("target")
        .join(WASM_TARGET)
        .join("release/kasse_widget.wasm");
    let out = root().join("www/pkg");
    run(cmd(cargo_bin_dir().join("wasm-bindgen"))
        .args(["--target", "web", "--out-dir"])
        .arg(&out)
        .arg(&raw))?;
    let wasm = widget_wasm();
    run(cmd(node_bin("wasm-opt"))
        .arg("-Oz")
        .arg(&wasm)
        .arg("-o")
        .arg(&wasm))
}

/// Rust worker → `worker/build/` through worker-build, with every binary it would
/// otherwise download pointed at one installed here.
pub(crate) fn worker() -> Result {
    if up_to_date(&worker_wasm()) && root().join("worker/build/worker/shim.mjs").exists() {
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
    worker()?;
    report_sizes()
}

pub(crate) fn report_sizes() -> Result {
    for (name, path) in [
        ("widget wasm", widget_wasm()),
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
