//! Reports over data written through the analytics writers (`metrics::track`,
//! `participation::record`, `audience::record_view`), and the sums over figures as the
//! metrics fetch records them.

use super::*;
use crate::analytics::audience::Referral;
use crate::analytics::metrics::{FetchState, Snapshot};
use crate::analytics::participation::Activity;
use crate::campaigns::{CampaignRequest, NewCampaign};
use crate::clock::FixedClock;
use crate::posts::{NewPost, PostRequest};
use crate::social::ChannelId;
use crate::store::MemoryStore;

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

fn day(text: &str) -> Day {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn channel(name: &str) -> ChannelId {
    ChannelId::parse(name).unwrap()
}

fn new_post(store: &MemoryStore, n: u8, text: &str, campaign: Option<&CampaignId>) -> Post {
    let request = PostRequest {
        text: text.to_owned(),
        channels: vec!["masto".to_owned(), "bsky".to_owned()],
        campaign: campaign.map(|c| c.to_string()),
        ..PostRequest::default()
    };
    let new = NewPost::parse(&request).unwrap();
    posts::create(
        store,
        at("2026-10-01T08:00:00Z"),
        PostId::generate([n; 10]),
        new,
    )
    .unwrap()
}

use crate::posts::Post;

fn track(store: &MemoryStore, now: &str, post: &Post, name: &str, kind: ChannelKind) {
    let url = format!("https://{}.example/{}", kind.as_str(), post.id);
    metrics::track(
        store,
        at(now),
        post,
        &channel(name),
        kind,
        &post.id.to_string(),
        &url,
    )
    .unwrap();
}

fn view(store: &MemoryStore, now: &str, page: &str, source: Source, server: Option<&str>) {
    let referral = Referral {
        source,
        server: server.map(str::to_owned),
    };
    audience::record_view(store, at(now), page, &referral).unwrap();
}

/// A record as the fetch leaves it, for the pure sums.
fn record(n: u8, kind: ChannelKind, published: &str, counts: &[Counts], text: &str) -> PostMetrics {
    PostMetrics {
        post: PostId::generate([n; 10]),
        channel: channel(kind.as_str()),
        kind,
        url: format!("https://{}.example/{n}", kind.as_str()),
        published_at: at(published),
        campaign: None,
        excerpt: text.to_owned(),
        history: counts
            .iter()
            .zip([1, 6, 24, 72, 168, 720])
            .map(|(counts, after_hours)| Snapshot {
                at: at(published),
                after_hours,
                counts: counts.clone(),
            })
            .collect(),
        state: FetchState::Active,
        platform_id: String::new(),
        next: None,
    }
}

fn counts(likes: u64, reposts: u64, replies: u64, quotes: u64, reach: Option<u64>) -> Counts {
    Counts {
        likes,
        reposts,
        replies,
        quotes,
        reach,
        impressions: None,
    }
}

#[test]
fn post_figures_sum_the_latest_figures_per_network_and_rank_the_posts() {
    let records = vec![
        // Two snapshots: only the latest counts.
        record(
            1,
            ChannelKind::Mastodon,
            "2026-11-02T10:00:00Z",
            &[counts(1, 0, 0, 0, None), counts(5, 2, 1, 1, None)],
            "Mastodon",
        ),
        record(
            1,
            ChannelKind::Facebook,
            "2026-11-02T10:00:00Z",
            &[counts(10, 1, 3, 0, Some(400))],
            "Facebook",
        ),
        record(
            2,
            ChannelKind::Instagram,
            "2026-11-03T10:00:00Z",
            &[counts(20, 0, 2, 0, Some(600))],
            "Instagram",
        ),
        // Not fetched yet: zeros, no reach.
        record(
            3,
            ChannelKind::Bluesky,
            "2026-11-04T10:00:00Z",
            &[],
            "Bluesky",
        ),
    ];
    let figures = post_figures(
        &PostRecords {
            records: records.clone(),
            truncated: false,
        },
        3,
    );
    assert!(!figures.truncated);
    let cut = post_figures(
        &PostRecords {
            records,
            truncated: true,
        },
        3,
    );
    assert!(cut.truncated, "a reader's truncation reaches the report");
    assert_eq!(cut.engagement, figures.engagement);
    assert_eq!(figures.posts, 3, "post 1 on two networks counts once");
    let network = |kind| {
        figures
            .networks
            .iter()
            .find(|n| n.network == kind)
            .unwrap()
            .clone()
    };
    let mastodon = network(ChannelKind::Mastodon);
    assert_eq!((mastodon.posts, mastodon.engagement), (1, 9));
    assert_eq!(
        mastodon.counts.reach, None,
        "Mastodon gives no reach: not zero"
    );
    assert_eq!(network(ChannelKind::Facebook).counts.reach, Some(400));
    assert_eq!(network(ChannelKind::Bluesky).posts, 1);
    assert_eq!(network(ChannelKind::Bluesky).engagement, 0);
    assert_eq!(
        figures
            .networks
            .iter()
            .map(|n| n.network)
            .collect::<Vec<_>>(),
        NETWORKS
    );
    assert_eq!(figures.engagement, 9 + 14 + 22);
    assert_eq!(figures.counts.reach, Some(1000));
    let top: Vec<(&str, u64)> = figures
        .top_posts
        .iter()
        .map(|p| (p.excerpt.as_str(), p.engagement))
        .collect();
    assert_eq!(top, [("Instagram", 22), ("Facebook", 14), ("Mastodon", 9)]);
}

#[test]
fn a_month_sums_what_the_writers_stored_and_compares_with_the_month_before() {
    let store = MemoryStore::new();
    let first = new_post(&store, 1, "Nuit de la lecture : venez nombreux !", None);
    let second = new_post(&store, 2, "=HYPERLINK(\"http://evil\")", None);
    let october = new_post(&store, 3, "Octobre", None);
    for (now, post, name, kind) in [
        (
            "2026-11-03T09:00:00Z",
            &first,
            "masto",
            ChannelKind::Mastodon,
        ),
        ("2026-11-03T09:00:00Z", &first, "bsky", ChannelKind::Bluesky),
        (
            "2026-11-20T09:00:00Z",
            &second,
            "masto",
            ChannelKind::Mastodon,
        ),
        (
            "2026-10-31T23:59:00Z",
            &october,
            "masto",
            ChannelKind::Mastodon,
        ),
        // A webhook channel has no audience: not tracked, not reported.
        ("2026-11-03T09:00:00Z", &first, "hook", ChannelKind::Webhook),
    ] {
        track(&store, now, post, name, kind);
    }

    for (now, activity) in [
        ("2026-11-03T10:00:00Z", Activity::Vote),
        ("2026-11-03T11:00:00Z", Activity::Vote),
        ("2026-11-04T11:00:00Z", Activity::Answer),
        ("2026-11-30T23:00:00Z", Activity::Entry),
        ("2026-11-15T23:00:00Z", Activity::Feedback),
        ("2026-10-15T12:00:00Z", Activity::Vote),
        ("2026-12-01T00:00:00Z", Activity::Vote),
    ] {
        participation::record(&store, at(now), activity);
    }
    view(
        &store,
        "2026-11-03T10:00:00Z",
        "/polls/abc",
        Source::Mastodon,
        Some("piaille.fr"),
    );
    view(
        &store,
        "2026-11-03T10:05:00Z",
        "/polls/abc",
        Source::Mastodon,
        Some("piaille.fr"),
    );
    view(
        &store,
        "2026-11-03T10:06:00Z",
        "/polls/abc",
        Source::Bluesky,
        None,
    );
    view(
        &store,
        "2026-11-04T10:00:00Z",
        "/showcases/xyz",
        Source::Direct,
        None,
    );
    view(
        &store,
        "2026-10-04T10:00:00Z",
        "/showcases/xyz",
        Source::Direct,
        None,
    );

    let month = Month::parse("2026-11").unwrap();
    let report = monthly(&store, month).unwrap();
    assert_eq!(report.month, "2026-11");
    assert_eq!(report.previous_month, "2026-10");
    assert_eq!(
        (report.from, report.to),
        (day("2026-11-01"), day("2026-11-30"))
    );
    let t = &report.totals;
    assert_eq!(
        (t.posts, t.views, t.votes, t.answers, t.entries, t.feedback),
        (2, 4, 2, 1, 1, 1)
    );
    assert_eq!(t.reach, None);
    let p = &report.previous;
    assert_eq!((p.posts, p.views, p.votes), (1, 1, 1));
    let mastodon = &report.posts.networks[0];
    assert_eq!(
        (mastodon.network, mastodon.posts),
        (ChannelKind::Mastodon, 2)
    );
    assert_eq!(report.posts.networks[1].posts, 1);
    assert_eq!(report.posts.top_posts.len(), 3);
    assert_eq!(report.participation.days.len(), 30);
    assert_eq!(report.participation.days[2].votes, 2);
    let a = &report.audience;
    assert_eq!(a.days.len(), 30);
    assert_eq!(a.days[2].views, 3);
    assert_eq!(a.by_source[&Source::Mastodon], 2);
    assert_eq!(a.by_source[&Source::Bluesky], 1);
    assert_eq!(
        a.by_source[&Source::Facebook],
        0,
        "every source, zeros included"
    );
    assert_eq!(a.top_pages[0].path, "/polls/abc");
    assert_eq!(a.top_pages[0].total, 3);
    assert_eq!(a.pages, 2);
    assert_eq!(a.mastodon_servers, [("piaille.fr".to_owned(), 2)]);

    // The JSON shape the console reads.
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["audience"]["by_source"]["mastodon"], 2);
    assert_eq!(json["participation"]["days"][2]["day"], "2026-11-03");
    assert_eq!(json["posts"]["networks"][0]["network"], "mastodon");
    assert!(
        json["totals"].get("reach").is_none(),
        "no reach: absent, not 0"
    );

    // Each of the console's chart images reads only what it draws (one reader for the month,
    // not the six of the report), and draws the report's figures.
    let reads = |figures_equal: bool| {
        assert!(figures_equal);
        let ops = store.ops();
        store.reset_ops();
        ops.get_many
    };
    store.reset_ops();
    assert_eq!(
        reads(month_posts(&store, month).unwrap() == report.posts),
        3
    );
    assert_eq!(
        reads(month_participation(&store, month).unwrap() == report.participation),
        1
    );
    assert!(reads(month_audience(&store, month).unwrap() == report.audience) <= 3);
    assert!(!report.posts.truncated && !report.audience.truncated);

    // CSV: one row per post and channel, formulas defused.
    let data = month_data(&store, month).unwrap();
    let posts_csv = csv::posts(&data.records.records);
    let lines: Vec<&str> = posts_csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 4, "{posts_csv}");
    assert!(lines[0].starts_with("post,channel,network,published_at,url,excerpt,state,likes"));
    assert!(
        posts_csv.contains(",\"'=HYPERLINK(\"\"http://evil\"\")\","),
        "{posts_csv}"
    );
    assert!(
        lines[1].contains(",mastodon,2026-11-20T09:00:00Z,"),
        "newest first: {posts_csv}"
    );
    let days_csv = csv::days(&data.views, &data.participation);
    assert!(days_csv.starts_with("day,views,direct,site,mastodon,bluesky,facebook,instagram,search,other,votes,answers,entries,feedback\r\n"));
    assert!(
        days_csv.contains("\r\n2026-11-03,3,0,0,2,1,0,0,0,0,2,0,0,0\r\n"),
        "{days_csv}"
    );
    assert_eq!(days_csv.matches("\r\n").count(), 31);
    let pages_csv = csv::pages(&data.views);
    assert_eq!(
        pages_csv,
        "path,views,direct,site,mastodon,bluesky,facebook,instagram,search,other\r\n\
         /polls/abc,3,0,0,2,1,0,0,0,0\r\n/showcases/xyz,1,1,0,0,0,0,0,0,0\r\n"
    );
}

#[test]
fn a_monthly_report_costs_the_same_store_operations_with_few_or_many_posts() {
    let cost = |posts: u8| {
        let store = MemoryStore::new();
        for n in 0..posts {
            let post = new_post(&store, n, "Une publication", None);
            track(
                &store,
                "2026-11-10T09:00:00Z",
                &post,
                "masto",
                ChannelKind::Mastodon,
            );
        }
        store.reset_ops();
        let report = monthly(&store, Month::parse("2026-11").unwrap()).unwrap();
        assert_eq!(report.totals.posts, u64::from(posts));
        store.ops()
    };
    let (few, many) = (cost(3), cost(120));
    eprintln!("a monthly report with 3 or 120 posts: {few:?}");
    assert_eq!(few, many);
    assert_eq!(few.get + few.set + few.increment + few.compare_and_swap, 0);
    // The month and the month before: post records 3, participation 1, views 3 batch reads
    // each at most (a reader skips a batch with nothing to read).
    assert!(few.get_many <= 14, "{few:?}");
}

#[test]
fn campaign_and_post_reports_read_their_own_records() {
    let store = MemoryStore::new();
    let campaign = campaigns::create(
        &store,
        &FixedClock(at("2026-10-01T08:00:00Z")),
        CampaignId::generate([9; 10]),
        NewCampaign::parse(CampaignRequest {
            name: "Nuit de la lecture".to_owned(),
            slug: None,
            description: "Lisez !".to_owned(),
            starts_on: "2026-11-01".to_owned(),
            ends_on: "2026-11-30".to_owned(),
            hashtags: vec!["NuitDeLaLecture".to_owned()],
            links: Vec::new(),
        })
        .unwrap(),
    )
    .unwrap();
    let inside = new_post(&store, 1, "Dans la campagne", Some(&campaign.id));
    let outside = new_post(&store, 2, "Hors campagne", None);
    for (post, name, kind) in [
        (&inside, "masto", ChannelKind::Mastodon),
        (&inside, "bsky", ChannelKind::Bluesky),
        (&outside, "masto", ChannelKind::Mastodon),
    ] {
        track(&store, "2026-11-03T09:00:00Z", post, name, kind);
    }

    let report = super::campaign(&store, &campaign.id, day("2026-11-10")).unwrap();
    assert_eq!(report.campaign.name, "Nuit de la lecture");
    assert_eq!(report.posts.posts, 1);
    assert_eq!(report.posts.networks[0].posts, 1);
    assert_eq!(report.posts.networks[1].posts, 1);
    assert!(!report.posts.truncated);
    assert!(matches!(
        super::campaign(&store, &CampaignId::generate([8; 10]), day("2026-11-10")),
        Err(AnalyticsError::NotFound("campaign"))
    ));

    // `post` reads the records its published targets name: none until the tick records them.
    let report = super::post(&store, &outside.id).unwrap();
    assert_eq!(report.excerpt, "Hors campagne");
    assert!(matches!(
        super::post(&store, &PostId::generate([7; 10])),
        Err(AnalyticsError::NotFound("post"))
    ));
}

#[test]
fn the_last_30_days_end_today() {
    let store = MemoryStore::new();
    for n in 0..7u8 {
        let post = new_post(&store, n, &format!("Publication {n}"), None);
        track(
            &store,
            "2026-11-10T09:00:00Z",
            &post,
            "masto",
            ChannelKind::Mastodon,
        );
    }
    let old = new_post(&store, 20, "Trop ancienne", None);
    track(
        &store,
        "2026-10-11T23:00:00Z",
        &old,
        "masto",
        ChannelKind::Mastodon,
    );
    participation::record(&store, at("2026-11-09T10:00:00Z"), Activity::Answer);
    view(
        &store,
        "2026-10-12T00:00:00Z",
        "/polls/abc",
        Source::Search,
        None,
    );
    let report = recent(&store, day("2026-11-10")).unwrap();
    assert_eq!(
        (report.from, report.to),
        (day("2026-10-12"), day("2026-11-10"))
    );
    assert_eq!(report.posts, 7, "the post of 11 October is a day too old");
    assert_eq!(report.top_posts.len(), RECENT_TOP_POSTS);
    assert_eq!((report.answers, report.views), (1, 1));
    assert_eq!(report.views_by_source[&Source::Search], 1);
    assert!(!report.posts_truncated && !report.views_truncated);
}
