//! Participants' personal data (RGPD): the email kept apart from the entry under a keyed
//! hash, the retention purge after the contest ends, and a participant's export and erasure
//! (see the module header of `contests` for the key layout).

use super::*;

/// A contact email, lower-cased so the same person is found whatever the case they typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim().to_lowercase();
        let invalid = || "email: must be an address like name@example.org".to_owned();
        let (local, domain) = text.rsplit_once('@').ok_or_else(invalid)?;
        let local_ok = (1..=64).contains(&local.len())
            && !local.chars().any(|c| {
                c.is_whitespace()
                    || c.is_control()
                    || moderation::is_bidi_control(c)
                    || matches!(c, '@' | '<' | '>' | '"' | ',' | ';')
            });
        let domain_ok = domain.len() <= 253
            && domain.contains('.')
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if local_ok && domain_ok && text.len() <= 254 {
            Ok(Email(text))
        } else {
            Err(invalid())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key under which this address's entries are listed: the first 128 bits of
    /// HMAC-SHA-256(`key`, "contest-contact\n" + address), as 32 hex digits. Keyed, so the key
    /// names do not let anyone test addresses; the stored contact is still compared with the
    /// address itself.
    pub fn key_hash(&self, key: &ContactKey) -> String {
        let mac = hmac_sha256(
            key.0.as_bytes(),
            format!("contest-contact\n{}", self.0).as_bytes(),
        );
        hex::encode(&mac[..16])
    }
}

/// The secret that keys [`Email::key_hash`] (the `card_hash_key` variable). Never printed.
#[derive(Clone)]
pub struct ContactKey(String);

impl ContactKey {
    /// `None` for an empty secret: contests then refuse to run
    /// ([`ContestError::ContactKeyMissing`]) rather than fall back to an unkeyed hash.
    pub fn new(secret: &str) -> Option<Self> {
        let secret = secret.trim();
        (!secret.is_empty()).then(|| ContactKey(secret.to_owned()))
    }
}

impl std::fmt::Debug for ContactKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ContactKey(..)")
    }
}

impl TryFrom<String> for Email {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        Email::parse(&text)
    }
}

impl From<Email> for String {
    fn from(email: Email) -> String {
        email.0
    }
}

/// How far the contact erasure of a contest went.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurgeState {
    pub next: u64,
    pub done: bool,
}

/// Contacts one purge call erases at most, across contests: bounded work per request.
pub const PURGE_BUDGET: u64 = 50;

/// What a purge did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PurgeReport {
    /// Contact records erased by this call.
    pub erased: u64,
    /// Contests looked at whose contacts are all erased now.
    pub contests_done: u64,
    /// Whether to call again: contacts due remain, or the scan has not reached the end of
    /// the registry yet. A cron that calls until `false` makes one full pass.
    pub more: bool,
}

/// Erases the contacts due (contests ended more than `retention_days` ago), at most
/// [`PURGE_BUDGET`] per call, looking at most at [`PURGE_WINDOW`] contests per call. The scan
/// resumes where the previous call stopped (`contests/purge-cursor`) and wraps around to the
/// low mark (registry entries below it are all purged), so a contest that never ends delays
/// no other. Idempotent. Costs 5 store calls (3 batch reads, ...) plus about 3 per contest
/// due and 2 per contact erased; never lists the store.
pub fn purge_due(
    store: &dyn KvStore,
    clock: &dyn Clock,
    retention_days: u32,
) -> Result<PurgeReport, ContestError> {
    let now = clock.now();
    let registered = moderation::read_counter(store, keys::contest_registry_seq())?;
    let marks = store.get_many(&[keys::contest_purge_cursor(), keys::contest_purge_low()])?;
    let mark = |key: String| -> u64 {
        marks
            .iter()
            .find(|(k, _)| *k == key)
            .and_then(|(_, v)| serde_json::from_slice(v.as_deref()?).ok())
            .unwrap_or(1)
    };
    let low = mark(keys::contest_purge_low()).max(1);
    let cursor = mark(keys::contest_purge_cursor());
    let start = if cursor < low || cursor > registered {
        low
    } else {
        cursor
    };
    let window: Vec<u64> = (start..=registered).take(PURGE_WINDOW as usize).collect();
    let ids: Vec<(u64, ContestId)> =
        moderation::read_items(store, &window, keys::contest_registry)?;
    let contests: HashMap<u64, Contest> = {
        let docs =
            moderation::read_docs::<Contest>(store, ids.iter().map(|(_, id)| keys::contest(id)))?;
        let by_id: HashMap<&ContestId, u64> = ids.iter().map(|(n, id)| (id, *n)).collect();
        docs.into_iter()
            .filter_map(|c| Some((*by_id.get(&c.id)?, c)))
            .collect()
    };
    let due: Vec<&Contest> = window
        .iter()
        .filter_map(|n| contests.get(n))
        .filter(|c| now >= c.contacts_erased_at(retention_days))
        .collect();
    // The progress of every contest due, in one batch read.
    let states: HashMap<String, PurgeState> = if due.is_empty() {
        HashMap::new()
    } else {
        let keys: Vec<String> = due.iter().map(|c| keys::contest_purge(&c.id)).collect();
        store
            .get_many(&keys)?
            .into_iter()
            .filter_map(|(k, v)| Some((k, serde_json::from_slice(&v?).ok()?)))
            .collect()
    };
    let mut report = PurgeReport::default();
    let mut new_low = low;
    let mut leading_done = start == low;
    // The first contest due that this call left unfinished: the next call resumes there.
    let mut resume = None;
    for &n in &window {
        let done = match contests.get(&n) {
            // A registry entry without its contest (never finished creating): nothing to erase.
            None => true,
            Some(contest) if now < contest.contacts_erased_at(retention_days) => false,
            Some(contest) => {
                let state = states
                    .get(&keys::contest_purge(&contest.id))
                    .cloned()
                    .unwrap_or(PurgeState {
                        next: 1,
                        done: false,
                    });
                let budget = PURGE_BUDGET.saturating_sub(report.erased);
                let done = if state.done {
                    true
                } else if budget == 0 {
                    false
                } else {
                    let (erased, done) = purge_contest(store, &contest.id, budget, state)?;
                    report.erased += erased;
                    if done {
                        report.contests_done += 1;
                    }
                    done
                };
                if !done {
                    report.more = true;
                    resume = resume.or(Some(n));
                }
                done
            }
        };
        leading_done &= done;
        if leading_done {
            new_low = n + 1;
        }
    }
    // Resume after the window; past the end, wrap to the low mark.
    let next_cursor = resume.unwrap_or_else(|| window.last().map_or(new_low, |&n| n + 1));
    let (next_cursor, wrapped) = if next_cursor > registered {
        (new_low, true)
    } else {
        (next_cursor.max(new_low), false)
    };
    report.more |= !wrapped;
    if new_low != low {
        store.set_json(&keys::contest_purge_low(), &new_low)?;
    }
    if next_cursor != cursor {
        store.set_json(&keys::contest_purge_cursor(), &next_cursor)?;
    }
    Ok(report)
}

pub(super) fn purge_state(store: &dyn KvStore, id: &ContestId) -> Result<PurgeState, StoreError> {
    Ok(store
        .get_json(&keys::contest_purge(id))?
        .unwrap_or(PurgeState {
            next: 1,
            done: false,
        }))
}

/// Erases up to `budget` contacts of one contest from `state`; returns how many and whether
/// all are gone.
pub(super) fn purge_contest(
    store: &dyn KvStore,
    id: &ContestId,
    budget: u64,
    state: PurgeState,
) -> Result<(u64, bool), ContestError> {
    if state.done {
        return Ok((0, true));
    }
    let submitted = moderation::read_counter(store, keys::contest_entry_seq(id))?;
    let seqs = moderation::seq_range(state.next, budget, submitted);
    let contacts =
        moderation::read_items::<Contact>(store, &seqs, |s| keys::contest_contact(id, s))?;
    let mut erased = 0;
    for (seq, contact) in contacts {
        erase_contact(store, id, seq, &contact)?;
        erased += 1;
    }
    let next = seqs.last().map_or(state.next, |&s| s + 1);
    // Submissions are closed once a contest is due, so the sequence no longer grows.
    let done = next > submitted;
    store.set_json(&keys::contest_purge(id), &PurgeState { next, done })?;
    Ok((erased, done))
}

/// The retention purge erases the email itself. The reference under the keyed hash of the
/// email stays: it holds no address, and without it a participant who later asks for
/// erasure of their (still published) entry could no longer be found.
fn erase_contact(
    store: &dyn KvStore,
    id: &ContestId,
    seq: u64,
    _contact: &Contact,
) -> Result<(), StoreError> {
    store.delete(&keys::contest_contact(id, seq))
}

/// One participant's entry with its contest, for an export.
#[derive(Debug, Clone, Serialize)]
pub struct ParticipantEntry {
    pub contest_id: ContestId,
    pub contest_title: Option<String>,
    pub entry: Option<Entry>,
    pub email: Email,
}

/// One page of an export.
#[derive(Debug, Clone, Serialize)]
pub struct ParticipantExport {
    pub entries: Vec<ParticipantEntry>,
    /// The `from` of the next call, when references remain beyond this page.
    pub next_from: Option<u64>,
}

/// Everything stored about `email` in its references `from..from+EXPORT_PAGE`: its entries
/// and their contacts; `next_from` pages through the rest. Costs 3 store calls (3 batch
/// reads).
pub fn export_participant(
    store: &dyn KvStore,
    key: &ContactKey,
    email: &Email,
    from: u64,
) -> Result<ParticipantExport, ContestError> {
    let found = participant(store, key, email, from, EXPORT_PAGE)?;
    Ok(ParticipantExport {
        entries: found.items.into_iter().map(|p| p.export).collect(),
        next_from: found.next_from,
    })
}

struct Found {
    export: ParticipantEntry,
    slot: u64,
    seq: u64,
}

struct Participant {
    items: Vec<Found>,
    /// References read whose contact is gone already (purged, or a half-done erasure).
    stale_slots: Vec<u64>,
    next_from: Option<u64>,
}

fn participant(
    store: &dyn KvStore,
    key: &ContactKey,
    email: &Email,
    from: u64,
    limit: u64,
) -> Result<Participant, ContestError> {
    let hash = email.key_hash(key);
    let slots = moderation::read_counter(store, keys::contact_ref_seq(&hash))?;
    let wanted = moderation::seq_range(from, limit, slots);
    let next_from = wanted.last().map(|&n| n + 1).filter(|&n| n <= slots);
    let refs =
        moderation::read_items::<ContactRef>(store, &wanted, |n| keys::contact_ref(&hash, n))?;
    // One batch read for every contact, entry and contest the references name.
    let mut keys_wanted = Vec::with_capacity(refs.len() * 3);
    for (_, r) in &refs {
        keys_wanted.push(keys::contest_contact(&r.contest, r.seq));
        keys_wanted.push(keys::contest_entry(&r.contest, r.seq));
        keys_wanted.push(keys::contest(&r.contest));
    }
    keys_wanted.sort();
    keys_wanted.dedup();
    let values: HashMap<String, Vec<u8>> = if keys_wanted.is_empty() {
        HashMap::new()
    } else {
        store
            .get_many(&keys_wanted)?
            .into_iter()
            .filter_map(|(k, v)| Some((k, v?)))
            .collect()
    };
    fn decode<T: DeserializeOwned>(values: &HashMap<String, Vec<u8>>, key: &str) -> Option<T> {
        values.get(key).and_then(|b| serde_json::from_slice(b).ok())
    }
    let mut items = Vec::new();
    let mut stale_slots = Vec::new();
    for (slot, r) in refs {
        let entry_key = keys::contest_entry(&r.contest, r.seq);
        match decode::<Contact>(&values, &keys::contest_contact(&r.contest, r.seq)) {
            // The hash only narrows the search: while the address is kept, it must match.
            Some(contact) if &contact.email != email => continue,
            Some(_) => {}
            // The retention purge erased the address but the entry is still published: the
            // keyed hash (128 bits of HMAC) is then the only link, and enough of one.
            None if values.contains_key(&entry_key) => {}
            None => {
                stale_slots.push(slot);
                continue;
            }
        }
        let contest: Option<Contest> = decode(&values, &keys::contest(&r.contest));
        items.push(Found {
            slot,
            seq: r.seq,
            export: ParticipantEntry {
                contest_title: contest.map(|c| c.title),
                entry: decode(&values, &entry_key),
                contest_id: r.contest,
                email: email.clone(),
            },
        });
    }
    Ok(Participant {
        items,
        stale_slots,
        next_from,
    })
}

/// What one erasure call did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EraseReport {
    pub erased_entries: u64,
    /// The `from` of the next call, when references remain beyond this page.
    pub next_from: Option<u64>,
}

/// Erases everything stored about `email` in its references `from..from+ERASE_PAGE`: its
/// entries (withdrawn from galleries and winners), their contacts and the references
/// themselves; the last page (`next_from: None`) also deletes the email's reference counter,
/// so no key is left under its hash. Call again with `next_from` until it is `None`, starting
/// from 1. Idempotent. A staff index changed concurrently too often is `Busy` (retry).
/// Costs 3 batch reads, 4 calls per contest touched and 3 deletes per entry, + for an entry
/// with an image 1 read and 1 delete per chunk + 1 (its medium and renditions).
pub fn erase_participant(
    store: &dyn KvStore,
    key: &ContactKey,
    email: &Email,
    from: u64,
) -> Result<EraseReport, ContestError> {
    let found = participant(store, key, email, from, ERASE_PAGE)?;
    let hash = email.key_hash(key);
    let mut by_contest: HashMap<&ContestId, Vec<u64>> = HashMap::new();
    for item in &found.items {
        by_contest
            .entry(&item.export.contest_id)
            .or_default()
            .push(item.seq);
    }
    for (id, seqs) in &by_contest {
        let drop_seqs = |index: &mut Index| {
            let mut changed = false;
            for list in index.values_mut() {
                let before = list.len();
                list.retain(|s| !seqs.contains(s));
                changed |= list.len() != before;
            }
            Ok::<_, ContestError>(changed)
        };
        for index_key in [keys::contest_approved(id), keys::contest_winners(id)] {
            // `None`: absent (a contest that never finished creating: nothing listed) or busy.
            if moderation::update_doc(store, &index_key, drop_seqs)?.is_none()
                && store.exists(&index_key)?
            {
                return Err(ContestError::Busy);
            }
        }
    }
    for item in &found.items {
        let id = &item.export.contest_id;
        // The image before the entry that names it: an erasure that fails in between is
        // retried with the image still named, never left without a way to it.
        if let Some(image) = item.export.entry.as_ref().and_then(|e| e.image.as_ref()) {
            super::entries::delete_entry_image(store, image)?;
        }
        store.delete(&keys::contest_entry(id, item.seq))?;
        store.delete(&keys::contest_contact(id, item.seq))?;
        store.delete(&keys::contact_ref(&hash, item.slot))?;
    }
    for slot in &found.stale_slots {
        store.delete(&keys::contact_ref(&hash, *slot))?;
    }
    if found.next_from.is_none() {
        store.delete(&keys::contact_ref_seq(&hash))?;
    }
    Ok(EraseReport {
        erased_entries: found.items.len() as u64,
        next_from: found.next_from,
    })
}
