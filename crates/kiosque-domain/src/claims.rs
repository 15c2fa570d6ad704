//! Creation claims that cannot get stuck.
//!
//! Many things are created once: an index document, an account for an email, a campaign for a
//! slug, a mention in a campaign's queue. Exclusivity comes from `increment(claim, 1)` (a
//! compare-and-swap from "absent" is an upsert on Spin's SQLite store, so it cannot decide a
//! winner there). But a claim is not the proof that the thing exists: the winner may fail, or
//! its instance die, between the claim and the write. So the proof is the *document* (`doc`),
//! written by the winner last, and a claim whose document is still missing is trusted to its
//! winner only for [`GRACE_SECONDS`], measured from a stamp the claimant writes just before it
//! claims (`keys::claim_stamp`). After that, the next request takes the claim over; a winner
//! that failed with an error gives it back at once by deleting its stamp ([`release`]).
//!
//! Taking over is exclusive too: the claimant reads the counter `c`, writes its stamp, and
//! wins if its own increment returns exactly `c + 1` (no one else claimed in between). A
//! claim taken before stamps existed has none and counts as expired, which repairs stores
//! already stuck by the old code.
//!
//! Some things must be created at most once, ever: a mention forgotten by an erasure must not
//! be filed again when hashtag following meets the post. [`claim_once`] reads a claim without
//! a stamp as taken for good, and [`retire`] drops the stamp when the document is deleted;
//! [`release`] therefore expires a stamp (sets it to 1970) instead of deleting it.
//!
//! Cost: 1 batch read when the document exists; + 1 write (stamp) + 1 increment when
//! claiming. Nothing grows with the data.

use crate::clock::Timestamp;
use crate::keys;
use crate::store::{KvStore, StoreError, decode_counter};

/// How long a winner has to write its document before its claim may be taken over. Far longer
/// than any request lives (the dev host stops one after 30 s), so a live winner is never
/// overtaken; short enough that a crash blocks creation for two minutes, not for ever.
pub const GRACE_SECONDS: i64 = 120;

/// Whether a creation started at `since` is past its grace at `now` (no start: it is).
pub fn expired(now: Timestamp, since: Option<Timestamp>) -> bool {
    since.is_none_or(|at| now.unix_seconds().saturating_sub(at.unix_seconds()) >= GRACE_SECONDS)
}

/// What [`claim`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The caller holds the claim: it must write the document (or [`release`] on error).
    Won,
    /// The document exists (its bytes): the thing was created.
    Exists(Vec<u8>),
    /// Another request holds a fresh claim and has not written the document yet.
    Pending,
}

/// Claims the creation of `doc` under `claim_key` at `now` (see the module header).
pub fn claim(
    store: &dyn KvStore,
    now: Timestamp,
    claim_key: &str,
    doc: &str,
) -> Result<Claim, StoreError> {
    claim_with(store, now, claim_key, doc, Unstamped::Expired)
}

/// As [`claim`], for what is created at most once, ever, even after its document is gone (a
/// mention forgotten by an erasure must not be filed again when hashtag following meets it):
/// a claim without a stamp counts as taken for good ([`Claim::Exists`] with no bytes), so
/// deleting the document *and* the stamp ([`retire`]) leaves a tombstone of one counter.
/// Claims taken before stamps existed keep their old meaning: taken.
pub fn claim_once(
    store: &dyn KvStore,
    now: Timestamp,
    claim_key: &str,
    doc: &str,
) -> Result<Claim, StoreError> {
    claim_with(store, now, claim_key, doc, Unstamped::Taken)
}

/// What a claim whose counter is set but that has no stamp means.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Unstamped {
    /// Taken before stamps existed, by code that could leave it stuck: expired.
    Expired,
    /// Retired after its document was deleted ([`claim_once`]).
    Taken,
}

fn claim_with(
    store: &dyn KvStore,
    now: Timestamp,
    claim_key: &str,
    doc: &str,
    unstamped: Unstamped,
) -> Result<Claim, StoreError> {
    let stamp_key = keys::claim_stamp(claim_key);
    let wanted = [claim_key.to_owned(), stamp_key.clone(), doc.to_owned()];
    let mut claimed = 0;
    let mut stamp = None;
    for (key, value) in store.get_many(&wanted)? {
        let Some(value) = value else { continue };
        if key == doc {
            return Ok(Claim::Exists(value));
        } else if key == claim_key {
            claimed = match decode_counter(&value) {
                Some(n) => n,
                None => store.increment(claim_key, 0)?,
            };
        } else if key == stamp_key {
            stamp = serde_json::from_slice::<i64>(&value).ok();
        }
    }
    if claimed > 0 {
        match stamp {
            Some(at) if now.unix_seconds().saturating_sub(at) < GRACE_SECONDS => {
                return Ok(Claim::Pending);
            }
            None if unstamped == Unstamped::Taken => return Ok(Claim::Exists(Vec::new())),
            _ => {}
        }
    }
    // Stamp first: a claimant that dies right after its increment leaves a stamp behind,
    // so its claim expires.
    store.set(&stamp_key, now.unix_seconds().to_string().as_bytes())?;
    if store.increment(claim_key, 1)? == claimed.max(0) + 1 {
        Ok(Claim::Won)
    } else {
        Ok(Claim::Pending)
    }
}

/// Gives a won claim back after a failed creation, best effort: the next request may claim
/// at once (without this, it waits for [`GRACE_SECONDS`]). The stamp is set to 1970, not
/// deleted: a claim without a stamp is a tombstone for [`claim_once`].
pub fn release(store: &dyn KvStore, claim_key: &str) {
    if let Err(e) = store.set(&keys::claim_stamp(claim_key), b"0") {
        eprintln!("failed to give back the claim {claim_key}: {e}");
    }
}

/// For [`claim_once`]: once its document is deleted, drops the stamp so the claim stays taken
/// for good (1 delete).
pub fn retire(store: &dyn KvStore, claim_key: &str) -> Result<(), StoreError> {
    store.delete(&keys::claim_stamp(claim_key))
}

/// Test helper: the `n`-th write (0-based) and every later one fail, as when the instance
/// dies there (no clean-up runs either). Returns the count of writes attempted.
#[cfg(test)]
pub(crate) fn crash_at_write(
    store: &mut crate::store::FaultyStore,
    n: usize,
) -> std::sync::Arc<std::sync::atomic::AtomicUsize> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let writes = std::sync::Arc::new(AtomicUsize::new(0));
    let seen = writes.clone();
    store.fail_op =
        Box::new(move |op, _| op.is_write() && seen.fetch_add(1, Ordering::SeqCst) >= n);
    writes
}

/// Test helper: runs `attempt` on a fresh store for each way it can stop — the `n`-th write
/// failing (`crash: false`, clean-up runs) or the instance dying there (`crash: true`) — for
/// every `n` until an attempt runs without reaching the fault, then heals and calls
/// `check(store, state, crash)` (the next requests).
#[cfg(test)]
pub(crate) fn at_every_write<S>(
    mut setup: impl FnMut() -> (crate::store::FaultyStore, S),
    mut attempt: impl FnMut(&crate::store::FaultyStore, &mut S),
    mut check: impl FnMut(&crate::store::FaultyStore, &mut S, bool),
) {
    use std::sync::atomic::Ordering;
    for crash in [false, true] {
        for n in 0.. {
            let (mut store, mut state) = setup();
            let writes = if crash {
                crash_at_write(&mut store, n)
            } else {
                store.fail_nth_write(n)
            };
            attempt(&store, &mut state);
            let reached = writes.load(Ordering::SeqCst) > n;
            store.heal();
            check(&store, &mut state, crash);
            if !reached {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{FaultyStore, MemoryStore};

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_unix_seconds(1_800_000_000 + secs).unwrap()
    }

    #[test]
    fn one_winner_then_pending_then_exists() {
        let store = MemoryStore::new();
        assert_eq!(claim(&store, at(0), "c", "d").unwrap(), Claim::Won);
        assert_eq!(claim(&store, at(1), "c", "d").unwrap(), Claim::Pending);
        store.set("d", b"x").unwrap();
        assert_eq!(
            claim(&store, at(2), "c", "d").unwrap(),
            Claim::Exists(b"x".to_vec())
        );
    }

    #[test]
    fn a_dead_winner_is_taken_over_after_the_grace_once() {
        let store = MemoryStore::new();
        assert_eq!(claim(&store, at(0), "c", "d").unwrap(), Claim::Won);
        assert_eq!(
            claim(&store, at(GRACE_SECONDS - 1), "c", "d").unwrap(),
            Claim::Pending
        );
        assert_eq!(
            claim(&store, at(GRACE_SECONDS), "c", "d").unwrap(),
            Claim::Won
        );
        assert_eq!(
            claim(&store, at(GRACE_SECONDS + 1), "c", "d").unwrap(),
            Claim::Pending,
            "the new winner's stamp is fresh"
        );
    }

    #[test]
    fn a_released_claim_is_taken_at_once_and_a_legacy_claim_counts_as_expired() {
        let store = MemoryStore::new();
        assert_eq!(claim(&store, at(0), "c", "d").unwrap(), Claim::Won);
        release(&store, "c");
        assert_eq!(claim(&store, at(1), "c", "d").unwrap(), Claim::Won);
        store.increment("old", 1).unwrap();
        assert_eq!(claim(&store, at(0), "old", "d2").unwrap(), Claim::Won);
    }

    #[test]
    fn a_claim_once_is_never_taken_again_once_retired_but_a_released_one_is() {
        let store = MemoryStore::new();
        assert_eq!(claim_once(&store, at(0), "c", "d").unwrap(), Claim::Won);
        release(&store, "c");
        assert_eq!(claim_once(&store, at(1), "c", "d").unwrap(), Claim::Won);
        store.set("d", b"x").unwrap();
        store.delete("d").unwrap();
        retire(&store, "c").unwrap();
        for later in [2, GRACE_SECONDS * 1000] {
            assert_eq!(
                claim_once(&store, at(later), "c", "d").unwrap(),
                Claim::Exists(Vec::new())
            );
        }
        store.increment("old", 1).unwrap();
        assert_eq!(
            claim_once(&store, at(0), "old", "d2").unwrap(),
            Claim::Exists(Vec::new()),
            "a claim from before stamps keeps its meaning"
        );
    }

    #[test]
    fn a_failed_stamp_or_claim_leaves_the_next_request_free_to_win() {
        for n in 0..2 {
            let mut store = FaultyStore::new();
            store.fail_nth_write(n);
            assert!(claim(&store, at(0), "c", "d").is_err());
            store.heal();
            assert_eq!(claim(&store, at(1), "c", "d").unwrap(), Claim::Won);
        }
    }
}
