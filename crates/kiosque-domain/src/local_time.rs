//! Local time in Paris, for the dates patrons read (a poll that opens "at 14 h 00").
//!
//! France follows the EU rule since 1996: UTC+1, and UTC+2 from 01:00 UTC on the last Sunday
//! of March to 01:00 UTC on the last Sunday of October. Computing it here costs a few lines,
//! where a time-zone database would add hundreds of kilobytes to every `.wasm`. Should the EU
//! ever stop changing clocks, this is the one place to update.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc, Weekday};

use crate::clock::Timestamp;

/// A wall-clock reading in Paris.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParisTime {
    pub year: i32,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    /// Offset from UTC in hours: 1 (winter) or 2 (summer).
    pub utc_offset_hours: i32,
}

fn last_sunday_1am_utc(year: i32, month: u32) -> Option<DateTime<Utc>> {
    let first_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    let last = first_next.pred_opt()?;
    let back = last.weekday().num_days_from_sunday();
    let sunday = last - Duration::days(i64::from(back));
    debug_assert_eq!(sunday.weekday(), Weekday::Sun);
    Some(sunday.and_hms_opt(1, 0, 0)?.and_utc())
}

/// The Paris wall-clock time of an instant.
pub fn paris(t: Timestamp) -> ParisTime {
    let utc = DateTime::<Utc>::from_timestamp(t.unix_seconds(), 0).unwrap_or(DateTime::UNIX_EPOCH);
    let year = utc.year();
    let summer = match (last_sunday_1am_utc(year, 3), last_sunday_1am_utc(year, 10)) {
        (Some(start), Some(end)) => utc >= start && utc < end,
        _ => false,
    };
    let offset = if summer { 2 } else { 1 };
    let local = utc + Duration::hours(i64::from(offset));
    ParisTime {
        year: local.year(),
        month: local.month(),
        day: local.day(),
        hour: local.hour(),
        minute: local.minute(),
        utc_offset_hours: offset,
    }
}

const MOIS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// `12 décembre 2026 à 14 h 00` (French typography).
pub fn format_fr(t: Timestamp) -> String {
    let p = paris(t);
    let month = MOIS.get(p.month as usize - 1).copied().unwrap_or("");
    let day = if p.day == 1 {
        "1er".to_owned()
    } else {
        p.day.to_string()
    };
    format!("{day} {month} {} à {} h {:02}", p.year, p.hour, p.minute)
}

/// `12 December 2026 at 14:00`.
pub fn format_en(t: Timestamp) -> String {
    let p = paris(t);
    let month = MONTHS.get(p.month as usize - 1).copied().unwrap_or("");
    format!(
        "{} {month} {} at {:02}:{:02}",
        p.day, p.year, p.hour, p.minute
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    #[test]
    fn winter_and_summer_offsets_switch_at_the_eu_instants() {
        // 2026: summer time from 29 March 01:00 UTC to 25 October 01:00 UTC.
        assert_eq!(paris(at("2026-03-29T00:59:59Z")).utc_offset_hours, 1);
        assert_eq!(paris(at("2026-03-29T01:00:00Z")).utc_offset_hours, 2);
        assert_eq!(paris(at("2026-10-25T00:59:59Z")).utc_offset_hours, 2);
        assert_eq!(paris(at("2026-10-25T01:00:00Z")).utc_offset_hours, 1);
        assert_eq!(
            format_fr(at("2026-12-01T13:05:00Z")),
            "1er décembre 2026 à 14 h 05"
        );
        assert_eq!(
            format_en(at("2026-07-14T20:00:00Z")),
            "14 July 2026 at 22:00"
        );
        // New Year's Eve in UTC is already next year in Paris.
        assert_eq!(
            format_fr(at("2026-12-31T23:30:00Z")),
            "1er janvier 2027 à 0 h 30"
        );
    }
}
