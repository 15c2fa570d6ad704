//! Polls: staff ask a question with 2 to 20 answers, patrons vote once each, everyone sees the
//! results.
//!
//! Cost model. The figures count calls to [`KvStore`] methods, not host calls: on Spin a
//! `compare_and_swap` is three host calls (open the CAS handle, read `current`, `swap`), the
//! others one each, plus opening the store (and the `wasi:keyvalue` bucket) once per request.
//! Durable writes matter most: Spin's SQLite store serialises them through one connection.
//! Creating a poll is 1 call (a compare-and-swap), showing it 1 read, checking whether a
//! visitor voted 1 batch read, recording a vote 1 read + 2 increments, the results 1 read +
//! 1 batch read whatever the number of options (no writes: see `store::read_counters`).
//! Nothing here lists the store.
//!
//! Invariant: a vote first claims the voter marker, then counts. A crash between the two loses
//! that vote but can never count one twice; a count that fails is undone by giving the claim
//! back (best effort, see [`record_vote`]).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::clock::{Clock, Timestamp};
use crate::error::{DomainError, ErrorKind};
use crate::ids;
use crate::keys;
use crate::store::{self, KvStore, StoreError};

pub const MIN_OPTIONS: usize = 2;
pub const MAX_OPTIONS: usize = 20;
pub const MAX_QUESTION_CHARS: usize = 300;
pub const MAX_OPTION_CHARS: usize = 200;
pub const MAX_POLL_ID_CHARS: usize = 40;

#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error("poll not found")]
    NotFound,
    #[error("this visitor has already voted in this poll")]
    AlreadyVoted,
    #[error("option: must be the index of one of the poll's {options} options, from 0 to {}", options.saturating_sub(1))]
    InvalidOption { options: usize },
    #[error("{0}")]
    Invalid(String),
    #[error("a poll with this id already exists")]
    Conflict,
    #[error(transparent)]
    Storage(#[from] StoreError),
}

impl DomainError for PollError {
    fn kind(&self) -> ErrorKind {
        match self {
            PollError::NotFound => ErrorKind::NotFound,
            PollError::AlreadyVoted | PollError::Conflict => ErrorKind::Conflict,
            PollError::InvalidOption { .. } | PollError::Invalid(_) => ErrorKind::Invalid,
            PollError::Storage(_) => ErrorKind::Storage,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            PollError::NotFound => "poll_not_found",
            PollError::AlreadyVoted => "already_voted",
            PollError::InvalidOption { .. } => "invalid_option",
            PollError::Invalid(_) => "invalid_poll",
            PollError::Conflict => "poll_exists",
            PollError::Storage(_) => "storage_error",
        }
    }
}

fn invalid(message: impl Into<String>) -> PollError {
    PollError::Invalid(message.into())
}

/// A poll's id: 1 to 40 characters in `[a-z0-9]`, so it is safe in URLs, HTML and store keys.
/// Generated ids are 16 base32 characters (80 random bits).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PollId(String);

impl PollId {
    pub fn parse(text: &str) -> Result<Self, PollError> {
        let valid = (1..=MAX_POLL_ID_CHARS).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if !valid {
            return Err(invalid(
                "poll id: must be 1 to 40 lowercase letters or digits",
            ));
        }
        Ok(PollId(text.to_owned()))
    }

    /// Builds a fresh id from 10 random bytes supplied by the caller.
    pub fn generate(random: [u8; 10]) -> Self {
        // Base32 lowercase is `[a-z2-7]`, a subset of what `parse` accepts.
        PollId(ids::base32_lower(&random))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PollId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for PollId {
    type Error = PollError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        PollId::parse(&text)
    }
}

impl From<PollId> for String {
    fn from(id: PollId) -> String {
        id.0
    }
}

/// An anonymous visitor, identified by a random token kept in a cookie: 16 to 64 characters
/// in `[A-Za-z0-9_-]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct VoterId(String);

impl VoterId {
    pub fn parse(text: &str) -> Result<Self, PollError> {
        let valid = (16..=64).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !valid {
            return Err(invalid(
                "voter: must be 16 to 64 letters, digits, '_' or '-'",
            ));
        }
        Ok(VoterId(text.to_owned()))
    }

    /// Builds a fresh token (32 characters) from 24 random bytes supplied by the caller.
    pub fn generate(random: [u8; 24]) -> Self {
        VoterId(ids::base64url(&random))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for VoterId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for VoterId {
    type Error = PollError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        VoterId::parse(&text)
    }
}

impl From<VoterId> for String {
    fn from(id: VoterId) -> String {
        id.0
    }
}

/// The wire shape of `POST /api/polls`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreatePollRequest {
    pub question: String,
    pub options: Vec<String>,
}

/// A poll that passed validation and is ready to be created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPoll {
    question: String,
    options: Vec<String>,
}

impl NewPoll {
    /// Trims the texts and checks every rule; the message names the offending field.
    pub fn parse(request: CreatePollRequest) -> Result<Self, PollError> {
        let question = single_line_text("question", &request.question, MAX_QUESTION_CHARS)?;
        if !(MIN_OPTIONS..=MAX_OPTIONS).contains(&request.options.len()) {
            return Err(invalid(format!(
                "options: a poll needs between {MIN_OPTIONS} and {MAX_OPTIONS} options"
            )));
        }
        let mut options: Vec<String> = Vec::with_capacity(request.options.len());
        for (index, raw) in request.options.iter().enumerate() {
            let option = single_line_text(&format!("options[{index}]"), raw, MAX_OPTION_CHARS)?;
            let folded = option.to_lowercase();
            if let Some(first) = options.iter().position(|o| o.to_lowercase() == folded) {
                return Err(invalid(format!(
                    "options[{index}]: duplicates options[{first}]"
                )));
            }
            options.push(option);
        }
        Ok(NewPoll { question, options })
    }

    pub fn question(&self) -> &str {
        &self.question
    }

    pub fn options(&self) -> &[String] {
        &self.options
    }
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

/// A poll as stored under `keys::poll`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Poll {
    pub id: PollId,
    pub question: String,
    pub options: Vec<String>,
    pub created_at: Timestamp,
}

/// Votes per option, in the poll's option order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub counts: Vec<u64>,
    pub total: u64,
}

impl Tally {
    fn from_counts(counts: Vec<u64>) -> Self {
        // Saturating: counts come from the store, and a corrupted or hand-edited counter near
        // u64::MAX must give a wrong total on a page rather than an overflow panic.
        let total = counts
            .iter()
            .fold(0u64, |sum, &count| sum.saturating_add(count));
        Tally { counts, total }
    }

    /// Each option's share of the votes in percent, rounded to one decimal; all 0 before the
    /// first vote. Rounded shares may not add up to exactly 100.
    pub fn percentages(&self) -> Vec<f64> {
        self.counts
            .iter()
            .map(|&count| {
                if self.total == 0 {
                    0.0
                } else {
                    (count as f64 * 1000.0 / self.total as f64).round() / 10.0
                }
            })
            .collect()
    }
}

/// Stores a new poll under a fresh id. Never overwrites: an existing id is a `Conflict`.
/// Costs 1 store call (a compare-and-swap); counters need no initialisation since absent counts as 0.
pub fn create_poll(
    store: &dyn KvStore,
    clock: &dyn Clock,
    id: PollId,
    new: NewPoll,
) -> Result<Poll, PollError> {
    let poll = Poll {
        id,
        question: new.question,
        options: new.options,
        created_at: clock.now(),
    };
    let key = keys::poll(&poll.id);
    let bytes = store::to_json(&key, &poll)?;
    // Ids are 80 random bits, so a clash is a bug, not bad luck. The compare-and-swap from
    // "absent" refuses to overwrite a poll that already exists; it does not arbitrate two
    // *concurrent* creations of the same id, which Spin's SQLite store would both accept (see
    // the caveat on `KvStore::compare_and_swap`). Random ids make that race moot.
    if !store.compare_and_swap(&key, None, &bytes)? {
        return Err(PollError::Conflict);
    }
    Ok(poll)
}

/// Costs 1 store call.
pub fn get_poll(store: &dyn KvStore, id: &PollId) -> Result<Poll, PollError> {
    store.get_json(&keys::poll(id))?.ok_or(PollError::NotFound)
}

/// Whether this visitor already voted: their claim counter is at least 1. Costs 1 store call.
///
/// The counter is read, not merely tested for existence: a claim given back after a failed
/// count (see [`record_vote`]) leaves the key in place at 0.
pub fn has_voted(store: &dyn KvStore, id: &PollId, voter: &VoterId) -> Result<bool, PollError> {
    let claims = store::read_counters(store, &[keys::poll_voter(id, voter)])?;
    Ok(claims.first().is_some_and(|&claims| claims > 0))
}

/// Records one vote for `option` (0-based). Costs 3 store calls: 1 read, 2 increments.
pub fn record_vote(
    store: &dyn KvStore,
    id: &PollId,
    voter: &VoterId,
    option: usize,
) -> Result<(), PollError> {
    record(store, id, voter, option).map(|_| ())
}

/// Records one vote for `option` (0-based) and returns the tally including it, for the API.
/// Costs 4 store calls: [`record_vote`]'s 3 and one batch read.
pub fn cast_vote(
    store: &dyn KvStore,
    id: &PollId,
    voter: &VoterId,
    option: usize,
) -> Result<Tally, PollError> {
    let (poll, counted) = record(store, id, voter, option)?;
    let mut tally = tally(store, &poll)?;
    // Counters only grow, so the count our own increment returned is a lower bound: keep it if
    // a backend's batch read lags behind, so the answer always includes this vote.
    if let Some(count) = tally.counts.get_mut(option) {
        let counted = non_negative(counted);
        if counted > *count {
            *count = counted;
            tally = Tally::from_counts(tally.counts);
        }
    }
    Ok(tally)
}

/// Checks the option, claims the voter, counts; returns the poll and the option's new count.
fn record(
    store: &dyn KvStore,
    id: &PollId,
    voter: &VoterId,
    option: usize,
) -> Result<(Poll, i64), PollError> {
    let poll = get_poll(store, id)?;
    if option >= poll.options.len() {
        return Err(PollError::InvalidOption {
            options: poll.options.len(),
        });
    }

    // Claim the voter marker before counting, so a crash in between loses this vote rather
    // than counting it twice. The claim is an atomic increment, not a compare-and-swap from
    // "absent": Spin's SQLite store turns that swap into an upsert, which would let two
    // simultaneous submissions of the same visitor (a double click) both pass. Only the
    // request that moves the marker from 0 to 1 may count.
    let voter_key = keys::poll_voter(id, voter);
    let claim = store.increment(&voter_key, 1)?;
    if claim != 1 {
        return Err(PollError::AlreadyVoted);
    }
    match store.increment(&keys::poll_count(id, option), 1) {
        Ok(counted) => Ok((poll, counted)),
        Err(count_error) => {
            // The vote was not counted: give the claim back so the patron can try again
            // instead of being told forever that they voted. Best effort: if this fails too,
            // the vote is lost, which the invariant allows (never counted twice). Should a
            // backend report a failure for an increment it did apply, the retry could count a
            // second vote; a patron locked out by a transient error seems the worse outcome.
            if let Err(undo_error) = store.increment(&voter_key, -1) {
                eprintln!(
                    "failed to give back the voter claim {voter_key} after a failed count: \
                     {undo_error}"
                );
            }
            Err(count_error.into())
        }
    }
}

/// Reads every option's counter in one batch read, whatever the number of options: 1 store
/// call (plus one `increment(key, 0)` per counter in an encoding `read_counters` does not know).
pub fn tally(store: &dyn KvStore, poll: &Poll) -> Result<Tally, PollError> {
    let keys: Vec<String> = (0..poll.options.len())
        .map(|index| keys::poll_count(&poll.id, index))
        .collect();
    let counts = store::read_counters(store, &keys)?
        .into_iter()
        .map(non_negative)
        .collect();
    Ok(Tally::from_counts(counts))
}

fn non_negative(count: i64) -> u64 {
    // Only `record` writes count counters and it only adds 1, so a negative count would mean
    // someone edited the store by hand; show it as 0 rather than fail the page.
    u64::try_from(count).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;
    use crate::store::{KeyValues, MemoryStore};

    fn clock() -> FixedClock {
        FixedClock(Timestamp::from_unix_seconds(1_795_964_400).unwrap())
    }

    fn id(text: &str) -> PollId {
        PollId::parse(text).unwrap()
    }

    fn voter(n: usize) -> VoterId {
        VoterId::parse(&format!("voter-{n:0>16}")).unwrap()
    }

    fn request(question: &str, options: &[&str]) -> CreatePollRequest {
        CreatePollRequest {
            question: question.to_owned(),
            options: options.iter().map(|o| o.to_string()).collect(),
        }
    }

    fn new_poll(options: &[&str]) -> NewPoll {
        NewPoll::parse(request("Quel livre lire cet été ?", options)).unwrap()
    }

    fn created(store: &MemoryStore, poll_id: &str, options: &[&str]) -> Poll {
        create_poll(store, &clock(), id(poll_id), new_poll(options)).unwrap()
    }

    /// Parses a creation request and compares the outcome with `expected`: `Ok` with the
    /// normalised question and options, or `Err` with the exact message.
    fn check(question: &str, options: &[&str], expected: Result<(&str, &[&str]), &str>) {
        let got = NewPoll::parse(request(question, options));
        match (got, expected) {
            (Ok(poll), Ok((q, o))) => {
                assert_eq!(poll.question(), q);
                assert_eq!(poll.options(), o);
            }
            (Err(PollError::Invalid(message)), Err(want)) => assert_eq!(message, want),
            (got, want) => panic!("got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn new_poll_trims_and_accepts_valid_input() {
        check(
            "  Quel genre ?  ",
            &[" Polar", "Science-fiction "],
            Ok(("Quel genre ?", &["Polar", "Science-fiction"])),
        );
        let twenty: Vec<String> = (0..20).map(|i| format!("choix {i}")).collect();
        let twenty: Vec<&str> = twenty.iter().map(String::as_str).collect();
        assert!(NewPoll::parse(request("q", &twenty)).is_ok());
        // Limits count characters, not bytes: 300 accented letters are fine.
        assert!(NewPoll::parse(request(&"é".repeat(300), &["a", "b"])).is_ok());
    }

    #[test]
    fn new_poll_rejects_bad_input_naming_the_field() {
        check("   ", &["a", "b"], Err("question: must not be empty"));
        check(
            &"q".repeat(301),
            &["a", "b"],
            Err("question: must be at most 300 characters, got 301"),
        );
        check(
            "ligne\nsuivante",
            &["a", "b"],
            Err("question: must be a single line without control characters"),
        );
        check(
            "q",
            &["seul"],
            Err("options: a poll needs between 2 and 20 options"),
        );
        let many: Vec<String> = (0..21).map(|i| i.to_string()).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        check(
            "q",
            &many,
            Err("options: a poll needs between 2 and 20 options"),
        );
        check("q", &["a", " "], Err("options[1]: must not be empty"));
        check(
            "q",
            &["a", &"b".repeat(201)],
            Err("options[1]: must be at most 200 characters, got 201"),
        );
        check(
            "q",
            &["Oui", "Non", " OUI "],
            Err("options[2]: duplicates options[0]"),
        );
    }

    #[test]
    fn ids_are_parsed_at_the_boundary() {
        assert!(PollId::parse("abc123").is_ok());
        assert!(PollId::parse(&"a".repeat(40)).is_ok());
        for bad in ["", "ABC", "a-b", "a/b", "../x", "é", &"a".repeat(41)] {
            assert!(PollId::parse(bad).is_err(), "{bad:?}");
        }
        let generated = PollId::generate([7; 10]);
        assert_eq!(generated.as_str().len(), 16);
        assert_eq!(PollId::parse(generated.as_str()).unwrap(), generated);

        assert!(VoterId::parse("abcdefghij_-KLMN").is_ok());
        for bad in [
            "short",
            "has space in it ok",
            "semi;colon1234567",
            &"a".repeat(65),
        ] {
            assert!(VoterId::parse(bad).is_err(), "{bad:?}");
        }
        let token = VoterId::generate([200; 24]);
        assert_eq!(token.as_str().len(), 32);
        assert_eq!(VoterId::parse(token.as_str()).unwrap(), token);

        let from_json: Result<PollId, _> = serde_json::from_str("\"NOPE\"");
        assert!(from_json.is_err());
    }

    #[test]
    fn create_then_get_round_trips() {
        let store = MemoryStore::new();
        let poll = created(&store, "p1", &["Polar", "Poésie"]);
        assert_eq!(poll.created_at, clock().now());
        assert_eq!(get_poll(&store, &id("p1")).unwrap(), poll);
        assert!(matches!(
            get_poll(&store, &id("nope")),
            Err(PollError::NotFound)
        ));
    }

    #[test]
    fn an_existing_id_is_never_overwritten() {
        let store = MemoryStore::new();
        let first = created(&store, "same", &["a", "b"]);
        let second = create_poll(&store, &clock(), id("same"), new_poll(&["c", "d"]));
        assert!(matches!(second, Err(PollError::Conflict)));
        assert_eq!(get_poll(&store, &id("same")).unwrap(), first);
    }

    #[test]
    fn votes_are_counted_once_per_voter() {
        let store = MemoryStore::new();
        let poll = created(&store, "p", &["a", "b", "c"]);
        assert!(!has_voted(&store, &poll.id, &voter(1)).unwrap());

        let tally = cast_vote(&store, &poll.id, &voter(1), 1).unwrap();
        assert_eq!(tally.counts, vec![0, 1, 0]);
        assert_eq!(tally.total, 1);
        assert!(has_voted(&store, &poll.id, &voter(1)).unwrap());

        let again = cast_vote(&store, &poll.id, &voter(1), 2);
        assert!(matches!(again, Err(PollError::AlreadyVoted)));

        let tally = cast_vote(&store, &poll.id, &voter(2), 1).unwrap();
        assert_eq!(tally.counts, vec![0, 2, 0]);
        let tally = cast_vote(&store, &poll.id, &voter(3), 0).unwrap();
        assert_eq!(tally.counts, vec![1, 2, 0]);
        assert_eq!(super::tally(&store, &poll).unwrap(), tally);
        assert_eq!(tally.percentages(), vec![33.3, 66.7, 0.0]);
    }

    #[test]
    fn unknown_poll_and_bad_option_change_nothing() {
        let store = MemoryStore::new();
        let poll = created(&store, "p", &["a", "b"]);
        assert!(matches!(
            cast_vote(&store, &id("ghost"), &voter(1), 0),
            Err(PollError::NotFound)
        ));
        let err = cast_vote(&store, &poll.id, &voter(1), 2).unwrap_err();
        assert_eq!(err.code(), "invalid_option");
        assert_eq!(
            err.to_string(),
            "option: must be the index of one of the poll's 2 options, from 0 to 1"
        );
        // The rejected voter may still vote: nothing was claimed.
        assert!(!has_voted(&store, &poll.id, &voter(1)).unwrap());
        assert_eq!(
            cast_vote(&store, &poll.id, &voter(1), 0).unwrap().counts,
            vec![1, 0]
        );
    }

    #[test]
    fn empty_poll_has_zero_percentages() {
        let store = MemoryStore::new();
        let poll = created(&store, "p", &["a", "b"]);
        let tally = tally(&store, &poll).unwrap();
        assert_eq!(tally.total, 0);
        assert_eq!(tally.percentages(), vec![0.0, 0.0]);
    }

    #[test]
    fn store_costs_do_not_grow_with_the_option_count() {
        let store = MemoryStore::new();
        let options: Vec<String> = (0..20).map(|i| format!("o{i}")).collect();
        let options: Vec<&str> = options.iter().map(String::as_str).collect();
        // Unrelated entries must not make any request more expensive (no key scans).
        for n in 0..50 {
            store.set(&format!("other/{n}"), b"x").unwrap();
        }

        store.reset_ops();
        let poll = created(&store, "big", &options);
        assert_eq!(store.ops().total(), 1);

        store.reset_ops();
        record_vote(&store, &poll.id, &voter(1), 3).unwrap();
        let ops = store.ops();
        assert_eq!((ops.get, ops.increment, ops.total()), (1, 2, 3), "{ops:?}");

        store.reset_ops();
        cast_vote(&store, &poll.id, &voter(2), 3).unwrap();
        let ops = store.ops();
        assert_eq!((ops.get, ops.increment, ops.get_many), (1, 2, 1), "{ops:?}");
        assert_eq!(ops.total(), 4);

        // Reading the results writes nothing: one batch read for all 20 counters.
        store.reset_ops();
        let tally = tally(&store, &poll).unwrap();
        assert_eq!(tally.counts[3], 2);
        assert_eq!(store.ops().get_many, 1);
        assert_eq!(store.ops().total(), 1);

        store.reset_ops();
        has_voted(&store, &poll.id, &voter(1)).unwrap();
        get_poll(&store, &poll.id).unwrap();
        assert_eq!(store.ops().total(), 2);
        assert_eq!(store.ops().increment, 0);
    }

    #[test]
    fn record_vote_counts_without_reading_the_tally() {
        let store = MemoryStore::new();
        let poll = created(&store, "p", &["a", "b"]);
        record_vote(&store, &poll.id, &voter(1), 1).unwrap();
        assert!(matches!(
            record_vote(&store, &poll.id, &voter(1), 0),
            Err(PollError::AlreadyVoted)
        ));
        assert_eq!(tally(&store, &poll).unwrap().counts, vec![0, 1]);
    }

    /// A store whose count increments fail, and optionally the claim's undo too.
    struct FailingCounts {
        inner: MemoryStore,
        undo_fails: bool,
    }

    impl KvStore for FailingCounts {
        fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
            self.inner.get(key)
        }
        fn get_many(&self, keys: &[String]) -> Result<KeyValues, StoreError> {
            self.inner.get_many(keys)
        }
        fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
            self.inner.set(key, value)
        }
        fn delete(&self, key: &str) -> Result<(), StoreError> {
            self.inner.delete(key)
        }
        fn exists(&self, key: &str) -> Result<bool, StoreError> {
            self.inner.exists(key)
        }
        fn get_keys(&self) -> Result<Vec<String>, StoreError> {
            self.inner.get_keys()
        }
        fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
            if key.contains("/count/") || (self.undo_fails && delta < 0) {
                return Err(StoreError::Backend("disk full".to_owned()));
            }
            self.inner.increment(key, delta)
        }
        fn compare_and_swap(
            &self,
            key: &str,
            expected: Option<&[u8]>,
            new: &[u8],
        ) -> Result<bool, StoreError> {
            self.inner.compare_and_swap(key, expected, new)
        }
    }

    #[test]
    fn a_failed_count_gives_the_claim_back() {
        let store = FailingCounts {
            inner: MemoryStore::new(),
            undo_fails: false,
        };
        let poll = created(&store.inner, "p", &["a", "b"]);
        let err = record_vote(&store, &poll.id, &voter(1), 0).unwrap_err();
        assert!(matches!(err, PollError::Storage(_)), "{err:?}");
        assert!(!has_voted(&store, &poll.id, &voter(1)).unwrap());
        // Once the store recovers, the same patron can vote.
        record_vote(&store.inner, &poll.id, &voter(1), 0).unwrap();
        assert_eq!(tally(&store.inner, &poll).unwrap().counts, vec![1, 0]);

        // If giving the claim back fails as well, the storage error is still the answer and
        // the vote is lost, never counted twice.
        let store = FailingCounts {
            inner: MemoryStore::new(),
            undo_fails: true,
        };
        let poll = created(&store.inner, "p", &["a", "b"]);
        let err = record_vote(&store, &poll.id, &voter(1), 0).unwrap_err();
        assert!(matches!(err, PollError::Storage(_)), "{err:?}");
        assert!(matches!(
            record_vote(&store.inner, &poll.id, &voter(1), 0),
            Err(PollError::AlreadyVoted)
        ));
    }

    #[test]
    fn a_huge_tally_saturates_instead_of_panicking() {
        let tally = Tally::from_counts(vec![u64::MAX, 1, 2]);
        assert_eq!(tally.total, u64::MAX);
        assert_eq!(tally.percentages().len(), 3);
    }

    #[test]
    fn concurrent_votes_give_an_exact_tally() {
        let store = MemoryStore::new();
        let poll = created(&store, "busy", &["a", "b", "c"]);
        let threads = 8;
        let votes_per_thread = 50;
        std::thread::scope(|scope| {
            for t in 0..threads {
                let store = &store;
                let poll_id = &poll.id;
                scope.spawn(move || {
                    for v in 0..votes_per_thread {
                        let n = t * votes_per_thread + v;
                        cast_vote(store, poll_id, &voter(n), n % 3).unwrap();
                    }
                });
            }
        });
        let tally = tally(&store, &poll).unwrap();
        assert_eq!(tally.total, 400);
        assert_eq!(tally.counts, vec![134, 133, 133]);
    }

    #[test]
    fn concurrent_double_submissions_count_once() {
        let store = MemoryStore::new();
        let poll = created(&store, "dbl", &["a", "b"]);
        let results: Vec<Result<Tally, PollError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| scope.spawn(|| cast_vote(&store, &poll.id, &voter(42), 0)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("voting thread panicked"))
                .collect()
        });
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
        assert!(
            results
                .iter()
                .filter_map(|r| r.as_ref().err())
                .all(|e| matches!(e, PollError::AlreadyVoted))
        );
        assert_eq!(tally(&store, &poll).unwrap().counts, vec![1, 0]);
    }
}
