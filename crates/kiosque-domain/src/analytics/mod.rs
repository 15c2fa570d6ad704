//! Analytics: what the social networks and the public pages bring, for staff's reports.
//!
//! - [`metrics`]: each published post's figures on its network (likes, reposts, replies,
//!   quotes, reach where the network gives it), fetched by the cron's tick on a schedule that
//!   thins out with the post's age, with a small history per post and channel;
//! - [`audience`]: views of Kiosque's own public pages per page and day, with the network the
//!   visitor came from: no cookie, no personal data, bots and link-preview fetchers left out,
//!   one increment per view;
//! - [`participation`]: votes, answers, contest entries and tutorial feedback per day;
//! - [`reports`]: the three read together per post, per campaign, per month and for the last
//!   30 days, and their CSV.
//!
//! Days are UTC days, as the campaigns' engagement counters (`campaigns::engagement`).

use std::fmt;

use chrono::{Datelike, NaiveDate};

use crate::error::{DomainError, ErrorKind};
use crate::store::StoreError;

pub mod audience;
pub mod metrics;
pub mod participation;
pub mod reports;

/// A UTC calendar day.
pub type Day = NaiveDate;

/// A calendar month, written `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    first: NaiveDate,
}

impl Month {
    /// `YYYY-MM`, with a year in `clock::YEARS`.
    pub fn parse(text: &str) -> Result<Self, AnalyticsError> {
        let invalid = || AnalyticsError::Invalid(format!("month: expected YYYY-MM, got {text:?}"));
        let (year, month) = text.split_once('-').ok_or_else(invalid)?;
        let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
        if year.len() != 4 || month.len() != 2 || !digits(year) || !digits(month) {
            return Err(invalid());
        }
        let year: i32 = year.parse().map_err(|_| invalid())?;
        let month: u32 = month.parse().map_err(|_| invalid())?;
        if !crate::clock::YEARS.contains(&year) {
            return Err(invalid());
        }
        NaiveDate::from_ymd_opt(year, month, 1)
            .map(|first| Month { first })
            .ok_or_else(invalid)
    }

    /// The month `day` is in.
    pub fn of(day: Day) -> Self {
        Month {
            first: day.with_day(1).unwrap_or(day),
        }
    }

    pub fn first_day(&self) -> Day {
        self.first
    }

    pub fn last_day(&self) -> Day {
        self.next().first.pred_opt().unwrap_or(self.first)
    }

    /// The month after (December's is January of the next year).
    pub fn next(&self) -> Month {
        let next = self
            .first
            .checked_add_months(chrono::Months::new(1))
            .unwrap_or(self.first);
        Month { first: next }
    }

    /// The month before.
    pub fn previous(&self) -> Month {
        let previous = self
            .first
            .checked_sub_months(chrono::Months::new(1))
            .unwrap_or(self.first);
        Month { first: previous }
    }

    /// Every day of the month, in order.
    pub fn days(&self) -> impl Iterator<Item = Day> + use<> {
        let last = self.last_day();
        self.first.iter_days().take_while(move |day| *day <= last)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.first.year(), self.first.month())
    }
}

/// The days from `from` to `to`, both included (none when `to` is before `from`).
pub fn days_between(from: Day, to: Day) -> impl Iterator<Item = Day> {
    from.iter_days().take_while(move |day| *day <= to)
}

#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    /// A malformed month, day or range (400).
    #[error("{0}")]
    Invalid(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error(transparent)]
    Storage(#[from] StoreError),
}

impl DomainError for AnalyticsError {
    fn kind(&self) -> ErrorKind {
        match self {
            AnalyticsError::Invalid(_) => ErrorKind::Invalid,
            AnalyticsError::NotFound(_) => ErrorKind::NotFound,
            AnalyticsError::Storage(_) => ErrorKind::Storage,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            AnalyticsError::Invalid(_) => "invalid_request",
            AnalyticsError::NotFound(_) => "not_found",
            AnalyticsError::Storage(_) => "storage_error",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_parse_and_walk_their_days() {
        let february = Month::parse("2028-02").unwrap();
        assert_eq!(february.to_string(), "2028-02");
        assert_eq!(february.days().count(), 29);
        assert_eq!(february.previous().to_string(), "2028-01");
        assert_eq!(
            Month::parse("2026-12").unwrap().next().to_string(),
            "2027-01"
        );
        assert_eq!(
            Month::parse("2026-12").unwrap().last_day(),
            NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()
        );
        for bad in [
            "2026-13", "2026-1", "26-01", "2026/01", "", "0000-01", "2026-00", "2026-+1", "+026-01",
        ] {
            assert!(Month::parse(bad).is_err(), "{bad}");
        }
    }
}
