//! Showcases: the library's shop window. Staff build music playlists, book extracts, film
//! picks and virtual exhibitions (one model, typed items: see [`model`]), publish them now or
//! at a date, and feature some on the home page; patrons see only what is published.
//!
//! Storage (keys in `keys`, cost in store calls, none grows with the number of showcases):
//! - `showcase/{id}`: the whole showcase, items included (bounded by [`model::MAX_ITEMS`] and
//!   the text limits, far under Spin's 1 MB). A showcase page or an exhibition room costs
//!   1 read.
//! - `showcases/seq` + `showcases/{n}`: the ordered index, one slot per showcase holding its
//!   [`index::Card`] (title, summary, image, publication date). A list page costs 1 counter
//!   read + 1 batch read, whatever the number of showcases.
//! - `showcases/featured`: the slots featured on the home page, newest first. The home page
//!   costs 1 read + 1 batch read for them.
//!
//! Writes: create = 1 increment + 1 write (card) + 1 compare-and-swap (document); every
//! change = 1 read + 1 compare-and-swap (document) + 1 read + 1 compare-and-swap (card);
//! featuring adds 1 read + 1 compare-and-swap (featured list).
//!
//! Invariant: the document is the truth; the card is a copy for lists, rewritten after each
//! change and carrying the document's `version`, so a slow writer never replaces a fresher
//! card with an older one. A crash between the two writes leaves a stale card until the next
//! change; pages of one showcase always read the document.

use crate::clock::{Clock, Timestamp};
use crate::error::{DomainError, ErrorKind};
use crate::keys;
use crate::store::{self, KvStore, StoreError};

pub mod index;
pub mod isbn;
pub mod library;
pub mod model;
pub mod text;

pub use isbn::Isbn13;
pub use model::{
    Item, ItemRequest, NewShowcase, Placement, Showcase, ShowcaseKind, ShowcaseRequest, Visibility,
};

/// Attempts of a compare-and-swap loop before answering "busy".
const CAS_ATTEMPTS: usize = 8;
/// The largest stored showcase, in bytes of JSON: half of Spin's 1 MB guarantee. The field
/// limits allow more in the worst case (60 long book extracts written in 4-byte characters),
/// so the whole document is checked too, with an error staff can act on.
pub const MAX_DOCUMENT_BYTES: usize = 500_000;

/// Encodes a showcase for `key`, refusing one too large to store.
fn encode(key: &str, showcase: &Showcase) -> Result<Vec<u8>, ShowcaseError> {
    let bytes = store::to_json(key, showcase)?;
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(ShowcaseError::Invalid(format!(
            "showcase: too large to store ({} bytes, at most {MAX_DOCUMENT_BYTES}): \
             shorten texts or split it into two showcases",
            bytes.len()
        )));
    }
    Ok(bytes)
}

#[derive(Debug, thiserror::Error)]
pub enum ShowcaseError {
    #[error("showcase not found")]
    NotFound,
    #[error("{0}")]
    Invalid(String),
    #[error("a showcase with this id already exists")]
    Conflict,
    #[error("too many simultaneous changes: try again")]
    Busy,
    #[error(transparent)]
    Storage(#[from] StoreError),
}

impl DomainError for ShowcaseError {
    fn kind(&self) -> ErrorKind {
        match self {
            ShowcaseError::NotFound => ErrorKind::NotFound,
            ShowcaseError::Invalid(_) => ErrorKind::Invalid,
            ShowcaseError::Conflict | ShowcaseError::Busy => ErrorKind::Conflict,
            ShowcaseError::Storage(_) => ErrorKind::Storage,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            ShowcaseError::NotFound => "showcase_not_found",
            ShowcaseError::Invalid(_) => "invalid_showcase",
            ShowcaseError::Conflict => "showcase_exists",
            ShowcaseError::Busy => "busy",
            ShowcaseError::Storage(_) => "storage_error",
        }
    }
}

pub use crate::ids::ShowcaseId;

/// A showcase id only ever comes from a URL: one that cannot exist is not found.
impl From<crate::ids::InvalidId> for ShowcaseError {
    fn from(_: crate::ids::InvalidId) -> Self {
        ShowcaseError::NotFound
    }
}

/// Stores a new draft. Costs 1 increment + 1 write (the card, first: a card without its
/// document is a draft nobody sees) + 1 compare-and-swap (the document, never overwriting).
pub fn create(
    store: &dyn KvStore,
    clock: &dyn Clock,
    id: ShowcaseId,
    mut new: NewShowcase,
) -> Result<Showcase, ShowcaseError> {
    new.measure(store)?;
    let now = clock.now();
    let mut showcase = Showcase {
        id,
        kind: new.kind,
        title: new.title,
        summary: new.summary,
        introduction: new.introduction,
        cover: new.cover,
        items: new.items,
        published_at: None,
        featured: false,
        created_at: now,
        updated_at: now,
        version: 1,
        // The longest slot number, so the size check below holds for the real one.
        slot: u64::MAX,
    };
    let key = keys::showcase(&showcase.id);
    encode(&key, &showcase)?;
    let slot = index::reserve(store)?;
    showcase.slot = slot;
    let card = index::Card::of(&showcase);
    store.set_json(&keys::showcase_slot(slot), &card)?;
    if !store.compare_and_swap(&key, None, &encode(&key, &showcase)?)? {
        if let Err(e) = store.delete(&keys::showcase_slot(slot)) {
            eprintln!("failed to free showcase slot {slot}: {e}");
        }
        return Err(ShowcaseError::Conflict);
    }
    Ok(showcase)
}

/// Costs 1 read. Drafts too: callers decide who may see them.
pub fn get(store: &dyn KvStore, id: &ShowcaseId) -> Result<Showcase, ShowcaseError> {
    store
        .get_json(&keys::showcase(id))?
        .ok_or(ShowcaseError::NotFound)
}

/// A showcase the public may see at `now`: drafts and scheduled ones do not exist for them.
pub fn get_public(
    store: &dyn KvStore,
    id: &ShowcaseId,
    now: Timestamp,
) -> Result<Showcase, ShowcaseError> {
    let showcase = get(store, id)?;
    if !showcase.is_public(now) {
        return Err(ShowcaseError::NotFound);
    }
    Ok(showcase)
}

/// Rewrites the document with compare-and-swap (retrying on concurrent changes), then its
/// card. `change` may refuse.
fn update(
    store: &dyn KvStore,
    clock: &dyn Clock,
    id: &ShowcaseId,
    change: &dyn Fn(Showcase) -> Result<Showcase, ShowcaseError>,
) -> Result<Showcase, ShowcaseError> {
    let key = keys::showcase(id);
    for _ in 0..CAS_ATTEMPTS {
        let current = store.get(&key)?.ok_or(ShowcaseError::NotFound)?;
        let old: Showcase = serde_json::from_slice(&current).map_err(|e| StoreError::Corrupt {
            key: key.clone(),
            message: e.to_string(),
        })?;
        let version = old.version;
        let mut updated = change(old)?;
        updated.version = version + 1;
        updated.updated_at = clock.now();
        if store.compare_and_swap(&key, Some(&current), &encode(&key, &updated)?)? {
            index::write_card(store, &index::Card::of(&updated))?;
            return Ok(updated);
        }
    }
    Err(ShowcaseError::Busy)
}

/// Replaces the content (kind, texts, items), keeping publication and featuring.
pub fn edit(
    store: &dyn KvStore,
    clock: &dyn Clock,
    id: &ShowcaseId,
    mut new: NewShowcase,
) -> Result<Showcase, ShowcaseError> {
    new.measure(store)?;
    update(store, clock, id, &|mut s| {
        s.kind = new.kind;
        s.title = new.title.clone();
        s.summary = new.summary.clone();
        s.introduction = new.introduction.clone();
        s.cover = new.cover.clone();
        s.items = new.items.clone();
        Ok(s)
    })
}

/// Puts the items in a new order: `order` lists every current item index exactly once, in
/// the new order (`[2, 0, 1]` moves the third item first).
pub fn reorder(
    store: &dyn KvStore,
    clock: &dyn Clock,
    id: &ShowcaseId,
    order: &[i64],
) -> Result<Showcase, ShowcaseError> {
    update(store, clock, id, &|mut s| {
        let n = s.items.len();
        let mut seen = vec![false; n];
        for &i in order {
            match usize::try_from(i).ok().filter(|i| *i < n) {
                Some(i) if !seen[i] => seen[i] = true,
                Some(_) => {
                    return Err(ShowcaseError::Invalid(format!(
                        "order: item {i} is listed twice"
                    )));
                }
                None => {
                    return Err(ShowcaseError::Invalid(format!(
                        "order: {i} is not an item index (this showcase has {n} items, 0 to {})",
                        n.saturating_sub(1)
                    )));
                }
            }
        }
        if order.len() != n {
            return Err(ShowcaseError::Invalid(format!(
                "order: must list all {n} item indexes, got {}",
                order.len()
            )));
        }
        s.items = order.iter().map(|&i| s.items[i as usize].clone()).collect();
        Ok(s)
    })
}

/// Adds one item at the end (a showcase can grow past the size of one request this way).
pub fn add_item(
    store: &dyn KvStore,
    clock: &dyn Clock,
    id: &ShowcaseId,
    item: &ItemRequest,
) -> Result<Showcase, ShowcaseError> {
    update(store, clock, id, &|mut s| {
        if s.items.len() >= model::MAX_ITEMS {
            return Err(ShowcaseError::Invalid(format!(
                "items: a showcase holds at most {} items",
                model::MAX_ITEMS
            )));
        }
        let path = format!("items[{}]", s.items.len());
        let mut item = model::parse_item(s.kind, &path, item)?;
        model::measure_item(store, &path, &mut item)?;
        s.items.push(item);
        Ok(s)
    })
}

/// The index of an existing item, or a precise error.
fn item_index(s: &Showcase, index: usize) -> Result<usize, ShowcaseError> {
    if index < s.items.len() {
        Ok(index)
    } else {
        Err(ShowcaseError::Invalid(format!(
            "item {index}: this showcase has {} items, 0 to {}",
            s.items.len(),
            s.items.len().saturating_sub(1)
        )))
    }
}

/// Replaces item `index` (0-based).
pub fn replace_item(
    store: &dyn KvStore,
    clock: &dyn Clock,
    id: &ShowcaseId,
    index: usize,
    item: &ItemRequest,
) -> Result<Showcase, ShowcaseError> {
    update(store, clock, id, &|mut s| {
        let i = item_index(&s, index)?;
        let path = format!("items[{i}]");
        let mut item = model::parse_item(s.kind, &path, item)?;
        model::measure_item(store, &path, &mut item)?;
        s.items[i] = item;
        Ok(s)
    })
}

/// Removes item `index` (0-based).
pub fn remove_item(
    store: &dyn KvStore,
    clock: &dyn Clock,
    id: &ShowcaseId,
    index: usize,
) -> Result<Showcase, ShowcaseError> {
    update(store, clock, id, &|mut s| {
        let i = item_index(&s, index)?;
        s.items.remove(i);
        Ok(s)
    })
}

/// Publishes now (`at` = `None`) or at a date (scheduled until then; a past date publishes
/// now but keeps that date as the publication date).
pub fn publish(
    store: &dyn KvStore,
    clock: &dyn Clock,
    id: &ShowcaseId,
    at: Option<Timestamp>,
) -> Result<Showcase, ShowcaseError> {
    let when = at.unwrap_or_else(|| clock.now());
    update(store, clock, id, &|mut s| {
        s.published_at = Some(when);
        Ok(s)
    })
}

/// Back to draft: the public pages answer 404 again (featuring is kept for a later
/// publication but shows nothing meanwhile).
pub fn unpublish(
    store: &dyn KvStore,
    clock: &dyn Clock,
    id: &ShowcaseId,
) -> Result<Showcase, ShowcaseError> {
    update(store, clock, id, &|mut s| {
        s.published_at = None;
        Ok(s)
    })
}

/// Features the showcase on the home page (or stops). Drafts may be featured: they appear
/// once published.
pub fn feature(
    store: &dyn KvStore,
    clock: &dyn Clock,
    id: &ShowcaseId,
    featured: bool,
) -> Result<Showcase, ShowcaseError> {
    let showcase = update(store, clock, id, &|mut s| {
        s.featured = featured;
        Ok(s)
    })?;
    index::set_featured(store, showcase.slot, featured)?;
    Ok(showcase)
}

/// Deletes a showcase: its featuring, its card, then its document (last, so a failure part
/// way leaves it findable and a retry finishes the job).
pub fn delete(store: &dyn KvStore, id: &ShowcaseId) -> Result<(), ShowcaseError> {
    let showcase = get(store, id)?;
    index::set_featured(store, showcase.slot, false)?;
    store.delete(&keys::showcase_slot(showcase.slot))?;
    store.delete(&keys::showcase(id))?;
    Ok(())
}

#[cfg(test)]
mod tests;
