//! Tutorials: step-by-step guides to the library's digital services (borrow an e-book, read
//! the press online, book a workstation...), written by staff, followed by patrons.
//!
//! - [`model`]: the tutorial, its steps, and their validation at the boundary;
//! - [`versions`]: saving (every save keeps the previous version, [`MAX_VERSIONS`] of them),
//!   restoring, publishing now or at a date, unpublishing, and what a page view reads;
//! - [`catalogue`]: the one small document that lists every tutorial (index page, staff list,
//!   RSS feed, search results), kept up to date on save;
//! - [`search`]: accent- and case-folded search over a fixed number of index shards;
//! - [`blocks`]: reusable Markdown blocks ("Se connecter avec sa carte de lecteur") shown in
//!   every tutorial step that includes them;
//! - [`feedback`]: "was this helpful?" counters, comments for staff, and the step where each
//!   patron stopped.
//!
//! Storage (see `keys`): one JSON document per tutorial (`tutorial/{slug}`), rewritten by
//! compare-and-swap so two staff saves cannot silently overwrite each other; previous versions
//! under `tutorial/{slug}/version/{n}`; the catalogue and the search shards are staff-written
//! documents updated by compare-and-swap. Every request-path function reads a bounded number
//! of keys whatever the number of tutorials (see the tests and ARCHITECTURE.md).

pub mod blocks;
pub mod catalogue;
pub mod feedback;
pub mod model;
pub mod search;
pub mod versions;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{DomainError, ErrorKind};
use crate::store::{self, KvStore, StoreError};

pub use model::{
    Block, BlockId, BlockRequest, Image, Language, Level, Service, Slug, Step, Tutorial,
    TutorialContent, TutorialRequest, Video,
};

/// Previous versions kept per tutorial; older ones are deleted as new ones are saved.
pub const MAX_VERSIONS: u64 = 20;
/// Tutorials in the catalogue: a library has tens to a few hundred. Entries weigh about
/// 700 bytes, so 1,000 fit in one document under Spin's 1 MB per value; should unusually long
/// entries fill the document first, a new tutorial is refused as well ([`TutorialError::Full`]).
pub const MAX_TUTORIALS: usize = 1_000;
/// How many times a staff write retries when another write changed the document meanwhile.
const MAX_CAS_ATTEMPTS: usize = 8;
/// See [`update_shared`]: after this many claims on a never-written document, the creator is
/// taken for dead.
const INIT_RETRIES: i64 = 3;

#[derive(Debug, thiserror::Error)]
pub enum TutorialError {
    #[error("tutorial not found")]
    NotFound,
    #[error("block not found")]
    BlockNotFound,
    #[error("version not found")]
    VersionNotFound,
    #[error("step not found")]
    StepNotFound,
    #[error("{0}")]
    Invalid(String),
    #[error("a tutorial with this slug already exists")]
    Exists,
    #[error("the tutorial was saved meanwhile (now version {current}); reload it and try again")]
    Stale { current: u64 },
    #[error("another change happened at the same time, try again")]
    Busy,
    #[error("the catalogue or the search index is full (at most {MAX_TUTORIALS} tutorials)")]
    Full,
    #[error("this visitor already rated this tutorial")]
    AlreadyRated,
    #[error(transparent)]
    Storage(#[from] StoreError),
}

impl DomainError for TutorialError {
    fn kind(&self) -> ErrorKind {
        use TutorialError::*;
        match self {
            NotFound | BlockNotFound | VersionNotFound | StepNotFound => ErrorKind::NotFound,
            Invalid(_) => ErrorKind::Invalid,
            Exists | Stale { .. } | Busy | Full | AlreadyRated => ErrorKind::Conflict,
            Storage(_) => ErrorKind::Storage,
        }
    }

    fn code(&self) -> &'static str {
        use TutorialError::*;
        match self {
            NotFound => "tutorial_not_found",
            BlockNotFound => "block_not_found",
            VersionNotFound => "version_not_found",
            StepNotFound => "step_not_found",
            Invalid(_) => "invalid_tutorial",
            Exists => "tutorial_exists",
            Stale { .. } => "stale_version",
            Busy => "busy",
            Full => "catalogue_full",
            AlreadyRated => "already_rated",
            Storage(_) => "storage_error",
        }
    }
}

fn invalid(message: impl Into<String>) -> TutorialError {
    TutorialError::Invalid(message.into())
}

/// Read-modify-write of a staff-written shared document (the catalogue, a search shard) with
/// compare-and-swap, retried when another write got there first.
///
/// A document that does not exist yet is created by whoever wins `increment(init_claim, 1)
/// == 1`: Spin's SQLite store runs a swap from "absent" as an upsert, so two concurrent first
/// writers would both "win" and one entry would be lost. A concurrent loser answers
/// [`TutorialError::Busy`] (staff try again). Should the winner have died before writing, the
/// claim is past [`INIT_RETRIES`] after that many later tries, which then create the document:
/// it can never stay uncreatable. A winner whose write fails gives the claim back at once.
fn update_shared<T, F>(
    store: &dyn KvStore,
    key: &str,
    init_claim: &str,
    mut change: F,
) -> Result<T, TutorialError>
where
    T: Default + Serialize + DeserializeOwned,
    F: FnMut(&mut T) -> Result<(), TutorialError>,
{
    for _ in 0..MAX_CAS_ATTEMPTS {
        let current = store.get(key)?;
        let mut doc: T = match &current {
            Some(bytes) => store::from_json(key, bytes)?,
            None => T::default(),
        };
        change(&mut doc)?;
        let new = store::to_json(key, &doc)?;
        let mut claimed = false;
        if current.is_none() {
            let claim = store.increment(init_claim, 1)?;
            if claim != 1 && claim <= INIT_RETRIES {
                return Err(TutorialError::Busy);
            }
            claimed = claim == 1;
        }
        let failed = match store.compare_and_swap(key, current.as_deref(), &new) {
            Ok(true) => return Ok(doc),
            Ok(false) => continue,
            Err(StoreError::ValueTooLarge(_)) => TutorialError::Full,
            Err(e) => e.into(),
        };
        // The first write failed: give the claim back so the next request creates the
        // document at once (best effort; otherwise it takes INIT_RETRIES tries).
        if claimed && let Err(undo) = store.increment(init_claim, -1) {
            eprintln!("failed to give back the claim {init_claim}: {undo}");
        }
        return Err(failed);
    }
    Err(TutorialError::Busy)
}

/// A staff-facing summary, also used by [`catalogue`] and the feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionSummary {
    pub version: u64,
    pub title: String,
    pub saved_at: crate::clock::Timestamp,
}

#[cfg(test)]
mod tests;
