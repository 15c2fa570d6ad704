//! The catalogue: one document listing every tutorial with what the index page, the staff
//! list, the RSS feed and search results show. Tens to a few hundred tutorials at about 1 KB
//! each (capped at [`MAX_TUTORIALS`]) fit in one value far below Spin's 1 MB, so those pages
//! cost one `get` whatever the number of tutorials. Staff saves keep it up to date
//! (compare-and-swap, see `update_shared`).

use serde::{Deserialize, Serialize};

use super::model::{Language, Level, Service, Slug, Tutorial};
use super::{MAX_TUTORIALS, TutorialError, update_shared};
use crate::clock::Timestamp;
use crate::keys;
use crate::store::KvStore;

/// A tutorial as lists show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub slug: Slug,
    pub lang: Language,
    pub title: String,
    pub summary: String,
    pub service: Service,
    pub tags: Vec<String>,
    pub level: Level,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_minutes: Option<u32>,
    pub steps: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub translation: Option<Slug>,
    pub version: u64,
    pub updated_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_at: Option<Timestamp>,
}

impl Entry {
    pub fn of(t: &Tutorial) -> Self {
        let c = &t.content;
        Entry {
            slug: t.slug.clone(),
            lang: c.lang,
            title: c.title.clone(),
            summary: c.summary.clone(),
            service: c.service.clone(),
            tags: c.tags.clone(),
            level: c.level,
            estimated_minutes: c.estimated_minutes,
            steps: c.steps.len(),
            translation: c.translation.clone(),
            version: t.version,
            updated_at: t.updated_at,
            published_at: t.published_at,
        }
    }

    pub fn is_visible(&self, now: Timestamp) -> bool {
        self.published_at.is_some_and(|at| at <= now)
    }

    /// The date a feed shows: the publication, or a later update.
    pub fn feed_date(&self) -> Timestamp {
        match self.published_at {
            Some(published) if published > self.updated_at => published,
            _ => self.updated_at,
        }
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Catalogue {
    pub entries: Vec<Entry>,
}

/// Every tutorial, drafts included, sorted by title, accents folded (staff list). 1 `get`.
pub fn all(store: &dyn KvStore) -> Result<Vec<Entry>, TutorialError> {
    let key = keys::tutorial_catalogue();
    let mut entries = match store.get(&key)? {
        Some(bytes) => crate::store::from_json::<Catalogue>(&key, &bytes)?.entries,
        None => Vec::new(),
    };
    // Folded, so "Écran" sorts with the E's rather than after "Z".
    entries.sort_by_cached_key(|e| super::search::terms(&e.title).join(" "));
    Ok(entries)
}

/// The tutorials patrons may see at `now`, sorted by title. 1 `get`.
pub fn visible(store: &dyn KvStore, now: Timestamp) -> Result<Vec<Entry>, TutorialError> {
    let mut entries = all(store)?;
    entries.retain(|e| e.is_visible(now));
    Ok(entries)
}

/// Adds or replaces `tutorial`'s entry (1 read + 1 compare-and-swap). A new entry beyond
/// [`MAX_TUTORIALS`] is refused with [`TutorialError::Full`].
pub fn upsert(store: &dyn KvStore, tutorial: &Tutorial) -> Result<(), TutorialError> {
    let entry = Entry::of(tutorial);
    update_shared(
        store,
        &keys::tutorial_catalogue(),
        &keys::tutorial_catalogue_init(),
        |c: &mut Catalogue| {
            let full = c.entries.len() >= MAX_TUTORIALS;
            match c.entries.iter_mut().find(|e| e.slug == entry.slug) {
                Some(existing) => *existing = entry.clone(),
                None if full => return Err(TutorialError::Full),
                None => c.entries.push(entry.clone()),
            }
            Ok(())
        },
    )
    .map(|_: Catalogue| ())
}

/// Whether a new tutorial still fits (checked before claiming its slug). 1 `get`.
pub fn has_room(store: &dyn KvStore) -> Result<bool, TutorialError> {
    Ok(all(store)?.len() < MAX_TUTORIALS)
}

/// Removes `slug`'s entry (1 read + 1 compare-and-swap; nothing written when absent).
pub fn remove(store: &dyn KvStore, slug: &Slug) -> Result<(), TutorialError> {
    update_shared(
        store,
        &keys::tutorial_catalogue(),
        &keys::tutorial_catalogue_init(),
        |c: &mut Catalogue| {
            c.entries.retain(|e| &e.slug != slug);
            Ok(())
        },
    )
    .map(|_: Catalogue| ())
}
