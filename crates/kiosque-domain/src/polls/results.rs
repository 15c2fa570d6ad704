//! Reading the results: one batch read of every counter of the poll, whatever the number of
//! votes (at most 6 × 20 + 1 keys), and who may see them.

use serde::{Deserialize, Serialize};

use super::majority::{self, Distribution, GRADES};
use super::{Poll, PollError, PollKind, PollStatus, Voter, VoterId, VoterMethod, voting};
use crate::clock::Timestamp;
use crate::keys;
use crate::store::{self, KvStore};

/// Who sees a poll's results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResultsVisibility {
    #[default]
    Always,
    /// Patrons who voted (and everyone once the poll is closed).
    AfterVote,
    AfterClose,
    /// Staff only, with the admin token.
    Staff,
}

/// One answer's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OptionResult {
    /// Votes (single and multiple choice) or Borda points (ranked); for majority judgment,
    /// the number of grades given (= ballots).
    pub count: u64,
    /// Single and multiple choice: share of the ballots that chose it; ranked: share of all
    /// points; majority judgment: 0.
    pub percent: f64,
    /// 1 for the winner; tied answers share a place.
    pub rank: usize,
    /// Majority judgment: how many voters gave each grade, worst first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grades: Option<Distribution>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub majority_grade: Option<usize>,
}

/// The results of a poll.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Results {
    /// How many people voted.
    pub ballots: u64,
    pub options: Vec<OptionResult>,
}

/// Every counter a poll may have, in a fixed order (see [`read`]).
pub fn counter_keys(poll: &Poll) -> Vec<String> {
    let n = poll.options.len();
    let id = &poll.id;
    match poll.kind {
        PollKind::Single => (0..n).map(|i| keys::poll_count(id, i)).collect(),
        PollKind::Multiple { .. } | PollKind::Ranked => (0..n)
            .map(|i| keys::poll_count(id, i))
            .chain([keys::poll_ballots(id)])
            .collect(),
        PollKind::Majority => (0..n)
            .flat_map(|i| (0..GRADES).map(move |g| (i, g)))
            .map(|(i, g)| keys::poll_grade(id, i, g))
            .collect(),
    }
}

fn non_negative(count: i64) -> u64 {
    // Counters only move by ballots; a negative one means someone edited the store by hand:
    // show 0 rather than fail the page.
    u64::try_from(count).unwrap_or(0)
}

fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        (part as f64 * 1000.0 / whole as f64).round() / 10.0
    }
}

fn ranks_by_count(counts: &[u64]) -> Vec<usize> {
    counts
        .iter()
        .map(|c| 1 + counts.iter().filter(|other| *other > c).count())
        .collect()
}

/// The results: 1 batch read (plus one `increment(key, 0)` per counter in an encoding
/// `store::read_counters` does not know). Writes nothing.
pub fn read(store: &dyn KvStore, poll: &Poll) -> Result<Results, PollError> {
    let values: Vec<u64> = store::read_counters(store, &counter_keys(poll))?
        .into_iter()
        .map(non_negative)
        .collect();
    let n = poll.options.len();
    // Saturating: a corrupted counter near u64::MAX must give a wrong total, not a panic.
    let sum = |xs: &[u64]| xs.iter().fold(0u64, |s, &x| s.saturating_add(x));
    Ok(match poll.kind {
        PollKind::Single | PollKind::Multiple { .. } | PollKind::Ranked => {
            let counts = &values[..n.min(values.len())];
            let ballots = match poll.kind {
                PollKind::Single => sum(counts),
                _ => values.get(n).copied().unwrap_or(0),
            };
            let whole = if poll.kind == PollKind::Ranked {
                sum(counts)
            } else {
                ballots
            };
            let ranks = ranks_by_count(counts);
            Results {
                ballots,
                options: counts
                    .iter()
                    .zip(ranks)
                    .map(|(&count, rank)| OptionResult {
                        count,
                        percent: share(count, whole),
                        rank,
                        grades: None,
                        majority_grade: None,
                    })
                    .collect(),
            }
        }
        PollKind::Majority => {
            let distributions: Vec<Distribution> = values
                .chunks(GRADES)
                .map(|chunk| {
                    let mut d = [0u64; GRADES];
                    d.iter_mut().zip(chunk).for_each(|(slot, &v)| *slot = v);
                    d
                })
                .collect();
            // Every ballot grades every answer; the maximum is robust to a lost increment.
            let ballots = distributions.iter().map(|d| sum(d)).max().unwrap_or(0);
            let ranks = majority::ranks(&distributions);
            Results {
                ballots,
                options: distributions
                    .iter()
                    .zip(ranks)
                    .map(|(d, rank)| OptionResult {
                        count: sum(d),
                        percent: 0.0,
                        rank,
                        grades: Some(*d),
                        majority_grade: majority::majority_grade(d),
                    })
                    .collect(),
            }
        }
    })
}

/// Whether anyone voted: any counter above zero. Costs 1 batch read.
pub fn has_votes(store: &dyn KvStore, poll: &Poll) -> Result<bool, PollError> {
    Ok(store::read_counters(store, &counter_keys(poll))?
        .into_iter()
        .any(|c| c > 0))
}

/// Who is looking at the results.
#[derive(Debug, Clone, Copy)]
pub struct Viewer<'a> {
    /// Presented the admin token.
    pub staff: bool,
    /// The browser's voter cookie, if any.
    pub browser: Option<&'a VoterId>,
}

/// Whether `viewer` may see the results now. Costs at most 1 read ("after voting").
pub fn visible(
    store: &dyn KvStore,
    poll: &Poll,
    now: Timestamp,
    viewer: Viewer<'_>,
) -> Result<bool, PollError> {
    if viewer.staff {
        return Ok(true);
    }
    let closed = poll.status(now) == PollStatus::Closed;
    match poll.results_visibility {
        ResultsVisibility::Always => Ok(true),
        ResultsVisibility::Staff => Ok(false),
        ResultsVisibility::AfterClose => Ok(closed),
        ResultsVisibility::AfterVote if closed => Ok(true),
        ResultsVisibility::AfterVote => match (viewer.browser, poll.voter_method) {
            (None, _) => Ok(false),
            (Some(browser), VoterMethod::Cookie) => {
                voting::has_voted(store, poll, &Voter::Cookie(browser.clone()))
            }
            (Some(browser), _) => Ok(store.exists(&keys::poll_seen(&poll.id, browser))?),
        },
    }
}
