//! Contests and challenges: staff set rules (Markdown), categories (age groups...), a
//! submission window and a voting window; patrons submit entries that wait for moderation;
//! approved entries make a public gallery per category; patrons vote once per category; staff
//! mark winners; everyone sees the results.
//!
//! Personal data (RGPD): the contact email of an entry is kept apart from the entry, under
//! `contest/{id}/contact/{seq}`, and reached from the email through `contact-ref/{hash}/{n}`
//! (a sequence per email, so two entries of one person never contend). `hash` is keyed
//! ([`Email::key_hash`], HMAC-SHA-256 with the `card_hash_key` secret): without the secret
//! nobody can confirm from the key names that an address took part, which is why contests
//! refuse to run without it ([`ContactKey`]). The contact is erased [`purge_due`]
//! `retention_days` (at most [`MAX_RETENTION_DAYS`]) after the contest ends (a cron calls it;
//! staff reading a contest's queue purges that contest too), and on request
//! ([`erase_participant`], which deletes the references too).
//!
//! Cost in store calls, whatever the number of entries and votes: submitting 5 (1 increment,
//! 3 writes, 1 increment; the adapter adds the contest read and the rate limit's 2); voting 4
//! (2 reads, 2 increments; the adapter's rate limit adds 2); a gallery page 3 (2 reads,
//! 1 batch read); results 5 (3 reads, 1 batch read of the vote counters, 1 batch read of the
//! winners and the [`RESULTS_TOP`] most voted entries per category).

use std::collections::{BTreeMap, HashMap};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::clock::{Clock, Timestamp};
use crate::error::{DomainError, ErrorKind};
use crate::hashing::hmac_sha256;
use crate::keys;
use crate::markdown;
use crate::media::MediaError;
use crate::moderation::{self, Decision, Status};
use crate::polls::VoterId;
use crate::questions::next_seq;
use crate::store::{self, KvStore, StoreError};
use crate::web::HttpsUrl;

pub use crate::ids::ContestId;

mod entries;
mod privacy;
#[cfg(test)]
mod tests;
mod voting;

pub use entries::*;
pub use privacy::*;
pub use voting::*;

pub const MAX_TITLE_CHARS: usize = 150;
pub const MAX_RULES_CHARS: usize = 20_000;
pub const MAX_PRIZE_CHARS: usize = 1_000;
pub const MAX_CATEGORIES: usize = 12;
pub const MAX_CATEGORY_NAME_CHARS: usize = 60;
pub const MAX_ENTRY_TEXT_CHARS: usize = 2_000;
pub const MAX_DISPLAY_NAME_CHARS: usize = 60;
pub const MAX_URL_CHARS: usize = 500;
/// Approved entries per contest (all categories): keeps the index well under 1 MB, and the
/// results' one batch read of vote counters bounded.
pub const MAX_APPROVED: usize = 2_000;
pub const PER_PAGE: usize = 24;
/// References of one participant one export call reads (`from` pages through the rest).
pub const EXPORT_PAGE: u64 = 100;
/// References of one participant one erasure call erases (`from` pages through the rest).
pub const ERASE_PAGE: u64 = 50;
/// Contests one purge call looks at (its scan resumes where the previous call stopped).
pub const PURGE_WINDOW: u64 = 100;
/// The longest contact retention honoured: ten years. Longer settings are refused by the
/// adapter (which falls back to its default) and capped here.
pub const MAX_RETENTION_DAYS: u32 = 3_650;
/// Entries per category the results list with their votes (the counters of all are read).
pub const RESULTS_TOP: usize = 10;
#[derive(Debug, thiserror::Error)]
pub enum ContestError {
    #[error("contest not found")]
    NotFound,
    #[error("entry not found")]
    EntryNotFound,
    #[error("this contest does not take entries now")]
    SubmissionsClosed,
    #[error("voting is not open for this contest now")]
    VotingClosed,
    #[error("this visitor has already voted in this category")]
    AlreadyVoted,
    #[error("{0}")]
    InvalidContest(String),
    #[error("{message}")]
    InvalidEntry {
        field: &'static str,
        message: String,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("the list of approved entries is full")]
    Full,
    #[error("the contest changed meanwhile, try again")]
    Busy,
    #[error("a contest with this id already exists")]
    Exists,
    #[error(
        "contests need the card_hash_key secret (it keys the hashes that find a participant's entries); set it first"
    )]
    ContactKeyMissing,
    /// An entry's image could not be stored or found (the media library's error).
    #[error(transparent)]
    Media(#[from] MediaError),
    #[error(transparent)]
    Storage(#[from] StoreError),
}

impl DomainError for ContestError {
    fn kind(&self) -> ErrorKind {
        use ContestError::*;
        match self {
            Media(e) => e.kind(),
            NotFound | EntryNotFound => ErrorKind::NotFound,
            SubmissionsClosed | VotingClosed | AlreadyVoted | Full | Busy | Exists => {
                ErrorKind::Conflict
            }
            InvalidContest(_) | InvalidEntry { .. } | Invalid(_) | ContactKeyMissing => {
                ErrorKind::Invalid
            }
            Storage(_) => ErrorKind::Storage,
        }
    }

    fn code(&self) -> &'static str {
        use ContestError::*;
        match self {
            NotFound => "contest_not_found",
            EntryNotFound => "entry_not_found",
            SubmissionsClosed => "submissions_closed",
            VotingClosed => "voting_closed",
            AlreadyVoted => "already_voted",
            InvalidContest(_) => "invalid_contest",
            InvalidEntry { field, .. } if *field == "consent" => "consent_required",
            InvalidEntry { field, .. } if *field == "parent_consent" => "parental_consent_required",
            InvalidEntry { field, .. } if *field == "image" => "invalid_entry_image",
            Media(e) => e.code(),
            InvalidEntry { .. } => "invalid_entry",
            Invalid(_) => "invalid_request",
            Full => "approved_list_full",
            Busy => "busy",
            Exists => "contest_exists",
            ContactKeyMissing => "contact_hash_key_missing",
            Storage(_) => "storage_error",
        }
    }
}

pub use crate::ids::CategorySlug;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    pub slug: CategorySlug,
    pub name: String,
}

/// The wire shape of `POST /api/contests`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateContestRequest {
    pub title: String,
    #[serde(default)]
    pub rules: String,
    pub categories: Vec<Category>,
    pub submissions_open: Timestamp,
    pub submissions_close: Timestamp,
    #[serde(default)]
    pub voting_open: Option<Timestamp>,
    #[serde(default)]
    pub voting_close: Option<Timestamp>,
    #[serde(default)]
    pub public_vote: bool,
    #[serde(default)]
    pub jury: bool,
    #[serde(default)]
    pub prize: Option<String>,
    #[serde(default)]
    pub entry_image: EntryImagePolicy,
}

/// Whether a contest's entries carry an image (a photo or drawing contest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryImagePolicy {
    /// Text and link entries only: contests created before images behave so.
    #[default]
    None,
    Optional,
    Required,
}

impl EntryImagePolicy {
    pub fn takes_images(self) -> bool {
        self != EntryImagePolicy::None
    }
}

/// A contest as stored under `keys::contest`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contest {
    pub id: ContestId,
    pub title: String,
    /// Markdown, rendered with [`markdown::render`].
    pub rules: String,
    pub categories: Vec<Category>,
    pub submissions_open: Timestamp,
    pub submissions_close: Timestamp,
    pub voting_open: Option<Timestamp>,
    pub voting_close: Option<Timestamp>,
    pub public_vote: bool,
    pub jury: bool,
    pub prize: Option<String>,
    pub created_at: Timestamp,
    #[serde(default)]
    pub entry_image: EntryImagePolicy,
}

/// A validated contest, waiting for an id and a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewContest(Contest);

impl NewContest {
    pub fn parse(request: CreateContestRequest) -> Result<Self, ContestError> {
        let invalid = ContestError::InvalidContest;
        let title =
            moderation::text("title", &request.title, MAX_TITLE_CHARS, false).map_err(invalid)?;
        let rules = if request.rules.trim().is_empty() {
            String::new()
        } else {
            moderation::text("rules", &request.rules, MAX_RULES_CHARS, true).map_err(invalid)?
        };
        let prize =
            moderation::optional_text("prize", request.prize.as_deref(), MAX_PRIZE_CHARS, true)
                .map_err(invalid)?;
        if request.categories.is_empty() || request.categories.len() > MAX_CATEGORIES {
            return Err(invalid(format!(
                "categories: between 1 and {MAX_CATEGORIES}"
            )));
        }
        let mut categories: Vec<Category> = Vec::with_capacity(request.categories.len());
        for (i, category) in request.categories.into_iter().enumerate() {
            let name = moderation::text(
                &format!("categories[{i}].name"),
                &category.name,
                MAX_CATEGORY_NAME_CHARS,
                false,
            )
            .map_err(invalid)?;
            if categories.iter().any(|c| c.slug == category.slug) {
                return Err(invalid(format!("categories[{i}].slug: used twice")));
            }
            categories.push(Category {
                slug: category.slug,
                name,
            });
        }
        if request.submissions_open >= request.submissions_close {
            return Err(invalid(
                "submissions_close: must come after submissions_open".to_owned(),
            ));
        }
        if !request.public_vote && !request.jury {
            return Err(invalid(
                "public_vote, jury: a contest needs at least one of them".to_owned(),
            ));
        }
        let (voting_open, voting_close) = match (
            request.public_vote,
            request.voting_open,
            request.voting_close,
        ) {
            (true, Some(open), Some(close)) => {
                // Patrons vote on a complete gallery: voting starts once submissions end.
                if open < request.submissions_close || open >= close {
                    return Err(invalid(
                        "voting_open, voting_close: voting must start after submissions close and end after it starts"
                            .to_owned(),
                    ));
                }
                (Some(open), Some(close))
            }
            (true, _, _) => {
                return Err(invalid(
                    "voting_open, voting_close: required for a public vote".to_owned(),
                ));
            }
            (false, _, _) => (None, None),
        };
        Ok(NewContest(Contest {
            // A placeholder: `create` gives the contest its id.
            id: ContestId::generate([0; 10]),
            title,
            rules,
            categories,
            submissions_open: request.submissions_open,
            submissions_close: request.submissions_close,
            voting_open,
            voting_close,
            public_vote: request.public_vote,
            jury: request.jury,
            prize,
            created_at: Timestamp::UNIX_EPOCH,
            entry_image: request.entry_image,
        }))
    }
}

impl Contest {
    pub fn accepts_entries(&self, now: Timestamp) -> bool {
        self.submissions_open <= now && now < self.submissions_close
    }

    pub fn voting_is_open(&self, now: Timestamp) -> bool {
        self.public_vote
            && matches!((self.voting_open, self.voting_close), (Some(o), Some(c)) if o <= now && now < c)
    }

    /// When nothing more happens: the end of voting, or of submissions without a public vote.
    pub fn ends_at(&self) -> Timestamp {
        self.voting_close
            .unwrap_or(self.submissions_close)
            .max(self.submissions_close)
    }

    /// When contact emails are erased: `retention_days` (capped at [`MAX_RETENTION_DAYS`])
    /// after the end. Saturates rather than wrapping, so no setting erases early.
    pub fn contacts_erased_at(&self, retention_days: u32) -> Timestamp {
        let days = i64::from(retention_days.min(MAX_RETENTION_DAYS));
        let secs = self.ends_at().unix_seconds().saturating_add(days * 86_400);
        Timestamp::from_unix_seconds(secs)
            // 9999-12-31T23:59:59Z: later than any date a contest can be given.
            .or_else(|| Timestamp::from_unix_seconds(253_402_300_799))
            .unwrap_or(self.ends_at())
            .max(self.ends_at())
    }

    pub fn category(&self, slug: &CategorySlug) -> Option<&Category> {
        self.categories.iter().find(|c| &c.slug == slug)
    }

    pub fn rules_html(&self) -> String {
        markdown::render(&self.rules)
    }
}

/// Stores a contest, its empty indexes, and its place in the registry the purge walks.
/// Costs 5 store calls.
pub fn create_contest(
    store: &dyn KvStore,
    clock: &dyn Clock,
    id: ContestId,
    new: NewContest,
) -> Result<Contest, ContestError> {
    let mut contest = new.0;
    contest.id = id;
    contest.created_at = clock.now();
    let key = keys::contest(&contest.id);
    if !store.compare_and_swap(&key, None, &store::to_json(&key, &contest)?)? {
        return Err(ContestError::Exists);
    }
    store.set_json(&keys::contest_approved(&contest.id), &Index::new())?;
    store.set_json(&keys::contest_winners(&contest.id), &Index::new())?;
    let n = next_seq(store.increment(&keys::contest_registry_seq(), 1)?)?;
    store.set_json(&keys::contest_registry(n), &contest.id)?;
    Ok(contest)
}

pub fn get_contest(store: &dyn KvStore, id: &ContestId) -> Result<Contest, ContestError> {
    store
        .get_json(&keys::contest(id))?
        .ok_or(ContestError::NotFound)
}

/// Ends submissions and voting now (staff): each window that is still running or yet to come
/// closes at `now`; windows already over stay as they were. Costs 2 store calls.
pub fn close_contest(
    store: &dyn KvStore,
    clock: &dyn Clock,
    id: &ContestId,
) -> Result<Contest, ContestError> {
    let now = clock.now();
    let updated = moderation::update_doc(store, &keys::contest(id), |c: &mut Contest| {
        let mut changed = false;
        if c.submissions_close > now {
            c.submissions_open = c.submissions_open.min(now);
            c.submissions_close = now;
            changed = true;
        }
        if let (Some(open), Some(close)) = (c.voting_open, c.voting_close)
            && close > now
        {
            // Voting never starts before submissions close (see `NewContest::parse`).
            c.voting_open = Some(open.min(now).max(c.submissions_close));
            c.voting_close = Some(now);
            changed = true;
        }
        Ok::<_, ContestError>(changed)
    })?;
    match updated {
        Some(contest) => Ok(contest),
        None if store.exists(&keys::contest(id))? => Err(ContestError::Busy),
        None => Err(ContestError::NotFound),
    }
}

/// One page of the staff list of contests, newest first.
#[derive(Debug, Clone, Serialize)]
pub struct ContestList {
    pub contests: Vec<Contest>,
    pub total: u64,
    pub page: u64,
    pub next_page: Option<u64>,
}

/// Contests, newest first, `per_page` (at most 100) per page (1-based), from the registry.
/// Costs 3 store calls (3 batch reads), whatever the number of contests.
pub fn list_contests(
    store: &dyn KvStore,
    page: u64,
    per_page: u64,
) -> Result<ContestList, ContestError> {
    let page = moderation::staff_page::<ContestId, Contest>(
        store,
        keys::contest_registry_seq(),
        keys::contest_registry,
        keys::contest,
        page,
        per_page,
    )?;
    Ok(ContestList {
        contests: page.items,
        total: page.total,
        page: page.page,
        next_page: page.next_page,
    })
}
