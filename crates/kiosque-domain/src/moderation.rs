//! What questions and contests share: patron submissions kept one key per sequence number, a
//! moderation status, indexes changed only by staff (updated with compare-and-swap over the
//! value read), the one-per-patron claim, text rules and ids.
//!
//! Why sequence numbers: appending to one list document would make every patron submission a
//! read-modify-write of the same hot key (lost under concurrency without CAS, contended with
//! it). `increment(seq, 1)` hands each submission its own number atomically, and the item goes
//! under its own key; pages read ranges of numbers with one `get_many`.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::store::{self, KvStore, StoreError};

/// How many times a staff index update is retried when someone else changed it meanwhile.
pub const MAX_CAS_ATTEMPTS: usize = 8;
/// The most items a staff queue page or a public gallery page reads at once.
pub const MAX_PAGE: u64 = 100;

/// Where a submission stands. Rejection reasons are for staff only and never leave the API
/// that requires the admin token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pending,
    Approved,
    Rejected,
}

/// A staff decision on one submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject { reason: Option<String> },
}

/// The wire shape of a moderation request: `{"decision": "approve"|"reject", "reason"?}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModerationRequest {
    pub decision: String,
    #[serde(default)]
    pub reason: Option<String>,
}

pub const MAX_REASON_CHARS: usize = 500;

impl Decision {
    pub fn parse(request: ModerationRequest) -> Result<Self, String> {
        match request.decision.trim() {
            "approve" => Ok(Decision::Approve),
            "reject" => Ok(Decision::Reject {
                reason: optional_text("reason", request.reason.as_deref(), MAX_REASON_CHARS, true)?,
            }),
            _ => Err("decision: must be \"approve\" or \"reject\"".to_owned()),
        }
    }
}

pub use crate::web::is_bidi_control;

/// Trims `raw` and checks it is non-empty, at most `max_chars` characters, and free of control
/// characters (line breaks allowed when `multiline`, normalised to `\n`) and of bidirectional
/// controls ([`is_bidi_control`]).
pub fn text(field: &str, raw: &str, max_chars: usize, multiline: bool) -> Result<String, String> {
    let normalised = raw.replace("\r\n", "\n").replace('\r', "\n");
    let text = normalised.trim();
    if text.is_empty() {
        return Err(format!("{field}: must not be empty"));
    }
    let chars = text.chars().count();
    if chars > max_chars {
        return Err(format!(
            "{field}: must be at most {max_chars} characters, got {chars}"
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && !(multiline && c == '\n'))
    {
        return Err(format!("{field}: must not contain control characters"));
    }
    if text.chars().any(is_bidi_control) {
        return Err(format!(
            "{field}: must not contain bidirectional control characters"
        ));
    }
    Ok(text.to_owned())
}

/// Like [`text`], but an absent or blank value is `None`.
pub fn optional_text(
    field: &str,
    raw: Option<&str>,
    max_chars: usize,
    multiline: bool,
) -> Result<Option<String>, String> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(raw) => text(field, raw, max_chars, multiline).map(Some),
    }
}

/// Reads the JSON document under `key`, lets `change` edit it, and writes it back with a
/// compare-and-swap over the bytes read, retrying when someone else changed it meanwhile.
/// `change` returns `false` to write nothing. `Ok(None)` when the document is absent (callers
/// create their indexes with the item, so an update never swaps from "absent", which Spin's
/// SQLite store would turn into an upsert) or when every attempt met a concurrent change.
pub fn update_doc<T, E>(
    store: &dyn KvStore,
    key: &str,
    mut change: impl FnMut(&mut T) -> Result<bool, E>,
) -> Result<Option<T>, E>
where
    T: Serialize + DeserializeOwned,
    E: From<StoreError>,
{
    for _ in 0..MAX_CAS_ATTEMPTS {
        let Some(current) = store.get(key)? else {
            return Ok(None);
        };
        let mut doc: T = serde_json::from_slice(&current).map_err(|e| StoreError::Corrupt {
            key: key.to_owned(),
            message: e.to_string(),
        })?;
        if !change(&mut doc)? {
            return Ok(Some(doc));
        }
        let next = store::to_json(key, &doc)?;
        if store.compare_and_swap(key, Some(&current), &next)? {
            return Ok(Some(doc));
        }
    }
    Ok(None)
}

/// Claims "one per patron" under `claim_key`, then adds one to `counter_key`; returns the new
/// count, or `None` when the claim was already taken. The claim is `increment(key, 1) == 1`
/// (not a swap from "absent", an upsert on Spin's SQLite store), written before the count so
/// a crash in between loses one vote rather than counting one twice; a failed count gives the
/// claim back, best effort.
pub fn claim_and_count(
    store: &dyn KvStore,
    claim_key: &str,
    counter_key: &str,
) -> Result<Option<i64>, StoreError> {
    if store.increment(claim_key, 1)? != 1 {
        return Ok(None);
    }
    match store.increment(counter_key, 1) {
        Ok(count) => Ok(Some(count)),
        Err(error) => {
            if let Err(undo) = store.increment(claim_key, -1) {
                eprintln!("failed to give back the claim {claim_key}: {undo}");
            }
            Err(error)
        }
    }
}

/// Decodes the JSON values of a `get_many` answer into `(seq, T)` in the order of `seqs`,
/// skipping absent keys (erased items). `key_of` builds the key of a sequence number.
pub fn read_items<T: DeserializeOwned>(
    store: &dyn KvStore,
    seqs: &[u64],
    key_of: impl Fn(u64) -> String,
) -> Result<Vec<(u64, T)>, StoreError> {
    if seqs.is_empty() {
        return Ok(Vec::new());
    }
    let keys: Vec<String> = seqs.iter().map(|&seq| key_of(seq)).collect();
    let mut found: std::collections::HashMap<String, Vec<u8>> = store
        .get_many(&keys)?
        .into_iter()
        .filter_map(|(key, value)| Some((key, value?)))
        .collect();
    let mut items = Vec::with_capacity(seqs.len());
    for (seq, key) in seqs.iter().zip(&keys) {
        if let Some(bytes) = found.remove(key) {
            let item = serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt {
                key: key.clone(),
                message: e.to_string(),
            })?;
            items.push((*seq, item));
        }
    }
    Ok(items)
}

/// Reads one counter (absent is 0) with a batch read, never `increment(key, 0)`.
pub fn read_counter(store: &dyn KvStore, key: String) -> Result<u64, StoreError> {
    let values = store::read_counters(store, &[key])?;
    Ok(values.first().map_or(0, |&v| u64::try_from(v).unwrap_or(0)))
}

/// The sequence numbers `from..from+limit` that exist (`1..=last`).
pub fn seq_range(from: u64, limit: u64, last: u64) -> Vec<u64> {
    let from = from.max(1);
    let end = from
        .saturating_add(limit.clamp(1, MAX_PAGE))
        .min(last.saturating_add(1));
    (from..end).collect()
}

/// One page (1-based, newest first) of a registry: the numbers `1..=last` under `seq_key`,
/// each holding a JSON id under `key_of(n)`. Returns the ids found, how many are registered,
/// and whether an older page exists. Costs 2 store calls (1 batch read of the counter, 1
/// batch read of at most `per_page` ids, itself at most [`MAX_PAGE`]).
pub fn registry_page<T: DeserializeOwned>(
    store: &dyn KvStore,
    seq_key: String,
    key_of: impl Fn(u64) -> String,
    page: u64,
    per_page: u64,
) -> Result<(Vec<T>, u64, bool), StoreError> {
    let last = read_counter(store, seq_key)?;
    let per_page = per_page.clamp(1, MAX_PAGE);
    let skip = page.max(1).saturating_sub(1).saturating_mul(per_page);
    let top = last.saturating_sub(skip);
    let bottom = top.saturating_sub(per_page);
    let seqs: Vec<u64> = (bottom + 1..=top).rev().collect();
    let items = read_items::<T>(store, &seqs, key_of)?
        .into_iter()
        .map(|(_, item)| item)
        .collect();
    Ok((items, last, bottom > 0))
}

/// Whether the honeypot field of a patron form was filled in. People never see it (it is off
/// screen, hidden from assistive technologies and skipped by the keyboard); scripts that fill
/// every field do. A filled honeypot is accepted without a word and stored nowhere, so the
/// script learns nothing to adapt to.
pub fn honeypot_filled(website: Option<&str>) -> bool {
    website.is_some_and(|w| !w.trim().is_empty())
}

/// One page of a staff list (questions, contests): the documents of a registry page.
#[derive(Debug, Clone)]
pub struct StaffPage<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u64,
    pub next_page: Option<u64>,
}

/// A registry page (see [`registry_page`]) with the documents its ids name, newest first.
/// Costs 3 store calls (3 batch reads), whatever the number registered.
pub fn staff_page<Id: DeserializeOwned, Doc: DeserializeOwned>(
    store: &dyn KvStore,
    seq_key: String,
    slot_key: impl Fn(u64) -> String,
    doc_key: impl Fn(&Id) -> String,
    page: u64,
    per_page: u64,
) -> Result<StaffPage<Doc>, StoreError> {
    let (ids, total, older) = registry_page::<Id>(store, seq_key, slot_key, page, per_page)?;
    let items = read_docs::<Doc>(store, ids.iter().map(doc_key))?;
    let page = page.max(1);
    Ok(StaffPage {
        items,
        total,
        page,
        next_page: older.then_some(page + 1),
    })
}

/// The JSON documents under `keys`, in that order, skipping absent ones, with one batch read
/// (none when `keys` is empty).
pub fn read_docs<T: DeserializeOwned>(
    store: &dyn KvStore,
    keys: impl IntoIterator<Item = String>,
) -> Result<Vec<T>, StoreError> {
    let keys: Vec<String> = keys.into_iter().collect();
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let mut found: std::collections::HashMap<String, Vec<u8>> = store
        .get_many(&keys)?
        .into_iter()
        .filter_map(|(key, value)| Some((key, value?)))
        .collect();
    let mut docs = Vec::with_capacity(keys.len());
    for key in &keys {
        if let Some(bytes) = found.remove(key) {
            docs.push(
                serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt {
                    key: key.clone(),
                    message: e.to_string(),
                })?,
            );
        }
    }
    Ok(docs)
}

/// One page (1-based) of `items`, `per_page` long.
pub fn page_of<T: Clone>(items: &[T], page: u64, per_page: usize) -> Vec<T> {
    let page = usize::try_from(page.max(1) - 1).unwrap_or(usize::MAX);
    items
        .iter()
        .skip(page.saturating_mul(per_page))
        .take(per_page)
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    #[test]
    fn texts_are_trimmed_bounded_and_single_line_unless_allowed() {
        assert_eq!(text("t", "  Été 🌞 ", 10, false).unwrap(), "Été 🌞");
        assert!(text("t", "   ", 10, false).unwrap_err().contains("empty"));
        assert!(
            text("t", "abcdef", 5, false)
                .unwrap_err()
                .contains("at most 5")
        );
        assert!(text("t", "a\nb", 5, false).is_err());
        assert_eq!(text("t", "a\r\nb", 5, true).unwrap(), "a\nb");
        assert!(text("t", "a\u{0}b", 5, true).is_err());
        assert_eq!(text("t", "مرحبا", 5, false).unwrap(), "مرحبا");
        assert_eq!(optional_text("t", Some("  "), 5, false).unwrap(), None);
        for bidi in ['\u{202A}', '\u{202E}', '\u{2066}', '\u{2069}'] {
            assert!(
                text("t", &format!("a{bidi}b"), 5, false)
                    .unwrap_err()
                    .contains("bidirectional")
            );
        }
        // Marks that only hint a direction stay allowed (Arabic and Hebrew text uses them).
        assert!(text("t", "a\u{200F}b", 5, false).is_ok());
    }

    #[test]
    fn claims_count_once_per_patron() {
        let store = MemoryStore::new();
        assert_eq!(claim_and_count(&store, "c/a", "n").unwrap(), Some(1));
        assert_eq!(claim_and_count(&store, "c/a", "n").unwrap(), None);
        assert_eq!(claim_and_count(&store, "c/b", "n").unwrap(), Some(2));
    }

    #[test]
    fn ranges_and_pages_stay_in_bounds() {
        assert_eq!(seq_range(0, 3, 10), vec![1, 2, 3]);
        assert_eq!(seq_range(9, 5, 10), vec![9, 10]);
        assert!(seq_range(11, 5, 10).is_empty());
        assert_eq!(seq_range(1, 1000, 1000).len() as u64, MAX_PAGE);
        assert_eq!(page_of(&[1, 2, 3, 4, 5], 2, 2), vec![3, 4]);
        assert!(page_of(&[1, 2], 9, 2).is_empty());
    }
}
