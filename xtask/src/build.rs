//! Builds the widget, the console and the worker into what wrangler serves.

use std::path::PathBuf;

use crate::util::{
    Result, capture, cargo_bin_dir, cmd, file_size, gzip_size, node_bin, root, run, step,
};

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

/// Yew widget → `www/pkg/`, and its loader → `www/kasse.js`.
pub(crate) fn widget() -> Result {
    loader()?;
    if up_to_date(&widget_wasm(), WIDGET_INPUTS) {
        step("Widget is up to date");
        return Ok(());
    }
    step("Building the widget");
    yew_app("kasse-widget", WIDGET_PROFILE, &widget_wasm())
}

/// The loader merchants embed, `widget/kasse.js`, minified to `www/kasse.js` (esbuild, a
/// few milliseconds): shops load it on every page that shows a checkout.
fn loader() -> Result {
    run(cmd(node_bin("esbuild"))
        .arg(root().join("widget/kasse.js"))
        .args(["--minify", "--log-level=warning"])
        .arg(format!(
            "--outfile={}",
            root().join("www/kasse.js").display()
        )))
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

/// One Yew crate → `wasm` and its glue beside it: wasm-bindgen `--target web`, npm
/// binaryen's `wasm-opt -Oz`, short names between the two, the glue minified by esbuild.
fn yew_app(package: &str, profile: &str, wasm: &std::path::Path) -> Result {
    let mut build = cmd("cargo");
    build.args([
        "build",
        "--quiet",
        "--profile",
        profile,
        "--package",
        package,
        "--target",
        WASM_TARGET,
    ]);
    if profile == WIDGET_PROFILE {
        for_size(&mut build);
    }
    run(&mut build)?;
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
    // `--low-memory-unused`: rustc puts the stack first, so the lowest kilobyte of memory is
    // the bottom of a megabyte of stack, never reached; wasm-opt may then fold constant
    // offsets into addresses.
    run(cmd(node_bin("wasm-opt"))
        .args([
            "-Oz",
            "--converge",
            "--low-memory-unused",
            "--strip-producers",
        ])
        .arg(wasm)
        .arg("-o")
        .arg(wasm))?;
    let glue = wasm.with_file_name(format!("{}.js", package.replace('-', "_")));
    shorten_names(wasm, &glue)?;
    run(cmd(node_bin("esbuild"))
        .arg(&glue)
        .args([
            "--minify",
            "--format=esm",
            "--log-level=warning",
            "--allow-overwrite",
        ])
        .arg(format!("--outfile={}", glue.display())))
}

/// The widget's standard library rebuilt for size, and a panic that stops at once: a
/// shopper's browser never reads a panic message, and the message machinery, file paths
/// and `Debug` output were a tenth of the download. Stable rustc with its unstable flags
/// allowed for this one build: the toolchain stays pinned, and every flag here is one that
/// only changes what is left out.
fn for_size(build: &mut std::process::Command) {
    build
        .env("RUSTC_BOOTSTRAP", "1")
        .env(
            "RUSTFLAGS",
            [
                // RUSTFLAGS replaces the target's flags in `.cargo/config.toml`: repeated here.
                "--cfg getrandom_backend=\"wasm_js\"",
                "-Zunstable-options",
                "-Cpanic=immediate-abort",
                "-Zlocation-detail=none",
                "-Zfmt-debug=none",
            ]
            .join(" "),
        )
        .args([
            "-Zbuild-std=std,panic_abort",
            "-Zbuild-std-features=optimize_for_size",
        ]);
}

/// Renames the wasm's imports and exports to one or two letters, and the glue's uses of
/// them to match: wasm-bindgen's names carry a 16-digit hash each, which no compressor can
/// shrink, twice (once in the wasm, once in the glue).
fn shorten_names(wasm: &std::path::Path, glue: &std::path::Path) -> Result {
    let mapping = capture(
        cmd(node_bin("wasm-opt"))
            .arg(wasm)
            .args([
                "--minify-imports-and-exports-and-modules",
                "--strip-target-features",
                "-o",
            ])
            .arg(wasm),
    )?;
    let names: serde_json::Value = serde_json::Deserializer::from_str(&mapping)
        .into_iter()
        .next()
        .ok_or("wasm-opt printed no name mapping")?
        .map_err(|e| format!("wasm-opt's name mapping: {e}"))?;
    let text = std::fs::read_to_string(glue).map_err(|e| format!("{}: {e}", glue.display()))?;
    let text = rename_in_glue(&text, &names)?;
    std::fs::write(glue, text).map_err(|e| format!("{}: {e}", glue.display()))
}

/// The glue with the new names: each import's key in the imports object, its one module
/// (binaryen names every module `a`), and each `wasm.<export>`.
fn rename_in_glue(glue: &str, names: &serde_json::Value) -> Result<String> {
    let pairs = |key: &str| -> Result<Vec<(String, String)>> {
        names[key]
            .as_array()
            .ok_or("wasm-opt's mapping has no list of names")?
            .iter()
            .map(|entry| {
                let entry = entry.as_array().ok_or("a mapping entry is not a list")?;
                let text = |i: usize| entry.get(i).and_then(|v| v.as_str()).map(str::to_owned);
                match entry.len() {
                    3 => Ok((text(1).unwrap_or_default(), text(2).unwrap_or_default())),
                    _ => Ok((text(0).unwrap_or_default(), text(1).unwrap_or_default())),
                }
            })
            .collect()
    };
    let mut out = glue.to_owned();
    let modules: std::collections::BTreeSet<&str> = names["imports"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.get(0)?.as_str())
        .collect();
    for module in &modules {
        out = replace_once(&out, &format!("\"{module}\": import0"), "\"a\": import0")?;
    }
    let (imports, exports) = (pairs("imports")?, pairs("exports")?);
    // Renaming one after another is right only while no new name is also an old one.
    let new_names: std::collections::BTreeSet<&str> = imports
        .iter()
        .chain(&exports)
        .map(|(_, new)| new.as_str())
        .collect();
    if let Some((old, _)) = imports
        .iter()
        .chain(&exports)
        .find(|(old, _)| new_names.contains(old.as_str()))
    {
        return Err(format!("wasm-opt gave another name the short name `{old}`"));
    }
    for (old, new) in imports {
        out = replace_once(
            &out,
            &format!("{old}: function"),
            &format!("{new}: function"),
        )?;
    }
    for (old, new) in exports {
        out = replace_member(&out, &format!("wasm.{old}"), &format!("wasm.{new}"));
    }
    Ok(out)
}

fn replace_once(text: &str, old: &str, new: &str) -> Result<String> {
    match text.matches(old).count() {
        1 => Ok(text.replacen(old, new, 1)),
        n => Err(format!("the glue has `{old}` {n} times, not once")),
    }
}

/// Every `old` in `text` that is not the start of a longer name.
fn replace_member(text: &str, old: &str, new: &str) -> String {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(old) {
        let after = &rest[at + old.len()..];
        out.push_str(&rest[..at]);
        out.push_str(if after.starts_with(is_name) { old } else { new });
        rest = after;
    }
    out.push_str(rest);
    out
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

#[cfg(test)]
mod tests {
    use super::{rename_in_glue, replace_member};

    #[test]
    fn the_glue_takes_the_short_names_of_imports_module_and_exports() {
        let glue = r#"const import0 = {
        __wbg_focus_d5e2fdbdb56416f0: function(arg0) { arg0.focus(); },
        __wbg_focus_d5e2fdbdb56416f0_x: function(arg0) { wasm.invoke_true__1_(arg0); },
    };
    return { "./kasse_widget_bg.js": import0 };
    wasm.invoke_true_(1); wasm.invoke_true__1_(2); wasm.memory.buffer; export function mount() {}
    wasm.mount(); "#;
        let names = serde_json::json!({
            "imports": [
                ["./kasse_widget_bg.js", "__wbg_focus_d5e2fdbdb56416f0", "A"],
                ["./kasse_widget_bg.js", "__wbg_focus_d5e2fdbdb56416f0_x", "B"],
            ],
            "exports": [["invoke_true_", "a"], ["invoke_true__1_", "b"], ["memory", "c"], ["mount", "d"]],
        });
        let renamed = rename_in_glue(glue, &names).unwrap();
        assert!(
            renamed.contains("A: function(arg0) { arg0.focus(); }"),
            "{renamed}"
        );
        assert!(
            renamed.contains("B: function(arg0) { wasm.b(arg0); }"),
            "{renamed}"
        );
        assert!(renamed.contains(r#"{ "a": import0 }"#), "{renamed}");
        assert!(
            renamed.contains("wasm.a(1); wasm.b(2); wasm.c.buffer; export function mount() {}"),
            "{renamed}"
        );
        assert!(renamed.contains("wasm.d();"), "{renamed}");
        assert!(!renamed.contains("__wbg_"), "{renamed}");
    }

    #[test]
    fn a_name_is_replaced_only_where_it_ends() {
        assert_eq!(
            replace_member("wasm.f(); wasm.f_1(); wasm.f$;", "wasm.f", "wasm.z"),
            "wasm.z(); wasm.f_1(); wasm.f$;"
        );
    }

    #[test]
    fn an_import_the_glue_does_not_name_exactly_once_fails_the_build() {
        let names = serde_json::json!({
            "imports": [["./m.js", "__wbg_gone_1", "A"]],
            "exports": [],
        });
        let error = rename_in_glue(r#"{ "./m.js": import0 }"#, &names).unwrap_err();
        assert!(error.contains("__wbg_gone_1: function"), "{error}");
    }
}
