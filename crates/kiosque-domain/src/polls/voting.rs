//! Ballots and the counters they move.
//!
//! Counters per poll kind (see `keys`): single and multiple choice count votes per answer;
//! ranked choice adds Borda points per answer; majority judgment counts one vote per
//! (answer, grade). Multiple and ranked polls also count ballots, since their answer counters
//! do not add up to the number of voters. Every ballot therefore touches at most 21
//! counters, whatever the number of votes already cast.
//!
//! Borda count with counters only: a ballot that ranks k answers gives k points to its first,
//! k - 1 to its second, ..., 1 to its last, and 0 to the answers it leaves out (the
//! "modified" Borda count: ranking a single answer gives it 1 point, not n - 1, so truncating
//! a ballot is no tactic). A full ranking gives the classic Borda points plus one each, which
//! orders the answers the same way. An instant-runoff count would need every ballot: O(votes)
//! reads per results page.
//!
//! Changing one's vote (polls with `allow_vote_change`): the voter's ballot is stored under
//! `keys::poll_ballot` as `{v, ballot}`. A change reads it, then swaps it for the new one
//! with compare-and-swap over the exact bytes read; only the request whose swap succeeds
//! applies the counter differences between the two ballots. Two concurrent changes by one
//! voter thus apply old -> A and A -> B (or old -> B and B -> A): the counters always end
//! equal to what the final stored ballot says. `v` grows by one at every change so that no
//! two records are ever equal. A crash between the swap and the increments leaves that one
//! ballot partly applied: the price of a store without transactions.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::majority::GRADES;
use super::{CAS_ATTEMPTS, Poll, PollError, PollKind, PollStatus, Voter, VoterId, VoterMethod};
use crate::clock::Timestamp;
use crate::keys;
use crate::store::{self, KvStore, StoreError};

/// A ballot as sent, before it is checked against the poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BallotInput {
    /// `{"option": i}`.
    Single(usize),
    /// `{"options": [i, j]}`.
    Multiple(Vec<usize>),
    /// `{"ranking": [best, second, ...]}`.
    Ranked(Vec<usize>),
    /// `{"grades": [g0, g1, ...]}`: one grade (0 = "À rejeter" .. 5 = "Très bien") per answer.
    Majority(Vec<usize>),
}

/// A ballot checked against its poll.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ballot {
    Single(usize),
    /// Sorted, distinct.
    Multiple(Vec<usize>),
    /// Best first, distinct.
    Ranked(Vec<usize>),
    /// One grade per answer, in answer order.
    Majority(Vec<usize>),
}

fn bad(message: impl Into<String>) -> PollError {
    PollError::InvalidBallot(message.into())
}

fn distinct_in_range(field: &str, indices: &[usize], n: usize) -> Result<(), PollError> {
    for (at, &i) in indices.iter().enumerate() {
        if i >= n {
            return Err(PollError::InvalidOption { options: n });
        }
        if indices[..at].contains(&i) {
            return Err(bad(format!("{field}: option {i} is listed twice")));
        }
    }
    Ok(())
}

impl Ballot {
    /// Checks a ballot against the poll's kind and answers.
    pub fn parse(poll: &Poll, input: BallotInput) -> Result<Ballot, PollError> {
        let n = poll.options.len();
        match (poll.kind, input) {
            (PollKind::Single, BallotInput::Single(i)) => {
                if i >= n {
                    return Err(PollError::InvalidOption { options: n });
                }
                Ok(Ballot::Single(i))
            }
            (
                PollKind::Multiple {
                    min_choices,
                    max_choices,
                },
                BallotInput::Multiple(mut chosen),
            ) => {
                distinct_in_range("options", &chosen, n)?;
                let (min, max) = (usize::from(min_choices), usize::from(max_choices));
                if !(min..=max).contains(&chosen.len()) {
                    return Err(bad(format!(
                        "options: choose between {min} and {max} answers, got {}",
                        chosen.len()
                    )));
                }
                chosen.sort_unstable();
                Ok(Ballot::Multiple(chosen))
            }
            (PollKind::Ranked, BallotInput::Ranked(ranking)) => {
                distinct_in_range("ranking", &ranking, n)?;
                if ranking.is_empty() {
                    return Err(bad("ranking: rank at least one answer"));
                }
                Ok(Ballot::Ranked(ranking))
            }
            (PollKind::Majority, BallotInput::Majority(grades)) => {
                if grades.len() != n {
                    return Err(bad(format!(
                        "grades: give one grade to each of the {n} answers, got {}",
                        grades.len()
                    )));
                }
                if let Some(at) = grades.iter().position(|&g| g >= GRADES) {
                    return Err(bad(format!(
                        "grades[{at}]: must be a grade from 0 (À rejeter) to 5 (Très bien)"
                    )));
                }
                Ok(Ballot::Majority(grades))
            }
            (kind, _) => Err(bad(match kind {
                PollKind::Single => "this single-choice poll takes {\"option\": i}",
                PollKind::Multiple { .. } => {
                    "this multiple-choice poll takes {\"options\": [i, ...]}"
                }
                PollKind::Ranked => "this ranked poll takes {\"ranking\": [best, ...]}",
                PollKind::Majority => {
                    "this majority-judgment poll takes {\"grades\": [g0, g1, ...]}"
                }
            })),
        }
    }

    /// The counters this ballot adds to, with the amount.
    fn contributions(&self, poll: &Poll) -> Vec<(String, i64)> {
        let id = &poll.id;
        let mut out = Vec::new();
        match self {
            Ballot::Single(i) => out.push((keys::poll_count(id, *i), 1)),
            Ballot::Multiple(chosen) => {
                out.extend(chosen.iter().map(|&i| (keys::poll_count(id, i), 1)));
                out.push((keys::poll_ballots(id), 1));
            }
            Ballot::Ranked(ranking) => {
                let k = ranking.len() as i64;
                out.extend(
                    ranking
                        .iter()
                        .enumerate()
                        .map(|(place, &i)| (keys::poll_count(id, i), k - place as i64)),
                );
                out.push((keys::poll_ballots(id), 1));
            }
            Ballot::Majority(grades) => out.extend(
                grades
                    .iter()
                    .enumerate()
                    .map(|(i, &g)| (keys::poll_grade(id, i, g), 1)),
            ),
        }
        out
    }
}

/// What a vote did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoteOutcome {
    /// A first vote, counted.
    Counted,
    /// A changed vote (polls with `allow_vote_change`).
    Changed,
}

/// The stored ballot of a voter who may change their vote.
#[derive(Debug, Serialize, Deserialize)]
struct BallotRecord {
    v: u64,
    ballot: Ballot,
}

/// Whether the poll accepts votes at `now`.
pub fn check_open(poll: &Poll, now: Timestamp) -> Result<(), PollError> {
    match poll.status(now) {
        PollStatus::Open => Ok(()),
        PollStatus::Draft => Err(PollError::NotFound),
        PollStatus::Upcoming => Err(PollError::NotOpen {
            opens_at: poll.opens_at,
        }),
        PollStatus::Closed => Err(PollError::Closed),
    }
}

/// Records `voter`'s ballot in `poll` (already read by the caller, who also checked that
/// `voter` matches the poll's method). See the module documentation for costs and the
/// change protocol.
pub fn vote(
    store: &dyn KvStore,
    now: Timestamp,
    poll: &Poll,
    voter: &Voter,
    ballot: &Ballot,
) -> Result<VoteOutcome, PollError> {
    check_open(poll, now)?;
    match (&poll.voter_method, voter) {
        (VoterMethod::Cookie, Voter::Cookie(_)) | (VoterMethod::Card { .. }, Voter::Card(_)) => {}
        (VoterMethod::Codes, Voter::Code(code)) => {
            if !store.exists(&keys::poll_invite(&poll.id, code))? {
                return Err(PollError::InvalidCode);
            }
        }
        _ => {
            return Err(PollError::WrongMethod(
                "this poll identifies voters another way",
            ));
        }
    }
    let ballot_key = keys::poll_ballot(&poll.id, voter);
    if poll.allow_vote_change
        && let Some(current) = store.get(&ballot_key)?
    {
        return change(store, poll, &ballot_key, current, ballot);
    }

    // Claim the voter before counting, so a crash in between loses this vote rather than
    // counting it twice. The claim is an atomic increment, not a compare-and-swap from
    // "absent": Spin's SQLite store turns that swap into an upsert, which would let two
    // simultaneous submissions (a double click) both pass. Only the request that moves the
    // claim from 0 to 1 may count.
    let voter_key = keys::poll_voter(&poll.id, voter);
    if store.increment(&voter_key, 1)? != 1 {
        // On a changeable poll, a claim without a stored ballot is a first vote still being
        // recorded (or one whose ballot could not be stored: it stays counted, unchangeable).
        return Err(if poll.allow_vote_change {
            PollError::VoteInProgress
        } else {
            PollError::AlreadyVoted
        });
    }
    let contributions = ballot.contributions(poll);
    for (done, (key, delta)) in contributions.iter().enumerate() {
        if let Err(count_error) = store.increment(key, *delta) {
            // Not (fully) counted: take back what was added and give the claim back so the
            // patron can try again. Best effort: if this fails too, a part of the ballot stays
            // counted, which the log says; a patron locked out by a transient error seems the
            // worse outcome.
            for (key, delta) in contributions[..done]
                .iter()
                .chain([(voter_key.clone(), 1)].iter())
            {
                if let Err(undo_error) = store.increment(key, -delta) {
                    eprintln!("failed to undo {key} after a failed count: {undo_error}");
                }
            }
            return Err(count_error.into());
        }
    }
    if poll.allow_vote_change {
        // Written after counting: a ballot on record is always a counted ballot, so a later
        // change never takes back what was not added. Only the claim winner gets here.
        let record = BallotRecord {
            v: 1,
            ballot: ballot.clone(),
        };
        if let Err(e) = store.set(&ballot_key, &store::to_json(&ballot_key, &record)?) {
            eprintln!(
                "vote counted but its ballot could not be stored, so it cannot be changed: {e}"
            );
        }
    }
    // A first ballot only: a changed one is not a new vote (see `change`).
    use crate::analytics::participation;
    participation::record(store, now, participation::Activity::Vote);
    Ok(VoteOutcome::Counted)
}

fn change(
    store: &dyn KvStore,
    poll: &Poll,
    ballot_key: &str,
    mut current: Vec<u8>,
    ballot: &Ballot,
) -> Result<VoteOutcome, PollError> {
    for _ in 0..CAS_ATTEMPTS {
        let old: BallotRecord =
            serde_json::from_slice(&current).map_err(|e| StoreError::Corrupt {
                key: ballot_key.to_owned(),
                message: e.to_string(),
            })?;
        let next = BallotRecord {
            v: old.v + 1,
            ballot: ballot.clone(),
        };
        let bytes = store::to_json(ballot_key, &next)?;
        if store.compare_and_swap(ballot_key, Some(&current), &bytes)? {
            // This request owns the transition old -> next: apply exactly its difference.
            let mut deltas: BTreeMap<String, i64> = BTreeMap::new();
            for (key, delta) in old.ballot.contributions(poll) {
                *deltas.entry(key).or_default() -= delta;
            }
            for (key, delta) in ballot.contributions(poll) {
                *deltas.entry(key).or_default() += delta;
            }
            for (key, delta) in deltas.into_iter().filter(|(_, d)| *d != 0) {
                store.increment(&key, delta)?;
            }
            return Ok(VoteOutcome::Changed);
        }
        // Another change won the swap: start again from the ballot it stored.
        current = store.get(ballot_key)?.ok_or(PollError::VoteInProgress)?;
    }
    Err(PollError::Busy)
}

/// Whether this voter voted: their claim counter is at least 1 (a claim given back after a
/// failed count is 0). Costs 1 batch read.
pub fn has_voted(store: &dyn KvStore, poll: &Poll, voter: &Voter) -> Result<bool, PollError> {
    let claims = store::read_counters(store, &[keys::poll_voter(&poll.id, voter)])?;
    Ok(claims.first().is_some_and(|&c| c > 0))
}

/// The stored ballot of a voter on a changeable poll (to pre-fill the form). Costs 1 read.
pub fn stored_ballot(
    store: &dyn KvStore,
    poll: &Poll,
    voter: &Voter,
) -> Result<Option<Ballot>, PollError> {
    let key = keys::poll_ballot(&poll.id, voter);
    Ok(store
        .get_json::<BallotRecord>(&key)?
        .map(|record| record.ballot))
}

/// Remembers that this browser took part in a poll whose voters are identified by card or
/// code, so "results after voting" can show it the results. Costs 1 write.
pub fn mark_seen(store: &dyn KvStore, poll: &Poll, browser: &VoterId) -> Result<(), PollError> {
    store.set(&keys::poll_seen(&poll.id, browser), b"1")?;
    Ok(())
}

/// Stores a batch of invitation codes (hashed) for a code poll. Costs one write per code.
pub fn add_invite_codes(
    store: &dyn KvStore,
    poll: &Poll,
    codes: &[super::InviteCode],
) -> Result<(), PollError> {
    if poll.voter_method != VoterMethod::Codes {
        return Err(PollError::WrongMethod(
            "voter_method: this poll does not use invitation codes",
        ));
    }
    for code in codes {
        store.set(&keys::poll_invite(&poll.id, code), b"1")?;
    }
    Ok(())
}
