//! The wall: patrons' posts that carry a campaign hashtag (mentions), received from the
//! platform webhooks (`inbound`) or found by following the tags (`campaigns::follow`), wait in
//! a moderation queue; staff approves or rejects; approved mentions make the public page
//! `/campaigns/{slug}`, newest first.
//!
//! Storage (see `keys`), as questions and contests do it (`crate::moderation`): each mention
//! filed under a campaign gets its number from `increment(mention-seq, 1)` and its own key, so
//! concurrent deliveries never contend on one document; the approved list is one document
//! changed by staff only (CAS), created with the campaign. A mention is received once per
//! platform and platform id: the claim `mention-seen/{hash}` is `increment == 1`.
//!
//! Cost in store calls, whatever the number of mentions stored: receiving 1 read (the
//! campaign index) when no active campaign matches; otherwise + 1 increment (claim) and, per
//! campaign matched, 1 increment + 1 write + 1 + k increments (engagement: the campaign's and
//! each of the k tags matched). Moderating 2 reads + 2 CAS. The public page 4 (2 reads by
//! slug, 1 read of the approved list, 1 batch read of the page). The staff queue 2 (1 batch
//! read of the counter, 1 batch read of the page).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{CampaignError, CampaignId, engagement, read_index, today};
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
    let digest = Sha256::digest(format!("{}\n{}", platform.key_part(), platform_id));
    digest.iter().map(|b| format!("{b:02x}")).collect()
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
}

/// Files a mention under every active campaign whose hashtags it carries, pending moderation.
/// A mention already received (same platform + platform id) is ignored, as is one that no
/// active campaign matches (and then it is not remembered: a campaign that starts later may
/// take it). Costs O(1) store calls per campaign matched (see the module header).
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
    let claim = keys::mention_seen(&mention.seen_hash());
    if store.increment(&claim, 1)? != 1 {
        return Ok(Received {
            filed: Vec::new(),
            duplicate: true,
        });
    }
    let now = clock.now();
    let mention = mention.sanitised();
    let mut filed = Vec::with_capacity(matched.len());
    let result = (|| {
        for (campaign, tags) in &matched {
            let seq = u64::try_from(store.increment(&keys::campaign_mention_seq(campaign), 1)?)
                .unwrap_or(0);
            let item = WallItem {
                seq,
                campaign: campaign.clone(),
                mention: mention.clone(),
                status: Status::Pending,
                received_at: now,
                decided_at: None,
                reason: None,
            };
            store.set_json(&keys::campaign_mention(campaign, seq), &item)?;
            engagement::record_mention(store, campaign, day, tags)?;
            filed.push((campaign.clone(), seq));
        }
        Ok::<_, CampaignError>(())
    })();
    if let Err(error) = result {
        // Give the claim back so a redelivery files what this attempt could not (a campaign
        // already filed would get it twice: rare, and staff rejects the copy).
        if filed.is_empty()
            && let Err(undo) = store.increment(&claim, -1)
        {
            eprintln!("failed to give back the mention claim: {undo}");
        }
        return Err(error);
    }
    // Where it went, for deletion on its platform, erasure and the retention purge. Filed
    // already: a failure here is logged, not given back (the purge still finds the items by
    // their date; only the author erasure and the platform deletion would miss them).
    if let Err(e) = super::privacy::record(store, &mention, &mention.seen_hash(), &filed) {
        eprintln!("failed to record where a mention was filed: {e}");
    }
    Ok(Received {
        filed,
        duplicate: false,
    })
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
