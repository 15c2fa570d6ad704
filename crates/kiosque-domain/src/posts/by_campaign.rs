//! The posts of a campaign, for its staff page: each post given a campaign is appended to the
//! campaign's own list (a counter and one key per entry, like the staff registries), so the
//! page reads the latest posts with their state and platform links in 3 store calls whatever
//! the number of posts stored.

use super::{Post, PostError, PostId};
use crate::campaigns::CampaignId;
use crate::keys;
use crate::moderation;
use crate::store::{KvStore, StoreError};

/// Posts shown on the staff page at once.
pub const PER_PAGE: u64 = 50;

/// Appends `post` to the campaign's list: 1 increment + 1 write. A post moved to another
/// campaign stays in the old list too; [`page`] shows only the posts that still name it.
pub fn attach(store: &dyn KvStore, campaign: &CampaignId, post: &PostId) -> Result<(), StoreError> {
    let n = store.increment(&keys::campaign_post_seq(campaign), 1)?;
    let n = u64::try_from(n).unwrap_or(0);
    store.set_json(&keys::campaign_post(campaign, n), post)
}

/// One page (newest first) of the campaign's posts: 3 store calls (the counter, the ids, the
/// posts, each one batch read).
pub fn page(
    store: &dyn KvStore,
    campaign: &CampaignId,
    page: u64,
) -> Result<moderation::StaffPage<Post>, PostError> {
    let mut found = moderation::staff_page::<PostId, Post>(
        store,
        keys::campaign_post_seq(campaign),
        |n| keys::campaign_post(campaign, n),
        keys::post,
        page,
        PER_PAGE,
    )?;
    found
        .items
        .retain(|post| post.campaign.as_deref() == Some(campaign.as_str()));
    // One post attached twice (edited back and forth) is shown once.
    let mut seen = std::collections::HashSet::new();
    found.items.retain(|post| seen.insert(post.id.clone()));
    Ok(found)
}
