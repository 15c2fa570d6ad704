//! Campaigns: a name, a slug, a description, a date range and the cultural hashtags the
//! library launches ("#NuitDeLaLecture"), with optional links to the polls, contests,
//! showcases or tutorials they promote. Posts of a campaign carry its hashtags; patrons'
//! posts that use them (received by the platform webhooks or found by following the tags)
//! land in a moderation queue ([`wall`]); the approved ones make the public wall.
//!
//! Modules: [`wall`] (mentions, their moderation queue and the approved wall), [`engagement`]
//! (counters per campaign, hashtag and day), [`privacy`] (where each mention went, its
//! removal, erasure and retention). The posts of a campaign are `posts::by_campaign`, and
//! following the tags where no webhook exists is `inbound::follow`: both sit above this module,
//! which knows neither.
//!
//! Storage (see `keys`): each campaign is one document (`campaign/{id}`, edited by CAS); its
//! slug is claimed once (`increment == 1`) and points to its id; one bounded index document
//! (`campaigns/index`, at most [`MAX_CAMPAIGNS`] summaries, CAS) serves the staff list and
//! the hashtag lookup of every received mention in one read.
//!
//! Cost in store calls, whatever the number of campaigns, mentions or posts: create 1 increment
//! (slug claim) + 1 write (slug) + 3 writes/CAS (document, approved list, index) + 1 read
//! (index) on the first time; edit 2 reads + 2 CAS; show 1 read; by slug 2 reads; staff list
//! 1 read; active hashtags 1 read.

use serde::{Deserialize, Serialize};

use crate::claims::{self, Claim};
use crate::clock::{Clock, Timestamp};
use crate::error::{DomainError, ErrorKind};
use crate::hashtag::Hashtag;
use crate::keys;
use crate::moderation;
use crate::store::{self, KvStore, StoreError};

pub mod engagement;
pub mod privacy;
pub mod wall;

pub use wall::{Mention, MentionPlatform, Received, receive_mention};

pub use crate::ids::CampaignId;

/// The most campaigns the library keeps (the index stays one small document).
pub const MAX_CAMPAIGNS: usize = 200;
pub const MAX_NAME_CHARS: usize = 120;
pub const MAX_DESCRIPTION_CHARS: usize = 2000;
pub const MAX_CAMPAIGN_HASHTAGS: usize = 5;
pub const MAX_LINKS: usize = 10;
/// A campaign lasts at most a year (its engagement is read day by day).
pub const MAX_DAYS: i64 = 366;

#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    #[error("campaign not found")]
    NotFound,
    #[error("mention not found")]
    MentionNotFound,
    #[error("{0}")]
    Invalid(String),
    #[error("a campaign with the slug {0:?} already exists")]
    SlugTaken(String),
    #[error("the library has {MAX_CAMPAIGNS} campaigns, the most it keeps")]
    Full,
    #[error("the list of approved posts of this campaign is full")]
    WallFull,
    #[error("the campaign changed meanwhile, try again")]
    Busy,
    #[error(transparent)]
    Storage(#[from] StoreError),
}

impl DomainError for CampaignError {
    fn kind(&self) -> ErrorKind {
        use CampaignError::*;
        match self {
            NotFound | MentionNotFound => ErrorKind::NotFound,
            Invalid(_) => ErrorKind::Invalid,
            SlugTaken(_) | Full | WallFull | Busy => ErrorKind::Conflict,
            Storage(_) => ErrorKind::Storage,
        }
    }

    fn code(&self) -> &'static str {
        use CampaignError::*;
        match self {
            NotFound => "campaign_not_found",
            MentionNotFound => "mention_not_found",
            Invalid(_) => "invalid_campaign",
            SlugTaken(_) => "slug_taken",
            Full => "too_many_campaigns",
            WallFull => "wall_full",
            Busy => "busy",
            Storage(_) => "storage_error",
        }
    }
}

pub use crate::ids::CampaignSlug;

/// What a campaign promotes: a poll, contest, showcase or tutorial of the library.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    Poll,
    Contest,
    Showcase,
    Tutorial,
}

impl LinkKind {
    /// The site path prefix of this kind's public pages.
    fn path_prefix(self) -> &'static str {
        match self {
            LinkKind::Poll => "/polls/",
            LinkKind::Contest => "/contests/",
            LinkKind::Showcase => "/showcases/",
            LinkKind::Tutorial => "/tutorials/",
        }
    }
}

/// A link to a page of the site: given as an id (`{"kind": "poll", "id": "abc"}`) or as its
/// path (`{"kind": "poll", "path": "/polls/abc"}`); stored as the path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignLink {
    pub kind: LinkKind,
    /// A site path under the kind's prefix, e.g. `/polls/abc`.
    pub path: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkRequest {
    pub kind: LinkKind,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub path: Option<String>,
}

/// The wire shape of `POST /api/campaigns` and `PUT /api/campaigns/:id` (the slug is fixed at
/// creation: public links and embeds must not break).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignRequest {
    pub name: String,
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default)]
    pub description: String,
    /// `YYYY-MM-DD`, inclusive, compared with the UTC date (see [`today`]).
    pub starts_on: String,
    pub ends_on: String,
    pub hashtags: Vec<String>,
    #[serde(default)]
    pub links: Vec<LinkRequest>,
}

/// A campaign that passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCampaign {
    pub name: String,
    pub slug: Option<CampaignSlug>,
    pub description: String,
    pub starts_on: chrono::NaiveDate,
    pub ends_on: chrono::NaiveDate,
    pub hashtags: Vec<Hashtag>,
    pub links: Vec<CampaignLink>,
}

impl NewCampaign {
    /// Checks every field; the first problem is the error, with its field name.
    pub fn parse(request: CampaignRequest) -> Result<Self, CampaignError> {
        let invalid = CampaignError::Invalid;
        let name =
            moderation::text("name", &request.name, MAX_NAME_CHARS, false).map_err(invalid)?;
        let description = if request.description.trim().is_empty() {
            String::new()
        } else {
            moderation::text(
                "description",
                &request.description,
                MAX_DESCRIPTION_CHARS,
                true,
            )
            .map_err(invalid)?
        };
        let slug = request
            .slug
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(CampaignSlug::parse)
            .transpose()
            .map_err(|e| invalid(e.into()))?;
        let date = |field: &str, text: &str| crate::zone::parse_date(field, text).map_err(invalid);
        let starts_on = date("starts_on", &request.starts_on)?;
        let ends_on = date("ends_on", &request.ends_on)?;
        if ends_on < starts_on {
            return Err(invalid("ends_on: must not be before starts_on".to_owned()));
        }
        if (ends_on - starts_on).num_days() >= MAX_DAYS {
            return Err(invalid(format!(
                "ends_on: a campaign lasts at most {MAX_DAYS} days"
            )));
        }
        if request.hashtags.is_empty() || request.hashtags.len() > MAX_CAMPAIGN_HASHTAGS {
            return Err(invalid(format!(
                "hashtags: from 1 to {MAX_CAMPAIGN_HASHTAGS} hashtags"
            )));
        }
        let mut hashtags: Vec<Hashtag> = Vec::new();
        for (i, raw) in request.hashtags.iter().enumerate() {
            let tag = Hashtag::parse(raw).map_err(|e| invalid(format!("hashtags[{i}]: {e}")))?;
            if hashtags.contains(&tag) {
                return Err(invalid(format!(
                    "hashtags[{i}]: {tag} is already listed (hashtags ignore case)"
                )));
            }
            hashtags.push(tag);
        }
        if request.links.len() > MAX_LINKS {
            return Err(invalid(format!("links: at most {MAX_LINKS}")));
        }
        let links = request
            .links
            .into_iter()
            .enumerate()
            .map(|(i, link)| parse_link(link).map_err(|e| invalid(format!("links[{i}]: {e}"))))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(NewCampaign {
            name,
            slug,
            description,
            starts_on,
            ends_on,
            hashtags,
            links,
        })
    }
}

fn parse_link(link: LinkRequest) -> Result<CampaignLink, String> {
    let prefix = link.kind.path_prefix();
    let id = match (link.id.as_deref(), link.path.as_deref()) {
        (Some(id), None) => id.trim(),
        (None, Some(path)) => path
            .trim()
            .strip_prefix(prefix)
            .ok_or_else(|| format!("path: must start with {prefix}"))?,
        _ => return Err("give either id or path".to_owned()),
    };
    let valid = (1..=60).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !valid {
        return Err("id: 1 to 60 letters, digits, '-' or '_'".to_owned());
    }
    Ok(CampaignLink {
        kind: link.kind,
        path: format!("{prefix}{id}"),
    })
}

/// A campaign as stored under `keys::campaign`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    pub id: CampaignId,
    pub slug: CampaignSlug,
    pub name: String,
    pub description: String,
    #[serde(with = "date_format")]
    pub starts_on: chrono::NaiveDate,
    #[serde(with = "date_format")]
    pub ends_on: chrono::NaiveDate,
    pub hashtags: Vec<Hashtag>,
    pub links: Vec<CampaignLink>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Campaign {
    /// Whether `day` falls within the campaign's dates.
    pub fn is_active_on(&self, day: chrono::NaiveDate) -> bool {
        self.starts_on <= day && day <= self.ends_on
    }

    /// Hashtags a staff member may want to retype with capitals (see
    /// [`Hashtag::looks_like_run_together_words`]).
    pub fn hashtag_warnings(&self) -> Vec<String> {
        self.hashtags
            .iter()
            .filter(|t| t.looks_like_run_together_words())
            .map(|t| {
                format!(
                    "{t}: one word without capitals is read letter by letter or as one unknown \
                     word by screen readers; write it in CamelCase (e.g. #NuitDeLaLecture)"
                )
            })
            .collect()
    }
}

/// One line of the index document: enough for the staff list and the hashtag lookup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignSummary {
    pub id: CampaignId,
    pub slug: CampaignSlug,
    pub name: String,
    #[serde(with = "date_format")]
    pub starts_on: chrono::NaiveDate,
    #[serde(with = "date_format")]
    pub ends_on: chrono::NaiveDate,
    pub hashtags: Vec<Hashtag>,
}

impl CampaignSummary {
    fn of(campaign: &Campaign) -> Self {
        CampaignSummary {
            id: campaign.id.clone(),
            slug: campaign.slug.clone(),
            name: campaign.name.clone(),
            starts_on: campaign.starts_on,
            ends_on: campaign.ends_on,
            hashtags: campaign.hashtags.clone(),
        }
    }

    pub fn is_active_on(&self, day: chrono::NaiveDate) -> bool {
        self.starts_on <= day && day <= self.ends_on
    }
}

/// The day `now` falls on, in UTC (campaign dates are compared with it; a campaign is active
/// a few hours longer or shorter at its ends in Paris, which mentions tolerate).
pub fn today(clock: &dyn Clock) -> chrono::NaiveDate {
    chrono::DateTime::from_timestamp(clock.now().unix_seconds(), 0)
        .map(|t| t.date_naive())
        .unwrap_or_default()
}

/// Every campaign, newest first (1 read).
pub fn list(store: &dyn KvStore) -> Result<Vec<CampaignSummary>, CampaignError> {
    let mut index = read_index(store)?;
    index.reverse();
    Ok(index)
}

/// The campaigns active today and their hashtags, for the hashtag following (1 read; at most
/// [`MAX_CAMPAIGNS`]).
pub fn active_campaign_hashtags(
    store: &dyn KvStore,
    clock: &dyn Clock,
) -> Result<Vec<(CampaignId, Vec<Hashtag>)>, CampaignError> {
    let day = today(clock);
    Ok(read_index(store)?
        .into_iter()
        .filter(|c| c.is_active_on(day))
        .map(|c| (c.id, c.hashtags))
        .collect())
}

pub(crate) fn read_index(store: &dyn KvStore) -> Result<Vec<CampaignSummary>, StoreError> {
    Ok(store
        .get_json::<Vec<CampaignSummary>>(&keys::campaign_index())?
        .unwrap_or_default())
}

/// Edits the index document by CAS. The first, empty, document is written by whoever wins
/// the `claims` claim, never by a bare swap from "absent" (an upsert on Spin's SQLite store);
/// a winner that died before writing it is taken over by the request after the grace, and
/// one that failed gives the claim back at once, so creation is never blocked for good.
fn update_index(
    store: &dyn KvStore,
    now: Timestamp,
    mut change: impl FnMut(&mut Vec<CampaignSummary>) -> Result<bool, CampaignError>,
) -> Result<(), CampaignError> {
    let key = keys::campaign_index();
    let claim_key = keys::campaign_index_created();
    match claims::claim(store, now, &claim_key, &key)? {
        Claim::Exists(_) => {}
        Claim::Pending => return Err(CampaignError::Busy),
        Claim::Won => {
            // From "absent" (exact on Redis through the adapter): a swap that finds a
            // document written meanwhile keeps it. Unless it wrote, the claim is given back.
            match store.compare_and_swap(&key, None, b"[]") {
                Ok(true) => {}
                Ok(false) => claims::release(store, &claim_key),
                Err(e) => {
                    claims::release(store, &claim_key);
                    return Err(e.into());
                }
            }
        }
    }
    moderation::update_doc(store, &key, |index: &mut Vec<CampaignSummary>| {
        change(index)
    })?
    .map(|_| ())
    .ok_or(CampaignError::Busy)
}

/// 1 read.
pub fn get(store: &dyn KvStore, id: &CampaignId) -> Result<Campaign, CampaignError> {
    store
        .get_json::<Campaign>(&keys::campaign(id))?
        .ok_or(CampaignError::NotFound)
}

/// 2 reads: the slug's id, then the campaign.
pub fn by_slug(store: &dyn KvStore, slug: &CampaignSlug) -> Result<Campaign, CampaignError> {
    let id = store
        .get_json::<CampaignId>(&keys::campaign_slug(slug))?
        .ok_or(CampaignError::NotFound)?;
    get(store, &id)
}

/// A slug from the name when staff gave none: lowercase ASCII letters and digits, accents
/// dropped, other characters as `-`.
pub fn slug_from_name(name: &str) -> Option<CampaignSlug> {
    use unicode_normalization::UnicodeNormalization;
    let mut slug = String::new();
    for c in name.nfd() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if (c.is_whitespace() || c.is_ascii_punctuation()) && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug: String = slug.trim_matches('-').chars().take(60).collect();
    CampaignSlug::parse(slug.trim_end_matches('-')).ok()
}

/// Stores a new campaign under `id`. The slug is claimed first (`claims`, an `increment`):
/// two campaigns never share one, even when created at the same moment. The slug's pointer,
/// written last, is the proof the campaign exists: a creation that failed gives the claim
/// back, one whose instance died is taken over after the grace.
pub fn create(
    store: &dyn KvStore,
    clock: &dyn Clock,
    id: CampaignId,
    new: NewCampaign,
) -> Result<Campaign, CampaignError> {
    let slug = match new.slug.clone() {
        Some(slug) => slug,
        None => slug_from_name(&new.name).ok_or_else(|| {
            CampaignError::Invalid("slug: give one (the name has no letters to make it)".to_owned())
        })?,
    };
    if read_index(store)?.len() >= MAX_CAMPAIGNS {
        return Err(CampaignError::Full);
    }
    let claim = keys::campaign_slug_claim(&slug);
    match claims::claim(store, clock.now(), &claim, &keys::campaign_slug(&slug))? {
        Claim::Won => {}
        Claim::Exists(_) | Claim::Pending => {
            return Err(CampaignError::SlugTaken(slug.as_str().to_owned()));
        }
    }
    let stored = store_new(store, clock, id, slug, new);
    if stored.is_err() {
        // Nothing points to the half-written campaign: give the slug back so staff can retry.
        claims::release(store, &claim);
    }
    stored
}

/// Writes a new campaign whose slug is claimed: its approved list, its document, its index
/// line, then its slug.
fn store_new(
    store: &dyn KvStore,
    clock: &dyn Clock,
    id: CampaignId,
    slug: CampaignSlug,
    new: NewCampaign,
) -> Result<Campaign, CampaignError> {
    let now = clock.now();
    let campaign = Campaign {
        id: id.clone(),
        slug: slug.clone(),
        name: new.name,
        description: new.description,
        starts_on: new.starts_on,
        ends_on: new.ends_on,
        hashtags: new.hashtags,
        links: new.links,
        created_at: now,
        updated_at: now,
    };
    // The approved list exists before anything can be approved, so it is only ever swapped
    // from a value read.
    store.set(&keys::campaign_approved(&id), b"[]")?;
    let key = keys::campaign(&id);
    store.set(&key, &store::to_json(&key, &campaign)?)?;
    let summary = CampaignSummary::of(&campaign);
    update_index(store, now, |index| {
        // A line with this slug but another id is a creation that died before its slug
        // pointer (we hold the slug's claim now): this campaign replaces it.
        let before = index.len();
        index.retain(|c| c.slug != summary.slug || c.id == summary.id);
        if index.iter().any(|c| c.id == summary.id) {
            return Ok(index.len() < before);
        }
        if index.len() >= MAX_CAMPAIGNS {
            return Err(CampaignError::Full);
        }
        index.push(summary.clone());
        Ok(true)
    })?;
    // The slug points to the campaign last: until then the public page answers 404.
    store.set_json(&keys::campaign_slug(&slug), &id)?;
    Ok(campaign)
}

/// Replaces a campaign's fields (not its slug) by CAS, then its index line.
pub fn update(
    store: &dyn KvStore,
    clock: &dyn Clock,
    id: &CampaignId,
    new: NewCampaign,
) -> Result<Campaign, CampaignError> {
    if let Some(slug) = &new.slug {
        let current = get(store, id)?;
        if *slug != current.slug {
            return Err(CampaignError::Invalid(
                "slug: cannot change (public links and embeds use it)".to_owned(),
            ));
        }
    }
    let now = clock.now();
    let updated = moderation::update_doc(store, &keys::campaign(id), |c: &mut Campaign| {
        c.name = new.name.clone();
        c.description = new.description.clone();
        c.starts_on = new.starts_on;
        c.ends_on = new.ends_on;
        c.hashtags = new.hashtags.clone();
        c.links = new.links.clone();
        c.updated_at = now;
        Ok::<_, CampaignError>(true)
    })?;
    let campaign = match updated {
        Some(c) => c,
        None if store.get(&keys::campaign(id))?.is_none() => return Err(CampaignError::NotFound),
        None => return Err(CampaignError::Busy),
    };
    let summary = CampaignSummary::of(&campaign);
    update_index(store, now, |index| {
        match index.iter_mut().find(|c| c.id == summary.id) {
            Some(line) if *line == summary => Ok(false),
            Some(line) => {
                *line = summary.clone();
                Ok(true)
            }
            None => {
                index.push(summary.clone());
                Ok(true)
            }
        }
    })?;
    Ok(campaign)
}

/// Dates as `YYYY-MM-DD` in JSON (chrono is built without its serde feature).
pub(crate) mod date_format {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(day: &chrono::NaiveDate, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&day.format("%Y-%m-%d"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<chrono::NaiveDate, D::Error> {
        let text = String::deserialize(d)?;
        chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests;
