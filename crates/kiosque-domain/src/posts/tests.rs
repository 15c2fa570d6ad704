use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};

use super::schedule::{ScheduleRequest, WeeklySlots, When};
use super::tick::{Budget, TickReport, tick};
use super::*;
use crate::FixedClock;
use crate::social::{LifecycleEvent, PublishOutcome, block_on};
use crate::store::MemoryStore;

/// A scripted stand-in for the channels area: known channels, a length rule, outcomes queued
/// per channel (default: published), and a record of every publication and event.
#[derive(Default)]
struct FakePlatform {
    max_chars: HashMap<String, usize>,
    outcomes: RefCell<HashMap<String, VecDeque<PublishOutcome>>>,
    published: RefCell<Vec<(String, String, String)>>,
    events: RefCell<Vec<LifecycleEvent>>,
    /// Runs inside `publish`, once: lets a test start an overlapping tick mid-publication.
    during_publish: RefCell<Option<Box<dyn FnOnce()>>>,
    /// Channels whose editors' posts go out without approval.
    approval_off: Vec<String>,
}

impl FakePlatform {
    fn with_channels(channels: &[(&str, usize)]) -> Self {
        FakePlatform {
            max_chars: channels.iter().map(|(c, n)| (c.to_string(), *n)).collect(),
            ..FakePlatform::default()
        }
    }

    fn queue(&self, channel: &str, outcome: PublishOutcome) {
        self.outcomes
            .borrow_mut()
            .entry(channel.to_owned())
            .or_default()
            .push_back(outcome);
    }

    fn publications(&self) -> usize {
        self.published.borrow().len()
    }

    fn event_types(&self) -> Vec<&'static str> {
        self.events
            .borrow()
            .iter()
            .map(|e| e.event_type())
            .collect()
    }
}

impl Platform for FakePlatform {
    fn validate(
        &self,
        channel: &ChannelId,
        content: &PostContent,
    ) -> Result<Option<Vec<FieldError>>, PostError> {
        let Some(max) = self.max_chars.get(channel.as_str()) else {
            return Ok(None);
        };
        let mut errors = Vec::new();
        let chars = content.text.chars().count();
        if chars > *max {
            errors.push(FieldError::new(
                "text",
                format!("{chars} characters, the limit is {max}"),
            ));
        }
        Ok(Some(errors))
    }

    async fn publish(
        &self,
        channel: &ChannelId,
        content: &PostContent,
        idempotency_key: &str,
    ) -> PublishOutcome {
        let hook = self.during_publish.borrow_mut().take();
        if let Some(hook) = hook {
            hook();
        }
        let outcome = self
            .outcomes
            .borrow_mut()
            .get_mut(channel.as_str())
            .and_then(VecDeque::pop_front)
            .unwrap_or_else(|| PublishOutcome::Published {
                platform_id: format!("{channel}-{}", self.published.borrow().len() + 1),
                url: format!("https://social.example/{channel}/{idempotency_key}"),
            });
        if let PublishOutcome::Published { .. } = outcome {
            let text = format!("{} #{}", content.text, content.hashtags.join(" #"));
            self.published.borrow_mut().push((
                channel.to_string(),
                idempotency_key.to_owned(),
                text,
            ));
        }
        outcome
    }

    fn notify(&self, event: LifecycleEvent) -> Result<(), PostError> {
        self.events.borrow_mut().push(event);
        Ok(())
    }

    fn approval_required(&self, channel: &ChannelId) -> Result<bool, PostError> {
        Ok(!self.approval_off.iter().any(|c| c == channel.as_str()))
    }
}

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

fn plus(t: Timestamp, secs: i64) -> Timestamp {
    Timestamp::from_unix_seconds(t.unix_seconds() + secs).unwrap()
}

fn request(text: &str, channels: &[&str]) -> PostRequest {
    PostRequest {
        text: text.to_owned(),
        hashtags: vec!["nuit de la lecture".to_owned()],
        channels: channels.iter().map(|c| c.to_string()).collect(),
        ..PostRequest::default()
    }
}

fn new_post(store: &MemoryStore, now: Timestamp, n: u8, text: &str) -> Post {
    let new = NewPost::parse(&request(text, &["masto", "bsky"])).unwrap();
    create(store, now, PostId::generate([n; 10]), new).unwrap()
}

fn schedule_at(
    store: &MemoryStore,
    p: &FakePlatform,
    now: Timestamp,
    id: &PostId,
    local: &str,
) -> Post {
    let when = When::parse(
        &ScheduleRequest {
            at: Some(local.to_owned()),
            zone: None,
            next_free_slot: false,
        },
        Zone::PARIS,
    )
    .unwrap();
    schedule::schedule(store, p, now, id, when).unwrap()
}

/// Ticks at `now` until the backlog is caught up (the cron calls every minute; a test that
/// jumps a day ahead needs several calls), and adds up the reports.
fn run_tick(store: &MemoryStore, p: &FakePlatform, now: Timestamp) -> TickReport {
    let mut total = TickReport::default();
    for _ in 0..100 {
        let report = block_on(tick(store, p, &FixedClock(now), Budget::default())).unwrap();
        total.buckets_read += report.buckets_read;
        total.entries_read += report.entries_read;
        total.skipped += report.skipped;
        total.claimed_elsewhere += report.claimed_elsewhere;
        total.published += report.published;
        total.retrying += report.retrying;
        total.failed += report.failed;
        total.cursor = report.cursor;
        if !report.more {
            return total;
        }
    }
    panic!("the tick never catches up");
}

fn platform() -> FakePlatform {
    FakePlatform::with_channels(&[("masto", 500), ("bsky", 300)])
}

// 2026-11-30 is a Monday; Paris is at UTC+1 then.
const NOW: &str = "2026-11-30T08:00:00Z";

#[test]
fn hashtags_are_camel_case() {
    for (raw, expected) in [
        ("nuit de la lecture", "NuitDeLaLecture"),
        ("#NuitDeLaLecture", "NuitDeLaLecture"),
        ("fête-de-la-musique", "FêteDeLaMusique"),
        ("  #prix_goncourt ", "Prix_goncourt"),
        ("2026 en lectures", "2026EnLectures"),
    ] {
        assert_eq!(Hashtag::parse(raw).unwrap().as_str(), expected, "{raw}");
    }
    for bad in ["", "#", "2026", "c'est parti", "a.b"] {
        assert!(Hashtag::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn every_problem_of_a_post_is_reported_with_its_field_path() {
    let mut bad = request("  ", &["masto", "masto", "Bad Id"]);
    bad.images = vec![
        content::ImageRequest {
            url: Some("https://img.example/a.jpg".to_owned()),
            medium: None,
            alt: None,
        },
        content::ImageRequest {
            url: Some("http://img.example/b.jpg".to_owned()),
            medium: None,
            alt: Some("ok".to_owned()),
        },
        content::ImageRequest {
            url: Some("https://img.example/c.jpg".to_owned()),
            medium: Some("abc".to_owned()),
            alt: Some("ok".to_owned()),
        },
        content::ImageRequest {
            url: None,
            medium: Some("Not An Id".to_owned()),
            alt: Some("ok".to_owned()),
        },
    ];
    bad.language = Some("french".to_owned());
    bad.hashtags = vec!["ok".to_owned(), "2026".to_owned()];
    bad.versions.insert(
        "other".to_owned(),
        content::VersionRequest {
            text: Some("x".to_owned()),
            ..Default::default()
        },
    );
    let Err(PostError::Invalid(errors)) = NewPost::parse(&bad) else {
        panic!("invalid");
    };
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "text",
            "language",
            "images[0].alt",
            "images[1].url",
            "images[2].medium",
            "images[3].medium",
            "hashtags[1]",
            "channels[1]",
            "channels[2]",
            "versions.other"
        ]
    );
    let error = PostError::Invalid(errors);
    assert_eq!(error.kind(), ErrorKind::Unprocessable);
    assert_eq!(error.field_errors().len(), 10);
}

#[test]
fn scheduling_checks_each_channel_version_and_reports_all_problems() {
    let store = MemoryStore::new();
    let p = platform();
    let now = at(NOW);
    let mut req = request(&"é".repeat(400), &["masto", "bsky", "gone"]);
    req.versions.insert(
        "masto".to_owned(),
        content::VersionRequest {
            text: Some("Court pour Mastodon".to_owned()),
            ..Default::default()
        },
    );
    let post = create(
        &store,
        now,
        PostId::generate([1; 10]),
        NewPost::parse(&req).unwrap(),
    )
    .unwrap();
    let when = When::At {
        zone: Zone::PARIS,
        local: LocalDateTime::parse("2026-12-01T10:00").unwrap(),
    };
    let Err(PostError::Invalid(errors)) = schedule::schedule(&store, &p, now, &post.id, when)
    else {
        panic!("refused");
    };
    assert_eq!(
        errors,
        vec![
            FieldError::new(
                "channels[1].text",
                "400 characters, the limit is 300 (bsky)"
            ),
            FieldError::new("channels[2]", "no channel has the id gone"),
        ]
    );
    assert_eq!(get(&store, &post.id).unwrap().state, PostState::Draft);
}

#[test]
fn a_post_goes_out_on_time_exactly_once() {
    let store = MemoryStore::new();
    let p = platform();
    let now = at(NOW);
    let post = new_post(&store, now, 1, "Ce soir, lectures à voix haute");
    let scheduled = schedule_at(&store, &p, now, &post.id, "2026-12-01T10:00");
    assert_eq!(scheduled.state, PostState::Scheduled);
    let due = at("2026-12-01T09:00:00Z");
    assert_eq!(scheduled.schedule.as_ref().unwrap().due_at, due);
    assert_eq!(p.event_types(), ["post.scheduled"]);

    // A minute early: nothing.
    let report = run_tick(&store, &p, plus(due, -60));
    assert_eq!((report.published, p.publications()), (0, 0));
    // On time: both channels, once each, with the CamelCase hashtag and stable keys.
    let report = run_tick(&store, &p, plus(due, 20));
    assert_eq!(report.published, 1, "{report:?}");
    let published = p.published.borrow().clone();
    assert_eq!(published.len(), 2);
    assert_eq!(
        published[0].1,
        format!("kiosque-{}-masto", post.id),
        "idempotency key"
    );
    assert!(
        published[0].2.ends_with("#NuitDeLaLecture"),
        "{published:?}"
    );
    let done = get(&store, &post.id).unwrap();
    assert_eq!(done.state, PostState::Published { at: plus(due, 20) });
    assert!(matches!(
        &done.targets[1].status,
        TargetStatus::Published { url, .. } if url.starts_with("https://social.example/bsky/")
    ));
    assert_eq!(
        p.event_types(),
        ["post.scheduled", "post.published", "post.published"]
    );
    // Later ticks, and the lease entry's minute, publish nothing more.
    run_tick(&store, &p, plus(due, 60));
    run_tick(&store, &p, plus(due, tick::LEASE_SECS + 120));
    assert_eq!(p.publications(), 2);
}

#[test]
fn overlapping_ticks_never_publish_twice() {
    let store = std::rc::Rc::new(MemoryStore::new());
    let p = std::rc::Rc::new(platform());
    let now = at(NOW);
    let post = new_post(&store, now, 1, "Atelier BD samedi");
    schedule_at(&store, &p, now, &post.id, "2026-12-01T10:00");
    let due = at("2026-12-01T09:00:00Z");
    // While the first tick publishes, a second tick runs on the same store.
    let second: std::rc::Rc<RefCell<Option<TickReport>>> = Default::default();
    {
        let (store, p2, second) = (store.clone(), p.clone(), second.clone());
        *p.during_publish.borrow_mut() = Some(Box::new(move || {
            *second.borrow_mut() = Some(run_tick(&store, &p2, plus(due, 30)));
        }));
    }
    let first = run_tick(&store, &p, plus(due, 10));
    let second = second.borrow().clone().unwrap();
    assert_eq!(first.published, 1);
    assert_eq!(second.published, 0, "{second:?}");
    assert_eq!(second.skipped, 1, "{second:?}");
    assert_eq!(p.publications(), 2, "one per channel");
}

#[test]
fn an_edit_and_a_claim_cannot_both_win() {
    let store = MemoryStore::new();
    let p = platform();
    let now = at(NOW);
    let post = new_post(&store, now, 1, "Première version");
    schedule_at(&store, &p, now, &post.id, "2026-12-01T10:00");
    let due = at("2026-12-01T09:00:00Z");
    // An edit before the tick: the tick publishes the edited text.
    let edited = NewPost::parse(&request("Version corrigée", &["masto", "bsky"])).unwrap();
    let post = edit(&store, &p, now, &post.id, edited.clone(), Some(2), None).unwrap();
    assert_eq!(post.state, PostState::Scheduled);
    // A stale version is refused.
    assert!(matches!(
        edit(&store, &p, now, &post.id, edited.clone(), Some(2), None),
        Err(PostError::VersionMismatch {
            expected: 2,
            actual: 3
        })
    ));
    // A scheduled post stays publishable: an edit its channels refuse changes nothing.
    let too_long = NewPost::parse(&request(&"x".repeat(400), &["masto", "bsky"])).unwrap();
    assert!(matches!(
        edit(&store, &p, now, &post.id, too_long, None, None),
        Err(PostError::Invalid(errors)) if errors[0].field == "channels[1].text"
    ));
    assert_eq!(get(&store, &post.id).unwrap().version, 3);
    // An edit while the tick publishes is refused (the tick claimed the document first).
    let conflict: std::rc::Rc<RefCell<Option<Result<Post, PostError>>>> = Default::default();
    let store = std::rc::Rc::new(store);
    {
        let (store, conflict, id, edited) = (
            store.clone(),
            conflict.clone(),
            post.id.clone(),
            edited.clone(),
        );
        *p.during_publish.borrow_mut() = Some(Box::new(move || {
            *conflict.borrow_mut() = Some(edit(
                &*store,
                &platform(),
                plus(due, 5),
                &id,
                edited,
                None,
                None,
            ));
        }));
    }
    run_tick(&store, &p, plus(due, 1));
    assert!(matches!(
        conflict.borrow().as_ref().unwrap(),
        Err(PostError::WrongState {
            state: "publishing",
            ..
        })
    ));
    assert!(p.published.borrow()[0].2.starts_with("Version corrigée"));
}

#[test]
fn transient_failures_are_retried_with_backoff_then_published_once() {
    let store = MemoryStore::new();
    let p = platform();
    let now = at(NOW);
    let post = new_post(&store, now, 1, "Concert au jardin");
    schedule_at(&store, &p, now, &post.id, "2026-12-01T10:00");
    let due = at("2026-12-01T09:00:00Z");
    p.queue(
        "bsky",
        PublishOutcome::RetryLater {
            reason: "429 too many requests".to_owned(),
            retry_after_secs: Some(300),
        },
    );
    let report = run_tick(&store, &p, due);
    assert_eq!((report.published, report.retrying), (0, 1));
    let waiting = get(&store, &post.id).unwrap();
    assert_eq!(waiting.state, PostState::Scheduled);
    assert!(matches!(
        waiting.targets[0].status,
        TargetStatus::Published { .. }
    ));
    let retry_at = waiting.schedule.as_ref().unwrap().due_at;
    // Retry-After (300 s) is honoured, and the retry is on a whole minute.
    assert!(retry_at >= plus(due, 300), "{retry_at}");
    assert_eq!(retry_at.unix_seconds() % 60, 0);
    // Before the retry time: nothing; at it: Bluesky only, with the same idempotency key.
    run_tick(&store, &p, plus(retry_at, -60));
    assert_eq!(p.publications(), 1);
    let report = run_tick(&store, &p, retry_at);
    assert_eq!(report.published, 1);
    let published = p.published.borrow().clone();
    assert_eq!(published.len(), 2);
    assert_eq!(published[1].1, format!("kiosque-{}-bsky", post.id));
    assert!(matches!(
        get(&store, &post.id).unwrap().state,
        PostState::Published { .. }
    ));
}

#[test]
fn backoff_grows_exponentially_with_jitter_and_honours_retry_after() {
    let a = PostId::generate([1; 10]);
    let b = PostId::generate([2; 10]);
    for attempt in 1..=5 {
        let exp = (60i64 << (attempt - 1)).min(3600);
        for id in [&a, &b] {
            let delay = tick::backoff_secs(id, attempt, None);
            assert!((exp / 2..=exp).contains(&delay), "{attempt}: {delay}");
        }
    }
    assert_ne!(
        (1..=5)
            .map(|n| tick::backoff_secs(&a, n, None))
            .collect::<Vec<_>>(),
        (1..=5)
            .map(|n| tick::backoff_secs(&b, n, None))
            .collect::<Vec<_>>(),
        "jitter differs per post"
    );
    assert_eq!(tick::backoff_secs(&a, 1, Some(900)), 900);
}

#[test]
fn attempts_are_bounded() {
    let store = MemoryStore::new();
    let p = FakePlatform::with_channels(&[("masto", 500)]);
    let now = at(NOW);
    let new = NewPost::parse(&request("Fermeture exceptionnelle", &["masto"])).unwrap();
    let post = create(&store, now, PostId::generate([1; 10]), new).unwrap();
    schedule_at(&store, &p, now, &post.id, "2026-12-01T10:00");
    for _ in 0..tick::MAX_ATTEMPTS {
        p.queue(
            "masto",
            PublishOutcome::RetryLater {
                reason: "503".to_owned(),
                retry_after_secs: None,
            },
        );
    }
    let mut t = at("2026-12-01T09:00:00Z");
    for _ in 0..tick::MAX_ATTEMPTS {
        let due = get(&store, &post.id).unwrap().schedule.unwrap().due_at;
        t = t.max(due);
        run_tick(&store, &p, t);
    }
    let failed = get(&store, &post.id).unwrap();
    assert_eq!(failed.attempts, tick::MAX_ATTEMPTS);
    assert!(
        matches!(&failed.state, PostState::Failed { reason } if reason.contains("gave up after 5 attempts: 503")),
        "{:?}",
        failed.state
    );
    assert_eq!(p.publications(), 0);
    assert_eq!(p.event_types().last(), Some(&"post.failed"));
}

#[test]
fn refused_and_reconnect_needed_fail_with_the_reason_and_tell_staff() {
    let store = MemoryStore::new();
    let p = platform();
    let now = at(NOW);
    let post = new_post(&store, now, 1, "Nouveautés de la semaine");
    schedule_at(&store, &p, now, &post.id, "2026-12-01T10:00");
    p.queue(
        "masto",
        PublishOutcome::NeedsReconnect {
            reason: "401 the access token is invalid".to_owned(),
        },
    );
    p.queue(
        "bsky",
        PublishOutcome::Refused {
            message: "Record/text must not be longer than 300 graphemes".to_owned(),
        },
    );
    let report = run_tick(&store, &p, at("2026-12-01T09:00:00Z"));
    assert_eq!(report.failed, 1);
    let post = get(&store, &post.id).unwrap();
    let PostState::Failed { reason } = &post.state else {
        panic!("{:?}", post.state);
    };
    assert!(
        reason.contains("masto: the channel needs reconnecting: 401"),
        "{reason}"
    );
    assert!(
        reason.contains("bsky: refused by the platform: Record/text"),
        "{reason}"
    );
    assert_eq!(
        p.event_types(),
        ["post.scheduled", "post.failed", "post.failed"]
    );
    // Staff reconnect, then publish the failed post again: both channels go out.
    let post = block_on(tick::publish_now(
        &store,
        &p,
        &FixedClock(at("2026-12-01T09:30:00Z")),
        &post.id,
        Zone::PARIS,
    ))
    .unwrap();
    assert!(
        matches!(post.state, PostState::Published { .. }),
        "{:?}",
        post.state
    );
    assert_eq!(p.publications(), 2);
}

#[test]
fn a_tick_that_died_mid_publication_is_taken_over_after_its_lease() {
    let store = MemoryStore::new();
    let p = platform();
    let now = at(NOW);
    let post = new_post(&store, now, 1, "Heure du conte");
    schedule_at(&store, &p, now, &post.id, "2026-12-01T10:00");
    let due = at("2026-12-01T09:00:00Z");
    // Simulate the crash: claim by hand (what the tick does first), never finish.
    let (mut claimed, bytes) = get_raw(&store, &post.id).unwrap();
    due::add(&store, plus(due, tick::LEASE_SECS), &post.id, 1).unwrap();
    claimed.state = PostState::Publishing {
        lease_until: plus(due, tick::LEASE_SECS),
    };
    assert!(swap(&store, &bytes, &mut claimed, due).unwrap());
    // The minute's tick skips it; once the lease ran out, a tick publishes it.
    assert_eq!(run_tick(&store, &p, plus(due, 30)).skipped, 1);
    assert_eq!(p.publications(), 0);
    let report = run_tick(&store, &p, plus(due, tick::LEASE_SECS));
    assert_eq!(report.published, 1, "{report:?}");
    assert_eq!(p.publications(), 2);
}

#[test]
fn cancelled_and_rescheduled_posts_leave_only_stale_entries() {
    let store = MemoryStore::new();
    let p = platform();
    let now = at(NOW);
    let a = new_post(&store, now, 1, "Annulé");
    let b = new_post(&store, now, 2, "Déplacé");
    schedule_at(&store, &p, now, &a.id, "2026-12-01T10:00");
    schedule_at(&store, &p, now, &b.id, "2026-12-01T10:00");
    cancel(&store, now, &a.id).unwrap();
    schedule_at(&store, &p, now, &b.id, "2026-12-01T11:00");
    let report = run_tick(&store, &p, at("2026-12-01T09:00:00Z"));
    assert_eq!((report.published, report.skipped), (0, 2));
    let report = run_tick(&store, &p, at("2026-12-01T10:00:00Z"));
    assert_eq!(report.published, 1);
    assert_eq!(get(&store, &a.id).unwrap().state, PostState::Cancelled);
    assert!(matches!(
        cancel(&store, now, &b.id),
        Err(PostError::WrongState {
            state: "published",
            ..
        })
    ));
}

#[test]
fn wall_clock_times_survive_daylight_saving_changes() {
    let store = MemoryStore::new();
    let p = platform();
    let now = at("2027-03-20T08:00:00Z");
    // 10:00 in Paris is 09:00 UTC in winter and 08:00 UTC in summer (from 28 March 2027).
    let before = new_post(&store, now, 1, "Samedi");
    let after = new_post(&store, now, 2, "Dimanche");
    let gap = new_post(&store, now, 3, "Dans le trou");
    let s1 = schedule_at(&store, &p, now, &before.id, "2027-03-27T10:00");
    let s2 = schedule_at(&store, &p, now, &after.id, "2027-03-28T10:00");
    // 02:30 does not exist on 28 March 2027 in Paris: moved to 03:30 summer time.
    let s3 = schedule_at(&store, &p, now, &gap.id, "2027-03-28T02:30");
    let due = |p: &Post| p.schedule.as_ref().unwrap().due_at;
    assert_eq!(due(&s1), at("2027-03-27T09:00:00Z"));
    assert_eq!(due(&s2), at("2027-03-28T08:00:00Z"));
    assert_eq!(due(&s3), at("2027-03-28T01:30:00Z"));
    assert_eq!(
        s2.schedule.as_ref().unwrap().local.to_string(),
        "2027-03-28T10:00"
    );
    // The tick publishes each at its instant, not an hour off.
    run_tick(&store, &p, at("2027-03-28T01:29:00Z"));
    assert_eq!(p.publications(), 2, "Saturday's post only");
    run_tick(&store, &p, at("2027-03-28T01:30:00Z"));
    assert_eq!(p.publications(), 4);
    run_tick(&store, &p, at("2027-03-28T07:59:00Z"));
    assert_eq!(p.publications(), 4);
    run_tick(&store, &p, at("2027-03-28T08:00:00Z"));
    assert_eq!(p.publications(), 6);
}

#[test]
fn scheduling_in_the_past_or_this_minute_is_refused() {
    let store = MemoryStore::new();
    let p = platform();
    let now = at("2026-12-01T09:00:30Z");
    let post = new_post(&store, now, 1, "Trop tard");
    for local in ["2026-12-01T10:00", "2026-11-30T10:00"] {
        let when = When::At {
            zone: Zone::PARIS,
            local: LocalDateTime::parse(local).unwrap(),
        };
        let Err(PostError::Invalid(errors)) = schedule::schedule(&store, &p, now, &post.id, when)
        else {
            panic!("{local} refused");
        };
        assert_eq!(errors[0].field, "at");
    }
    schedule_at(&store, &p, now, &post.id, "2026-12-01T10:01");
}

/// Schedules `n` posts due over the next weeks and measures one tick now.
fn tick_cost_with_future_posts(n: usize) -> crate::store::OpCounts {
    let store = MemoryStore::new();
    let p = platform();
    let now = at(NOW);
    due::ensure_cursor(&store, plus(now, -120)).unwrap();
    // A tick a minute ago, as the cron does, so this one reads the minute since.
    run_tick(&store, &p, plus(now, -60));
    for i in 0..n {
        let new = NewPost::parse(&request("Plus tard", &["masto"])).unwrap();
        let mut bytes = [0u8; 10];
        bytes[..8].copy_from_slice(&(i as u64).to_le_bytes());
        let post = create(&store, now, PostId::generate(bytes), new).unwrap();
        // Spread over 3 weeks, from tomorrow.
        let minute = 24 * 60 + (i % (21 * 24 * 60)) as i64;
        let local = Zone::PARIS.local(plus(now, minute * 60)).local;
        let when = When::At {
            zone: Zone::PARIS,
            local,
        };
        schedule::schedule(&store, &p, now, &post.id, when).unwrap();
    }
    store.reset_ops();
    let report = run_tick(&store, &p, now);
    assert_eq!(report.entries_read, 0);
    let tick_ops = store.ops();
    // The endpoint then sends due lifecycle webhooks (none here): its own fixed cost.
    store.reset_ops();
    let key = crate::channels::CredentialKey::from_bytes([7; 32]);
    let delivered = block_on(crate::channels::webhooks_out::deliver_due(
        &store,
        &crate::FixedClock(now),
        &key,
        &NoHttp,
        20,
    ))
    .unwrap();
    assert_eq!(delivered.attempted, 0);
    let webhook_ops = store.ops();
    eprintln!("  then webhooks_out::deliver_due with nothing queued: {webhook_ops:?}");
    assert!(webhook_ops.total() <= 2, "{webhook_ops:?}");
    tick_ops
}

/// An HTTP client for code paths that must not call out.
struct NoHttp;

impl crate::social::HttpClient for NoHttp {
    async fn send(
        &self,
        request: crate::social::HttpRequest,
    ) -> Result<crate::social::HttpResponse, crate::social::HttpFailure> {
        panic!("unexpected request to {}", request.url)
    }
}

#[test]
fn a_tick_costs_the_same_with_0_10_or_10000_future_posts() {
    let none = tick_cost_with_future_posts(0);
    let ten = tick_cost_with_future_posts(10);
    let many = tick_cost_with_future_posts(10_000);
    assert_eq!(none, ten);
    assert_eq!(none, many);
    // 1 read (cursor) + 1 batch read (the counters of the minutes since the last tick) +
    // 1 compare-and-swap (the cursor moves on).
    assert_eq!((none.get, none.get_many, none.compare_and_swap), (1, 1, 1));
    assert_eq!(none.total(), 3);
    assert_eq!(none.get_keys, 0);
    eprintln!("tick with 0 / 10 / 10,000 future posts: {none:?} / {ten:?} / {many:?}");
}

#[test]
fn a_due_tick_costs_a_bounded_number_of_operations_per_post() {
    let store = MemoryStore::new();
    let p = FakePlatform::with_channels(&[("masto", 500)]);
    let now = at(NOW);
    for n in 0..3u8 {
        let new = NewPost::parse(&request("Maintenant", &["masto"])).unwrap();
        let post = create(&store, now, PostId::generate([n; 10]), new).unwrap();
        schedule_at(&store, &p, now, &post.id, "2026-11-30T10:00");
    }
    store.reset_ops();
    let report = run_tick(&store, &p, at("2026-11-30T09:00:00Z"));
    assert_eq!(report.published, 3);
    let ops = store.ops();
    // Fixed: cursor read, counters, entries, posts (batch), cursor swap. Per post: lease
    // entry (1 increment + 1 write) + claim swap + result swap.
    assert_eq!(ops.get, 1);
    assert_eq!(ops.get_many, 3);
    assert_eq!(ops.increment, 3);
    assert_eq!(ops.set, 3);
    assert_eq!(ops.compare_and_swap, 1 + 2 * 3);
}

#[test]
fn the_budget_bounds_a_tick_and_the_backlog_is_caught_up() {
    let store = MemoryStore::new();
    let p = FakePlatform::with_channels(&[("masto", 500)]);
    let now = at(NOW);
    let mut ids = Vec::new();
    for n in 0..25u8 {
        let new = NewPost::parse(&request("Lot", &["masto"])).unwrap();
        let post = create(&store, now, PostId::generate([n; 10]), new).unwrap();
        // Five hours of posts, every 12 minutes, while the cron is down.
        let local = Zone::PARIS
            .local(plus(now, 3600 + i64::from(n) * 720))
            .local;
        schedule::schedule(
            &store,
            &p,
            now,
            &post.id,
            When::At {
                zone: Zone::PARIS,
                local,
            },
        )
        .unwrap();
        ids.push(post.id);
    }
    let later = plus(now, 8 * 3600);
    let budget = Budget {
        max_entries: 200,
        max_posts: 10,
        ..Budget::default()
    };
    let mut published = 0;
    let mut ticks = 0;
    loop {
        let report = block_on(tick(&store, &p, &FixedClock(later), budget)).unwrap();
        ticks += 1;
        assert!(
            report.published <= 10 && report.buckets_read <= 240,
            "{report:?}"
        );
        published += report.published;
        if !report.more {
            break;
        }
        assert!(ticks < 10, "catches up in a few ticks");
    }
    assert_eq!(published, 25);
    assert_eq!(p.publications(), 25);
    assert!(ticks >= 3, "{ticks}");
}

#[test]
fn next_free_slot_takes_the_earliest_weekly_slot_not_taken() {
    let store = MemoryStore::new();
    let p = platform();
    let now = at(NOW); // Monday 30 November, 09:00 in Paris
    let slots: WeeklySlots = serde_json::from_str(
        r#"{"slots": [{"day": "thu", "time": "10:00"}, {"day": "tue", "time": "10:00"}]}"#,
    )
    .unwrap();
    schedule::set_slots(&store, &ChannelId::parse("masto").unwrap(), slots).unwrap();
    let free = When::NextFreeSlot { zone: Zone::PARIS };
    let mut got = Vec::new();
    for n in 1..=3u8 {
        let post = new_post(&store, now, n, "Au prochain créneau");
        let post = schedule::schedule(&store, &p, now, &post.id, free).unwrap();
        got.push(post.schedule.unwrap().local.to_string());
    }
    assert_eq!(
        got,
        ["2026-12-01T10:00", "2026-12-03T10:00", "2026-12-08T10:00"]
    );
    // Cancelling frees the slot for the next post.
    let first = listing::page(&store, Some(StateName::Scheduled), None)
        .unwrap()
        .posts;
    let tuesday = first
        .iter()
        .find(|p| p.schedule.as_ref().unwrap().local.to_string() == "2026-12-01T10:00")
        .unwrap();
    cancel(&store, now, &tuesday.id).unwrap();
    let post = new_post(&store, now, 9, "Remplaçant");
    let post = schedule::schedule(&store, &p, now, &post.id, free).unwrap();
    assert_eq!(
        post.schedule.as_ref().unwrap().local.to_string(),
        "2026-12-01T10:00"
    );
    // Moving that post off Mastodon frees Tuesday's slot there for a Mastodon-only post.
    let bsky_only = NewPost::parse(&request("Remplaçant", &["bsky"])).unwrap();
    edit(&store, &p, now, &post.id, bsky_only, None, None).unwrap();
    let masto_only = NewPost::parse(&request("Pour Mastodon", &["masto"])).unwrap();
    let other = create(&store, now, PostId::generate([10; 10]), masto_only).unwrap();
    let other = schedule::schedule(&store, &p, now, &other.id, free).unwrap();
    assert_eq!(
        other.schedule.unwrap().local.to_string(),
        "2026-12-01T10:00"
    );
}

#[test]
fn lists_by_state_and_the_month_calendar() {
    let store = MemoryStore::new();
    let p = platform();
    let now = at(NOW);
    let a = new_post(&store, now, 1, "Décembre");
    let b = new_post(&store, now, 2, "Janvier");
    let c = new_post(&store, now, 3, "Brouillon");
    schedule_at(&store, &p, now, &a.id, "2026-12-24T18:00");
    schedule_at(&store, &p, now, &b.id, "2027-01-02T10:00");
    // Moved within December: shows once, on its new day.
    schedule_at(&store, &p, now, &a.id, "2026-12-31T23:30");
    let page = listing::page(&store, Some(StateName::Draft), None).unwrap();
    assert_eq!(
        page.posts.iter().map(|p| &p.id).collect::<Vec<_>>(),
        [&c.id]
    );
    store.reset_ops();
    let (december, truncated) =
        listing::range(&store, listing::DateRange::month("2026-12").unwrap(), None).unwrap();
    assert!(!truncated);
    assert_eq!(december.len(), 1);
    assert_eq!(december[0].schedule.as_ref().unwrap().day, "2026-12-31");
    assert_eq!(store.ops().get_many, 3);
    assert_eq!(store.ops().total(), 3);
    let range = listing::DateRange::parse("2026-12-31", "2027-01-02").unwrap();
    let (posts, _) = listing::range(&store, range, Some(StateName::Scheduled)).unwrap();
    assert_eq!(posts.len(), 2);
    assert!(listing::DateRange::parse("2026-01-01", "2026-12-31").is_err());
}

#[test]
fn csv_import_reports_bad_rows_and_stores_only_good_ones() {
    let store = MemoryStore::new();
    let p = platform();
    let now = at(NOW);
    let csv = "channels,at,text,hashtags,image_url,image_alt\r\n\
               masto bsky,2026-12-05T10:00,\"Lecture, contes et \"\"goûter\"\"\",nuit de la lecture,,\n\
               masto,2026-12-05T10:00,,,,\n\
               nowhere,2026-11-01T10:00,Ancien,,https://img.example/a.jpg,\n\
               bsky,,Brouillon importé,2026,,\n\
               masto,2026-12-06T10:00,=HYPERLINK(\"x\"),,,\n";
    let report = csv::import(&store, &p, now, csv, Zone::PARIS, None).unwrap();
    let lines: Vec<usize> = report.imported.iter().map(|r| r.line).collect();
    assert_eq!(lines, [2, 6]);
    assert_eq!(report.imported[0].state, "scheduled");
    let refused: Vec<(usize, Vec<&str>)> = report
        .refused
        .iter()
        .map(|r| (r.line, r.errors.iter().map(|e| e.field.as_str()).collect()))
        .collect();
    assert_eq!(
        refused,
        [
            (3, vec!["text"]),
            (4, vec!["at", "images[0].alt"]),
            (5, vec!["hashtags[0]"]),
        ]
    );
    let posts = listing::page(&store, None, None).unwrap().posts;
    assert_eq!(posts.len(), 2, "refused rows store nothing");
    let first = get(&store, &report.imported[0].id).unwrap();
    assert_eq!(first.content.text, "Lecture, contes et \"goûter\"");
    // The export defuses the formula and quotes what needs it.
    let exported = csv::export(&posts);
    assert!(
        exported.starts_with("id,state,channels,zone,at,"),
        "{exported}"
    );
    assert!(
        exported.contains(",\"'=HYPERLINK(\"\"x\"\")\","),
        "{exported}"
    );
    assert!(
        exported.contains("\"Lecture, contes et \"\"goûter\"\"\""),
        "{exported}"
    );
    assert!(exported.contains("Europe/Paris,2026-12-05T10:00,2026-12-05T09:00:00Z"));
    // A header problem refuses the whole file.
    assert!(matches!(
        csv::import(&store, &p, now, "text,colour\nx,y\n", Zone::PARIS, None),
        Err(PostError::Invalid(errors)) if errors.len() == 2
    ));
}

#[test]
fn publish_now_and_a_tick_cannot_both_publish() {
    let store = std::rc::Rc::new(MemoryStore::new());
    let p = std::rc::Rc::new(platform());
    let now = at(NOW);
    let post = new_post(&store, now, 1, "Spectacle de marionnettes");
    schedule_at(&store, &p, now, &post.id, "2026-12-01T10:00");
    let due = at("2026-12-01T09:00:00Z");
    let during: std::rc::Rc<RefCell<Option<Result<Post, PostError>>>> = Default::default();
    {
        let (store, p2, during, id) = (store.clone(), p.clone(), during.clone(), post.id.clone());
        *p.during_publish.borrow_mut() = Some(Box::new(move || {
            *during.borrow_mut() = Some(block_on(tick::publish_now(
                &*store,
                &*p2,
                &FixedClock(plus(due, 2)),
                &id,
                Zone::PARIS,
            )));
        }));
    }
    assert_eq!(run_tick(&store, &p, due).published, 1);
    assert!(matches!(
        during.borrow().as_ref().unwrap(),
        Err(PostError::WrongState {
            state: "publishing",
            ..
        })
    ));
    assert_eq!(p.publications(), 2, "once per channel");
    // Published posts are not published again.
    assert!(matches!(
        block_on(tick::publish_now(
            &*store,
            &*p,
            &FixedClock(plus(due, 60)),
            &post.id,
            Zone::PARIS
        )),
        Err(PostError::WrongState {
            state: "published",
            ..
        })
    ));
}

#[test]
fn a_storage_failure_mid_tick_loses_nothing_and_publishes_nothing_twice() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let failing = Arc::new(AtomicBool::new(false));
    let mut store = crate::store::FaultyStore::new();
    let flag = failing.clone();
    // The lease entry's increment is the first write of a claim.
    store.fail_increment =
        Box::new(move |key, _| flag.load(Ordering::Relaxed) && key.starts_with("due/"));
    let p = platform();
    let now = at(NOW);
    let post = new_post(&store.inner, now, 1, "Bourse aux livres");
    schedule_at(&store.inner, &p, now, &post.id, "2026-11-30T10:00");
    let due = at("2026-11-30T09:00:00Z");

    failing.store(true, Ordering::Relaxed);
    let failed = block_on(tick(&store, &p, &FixedClock(due), Budget::default()));
    assert!(matches!(failed, Err(PostError::Storage(_))), "{failed:?}");
    assert_eq!(p.publications(), 0);
    assert_eq!(
        get(&store.inner, &post.id).unwrap().state,
        PostState::Scheduled
    );

    // Once the store recovers, the next tick publishes it, once.
    failing.store(false, Ordering::Relaxed);
    let report = block_on(tick(
        &store,
        &p,
        &FixedClock(plus(due, 60)),
        Budget::default(),
    ))
    .unwrap();
    assert_eq!(report.published, 1, "{report:?}");
    assert_eq!(p.publications(), 2);

    // A store where every swap loses (another request always wins): nothing is claimed, so
    // nothing is published, and the post is still there for a later tick.
    let mut losing = crate::store::FaultyStore::new();
    losing.lose_swaps = true;
    let p = platform();
    let post = new_post(&losing.inner, now, 2, "Troc de graines");
    schedule_at(&losing.inner, &p, now, &post.id, "2026-11-30T10:00");
    let report = block_on(tick(&losing, &p, &FixedClock(due), Budget::default())).unwrap();
    assert_eq!((report.published, report.claimed_elsewhere), (0, 1));
    assert_eq!(p.publications(), 0);
    assert_eq!(
        get(&losing.inner, &post.id).unwrap().state,
        PostState::Scheduled
    );
}

/// Creates and schedules one more post after `n` others, and returns what each step cost.
fn create_and_schedule_cost(n: u8) -> (crate::store::OpCounts, crate::store::OpCounts) {
    let store = MemoryStore::new();
    let p = platform();
    let now = at(NOW);
    for i in 0..n {
        let post = new_post(&store, now, i, "Avant");
        schedule_at(&store, &p, now, &post.id, "2026-12-01T10:00");
    }
    store.reset_ops();
    let post = new_post(&store, now, 255, "Celui-ci");
    let created = store.ops();
    store.reset_ops();
    schedule_at(&store, &p, now, &post.id, "2026-12-01T10:00");
    (created, store.ops())
}

#[test]
fn creating_and_scheduling_cost_the_same_however_many_posts_exist() {
    let (create_few, schedule_few) = create_and_schedule_cost(1);
    let (create_many, schedule_many) = create_and_schedule_cost(200);
    assert_eq!(create_few, create_many);
    assert_eq!(schedule_few, schedule_many);
    // Create: 1 increment + 1 set (registry slot) + 1 CAS.
    assert_eq!(create_few.total(), 3);
    // Schedule, 2 channels (validation reads are the platform's: 1 per channel live):
    // 1 read (post) + 2 increments (slot counters) + 1 read (cursor) + 2 increments and
    // 2 sets (due and day entries) + 1 CAS.
    assert_eq!(
        (
            schedule_few.get,
            schedule_few.increment,
            schedule_few.set,
            schedule_few.compare_and_swap
        ),
        (2, 4, 2, 1)
    );
    assert_eq!(schedule_few.total(), 9);
}

#[test]
fn after_downtime_a_post_and_its_lease_entry_in_one_tick_publish_once() {
    let store = MemoryStore::new();
    let p = platform();
    let now = at(NOW);
    let post = new_post(&store, now, 1, "Ciné-club");
    schedule_at(&store, &p, now, &post.id, "2026-11-30T10:00");
    let due = at("2026-11-30T09:00:00Z");
    // A tick claimed it and died; no tick ran until well after its lease.
    let (mut claimed, bytes) = get_raw(&store, &post.id).unwrap();
    due::add(&store, plus(due, tick::LEASE_SECS), &post.id, 1).unwrap();
    claimed.state = PostState::Publishing {
        lease_until: plus(due, tick::LEASE_SECS),
    };
    assert!(swap(&store, &bytes, &mut claimed, due).unwrap());
    let report = run_tick(&store, &p, plus(due, 2 * tick::LEASE_SECS));
    assert_eq!(
        (report.published, report.skipped, report.claimed_elsewhere),
        (1, 1, 0),
        "{report:?}"
    );
    assert_eq!(p.publications(), 2);
}

#[test]
fn schedule_requests_and_query_values_are_parsed_strictly() {
    let parse = |json: &str| {
        let request: ScheduleRequest = serde_json::from_str(json).unwrap();
        When::parse(&request, Zone::PARIS)
    };
    assert_eq!(
        parse(r#"{"at": "2027-03-28 10:00"}"#).unwrap(),
        When::At {
            zone: Zone::PARIS,
            local: LocalDateTime::parse("2027-03-28T10:00").unwrap()
        }
    );
    assert!(matches!(
        parse(r#"{"next_free_slot": true, "zone": "UTC"}"#).unwrap(),
        When::NextFreeSlot { zone } if zone.name() == "UTC"
    ));
    for (bad, field) in [
        (r#"{}"#, "at"),
        (
            r#"{"at": "2027-03-28T10:00", "next_free_slot": true}"#,
            "at",
        ),
        (r#"{"at": "2027-03-28T10:00Z"}"#, "at"),
        (r#"{"at": "demain"}"#, "at"),
        (
            r#"{"at": "2027-03-28T10:00", "zone": "Mars/Olympus"}"#,
            "zone",
        ),
    ] {
        let Err(PostError::Invalid(errors)) = parse(bad) else {
            panic!("{bad} refused");
        };
        assert_eq!(errors[0].field, field, "{bad}");
    }
    for bad in ["24:00", "9:5", "10h00", "10:60", ""] {
        assert!(
            serde_json::from_str::<schedule::SlotTime>(&format!("\"{bad}\"")).is_err(),
            "{bad}"
        );
    }
    assert!(
        serde_json::from_str::<WeeklySlots>(r#"{"slots": [{"day": "mardi", "time": "10:00"}]}"#)
            .is_err()
    );
    assert!(listing::DateRange::parse("2027-02-30", "2027-03-01").is_err());
    assert!(listing::DateRange::parse("2027-03-02", "2027-03-01").is_err());
    assert_eq!(listing::DateRange::month("2027-02").unwrap().days, 28);
    assert_eq!(listing::DateRange::month("2028-02").unwrap().days, 29);
    assert!(listing::DateRange::month("2027-13").is_err());
    assert!(StateName::parse("done").is_err());
}

#[test]
fn csv_records_follow_rfc_4180() {
    let records =
        csv::parse_records("\u{feff}a,b\r\n\"x, \"\"y\"\"\",\"multi\nline\"\r\n\r\nlast,\n")
            .unwrap();
    assert_eq!(
        records,
        vec![
            (1, vec!["a".to_owned(), "b".to_owned()]),
            (2, vec!["x, \"y\"".to_owned(), "multi\nline".to_owned()]),
            (5, vec!["last".to_owned(), String::new()]),
        ]
    );
    assert!(
        csv::parse_records("a\n\"open")
            .unwrap_err()
            .contains("line 2")
    );
    for (text, expected) in [
        ("plain", "plain"),
        ("=1+1", "'=1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-2", "'-2"),
        ("a;b", "\"a;b\""),
    ] {
        assert_eq!(crate::csv::field(text), expected);
    }
}

fn schedule_request(local: &str) -> (ScheduleRequest, When) {
    let request = ScheduleRequest {
        at: Some(local.to_owned()),
        zone: None,
        next_free_slot: false,
    };
    let when = When::parse(&request, Zone::PARIS).unwrap();
    (request, when)
}

#[test]
fn an_editors_post_goes_out_only_once_an_administrator_approved_it() {
    let store = MemoryStore::new();
    let p = platform();
    let now = at(NOW);
    let post = new_post(&store, now, 1, "Rencontre avec l'autrice samedi");
    let (request, when) = schedule_request("2026-11-30T10:00");
    let waiting =
        approval::schedule_or_submit(&store, &p, now, &post.id, &request, when, "Anne").unwrap();
    assert_eq!(waiting.state.name(), StateName::AwaitingApproval);
    assert!(waiting.schedule.is_none());

    // Due time passes: nothing goes out while it waits.
    let report = run_tick(&store, &p, at("2026-11-30T09:05:00Z"));
    assert_eq!(report.published, 0);
    assert_eq!(p.publications(), 0);

    // Sent back with a comment: a draft again, the comment kept for the editor.
    let back = approval::send_back(&store, now, &post.id, "Chloé", "Ajoute l'heure").unwrap();
    assert_eq!(back.state, PostState::Draft);
    assert_eq!(back.review.as_ref().unwrap().comment, "Ajoute l'heure");
    assert!(matches!(
        approval::approve(&store, &p, now, &post.id, None, Zone::PARIS),
        Err(PostError::WrongState { .. })
    ));
    assert!(matches!(
        approval::send_back(&store, now, &post.id, "Chloé", "  "),
        Err(PostError::Invalid(_))
    ));

    // Submitted again, approved: scheduled at the time the editor asked, then published.
    let (request, when) = schedule_request("2026-11-30T11:00");
    let read =
        approval::schedule_or_submit(&store, &p, now, &post.id, &request, when, "Anne").unwrap();
    // The editor changes the text after the administrator read it: approving what was read
    // is refused.
    let changed = NewPost::parse(&request_text("Rencontre avec l'autrice samedi à 15 h")).unwrap();
    edit(&store, &p, now, &post.id, changed, None, Some("Anne")).unwrap();
    assert!(matches!(
        approval::approve(&store, &p, now, &post.id, Some(read.version), Zone::PARIS),
        Err(PostError::VersionMismatch { .. })
    ));
    let current = get(&store, &post.id).unwrap();
    let approved = approval::approve(
        &store,
        &p,
        now,
        &post.id,
        Some(current.version),
        Zone::PARIS,
    )
    .unwrap();
    assert_eq!(approved.state, PostState::Scheduled);
    assert_eq!(
        approved.schedule.as_ref().unwrap().local.to_string(),
        "2026-11-30T11:00"
    );
    assert!(approved.review.is_none());
    assert_eq!(
        run_tick(&store, &p, at("2026-11-30T10:01:00Z")).published,
        1
    );
}

#[test]
fn an_editors_change_to_an_approved_post_needs_approval_again() {
    let store = MemoryStore::new();
    let p = platform();
    let now = at(NOW);
    let post = new_post(&store, now, 2, "Heure du conte");
    let (request, when) = schedule_request("2026-11-30T10:00");
    approval::schedule_or_submit(&store, &p, now, &post.id, &request, when, "Anne").unwrap();
    approval::approve(&store, &p, now, &post.id, None, Zone::PARIS).unwrap();

    let changed = NewPost::parse(&request_text("Heure du conte, 3 à 6 ans")).unwrap();
    let edited = edit(&store, &p, now, &post.id, changed, None, Some("Anne")).unwrap();
    let PostState::AwaitingApproval {
        requested,
        submitted_by,
    } = &edited.state
    else {
        panic!("expected awaiting approval, got {:?}", edited.state);
    };
    assert_eq!(submitted_by, "Anne");
    assert_eq!(requested.at.as_deref(), Some("2026-11-30T10:00"));
    assert_eq!(
        run_tick(&store, &p, at("2026-11-30T09:01:00Z")).published,
        0
    );

    // Approving once the asked time has passed is refused on `at`; the post keeps waiting.
    let late = approval::approve(
        &store,
        &p,
        at("2026-11-30T09:02:00Z"),
        &post.id,
        None,
        Zone::PARIS,
    );
    let Err(PostError::Invalid(problems)) = late else {
        panic!("expected a 422, got {late:?}");
    };
    assert_eq!(problems[0].field, "at");
    let post = get(&store, &post.id).unwrap();
    assert_eq!(post.state.name(), StateName::AwaitingApproval);

    // An administrator's own edit of a scheduled post keeps it scheduled.
    let other = new_post(&store, now, 5, "Club lecture");
    let (request, when) = schedule_request("2026-11-30T12:00");
    approval::schedule_or_submit(&store, &p, now, &other.id, &request, when, "Anne").unwrap();
    approval::approve(&store, &p, now, &other.id, None, Zone::PARIS).unwrap();
    let changed = NewPost::parse(&request_text("Club lecture, salle 2")).unwrap();
    let edited = edit(&store, &p, now, &other.id, changed, None, None).unwrap();
    assert_eq!(edited.state, PostState::Scheduled);
    assert_eq!(
        run_tick(&store, &p, at("2026-11-30T11:01:00Z")).published,
        1
    );
}

#[test]
fn channels_without_approval_schedule_an_editors_post_at_once() {
    let store = MemoryStore::new();
    let p = FakePlatform {
        approval_off: vec!["masto".to_owned(), "bsky".to_owned()],
        ..platform()
    };
    let now = at(NOW);
    let post = new_post(&store, now, 3, "Atelier numérique");
    let (request, when) = schedule_request("2026-11-30T10:00");
    let scheduled =
        approval::schedule_or_submit(&store, &p, now, &post.id, &request, when, "Anne").unwrap();
    assert_eq!(scheduled.state, PostState::Scheduled);

    // One channel that asks for approval is enough to wait for it.
    let p = FakePlatform {
        approval_off: vec!["masto".to_owned()],
        ..platform()
    };
    let post = new_post(&store, now, 4, "Atelier numérique 2");
    let waiting =
        approval::schedule_or_submit(&store, &p, now, &post.id, &request, when, "Anne").unwrap();
    assert_eq!(waiting.state.name(), StateName::AwaitingApproval);
}

fn request_text(text: &str) -> PostRequest {
    request(text, &["masto", "bsky"])
}

#[test]
fn an_editors_csv_import_waits_for_approval_too() {
    let store = MemoryStore::new();
    let p = platform();
    let now = at(NOW);
    let csv = "channels,at,text\nmasto,2026-12-05T10:00,Importé par une éditrice\n";
    let report = csv::import(&store, &p, now, csv, Zone::PARIS, Some("Anne")).unwrap();
    assert_eq!(report.imported[0].state, "awaiting_approval");
    let post = get(&store, &report.imported[0].id).unwrap();
    assert!(post.schedule.is_none());
    assert_eq!(
        run_tick(&store, &p, at("2026-12-05T09:01:00Z")).published,
        0
    );
}

#[test]
fn extreme_schedule_dates_are_field_errors_not_panics() {
    for raw in [
        "+262143-12-31T23:00",
        "-262144-01-01T00:00",
        "10000-01-01T00:00",
    ] {
        let request: ScheduleRequest =
            serde_json::from_value(serde_json::json!({"at": raw, "zone": "Pacific/Tahiti"}))
                .unwrap();
        let error = When::parse(&request, Zone::PARIS).unwrap_err().to_string();
        assert!(
            error.contains("at") && error.contains("1970"),
            "{raw}: {error}"
        );
    }
    // The registry's ranges and the calendar's month: 400s naming the field, no overflow.
    for (from, to, field) in [
        ("+262143-12-01", "+262143-12-31", "from"),
        ("2026-12-01", "+262143-12-31", "to"),
        ("-262144-01-01", "2026-01-01", "from"),
    ] {
        let error = listing::DateRange::parse(from, to).unwrap_err().to_string();
        assert!(
            error.contains(&format!("{field}: ")) && error.contains("1970"),
            "{error}"
        );
    }
    for month in ["+262143-12", "-262144-01", "10000-01"] {
        let error = listing::DateRange::month(month).unwrap_err().to_string();
        assert!(
            error.contains("month: ") && error.contains("1970"),
            "{month}: {error}"
        );
    }
}

/// A clock a test moves by hand (a platform double advances it to play a slow call).
struct ManualClock(std::cell::Cell<Timestamp>);

impl crate::Clock for ManualClock {
    fn now(&self) -> Timestamp {
        self.0.get()
    }
}

#[test]
fn a_retry_after_a_slow_publication_is_not_filed_behind_an_overlapping_ticks_cursor() {
    let store = std::rc::Rc::new(MemoryStore::new());
    let p = std::rc::Rc::new(platform());
    let now = at(NOW);
    let post = new_post(&store, now, 1, "Heure du conte");
    schedule_at(&store, &p, now, &post.id, "2026-11-30T10:00");
    let due = at("2026-11-30T09:00:00Z");
    let clock = std::rc::Rc::new(ManualClock(std::cell::Cell::new(due)));
    // The first publication takes three minutes; meanwhile the cron's next tick runs whole
    // (and moves the cursor to its minute); then the platform answers "retry later".
    p.queue(
        "masto",
        PublishOutcome::RetryLater {
            reason: "503".to_owned(),
            retry_after_secs: None,
        },
    );
    {
        let (store, p2, clock) = (store.clone(), p.clone(), clock.clone());
        *p.during_publish.borrow_mut() = Some(Box::new(move || {
            let later = plus(due, 180);
            let report = block_on(tick(&*store, &*p2, &FixedClock(later), Budget::default()));
            assert_eq!(
                report.unwrap().cursor.unwrap().bucket,
                due::minute_of(later)
            );
            clock.0.set(later);
        }));
    }
    let report = block_on(tick(&*store, &*p, &*clock, Budget::default())).unwrap();
    assert_eq!(report.retrying, 1, "{report:?}");
    for minutes in [4, 15, 60] {
        run_tick(&store, &p, plus(due, minutes * 60));
    }
    let post = get(&*store, &post.id).unwrap();
    assert!(
        matches!(post.state, PostState::Published { .. }),
        "{:?}",
        post.state
    );
    assert_eq!(p.publications(), 2, "once per channel");
}

#[test]
fn a_tick_between_the_due_entry_and_the_post_swap_does_not_skip_the_post() {
    let store = crate::store::FaultyStore::new();
    let memory = &store.inner;
    let p = platform();
    let now = plus(at(NOW), 30);
    let post = new_post(memory, now, 1, "Atelier tricot");
    // Due at 08:01Z; the request started at 08:00:30 and is slow between its due entry and
    // its swap of the post: the cron's 08:01 tick runs right then.
    let due = at("2026-11-30T08:01:00Z");
    let during = std::rc::Rc::new(RefCell::new(None));
    {
        let during = during.clone();
        let p2 = platform();
        store.interleave(
            crate::store::StoreOp::CompareAndSwap,
            "post/",
            move |memory| {
                let report = block_on(tick(memory, &p2, &FixedClock(due), Budget::default()));
                *during.borrow_mut() = Some(report.unwrap());
            },
        );
    }
    let when = When::At {
        zone: Zone::PARIS,
        local: Zone::PARIS.local(due).local,
    };
    schedule::schedule(&store, &p, now, &post.id, when).unwrap();
    let during = during.borrow_mut().take().unwrap();
    assert_eq!(
        (during.entries_read, during.published),
        (1, 0),
        "{during:?}"
    );
    for minutes in [1, 10, 60] {
        run_tick(memory, &p, plus(due, minutes * 60));
    }
    let post = get(memory, &post.id).unwrap();
    assert!(
        matches!(post.state, PostState::Published { .. }),
        "{:?}",
        post.state
    );
    assert_eq!(p.publications(), 2, "once per channel");
}

#[test]
fn a_slot_reserved_but_not_yet_written_is_read_again_by_the_next_tick() {
    let store = MemoryStore::new();
    let p = platform();
    let now = at(NOW);
    let post = new_post(&store, now, 1, "Club lecture");
    schedule_at(&store, &p, now, &post.id, "2026-11-30T10:00");
    let due = at("2026-11-30T09:00:00Z");
    // A writer reserved slot 2 of the same minute and has not written it yet.
    store
        .increment(&keys::due_bucket_seq(due::minute_of(due)), 1)
        .unwrap();
    let report = block_on(tick(&store, &p, &FixedClock(due), Budget::default())).unwrap();
    assert_eq!((report.published, report.waiting), (1, 1), "{report:?}");
    let waiting_at = report.cursor.unwrap();
    assert_eq!(
        (waiting_at.bucket, waiting_at.slot),
        (due::minute_of(due), 1)
    );
    // Past the grace period, the slot is a writer that died: passed.
    let later = plus(due, due::IN_FLIGHT_GRACE_SECS);
    let report = block_on(tick(&store, &p, &FixedClock(later), Budget::default())).unwrap();
    assert_eq!(report.waiting, 0, "{report:?}");
    assert!(report.cursor.unwrap() > waiting_at);
}

#[test]
fn an_unreadable_due_entry_or_post_is_set_aside_and_the_tick_goes_on() {
    let store = MemoryStore::new();
    let p = platform();
    let now = at(NOW);
    let broken = new_post(&store, now, 1, "Illisible");
    let fine = new_post(&store, now, 2, "Lisible");
    let later = new_post(&store, now, 3, "Plus tard");
    schedule_at(&store, &p, now, &broken.id, "2026-11-30T10:00");
    schedule_at(&store, &p, now, &fine.id, "2026-11-30T10:00");
    schedule_at(&store, &p, now, &later.id, "2026-11-30T10:05");
    let due = at("2026-11-30T09:00:00Z");
    let minute = due::minute_of(due);
    // Slot 1 names `broken`, slot 2 `fine`; a third slot holds garbage.
    store.set(&keys::post(&broken.id), b"{not json").unwrap();
    due::add(&store, due, &fine.id, 1).unwrap();
    store
        .set(&keys::due_entry(minute, 3), b"\x00garbage")
        .unwrap();

    let report = block_on(tick(&store, &p, &FixedClock(due), Budget::default())).unwrap();
    assert_eq!(report.published, 1, "{report:?}");
    let keys: Vec<&str> = report.quarantined.iter().map(|q| q.key.as_str()).collect();
    assert_eq!(
        keys,
        [keys::post(&broken.id), keys::due_entry(minute, 3)],
        "{report:?}"
    );
    assert!(report.quarantined.iter().all(|q| !q.reason.is_empty()));
    assert_eq!(report.cursor.unwrap().bucket, minute, "the cursor moved on");
    // Later ticks are not stopped by them.
    let report = run_tick(&store, &p, plus(due, 5 * 60));
    assert_eq!(report.published, 1, "{report:?}");
    assert!(matches!(
        get(&store, &later.id).unwrap().state,
        PostState::Published { .. }
    ));
}

/// A platform whose every publication takes `secs` on the tick's clock.
struct SlowPlatform {
    inner: FakePlatform,
    clock: std::rc::Rc<ManualClock>,
    secs: i64,
}

impl Platform for SlowPlatform {
    fn validate(
        &self,
        channel: &ChannelId,
        content: &PostContent,
    ) -> Result<Option<Vec<FieldError>>, PostError> {
        self.inner.validate(channel, content)
    }
    async fn publish(
        &self,
        channel: &ChannelId,
        content: &PostContent,
        idempotency_key: &str,
    ) -> PublishOutcome {
        self.clock.0.set(plus(self.clock.0.get(), self.secs));
        self.inner.publish(channel, content, idempotency_key).await
    }
    fn notify(&self, event: LifecycleEvent) -> Result<(), PostError> {
        self.inner.notify(event)
    }
    fn approval_required(&self, channel: &ChannelId) -> Result<bool, PostError> {
        self.inner.approval_required(channel)
    }
}

#[test]
fn a_tick_stops_claiming_posts_once_its_time_budget_is_spent() {
    let store = MemoryStore::new();
    let now = at(NOW);
    let due = at("2026-11-30T09:00:00Z");
    let clock = std::rc::Rc::new(ManualClock(std::cell::Cell::new(due)));
    // Each channel takes 50 s: 100 s a post (two channels).
    let p = SlowPlatform {
        inner: platform(),
        clock: clock.clone(),
        secs: 50,
    };
    for n in 1..=5 {
        let post = new_post(&store, now, n, "Lent");
        schedule_at(&store, &p.inner, now, &post.id, "2026-11-30T10:00");
    }
    let report = block_on(tick(&store, &p, &*clock, Budget::default())).unwrap();
    // Claims at 0, 100 and 200 s would pass the 180 s budget: two posts, then it stops.
    assert_eq!((report.published, report.more), (2, true), "{report:?}");
    let elapsed = clock.0.get().unix_seconds() - due.unix_seconds();
    assert!(elapsed < tick::LEASE_SECS / 2, "{elapsed}");
    // The next ticks publish the rest, each within its budget.
    let mut published = report.published;
    for _ in 0..5 {
        let report = block_on(tick(&store, &p, &*clock, Budget::default())).unwrap();
        assert!(report.published <= 2, "{report:?}");
        published += report.published;
    }
    assert_eq!(published, 5);
    assert_eq!(p.inner.publications(), 10, "once per channel");
}

#[test]
fn a_csv_import_that_fails_at_any_write_is_completed_by_importing_the_file_again() {
    let csv = "channels,at,text\n\
               masto,2026-12-05T10:00,Heure du conte\n\
               bsky,,Brouillon importé\n\
               masto bsky,2026-12-06T10:00,Club de lecture\n";
    let now = at(NOW);
    crate::claims::at_every_write(
        || (crate::store::FaultyStore::new(), ()),
        |store, _| {
            let _ = csv::import(store, &platform(), now, csv, Zone::PARIS, None);
        },
        |store, _, crash| {
            // Staff sees the error and imports the same file again.
            let report = csv::import(store, &platform(), now, csv, Zone::PARIS, None)
                .unwrap_or_else(|e| panic!("crash {crash}: the retry failed: {e:?}"));
            assert_eq!(report.imported.len(), 3, "crash {crash}: {report:?}");
            let posts = listing::page(store, None, None).unwrap().posts;
            let mut texts: Vec<(&str, &str)> = posts
                .iter()
                .map(|p| (p.content.text.as_str(), p.state.name().as_str()))
                .collect();
            texts.sort();
            assert_eq!(
                texts,
                [
                    ("Brouillon importé", "draft"),
                    ("Club de lecture", "scheduled"),
                    ("Heure du conte", "scheduled"),
                ],
                "crash {crash}: each row once, as the file says"
            );
        },
    );
    // Another file, or the same text on another line, makes other posts.
    let store = MemoryStore::new();
    let first = csv::import(&store, &platform(), now, csv, Zone::PARIS, None).unwrap();
    let shifted = csv.replacen('\n', "\nbsky,,Ajout\n", 1);
    let second = csv::import(&store, &platform(), now, &shifted, Zone::PARIS, None).unwrap();
    assert_eq!(second.imported.len(), 4);
    assert!(
        second
            .imported
            .iter()
            .all(|row| first.imported.iter().all(|f| f.id != row.id))
    );
    assert_eq!(listing::page(&store, None, None).unwrap().posts.len(), 7);
}

/// The scale the performance issue names: 10,000 posts due at once (the cron was down for
/// three hours), spread over 100 channels (two each) and 200 campaigns. Every tick stays
/// within its budget and a fixed number of store operations, whatever the backlog, and the
/// backlog is caught up with each post published once per channel. The figures (ticks
/// needed, operations per tick, native time) are printed for the performance notes.
#[test]
fn a_backlog_of_10000_due_posts_is_caught_up_in_bounded_ticks() {
    const POSTS: usize = 10_000;
    const CHANNELS: usize = 100;
    const CAMPAIGNS: usize = 200;
    let store = MemoryStore::new();
    let names: Vec<String> = (0..CHANNELS).map(|c| format!("chan{c}")).collect();
    let limits: Vec<(&str, usize)> = names.iter().map(|n| (n.as_str(), 500)).collect();
    let p = FakePlatform::with_channels(&limits);
    let now = at(NOW);
    let campaigns: Vec<String> = (0..CAMPAIGNS)
        .map(|n| {
            let request: crate::campaigns::CampaignRequest =
                serde_json::from_value(serde_json::json!({
                    "name": format!("Campagne {n}"),
                    "starts_on": "2026-11-01",
                    "ends_on": "2026-12-31",
                    "hashtags": [format!("campagne{n}")],
                }))
                .unwrap();
            let mut id = [0u8; 10];
            id[..8].copy_from_slice(&(n as u64).to_le_bytes());
            id[9] = 0xca;
            crate::campaigns::create(
                &store,
                &FixedClock(now),
                crate::campaigns::CampaignId::generate(id),
                crate::campaigns::NewCampaign::parse(request).unwrap(),
            )
            .unwrap()
            .id
            .to_string()
        })
        .collect();
    due::ensure_cursor(&store, now).unwrap();
    for i in 0..POSTS {
        let mut request = request(
            &format!("Rendez-vous n° {i}"),
            &[&names[i % CHANNELS], &names[(i + 1) % CHANNELS]],
        );
        request.campaign = Some(campaigns[i % CAMPAIGNS].clone());
        let new = NewPost::parse(&request).unwrap();
        let mut id = [0u8; 10];
        id[..8].copy_from_slice(&(i as u64).to_le_bytes());
        let post = create(&store, now, PostId::generate(id), new).unwrap();
        // Due over the three hours from 10:00 to 13:00 in Paris.
        let local = Zone::PARIS
            .local(plus(now, 3600 + (i % 180) as i64 * 60))
            .local;
        let when = When::At {
            zone: Zone::PARIS,
            local,
        };
        schedule::schedule(&store, &p, now, &post.id, when).unwrap();
    }

    // The cron comes back at 13:30 and calls every minute.
    let mut clock = plus(now, 5 * 3600 + 30 * 60);
    let (mut ticks, mut published, mut most_ops) = (0usize, 0usize, 0u64);
    let started = std::time::Instant::now();
    loop {
        store.reset_ops();
        let report = block_on(tick(&store, &p, &FixedClock(clock), Budget::default())).unwrap();
        let ops = store.ops();
        ticks += 1;
        published += report.published;
        most_ops = most_ops.max(ops.total());
        assert!(
            report.published <= Budget::default().max_posts,
            "{report:?}"
        );
        assert!(
            report.entries_read <= Budget::default().max_entries,
            "{report:?}"
        );
        // Fixed reads (cursor, counters, entries, posts) and the cursor's swap, then per post
        // its lease entry (2), claim, result (see `a_due_tick_costs_a_bounded_number_...`)
        // and one increment per channel releasing its weekly-slot count (2 channels here).
        assert!(ops.total() <= 5 + 6 * 10, "tick {ticks}: {ops:?}");
        assert_eq!(ops.get_keys, 0);
        if !report.more {
            break;
        }
        assert!(ticks <= POSTS, "the backlog never drains");
        clock = plus(clock, 60);
    }
    assert_eq!(published, POSTS);
    let publications = p.published.borrow();
    assert_eq!(publications.len(), 2 * POSTS);
    let distinct: std::collections::HashSet<(&String, &String)> =
        publications.iter().map(|(c, k, _)| (c, k)).collect();
    assert_eq!(
        distinct.len(),
        2 * POSTS,
        "one publication per post and channel"
    );
    eprintln!(
        "10,000 due posts, {CHANNELS} channels, {CAMPAIGNS} campaigns: caught up in {ticks} ticks \
         ({} min at one cron call a minute), at most {most_ops} store operations per tick, \
         {:.2} ms per tick natively on the in-memory store",
        ticks,
        started.elapsed().as_secs_f64() * 1000.0 / ticks as f64
    );
}
