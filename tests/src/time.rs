//! Wall-clock dates for tests that schedule things relative to now, in the formats the APIs
//! take: one place for the calendar arithmetic (chrono's), instead of a copy per test file.

use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Datelike, NaiveDate, Utc};

pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs() as i64
}

/// Milliseconds since the epoch, for the test clock's offsets.
pub fn unix_now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_millis() as i64
}

fn utc(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).expect("a representable instant")
}

/// `YYYY-MM-DD` in UTC, `days` from today.
pub fn utc_day(days: i64) -> String {
    utc(unix_now() + days * 86_400)
        .format("%Y-%m-%d")
        .to_string()
}

/// `YYYY-MM-DD` in UTC of the instant `secs`: a day on the app's clock when `secs` comes
/// from `TestApp::now`.
pub fn utc_day_of(secs: i64) -> String {
    utc(secs).format("%Y-%m-%d").to_string()
}

/// `YYYY-MM` in UTC of the instant `secs`.
pub fn utc_month_of(secs: i64) -> String {
    utc(secs).format("%Y-%m").to_string()
}

/// The first 15th of a month at 12:00 UTC at or after `secs`: where a test moves the app's
/// clock (`TestApp::advance_clock_to`) so that what it does in the next days falls in one
/// month, whatever the day it runs.
pub fn mid_month_from(secs: i64) -> i64 {
    let now = utc(secs);
    let mid = |year: i32, month: u32| {
        NaiveDate::from_ymd_opt(year, month, 15)
            .and_then(|day| day.and_hms_opt(12, 0, 0))
            .expect("a real day")
            .and_utc()
            .timestamp()
    };
    let this = mid(now.year(), now.month());
    if this >= secs {
        this
    } else if now.month() == 12 {
        mid(now.year() + 1, 1)
    } else {
        mid(now.year(), now.month() + 1)
    }
}

/// `YYYY-MM-DDTHH:MM` in UTC: a wall-clock time in the `UTC` zone, as schedules take it.
pub fn utc_minute(secs: i64) -> String {
    utc(secs).format("%Y-%m-%dT%H:%M").to_string()
}

/// RFC 3339 in UTC (`YYYY-MM-DDTHH:MM:SSZ`).
pub fn rfc3339(secs: i64) -> String {
    utc(secs).format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Seconds since the epoch of an RFC 3339 instant.
pub fn parse_rfc3339(text: &str) -> i64 {
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text} is not RFC 3339: {e}"))
        .timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_back() {
        assert_eq!(rfc3339(1_796_000_000), "2026-11-30T00:53:20Z");
        assert_eq!(utc_minute(1_796_000_000), "2026-11-30T00:53");
        assert_eq!(parse_rfc3339("2026-11-30T00:53:20Z"), 1_796_000_000);
        assert_eq!(utc_day_of(1_796_000_000), "2026-11-30");
        assert_eq!(utc_month_of(1_796_000_000), "2026-11");
    }

    #[test]
    fn mid_month_is_the_next_15th_at_noon() {
        let at = |text: &str| rfc3339(mid_month_from(parse_rfc3339(text)));
        assert_eq!(at("2026-11-30T23:59:59Z"), "2026-12-15T12:00:00Z");
        assert_eq!(at("2026-12-20T00:00:00Z"), "2027-01-15T12:00:00Z");
        assert_eq!(at("2026-11-01T00:00:00Z"), "2026-11-15T12:00:00Z");
        assert_eq!(at("2026-11-15T12:00:00Z"), "2026-11-15T12:00:00Z");
    }
}
