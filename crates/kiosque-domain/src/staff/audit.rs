//! The audit log: one entry per staff action that changed something (who, what, when, how it
//! ended), in numbered slots (`audit/seq`, `audit/{n}`): appending is 1 increment + 1 set
//! whatever the log's length, and a page is 1 counter read + 1 batch read.
//!
//! Entries hold the method and path, never bodies or query strings, so no secret that a
//! request carried (a password, a platform token) can reach the log. Failed sign-ins are
//! logged too (`session::sign_in`), with the address they came from.

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::keys;
use crate::store::{KvStore, StoreError, read_counters};

pub const PAGE: u64 = 50;

/// Who acted: an account, or the bootstrap `admin_token` (no id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub id: Option<String>,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuditEntry {
    #[serde(default)]
    pub seq: u64,
    pub at: Timestamp,
    pub actor: Actor,
    pub method: String,
    pub path: String,
    pub status: u16,
    /// The client's address, for failed sign-ins only (who tried, from where).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
}

/// Appends `entry`; answers its number.
pub fn record(store: &dyn KvStore, mut entry: AuditEntry) -> Result<u64, StoreError> {
    let seq = store.increment(&keys::audit_seq(), 1)?.max(1) as u64;
    entry.seq = seq;
    store.set_json(&keys::audit_entry(seq), &entry)?;
    Ok(seq)
}

/// The newest entries below `before` (all when `None`), newest first, with the `before` of
/// the next page when there is one.
pub fn page(
    store: &dyn KvStore,
    before: Option<u64>,
) -> Result<(Vec<AuditEntry>, Option<u64>), StoreError> {
    let top = match before {
        Some(before) => before.saturating_sub(1),
        None => read_counters(store, &[keys::audit_seq()])?[0].max(0) as u64,
    };
    let low = top.saturating_sub(PAGE - 1).max(1);
    if top == 0 {
        return Ok((Vec::new(), None));
    }
    let wanted: Vec<String> = (low..=top).rev().map(keys::audit_entry).collect();
    let mut entries: Vec<AuditEntry> = store
        .get_many(&wanted)?
        .into_iter()
        .filter_map(|(_, value)| value.and_then(|v| serde_json::from_slice(&v).ok()))
        .collect();
    entries.sort_by_key(|e| std::cmp::Reverse(e.seq));
    Ok((entries, (low > 1).then_some(low)))
}
