//! Time, injected: domain functions ask a [`Clock`] so tests can pin the date.

use std::fmt;

use chrono::{DateTime, Datelike, SecondsFormat, Utc};

/// The years a date typed by staff or sent by a platform may have, inclusive: RFC 3339's four
/// digits, from the Unix epoch. Bounding them keeps chrono's arithmetic (which panics beyond
/// about ±262,000 years) far from its limits. Not narrower, because the same parsing reads
/// stored documents back: a bound that refused what was once accepted would make them
/// unreadable (stored documents may hold the epoch, and far-future contest dates).
pub const YEARS: std::ops::RangeInclusive<i32> = 1970..=9999;

/// The error of a date whose year is outside [`YEARS`]; names the range so staff can fix it.
pub(crate) fn year_out_of_range(year: i32) -> String {
    format!(
        "the year must be from {} to {}, got {year}",
        YEARS.start(),
        YEARS.end()
    )
}

/// An instant in UTC, to the second. Serialises as RFC 3339, e.g. `2026-11-29T15:00:00Z`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    pub const UNIX_EPOCH: Timestamp = Timestamp(DateTime::UNIX_EPOCH);

    /// `None` when `secs` is outside chrono's range (about ±262,000 years).
    pub fn from_unix_seconds(secs: i64) -> Option<Self> {
        DateTime::from_timestamp(secs, 0).map(Timestamp)
    }

    pub fn unix_seconds(&self) -> i64 {
        self.0.timestamp()
    }

    /// Parses RFC 3339 with any offset, normalised to UTC and truncated to the second; the
    /// UTC year must be in [`YEARS`].
    pub fn parse(text: &str) -> Result<Self, String> {
        let parsed = DateTime::parse_from_rfc3339(text.trim()).map_err(|e| {
            format!(
                "{e}: expected RFC 3339 such as 2026-12-01T09:00:00Z, the year from {} to {}",
                YEARS.start(),
                YEARS.end()
            )
        })?;
        let utc = parsed.with_timezone(&Utc);
        if !YEARS.contains(&utc.year()) {
            return Err(year_out_of_range(utc.year()));
        }
        Timestamp::from_unix_seconds(utc.timestamp()).ok_or_else(|| year_out_of_range(utc.year()))
    }

    /// The calendar date, `YYYY-MM-DD`, for display and schema.org dates.
    pub fn date(&self) -> String {
        self.0.format("%Y-%m-%d").to_string()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::Secs, true))
    }
}

impl From<Timestamp> for String {
    fn from(t: Timestamp) -> String {
        t.to_string()
    }
}

impl TryFrom<String> for Timestamp {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Timestamp::parse(&text).map_err(|e| format!("timestamp: {e}"))
    }
}

pub trait Clock {
    fn now(&self) -> Timestamp;
}

/// A clock stuck at one instant, for deterministic tests.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub Timestamp);

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_as_rfc3339_utc() {
        let t = Timestamp::from_unix_seconds(1_795_964_400).unwrap();
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            "\"2026-11-29T15:00:00Z\""
        );
        assert_eq!(t.date(), "2026-11-29");
    }

    #[test]
    fn parses_offsets_into_utc() {
        let t: Timestamp = serde_json::from_str("\"2026-11-29T16:00:00+01:00\"").unwrap();
        assert_eq!(t.unix_seconds(), 1_795_964_400);
        assert!(serde_json::from_str::<Timestamp>("\"yesterday\"").is_err());
    }

    #[test]
    fn years_outside_the_accepted_range_are_refused() {
        for text in [
            "+262143-01-01T00:00:00Z",
            "-262144-01-01T00:00:00Z",
            "+262143-12-31T23:59:59-10:00",
            "10000-01-01T00:00:00Z",
            // Inside the range in its own offset, outside it once in UTC.
            "9999-12-31T23:00:00-05:00",
            "1969-12-31T23:59:59Z",
        ] {
            let error = Timestamp::parse(text).unwrap_err();
            assert!(
                error.contains("1970") && error.contains("9999"),
                "{text}: {error}"
            );
            let json = serde_json::to_string(text).unwrap();
            assert!(serde_json::from_str::<Timestamp>(&json).is_err(), "{text}");
        }
        for text in [
            "1970-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "2026-11-29T16:00:00+01:00",
        ] {
            assert!(Timestamp::parse(text).is_ok(), "{text}");
        }
    }
}
