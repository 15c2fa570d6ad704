//! Events: talks, workshops, concerts, on site or streamed live. Staff create them through
//! the API and publish them (now or at a date); patrons see upcoming events, what is live
//! now (with the stream), the replay afterwards, and subscribe to an iCalendar feed
//! ([`ical`]).
//!
//! Storage (keys in `keys`; no cost grows with the number of events):
//! - `event/{id}`: the event. Its page and its `.ics` cost 1 read.
//! - `events/month/{YYYY-MM}`: the calendar, one document per month (UTC) of start times,
//!   holding the [`Entry`] of each event starting that month, sorted by start. The upcoming
//!   list, the live-now box and the feeds read [`WINDOW_MONTHS`] months in 1 batch read.
//!   Events last at most [`MAX_DURATION_DAYS`] days, so an event still running started at
//!   most two months back, inside the window.
//! - `events/seq` + `events/{n}`: the staff list, one write-once slot `{id}` per event
//!   (1 counter read + 2 batch reads per page).
//!
//! Writes: create = 1 increment + 1 write (slot) + 1 compare-and-swap (event) + 1 read and
//! 1 compare-and-swap (month); a change = 1 read + 1 compare-and-swap (event) + 1 read and
//! 1 compare-and-swap (month); moving to another month adds 1 read (is it full?) before and
//! 1 read + 1 compare-and-swap (leaving the old month) after.
//!
//! Invariant: the event document is the truth; month entries are copies carrying its
//! `version`, written only after the document is committed (creation excepted: its entry is
//! an unpublished draft) and never replaced by an older copy. A crash between the writes
//! leaves an entry stale (or, when moving months, in both or neither) until the next change.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Months, Utc};
use serde::{Deserialize, Serialize};

use crate::clock::{Clock, Timestamp};
use crate::error::{DomainError, ErrorKind};
use crate::keys;
use crate::showcases::model::{ImageRequest, Placement};
use crate::showcases::text;
use crate::store::{self, KvStore, StoreError};
use crate::web::HttpsUrl;
use crate::zone::{LocalDateTime, Zone};

pub mod ical;

pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_DESCRIPTION_CHARS: usize = 8_000;
pub const MAX_DURATION_DAYS: i64 = 31;
/// Months the public calendar reads: two back (events still running) and the next eleven.
pub const WINDOW_MONTHS: u32 = 14;
/// Events starting in one month at most (eight a day): bounds the month document. An entry
/// is at most about 2.5 KB (200-character title and place, 160-character summary, all in
/// 4-byte characters), so a full month stays under 650 KB, within Spin's 1 MB.
pub const MAX_EVENTS_PER_MONTH: usize = 250;
/// Characters of the description kept in calendar entries (lists and feeds).
pub const ENTRY_SUMMARY_CHARS: usize = 160;
/// Events per page of the upcoming list.
pub const PAGE_SIZE: usize = 20;
/// Slots per page of the staff list.
pub const STAFF_PAGE_SLOTS: u64 = 50;
const CAS_ATTEMPTS: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("event not found")]
    NotFound,
    #[error("{0}")]
    Invalid(String),
    #[error("an event with this id already exists")]
    Conflict,
    #[error("too many simultaneous changes: try again")]
    Busy,
    #[error(transparent)]
    Storage(#[from] StoreError),
}

impl DomainError for EventError {
    fn kind(&self) -> ErrorKind {
        match self {
            EventError::NotFound => ErrorKind::NotFound,
            EventError::Invalid(_) => ErrorKind::Invalid,
            EventError::Conflict | EventError::Busy => ErrorKind::Conflict,
            EventError::Storage(_) => ErrorKind::Storage,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            EventError::NotFound => "event_not_found",
            EventError::Invalid(_) => "invalid_event",
            EventError::Conflict => "event_exists",
            EventError::Busy => "busy",
            EventError::Storage(_) => "storage_error",
        }
    }
}

fn invalid(message: String) -> EventError {
    EventError::Invalid(message)
}

pub use crate::ids::EventId;

/// An event id only ever comes from a URL: one that cannot exist is not found.
impl From<crate::ids::InvalidId> for EventError {
    fn from(_: crate::ids::InvalidId) -> Self {
        EventError::NotFound
    }
}

/// Where an event happens on site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Place {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

/// An event as stored under `keys::event`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub id: EventId,
    pub title: String,
    /// Plain paragraphs.
    #[serde(default)]
    pub description: String,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    /// The zone staff gave the times in; pages show local times in it.
    #[serde(default)]
    pub time_zone: Zone,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<Place>,
    /// Also (or only) followed online.
    #[serde(default)]
    pub online: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_url: Option<HttpsUrl>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replay_url: Option<HttpsUrl>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_url: Option<HttpsUrl>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<Placement>,
    #[serde(default)]
    pub published_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: u64,
    pub slot: u64,
}

/// Where an event stands for patrons at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Upcoming,
    Live,
    Past,
}

pub fn phase(starts_at: Timestamp, ends_at: Timestamp, now: Timestamp) -> Phase {
    if now < starts_at {
        Phase::Upcoming
    } else if now < ends_at {
        Phase::Live
    } else {
        Phase::Past
    }
}

impl Event {
    pub fn phase(&self, now: Timestamp) -> Phase {
        phase(self.starts_at, self.ends_at, now)
    }

    pub fn is_public(&self, now: Timestamp) -> bool {
        self.published_at.is_some_and(|t| t <= now)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaceRequest {
    pub name: String,
    pub address: Option<String>,
}

/// `POST /api/events` and `PUT /api/events/:id`. Times are wall-clock times in `time_zone`
/// (`2026-12-12T14:00`, the library's zone by default), or RFC 3339 with an offset
/// (`2026-12-12T14:00:00+01:00`, `...Z`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventRequest {
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub starts_at: String,
    pub ends_at: String,
    pub time_zone: Option<String>,
    pub place: Option<PlaceRequest>,
    #[serde(default)]
    pub online: bool,
    pub stream_url: Option<String>,
    pub replay_url: Option<String>,
    pub audience: Option<String>,
    pub registration_url: Option<String>,
    pub image: Option<ImageRequest>,
}

/// A validated event content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub title: String,
    pub description: String,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub time_zone: Zone,
    pub place: Option<Place>,
    pub online: bool,
    pub stream_url: Option<HttpsUrl>,
    pub replay_url: Option<HttpsUrl>,
    pub audience: Option<String>,
    pub registration_url: Option<HttpsUrl>,
    pub image: Option<Placement>,
}

impl NewEvent {
    /// Checks and measures its image when it is a medium of the library (1 batch read then,
    /// else no store call). Saving does it.
    pub fn measure(&mut self, store: &dyn KvStore) -> Result<(), EventError> {
        let images = self
            .image
            .iter_mut()
            .map(|p| ("image".to_owned(), &mut p.image))
            .collect();
        crate::showcases::library::measure(store, images)?.map_err(invalid)
    }

    /// `library_zone`: the zone of an event whose request names none (`library_time_zone`).
    pub fn parse(req: EventRequest, library_zone: Zone) -> Result<Self, EventError> {
        let title = text::line("title", &req.title, MAX_TITLE_CHARS).map_err(invalid)?;
        let description = text::paragraphs("description", &req.description, MAX_DESCRIPTION_CHARS)
            .map_err(invalid)?;
        let time_zone = parse_zone(req.time_zone.as_deref(), library_zone)?;
        let starts_at = parse_time("starts_at", &req.starts_at, time_zone)?;
        let ends_at = parse_time("ends_at", &req.ends_at, time_zone)?;
        if ends_at <= starts_at {
            return Err(invalid(format!(
                "ends_at: must be after starts_at ({starts_at}), got {ends_at}"
            )));
        }
        if ends_at.unix_seconds() - starts_at.unix_seconds() > MAX_DURATION_DAYS * 86_400 {
            return Err(invalid(format!(
                "ends_at: an event lasts at most {MAX_DURATION_DAYS} days; create one event per session"
            )));
        }
        let place = match &req.place {
            None => None,
            Some(p) => Some(Place {
                name: text::line("place.name", &p.name, MAX_TITLE_CHARS).map_err(invalid)?,
                address: text::optional_line("place.address", p.address.as_deref(), 300)
                    .map_err(invalid)?,
            }),
        };
        let stream_url =
            text::optional_url("stream_url", req.stream_url.as_deref()).map_err(invalid)?;
        let online = req.online || stream_url.is_some();
        if place.is_none() && !online {
            return Err(invalid(
                "place: an event needs a place, or \"online\": true (or a stream_url)".to_owned(),
            ));
        }
        let image = match &req.image {
            None => None,
            Some(img) => Some(
                crate::showcases::model::parse_placement("image", img)
                    .map_err(|e| invalid(e.to_string()))?,
            ),
        };
        Ok(NewEvent {
            title,
            description,
            starts_at,
            ends_at,
            time_zone,
            place,
            online,
            stream_url,
            replay_url: text::optional_url("replay_url", req.replay_url.as_deref())
                .map_err(invalid)?,
            audience: text::optional_line("audience", req.audience.as_deref(), 120)
                .map_err(invalid)?,
            registration_url: text::optional_url(
                "registration_url",
                req.registration_url.as_deref(),
            )
            .map_err(invalid)?,
            image,
        })
    }
}

/// The request's zone; the library's when it names none.
fn parse_zone(raw: Option<&str>, library_zone: Zone) -> Result<Zone, EventError> {
    match raw.map(str::trim).filter(|z| !z.is_empty()) {
        None => Ok(library_zone),
        Some(name) => Zone::parse(name).map_err(|e| invalid(format!("time_zone: {e}"))),
    }
}

/// A wall-clock time in `zone` (`2026-12-12T14:00`), or an instant with its offset.
fn parse_time(field: &str, raw: &str, zone: Zone) -> Result<Timestamp, EventError> {
    let raw = raw.trim();
    if let Ok(local) = LocalDateTime::parse(raw) {
        if zone.is_skipped(local) {
            return Err(invalid(format!(
                "{field}: {raw} does not exist in {zone} (the clocks go forward then)"
            )));
        }
        return Ok(zone.to_utc(local));
    }
    Timestamp::parse(raw).map_err(|_| {
        invalid(format!(
            "{field}: must be a local date and time such as 2026-12-12T14:00 (in time_zone), \
             or with its offset such as 2026-12-12T14:00:00+01:00; got {raw:?}"
        ))
    })
}

// --- storage ----------------------------------------------------------------------------

/// What the calendar keeps of an event: enough for lists and feeds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub id: EventId,
    pub title: String,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    #[serde(default)]
    pub time_zone: Zone,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    pub online: bool,
    pub has_stream: bool,
    pub published_at: Option<Timestamp>,
    pub summary: String,
    pub updated_at: Timestamp,
    pub version: u64,
}

impl Entry {
    pub fn of(e: &Event) -> Entry {
        let summary: String = e.description.chars().take(ENTRY_SUMMARY_CHARS).collect();
        Entry {
            id: e.id.clone(),
            title: e.title.clone(),
            starts_at: e.starts_at,
            ends_at: e.ends_at,
            time_zone: e.time_zone,
            place: e.place.as_ref().map(|p| p.name.clone()),
            online: e.online,
            has_stream: e.stream_url.is_some(),
            published_at: e.published_at,
            summary,
            updated_at: e.updated_at,
            version: e.version,
        }
    }

    pub fn is_public(&self, now: Timestamp) -> bool {
        self.published_at.is_some_and(|t| t <= now)
    }

    pub fn phase(&self, now: Timestamp) -> Phase {
        phase(self.starts_at, self.ends_at, now)
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Month {
    /// Sorted by start, then id.
    entries: Vec<Entry>,
}

/// `YYYY-MM` of an instant, in UTC.
fn month_of(t: Timestamp) -> String {
    let d = DateTime::<Utc>::from_timestamp(t.unix_seconds(), 0).unwrap_or(DateTime::UNIX_EPOCH);
    format!("{:04}-{:02}", d.year(), d.month())
}

/// The months of the public window around `now`: two back, the current one, eleven ahead.
fn window(now: Timestamp) -> Vec<String> {
    let d = DateTime::<Utc>::from_timestamp(now.unix_seconds(), 0).unwrap_or(DateTime::UNIX_EPOCH);
    let first = d
        .with_day(1)
        .and_then(|d| d.checked_sub_months(Months::new(2)))
        .unwrap_or(d);
    (0..WINDOW_MONTHS)
        .filter_map(|i| first.checked_add_months(Months::new(i)))
        .map(|m| format!("{:04}-{:02}", m.year(), m.month()))
        .collect()
}

/// Writes `entry` into its month (replacing an older copy), or removes `id` from `month`
/// when `entry` is `None`: 1 read + 1 compare-and-swap per attempt. With `enforce_cap`, a
/// new entry in a full month is refused.
fn write_month(
    store: &dyn KvStore,
    month: &str,
    id: &EventId,
    entry: Option<&Entry>,
    enforce_cap: bool,
) -> Result<(), EventError> {
    let key = keys::event_month(month);
    for _ in 0..CAS_ATTEMPTS {
        let current = store.get(&key)?;
        let mut doc: Month = match &current {
            Some(bytes) => store::from_json(&key, bytes)?,
            None => Month::default(),
        };
        let before = doc.clone();
        if let Some(entry) = entry
            && doc
                .entries
                .iter()
                .any(|e| e.id == entry.id && e.version >= entry.version)
        {
            return Ok(());
        }
        doc.entries.retain(|e| &e.id != id);
        if let Some(entry) = entry {
            if enforce_cap && doc.entries.len() >= MAX_EVENTS_PER_MONTH {
                return Err(full(month));
            }
            doc.entries.push(entry.clone());
            doc.entries
                .sort_by(|a, b| (a.starts_at, a.id.as_str()).cmp(&(b.starts_at, b.id.as_str())));
        }
        if doc == before {
            return Ok(());
        }
        if store.compare_and_swap(&key, current.as_deref(), &store::to_json(&key, &doc)?)? {
            return Ok(());
        }
    }
    Err(EventError::Busy)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Slot {
    id: EventId,
}

/// Stores a new draft event. Costs 1 increment + 1 write (slot) + 1 compare-and-swap
/// (event) + 1 read and 1 compare-and-swap (month).
pub fn create(
    store: &dyn KvStore,
    clock: &dyn Clock,
    id: EventId,
    mut new: NewEvent,
) -> Result<Event, EventError> {
    new.measure(store)?;
    let now = clock.now();
    let n = store.increment(&keys::event_seq(), 1)?;
    let slot = u64::try_from(n).map_err(|_| StoreError::Corrupt {
        key: keys::event_seq(),
        message: format!("negative event sequence {n}"),
    })?;
    store.set_json(&keys::event_slot(slot), &Slot { id: id.clone() })?;
    let event = with_content(
        Event {
            id,
            title: String::new(),
            description: String::new(),
            starts_at: now,
            ends_at: now,
            time_zone: Zone::PARIS,
            place: None,
            online: false,
            stream_url: None,
            replay_url: None,
            audience: None,
            registration_url: None,
            image: None,
            published_at: None,
            created_at: now,
            updated_at: now,
            version: 1,
            slot,
        },
        &new,
    );
    // The month first: a full month refuses the event before anything else is written but
    // the slot (freed again).
    if let Err(e) = write_month(
        store,
        &month_of(event.starts_at),
        &event.id,
        Some(&Entry::of(&event)),
        true,
    ) {
        free_slot(store, slot);
        return Err(e);
    }
    let key = keys::event(&event.id);
    if !store.compare_and_swap(&key, None, &store::to_json(&key, &event)?)? {
        free_slot(store, slot);
        return Err(EventError::Conflict);
    }
    Ok(event)
}

/// Gives a slot back after a refused creation (best effort: a slot naming no event is
/// skipped by the staff list).
fn free_slot(store: &dyn KvStore, slot: u64) {
    if let Err(e) = store.delete(&keys::event_slot(slot)) {
        eprintln!("failed to free event slot {slot}: {e}");
    }
}

fn with_content(mut e: Event, new: &NewEvent) -> Event {
    e.title = new.title.clone();
    e.description = new.description.clone();
    e.starts_at = new.starts_at;
    e.ends_at = new.ends_at;
    e.time_zone = new.time_zone;
    e.place = new.place.clone();
    e.online = new.online;
    e.stream_url = new.stream_url.clone();
    e.replay_url = new.replay_url.clone();
    e.audience = new.audience.clone();
    e.registration_url = new.registration_url.clone();
    e.image = new.image.clone();
    e
}

/// Costs 1 read. Drafts too.
pub fn get(store: &dyn KvStore, id: &EventId) -> Result<Event, EventError> {
    store
        .get_json(&keys::event(id))?
        .ok_or(EventError::NotFound)
}

/// An event the public may see at `now`.
pub fn get_public(store: &dyn KvStore, id: &EventId, now: Timestamp) -> Result<Event, EventError> {
    let event = get(store, id)?;
    if !event.is_public(now) {
        return Err(EventError::NotFound);
    }
    Ok(event)
}

fn update(
    store: &dyn KvStore,
    clock: &dyn Clock,
    id: &EventId,
    change: &dyn Fn(Event) -> Result<Event, EventError>,
) -> Result<Event, EventError> {
    let key = keys::event(id);
    for _ in 0..CAS_ATTEMPTS {
        let current = store.get(&key)?.ok_or(EventError::NotFound)?;
        let old: Event = store::from_json(&key, &current)?;
        let old_month = month_of(old.starts_at);
        let version = old.version;
        let mut updated = change(old)?;
        updated.version = version + 1;
        updated.updated_at = clock.now();
        let new_month = month_of(updated.starts_at);
        if new_month != old_month {
            // Refuse before writing anything when the new month is full. Only a check: an
            // entry written now could show content whose commit then fails.
            check_room(store, &new_month, id)?;
        }
        if store.compare_and_swap(&key, Some(&current), &store::to_json(&key, &updated)?)? {
            // Committed: the calendar follows, even past the cap if a concurrent creation
            // filled the month since the check (a few entries over, at worst).
            if new_month != old_month {
                write_month(store, &old_month, id, None, false)?;
            }
            write_month(store, &new_month, id, Some(&Entry::of(&updated)), false)?;
            return Ok(updated);
        }
    }
    Err(EventError::Busy)
}

/// Refuses when `month` is full and does not already hold `id`: 1 read.
fn check_room(store: &dyn KvStore, month: &str, id: &EventId) -> Result<(), EventError> {
    let key = keys::event_month(month);
    let doc: Month = store.get_json(&key)?.unwrap_or_default();
    if doc.entries.len() >= MAX_EVENTS_PER_MONTH && !doc.entries.iter().any(|e| &e.id == id) {
        return Err(full(month));
    }
    Ok(())
}

fn full(month: &str) -> EventError {
    invalid(format!(
        "starts_at: the calendar of {month} is full ({MAX_EVENTS_PER_MONTH} events)"
    ))
}

pub fn edit(
    store: &dyn KvStore,
    clock: &dyn Clock,
    id: &EventId,
    mut new: NewEvent,
) -> Result<Event, EventError> {
    new.measure(store)?;
    update(store, clock, id, &|e| Ok(with_content(e, &new)))
}

/// Publishes now or at a date.
pub fn publish(
    store: &dyn KvStore,
    clock: &dyn Clock,
    id: &EventId,
    at: Option<Timestamp>,
) -> Result<Event, EventError> {
    let when = at.unwrap_or_else(|| clock.now());
    update(store, clock, id, &|mut e| {
        e.published_at = Some(when);
        Ok(e)
    })
}

pub fn unpublish(
    store: &dyn KvStore,
    clock: &dyn Clock,
    id: &EventId,
) -> Result<Event, EventError> {
    update(store, clock, id, &|mut e| {
        e.published_at = None;
        Ok(e)
    })
}

/// Deletes an event: its calendar entry, its slot, then the document (last, so a retry
/// finishes a deletion that failed part way).
pub fn delete(store: &dyn KvStore, id: &EventId) -> Result<(), EventError> {
    let event = get(store, id)?;
    write_month(store, &month_of(event.starts_at), id, None, false)?;
    store.delete(&keys::event_slot(event.slot))?;
    store.delete(&keys::event(id))?;
    Ok(())
}

/// The public calendar around `now`: every published entry of the window, by start.
/// 1 batch read.
pub fn calendar(store: &dyn KvStore, now: Timestamp) -> Result<Vec<Entry>, EventError> {
    let month_keys: Vec<String> = window(now).iter().map(|m| keys::event_month(m)).collect();
    let mut found: HashMap<String, Month> = HashMap::new();
    for (key, value) in store.get_many(&month_keys)? {
        if let Some(bytes) = value {
            let doc: Month = store::from_json(&key, &bytes)?;
            found.insert(key, doc);
        }
    }
    // Months in order, entries sorted inside each: the whole list is sorted by start.
    Ok(month_keys
        .iter()
        .filter_map(|k| found.remove(k))
        .flat_map(|m| m.entries)
        .filter(|e| e.is_public(now))
        .collect())
}

/// What the public pages show.
#[derive(Debug, Clone, PartialEq)]
pub struct Upcoming {
    /// Running now.
    pub live: Vec<Entry>,
    /// Not started yet, soonest first, one page.
    pub upcoming: Vec<Entry>,
    /// The next page number (1-based) when there are more.
    pub next_page: Option<usize>,
}

/// Live and upcoming events, page `page` (1-based) of [`PAGE_SIZE`]: 1 batch read.
pub fn upcoming(store: &dyn KvStore, now: Timestamp, page: usize) -> Result<Upcoming, EventError> {
    let entries = calendar(store, now)?;
    let live = entries
        .iter()
        .filter(|e| e.phase(now) == Phase::Live)
        .cloned()
        .collect();
    let future: Vec<Entry> = entries
        .into_iter()
        .filter(|e| e.phase(now) == Phase::Upcoming)
        .collect();
    let page = page.max(1);
    let start = (page - 1) * PAGE_SIZE;
    let upcoming: Vec<Entry> = future.iter().skip(start).take(PAGE_SIZE).cloned().collect();
    Ok(Upcoming {
        live,
        upcoming,
        next_page: (future.len() > start + PAGE_SIZE).then_some(page + 1),
    })
}

/// One page of the staff list, newest first: 1 counter read (without `page`) + 1 batch read
/// (slots) + 1 batch read (events).
pub fn list_all(
    store: &dyn KvStore,
    page: Option<u64>,
) -> Result<(Vec<Event>, Option<u64>), EventError> {
    Ok(store::numbered_page(
        store,
        &keys::event_seq(),
        keys::event_slot,
        keys::event,
        page,
        STAFF_PAGE_SLOTS,
    )?)
}

#[cfg(test)]
mod tests;
