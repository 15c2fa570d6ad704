//! The ordered index of showcases, without listing the store: one slot per showcase, numbered
//! by an atomic counter (newest = highest), holding a small [`Card`] that lists need; and the
//! list of slots featured on the home page.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::model::{Placement, Showcase, ShowcaseKind, Visibility, visibility};
use super::{CAS_ATTEMPTS, ShowcaseError, ShowcaseId};
use crate::clock::Timestamp;
use crate::keys;
use crate::store::{self, KvStore, StoreError};

/// Slots read per list page: bounds the work of one request.
pub const PAGE_SLOTS: u64 = 24;
/// Showcases featured on the home page at most; featuring one more drops the oldest.
pub const MAX_FEATURED: usize = 8;

/// What lists show of a showcase: a copy of part of its document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Card {
    pub id: ShowcaseId,
    pub kind: ShowcaseKind,
    pub title: String,
    pub summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<Placement>,
    pub published_at: Option<Timestamp>,
    pub featured: bool,
    pub items: usize,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: u64,
    pub slot: u64,
}

impl Card {
    pub fn of(s: &Showcase) -> Card {
        let image = s.card_image().cloned().map(|mut p| {
            // Lists show a thumbnail only: the long texts stay in the document.
            p.caption = None;
            p
        });
        Card {
            id: s.id.clone(),
            kind: s.kind,
            title: s.title.clone(),
            summary: s.summary.clone(),
            image,
            published_at: s.published_at,
            featured: s.featured,
            items: s.items.len(),
            created_at: s.created_at,
            updated_at: s.updated_at,
            version: s.version,
            slot: s.slot,
        }
    }

    pub fn visibility(&self, now: Timestamp) -> Visibility {
        visibility(self.published_at, now)
    }

    pub fn is_public(&self, now: Timestamp) -> bool {
        self.visibility(now) == Visibility::Published
    }
}

/// Hands out the next slot number: 1 increment, atomic on every Spin store.
pub fn reserve(store: &dyn KvStore) -> Result<u64, ShowcaseError> {
    let n = store.increment(&keys::showcase_seq(), 1)?;
    u64::try_from(n).map_err(|_| {
        ShowcaseError::Storage(StoreError::Corrupt {
            key: keys::showcase_seq(),
            message: format!("negative showcase sequence {n}"),
        })
    })
}

/// Writes `card` unless the stored one is already as fresh: 1 read + at most 1
/// compare-and-swap per attempt.
pub fn write_card(store: &dyn KvStore, card: &Card) -> Result<(), ShowcaseError> {
    let key = keys::showcase_slot(card.slot);
    let bytes = store::to_json(&key, card)?;
    for _ in 0..CAS_ATTEMPTS {
        let current = store.get(&key)?;
        if let Some(current) = &current
            && let Ok(stored) = serde_json::from_slice::<Card>(current)
            && stored.version >= card.version
        {
            return Ok(());
        }
        if store.compare_and_swap(&key, current.as_deref(), &bytes)? {
            return Ok(());
        }
    }
    Err(ShowcaseError::Busy)
}

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Featured {
    /// Newest first.
    slots: Vec<u64>,
}

/// Adds `slot` to (or removes it from) the featured list: 1 read + 1 compare-and-swap.
/// The list's first write is a swap from "absent", an upsert on Spin's SQLite store: two
/// staff featuring at the very same first instant may lose one of the two, which featuring
/// again repairs; every later change is a true compare-and-swap.
pub fn set_featured(store: &dyn KvStore, slot: u64, featured: bool) -> Result<(), ShowcaseError> {
    let key = keys::showcase_featured();
    for _ in 0..CAS_ATTEMPTS {
        let current = store.get(&key)?;
        let mut list: Featured = match &current {
            Some(bytes) => store::from_json(&key, bytes)?,
            None => Featured::default(),
        };
        let before = list.clone();
        list.slots.retain(|s| *s != slot);
        if featured {
            list.slots.insert(0, slot);
            list.slots.truncate(MAX_FEATURED);
        }
        if list == before {
            return Ok(());
        }
        if store.compare_and_swap(&key, current.as_deref(), &store::to_json(&key, &list)?)? {
            return Ok(());
        }
    }
    Err(ShowcaseError::Busy)
}

/// The featured showcases public at `now`, newest featured first: 1 read + 1 batch read.
pub fn featured(store: &dyn KvStore, now: Timestamp) -> Result<Vec<Card>, ShowcaseError> {
    let key = keys::showcase_featured();
    let list: Featured = store.get_json(&key)?.unwrap_or_default();
    if list.slots.is_empty() {
        return Ok(Vec::new());
    }
    let cards = read_cards(store, &list.slots)?;
    Ok(cards
        .into_iter()
        .filter(|c| c.featured && c.is_public(now))
        .collect())
}

/// One page of the list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// Newest first.
    pub cards: Vec<Card>,
    /// The `page` to ask for next (older showcases); `None` on the last page.
    pub next_page: Option<u64>,
}

/// Which showcases a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Only those published at this instant.
    Public(Timestamp),
    /// Drafts and scheduled ones too.
    Staff,
}

/// The showcases of the slots from `page` (the newest when `None`) back [`PAGE_SLOTS`]
/// slots: 1 counter read (only without `page`) + 1 batch read. A public page may hold fewer
/// than [`PAGE_SLOTS`] showcases (drafts are skipped) while `next_page` still goes further.
pub fn list(
    store: &dyn KvStore,
    audience: Audience,
    page: Option<u64>,
) -> Result<Page, ShowcaseError> {
    let top = match page {
        Some(page) => page,
        None => {
            let seq = store::read_counters(store, &[keys::showcase_seq()])?;
            u64::try_from(seq.first().copied().unwrap_or(0)).unwrap_or(0)
        }
    };
    if top == 0 {
        return Ok(Page {
            cards: Vec::new(),
            next_page: None,
        });
    }
    let bottom = top.saturating_sub(PAGE_SLOTS - 1).max(1);
    let slots: Vec<u64> = (bottom..=top).rev().collect();
    let cards = read_cards(store, &slots)?
        .into_iter()
        .filter(|c| match audience {
            Audience::Public(now) => c.is_public(now),
            Audience::Staff => true,
        })
        .collect();
    Ok(Page {
        cards,
        next_page: (bottom > 1).then_some(bottom - 1),
    })
}

/// The cards of `slots`, in that order, skipping empty slots: 1 batch read.
fn read_cards(store: &dyn KvStore, slots: &[u64]) -> Result<Vec<Card>, ShowcaseError> {
    let slot_keys: Vec<String> = slots.iter().map(|n| keys::showcase_slot(*n)).collect();
    let mut found: HashMap<String, Card> = HashMap::new();
    for (key, value) in store.get_many(&slot_keys)? {
        if let Some(bytes) = value {
            let card: Card = store::from_json(&key, &bytes)?;
            found.insert(key, card);
        }
    }
    Ok(slot_keys.iter().filter_map(|k| found.remove(k)).collect())
}
