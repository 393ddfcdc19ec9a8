//! Token amounts as the API writes them: base units, an integer string of any size. They
//! are added digit by digit, exactly, and formatted with the token's decimals; never read
//! into a float or a fixed-width integer.

/// An amount in base units: one or more ASCII digits.
pub fn is_base_units(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// `a + b`, both in base units; `None` when either is not.
pub fn add(a: &str, b: &str) -> Option<String> {
    if !is_base_units(a) || !is_base_units(b) {
        return None;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut digits = Vec::with_capacity(a.len().max(b.len()) + 1);
    let mut carry = 0;
    for i in 0..a.len().max(b.len()) {
        let digit = |n: &[u8]| n.len().checked_sub(i + 1).map_or(0, |at| n[at] - b'0');
        let total = digit(a) + digit(b) + carry;
        digits.push(b'0' + total % 10);
        carry = total / 10;
    }
    if carry > 0 {
        digits.push(b'0' + carry);
    }
    while digits.len() > 1 && digits.last() == Some(&b'0') {
        digits.pop();
    }
    digits.reverse();
    String::from_utf8(digits).ok()
}

/// `a - b`, both in base units; `None` when either is not, or when `b` is more than `a`.
pub fn sub(a: &str, b: &str) -> Option<String> {
    if !is_base_units(a) || !is_base_units(b) {
        return None;
    }
    let (a, b) = (trimmed(a).as_bytes(), trimmed(b).as_bytes());
    if b.len() > a.len() || (b.len() == a.len() && b > a) {
        return None;
    }
    let mut digits = Vec::with_capacity(a.len());
    let mut borrow = 0;
    for i in 0..a.len() {
        let digit = |n: &[u8]| n.len().checked_sub(i + 1).map_or(0, |at| n[at] - b'0');
        let (top, bottom) = (digit(a), digit(b) + borrow);
        let (value, next) = if top >= bottom {
            (top - bottom, 0)
        } else {
            (top + 10 - bottom, 1)
        };
        digits.push(b'0' + value);
        borrow = next;
    }
    while digits.len() > 1 && digits.last() == Some(&b'0') {
        digits.pop();
    }
    digits.reverse();
    String::from_utf8(digits).ok()
}

/// Whether `a` is more than `b`, both in base units (false when either is not).
pub fn exceeds(a: &str, b: &str) -> bool {
    is_base_units(a) && is_base_units(b) && sub(b, a).is_none()
}

/// The digits without leading zeros (`"0"` for zero).
fn trimmed(base_units: &str) -> &str {
    match base_units.trim_start_matches('0') {
        "" => "0",
        digits => digits,
    }
}

/// Whole tokens as the merchant types them (`"1.5"`, `"0.000001"`, `"2"`) in base units of
/// a token with `decimals`; `None` for anything else, including more decimal places than
/// the token has (rounding would change what is sent).
pub fn parse_units(text: &str, decimals: u8) -> Option<String> {
    let text = text.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !digits(whole) || !digits(fraction) {
        return None;
    }
    let fraction = fraction.trim_end_matches('0');
    let places = usize::from(decimals);
    if fraction.len() > places {
        return None;
    }
    let units = format!("{whole}{fraction:0<places$}");
    Some(trimmed(&units).to_owned())
}

/// Base units in whole tokens, exactly, as the API formats them: `"1500000"` with 6
/// decimals is `"1.5"`; no trailing zeros, no point for a whole number.
pub fn format_units(base_units: &str, decimals: u8) -> Option<String> {
    if !is_base_units(base_units) {
        return None;
    }
    let digits = trimmed(base_units);
    let decimals = usize::from(decimals);
    if decimals == 0 {
        return Some(digits.to_owned());
    }
    let padded = format!("{digits:0>width$}", width = decimals + 1);
    let (whole, fraction) = padded.split_at(padded.len() - decimals);
    let fraction = fraction.trim_end_matches('0');
    Some(if fraction.is_empty() {
        whole.to_owned()
    } else {
        format!("{whole}.{fraction}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adding_carries_across_every_digit() {
        assert_eq!(add("0", "0").as_deref(), Some("0"));
        assert_eq!(add("1", "9").as_deref(), Some("10"));
        assert_eq!(add("999999", "1").as_deref(), Some("1000000"));
        assert_eq!(add("49990000", "10").as_deref(), Some("49990010"));
        assert_eq!(
            add("007", "3").as_deref(),
            Some("10"),
            "leading zeros fold away"
        );
    }

    #[test]
    fn sums_go_past_every_machine_integer() {
        // 2^256 − 1 twice: beyond u128 and f64's exact range alike.
        let max = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
        assert_eq!(
            add(max, max).as_deref(),
            Some("231584178474632390847141970017375815706539969331281128078915168015826259279870")
        );
        // 0.1 ETH ten times is exactly 1 ETH (a float would drift).
        let tenth = "100000000000000000";
        assert_eq!(sum([tenth; 10]).as_deref(), Some("1000000000000000000"));
    }

    /// The exact sum of amounts in base units, as the overview adds them up.
    fn sum<'a>(amounts: impl IntoIterator<Item = &'a str>) -> Option<String> {
        amounts
            .into_iter()
            .try_fold("0".to_owned(), |total, amount| add(&total, amount))
    }

    #[test]
    fn a_sum_refuses_anything_but_base_units() {
        assert_eq!(sum([]).as_deref(), Some("0"));
        assert_eq!(sum(["1", "2", "3"]).as_deref(), Some("6"));
        assert_eq!(sum(["1", "1.5"]), None);
        assert_eq!(sum(["1", "-1"]), None);
        assert_eq!(sum(["1", ""]), None);
        assert_eq!(add(" 1", "1"), None);
    }

    #[test]
    fn formatting_places_the_point_exactly() {
        assert_eq!(format_units("1500000", 6).as_deref(), Some("1.5"));
        assert_eq!(format_units("49990000", 6).as_deref(), Some("49.99"));
        assert_eq!(format_units("1", 6).as_deref(), Some("0.000001"));
        assert_eq!(format_units("0", 6).as_deref(), Some("0"));
        assert_eq!(format_units("1000000", 6).as_deref(), Some("1"));
        assert_eq!(format_units("123", 0).as_deref(), Some("123"));
        assert_eq!(format_units("000123", 2).as_deref(), Some("1.23"));
        assert_eq!(
            format_units("1000000000000000001", 18).as_deref(),
            Some("1.000000000000000001")
        );
        assert_eq!(format_units("12a", 2), None);
    }

    #[test]
    fn a_formatted_sum_equals_the_sum_of_the_rows() {
        let rows = ["49990000", "10000", "1"];
        let total = sum(rows).expect("base units");
        assert_eq!(total, "50000001");
        assert_eq!(format_units(&total, 6).as_deref(), Some("50.000001"));
    }
    #[test]
    fn subtracting_borrows_and_refuses_to_go_below_zero() {
        assert_eq!(sub("10", "1").as_deref(), Some("9"));
        assert_eq!(sub("1000000", "1").as_deref(), Some("999999"));
        assert_eq!(sub("49990000", "49990000").as_deref(), Some("0"));
        assert_eq!(
            sub("0050", "7").as_deref(),
            Some("43"),
            "leading zeros fold away"
        );
        assert_eq!(sub("1", "2"), None);
        assert_eq!(sub("99", "100"), None);
        assert_eq!(sub("1", "x"), None);
        let max = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
        assert_eq!(
            sub(
                max,
                "115792089237316195423570985008687907853269984665640564039457584007913129639934"
            )
            .as_deref(),
            Some("1")
        );
        assert!(exceeds("50000001", "50000000"));
        assert!(!exceeds("50000000", "50000000"));
        assert!(!exceeds("7", "010"));
    }

    #[test]
    fn typed_amounts_become_exact_base_units_or_nothing() {
        assert_eq!(parse_units("1.5", 6).as_deref(), Some("1500000"));
        assert_eq!(parse_units(" 0.000001 ", 6).as_deref(), Some("1"));
        assert_eq!(parse_units("2", 6).as_deref(), Some("2000000"));
        assert_eq!(parse_units(".5", 6).as_deref(), Some("500000"));
        assert_eq!(parse_units("3.", 0).as_deref(), Some("3"));
        assert_eq!(
            parse_units("0.10", 1).as_deref(),
            Some("1"),
            "trailing zeros are not places"
        );
        assert_eq!(
            parse_units("1.000000000000000001", 18).as_deref(),
            Some("1000000000000000001")
        );
        assert_eq!(parse_units("0", 6).as_deref(), Some("0"));
        assert_eq!(
            parse_units("0.0000001", 6),
            None,
            "more places than the token has"
        );
        for bad in ["", ".", "1,5", "-1", "1e6", "1.2.3", "+1", "0x10"] {
            assert_eq!(parse_units(bad, 6), None, "{bad}");
        }
    }
}
