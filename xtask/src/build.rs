//! Builds the widget and the worker into what wrangler serves.

use std::path::PathBuf;

use crate::util::{Result, cargo_bin_dir, cmd, file_size, gzip_size, node_bin, root, run, step};

const WASM_TARGET: &str = "wasm32-unknown-unknown";

pub fn widget_wasm() -> PathBuf {
    root().join("www/pkg/kasse_widget_bg.wasm")
}

pub fn worker_wasm() -> PathBuf {
    root().join("worker/build/index_bg.wasm")
}

/// Yew widget → `www/pkg/` (wasm-bindgen `--target web`, then npm binaryen's `wasm-opt -Oz`).
pub fn widget() -> Result {
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
pub fn worker() -> Result {
    step("Building the worker");
    run(
        worker_build_env(&mut cmd(cargo_bin_dir().join("worker-build")))
            .arg("--release")
            .current_dir(root().join("worker")),
    )
}

/// The environment under which worker-build (also run by `wrangler deploy`) works offline.
pub fn worker_build_env(c: &mut std::process::Command) -> &mut std::process::Command {
    c.env("WASM_BINDGEN_BIN", cargo_bin_dir().join("wasm-bindgen"))
        .env("WASM_OPT_BIN", node_bin("wasm-opt"))
        .env("ESBUILD_BIN", node_bin("esbuild"))
}

pub fn all() -> Result {
    widget()?;
    worker()?;
    report_sizes()
}

pub fn report_sizes() -> Result {
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
