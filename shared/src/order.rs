//! What a shopper pays for: an amount or line items, then discounts applied in order, all in
//! exact cents.

use serde::{Deserialize, Serialize};

use crate::money::{Cents, MAX_TOTAL, MIN_TOTAL};

/// What the shopper pays for: an amount or line items, after the discounts. A session
/// gets it from its request (ad-hoc mode) or from its payment link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub currency: String,
    /// Before discounts: `amount`, or the sum of the lines.
    pub amount_subtotal: Cents,
    /// What the shopper pays: the subtotal after the discounts, in order.
    pub amount_total: Cents,
    pub line_items: Vec<LineItem>,
    pub discounts: Vec<Discount>,
}

pub const MAX_QUANTITY: u32 = 10_000;
pub const MAX_LINE_ITEMS: usize = 100;
pub const MAX_DISCOUNTS: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineItem {
    pub name: String,
    pub quantity: u32,
    pub unit_amount: Cents,
    /// `unit_amount × quantity`.
    pub amount_total: Cents,
}

/// How much a discount takes: a fixed amount or a percentage in hundredths of a percent
/// (`1250` = 12.5 %).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Off {
    Amount(Cents),
    Percent(Percent),
}

/// A percentage in hundredths of a percent: `1250` is 12.5 %. On the wire a decimal string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Percent(pub u32);

impl Percent {
    /// `"12.5"`, `"100"`, `"0.01"`: in (0, 100] with at most 2 decimals.
    pub fn parse(s: &str) -> Option<Self> {
        let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
        let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || whole.len() > 3 || frac.len() > 2 || !digits(whole) || !digits(frac)
        {
            return None;
        }
        if s.contains('.') && frac.is_empty() {
            return None;
        }
        let whole: u32 = whole.parse().ok()?;
        let frac: u32 = format!("{frac:0<2}").parse().ok()?;
        let hundredths = whole * 100 + frac;
        (1..=10_000)
            .contains(&hundredths)
            .then_some(Self(hundredths))
    }
}

impl std::fmt::Display for Percent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (whole, frac) = (self.0 / 100, self.0 % 100);
        match frac {
            0 => write!(f, "{whole}"),
            f2 if f2 % 10 == 0 => write!(f, "{whole}.{}", f2 / 10),
            f2 => write!(f, "{whole}.{f2:02}"),
        }
    }
}

impl Serialize for Percent {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("bad percent {s:?}")))
    }
}

/// A discount as applied: what it says (`amount_off` or `percent_off`) and what it took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discount {
    pub name: String,
    pub amount_off: Option<Cents>,
    pub percent_off: Option<Percent>,
    /// What it took from the running total.
    pub amount: Cents,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TotalError {
    /// The total after discounts is below the minimum (or nothing is left).
    TooSmall(Cents),
    TooLarge(Cents),
}

impl LineItem {
    /// A line of `quantity` × `unit_amount`; `None` if it cannot be represented.
    pub fn new(name: String, quantity: u32, unit_amount: Cents) -> Option<Self> {
        let total = unit_amount.0.checked_mul(u64::from(quantity))?;
        Some(Self {
            name,
            quantity,
            unit_amount,
            amount_total: Cents(total),
        })
    }
}

/// Hundredths of a percent of `cents`, rounded half up to the cent.
pub fn percent_of(cents: Cents, hundredths: u32) -> Cents {
    let scaled = u128::from(cents.0) * u128::from(hundredths);
    // Both factors are bounded (≤ u64::MAX · 10,000), so this cannot overflow u128.
    Cents(u64::try_from((scaled + 5_000) / 10_000).unwrap_or(u64::MAX))
}

/// Applies `discounts` in order to `subtotal`: each takes from the running total (never
/// more than what is left), percentages rounded half up to the cent. Returns the discounts
/// with what each took, and the total, which must be within the session limits.
pub fn apply_discounts(
    subtotal: Cents,
    discounts: &[(String, Off)],
) -> Result<(Vec<Discount>, Cents), TotalError> {
    let mut total = subtotal.0;
    let mut applied = Vec::with_capacity(discounts.len());
    for (name, off) in discounts {
        let (wanted, amount_off, percent_off) = match *off {
            Off::Amount(c) => (c.0, Some(c), None),
            Off::Percent(p) => (percent_of(Cents(total), p.0).0, None, Some(p)),
        };
        let taken = wanted.min(total);
        total -= taken;
        applied.push(Discount {
            name: name.clone(),
            amount_off,
            percent_off,
            amount: Cents(taken),
        });
    }
    let total = Cents(total);
    if total < MIN_TOTAL {
        return Err(TotalError::TooSmall(total));
    }
    if total > MAX_TOTAL {
        return Err(TotalError::TooLarge(total));
    }
    Ok((applied, total))
}

/// The sum of the lines; `None` on overflow.
pub fn subtotal(lines: &[LineItem]) -> Option<Cents> {
    lines
        .iter()
        .try_fold(0u64, |sum, l| sum.checked_add(l.amount_total.0))
        .map(Cents)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn line(q: u32, unit: u64) -> LineItem {
        LineItem::new("x".into(), q, Cents(unit)).unwrap()
    }

    #[test]
    fn lines_are_exact_and_discounts_apply_in_order() {
        // 3 × 19.99 + 1 × 5.00 = 64.97; −10 % = 58.47 (6.497 rounds to 6.50); −5.00 = 53.47.
        let lines = [line(3, 1999), line(1, 500)];
        let sub = subtotal(&lines).unwrap();
        assert_eq!(sub, Cents(6497));
        let (applied, total) = apply_discounts(
            sub,
            &[
                ("TEN".into(), Off::Percent(Percent(1000))),
                ("FIVE".into(), Off::Amount(Cents(500))),
            ],
        )
        .unwrap();
        assert_eq!(applied[0].amount, Cents(650));
        assert_eq!(applied[1].amount, Cents(500));
        assert_eq!(total, Cents(5347));
        // The other order gives another (also exact) total: order matters.
        let (_, other) = apply_discounts(
            sub,
            &[
                ("FIVE".into(), Off::Amount(Cents(500))),
                ("TEN".into(), Off::Percent(Percent(1000))),
            ],
        )
        .unwrap();
        assert_eq!(other, Cents(5397)); // 59.97 − 6.00 (5.997 → 6.00)
    }

    #[test]
    fn percents_are_exact_decimals_in_range() {
        for (text, hundredths, shown) in [
            ("10", 1000, "10"),
            ("12.5", 1250, "12.5"),
            ("12.50", 1250, "12.5"),
            ("0.01", 1, "0.01"),
            ("100", 10_000, "100"),
            ("33.33", 3333, "33.33"),
        ] {
            let p = Percent::parse(text).unwrap();
            assert_eq!(p, Percent(hundredths));
            assert_eq!(p.to_string(), shown);
        }
        for bad in [
            "0", "0.00", "100.01", "101", "12.345", "-5", "1e2", "", ".5", "5.", " 5",
        ] {
            assert_eq!(Percent::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn half_cents_round_up_and_nothing_below_zero() {
        assert_eq!(percent_of(Cents(1), 5000), Cents(1)); // 0.5 ¢ → 1 ¢
        assert_eq!(percent_of(Cents(1), 4999), Cents(0));
        assert_eq!(percent_of(Cents(12345), 10_000), Cents(12345));
        assert_eq!(
            apply_discounts(Cents(500), &[("ALL".into(), Off::Amount(Cents(900)))]),
            Err(TotalError::TooSmall(Cents(0)))
        );
        assert_eq!(
            apply_discounts(Cents(100), &[("HALF".into(), Off::Percent(Percent(9950)))]),
            Err(TotalError::TooSmall(Cents(0)))
        );
        assert_eq!(
            apply_discounts(Cents(MAX_TOTAL.0 + 1), &[]),
            Err(TotalError::TooLarge(Cents(MAX_TOTAL.0 + 1)))
        );
    }

    proptest! {
        #[test]
        fn discounts_never_exceed_the_subtotal_and_add_up(
            sub in 1u64..=200_000_000,
            offs in proptest::collection::vec(
                prop_oneof![
                    (1u64..=50_000_000).prop_map(|c| Off::Amount(Cents(c))),
                    (1u32..=10_000).prop_map(|p| Off::Percent(Percent(p))),
                ],
                0..6,
            ),
        ) {
            let named: Vec<(String, Off)> = offs.iter().map(|o| ("d".to_owned(), *o)).collect();
            match apply_discounts(Cents(sub), &named) {
                Ok((applied, total)) => {
                    let taken: u64 = applied.iter().map(|d| d.amount.0).sum();
                    prop_assert_eq!(taken + total.0, sub);
                    prop_assert!(total >= MIN_TOTAL && total <= MAX_TOTAL);
                }
                Err(TotalError::TooSmall(t)) => prop_assert!(t < MIN_TOTAL),
                Err(TotalError::TooLarge(t)) => prop_assert!(t > MAX_TOTAL),
            }
        }
    }
}
