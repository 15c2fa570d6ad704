//! The wall: patrons' posts that carry a campaign hashtag (mentions), received from the
//! platform webhooks (`inbound`) or found by following the tags (`inbound::follow`), wait in
//! a moderation queue; staff approves or rejects; approved mentions make the public page
//! `/campaigns/{slug}`, newest first.
//!
//! Storage (see `keys`), as questions and contests do it (`crate::moderation`): each mention
//! filed under a campaign gets its number from `increment(mention-seq, 1)` and its own key, so
//! concurrent deliveries never contend on one document; the approved list is one document
//! changed by staff only (CAS), created with the campaign. A mention is received once per
//! platform and platform id: the claim `mention-seen/{hash}` ([`claims::claim_once`]), proved
//! by the mention's location (see [`receive_mention`]).
//!
//! Cost in store calls, whatever the number of mentions stored: receiving 1 read (the
//! campaign index) when no active campaign matches; a duplicate + 1 batch read; a new
//! mention + 1 write and 1 increment (claim), 3 writes and 1 increment (reservation:
//! author reference, location pending then complete) and, per campaign matched, 1
//! increment + 1 write + 1 + k increments (engagement: the campaign's and each of the k
//! tags matched). Moderating 2 reads + 2 CAS. The public page 4 (2 reads by
//! slug, 1 read of the approved list, 1 batch read of the page). The staff queue 2 (1 batch
//! read of the counter, 1 batch read of the page).

use crate::hashing::sha256_hex;
use serde::{Deserialize, Serialize};

use super::privacy::{self, Location};
use super::{CampaignError, CampaignId, engagement, read_index, today};
use crate::claims::{self, Claim};
use crate::clock::{Clock, Timestamp};
use crate::hashtag::Hashtag;
use crate::keys;
use crate::moderation::{self, Decision, Status};
use crate::store::KvStore;
use crate::web::HttpsUrl;

/// Approved mentions per campaign: keeps the approved list well under Spin's 1 MB per value.
pub const MAX_APPROVED: usize = 20_000;
/// A mention is filed under at most this many campaigns (they would share hashtags).
pub const MAX_CAMPAIGNS_PER_MENTION: usize = 10;
pub const PER_PAGE: u64 = 20;
pub const MAX_TEXT_CHARS: usize = 5000;
pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_ALT_CHARS: usize = 1500;
pub const MAX_MEDIA: usize = 4;
pub const MAX_PLATFORM_ID_CHARS: usize = 300;

/// Where a mention comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MentionPlatform {
    Mastodon,
    Bluesky,
    Meta,
    /// Forwarded by an automation tool (Standard Webhooks): the tool's own name.
    Other(String),
}

impl MentionPlatform {
    /// The name shown on the wall.
    pub fn label(&self) -> &str {
        match self {
            MentionPlatform::Mastodon => "Mastodon",
            MentionPlatform::Bluesky => "Bluesky",
            MentionPlatform::Meta => "Instagram / Facebook",
            MentionPlatform::Other(name) => name,
        }
    }

    fn key_part(&self) -> String {
        match self {
            MentionPlatform::Mastodon => "mastodon".to_owned(),
            MentionPlatform::Bluesky => "bluesky".to_owned(),
            MentionPlatform::Meta => "meta".to_owned(),
            MentionPlatform::Other(name) => format!("other:{name}"),
        }
    }
}

/// A patron's post that uses a hashtag, as the platform code builds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mention {
    pub platform: MentionPlatform,
    /// The platform's id of the post (Mastodon status id or URI, Bluesky at-uri, ...): with
    /// the platform, what makes a mention unique.
    pub platform_id: String,
    pub author_name: String,
    /// `@name@server`, `handle.bsky.social`, ...
    pub author_handle: String,
    pub author_url: Option<HttpsUrl>,
    /// Plain text, already stripped of HTML by the platform code (escaped again on output).
    pub text: String,
    /// The post on its platform.
    pub url: Option<HttpsUrl>,
    /// The alt text of each image (empty when the author wrote none).
    pub media_alt: Vec<String>,
    pub created_at: Timestamp,
    pub hashtags: Vec<Hashtag>,
}

impl Mention {
    /// Bounded lengths and no invisible direction controls, whatever the platform sent.
    fn sanitised(&self) -> Mention {
        let clean = |text: &str, max: usize| -> String {
            text.chars()
                .filter(|&c| !moderation::is_bidi_control(c) && (c == '\n' || !c.is_control()))
                .take(max)
                .collect()
        };
        Mention {
            platform: match &self.platform {
                MentionPlatform::Other(name) => MentionPlatform::Other(clean(name, 40)),
                p => p.clone(),
            },
            platform_id: self.platform_id.clone(),
            author_name: clean(&self.author_name, MAX_NAME_CHARS),
            author_handle: clean(&self.author_handle, MAX_NAME_CHARS),
            author_url: self.author_url.clone(),
            text: clean(&self.text, MAX_TEXT_CHARS),
            url: self.url.clone(),
            media_alt: self
                .media_alt
                .iter()
                .take(MAX_MEDIA)
                .map(|alt| clean(alt, MAX_ALT_CHARS))
                .collect(),
            created_at: self.created_at,
            hashtags: self.hashtags.clone(),
        }
    }

    /// The dedupe hash: SHA-256 of platform and id, in hex.
    pub(crate) fn seen_hash(&self) -> String {
        seen_hash_of(&self.platform, &self.platform_id)
    }
}

/// The dedupe hash of a platform's post id (also what `privacy` finds a deleted post by).
pub(crate) fn seen_hash_of(platform: &MentionPlatform, platform_id: &str) -> String {
    sha256_hex(format!("{}\n{}", platform.key_part(), platform_id).as_bytes())
}

/// A mention filed under one campaign, as stored under `keys::campaign_mention`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WallItem {
    pub seq: u64,
    pub campaign: CampaignId,
    pub mention: Mention,
    pub status: Status,
    pub received_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<Timestamp>,
    /// Staff only: never shown on the wall.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What receiving a mention did.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Received {
    /// The campaigns it was filed under, with its number in each queue.
    pub filed: Vec<(CampaignId, u64)>,
    /// Already received (same platform and platform id): nothing was stored.
    pub duplicate: bool,
    /// Another request is filing it at this moment (or died doing so less than
    /// `claims::GRACE_SECONDS` ago): nothing was stored, deliver it again later.
    pub in_flight: bool,
}

/// Files a mention under every active campaign whose hashtags it carries, pending moderation.
/// A mention already received (same platform + platform id) is ignored, as is one that no
/// active campaign matches (and then it is not remembered: a campaign that starts later may
/// take it). Costs O(1) store calls per campaign matched (see the module header).
///
/// The claim (`mention-seen/{seen}`, [`claims::claim_once`]) is proved by the mention's
/// location (`mention-at/{seen}`), written *before* the items with every queue number
/// reserved and marked pending, then rewritten as complete after them. A filing that fails
/// before the location gives the claim back; one that fails (or dies) after it is finished
/// by the next delivery of the same post: the items still missing are written under their
/// reserved numbers, so every campaign gets it exactly once.
pub fn receive_mention(
    store: &dyn KvStore,
    clock: &dyn Clock,
    mention: &Mention,
) -> Result<Received, CampaignError> {
    let id_chars = mention.platform_id.chars().count();
    if id_chars == 0 || id_chars > MAX_PLATFORM_ID_CHARS {
        return Err(CampaignError::Invalid(format!(
            "platform_id: must be 1 to {MAX_PLATFORM_ID_CHARS} characters"
        )));
    }
    let day = today(clock);
    let matched: Vec<(CampaignId, Vec<Hashtag>)> = read_index(store)?
        .into_iter()
        .filter(|c| c.is_active_on(day))
        .filter_map(|c| {
            let tags: Vec<Hashtag> = c
                .hashtags
                .into_iter()
                .filter(|t| mention.hashtags.contains(t))
                .collect();
            (!tags.is_empty()).then_some((c.id, tags))
        })
        .take(MAX_CAMPAIGNS_PER_MENTION)
        .collect();
    if matched.is_empty() {
        return Ok(Received::default());
    }
    let seen = mention.seen_hash();
    let claim = keys::mention_seen(&seen);
    let at = keys::mention_at(&seen);
    let now = clock.now();
    let mention = mention.sanitised();
    let (location, first_attempt) = match claims::claim_once(store, now, &claim, &at)? {
        Claim::Won => {
            match privacy::reserve(store, &mention, &seen, &matched, now) {
                Ok(location) => (location, true),
                Err(error) => {
                    // Nothing points to the reserved numbers: give the claim back so a
                    // redelivery files the mention (the numbers stay unused gaps).
                    claims::release(store, &claim);
                    return Err(error.into());
                }
            }
        }
        Claim::Pending => return Ok(in_flight()),
        Claim::Exists(bytes) => {
            let location = serde_json::from_slice::<Location>(&bytes).ok();
            match location {
                Some(location) if location.pending_since.is_some() => {
                    if !location.failed && !claims::expired(now, location.pending_since) {
                        return Ok(in_flight());
                    }
                    // Its filer failed or died halfway: finish its work.
                    (location, false)
                }
                _ => {
                    return Ok(Received {
                        duplicate: true,
                        ..Received::default()
                    });
                }
            }
        }
    };
    let finished = file_reserved(
        store,
        day,
        &mention,
        &matched,
        &location,
        &at,
        first_attempt,
    );
    if finished.is_err()
        && let Err(e) = privacy::expire(store, &at, &location)
    {
        eprintln!("failed to mark a mention's filing as failed: {e}");
    }
    finished?;
    Ok(Received {
        filed: location.filed,
        duplicate: false,
        in_flight: false,
    })
}

fn in_flight() -> Received {
    Received {
        in_flight: true,
        ..Received::default()
    }
}

/// Writes the items of a pending `location` that are not stored yet (all of them on the
/// first attempt: no read), counts them in the engagement of the campaigns still matched,
/// then marks the location complete.
fn file_reserved(
    store: &dyn KvStore,
    day: chrono::NaiveDate,
    mention: &Mention,
    matched: &[(CampaignId, Vec<Hashtag>)],
    location: &Location,
    at: &str,
    first_attempt: bool,
) -> Result<(), CampaignError> {
    let received_at = location.pending_since.unwrap_or(Timestamp::UNIX_EPOCH);
    let item_keys: Vec<String> = location
        .filed
        .iter()
        .map(|(campaign, seq)| keys::campaign_mention(campaign, *seq))
        .collect();
    let stored: Vec<String> = if first_attempt {
        Vec::new()
    } else {
        store
            .get_many(&item_keys)?
            .into_iter()
            .filter_map(|(key, value)| value.map(|_| key))
            .collect()
    };
    for ((campaign, seq), key) in location.filed.iter().zip(&item_keys) {
        if stored.contains(key) {
            continue;
        }
        let item = WallItem {
            seq: *seq,
            campaign: campaign.clone(),
            mention: mention.clone(),
            status: Status::Pending,
            received_at,
            decided_at: None,
            reason: None,
        };
        store.set_json(key, &item)?;
        if let Some((_, tags)) = matched.iter().find(|(c, _)| c == campaign) {
            engagement::record_mention(store, campaign, day, tags)?;
        }
    }
    let complete = Location {
        pending_since: None,
        failed: false,
        ..location.clone()
    };
    store.set_json(at, &complete)?;
    Ok(())
}

/// One page of a campaign's queue (staff), newest first: every status, or only `status`.
#[derive(Debug, Clone, Serialize)]
pub struct QueuePage {
    pub items: Vec<WallItem>,
    pub total: u64,
    pub page: u64,
    pub next_page: Option<u64>,
}

/// 2 store calls (the counter, then one batch read of at most `per_page` mentions).
pub fn queue(
    store: &dyn KvStore,
    campaign: &CampaignId,
    status: Option<Status>,
    page: u64,
    per_page: u64,
) -> Result<QueuePage, CampaignError> {
    let last = moderation::read_counter(store, keys::campaign_mention_seq(campaign))?;
    let per_page = per_page.clamp(1, moderation::MAX_PAGE);
    let page = page.max(1);
    let skip = (page - 1).saturating_mul(per_page);
    let top = last.saturating_sub(skip);
    let bottom = top.saturating_sub(per_page);
    let seqs: Vec<u64> = (bottom + 1..=top).rev().collect();
    let items =
        moderation::read_items::<WallItem>(store, &seqs, |n| keys::campaign_mention(campaign, n))?
            .into_iter()
            .map(|(_, item)| item)
            .filter(|item| status.is_none_or(|s| item.status == s))
            .collect();
    Ok(QueuePage {
        items,
        total: last,
        page,
        next_page: (bottom > 0).then_some(page + 1),
    })
}

/// Approves or rejects a mention: the mention's status (CAS), then the approved list (CAS).
/// Deciding again is allowed (a rejected mention approved later, an approved one withdrawn).
pub fn moderate(
    store: &dyn KvStore,
    clock: &dyn Clock,
    campaign: &CampaignId,
    seq: u64,
    decision: Decision,
) -> Result<WallItem, CampaignError> {
    let now = clock.now();
    let approve = decision == Decision::Approve;
    let item = moderation::update_doc(
        store,
        &keys::campaign_mention(campaign, seq),
        |item: &mut WallItem| {
            match &decision {
                Decision::Approve => {
                    item.status = Status::Approved;
                    item.reason = None;
                }
                Decision::Reject { reason } => {
                    item.status = Status::Rejected;
                    item.reason = reason.clone();
                }
            }
            item.decided_at = Some(now);
            Ok::<_, CampaignError>(true)
        },
    )?;
    let item = match item {
        Some(item) => item,
        None if store.get(&keys::campaign_mention(campaign, seq))?.is_none() => {
            return Err(CampaignError::MentionNotFound);
        }
        None => return Err(CampaignError::Busy),
    };
    let listed = moderation::update_doc(
        store,
        &keys::campaign_approved(campaign),
        |approved: &mut Vec<u64>| {
            let at = approved.binary_search(&seq);
            match (approve, at) {
                (true, Ok(_)) | (false, Err(_)) => Ok(false),
                (true, Err(i)) => {
                    if approved.len() >= MAX_APPROVED {
                        return Err(CampaignError::WallFull);
                    }
                    approved.insert(i, seq);
                    Ok(true)
                }
                (false, Ok(i)) => {
                    approved.remove(i);
                    Ok(true)
                }
            }
        },
    )?;
    if listed.is_none() {
        return Err(CampaignError::Busy);
    }
    Ok(item)
}

/// One page of a campaign's public wall: approved mentions, newest first.
#[derive(Debug, Clone)]
pub struct WallPage {
    pub items: Vec<WallItem>,
    pub total: u64,
    pub page: u64,
    pub next_page: Option<u64>,
}

/// 2 store calls (the approved list, one batch read of the page), after the campaign's.
pub fn wall_page(
    store: &dyn KvStore,
    campaign: &CampaignId,
    page: u64,
    per_page: u64,
) -> Result<WallPage, CampaignError> {
    let approved: Vec<u64> = store
        .get_json(&keys::campaign_approved(campaign))?
        .unwrap_or_default();
    let page = page.max(1);
    let per_page = usize::try_from(per_page.clamp(1, moderation::MAX_PAGE)).unwrap_or(20);
    let newest_first: Vec<u64> = approved.iter().rev().copied().collect();
    let seqs = moderation::page_of(&newest_first, page, per_page);
    let items =
        moderation::read_items::<WallItem>(store, &seqs, |n| keys::campaign_mention(campaign, n))?
            .into_iter()
            .map(|(_, item)| item)
            // A mention withdrawn between the two reads is not shown.
            .filter(|item| item.status == Status::Approved)
            .collect();
    let shown_to = usize::try_from(page)
        .unwrap_or(usize::MAX)
        .saturating_mul(per_page);
    Ok(WallPage {
        items,
        total: approved.len() as u64,
        page,
        next_page: (shown_to < approved.len()).then_some(page + 1),
    })
}
