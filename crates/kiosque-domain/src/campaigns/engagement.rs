//! Engagement per campaign, hashtag and day: mentions received (filed by [`super::wall`]) and
//! posts published (counted by the tick, `posts::tick`, when a campaign's post goes out). Counters only, moved
//! with atomic increments (concurrent deliveries never lose a count), read back with one
//! batch read for a whole date range.
//!
//! Days are UTC days. Cost: recording 1 + k increments (the campaign's count and each of its k
//! tags concerned); reading a range of d days for t tags 1 batch read of d × 2 × (1 + t)
//! counters, with d at most [`MAX_RANGE_DAYS`].

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{Campaign, CampaignError, CampaignId};
use crate::hashtag::Hashtag;
use crate::keys;
use crate::store::{self, KvStore, StoreError};

/// The longest range read at once (a quarter).
pub const MAX_RANGE_DAYS: i64 = 92;

const MENTIONS: &str = "mentions";
const POSTS: &str = "posts";

/// The key part of a tag: 16 hex digits of the SHA-256 of its folded form, so keys stay short
/// whatever the tag's length and script, and `#Lire` and `#lire` count together.
fn tag_key(tag: &Hashtag) -> String {
    hex::encode(&Sha256::digest(tag.folded().as_bytes())[..8])
}

fn record(
    store: &dyn KvStore,
    campaign: &CampaignId,
    day: chrono::NaiveDate,
    what: &str,
    tags: &[Hashtag],
) -> Result<(), StoreError> {
    store.increment(&keys::campaign_day_counter(campaign, day, what, None), 1)?;
    for tag in tags {
        store.increment(
            &keys::campaign_day_counter(campaign, day, what, Some(&tag_key(tag))),
            1,
        )?;
    }
    Ok(())
}

/// A mention filed under `campaign` on `day`, carrying `tags` of the campaign.
pub fn record_mention(
    store: &dyn KvStore,
    campaign: &CampaignId,
    day: chrono::NaiveDate,
    tags: &[Hashtag],
) -> Result<(), StoreError> {
    record(store, campaign, day, MENTIONS, tags)
}

/// A post of `campaign` published on `day` (on at least one channel), carrying `tags`.
pub fn record_post(
    store: &dyn KvStore,
    campaign: &CampaignId,
    day: chrono::NaiveDate,
    tags: &[Hashtag],
) -> Result<(), StoreError> {
    record(store, campaign, day, POSTS, tags)
}

/// Counts of one hashtag on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TagCounts {
    pub hashtag: Hashtag,
    pub mentions: u64,
    pub posts: u64,
}

/// Counts of one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayCounts {
    #[serde(with = "super::date_format")]
    pub day: chrono::NaiveDate,
    pub mentions: u64,
    pub posts: u64,
    pub hashtags: Vec<TagCounts>,
}

/// A campaign's engagement over a range of days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Engagement {
    #[serde(with = "super::date_format")]
    pub from: chrono::NaiveDate,
    #[serde(with = "super::date_format")]
    pub to: chrono::NaiveDate,
    pub mentions: u64,
    pub posts: u64,
    pub days: Vec<DayCounts>,
}

/// The range shown by default: the campaign's dates up to `today`, its last
/// [`MAX_RANGE_DAYS`] days at most.
pub fn default_range(
    campaign: &Campaign,
    today: chrono::NaiveDate,
) -> (chrono::NaiveDate, chrono::NaiveDate) {
    let to = campaign.ends_on.min(today).max(campaign.starts_on);
    let from = campaign
        .starts_on
        .max(to - chrono::Duration::days(MAX_RANGE_DAYS - 1));
    (from, to)
}

/// The counts of `campaign` (with its current hashtags) from `from` to `to` inclusive: one
/// batch read.
pub fn read(
    store: &dyn KvStore,
    campaign: &Campaign,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> Result<Engagement, CampaignError> {
    if to < from {
        return Err(CampaignError::Invalid(
            "to: must not be before from".to_owned(),
        ));
    }
    let days = (to - from).num_days() + 1;
    if days > MAX_RANGE_DAYS {
        return Err(CampaignError::Invalid(format!(
            "from, to: at most {MAX_RANGE_DAYS} days at once"
        )));
    }
    let tags: Vec<(Hashtag, String)> = campaign
        .hashtags
        .iter()
        .map(|t| (t.clone(), tag_key(t)))
        .collect();
    let dates: Vec<chrono::NaiveDate> = from.iter_days().take(days as usize).collect();
    let mut counter_keys = Vec::with_capacity(dates.len() * 2 * (1 + tags.len()));
    for &day in &dates {
        for what in [MENTIONS, POSTS] {
            counter_keys.push(keys::campaign_day_counter(&campaign.id, day, what, None));
            for (_, tag) in &tags {
                counter_keys.push(keys::campaign_day_counter(
                    &campaign.id,
                    day,
                    what,
                    Some(tag),
                ));
            }
        }
    }
    let values = store::read_counters(store, &counter_keys)?;
    let mut values = values.into_iter().map(|v| u64::try_from(v).unwrap_or(0));
    let mut next = || values.next().unwrap_or(0);
    let mut result = Engagement {
        from,
        to,
        mentions: 0,
        posts: 0,
        days: Vec::with_capacity(dates.len()),
    };
    for day in dates {
        let mentions = next();
        let tag_mentions: Vec<u64> = tags.iter().map(|_| next()).collect();
        let posts = next();
        let tag_posts: Vec<u64> = tags.iter().map(|_| next()).collect();
        result.mentions += mentions;
        result.posts += posts;
        result.days.push(DayCounts {
            day,
            mentions,
            posts,
            hashtags: tags
                .iter()
                .zip(tag_mentions.into_iter().zip(tag_posts))
                .map(|((tag, _), (mentions, posts))| TagCounts {
                    hashtag: tag.clone(),
                    mentions,
                    posts,
                })
                .collect(),
        });
    }
    Ok(result)
}
