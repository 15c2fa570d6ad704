//! Scheduling: a wall-clock time in a zone (default: the library's, `Europe/Paris`), or the
//! next free weekly slot of the post's channels ("Tuesday and Thursday at 10:00").
//!
//! The schedule keeps the zone and the local time staff chose; the instant (`due_at`) is
//! derived from them with the zone's rules, so a post planned at 10:00 stays at 10:00 across a
//! change of UTC offset. A local time that does not exist (the hour skipped in spring) is
//! moved an hour later on the clock, as calendars do; in the repeated autumn hour the first
//! occurrence is used (`zone::Zone::to_utc`).
//!
//! Every scheduled post counts itself in `slot-taken/{channel}/{minute}` for each of its
//! channels (an `increment`, given back when it is rescheduled, cancelled or unscheduled), so
//! "next free slot" skips minutes another post already uses, and two requests racing for the
//! same free slot cannot both get it: only the one whose increment returns 1 keeps it.

use serde::{Deserialize, Serialize};

use super::{
    Platform, Post, PostError, PostId, PostState, Schedule, StateName, content, due, listing,
};
use crate::clock::Timestamp;
use crate::keys;
use crate::social::{ChannelId, FieldError, LifecycleEvent};
use crate::store::{self, KvStore};
use crate::zone::{LocalDateTime, Zone};

/// How far ahead "next free slot" looks.
pub const SLOT_LOOKAHEAD_DAYS: i64 = 28;
/// Candidate instants considered, at most (bounds the batch read).
pub const MAX_SLOT_CANDIDATES: usize = 64;
pub const MAX_SLOTS_PER_CHANNEL: usize = 28;

/// The wire shape of `POST /api/posts/:id/schedule`: `{"at": "2026-03-29T10:00", "zone"?}` or
/// `{"next_free_slot": true, "zone"?}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleRequest {
    #[serde(default)]
    pub at: Option<String>,
    #[serde(default)]
    pub zone: Option<String>,
    #[serde(default)]
    pub next_free_slot: bool,
}

/// When to publish, parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    At { zone: Zone, local: LocalDateTime },
    NextFreeSlot { zone: Zone },
}

impl When {
    /// `default_zone`: the library's zone (the `library_time_zone` variable).
    pub fn parse(request: &ScheduleRequest, default_zone: Zone) -> Result<Self, PostError> {
        let zone = match request.zone.as_deref().map(str::trim) {
            None | Some("") => default_zone,
            Some(name) => Zone::parse(name).map_err(|e| PostError::field("zone", e.to_string()))?,
        };
        match (&request.at, request.next_free_slot) {
            (Some(at), false) => Ok(When::At {
                zone,
                local: LocalDateTime::parse(at).map_err(|e| PostError::field("at", e))?,
            }),
            (None, true) => Ok(When::NextFreeSlot { zone }),
            _ => Err(PostError::field(
                "at",
                "give either \"at\" (a local date and time) or \"next_free_slot\": true",
            )),
        }
    }
}

/// A weekly posting slot of a channel: a day and a local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklySlot {
    /// `mon` ... `sun`.
    pub day: Weekday,
    /// `HH:MM`.
    pub time: SlotTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Weekday {
    fn index_from_monday(self) -> u32 {
        self as u32
    }
}

/// A time of day, `HH:MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SlotTime {
    pub hour: u32,
    pub minute: u32,
}

impl TryFrom<String> for SlotTime {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        let bad = || format!("{text:?}: expected HH:MM, e.g. 10:00");
        let (h, m) = text.trim().split_once(':').ok_or_else(bad)?;
        let (hour, minute): (u32, u32) =
            (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if hour > 23 || minute > 59 || m.len() != 2 {
            return Err(bad());
        }
        Ok(SlotTime { hour, minute })
    }
}

impl From<SlotTime> for String {
    fn from(t: SlotTime) -> String {
        format!("{:02}:{:02}", t.hour, t.minute)
    }
}

/// The wire shape of `PUT /api/posts/slots/:channel`: `{"slots": [{"day": "tue", "time": "10:00"}]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeeklySlots {
    pub slots: Vec<WeeklySlot>,
}

/// Replaces a channel's weekly slots: 1 write.
pub fn set_slots(
    store: &dyn KvStore,
    channel: &ChannelId,
    mut slots: WeeklySlots,
) -> Result<WeeklySlots, PostError> {
    if slots.slots.len() > MAX_SLOTS_PER_CHANNEL {
        return Err(PostError::field(
            "slots",
            format!("at most {MAX_SLOTS_PER_CHANNEL} weekly slots"),
        ));
    }
    slots.slots.sort_by_key(|s| (s.day, s.time));
    slots.slots.dedup();
    let key = keys::post_slots(channel);
    store.set(&key, &store::to_json(&key, &slots)?)?;
    Ok(slots)
}

/// 1 read.
pub fn get_slots(store: &dyn KvStore, channel: &ChannelId) -> Result<WeeklySlots, PostError> {
    Ok(store
        .get_json(&keys::post_slots(channel))?
        .unwrap_or_default())
}

/// Gives back the slot counters a scheduled post holds (best effort: a failure only makes
/// the slot look busy).
fn release_slots(store: &dyn KvStore, post: &Post) {
    if let (PostState::Scheduled, Some(schedule)) = (&post.state, &post.schedule) {
        let minute = due::minute_of(schedule.due_at);
        for target in &post.targets {
            if let Err(e) = store.increment(&keys::slot_taken(&target.channel, minute), -1) {
                eprintln!("failed to release slot {minute} of {}: {e}", target.channel);
            }
        }
    }
}

pub(crate) fn release_after(store: &dyn KvStore, before: &Post) {
    release_slots(store, before);
}

/// After an edit of a scheduled post changed its channels: the slot counters of the channels
/// it left are given back, those of the channels it joined are taken (best effort, like
/// [`release_slots`]).
pub(crate) fn move_slots(store: &dyn KvStore, before: &Post, after: &Post) {
    let (PostState::Scheduled, Some(schedule)) = (&after.state, &after.schedule) else {
        return;
    };
    let minute = due::minute_of(schedule.due_at);
    let had = |c: &ChannelId| before.targets.iter().any(|t| t.channel == *c);
    let has = |c: &ChannelId| after.targets.iter().any(|t| t.channel == *c);
    let changes = before
        .targets
        .iter()
        .filter(|t| !has(&t.channel))
        .map(|t| (&t.channel, -1))
        .chain(
            after
                .targets
                .iter()
                .filter(|t| !had(&t.channel))
                .map(|t| (&t.channel, 1)),
        );
    for (channel, delta) in changes {
        if let Err(e) = store.increment(&keys::slot_taken(channel, minute), delta) {
            eprintln!("failed to move slot {minute} of {channel}: {e}");
        }
    }
}

/// The candidate instants of the channels' weekly slots from `now` on, earliest first.
fn candidates(slots: &[WeeklySlot], zone: Zone, now: Timestamp) -> Vec<(Timestamp, LocalDateTime)> {
    let earliest = due::next_minute(now);
    let today = zone.local(now).local;
    let mut found: Vec<(Timestamp, LocalDateTime)> = Vec::new();
    for day in 0..=SLOT_LOOKAHEAD_DAYS {
        let Some(date) = today.plus_days(day) else {
            break;
        };
        for slot in slots
            .iter()
            .filter(|s| s.day.index_from_monday() == date.weekday_from_monday())
        {
            let Some(local) = LocalDateTime::from_parts(
                date.year(),
                date.month(),
                date.day(),
                slot.time.hour,
                slot.time.minute,
            ) else {
                continue;
            };
            let at = zone.to_utc(local);
            if at >= earliest && !found.iter().any(|(t, _)| *t == at) {
                found.push((at, local));
            }
        }
    }
    found.sort();
    found.truncate(MAX_SLOT_CANDIDATES);
    found
}

/// Finds and claims the earliest weekly slot (of any of `channels`) free on all of them:
/// 1 batch read of the slots + 1 batch read of the slot counters + 1 increment per channel
/// for the slot claimed (more only when a concurrent request took it first).
fn claim_free_slot(
    store: &dyn KvStore,
    channels: &[ChannelId],
    zone: Zone,
    now: Timestamp,
) -> Result<(Timestamp, LocalDateTime), PostError> {
    let slot_keys: Vec<String> = channels.iter().map(keys::post_slots).collect();
    let mut slots: Vec<WeeklySlot> = Vec::new();
    for (key, value) in store.get_many(&slot_keys)? {
        if let Some(bytes) = value {
            let weekly: WeeklySlots = super::decode(&key, &bytes)?;
            slots.extend(weekly.slots);
        }
    }
    if slots.is_empty() {
        return Err(PostError::field(
            "next_free_slot",
            "none of the post's channels has weekly slots (PUT /api/posts/slots/:channel)",
        ));
    }
    let candidates = candidates(&slots, zone, now);
    let taken_keys: Vec<String> = candidates
        .iter()
        .flat_map(|(at, _)| {
            channels
                .iter()
                .map(|c| keys::slot_taken(c, due::minute_of(*at)))
        })
        .collect();
    let counts = store::read_counters(store, &taken_keys)?;
    for (i, (at, local)) in candidates.iter().enumerate() {
        let row = &counts[i * channels.len()..(i + 1) * channels.len()];
        if row.iter().any(|n| *n > 0) {
            continue;
        }
        let minute = due::minute_of(*at);
        let mut claimed = Vec::new();
        let mut won = true;
        for channel in channels {
            let key = keys::slot_taken(channel, minute);
            let n = store.increment(&key, 1)?;
            claimed.push(key);
            if n != 1 {
                won = false;
                break;
            }
        }
        if won {
            return Ok((*at, *local));
        }
        for key in claimed {
            store.increment(&key, -1)?;
        }
    }
    Err(PostError::field(
        "next_free_slot",
        format!("every weekly slot of the next {SLOT_LOOKAHEAD_DAYS} days is taken"),
    ))
}

/// Schedules (or reschedules) a draft, scheduled, failed or awaiting post after checking it against
/// each of its channels (422 with every problem). The due and day entries are written before
/// the post document names them (see [`due`]); when the post changed meanwhile (an edit, a
/// tick), the entries are left stale and the whole decision is made again on the new version.
/// Sends `post.scheduled`.
pub fn schedule(
    store: &dyn KvStore,
    platform: &impl Platform,
    now: Timestamp,
    id: &PostId,
    when: When,
) -> Result<Post, PostError> {
    schedule_if(store, platform, now, id, when, &Conditions::ANY)
}

/// What must hold of the very version of a post that a schedule replaces.
pub(crate) struct Conditions<'a> {
    /// The states it may be scheduled from.
    pub from: &'a [StateName],
    /// The version staff saw (an approval of what the administrator read), if any.
    pub version: Option<u64>,
    /// Refuse (as a lost race) when one of its channels asks for approval: an editor's
    /// schedule, decided on the version it swaps.
    pub without_approval: bool,
}

impl Conditions<'_> {
    /// Staff who may publish: a draft, scheduled, failed or awaiting post (scheduling an
    /// awaiting post at another time approves it at that time).
    pub const ANY: Conditions<'static> = Conditions {
        from: &[
            StateName::Draft,
            StateName::Scheduled,
            StateName::Failed,
            StateName::AwaitingApproval,
        ],
        version: None,
        without_approval: false,
    };
}

/// The outcome of [`schedule_if`] when `without_approval` refused.
pub(crate) enum Scheduled {
    Done(Box<Post>),
    NeedsApproval,
}

/// [`schedule`] under `conditions`, checked on the very version the swap replaces.
pub(crate) fn schedule_if(
    store: &dyn KvStore,
    platform: &impl Platform,
    now: Timestamp,
    id: &PostId,
    when: When,
    conditions: &Conditions<'_>,
) -> Result<Post, PostError> {
    match schedule_checked(store, platform, now, id, when, conditions)? {
        Scheduled::Done(post) => Ok(*post),
        Scheduled::NeedsApproval => Err(PostError::WrongState {
            state: "needs_approval",
            action: "scheduled without approval",
        }),
    }
}

/// [`schedule_if`], telling a refusal for approval apart.
pub(crate) fn schedule_checked(
    store: &dyn KvStore,
    platform: &impl Platform,
    now: Timestamp,
    id: &PostId,
    when: When,
    conditions: &Conditions<'_>,
) -> Result<Scheduled, PostError> {
    for _ in 0..super::CAS_ATTEMPTS {
        if let Some(outcome) = try_schedule(store, platform, now, id, when, conditions)? {
            return Ok(outcome);
        }
    }
    Err(PostError::Busy)
}

/// One attempt: `Ok(None)` when the post changed between its read and the swap.
fn try_schedule(
    store: &dyn KvStore,
    platform: &impl Platform,
    now: Timestamp,
    id: &PostId,
    when: When,
    conditions: &Conditions<'_>,
) -> Result<Option<Scheduled>, PostError> {
    let (mut post, current) = super::get_raw(store, id)?;
    let before = post.clone();
    if !conditions.from.contains(&post.state.name()) {
        return Err(PostError::WrongState {
            state: post.state.name().as_str(),
            action: "scheduled",
        });
    }
    if let Some(expected) = conditions.version
        && expected != post.version
    {
        return Err(PostError::VersionMismatch {
            expected,
            actual: post.version,
        });
    }
    if conditions.without_approval && super::approval::needs_approval(platform, &post)? {
        return Ok(Some(Scheduled::NeedsApproval));
    }
    super::tick::reset_failed(&mut post);
    let problems = content::validate_for_channels(platform, &post)?;
    if !problems.is_empty() {
        return Err(PostError::Invalid(problems));
    }
    let channels: Vec<ChannelId> = post.targets.iter().map(|t| t.channel.clone()).collect();
    let (zone, local, due_at, claimed) = match when {
        When::At { zone, local } => {
            let due_at = zone.to_utc(local);
            if due_at < due::next_minute(now) {
                return Err(PostError::Invalid(vec![FieldError::new(
                    "at",
                    format!(
                        "must be in the future: {local} in {zone} is {due_at}, it is now {now}"
                    ),
                )]));
            }
            (zone, local, due_at, false)
        }
        When::NextFreeSlot { zone } => {
            let (due_at, local) = claim_free_slot(store, &channels, zone, now)?;
            (zone, local, due_at, true)
        }
    };
    if !claimed {
        for channel in &channels {
            store.increment(&keys::slot_taken(channel, due::minute_of(due_at)), 1)?;
        }
    }
    let seq = post.schedule.as_ref().map_or(0, |s| s.seq) + 1;
    let day = zone.local(due_at).local.date();
    due::ensure_cursor(store, now)?;
    due::add(store, due_at, id, seq)?;
    listing::add_to_day(store, &day, id, seq)?;

    let mut updated = post;
    updated.state = PostState::Scheduled;
    updated.review = None;
    updated.schedule = Some(Schedule {
        zone,
        local,
        due_at,
        seq,
        day,
    });
    if !super::swap(store, &current, &mut updated, now)? {
        // Someone changed the post meanwhile: give the slot back; the entries are stale.
        for channel in &channels {
            store.increment(&keys::slot_taken(channel, due::minute_of(due_at)), -1)?;
        }
        return Ok(None);
    }
    release_slots(store, &before);
    super::notify_logged(
        platform,
        LifecycleEvent::PostScheduled {
            post_id: updated.id.to_string(),
            channel_ids: channels,
            scheduled_at: due_at,
        },
    );
    Ok(Some(Scheduled::Done(Box::new(updated))))
}
