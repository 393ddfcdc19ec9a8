//! Time as the domain sees it: whole Unix seconds, passed in by the shell.
//!
//! `std::time::SystemTime::now()` panics on wasm32, so nothing in `shared` reads a clock:
//! the worker reads `Date.now()` once per request or run and hands the value down.

use std::fmt;

/// A point in time, in whole seconds since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub u64);

/// A point in time in milliseconds since the Unix epoch: only where whole seconds are too
/// coarse (a limit whose interval is a few seconds would otherwise let events through early).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixMillis(pub u64);

impl UnixMillis {
    /// The whole second this instant falls in.
    pub fn timestamp(self) -> Timestamp {
        Timestamp(self.0 / 1000)
    }
}

impl Timestamp {
    pub fn from_unix_millis(ms: u64) -> Self {
        UnixMillis(ms).timestamp()
    }

    /// The first millisecond of this second.
    pub fn millis(self) -> UnixMillis {
        UnixMillis(self.0.saturating_mul(1000))
    }

    pub fn plus_secs(self, secs: u64) -> Self {
        Self(self.0.saturating_add(secs))
    }

    /// Parses RFC 3339 in UTC as Kasse writes it: `YYYY-MM-DDTHH:MM:SSZ`.
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() != 20
            || b[4] != b'-'
            || b[7] != b'-'
            || b[10] != b'T'
            || b[13] != b':'
            || b[16] != b':'
        {
            return None;
        }
        if b[19] != b'Z' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u64> {
            b[r].iter().try_fold(0u64, |n, &c| {
                c.is_ascii_digit().then(|| n * 10 + u64::from(c - b'0'))
            })
        };
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1970..=9999).contains(&year)
            || !(1..=12).contains(&month)
            || hour > 23
            || minute > 59
            || second > 59
        {
            return None;
        }
        if day == 0 || day > days_in_month(year, month) {
            return None;
        }
        let days = days_from_civil(year, month, day);
        Some(Self(days * 86_400 + hour * 3_600 + minute * 60 + second))
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339, UTC, to the second: `2026-11-21T09:30:00Z`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0 / 86_400;
        let secs = self.0 % 86_400;
        let (year, month, day) = civil_from_days(days);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
            secs / 3_600,
            secs % 3_600 / 60,
            secs % 60
        )
    }
}

fn is_leap(year: u64) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u64, month: u64) -> u64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's algorithms, restricted to dates on or after 1970-01-01.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year / 400;
    let yoe = year - era * 400;
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// On the wire and in storage: an RFC 3339 string.
impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(Rfc3339)
    }
}

/// Reads a timestamp where the deserializer holds its text, without copying it first: a
/// stored session has a timestamp per option, and the watcher decodes many sessions a run.
struct Rfc3339;

impl serde::de::Visitor<'_> for Rfc3339 {
    type Value = Timestamp;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Timestamp, E> {
        Timestamp::parse_rfc3339(s)
            .ok_or_else(|| E::custom(format!("not an RFC 3339 UTC timestamp: {s}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milliseconds_fall_in_their_second_and_a_second_starts_at_its_first() {
        assert_eq!(
            UnixMillis(1_700_000_000_999).timestamp(),
            Timestamp(1_700_000_000)
        );
        assert_eq!(
            UnixMillis(1_700_000_001_000).timestamp(),
            Timestamp(1_700_000_001)
        );
        assert_eq!(
            Timestamp(1_700_000_000).millis(),
            UnixMillis(1_700_000_000_000)
        );
        assert_eq!(Timestamp::from_unix_millis(1_999), Timestamp(1));
        assert_eq!(Timestamp(u64::MAX).millis(), UnixMillis(u64::MAX));
    }

    #[test]
    fn formats_known_instants() {
        assert_eq!(Timestamp(0).to_string(), "1970-01-01T00:00:00Z");
        assert_eq!(Timestamp(951_782_400).to_string(), "2000-02-29T00:00:00Z");
        assert_eq!(Timestamp(1_700_000_000).to_string(), "2023-11-14T22:13:20Z");
        assert_eq!(Timestamp(4_102_444_799).to_string(), "2099-12-31T23:59:59Z");
    }

    #[test]
    fn parse_inverts_format_across_a_range() {
        let mut t = 0u64;
        while t < 5_000_000_000 {
            let ts = Timestamp(t);
            assert_eq!(Timestamp::parse_rfc3339(&ts.to_string()), Some(ts), "{ts}");
            t += 7_919_993; // a prime stride visits every month, leap days and hours
        }
    }

    #[test]
    fn parse_rejects_malformed_and_impossible_dates() {
        for bad in [
            "",
            "2026-11-21",
            "2026-11-21T10:00:00",
            "2026-11-21T10:00:00+01:00",
            "2026-13-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-11-21T24:00:00Z",
            "2026-11-21T10:60:00Z",
            "+026-11-21T10:00:00Z",
            "1969-12-31T23:59:59Z",
        ] {
            assert_eq!(Timestamp::parse_rfc3339(bad), None, "{bad}");
        }
        assert_eq!(
            Timestamp::parse_rfc3339("2024-02-29T12:00:00Z"),
            Some(Timestamp(1_709_208_000))
        );
    }

    #[test]
    fn deserializes_borrowed_and_owned_text_and_nothing_else() {
        let leap = Some(Timestamp(1_709_208_000));
        let read = |json: &str| serde_json::from_str::<Timestamp>(json).ok();
        assert_eq!(read(r#""2024-02-29T12:00:00Z""#), leap);
        // An escape makes the parser hand over text of its own rather than a borrow.
        assert_eq!(read(r#""2024-02-29T12:00:00\u005a""#), leap);
        let value = serde_json::json!("2024-02-29T12:00:00Z");
        assert_eq!(serde_json::from_value::<Timestamp>(value).ok(), leap);
        for bad in [
            "1709208000",
            "null",
            r#""2024-02-29""#,
            r#""2024-02-2xT12:00:00Z""#,
        ] {
            assert_eq!(read(bad), None, "{bad}");
        }
    }
}
