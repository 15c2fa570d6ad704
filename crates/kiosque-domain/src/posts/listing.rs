//! The staff views of posts without listing the store: a registry of numbered slots (newest
//! first, filtered by state), and a per-day index of scheduled posts (date ranges and the
//! month calendar).
//!
//! Both are append-only hint lists like the due index: `increment` hands out a slot, the
//! entry is written once, and the post document decides. A day entry whose `seq` is not the
//! post's current schedule (it was moved or unscheduled) is skipped, so each post shows once,
//! on its current day.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{Post, PostError, PostId, StateName, due};
use crate::keys;
use crate::store::{self, KvStore};
use crate::zone::LocalDateTime;

/// Registry slots read per page.
pub const PAGE_SLOTS: u64 = 50;
/// The longest date range one request reads (a month view plus its edges).
pub const MAX_RANGE_DAYS: i64 = 62;
/// Day entries one range request reads, at most (bounds the batch reads).
pub const MAX_RANGE_ENTRIES: u64 = 1000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct RegistrySlot {
    id: PostId,
}

/// Reserves a registry slot for a new post: 1 increment + 1 write.
pub fn reserve(store: &dyn KvStore, id: &PostId) -> Result<u64, PostError> {
    let seq_key = keys::post_registry_seq();
    let n = due::slot_number(store.increment(&seq_key, 1)?, &seq_key)?;
    let key = keys::post_registry(n);
    store.set(
        &key,
        &store::to_json(&key, &RegistrySlot { id: id.clone() })?,
    )?;
    Ok(n)
}

/// Lists `post` (schedule `seq`) under local date `day`: 1 increment + 1 write.
pub fn add_to_day(
    store: &dyn KvStore,
    day: &str,
    post: &PostId,
    seq: u64,
) -> Result<(), PostError> {
    let seq_key = keys::post_day_seq(day);
    let n = due::slot_number(store.increment(&seq_key, 1)?, &seq_key)?;
    let key = keys::post_day_entry(day, n);
    let entry = due::Entry {
        post: post.clone(),
        seq,
    };
    store.set(&key, &store::to_json(&key, &entry)?)?;
    Ok(())
}

/// Reads the posts under `keys` in one batch read, in the order of `keys` (absent skipped).
fn read_posts(store: &dyn KvStore, post_keys: &[String]) -> Result<Vec<Post>, PostError> {
    if post_keys.is_empty() {
        return Ok(Vec::new());
    }
    let mut docs = HashMap::new();
    for (key, value) in store.get_many(post_keys)? {
        if let Some(bytes) = value {
            let post: Post = super::decode(&key, &bytes)?;
            docs.insert(key, post);
        }
    }
    Ok(post_keys.iter().filter_map(|k| docs.remove(k)).collect())
}

/// One page of the registry.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub posts: Vec<Post>,
    pub next_page: Option<u64>,
}

/// The posts of registry slots `page` (newest when `None`) and the [`PAGE_SLOTS`] - 1 before,
/// newest first, optionally only those in `state`. Costs 1 counter read (without `page`) +
/// 2 batch reads.
pub fn page(
    store: &dyn KvStore,
    state: Option<StateName>,
    page: Option<u64>,
) -> Result<Page, PostError> {
    let top = match page {
        Some(page) => page,
        None => store::read_counters(store, &[keys::post_registry_seq()])?
            .first()
            .map_or(0, |n| u64::try_from(*n).unwrap_or(0)),
    };
    if top == 0 {
        return Ok(Page {
            posts: Vec::new(),
            next_page: None,
        });
    }
    let bottom = top.saturating_sub(PAGE_SLOTS - 1).max(1);
    let slot_keys: Vec<String> = (bottom..=top).rev().map(keys::post_registry).collect();
    let mut slots = HashMap::new();
    for (key, value) in store.get_many(&slot_keys)? {
        if let Some(bytes) = value {
            let slot: RegistrySlot = super::decode(&key, &bytes)?;
            slots.insert(key, slot.id);
        }
    }
    // A creation that failed after its slot and was retried with the same id (a CSV row
    // imported again) has two slots: the post is listed once.
    let mut listed = std::collections::HashSet::new();
    let post_keys: Vec<String> = slot_keys
        .iter()
        .filter_map(|k| slots.remove(k))
        .filter(|id| listed.insert(id.clone()))
        .map(|id| keys::post(&id))
        .collect();
    let posts = read_posts(store, &post_keys)?
        .into_iter()
        .filter(|p| state.is_none_or(|s| p.state.name() == s))
        .collect();
    Ok(Page {
        posts,
        next_page: (bottom > 1).then_some(bottom - 1),
    })
}

/// A range of local dates, inclusive, at most [`MAX_RANGE_DAYS`] long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    pub from: LocalDateTime,
    pub days: i64,
}

impl DateRange {
    /// `from` and `to` are `YYYY-MM-DD`.
    pub fn parse(from: &str, to: &str) -> Result<Self, PostError> {
        let date = |field: &str, text: &str| {
            // `parse_date` for its message (the accepted years), then the same day at midnight.
            crate::zone::parse_date(field, text).map_err(PostError::BadRequest)?;
            LocalDateTime::parse(&format!("{}T00:00", text.trim()))
                .map_err(|_| PostError::BadRequest(format!("{field}: expected a date YYYY-MM-DD")))
        };
        let from = date("from", from)?;
        let to = date("to", to)?;
        let mut days = 0;
        while from.plus_days(days).is_some_and(|day| day < to) {
            days += 1;
            if days >= MAX_RANGE_DAYS {
                return Err(PostError::BadRequest(format!(
                    "to: a range covers at most {MAX_RANGE_DAYS} days"
                )));
            }
        }
        if to < from {
            return Err(PostError::BadRequest(
                "to: must not be before from".to_owned(),
            ));
        }
        Ok(DateRange {
            from,
            days: days + 1,
        })
    }

    /// The month `YYYY-MM`.
    pub fn month(text: &str) -> Result<Self, PostError> {
        let bad = || {
            PostError::BadRequest(format!(
                "month: expected YYYY-MM, the year from {} to {}",
                crate::clock::YEARS.start(),
                crate::clock::YEARS.end()
            ))
        };
        let first =
            LocalDateTime::parse(&format!("{}-01T00:00", text.trim())).map_err(|_| bad())?;
        let mut days = 28;
        while first
            .plus_days(days)
            .is_some_and(|day| day.month() == first.month())
        {
            days += 1;
        }
        Ok(DateRange { from: first, days })
    }

    pub fn dates(&self) -> Vec<String> {
        (0..self.days)
            .filter_map(|d| self.from.plus_days(d).map(|day| day.date()))
            .collect()
    }
}

/// The posts scheduled on the local dates of `range` (by their current schedule), ordered by
/// due time, optionally only those in `state`. Costs 1 batch read of day counters + 1 batch
/// read of entries + 1 batch read of posts; at most [`MAX_RANGE_ENTRIES`] entries are read
/// (`truncated` says when more exist).
pub fn range(
    store: &dyn KvStore,
    range: DateRange,
    state: Option<StateName>,
) -> Result<(Vec<Post>, bool), PostError> {
    let dates = range.dates();
    let seq_keys: Vec<String> = dates.iter().map(|d| keys::post_day_seq(d)).collect();
    let counts = store::read_counters(store, &seq_keys)?;
    let mut entry_keys = Vec::new();
    let mut truncated = false;
    'days: for (date, count) in dates.iter().zip(counts) {
        for n in 1..=u64::try_from(count).unwrap_or(0) {
            if entry_keys.len() as u64 == MAX_RANGE_ENTRIES {
                truncated = true;
                break 'days;
            }
            entry_keys.push(keys::post_day_entry(date, n));
        }
    }
    let mut wanted: Vec<(PostId, u64)> = Vec::new();
    if !entry_keys.is_empty() {
        let mut entries = HashMap::new();
        for (key, value) in store.get_many(&entry_keys)? {
            if let Some(bytes) = value {
                let entry: due::Entry = super::decode(&key, &bytes)?;
                entries.insert(key, entry);
            }
        }
        for key in &entry_keys {
            if let Some(entry) = entries.remove(key)
                && !wanted.iter().any(|(id, _)| *id == entry.post)
            {
                wanted.push((entry.post, entry.seq));
            }
        }
    }
    let post_keys: Vec<String> = wanted.iter().map(|(id, _)| keys::post(id)).collect();
    let first = range.from.date();
    let last = range
        .from
        .plus_days(range.days - 1)
        .map_or_else(|| first.clone(), |day| day.date());
    let mut posts: Vec<Post> = read_posts(store, &post_keys)?
        .into_iter()
        .filter(|p| {
            p.schedule
                .as_ref()
                .is_some_and(|s| s.day >= first && s.day <= last)
        })
        .filter(|p| state.is_none_or(|s| p.state.name() == s))
        .collect();
    posts.sort_by_key(|p| p.schedule.as_ref().map(|s| s.due_at));
    Ok((posts, truncated))
}
