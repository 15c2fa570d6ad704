//! Voting and results: one public vote per voter and category, the winners staff mark, and
//! the results everyone sees.

use super::*;

/// One public vote of `voter` for an approved entry, one per category. Returns the entry's
/// category. Costs 4 store calls (2 reads, 2 increments), whatever the number of votes.
pub fn vote(
    store: &dyn KvStore,
    clock: &dyn Clock,
    id: &ContestId,
    seq: u64,
    voter: &VoterId,
) -> Result<CategorySlug, ContestError> {
    let contest = get_contest(store, id)?;
    if !contest.voting_is_open(clock.now()) {
        return Err(ContestError::VotingClosed);
    }
    let entry: Entry = store
        .get_json(&keys::contest_entry(id, seq))?
        .filter(|e: &Entry| e.status == Status::Approved)
        .ok_or(ContestError::EntryNotFound)?;
    match moderation::claim_and_count(
        store,
        &keys::contest_voter(id, &entry.category, voter),
        &keys::contest_entry_votes(id, seq),
    )? {
        Some(_) => {
            use crate::analytics::participation;
            participation::record(store, clock.now(), participation::Activity::Vote);
            Ok(entry.category)
        }
        None => Err(ContestError::AlreadyVoted),
    }
}

/// The wire shape of `POST /api/contests/:id/winners`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WinnersRequest {
    pub category: CategorySlug,
    /// Entry numbers, first prize first; empty clears the category's winners.
    pub entries: Vec<u64>,
}

/// Marks the winners of one category (staff): approved entries of that category only.
/// Costs 4 store calls.
pub fn set_winners(
    store: &dyn KvStore,
    id: &ContestId,
    request: WinnersRequest,
) -> Result<Index, ContestError> {
    let contest = get_contest(store, id)?;
    if contest.category(&request.category).is_none() {
        return Err(ContestError::Invalid(
            "category: not one of this contest's categories".to_owned(),
        ));
    }
    if request.entries.len() > 10 {
        return Err(ContestError::Invalid(
            "entries: at most 10 winners per category".to_owned(),
        ));
    }
    if let Some((i, dup)) = request
        .entries
        .iter()
        .enumerate()
        .find(|(i, s)| request.entries[..*i].contains(s))
    {
        return Err(ContestError::Invalid(format!(
            "entries[{i}]: {dup} is listed twice"
        )));
    }
    let approved: Index = store
        .get_json(&keys::contest_approved(id))?
        .unwrap_or_default();
    let listed = approved.get(&request.category).cloned().unwrap_or_default();
    if let Some(bad) = request
        .entries
        .iter()
        .find(|s| listed.binary_search(s).is_err())
    {
        return Err(ContestError::Invalid(format!(
            "entries: {bad} is not an approved entry of this category"
        )));
    }
    let updated =
        moderation::update_doc(store, &keys::contest_winners(id), |winners: &mut Index| {
            winners.insert(request.category.clone(), request.entries.clone());
            Ok::<_, ContestError>(true)
        })?;
    updated.ok_or(ContestError::Busy)
}

/// One category of the results.
#[derive(Debug, Clone, Serialize)]
pub struct CategoryResults {
    pub category: Category,
    pub winners: Vec<Entry>,
    /// The [`RESULTS_TOP`] most voted approved entries with their votes, most voted first;
    /// empty until voting has ended (counts shown during the vote would sway it).
    pub votes: Vec<(Entry, u64)>,
    /// Approved entries in the category.
    pub approved: usize,
}

#[derive(Debug, Clone)]
pub struct Results {
    pub contest: Contest,
    pub categories: Vec<CategoryResults>,
    pub voting_over: bool,
}

/// Winners and, once voting ended, the most voted entries per category. Costs 5 store calls
/// (3 reads, 1 batch read of the vote counters, 1 batch read of at most 10 winners and
/// [`RESULTS_TOP`] entries per category), whatever the number of entries and votes.
pub fn results(
    store: &dyn KvStore,
    clock: &dyn Clock,
    id: &ContestId,
) -> Result<Results, ContestError> {
    let contest = get_contest(store, id)?;
    let approved: Index = store
        .get_json(&keys::contest_approved(id))?
        .unwrap_or_default();
    let winners: Index = store
        .get_json(&keys::contest_winners(id))?
        .unwrap_or_default();
    let voting_over = contest.public_vote && contest.voting_close.is_some_and(|c| clock.now() >= c);
    // Counters only (a few bytes each) for every approved entry; documents for the top ones.
    let mut top: HashMap<&CategorySlug, Vec<(u64, u64)>> = HashMap::new();
    if voting_over {
        let seqs: Vec<u64> = approved.values().flatten().copied().collect();
        let keys: Vec<String> = seqs
            .iter()
            .map(|&s| keys::contest_entry_votes(id, s))
            .collect();
        let counts: HashMap<u64, u64> = seqs
            .into_iter()
            .zip(store::read_counters(store, &keys)?)
            .map(|(s, n)| (s, u64::try_from(n).unwrap_or(0)))
            .collect();
        for (category, list) in &approved {
            let mut ranked: Vec<(u64, u64)> = list
                .iter()
                .map(|s| (*s, counts.get(s).copied().unwrap_or(0)))
                .collect();
            ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            ranked.truncate(RESULTS_TOP);
            top.insert(category, ranked);
        }
    }
    let mut wanted: Vec<u64> = winners.values().flatten().copied().collect();
    wanted.extend(top.values().flatten().map(|(s, _)| *s));
    wanted.sort_unstable();
    wanted.dedup();
    let entries: HashMap<u64, Entry> = read_all(store, &wanted, |s| keys::contest_entry(id, s))?;
    let pick = |seq: &u64| {
        entries
            .get(seq)
            .filter(|e| e.status == Status::Approved)
            .cloned()
    };
    let categories = contest
        .categories
        .iter()
        .map(|category| CategoryResults {
            category: category.clone(),
            winners: winners
                .get(&category.slug)
                .map_or_else(Vec::new, |w| w.iter().filter_map(pick).collect()),
            votes: top.get(&category.slug).map_or_else(Vec::new, |t| {
                t.iter().filter_map(|(s, n)| Some((pick(s)?, *n))).collect()
            }),
            approved: approved.get(&category.slug).map_or(0, Vec::len),
        })
        .collect();
    Ok(Results {
        contest,
        categories,
        voting_over,
    })
}

/// Reads JSON values by sequence number in one batch read (absent ones skipped).
fn read_all<T: DeserializeOwned>(
    store: &dyn KvStore,
    seqs: &[u64],
    key_of: impl Fn(u64) -> String,
) -> Result<HashMap<u64, T>, StoreError> {
    Ok(moderation::read_items(store, seqs, key_of)?
        .into_iter()
        .collect())
}
