//! `cargo xtask test`: every suite, one summary line, non-zero on any failure.
//!
//! Suites: host unit tests (cargo test), the build, the end-to-end suite against real
//! anvil + real workerd, the browser suite in headless Chromium, `wrangler deploy --dry-run`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use crate::build;
use crate::setup;
use crate::stack::{self, Stack};
use crate::util::{Result, cmd, node_bin, root, step};

#[derive(Default)]
struct Tally {
    passed: u64,
    failed: u64,
    lines: Vec<String>,
}

impl Tally {
    fn record(&mut self, suite: &str, started: Instant, outcome: Result<(u64, u64)>) {
        let secs = started.elapsed().as_secs();
        match outcome {
            Ok((passed, failed)) => {
                self.passed += passed;
                self.failed += failed;
                let mark = if failed == 0 { "ok  " } else { "FAIL" };
                self.lines.push(format!(
                    "  {mark} {suite:<10} {passed} passed, {failed} failed ({secs}s)"
                ));
            }
            Err(e) => {
                self.failed += 1;
                self.lines.push(format!("  FAIL {suite:<10} {e} ({secs}s)"));
            }
        }
    }
}

pub(crate) fn run() -> ExitCode {
    let mut tally = Tally::default();
    let started = Instant::now();
    if let Err(e) = setup::ensure(&setup::Needs { browser: true }) {
        tally.record("setup", started, Err(e));
        return finish(&tally);
    }

    let t = Instant::now();
    step("Suite: host unit tests (cargo test)");
    tally.record(
        "unit",
        t,
        counted(
            cmd("cargo").args(["test", "--workspace", "--color", "never"]),
            parse_cargo,
        ),
    );

    let t = Instant::now();
    match build::all()
        .and_then(|()| crate::util::run(cmd("cargo").args(["build", "-p", "kasse-cli"])))
    {
        Ok(()) => tally.record("build", t, Ok((1, 0))),
        Err(e) => {
            tally.record("build", t, Err(e));
            return finish(&tally);
        }
    }

    let t = Instant::now();
    let stack = match Stack::start(&stack::TEST) {
        Ok(stack) => stack,
        Err(e) => {
            tally.record("stack", t, Err(e));
            return finish(&tally);
        }
    };
    let env_file = stack.dir.join("env.json");
    let mut node_tests = 0;
    for suite in ["e2e", "browser"] {
        let t = Instant::now();
        step(&format!("Suite: {suite} (node --test tests/{suite})"));
        let outcome = node_suite(&root().join("tests").join(suite), &env_file);
        if let Ok((passed, failed)) = outcome {
            node_tests += passed + failed;
        }
        tally.record(suite, t, outcome);
    }
    let fuzz_selected = std::env::var("KASSE_TEST_FILTER")
        .map_or(true, |f| f.split(',').any(|w| w.trim() == "fuzz"));
    if fuzz_selected {
        let t = Instant::now();
        step("Suite: fuzz (schemathesis --checks all against the running worker)");
        let outcome = schemathesis(&stack);
        if outcome.is_ok() {
            node_tests += 1;
        }
        tally.record("fuzz", t, outcome);
    }
    if let (Ok(filter), 0) = (std::env::var("KASSE_TEST_FILTER"), node_tests) {
        // A mistyped filter must not pass for a green run.
        let message = format!("KASSE_TEST_FILTER={filter} matched no test file");
        tally.record("filter", Instant::now(), Err(message));
    }
    drop(stack);

    let t = Instant::now();
    step("Suite: wrangler deploy --dry-run");
    let mut dry_run = cmd(node_bin("wrangler"));
    dry_run.args(["deploy", "--dry-run", "--outdir", ".kasse/dry-run"]);
    build::worker_build_env(&mut dry_run);
    tally.record("deploy", t, crate::util::run(&mut dry_run).map(|()| (1, 0)));

    finish(&tally)
}

/// Schemathesis with every check against the worker, with the demo account's secret key
/// (the other suites are done with it). A fixed seed keeps CI repeatable; the number of
/// examples keeps the suite near a minute.
fn schemathesis(stack: &Stack) -> Result<(u64, u64)> {
    let key = stack.info["demo"]["secret_key"]
        .as_str()
        .ok_or("the stack has no demo key")?;
    let url = stack.base_url();
    let log = stack.dir.join("schemathesis.log");
    let out = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    let status = cmd(setup::schemathesis_bin())
        .current_dir(root())
        .args([
            "--config-file",
            "tests/schemathesis.toml",
            "run",
            "www/openapi.json",
        ])
        .args([
            "--url",
            &url,
            "--checks",
            "all",
            "--max-examples",
            "30",
            "--seed",
            "1",
        ])
        .args(["-H", &format!("Authorization: Bearer {key}")])
        .env("NO_COLOR", "1")
        .stdout(out)
        .stderr(err)
        .status()
        .map_err(|e| format!("schemathesis: {e}"))?;
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let summary = text
        .lines()
        .rev()
        .find(|l| l.contains(" in ") && (l.contains("passed") || l.contains("failure")))
        .unwrap_or("")
        .trim_matches(|c| c == '=' || c == ' ');
    eprintln!("    {summary}");
    if status.success() {
        Ok((1, 0))
    } else {
        Err(format!("{summary}; see {}", log.display()))
    }
}

fn finish(tally: &Tally) -> ExitCode {
    eprintln!();
    for line in &tally.lines {
        eprintln!("{line}");
    }
    // The one summary line, in the plain form CI reads.
    println!("summary: {} passed, {} failed", tally.passed, tally.failed);
    if tally.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn node_suite(dir: &Path, env_file: &Path) -> Result<(u64, u64)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".test.mjs"))
        // While iterating on one feature: KASSE_TEST_FILTER=native,reorg runs only the files
        // whose names contain one of the words.
        .filter(|p| {
            std::env::var("KASSE_TEST_FILTER").map_or(true, |f| {
                f.split(',')
                    .any(|word| p.to_string_lossy().contains(word.trim()))
            })
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return if std::env::var_os("KASSE_TEST_FILTER").is_some() {
            Ok((0, 0))
        } else {
            Err(format!("no *.test.mjs in {}", dir.display()))
        };
    }
    counted(
        cmd("node")
            .args(["--test", "--test-reporter=tap", "--test-concurrency=1"])
            .args(&files)
            .env("KASSE_ENV", env_file)
            .env("KASSE_CLI", kasse_cli()),
        parse_tap,
    )
}

/// The `kasse` binary the build step made, which the e2e suites run.
fn kasse_cli() -> std::path::PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| root().join("target"), std::path::PathBuf::from)
        .join("debug")
        .join("kasse")
}

/// Runs a test command, echoing its output, and counts passes and failures with `parse`.
/// A command that fails without any counted failure counts as one failure.
fn counted(c: &mut Command, parse: fn(&str, &mut (u64, u64))) -> Result<(u64, u64)> {
    let mut child = c
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawn: {e}"))?;
    let mut counts = (0, 0);
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out)
            .lines()
            .map_while(std::result::Result::ok)
        {
            println!("{line}");
            parse(&line, &mut counts);
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    if !status.success() && counts.1 == 0 {
        counts.1 = 1;
    }
    if counts == (0, 0) {
        return Err("ran no test".into());
    }
    Ok(counts)
}

/// `test result: ok. 12 passed; 0 failed; …`
fn parse_cargo(line: &str, counts: &mut (u64, u64)) {
    if let Some(rest) = line.strip_prefix("test result: ") {
        let number_before = |word: &str| {
            rest.split(';')
                .find_map(|part| {
                    part.trim()
                        .trim_start_matches("ok. ")
                        .trim_start_matches("FAILED. ")
                        .strip_suffix(word)
                })
                .and_then(|n| n.trim().parse::<u64>().ok())
                .unwrap_or(0)
        };
        counts.0 += number_before(" passed");
        counts.1 += number_before(" failed");
    }
}

/// TAP summary of node's test runner: `# pass 3` / `# fail 0`.
fn parse_tap(line: &str, counts: &mut (u64, u64)) {
    if let Some(n) = line
        .strip_prefix("# pass ")
        .and_then(|n| n.trim().parse::<u64>().ok())
    {
        counts.0 += n;
    } else if let Some(n) = line
        .strip_prefix("# fail ")
        .and_then(|n| n.trim().parse::<u64>().ok())
    {
        counts.1 += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cargo_results() {
        let mut c = (0, 0);
        parse_cargo(
            "test result: ok. 12 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s",
            &mut c,
        );
        parse_cargo("test result: FAILED. 3 passed; 2 failed; 0 ignored", &mut c);
        parse_cargo("running 12 tests", &mut c);
        assert_eq!(c, (15, 2));
    }

    #[test]
    fn parses_tap_summary() {
        let mut c = (0, 0);
        for line in ["# tests 5", "# pass 4", "# fail 1", "ok 1 - x"] {
            parse_tap(line, &mut c);
        }
        assert_eq!(c, (4, 1));
    }
}
