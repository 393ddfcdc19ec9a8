//! The languages a shopper can read Kasse in, and which one a shopper gets.
//!
//! The rule, everywhere a shopper reads something (widget, hosted page, link page, refund
//! page): the merchant's explicit choice wins (the mount option, else the session's
//! `locale`), else the first of the browser's languages Kasse speaks, else English.

/// Every locale with a catalogue (`www/i18n/{code}.json`), English first.
pub const SUPPORTED: [&str; 17] = [
    "en", "de", "fr", "es", "it", "pt-BR", "nl", "pl", "tr", "ru", "uk", "ja", "ko", "zh-CN", "vi",
    "id", "ar",
];

/// The locale every page falls back to, and the one the widget's bundle carries.
pub const DEFAULT: &str = "en";

/// The supported locale `tag` names exactly (case-insensitive), e.g. `pt-br` → `pt-BR`.
pub fn exact(tag: &str) -> Option<&'static str> {
    SUPPORTED
        .iter()
        .copied()
        .find(|code| code.eq_ignore_ascii_case(tag.trim()))
}

/// The supported locale that best serves a reader of the BCP 47 tag `tag`: the exact
/// locale, else the one for its language (`de-AT` → `de`, `pt-PT` → `pt-BR`,
/// `zh-TW` → `zh-CN`), else none.
pub fn matching(tag: &str) -> Option<&'static str> {
    let tag = tag.trim();
    if let Some(code) = exact(tag) {
        return Some(code);
    }
    let language = tag.split(['-', '_']).next()?;
    if language.is_empty() {
        return None;
    }
    SUPPORTED.iter().copied().find(|code| {
        code.split('-')
            .next()
            .is_some_and(|l| l.eq_ignore_ascii_case(language))
    })
}

/// The first of `preferences` (most preferred first) Kasse speaks.
pub fn negotiate<'a>(preferences: impl IntoIterator<Item = &'a str>) -> Option<&'static str> {
    preferences.into_iter().find_map(matching)
}

/// The languages of an `Accept-Language` header, most preferred first (by `q`, then order);
/// `*` and languages with `q=0` are left out.
pub fn accept_language(header: &str) -> Vec<&str> {
    let mut ranked: Vec<(u16, usize, &str)> = header
        .split(',')
        .enumerate()
        .filter_map(|(position, item)| {
            let mut parts = item.split(';');
            let tag = parts.next()?.trim();
            let quality = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1000), quality_per_mille)?;
            (!tag.is_empty() && tag != "*" && quality > 0).then_some((quality, position, tag))
        })
        .collect();
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    ranked.into_iter().map(|(_, _, tag)| tag).collect()
}

/// `q` in thousandths (`0.8` → 800), without floats; none when it is not a valid `q`.
fn quality_per_mille(q: &str) -> Option<u16> {
    let (whole, fraction) = q.trim().split_once('.').unwrap_or((q.trim(), ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = format!("{fraction:0<3}");
    let per_mille = match whole {
        "0" => digits.parse::<u16>().ok()?,
        "1" if digits == "000" => 1000,
        _ => return None,
    };
    Some(per_mille)
}

/// Whether `locale` is written right to left.
pub fn is_rtl(locale: &str) -> bool {
    locale == "ar"
}

/// A decimal as the API writes it (`1234567.5`) with a locale's thousands `group` and
/// decimal `point` (`1.234.567,5`), every digit kept. Anything else (a sign, an exponent)
/// comes back as it came: it is shown, never reworked.
pub fn write_number(decimal: &str, group: &str, point: &str) -> String {
    let (whole, fraction) = decimal.split_once('.').unwrap_or((decimal, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return decimal.to_owned();
    }
    let mut out = String::with_capacity(decimal.len() + 8);
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push_str(group);
        }
        out.push(digit);
    }
    if !fraction.is_empty() {
        out.push_str(point);
        out.push_str(fraction);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seventeen_locales_english_first_and_arabic_right_to_left() {
        assert_eq!(SUPPORTED.len(), 17);
        assert_eq!(SUPPORTED[0], DEFAULT);
        let rtl: Vec<_> = SUPPORTED.iter().filter(|l| is_rtl(l)).collect();
        assert_eq!(rtl, [&"ar"]);
    }

    #[test]
    fn a_tag_matches_its_locale_else_its_language() {
        assert_eq!(matching("pt-br"), Some("pt-BR"));
        assert_eq!(matching("ZH-cn"), Some("zh-CN"));
        assert_eq!(matching("de-AT"), Some("de"));
        assert_eq!(matching("pt-PT"), Some("pt-BR"));
        assert_eq!(matching("zh-TW"), Some("zh-CN"));
        assert_eq!(matching("en_GB"), Some("en"));
        assert_eq!(matching("ar-EG"), Some("ar"));
        assert_eq!(matching("nb-NO"), None);
        assert_eq!(matching(""), None);
        assert_eq!(matching("-"), None);
        assert_eq!(exact("de-AT"), None);
    }

    #[test]
    fn numbers_are_grouped_by_thousands_and_keep_every_digit() {
        assert_eq!(write_number("1234567.000001", ",", "."), "1,234,567.000001");
        assert_eq!(write_number("1234.5", ".", ","), "1.234,5");
        assert_eq!(write_number("100", "\u{202f}", ","), "100");
        assert_eq!(write_number("1000", "\u{a0}", ","), "1\u{a0}000");
        assert_eq!(write_number("0.008334", ",", "."), "0.008334");
        assert_eq!(write_number("-1.5", ",", "."), "-1.5");
        assert_eq!(write_number(".5", ",", "."), ".5");
    }

    #[test]
    fn the_first_spoken_preference_wins() {
        assert_eq!(negotiate(["nb", "sv-SE", "de-DE", "en"]), Some("de"));
        assert_eq!(negotiate(["nb"]), None);
        assert_eq!(negotiate([]), None);
    }

    #[test]
    fn accept_language_is_ranked_by_quality_then_order() {
        assert_eq!(
            accept_language("fr;q=0.5, de-CH, en;q=0.9, *;q=0.1, ja;q=0"),
            ["de-CH", "en", "fr"]
        );
        assert_eq!(accept_language("de"), ["de"]);
        assert_eq!(accept_language(""), Vec::<&str>::new());
        // A malformed q drops that language, not the header.
        assert_eq!(accept_language("de;q=2, fr;q=0.x, it"), ["it"]);
        assert_eq!(
            negotiate(accept_language("nb-NO,nb;q=0.9,de;q=0.8")),
            Some("de")
        );
    }
}
