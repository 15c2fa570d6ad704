//! What the home page shows, read in one place so its cost is known and tested: featured
//! showcases, what is live now, the next events and open polls. 6 store calls whatever the
//! number of showcases, events or polls: 2 (featured) + 1 (calendar) + 3 (the newest page of
//! the polls index, of which the open polls are kept).

use crate::clock::Timestamp;
use crate::events::{self, Entry};
use crate::polls::{Poll, PollStatus, index as poll_index};
use crate::showcases::ShowcaseError;
use crate::showcases::index::{self, Card};
use crate::store::KvStore;

/// Upcoming events and open polls shown at most.
pub const HOME_EVENTS: usize = 4;
pub const HOME_POLLS: usize = 5;

#[derive(Debug, Clone, PartialEq)]
pub struct Home {
    pub featured: Vec<Card>,
    pub live: Vec<Entry>,
    pub upcoming: Vec<Entry>,
    pub open_polls: Vec<Poll>,
}

pub fn load(store: &dyn KvStore, now: Timestamp) -> Result<Home, ShowcaseError> {
    let featured = index::featured(store, now)?;
    let calendar = events::upcoming(store, now, 1).map_err(|e| match e {
        events::EventError::Storage(s) => ShowcaseError::Storage(s),
        other => ShowcaseError::Invalid(other.to_string()),
    })?;
    let open_polls = poll_index::list(store, now, Some(PollStatus::Open), None)
        .map_err(|e| match e {
            crate::polls::PollError::Storage(s) => ShowcaseError::Storage(s),
            other => ShowcaseError::Invalid(other.to_string()),
        })?
        .polls
        .into_iter()
        .map(|(poll, _)| poll)
        .take(HOME_POLLS)
        .collect();
    Ok(Home {
        featured,
        live: calendar.live,
        upcoming: calendar.upcoming.into_iter().take(HOME_EVENTS).collect(),
        open_polls,
    })
}
