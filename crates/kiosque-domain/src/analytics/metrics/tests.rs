use super::fetch::{FetchBudget, Fetched, MetricsReport};
use super::schedule::{self, Cursor};
use super::*;
use crate::channels::{self, ChannelRandom, CredentialKey, NewChannel};
use crate::clock::FixedClock;
use crate::posts::{PostState, Target};
use crate::social::testing::{ScriptedHttp, json};
use crate::social::{HttpFailure, PostContent, block_on};
use crate::store::MemoryStore;

/// 2026-11-19T00:00:00Z, a whole hour.
const T0: i64 = 1_795_046_400;

fn at(secs: i64) -> Timestamp {
    Timestamp::from_unix_seconds(secs).unwrap()
}

fn t0() -> Timestamp {
    at(T0)
}

fn hours(h: i64) -> Timestamp {
    at(T0 + h * 3600)
}

fn key() -> CredentialKey {
    CredentialKey::from_bytes([7; 32])
}

fn channel(store: &MemoryStore, kind: &str, n: u8) -> ChannelId {
    let mut request =
        serde_json::json!({"kind": kind, "name": "Bib", "url": "https://social.example"});
    match kind {
        "mastodon" | "facebook" | "instagram" => request["access_token"] = "token-1234".into(),
        "bluesky" => {
            request["app_password"] = "app-pass-word".into();
            request["handle"] = "bib.bsky.social".into();
        }
        _ => {}
    }
    if matches!(kind, "facebook" | "instagram") {
        request["account_id"] = "1234".into();
    }
    let new = NewChannel::parse(serde_json::from_value(request).unwrap()).unwrap();
    let random = ChannelRandom {
        id: [n; 10],
        nonce: [n; 12],
        secret: [n; 24],
    };
    channels::create(store, &key(), t0(), random, new)
        .unwrap()
        .0
        .id
}

fn post(n: usize, channels: &[&ChannelId], campaign: Option<&str>) -> Post {
    Post {
        id: PostId::parse(&format!("p{n}")).unwrap(),
        version: 2,
        state: PostState::Published { at: t0() },
        content: PostContent {
            text: format!("Nuit de la lecture {n} : venez nombreux à la médiathèque"),
            ..PostContent::default()
        },
        hashtags: Vec::new(),
        campaign: campaign.map(str::to_owned),
        campaign_hashtags: Vec::new(),
        targets: channels
            .iter()
            .map(|c| Target {
                channel: (*c).clone(),
                version: None,
                status: TargetStatus::Published {
                    platform_id: "1".into(),
                    url: "https://social.example/@bib/1".into(),
                    at: t0(),
                },
            })
            .collect(),
        schedule: None,
        attempts: 1,
        created_at: t0(),
        updated_at: t0(),
        registry_slot: 1,
        review: None,
    }
}

fn record(store: &MemoryStore, post: &Post, channel: &ChannelId) -> PostMetrics {
    let store: &dyn KvStore = store;
    store
        .get_json(&keys::post_metrics(&post.id, channel))
        .unwrap()
        .unwrap()
}

/// Follows `post` on `channel` from T0, as the posts tick does once it is published there
/// (`platform_id`: the post's id on the network).
fn follow(
    store: &MemoryStore,
    post: &Post,
    channel: &ChannelId,
    kind: ChannelKind,
    platform_id: &str,
) {
    let url = format!("https://social.example/{platform_id}");
    track(store, t0(), post, channel, kind, platform_id, &url).unwrap();
}

/// A post published at T0 on a Mastodon channel and followed (status `111`), and the fake
/// network the tests script.
struct OnePost {
    store: MemoryStore,
    mastodon: ChannelId,
    post: Post,
    http: ScriptedHttp,
}

fn mastodon_post() -> OnePost {
    let store = MemoryStore::new();
    let mastodon = channel(&store, "mastodon", 1);
    let post = post(1, &[&mastodon], None);
    follow(&store, &post, &mastodon, ChannelKind::Mastodon, "111");
    OnePost {
        store,
        mastodon,
        post,
        http: ScriptedHttp::new(),
    }
}

/// A post published at T0 on a Facebook Page (Graph id `1234_987`) and an Instagram account
/// (media `555`), followed on both, and the fake Graph API the tests script.
struct MetaPost {
    store: MemoryStore,
    facebook: ChannelId,
    instagram: ChannelId,
    post: Post,
    http: ScriptedHttp,
}

fn meta_post() -> MetaPost {
    let store = MemoryStore::new();
    let facebook = channel(&store, "facebook", 3);
    let instagram = channel(&store, "instagram", 4);
    let post = post(1, &[&facebook, &instagram], None);
    follow(&store, &post, &facebook, ChannelKind::Facebook, "1234_987");
    follow(&store, &post, &instagram, ChannelKind::Instagram, "555");
    MetaPost {
        store,
        facebook,
        instagram,
        post,
        http: ScriptedHttp::new(),
    }
}

fn tick_at(store: &MemoryStore, http: &ScriptedHttp, now: Timestamp) -> MetricsReport {
    tick_with(store, http, now, FetchBudget::default())
}

fn tick_with(
    store: &MemoryStore,
    http: &ScriptedHttp,
    now: Timestamp,
    budget: FetchBudget,
) -> MetricsReport {
    block_on(fetch::fetch_due(
        store,
        &FixedClock(now),
        &key(),
        http,
        budget,
    ))
    .unwrap()
}

fn status(likes: u64, boosts: u64) -> serde_json::Value {
    serde_json::json!({"id": "1", "favourites_count": likes, "reblogs_count": boosts,
        "replies_count": 2, "quotes_count": 1})
}

#[test]
fn steps_fall_in_the_first_whole_hour_at_or_after_their_time() {
    assert_eq!(schedule::bucket_of(t0()), T0 / 3600);
    assert_eq!(schedule::bucket_of(at(T0 + 1)), T0 / 3600 + 1);
    assert_eq!(schedule::bucket_of(at(T0 + 3599)), T0 / 3600 + 1);
    assert_eq!(schedule::step_after(1), Some(6));
    assert_eq!(schedule::step_after(168), Some(720));
    assert_eq!(schedule::step_after(720), None);
    // A step already past is filed an hour after the clock, never behind it.
    assert_eq!(schedule::due_at(t0(), 6, hours(2)), hours(6));
    assert_eq!(schedule::due_at(t0(), 6, hours(10)), hours(11));
}

#[test]
fn excerpts_are_cut_on_a_character_boundary() {
    let text = "é".repeat(150);
    let cut = excerpt(&text);
    assert_eq!(cut.chars().count(), EXCERPT_CHARS + 1);
    assert!(cut.ends_with('…'));
    assert_eq!(excerpt("  court\n texte "), "court texte");
}

#[test]
fn tracking_writes_the_record_its_indexes_and_the_first_fetch() {
    let store = MemoryStore::new();
    let mastodon = channel(&store, "mastodon", 1);
    let hook = channel(&store, "webhook", 2);
    let post = post(1, &[&mastodon, &hook], Some("camp1"));
    track(
        &store,
        t0(),
        &post,
        &mastodon,
        ChannelKind::Mastodon,
        "111",
        "https://m/1",
    )
    .unwrap();
    track(
        &store,
        t0(),
        &post,
        &hook,
        ChannelKind::Webhook,
        "x",
        "https://h",
    )
    .unwrap();

    let found = record(&store, &post, &mastodon);
    assert_eq!(found.state, FetchState::Active);
    assert_eq!(found.platform_id, "111");
    assert_eq!(found.campaign.as_ref().map(|c| c.as_str()), Some("camp1"));
    assert!(found.history.is_empty());
    assert_eq!(
        found.next,
        Some(NextFetch {
            after_hours: 1,
            attempt: 0,
            due_at: hours(1)
        })
    );
    // Webhook channels have no figures: no record.
    assert!(
        store
            .get(&keys::post_metrics(&post.id, &hook))
            .unwrap()
            .is_none()
    );
    // The first fetch sits in the bucket of hour T0 + 1.
    let entry: schedule::Entry = (&store as &dyn KvStore)
        .get_json(&keys::metrics_due_entry(T0 / 3600 + 1, 1))
        .unwrap()
        .unwrap();
    assert_eq!((entry.after_hours, entry.attempt), (1, 0));

    assert_eq!(for_post(&store, &post).unwrap(), vec![found.clone()]);
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 19).unwrap();
    let all = |records: Vec<PostMetrics>| PostRecords {
        records,
        truncated: false,
    };
    assert_eq!(
        published_between(&store, day, day).unwrap(),
        all(vec![found.clone()])
    );
    let next_day = day.succ_opt().unwrap();
    assert_eq!(
        published_between(&store, next_day, next_day).unwrap(),
        all(Vec::new())
    );
    let campaign = CampaignId::parse("camp1").unwrap();
    assert_eq!(for_campaign(&store, &campaign).unwrap(), all(vec![found]));
    assert_eq!(
        for_campaign(&store, &CampaignId::parse("other").unwrap()).unwrap(),
        all(Vec::new())
    );
}

#[test]
fn readers_say_when_more_than_max_records_are_left_out() {
    let store = MemoryStore::new();
    let mastodon = ChannelId::parse("masto").unwrap();
    let track_post = |n: usize| {
        let post = post(n, &[&mastodon], Some("camp1"));
        follow(&store, &post, &mastodon, ChannelKind::Mastodon, "1");
    };
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 19).unwrap();
    let campaign = CampaignId::parse("camp1").unwrap();
    for n in 0..MAX_RECORDS {
        track_post(n);
    }
    let read = published_between(&store, day, day).unwrap();
    assert_eq!((read.records.len(), read.truncated), (MAX_RECORDS, false));
    let read = for_campaign(&store, &campaign).unwrap();
    assert_eq!((read.records.len(), read.truncated), (MAX_RECORDS, false));

    // The 2,001st: the readers still read 2,000, and say some are missing.
    track_post(MAX_RECORDS);
    let read = published_between(&store, day, day).unwrap();
    assert_eq!((read.records.len(), read.truncated), (MAX_RECORDS, true));
    assert_eq!(
        read.records[0].post.to_string(),
        "p0",
        "the first ones of the range"
    );
    let read = for_campaign(&store, &campaign).unwrap();
    assert_eq!((read.records.len(), read.truncated), (MAX_RECORDS, true));
    assert_eq!(
        read.records[MAX_RECORDS - 1].post.to_string(),
        format!("p{MAX_RECORDS}"),
        "the latest ones of the campaign"
    );
}

#[test]
fn ranges_longer_than_92_days_or_backwards_are_refused() {
    let store = MemoryStore::new();
    let from = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let ok = from + chrono::Days::new(91);
    assert!(
        published_between(&store, from, ok)
            .unwrap()
            .records
            .is_empty()
    );
    let too_long = from + chrono::Days::new(92);
    assert!(matches!(
        published_between(&store, from, too_long),
        Err(AnalyticsError::Invalid(_))
    ));
    assert!(matches!(
        published_between(&store, ok, from),
        Err(AnalyticsError::Invalid(_))
    ));
}

#[test]
fn a_mastodon_post_is_fetched_at_each_step_then_finished() {
    let OnePost {
        store,
        mastodon,
        post,
        http,
    } = mastodon_post();
    http.on("GET", "/api/v1/statuses/111", json(200, status(3, 1)));

    // Nothing before the hour.
    let report = tick_at(&store, &http, at(T0 + 3599));
    assert_eq!(report.fetched, 0);
    assert!(http.requests().is_empty());

    let report = tick_at(&store, &http, at(T0 + 3600 + 30));
    assert_eq!((report.fetched, report.snapshots), (1, 1), "{report:?}");
    let request = &http.requests()[0];
    assert!(
        request
            .headers
            .contains(&("authorization".into(), "Bearer token-1234".into()))
    );
    let found = record(&store, &post, &mastodon);
    assert_eq!(
        found.latest(),
        Counts {
            likes: 3,
            reposts: 1,
            replies: 2,
            quotes: 1,
            reach: None,
            impressions: None
        }
    );
    assert_eq!(found.next.unwrap().after_hours, 6);

    // Older servers have no quotes_count: counted 0.
    http.clear("GET", "/api/v1/statuses/111");
    http.on(
        "GET",
        "/api/v1/statuses/111",
        json(200, serde_json::json!({"id": "1", "favourites_count": 9})),
    );
    for (step, h) in STEPS.iter().skip(1).zip([6, 24, 72, 168, 720]) {
        // A tick reads at most a week of hourly buckets: after a longer gap (here, 168 h to
        // 720 h without a tick) it catches up over several calls.
        let mut snapshots = 0;
        for _ in 0..5 {
            let report = tick_at(&store, &http, hours(h));
            snapshots += report.snapshots;
            if !report.more {
                break;
            }
        }
        assert_eq!(snapshots, 1, "step {step}");
    }
    let found = record(&store, &post, &mastodon);
    assert_eq!(found.state, FetchState::Finished);
    assert_eq!(found.next, None);
    let steps: Vec<u32> = found.history.iter().map(|s| s.after_hours).collect();
    assert_eq!(steps, STEPS.to_vec());
    assert_eq!(found.latest().likes, 9);
    assert_eq!(found.latest().quotes, 0);
    // Nothing more, ever.
    let before = http.requests().len();
    tick_at(&store, &http, hours(2000));
    assert_eq!(http.requests().len(), before);
}

#[test]
fn a_deleted_post_is_recorded_and_never_fetched_again() {
    let store = MemoryStore::new();
    let mastodon = channel(&store, "mastodon", 1);
    let bluesky = channel(&store, "bluesky", 2);
    let post = post(1, &[&mastodon, &bluesky], None);
    let uri = "at://did:plc:abc/app.bsky.feed.post/3kabc";
    follow(&store, &post, &mastodon, ChannelKind::Mastodon, "111");
    follow(&store, &post, &bluesky, ChannelKind::Bluesky, uri);
    let http = ScriptedHttp::new();
    http.on(
        "GET",
        "/api/v1/statuses/111",
        json(404, serde_json::json!({"error": "Record not found"})),
    );
    http.on(
        "POST",
        "createSession",
        json(
            200,
            serde_json::json!({"did": "did:plc:abc", "accessJwt": "a", "refreshJwt": "r"}),
        ),
    );
    // getPosts leaves out a post it cannot find.
    http.on(
        "GET",
        "app.bsky.feed.getPosts",
        json(200, serde_json::json!({"posts": []})),
    );

    let report = tick_at(&store, &http, hours(1));
    assert_eq!(report.deleted, 2, "{report:?}");
    assert!(matches!(
        record(&store, &post, &mastodon).state,
        FetchState::Deleted { .. }
    ));
    assert!(matches!(
        record(&store, &post, &bluesky).state,
        FetchState::Deleted { .. }
    ));
    let get_posts = http.requests_to("getPosts");
    assert!(
        get_posts[0].url.contains("uris=at%3A%2F%2Fdid%3Aplc%3Aabc"),
        "{}",
        get_posts[0].url
    );
    let before = http.requests().len();
    for h in [6, 24, 72, 720] {
        tick_at(&store, &http, hours(h));
    }
    assert_eq!(http.requests().len(), before);
}

#[test]
fn bluesky_figures_come_from_get_posts() {
    let store = MemoryStore::new();
    let bluesky = channel(&store, "bluesky", 2);
    let post = post(1, &[&bluesky], None);
    let uri = "at://did:plc:abc/app.bsky.feed.post/3kabc";
    follow(&store, &post, &bluesky, ChannelKind::Bluesky, uri);
    let http = ScriptedHttp::new();
    http.on(
        "POST",
        "createSession",
        json(
            200,
            serde_json::json!({"did": "did:plc:abc", "accessJwt": "a", "refreshJwt": "r"}),
        ),
    );
    http.on(
        "GET",
        "app.bsky.feed.getPosts",
        json(
            200,
            serde_json::json!({"posts": [{"uri": uri, "likeCount": 5, "repostCount": 2,
                "replyCount": 1, "quoteCount": 4}]}),
        ),
    );
    tick_at(&store, &http, hours(1));
    let found = record(&store, &post, &bluesky).latest();
    assert_eq!(
        (found.likes, found.reposts, found.replies, found.quotes),
        (5, 2, 1, 4)
    );
    let get_posts = http.requests_to("getPosts");
    assert!(
        get_posts[0]
            .headers
            .contains(&("authorization".into(), "Bearer a".into()))
    );
}

#[test]
fn facebook_and_instagram_figures_and_insights() {
    let MetaPost {
        store,
        facebook,
        instagram,
        post,
        http,
    } = meta_post();
    http.on(
        "GET",
        "/1234_987/insights",
        json(
            200,
            serde_json::json!({"data": [{"name": "post_total_media_view_unique", "period": "lifetime",
                "values": [{"value": 120}]}]}),
        ),
    );
    http.on(
        "GET",
        "/1234_987?",
        json(
            200,
            serde_json::json!({"id": "1234_987", "reactions": {"data": [], "summary": {"total_count": 7}},
                "comments": {"data": [], "summary": {"total_count": 3}}, "shares": {"count": 2}}),
        ),
    );
    // Meta refuses insights for media with too few viewers: the figures stay, reach unknown.
    http.on(
        "GET",
        "/555/insights",
        json(
            400,
            serde_json::json!({"error": {"message": "(#10) Not enough viewers for the media to show insights", "code": 10}}),
        ),
    );
    http.on(
        "GET",
        "/555?",
        json(
            200,
            serde_json::json!({"id": "555", "like_count": 11, "comments_count": 4}),
        ),
    );
    let report = tick_at(&store, &http, hours(1));
    assert_eq!(report.snapshots, 2, "{report:?}");
    let fb = record(&store, &post, &facebook).latest();
    assert_eq!(
        fb,
        Counts {
            likes: 7,
            reposts: 2,
            replies: 3,
            quotes: 0,
            reach: Some(120),
            impressions: None
        }
    );
    let ig = record(&store, &post, &instagram).latest();
    assert_eq!((ig.likes, ig.replies, ig.reach), (11, 4, None));
    let fields = http.requests_to("/1234_987?");
    assert!(fields[0].url.contains("access_token=token-1234"));
    let insights = http.requests_to("/555/insights");
    assert!(
        insights[0].url.contains("metric=reach%2Cviews%2Cshares"),
        "{}",
        insights[0].url
    );

    // Instagram insights answered: reach, views as impressions, shares as reposts.
    http.clear("GET", "/555/insights");
    http.on(
        "GET",
        "/555/insights",
        json(
            200,
            serde_json::json!({"data": [
                {"name": "reach", "values": [{"value": 40}]},
                {"name": "views", "values": [{"value": 90}]},
                {"name": "shares", "values": [{"value": 6}]}]}),
        ),
    );
    tick_at(&store, &http, hours(6));
    let ig = record(&store, &post, &instagram).latest();
    assert_eq!(
        (ig.reposts, ig.reach, ig.impressions),
        (6, Some(40), Some(90))
    );

    // Deleted on Facebook (code 100, subcode 33); the Instagram token revoked (190).
    http.clear("GET", "/1234_987?");
    http.on(
        "GET",
        "/1234_987?",
        json(
            400,
            serde_json::json!({"error": {"message": "Unsupported get request. Object with ID '1234_987' does not exist", "code": 100, "error_subcode": 33}}),
        ),
    );
    http.clear("GET", "/555?");
    http.on(
        "GET",
        "/555?",
        json(
            400,
            serde_json::json!({"error": {"message": "Error validating access token", "code": 190}}),
        ),
    );
    let report = tick_at(&store, &http, hours(24));
    assert_eq!((report.deleted, report.revoked), (1, 1), "{report:?}");
    assert!(matches!(
        record(&store, &post, &facebook).state,
        FetchState::Deleted { .. }
    ));
    let FetchState::AccessRevoked { reason, .. } = record(&store, &post, &instagram).state else {
        panic!("not revoked");
    };
    assert!(reason.contains("190"), "{reason}");
    // The channel needs reconnecting, as after a refused publication.
    let ig_channel = channels::get(&store, &instagram).unwrap();
    assert_eq!(ig_channel.status, channels::ChannelStatus::NeedsReconnect);
}

#[test]
fn a_revoked_mastodon_token_stops_fetching_and_other_posts_of_the_channel_too() {
    let store = MemoryStore::new();
    let mastodon = channel(&store, "mastodon", 1);
    let first = post(1, &[&mastodon], None);
    let second = post(2, &[&mastodon], None);
    follow(&store, &first, &mastodon, ChannelKind::Mastodon, "111");
    follow(&store, &second, &mastodon, ChannelKind::Mastodon, "222");
    let http = ScriptedHttp::new();
    http.on(
        "GET",
        "/api/v1/statuses/",
        json(
            401,
            serde_json::json!({"error": "The access token was revoked"}),
        ),
    );
    let report = tick_at(&store, &http, hours(1));
    assert_eq!(report.revoked, 2, "{report:?}");
    // One request: the second post learnt from the first that the token is refused.
    assert_eq!(http.requests().len(), 1);
    for post in [&first, &second] {
        assert!(matches!(
            record(&store, post, &mastodon).state,
            FetchState::AccessRevoked { .. }
        ));
    }
    tick_at(&store, &http, hours(6));
    assert_eq!(http.requests().len(), 1);
}

#[test]
fn a_deleted_channel_counts_as_revoked_access() {
    let OnePost {
        store,
        mastodon,
        post,
        http,
    } = mastodon_post();
    channels::delete(&store, &mastodon).unwrap();
    let report = tick_at(&store, &http, hours(1));
    assert_eq!(report.revoked, 1);
    let FetchState::AccessRevoked { reason, .. } = record(&store, &post, &mastodon).state else {
        panic!("not revoked");
    };
    assert!(reason.contains("deleted"));
    assert!(http.requests().is_empty());
}

#[test]
fn transient_failures_retry_the_step_three_times_then_skip_it() {
    let OnePost {
        store,
        mastodon,
        post,
        http,
    } = mastodon_post();
    http.on(
        "GET",
        "/api/v1/statuses/111",
        json(503, serde_json::json!({"error": "down"})),
    );
    // The first try at 1 h, then retries at 2, 3 and 4 h.
    for (h, attempt) in [(1, 1), (2, 2), (3, 3)] {
        let report = tick_at(&store, &http, hours(h));
        assert_eq!(report.retrying, 1, "hour {h}: {report:?}");
        let next = record(&store, &post, &mastodon).next.unwrap();
        assert_eq!((next.after_hours, next.attempt), (1, attempt));
        assert_eq!(next.due_at, hours(h + 1));
    }
    // A timeout is transient too.
    http.clear("GET", "/api/v1/statuses/111");
    http.on("GET", "/api/v1/statuses/111", Err(HttpFailure::Timeout));
    let report = tick_at(&store, &http, hours(4));
    assert_eq!(report.steps_skipped, 1, "{report:?}");
    let found = record(&store, &post, &mastodon);
    assert!(found.history.is_empty());
    assert_eq!(found.state, FetchState::Active);
    let next = found.next.unwrap();
    assert_eq!(
        (next.after_hours, next.attempt, next.due_at),
        (6, 0, hours(6))
    );
    assert_eq!(http.requests().len(), 4);
    // Nothing at 5 h; the 6 h step works again.
    tick_at(&store, &http, hours(5));
    assert_eq!(http.requests().len(), 4);
    http.clear("GET", "/api/v1/statuses/111");
    http.on("GET", "/api/v1/statuses/111", json(200, status(1, 0)));
    let report = tick_at(&store, &http, hours(6));
    assert_eq!(report.snapshots, 1);
    assert_eq!(record(&store, &post, &mastodon).history[0].after_hours, 6);
}

#[test]
fn overlapping_ticks_never_add_a_snapshot_twice() {
    let OnePost {
        store,
        mastodon,
        post,
        http,
    } = mastodon_post();
    http.on("GET", "/api/v1/statuses/111", json(200, status(3, 1)));
    let cursor_key = keys::metrics_cursor();
    let cursor_before = store.get(&cursor_key).unwrap().unwrap();

    // Tick A handles the entry; tick B read the cursor before A moved it.
    tick_at(&store, &http, hours(1));
    store.set(&cursor_key, &cursor_before).unwrap();
    let report = tick_at(&store, &http, hours(1));
    assert_eq!((report.skipped, report.snapshots), (1, 0), "{report:?}");
    assert_eq!(record(&store, &post, &mastodon).history.len(), 1);
    // The cursor moved forward only (B's swap left it where A put it, or further).
    let (cursor, _) = schedule::read_cursor(&store).unwrap().unwrap();
    assert!(
        cursor
            >= Cursor {
                hour: T0 / 3600 + 1,
                slot: 1
            }
    );

    // B fetched too, from the record as it was before A wrote: its swap fails, it re-reads
    // and finds the step done, so its figures are dropped.
    let record_key = keys::post_metrics(&post.id, &mastodon);
    let mut stale = record(&store, &post, &mastodon);
    stale.history.clear();
    stale.next = Some(NextFetch {
        after_hours: 1,
        attempt: 0,
        due_at: hours(1),
    });
    let stale_bytes = store::to_json(&record_key, &stale).unwrap();
    let entry = schedule::Entry {
        post: post.id.clone(),
        channel: mastodon.clone(),
        after_hours: 1,
        attempt: 0,
    };
    let outcome = Fetched::Counts(Counts::default());
    let settled = fetch::settle(&store, hours(1), &entry, stale_bytes, &outcome).unwrap();
    assert_eq!(settled, None);
    assert_eq!(record(&store, &post, &mastodon).history.len(), 1);
}

#[test]
fn the_budget_bounds_fetches_and_the_rest_waits() {
    let store = MemoryStore::new();
    let mastodon = channel(&store, "mastodon", 1);
    let http = ScriptedHttp::new();
    http.on("GET", "/api/v1/statuses/", json(200, status(1, 1)));
    let posts: Vec<Post> = (0..30).map(|n| post(n, &[&mastodon], None)).collect();
    for p in &posts {
        follow(&store, p, &mastodon, ChannelKind::Mastodon, "111");
    }
    let report = tick_at(&store, &http, hours(1));
    assert_eq!((report.fetched, report.snapshots), (20, 20));
    assert!(report.more);
    let report = tick_at(&store, &http, hours(1));
    assert_eq!((report.fetched, report.snapshots), (10, 10), "{report:?}");
    assert!(!report.more);
    for p in &posts {
        assert_eq!(record(&store, p, &mastodon).history.len(), 1);
    }

    // Entries read are bounded too.
    let budget = FetchBudget {
        max_entries: 7,
        ..FetchBudget::default()
    };
    let report = tick_with(&store, &http, hours(6), budget);
    assert_eq!((report.entries_read, report.snapshots), (7, 7));
    assert!(report.more);

    // And time: past 60 s of tick, no fetch begins.
    let budget = FetchBudget {
        max_secs: 0,
        ..FetchBudget::default()
    };
    let report = tick_with(&store, &http, hours(6), budget);
    assert_eq!(report.fetched, 0);
    assert!(report.more);
}

/// Store operations of one tick, with `tracked` posts in the store of which 5 are due.
fn tick_ops(tracked: usize) -> (crate::store::OpCounts, crate::store::OpCounts) {
    let store = MemoryStore::new();
    let mastodon = channel(&store, "mastodon", 1);
    let http = ScriptedHttp::new();
    http.on("GET", "/api/v1/statuses/", json(200, status(1, 1)));
    for n in 0..tracked {
        let p = post(n, &[&mastodon], None);
        // 5 published at T0 (due at 1 h); the others later, due after the tick.
        let published = if n < 5 {
            t0()
        } else {
            at(T0 + 2 * 3600 + n as i64)
        };
        track(
            &store,
            published,
            &p,
            &mastodon,
            ChannelKind::Mastodon,
            "111",
            "u",
        )
        .unwrap();
    }
    // A first tick in hour 0 moves the cursor there.
    tick_at(&store, &http, at(T0 + 600));
    store.reset_ops();
    let idle = {
        tick_at(&store, &http, at(T0 + 1200));
        store.ops()
    };
    store.reset_ops();
    let report = tick_at(&store, &http, at(T0 + 3600 + 60));
    assert_eq!(report.snapshots, 5, "{report:?}");
    (idle, store.ops())
}

#[test]
fn a_tick_costs_the_same_with_10_or_10000_posts_tracked() {
    let (idle_10, due_10) = tick_ops(10);
    let (idle_10k, due_10k) = tick_ops(10_000);
    println!(
        "metrics tick, nothing due: 10 posts {idle_10:?} = {}; 10,000 posts {idle_10k:?} = {}",
        idle_10.total(),
        idle_10k.total()
    );
    println!(
        "metrics tick, 5 due (1 channel): 10 posts {due_10:?} = {}; 10,000 posts {due_10k:?} = {}",
        due_10.total(),
        due_10k.total()
    );
    assert_eq!(idle_10, idle_10k);
    assert_eq!(due_10, due_10k);
    // Nothing due: the cursor and one batch read of the hour's counter.
    assert_eq!(idle_10.total(), 2);
    // 5 due: cursor, counters, entries, records (1 + 3 batch reads), the channel (1 read),
    // per post the next entry (1 increment + 1 set) and the record (1 swap), the cursor (1 swap).
    assert_eq!(due_10.get, 2);
    assert_eq!(due_10.get_many, 3);
    assert_eq!(due_10.increment, 5);
    assert_eq!(due_10.set, 5);
    assert_eq!(due_10.compare_and_swap, 6);
}

/// A platform that publishes everything, knowing `masto` as Mastodon and `hook` as a webhook.
struct Publishing;

impl crate::posts::Platform for Publishing {
    fn validate(
        &self,
        _channel: &ChannelId,
        _content: &PostContent,
    ) -> Result<Option<Vec<crate::social::FieldError>>, crate::posts::PostError> {
        Ok(Some(Vec::new()))
    }

    async fn publish(
        &self,
        channel: &ChannelId,
        _content: &PostContent,
        _idempotency_key: &str,
    ) -> crate::social::PublishOutcome {
        crate::social::PublishOutcome::Published {
            platform_id: format!("{channel}-1"),
            url: format!("https://social.example/{channel}/1"),
        }
    }

    fn notify(&self, _event: crate::social::LifecycleEvent) -> Result<(), crate::posts::PostError> {
        Ok(())
    }

    fn approval_required(&self, _channel: &ChannelId) -> Result<bool, crate::posts::PostError> {
        Ok(false)
    }

    fn channel_kind(&self, channel: &ChannelId) -> Option<ChannelKind> {
        match channel.as_str() {
            "masto" => Some(ChannelKind::Mastodon),
            "hook" => Some(ChannelKind::Webhook),
            _ => None,
        }
    }
}

#[test]
fn the_posts_tick_tracks_what_it_publishes_except_webhooks() {
    use crate::posts::schedule::{ScheduleRequest, When};
    use crate::posts::tick::{Budget, tick};
    use crate::posts::{NewPost, PostRequest};

    let store = MemoryStore::new();
    let request = PostRequest {
        text: "Heure du conte mercredi".to_owned(),
        channels: vec!["masto".to_owned(), "hook".to_owned()],
        ..PostRequest::default()
    };
    let new = NewPost::parse(&request).unwrap();
    let id = PostId::generate([3; 10]);
    crate::posts::create(&store, t0(), id.clone(), new).unwrap();
    // 2026-11-19T02:00 in Paris is 01:00 UTC.
    let when = When::parse(
        &ScheduleRequest {
            at: Some("2026-11-19T02:00".to_owned()),
            zone: None,
            next_free_slot: false,
        },
        crate::zone::Zone::PARIS,
    )
    .unwrap();
    crate::posts::schedule::schedule(&store, &Publishing, t0(), &id, when).unwrap();
    let report = block_on(tick(
        &store,
        &Publishing,
        &FixedClock(hours(1)),
        Budget::default(),
    ))
    .unwrap();
    assert_eq!(report.published, 1, "{report:?}");

    let post = crate::posts::get(&store, &id).unwrap();
    let found = for_post(&store, &post).unwrap();
    assert_eq!(
        found.len(),
        1,
        "webhook channels are not tracked: {found:?}"
    );
    assert_eq!(found[0].channel.as_str(), "masto");
    assert_eq!(found[0].kind, ChannelKind::Mastodon);
    assert_eq!(found[0].platform_id, "masto-1");
    assert_eq!(found[0].url, "https://social.example/masto/1");
    assert_eq!(found[0].published_at, hours(1));
    assert_eq!(found[0].excerpt, "Heure du conte mercredi");
    assert_eq!(found[0].next.unwrap().due_at, hours(2));
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 19).unwrap();
    assert_eq!(published_between(&store, day, day).unwrap().records, found);
}

/// Mastodon's answer to a token without the scope an endpoint needs.
fn outside_scopes() -> Result<crate::social::HttpResponse, HttpFailure> {
    json(
        403,
        serde_json::json!({"error": "This action is outside the authorized scopes"}),
    )
}

#[test]
fn a_mastodon_token_without_read_statuses_stops_the_records_but_not_the_channel() {
    let store = MemoryStore::new();
    let mastodon = channel(&store, "mastodon", 1);
    let first = post(1, &[&mastodon], None);
    let second = post(2, &[&mastodon], None);
    for (post, id) in [(&first, "111"), (&second, "222")] {
        follow(&store, post, &mastodon, ChannelKind::Mastodon, id);
    }
    let http = ScriptedHttp::new();
    http.on("GET", "/api/v1/statuses/", outside_scopes());
    let report = tick_at(&store, &http, hours(1));
    assert_eq!((report.not_permitted, report.revoked), (2, 0), "{report:?}");
    for post in [&first, &second] {
        let record = record(&store, post, &mastodon);
        let FetchState::AccessRevoked { reason, .. } = record.state else {
            panic!("not stopped: {:?}", record.state);
        };
        assert!(reason.contains("read:statuses"), "{reason}");
        assert!(reason.contains("outside the authorized scopes"), "{reason}");
        assert_eq!(record.next, None);
    }
    // The channel still publishes: it is not marked as needing reconnection.
    let stored = channels::get(&store, &mastodon).unwrap();
    assert_ne!(stored.status, channels::ChannelStatus::NeedsReconnect);
    assert_eq!(stored.status_reason, None);
    // The stopped records are not asked again.
    let asked = http.requests().len();
    tick_at(&store, &http, hours(6));
    assert_eq!(http.requests().len(), asked);
}

#[test]
fn graph_missing_permissions_stop_the_record_but_not_the_channel() {
    let MetaPost {
        store,
        facebook,
        instagram,
        post,
        http,
    } = meta_post();
    http.on(
        "GET",
        "/1234_987?",
        json(
            403,
            serde_json::json!({"error": {"message": "(#10) Application does not have permission for this action", "code": 10}}),
        ),
    );
    http.on(
        "GET",
        "/555?",
        json(
            400,
            serde_json::json!({"error": {"message": "(#200) Requires instagram_manage_insights permission", "code": 200}}),
        ),
    );
    let report = tick_at(&store, &http, hours(1));
    assert_eq!((report.not_permitted, report.revoked), (2, 0), "{report:?}");
    for (channel, code, permission) in [
        (&facebook, "code 10", "read_insights"),
        (&instagram, "code 200", "instagram_manage_insights"),
    ] {
        let FetchState::AccessRevoked { reason, .. } = record(&store, &post, channel).state else {
            panic!("not stopped");
        };
        assert!(reason.contains(code), "{reason}");
        assert!(reason.contains(permission), "{reason}");
        let stored = channels::get(&store, channel).unwrap();
        assert_ne!(stored.status, channels::ChannelStatus::NeedsReconnect);
    }
}

#[test]
fn an_unreadable_channel_is_transient_and_the_other_entries_go_on() {
    let store = MemoryStore::new();
    let broken = channel(&store, "mastodon", 1);
    let fine = channel(&store, "mastodon", 2);
    let post = post(1, &[&broken, &fine], None);
    follow(&store, &post, &broken, ChannelKind::Mastodon, "111");
    follow(&store, &post, &fine, ChannelKind::Mastodon, "222");
    store.set(&keys::channel(&broken), b"{not json").unwrap();
    let http = ScriptedHttp::new();
    http.on("GET", "/api/v1/statuses/222", json(200, status(4, 1)));
    let report = tick_at(&store, &http, hours(1));
    assert_eq!((report.retrying, report.snapshots), (1, 1), "{report:?}");
    assert!(!report.more, "{report:?}");
    // The cursor moved past both entries; the broken channel's step waits an hour.
    assert!(report.cursor.is_some());
    let next = record(&store, &post, &broken).next.unwrap();
    assert_eq!((next.after_hours, next.attempt), (1, 1));
    assert_eq!(record(&store, &post, &broken).state, FetchState::Active);
    assert_eq!(record(&store, &post, &fine).history.len(), 1);
    // Only the readable channel was asked.
    assert_eq!(http.requests().len(), 1);
}

#[test]
fn huge_figures_saturate_instead_of_overflowing() {
    let max = Counts {
        likes: u64::MAX,
        reposts: u64::MAX,
        replies: 1,
        quotes: 1,
        reach: Some(u64::MAX),
        impressions: None,
    };
    assert_eq!(max.engagement(), u64::MAX);
    let mut total = max.clone();
    total.add(&max);
    total.add(&Counts {
        impressions: Some(u64::MAX),
        ..Counts::default()
    });
    assert_eq!(total.likes, u64::MAX);
    assert_eq!(total.replies, 2);
    assert_eq!(total.reach, Some(u64::MAX));
    assert_eq!(total.impressions, Some(u64::MAX));
    assert_eq!(total.engagement(), u64::MAX);

    // The same through a fetch: a server answering the largest figures JSON carries.
    let OnePost {
        store,
        mastodon,
        post,
        http,
    } = mastodon_post();
    http.on(
        "GET",
        "/api/v1/statuses/111",
        json(
            200,
            serde_json::json!({"favourites_count": u64::MAX, "reblogs_count": u64::MAX,
                "replies_count": -3, "quotes_count": 1.5}),
        ),
    );
    let report = tick_at(&store, &http, hours(1));
    assert_eq!(report.snapshots, 1, "{report:?}");
    let latest = record(&store, &post, &mastodon).latest();
    assert_eq!(
        (latest.likes, latest.replies, latest.quotes),
        (u64::MAX, 0, 0)
    );
    assert_eq!(latest.engagement(), u64::MAX);
}
