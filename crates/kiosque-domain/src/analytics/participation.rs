//! What patrons did, per UTC day: votes (polls and contests), answers to questions, contest
//! entries, tutorial ratings and comments. One counter per day and kind, incremented by the
//! domain where each action succeeds for the first time (a refused duplicate or a changed
//! ballot is not a new action), never failing that action.

use serde::Serialize;

use super::{AnalyticsError, Day};
use crate::clock::Timestamp;
use crate::keys;
use crate::store::{KvStore, read_counters};

/// What patrons did, per day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Activity {
    /// A ballot in a poll, or a vote in a contest.
    Vote,
    /// An answer to a question.
    Answer,
    /// An entry to a contest.
    Entry,
    /// A rating or comment on a tutorial.
    Feedback,
}

impl Activity {
    pub const ALL: [Activity; 4] = [
        Activity::Vote,
        Activity::Answer,
        Activity::Entry,
        Activity::Feedback,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Activity::Vote => "vote",
            Activity::Answer => "answer",
            Activity::Entry => "entry",
            Activity::Feedback => "feedback",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DayParticipation {
    #[serde(with = "crate::campaigns::date_format")]
    pub day: Day,
    pub votes: u64,
    pub answers: u64,
    pub entries: u64,
    pub feedback: u64,
}

/// Counts one `activity` at `now` (its UTC day): 1 increment. A failure is logged and
/// swallowed: the patron's vote, answer or entry is already stored, and a statistic must
/// never turn it into an error.
pub fn record(store: &dyn KvStore, now: Timestamp, activity: Activity) {
    let key = keys::activity(&now.date(), activity.as_str());
    if let Err(e) = store.increment(&key, 1) {
        eprintln!("participation not counted ({}): {e}", activity.as_str());
    }
}

/// Every day from `from` to `to` (UTC, both included), zeros included: 1 batch read.
pub fn between(
    store: &dyn KvStore,
    from: Day,
    to: Day,
) -> Result<Vec<DayParticipation>, AnalyticsError> {
    let days = super::audience::check_range(from, to)?;
    let counter_keys: Vec<String> = days
        .iter()
        .flat_map(|day| {
            let name = day.format("%Y-%m-%d").to_string();
            Activity::ALL.map(|activity| keys::activity(&name, activity.as_str()))
        })
        .collect();
    let counts = read_counters(store, &counter_keys)?;
    let count = |i: usize| u64::try_from(counts[i]).unwrap_or(0);
    Ok(days
        .iter()
        .enumerate()
        .map(|(d, day)| DayParticipation {
            day: *day,
            votes: count(d * 4),
            answers: count(d * 4 + 1),
            entries: count(d * 4 + 2),
            feedback: count(d * 4 + 3),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::store::MemoryStore;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    fn day(text: &str) -> Day {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn actions_are_counted_per_day_and_kind_in_one_batch_read() {
        let store = MemoryStore::new();
        record(&store, at("2026-12-01T10:00:00Z"), Activity::Vote);
        assert_eq!(store.ops().increment, 1);
        assert_eq!(store.ops().total(), 1);
        record(&store, at("2026-12-01T23:59:59Z"), Activity::Vote);
        record(&store, at("2026-12-01T12:00:00Z"), Activity::Answer);
        record(&store, at("2026-12-03T00:00:00Z"), Activity::Entry);
        record(&store, at("2026-12-03T00:00:00Z"), Activity::Feedback);
        record(&store, at("2026-12-03T00:00:00Z"), Activity::Feedback);
        record(&store, at("2026-12-04T00:00:00Z"), Activity::Vote);

        store.reset_ops();
        let days = between(&store, day("2026-12-01"), day("2026-12-03")).unwrap();
        assert_eq!(store.ops().get_many, 1);
        assert_eq!(store.ops().total(), 1);
        assert_eq!(days.len(), 3);
        assert_eq!(
            days[0],
            DayParticipation {
                day: day("2026-12-01"),
                votes: 2,
                answers: 1,
                entries: 0,
                feedback: 0,
            }
        );
        assert_eq!(
            days[1],
            DayParticipation {
                day: day("2026-12-02"),
                ..Default::default()
            }
        );
        assert_eq!((days[2].entries, days[2].feedback), (1, 2));
    }

    #[test]
    fn bad_ranges_are_refused() {
        let store = MemoryStore::new();
        assert!(matches!(
            between(&store, day("2026-12-02"), day("2026-12-01")),
            Err(AnalyticsError::Invalid(_))
        ));
        assert!(matches!(
            between(&store, day("2026-01-01"), day("2026-06-01")),
            Err(AnalyticsError::Invalid(_))
        ));
    }

    #[test]
    fn a_failing_store_never_fails_the_action() {
        let mut store = crate::store::FaultyStore::new();
        let writes = store.fail_nth_write(0);
        // Returns nothing to fail with: the failure is logged.
        record(&store, at("2026-12-01T10:00:00Z"), Activity::Vote);
        assert_eq!(writes.load(std::sync::atomic::Ordering::SeqCst), 1);
        store.heal();
        record(&store, at("2026-12-01T10:00:00Z"), Activity::Vote);
        let days = between(&store, day("2026-12-01"), day("2026-12-01")).unwrap();
        assert_eq!(days[0].votes, 1);
    }
}
