//! Saving tutorials with their history, publishing them, and reading them for a page.
//!
//! Every save turns the current document into version `n` under `tutorial/{slug}/version/{n}`
//! and writes version `n + 1` as the current one with compare-and-swap; version
//! `n + 1 - MAX_VERSIONS` is deleted, so at most [`MAX_VERSIONS`] previous versions stay.
//! Restoring version `k` saves its content again as a new version: history only grows
//! forward, and a restore can itself be undone.
//!
//! Publication is not content: publishing, scheduling and unpublishing rewrite the current
//! document without adding a version. A tutorial is visible when `published_at <= now`, so
//! a future date needs no scheduler: it appears by itself.
//!
//! Store calls: create 8 (catalogue room, claim, write, 2 + 2 index updates; +1 batch read
//! when steps include blocks, to check they exist); save 7 (read, previous version, CAS,
//! 2 + 2 index updates; +1 delete of the oldest version past [`MAX_VERSIONS`], +1 block
//! check); page view 2 (the tutorial, then its blocks and translation in one batch read).

use std::collections::BTreeMap;

use super::catalogue::{self, Entry};
use super::model::{Block, BlockId, Slug, Tutorial, TutorialContent};
use super::{MAX_VERSIONS, TutorialError, VersionSummary, search};
use crate::claims::{self, Claim};
use crate::clock::Timestamp;
use crate::keys;
use crate::store::{self, KvStore};

/// Reads the current document. 1 `get`.
pub fn get(store: &dyn KvStore, slug: &Slug) -> Result<Tutorial, TutorialError> {
    read(store, slug).map(|(t, _)| t)
}

fn read(store: &dyn KvStore, slug: &Slug) -> Result<(Tutorial, Vec<u8>), TutorialError> {
    let key = keys::tutorial(slug);
    let bytes = store.get(&key)?.ok_or(TutorialError::NotFound)?;
    Ok((crate::store::from_json(&key, &bytes)?, bytes))
}

/// Creates tutorial `slug` as a draft, version 1. 409 `tutorial_exists` when the slug was
/// ever taken (the claim is exclusive even under concurrency: [`claims::claim_once`], proved
/// by the document; [`delete`] retires it). A creation that failed gives the slug back, one
/// whose instance died before the document is taken over after the claim's grace. The
/// catalogue and search entries follow the document: should they fail, the next save
/// writes them.
pub fn create(
    store: &dyn KvStore,
    now: Timestamp,
    slug: Slug,
    mut content: TutorialContent,
) -> Result<Tutorial, TutorialError> {
    if !catalogue::has_room(store)? {
        return Err(TutorialError::Full);
    }
    super::blocks::check_exist(store, &content)?;
    content.measure_media(store)?;
    let claim = keys::tutorial_claim(&slug);
    match claims::claim_once(store, now, &claim, &keys::tutorial(&slug))? {
        Claim::Won => {}
        Claim::Exists(_) => return Err(TutorialError::Exists),
        Claim::Pending => return Err(TutorialError::Busy),
    }
    let tutorial = Tutorial {
        slug,
        version: 1,
        content,
        created_at: now,
        updated_at: now,
        published_at: None,
    };
    // The document first: the indexes then point at something that exists.
    if let Err(e) = store.set_json(&keys::tutorial(&tutorial.slug), &tutorial) {
        // Give the slug back so staff can retry at once.
        claims::release(store, &claim);
        return Err(e.into());
    }
    reindex(store, &tutorial)?;
    Ok(tutorial)
}

/// Saves new content for `slug`, keeping the previous version. With `if_version`, refuses
/// (409 `stale_version`) when someone saved since the editor loaded that version.
pub fn update(
    store: &dyn KvStore,
    now: Timestamp,
    slug: &Slug,
    mut content: TutorialContent,
    if_version: Option<u64>,
) -> Result<Tutorial, TutorialError> {
    super::blocks::check_exist(store, &content)?;
    content.measure_media(store)?;
    let (current, bytes) = read(store, slug)?;
    if let Some(expected) = if_version
        && expected != current.version
    {
        return Err(TutorialError::Stale {
            current: current.version,
        });
    }
    let read_version = current.version;
    match save_over(store, now, current, bytes, content) {
        // Lost the swap: when a save of a new version won it, the editor's version is stale,
        // which says more than "busy" (another instance, or another tab, saved meanwhile).
        Err(TutorialError::Busy) if if_version.is_some() => {
            let (latest, _) = read(store, slug)?;
            Err(if latest.version != read_version {
                TutorialError::Stale {
                    current: latest.version,
                }
            } else {
                TutorialError::Busy
            })
        }
        other => other,
    }
}

fn save_over(
    store: &dyn KvStore,
    now: Timestamp,
    current: Tutorial,
    current_bytes: Vec<u8>,
    content: TutorialContent,
) -> Result<Tutorial, TutorialError> {
    let slug = current.slug.clone();
    // The snapshot first: should the swap below lose, the snapshot holds the very same
    // document (version numbers are unique), so writing it twice is harmless.
    store.set(
        &keys::tutorial_version(&slug, current.version),
        &current_bytes,
    )?;
    let next = Tutorial {
        version: current.version + 1,
        content,
        updated_at: now,
        ..current.clone()
    };
    let key = keys::tutorial(&slug);
    let new = store::to_json(&key, &next)?;
    if !store.compare_and_swap(&key, Some(&current_bytes), &new)? {
        return Err(TutorialError::Busy);
    }
    if let Some(oldest) = next.version.checked_sub(MAX_VERSIONS + 1)
        && oldest >= 1
    {
        store.delete(&keys::tutorial_version(&slug, oldest))?;
    }
    reindex(store, &next)?;
    Ok(next)
}

/// Brings the catalogue and the search index in line with `tutorial`.
fn reindex(store: &dyn KvStore, tutorial: &Tutorial) -> Result<(), TutorialError> {
    catalogue::upsert(store, tutorial)?;
    search::index(store, tutorial)
}

/// The previous versions still kept, newest first. 1 `get` + 1 `get_many`.
pub fn history(store: &dyn KvStore, slug: &Slug) -> Result<Vec<VersionSummary>, TutorialError> {
    let current = get(store, slug)?;
    let first = current.version.saturating_sub(MAX_VERSIONS).max(1);
    let wanted: Vec<String> = (first..current.version)
        .map(|n| keys::tutorial_version(slug, n))
        .collect();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let mut versions = Vec::new();
    for (key, value) in store.get_many(&wanted)? {
        if let Some(bytes) = value {
            let t: Tutorial = crate::store::from_json(&key, &bytes)?;
            versions.push(VersionSummary {
                version: t.version,
                title: t.content.title,
                saved_at: t.updated_at,
            });
        }
    }
    versions.sort_by_key(|v| std::cmp::Reverse(v.version));
    Ok(versions)
}

/// One previous version as it was saved. 1 `get`.
pub fn version(store: &dyn KvStore, slug: &Slug, n: u64) -> Result<Tutorial, TutorialError> {
    let key = keys::tutorial_version(slug, n);
    let bytes = store.get(&key)?.ok_or(TutorialError::VersionNotFound)?;
    Ok(crate::store::from_json(&key, &bytes)?)
}

/// Saves version `n`'s content as a new version (the current one is kept in the history).
pub fn restore(
    store: &dyn KvStore,
    now: Timestamp,
    slug: &Slug,
    n: u64,
) -> Result<Tutorial, TutorialError> {
    let old = version(store, slug, n)?;
    let (current, bytes) = read(store, slug)?;
    save_over(store, now, current, bytes, old.content)
}

/// Publishes now (`at = None`) or from a date; `unpublish` makes it a draft again. Not a new
/// version. 1 read + 1 CAS + the catalogue update.
pub fn set_publication(
    store: &dyn KvStore,
    slug: &Slug,
    published_at: Option<Timestamp>,
) -> Result<Tutorial, TutorialError> {
    let (current, bytes) = read(store, slug)?;
    let next = Tutorial {
        published_at,
        ..current
    };
    let key = keys::tutorial(slug);
    if !store.compare_and_swap(&key, Some(&bytes), &store::to_json(&key, &next)?)? {
        return Err(TutorialError::Busy);
    }
    catalogue::upsert(store, &next)?;
    Ok(next)
}

/// Deletes tutorial `slug`: out of the catalogue and the search index first (so no list
/// links to a missing page), then the document and its kept versions. At most 4 + 1 + 1 +
/// [`MAX_VERSIONS`] calls. The slug stays claimed: its feedback counters and visitors'
/// records cannot be listed without scanning the store, so a new tutorial under the same
/// slug would inherit them; staff pick another slug (409 `tutorial_exists`).
pub fn delete(store: &dyn KvStore, slug: &Slug) -> Result<(), TutorialError> {
    let current = get(store, slug)?;
    catalogue::remove(store, slug)?;
    search::unindex(store, slug)?;
    // Retired first: a claim without its document must never look like a dead creation.
    claims::retire(store, &keys::tutorial_claim(slug))?;
    store.delete(&keys::tutorial(slug))?;
    let first = current.version.saturating_sub(MAX_VERSIONS).max(1);
    for n in first..current.version {
        store.delete(&keys::tutorial_version(slug, n))?;
    }
    Ok(())
}

/// What a tutorial page shows.
#[derive(Debug, Clone)]
pub struct TutorialView {
    pub tutorial: Tutorial,
    /// The blocks its steps include; a block deleted or never written is simply absent.
    pub blocks: BTreeMap<BlockId, Block>,
    /// The other-language version, when it exists and is visible too.
    pub translation: Option<Entry>,
}

/// The visible tutorial `slug` with its blocks and translation: 1 `get` + at most 1
/// `get_many`, whatever the number of tutorials, blocks or steps.
pub fn view(
    store: &dyn KvStore,
    now: Timestamp,
    slug: &Slug,
) -> Result<TutorialView, TutorialError> {
    let tutorial = get(store, slug)?;
    if !tutorial.is_visible(now) {
        return Err(TutorialError::NotFound);
    }
    let block_keys: Vec<String> = tutorial
        .content
        .block_ids()
        .iter()
        .map(keys::tutorial_block)
        .collect();
    let translation_key = tutorial.content.translation.as_ref().map(keys::tutorial);
    let wanted: Vec<String> = block_keys
        .iter()
        .cloned()
        .chain(translation_key.clone())
        .collect();
    let mut blocks = BTreeMap::new();
    let mut translation = None;
    if !wanted.is_empty() {
        for (key, value) in store.get_many(&wanted)? {
            let Some(bytes) = value else { continue };
            if Some(&key) == translation_key.as_ref() {
                let other: Tutorial = crate::store::from_json(&key, &bytes)?;
                if other.is_visible(now) && other.content.lang != tutorial.content.lang {
                    translation = Some(Entry::of(&other));
                }
            } else {
                let block: Block = crate::store::from_json(&key, &bytes)?;
                blocks.insert(block.id.clone(), block);
            }
        }
    }
    Ok(TutorialView {
        tutorial,
        blocks,
        translation,
    })
}
