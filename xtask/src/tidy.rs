//! Tidy tests: the source tree's own rules, checked on every `cargo test`.
//!
//! They read the Rust sources as text (comments and string literals stripped), find the
//! `crate::…` and `super::…` paths each file names, and fail when a lower layer of the
//! worker names a higher one, when any two modules of a crate name each other (directly
//! or round a longer loop), when a route file names another route file, when a comment
//! points at documents that are not in the repository, or when a worker function grows
//! past 80 lines.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// What each top-level module of the worker may name besides itself and `kasse_shared`.
/// A module missing from this table may not exist: a new one must state its layer here.
const WORKER_LAYERS: &[(&str, &[&str])] = &[
    ("error", &[]),
    ("config", &["error", "chain"]),
    ("entropy", &[]),
    ("fetch", &["error"]),
    ("store", &["error", "config"]),
    ("chain", &["error", "fetch"]),
    ("outbox", &["store", "error", "config", "entropy"]),
    (
        "webhooks",
        &["store", "fetch", "outbox", "config", "error", "entropy"],
    ),
    (
        "checkout",
        &[
            "watch", "store", "chain", "outbox", "config", "entropy", "error",
        ],
    ),
    (
        "accounts",
        &["store", "chain", "outbox", "config", "entropy", "error"],
    ),
    (
        "watch",
        &[
            "chain", "store", "webhooks", "outbox", "config", "error", "entropy",
        ],
    ),
    ("http", &["store", "config", "error", "entropy", "outbox"]),
    (
        "routes",
        &[
            "http", "checkout", "accounts", "store", "outbox", "config", "error", "entropy",
            "chain", "webhooks",
        ],
    ),
];

/// How a comment cites the product spec or the user's seed documents, which live outside
/// the repository: a reader of the code cannot follow them. Spelled in pieces so that this
/// file does not match itself.
const CITATIONS: &[&str] = &[concat!("spec ", "§"), concat!("seed ", "00")];

/// The longest function the worker may hold, in lines from `fn` to its closing brace.
const MAX_FUNCTION_LINES: usize = 80;

#[test]
fn worker_layers_name_only_the_layers_below_them() {
    let files = sources("worker/src");
    let layers: BTreeMap<&str, &[&str]> = WORKER_LAYERS.iter().copied().collect();
    let mut wrong = Vec::new();
    for file in &files {
        let Some(from) = file.module.first() else {
            continue; // lib.rs wires everything together
        };
        let Some(allowed) = layers.get(from.as_str()) else {
            wrong.push(format!(
                "{}: module `{from}` has no layer in tidy.rs",
                file.path.display()
            ));
            continue;
        };
        for to in file.named_modules() {
            let top = &to[0];
            if top != from && !allowed.contains(&top.as_str()) {
                wrong.push(format!(
                    "{}: `{from}` names `crate::{}`",
                    file.path.display(),
                    to.join("::")
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "layer rules broken:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_two_modules_of_a_crate_name_each_other() {
    for root in ["worker/src", "shared/src", "widget/src", "console/src"] {
        let files = sources(root);
        let cycles = cycles(&files);
        assert!(
            cycles.is_empty(),
            "import cycles in {root}:\n{}",
            cycles.join("\n")
        );
    }
}

#[test]
fn route_files_do_not_name_each_other() {
    let files = sources("worker/src");
    let known: BTreeSet<Vec<String>> = files.iter().map(|f| f.module.clone()).collect();
    let mut wrong = Vec::new();
    for file in &files {
        if file.module.first().map(String::as_str) != Some("routes") || file.module.len() < 2 {
            continue;
        }
        for to in file.named_modules() {
            let to = longest_known(&known, &to);
            if to.len() > 1 && to[0] == "routes" && to[1] != file.module[1] {
                wrong.push(format!("{} names routes::{}", file.path.display(), to[1]));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn worker_functions_stay_under_80_lines() {
    let mut long = Vec::new();
    for file in sources("worker/src") {
        for (name, line, length) in functions(&file.code) {
            if length > MAX_FUNCTION_LINES {
                long.push(format!(
                    "{}:{line} `{name}` is {length} lines",
                    file.path.display()
                ));
            }
        }
    }
    assert!(
        long.is_empty(),
        "functions over {MAX_FUNCTION_LINES} lines:\n{}",
        long.join("\n")
    );
}

#[test]
fn comments_cite_no_document_outside_the_repository() {
    let mut found = Vec::new();
    for root in [
        "worker", "shared", "widget", "console", "cli", "xtask", "tests", "www", "examples",
    ] {
        for path in files_ending(
            &workspace().join(root),
            &["rs", "mjs", "js", "html", "py", "sql"],
        ) {
            let text = fs::read_to_string(&path).unwrap_or_default();
            for (n, line) in text.lines().enumerate() {
                let lower = line.to_lowercase();
                if CITATIONS.iter().any(|c| lower.contains(c)) {
                    let shown = path.strip_prefix(workspace()).unwrap_or(&path);
                    found.push(format!("{}:{}: {}", shown.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_scanner_reads_paths_groups_and_super() {
    let code = strip(
        "use crate::store::{Store, x};\nuse crate::{config, http::json};\n\
         // crate::routes in a comment\nlet s = \"crate::watch\";\nuse super::bind;\n",
    );
    let file = Source {
        path: PathBuf::from("worker/src/store/accounts.rs"),
        module: vec!["store".into(), "accounts".into()],
        code,
    };
    let named: BTreeSet<String> = file.named_modules().map(|m| m.join("::")).collect();
    let want: BTreeSet<String> = ["store", "config", "http::json", "store::bind"]
        .map(String::from)
        .into();
    assert_eq!(named, want);
    let lengths = functions(&strip(
        "fn a() {\n let x = '}';\n}\nfn b<'a>(s: &'a str) { }\n",
    ));
    assert_eq!(lengths, vec![("a".into(), 1, 3), ("b".into(), 4, 1)]);
}

#[test]
fn a_loop_between_siblings_or_top_modules_is_found_and_a_parent_naming_its_child_is_not() {
    let file = |path: &str, code: &str| Source {
        path: PathBuf::from(path),
        module: path.split('/').map(String::from).collect(),
        code: strip(code),
    };
    let files = [
        file("api/create", "use super::lines::x;"),
        file("api/lines", "use super::create::y;"),
        file("api", "use self::create; use crate::api::lines::z;"),
        file("store", "use crate::error::E;"),
        file("error", ""),
    ];
    assert_eq!(
        cycles(&files),
        vec!["api::create → api::lines → api::create"]
    );
    let files = [
        file("store", "use crate::watch::W;"),
        file("watch", "use crate::store::S;"),
    ];
    assert_eq!(cycles(&files), vec!["store → watch → store"]);
}

struct Source {
    path: PathBuf,
    /// The module this file defines, e.g. `["store", "accounts"]`; empty for the crate root.
    module: Vec<String>,
    /// The text without comments and string or char literals.
    code: String,
}

impl Source {
    /// Every module path this file names through `crate::` or `super::` outside its tests,
    /// as written (the first segments; item names are cut where the module path ends).
    fn named_modules(&self) -> impl Iterator<Item = Vec<String>> + '_ {
        let code = self.code.split("#[cfg(test)]").next().unwrap_or_default();
        let mut out = Vec::new();
        for (prefix, base) in [("crate::", Vec::new()), ("super::", self.parent())] {
            let mut rest = code;
            while let Some(at) = rest.find(prefix) {
                let before = rest[..at].chars().last();
                rest = &rest[at + prefix.len()..];
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                    continue;
                }
                for path in paths_at(rest) {
                    let mut full = base.clone();
                    full.extend(path);
                    if !full.is_empty() {
                        out.push(full);
                    }
                }
            }
        }
        out.into_iter()
    }

    fn parent(&self) -> Vec<String> {
        let mut parent = self.module.clone();
        parent.pop();
        parent
    }
}

/// The paths that start at `text`: `a::b` or a group `{a, b::c, d::{e, f}}`, each cut to
/// its lower-case segments (module names), at most two deep.
fn paths_at(text: &str) -> Vec<Vec<String>> {
    if let Some(group) = text.strip_prefix('{') {
        let mut depth = 0;
        let mut end = group.len();
        for (i, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => {
                    end = i;
                    break;
                }
                '}' => depth -= 1,
                _ => {}
            }
        }
        return split_top_level(&group[..end])
            .into_iter()
            .flat_map(|item| paths_at(item.trim()))
            .collect();
    }
    let mut segments = Vec::new();
    let mut rest = text;
    while segments.len() < 2 {
        let ident: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !ident.starts_with(|c: char| c.is_ascii_lowercase()) {
            break;
        }
        rest = &rest[ident.len()..];
        segments.push(ident);
        match rest.strip_prefix("::") {
            Some(after) => rest = after,
            None => break,
        }
    }
    if segments.is_empty() {
        Vec::new()
    } else {
        vec![segments]
    }
}

fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// The loops among a crate's modules, read at two levels: the top-level modules, and the
/// files that share a parent (`api::create` and `api::lines`). A parent naming its own
/// children is how Rust modules work and is not a loop.
fn cycles(files: &[Source]) -> Vec<String> {
    let known: BTreeSet<Vec<String>> = files.iter().map(|f| f.module.clone()).collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        for to in file.named_modules() {
            let to = longest_known(&known, &to);
            if let Some((a, b)) = level_edge(&file.module, &to) {
                edges.entry(a).or_default().insert(b);
            }
        }
    }
    let mut found = BTreeSet::new();
    for start in edges.keys() {
        let mut path = vec![start.clone()];
        walk(&edges, &mut path, &mut found);
    }
    found.into_iter().collect()
}

fn longest_known(known: &BTreeSet<Vec<String>>, path: &[String]) -> Vec<String> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|p| known.contains(p))
        .unwrap_or_else(|| path[..1].to_vec())
}

/// The edge between two modules at the level where they part: the top level, or siblings.
fn level_edge(from: &[String], to: &[String]) -> Option<(String, String)> {
    let shared = from.iter().zip(to).take_while(|(a, b)| a == b).count();
    if shared == from.len() || shared == to.len() {
        return None; // the same module, an ancestor or a descendant
    }
    let name = |m: &[String]| m[..=shared].join("::");
    Some((name(from), name(to)))
}

fn walk(
    edges: &BTreeMap<String, BTreeSet<String>>,
    path: &mut Vec<String>,
    found: &mut BTreeSet<String>,
) {
    let Some(last) = path.last().cloned() else {
        return;
    };
    for next in edges.get(&last).into_iter().flatten() {
        if let Some(i) = path.iter().position(|p| p == next) {
            let mut cycle = path[i..].to_vec();
            let min = cycle
                .iter()
                .enumerate()
                .min_by_key(|(_, m)| *m)
                .map_or(0, |(i, _)| i);
            cycle.rotate_left(min);
            cycle.push(cycle[0].clone());
            found.insert(cycle.join(" → "));
        } else if path.len() < 8 {
            path.push(next.clone());
            walk(edges, path, found);
            path.pop();
        }
    }
}

/// `(name, first line, length in lines)` of every `fn` with a body, in stripped code.
fn functions(code: &str) -> Vec<(String, usize, usize)> {
    let bytes = code.as_bytes();
    let mut out = Vec::new();
    let mut search = 0;
    while let Some(found) = code[search..].find("fn ") {
        let at = search + found;
        search = at + 3;
        let word_start =
            at == 0 || !(bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_');
        if !word_start {
            continue;
        }
        let name: String = code[at + 3..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        // The body opens at the first `{` before any `;` (a `;` first means no body).
        let Some(open) = code[at..].find(['{', ';']).map(|i| at + i) else {
            break;
        };
        if bytes[open] == b';' {
            continue;
        }
        let mut depth = 0usize;
        let mut close = open;
        for (i, b) in bytes[open..].iter().enumerate() {
            match b {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        close = open + i;
                        break;
                    }
                }
                _ => {}
            }
        }
        let first = code[..at].matches('\n').count() + 1;
        let last = code[..close].matches('\n').count() + 1;
        out.push((name, first, last - first + 1));
    }
    out
}

/// `text` with comments, string literals and char literals blanked (newlines kept, so
/// line numbers hold).
fn strip(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let blank = |out: &mut String, c: char| out.push(if c == '\n' { '\n' } else { ' ' });
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(&mut out, chars[i]);
                    i += 1;
                }
            }
        } else if c == 'r' && matches!(next, Some('#' | '"')) && !ident_before(&chars, i) {
            let hashes = chars[i + 1..].iter().take_while(|c| **c == '#').count();
            if chars.get(i + 1 + hashes) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            i += hashes + 2;
            let closing: String = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            while i < chars.len() && !chars[i..].starts_with(&closing.chars().collect::<Vec<_>>()) {
                blank(&mut out, chars[i]);
                i += 1;
            }
            i += closing.len();
            out.push_str("\"\"");
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                if let Some(&c) = chars.get(i) {
                    blank(&mut out, c);
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' && (next == Some('\\') || chars.get(i + 2) == Some(&'\'')) {
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("' '");
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Crates that hold, derive or sign with private keys. Only the merchant's CLI may use them:
/// the worker and everything a browser loads prepare and verify, and never sign.
const KEY_CRATES: &[&str] = &[
    "alloy-signer",
    "alloy-signer-local",
    "coins-bip32",
    "coins-bip39",
    "kasse-cli",
    "rpassword",
];
/// Types that are private keys or sign with one.
const KEY_TYPES: &[&str] = &[
    "XPrv",
    "SigningKey",
    "PrivateKeySigner",
    "LocalSigner",
    "MnemonicBuilder",
];

#[test]
fn the_worker_shared_widget_and_console_can_hold_no_private_key() {
    for package in [
        "kasse-worker",
        "kasse-shared",
        "kasse-widget",
        "kasse-console",
    ] {
        let out = std::process::Command::new(env!("CARGO"))
            .current_dir(workspace())
            .args([
                "tree", "-p", package, "-e", "normal", "--prefix", "none", "--target", "all",
            ])
            .output()
            .expect("cargo tree runs");
        assert!(
            out.status.success(),
            "cargo tree -p {package}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let tree = String::from_utf8_lossy(&out.stdout);
        let found: Vec<&str> = tree
            .lines()
            .filter_map(|line| line.split_whitespace().next())
            .filter(|name| KEY_CRATES.contains(name))
            .collect();
        assert!(found.is_empty(), "{package} depends on {found:?}");
    }
    let mut found = Vec::new();
    for root in ["worker", "shared", "widget", "console"] {
        for path in rust_files(&workspace().join(root)) {
            let text = strip(&fs::read_to_string(&path).unwrap_or_default());
            for name in KEY_TYPES.iter().filter(|name| text.contains(*name)) {
                found.push(format!("{}: {name}", path.display()));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

fn ident_before(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    files_ending(dir, &["rs"])
}

/// The files under `dir` with one of `extensions`, leaving out build output and packages.
fn files_ending(dir: &Path, extensions: &[&str]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return files;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() {
            if !matches!(
                name.to_str(),
                Some("node_modules" | "target" | "build" | "pkg")
            ) {
                files.extend(files_ending(&path, extensions));
            }
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| extensions.contains(&e))
        {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// The crate's modules, without the files that only hold unit tests (`tests.rs`).
fn sources(root: &str) -> Vec<Source> {
    let dir = workspace().join(root);
    rust_files(&dir)
        .into_iter()
        .filter(|path| path.file_name().is_none_or(|n| n != "tests.rs"))
        .map(|path| {
            let relative = path.strip_prefix(&dir).unwrap_or(&path);
            let shown = path
                .strip_prefix(workspace())
                .unwrap_or(&path)
                .to_path_buf();
            let mut module: Vec<String> = relative
                .with_extension("")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if matches!(
                module.last().map(String::as_str),
                Some("mod" | "lib" | "main")
            ) {
                module.pop();
            }
            let code = strip(&fs::read_to_string(&path).unwrap_or_default());
            Source {
                path: shown,
                module,
                code,
            }
        })
        .collect()
}
