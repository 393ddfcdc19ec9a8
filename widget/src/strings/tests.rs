//! The catalogues in `www/i18n/`: complete in every locale, with the placeholders of English,
//! and English equal to the texts compiled into the widget.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use kasse_shared::locale::SUPPORTED;

use super::*;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../www/i18n")
}

fn catalogue(locale: &str) -> BTreeMap<String, String> {
    let path = dir().join(format!("{locale}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

fn placeholders(text: &str) -> BTreeSet<&str> {
    text.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .collect()
}

#[test]
fn english_is_the_compiled_in_texts() {
    let en = catalogue("en");
    for (key, text) in KEYS.iter().zip(EN) {
        assert_eq!(
            en.get(*key).map(String::as_str),
            Some(*text),
            "en.json {key}"
        );
    }
}

#[test]
fn every_locale_has_exactly_the_keys_and_placeholders_of_english() {
    let en = catalogue("en");
    let mut problems = Vec::new();
    for locale in SUPPORTED {
        let other = catalogue(locale);
        for key in en.keys().filter(|k| !other.contains_key(*k)) {
            problems.push(format!("{locale}: missing {key}"));
        }
        for key in other.keys().filter(|k| !en.contains_key(*k)) {
            problems.push(format!("{locale}: extra {key}"));
        }
        for (key, text) in &other {
            // A thousands separator may be a (no-break) space; every other text must show something.
            if text.is_empty() || (text.trim().is_empty() && key != "number_group") {
                problems.push(format!("{locale}: {key} is empty"));
            }
            if let Some(english) = en.get(key)
                && placeholders(english) != placeholders(text)
            {
                problems.push(format!(
                    "{locale}: {key} placeholders {:?}",
                    placeholders(text)
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn there_is_one_catalogue_per_supported_locale_and_no_other() {
    let mut files: Vec<String> = std::fs::read_dir(dir())
        .expect("www/i18n")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut expected: Vec<String> = SUPPORTED.iter().map(|l| format!("{l}.json")).collect();
    expected.sort();
    assert_eq!(files, expected);
}

#[test]
fn a_catalogue_reads_its_own_texts_and_english_for_a_key_it_lacks() {
    let german = Rc::new(Catalogue::new("de", |key| {
        (key == "pay_title").then(|| "Zum Bezahlen scannen".to_owned())
    }));
    install(&german);
    assert_eq!(PAY_TITLE.to_string(), "Zum Bezahlen scannen");
    assert_eq!(RETRY.text(), "Try again");
    install(&Rc::new(Catalogue::english()));
    assert_eq!(PAY_TITLE.to_string(), "Scan to pay");
}

#[test]
fn placeholders_are_filled_by_name_and_unknown_braces_stay() {
    assert_eq!(
        fill(
            "{amount} arrived on {chain}",
            &[("chain", "Base"), ("amount", "1 USDC")]
        ),
        "1 USDC arrived on Base"
    );
    assert_eq!(fill("a {b} c {", &[]), "a {b} c {");
    assert_eq!(ON_NETWORK.fill(&[("chain", "Ethereum")]), "on Ethereum");
}

#[test]
fn numbers_follow_the_locale_and_keep_every_digit() {
    install(&Rc::new(Catalogue::english()));
    assert_eq!(number("1234567.000001"), "1,234,567.000001");
    assert_eq!(number("49.99"), "49.99");
    assert_eq!(number("0.008334"), "0.008334");
    assert_eq!(number("100"), "100");
    let german = Rc::new(Catalogue::new("de", |key| match key {
        "number_decimal" => Some(",".into()),
        "number_group" => Some(".".into()),
        _ => None,
    }));
    install(&german);
    assert_eq!(number("1234.5"), "1.234,5");
    assert_eq!(money("49.99", "USDC"), "49,99 USDC");
    // Not a plain decimal: shown as it came.
    assert_eq!(number("-1.5"), "-1.5");
    install(&Rc::new(Catalogue::english()));
}

#[test]
fn a_refused_selection_says_why_when_the_shopper_can_act_on_it() {
    assert_eq!(select_refused(ErrorCode::SelectionLocked), SELECT_LOCKED);
    assert_eq!(
        select_refused(ErrorCode::OptionUnavailable),
        SELECT_UNAVAILABLE
    );
    assert_eq!(select_refused(ErrorCode::SessionClosed), SELECT_CLOSED);
    for code in [
        ErrorCode::RateLimited,
        ErrorCode::SessionChanged,
        ErrorCode::ParameterInvalid,
        ErrorCode::InternalError,
        ErrorCode::Unknown,
    ] {
        assert_eq!(select_refused(code), SELECT_FAILED, "{code}");
    }
}
