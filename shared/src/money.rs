//! Money. Fiat is integer cents; token amounts are integer base units in `U256`.
//! There is no floating point anywhere on these paths, and every operation is checked.

use std::fmt;

use alloy_primitives::U256;

/// A USD amount in cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Cents(pub u64);

/// The largest session total: 999,999.99.
pub const MAX_TOTAL: Cents = Cents(99_999_999);
pub const MIN_TOTAL: Cents = Cents(1);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AmountError {
    /// Not a plain decimal string (signs, exponents, spaces, commas, …).
    Malformed,
    TooManyDecimals,
    TooLarge,
}

impl Cents {
    /// Parses a decimal string in currency units: `"49.99"`, `"5"`, `"0.5"`.
    /// No sign, exponent, whitespace or separators; at most 2 decimals.
    pub fn parse(s: &str) -> Result<Self, AmountError> {
        let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AmountError::Malformed);
        }
        if s.contains('.') && (frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit())) {
            return Err(AmountError::Malformed);
        }
        if frac.len() > 2 {
            return Err(AmountError::TooManyDecimals);
        }
        let whole = whole.trim_start_matches('0');
        if whole.len() > 15 {
            return Err(AmountError::TooLarge);
        }
        let units: u64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| AmountError::Malformed)?
        };
        let mut frac_cents: u64 = frac.parse().unwrap_or(0);
        if frac.len() == 1 {
            frac_cents *= 10;
        }
        units
            .checked_mul(100)
            .and_then(|c| c.checked_add(frac_cents))
            .map(Cents)
            .ok_or(AmountError::TooLarge)
    }
}

impl fmt::Display for Cents {
    /// Always two decimals: `49.99`, `5.00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

/// The exact stablecoin amount for `cents` at 1:1 with USD: `cents · 10^(decimals − 2)`.
/// `None` if the token has fewer than 2 decimals (it could not represent a cent) or on overflow.
pub fn stablecoin_amount(cents: Cents, decimals: u8) -> Option<U256> {
    let scale = U256::from(10u8).checked_pow(U256::from(decimals.checked_sub(2)?))?;
    U256::from(cents.0).checked_mul(scale)
}

/// Base units as a decimal string in whole tokens, without trailing zeros:
/// `49990000` at 6 decimals → `"49.99"`; `10^18` at 18 → `"1"`.
pub fn format_units(amount: U256, decimals: u8) -> String {
    let digits = amount.to_string();
    let decimals = usize::from(decimals);
    if decimals == 0 {
        return digits;
    }
    let padded = if digits.len() <= decimals {
        format!("{digits:0>width$}", width = decimals + 1)
    } else {
        digits
    };
    let (whole, frac) = padded.split_at(padded.len() - decimals);
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        whole.to_owned()
    } else {
        format!("{whole}.{frac}")
    }
}

/// Parses a decimal string in whole tokens (`"49.99"`) into base units, exactly:
/// the inverse of [`format_units`]. More fractional digits than `decimals` is an error,
/// never a rounding.
pub fn parse_units(s: &str, decimals: u8) -> Option<U256> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(frac) || (s.contains('.') && frac.is_empty()) {
        return None;
    }
    if frac.len() > usize::from(decimals) {
        return None;
    }
    let padded = format!("{whole}{frac:0<width$}", width = usize::from(decimals));
    parse_base_units(padded.trim_start_matches('0'))
        .or_else(|| padded.bytes().all(|b| b == b'0').then_some(U256::ZERO))
}

/// Parses a base-unit integer string (`"49990000"`). Rejects signs, spaces, hex and empties.
pub fn parse_base_units(s: &str) -> Option<U256> {
    if s.is_empty() || s.len() > 78 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    U256::from_str_radix(s, 10).ok()
}

/// On the wire and in storage: a decimal string with two decimals (`"49.99"`), never a number.
impl serde::Serialize for Cents {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Cents {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse(&s)
            .map_err(|e| serde::de::Error::custom(format!("not a 2-decimal amount ({e:?}): {s}")))
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    fn amount() -> impl Strategy<Value = U256> {
        // Up to ~2^128: far beyond any real payment, well inside U256.
        (any::<u128>(), 0u8..3).prop_map(|(n, shift)| U256::from(n) >> (u32::from(shift) * 40))
    }

    proptest! {
        #[test]
        fn format_then_parse_is_identity(a in amount(), decimals in 0u8..=18) {
            let text = format_units(a, decimals);
            prop_assert!(!text.contains('e') && !text.contains('E'));
            prop_assert_eq!(parse_units(&text, decimals), Some(a));
        }

        #[test]
        fn cents_round_trip(c in 0u64..=MAX_TOTAL.0) {
            prop_assert_eq!(Cents::parse(&Cents(c).to_string()), Ok(Cents(c)));
        }

        #[test]
        fn stablecoin_quotes_are_exact(c in 1u64..=MAX_TOTAL.0, decimals in 2u8..=18) {
            let amount = stablecoin_amount(Cents(c), decimals).expect("fits");
            // Back to cents with no remainder: nothing was rounded.
            let scale = U256::from(10u8).pow(U256::from(decimals - 2));
            prop_assert_eq!(amount % scale, U256::ZERO);
            prop_assert_eq!(amount / scale, U256::from(c));
            // And the token amount reads as the fiat amount.
            prop_assert_eq!(parse_units(&Cents(c).to_string(), decimals), Some(amount));
        }

        #[test]
        fn too_many_decimals_never_round(a in amount(), decimals in 0u8..=17) {
            let text = format_units(a, decimals);
            let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
            let one_digit_too_many = format!("{whole}.{frac:0<width$}1", width = usize::from(decimals));
            prop_assert_eq!(parse_units(&one_digit_too_many, decimals), None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_units_is_strict() {
        assert_eq!(parse_units("49.99", 6), Some(U256::from(49_990_000u64)));
        assert_eq!(parse_units("0", 6), Some(U256::ZERO));
        assert_eq!(parse_units("0.000001", 6), Some(U256::from(1u8)));
        for bad in ["", ".", "1.", ".5", "-1", "1e6", "0.0000001", " 1", "1,5"] {
            assert_eq!(parse_units(bad, 6), None, "{bad:?}");
        }
    }

    #[test]
    fn parses_plain_decimals() {
        assert_eq!(Cents::parse("49.99"), Ok(Cents(4999)));
        assert_eq!(Cents::parse("5"), Ok(Cents(500)));
        assert_eq!(Cents::parse("0.5"), Ok(Cents(50)));
        assert_eq!(Cents::parse("0.05"), Ok(Cents(5)));
        assert_eq!(Cents::parse("007.10"), Ok(Cents(710)));
        assert_eq!(Cents::parse("999999.99"), Ok(Cents(99_999_999)));
    }

    #[test]
    fn rejects_everything_else() {
        for bad in [
            "", ".", "1.", ".5", "-1", "+1", "1e3", " 1", "1 ", "1,00", "0x10", "1.2.3", "NaN", "١",
        ] {
            assert_eq!(Cents::parse(bad), Err(AmountError::Malformed), "{bad:?}");
        }
        assert_eq!(Cents::parse("1.999"), Err(AmountError::TooManyDecimals));
        assert_eq!(
            Cents::parse("1234567890123456789"),
            Err(AmountError::TooLarge)
        );
    }

    #[test]
    fn displays_two_decimals() {
        assert_eq!(Cents(4999).to_string(), "49.99");
        assert_eq!(Cents(500).to_string(), "5.00");
        assert_eq!(Cents(7).to_string(), "0.07");
    }

    #[test]
    fn stablecoin_amounts_are_exact() {
        assert_eq!(
            stablecoin_amount(Cents(4999), 6),
            Some(U256::from(49_990_000u64))
        );
        assert_eq!(
            stablecoin_amount(Cents(1), 18),
            Some(U256::from(10_000_000_000_000_000u64))
        );
        assert_eq!(
            stablecoin_amount(Cents(99_999_999), 2),
            Some(U256::from(99_999_999u64))
        );
        assert_eq!(stablecoin_amount(Cents(1), 1), None);
    }

    #[test]
    fn formats_units() {
        assert_eq!(format_units(U256::from(49_990_000u64), 6), "49.99");
        assert_eq!(format_units(U256::from(1u8), 6), "0.000001");
        assert_eq!(format_units(U256::from(10u64).pow(U256::from(18)), 18), "1");
        assert_eq!(format_units(U256::ZERO, 6), "0");
        assert_eq!(format_units(U256::from(123u8), 0), "123");
        assert_eq!(format_units(U256::MAX, 18).len(), 79);
    }

    #[test]
    fn base_units_parse_strictly() {
        assert_eq!(
            parse_base_units("49990000"),
            Some(U256::from(49_990_000u64))
        );
        assert_eq!(parse_base_units(&U256::MAX.to_string()), Some(U256::MAX));
        for bad in ["", "-1", "1.0", "0x10", " 1", "1e6"] {
            assert_eq!(parse_base_units(bad), None, "{bad:?}");
        }
        assert_eq!(
            parse_base_units(
                "115792089237316195423570985008687907853269984665640564039457584007913129639936"
            ),
            None
        );
    }
}
