//! Outgoing lifecycle webhooks: `post.scheduled`, `post.published`, `post.failed` and
//! `channel.needs_reconnect`, sent to the endpoints staff register, signed per Standard
//! Webhooks (see [`super::webhook`]).
//!
//! - Endpoints live in one small document (`webhook-endpoints`, at most 20), each with its
//!   secret sealed like channel credentials; the `whsec_` secret is shown once, at creation.
//! - [`enqueue`] writes one delivery per (event, subscribed endpoint) in numbered slots:
//!   1 read + 1 increment + 1 write per endpoint, whatever the number of past deliveries.
//! - [`deliver_due`], called by the tick, reads a bounded window of slots after the `head`
//!   (every slot before it is finished), claims each due delivery with a compare-and-swap
//!   lease, sends it, and records the result: 2xx delivered; 410 Gone disables the endpoint;
//!   anything else is retried with exponential backoff and jitter (honouring `Retry-After`)
//!   up to [`MAX_ATTEMPTS`]. At most `budget` sends per call; the rest waits for the next tick.
//! - Delivery is at least once: a tick that dies between sending and recording leaves the
//!   lease to expire and the message is sent again with the same `webhook-id`, on which
//!   receivers deduplicate.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::webhook;
use super::{CredentialKey, Sealed, ServiceUrl};
use crate::claims::{self, Claim};
use crate::clock::{Clock, Timestamp};
use crate::error::{DomainError, ErrorKind};
use crate::keys;
use crate::moderation;
use crate::social::{HttpClient, LifecycleEvent, Quarantined};
use crate::store::{self, KvStore, StoreError};

pub const MAX_ENDPOINTS: usize = 20;
/// Attempts per delivery: 1 minute, 4, 16, 64 then 256 minutes apart (about 5.7 hours).
pub const MAX_ATTEMPTS: u32 = 6;
/// How many slots after the head one tick looks at.
pub const WINDOW: u64 = 100;
/// How long a claimed delivery belongs to the tick that claimed it.
const LEASE_SECS: i64 = 120;
const BASE_DELAY_SECS: u64 = 60;
/// An enqueue writes its slots right after reserving them; a slot still absent while a later
/// one is this old was abandoned.
const ABANDONED_SLOT_SECS: i64 = 300;
const MAX_DELAY_SECS: u64 = 12 * 3600;
/// The event types staff can subscribe to.
pub const EVENT_TYPES: [&str; 4] = [
    "post.scheduled",
    "post.published",
    "post.failed",
    "channel.needs_reconnect",
];

pub use crate::ids::EndpointId;

#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    #[error("webhook endpoint not found")]
    NotFound,
    #[error("{0}")]
    Invalid(String),
    #[error("at most {MAX_ENDPOINTS} webhook endpoints")]
    TooMany,
    #[error("the endpoints changed meanwhile: try again")]
    Busy,
    #[error(transparent)]
    Storage(#[from] StoreError),
}

impl DomainError for EndpointError {
    fn kind(&self) -> ErrorKind {
        match self {
            EndpointError::NotFound => ErrorKind::NotFound,
            EndpointError::Invalid(_) => ErrorKind::Invalid,
            EndpointError::TooMany | EndpointError::Busy => ErrorKind::Conflict,
            EndpointError::Storage(_) => ErrorKind::Storage,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            EndpointError::NotFound => "endpoint_not_found",
            EndpointError::Invalid(_) => "invalid_endpoint",
            EndpointError::TooMany => "too_many_endpoints",
            EndpointError::Busy => "conflict",
            EndpointError::Storage(_) => "storage_error",
        }
    }
}

/// An endpoint as staff see it (its secret is not in here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    pub id: EndpointId,
    pub url: ServiceUrl,
    #[serde(default)]
    pub description: String,
    /// The event types sent to it; empty means all.
    #[serde(default)]
    pub events: Vec<String>,
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
    pub created_at: Timestamp,
}

impl Endpoint {
    fn wants(&self, event_type: &str) -> bool {
        self.enabled && (self.events.is_empty() || self.events.iter().any(|e| e == event_type))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredEndpoint {
    endpoint: Endpoint,
    secret: Sealed,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewEndpointRequest {
    pub url: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub events: Vec<String>,
}

fn secret_context(id: &EndpointId) -> String {
    format!("webhook-endpoint/{id}")
}

/// Registers an endpoint; returns it with its `whsec_` secret, shown this once.
pub fn create_endpoint(
    store: &dyn KvStore,
    key: &CredentialKey,
    now: Timestamp,
    random: ([u8; 10], [u8; 12], [u8; 32]),
    request: NewEndpointRequest,
) -> Result<(Endpoint, String), EndpointError> {
    let (id_bytes, nonce, secret) = random;
    let url = ServiceUrl::parse("url", &request.url).map_err(EndpointError::Invalid)?;
    let description =
        moderation::optional_text("description", request.description.as_deref(), 200, false)
            .map_err(EndpointError::Invalid)?
            .unwrap_or_default();
    if let Some(unknown) = request
        .events
        .iter()
        .find(|e| !EVENT_TYPES.contains(&e.as_str()))
    {
        return Err(EndpointError::Invalid(format!(
            "events: unknown event type {unknown:?}; known: {}",
            EVENT_TYPES.join(", ")
        )));
    }
    let id = EndpointId::generate(id_bytes);
    let endpoint = Endpoint {
        id: id.clone(),
        url,
        description,
        events: request.events,
        enabled: true,
        disabled_reason: None,
        created_at: now,
    };
    let stored = StoredEndpoint {
        endpoint: endpoint.clone(),
        secret: key.seal(&secret_context(&id), nonce, &secret),
    };
    create_endpoints_doc(store, now)?;
    moderation::update_doc(
        store,
        &keys::webhook_endpoints(),
        |endpoints: &mut Vec<StoredEndpoint>| {
            if endpoints.len() >= MAX_ENDPOINTS {
                return Err(EndpointError::TooMany);
            }
            endpoints.push(stored.clone());
            Ok(true)
        },
    )?
    .ok_or(EndpointError::Busy)?;
    Ok((endpoint, webhook::format_secret(&secret)))
}

/// Edits the endpoints document with a compare-and-swap. Without a document there is
/// nothing to edit (an empty list): only [`create_endpoint`] creates it, through
/// [`create_endpoints_doc`].
fn update_endpoints(
    store: &dyn KvStore,
    mut change: impl FnMut(&mut Vec<StoredEndpoint>) -> Result<bool, EndpointError>,
) -> Result<Vec<StoredEndpoint>, EndpointError> {
    let key = keys::webhook_endpoints();
    if store.get(&key)?.is_none() {
        return Ok(Vec::new());
    }
    moderation::update_doc(store, &key, |doc: &mut Vec<StoredEndpoint>| change(doc))?
        .ok_or(EndpointError::Busy)
}

/// Writes the empty endpoints document the first time. Its writer is decided by a `claims`
/// claim (a swap from "absent" is an upsert on Spin's SQLite store, so two first creations
/// could otherwise overwrite each other); a writer that failed gives the claim back, and one
/// whose instance died is taken over after the grace: creation is never blocked for good.
fn create_endpoints_doc(store: &dyn KvStore, now: Timestamp) -> Result<(), EndpointError> {
    let key = keys::webhook_endpoints();
    let claim_key = keys::webhook_endpoints_created();
    match claims::claim(store, now, &claim_key, &key)? {
        Claim::Exists(_) => Ok(()),
        Claim::Pending => Err(EndpointError::Busy),
        Claim::Won => match store.compare_and_swap(&key, None, b"[]") {
            Ok(true) => Ok(()),
            Ok(false) => {
                claims::release(store, &claim_key);
                Ok(())
            }
            Err(e) => {
                claims::release(store, &claim_key);
                Err(e.into())
            }
        },
    }
}

fn read_endpoints(store: &dyn KvStore) -> Result<Vec<StoredEndpoint>, StoreError> {
    Ok(store
        .get_json::<Vec<StoredEndpoint>>(&keys::webhook_endpoints())?
        .unwrap_or_default())
}

/// Every endpoint (1 read).
pub fn list_endpoints(store: &dyn KvStore) -> Result<Vec<Endpoint>, EndpointError> {
    Ok(read_endpoints(store)?
        .into_iter()
        .map(|s| s.endpoint)
        .collect())
}

pub fn delete_endpoint(store: &dyn KvStore, id: &EndpointId) -> Result<(), EndpointError> {
    let mut found = false;
    update_endpoints(store, |endpoints| {
        let before = endpoints.len();
        endpoints.retain(|e| e.endpoint.id != *id);
        found = endpoints.len() < before;
        Ok(found)
    })?;
    if found {
        Ok(())
    } else {
        Err(EndpointError::NotFound)
    }
}

/// Turns an endpoint back on (after a 410 or a failure streak was fixed).
pub fn enable_endpoint(store: &dyn KvStore, id: &EndpointId) -> Result<Endpoint, EndpointError> {
    let endpoints = update_endpoints(store, |endpoints| {
        let endpoint = endpoints
            .iter_mut()
            .find(|e| e.endpoint.id == *id)
            .ok_or(EndpointError::NotFound)?;
        endpoint.endpoint.enabled = true;
        endpoint.endpoint.disabled_reason = None;
        Ok(true)
    })?;
    endpoints
        .into_iter()
        .map(|e| e.endpoint)
        .find(|e| e.id == *id)
        .ok_or(EndpointError::NotFound)
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its (next) attempt.
    Pending,
    /// The endpoint answered 2xx.
    Delivered,
    /// Every attempt failed.
    Failed,
    /// The endpoint answered 410 Gone and was disabled.
    Gone,
    /// The endpoint was deleted or disabled before the delivery went out.
    Cancelled,
}

impl DeliveryStatus {
    fn finished(self) -> bool {
        self != DeliveryStatus::Pending
    }
}

/// One event to one endpoint, as staff see it in the delivery log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub seq: u64,
    /// The `webhook-id`: the same on every attempt.
    pub message_id: String,
    pub endpoint_id: EndpointId,
    pub event_type: String,
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub created_at: Timestamp,
    pub next_attempt_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_attempt_at: Option<Timestamp>,
    /// The endpoint's HTTP status at the last attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_until: Option<Timestamp>,
    /// The signed JSON body, identical on every attempt.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub body: String,
}

/// Queues `event` for every enabled endpoint that subscribes to it. Returns how many
/// deliveries were queued. O(1): 1 read, 1 increment, 1 write per endpoint (at most 20).
pub fn enqueue(
    store: &dyn KvStore,
    now: Timestamp,
    event: &LifecycleEvent,
) -> Result<usize, StoreError> {
    let event_type = event.event_type();
    let targets: Vec<EndpointId> = read_endpoints(store)?
        .into_iter()
        .filter(|e| e.endpoint.wants(event_type))
        .map(|e| e.endpoint.id)
        .collect();
    if targets.is_empty() {
        return Ok(0);
    }
    let count = targets.len() as u64;
    let last =
        u64::try_from(store.increment(&keys::webhook_delivery_seq(), count as i64)?).unwrap_or(0);
    let first = last + 1 - count;
    let mut data = serde_json::to_value(event).unwrap_or_default();
    if let Some(object) = data.as_object_mut() {
        object.remove("type");
    }
    let body = String::from_utf8(webhook::payload(event_type, now, data)).unwrap_or_default();
    let message_id = format!("msg_{}_{first}", now.unix_seconds());
    for (i, endpoint_id) in targets.into_iter().enumerate() {
        let seq = first + i as u64;
        let delivery = Delivery {
            seq,
            message_id: message_id.clone(),
            endpoint_id,
            event_type: event_type.to_owned(),
            status: DeliveryStatus::Pending,
            attempts: 0,
            created_at: now,
            next_attempt_at: now,
            last_attempt_at: None,
            last_status: None,
            last_error: None,
            lease_until: None,
            body: body.clone(),
        };
        store.set_json(&keys::webhook_delivery(seq), &delivery)?;
    }
    Ok(count as usize)
}

/// What one [`deliver_due`] call did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeliveryReport {
    pub attempted: usize,
    pub delivered: usize,
    pub retrying: usize,
    pub failed: usize,
    pub gone: usize,
    /// True when due deliveries were left for the next call (budget spent).
    pub more: bool,
    /// Deliveries that do not decode (passed, the head moves on), or the endpoint list when
    /// it does not (nothing is sent until it is repaired): logged, and the tick goes on.
    pub quarantined: Vec<Quarantined>,
}

/// The delay before attempt `attempts + 1`: 1, 4, 16, 64, 256 minutes (capped at 12 hours),
/// plus up to a quarter more of jitter drawn from the message and endpoint, so endpoints that
/// failed together do not all retry in the same second; never less than `Retry-After`.
pub fn backoff_secs(attempts: u32, seed: &str, retry_after: Option<u64>) -> u64 {
    let exponent = attempts.saturating_sub(1).min(10);
    let delay = BASE_DELAY_SECS
        .saturating_mul(4u64.saturating_pow(exponent))
        .min(MAX_DELAY_SECS);
    let digest = Sha256::digest(format!("{seed}/{attempts}").as_bytes());
    let random = u64::from_le_bytes(digest[..8].try_into().unwrap_or([0; 8]));
    let jitter = random % (delay / 4).max(1);
    (delay + jitter).max(retry_after.unwrap_or(0).min(MAX_DELAY_SECS))
}

/// Sends the due deliveries, at most `budget` of them (see the module comment).
pub async fn deliver_due(
    store: &dyn KvStore,
    clock: &dyn Clock,
    key: &CredentialKey,
    http: &impl HttpClient,
    budget: usize,
) -> Result<DeliveryReport, StoreError> {
    let now = clock.now();
    let mut report = DeliveryReport::default();
    let head_key = keys::webhook_delivery_head();
    let head_bytes = store.get(&head_key)?;
    let head: u64 = head_bytes
        .as_deref()
        .and_then(|b| serde_json::from_slice(b).ok())
        .unwrap_or(0);
    let last = moderation::read_counter(store, keys::webhook_delivery_seq())?;
    if last <= head {
        return Ok(report);
    }
    let seqs: Vec<u64> = (head + 1..=last.min(head + WINDOW)).collect();
    let slot_keys: Vec<String> = seqs.iter().map(|&n| keys::webhook_delivery(n)).collect();
    let mut found: std::collections::HashMap<String, Vec<u8>> = store
        .get_many(&slot_keys)?
        .into_iter()
        .filter_map(|(k, v)| Some((k, v?)))
        .collect();

    let mut finished: Vec<bool> = Vec::with_capacity(seqs.len());
    // Per slot: absent, or present and enqueued at that time.
    let mut enqueued_at: Vec<Option<Timestamp>> = Vec::with_capacity(seqs.len());
    let mut endpoints: Option<Vec<StoredEndpoint>> = None;
    for slot_key in &slot_keys {
        let Some(bytes) = found.remove(slot_key) else {
            // Not written yet (an enqueue between its increment and its write), or never
            // (that enqueue failed): decided after the loop.
            finished.push(false);
            enqueued_at.push(None);
            continue;
        };
        let mut delivery: Delivery = match serde_json::from_slice(&bytes) {
            Ok(delivery) => delivery,
            Err(e) => {
                report.quarantined.push(Quarantined::logged(slot_key, e));
                finished.push(true);
                enqueued_at.push(None);
                continue;
            }
        };
        enqueued_at.push(Some(delivery.created_at));
        let leased = delivery.lease_until.is_some_and(|until| until > now);
        if delivery.status.finished() || delivery.next_attempt_at > now || leased {
            finished.push(delivery.status.finished());
            continue;
        }
        if report.attempted >= budget {
            report.more = true;
            finished.push(false);
            continue;
        }
        if endpoints.is_none() {
            match read_endpoints(store) {
                Ok(all) => endpoints = Some(all),
                Err(StoreError::Corrupt { key, message }) => {
                    // Nothing can be sent without it: every delivery waits, unclaimed, and
                    // the rest of the tick goes on.
                    report.quarantined.push(Quarantined::logged(&key, message));
                    finished.push(false);
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        // Claim it: a concurrent tick that read the same bytes loses the swap.
        delivery.lease_until = Timestamp::from_unix_seconds(now.unix_seconds() + LEASE_SECS);
        let claimed = store::to_json(slot_key, &delivery)?;
        if !store.compare_and_swap(slot_key, Some(&bytes), &claimed)? {
            finished.push(false);
            continue;
        }
        report.attempted += 1;
        let endpoints = match &mut endpoints {
            Some(endpoints) => endpoints,
            None => endpoints.insert(read_endpoints(store)?),
        };
        attempt(key, http, now, endpoints, &mut delivery, &mut report).await;
        if delivery.status == DeliveryStatus::Gone {
            let id = delivery.endpoint_id.clone();
            let disabled = update_endpoints(store, |all| {
                let Some(endpoint) = all.iter_mut().find(|e| e.endpoint.id == id) else {
                    return Ok(false);
                };
                endpoint.endpoint.enabled = false;
                endpoint.endpoint.disabled_reason = Some(format!("answered 410 Gone at {now}"));
                Ok(true)
            });
            match disabled {
                Ok(all) => *endpoints = all,
                Err(e) => eprintln!("failed to disable webhook endpoint {id}: {e}"),
            }
        }
        delivery.lease_until = None;
        let result = store::to_json(slot_key, &delivery)?;
        if !store.compare_and_swap(slot_key, Some(&claimed), &result)? {
            eprintln!("webhook delivery {slot_key}: changed while sending; result not recorded");
        }
        finished.push(delivery.status.finished());
    }

    // An absent slot followed by a delivery enqueued long ago will never be written (its
    // enqueue failed between the increment and the write): count it as finished, so the
    // head does not stay behind it forever.
    let mut later_and_old = false;
    for (slot_finished, at) in finished.iter_mut().zip(&enqueued_at).rev() {
        match at {
            Some(at) => {
                later_and_old |= at.unix_seconds() + ABANDONED_SLOT_SECS <= now.unix_seconds()
            }
            None if later_and_old => *slot_finished = true,
            None => {}
        }
    }
    let done = finished.iter().take_while(|f| **f).count() as u64;
    if done > 0 {
        let new_head = serde_json::to_vec(&(head + done)).unwrap_or_default();
        // Losing this swap to a concurrent tick is fine: it moved the head itself.
        store.compare_and_swap(&head_key, head_bytes.as_deref(), &new_head)?;
    }
    Ok(report)
}

/// One attempt of one delivery; updates `delivery` and `report`.
async fn attempt(
    key: &CredentialKey,
    http: &impl HttpClient,
    now: Timestamp,
    endpoints: &[StoredEndpoint],
    delivery: &mut Delivery,
    report: &mut DeliveryReport,
) {
    let Some(stored) = endpoints
        .iter()
        .find(|e| e.endpoint.id == delivery.endpoint_id)
    else {
        delivery.status = DeliveryStatus::Cancelled;
        delivery.last_error = Some("the endpoint was deleted".into());
        return;
    };
    if !stored.endpoint.enabled {
        delivery.status = DeliveryStatus::Cancelled;
        delivery.last_error = Some("the endpoint is disabled".into());
        return;
    }
    let Some(secret) = key.open(&secret_context(&stored.endpoint.id), &stored.secret) else {
        delivery.status = DeliveryStatus::Failed;
        delivery.last_error = Some("the endpoint's secret does not decrypt".into());
        report.failed += 1;
        return;
    };
    delivery.attempts += 1;
    delivery.last_attempt_at = Some(now);
    let request = webhook::signed_request(
        stored.endpoint.url.as_str(),
        &secret,
        &delivery.message_id,
        now,
        delivery.body.clone().into_bytes(),
    );
    let (status, error, retry_after) = match http.send(request).await {
        Ok(response) => (
            Some(response.status),
            None,
            super::retry_after_secs(&response, now),
        ),
        Err(failure) => (None, Some(failure.to_string()), None),
    };
    delivery.last_status = status;
    delivery.last_error = error;
    match status {
        Some(200..=299) => {
            delivery.status = DeliveryStatus::Delivered;
            report.delivered += 1;
        }
        Some(410) => {
            delivery.status = DeliveryStatus::Gone;
            report.gone += 1;
        }
        _ if delivery.attempts >= MAX_ATTEMPTS => {
            delivery.status = DeliveryStatus::Failed;
            report.failed += 1;
        }
        _ => {
            let seed = format!("{}/{}", delivery.message_id, delivery.endpoint_id);
            let delay = backoff_secs(delivery.attempts, &seed, retry_after);
            delivery.next_attempt_at =
                Timestamp::from_unix_seconds(now.unix_seconds() + delay as i64).unwrap_or(now);
            report.retrying += 1;
        }
    }
}

/// A page of the delivery log, newest first: the deliveries numbered below `before` (all
/// when `None`), at most `limit`. 1 counter read + 1 batch read.
pub fn list_deliveries(
    store: &dyn KvStore,
    before: Option<u64>,
    limit: u64,
) -> Result<Vec<Delivery>, StoreError> {
    let last = moderation::read_counter(store, keys::webhook_delivery_seq())?;
    let end = before.map_or(last, |b| b.saturating_sub(1).min(last));
    let limit = limit.clamp(1, moderation::MAX_PAGE);
    let start = end.saturating_sub(limit - 1).max(1);
    let seqs: Vec<u64> = (start..=end).rev().collect();
    let items: Vec<(u64, Delivery)> = moderation::read_items(store, &seqs, keys::webhook_delivery)?;
    Ok(items
        .into_iter()
        .map(|(_, mut d)| {
            d.body.clear();
            d
        })
        .collect())
}

#[cfg(test)]
mod tests;
