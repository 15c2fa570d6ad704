//! Time, injected: domain functions ask a [`Clock`] so tests can pin the date.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};

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

    /// Parses RFC 3339 with any offset, normalised to UTC and truncated to the second.
    pub fn parse(text: &str) -> Result<Self, chrono::ParseError> {
        let parsed = DateTime::parse_from_rfc3339(text)?;
        Ok(Timestamp::from_unix_seconds(parsed.timestamp()).unwrap_or(Timestamp::UNIX_EPOCH))
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
}
