//! Polls: staff ask a question with 2 to 20 answers; patrons vote once each, in one of four
//! ways (single choice, multiple choice, ranked choice counted with the Borda count, majority
//! judgment); results are shown as the poll says (always, after voting, after close, staff
//! only).
//!
//! Modules: [`identity`] (who votes: cookie, card number, invitation code), [`voting`]
//! (ballots and their counters), [`results`] (tallies, visibility), [`majority`] (majority
//! judgment), [`index`] (the staff list without listing the store).
//!
//! Cost model. The figures count calls to [`KvStore`] methods, not host calls (on Spin a
//! `compare_and_swap` is three host calls). Nothing here lists the store, and no cost grows
//! with the number of votes:
//! - create: 1 increment and 1 write (the index slot) + 1 compare-and-swap (the poll);
//! - list one page: 1 counter read + 1 batch read (slots) + 1 batch read (their polls);
//! - open, close, edit: 1 read + 1 compare-and-swap of the poll alone (edit: + 1 batch read);
//! - vote: 1 read (the poll, by the caller) + 1 increment (the claim) + one increment per
//!   counter the ballot touches: 1 (single), k + 1 (multiple with k choices, ranked with k
//!   ranked answers; the `+ 1` is the ballot count), n (majority judgment over n answers);
//!   invitation codes add 1 `exists`, changeable polls add 1 read and 1 write (the ballot);
//! - change a vote: 1 read + 1 compare-and-swap + one increment per counter that changes;
//! - results: 1 read (the poll) + 1 batch read of all counters (+ 1 read for "after voting").
//!
//! Invariant: a vote first claims the voter, then counts. A crash between the two loses that
//! vote but never counts one twice; a count that fails is undone by giving the claim back
//! (best effort, see [`voting::vote`]).

use serde::{Deserialize, Serialize};

use crate::clock::{Clock, Timestamp};
use crate::error::{DomainError, ErrorKind};
use crate::keys;
use crate::showcases::model::{ImageRequest, Placement, parse_placement};
use crate::store::{self, KvStore, StoreError};

pub mod identity;
pub mod index;
pub mod majority;
pub mod results;
pub mod voting;

pub use identity::{CardFormat, InviteCode, Voter};
pub use results::{Results, ResultsVisibility};
pub use voting::{Ballot, BallotInput};

pub const MIN_OPTIONS: usize = 2;
pub const MAX_OPTIONS: usize = 20;
pub const MAX_QUESTION_CHARS: usize = 300;
pub const MAX_OPTION_CHARS: usize = 200;
pub const MAX_URL_CHARS: usize = 2000;
pub const MAX_ALT_CHARS: usize = 300;
/// Invitation codes per request: one class or workshop at a time, and a bounded request.
pub const MAX_CODES_PER_BATCH: usize = 500;
/// Attempts of a compare-and-swap loop before answering "busy": each failure means another
/// request changed the value meanwhile, so a few attempts suffice outside of an attack.
const CAS_ATTEMPTS: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error("poll not found")]
    NotFound,
    #[error("this visitor has already voted in this poll")]
    AlreadyVoted,
    #[error("option: must be the index of one of the poll's {options} options, from 0 to {}", options.saturating_sub(1))]
    InvalidOption { options: usize },
    #[error("{0}")]
    InvalidBallot(String),
    #[error("{0}")]
    Invalid(String),
    #[error("a poll with this id already exists")]
    Conflict,
    #[error("this poll is not open yet")]
    NotOpen { opens_at: Option<Timestamp> },
    #[error("this poll is closed")]
    Closed,
    #[error("this poll already has votes: it can no longer be edited")]
    HasVotes,
    #[error("{0}")]
    InvalidCard(String),
    #[error("code: this invitation code is not valid for this poll")]
    InvalidCode,
    #[error("voter_method: card-number polls need the card_hash_key variable, which is empty")]
    CardKeyMissing,
    #[error("{0}")]
    WrongMethod(&'static str),
    #[error("the results of this poll are not visible yet")]
    ResultsHidden,
    #[error("your first vote is still being recorded: try again in a moment")]
    VoteInProgress,
    #[error("too many simultaneous changes: try again")]
    Busy,
    #[error("too many votes from this connection: try again in {retry_after_secs} seconds")]
    RateLimited { retry_after_secs: u32 },
    #[error(transparent)]
    Storage(#[from] StoreError),
}

impl DomainError for PollError {
    fn kind(&self) -> ErrorKind {
        use PollError::*;
        match self {
            NotFound => ErrorKind::NotFound,
            AlreadyVoted
            | Conflict
            | NotOpen { .. }
            | Closed
            | HasVotes
            | WrongMethod(_)
            | VoteInProgress
            | Busy => ErrorKind::Conflict,
            InvalidOption { .. }
            | InvalidBallot(_)
            | Invalid(_)
            | InvalidCard(_)
            | CardKeyMissing => ErrorKind::Invalid,
            InvalidCode | ResultsHidden => ErrorKind::Forbidden,
            RateLimited { .. } => ErrorKind::TooManyRequests,
            Storage(_) => ErrorKind::Storage,
        }
    }

    fn code(&self) -> &'static str {
        use PollError::*;
        match self {
            NotFound => "poll_not_found",
            AlreadyVoted => "already_voted",
            InvalidOption { .. } => "invalid_option",
            InvalidBallot(_) => "invalid_ballot",
            Invalid(_) => "invalid_poll",
            Conflict => "poll_exists",
            NotOpen { .. } => "poll_not_open",
            Closed => "poll_closed",
            HasVotes => "poll_has_votes",
            InvalidCard(_) => "invalid_card",
            InvalidCode => "invalid_code",
            CardKeyMissing => "card_hash_key_missing",
            WrongMethod(_) => "wrong_voter_method",
            ResultsHidden => "results_hidden",
            VoteInProgress => "vote_in_progress",
            Busy => "busy",
            RateLimited { .. } => "rate_limited",
            Storage(_) => "storage_error",
        }
    }

    fn retry_after_secs(&self) -> Option<u32> {
        match self {
            PollError::RateLimited { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        }
    }
}

fn invalid(message: impl Into<String>) -> PollError {
    PollError::Invalid(message.into())
}

pub use crate::ids::{PollId, VoterId};

impl From<crate::ids::InvalidId> for PollError {
    fn from(error: crate::ids::InvalidId) -> Self {
        PollError::Invalid(error.0)
    }
}

/// What kind of vote a poll takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PollKind {
    /// One answer.
    #[default]
    Single,
    /// Between `min_choices` and `max_choices` answers.
    Multiple { min_choices: u8, max_choices: u8 },
    /// Answers in order of preference, counted with the Borda count.
    Ranked,
    /// Every answer graded on the six-grade scale of [`majority`].
    Majority,
}

impl PollKind {
    pub fn name(&self) -> KindName {
        match self {
            PollKind::Single => KindName::Single,
            PollKind::Multiple { .. } => KindName::Multiple,
            PollKind::Ranked => KindName::Ranked,
            PollKind::Majority => KindName::Majority,
        }
    }
}

/// The kind's name on the wire: `single`, `multiple`, `ranked`, `majority`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KindName {
    #[default]
    Single,
    Multiple,
    Ranked,
    Majority,
}

/// How a poll tells patrons apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum VoterMethod {
    /// The browser's voter cookie: easy, and enough for most polls.
    #[default]
    Cookie,
    /// The library card number, kept only as a keyed hash.
    Card { format: CardFormat },
    /// Single-use invitation codes generated by staff.
    Codes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MethodName {
    #[default]
    Cookie,
    Card,
    Codes,
}

impl VoterMethod {
    pub fn name(&self) -> MethodName {
        match self {
            VoterMethod::Cookie => MethodName::Cookie,
            VoterMethod::Card { .. } => MethodName::Card,
            VoterMethod::Codes => MethodName::Codes,
        }
    }
}

/// An answer in a creation request: a bare text, or a text with an illustration.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OptionRequest {
    Text(String),
    Detailed {
        text: String,
        #[serde(default)]
        image_url: Option<String>,
        #[serde(default)]
        image_alt: Option<String>,
    },
}

/// The wire shape of `POST /api/polls` and `PUT /api/polls/:id`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreatePollRequest {
    pub question: String,
    pub options: Vec<OptionRequest>,
    #[serde(default)]
    pub kind: KindName,
    #[serde(default)]
    pub min_choices: Option<u8>,
    #[serde(default)]
    pub max_choices: Option<u8>,
    #[serde(default)]
    pub opens_at: Option<Timestamp>,
    #[serde(default)]
    pub closes_at: Option<Timestamp>,
    /// A draft is invisible to patrons until staff open it.
    #[serde(default)]
    pub draft: bool,
    #[serde(default)]
    pub results_visibility: ResultsVisibility,
    #[serde(default)]
    pub voter_method: MethodName,
    #[serde(default)]
    pub card_format: Option<CardFormat>,
    #[serde(default)]
    pub allow_vote_change: bool,
    /// An illustration shown with the question and on shared links: an outside image
    /// `{url, width, height, alt}` or a medium of the library `{medium, alt}`.
    #[serde(default)]
    pub image: Option<ImageRequest>,
}

impl CreatePollRequest {
    /// A single-choice poll with default settings (tests and simple callers).
    pub fn simple(question: &str, options: &[&str]) -> Self {
        CreatePollRequest {
            question: question.to_owned(),
            options: options
                .iter()
                .map(|o| OptionRequest::Text(o.to_string()))
                .collect(),
            kind: KindName::Single,
            min_choices: None,
            max_choices: None,
            opens_at: None,
            closes_at: None,
            draft: false,
            results_visibility: ResultsVisibility::Always,
            voter_method: MethodName::Cookie,
            card_format: None,
            allow_vote_change: false,
            image: None,
        }
    }
}

/// One answer of a poll. `image_url` (https) and `image_alt` come together or not at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PollOption {
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_alt: Option<String>,
}

// Polls stored before answers had images hold bare strings: read both shapes.
impl<'de> Deserialize<'de> for PollOption {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match OptionRequest::deserialize(d)? {
            OptionRequest::Text(text) => PollOption {
                text,
                image_url: None,
                image_alt: None,
            },
            OptionRequest::Detailed {
                text,
                image_url,
                image_alt,
            } => PollOption {
                text,
                image_url,
                image_alt,
            },
        })
    }
}

/// A poll that passed validation, ready to be created or to replace an unvoted poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPoll {
    question: String,
    options: Vec<PollOption>,
    kind: PollKind,
    opens_at: Option<Timestamp>,
    closes_at: Option<Timestamp>,
    draft: bool,
    results_visibility: ResultsVisibility,
    voter_method: VoterMethod,
    allow_vote_change: bool,
    image: Option<Placement>,
}

impl NewPoll {
    /// Trims the texts and checks every rule; the message names the offending field.
    /// `card_key_set` says whether the `card_hash_key` variable is set: card-number polls
    /// are refused without it, rather than accepting votes nobody could check.
    pub fn parse(
        request: CreatePollRequest,
        now: Timestamp,
        card_key_set: bool,
    ) -> Result<Self, PollError> {
        let question = single_line_text("question", &request.question, MAX_QUESTION_CHARS)?;
        let n = request.options.len();
        if !(MIN_OPTIONS..=MAX_OPTIONS).contains(&n) {
            return Err(invalid(format!(
                "options: a poll needs between {MIN_OPTIONS} and {MAX_OPTIONS} options"
            )));
        }
        let mut options: Vec<PollOption> = Vec::with_capacity(n);
        for (index, raw) in request.options.into_iter().enumerate() {
            let option = parse_option(index, raw)?;
            let folded = option.text.to_lowercase();
            if let Some(first) = options.iter().position(|o| o.text.to_lowercase() == folded) {
                return Err(invalid(format!(
                    "options[{index}]: duplicates options[{first}]"
                )));
            }
            options.push(option);
        }
        let kind = match request.kind {
            KindName::Multiple => {
                let min = request.min_choices.unwrap_or(1);
                let max = request.max_choices.map_or(n, usize::from);
                if min == 0 || usize::from(min) > max || max > n {
                    return Err(invalid(format!(
                        "min_choices, max_choices: must satisfy 1 <= min_choices <= max_choices <= {n} (the number of options)"
                    )));
                }
                PollKind::Multiple {
                    min_choices: min,
                    // `max <= n <= 20` was just checked, so it fits.
                    max_choices: u8::try_from(max).unwrap_or(u8::MAX),
                }
            }
            other => {
                if request.min_choices.is_some() || request.max_choices.is_some() {
                    return Err(invalid(
                        "min_choices, max_choices: only for kind \"multiple\"",
                    ));
                }
                match other {
                    KindName::Ranked => PollKind::Ranked,
                    KindName::Majority => PollKind::Majority,
                    _ => PollKind::Single,
                }
            }
        };
        if let (Some(opens), Some(closes)) = (request.opens_at, request.closes_at)
            && closes <= opens
        {
            return Err(invalid("closes_at: must be after opens_at"));
        }
        if request.closes_at.is_some_and(|closes| closes <= now) {
            return Err(invalid("closes_at: must be in the future"));
        }
        let voter_method = match request.voter_method {
            MethodName::Cookie | MethodName::Codes if request.card_format.is_some() => {
                return Err(invalid("card_format: only for voter_method \"card\""));
            }
            MethodName::Cookie => VoterMethod::Cookie,
            MethodName::Codes => VoterMethod::Codes,
            MethodName::Card => {
                if !card_key_set {
                    return Err(PollError::CardKeyMissing);
                }
                VoterMethod::Card {
                    format: request.card_format.unwrap_or_default().parse()?,
                }
            }
        };
        let image = request
            .image
            .as_ref()
            .map(|i| parse_placement("image", i).map_err(|e| invalid(e.to_string())))
            .transpose()?;
        Ok(NewPoll {
            question,
            options,
            kind,
            opens_at: request.opens_at,
            closes_at: request.closes_at,
            draft: request.draft,
            results_visibility: request.results_visibility,
            voter_method,
            allow_vote_change: request.allow_vote_change,
            image,
        })
    }

    /// Checks and measures its illustration when it is a medium of the library (1 batch read
    /// then, else no store call). Saving does it.
    fn measure(&mut self, store: &dyn KvStore) -> Result<(), PollError> {
        let images = self
            .image
            .iter_mut()
            .map(|p| ("image".to_owned(), &mut p.image))
            .collect();
        crate::showcases::library::measure(store, images)?.map_err(invalid)
    }

    pub fn image(&self) -> Option<&Placement> {
        self.image.as_ref()
    }

    pub fn question(&self) -> &str {
        &self.question
    }

    pub fn options(&self) -> &[PollOption] {
        &self.options
    }

    fn into_poll(self, id: PollId, created_at: Timestamp) -> Poll {
        Poll {
            id,
            question: self.question,
            options: self.options,
            kind: self.kind,
            opens_at: self.opens_at,
            closes_at: self.closes_at,
            closed_at: None,
            published: !self.draft,
            results_visibility: self.results_visibility,
            voter_method: self.voter_method,
            allow_vote_change: self.allow_vote_change,
            image: self.image,
            created_at,
            index_slot: None,
        }
    }
}

fn parse_option(index: usize, raw: OptionRequest) -> Result<PollOption, PollError> {
    let (text, image_url, image_alt) = match raw {
        OptionRequest::Text(text) => (text, None, None),
        OptionRequest::Detailed {
            text,
            image_url,
            image_alt,
        } => (text, image_url, image_alt),
    };
    let text = single_line_text(&format!("options[{index}].text"), &text, MAX_OPTION_CHARS)?;
    let image_url = image_url.filter(|u| !u.trim().is_empty());
    let image_alt = image_alt.filter(|a| !a.trim().is_empty());
    let (image_url, image_alt) = match (image_url, image_alt) {
        (None, None) => (None, None),
        (Some(url), Some(alt)) => (
            Some(https_url(&format!("options[{index}].image_url"), &url)?),
            Some(single_line_text(
                &format!("options[{index}].image_alt"),
                &alt,
                MAX_ALT_CHARS,
            )?),
        ),
        (Some(_), None) => {
            return Err(invalid(format!(
                "options[{index}].image_alt: an image needs a text alternative"
            )));
        }
        (None, Some(_)) => {
            return Err(invalid(format!(
                "options[{index}].image_alt: given without image_url"
            )));
        }
    };
    Ok(PollOption {
        text,
        image_url,
        image_alt,
    })
}

/// Option images must be `https` (see `web::HttpsUrl`): a plain-http image would be blocked
/// as mixed content on pages served over https.
fn https_url(field: &str, raw: &str) -> Result<String, PollError> {
    crate::web::HttpsUrl::parse(field, raw, MAX_URL_CHARS)
        .map(String::from)
        .map_err(invalid)
}

fn single_line_text(field: &str, raw: &str, max_chars: usize) -> Result<String, PollError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(invalid(format!("{field}: must not be empty")));
    }
    let chars = text.chars().count();
    if chars > max_chars {
        return Err(invalid(format!(
            "{field}: must be at most {max_chars} characters, got {chars}"
        )));
    }
    if text.chars().any(char::is_control) {
        return Err(invalid(format!(
            "{field}: must be a single line without control characters"
        )));
    }
    Ok(text.to_owned())
}

/// Where a poll stands, derived from its times at read time (never stored, so it cannot go
/// stale).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PollStatus {
    Draft,
    Upcoming,
    Open,
    Closed,
}

impl PollStatus {
    pub fn parse(text: &str) -> Result<Self, PollError> {
        match text {
            "draft" => Ok(PollStatus::Draft),
            "upcoming" => Ok(PollStatus::Upcoming),
            "open" => Ok(PollStatus::Open),
            "closed" => Ok(PollStatus::Closed),
            _ => Err(invalid(
                "status: must be one of draft, upcoming, open, closed",
            )),
        }
    }

    fn of(
        published: bool,
        opens_at: Option<Timestamp>,
        closes_at: Option<Timestamp>,
        closed_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Self {
        if !published {
            PollStatus::Draft
        } else if closed_at.is_some_and(|t| t <= now) || closes_at.is_some_and(|t| t <= now) {
            PollStatus::Closed
        } else if opens_at.is_some_and(|t| t > now) {
            PollStatus::Upcoming
        } else {
            PollStatus::Open
        }
    }
}

fn yes() -> bool {
    true
}

/// A poll as stored under `keys::poll`. Fields added after the first release have defaults,
/// so polls stored before them still read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Poll {
    pub id: PollId,
    pub question: String,
    pub options: Vec<PollOption>,
    #[serde(default)]
    pub kind: PollKind,
    #[serde(default)]
    pub opens_at: Option<Timestamp>,
    #[serde(default)]
    pub closes_at: Option<Timestamp>,
    /// When staff closed it early.
    #[serde(default)]
    pub closed_at: Option<Timestamp>,
    #[serde(default = "yes")]
    pub published: bool,
    #[serde(default)]
    pub results_visibility: ResultsVisibility,
    #[serde(default)]
    pub voter_method: VoterMethod,
    #[serde(default)]
    pub allow_vote_change: bool,
    /// The illustration (see [`CreatePollRequest::image`]); a medium's `page` size is copied
    /// in when saved, so the poll page never reads the medium.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<Placement>,
    pub created_at: Timestamp,
    /// Its slot in the staff list (see [`index`]); `None` for polls stored before slots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index_slot: Option<u64>,
}

impl Poll {
    pub fn status(&self, now: Timestamp) -> PollStatus {
        PollStatus::of(
            self.published,
            self.opens_at,
            self.closes_at,
            self.closed_at,
            now,
        )
    }

    /// When it closed or will close, whichever comes first.
    pub fn end(&self) -> Option<Timestamp> {
        match (self.closed_at, self.closes_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// Stores a new poll under a fresh id and lists it in the index. Never overwrites: an
/// existing id is a `Conflict`. Costs 1 increment + 1 write (the index slot, written first:
/// a failure after it leaves a slot without a poll, which the list skips, never a poll staff
/// cannot see) + 1 compare-and-swap; counters need no initialisation since absent counts as 0.
pub fn create_poll(
    store: &dyn KvStore,
    clock: &dyn Clock,
    id: PollId,
    mut new: NewPoll,
) -> Result<Poll, PollError> {
    new.measure(store)?;
    let mut poll = new.into_poll(id, clock.now());
    poll.index_slot = Some(index::reserve(store, &poll.id)?);
    let key = keys::poll(&poll.id);
    let bytes = store::to_json(&key, &poll)?;
    // Ids are 80 random bits, so a clash is a bug, not bad luck. The compare-and-swap from
    // "absent" refuses to overwrite a poll that already exists; it does not arbitrate two
    // *concurrent* creations of the same id, which Spin's SQLite store would both accept (see
    // the caveat on `KvStore::compare_and_swap`). Random ids make that race moot.
    // On a storage error the slot stays: the poll may have been written, and a slot without
    // its poll is merely skipped.
    if !store.compare_and_swap(&key, None, &bytes)? {
        // The slot would list the existing poll twice: give it back (best effort).
        if let Some(slot) = poll.index_slot
            && let Err(undo) = index::release(store, slot)
        {
            eprintln!(
                "failed to free index slot {slot} of poll {}: {undo}",
                poll.id
            );
        }
        return Err(PollError::Conflict);
    }
    Ok(poll)
}

/// Costs 1 store call. Drafts are returned too: callers decide who may see them.
pub fn get_poll(store: &dyn KvStore, id: &PollId) -> Result<Poll, PollError> {
    store.get_json(&keys::poll(id))?.ok_or(PollError::NotFound)
}

/// Rewrites a poll with compare-and-swap over the value read, retrying when another request
/// changed it meanwhile; `change` may refuse. The index holds nothing that changes, so this
/// single swap is the whole update: it succeeds or writes nothing.
fn update_poll(
    store: &dyn KvStore,
    id: &PollId,
    change: &dyn Fn(&dyn KvStore, Poll) -> Result<Poll, PollError>,
) -> Result<Poll, PollError> {
    let key = keys::poll(id);
    for _ in 0..CAS_ATTEMPTS {
        let current = store.get(&key)?.ok_or(PollError::NotFound)?;
        let poll: Poll = serde_json::from_slice(&current).map_err(|e| StoreError::Corrupt {
            key: key.clone(),
            message: e.to_string(),
        })?;
        let updated = change(store, poll)?;
        let bytes = store::to_json(&key, &updated)?;
        if store.compare_and_swap(&key, Some(&current), &bytes)? {
            return Ok(updated);
        }
    }
    Err(PollError::Busy)
}

/// Replaces a poll's content, keeping its id and creation time, as long as nobody voted
/// (409 `poll_has_votes` otherwise: changing answers under existing votes would change what
/// those votes meant). Costs 1 read + 1 batch read (the counters) + 1 compare-and-swap.
///
/// Known limit: a vote that read the old poll just before the edit and counts just after it
/// is counted against the new answers. Staff edit drafts and upcoming polls in practice;
/// closing that window would cost every vote one more read.
pub fn edit_poll(store: &dyn KvStore, id: &PollId, mut new: NewPoll) -> Result<Poll, PollError> {
    new.measure(store)?;
    update_poll(store, id, &|store, old| {
        if results::has_votes(store, &old)? {
            return Err(PollError::HasVotes);
        }
        let mut updated = new.clone().into_poll(old.id.clone(), old.created_at);
        updated.closed_at = None;
        updated.index_slot = old.index_slot;
        Ok(updated)
    })
}

/// Closes a poll now (staff closing early). Idempotent: an already closed poll keeps its date.
pub fn close_poll(store: &dyn KvStore, clock: &dyn Clock, id: &PollId) -> Result<Poll, PollError> {
    let now = clock.now();
    update_poll(store, id, &|_, mut poll| {
        if poll.status(now) != PollStatus::Closed {
            poll.closed_at = Some(now);
        }
        Ok(poll)
    })
}

/// Opens a poll now: publishes a draft, brings an upcoming opening forward, reopens a closed
/// poll (dropping a closing time already past).
pub fn open_poll(store: &dyn KvStore, clock: &dyn Clock, id: &PollId) -> Result<Poll, PollError> {
    let now = clock.now();
    update_poll(store, id, &|_, mut poll| {
        poll.published = true;
        poll.closed_at = None;
        if poll.opens_at.is_some_and(|t| t > now) {
            poll.opens_at = Some(now);
        }
        if poll.closes_at.is_some_and(|t| t <= now) {
            poll.closes_at = None;
        }
        Ok(poll)
    })
}

/// Deletes a poll: its index slot, its counters (at most 6 per answer plus one: bounded),
/// then its document (its pages then answer 404). The document goes last so that a failure
/// part-way leaves the poll findable and a retry redoes every (idempotent) delete. Voter
/// claims, stored ballots and invitation codes are left behind: there is one per voter, so
/// removing them would need to list the store; they are small, unreachable without the
/// poll, and harmless.
pub fn delete_poll(store: &dyn KvStore, id: &PollId) -> Result<(), PollError> {
    let poll = get_poll(store, id)?;
    if let Some(slot) = poll.index_slot {
        index::release(store, slot)?;
    }
    for key in results::counter_keys(&poll) {
        store.delete(&key)?;
    }
    store.delete(&keys::poll(id))?;
    Ok(())
}

#[cfg(test)]
mod tests;
