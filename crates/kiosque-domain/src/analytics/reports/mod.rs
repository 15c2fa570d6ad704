//! Reports: the post figures ([`super::metrics`]), the page views ([`super::audience`]) and
//! the participation ([`super::participation`]) read together and summed, per month, per
//! campaign, per post and for the last 30 days (the console's dashboard), and their CSV
//! ([`csv`]).
//!
//! Pure assembly: every figure comes from the three readers, so a report costs their batch
//! reads and nothing that grows with the data (a month: 3 readers for the month and 3 for the
//! month before).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::audience::{self, DayViews, PageViews, Source, Views};
use super::metrics::{self, Counts, PostMetrics, PostRecords};
use super::participation::{self, DayParticipation};
use super::{AnalyticsError, Day, Month};
use crate::campaigns::{self, Campaign, CampaignError, CampaignId};
use crate::clock::Timestamp;
use crate::posts::{self, PostError, PostId};
use crate::social::ChannelKind;
use crate::store::KvStore;

pub mod csv;

#[cfg(test)]
mod tests;

/// Networks in the order reports list them (webhooks publish to no audience: not tracked).
pub const NETWORKS: [ChannelKind; 4] = [
    ChannelKind::Mastodon,
    ChannelKind::Bluesky,
    ChannelKind::Facebook,
    ChannelKind::Instagram,
];

/// Posts a monthly or campaign report ranks.
pub const TOP_POSTS: usize = 10;
/// Posts the dashboard ranks.
pub const RECENT_TOP_POSTS: usize = 5;
/// Pages a report lists (the CSV has them all).
pub const TOP_PAGES: usize = 20;
/// Mastodon servers a report lists.
pub const TOP_SERVERS: usize = 10;
/// Days the dashboard looks back, today included.
pub const RECENT_DAYS: u32 = 30;

/// One network's figures over a set of posts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NetworkFigures {
    pub network: ChannelKind,
    /// Posts published on it (one per post and channel of this network).
    pub posts: u64,
    /// Their latest figures, summed; `reach` is `None` when no post of it gave one (Mastodon
    /// and Bluesky never do): "not provided", never zero.
    #[serde(flatten)]
    pub counts: Counts,
    pub engagement: u64,
}

/// A post on one channel, with its latest figures, for the lists of top posts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TopPost {
    pub post: PostId,
    pub network: ChannelKind,
    pub excerpt: String,
    pub url: String,
    pub published_at: Timestamp,
    #[serde(flatten)]
    pub counts: Counts,
    pub engagement: u64,
}

/// The post figures of a set of posts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PostFigures {
    /// Distinct posts (a post published on three networks counts once).
    pub posts: u64,
    /// Every network, zeros included, in [`NETWORKS`] order.
    pub networks: Vec<NetworkFigures>,
    /// Every network summed.
    #[serde(flatten)]
    pub counts: Counts,
    pub engagement: u64,
    /// Most engagement first (ties: the newest first).
    pub top_posts: Vec<TopPost>,
    /// More posts than a reader reads at once ([`metrics::MAX_RECORDS`]): some are left out
    /// of these figures, and the report says so.
    pub truncated: bool,
}

/// Participation over a range: its totals and each day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Participation {
    pub votes: u64,
    pub answers: u64,
    pub entries: u64,
    pub feedback: u64,
    /// Each day as the reader gives it (its date as `YYYY-MM-DD`).
    pub days: Vec<DayParticipation>,
}

/// One day's views, by source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ViewsDay {
    #[serde(with = "crate::campaigns::date_format")]
    pub day: Day,
    pub views: u64,
    pub by_source: BTreeMap<Source, u64>,
}

/// Page views over a range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Audience {
    pub views: u64,
    /// Every source, zeros included.
    pub by_source: BTreeMap<Source, u64>,
    pub days: Vec<ViewsDay>,
    /// The [`TOP_PAGES`] most viewed pages.
    pub top_pages: Vec<PageViews>,
    /// Pages viewed in all (the CSV lists them all).
    pub pages: u64,
    /// The [`TOP_SERVERS`] Mastodon servers that sent the most visitors.
    pub mastodon_servers: Vec<(String, u64)>,
    /// Some views are left out (see [`Views::truncated`]): the report says so.
    pub truncated: bool,
}

/// The figures a "vs. previous month" column compares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub posts: u64,
    pub likes: u64,
    pub reposts: u64,
    pub replies: u64,
    pub quotes: u64,
    pub engagement: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reach: Option<u64>,
    pub views: u64,
    pub votes: u64,
    pub answers: u64,
    pub entries: u64,
    pub feedback: u64,
}

/// A month's activity report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthlyReport {
    /// `YYYY-MM`.
    pub month: String,
    #[serde(with = "crate::campaigns::date_format")]
    pub from: Day,
    #[serde(with = "crate::campaigns::date_format")]
    pub to: Day,
    pub totals: Totals,
    pub previous_month: String,
    pub previous: Totals,
    pub posts: PostFigures,
    pub participation: Participation,
    pub audience: Audience,
}

/// A campaign's report: the figures of its posts, and its mention and post counters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CampaignReport {
    pub campaign: CampaignSummary,
    pub posts: PostFigures,
    /// Mentions received over the campaign's dates (up to today, at most the counters' range).
    pub mentions: u64,
    /// Posts counted by the campaign's own counters (published through Kiosque).
    pub posts_published: u64,
}

/// What a campaign report says of the campaign itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CampaignSummary {
    pub id: CampaignId,
    pub name: String,
    pub slug: String,
    #[serde(with = "crate::campaigns::date_format")]
    pub starts_on: Day,
    #[serde(with = "crate::campaigns::date_format")]
    pub ends_on: Day,
}

/// One post's figures on each channel it went out on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PostReport {
    pub post: PostId,
    pub excerpt: String,
    /// Each channel's record: latest figures, history and fetch state.
    pub channels: Vec<PostMetrics>,
    /// The channels' latest figures, summed.
    #[serde(flatten)]
    pub counts: Counts,
    pub engagement: u64,
}

/// The last 30 days at a glance (the console's dashboard).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecentReport {
    #[serde(with = "crate::campaigns::date_format")]
    pub from: Day,
    #[serde(with = "crate::campaigns::date_format")]
    pub to: Day,
    pub views: u64,
    pub views_by_source: BTreeMap<Source, u64>,
    pub posts: u64,
    pub engagement: u64,
    pub networks: Vec<NetworkFigures>,
    pub votes: u64,
    pub answers: u64,
    pub entries: u64,
    pub feedback: u64,
    pub top_posts: Vec<TopPost>,
    /// Some posts are left out of `posts`, `engagement`, `networks` and `top_posts` (see
    /// [`PostFigures::truncated`]).
    pub posts_truncated: bool,
    /// Some views are left out of `views` (see [`Audience::truncated`]).
    pub views_truncated: bool,
}

/// Sums the latest figures of what a reader read per network and ranks the `top` best posts.
pub fn post_figures(read: &PostRecords, top: usize) -> PostFigures {
    let records = &read.records;
    let mut networks: Vec<NetworkFigures> = NETWORKS
        .iter()
        .map(|&network| NetworkFigures {
            network,
            posts: 0,
            counts: Counts::default(),
            engagement: 0,
        })
        .collect();
    let mut total = Counts::default();
    let mut posts = BTreeSet::new();
    let mut ranked = Vec::with_capacity(records.len());
    for record in records {
        let latest = record.latest();
        if let Some(figures) = networks.iter_mut().find(|n| n.network == record.kind) {
            figures.posts += 1;
            figures.counts.add(&latest);
        }
        total.add(&latest);
        posts.insert(record.post.to_string());
        ranked.push(TopPost {
            post: record.post.clone(),
            network: record.kind,
            excerpt: record.excerpt.clone(),
            url: record.url.clone(),
            published_at: record.published_at,
            engagement: latest.engagement(),
            counts: latest,
        });
    }
    for figures in &mut networks {
        figures.engagement = figures.counts.engagement();
    }
    ranked.sort_by(|a, b| {
        b.engagement
            .cmp(&a.engagement)
            .then(b.published_at.cmp(&a.published_at))
            .then_with(|| a.url.cmp(&b.url))
    });
    ranked.truncate(top);
    PostFigures {
        posts: posts.len() as u64,
        networks,
        engagement: total.engagement(),
        counts: total,
        top_posts: ranked,
        truncated: read.truncated,
    }
}

/// Sums each day's participation.
pub fn participation_of(days: &[DayParticipation]) -> Participation {
    let mut sum = Participation {
        votes: 0,
        answers: 0,
        entries: 0,
        feedback: 0,
        days: days.to_vec(),
    };
    for day in days {
        sum.votes += day.votes;
        sum.answers += day.answers;
        sum.entries += day.entries;
        sum.feedback += day.feedback;
    }
    sum
}

/// Every source of `counts`, zeros included (a JSON object, in [`Source::ALL`] order).
fn all_sources(counts: &BTreeMap<Source, u64>) -> BTreeMap<Source, u64> {
    Source::ALL
        .iter()
        .map(|source| (*source, counts.get(source).copied().unwrap_or(0)))
        .collect()
}

/// The views of a range, summed by source, with the most viewed pages and servers.
pub fn audience_of(views: &Views) -> Audience {
    let mut by_source = BTreeMap::new();
    let days = views
        .days
        .iter()
        .map(|day: &DayViews| {
            for (source, count) in &day.by_source {
                *by_source.entry(*source).or_insert(0) += count;
            }
            ViewsDay {
                day: day.day,
                views: day.total,
                by_source: day.by_source.clone(),
            }
        })
        .collect();
    let mut pages = views.pages.clone();
    // The reader sorts them already; sorting again keeps the report right whatever it does.
    pages.sort_by(|a, b| b.total.cmp(&a.total).then_with(|| a.path.cmp(&b.path)));
    let mut servers = views.mastodon_servers.clone();
    servers.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    servers.truncate(TOP_SERVERS);
    let page_count = pages.len() as u64;
    pages.truncate(TOP_PAGES);
    Audience {
        views: views.total(),
        by_source: all_sources(&by_source),
        days,
        top_pages: pages,
        pages: page_count,
        mastodon_servers: servers,
        truncated: views.truncated,
    }
}

fn totals(posts: &PostFigures, participation: &Participation, views: u64) -> Totals {
    Totals {
        posts: posts.posts,
        likes: posts.counts.likes,
        reposts: posts.counts.reposts,
        replies: posts.counts.replies,
        quotes: posts.counts.quotes,
        engagement: posts.engagement,
        reach: posts.counts.reach,
        views,
        votes: participation.votes,
        answers: participation.answers,
        entries: participation.entries,
        feedback: participation.feedback,
    }
}

/// What the readers give for one month: the post records, participation and views.
pub struct MonthData {
    pub records: PostRecords,
    pub participation: Vec<DayParticipation>,
    pub views: Views,
}

/// Reads one month (3 readers).
pub fn month_data(store: &dyn KvStore, month: Month) -> Result<MonthData, AnalyticsError> {
    let (from, to) = (month.first_day(), month.last_day());
    Ok(MonthData {
        records: metrics::published_between(store, from, to)?,
        participation: participation::between(store, from, to)?,
        views: audience::views_between(store, from, to)?,
    })
}

/// The post figures of `month` alone (1 reader: what its engagement chart draws).
pub fn month_posts(store: &dyn KvStore, month: Month) -> Result<PostFigures, AnalyticsError> {
    let read = metrics::published_between(store, month.first_day(), month.last_day())?;
    Ok(post_figures(&read, TOP_POSTS))
}

/// The participation of `month` alone (1 reader: what its participation chart draws).
pub fn month_participation(
    store: &dyn KvStore,
    month: Month,
) -> Result<Participation, AnalyticsError> {
    let days = participation::between(store, month.first_day(), month.last_day())?;
    Ok(participation_of(&days))
}

/// The page views of `month` alone (1 reader: what its views and sources charts draw).
pub fn month_audience(store: &dyn KvStore, month: Month) -> Result<Audience, AnalyticsError> {
    let views = audience::views_between(store, month.first_day(), month.last_day())?;
    Ok(audience_of(&views))
}

/// The report of `month`, with the month before's totals for comparison.
pub fn monthly(store: &dyn KvStore, month: Month) -> Result<MonthlyReport, AnalyticsError> {
    let data = month_data(store, month)?;
    let previous_month = month.previous();
    let before = month_data(store, previous_month)?;
    Ok(monthly_from(month, &data, &before))
}

/// The report of `month` from what was read (the CSV handlers read once for both).
pub fn monthly_from(month: Month, data: &MonthData, before: &MonthData) -> MonthlyReport {
    let posts = post_figures(&data.records, TOP_POSTS);
    let participation = participation_of(&data.participation);
    let audience = audience_of(&data.views);
    let previous = {
        let posts = post_figures(&before.records, 0);
        let participation = participation_of(&before.participation);
        totals(&posts, &participation, before.views.total())
    };
    MonthlyReport {
        month: month.to_string(),
        from: month.first_day(),
        to: month.last_day(),
        totals: totals(&posts, &participation, audience.views),
        previous_month: month.previous().to_string(),
        previous,
        posts,
        participation,
        audience,
    }
}

fn campaign_error(error: CampaignError) -> AnalyticsError {
    match error {
        CampaignError::NotFound => AnalyticsError::NotFound("campaign"),
        CampaignError::Storage(e) => AnalyticsError::Storage(e),
        other => AnalyticsError::Invalid(other.to_string()),
    }
}

/// The campaign and the records of its posts (2 reads and the reader's).
pub fn campaign_data(
    store: &dyn KvStore,
    id: &CampaignId,
) -> Result<(Campaign, PostRecords), AnalyticsError> {
    let campaign = campaigns::get(store, id).map_err(campaign_error)?;
    let records = metrics::for_campaign(store, id)?;
    Ok((campaign, records))
}

/// The report of a campaign; `today` bounds its mention counters' range.
pub fn campaign(
    store: &dyn KvStore,
    id: &CampaignId,
    today: Day,
) -> Result<CampaignReport, AnalyticsError> {
    let (campaign, records) = campaign_data(store, id)?;
    // The campaign's own counters: one batch read over its default range.
    let (from, to) = campaigns::engagement::default_range(&campaign, today);
    let counters =
        campaigns::engagement::read(store, &campaign, from, to).map_err(campaign_error)?;
    Ok(CampaignReport {
        campaign: CampaignSummary {
            id: campaign.id.clone(),
            name: campaign.name.clone(),
            slug: campaign.slug.to_string(),
            starts_on: campaign.starts_on,
            ends_on: campaign.ends_on,
        },
        posts: post_figures(&records, TOP_POSTS),
        mentions: counters.mentions,
        posts_published: counters.posts,
    })
}

/// One post's figures on each channel (2 reads: the post, then its records).
pub fn post(store: &dyn KvStore, id: &PostId) -> Result<PostReport, AnalyticsError> {
    let post = posts::get(store, id).map_err(|error| match error {
        PostError::NotFound => AnalyticsError::NotFound("post"),
        PostError::Storage(e) => AnalyticsError::Storage(e),
        other => AnalyticsError::Invalid(other.to_string()),
    })?;
    let channels = metrics::for_post(store, &post)?;
    let mut counts = Counts::default();
    for record in &channels {
        counts.add(&record.latest());
    }
    Ok(PostReport {
        post: post.id.clone(),
        excerpt: metrics::excerpt(&post.content.text),
        channels,
        engagement: counts.engagement(),
        counts,
    })
}

/// The last [`RECENT_DAYS`] days up to `today` (3 readers).
pub fn recent(store: &dyn KvStore, today: Day) -> Result<RecentReport, AnalyticsError> {
    let from = today
        .checked_sub_days(chrono::Days::new(u64::from(RECENT_DAYS - 1)))
        .ok_or_else(|| AnalyticsError::Invalid("today: out of range".to_owned()))?;
    let records = metrics::published_between(store, from, today)?;
    let participation = participation_of(&participation::between(store, from, today)?);
    let views = audience_of(&audience::views_between(store, from, today)?);
    let posts = post_figures(&records, RECENT_TOP_POSTS);
    let posts_truncated = posts.truncated;
    Ok(RecentReport {
        from,
        to: today,
        views: views.views,
        views_by_source: views.by_source,
        posts: posts.posts,
        engagement: posts.engagement,
        networks: posts.networks,
        votes: participation.votes,
        answers: participation.answers,
        entries: participation.entries,
        feedback: participation.feedback,
        top_posts: posts.top_posts,
        posts_truncated,
        views_truncated: views.truncated,
    })
}
