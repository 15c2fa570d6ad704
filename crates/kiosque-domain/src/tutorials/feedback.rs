//! What patrons tell staff: "was this helpful?" (yes/no counters, one answer per visitor,
//! with an optional comment kept for staff) and where they stopped.
//!
//! "The step where patrons stopped" is the last step each patron opened. Every visitor has one
//! record per tutorial (`reader/{visitor}`: the step they are on) and every step a counter of
//! the visitors whose last step it is. Opening step `s` after step `p` swaps the record from
//! `p` to `s` with compare-and-swap, then moves one unit from counter `p` to counter `s`; the
//! counters therefore always sum to the number of visitors, whatever the number of views, and
//! a visitor is never counted twice. A visitor's first view claims the record with
//! `increment(claim) == 1` (Spin's swap from "absent" is an upsert, not exclusive), so two
//! concurrent first views of one visitor count once. A lost race (the same visitor in two
//! tabs) skips the move: the other request's move is the one counted. Cost per view: 1 read,
//! then at most 1 claim or swap + 1 write + 2 increments; nothing when the step is unchanged.
//! A first view also appends the reader to the tutorial's numbered list of readers
//! (`readers/{n}`: the token and when), +1 increment + 1 write, so the retention purge
//! ([`purge_readers`], `reading_retention_days`, six months) finds every record in order
//! without listing the store; comments are purged after `answer_retention_days`
//! ([`purge_comments`]). The counters then describe the readers of the retention period.

use serde::{Deserialize, Serialize};

use super::TutorialError;
use super::model::{Slug, Tutorial};
use crate::clock::Timestamp;
use crate::keys;
use crate::moderation::optional_text;
use crate::polls::VoterId;
use crate::retention;
use crate::store::{self, KvStore, StoreError};

/// Reading records are kept six months: long enough to see where a guide loses its readers
/// after a change, short enough that a browser's token stops pointing to its reading habits
/// (the reader cookie lives as long).
pub const DEFAULT_READING_RETENTION_DAYS: u32 = 183;

pub const MAX_COMMENT_CHARS: usize = 1_000;
/// Comments shown to staff at once (the latest).
pub const COMMENTS_SHOWN: u64 = 50;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Reader {
    step: usize,
}

/// One entry of a tutorial's list of readers (`tutorial/{slug}/readers/{n}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReaderEntry {
    pub visitor: VoterId,
    pub at: Timestamp,
}

/// Records that `visitor` opened step `step` (1-based) of `tutorial` at `now`.
pub fn step_opened(
    store: &dyn KvStore,
    now: Timestamp,
    tutorial: &Tutorial,
    visitor: &VoterId,
    step: usize,
) -> Result<(), TutorialError> {
    if step == 0 || step > tutorial.content.steps.len() {
        return Err(TutorialError::StepNotFound);
    }
    let slug = &tutorial.slug;
    let key = keys::tutorial_reader(slug, visitor);
    let new = store::to_json(&key, &Reader { step })?;
    match store.get(&key)? {
        None => {
            if store.increment(&keys::tutorial_reader_claim(slug, visitor), 1)? != 1 {
                // A concurrent first view of the same visitor already counts them.
                return Ok(());
            }
            store.set(&key, &new)?;
            store.increment(&keys::tutorial_stop(slug, step), 1)?;
            let n =
                u64::try_from(store.increment(&keys::tutorial_reader_seq(slug), 1)?).unwrap_or(0);
            let entry = ReaderEntry {
                visitor: visitor.clone(),
                at: now,
            };
            store.set_json(&keys::tutorial_reader_entry(slug, n), &entry)?;
        }
        Some(bytes) => {
            let previous: Reader = crate::store::from_json(&key, &bytes)?;
            if previous.step == step {
                return Ok(());
            }
            if !store.compare_and_swap(&key, Some(&bytes), &new)? {
                return Ok(());
            }
            store.increment(&keys::tutorial_stop(slug, step), 1)?;
            store.increment(&keys::tutorial_stop(slug, previous.step), -1)?;
        }
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    pub seq: u64,
    pub helpful: bool,
    pub text: String,
    pub created_at: Timestamp,
}

/// A patron's answer to "was this helpful?".
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedbackRequest {
    pub helpful: bool,
    #[serde(default)]
    pub comment: Option<String>,
}

/// Records one answer of `visitor` (409 `already_rated` for a second one): 1 claim, 1
/// counter, and for a comment 1 sequence increment + 1 write.
pub fn rate(
    store: &dyn KvStore,
    now: Timestamp,
    slug: &Slug,
    visitor: &VoterId,
    request: FeedbackRequest,
) -> Result<(), TutorialError> {
    let comment = optional_text(
        "comment",
        request.comment.as_deref(),
        MAX_COMMENT_CHARS,
        true,
    )
    .map_err(TutorialError::Invalid)?;
    if store.increment(&keys::tutorial_rater(slug, visitor), 1)? != 1 {
        return Err(TutorialError::AlreadyRated);
    }
    store.increment(&keys::tutorial_helpful(slug, request.helpful), 1)?;
    if let Some(text) = comment {
        let seq =
            u64::try_from(store.increment(&keys::tutorial_comment_seq(slug), 1)?).unwrap_or(0);
        let comment = Comment {
            seq,
            helpful: request.helpful,
            text,
            created_at: now,
        };
        store.set_json(&keys::tutorial_comment(slug, seq), &comment)?;
    }
    // One feedback per visitor (the claim above), with or without a comment.
    use crate::analytics::participation;
    participation::record(store, now, participation::Activity::Feedback);
    Ok(())
}

/// What staff see: the answers, where patrons stopped, the latest comments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeedbackSummary {
    pub helpful: i64,
    pub not_helpful: i64,
    /// `stopped_at[i]`: visitors whose last opened step is step `i + 1`.
    pub stopped_at: Vec<i64>,
    pub comments_total: i64,
    /// Newest first, at most [`COMMENTS_SHOWN`].
    pub comments: Vec<Comment>,
}

/// 1 `get_many` for every counter + 1 `get_many` for the latest comments, whatever the
/// number of patrons.
pub fn summary(store: &dyn KvStore, tutorial: &Tutorial) -> Result<FeedbackSummary, TutorialError> {
    let slug = &tutorial.slug;
    let steps = tutorial.content.steps.len();
    let mut counter_keys = vec![
        keys::tutorial_helpful(slug, true),
        keys::tutorial_helpful(slug, false),
        keys::tutorial_comment_seq(slug),
    ];
    counter_keys.extend((1..=steps).map(|s| keys::tutorial_stop(slug, s)));
    let counts = store::read_counters(store, &counter_keys)?;
    let last = u64::try_from(counts[2]).unwrap_or(0);
    let first = last.saturating_sub(COMMENTS_SHOWN - 1).max(1);
    let mut comments = Vec::new();
    if last >= 1 {
        let wanted: Vec<String> = (first..=last)
            .map(|n| keys::tutorial_comment(slug, n))
            .collect();
        for (key, value) in store.get_many(&wanted)? {
            if let Some(bytes) = value {
                comments.push(crate::store::from_json::<Comment>(&key, &bytes)?);
            }
        }
        comments.sort_by_key(|c| std::cmp::Reverse(c.seq));
    }
    Ok(FeedbackSummary {
        helpful: counts[0],
        not_helpful: counts[1],
        stopped_at: counts[3..].to_vec(),
        comments_total: counts[2],
        comments,
    })
}

/// Every tutorial of the catalogue by slug (a stable order for the purge cursor).
fn slugs(store: &dyn KvStore) -> Result<Vec<Slug>, TutorialError> {
    let mut slugs: Vec<Slug> = super::catalogue::all(store)?
        .into_iter()
        .map(|e| e.slug)
        .collect();
    slugs.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    Ok(slugs)
}

fn window(slugs: &[Slug], from: usize, to: usize) -> Vec<(usize, Slug)> {
    slugs[from.min(slugs.len())..to.min(slugs.len())]
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, slug)| (from + i, slug))
        .collect()
}

/// Forgets comments written more than `retention_days` ago, a bounded step per call across
/// the catalogue (`crate::retention`). Comments carry no name nor email: retention is their
/// limit.
pub fn purge_comments(
    store: &dyn KvStore,
    now: Timestamp,
    retention_days: u32,
) -> Result<retention::Purge, TutorialError> {
    let slugs = slugs(store)?;
    let area = retention::Area {
        cursor_key: keys::tutorial_comment_purge_cursor(),
        owner_count: slugs.len(),
        owners_in: &|from, to| Ok(window(&slugs, from, to)),
        seq_key: &keys::tutorial_comment_seq,
        mark_key: &keys::tutorial_comment_purged,
        item_key: &keys::tutorial_comment,
        received_at: &|comment: &Comment| comment.created_at,
        forget: &|slug, seq, _| store.delete(&keys::tutorial_comment(slug, seq)),
    };
    Ok(retention::purge(
        store,
        &area,
        retention::cutoff(now, retention_days),
    )?)
}

/// Forgets the reading records of readers first seen more than `retention_days` ago: the
/// record, its step's count, the first-view claim and the list entry. A reader who comes back
/// later is counted afresh. A crash between deleting the record and its count leaves that
/// count one too high (never negative, never a reader counted twice afterwards).
pub fn purge_readers(
    store: &dyn KvStore,
    now: Timestamp,
    retention_days: u32,
) -> Result<retention::Purge, TutorialError> {
    let slugs = slugs(store)?;
    let forget = |slug: &Slug, n: u64, entry: &ReaderEntry| -> Result<(), StoreError> {
        let key = keys::tutorial_reader(slug, &entry.visitor);
        if let Some(bytes) = store.get(&key)? {
            store.delete(&key)?;
            if let Ok(reader) = serde_json::from_slice::<Reader>(&bytes) {
                store.increment(&keys::tutorial_stop(slug, reader.step), -1)?;
            }
        }
        store.delete(&keys::tutorial_reader_claim(slug, &entry.visitor))?;
        store.delete(&keys::tutorial_reader_entry(slug, n))
    };
    let area = retention::Area {
        cursor_key: keys::tutorial_reader_purge_cursor(),
        owner_count: slugs.len(),
        owners_in: &|from, to| Ok(window(&slugs, from, to)),
        seq_key: &keys::tutorial_reader_seq,
        mark_key: &keys::tutorial_reader_purged,
        item_key: &keys::tutorial_reader_entry,
        received_at: &|entry: &ReaderEntry| entry.at,
        forget: &forget,
    };
    Ok(retention::purge(
        store,
        &area,
        retention::cutoff(now, retention_days),
    )?)
}
