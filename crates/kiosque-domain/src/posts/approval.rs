//! Approval: a post drafted by an editor goes out only once an administrator approved it,
//! on the channels that ask for it (`Channel::approval_required`, on by default).
//!
//! An editor's "schedule" puts the post in `awaiting_approval` with the schedule they asked
//! for; an administrator approves (the post is then scheduled exactly as a direct schedule
//! would, from that state only) or sends it back to draft with a comment. An editor's edit of
//! an approved, scheduled post sends it back for approval, keeping its time
//! ([`super::edit`]), so nothing unapproved ever reaches the due index.

use serde::{Deserialize, Serialize};

use super::schedule::{self, Conditions, ScheduleRequest, Scheduled, When};
use super::{Platform, Post, PostError, PostId, PostState, StateName, content};
use crate::clock::Timestamp;
use crate::store::KvStore;
use crate::zone::Zone;

const MAX_COMMENT_CHARS: usize = 1000;

/// An administrator's word on a post sent back to its editor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub comment: String,
    pub by: String,
    pub at: Timestamp,
}

/// Whether any channel of `post` asks for approval: 1 read per channel.
pub fn needs_approval(platform: &impl Platform, post: &Post) -> Result<bool, PostError> {
    for target in &post.targets {
        if platform.approval_required(&target.channel)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The schedule request that gives `post` its current schedule back, for an approved post
/// an editor changed.
pub(crate) fn request_of_schedule(post: &Post) -> Option<ScheduleRequest> {
    post.schedule.as_ref().map(|s| ScheduleRequest {
        at: Some(s.local.to_string()),
        zone: Some(s.zone.name().to_owned()),
        next_free_slot: false,
    })
}

/// An editor's "schedule": the post waits for approval when one of its channels asks for it,
/// and is scheduled as asked otherwise. The content is checked against every channel first
/// (422 with every problem), so an administrator is never asked to approve a post that
/// cannot go out. `when` is `request` parsed (it must parse before it is stored).
pub fn schedule_or_submit(
    store: &dyn KvStore,
    platform: &impl Platform,
    now: Timestamp,
    id: &PostId,
    request: &ScheduleRequest,
    when: When,
    submitted_by: &str,
) -> Result<Post, PostError> {
    for _ in 0..super::CAS_ATTEMPTS {
        let (mut post, current) = super::get_raw(store, id)?;
        if !needs_approval(platform, &post)? {
            // Decided again on the version the schedule swaps: an edit that moved the post
            // to a channel asking for approval meanwhile sends it round this loop again.
            let conditions = Conditions {
                without_approval: true,
                ..Conditions::ANY
            };
            match schedule::schedule_checked(store, platform, now, id, when, &conditions)? {
                Scheduled::Done(post) => return Ok(*post),
                Scheduled::NeedsApproval => continue,
            }
        }
        match post.state {
            PostState::Draft
            | PostState::Scheduled
            | PostState::Failed { .. }
            | PostState::AwaitingApproval { .. } => {}
            ref other => {
                return Err(PostError::WrongState {
                    state: other.name().as_str(),
                    action: "submitted for approval",
                });
            }
        }
        let before = post.clone();
        super::tick::reset_failed(&mut post);
        let problems = content::validate_for_channels(platform, &post)?;
        if !problems.is_empty() {
            return Err(PostError::Invalid(problems));
        }
        post.state = PostState::AwaitingApproval {
            requested: request.clone(),
            submitted_by: submitted_by.to_owned(),
        };
        post.schedule = None;
        post.review = None;
        if super::swap(store, &current, &mut post, now)? {
            schedule::release_after(store, &before);
            return Ok(post);
        }
    }
    Err(PostError::Busy)
}

/// An administrator approves: the post is scheduled as its editor asked, only if it still
/// awaits approval when the swap happens, and, when `version` is given, only if it is still
/// the version the administrator read (409 `version_mismatch` otherwise: the editor changed
/// it meanwhile). A requested time now past is a 422 on `at`; the post then stays awaiting,
/// and the administrator may schedule it at another time.
pub fn approve(
    store: &dyn KvStore,
    platform: &impl Platform,
    now: Timestamp,
    id: &PostId,
    version: Option<u64>,
    default_zone: Zone,
) -> Result<Post, PostError> {
    let post = super::get(store, id)?;
    let PostState::AwaitingApproval { requested, .. } = &post.state else {
        return Err(PostError::WrongState {
            state: post.state.name().as_str(),
            action: "approved",
        });
    };
    let when = When::parse(requested, default_zone)?;
    let conditions = Conditions {
        from: &[StateName::AwaitingApproval],
        version,
        without_approval: false,
    };
    schedule::schedule_if(store, platform, now, id, when, &conditions)
}

/// An administrator sends the post back to draft with a comment for its editor.
pub fn send_back(
    store: &dyn KvStore,
    now: Timestamp,
    id: &PostId,
    by: &str,
    comment: &str,
) -> Result<Post, PostError> {
    let comment = comment.trim();
    if comment.is_empty() || comment.chars().count() > MAX_COMMENT_CHARS {
        return Err(PostError::field(
            "comment",
            "say what to change: 1 to 1000 characters",
        ));
    }
    super::update(store, id, now, |post| {
        if !matches!(post.state, PostState::AwaitingApproval { .. }) {
            return Err(PostError::WrongState {
                state: post.state.name().as_str(),
                action: "sent back",
            });
        }
        post.state = PostState::Draft;
        post.review = Some(Review {
            comment: comment.to_owned(),
            by: by.to_owned(),
            at: now,
        });
        Ok(())
    })
}
